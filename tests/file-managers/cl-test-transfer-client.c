/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cl-test-transfer-client: ClTransferClient (transfer/client.h) against a
 * real broker, for tests/file-managers/run-transfer-gtk.sh.  The socket is
 * $CLOISON_TRANSFER_SOCKET (a cage's socket is that cage's identity).
 *
 *   cl-test-transfer-client targets
 *       ListTargets, async then the bounded sync variant: one line each,
 *       "async|sync CAGE LABEL COLOUR";
 *   cl-test-transfer-client send TARGET FILE...
 *       Send each (TARGET "" lets the dialog choose), one line per event:
 *       "sent FILE ID", "refused FILE MESSAGE", "progress ID DONE TOTAL",
 *       "finished ID OUTCOME DETAIL", "closed"; exits once every Send is
 *       answered and every sent id finished (status 0), with a line
 *       "pending N" first if --ready FILE is given (written after the
 *       replies, for the test to act while transfers run);
 *   cl-test-transfer-client pipelined
 *       a raw connection that writes the authentication, BEGIN and a
 *       ListTargets call in one write, as a client may: "pipelined reply N"
 *       (N targets) if the broker answers within 5 s, else "pipelined
 *       no reply".
 */
#include <gio/gunixsocketaddress.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

static GMainLoop *loop;
static guint replies_due;
static const char *ready_file;

static void maybe_quit(ClTransferClient *c)
{
	if (replies_due == 0 && cl_transfer_client_pending(c) == 0)
		g_main_loop_quit(loop);
}

static void on_progress(ClTransferClient *c, const char *id, guint64 done, guint64 total,
                        gpointer data)
{
	printf("progress %s %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT "\n", id, done, total);
	fflush(stdout);
}

static void on_finished(ClTransferClient *c, const char *id, const char *outcome,
                        const char *detail, gpointer data)
{
	printf("finished %s %s %s\n", id, outcome, detail);
	fflush(stdout);
	maybe_quit(c);
}

static void on_closed(ClTransferClient *c, gpointer data)
{
	printf("closed\n");
	fflush(stdout);
	g_main_loop_quit(loop);
}

static void sent(GObject *source, GAsyncResult *result, gpointer data)
{
	ClTransferClient *c = CL_TRANSFER_CLIENT(source);
	g_autofree char *file = data;
	g_autoptr(GError) error = NULL;
	g_autofree char *id = cl_transfer_client_send_finish(c, result, &error);

	if (id)
		printf("sent %s %s\n", file, id);
	else
		printf("refused %s %s\n", file, error->message);
	fflush(stdout);
	if (--replies_due == 0 && ready_file) {
		g_autofree char *text =
		        g_strdup_printf("pending %u\n", cl_transfer_client_pending(c));

		g_file_set_contents(ready_file, text, -1, NULL);
	}
	maybe_quit(c);
}

static void listed(GObject *source, GAsyncResult *result, gpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) targets =
	        cl_transfer_client_list_targets_finish(CL_TRANSFER_CLIENT(source), result, &error);

	if (!targets) {
		printf("error %s\n", error->message);
	} else {
		for (guint i = 0; i < targets->len; i++) {
			ClTransferTarget *t = g_ptr_array_index(targets, i);

			printf("async %s %s %s\n", t->cage, t->label, t->colour);
		}
	}
	g_main_loop_quit(loop);
}

/* Reads exactly len bytes (5 s at most in all). */
static gboolean read_all(GSocket *sock, guint8 *buf, gsize len)
{
	gsize got = 0;

	while (got < len) {
		gssize n = g_socket_receive(sock, (char *)buf + got, len - got, NULL, NULL);

		if (n <= 0)
			return FALSE;
		got += (gsize)n;
	}
	return TRUE;
}

