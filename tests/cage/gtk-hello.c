/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * gtk-hello: a minimal GTK 4 client for the cage tests.
 *
 *   gtk-hello [--quit-after-map]
 *
 * Opens one window (app id org.cloison.TestHello, title "Cloison test") and
 * stays until killed.  With --quit-after-map it prints "mapped" on stdout
 * once the window's surface is mapped, then quits with status 0.
 */
#include <gtk/gtk.h>
#include <stdio.h>
#include <string.h>

#define APP_ID       "org.cloison.TestHello"
#define WINDOW_TITLE "Cloison test"

static gboolean quit_after_map;

static void on_surface_mapped(GdkSurface *surface, GParamSpec *pspec, gpointer data)
{
	GApplication *app = data;

	if (!gdk_surface_get_mapped(surface))
		return;
	printf("mapped\n");
	fflush(stdout);
	if (quit_after_map)
		g_application_quit(app);
}

static void on_realize(GtkWidget *window, gpointer data)
{
	GdkSurface *surface = gtk_native_get_surface(GTK_NATIVE(window));

	g_signal_connect(surface, "notify::mapped", G_CALLBACK(on_surface_mapped), data);
	if (gdk_surface_get_mapped(surface))
		on_surface_mapped(surface, NULL, data);
}

static void on_activate(GtkApplication *app, gpointer data)
{
	GtkWidget *window = gtk_application_window_new(app);
	GtkWidget *label = gtk_label_new("Hello from a cage");

	gtk_window_set_title(GTK_WINDOW(window), WINDOW_TITLE);
	gtk_window_set_default_size(GTK_WINDOW(window), 320, 200);
	gtk_window_set_child(GTK_WINDOW(window), label);
	g_signal_connect(window, "realize", G_CALLBACK(on_realize), app);
	gtk_window_present(GTK_WINDOW(window));
}

int main(int argc, char **argv)
{
	g_autoptr(GtkApplication) app = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quit-after-map")) {
			quit_after_map = TRUE;
		} else {
			fprintf(stderr, "usage: gtk-hello [--quit-after-map]\n");
			return 2;
		}
	}
	/* NON_UNIQUE: no D-Bus name needed, so it runs with or without a bus. */
	app = gtk_application_new(APP_ID, G_APPLICATION_NON_UNIQUE);
	g_signal_connect(app, "activate", G_CALLBACK(on_activate), NULL);
	return g_application_run(G_APPLICATION(app), 1, argv);
}
