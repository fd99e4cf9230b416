/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cloison-transfer-gtk FILE… [--to CAGE] [--move]
 *
 * The graphical mode of cloison-transfer, which execs it (with the same
 * arguments) under --gui or when nobody reads its text: runs inside a cage,
 * sends the documents through the broker and shows a ClTransferWindow with
 * their progress and outcome.  Without --to, when the cage may send to more
 * than one cage, a first window lets the user pick the target (labels in
 * their colours) or leave the choice to the trusted dialog.
 *
 * Exit status, as cloison-transfer --wait: 0 every document delivered,
 * 1 at least one denied, 2 an error (usage, broker unreachable, a refused
 * request, a failed transfer, the user cancelled the choice).
 */
#include "cloison-build-config.h"

#include <glib/gi18n.h>
#include <gtk/gtk.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "window.h"

#define EXIT_DENIED  1
#define EXIT_ERROR   2
#define LIST_TIMEOUT 10000

typedef struct {
	GtkApplication *app;
	char *target; /* --to, or NULL */
	gboolean move;
	GPtrArray *paths; /* absolute in-cage paths */
	ClTransferClient *client;
	GPtrArray *targets;
	GtkWidget *picker;
	int status;
} App;

static void usage(FILE *out)
{
	fprintf(out, _("Usage: cloison-transfer --gui FILE… [--to CAGE] [--move]\n"
	               "\n"
	               "Send documents from this cage to another cage and show their progress\n"
	               "and outcome in a window; the user confirms each transfer on the trusted\n"
	               "dialog.\n"
	               "\n"
	               "Exit status: 0 delivered, 1 denied, 2 error.\n"));
}

/* An error before any transfer: shown in a window, exit status 2. */
static void show_error(App *a, const char *message)
{
	GtkWidget *window = gtk_window_new();
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
	GtkWidget *label = gtk_label_new(NULL);
	GtkWidget *close = gtk_button_new_with_label(_("Close"));

	a->status = EXIT_ERROR;
	g_printerr("cloison-transfer: %s\n", message);
	gtk_window_set_application(GTK_WINDOW(window), a->app);
	gtk_window_set_title(GTK_WINDOW(window), _("Transfer to another level"));
	gtk_widget_set_margin_start(box, 16);
	gtk_widget_set_margin_end(box, 16);
	gtk_widget_set_margin_top(box, 14);
	gtk_widget_set_margin_bottom(box, 14);
	gtk_label_set_use_markup(GTK_LABEL(label), FALSE);
	gtk_label_set_text(GTK_LABEL(label), message);
	gtk_label_set_wrap(GTK_LABEL(label), TRUE);
	gtk_label_set_max_width_chars(GTK_LABEL(label), 60);
	gtk_widget_add_css_class(label, "error");
	gtk_box_append(GTK_BOX(box), label);
	gtk_widget_set_halign(close, GTK_ALIGN_END);
	g_signal_connect_swapped(close, "clicked", G_CALLBACK(gtk_window_destroy), window);
	gtk_box_append(GTK_BOX(box), close);
	gtk_window_set_child(GTK_WINDOW(window), box);
	gtk_window_present(GTK_WINDOW(window));
}

static void handle_done(ClTransferWindow *window, guint delivered, guint denied, guint failed,
                        gpointer user_data)
{
	App *a = user_data;

	(void)window;
	(void)delivered;
	a->status = failed ? EXIT_ERROR : denied ? EXIT_DENIED : EXIT_SUCCESS;
	g_print(_("%u delivered, %u denied, %u failed\n"), delivered, denied, failed);
}

/* The outcomes on stdout too, as cloison-transfer --wait prints them, for logs. */
static void handle_finished(ClTransferClient *client, const char *id, const char *outcome,
                            const char *detail, gpointer user_data)
{
	(void)client;
	(void)user_data;
	g_print("%s: %s: %s\n", id, outcome, detail);
}

static void start_sending(App *a, const ClTransferTarget *target)
{
	ClTransferWindow *window = cl_transfer_window_new(a->client, NULL);

	gtk_window_set_application(GTK_WINDOW(window), a->app);
	g_signal_connect(window, "done", G_CALLBACK(handle_done), a);
	cl_transfer_window_send(window, (const char *const *)a->paths->pdata, target, a->move);
}

