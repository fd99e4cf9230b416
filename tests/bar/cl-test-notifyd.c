/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cl-test-notifyd: a test stand-in for cloison-notifyd's display side.  It
 * owns org.cloison.Notify1 on a bus and serves org.cloison.NotifyDisplay1
 * (common/security-events.h) from a script of notifications, so that the
 * bar can be driven under the headless compositor without the real
 * notifyd.  Test only: it trusts its commands.
 *
 *   cl-test-notifyd --out FILE [--bus ADDRESS] [--commands FIFO] [--preload DICT]...
 *
 * --preload opens a notification before the name is owned (what a
 * restarted notifyd would still hold).
 *
 * Commands (one per line, on the FIFO or else on stdin); DICT is a
 * notification dictionary in GVariant text format, e.g.
 * {'id': <uint32 1>, 'style': <'cage'>, …}:
 *   show DICT            open it (List, History), emit Shown; a security
 *                        one adds one unread event (UnreadChanged)
 *   preload DICT         open it silently (List, History)
 *   history DICT         add it to History only
 *   close ID REASON      close it, emit Closed(ID, REASON)
 *   forge DICT           emit Shown from a second connection that does not
 *                        own the name (the bar must ignore it)
 *   quit                 exit 0
 *
 * Lines appended to FILE: "start PID", "ready" (the name is owned), and
 * for every call: "call List", "call History", "call UnreadSecurity",
 * "invoke ID KEY", "dismiss ID", "markseen"; "error TEXT" for a bad
 * command.  Dismiss closes the notification (Closed reason 2); MarkSeen
 * sets the unread count to 0 (UnreadChanged).
 */
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "security-events.h"

static const char introspection[] =
        "<node>"
        " <interface name='" CL_NOTIFY_DISPLAY_IFACE "'>"
        "  <method name='List'><arg type='aa{sv}' direction='out'/></method>"
        "  <method name='History'><arg type='aa{sv}' direction='out'/></method>"
        "  <method name='InvokeAction'><arg type='u' direction='in'/>"
        "   <arg type='s' direction='in'/></method>"
        "  <method name='Dismiss'><arg type='u' direction='in'/></method>"
        "  <method name='MarkSeen'/>"
        "  <method name='UnreadSecurity'><arg type='u' direction='out'/></method>"
        "  <signal name='Shown'><arg type='a{sv}'/></signal>"
        "  <signal name='Closed'><arg type='u'/><arg type='u'/></signal>"
        "  <signal name='UnreadChanged'><arg type='u'/></signal>"
        " </interface>"
        "</node>";

typedef struct {
	FILE *out;
	GMainLoop *loop;
	GDBusConnection *bus;
	GDBusConnection *forger; /* a second connection, never the owner */
	const char *address;
	GPtrArray *open;    /* GVariant a{sv} */
	GPtrArray *history; /* GVariant a{sv} */
	guint unread;
	GString *line;
	int status;
} Service;

static void say(Service *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void say(Service *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(s->out, fmt, ap);
	va_end(ap);
	fputc('\n', s->out);
	fflush(s->out);
}

static guint32 dict_id(GVariant *dict)
{
	guint32 id = 0;

	g_variant_lookup(dict, "id", "u", &id);
	return id;
}

static GVariant *list_of(GPtrArray *items)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE("aa{sv}"));
	for (guint i = 0; i < items->len; i++)
		g_variant_builder_add_value(&b, g_ptr_array_index(items, i));
	return g_variant_new("(@aa{sv})", g_variant_builder_end(&b));
}

static void emit(Service *s, GDBusConnection *bus, const char *signal, GVariant *params)
{
	g_autoptr(GError) error = NULL;

	if (!g_dbus_connection_emit_signal(bus, NULL, CL_NOTIFY_PATH, CL_NOTIFY_DISPLAY_IFACE,
	                                   signal, params, &error))
		say(s, "error emit %s: %s", signal, error->message);
}

static bool close_note(Service *s, guint32 id, guint32 reason)
{
	for (guint i = 0; i < s->open->len; i++) {
		if (dict_id(g_ptr_array_index(s->open, i)) == id) {
			g_ptr_array_remove_index(s->open, i);
			emit(s, s->bus, "Closed", g_variant_new("(uu)", id, reason));
			return true;
		}
	}
	return false;
}

