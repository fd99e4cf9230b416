/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ClTransferWindow: the in-cage view of documents sent to another cage
 * (window.h).  Everything shown comes from the cage (file names) or from
 * the broker (targets, outcomes): plain labels only, never markup, and
 * file names with their control characters and invalid bytes escaped.
 */
#include "cloison-build-config.h"

#include "window.h"

#include <glib/gi18n-lib.h> /* _() in the "cloison" domain: loaded into file managers */
#include <string.h>

#define NAME_MAX_SHOWN 255 /* bytes of a name shown, before escaping */
#define MAX_ORPHANS    64  /* Finished kept until the Send reply that names them */
#define SCROLL_AFTER   4   /* rows shown whole; more scroll */

typedef enum {
	ROW_SENDING, /* Send not answered yet */
	ROW_WAITING, /* the broker took it: the trusted dialog asks */
	ROW_COPYING, /* progress reported */
	ROW_DONE,
} RowState;

typedef struct {
	ClTransferWindow *window; /* not a reference: rows live as long as the window */
	char *id;                 /* the broker's request id, once known */
	RowState state;
	char *outcome; /* delivered, denied, failed */
	GtkWidget *progress;
	GtkWidget *status;
} Row;

typedef struct {
	char *outcome;
	char *detail;
} Orphan;

struct _ClTransferWindow {
	GtkWindow parent;

	ClTransferClient *client;
	gulong progress_handler;
	gulong finished_handler;
	GCancellable *cancellable; /* the pending Send calls; cancelled on dispose */

	GtkWidget *summary;
	GtkWidget *scrolled;
	GtkWidget *rows_box;
	GPtrArray *rows;     /* of Row */
	GHashTable *by_id;   /* id → Row (not owned) */
	GHashTable *orphans; /* id → Orphan: Finished before our Send reply */
	guint refused_extra; /* paths beyond CL_TRANSFER_CLIENT_MAX_FILES */
	GtkWidget *extra_label;

	guint delivered, denied, failed;
	gboolean done_emitted;
	gboolean hidden_by_user; /* closed while running: destroyed once done */
};

