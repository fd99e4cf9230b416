/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The bar: one undecorated GTK toplevel that the compositor places in its
 * strip (zcloison_shell_v1.set_bar), fed by the shell's events.
 */
#include "cloison-build-config.h"
#include "bar.h"

#include <gdk/wayland/gdkwayland.h>
#include <string.h>

#include "cloison-shell-unstable-v1-client-protocol.h"
#include "i18n.h"
#include "launcher.h"
#include "log.h"
#include "session-bus.h"

#define SHELL_VERSION           2
#define SESSION_CALL_TIMEOUT_MS 30000
#define TICK_S                  1

static const char bar_css[] =
        "window.cloison-bar { min-height: 0; }\n"
        "window.cloison-bar * { font-size: 11px; }\n"
        "window.cloison-bar button { min-height: 0; min-width: 0; padding: 0 6px; margin: 2px 1px;"
        " border-radius: 3px; }\n"
        "window.cloison-bar button:focus-visible { outline: 2px solid currentColor;"
        " outline-offset: -2px; }\n"
        "window.cloison-bar .cl-level-label { font-weight: bold; padding: 0 6px; }\n"
        "window.cloison-bar .cl-attention { font-weight: bold; padding: 0 6px; }\n"
        "window.cloison-bar .cl-window.cl-focused { font-weight: bold; }\n"
        "window.cloison-dialog .cl-warning { background: #ffe08a; color: #000000; padding: 6px;"
        " border: 2px solid #000000; }\n";

static void bar_update(ClBar *bar);

/* Patterns (the second cue besides colour), drawn in the contrasting colour. */
void cl_bar_draw_pattern(cairo_t *cr, ClBarPattern pattern, uint32_t colour, double width,
                         double height)
{
	uint32_t ink = cl_bar_contrast_colour(colour);
	double step = 6;

	cairo_save(cr);
	cairo_rectangle(cr, 0, 0, width, height);
	cairo_set_source_rgb(cr, ((colour >> 16) & 0xff) / 255.0, ((colour >> 8) & 0xff) / 255.0,
	                     (colour & 0xff) / 255.0);
	cairo_fill_preserve(cr);
	cairo_clip(cr);
	cairo_set_source_rgb(cr, ((ink >> 16) & 0xff) / 255.0, ((ink >> 8) & 0xff) / 255.0,
	                     (ink & 0xff) / 255.0);
	cairo_set_line_width(cr, 1.5);
	switch (pattern) {
	case CL_BAR_PATTERN_DOTS:
		for (double y = step / 2; y < height; y += step)
			for (double x = step / 2; x < width; x += step) {
				cairo_new_sub_path(cr);
				cairo_arc(cr, x, y, 1.2, 0, 2 * G_PI);
			}
		cairo_fill(cr);
		break;
	case CL_BAR_PATTERN_STRIPES:
		for (double x = -height; x < width; x += step) {
			cairo_move_to(cr, x, height);
			cairo_line_to(cr, x + height, 0);
		}
		cairo_stroke(cr);
		break;
	case CL_BAR_PATTERN_CROSS:
		for (double x = -height; x < width; x += step) {
			cairo_move_to(cr, x, height);
			cairo_line_to(cr, x + height, 0);
			cairo_move_to(cr, x, 0);
			cairo_line_to(cr, x + height, height);
		}
		cairo_stroke(cr);
		break;
	case CL_BAR_PATTERN_BARS:
		for (double x = step / 2; x < width; x += step) {
			cairo_move_to(cr, x, 0);
			cairo_line_to(cr, x, height);
		}
		cairo_stroke(cr);
		break;
	case CL_BAR_PATTERN_CHECKS:
	default:
		for (double y = 0; y < height; y += step)
			for (double x = ((int)(y / step) % 2) * step; x < width; x += 2 * step)
				cairo_rectangle(cr, x, y, step, step);
		cairo_fill(cr);
		break;
	}
	cairo_restore(cr);
	/* A border keeps light colours visible on a light bar. */
	cairo_rectangle(cr, 0.5, 0.5, width - 1, height - 1);
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_set_line_width(cr, 1);
	cairo_stroke(cr);
}

typedef struct {
	ClBarPattern pattern;
	uint32_t colour;
} IconData;

static void draw_icon(GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
	IconData *icon = data;

	cl_bar_draw_pattern(cr, icon->pattern, icon->colour, width, height);
}

GtkWidget *cl_bar_level_icon_new(ClBar *bar, const char *level_id, uint32_t colour, int size)
{
	GtkWidget *area = gtk_drawing_area_new();
	IconData *icon = g_new0(IconData, 1);

	icon->pattern = cl_bar_pattern_for_index(cl_bar_model_level_index(bar->model, level_id));
	icon->colour = colour;
	gtk_drawing_area_set_content_width(GTK_DRAWING_AREA(area), size);
	gtk_drawing_area_set_content_height(GTK_DRAWING_AREA(area), size);
	gtk_widget_set_valign(area, GTK_ALIGN_CENTER);
	gtk_drawing_area_set_draw_func(GTK_DRAWING_AREA(area), draw_icon, icon, g_free);
	return area;
}

