/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cloison-notify-forward [--socket PATH] — runs inside a cage, started by
 * the cage's dbus-daemon through D-Bus activation.  It owns
 * org.freedesktop.Notifications on the cage's session bus and forwards
 * every call to cloison-notifyd over the cage's notify socket
 * (/run/cloison/notify), and notifyd's signals back to the application
 * that created the notification.  It holds no authority: notifyd knows the
 * cage from the socket and sanitises everything (docs/notify.md).
 */
#include "cloison-build-config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "init-protocol.h"

#define FDO_NAME  "org.freedesktop.Notifications"
#define FDO_PATH  "/org/freedesktop/Notifications"
#define FDO_IFACE "org.freedesktop.Notifications"
/* Creators remembered for unicast signals (notifyd allows far fewer open). */
#define MAX_TRACKED 256

static const char introspection_xml[] = "<node>"
                                        " <interface name='org.freedesktop.Notifications'>"
                                        "  <method name='Notify'>"
                                        "   <arg type='s' name='app_name' direction='in'/>"
                                        "   <arg type='u' name='replaces_id' direction='in'/>"
                                        "   <arg type='s' name='app_icon' direction='in'/>"
                                        "   <arg type='s' name='summary' direction='in'/>"
                                        "   <arg type='s' name='body' direction='in'/>"
                                        "   <arg type='as' name='actions' direction='in'/>"
                                        "   <arg type='a{sv}' name='hints' direction='in'/>"
                                        "   <arg type='i' name='expire_timeout' direction='in'/>"
                                        "   <arg type='u' name='id' direction='out'/>"
                                        "  </method>"
                                        "  <method name='CloseNotification'>"
                                        "   <arg type='u' name='id' direction='in'/>"
                                        "  </method>"
                                        "  <method name='GetCapabilities'>"
                                        "   <arg type='as' name='capabilities' direction='out'/>"
                                        "  </method>"
                                        "  <method name='GetServerInformation'>"
                                        "   <arg type='s' name='name' direction='out'/>"
                                        "   <arg type='s' name='vendor' direction='out'/>"
                                        "   <arg type='s' name='version' direction='out'/>"
                                        "   <arg type='s' name='spec_version' direction='out'/>"
                                        "  </method>"
                                        "  <signal name='NotificationClosed'>"
                                        "   <arg type='u' name='id'/>"
                                        "   <arg type='u' name='reason'/>"
                                        "  </signal>"
                                        "  <signal name='ActionInvoked'>"
                                        "   <arg type='u' name='id'/>"
                                        "   <arg type='s' name='action_key'/>"
                                        "  </signal>"
                                        " </interface>"
                                        "</node>";

typedef struct {
	GMainLoop *loop;
	GDBusConnection *session;
	GDBusConnection *upstream;
	GHashTable *creators; /* id → unique name of the application */
	int status;
} Forwarder;

typedef struct {
	Forwarder *f;
	GDBusMethodInvocation *invocation;
	bool notify;
} Call;

static void call_done(GObject *source, GAsyncResult *res, gpointer userdata)
{
	Call *call = userdata;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);

	if (!reply) {
		g_autofree char *name = g_dbus_error_get_remote_error(error);

		g_dbus_error_strip_remote_error(error);
		g_dbus_method_invocation_return_dbus_error(
		        call->invocation, name ? name : "org.freedesktop.DBus.Error.Failed",
		        error->message);
	} else {
		if (call->notify && g_variant_is_of_type(reply, G_VARIANT_TYPE("(u)"))) {
			const char *sender = g_dbus_method_invocation_get_sender(call->invocation);
			guint32 id;

			g_variant_get(reply, "(u)", &id);
			if (sender &&
			    (g_hash_table_size(call->f->creators) < MAX_TRACKED ||
			     g_hash_table_contains(call->f->creators, GUINT_TO_POINTER(id))))
				g_hash_table_insert(call->f->creators, GUINT_TO_POINTER(id),
				                    g_strdup(sender));
		}
		g_dbus_method_invocation_return_value(call->invocation, reply);
	}
	g_free(call);
}

static void handle_method_call(GDBusConnection *connection, const char *sender,
                               const char *object_path, const char *interface_name,
                               const char *method_name, GVariant *parameters,
                               GDBusMethodInvocation *invocation, gpointer userdata)
{
	Forwarder *f = userdata;
	Call *call = g_new0(Call, 1);

	call->f = f;
	call->invocation = invocation;
	call->notify = strcmp(method_name, "Notify") == 0;
	g_dbus_connection_call(f->upstream, NULL, FDO_PATH, FDO_IFACE, method_name, parameters,
	                       NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, call_done, call);
}

static const GDBusInterfaceVTable vtable = {.method_call = handle_method_call};

