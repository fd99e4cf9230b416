/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cloison-bar: the trusted bar (bar.c), the transfer prompts (transfer.c)
 * and the notification popups, history and unread count (notify.c).
 * See docs/bar.md.
 */
#pragma once

#include <gtk/gtk.h>
#include <stdbool.h>

#include "config.h"
#include "model.h"

struct zcloison_shell_v1;
struct wl_registry;

typedef struct ClBarTransfer ClBarTransfer;
typedef struct ClBarNotify ClBarNotify;

typedef struct {
	GtkApplication *app;
	ClConfig *config;
	ClBarModel *model;

	/* Wayland, on GDK's connection and its default queue (GDK dispatches it). */
	struct wl_registry *registry;
	struct zcloison_shell_v1 *shell;
	uint32_t shell_name;

	GtkWidget *window; /* the bar toplevel */
	GtkWidget *badge;  /* level colour and pattern */
	GtkWidget *level_label;
	GtkWidget *windows_box; /* groups of window buttons */
	GtkWidget *cages_button;
	GtkWidget *transfers_label;
	GtkWidget *notify_button; /* the notification area: unread security events */
	GtkWidget *notify_icon;
	GtkWidget *notify_label;
	guint unread;
	GtkWidget *clock_label;
	GtkCssProvider *css; /* the focused level's colours */
	bool attention;      /* the keyboard focus came from secure attention */

	GtkWidget *cages_window; /* the cage list, a trusted dialog; NULL when closed */
	GtkWidget *cages_list;
	GtkWidget *cages_error;  /* the last Start/Stop failure, hidden when none */
	GHashTable *cage_states; /* cage id → state string, refreshed with the clock */

	/*
	 * In a session, org.cloison.Session1 has an owner on the core bus (our
	 * session bus) and starts and supervises the cages; alone, the bar runs
	 * `cloison-cage run` itself.
	 */
	GDBusConnection *bus;
	guint session_watch;
	bool session_known;  /* the watch has reported */
	char *session_owner; /* unique name of the session; NULL: no session */
	GCancellable *cancel;

	guint tick; /* clock and cage states */
	char *cage_command;
	char *config_path; /* given to cloison-cage too; NULL for the default */
	ClBarTransfer *transfer;
	ClBarNotify *notify;
} ClBar;

/* bar.c */
ClBar *cl_bar_new(GtkApplication *app, ClConfig *config, const char *config_path);
void cl_bar_free(ClBar *bar);
/* Creates the bar window and binds zcloison_shell_v1; false if not possible. */
bool cl_bar_start(ClBar *bar, GError **error);
/* Makes a toplevel a trusted dialog once it is mapped. */
void cl_bar_make_dialog(ClBar *bar, GtkWindow *window);
void cl_bar_set_pending_count(ClBar *bar, guint count);
/* The notification area: COUNT unread security events; AVAILABLE: notifyd runs. */
void cl_bar_set_unread(ClBar *bar, guint count, bool available);
/*
 * Makes a toplevel the notification popups' window (set_notification) once
 * it is mapped; false when the compositor's shell is older than version 2
 * (the window would never be shown).
 */
bool cl_bar_make_notification_window(ClBar *bar, GtkWindow *window);
/* Give the keyboard back after the user clicked the bar or a popup (release_focus). */
void cl_bar_release_focus(ClBar *bar);
/* The neutral hatch of the core style (security events), in a W x H box. */
void cl_bar_draw_core_hatch(cairo_t *cr, double width, double height);
/* A small square in the level's colour with its pattern (the second cue). */
GtkWidget *cl_bar_level_icon_new(ClBar *bar, const char *level_id, uint32_t colour, int size);
void cl_bar_draw_pattern(cairo_t *cr, ClBarPattern pattern, uint32_t colour, double width,
                         double height);

/* transfer.c: the broker's prompt agent on the core bus. */
ClBarTransfer *cl_bar_transfer_new(ClBar *bar);
void cl_bar_transfer_free(ClBarTransfer *transfer);

/* notify.c: org.cloison.NotifyDisplay1 on the core bus, popups and history. */
ClBarNotify *cl_bar_notify_new(ClBar *bar);
void cl_bar_notify_free(ClBarNotify *notify);
/* The notification area was activated: the history dialog (and MarkSeen). */
void cl_bar_notify_open_history(ClBarNotify *notify);
