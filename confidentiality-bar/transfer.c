/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The broker's prompt agent: org.cloison.Transfer1 on the core bus
 * (DBUS_SESSION_BUS_ADDRESS, given by the session).  Prompts queue
 * (model.c); the head is shown in a trusted dialog; each gets exactly one
 * Decide.
 */
#include "cloison-build-config.h"
#include "bar.h"

#include <inttypes.h>
#include <string.h>

#include "i18n.h"
#include "log.h"

#define BUS_NAME   "org.cloison.Transfer1"
#define BUS_PATH   "/org/cloison/Transfer1"
#define BUS_IFACE  "org.cloison.Transfer1"
#define GATE_MS    100 /* how often Approve's state is re-evaluated */
#define CALL_MS    10000
#define NAME_CHARS 80

struct ClBarTransfer {
	ClBar *bar;
	GDBusConnection *bus;
	GCancellable *cancel;
	guint watch;
	guint sub_prompt;
	guint sub_finished;
	ClBarQueue *queue;

	/* The dialog for the queue's head. */
	GtkWidget *dialog;
	char *shown_id;
	ClBarApproveGate gate;
	GPtrArray *target_buttons; /* GtkCheckButton*, one per target */
	GtkWidget *direction_label;
	GtkWidget *warning;
	GtkWidget *declassify;
	GtkWidget *reason_label;
	GtkWidget *reason;
	GtkWidget *approve;
	guint gate_timer;
	uint32_t input_ms; /* time of the dialog's latest button or key event */
};

static void show_head(ClBarTransfer *t);

static void update_count(ClBarTransfer *t)
{
	cl_bar_set_pending_count(t->bar, cl_bar_queue_length(t->queue));
}

static void handle_decide_reply(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autofree char *id = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);

	if (!reply && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		cl_warn("transfer %s: the broker refused the decision: %s", id, error->message);
}

static void close_dialog(ClBarTransfer *t)
{
	GtkWidget *dialog = t->dialog;

	if (t->gate_timer)
		g_source_remove(t->gate_timer);
	t->gate_timer = 0;
	g_clear_pointer(&t->shown_id, g_free);
	g_clear_pointer(&t->target_buttons, g_ptr_array_unref);
	t->dialog = NULL;
	if (dialog)
		gtk_window_destroy(GTK_WINDOW(dialog));
}

/* The only place a decision leaves the bar. */
static void decide(ClBarTransfer *t, const char *id, bool approve, const char *target,
                   const char *reason)
{
	if (!cl_bar_queue_decide(t->queue, id))
		return; /* already decided or finished: never twice */
	if (approve)
		cl_info("transfer %s: approved, to %s", id, target);
	else
		cl_info("transfer %s: denied", id);
	if (t->bus)
		g_dbus_connection_call(t->bus, BUS_NAME, BUS_PATH, BUS_IFACE, "Decide",
		                       g_variant_new("(sbss)", id, approve, approve ? target : "",
		                                     approve ? reason : ""),
		                       NULL, G_DBUS_CALL_FLAGS_NONE, CALL_MS, t->cancel,
		                       handle_decide_reply, g_strdup(id));
	if (g_strcmp0(t->shown_id, id) == 0)
		close_dialog(t);
	update_count(t);
	show_head(t);
}

static int selected_target(ClBarTransfer *t)
{
	if (!t->target_buttons)
		return -1;
	for (guint i = 0; i < t->target_buttons->len; i++)
		if (gtk_check_button_get_active(g_ptr_array_index(t->target_buttons, i)))
			return (int)i;
	return -1;
}

static const char *direction_text(ClBarDirection d)
{
	switch (d) {
	case CL_BAR_DIRECTION_UP:
		return _("upward (to a more confidential level)");
	case CL_BAR_DIRECTION_DOWN:
		return _("downward (declassification)");
	case CL_BAR_DIRECTION_SAME:
	default:
		return _("within the same level");
	}
}