/* notifyd's signal, to the application that created the notification. */
static void handle_upstream_signal(GDBusConnection *connection, const char *sender,
                                   const char *object_path, const char *interface_name,
                                   const char *signal_name, GVariant *parameters, gpointer userdata)
{
	Forwarder *f = userdata;
	g_autoptr(GError) error = NULL;
	const char *dest = NULL;
	guint32 id = 0;
	g_autofree char *owned = NULL;

	if (strcmp(signal_name, "NotificationClosed") == 0 &&
	    g_variant_is_of_type(parameters, G_VARIANT_TYPE("(uu)"))) {
		g_variant_get(parameters, "(uu)", &id, NULL);
		g_hash_table_steal_extended(f->creators, GUINT_TO_POINTER(id), NULL,
		                            (gpointer *)&owned);
		dest = owned;
	} else if (strcmp(signal_name, "ActionInvoked") == 0 &&
	           g_variant_is_of_type(parameters, G_VARIANT_TYPE("(us)"))) {
		g_variant_get(parameters, "(u&s)", &id, NULL);
		dest = g_hash_table_lookup(f->creators, GUINT_TO_POINTER(id));
	} else {
		return;
	}
	if (!g_dbus_connection_emit_signal(f->session, dest, FDO_PATH, FDO_IFACE, signal_name,
	                                   parameters, &error))
		g_printerr("cloison-notify-forward: %s\n", error->message);
}

static void handle_upstream_closed(GDBusConnection *connection, gboolean remote_peer_vanished,
                                   GError *error, gpointer userdata)
{
	Forwarder *f = userdata;

	/* notifyd went away: the next call activates a fresh forwarder. */
	g_printerr(_("cloison-notify-forward: the connection to cloison-notifyd closed\n"));
	f->status = 0;
	g_main_loop_quit(f->loop);
}

static void handle_name_lost(GDBusConnection *connection, const char *name, gpointer userdata)
{
	Forwarder *f = userdata;

	g_printerr(_("cloison-notify-forward: cannot own %s on the session bus\n"), name);
	f->status = 1;
	g_main_loop_quit(f->loop);
}

int main(int argc, char **argv)
{
	Forwarder f = {.status = 0};
	g_autoptr(GError) error = NULL;
	g_autoptr(GDBusNodeInfo) info = NULL;
	g_autofree char *address = NULL;
	const char *socket_path = CL_CAGE_NOTIFY;
	guint owner;

	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
			socket_path = argv[++i];
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("cloison-notify-forward %s\n", CLOISON_VERSION);
			return 0;
		} else {
			fprintf(stderr, _("Usage: cloison-notify-forward [--socket PATH]\n"));
			return strcmp(argv[i], "--help") == 0 ? 0 : 2;
		}
	}

	address = g_dbus_address_escape_value(socket_path);
	address = g_strconcat("unix:path=", (char *)g_steal_pointer(&address), NULL);
	f.upstream = g_dbus_connection_new_for_address_sync(
	        address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT, NULL, NULL, &error);
	if (!f.upstream) {
		g_printerr(_("cloison-notify-forward: cannot reach cloison-notifyd at %s: %s\n"),
		           socket_path, error->message);
		return 1;
	}
	g_clear_error(&error);
	f.session = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &error);
	if (!f.session) {
		g_printerr(_("cloison-notify-forward: no session bus: %s\n"), error->message);
		return 1;
	}
	f.loop = g_main_loop_new(NULL, FALSE);
	f.creators = g_hash_table_new_full(NULL, NULL, NULL, g_free);
	g_dbus_connection_set_exit_on_close(f.upstream, FALSE);
	g_dbus_connection_set_exit_on_close(f.session, TRUE);
	g_signal_connect(f.upstream, "closed", G_CALLBACK(handle_upstream_closed), &f);
	g_dbus_connection_signal_subscribe(f.upstream, NULL, FDO_IFACE, NULL, FDO_PATH, NULL,
	                                   G_DBUS_SIGNAL_FLAGS_NONE, handle_upstream_signal, &f,
	                                   NULL);

	info = g_dbus_node_info_new_for_xml(introspection_xml, &error);
	g_assert_no_error(error);
	if (!g_dbus_connection_register_object(f.session, FDO_PATH, info->interfaces[0], &vtable,
	                                       &f, NULL, &error)) {
		g_printerr("cloison-notify-forward: %s\n", error->message);
		return 1;
	}
	owner = g_bus_own_name_on_connection(f.session, FDO_NAME, G_BUS_NAME_OWNER_FLAGS_NONE, NULL,
	                                     handle_name_lost, &f, NULL);
	g_main_loop_run(f.loop);
	g_bus_unown_name(owner);
	g_hash_table_unref(f.creators);
	g_main_loop_unref(f.loop);
	g_object_unref(f.session);
	g_object_unref(f.upstream);
	return f.status;
}