/* The badge: the focused level's colour with its pattern, or neutral grey. */
static void draw_badge(GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
	ClBar *bar = data;
	const ClBarLevel *level = cl_bar_model_get_level(bar->model, bar->model->focus_level);

	if (!level) {
		cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
		cairo_paint(cr);
		return;
	}
	cl_bar_draw_pattern(
	        cr, cl_bar_pattern_for_index(cl_bar_model_level_index(bar->model, level->id)),
	        level->colour, width, height);
}

/* The shell's events. */
static void shell_secure_attention(void *data, struct zcloison_shell_v1 *shell)
{
	ClBar *bar = data;
	GtkWidget *first;

	bar->attention = true;
	bar_update(bar);
	/* Keyboard focus is ours now: start on the first window (or Cages). */
	first = gtk_widget_get_first_child(bar->windows_box);
	while (first && !GTK_IS_BUTTON(first))
		first = gtk_widget_get_next_sibling(first);
	gtk_widget_grab_focus(first ? first : bar->cages_button);
}

static void shell_level(void *data, struct zcloison_shell_v1 *shell, const char *id,
                        const char *label, uint32_t colour, int32_t rank)
{
	ClBar *bar = data;

	if (!cl_bar_model_set_level(bar->model, id, label, colour, rank))
		cl_warn("shell: level event refused (bad id or more than %d levels)",
		        CL_BAR_MAX_LEVELS);
}

static void shell_window(void *data, struct zcloison_shell_v1 *shell, uint32_t id, const char *cage,
                         const char *level, const char *title, const char *app_id)
{
	ClBar *bar = data;

	if (!cl_bar_model_set_window(bar->model, id, cage, level, title, app_id))
		cl_warn("shell: window %u refused (id 0 or more than %d windows)", id,
		        CL_BAR_MAX_WINDOWS);
}

static void shell_window_closed(void *data, struct zcloison_shell_v1 *shell, uint32_t id)
{
	ClBar *bar = data;

	cl_bar_model_remove_window(bar->model, id);
}

static void shell_focus(void *data, struct zcloison_shell_v1 *shell, uint32_t id, const char *level)
{
	ClBar *bar = data;

	cl_bar_model_set_focus(bar->model, id, level);
}

static void shell_done(void *data, struct zcloison_shell_v1 *shell)
{
	bar_update(data);
}

static const struct zcloison_shell_v1_listener shell_listener = {
        .secure_attention = shell_secure_attention,
        .level = shell_level,
        .window = shell_window,
        .window_closed = shell_window_closed,
        .focus = shell_focus,
        .done = shell_done,
};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
                            const char *interface, uint32_t version)
{
	ClBar *bar = data;

	if (strcmp(interface, zcloison_shell_v1_interface.name) != 0 || bar->shell)
		return;
	bar->shell = wl_registry_bind(registry, name, &zcloison_shell_v1_interface,
	                              MIN(version, SHELL_VERSION));
	bar->shell_name = name;
	zcloison_shell_v1_add_listener(bar->shell, &shell_listener, bar);
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
	ClBar *bar = data;

	if (bar->shell && name == bar->shell_name) {
		cl_error("the compositor withdrew zcloison_shell_v1");
		g_application_quit(G_APPLICATION(bar->app));
	}
}

static const struct wl_registry_listener registry_listener = {
        .global = registry_global,
        .global_remove = registry_global_remove,
};

static struct wl_surface *window_wl_surface(GtkWindow *window)
{
	GdkSurface *surface = gtk_native_get_surface(GTK_NATIVE(window));

	return surface ? gdk_wayland_surface_get_wl_surface(surface) : NULL;
}

/* GTK gives the surface its xdg_toplevel role when it presents it, in the
 * window's own map handler, which runs before this one. */
static void handle_bar_map(GtkWidget *widget, gpointer data)
{
	ClBar *bar = data;
	struct wl_surface *surface = window_wl_surface(GTK_WINDOW(widget));

	if (bar->shell && surface)
		zcloison_shell_v1_set_bar(bar->shell, surface);
}

static void handle_dialog_map(GtkWidget *widget, gpointer data)
{
	ClBar *bar = data;
	struct wl_surface *surface = window_wl_surface(GTK_WINDOW(widget));

	if (bar->shell && surface)
		zcloison_shell_v1_set_dialog(bar->shell, surface);
}

static void handle_notification_map(GtkWidget *widget, gpointer data)
{
	ClBar *bar = data;
	struct wl_surface *surface = window_wl_surface(GTK_WINDOW(widget));

	if (bar->shell && surface)
		zcloison_shell_v1_set_notification(bar->shell, surface);
}

void cl_bar_make_dialog(ClBar *bar, GtkWindow *window)
{
	gtk_widget_add_css_class(GTK_WIDGET(window), "cloison-dialog");
	gtk_window_set_decorated(window, FALSE);
	g_signal_connect(window, "map", G_CALLBACK(handle_dialog_map), bar);
}