/* Re-evaluates everything that depends on the choices and the gate. */
static void refresh_dialog(ClBarTransfer *t)
{
	const ClBarPrompt *head = cl_bar_queue_head(t->queue);
	const ClBarTarget *target;
	int index = selected_target(t);
	bool ok;
	int64_t now = g_get_monotonic_time();

	if (!t->dialog || !head || g_strcmp0(head->id, t->shown_id) != 0)
		return;
	cl_bar_approve_gate_set_active(&t->gate, gtk_window_is_active(GTK_WINDOW(t->dialog)), now);
	target = cl_bar_prompt_get_target(head, index);
	gtk_widget_set_visible(t->warning, target && target->direction == CL_BAR_DIRECTION_DOWN);
	gtk_widget_set_visible(t->declassify, target && target->declassify);
	gtk_widget_set_visible(t->reason_label, target && target->require_reason);
	gtk_widget_set_visible(t->reason, target && target->require_reason);
	if (target) {
		g_autofree char *text =
		        g_strdup_printf(_("Direction: %s"), direction_text(target->direction));

		gtk_label_set_text(GTK_LABEL(t->direction_label), text);
	} else {
		gtk_label_set_text(GTK_LABEL(t->direction_label), _("Choose a destination."));
	}
	ok = cl_bar_prompt_choice_ok(head, index,
	                             gtk_check_button_get_active(GTK_CHECK_BUTTON(t->declassify)),
	                             gtk_editable_get_text(GTK_EDITABLE(t->reason)));
	gtk_widget_set_sensitive(t->approve, ok && cl_bar_approve_gate_enabled(&t->gate, now));
}

static void handle_changed(GObject *object, GParamSpec *pspec, gpointer data)
{
	cl_debug("dialog active: %d", gtk_window_is_active(GTK_WINDOW(object)));
	refresh_dialog(data);
}

static void handle_toggled(GtkCheckButton *button, gpointer data)
{
	refresh_dialog(data);
}

static void handle_reason_changed(GtkEditable *editable, gpointer data)
{
	refresh_dialog(data);
}

static void handle_approve(GtkButton *button, gpointer data)
{
	ClBarTransfer *t = data;
	const ClBarPrompt *head = cl_bar_queue_head(t->queue);
	int index = selected_target(t);
	const ClBarTarget *target;
	g_autofree char *id = NULL, *cage = NULL, *reason = NULL;

	if (!t->dialog || !head || g_strcmp0(head->id, t->shown_id) != 0)
		return;
	/* The button's sensitivity already says so; a click is re-checked. */
	cl_bar_approve_gate_set_active(&t->gate, gtk_window_is_active(GTK_WINDOW(t->dialog)),
	                               g_get_monotonic_time());
	cl_debug("approve clicked: active %d, remaining %" G_GINT64_FORMAT " us, event at %u ms",
	         gtk_window_is_active(GTK_WINDOW(t->dialog)),
	         cl_bar_approve_gate_remaining(&t->gate, g_get_monotonic_time()), t->input_ms);
	/* Judged at the time of the click, not when a busy bar handles it. */
	if (!cl_bar_approve_gate_enabled_for_event(&t->gate, g_get_monotonic_time(), t->input_ms) ||
	    !cl_bar_prompt_choice_ok(head, index,
	                             gtk_check_button_get_active(GTK_CHECK_BUTTON(t->declassify)),
	                             gtk_editable_get_text(GTK_EDITABLE(t->reason))))
		return;
	target = cl_bar_prompt_get_target(head, index);
	id = g_strdup(head->id);
	cage = g_strdup(target->cage);
	reason = g_strdup(target->require_reason ? gtk_editable_get_text(GTK_EDITABLE(t->reason))
	                                         : "");
	decide(t, id, true, cage, reason);
}

