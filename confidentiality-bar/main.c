/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cloison-bar [--config PATH]: the trusted bar and transfer dialogs,
 * started by cloison-compositor --bar (see cloison-bar(1), docs/bar.md).
 */
#include "cloison-build-config.h"
#include <stdio.h>
#include <string.h>

#include "bar.h"
#include "i18n.h"
#include "log.h"

typedef struct {
	ClConfig *config;
	const char *config_path;
	ClBar *bar;
	int status;
} App;

static void handle_activate(GtkApplication *app, gpointer data)
{
	App *a = data;
	g_autoptr(GError) error = NULL;

	if (a->bar)
		return;
	a->bar = cl_bar_new(app, a->config, a->config_path);
	if (!cl_bar_start(a->bar, &error)) {
		cl_error("%s", error->message);
		a->status = 1;
		g_application_quit(G_APPLICATION(app));
	}
}

static int usage(FILE *out, int status)
{
	fprintf(out, _("Usage: cloison-bar [--config PATH]\n"
	               "Started by cloison-compositor --bar; see cloison-bar(1).\n"));
	return status;
}

int main(int argc, char **argv)
{
	g_autoptr(GtkApplication) app = NULL;
	g_autoptr(GError) error = NULL;
	const char *config_path = NULL;
	App a = {0};
	int status;

	cl_i18n_init();
	cl_log_init("cloison-bar");
	/* Tests run the bar from the build tree, whose catalogues are not installed. */
	if (g_getenv("CLOISON_LOCALEDIR"))
		bindtextdomain(GETTEXT_PACKAGE, g_getenv("CLOISON_LOCALEDIR"));
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			config_path = argv[++i];
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			config_path = argv[i] + 9;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			return usage(stdout, 0);
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("cloison-bar %s\n", CLOISON_VERSION);
			return 0;
		} else {
			g_autofree char *q = cl_log_escape(argv[i], 128);
			fprintf(stderr, _("cloison-bar: unknown option “%s”\n"), q);
			return usage(stderr, 2);
		}
	}
	a.config_path = config_path;
	a.config = cl_config_load(config_path, &error);
	if (!a.config) {
		g_autofree char *msg = cl_log_escape(error->message, 4096);
		fprintf(stderr, _("cloison-bar: invalid configuration: %s\n"), msg);
		return 1;
	}
	/* Only the compositor's socket (WAYLAND_SOCKET) makes sense. */
	gdk_set_allowed_backends("wayland");
	app = gtk_application_new("org.cloison.Bar", G_APPLICATION_NON_UNIQUE);
	g_signal_connect(app, "activate", G_CALLBACK(handle_activate), &a);
	status = g_application_run(G_APPLICATION(app), 1, argv);
	cl_bar_free(a.bar);
	cl_config_free(a.config);
	return a.status ? a.status : status;
}