bool cl_bar_make_notification_window(ClBar *bar, GtkWindow *window)
{
	if (!bar->shell || wl_proxy_get_version((struct wl_proxy *)bar->shell) < 2)
		return false;
	gtk_widget_add_css_class(GTK_WIDGET(window), "cloison-notes");
	gtk_window_set_decorated(window, FALSE);
	g_signal_connect(window, "map", G_CALLBACK(handle_notification_map), bar);
	return true;
}

static void release_focus(ClBar *bar)
{
	bar->attention = false;
	if (bar->shell)
		zcloison_shell_v1_release_focus(bar->shell);
	bar_update(bar);
}

void cl_bar_release_focus(ClBar *bar)
{
	release_focus(bar);
}

static void handle_window_clicked(GtkButton *button, gpointer data)
{
	ClBar *bar = data;
	uint32_t id = GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(button), "cl-window-id"));

	bar->attention = false;
	if (bar->shell && cl_bar_model_get_window(bar->model, id))
		zcloison_shell_v1_focus_window(bar->shell, id);
}

static gboolean handle_bar_key(GtkEventControllerKey *controller, guint keyval, guint keycode,
                               GdkModifierType state, gpointer data)
{
	if (keyval != GDK_KEY_Escape)
		return FALSE;
	release_focus(data);
	return TRUE;
}

static void handle_bar_active(GObject *object, GParamSpec *pspec, gpointer data)
{
	ClBar *bar = data;

	if (!gtk_window_is_active(GTK_WINDOW(bar->window)) && bar->attention) {
		bar->attention = false;
		bar_update(bar);
	}
}

static void clear_box(GtkWidget *box)
{
	GtkWidget *child;

	while ((child = gtk_widget_get_first_child(box)))
		gtk_box_remove(GTK_BOX(box), child);
}

static void update_windows(ClBar *bar)
{
	GtkWidget *focus = gtk_window_get_focus(GTK_WINDOW(bar->window));
	uint32_t focus_id = 0;

	/* The list is rebuilt: keep the keyboard on the same window's entry. */
	if (focus && gtk_widget_get_parent(focus) == bar->windows_box)
		focus_id = GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(focus), "cl-window-id"));
	clear_box(bar->windows_box);
	if (bar->attention) {
		GtkWidget *hint = gtk_label_new(_("Menu: arrows, Enter, Esc"));

		gtk_widget_add_css_class(hint, "cl-attention");
		gtk_box_append(GTK_BOX(bar->windows_box), hint);
	}
	/* Grouped by level, most confidential first, each group behind its icon. */
	for (guint l = bar->model->levels->len; l-- > 0;) {
		const ClBarLevel *level = g_ptr_array_index(bar->model->levels, l);
		bool first = true;

		for (guint i = 0; i < bar->model->windows->len; i++) {
			const ClBarWindow *w = g_ptr_array_index(bar->model->windows, i);
			g_autofree char *title = NULL, *tip = NULL;
			GtkWidget *button, *label;

			if (strcmp(w->level, level->id) != 0)
				continue;
			if (first) {
				gtk_box_append(
				        GTK_BOX(bar->windows_box),
				        cl_bar_level_icon_new(bar, level->id, level->colour, 14));
				first = false;
			}
			title = cl_bar_display_text(w->title[0] ? w->title : w->app_id,
			                            CL_BAR_TITLE_CHARS);
			label = gtk_label_new(title);
			gtk_label_set_use_markup(GTK_LABEL(label), FALSE);
			gtk_label_set_ellipsize(GTK_LABEL(label), PANGO_ELLIPSIZE_END);
			gtk_label_set_max_width_chars(GTK_LABEL(label), 24);
			button = gtk_button_new();
			gtk_button_set_child(GTK_BUTTON(button), label);
			gtk_widget_add_css_class(button, "cl-window");
			if (w->id == bar->model->focus)
				gtk_widget_add_css_class(button, "cl-focused");
			/* Plain text tooltip: the cage and level come from the compositor. */
			tip = g_strdup_printf(_("%s — cage %s, level %s"), title, w->cage,
			                      level->label);
			gtk_widget_set_tooltip_text(button, tip);
			g_object_set_data(G_OBJECT(button), "cl-window-id",
			                  GUINT_TO_POINTER(w->id));
			g_signal_connect(button, "clicked", G_CALLBACK(handle_window_clicked), bar);
			gtk_box_append(GTK_BOX(bar->windows_box), button);
			if (focus_id && w->id == focus_id)
				gtk_widget_grab_focus(button);
		}
	}
}