static void deny_shown(ClBarTransfer *t)
{
	g_autofree char *id = g_strdup(t->shown_id);

	if (id)
		decide(t, id, false, "", "");
}

static void handle_deny(GtkButton *button, gpointer data)
{
	deny_shown(data);
}

static gboolean handle_dialog_key(GtkEventControllerKey *controller, guint keyval, guint keycode,
                                  GdkModifierType state, gpointer data)
{
	if (keyval != GDK_KEY_Escape)
		return FALSE;
	deny_shown(data);
	return TRUE;
}

/* Capture phase: sees every input event before the widgets do. */
static gboolean handle_dialog_event(GtkEventControllerLegacy *controller, GdkEvent *event,
                                    gpointer data)
{
	ClBarTransfer *t = data;

	switch (gdk_event_get_event_type(event)) {
	case GDK_BUTTON_PRESS:
	case GDK_BUTTON_RELEASE:
	case GDK_KEY_PRESS:
	case GDK_KEY_RELEASE:
		t->input_ms = gdk_event_get_time(event);
		break;
	default:
		break;
	}
	return FALSE;
}

static gboolean handle_close_request(GtkWindow *window, gpointer data)
{
	ClBarTransfer *t = data;

	if (t->dialog == GTK_WIDGET(window))
		deny_shown(t);
	return TRUE; /* deny_shown destroyed it, or it is not ours to keep */
}

/* Expiry: the broker denies it too; we close and deny first. */
static void check_expiry(ClBarTransfer *t)
{
	const ClBarPrompt *head = cl_bar_queue_head(t->queue);

	if (head && t->dialog && (uint64_t)g_get_real_time() >= head->expires_us)
		deny_shown(t);
}

