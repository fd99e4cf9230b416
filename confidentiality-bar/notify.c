/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Notifications: org.cloison.NotifyDisplay1 of cloison-notifyd on the core
 * bus (common/security-events.h).  The open popups are shown in one
 * toplevel given to the compositor with set_notification (top-right corner,
 * core frame, above every cage window); the notification area of the bar
 * counts the unread security events and opens the history, a trusted
 * dialog.  See docs/bar.md, "Notifications".
 *
 * Signals are taken only from the current owner of org.cloison.Notify1,
 * followed with a name watch: when notifyd (re)appears the bar asks List()
 * and UnreadSecurity(), so a restarted bar or notifyd shows the open popups
 * again; when it vanishes, its popups go.
 */
#include "cloison-build-config.h"
#include "bar.h"

#include <string.h>

#include "i18n.h"
#include "log.h"
#include "security-events.h"

#define CALL_MS        10000
#define MAX_VISIBLE    3   /* popups shown at once; the rest are counted */
#define POPUP_WIDTH    360 /* the popups' toplevel, in pixels */
#define SUMMARY_CHARS  80
#define BODY_CHARS     300
#define HEADER_CHARS   60
#define ACTION_CHARS   24
#define HISTORY_WIDTH  460
#define HISTORY_HEIGHT 420

struct ClBarNotify {
	ClBar *bar;
	GDBusConnection *bus;
	GCancellable *cancel;
	guint watch;
	guint subscription;
	char *owner; /* unique name of notifyd; NULL while absent */
	ClBarNotifications *open;
	guint unread;
	guint rebuild_idle;
	bool shell_too_old;
	GtkWidget *window;  /* the popups' toplevel, NULL when there is none */
	GtkWidget *history; /* the history dialog, NULL when closed */
	GtkWidget *history_list;
	GtkCssProvider *css; /* level colours for cage popups */
};

static const struct {
	const char *category;
	const char *text;
} category_names[] = {
        {CL_EVENT_TRANSFER_REQUESTED, N_("transfer requested")},
        {CL_EVENT_TRANSFER_APPROVED, N_("transfer approved")},
        {CL_EVENT_TRANSFER_DENIED, N_("transfer denied")},
        {CL_EVENT_TRANSFER_FAILED, N_("transfer failed")},
        {CL_EVENT_TRANSFER_EXPIRED, N_("transfer expired")},
        {CL_EVENT_CAGE_STARTED, N_("cage started")},
        {CL_EVENT_CAGE_STOPPED, N_("cage stopped")},
        {CL_EVENT_CAGE_CRASHED, N_("cage crashed")},
        {CL_EVENT_CAGE_SECCOMP, N_("process killed by seccomp")},
        {CL_EVENT_PROTOCOL_ERROR, N_("client disconnected (protocol error)")},
        {CL_EVENT_HIDDEN_PROTOCOL, N_("hidden protocol refused")},
        {CL_EVENT_LIMIT, N_("limit reached")},
        {CL_EVENT_CONFIG_ERROR, N_("configuration error")},
        {CL_EVENT_SERVICE_RESTART, N_("service restarted")},
};

static const char *category_text(const char *category)
{
	for (size_t i = 0; i < G_N_ELEMENTS(category_names); i++)
		if (strcmp(category_names[i].category, category) == 0)
			return _(category_names[i].text);
	return category; /* validated by the model: [a-z0-9._-] */
}

static const char *severity_text(const char *severity)
{
	if (strcmp(severity, CL_SEVERITY_CRITICAL) == 0)
		return _("critical");
	if (strcmp(severity, CL_SEVERITY_WARNING) == 0)
		return _("warning");
	return _("information");
}

/* ---- Drawing ---- */

typedef struct {
	ClBarStyle style;
	ClBarPattern pattern;
	uint32_t colour;
} BandData;