enum { SIGNAL_DONE, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_TYPE(ClTransferWindow, cl_transfer_window, GTK_TYPE_WINDOW)

static void row_free(Row *row)
{
	if (!row)
		return;
	g_free(row->id);
	g_free(row->outcome);
	g_free(row);
}

static void orphan_free(Orphan *o)
{
	if (!o)
		return;
	g_free(o->outcome);
	g_free(o->detail);
	g_free(o);
}

/* ---- what is shown --------------------------------------------------------- */

/* Characters that would hide or disguise the rest of a name. */
static gboolean must_escape(gunichar c)
{
	switch (g_unichar_type(c)) {
	case G_UNICODE_CONTROL:
	case G_UNICODE_FORMAT: /* bidi overrides, zero-width characters */
	case G_UNICODE_LINE_SEPARATOR:
	case G_UNICODE_PARAGRAPH_SEPARATOR:
	case G_UNICODE_UNASSIGNED:
	case G_UNICODE_SURROGATE:
	case G_UNICODE_PRIVATE_USE:
		return TRUE;
	default:
		return FALSE;
	}
}

/*
 * A file name as the cage gave it (any bytes), shown unambiguously: valid
 * printable UTF-8 as is, a backslash doubled, \n \t \r, other control or
 * format characters as \u{XXXX}, invalid bytes as \xNN.  At most max bytes
 * of the name are shown, then an ellipsis.
 */
static char *display_name(const char *name, size_t max)
{
	size_t len = strlen(name);
	GString *out = g_string_sized_new(MIN(len, max) + 8);
	const char *p = name, *end = name + MIN(len, max);

	while (p < end) {
		gunichar c = g_utf8_get_char_validated(p, end - p);

		if (c == (gunichar)-1 || c == (gunichar)-2) {
			g_string_append_printf(out, "\\x%02x", (unsigned char)*p);
			p++;
			continue;
		}
		if (c == '\\')
			g_string_append(out, "\\\\");
		else if (c == '\n')
			g_string_append(out, "\\n");
		else if (c == '\t')
			g_string_append(out, "\\t");
		else if (c == '\r')
			g_string_append(out, "\\r");
		else if (must_escape(c))
			g_string_append_printf(out, "\\u{%04x}", c);
		else
			g_string_append_len(out, p, g_utf8_next_char(p) - p);
		p = g_utf8_next_char(p);
	}
	if (len > max)
		g_string_append(out, "…");
	return g_string_free(out, FALSE);
}

static char *base_name(const char *path)
{
	const char *end = path + strlen(path), *start;

	while (end > path + 1 && end[-1] == '/')
		end--;
	start = end;
	while (start > path && start[-1] != '/')
		start--;
	if (start == end) /* "/" or "" */
		return g_strdup(path);
	return g_strndup(start, end - start);
}

/* Black or white text, whichever reads better on colour ("#rrggbb", checked by the client). */
static void badge_attributes(GtkLabel *label, const char *colour)
{
	PangoAttrList *attrs = pango_attr_list_new();
	PangoColor bg;

	if (pango_color_parse(&bg, colour)) {
		/* Relative luminance, roughly: 0.299 R + 0.587 G + 0.114 B. */
		double y = (0.299 * bg.red + 0.587 * bg.green + 0.114 * bg.blue) / 65535.0;
		guint16 fg = y > 0.55 ? 0 : 65535;

		pango_attr_list_insert(attrs, pango_attr_background_new(bg.red, bg.green, bg.blue));
		pango_attr_list_insert(attrs, pango_attr_foreground_new(fg, fg, fg));
	}
	pango_attr_list_insert(attrs, pango_attr_weight_new(PANGO_WEIGHT_BOLD));
	gtk_label_set_attributes(label, attrs);
	pango_attr_list_unref(attrs);
}

static GtkWidget *plain_label(const char *text)
{
	GtkWidget *label = gtk_label_new(NULL);

	gtk_label_set_use_markup(GTK_LABEL(label), FALSE);
	gtk_label_set_use_underline(GTK_LABEL(label), FALSE);
	gtk_label_set_text(GTK_LABEL(label), text);
	gtk_label_set_xalign(GTK_LABEL(label), 0);
	return label;
}

/* " label " on its colour, so the colour shows around it. */
GtkWidget *cl_transfer_target_badge_new(const ClTransferTarget *target)
{
	g_autofree char *text = NULL, *tip = NULL;
	GtkWidget *label;

	if (!target)
		return plain_label(_("the trusted dialog asks"));
	text = g_strdup_printf(" %s ", target->label);
	label = plain_label(text);
	badge_attributes(GTK_LABEL(label), target->colour);
	/* TRANSLATORS: tooltip of a target's label: the cage's id. */
	tip = g_strdup_printf(_("cage %s"), target->cage);
	gtk_widget_set_tooltip_text(label, tip);
	return label;
}

static void update_summary(ClTransferWindow *w)
{
	guint total = w->rows->len + w->refused_extra;
	guint finished = w->delivered + w->denied + w->failed;
	g_autofree char *text = NULL;

	if (finished < total)
		text = g_strdup_printf(
		        g_dngettext(GETTEXT_PACKAGE, "Sending %u document: %u of %u finished",
		                    "Sending %u documents: %u of %u finished", total),
		        total, finished, total);
	else
		/* TRANSLATORS: the counts of documents delivered, denied, failed. */
		text = g_strdup_printf(_("Done: %u delivered, %u denied, %u failed"), w->delivered,
		                       w->denied, w->failed);
	gtk_label_set_text(GTK_LABEL(w->summary), text);
}

static void check_done(ClTransferWindow *w)
{
	guint total = w->rows->len + w->refused_extra;

	update_summary(w);
	if (w->done_emitted || total == 0 || w->delivered + w->denied + w->failed < total)
		return;
	w->done_emitted = TRUE;
	g_object_ref(w);
	g_signal_emit(w, signals[SIGNAL_DONE], 0, w->delivered, w->denied, w->failed);
	if (w->hidden_by_user)
		gtk_window_destroy(GTK_WINDOW(w));
	g_object_unref(w);
}

/*
 * The outcome line: two lines whatever the text (wrapped, then ellipsized,
 * the whole text as tooltip), so the window never has to grow once mapped
 * (compositors keep a mapped window's size).
 */
static GtkWidget *status_label(void)
{
	GtkWidget *label = plain_label("-\n-");
	int two_lines = 0;

	gtk_label_set_wrap(GTK_LABEL(label), TRUE);
	gtk_label_set_wrap_mode(GTK_LABEL(label), PANGO_WRAP_WORD_CHAR);
	gtk_label_set_ellipsize(GTK_LABEL(label), PANGO_ELLIPSIZE_END);
	gtk_label_set_lines(GTK_LABEL(label), 2);
	gtk_label_set_width_chars(GTK_LABEL(label), 48);
	gtk_label_set_max_width_chars(GTK_LABEL(label), 60);
	gtk_label_set_yalign(GTK_LABEL(label), 0);
	gtk_widget_measure(label, GTK_ORIENTATION_VERTICAL, -1, NULL, &two_lines, NULL, NULL);
	gtk_widget_set_size_request(label, -1, two_lines);
	return label;
}

static void set_status(Row *row, const char *text)
{
	gtk_label_set_text(GTK_LABEL(row->status), text);
	gtk_widget_set_tooltip_text(row->status, text);
}

static void row_finish(Row *row, const char *outcome, const char *detail)
{
	ClTransferWindow *w = row->window;
	g_autofree char *text = NULL;
	const char *css;

	if (row->state == ROW_DONE)
		return;
	row->state = ROW_DONE;
	row->outcome = g_strdup(outcome);
	if (strcmp(outcome, "delivered") == 0) {
		w->delivered++;
		css = "success";
		text = *detail ? g_strdup_printf(_("Delivered: %s"), detail)
		               : g_strdup(_("Delivered"));
		gtk_progress_bar_set_fraction(GTK_PROGRESS_BAR(row->progress), 1.0);
	} else if (strcmp(outcome, "denied") == 0) {
		w->denied++;
		css = "warning";
		text = *detail ? g_strdup_printf(_("Denied: %s"), detail) : g_strdup(_("Denied"));
		gtk_widget_set_opacity(row->progress, 0); /* same layout: no resize */
	} else {
		w->failed++;
		css = "error";
		text = *detail ? g_strdup_printf(_("Failed: %s"), detail) : g_strdup(_("Failed"));
		gtk_widget_set_opacity(row->progress, 0); /* same layout: no resize */
	}
	set_status(row, text);
	gtk_widget_add_css_class(row->status, css);
	check_done(w);
}

/* ---- the broker ------------------------------------------------------------ */

static void handle_progress(ClTransferClient *client, const char *id, guint64 done, guint64 total,
                            gpointer user_data)
{
	ClTransferWindow *w = user_data;
	Row *row = g_hash_table_lookup(w->by_id, id);
	g_autofree char *done_text = NULL, *total_text = NULL, *text = NULL;

	(void)client;
	if (!row || row->state == ROW_DONE)
		return;
	row->state = ROW_COPYING;
	gtk_progress_bar_set_fraction(GTK_PROGRESS_BAR(row->progress),
	                              total ? (double)done / (double)total : 0.0);
	done_text = g_format_size(done);
	total_text = g_format_size(total);
	/* TRANSLATORS: bytes copied so far, of the total. */
	text = g_strdup_printf(_("Copying: %s of %s"), done_text, total_text);
	set_status(row, text);
}

static void handle_finished(ClTransferClient *client, const char *id, const char *outcome,
                            const char *detail, gpointer user_data)
{
	ClTransferWindow *w = user_data;
	Row *row = g_hash_table_lookup(w->by_id, id);

	(void)client;
	if (row) {
		row_finish(row, outcome, detail);
		return;
	}
	/* One of ours whose Send reply has not reached us yet: kept for it. */
	if (g_hash_table_size(w->orphans) < MAX_ORPHANS) {
		Orphan *o = g_new0(Orphan, 1);

		o->outcome = g_strdup(outcome);
		o->detail = g_strdup(detail);
		g_hash_table_replace(w->orphans, g_strdup(id), o);
	}
}

static void sent(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *id =
	        cl_transfer_client_send_finish(CL_TRANSFER_CLIENT(source), result, &error);
	Row *row = user_data;
	Orphan *orphan;

	/* Cancelled: the window is gone, and row with it. */
	if (!id && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	if (!id) {
		/* The broker's refusal may quote the cage's path: shown escaped too. */
		g_autofree char *why = display_name(error->message, CL_TRANSFER_CLIENT_MAX_TEXT);

		row_finish(row, "failed", why);
		return;
	}
	row->id = g_steal_pointer(&id);
	g_hash_table_replace(row->window->by_id, row->id, row);
	orphan = g_hash_table_lookup(row->window->orphans, row->id);
	if (orphan) {
		g_autofree char *outcome = g_strdup(orphan->outcome);
		g_autofree char *detail = g_strdup(orphan->detail);

		g_hash_table_remove(row->window->orphans, row->id);
		row_finish(row, outcome, detail);
		return;
	}
	if (row->state == ROW_SENDING) {
		row->state = ROW_WAITING;
		set_status(row, _("Waiting for your decision on the trusted dialog…"));
	}
}

static void add_row(ClTransferWindow *w, const char *path, const ClTransferTarget *target,
                    gboolean move)
{
	Row *row = g_new0(Row, 1);
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
	GtkWidget *line = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
	g_autofree char *base = base_name(path);
	g_autofree char *name = display_name(base, NAME_MAX_SHOWN);
	g_autofree char *full = display_name(path, 4 * NAME_MAX_SHOWN);
	GtkWidget *name_label = plain_label(name), *arrow;

	row->window = w;
	g_ptr_array_add(w->rows, row);

	gtk_label_set_ellipsize(GTK_LABEL(name_label), PANGO_ELLIPSIZE_MIDDLE);
	gtk_label_set_width_chars(GTK_LABEL(name_label), 24);
	gtk_widget_set_hexpand(name_label, TRUE);
	gtk_widget_set_tooltip_text(name_label, full);
	gtk_box_append(GTK_BOX(line), name_label);
	/* TRANSLATORS: between a file's name and its destination ("moved to", "copied to"). */
	arrow = plain_label(move ? _("moved to") : _("copied to"));
	gtk_widget_add_css_class(arrow, "dim-label");
	gtk_box_append(GTK_BOX(line), arrow);
	gtk_box_append(GTK_BOX(line), cl_transfer_target_badge_new(target));
	gtk_box_append(GTK_BOX(box), line);

	row->progress = gtk_progress_bar_new();
	gtk_box_append(GTK_BOX(box), row->progress);
	row->status = status_label();
	set_status(row, _("Sending to the transfer broker…"));
	gtk_box_append(GTK_BOX(box), row->status);
	if (w->rows->len > 1)
		gtk_box_append(GTK_BOX(w->rows_box), gtk_separator_new(GTK_ORIENTATION_HORIZONTAL));
	if (w->rows->len == SCROLL_AFTER + 1) {
		gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(w->scrolled), GTK_POLICY_NEVER,
		                               GTK_POLICY_AUTOMATIC);
		gtk_scrolled_window_set_min_content_height(GTK_SCROLLED_WINDOW(w->scrolled), 360);
	}
	gtk_box_append(GTK_BOX(w->rows_box), box);

	cl_transfer_client_send_async(w->client, path, target ? target->cage : "", move,
	                              w->cancellable, sent, row);
}

void cl_transfer_window_send(ClTransferWindow *window, const char *const *paths,
                             const ClTransferTarget *target, gboolean move)
{
	guint refused = 0;

	g_return_if_fail(CL_IS_TRANSFER_WINDOW(window));
	for (size_t i = 0; paths && paths[i]; i++) {
		if (window->rows->len >= CL_TRANSFER_CLIENT_MAX_FILES) {
			refused++;
			continue;
		}
		add_row(window, paths[i], target, move);
	}
	if (refused) {
		g_autofree char *text = NULL;

		window->refused_extra += refused;
		window->failed += refused;
		text = g_strdup_printf(
		        g_dngettext(GETTEXT_PACKAGE,
		                    "%u more document was not sent: at most %u at a time",
		                    "%u more documents were not sent: at most %u at a time",
		                    window->refused_extra),
		        window->refused_extra, (guint)CL_TRANSFER_CLIENT_MAX_FILES);
		if (!window->extra_label) {
			window->extra_label = plain_label("");
			gtk_widget_add_css_class(window->extra_label, "error");
			gtk_box_append(GTK_BOX(window->rows_box), window->extra_label);
		}
		gtk_label_set_text(GTK_LABEL(window->extra_label), text);
	}
	check_done(window);
	if (!window->hidden_by_user)
		gtk_window_present(GTK_WINDOW(window));
}

void cl_transfer_window_counts(ClTransferWindow *window, guint *running, guint *delivered,
                               guint *denied, guint *failed)
{
	g_return_if_fail(CL_IS_TRANSFER_WINDOW(window));
	if (running)
		*running = window->rows->len + window->refused_extra - window->delivered -
		           window->denied - window->failed;
	if (delivered)
		*delivered = window->delivered;
	if (denied)
		*denied = window->denied;
	if (failed)
		*failed = window->failed;
}

/* ---- the window ------------------------------------------------------------ */

/* Closing while transfers run hides the window; it goes once they are done. */
static gboolean handle_close_request(GtkWindow *gtk_window, gpointer user_data)
{
	ClTransferWindow *w = CL_TRANSFER_WINDOW(gtk_window);
	guint running = 0;

	(void)user_data;
	cl_transfer_window_counts(w, &running, NULL, NULL, NULL);
	if (running == 0)
		return FALSE;
	w->hidden_by_user = TRUE;
	gtk_widget_set_visible(GTK_WIDGET(w), FALSE);
	return TRUE;
}

static void handle_close_clicked(GtkButton *button, gpointer user_data)
{
	(void)button;
	gtk_window_close(GTK_WINDOW(user_data));
}

static void cl_transfer_window_dispose(GObject *object)
{
	ClTransferWindow *w = CL_TRANSFER_WINDOW(object);

	if (w->cancellable)
		g_cancellable_cancel(w->cancellable);
	g_clear_object(&w->cancellable);
	if (w->client) {
		g_clear_signal_handler(&w->progress_handler, w->client);
		g_clear_signal_handler(&w->finished_handler, w->client);
		g_clear_object(&w->client);
	}
	G_OBJECT_CLASS(cl_transfer_window_parent_class)->dispose(object);
}

static void cl_transfer_window_finalize(GObject *object)
{
	ClTransferWindow *w = CL_TRANSFER_WINDOW(object);

	g_hash_table_unref(w->by_id);
	g_hash_table_unref(w->orphans);
	g_ptr_array_unref(w->rows);
	G_OBJECT_CLASS(cl_transfer_window_parent_class)->finalize(object);
}

static void cl_transfer_window_class_init(ClTransferWindowClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = cl_transfer_window_dispose;
	object_class->finalize = cl_transfer_window_finalize;
	signals[SIGNAL_DONE] =
	        g_signal_new("done", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
	                     NULL, G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_UINT);
}

static void cl_transfer_window_init(ClTransferWindow *w)
{
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 10);
	GtkWidget *scrolled = gtk_scrolled_window_new();
	GtkWidget *buttons = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
	GtkWidget *close = gtk_button_new_with_label(_("Close"));