static gboolean handle_gate_and_expiry(gpointer data)
{
	ClBarTransfer *t = data;

	check_expiry(t);
	if (t->dialog)
		refresh_dialog(t);
	return t->dialog ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static GtkWidget *row_label(GtkWidget *grid, int row, const char *key, const char *value)
{
	GtkWidget *k = gtk_label_new(key), *v = gtk_label_new(value);

	gtk_label_set_xalign(GTK_LABEL(k), 1);
	gtk_widget_add_css_class(k, "dim-label");
	gtk_label_set_xalign(GTK_LABEL(v), 0);
	gtk_label_set_use_markup(GTK_LABEL(v), FALSE);
	gtk_label_set_wrap(GTK_LABEL(v), TRUE);
	gtk_label_set_wrap_mode(GTK_LABEL(v), PANGO_WRAP_WORD_CHAR);
	/* A minimum width keeps GTK from sizing the window for one word a line. */
	gtk_label_set_width_chars(GTK_LABEL(v), 40);
	gtk_label_set_max_width_chars(GTK_LABEL(v), 48);
	gtk_grid_attach(GTK_GRID(grid), k, 0, row, 1, 1);
	gtk_grid_attach(GTK_GRID(grid), v, 1, row, 1, 1);
	return v;
}

static void show_head(ClBarTransfer *t)
{
	const ClBarPrompt *p = cl_bar_queue_head(t->queue);
	GtkWidget *box, *grid, *title, *from, *targets, *buttons, *deny;
	g_autofree char *name = NULL, *size = NULL, *sha = NULL, *source = NULL, *mime = NULL;
	g_autofree char *bytes = NULL, *size_text = NULL, *dialog_title = NULL,
	                *source_label = NULL;
	GtkCheckButton *group = NULL;
	GtkEventController *keys, *legacy;
	int initial;

	if (t->dialog || !p)
		return;
	t->shown_id = g_strdup(p->id);
	t->gate = (ClBarApproveGate){0};
	t->dialog = gtk_window_new();
	gtk_window_set_application(GTK_WINDOW(t->dialog), t->bar->app);
	dialog_title = g_strdup_printf(_("Cloison — transfer from %s"), p->source_cage);
	gtk_window_set_title(GTK_WINDOW(t->dialog), dialog_title);
	gtk_window_set_default_size(GTK_WINDOW(t->dialog), 520, -1);
	cl_bar_make_dialog(t->bar, GTK_WINDOW(t->dialog));

	box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 10);
	gtk_widget_set_margin_start(box, 16);
	gtk_widget_set_margin_end(box, 16);
	gtk_widget_set_margin_top(box, 14);
	gtk_widget_set_margin_bottom(box, 14);
	title = gtk_label_new(_("A cage asks to transfer a file"));
	gtk_widget_add_css_class(title, "title-3");
	gtk_box_append(GTK_BOX(box), title);

	/* Source: icon (colour and pattern), then cage and level as text. */
	from = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
	gtk_box_append(GTK_BOX(from),
	               cl_bar_level_icon_new(t->bar, p->source_level, p->source_colour, 20));
	source_label = cl_bar_display_text(p->source_label, 40);
	source = g_strdup_printf(_("From the cage %s, level %s"), p->source_cage, source_label);
	gtk_box_append(GTK_BOX(from), gtk_label_new(source));
	gtk_box_append(GTK_BOX(box), from);

	grid = gtk_grid_new();
	gtk_grid_set_column_spacing(GTK_GRID(grid), 10);
	gtk_grid_set_row_spacing(GTK_GRID(grid), 4);
	name = cl_bar_display_text(p->name, NAME_CHARS);
	row_label(grid, 0, _("File"), name);
	size = g_format_size(p->size);
	bytes = g_strdup_printf("%" PRIu64, p->size);
	/* TRANSLATORS: a file size, then its exact number of bytes. */
	size_text =
	        p->size < 1000 ? g_strdup(size) : g_strdup_printf(_("%s (%s bytes)"), size, bytes);
	row_label(grid, 1, _("Size"), size_text);
	mime = cl_bar_display_text(p->mime_type, 60);
	row_label(grid, 2, _("Type"), mime);
	sha = cl_bar_short_sha256(p->sha256);
	row_label(grid, 3, _("SHA-256"), sha);
	gtk_box_append(GTK_BOX(box), grid);

	/* Destinations the policy allows, as radio buttons: no popup, nothing
	 * picked unless the request named an allowed target. */
	gtk_box_append(GTK_BOX(box), gtk_label_new(_("Send to:")));
	targets = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
	t->target_buttons = g_ptr_array_new();
	initial = cl_bar_prompt_initial_target(p);
	for (guint i = 0; i < p->targets->len; i++) {
		const ClBarTarget *target = g_ptr_array_index(p->targets, i);
		GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
		g_autofree char *level = cl_bar_display_text(target->label, 40);
		g_autofree char *label = g_strdup_printf(_("%s (level %s)"), target->cage, level);
		GtkWidget *check = gtk_check_button_new_with_label(label);

		if (group)
			gtk_check_button_set_group(GTK_CHECK_BUTTON(check), group);
		else
			group = GTK_CHECK_BUTTON(check);
		gtk_check_button_set_active(GTK_CHECK_BUTTON(check), (int)i == initial);
		g_signal_connect(check, "toggled", G_CALLBACK(handle_toggled), t);
		gtk_box_append(GTK_BOX(row),
		               cl_bar_level_icon_new(t->bar, target->level, target->colour, 14));
		gtk_box_append(GTK_BOX(row), check);
		gtk_box_append(GTK_BOX(targets), row);
		g_ptr_array_add(t->target_buttons, check);
	}
	gtk_box_append(GTK_BOX(box), targets);
	t->direction_label = gtk_label_new(NULL);
	gtk_label_set_xalign(GTK_LABEL(t->direction_label), 0);
	gtk_box_append(GTK_BOX(box), t->direction_label);

	t->warning = gtk_label_new(_("Warning: this declassifies the file. Its content becomes "
	                             "readable at a less confidential level."));
	gtk_label_set_wrap(GTK_LABEL(t->warning), TRUE);
	gtk_label_set_width_chars(GTK_LABEL(t->warning), 50);
	gtk_label_set_max_width_chars(GTK_LABEL(t->warning), 60);
	gtk_widget_add_css_class(t->warning, "cl-warning");
	gtk_box_append(GTK_BOX(box), t->warning);
	t->declassify = gtk_check_button_new_with_label(_("I declassify this file"));
	g_signal_connect(t->declassify, "toggled", G_CALLBACK(handle_toggled), t);
	gtk_box_append(GTK_BOX(box), t->declassify);
	t->reason_label = gtk_label_new(_("Reason (kept in the audit log):"));
	gtk_label_set_xalign(GTK_LABEL(t->reason_label), 0);
	gtk_box_append(GTK_BOX(box), t->reason_label);
	t->reason = gtk_entry_new();
	gtk_entry_set_max_length(GTK_ENTRY(t->reason), 256);
	g_signal_connect(t->reason, "changed", G_CALLBACK(handle_reason_changed), t);
	gtk_box_append(GTK_BOX(box), t->reason);

	/* The buttons stay in the bottom-right corner whatever the window's size. */
	buttons = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
	gtk_widget_set_halign(buttons, GTK_ALIGN_END);
	gtk_widget_set_valign(buttons, GTK_ALIGN_END);
	gtk_widget_set_vexpand(buttons, TRUE);
	deny = gtk_button_new_with_label(_("Deny"));
	g_signal_connect(deny, "clicked", G_CALLBACK(handle_deny), t);
	t->approve = gtk_button_new_with_label(_("Approve"));
	gtk_widget_add_css_class(t->approve, "suggested-action");
	gtk_widget_set_sensitive(t->approve, FALSE);
	g_signal_connect(t->approve, "clicked", G_CALLBACK(handle_approve), t);
	gtk_box_append(GTK_BOX(buttons), deny);
	gtk_box_append(GTK_BOX(buttons), t->approve);
	gtk_box_append(GTK_BOX(box), buttons);
	gtk_window_set_child(GTK_WINDOW(t->dialog), box);

	keys = gtk_event_controller_key_new();
	g_signal_connect(keys, "key-pressed", G_CALLBACK(handle_dialog_key), t);
	gtk_widget_add_controller(t->dialog, keys);
	legacy = gtk_event_controller_legacy_new();
	gtk_event_controller_set_propagation_phase(legacy, GTK_PHASE_CAPTURE);
	g_signal_connect(legacy, "event", G_CALLBACK(handle_dialog_event), t);
	gtk_widget_add_controller(t->dialog, legacy);
	g_signal_connect(t->dialog, "close-request", G_CALLBACK(handle_close_request), t);
	g_signal_connect(t->dialog, "notify::is-active", G_CALLBACK(handle_changed), t);
	/* Deny has the initial focus: Enter never approves by accident. */
	gtk_window_set_focus(GTK_WINDOW(t->dialog), deny);
	refresh_dialog(t);
	t->gate_timer = g_timeout_add(GATE_MS, handle_gate_and_expiry, t);
	gtk_window_present(GTK_WINDOW(t->dialog));
}