/* The band on the popup's left: the level's pattern, the core hatch, or grey. */
static void draw_band(GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
	BandData *band = data;

	switch (band->style) {
	case CL_BAR_STYLE_CAGE:
		cl_bar_draw_pattern(cr, band->pattern, band->colour, width, height);
		break;
	case CL_BAR_STYLE_SECURITY:
		cl_bar_draw_core_hatch(cr, width, height);
		break;
	case CL_BAR_STYLE_CORE:
	default:
		cairo_set_source_rgb(cr, 0.55, 0.55, 0.55);
		cairo_paint(cr);
		break;
	}
}

/* The level of a cage notification as the compositor announced it, if known. */
static void note_level(ClBarNotify *n, const ClBarNotification *note, const char **label,
                       uint32_t *colour, int *index)
{
	const ClBarLevel *level = cl_bar_model_get_level(n->bar->model, note->level);

	*label = level ? level->label : note->label;
	*colour = level ? level->colour : note->colour;
	*index = cl_bar_model_level_index(n->bar->model, note->level);
}

/* A plain-text label: never markup, cut, wrapped when LINES > 1. */
static GtkWidget *text_label(const char *text, size_t max_chars, int lines, const char *css_class)
{
	g_autofree char *shown = cl_bar_display_text(text, max_chars);
	GtkWidget *label = gtk_label_new(NULL);

	gtk_label_set_use_markup(GTK_LABEL(label), FALSE);
	gtk_label_set_text(GTK_LABEL(label), shown);
	gtk_label_set_xalign(GTK_LABEL(label), 0);
	gtk_label_set_ellipsize(GTK_LABEL(label), PANGO_ELLIPSIZE_END);
	if (lines > 1) {
		gtk_label_set_wrap(GTK_LABEL(label), TRUE);
		gtk_label_set_wrap_mode(GTK_LABEL(label), PANGO_WRAP_WORD_CHAR);
		gtk_label_set_lines(GTK_LABEL(label), lines);
	}
	gtk_label_set_max_width_chars(GTK_LABEL(label), 40);
	gtk_widget_set_hexpand(label, TRUE);
	if (css_class)
		gtk_widget_add_css_class(label, css_class);
	return label;
}

/* The header: "[Label] app-name", "Security · severity · category" or the app name. */
static char *note_header(ClBarNotify *n, const ClBarNotification *note)
{
	const char *label;
	uint32_t colour;
	int index;

	switch (note->style) {
	case CL_BAR_STYLE_CAGE:
		note_level(n, note, &label, &colour, &index);
		return g_strdup_printf(_("[%s] %s"), label,
		                       note->app_name[0] ? note->app_name : note->cage);
	case CL_BAR_STYLE_SECURITY:
		if (note->cage[0])
			return g_strdup_printf(_("Security · %s · %s · cage %s"),
			                       severity_text(note->severity),
			                       category_text(note->category), note->cage);
		return g_strdup_printf(_("Security · %s · %s"), severity_text(note->severity),
		                       category_text(note->category));
	case CL_BAR_STYLE_CORE:
	default:
		return g_strdup(note->app_name[0] ? note->app_name : _("Cloison"));
	}
}

static void handle_action_clicked(GtkButton *button, gpointer data);
static void handle_dismiss_clicked(GtkButton *button, gpointer data);

/*
 * One notification drawn in its style.  INTERACTIVE: with its action buttons
 * and a Dismiss button (open popups); TIME: with its time (history).
 */