static void bar_update(ClBar *bar)
{
	const ClBarLevel *level = cl_bar_model_get_level(bar->model, bar->model->focus_level);
	g_autofree char *text = NULL, *css = NULL;
	uint32_t bg = level ? level->colour : 0x3c3c3c, fg = cl_bar_contrast_colour(bg);

	if (!bar->window)
		return;
	if (level)
		text = g_strdup_printf(_("Level: %s"), level->label);
	else
		text = g_strdup(_("No cage window focused"));
	gtk_label_set_text(GTK_LABEL(bar->level_label), text);
	/* The whole bar takes the level's colour; buttons keep a neutral face. */
	css = g_strdup_printf("window.cloison-bar { background: #%06x; color: #%06x; }\n"
	                      "window.cloison-bar button { background: #f2f2f2; color: #000000;"
	                      " border: 1px solid #000000; box-shadow: none; }\n"
	                      /* Unread security events: amber, bold (not a level colour cue). */
	                      "window.cloison-bar button.cl-unread { background: #ffcc00;"
	                      " font-weight: bold; }\n",
	                      bg, fg);
	gtk_css_provider_load_from_data(bar->css, css, -1);
	gtk_widget_queue_draw(bar->badge);
	update_windows(bar);
}

void cl_bar_set_pending_count(ClBar *bar, guint count)
{
	g_autofree char *text = NULL;

	if (!bar->transfers_label)
		return;
	text = g_strdup_printf(
	        g_dngettext(GETTEXT_PACKAGE, "%u transfer pending", "%u transfers pending", count),
	        count);
	gtk_label_set_text(GTK_LABEL(bar->transfers_label), text);
}

/* The core style's hatch: 45° stripes of dark and light neutral grey. */
void cl_bar_draw_core_hatch(cairo_t *cr, double width, double height)
{
	double step = 5;

	cairo_save(cr);
	cairo_rectangle(cr, 0, 0, width, height);
	cairo_clip(cr);
	cairo_set_source_rgb(cr, 0xd0 / 255.0, 0xd0 / 255.0, 0xd0 / 255.0);
	cairo_paint(cr);
	cairo_set_source_rgb(cr, 0x30 / 255.0, 0x30 / 255.0, 0x30 / 255.0);
	cairo_set_line_width(cr, step);
	for (double x = -height; x < width + height; x += 2 * step) {
		cairo_move_to(cr, x, height);
		cairo_line_to(cr, x + height, 0);
	}
	cairo_stroke(cr);
	cairo_restore(cr);
}

static void draw_notify_icon(GtkDrawingArea *area, cairo_t *cr, int width, int height,
                             gpointer data)
{
	ClBar *bar = data;

	if (bar->unread > 0) {
		cl_bar_draw_core_hatch(cr, width, height);
	} else {
		cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
		cairo_paint(cr);
	}
	cairo_rectangle(cr, 0.5, 0.5, width - 1, height - 1);
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_set_line_width(cr, 1);
	cairo_stroke(cr);
}

void cl_bar_set_unread(ClBar *bar, guint count, bool available)
{
	g_autofree char *text = NULL, *tip = NULL;

	bar->unread = count;
	if (!bar->notify_label)
		return;
	text = g_strdup_printf(
	        g_dngettext(GETTEXT_PACKAGE, "%u security alert", "%u security alerts", count),
	        count);
	gtk_label_set_text(GTK_LABEL(bar->notify_label), text);
	if (count > 0)
		gtk_widget_add_css_class(bar->notify_button, "cl-unread");
	else
		gtk_widget_remove_css_class(bar->notify_button, "cl-unread");
	gtk_widget_set_sensitive(bar->notify_button, available);
	tip = g_strdup(available ? _("Unread security events; opens the notification history")
	                         : _("The notification service is not running"));
	gtk_widget_set_tooltip_text(bar->notify_button, tip);
	gtk_widget_queue_draw(bar->notify_icon);
}

static void handle_notify_clicked(GtkButton *button, gpointer data)
{
	ClBar *bar = data;

	bar->attention = false;
	if (bar->notify)
		cl_bar_notify_open_history(bar->notify);
}

/* Cages: state (from the launcher's runtime files) and a start button. */
static const char *state_text(const char *state)
{
	if (g_str_has_prefix(state, "running"))
		return _("running");
	if (g_str_has_prefix(state, "crashed") || g_str_has_prefix(state, "failed"))
		return _("crashed");
	return _("stopped");
}

static void update_cages_list(ClBar *bar);

/* A failed Start or Stop, shown in the dialog (and logged); NULL hides it. */
static void show_cages_error(ClBar *bar, const char *message)
{
	if (message)
		cl_warn("%s", message);
	if (!bar->cages_error)
		return;
	gtk_label_set_text(GTK_LABEL(bar->cages_error), message ? message : "");
	gtk_widget_set_visible(bar->cages_error, message != NULL);
}

