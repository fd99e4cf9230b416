/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cloison-config: load a configuration the way every Cloison program does,
 * and print it resolved (or only say that it is valid).  Exit status 0 when
 * the configuration is valid, 1 when it is not, 2 on a usage error.
 */
#include "cloison-build-config.h"

#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "i18n.h"
#include "log.h"

int main(int argc, char **argv)
{
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(ClConfig) config = NULL;
	g_autofree char *config_path = NULL;
	g_autofree char *text = NULL;
	gboolean check = FALSE, builtin = FALSE, version = FALSE;
	const GOptionEntry entries[] = {
	        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
	         N_("Use FILE instead of the usual search path"), N_("FILE")},
	        {"check", 0, 0, G_OPTION_ARG_NONE, &check,
	         N_("Only check the configuration; print nothing when it is valid"), NULL},
	        {"default", 0, 0, G_OPTION_ARG_NONE, &builtin,
	         N_("Print the built-in default configuration"), NULL},
	        {"version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Print the version and exit"),
	         NULL},
	        {NULL, 0, 0, 0, NULL, NULL, NULL},
	};

	cl_i18n_init();
	context = g_option_context_new(NULL);
	g_option_context_set_summary(
	        context, _("Check a Cloison configuration and print it fully resolved.\n\n"
	                   "Without --config, the file used is $XDG_CONFIG_HOME/cloison/"
	                   "cloison.conf,\nelse /etc/cloison/cloison.conf, else the built-in "
	                   "default."));
	g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		fprintf(stderr, "cloison-config: %s\n", error->message);
		return 2;
	}
	if (argc > 1) {
		fprintf(stderr, _("cloison-config: unexpected argument “%s”\n"), argv[1]);
		return 2;
	}
	if (version) {
		printf("cloison-config %s\n", CLOISON_VERSION);
		return 0;
	}
	if (builtin && config_path) {
		fprintf(stderr, _("cloison-config: --default and --config cannot be combined\n"));
		return 2;
	}

	config = builtin ? cl_config_load_default() : cl_config_load(config_path, &error);
	if (!config) {
		/* The message quotes the file's text: keep terminal controls out. */
		g_autofree char *msg = cl_log_escape(error->message, 4096);
		fprintf(stderr, _("cloison-config: invalid configuration: %s\n"), msg);
		return 1;
	}
	if (check)
		return 0;
	text = cl_config_to_keyfile(config);
	fputs(text, stdout);
	return fflush(stdout) == 0 ? 0 : 1;
}
