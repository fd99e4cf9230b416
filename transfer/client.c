/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ClTransferClient: org.cloison.CageTransfer1 over the cage's peer-to-peer
 * socket, for GLib programs in a cage (client.h).
 */
#include "cloison-build-config.h"

#include "client.h"

#include <glib/gi18n-lib.h> /* _() in the "cloison" domain: loaded into file managers */
#include <string.h>

#include "init-protocol.h"

#define CAGE_TRANSFER_PATH  "/org/cloison/CageTransfer1"
#define CAGE_TRANSFER_IFACE "org.cloison.CageTransfer1"
#define CALL_TIMEOUT_MS     30000 /* a Send is answered before the copy starts */
#define MAX_EARLY           64    /* Finished signals kept until their Send reply */
#define MAX_ID              128
#define CAGE_ID_MAX         32

struct _ClTransferClient {
	GObject parent;

	GDBusConnection *conn;
	guint subscription;
	gulong closed_handler;
	GHashTable *pending; /* id → NULL: sent, not finished */
	GQueue early;        /* of EarlyFinish: Finished before its Send reply */
	gboolean closed;
};

typedef struct {
	char *id;
	char *outcome;
	char *detail;
} EarlyFinish;

enum { SIGNAL_PROGRESS, SIGNAL_FINISHED, SIGNAL_CLOSED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_TYPE(ClTransferClient, cl_transfer_client, G_TYPE_OBJECT)

static void early_free(EarlyFinish *e)
{
	if (!e)
		return;
	g_free(e->id);
	g_free(e->outcome);
	g_free(e->detail);
	g_free(e);
}

void cl_transfer_target_free(ClTransferTarget *target)
{
	if (!target)
		return;
	g_free(target->cage);
	g_free(target->label);
	g_free(target->colour);
	g_free(target);
}

const char *cl_transfer_client_default_socket(void)
{
	const char *path = g_getenv("CLOISON_TRANSFER_SOCKET");

	return path && *path ? path : CL_CAGE_TRANSFER;
}

/* ---- what the broker sends ----------------------------------------------- */

/* Valid UTF-8, control characters as spaces, at most max bytes (cut on a character). */
static char *clean_text(const char *s, size_t max)
{
	g_autofree char *valid = g_utf8_make_valid(s ? s : "", -1);
	GString *out = g_string_sized_new(MIN(strlen(valid), max));

	for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		size_t len = (size_t)(g_utf8_next_char(p) - p);

		if (out->len + len > max)
			break;
		if (g_unichar_iscntrl(c) || c == 0x2028 || c == 0x2029)
			g_string_append_c(out, ' ');
		else
			g_string_append_len(out, p, (gssize)len);
	}
	return g_string_free(out, FALSE);
}

static gboolean valid_cage_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CAGE_ID_MAX || s[0] == '-')
		return FALSE;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_islower(s[i]) && !g_ascii_isdigit(s[i]) && s[i] != '-')
			return FALSE;
	return TRUE;
}

static gboolean valid_colour(const char *s)
{
	if (strlen(s) != 7 || s[0] != '#')
		return FALSE;
	for (int i = 1; i < 7; i++)
		if (!g_ascii_isxdigit(s[i]))
			return FALSE;
	return TRUE;
}

/* Request ids are printable ASCII without spaces, bounded. */
static gboolean valid_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > MAX_ID)
		return FALSE;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return FALSE;
	return TRUE;
}

static const char *clean_outcome(const char *outcome)
{
	static const char *const known[] = {"delivered", "denied", "failed"};

	for (size_t i = 0; i < G_N_ELEMENTS(known); i++)
		if (strcmp(outcome, known[i]) == 0)
			return known[i];
	return "failed";
}

/* ---- signals ------------------------------------------------------------- */

static void emit_finished(ClTransferClient *c, const char *id, const char *outcome,
                          const char *detail)
{
	g_autofree char *key = g_strdup(id);

	/* Removed first: a handler may look at cl_transfer_client_pending(). */
	if (!g_hash_table_remove(c->pending, key))
		return;
	g_signal_emit(c, signals[SIGNAL_FINISHED], 0, key, outcome, detail);
}