static GtkWidget *note_widget_new(ClBarNotify *n, const ClBarNotification *note, bool interactive,
                                  bool with_time)
{
	GtkWidget *frame = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
	GtkWidget *band = gtk_drawing_area_new();
	GtkWidget *content = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
	GtkWidget *head = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	BandData *bd = g_new0(BandData, 1);
	g_autofree char *header = note_header(n, note);
	g_autofree char *header_time = NULL;
	const char *label;
	uint32_t colour = 0;
	int index = -1;

	gtk_widget_add_css_class(frame, "cl-note");
	bd->style = note->style;
	switch (note->style) {
	case CL_BAR_STYLE_CAGE: {
		g_autofree char *cls = NULL;

		note_level(n, note, &label, &colour, &index);
		bd->pattern = cl_bar_pattern_for_index(index);
		bd->colour = colour;
		/* Known levels have a class with their colours (notify_css); an
		 * unknown one keeps the neutral face with its band. */
		cls = g_strdup_printf("cl-note-level-%d", index);
		gtk_widget_add_css_class(frame, "cl-note-cage");
		if (index >= 0)
			gtk_widget_add_css_class(frame, cls);
		break;
	}
	case CL_BAR_STYLE_SECURITY:
		gtk_widget_add_css_class(frame, "cl-note-security");
		break;
	case CL_BAR_STYLE_CORE:
	default:
		gtk_widget_add_css_class(frame, "cl-note-core");
		break;
	}
	gtk_drawing_area_set_content_width(GTK_DRAWING_AREA(band), 14);
	gtk_drawing_area_set_draw_func(GTK_DRAWING_AREA(band), draw_band, bd, g_free);
	gtk_box_append(GTK_BOX(frame), band);

	gtk_widget_add_css_class(content, "cl-note-content");
	gtk_widget_set_hexpand(content, TRUE);
	if (with_time && note->time_us > 0) {
		g_autoptr(GDateTime) t =
		        g_date_time_new_from_unix_local(note->time_us / G_USEC_PER_SEC);
		g_autofree char *hm = t ? g_date_time_format(t, "%H:%M") : NULL;

		if (hm)
			header_time = g_strdup_printf("%s  %s", hm, header);
	}
	gtk_box_append(GTK_BOX(head), text_label(header_time ? header_time : header, HEADER_CHARS,
	                                         1, "cl-note-header"));
	if (interactive) {
		GtkWidget *close = gtk_button_new_with_label("×");

		gtk_widget_set_tooltip_text(close, _("Dismiss"));
		gtk_accessible_update_property(GTK_ACCESSIBLE(close), GTK_ACCESSIBLE_PROPERTY_LABEL,
		                               _("Dismiss"), -1);
		gtk_widget_add_css_class(close, "cl-note-close");
		g_object_set_data(G_OBJECT(close), "cl-note-id", GUINT_TO_POINTER(note->id));
		g_signal_connect(close, "clicked", G_CALLBACK(handle_dismiss_clicked), n);
		gtk_box_append(GTK_BOX(head), close);
	}
	gtk_box_append(GTK_BOX(content), head);
	if (note->summary[0])
		gtk_box_append(GTK_BOX(content),
		               text_label(note->summary, SUMMARY_CHARS, 2, "cl-note-summary"));
	if (note->body[0])
		gtk_box_append(GTK_BOX(content), text_label(note->body, BODY_CHARS, 4, NULL));
	if (interactive && note->actions->len > 0) {
		GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 4);

		for (guint i = 0; i < note->actions->len; i++) {
			const ClBarAction *a = g_ptr_array_index(note->actions, i);
			g_autofree char *text =
			        cl_bar_display_text(a->label[0] ? a->label : a->key, ACTION_CHARS);
			GtkWidget *b = gtk_button_new_with_label(text);

			gtk_label_set_use_markup(GTK_LABEL(gtk_button_get_child(GTK_BUTTON(b))),
			                         FALSE);
			gtk_widget_add_css_class(b, "cl-note-action");
			g_object_set_data(G_OBJECT(b), "cl-note-id", GUINT_TO_POINTER(note->id));
			g_object_set_data_full(G_OBJECT(b), "cl-note-key", g_strdup(a->key),
			                       g_free);
			g_signal_connect(b, "clicked", G_CALLBACK(handle_action_clicked), n);
			gtk_box_append(GTK_BOX(row), b);
		}
		gtk_box_append(GTK_BOX(content), row);
	}
	gtk_box_append(GTK_BOX(frame), content);
	return frame;
}