static void add_prompt(ClBarTransfer *t, const char *id, GVariant *details)
{
	g_autoptr(GError) error = NULL;
	ClBarPrompt *prompt = cl_bar_prompt_new(id, details, &error);

	if (!prompt) {
		cl_warn("ignoring a prompt from the broker: %s", error->message);
		return;
	}
	cl_bar_queue_add(t->queue, prompt);
	update_count(t);
	show_head(t);
}

static void handle_signal(GDBusConnection *bus, const char *sender, const char *path,
                          const char *iface, const char *signal, GVariant *params, gpointer data)
{
	ClBarTransfer *t = data;

	if (strcmp(signal, "PromptRequested") == 0 &&
	    g_variant_is_of_type(params, G_VARIANT_TYPE("(sa{sv})"))) {
		const char *id;
		g_autoptr(GVariant) details = NULL;

		g_variant_get(params, "(&s@a{sv})", &id, &details);
		add_prompt(t, id, details);
	} else if (strcmp(signal, "Finished") == 0 &&
	           g_variant_is_of_type(params, G_VARIANT_TYPE("(sss)"))) {
		const char *id;

		g_variant_get(params, "(&s&s&s)", &id, NULL, NULL);
		if (cl_bar_queue_finished(t->queue, id)) {
			if (g_strcmp0(t->shown_id, id) == 0)
				close_dialog(t);
			update_count(t);
			show_head(t);
		}
	}
}

