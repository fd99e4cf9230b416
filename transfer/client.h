/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The cage side of the transfer broker, for GLib programs that run inside a
 * cage: the GTK mode of cloison-transfer and the Nautilus extension.
 *
 * A ClTransferClient is one peer-to-peer connection to the broker's socket
 * (/run/cloison/transfer in a cage, $CLOISON_TRANSFER_SOCKET when set), on
 * which it calls org.cloison.CageTransfer1.  Every call is asynchronous (a
 * file manager must never freeze on it) except the bounded
 * list_targets_sync(), meant for menus that must be built at once.
 *
 * It reports only the transfers it started itself: "progress" and
 * "finished" signals for the ids its own send_async() calls returned (the
 * broker emits them to every connection of the cage).  A Finished that
 * arrives before the Send reply is kept and reported right after it.  If
 * the connection is lost, every transfer still running is reported as
 * finished with outcome "failed", so a waiting window never hangs.
 *
 * What the broker sends is checked before it is passed on: outcomes other
 * than delivered/denied/failed become "failed", texts are made valid UTF-8
 * and cut to CL_TRANSFER_CLIENT_MAX_TEXT bytes, targets with a malformed id,
 * label or colour are dropped, at most CL_TRANSFER_CLIENT_MAX_TARGETS.
 *
 * Signals (emitted in the thread-default main context of the thread that
 * created the client):
 *   "progress" (const char *id, guint64 done, guint64 total)
 *   "finished" (const char *id, const char *outcome, const char *detail)
 *   "closed"   ()  the connection is gone; no call will succeed any more
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define CL_TRANSFER_CLIENT_MAX_TEXT    1024
#define CL_TRANSFER_CLIENT_MAX_TARGETS 64
#define CL_TRANSFER_CLIENT_MAX_FILES   1024

#define CL_TYPE_TRANSFER_CLIENT (cl_transfer_client_get_type())
G_DECLARE_FINAL_TYPE(ClTransferClient, cl_transfer_client, CL, TRANSFER_CLIENT, GObject)

/* A cage this cage may send to (ListTargets). */
typedef struct {
	char *cage;   /* cage id: [a-z0-9][a-z0-9-]*, at most 32 bytes */
	char *label;  /* the level's label, valid UTF-8, no control characters */
	char *colour; /* "#rrggbb" */
} ClTransferTarget;

void cl_transfer_target_free(ClTransferTarget *target);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ClTransferTarget, cl_transfer_target_free)

/*
 * The socket's path: $CLOISON_TRANSFER_SOCKET when set and not empty,
 * otherwise /run/cloison/transfer.  Not freed by the caller.
 */
const char *cl_transfer_client_default_socket(void);

/*
 * Connects to the broker at socket_path (NULL: the default above).  The
 * error names the socket and says whether it is missing (no transfer
 * service in this cage) or refused.
 */
void cl_transfer_client_new_async(const char *socket_path, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
ClTransferClient *cl_transfer_client_new_finish(GAsyncResult *result, GError **error);
ClTransferClient *cl_transfer_client_new_sync(const char *socket_path, GCancellable *cancellable,
                                              GError **error);

/* ListTargets(): a GPtrArray of ClTransferTarget (owning, free function set). */
void cl_transfer_client_list_targets_async(ClTransferClient *client, GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *cl_transfer_client_list_targets_finish(ClTransferClient *client, GAsyncResult *result,
                                                  GError **error);
/* The same, blocking for at most timeout_ms (> 0). */
GPtrArray *cl_transfer_client_list_targets_sync(ClTransferClient *client, int timeout_ms,
                                                GCancellable *cancellable, GError **error);

/*
 * Send(path, target, move): path is an absolute in-cage path under the home
 * or relative to it; target a cage id or "" (the user chooses on the trusted
 * dialog).  Returns the request id (to free), which the "progress" and
 * "finished" signals then name.  The broker's refusals come back as the
 * GError's message (its D-Bus error name stripped).
 */
void cl_transfer_client_send_async(ClTransferClient *client, const char *path, const char *target,
                                   gboolean move, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data);
char *cl_transfer_client_send_finish(ClTransferClient *client, GAsyncResult *result,
                                     GError **error);

/* Cancel(id), for an id this client sent; the outcome still comes as "finished". */
void cl_transfer_client_cancel(ClTransferClient *client, const char *id);

/* How many of this client's transfers have not finished yet. */
guint cl_transfer_client_pending(ClTransferClient *client);

G_END_DECLS