/* The colours of cage popups, one class per level of the session. */
static void update_css(ClBarNotify *n)
{
	GString *css = g_string_new(NULL);

	for (guint i = 0; i < n->bar->model->levels->len; i++) {
		const ClBarLevel *level = g_ptr_array_index(n->bar->model->levels, i);

		g_string_append_printf(css,
		                       ".cl-note.cl-note-level-%u { background: #%06x;"
		                       " color: #%06x; }\n",
		                       i, level->colour, cl_bar_contrast_colour(level->colour));
	}
	gtk_css_provider_load_from_data(n->css, css->str, -1);
	g_string_free(css, TRUE);
}

/* ---- The popups' toplevel ---- */

static void call(ClBarNotify *n, const char *method, GVariant *params);

static gboolean handle_popups_key(GtkEventControllerKey *controller, guint keyval, guint keycode,
                                  GdkModifierType state, gpointer data)
{
	ClBarNotify *n = data;

	if (keyval != GDK_KEY_Escape)
		return FALSE;
	cl_bar_release_focus(n->bar);
	return TRUE;
}

static void handle_action_clicked(GtkButton *button, gpointer data)
{
	ClBarNotify *n = data;
	uint32_t id = GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(button), "cl-note-id"));
	const char *key = g_object_get_data(G_OBJECT(button), "cl-note-key");

	if (!cl_bar_notifications_get(n->open, id) || !key)
		return;
	cl_info("notification %u: action %s chosen", id, key);
	call(n, "InvokeAction", g_variant_new("(us)", id, key));
	/* The click gave the popups the keyboard: give it back. */
	cl_bar_release_focus(n->bar);
}

static void handle_dismiss_clicked(GtkButton *button, gpointer data)
{
	ClBarNotify *n = data;
	uint32_t id = GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(button), "cl-note-id"));

	if (!cl_bar_notifications_get(n->open, id))
		return;
	cl_info("notification %u: dismissed", id);
	call(n, "Dismiss", g_variant_new("(u)", id));
	cl_bar_release_focus(n->bar);
}

static void destroy_popups(ClBarNotify *n)
{
	GtkWidget *window = n->window;

	n->window = NULL;
	if (window)
		gtk_window_destroy(GTK_WINDOW(window));
}

/*
 * The popups' toplevel is made anew whenever the shown set changes: GTK 4
 * never shrinks a toplevel to its content, and a new one gets exactly the
 * size of what it shows.
 */
static void rebuild_popups(ClBarNotify *n)
{
	GtkWidget *window, *box;
	guint len = cl_bar_notifications_length(n->open);
	GtkEventController *keys;

	destroy_popups(n);
	if (len == 0 || n->shell_too_old)
		return;
	window = gtk_window_new();
	gtk_window_set_application(GTK_WINDOW(window), n->bar->app);
	gtk_window_set_title(GTK_WINDOW(window), _("Cloison — notifications"));
	gtk_window_set_resizable(GTK_WINDOW(window), FALSE);
	gtk_widget_set_size_request(window, POPUP_WIDTH, -1);
	if (!cl_bar_make_notification_window(n->bar, GTK_WINDOW(window))) {
		cl_warn("the compositor's zcloison_shell_v1 is older than version 2: "
		        "notification popups are not shown (the history still is)");
		n->shell_too_old = true;
		gtk_window_destroy(GTK_WINDOW(window));
		return;
	}
	update_css(n);
	box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
	gtk_widget_add_css_class(box, "cl-notes");
	/* Newest first: the list is kept that way. */
	for (guint i = 0; i < len && i < MAX_VISIBLE; i++)
		gtk_box_append(
		        GTK_BOX(box),
		        note_widget_new(n, g_ptr_array_index(n->open->items, i), true, false));
	if (len > MAX_VISIBLE) {
		g_autofree char *more =
		        g_strdup_printf(g_dngettext(GETTEXT_PACKAGE, "+%u more notification",
		                                    "+%u more notifications", len - MAX_VISIBLE),
		                        len - MAX_VISIBLE);
		GtkWidget *label = gtk_label_new(more);

		gtk_widget_add_css_class(label, "cl-notes-more");
		gtk_label_set_xalign(GTK_LABEL(label), 0);
		gtk_box_append(GTK_BOX(box), label);
	}
	gtk_window_set_child(GTK_WINDOW(window), box);
	keys = gtk_event_controller_key_new();
	g_signal_connect(keys, "key-pressed", G_CALLBACK(handle_popups_key), n);
	gtk_widget_add_controller(window, keys);
	n->window = window;
	gtk_window_present(GTK_WINDOW(window));
}