static void handle_list_pending(GObject *source, GAsyncResult *result, gpointer data)
{
	ClBarTransfer *t = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
	g_autoptr(GVariant) list = NULL;
	GVariantIter iter;
	const char *id;
	GVariant *details;

	if (!reply) {
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			cl_warn("cannot list the pending transfers: %s", error->message);
		return;
	}
	list = g_variant_get_child_value(reply, 0);
	g_variant_iter_init(&iter, list);
	while (g_variant_iter_next(&iter, "(&s@a{sv})", &id, &details)) {
		add_prompt(t, id, details);
		g_variant_unref(details);
	}
}

static void handle_name_appeared(GDBusConnection *bus, const char *name, const char *owner,
                                 gpointer data)
{
	ClBarTransfer *t = data;

	/* At start and after a broker restart: prompts still pending show again. */
	g_dbus_connection_call(bus, BUS_NAME, BUS_PATH, BUS_IFACE, "ListPending", NULL,
	                       G_VARIANT_TYPE("(a(sa{sv}))"), G_DBUS_CALL_FLAGS_NONE, CALL_MS,
	                       t->cancel, handle_list_pending, t);
}

static void handle_name_vanished(GDBusConnection *bus, const char *name, gpointer data)
{
	ClBarTransfer *t = data;

	/* The broker's prompts died with it: its restart lists what remains. */
	close_dialog(t);
	cl_bar_queue_clear(t->queue);
	update_count(t);
}

ClBarTransfer *cl_bar_transfer_new(ClBar *bar)
{
	ClBarTransfer *t = g_new0(ClBarTransfer, 1);
	g_autoptr(GError) error = NULL;

	t->bar = bar;
	t->queue = cl_bar_queue_new();
	t->cancel = g_cancellable_new();
	t->bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &error);
	if (!t->bus) {
		cl_warn("no core bus, transfer prompts are not shown: %s", error->message);
		return t;
	}
	t->sub_prompt = g_dbus_connection_signal_subscribe(
	        t->bus, BUS_NAME, BUS_IFACE, "PromptRequested", BUS_PATH, NULL,
	        G_DBUS_SIGNAL_FLAGS_NONE, handle_signal, t, NULL);
	t->sub_finished = g_dbus_connection_signal_subscribe(
	        t->bus, BUS_NAME, BUS_IFACE, "Finished", BUS_PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
	        handle_signal, t, NULL);
	t->watch =
	        g_bus_watch_name_on_connection(t->bus, BUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
	                                       handle_name_appeared, handle_name_vanished, t, NULL);
	return t;
}

void cl_bar_transfer_free(ClBarTransfer *t)
{
	if (!t)
		return;
	g_cancellable_cancel(t->cancel);
	close_dialog(t);
	if (t->watch)
		g_bus_unwatch_name(t->watch);
	if (t->bus) {
		g_dbus_connection_signal_unsubscribe(t->bus, t->sub_prompt);
		g_dbus_connection_signal_unsubscribe(t->bus, t->sub_finished);
	}
	g_clear_object(&t->bus);
	g_clear_object(&t->cancel);
	cl_bar_queue_free(t->queue);
	g_free(t);
}