static void handle_pick(GtkButton *button, gpointer user_data)
{
	App *a = user_data;
	const ClTransferTarget *target = g_object_get_data(G_OBJECT(button), "cl-target");

	start_sending(a, target);
	gtk_window_destroy(GTK_WINDOW(g_steal_pointer(&a->picker)));
}

static void handle_cancel(GtkButton *button, gpointer user_data)
{
	App *a = user_data;

	(void)button;
	a->status = EXIT_ERROR;
	g_printerr("cloison-transfer: %s\n", _("cancelled: nothing was sent"));
	gtk_window_destroy(GTK_WINDOW(g_steal_pointer(&a->picker)));
}

static gboolean handle_picker_close(GtkWindow *window, gpointer user_data)
{
	App *a = user_data;

	(void)window;
	if (a->picker) {
		a->status = EXIT_ERROR;
		g_printerr("cloison-transfer: %s\n", _("cancelled: nothing was sent"));
		a->picker = NULL;
	}
	return FALSE;
}

/* The first step: which cage, or the trusted dialog. */
static void show_picker(App *a)
{
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 8);
	GtkWidget *buttons = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
	GtkWidget *title, *ask, *cancel;
	g_autofree char *text = NULL;

	a->picker = gtk_window_new();
	gtk_window_set_application(GTK_WINDOW(a->picker), a->app);
	gtk_window_set_title(GTK_WINDOW(a->picker), _("Transfer to another level"));
	gtk_widget_set_margin_start(box, 16);
	gtk_widget_set_margin_end(box, 16);
	gtk_widget_set_margin_top(box, 14);
	gtk_widget_set_margin_bottom(box, 14);
	text = g_strdup_printf(g_dngettext(GETTEXT_PACKAGE, "Send %u document to:",
	                                   "Send %u documents to:", a->paths->len - 1),
	                       a->paths->len - 1);
	title = gtk_label_new(text);
	gtk_label_set_xalign(GTK_LABEL(title), 0);
	gtk_widget_add_css_class(title, "heading");
	gtk_box_append(GTK_BOX(box), title);
	for (guint i = 0; i < a->targets->len; i++) {
		ClTransferTarget *t = g_ptr_array_index(a->targets, i);
		GtkWidget *button = gtk_button_new();
		GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
		g_autofree char *cage = g_strdup_printf(_("cage %s"), t->cage);
		GtkWidget *cage_label = gtk_label_new(cage);

		gtk_box_append(GTK_BOX(row), cl_transfer_target_badge_new(t));
		gtk_widget_add_css_class(cage_label, "dim-label");
		gtk_box_append(GTK_BOX(row), cage_label);
		gtk_button_set_child(GTK_BUTTON(button), row);
		g_object_set_data(G_OBJECT(button), "cl-target", t);
		g_signal_connect(button, "clicked", G_CALLBACK(handle_pick), a);
		gtk_box_append(GTK_BOX(buttons), button);
	}
	ask = gtk_button_new_with_label(_("Choose on the trusted dialog"));
	g_signal_connect(ask, "clicked", G_CALLBACK(handle_pick), a);
	gtk_box_append(GTK_BOX(buttons), ask);
	gtk_box_append(GTK_BOX(box), buttons);
	cancel = gtk_button_new_with_label(_("Cancel"));
	gtk_widget_set_halign(cancel, GTK_ALIGN_END);
	g_signal_connect(cancel, "clicked", G_CALLBACK(handle_cancel), a);
	gtk_box_append(GTK_BOX(box), cancel);
	gtk_window_set_child(GTK_WINDOW(a->picker), box);
	g_signal_connect(a->picker, "close-request", G_CALLBACK(handle_picker_close), a);
	/* Enter picks the first target: the trusted dialog still asks. */
	gtk_window_set_focus(GTK_WINDOW(a->picker), gtk_widget_get_first_child(buttons));
	gtk_window_present(GTK_WINDOW(a->picker));
}