static void request_history(ClBarNotify *n);

static gboolean handle_rebuild_idle(gpointer data)
{
	ClBarNotify *n = data;

	n->rebuild_idle = 0;
	rebuild_popups(n);
	if (n->history)
		request_history(n);
	return G_SOURCE_REMOVE;
}

/* Changes are shown once per main loop iteration (a burst is one rebuild). */
static void schedule_rebuild(ClBarNotify *n)
{
	if (!n->rebuild_idle)
		n->rebuild_idle = g_idle_add(handle_rebuild_idle, n);
}

/* ---- The history dialog ---- */

static gint compare_notes(gconstpointer a, gconstpointer b)
{
	const ClBarNotification *x = *(ClBarNotification *const *)a;
	const ClBarNotification *y = *(ClBarNotification *const *)b;

	if (x->time_us != y->time_us)
		return x->time_us < y->time_us ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Validated notifications of ENTRIES (aa{sv}), oldest first; bad ones logged. */
static GPtrArray *parse_notes(GVariant *entries, const char *what)
{
	GPtrArray *notes = g_ptr_array_new_with_free_func((GDestroyNotify)cl_bar_notification_free);
	gsize len = g_variant_n_children(entries);

	for (gsize i = 0; i < len && i < 2 * CL_NOTIFY_HISTORY; i++) {
		g_autoptr(GVariant) dict = g_variant_get_child_value(entries, i);
		g_autoptr(GError) error = NULL;
		ClBarNotification *note = cl_bar_notification_new(dict, &error);

		if (note)
			g_ptr_array_add(notes, note);
		else
			cl_warn("%s: ignoring an entry: %s", what, error->message);
	}
	g_ptr_array_sort(notes, compare_notes);
	return notes;
}

static void fill_history(ClBarNotify *n, GPtrArray *notes)
{
	GtkWidget *child;
	guint shown = 0;

	if (!n->history_list)
		return;
	while ((child = gtk_widget_get_first_child(n->history_list)))
		gtk_box_remove(GTK_BOX(n->history_list), child);
	if (notes->len == 0) {
		gtk_box_append(GTK_BOX(n->history_list), gtk_label_new(_("No notifications yet.")));
		return;
	}
	/* Newest first; the open ones keep their actions and Dismiss (keyboard users). */
	for (guint i = notes->len; i-- > 0 && shown < CL_BAR_MAX_HISTORY; shown++) {
		const ClBarNotification *note = g_ptr_array_index(notes, i);
		bool open = cl_bar_notifications_get(n->open, note->id) != NULL;

		gtk_box_append(GTK_BOX(n->history_list), note_widget_new(n, note, open, true));
	}
}

static void handle_history_reply(GObject *source, GAsyncResult *result, gpointer data)
{
	ClBarNotify *n = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
	g_autoptr(GVariant) entries = NULL;
	g_autoptr(GPtrArray) notes = NULL;

	if (!reply) {
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			cl_warn("cannot read the notification history: %s", error->message);
		return;
	}
	entries = g_variant_get_child_value(reply, 0);
	notes = parse_notes(entries, "history");
	fill_history(n, notes);
}

static void request_history(ClBarNotify *n)
{
	if (!n->bus || !n->owner)
		return;
	g_dbus_connection_call(n->bus, n->owner, CL_NOTIFY_PATH, CL_NOTIFY_DISPLAY_IFACE, "History",
	                       NULL, G_VARIANT_TYPE("(aa{sv})"), G_DBUS_CALL_FLAGS_NONE, CALL_MS,
	                       n->cancel, handle_history_reply, n);
}

static void handle_history_destroy(GtkWidget *widget, gpointer data)
{
	ClBarNotify *n = data;

	n->history = NULL;
	n->history_list = NULL;
}

static void handle_history_close(GtkButton *button, gpointer data)
{
	ClBarNotify *n = data;

	if (n->history)
		gtk_window_destroy(GTK_WINDOW(n->history));
}

static gboolean handle_history_key(GtkEventControllerKey *controller, guint keyval, guint keycode,
                                   GdkModifierType state, gpointer data)
{
	ClBarNotify *n = data;

	if (keyval != GDK_KEY_Escape)
		return FALSE;
	if (n->history)
		gtk_window_destroy(GTK_WINDOW(n->history));
	return TRUE;
}

void cl_bar_notify_open_history(ClBarNotify *n)
{
	GtkWidget *box, *title, *scroll, *close;
	GtkEventController *keys;

	if (!n)
		return;
	if (n->history) {
		gtk_window_present(GTK_WINDOW(n->history));
		return;
	}
	update_css(n);
	n->history = gtk_window_new();
	gtk_window_set_application(GTK_WINDOW(n->history), n->bar->app);
	gtk_window_set_title(GTK_WINDOW(n->history), _("Cloison — notification history"));
	gtk_window_set_default_size(GTK_WINDOW(n->history), HISTORY_WIDTH, -1);
	cl_bar_make_dialog(n->bar, GTK_WINDOW(n->history));
	box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 8);
	gtk_widget_set_margin_start(box, 12);
	gtk_widget_set_margin_end(box, 12);
	gtk_widget_set_margin_top(box, 12);
	gtk_widget_set_margin_bottom(box, 12);
	title = gtk_label_new(_("Notification history"));
	gtk_widget_add_css_class(title, "title-2");
	gtk_box_append(GTK_BOX(box), title);
	n->history_list = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
	gtk_widget_add_css_class(n->history_list, "cl-notes");
	scroll = gtk_scrolled_window_new();
	gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scroll), GTK_POLICY_NEVER,
	                               GTK_POLICY_AUTOMATIC);
	gtk_scrolled_window_set_min_content_height(GTK_SCROLLED_WINDOW(scroll), HISTORY_HEIGHT);
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), n->history_list);
	gtk_box_append(GTK_BOX(box), scroll);
	close = gtk_button_new_with_label(_("Close"));
	gtk_widget_set_halign(close, GTK_ALIGN_END);
	g_signal_connect(close, "clicked", G_CALLBACK(handle_history_close), n);
	gtk_box_append(GTK_BOX(box), close);
	gtk_window_set_child(GTK_WINDOW(n->history), box);
	keys = gtk_event_controller_key_new();
	g_signal_connect(keys, "key-pressed", G_CALLBACK(handle_history_key), n);
	gtk_widget_add_controller(n->history, keys);
	g_signal_connect(n->history, "destroy", G_CALLBACK(handle_history_destroy), n);
	gtk_window_set_focus(GTK_WINDOW(n->history), close);
	gtk_window_present(GTK_WINDOW(n->history));
	request_history(n);
	/* The user looks at the history: the security events are seen. */
	call(n, "MarkSeen", NULL);
}