/* Does a session supervise the cages?  Asked once if the watch has not said yet. */
static bool in_session(ClBar *bar)
{
	g_autoptr(GVariant) reply = NULL;

	if (!bar->bus)
		return false;
	if (bar->session_known)
		return bar->session_owner != NULL;
	reply = g_dbus_connection_call_sync(
	        bar->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
	        "GetNameOwner", g_variant_new("(s)", CL_SESSION_BUS_NAME), G_VARIANT_TYPE("(s)"),
	        G_DBUS_CALL_FLAGS_NONE, 5000, NULL, NULL);
	if (reply) {
		g_free(bar->session_owner);
		g_variant_get(reply, "(s)", &bar->session_owner);
	}
	bar->session_known = true;
	return bar->session_owner != NULL;
}

typedef struct {
	ClBar *bar;
	char *cage;
	bool start;
} SessionCall;

static void handle_session_reply(GObject *source, GAsyncResult *res, gpointer data)
{
	SessionCall *call = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);

	if (!reply && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_autofree char *msg = NULL;

		g_dbus_error_strip_remote_error(error);
		msg = g_strdup_printf(call->start ? _("Cannot start cage %s: %s")
		                                  : _("Cannot stop cage %s: %s"),
		                      call->cage, error->message);
		show_cages_error(call->bar, msg);
		update_cages_list(call->bar); /* the buttons as they were */
	} else if (reply) {
		cl_info("the session %s cage %s", call->start ? "starts" : "stops", call->cage);
	}
	g_free(call->cage);
	g_free(call);
}

/* In a session: StartCage or StopCage; the reply comes to the dialog. */
static void call_session(ClBar *bar, const char *method, const char *cage)
{
	SessionCall *call = g_new0(SessionCall, 1);

	call->bar = bar;
	call->cage = g_strdup(cage);
	call->start = strcmp(method, "StartCage") == 0;
	g_dbus_connection_call(bar->bus, CL_SESSION_BUS_NAME, CL_SESSION_PATH, CL_SESSION_IFACE,
	                       method, g_variant_new("(s)", cage), G_VARIANT_TYPE("()"),
	                       G_DBUS_CALL_FLAGS_NO_AUTO_START, SESSION_CALL_TIMEOUT_MS,
	                       bar->cancel, handle_session_reply, call);
}

static void handle_start_clicked(GtkButton *button, gpointer data)
{
	ClBar *bar = data;
	const char *cage = g_object_get_data(G_OBJECT(button), "cl-cage");
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new();

	show_cages_error(bar, NULL);
	gtk_widget_set_sensitive(GTK_WIDGET(button), FALSE);
	if (in_session(bar)) {
		call_session(bar, "StartCage", cage);
		return;
	}
	g_ptr_array_add(argv, bar->cage_command);
	if (bar->config_path) {
		g_ptr_array_add(argv, (char *)"--config");
		g_ptr_array_add(argv, bar->config_path);
	}
	g_ptr_array_add(argv, (char *)"run");
	g_ptr_array_add(argv, (char *)cage);
	g_ptr_array_add(argv, NULL);

	/* Detached: GLib's intermediate child exits at once, the launcher is
	 * reparented and outlives the bar. */
	if (!g_spawn_async(NULL, (char **)argv->pdata, NULL, G_SPAWN_STDIN_FROM_DEV_NULL, NULL,
	                   NULL, NULL, &error)) {
		g_autofree char *msg =
		        g_strdup_printf(_("Cannot start cage %s: %s"), cage, error->message);

		show_cages_error(bar, msg);
		gtk_widget_set_sensitive(GTK_WIDGET(button), TRUE);
	} else {
		cl_info("starting the cage %s", cage);
	}
}

static void handle_stop_clicked(GtkButton *button, gpointer data)
{
	ClBar *bar = data;
	const char *cage = g_object_get_data(G_OBJECT(button), "cl-cage");

	show_cages_error(bar, NULL);
	gtk_widget_set_sensitive(GTK_WIDGET(button), FALSE);
	if (in_session(bar))
		call_session(bar, "StopCage", cage);
	else
		update_cages_list(bar); /* the session left: no Stop buttons any more */
}

static void update_cages_list(ClBar *bar)
{
	if (!bar->cages_list)
		return;
	clear_box(bar->cages_list);
	for (guint i = 0; i < bar->config->cages->len; i++) {
		const ClCage *cage = g_ptr_array_index(bar->config->cages, i);
		const char *state = g_hash_table_lookup(bar->cage_states, cage->id);
		GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
		g_autofree char *text = NULL;
		GtkWidget *label, *start;

		if (!state)
			state = "stopped";
		gtk_box_append(GTK_BOX(row),
		               cl_bar_level_icon_new(bar, cage->level->id,
		                                     ((uint32_t)cage->level->rgb[0] << 16) |
		                                             (cage->level->rgb[1] << 8) |
		                                             cage->level->rgb[2],
		                                     18));
		text = g_strdup_printf(_("%s — level %s — %s"), cage->id, cage->level->label,
		                       state_text(state));
		label = gtk_label_new(text);
		gtk_widget_set_hexpand(label, TRUE);
		gtk_label_set_xalign(GTK_LABEL(label), 0);
		gtk_box_append(GTK_BOX(row), label);
		/* Only a session stops cages (the one it runs); Start stays the last child. */
		if (bar->session_owner) {
			GtkWidget *stop = gtk_button_new_with_label(_("Stop"));

			g_object_set_data_full(G_OBJECT(stop), "cl-cage", g_strdup(cage->id),
			                       g_free);
			gtk_widget_set_sensitive(stop, g_str_has_prefix(state, "running"));
			g_signal_connect(stop, "clicked", G_CALLBACK(handle_stop_clicked), bar);
			gtk_box_append(GTK_BOX(row), stop);
		}
		start = gtk_button_new_with_label(_("Start"));
		g_object_set_data_full(G_OBJECT(start), "cl-cage", g_strdup(cage->id), g_free);
		gtk_widget_set_sensitive(start, !g_str_has_prefix(state, "running"));
		g_signal_connect(start, "clicked", G_CALLBACK(handle_start_clicked), bar);
		gtk_box_append(GTK_BOX(row), start);
		gtk_box_append(GTK_BOX(bar->cages_list), row);
	}
}