static void set_unread(Service *s, guint count)
{
	s->unread = count;
	emit(s, s->bus, "UnreadChanged", g_variant_new("(u)", count));
}

static void handle_method(GDBusConnection *bus, const char *sender, const char *path,
                          const char *iface, const char *method, GVariant *params,
                          GDBusMethodInvocation *invocation, gpointer data)
{
	Service *s = data;

	if (strcmp(method, "List") == 0) {
		say(s, "call List");
		g_dbus_method_invocation_return_value(invocation, list_of(s->open));
	} else if (strcmp(method, "History") == 0) {
		say(s, "call History");
		g_dbus_method_invocation_return_value(invocation, list_of(s->history));
	} else if (strcmp(method, "UnreadSecurity") == 0) {
		say(s, "call UnreadSecurity");
		g_dbus_method_invocation_return_value(invocation, g_variant_new("(u)", s->unread));
	} else if (strcmp(method, "InvokeAction") == 0) {
		guint32 id;
		const char *key;

		g_variant_get(params, "(u&s)", &id, &key);
		say(s, "invoke %u %s", id, key);
		g_dbus_method_invocation_return_value(invocation, NULL);
	} else if (strcmp(method, "Dismiss") == 0) {
		guint32 id;

		g_variant_get(params, "(u)", &id);
		say(s, "dismiss %u", id);
		g_dbus_method_invocation_return_value(invocation, NULL);
		close_note(s, id, 2);
	} else if (strcmp(method, "MarkSeen") == 0) {
		say(s, "markseen");
		g_dbus_method_invocation_return_value(invocation, NULL);
		set_unread(s, 0);
	} else {
		g_dbus_method_invocation_return_dbus_error(
		        invocation, "org.freedesktop.DBus.Error.UnknownMethod", method);
	}
}

static const GDBusInterfaceVTable vtable = {.method_call = handle_method};

static GVariant *parse_dict(Service *s, const char *text)
{
	g_autoptr(GError) error = NULL;
	GVariant *v = g_variant_parse(G_VARIANT_TYPE_VARDICT, text, NULL, NULL, &error);

	if (!v)
		say(s, "error parse: %s", error->message);
	return v ? g_variant_ref_sink(v) : NULL;
}

static void run_command(Service *s, const char *line)
{
	guint32 id, reason;

	if (g_str_has_prefix(line, "show ") || g_str_has_prefix(line, "preload ")) {
		bool show = line[0] == 's';
		GVariant *dict = parse_dict(s, strchr(line, ' ') + 1);
		const char *style = NULL;

		if (!dict)
			return;
		g_ptr_array_add(s->open, g_variant_ref(dict));
		g_ptr_array_add(s->history, g_variant_ref(dict));
		if (show) {
			emit(s, s->bus, "Shown", g_variant_new("(@a{sv})", dict));
			if (g_variant_lookup(dict, "style", "&s", &style) &&
			    strcmp(style, CL_STYLE_SECURITY) == 0)
				set_unread(s, s->unread + 1);
		}
		g_variant_unref(dict);
	} else if (g_str_has_prefix(line, "history ")) {
		GVariant *dict = parse_dict(s, line + 8);

		if (dict)
			g_ptr_array_add(s->history, dict);
	} else if (g_str_has_prefix(line, "forge ")) {
		GVariant *dict = parse_dict(s, line + 6);

		if (dict) {
			emit(s, s->forger, "Shown", g_variant_new("(@a{sv})", dict));
			g_dbus_connection_flush_sync(s->forger, NULL, NULL);
			g_variant_unref(dict);
		}
	} else if (sscanf(line, "close %u %u", &id, &reason) == 2) {
		if (!close_note(s, id, reason))
			say(s, "error close: no open notification %u", id);
	} else if (strcmp(line, "quit") == 0) {
		g_main_loop_quit(s->loop);
	} else if (*line) {
		say(s, "error unknown command: %s", line);
	}
}

static gboolean handle_input(gint fd, GIOCondition condition, gpointer data)
{
	Service *s = data;
	char buf[4096];
	ssize_t r = read(fd, buf, sizeof(buf));
	char *nl;

	if (r == 0 || (r < 0 && (condition & (G_IO_HUP | G_IO_ERR)))) {
		g_main_loop_quit(s->loop); /* stdin closed */
		return G_SOURCE_REMOVE;
	}
	if (r < 0)
		return G_SOURCE_CONTINUE;
	g_string_append_len(s->line, buf, r);
	while ((nl = strchr(s->line->str, '\n'))) {
		g_autofree char *cmd = g_strndup(s->line->str, nl - s->line->str);

		g_string_erase(s->line, 0, nl - s->line->str + 1);
		run_command(s, cmd);
	}
	return G_SOURCE_CONTINUE;
}

