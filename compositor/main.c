/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cloison-compositor [--config FILE] [--headless | --backend NAME] [--size WxH]
 *                    [--test-input] [--ready-fd N] [--bar COMMAND]
 */
#include "cloison-build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "i18n.h"
#include "log.h"
#include "server.h"
#include "util.h"

static int usage(FILE *out, int status)
{
	fprintf(out, _("Usage: cloison-compositor [OPTION…]\n"
	               "\n"
	               "  --config FILE   configuration file (default: the usual search)\n"
	               "  --headless      no display: headless backend and software rendering\n"
	               "  --backend NAME  headless, wayland, x11 or drm (default: wayland when\n"
	               "                  WAYLAND_DISPLAY is set, else x11 when DISPLAY is set,\n"
	               "                  else drm)\n"
	               "  --size WxH      size of the headless output or of the nested window\n"
	               "                  (default: 1280x720)\n"
	               "  --test-input    allow synthetic input through cloison-ctl (tests only)\n"
	               "  --ready-fd N    write \"READY=1\" to file descriptor N once ready\n"
	               "  --bar COMMAND   start COMMAND as the trusted bar client\n"
	               "  --verbose       log debug messages\n"
	               "  --version       print the version and exit\n"));
	return status;
}

static bool parse_size(const char *s, int *w, int *h)
{
	g_auto(GStrv) parts = g_strsplit(s, "x", 3);
	unsigned long long a, b;

	if (g_strv_length(parts) != 2 || cl_parse_u64(parts[0], &a) < 0 ||
	    cl_parse_u64(parts[1], &b) < 0)
		return false;
	if (a < 64 || b < 64 || a > 16384 || b > 16384)
		return false;
	*w = (int)a;
	*h = (int)b;
	return true;
}

static bool parse_fd(const char *s, int *fd)
{
	unsigned long long v;

	if (cl_parse_u64(s, &v) < 0 || v > 65535)
		return false;
	if (fcntl((int)v, F_GETFD) < 0)
		return false;
	*fd = (int)v;
	return true;
}

/* --headless is --backend headless; two different backends contradict. */
static bool set_backend(struct cl_server_options *opts, enum cl_backend_kind backend)
{
	if (opts->backend != CL_BACKEND_AUTO && opts->backend != backend) {
		fprintf(stderr,
		        _("cloison-compositor: --headless and --backend contradict each "
		          "other (%s, then %s)\n"),
		        cl_backend_name(opts->backend), cl_backend_name(backend));
		return false;
	}
	opts->backend = backend;
	return true;
}

int main(int argc, char **argv)
{
	struct cl_server_options opts = {.width = 1280, .height = 720, .ready_fd = -1};
	g_autoptr(ClConfig) config = NULL;
	g_autoptr(GError) error = NULL;
	const char *config_path = NULL;
	enum cl_backend_kind backend;
	struct cl_server *server;
	int r;

	cl_i18n_init();
	cl_log_init("cloison-compositor");

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *value;

		if (cl_option_is(arg, "--config")) {
			value = cl_option_value(argc, argv, &i, "--config");
			if (!value || !*value) {
				fprintf(stderr, _("cloison-compositor: --config needs a file\n"));
				return usage(stderr, 1);
			}
			config_path = value;
		} else if (strcmp(arg, "--headless") == 0) {
			if (!set_backend(&opts, CL_BACKEND_HEADLESS))
				return 1;
		} else if (cl_option_is(arg, "--backend")) {
			value = cl_option_value(argc, argv, &i, "--backend");
			if (!value || cl_backend_from_name(value, &backend) < 0 ||
			    backend == CL_BACKEND_AUTO) {
				g_autofree char *q = cl_log_escape(value ? value : "", 64);

				fprintf(stderr,
				        _("cloison-compositor: --backend needs headless, wayland, "
				          "x11 or drm (not “%s”)\n"),
				        q);
				return 1;
			}
			if (!set_backend(&opts, backend))
				return 1;
		} else if (cl_option_is(arg, "--size")) {
			value = cl_option_value(argc, argv, &i, "--size");
			if (!value || !parse_size(value, &opts.width, &opts.height)) {
				fprintf(stderr,
				        _("cloison-compositor: --size needs WIDTHxHEIGHT, each "
				          "between 64 and 16384 (e.g. 1280x720)\n"));
				return 1;
			}
		} else if (strcmp(arg, "--test-input") == 0) {
			opts.test_input = true;
		} else if (cl_option_is(arg, "--ready-fd")) {
			value = cl_option_value(argc, argv, &i, "--ready-fd");
			if (!value || !parse_fd(value, &opts.ready_fd)) {
				fprintf(stderr,
				        _("cloison-compositor: --ready-fd needs the number of "
				          "an open file descriptor\n"));
				return 1;
			}
		} else if (cl_option_is(arg, "--bar")) {
			value = cl_option_value(argc, argv, &i, "--bar");
			if (!value || !*value) {
				fprintf(stderr, _("cloison-compositor: --bar needs a command\n"));
				return usage(stderr, 1);
			}
			if (!g_shell_parse_argv(value, NULL, NULL, NULL)) {
				g_autofree char *q = cl_log_escape(value, 256);

				fprintf(stderr,
				        _("cloison-compositor: --bar: cannot parse the command "
				          "“%s”\n"),
				        q);
				return 1;
			}
			opts.bar_command = value;
		} else if (strcmp(arg, "--verbose") == 0 || strcmp(arg, "-v") == 0) {
			cl_log_set_max_level(LOG_DEBUG);
		} else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			return usage(stdout, 0);
		} else if (strcmp(arg, "--version") == 0) {
			printf("cloison-compositor %s\n", CLOISON_VERSION);
			return 0;
		} else {
			g_autofree char *q = cl_log_escape(arg, 128);

			fprintf(stderr, _("cloison-compositor: unknown option “%s”\n"), q);
			return usage(stderr, 1);
		}
	}
	/* An explicit backend wins over the environment. */
	opts.backend = cl_backend_choose(opts.backend);
	if (opts.test_input && opts.backend != CL_BACKEND_HEADLESS) {
		fprintf(stderr, _("cloison-compositor: --test-input is only allowed with "
		                  "--headless\n"));
		return 1;
	}

	config = cl_config_load(config_path, &error);
	if (!config) {
		g_autofree char *msg = cl_log_escape(error->message, 4096);

		fprintf(stderr, _("cloison-compositor: invalid configuration: %s\n"), msg);
		return 1;
	}
	opts.config = config;

	/* The readiness fd is ours alone: never inherited by the bar. */
	if (opts.ready_fd >= 0)
		fcntl(opts.ready_fd, F_SETFD, FD_CLOEXEC);
	/* Writes to departed peers return EPIPE instead of killing us. */
	signal(SIGPIPE, SIG_IGN);

	server = cl_server_create(&opts);
	if (!server)
		return 1;
	r = cl_server_run(server);
	cl_server_destroy(server);
	return r < 0 ? 1 : 0;
}