static bool refresh_cage_states(ClBar *bar)
{
	bool changed = false;

	for (guint i = 0; i < bar->config->cages->len; i++) {
		const ClCage *cage = g_ptr_array_index(bar->config->cages, i);
		char *state = cl_cage_state(bar->config, cage->id);

		if (g_strcmp0(g_hash_table_lookup(bar->cage_states, cage->id), state) != 0) {
			g_hash_table_replace(bar->cage_states, g_strdup(cage->id), state);
			changed = true;
		} else {
			g_free(state);
		}
	}
	return changed;
}

static void handle_cages_destroy(GtkWidget *widget, gpointer data)
{
	ClBar *bar = data;

	bar->cages_window = NULL;
	bar->cages_list = NULL;
	bar->cages_error = NULL;
}

static gboolean handle_cages_key(GtkEventControllerKey *controller, guint keyval, guint keycode,
                                 GdkModifierType state, gpointer data)
{
	ClBar *bar = data;

	if (keyval != GDK_KEY_Escape)
		return FALSE;
	gtk_window_destroy(GTK_WINDOW(bar->cages_window));
	return TRUE;
}

static void handle_cages_close(GtkButton *button, gpointer data)
{
	ClBar *bar = data;

	if (bar->cages_window)
		gtk_window_destroy(GTK_WINDOW(bar->cages_window));
}

static void handle_cages_clicked(GtkButton *button, gpointer data)
{
	ClBar *bar = data;
	GtkWidget *box, *title, *close;
	GtkEventController *keys;

	bar->attention = false;
	if (bar->cages_window) {
		gtk_window_present(GTK_WINDOW(bar->cages_window));
		return;
	}
	bar->cages_window = gtk_window_new();
	gtk_window_set_application(GTK_WINDOW(bar->cages_window), bar->app);
	gtk_window_set_title(GTK_WINDOW(bar->cages_window), _("Cloison — cages"));
	gtk_window_set_default_size(GTK_WINDOW(bar->cages_window), 420, -1);
	cl_bar_make_dialog(bar, GTK_WINDOW(bar->cages_window));
	box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 8);
	gtk_widget_set_margin_start(box, 12);
	gtk_widget_set_margin_end(box, 12);
	gtk_widget_set_margin_top(box, 12);
	gtk_widget_set_margin_bottom(box, 12);
	title = gtk_label_new(_("Cages"));
	gtk_widget_add_css_class(title, "title-2");
	gtk_box_append(GTK_BOX(box), title);
	bar->cages_list = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
	gtk_box_append(GTK_BOX(box), bar->cages_list);
	bar->cages_error = gtk_label_new(NULL);
	gtk_widget_add_css_class(bar->cages_error, "cl-warning");
	gtk_label_set_wrap(GTK_LABEL(bar->cages_error), TRUE);
	gtk_label_set_max_width_chars(GTK_LABEL(bar->cages_error), 60);
	gtk_label_set_xalign(GTK_LABEL(bar->cages_error), 0);
	gtk_widget_set_visible(bar->cages_error, FALSE);
	gtk_box_append(GTK_BOX(box), bar->cages_error);
	close = gtk_button_new_with_label(_("Close"));
	gtk_widget_set_halign(close, GTK_ALIGN_END);
	g_signal_connect(close, "clicked", G_CALLBACK(handle_cages_close), bar);
	gtk_box_append(GTK_BOX(box), close);
	gtk_window_set_child(GTK_WINDOW(bar->cages_window), box);
	keys = gtk_event_controller_key_new();
	g_signal_connect(keys, "key-pressed", G_CALLBACK(handle_cages_key), bar);
	gtk_widget_add_controller(bar->cages_window, keys);
	g_signal_connect(bar->cages_window, "destroy", G_CALLBACK(handle_cages_destroy), bar);
	refresh_cage_states(bar);
	update_cages_list(bar);
	/* The keyboard starts on the first Start button that can be used. */
	for (GtkWidget *row = gtk_widget_get_first_child(bar->cages_list); row;
	     row = gtk_widget_get_next_sibling(row)) {
		GtkWidget *start = gtk_widget_get_last_child(row);

		if (gtk_widget_get_sensitive(start)) {
			gtk_window_set_focus(GTK_WINDOW(bar->cages_window), start);
			break;
		}
	}
	if (!gtk_window_get_focus(GTK_WINDOW(bar->cages_window)))
		gtk_window_set_focus(GTK_WINDOW(bar->cages_window), close);
	gtk_window_present(GTK_WINDOW(bar->cages_window));
}

