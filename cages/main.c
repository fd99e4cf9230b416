/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cloison-cage [--config FILE] run CAGE [-- COMMAND ARGS…]
 * cloison-cage [--config FILE] exec CAGE -- COMMAND ARGS…
 * cloison-cage [--config FILE] list
 */
#include "cloison-build-config.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "i18n.h"
#include "launcher.h"
#include "log.h"

static int usage(FILE *out, int status)
{
	fprintf(out, _("Usage:\n"
	               "  cloison-cage [--config FILE] [--verbose] run CAGE [-- COMMAND ARGS…]\n"
	               "  cloison-cage [--config FILE] [--verbose] exec CAGE -- COMMAND ARGS…\n"
	               "  cloison-cage [--config FILE] list\n"
	               "\n"
	               "run starts the cage's sandbox and runs COMMAND in it (exit status: "
	               "COMMAND's),\nor, without COMMAND, its configured applications until "
	               "stopped.\nexec runs COMMAND in a running cage. list shows every "
	               "configured cage.\nExit status 125: the cage could not be started.\n"));
	return status;
}

int main(int argc, char **argv)
{
	g_autoptr(ClConfig) config = NULL;
	g_autoptr(GError) error = NULL;
	const char *config_path = NULL;
	const char *verb, *cage = NULL;
	char **command = NULL;
	int i = 1;

	cl_i18n_init();
	cl_log_init("cloison-cage");

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			config_path = argv[++i];
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			config_path = argv[i] + 9;
		} else if (strcmp(argv[i], "--verbose") == 0 || strcmp(argv[i], "-v") == 0) {
			cl_log_set_max_level(LOG_DEBUG);
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			return usage(stdout, 0);
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("cloison-cage %s\n", CLOISON_VERSION);
			return 0;
		} else {
			g_autofree char *q = cl_log_escape(argv[i], 128);
			fprintf(stderr, _("cloison-cage: unknown option “%s”\n"), q);
			return usage(stderr, CL_CAGE_EXIT_LAUNCHER);
		}
	}
	if (i >= argc)
		return usage(stderr, CL_CAGE_EXIT_LAUNCHER);
	verb = argv[i++];

	if (strcmp(verb, "run") == 0 || strcmp(verb, "exec") == 0) {
		if (i >= argc)
			return usage(stderr, CL_CAGE_EXIT_LAUNCHER);
		cage = argv[i++];
		if (i < argc) {
			if (strcmp(argv[i], "--") != 0)
				return usage(stderr, CL_CAGE_EXIT_LAUNCHER);
			command = argv + i + 1;
			if (!command[0])
				command = NULL;
		}
		if (strcmp(verb, "exec") == 0 && !command) {
			fprintf(stderr, _("cloison-cage: exec needs a command after “--”\n"));
			return CL_CAGE_EXIT_LAUNCHER;
		}
	} else if (strcmp(verb, "list") != 0 || i < argc) {
		return usage(stderr, CL_CAGE_EXIT_LAUNCHER);
	}

	config = cl_config_load(config_path, &error);
	if (!config) {
		g_autofree char *msg = cl_log_escape(error->message, 4096);
		fprintf(stderr, _("cloison-cage: invalid configuration: %s\n"), msg);
		return CL_CAGE_EXIT_LAUNCHER;
	}

	if (strcmp(verb, "run") == 0)
		return cl_cage_run(config, cage, command);
	if (strcmp(verb, "exec") == 0)
		return cl_cage_exec(config, cage, command);
	return cl_cage_list(config, stdout);
}