static void handle_signal(GDBusConnection *conn, const char *sender, const char *path,
                          const char *iface, const char *member, GVariant *params,
                          gpointer user_data)
{
	ClTransferClient *c = user_data;
	const char *id;

	(void)conn;
	(void)sender;
	(void)path;
	(void)iface;
	if (strcmp(member, "Progress") == 0 &&
	    g_variant_is_of_type(params, G_VARIANT_TYPE("(stt)"))) {
		guint64 done, total;

		g_variant_get(params, "(&stt)", &id, &done, &total);
		if (g_hash_table_contains(c->pending, id))
			g_signal_emit(c, signals[SIGNAL_PROGRESS], 0, id, MIN(done, total), total);
	} else if (strcmp(member, "Finished") == 0 &&
	           g_variant_is_of_type(params, G_VARIANT_TYPE("(sss)"))) {
		const char *outcome, *detail;
		g_autofree char *clean = NULL;

		g_variant_get(params, "(&s&s&s)", &id, &outcome, &detail);
		if (!valid_id(id))
			return;
		clean = clean_text(detail, CL_TRANSFER_CLIENT_MAX_TEXT);
		if (g_hash_table_contains(c->pending, id)) {
			emit_finished(c, id, clean_outcome(outcome), clean);
		} else {
			/* Maybe ours, its Send reply not handled yet: keep a few. */
			EarlyFinish *e = g_new0(EarlyFinish, 1);

			e->id = g_strdup(id);
			e->outcome = g_strdup(clean_outcome(outcome));
			e->detail = g_steal_pointer(&clean);
			g_queue_push_tail(&c->early, e);
			while (g_queue_get_length(&c->early) > MAX_EARLY)
				early_free(g_queue_pop_head(&c->early));
		}
	}
}

static void fail_all_pending(ClTransferClient *c, const char *detail)
{
	GList *keys = g_hash_table_get_keys(c->pending);
	GList *ids = NULL;

	/* Copies: a "finished" handler may send or drop anything. */
	for (GList *l = keys; l; l = l->next)
		ids = g_list_prepend(ids, g_strdup(l->data));
	g_list_free(keys);
	for (GList *l = ids; l; l = l->next)
		emit_finished(c, l->data, "failed", detail);
	g_list_free_full(ids, g_free);
}

static void handle_closed(GDBusConnection *conn, gboolean remote_peer_vanished, GError *error,
                          gpointer user_data)
{
	ClTransferClient *c = user_data;

	(void)conn;
	(void)remote_peer_vanished;
	(void)error;
	if (c->closed)
		return;
	c->closed = TRUE;
	g_object_ref(c);
	fail_all_pending(c, _("the connection to the transfer broker was lost"));
	g_signal_emit(c, signals[SIGNAL_CLOSED], 0);
	g_object_unref(c);
}

/* ---- object -------------------------------------------------------------- */

static void cl_transfer_client_dispose(GObject *object)
{
	ClTransferClient *c = CL_TRANSFER_CLIENT(object);

	if (c->conn) {
		if (c->subscription)
			g_dbus_connection_signal_unsubscribe(c->conn, c->subscription);
		c->subscription = 0;
		g_clear_signal_handler(&c->closed_handler, c->conn);
		g_dbus_connection_close(c->conn, NULL, NULL, NULL);
		g_clear_object(&c->conn);
	}
	G_OBJECT_CLASS(cl_transfer_client_parent_class)->dispose(object);
}

static void cl_transfer_client_finalize(GObject *object)
{
	ClTransferClient *c = CL_TRANSFER_CLIENT(object);

	g_hash_table_unref(c->pending);
	g_queue_clear_full(&c->early, (GDestroyNotify)early_free);
	G_OBJECT_CLASS(cl_transfer_client_parent_class)->finalize(object);
}