/* ---- D-Bus ---- */

static void handle_call_reply(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autofree char *method = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);

	if (!reply && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		cl_warn("notifyd refused %s: %s", method, error->message);
}

static void call(ClBarNotify *n, const char *method, GVariant *params)
{
	if (!n->bus || !n->owner) {
		if (params)
			g_variant_unref(g_variant_ref_sink(params));
		cl_warn("%s: the notification service is not running", method);
		return;
	}
	g_dbus_connection_call(n->bus, n->owner, CL_NOTIFY_PATH, CL_NOTIFY_DISPLAY_IFACE, method,
	                       params, NULL, G_DBUS_CALL_FLAGS_NONE, CALL_MS, n->cancel,
	                       handle_call_reply, g_strdup(method));
}

static void set_unread(ClBarNotify *n, guint count)
{
	n->unread = count;
	cl_bar_set_unread(n->bar, count, n->owner != NULL);
}

static void add_note(ClBarNotify *n, GVariant *dict)
{
	g_autoptr(GError) error = NULL;
	ClBarNotification *note = cl_bar_notification_new(dict, &error);

	if (!note) {
		cl_warn("ignoring a notification from notifyd: %s", error->message);
		return;
	}
	cl_bar_notifications_add(n->open, note);
	schedule_rebuild(n);
}