	w->rows = g_ptr_array_new_with_free_func((GDestroyNotify)row_free);
	w->by_id = g_hash_table_new(g_str_hash, g_str_equal);
	w->orphans =
	        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)orphan_free);
	w->cancellable = g_cancellable_new();

	gtk_window_set_title(GTK_WINDOW(w), _("Transfer to another level"));
	gtk_window_set_default_size(GTK_WINDOW(w), 480, -1);
	gtk_widget_set_margin_start(box, 16);
	gtk_widget_set_margin_end(box, 16);
	gtk_widget_set_margin_top(box, 14);
	gtk_widget_set_margin_bottom(box, 14);

	w->summary = plain_label("");
	gtk_widget_add_css_class(w->summary, "heading");
	gtk_box_append(GTK_BOX(box), w->summary);

	w->rows_box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 8);
	/* No vertical scrolling for a few rows: the window then fits wrapped
	 * outcomes exactly; more rows scroll (add_row). */
	gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scrolled), GTK_POLICY_NEVER,
	                               GTK_POLICY_NEVER);
	w->scrolled = scrolled;
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scrolled), w->rows_box);
	gtk_widget_set_vexpand(scrolled, TRUE);
	gtk_box_append(GTK_BOX(box), scrolled);

	gtk_widget_set_halign(buttons, GTK_ALIGN_END);
	g_signal_connect(close, "clicked", G_CALLBACK(handle_close_clicked), w);
	gtk_box_append(GTK_BOX(buttons), close);
	gtk_box_append(GTK_BOX(box), buttons);
	gtk_window_set_child(GTK_WINDOW(w), box);
	g_signal_connect(w, "close-request", G_CALLBACK(handle_close_request), NULL);
	update_summary(w);
}

ClTransferWindow *cl_transfer_window_new(ClTransferClient *client, GtkWindow *parent)
{
	ClTransferWindow *w;

	g_return_val_if_fail(CL_IS_TRANSFER_CLIENT(client), NULL);
	w = g_object_new(CL_TYPE_TRANSFER_WINDOW, NULL);
	w->client = g_object_ref(client);
	w->progress_handler = g_signal_connect(client, "progress", G_CALLBACK(handle_progress), w);
	w->finished_handler = g_signal_connect(client, "finished", G_CALLBACK(handle_finished), w);
	if (parent)
		gtk_window_set_transient_for(GTK_WINDOW(w), parent);
	return w;
}