static void targets_listed(GObject *source, GAsyncResult *result, gpointer user_data)
{
	App *a = user_data;
	g_autoptr(GError) error = NULL;

	a->targets =
	        cl_transfer_client_list_targets_finish(CL_TRANSFER_CLIENT(source), result, &error);
	if (!a->targets) {
		show_error(a, error->message);
	} else if (a->target) {
		/* The named target as the broker lists it; one it does not list
		 * is sent all the same: the broker says why it refuses. */
		ClTransferTarget unlisted = {a->target, a->target, (char *)"#808080"};
		const ClTransferTarget *found = &unlisted;

		for (guint i = 0; i < a->targets->len; i++) {
			ClTransferTarget *t = g_ptr_array_index(a->targets, i);

			if (strcmp(t->cage, a->target) == 0)
				found = t;
		}
		start_sending(a, found);
	} else if (a->targets->len > 1) {
		show_picker(a);
	} else {
		start_sending(a, NULL);
	}
	g_application_release(G_APPLICATION(a->app));
}

static void connected(GObject *source, GAsyncResult *result, gpointer user_data)
{
	App *a = user_data;
	g_autoptr(GError) error = NULL;

	(void)source;
	a->client = cl_transfer_client_new_finish(result, &error);
	if (!a->client) {
		show_error(a, error->message);
		g_application_release(G_APPLICATION(a->app));
		return;
	}
	g_signal_connect(a->client, "finished", G_CALLBACK(handle_finished), a);
	cl_transfer_client_list_targets_async(a->client, NULL, targets_listed, a);
}

static void activate(GApplication *app, gpointer user_data)
{
	App *a = user_data;

	(void)app;
	/* Held until a window is up. */
	g_application_hold(G_APPLICATION(a->app));
	cl_transfer_client_new_async(NULL, NULL, connected, a);
}

static char *absolute(const char *file)
{
	g_autofree char *cwd = NULL;

	if (file[0] == '/')
		return g_strdup(file);
	cwd = g_get_current_dir();
	return g_build_filename(cwd, file, NULL);
}

int main(int argc, char **argv)
{
	App a = {.status = EXIT_SUCCESS};
	gboolean options_done = FALSE;
	int r;

	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);

	a.paths = g_ptr_array_new_with_free_func(g_free);
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (!options_done && strcmp(arg, "--") == 0) {
			options_done = TRUE;
		} else if (!options_done && strcmp(arg, "--to") == 0) {
			if (i + 1 >= argc || !*argv[i + 1]) {
				fprintf(stderr, _("cloison-transfer: --to needs a cage\n"));
				return EXIT_ERROR;
			}
			a.target = argv[++i];
		} else if (!options_done && strncmp(arg, "--to=", 5) == 0 && arg[5]) {
			a.target = (char *)arg + 5;
		} else if (!options_done && strcmp(arg, "--move") == 0) {
			a.move = TRUE;
		} else if (!options_done &&
		           (strcmp(arg, "--wait") == 0 || strcmp(arg, "--gui") == 0)) {
			/* The window always waits for the outcomes. */
		} else if (!options_done &&
		           (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)) {
			usage(stdout);
			return EXIT_SUCCESS;
		} else if (!options_done && arg[0] == '-' && arg[1]) {
			fprintf(stderr, _("cloison-transfer: unknown option %s\n"), arg);
			usage(stderr);
			return EXIT_ERROR;
		} else if (a.paths->len >= CL_TRANSFER_CLIENT_MAX_FILES) {
			fprintf(stderr, _("cloison-transfer: at most %d files at once\n"),
			        CL_TRANSFER_CLIENT_MAX_FILES);
			return EXIT_ERROR;
		} else {
			g_ptr_array_add(a.paths, absolute(arg));
		}
	}
	if (a.paths->len == 0) {
		usage(stderr);
		return EXIT_ERROR;
	}
	g_ptr_array_add(a.paths, NULL);

	a.app = gtk_application_new("org.cloison.Transfer",
	                            G_APPLICATION_NON_UNIQUE | G_APPLICATION_DEFAULT_FLAGS);
	g_signal_connect(a.app, "activate", G_CALLBACK(activate), &a);
	r = g_application_run(G_APPLICATION(a.app), 1, argv);
	g_object_unref(a.app);
	g_clear_object(&a.client);
	if (a.targets)
		g_ptr_array_unref(a.targets);
	g_ptr_array_unref(a.paths);
	return r ? EXIT_ERROR : a.status;
}