static void handle_signal(GDBusConnection *bus, const char *sender, const char *path,
                          const char *iface, const char *signal, GVariant *params, gpointer data)
{
	ClBarNotify *n = data;

	/* Only notifyd, the name's current owner, speaks on this interface. */
	if (!n->owner || g_strcmp0(sender, n->owner) != 0) {
		cl_debug("ignoring %s from %s, not the owner of %s", signal, sender ? sender : "?",
		         CL_NOTIFY_BUS_NAME);
		return;
	}
	if (strcmp(signal, "Shown") == 0 &&
	    g_variant_is_of_type(params, G_VARIANT_TYPE("(a{sv})"))) {
		g_autoptr(GVariant) dict = g_variant_get_child_value(params, 0);

		add_note(n, dict);
	} else if (strcmp(signal, "Closed") == 0 &&
	           g_variant_is_of_type(params, G_VARIANT_TYPE("(uu)"))) {
		guint32 id, reason;

		g_variant_get(params, "(uu)", &id, &reason);
		if (cl_bar_notifications_remove(n->open, id)) {
			cl_debug("notification %u closed (reason %u)", id, reason);
			schedule_rebuild(n);
		}
	} else if (strcmp(signal, "UnreadChanged") == 0 &&
	           g_variant_is_of_type(params, G_VARIANT_TYPE("(u)"))) {
		guint32 count;

		g_variant_get(params, "(u)", &count);
		set_unread(n, count);
	} else {
		cl_debug("ignoring the signal %s of type %s", signal,
		         g_variant_get_type_string(params));
	}
}

static void handle_list_reply(GObject *source, GAsyncResult *result, gpointer data)
{
	ClBarNotify *n = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
	g_autoptr(GVariant) list = NULL;
	g_autoptr(GPtrArray) notes = NULL;

	if (!reply) {
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			cl_warn("cannot list the open notifications: %s", error->message);
		return;
	}
	list = g_variant_get_child_value(reply, 0);
	notes = parse_notes(list, "List");
	/* Oldest first into the list, which puts the newest on top. */
	while (notes->len > 0)
		cl_bar_notifications_add(n->open, g_ptr_array_steal_index(notes, 0));
	schedule_rebuild(n);
}

static void handle_unread_reply(GObject *source, GAsyncResult *result, gpointer data)
{
	ClBarNotify *n = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
	guint32 count;

	if (!reply) {
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			cl_warn("cannot read the unread security events: %s", error->message);
		return;
	}
	g_variant_get(reply, "(u)", &count);
	set_unread(n, count);
}

static void handle_name_appeared(GDBusConnection *bus, const char *name, const char *owner,
                                 gpointer data)
{
	ClBarNotify *n = data;

	g_free(n->owner);
	n->owner = g_strdup(owner);
	cl_info("the notification service is %s", owner);
	set_unread(n, n->unread);
	/* At start and after a restart: what is open now shows (again). */
	g_dbus_connection_call(bus, owner, CL_NOTIFY_PATH, CL_NOTIFY_DISPLAY_IFACE, "List", NULL,
	                       G_VARIANT_TYPE("(aa{sv})"), G_DBUS_CALL_FLAGS_NONE, CALL_MS,
	                       n->cancel, handle_list_reply, n);
	g_dbus_connection_call(bus, owner, CL_NOTIFY_PATH, CL_NOTIFY_DISPLAY_IFACE,
	                       "UnreadSecurity", NULL, G_VARIANT_TYPE("(u)"),
	                       G_DBUS_CALL_FLAGS_NONE, CALL_MS, n->cancel, handle_unread_reply, n);
}