static void update_clock(ClBar *bar)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree char *text = NULL;

	/* CLOISON_BAR_CLOCK fixes the clock for reference screenshots. */
	if (g_getenv("CLOISON_BAR_CLOCK"))
		text = g_strdup(g_getenv("CLOISON_BAR_CLOCK"));
	else
		text = g_date_time_format(now, "%H:%M");
	gtk_label_set_text(GTK_LABEL(bar->clock_label), text ? text : "--:--");
}

static gboolean handle_tick(gpointer data)
{
	ClBar *bar = data;

	update_clock(bar);
	if (refresh_cage_states(bar))
		update_cages_list(bar);
	return G_SOURCE_CONTINUE;
}

ClBar *cl_bar_new(GtkApplication *app, ClConfig *config, const char *config_path)
{
	ClBar *bar = g_new0(ClBar, 1);
	const char *cage = g_getenv("CLOISON_CAGE_COMMAND");

	bar->app = app;
	bar->config = config;
	bar->config_path = g_strdup(config_path);
	bar->model = cl_bar_model_new();
	bar->cage_states = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	bar->cancel = g_cancellable_new();
	if (cage && *cage)
		bar->cage_command = g_strdup(cage);
	else if (!(bar->cage_command = g_find_program_in_path("cloison-cage")))
		bar->cage_command = g_build_filename(CLOISON_BINDIR, "cloison-cage", NULL);
	return bar;
}

static void handle_session_appeared(GDBusConnection *bus, const char *name, const char *owner,
                                    gpointer data)
{
	ClBar *bar = data;

	cl_debug("%s is %s: cages are started by the session", name, owner);
	g_free(bar->session_owner);
	bar->session_owner = g_strdup(owner);
	bar->session_known = true;
	update_cages_list(bar);
}

static void handle_session_vanished(GDBusConnection *bus, const char *name, gpointer data)
{
	ClBar *bar = data;

	if (bar->session_owner)
		cl_warn("%s left the core bus: the bar starts cages itself", name);
	g_clear_pointer(&bar->session_owner, g_free);
	bar->session_known = true;
	update_cages_list(bar);
}

/* Watch for the session on the core bus (the bar's session bus). */
static void watch_session(ClBar *bar)
{
	g_autoptr(GError) error = NULL;

	bar->bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &error);
	if (!bar->bus) {
		cl_debug("no core bus: the bar starts cages itself (%s)", error->message);
		return;
	}
	bar->session_watch = g_bus_watch_name_on_connection(
	        bar->bus, CL_SESSION_BUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
	        handle_session_appeared, handle_session_vanished, bar, NULL);
}

void cl_bar_free(ClBar *bar)
{
	if (!bar)
		return;
	g_cancellable_cancel(bar->cancel);
	g_clear_object(&bar->cancel);
	if (bar->session_watch)
		g_bus_unwatch_name(bar->session_watch);
	g_clear_object(&bar->bus);
	g_free(bar->session_owner);
	cl_bar_notify_free(bar->notify);
	cl_bar_transfer_free(bar->transfer);
	if (bar->tick)
		g_source_remove(bar->tick);
	if (bar->cages_window)
		gtk_window_destroy(GTK_WINDOW(bar->cages_window));
	if (bar->shell)
		zcloison_shell_v1_destroy(bar->shell);
	if (bar->registry)
		wl_registry_destroy(bar->registry);
	g_clear_object(&bar->css);
	g_hash_table_unref(bar->cage_states);
	cl_bar_model_free(bar->model);
	g_free(bar->cage_command);
	g_free(bar->config_path);
	g_free(bar);
}