static int pipelined(void)
{
	const char *path = cl_transfer_client_default_socket();
	g_autoptr(GSocket) sock = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, 0, NULL);
	g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
	g_autoptr(GDBusMessage) call = g_dbus_message_new_method_call(
	        NULL, "/org/cloison/CageTransfer1", "org.cloison.CageTransfer1", "ListTargets");
	g_autoptr(GDBusMessage) reply = NULL;
	g_autofree guchar *blob = NULL;
	g_autofree char *uid = g_strdup_printf("%u", (unsigned)getuid());
	g_autoptr(GString) out = g_string_new("");
	guint8 c, header[16];
	gsize blob_len;
	gssize need;
	g_autofree guint8 *body = NULL;

	if (!sock || !g_socket_connect(sock, addr, NULL, NULL)) {
		printf("pipelined cannot connect\n");
		return 1;
	}
	g_socket_set_timeout(sock, 5);
	g_dbus_message_set_serial(call, 1);
	blob = g_dbus_message_to_blob(call, &blob_len, G_DBUS_CAPABILITY_FLAGS_NONE, NULL);
	g_string_append_len(out, "\0", 1);
	g_string_append(out, "AUTH EXTERNAL ");
	for (const char *p = uid; *p; p++)
		g_string_append_printf(out, "%02x", (unsigned char)*p);
	g_string_append(out, "\r\nBEGIN\r\n");
	g_string_append_len(out, (const char *)blob, (gssize)blob_len);
	if (g_socket_send(sock, out->str, out->len, NULL, NULL) != (gssize)out->len) {
		printf("pipelined cannot write\n");
		return 1;
	}
	/* "OK <guid>\r\n", then the reply. */
	do {
		if (!read_all(sock, &c, 1)) {
			printf("pipelined no reply\n");
			return 1;
		}
	} while (c != '\n');
	if (!read_all(sock, header, sizeof(header)) ||
	    (need = g_dbus_message_bytes_needed(header, sizeof(header), NULL)) < 16) {
		printf("pipelined no reply\n");
		return 1;
	}
	body = g_malloc((gsize)need);
	memcpy(body, header, sizeof(header));
	if (!read_all(sock, body + 16, (gsize)need - 16) ||
	    !(reply = g_dbus_message_new_from_blob(body, (gsize)need, G_DBUS_CAPABILITY_FLAGS_NONE,
	                                           NULL)) ||
	    g_dbus_message_get_message_type(reply) != G_DBUS_MESSAGE_TYPE_METHOD_RETURN ||
	    g_dbus_message_get_reply_serial(reply) != 1) {
		printf("pipelined no reply\n");
		return 1;
	}
	printf("pipelined reply %zu\n",
	       g_variant_n_children(g_variant_get_child_value(g_dbus_message_get_body(reply), 0)));
	return 0;
}

int main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(ClTransferClient) c = NULL;
	int i = 1;

	if (argc > 3 && strcmp(argv[1], "--ready") == 0) {
		ready_file = argv[2];
		i = 3;
	}
	if (argc - i < 1) {
		fprintf(stderr, "usage: cl-test-transfer-client [--ready FILE] targets|send ...\n");
		return 2;
	}
	if (strcmp(argv[i], "pipelined") == 0)
		return pipelined();
	loop = g_main_loop_new(NULL, FALSE);
	c = cl_transfer_client_new_sync(NULL, NULL, &error);
	if (!c) {
		printf("connect-error %s\n", error->message);
		return 1;
	}
	g_signal_connect(c, "progress", G_CALLBACK(on_progress), NULL);
	g_signal_connect(c, "finished", G_CALLBACK(on_finished), NULL);
	g_signal_connect(c, "closed", G_CALLBACK(on_closed), NULL);
	if (strcmp(argv[i], "targets") == 0) {
		g_autoptr(GPtrArray) targets = NULL;

		cl_transfer_client_list_targets_async(c, NULL, listed, NULL);
		g_main_loop_run(loop);
		targets = cl_transfer_client_list_targets_sync(c, 5000, NULL, &error);
		if (!targets) {
			printf("error %s\n", error->message);
			return 1;
		}
		for (guint k = 0; k < targets->len; k++) {
			ClTransferTarget *t = g_ptr_array_index(targets, k);

			printf("sync %s %s %s\n", t->cage, t->label, t->colour);
		}
		return 0;
	}
	if (strcmp(argv[i], "send") == 0 && argc - i >= 3) {
		for (int k = i + 2; k < argc; k++) {
			replies_due++;
			cl_transfer_client_send_async(c, argv[k], argv[i + 1], FALSE, NULL, sent,
			                              g_strdup(argv[k]));
		}
		g_main_loop_run(loop);
		return 0;
	}
	fprintf(stderr, "cl-test-transfer-client: unknown command %s\n", argv[i]);
	return 2;
}