static void handle_name_vanished(GDBusConnection *bus, const char *name, gpointer data)
{
	ClBarNotify *n = data;

	if (n->owner)
		cl_warn("the notification service went away");
	g_clear_pointer(&n->owner, g_free);
	/* Its popups went with it; a restarted notifyd lists what it still has. */
	cl_bar_notifications_clear(n->open);
	set_unread(n, 0);
	if (n->history)
		gtk_window_destroy(GTK_WINDOW(n->history));
	schedule_rebuild(n);
}

ClBarNotify *cl_bar_notify_new(ClBar *bar)
{
	ClBarNotify *n = g_new0(ClBarNotify, 1);
	g_autoptr(GError) error = NULL;
	g_autoptr(GtkCssProvider) base = gtk_css_provider_new();
	GdkDisplay *display = gdk_display_get_default();

	n->bar = bar;
	n->open = cl_bar_notifications_new();
	n->cancel = g_cancellable_new();
	n->css = gtk_css_provider_new();
	if (display) {
		gtk_css_provider_load_from_data(
		        base,
		        "window.cloison-notes { background: #202020; }\n"
		        ".cl-notes { padding: 6px; }\n"
		        ".cl-note { border: 1px solid #000000; }\n"
		        ".cl-note * { font-size: 11px; }\n"
		        ".cl-note-content { padding: 4px 6px; }\n"
		        ".cl-note-header { font-weight: bold; }\n"
		        ".cl-note-summary { font-weight: bold; }\n"
		        ".cl-note button { min-height: 0; min-width: 0; padding: 1px 6px;"
		        " background: #f2f2f2; color: #000000; border: 1px solid #000000;"
		        " box-shadow: none; }\n"
		        ".cl-note-core { background: #e8e8e8; color: #000000; }\n"
		        ".cl-note-cage { background: #e8e8e8; color: #000000; }\n"
		        ".cl-note-security { background: #303030; color: #ffffff;"
		        " border: 2px solid #d0d0d0; }\n"
		        ".cl-notes-more { color: #ffffff; font-size: 11px; padding: 0 4px; }\n",
		        -1);
		gtk_style_context_add_provider_for_display(display, GTK_STYLE_PROVIDER(base),
		                                           GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
		gtk_style_context_add_provider_for_display(display, GTK_STYLE_PROVIDER(n->css),
		                                           GTK_STYLE_PROVIDER_PRIORITY_APPLICATION +
		                                                   2);
	}
	n->bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &error);
	if (!n->bus) {
		cl_warn("no core bus, notifications are not shown: %s", error->message);
		return n;
	}
	n->subscription = g_dbus_connection_signal_subscribe(
	        n->bus, CL_NOTIFY_BUS_NAME, CL_NOTIFY_DISPLAY_IFACE, NULL, CL_NOTIFY_PATH, NULL,
	        G_DBUS_SIGNAL_FLAGS_NONE, handle_signal, n, NULL);
	n->watch = g_bus_watch_name_on_connection(
	        n->bus, CL_NOTIFY_BUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE, handle_name_appeared,
	        handle_name_vanished, n, NULL);
	return n;
}

void cl_bar_notify_free(ClBarNotify *n)
{
	if (!n)
		return;
	g_cancellable_cancel(n->cancel);
	if (n->rebuild_idle)
		g_source_remove(n->rebuild_idle);
	destroy_popups(n);
	if (n->history)
		gtk_window_destroy(GTK_WINDOW(n->history));
	if (n->watch)
		g_bus_unwatch_name(n->watch);
	if (n->bus && n->subscription)
		g_dbus_connection_signal_unsubscribe(n->bus, n->subscription);
	g_clear_object(&n->bus);
	g_clear_object(&n->cancel);
	g_clear_object(&n->css);
	cl_bar_notifications_free(n->open);
	g_free(n->owner);
	g_free(n);
}
