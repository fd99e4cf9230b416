/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cloison-session [--config FILE | --demo] [--headless] [--size WxH]
 *                 [--test-input] [--verbose]
 */
#include "cloison-build-config.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "i18n.h"
#include "log.h"
#include "session.h"
#include "util.h"

static int usage(FILE *out, int status)
{
	fprintf(out,
	        _("Usage: cloison-session [OPTION…]\n"
	          "\n"
	          "Start the Cloison multi-level session: the core bus, the compositor and\n"
	          "its bar, the transfer broker, the notification daemon, then every\n"
	          "autostart cage; supervise them until SIGTERM, SIGINT or logout.\n"
	          "\n"
	          "  --config FILE   configuration file (default: the usual search)\n"
	          "  --demo          a two-level demo session with its own configuration;\n"
	          "                  with --headless: a screenshot, its path printed, then stop\n"
	          "  --headless      no display: headless compositor (tests, CI)\n"
	          "  --size WxH      size of the headless output or of the nested window\n"
	          "  --test-input    let cloison-ctl send synthetic input (with --headless)\n"
	          "  --verbose       log debug messages (passed on to Cloison's programs)\n"
	          "  --version       print the version and exit\n"
	          "\n"
	          "Exit status: 0 stopped or logged out, 1 usage or configuration error\n"
	          "(nothing started), 2 the session could not start, 3 the core bus or the\n"
	          "compositor failed.\n"));
	return status;
}

static bool parse_size(const char *s, int *w, int *h)
{
	g_auto(GStrv) parts = g_strsplit(s, "x", 3);
	unsigned long long a, b;

	if (g_strv_length(parts) != 2 || cl_parse_u64(parts[0], &a) < 0 ||
	    cl_parse_u64(parts[1], &b) < 0 || a < 64 || b < 64 || a > 16384 || b > 16384)
		return false;
	*w = (int)a;
	*h = (int)b;
	return true;
}

int main(int argc, char **argv)
{
	ClSessionOptions opts = {.backend = CL_SESSION_BACKEND_AUTO};
	ClSessionPrograms programs = {0};
	g_autoptr(ClConfig) config = NULL;
	g_autoptr(ClSession) session = NULL;
	g_autoptr(GError) error = NULL;
	const char *config_path = NULL;

	cl_i18n_init();
	cl_log_init("cloison-session");

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *value;

		if (cl_option_is(arg, "--config")) {
			value = cl_option_value(argc, argv, &i, "--config");
			if (!value || !*value) {
				fprintf(stderr, _("cloison-session: --config needs a file\n"));
				return usage(stderr, CL_SESSION_EXIT_CONFIG);
			}
			config_path = value;
		} else if (strcmp(arg, "--demo") == 0) {
			opts.demo = true;
		} else if (strcmp(arg, "--headless") == 0) {
			opts.backend = CL_SESSION_BACKEND_HEADLESS;
		} else if (cl_option_is(arg, "--size")) {
			value = cl_option_value(argc, argv, &i, "--size");
			if (!value || !parse_size(value, &opts.width, &opts.height)) {
				fprintf(stderr,
				        _("cloison-session: --size needs WIDTHxHEIGHT, each "
				          "between 64 and 16384 (e.g. 1280x720)\n"));
				return CL_SESSION_EXIT_CONFIG;
			}
		} else if (strcmp(arg, "--test-input") == 0) {
			opts.test_input = true;
		} else if (strcmp(arg, "--verbose") == 0 || strcmp(arg, "-v") == 0) {
			opts.verbose = true;
			cl_log_set_max_level(LOG_DEBUG);
		} else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			return usage(stdout, CL_SESSION_EXIT_OK);
		} else if (strcmp(arg, "--version") == 0) {
			printf("cloison-session %s\n", CLOISON_VERSION);
			return CL_SESSION_EXIT_OK;
		} else {
			g_autofree char *q = cl_log_escape(arg, 128);

			fprintf(stderr, _("cloison-session: unknown option “%s”\n"), q);
			return usage(stderr, CL_SESSION_EXIT_CONFIG);
		}
	}
	if (opts.test_input && opts.backend != CL_SESSION_BACKEND_HEADLESS) {
		fprintf(stderr,
		        _("cloison-session: --test-input is only allowed with --headless\n"));
		return CL_SESSION_EXIT_CONFIG;
	}

	if (opts.demo && config_path) {
		fprintf(stderr, _("cloison-session: --demo has its own configuration: "
		                  "--config cannot be used with it\n"));
		return CL_SESSION_EXIT_CONFIG;
	}

	/* The whole configuration is checked before anything is created or started. */
	if (opts.demo) {
		g_autofree char *text = cl_session_demo_config();

		config = cl_config_load_data(text, strlen(text), "demo", &error);
	} else {
		config = cl_config_load(config_path, &error);
	}
	if (!config) {
		g_autofree char *msg = cl_log_escape(error->message, 4096);

		fprintf(stderr, _("cloison-session: invalid configuration: %s\n"), msg);
		return CL_SESSION_EXIT_CONFIG;
	}
	if (!cl_session_programs_find(&programs, &error)) {
		g_autofree char *msg = cl_log_escape(error->message, 4096);

		fprintf(stderr, "cloison-session: %s\n", msg);
		return CL_SESSION_EXIT_START;
	}
	session = cl_session_new(config, &programs, &opts, &error);
	cl_session_programs_clear(&programs);
	if (!session) {
		g_autofree char *msg = cl_log_escape(error->message, 4096);

		fprintf(stderr, "cloison-session: %s\n", msg);
		return CL_SESSION_EXIT_START;
	}
	config = NULL; /* the session's now */
	return cl_session_run(session);
}