static void handle_acquired(GDBusConnection *bus, const char *name, gpointer data)
{
	say(data, "ready");
}

static void handle_lost(GDBusConnection *bus, const char *name, gpointer data)
{
	Service *s = data;

	say(s, "error lost the name %s", name);
	s->status = 1;
	g_main_loop_quit(s->loop);
}

static gboolean handle_sigterm(gpointer data)
{
	Service *s = data;

	g_main_loop_quit(s->loop);
	return G_SOURCE_REMOVE;
}

int main(int argc, char **argv)
{
	Service s = {0};
	const char *out = NULL, *commands = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GDBusNodeInfo) info = NULL;
	int fd = STDIN_FILENO;
	guint owner;
	g_autoptr(GPtrArray) preload = g_ptr_array_new();

	s.address = g_getenv("DBUS_SESSION_BUS_ADDRESS");
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (strcmp(argv[i], "--bus") == 0 && i + 1 < argc)
			s.address = argv[++i];
		else if (strcmp(argv[i], "--commands") == 0 && i + 1 < argc)
			commands = argv[++i];
		else if (strcmp(argv[i], "--preload") == 0 && i + 1 < argc)
			g_ptr_array_add(preload, argv[++i]);
		else {
			fprintf(stderr, "usage: cl-test-notifyd --out FILE [--bus ADDRESS] "
			                "[--commands FIFO] [--preload DICT]...\n");
			return 2;
		}
	}
	if (!out || !s.address) {
		fprintf(stderr, "cl-test-notifyd: --out and a bus address are needed\n");
		return 2;
	}
	s.out = fopen(out, "a");
	if (!s.out) {
		perror(out);
		return 2;
	}
	say(&s, "start %d", (int)getpid());
	if (commands) {
		/* Read-write: the FIFO never reports end-of-file between writers. */
		fd = open(commands, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			perror(commands);
			return 2;
		}
	}
	s.open = g_ptr_array_new_with_free_func((GDestroyNotify)g_variant_unref);
	s.history = g_ptr_array_new_with_free_func((GDestroyNotify)g_variant_unref);
	s.line = g_string_new(NULL);
	s.loop = g_main_loop_new(NULL, FALSE);
	s.bus = g_dbus_connection_new_for_address_sync(
	        s.address,
	        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
	                G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
	        NULL, NULL, &error);
	if (s.bus)
		s.forger = g_dbus_connection_new_for_address_sync(
		        s.address,
		        G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
		                G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
		        NULL, NULL, &error);
	if (!s.bus || !s.forger) {
		fprintf(stderr, "cl-test-notifyd: %s: %s\n", s.address, error->message);
		return 2;
	}
	info = g_dbus_node_info_new_for_xml(introspection, &error);
	if (!info || !g_dbus_connection_register_object(s.bus, CL_NOTIFY_PATH, info->interfaces[0],
	                                                &vtable, &s, NULL, &error)) {
		fprintf(stderr, "cl-test-notifyd: %s\n", error->message);
		return 2;
	}
	for (guint i = 0; i < preload->len; i++) {
		g_autofree char *line =
		        g_strconcat("preload ", (char *)g_ptr_array_index(preload, i), NULL);

		run_command(&s, line);
	}
	owner = g_bus_own_name_on_connection(s.bus, CL_NOTIFY_BUS_NAME,
	                                     G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE, handle_acquired,
	                                     handle_lost, &s, NULL);
	g_unix_fd_add(fd, G_IO_IN | G_IO_HUP | G_IO_ERR, handle_input, &s);
	g_unix_signal_add(SIGTERM, handle_sigterm, &s);
	g_main_loop_run(s.loop);
	g_bus_unown_name(owner);
	g_dbus_connection_flush_sync(s.bus, NULL, NULL);
	g_object_unref(s.forger);
	g_object_unref(s.bus);
	g_ptr_array_unref(s.open);
	g_ptr_array_unref(s.history);
	g_string_free(s.line, TRUE);
	g_main_loop_unref(s.loop);
	fclose(s.out);
	return s.status;
}
