/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ClTransferWindow: the in-cage GTK 4 window that shows documents being
 * sent to another cage, their progress and their outcome.  Shared by the
 * graphical mode of cloison-transfer (run by Thunar, Dolphin and Nemo
 * actions) and the Nautilus extension, so every file manager shows a
 * transfer the same way.
 *
 * This window runs inside the sending cage: it is the cage's own view and
 * decides nothing.  The decision is the user's, on the trusted dialog of
 * the bar; this window only says that the dialog is waiting, then what
 * the broker reported (delivered, denied with the reason, failed with the
 * reason).
 *
 * One row per document: its name (as the cage named it, shown escaped), the
 * target's label in the target's colour ("the trusted dialog asks" when no
 * target was given), a progress bar fed by the "progress" signal, and the
 * outcome with the broker's detail.  A refused Send (the broker's error)
 * is that row's outcome too.  The window stays open until the user closes
 * it; closing it while transfers run does not cancel them.
 *
 * Signal:
 *   "done" (guint delivered, guint denied, guint failed)
 *       once, when every document added so far has an outcome.
 */
#pragma once

#include <gtk/gtk.h>

#include "client.h"

G_BEGIN_DECLS

#define CL_TYPE_TRANSFER_WINDOW (cl_transfer_window_get_type())
G_DECLARE_FINAL_TYPE(ClTransferWindow, cl_transfer_window, CL, TRANSFER_WINDOW, GtkWindow)

/* client: a connected client (a reference is taken); parent may be NULL. */
ClTransferWindow *cl_transfer_window_new(ClTransferClient *client, GtkWindow *parent);

/*
 * Sends every path (in-cage absolute paths or relative to the home; at most
 * CL_TRANSFER_CLIENT_MAX_FILES in the window's life) to target (NULL: the
 * user chooses on the trusted dialog), moving them when move is TRUE, and
 * adds one row for each.  Presents the window.
 */
void cl_transfer_window_send(ClTransferWindow *window, const char *const *paths,
                             const ClTransferTarget *target, gboolean move);

/*
 * A target's label in the target's colour (a plain label on a badge of the
 * colour, the cage id as tooltip); NULL: "the trusted dialog asks".  For
 * pickers and menus that show targets the way the window does.
 */
GtkWidget *cl_transfer_target_badge_new(const ClTransferTarget *target);

/* Counts so far (any of the pointers may be NULL). */
void cl_transfer_window_counts(ClTransferWindow *window, guint *running, guint *delivered,
                               guint *denied, guint *failed);

G_END_DECLS