static GtkWidget *build_bar_window(ClBar *bar)
{
	GtkWidget *window = gtk_application_window_new(bar->app);
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 4);
	GtkWidget *scroll = gtk_scrolled_window_new();
	GtkEventController *keys;

	gtk_window_set_title(GTK_WINDOW(window), _("Cloison bar"));
	gtk_window_set_decorated(GTK_WINDOW(window), FALSE);
	gtk_window_set_default_size(GTK_WINDOW(window), 1280, 28);
	gtk_widget_add_css_class(window, "cloison-bar");

	bar->badge = gtk_drawing_area_new();
	gtk_drawing_area_set_content_width(GTK_DRAWING_AREA(bar->badge), 40);
	gtk_drawing_area_set_draw_func(GTK_DRAWING_AREA(bar->badge), draw_badge, bar, NULL);
	gtk_box_append(GTK_BOX(box), bar->badge);

	bar->level_label = gtk_label_new(NULL);
	gtk_widget_add_css_class(bar->level_label, "cl-level-label");
	gtk_box_append(GTK_BOX(box), bar->level_label);

	/* The window list shrinks (and scrolls) rather than widen the bar. */
	bar->windows_box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 2);
	gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scroll), GTK_POLICY_EXTERNAL,
	                               GTK_POLICY_NEVER);
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), bar->windows_box);
	gtk_widget_set_hexpand(scroll, TRUE);
	gtk_box_append(GTK_BOX(box), scroll);

	bar->transfers_label = gtk_label_new(NULL);
	gtk_box_append(GTK_BOX(box), bar->transfers_label);
	cl_bar_set_pending_count(bar, 0);

	/* The notification area: unread security events, opens the history. */
	{
		GtkWidget *inner = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 4);

		bar->notify_icon = gtk_drawing_area_new();
		gtk_drawing_area_set_content_width(GTK_DRAWING_AREA(bar->notify_icon), 12);
		gtk_drawing_area_set_content_height(GTK_DRAWING_AREA(bar->notify_icon), 12);
		gtk_widget_set_valign(bar->notify_icon, GTK_ALIGN_CENTER);
		gtk_drawing_area_set_draw_func(GTK_DRAWING_AREA(bar->notify_icon), draw_notify_icon,
		                               bar, NULL);
		bar->notify_label = gtk_label_new(NULL);
		gtk_box_append(GTK_BOX(inner), bar->notify_icon);
		gtk_box_append(GTK_BOX(inner), bar->notify_label);
		bar->notify_button = gtk_button_new();
		gtk_button_set_child(GTK_BUTTON(bar->notify_button), inner);
		g_signal_connect(bar->notify_button, "clicked", G_CALLBACK(handle_notify_clicked),
		                 bar);
		gtk_box_append(GTK_BOX(box), bar->notify_button);
		cl_bar_set_unread(bar, 0, false);
	}

	bar->cages_button = gtk_button_new_with_label(_("Cages"));
	g_signal_connect(bar->cages_button, "clicked", G_CALLBACK(handle_cages_clicked), bar);
	gtk_box_append(GTK_BOX(box), bar->cages_button);

	bar->clock_label = gtk_label_new(NULL);
	gtk_widget_set_margin_end(bar->clock_label, 6);
	gtk_box_append(GTK_BOX(box), bar->clock_label);

	gtk_window_set_child(GTK_WINDOW(window), box);
	keys = gtk_event_controller_key_new();
	g_signal_connect(keys, "key-pressed", G_CALLBACK(handle_bar_key), bar);
	gtk_widget_add_controller(window, keys);
	g_signal_connect(window, "notify::is-active", G_CALLBACK(handle_bar_active), bar);
	g_signal_connect(window, "map", G_CALLBACK(handle_bar_map), bar);
	return window;
}

bool cl_bar_start(ClBar *bar, GError **error)
{
	GdkDisplay *display = gdk_display_get_default();
	struct wl_display *wl_display;
	g_autoptr(GtkCssProvider) base = gtk_css_provider_new();

	if (!display || !GDK_IS_WAYLAND_DISPLAY(display)) {
		g_set_error(
		        error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
		        _("cloison-bar needs a Wayland display (started by cloison-compositor)"));
		return false;
	}
	wl_display = gdk_wayland_display_get_wl_display(display);
	bar->registry = wl_display_get_registry(wl_display);
	wl_registry_add_listener(bar->registry, &registry_listener, bar);
	/* The globals, then the shell's first batch (levels, windows, focus). */
	if (wl_display_roundtrip(wl_display) < 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE,
		            _("lost the connection to the compositor"));
		return false;
	}
	if (!bar->shell) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
		            _("the compositor offers no zcloison_shell_v1: cloison-bar must be "
		              "started by cloison-compositor --bar"));
		return false;
	}
	if (wl_display_roundtrip(wl_display) < 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE,
		            _("lost the connection to the compositor"));
		return false;
	}

	gtk_css_provider_load_from_data(base, bar_css, -1);
	gtk_style_context_add_provider_for_display(display, GTK_STYLE_PROVIDER(base),
	                                           GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
	bar->css = gtk_css_provider_new();
	gtk_style_context_add_provider_for_display(display, GTK_STYLE_PROVIDER(bar->css),
	                                           GTK_STYLE_PROVIDER_PRIORITY_APPLICATION + 1);
	bar->window = build_bar_window(bar);
	refresh_cage_states(bar);
	update_clock(bar);
	bar_update(bar);
	bar->tick = g_timeout_add_seconds(TICK_S, handle_tick, bar);
	gtk_window_present(GTK_WINDOW(bar->window));
	bar->transfer = cl_bar_transfer_new(bar);
	bar->notify = cl_bar_notify_new(bar);
	watch_session(bar);
	return true;
}