static void cl_transfer_client_class_init(ClTransferClientClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = cl_transfer_client_dispose;
	object_class->finalize = cl_transfer_client_finalize;
	signals[SIGNAL_PROGRESS] =
	        g_signal_new("progress", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
	                     NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_UINT64, G_TYPE_UINT64);
	signals[SIGNAL_FINISHED] =
	        g_signal_new("finished", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
	                     NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
	signals[SIGNAL_CLOSED] = g_signal_new("closed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
	                                      0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void cl_transfer_client_init(ClTransferClient *c)
{
	c->pending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_queue_init(&c->early);
}

static ClTransferClient *client_for(GDBusConnection *conn)
{
	ClTransferClient *c = g_object_new(CL_TYPE_TRANSFER_CLIENT, NULL);

	c->conn = g_object_ref(conn);
	g_dbus_connection_set_exit_on_close(conn, FALSE);
	c->closed_handler = g_signal_connect(conn, "closed", G_CALLBACK(handle_closed), c);
	c->subscription = g_dbus_connection_signal_subscribe(
	        conn, NULL, CAGE_TRANSFER_IFACE, NULL, CAGE_TRANSFER_PATH, NULL,
	        G_DBUS_SIGNAL_FLAGS_NONE, handle_signal, c, NULL);
	if (g_dbus_connection_is_closed(conn))
		c->closed = TRUE;
	return c;
}

static char *address_for(const char *socket_path)
{
	g_autofree char *escaped = g_dbus_address_escape_value(socket_path);

	return g_strconcat("unix:path=", escaped, NULL);
}

/* The connection error, saying which socket and, when it is missing, why. */
static void prefix_connect_error(GError **error, const char *socket_path)
{
	if (!error || !*error)
		return;
	if (!g_file_test(socket_path, G_FILE_TEST_EXISTS))
		g_prefix_error(error, _("no transfer service in this cage (%s is missing): "),
		               socket_path);
	else
		g_prefix_error(error, _("cannot reach the transfer broker at %s: "), socket_path);
}

ClTransferClient *cl_transfer_client_new_sync(const char *socket_path, GCancellable *cancellable,
                                              GError **error)
{
	const char *path = socket_path ? socket_path : cl_transfer_client_default_socket();
	g_autofree char *address = address_for(path);
	g_autoptr(GDBusConnection) conn = g_dbus_connection_new_for_address_sync(
	        address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT, NULL, cancellable, error);

	if (!conn) {
		prefix_connect_error(error, path);
		return NULL;
	}
	return client_for(conn);
}

static void connected(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GDBusConnection) conn = g_dbus_connection_new_for_address_finish(result, &error);

	(void)source;
	if (!conn) {
		prefix_connect_error(&error, g_task_get_task_data(task));
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	g_task_return_pointer(task, client_for(conn), g_object_unref);
}

void cl_transfer_client_new_async(const char *socket_path, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data)
{
	const char *path = socket_path ? socket_path : cl_transfer_client_default_socket();
	g_autofree char *address = address_for(path);
	GTask *task = g_task_new(NULL, cancellable, callback, user_data);

	g_task_set_source_tag(task, cl_transfer_client_new_async);
	g_task_set_task_data(task, g_strdup(path), g_free);
	g_dbus_connection_new_for_address(address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT,
	                                  NULL, cancellable, connected, task);
}

ClTransferClient *cl_transfer_client_new_finish(GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}

/* The broker's message without the D-Bus error name GDBus puts in front. */
static void strip_remote(GError *error)
{
	if (error && g_dbus_error_is_remote_error(error))
		g_dbus_error_strip_remote_error(error);
}

static GError *closed_error(void)
{
	return g_error_new_literal(G_IO_ERROR, G_IO_ERROR_CLOSED,
	                           _("the connection to the transfer broker was lost"));
}

/* ---- ListTargets --------------------------------------------------------- */

static GPtrArray *parse_targets(GVariant *reply, GError **error)
{
	GPtrArray *targets =
	        g_ptr_array_new_with_free_func((GDestroyNotify)cl_transfer_target_free);
	g_autoptr(GVariantIter) iter = NULL;
	const char *cage, *label, *colour;

	if (!g_variant_is_of_type(reply, G_VARIANT_TYPE("(a(sss))"))) {
		g_ptr_array_unref(targets);
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		            _("the transfer broker answered ListTargets with type %s"),
		            g_variant_get_type_string(reply));
		return NULL;
	}
	g_variant_get(reply, "(a(sss))", &iter);
	while (targets->len < CL_TRANSFER_CLIENT_MAX_TARGETS &&
	       g_variant_iter_next(iter, "(&s&s&s)", &cage, &label, &colour)) {
		ClTransferTarget *t;

		if (!valid_cage_id(cage) || !valid_colour(colour) || !*label)
			continue;
		t = g_new0(ClTransferTarget, 1);
		t->cage = g_strdup(cage);
		t->label = clean_text(label, 128);
		t->colour = g_ascii_strdown(colour, -1);
		g_ptr_array_add(targets, t);
	}
	return targets;
}

static void targets_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
	GPtrArray *targets;

	if (!reply) {
		strip_remote(error);
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	targets = parse_targets(reply, &error);
	if (!targets)
		g_task_return_error(task, g_steal_pointer(&error));
	else
		g_task_return_pointer(task, targets, (GDestroyNotify)g_ptr_array_unref);
}

void cl_transfer_client_list_targets_async(ClTransferClient *client, GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task;

	g_return_if_fail(CL_IS_TRANSFER_CLIENT(client));
	task = g_task_new(client, cancellable, callback, user_data);
	g_task_set_source_tag(task, cl_transfer_client_list_targets_async);
	if (client->closed) {
		g_task_return_error(task, closed_error());
		g_object_unref(task);
		return;
	}
	g_dbus_connection_call(client->conn, NULL, CAGE_TRANSFER_PATH, CAGE_TRANSFER_IFACE,
	                       "ListTargets", NULL, G_VARIANT_TYPE("(a(sss))"),
	                       G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, cancellable,
	                       targets_done, task);
}

GPtrArray *cl_transfer_client_list_targets_finish(ClTransferClient *client, GAsyncResult *result,
                                                  GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, client), NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}

GPtrArray *cl_transfer_client_list_targets_sync(ClTransferClient *client, int timeout_ms,
                                                GCancellable *cancellable, GError **error)
{
	g_autoptr(GVariant) reply = NULL;

	g_return_val_if_fail(CL_IS_TRANSFER_CLIENT(client), NULL);
	g_return_val_if_fail(timeout_ms > 0, NULL);
	if (client->closed) {
		g_propagate_error(error, closed_error());
		return NULL;
	}
	reply = g_dbus_connection_call_sync(
	        client->conn, NULL, CAGE_TRANSFER_PATH, CAGE_TRANSFER_IFACE, "ListTargets", NULL,
	        G_VARIANT_TYPE("(a(sss))"), G_DBUS_CALL_FLAGS_NO_AUTO_START, timeout_ms,
	        cancellable, error);
	if (!reply) {
		strip_remote(error ? *error : NULL);
		return NULL;
	}
	return parse_targets(reply, error);
}

/* ---- Send ---------------------------------------------------------------- */

static void send_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	ClTransferClient *c = g_task_get_source_object(task);
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
	const char *id;

	if (!reply) {
		strip_remote(error);
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	g_variant_get(reply, "(&s)", &id);
	if (!valid_id(id)) {
		g_task_return_new_error(
		        task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		        _("the transfer broker answered with a malformed request id"));
		return;
	}
	if (c->closed) {
		g_task_return_error(task, closed_error());
		return;
	}
	g_hash_table_add(c->pending, g_strdup(id));
	g_task_return_pointer(task, g_strdup(id), g_free);

	/* A Finished that came before this reply is reported now, after the caller saw the id. */
	for (GList *l = c->early.head; l; l = l->next) {
		EarlyFinish *e = l->data;

		if (strcmp(e->id, id) == 0) {
			g_queue_delete_link(&c->early, l);
			g_object_ref(c);
			emit_finished(c, e->id, e->outcome, e->detail);
			g_object_unref(c);
			early_free(e);
			break;
		}
	}
}

void cl_transfer_client_send_async(ClTransferClient *client, const char *path, const char *target,
                                   gboolean move, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task;

	g_return_if_fail(CL_IS_TRANSFER_CLIENT(client));
	g_return_if_fail(path != NULL);
	task = g_task_new(client, cancellable, callback, user_data);
	g_task_set_source_tag(task, cl_transfer_client_send_async);
	if (client->closed) {
		g_task_return_error(task, closed_error());
		g_object_unref(task);
		return;
	}
	if (!g_utf8_validate(path, -1, NULL) || !g_utf8_validate(target ? target : "", -1, NULL)) {
		/* D-Bus strings must be UTF-8: say so rather than let GVariant abort. */
		g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME,
		                        _("the file name is not valid UTF-8, which the transfer "
		                          "broker cannot receive: rename it first"));
		g_object_unref(task);
		return;
	}
	g_dbus_connection_call(client->conn, NULL, CAGE_TRANSFER_PATH, CAGE_TRANSFER_IFACE, "Send",
	                       g_variant_new("(ssb)", path, target ? target : "", move),
	                       G_VARIANT_TYPE("(s)"), G_DBUS_CALL_FLAGS_NO_AUTO_START,
	                       CALL_TIMEOUT_MS, cancellable, send_done, task);
}

char *cl_transfer_client_send_finish(ClTransferClient *client, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, client), NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}

void cl_transfer_client_cancel(ClTransferClient *client, const char *id)
{
	g_return_if_fail(CL_IS_TRANSFER_CLIENT(client));
	if (client->closed || !id || !g_hash_table_contains(client->pending, id))
		return;
	g_dbus_connection_call(client->conn, NULL, CAGE_TRANSFER_PATH, CAGE_TRANSFER_IFACE,
	                       "Cancel", g_variant_new("(s)", id), NULL,
	                       G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, NULL, NULL, NULL);
}

guint cl_transfer_client_pending(ClTransferClient *client)
{
	g_return_val_if_fail(CL_IS_TRANSFER_CLIENT(client), 0);
	return g_hash_table_size(client->pending);
}
