/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cloison-build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-id128.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "i18n.h"
#include "listen.h"
#include "log.h"
#include "notifyd.h"
#include "paths.h"
#include "sanitize.h"
#include "security-events.h"
#include "util.h"
#include "wire.h"

/* The core bus goes first: a flood on a cage socket never delays it. */
#define CORE_PRIORITY SD_EVENT_PRIORITY_IMPORTANT
#define CAGE_PRIORITY SD_EVENT_PRIORITY_NORMAL

typedef struct Cage Cage;
typedef struct Connection Connection;
typedef struct Notification Notification;

/*
 * A cage connection.  sd-bus writes to the cage's socket directly but reads
 * from a socketpair that relay_in() fills from the socket after checking
 * the framing (wire.h): a message over CL_NOTIFY_MESSAGE_MAX is refused
 * from its header, before sd-bus would buffer it.
 */
struct Connection {
	Cage *cage;
	sd_bus *bus;
	unsigned open;
	bool dead;              /* closed: freed by the reaper */
	sd_event_source *drain; /* cl_daemon_add_bus_drain() */
	int sock_fd;            /* the cage's end: read by the relay */
	int relay_fd;           /* our end of the socketpair sd-bus reads */
	sd_event_source *in_source, *out_source;
	ClWireCheck wire;
	size_t pending_off, pending_len;
	uint8_t pending[16384];
};

struct Cage {
	ClNotifyd *d;
	const ClCage *config;
	char *socket_path;
	int listen_fd;
	bool owns_socket; /* created by us (not passed): removed at the end */
	sd_event_source *accept_source;
	GPtrArray *connections; /* Connection* */
	bool refusing;          /* at the connection limit (logged once) */
	bool throttled;         /* rate limit hit (logged once until it recovers) */
	bool oversize_logged;   /* a message over the size limit (logged once) */
	unsigned open;
	ClTokenBucket bucket;
};

struct Notification {
	ClNotifyd *d;
	uint32_t id;
	ClNotifyOrigin origin;
	Cage *cage;          /* CL_NOTIFY_ORIGIN_CAGE */
	const ClCage *about; /* the cage shown: its own, or the one a security event concerns */
	Connection *conn;    /* the cage connection that created it, while open */
	char *sender;        /* CL_NOTIFY_ORIGIN_CORE: unique name of the creator */
	char *app_name, *summary, *body;
	GPtrArray *actions; /* char*: key, label, key, label… */
	uint8_t urgency;
	int32_t timeout; /* ms, 0 = until dismissed */
	int64_t time;    /* CLOCK_REALTIME µs */
	uint64_t mono;   /* CLOCK_MONOTONIC µs of the last post (coalescing) */
	char *severity, *category;
	uint32_t count; /* identical security events merged into this one */
	bool open;
	GList *history_link; /* in d->history, or NULL */
	sd_event_source *expiry;
};

struct ClNotifyd {
	sd_event *event;
	const ClConfig *config;
	ClNotifydLimits limits;
	sd_bus *core;
	sd_id128_t server_id;
	GPtrArray *cages; /* Cage*, in configuration order */
	GHashTable *all;  /* id → Notification*, open or in the history */
	GHashTable *open; /* id → Notification*, open */
	GQueue history;   /* Notification*, oldest first */
	unsigned open_core, open_security;
	uint32_t unread;
	sd_event_source *reaper;
};

static const sd_bus_vtable cage_vtable[];
static const sd_bus_vtable core_fdo_vtable[];
static const sd_bus_vtable security_vtable[];
static const sd_bus_vtable display_vtable[];

static uint64_t now_usec(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void cl_notifyd_limits_default(ClNotifydLimits *limits)
{
	*limits = (ClNotifydLimits){
	        .rate_burst = CL_NOTIFYD_DEFAULT_RATE_BURST,
	        .rate_per_s = CL_NOTIFYD_DEFAULT_RATE_PER_S,
	        .max_open_per_cage = CL_NOTIFYD_DEFAULT_MAX_OPEN_PER_CAGE,
	        .max_open_per_conn = CL_NOTIFYD_DEFAULT_MAX_OPEN_PER_CONN,
	        .max_connections = CL_NOTIFYD_DEFAULT_MAX_CONNECTIONS,
	        .max_open_core = CL_NOTIFYD_DEFAULT_MAX_OPEN_CORE,
	        .max_open_security = CL_NOTIFYD_DEFAULT_MAX_OPEN_SECURITY,
	        .coalesce_usec = CL_NOTIFYD_DEFAULT_COALESCE_USEC,
	        .max_queued_writes = CL_NOTIFYD_DEFAULT_MAX_QUEUED_WRITES,
	};
}

static GPtrArray *values_of(GHashTable *table)
{
	GPtrArray *list = g_ptr_array_sized_new(g_hash_table_size(table));
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, table);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		g_ptr_array_add(list, value);
	return list;
}

/* ---- notifications ----------------------------------------------------------- */

static const char *style_of(const Notification *n)
{
	switch (n->origin) {
	case CL_NOTIFY_ORIGIN_SECURITY:
		return CL_STYLE_SECURITY;
	case CL_NOTIFY_ORIGIN_CORE:
		return CL_STYLE_CORE;
	case CL_NOTIFY_ORIGIN_CAGE:
	default:
		return CL_STYLE_CAGE;
	}
}

/*
 * Random ids: sequential ones would tell a cage how many notifications the
 * other cages showed meanwhile.
 */
static uint32_t new_id(ClNotifyd *d)
{
	uint32_t id = 0;

	for (;;) {
		if (getrandom(&id, sizeof(id), 0) != sizeof(id))
			id = g_random_int(); /* not reached: getrandom never fails for 4 bytes */
		id &= 0x7fffffff;
		if (id != 0 && !g_hash_table_contains(d->all, GUINT_TO_POINTER(id)))
			return id;
	}
}

static void notification_free(Notification *n)
{
	if (!n)
		return;
	g_hash_table_remove(n->d->all, GUINT_TO_POINTER(n->id));
	sd_event_source_disable_unref(n->expiry);
	g_free(n->sender);
	g_free(n->app_name);
	g_free(n->summary);
	g_free(n->body);
	if (n->actions)
		g_ptr_array_unref(n->actions);
	g_free(n->severity);
	g_free(n->category);
	g_free(n);
}

/* Freed when neither open nor in the history. */
static void notification_release(Notification *n)
{
	if (!n->open && !n->history_link)
		notification_free(n);
}

static void append_sv(sd_bus_message *m, const char *key, const char *type, ...)
{
	va_list ap;

	sd_bus_message_open_container(m, 'e', "sv");
	sd_bus_message_append(m, "s", key);
	sd_bus_message_open_container(m, 'v', type);
	va_start(ap, type);
	sd_bus_message_appendv(m, type, ap);
	va_end(ap);
	sd_bus_message_close_container(m);
	sd_bus_message_close_container(m);
}

static int append_notification(sd_bus_message *m, const Notification *n)
{
	const ClLevel *level = n->about ? n->about->level : NULL;

	sd_bus_message_open_container(m, 'a', "{sv}");
	append_sv(m, "id", "u", n->id);
	append_sv(m, "style", "s", style_of(n));
	append_sv(m, "cage", "s", n->about ? n->about->id : "");
	append_sv(m, "level", "s", level ? level->id : "");
	append_sv(m, "label", "s", level ? level->label : "");
	append_sv(m, "colour", "s", level ? level->colour : "");
	append_sv(m, "app-name", "s", n->app_name);
	append_sv(m, "summary", "s", n->summary);
	append_sv(m, "body", "s", n->body);
	sd_bus_message_open_container(m, 'e', "sv");
	sd_bus_message_append(m, "s", "actions");
	sd_bus_message_open_container(m, 'v', "as");
	sd_bus_message_open_container(m, 'a', "s");
	for (guint i = 0; n->actions && i < n->actions->len; i++)
		sd_bus_message_append(m, "s", (const char *)g_ptr_array_index(n->actions, i));
	sd_bus_message_close_container(m);
	sd_bus_message_close_container(m);
	sd_bus_message_close_container(m);
	append_sv(m, "urgency", "y", n->urgency);
	append_sv(m, "expire-timeout", "i", n->timeout);
	append_sv(m, "time", "x", n->time);
	if (n->origin == CL_NOTIFY_ORIGIN_SECURITY) {
		append_sv(m, "severity", "s", n->severity);
		append_sv(m, "category", "s", n->category);
		append_sv(m, "count", "u", n->count);
	}
	return sd_bus_message_close_container(m);
}

static void emit_shown(ClNotifyd *d, const Notification *n)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	int r;

	r = sd_bus_message_new_signal(d->core, &m, CL_NOTIFY_PATH, CL_NOTIFY_DISPLAY_IFACE,
	                              "Shown");
	if (r >= 0)
		r = append_notification(m, n);
	if (r >= 0)
		r = sd_bus_send(d->core, m, NULL);
	if (r < 0)
		cl_log_errno(LOG_WARNING, r, "cannot emit Shown for notification %" PRIu32, n->id);
}

static void emit_unread(ClNotifyd *d)
{
	int r = sd_bus_emit_signal(d->core, CL_NOTIFY_PATH, CL_NOTIFY_DISPLAY_IFACE,
	                           "UnreadChanged", "u", d->unread);
	if (r < 0)
		cl_log_errno(LOG_WARNING, r, "cannot emit UnreadChanged");
}

static void connection_kill(Connection *c);

/* A signal of org.freedesktop.Notifications to whoever created n, only. */
static void emit_to_originator(Notification *n, const char *member, const char *types, ...)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	sd_bus *bus = NULL;
	va_list ap;
	int r;

	if (n->origin == CL_NOTIFY_ORIGIN_CAGE && n->conn && !n->conn->dead)
		bus = n->conn->bus;
	else if (n->origin == CL_NOTIFY_ORIGIN_CORE && n->sender)
		bus = n->d->core;
	if (!bus)
		return;
	r = sd_bus_message_new_signal(bus, &m, CL_FDO_NOTIFY_PATH, CL_FDO_NOTIFY_IFACE, member);
	if (r >= 0 && n->origin == CL_NOTIFY_ORIGIN_CORE)
		r = sd_bus_message_set_destination(m, n->sender);
	if (r >= 0) {
		va_start(ap, types);
		r = sd_bus_message_appendv(m, types, ap);
		va_end(ap);
	}
	if (r >= 0)
		r = sd_bus_send(bus, m, NULL);
	if (r < 0)
		cl_log_errno(LOG_DEBUG, r, "cannot send %s for notification %" PRIu32, member,
		             n->id);
}

static void history_add(ClNotifyd *d, Notification *n)
{
	g_queue_push_tail(&d->history, n);
	n->history_link = d->history.tail;
	if (d->history.length <= CL_NOTIFY_HISTORY)
		return;
	/* Full: the oldest that is not a security event goes first. */
	GList *victim = d->history.head;

	for (GList *l = d->history.head; l; l = l->next) {
		if (((Notification *)l->data)->origin != CL_NOTIFY_ORIGIN_SECURITY) {
			victim = l;
			break;
		}
	}
	Notification *old = victim->data;

	g_queue_delete_link(&d->history, victim);
	old->history_link = NULL;
	notification_release(old);
}

static void notification_close(Notification *n, uint32_t reason)
{
	ClNotifyd *d;

	if (!n || !n->open)
		return;
	d = n->d;
	n->open = false;
	n->expiry = sd_event_source_disable_unref(n->expiry);
	g_hash_table_remove(d->open, GUINT_TO_POINTER(n->id));
	switch (n->origin) {
	case CL_NOTIFY_ORIGIN_CAGE:
		n->cage->open--;
		if (n->conn)
			n->conn->open--;
		break;
	case CL_NOTIFY_ORIGIN_CORE:
		d->open_core--;
		break;
	case CL_NOTIFY_ORIGIN_SECURITY:
		d->open_security--;
		break;
	}
	emit_to_originator(n, "NotificationClosed", "uu", n->id, reason);
	n->conn = NULL;
	{
		int r = sd_bus_emit_signal(d->core, CL_NOTIFY_PATH, CL_NOTIFY_DISPLAY_IFACE,
		                           "Closed", "uu", n->id, reason);
		if (r < 0)
			cl_log_errno(LOG_WARNING, r, "cannot emit Closed");
	}
	cl_debug("notification %" PRIu32 " closed (reason %" PRIu32 ")", n->id, reason);
	notification_release(n);
}

static int handle_expiry(sd_event_source *s, uint64_t usec, void *userdata)
{
	notification_close(userdata, CL_NOTIFY_CLOSED_EXPIRED);
	return 0;
}

static void arm_expiry(Notification *n)
{
	int r;

	n->expiry = sd_event_source_disable_unref(n->expiry);
	if (n->timeout <= 0)
		return;
	r = sd_event_add_time_relative(n->d->event, &n->expiry, CLOCK_MONOTONIC,
	                               (uint64_t)n->timeout * 1000, 10 * 1000, handle_expiry, n);
	if (r < 0)
		cl_log_errno(LOG_WARNING, r, "notification %" PRIu32 ": cannot arm its timer",
		             n->id);
}

static Notification *notification_new(ClNotifyd *d, ClNotifyOrigin origin)
{
	Notification *n = g_new0(Notification, 1);

	n->d = d;
	n->origin = origin;
	n->id = new_id(d);
	n->count = 1;
	n->open = true;
	g_hash_table_insert(d->all, GUINT_TO_POINTER(n->id), n);
	g_hash_table_insert(d->open, GUINT_TO_POINTER(n->id), n);
	history_add(d, n);
	return n;
}

/* The oldest open notification of an origin (for the core and security caps). */
static Notification *oldest_open(ClNotifyd *d, ClNotifyOrigin origin)
{
	GHashTableIter iter;
	gpointer value;
	Notification *oldest = NULL;

	g_hash_table_iter_init(&iter, d->open);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		Notification *n = value;

		if (n->origin == origin && (!oldest || n->mono < oldest->mono))
			oldest = n;
	}
	return oldest;
}

/* ---- Notify, from a cage or from the core bus --------------------------------- */

typedef struct {
	char *app_name, *summary, *body;
	GPtrArray *actions;
	uint32_t replaces_id;
	uint8_t urgency;
	int32_t timeout;
} NotifyArgs;

static void notify_args_clear(NotifyArgs *a)
{
	g_free(a->app_name);
	g_free(a->summary);
	g_free(a->body);
	if (a->actions)
		g_ptr_array_unref(a->actions);
}

static char *sanitize(const char *s, size_t max, bool multiline)
{
	return cl_notify_sanitize_text(s, s ? strlen(s) : 0, max, multiline);
}

/*
 * Read (susssasa{sv}i) and sanitise it.  Icons, images, sounds and every hint
 * but "urgency" are dropped unread; actions beyond CL_NOTIFY_ACTIONS_MAX too.
 */
static int read_notify(sd_bus_message *m, NotifyArgs *a)
{
	const char *app_name, *icon, *summary, *body;
	unsigned n_strings = 0;
	int r;

	r = sd_bus_message_read(m, "susss", &app_name, &a->replaces_id, &icon, &summary, &body);
	if (r < 0)
		return r;
	a->app_name = sanitize(app_name, CL_NOTIFY_APP_NAME_MAX, false);
	a->summary = sanitize(summary, CL_NOTIFY_SUMMARY_MAX, false);
	a->body = sanitize(body, CL_NOTIFY_BODY_MAX, true);
	a->actions = g_ptr_array_new_with_free_func(g_free);

	r = sd_bus_message_enter_container(m, 'a', "s");
	if (r < 0)
		return r;
	for (;;) {
		const char *s;

		r = sd_bus_message_read(m, "s", &s);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		if (n_strings++ >= 2 * CL_NOTIFY_ACTIONS_MAX)
			continue;
		if (n_strings % 2 == 1)
			g_ptr_array_add(a->actions, cl_notify_sanitize_action_key(s, strlen(s)));
		else
			g_ptr_array_add(a->actions, sanitize(s, CL_NOTIFY_ACTION_LABEL_MAX, false));
	}
	if (a->actions->len % 2)
		g_ptr_array_remove_index(a->actions, a->actions->len - 1);
	r = sd_bus_message_exit_container(m);
	if (r < 0)
		return r;

	a->urgency = CL_NOTIFY_URGENCY_NORMAL;
	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (r < 0)
		return r;
	for (;;) {
		const char *key, *contents = NULL;
		char type;

		r = sd_bus_message_enter_container(m, 'e', "sv");
		if (r < 0)
			return r;
		if (r == 0)
			break;
		r = sd_bus_message_read(m, "s", &key);
		if (r < 0)
			return r;
		r = sd_bus_message_peek_type(m, &type, &contents);
		if (r < 0)
			return r;
		if (strcmp(key, "urgency") == 0 && contents && strcmp(contents, "y") == 0) {
			uint8_t u;

			r = sd_bus_message_read(m, "v", "y", &u);
			if (r < 0)
				return r;
			a->urgency = MIN(u, CL_NOTIFY_URGENCY_CRITICAL);
		} else {
			r = sd_bus_message_skip(m, "v");
			if (r < 0)
				return r;
		}
		r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
	}
	r = sd_bus_message_exit_container(m);
	if (r < 0)
		return r;
	return sd_bus_message_read(m, "i", &a->timeout);
}

/* D-Bus strings must be UTF-8: sd-bus refuses to read one that is not. */
static int malformed(sd_bus_error *ret_error, int r)
{
	return sd_bus_error_setf(ret_error, SD_BUS_ERROR_INVALID_ARGS,
	                         "malformed notification (%s): the arguments must be "
	                         "susssasa{sv}i with UTF-8 strings",
	                         g_strerror(-r));
}

static void notification_fill(Notification *n, NotifyArgs *a)
{
	g_free(n->app_name);
	g_free(n->summary);
	g_free(n->body);
	if (n->actions)
		g_ptr_array_unref(n->actions);
	n->app_name = g_steal_pointer(&a->app_name);
	n->summary = g_steal_pointer(&a->summary);
	n->body = g_steal_pointer(&a->body);
	n->actions = g_steal_pointer(&a->actions);
	n->urgency = a->urgency;
	n->timeout = cl_notify_effective_timeout(n->origin, a->urgency, a->timeout);
	n->time = (int64_t)now_usec(CLOCK_REALTIME);
	n->mono = now_usec(CLOCK_MONOTONIC);
	arm_expiry(n);
}

static Cage *connection_cage(Connection *c)
{
	return c->cage;
}

/*
 * A client that sends calls but never reads the replies makes sd-bus queue
 * them in our memory: past the limit, hang up on it.
 */
static bool connection_choked(Connection *c)
{
	uint64_t n = 0;

	if (sd_bus_get_n_queued_write(c->bus, &n) < 0 || n <= c->cage->d->limits.max_queued_writes)
		return false;
	cl_warn("cage %s: a notification client does not read its replies (%" PRIu64
	        " queued); closing it",
	        c->cage->config->id, n);
	connection_kill(c);
	return true;
}

/* Every call on a cage connection: logged (debug), refused on a dead or choked one. */
static bool cage_call_ok(Connection *c, sd_bus_message *m)
{
	if (c->dead)
		return false;
	cl_debug("cage %s: %s", c->cage->config->id, sd_bus_message_get_member(m));
	return !connection_choked(c);
}

static int method_cage_notify(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Connection *c = userdata;
	Cage *cage = connection_cage(c);
	ClNotifyd *d = cage->d;
	NotifyArgs a = {0};
	Notification *n = NULL;
	int r;

	if (!cage_call_ok(c, m))
		return 1;
	if (!cl_token_bucket_take(&cage->bucket, now_usec(CLOCK_MONOTONIC))) {
		if (!cage->throttled)
			cl_notice("cage %s: notifications rate-limited (%u at once, %u per second)",
			          cage->config->id, d->limits.rate_burst, d->limits.rate_per_s);
		cage->throttled = true;
		return sd_bus_error_setf(ret_error, CL_NOTIFY_ERROR_RATE_LIMITED,
		                         "rate limit: cage %s may post %u notifications at once "
		                         "and %u per second",
		                         cage->config->id, d->limits.rate_burst,
		                         d->limits.rate_per_s);
	}
	cage->throttled = false;
	r = read_notify(m, &a);
	if (r < 0) {
		notify_args_clear(&a);
		return malformed(ret_error, r);
	}
	/* replaces_id: only a notification of this same cage, still open. */
	if (a.replaces_id) {
		n = g_hash_table_lookup(d->open, GUINT_TO_POINTER(a.replaces_id));
		if (n && (n->origin != CL_NOTIFY_ORIGIN_CAGE || n->cage != cage))
			n = NULL;
	}
	if (n) {
		if (n->conn != c) {
			if (c->open >= d->limits.max_open_per_conn)
				goto conn_limit;
			if (n->conn)
				n->conn->open--;
			n->conn = c;
			c->open++;
		}
	} else {
		if (cage->open >= d->limits.max_open_per_cage) {
			notify_args_clear(&a);
			return sd_bus_error_setf(ret_error, CL_NOTIFY_ERROR_LIMIT_EXCEEDED,
			                         "cage %s has %u notifications open (the limit)",
			                         cage->config->id, d->limits.max_open_per_cage);
		}
		if (c->open >= d->limits.max_open_per_conn)
			goto conn_limit;
		n = notification_new(d, CL_NOTIFY_ORIGIN_CAGE);
		n->cage = cage;
		n->about = cage->config;
		n->conn = c;
		cage->open++;
		c->open++;
	}
	notification_fill(n, &a);
	notify_args_clear(&a);
	cl_debug("cage %s: notification %" PRIu32, cage->config->id, n->id);
	emit_shown(d, n);
	return sd_bus_reply_method_return(m, "u", n->id);

conn_limit:
	notify_args_clear(&a);
	return sd_bus_error_setf(ret_error, CL_NOTIFY_ERROR_LIMIT_EXCEEDED,
	                         "this connection has %u notifications open (the limit)",
	                         d->limits.max_open_per_conn);
}

static int method_core_notify(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	ClNotifyd *d = userdata;
	const char *sender = sd_bus_message_get_sender(m);
	NotifyArgs a = {0};
	Notification *n = NULL;
	int r;

	r = read_notify(m, &a);
	if (r < 0) {
		notify_args_clear(&a);
		return malformed(ret_error, r);
	}
	if (a.replaces_id) {
		n = g_hash_table_lookup(d->open, GUINT_TO_POINTER(a.replaces_id));
		if (n && (n->origin != CL_NOTIFY_ORIGIN_CORE || g_strcmp0(n->sender, sender) != 0))
			n = NULL;
	}
	if (!n) {
		if (d->open_core >= d->limits.max_open_core)
			notification_close(oldest_open(d, CL_NOTIFY_ORIGIN_CORE),
			                   CL_NOTIFY_CLOSED_UNDEFINED);
		n = notification_new(d, CL_NOTIFY_ORIGIN_CORE);
		n->sender = g_strdup(sender);
		d->open_core++;
	}
	notification_fill(n, &a);
	notify_args_clear(&a);
	emit_shown(d, n);
	return sd_bus_reply_method_return(m, "u", n->id);
}

static int method_cage_close(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Connection *c = userdata;
	Notification *n;
	uint32_t id;
	int r;

	if (!cage_call_ok(c, m))
		return 1;
	r = sd_bus_message_read(m, "u", &id);
	if (r < 0)
		return r;
	n = g_hash_table_lookup(c->cage->d->open, GUINT_TO_POINTER(id));
	/* Another cage's notification is reported as unknown: no oracle. */
	if (!n || n->origin != CL_NOTIFY_ORIGIN_CAGE || n->cage != c->cage)
		return sd_bus_error_setf(ret_error, CL_NOTIFY_ERROR_UNKNOWN,
		                         "no open notification %" PRIu32, id);
	notification_close(n, CL_NOTIFY_CLOSED_CALL);
	return sd_bus_reply_method_return(m, "");
}

static int method_core_close(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	ClNotifyd *d = userdata;
	Notification *n;
	uint32_t id;
	int r;

	r = sd_bus_message_read(m, "u", &id);
	if (r < 0)
		return r;
	n = g_hash_table_lookup(d->open, GUINT_TO_POINTER(id));
	if (!n || n->origin != CL_NOTIFY_ORIGIN_CORE)
		return sd_bus_error_setf(ret_error, CL_NOTIFY_ERROR_UNKNOWN,
		                         "no open notification %" PRIu32, id);
	notification_close(n, CL_NOTIFY_CLOSED_CALL);
	return sd_bus_reply_method_return(m, "");
}

/* Plain text only: no body-markup, no icons, no sounds, no persistence. */
static int method_get_capabilities(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	return sd_bus_reply_method_return(m, "as", 2, "actions", "body");
}

static int method_get_server_information(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	return sd_bus_reply_method_return(m, "ssss", "Cloison", "Cloison", CLOISON_VERSION, "1.2");
}

static int cage_method_get_capabilities(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Connection *c = userdata;

	if (!cage_call_ok(c, m))
		return 1;
	return method_get_capabilities(m, userdata, ret_error);
}

static int cage_method_get_server_information(sd_bus_message *m, void *userdata,
                                              sd_bus_error *ret_error)
{
	Connection *c = userdata;

	if (!cage_call_ok(c, m))
		return 1;
	return method_get_server_information(m, userdata, ret_error);
}

#define FDO_VTABLE(notify, close, caps, info)                                                    \
	SD_BUS_METHOD_WITH_ARGS("Notify",                                                        \
	                        SD_BUS_ARGS("s", app_name, "u", replaces_id, "s", app_icon, "s", \
	                                    summary, "s", body, "as", actions, "a{sv}", hints,   \
	                                    "i", expire_timeout),                                \
	                        SD_BUS_RESULT("u", id), notify, SD_BUS_VTABLE_UNPRIVILEGED),     \
	        SD_BUS_METHOD_WITH_ARGS("CloseNotification", SD_BUS_ARGS("u", id),               \
	                                SD_BUS_NO_RESULT, close, SD_BUS_VTABLE_UNPRIVILEGED),    \
	        SD_BUS_METHOD_WITH_ARGS("GetCapabilities", SD_BUS_NO_ARGS,                       \
	                                SD_BUS_RESULT("as", capabilities), caps,                 \
	                                SD_BUS_VTABLE_UNPRIVILEGED),                             \
	        SD_BUS_METHOD_WITH_ARGS(                                                         \
	                "GetServerInformation", SD_BUS_NO_ARGS,                                  \
	                SD_BUS_RESULT("s", name, "s", vendor, "s", version, "s", spec_version),  \
	                info, SD_BUS_VTABLE_UNPRIVILEGED),                                       \
	        SD_BUS_SIGNAL_WITH_ARGS("NotificationClosed", SD_BUS_ARGS("u", id, "u", reason), \
	                                0),                                                      \
	        SD_BUS_SIGNAL_WITH_ARGS("ActionInvoked", SD_BUS_ARGS("u", id, "s", action_key), 0)

static const sd_bus_vtable cage_vtable[] = {
        SD_BUS_VTABLE_START(0),
        FDO_VTABLE(method_cage_notify, method_cage_close, cage_method_get_capabilities,
                   cage_method_get_server_information),
        SD_BUS_VTABLE_END,
};

static const sd_bus_vtable core_fdo_vtable[] = {
        SD_BUS_VTABLE_START(0),
        FDO_VTABLE(method_core_notify, method_core_close, method_get_capabilities,
                   method_get_server_information),
        SD_BUS_VTABLE_END,
};

/* ---- SecurityEvents1 ----------------------------------------------------------- */

static bool same_event(const Notification *n, const char *category, const ClCage *about,
                       const char *summary)
{
	return n->origin == CL_NOTIFY_ORIGIN_SECURITY && n->about == about &&
	       strcmp(n->category, category) == 0 && strcmp(n->summary, summary) == 0;
}

static int method_post(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	ClNotifyd *d = userdata;
	const char *severity, *category, *summary, *body, *cage_id;
	g_autofree char *s_summary = NULL, *s_body = NULL;
	const ClCage *about = NULL;
	Notification *n = NULL;
	uint64_t now = now_usec(CLOCK_MONOTONIC);
	GHashTableIter iter;
	gpointer value;
	int r;

	r = sd_bus_message_read(m, "sssss", &severity, &category, &summary, &body, &cage_id);
	if (r < 0)
		return r;
	if (!cl_notify_severity_is_valid(severity)) {
		g_autofree char *q = cl_log_escape(severity, 64);

		return sd_bus_error_setf(ret_error, SD_BUS_ERROR_INVALID_ARGS,
		                         "unknown severity “%s” (info, warning or critical)", q);
	}
	if (!cl_notify_category_is_valid(category)) {
		g_autofree char *q = cl_log_escape(category, 64);

		return sd_bus_error_setf(ret_error, SD_BUS_ERROR_INVALID_ARGS,
		                         "unknown category “%s” (see common/security-events.h)", q);
	}
	if (*cage_id && !(about = cl_config_get_cage(d->config, cage_id))) {
		g_autofree char *q = cl_log_escape(cage_id, 64);

		return sd_bus_error_setf(ret_error, SD_BUS_ERROR_INVALID_ARGS, "unknown cage “%s”",
		                         q);
	}
	s_summary = sanitize(summary, CL_NOTIFY_SUMMARY_MAX, false);
	s_body = sanitize(body, CL_NOTIFY_BODY_MAX, true);

	/* Never dropped; identical ones close together become one with a count. */
	g_hash_table_iter_init(&iter, d->open);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		Notification *o = value;

		if (same_event(o, category, about, s_summary) &&
		    now - o->mono <= d->limits.coalesce_usec) {
			n = o;
			break;
		}
	}
	if (n) {
		if (n->count < UINT32_MAX)
			n->count++;
	} else {
		if (d->open_security >= d->limits.max_open_security)
			notification_close(oldest_open(d, CL_NOTIFY_ORIGIN_SECURITY),
			                   CL_NOTIFY_CLOSED_EXPIRED);
		n = notification_new(d, CL_NOTIFY_ORIGIN_SECURITY);
		n->about = about;
		n->category = g_strdup(category);
		n->summary = g_steal_pointer(&s_summary);
		n->app_name = g_strdup("Cloison");
		n->actions = g_ptr_array_new_with_free_func(g_free);
		d->open_security++;
	}
	g_free(n->severity);
	n->severity = g_strdup(severity);
	g_free(n->body);
	n->body = g_steal_pointer(&s_body);
	n->urgency = strcmp(severity, CL_SEVERITY_CRITICAL) == 0 ? CL_NOTIFY_URGENCY_CRITICAL
	             : strcmp(severity, CL_SEVERITY_INFO) == 0   ? CL_NOTIFY_URGENCY_LOW
	                                                         : CL_NOTIFY_URGENCY_NORMAL;
	n->timeout = cl_notify_security_timeout(severity);
	n->time = (int64_t)now_usec(CLOCK_REALTIME);
	n->mono = now;
	arm_expiry(n);
	if (d->unread < UINT32_MAX)
		d->unread++;
	cl_info("security event %s (%s)%s%s: %s", category, severity, about ? " cage " : "",
	        about ? about->id : "", n->summary);
	emit_shown(d, n);
	emit_unread(d);
	return sd_bus_reply_method_return(m, "u", n->id);
}

static const sd_bus_vtable security_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS(
                "Post",
                SD_BUS_ARGS("s", severity, "s", category, "s", summary, "s", body, "s", cage),
                SD_BUS_RESULT("u", id), method_post, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

/* ---- NotifyDisplay1 -------------------------------------------------------------- */

static gint compare_mono(gconstpointer a, gconstpointer b)
{
	const Notification *x = *(Notification *const *)a, *y = *(Notification *const *)b;

	return x->mono < y->mono ? -1 : x->mono > y->mono;
}

static int reply_list(sd_bus_message *m, GPtrArray *list)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int r;

	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "a{sv}");
	for (guint i = 0; r >= 0 && i < list->len; i++)
		r = append_notification(reply, g_ptr_array_index(list, i));
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_send(NULL, reply, NULL);
	return r;
}

static int method_list(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	ClNotifyd *d = userdata;
	g_autoptr(GPtrArray) list = values_of(d->open);

	g_ptr_array_sort(list, compare_mono);
	return reply_list(m, list);
}

static int method_history(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	ClNotifyd *d = userdata;
	g_autoptr(GPtrArray) list = g_ptr_array_new();

	for (GList *l = d->history.head; l; l = l->next)
		g_ptr_array_add(list, l->data);
	return reply_list(m, list);
}

static Notification *display_lookup(ClNotifyd *d, uint32_t id, sd_bus_error *ret_error)
{
	Notification *n = g_hash_table_lookup(d->open, GUINT_TO_POINTER(id));

	if (!n)
		sd_bus_error_setf(ret_error, CL_NOTIFY_ERROR_UNKNOWN,
		                  "no open notification %" PRIu32, id);
	return n;
}

static int method_invoke_action(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	ClNotifyd *d = userdata;
	Notification *n;
	const char *key;
	uint32_t id;
	bool found = false;
	int r;

	r = sd_bus_message_read(m, "us", &id, &key);
	if (r < 0)
		return r;
	n = display_lookup(d, id, ret_error);
	if (!n)
		return -EINVAL;
	for (guint i = 0; n->actions && i + 1 < n->actions->len; i += 2)
		if (strcmp(g_ptr_array_index(n->actions, i), key) == 0)
			found = true;
	if (!found) {
		g_autofree char *q = cl_log_escape(key, 64);

		return sd_bus_error_setf(ret_error, SD_BUS_ERROR_INVALID_ARGS,
		                         "notification %" PRIu32 " has no action “%s”", id, q);
	}
	emit_to_originator(n, "ActionInvoked", "us", n->id, key);
	notification_close(n, CL_NOTIFY_CLOSED_DISMISSED);
	return sd_bus_reply_method_return(m, "");
}

static int method_dismiss(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	ClNotifyd *d = userdata;
	Notification *n;
	uint32_t id;
	int r;

	r = sd_bus_message_read(m, "u", &id);
	if (r < 0)
		return r;
	n = display_lookup(d, id, ret_error);
	if (!n)
		return -EINVAL;
	notification_close(n, CL_NOTIFY_CLOSED_DISMISSED);
	return sd_bus_reply_method_return(m, "");
}

static int method_mark_seen(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	ClNotifyd *d = userdata;

	if (d->unread) {
		d->unread = 0;
		emit_unread(d);
	}
	return sd_bus_reply_method_return(m, "");
}

static int method_unread_security(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	ClNotifyd *d = userdata;

	return sd_bus_reply_method_return(m, "u", d->unread);
}

static const sd_bus_vtable display_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("List", SD_BUS_NO_ARGS, SD_BUS_RESULT("aa{sv}", notifications),
                                method_list, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("History", SD_BUS_NO_ARGS, SD_BUS_RESULT("aa{sv}", notifications),
                                method_history, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("InvokeAction", SD_BUS_ARGS("u", id, "s", key), SD_BUS_NO_RESULT,
                                method_invoke_action, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Dismiss", SD_BUS_ARGS("u", id), SD_BUS_NO_RESULT, method_dismiss,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("MarkSeen", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_mark_seen,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("UnreadSecurity", SD_BUS_NO_ARGS, SD_BUS_RESULT("u", count),
                                method_unread_security, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("Shown", SD_BUS_ARGS("a{sv}", notification), 0),
        SD_BUS_SIGNAL_WITH_ARGS("Closed", SD_BUS_ARGS("u", id, "u", reason), 0),
        SD_BUS_SIGNAL_WITH_ARGS("UnreadChanged", SD_BUS_ARGS("u", count), 0),
        SD_BUS_VTABLE_END,
};

/* ---- cage connections -------------------------------------------------------------- */

/*
 * Hang up on a client.  sd_bus_close() detaches the bus from the loop, so no
 * Disconnected message comes: the reaper frees it.
 */
static void connection_kill(Connection *c)
{
	c->dead = true;
	sd_event_source_set_enabled(c->in_source, SD_EVENT_OFF);
	sd_event_source_set_enabled(c->out_source, SD_EVENT_OFF);
	sd_bus_close(c->bus);
	sd_event_source_set_enabled(c->cage->d->reaper, SD_EVENT_ONESHOT);
}

/* Its notifications stay up; their signals have nowhere to go. */
static void connection_forget(Connection *c)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, c->cage->d->open);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		Notification *n = value;

		if (n->conn == c)
			n->conn = NULL;
	}
}

static void connection_free(Connection *c)
{
	if (!c)
		return;
	connection_forget(c);
	sd_event_source_disable_unref(c->drain);
	sd_event_source_disable_unref(c->in_source);
	sd_event_source_disable_unref(c->out_source);
	sd_bus_detach_event(c->bus);
	sd_bus_close_unref(c->bus);
	cl_close(c->sock_fd);
	cl_close(c->relay_fd);
	g_free(c);
}

static int handle_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Connection *c = userdata;

	/* Freed by the reaper, not here: the bus drain may be the caller. */
	cl_debug("cage %s: a notification client left", c->cage->config->id);
	connection_kill(c);
	return 0;
}

static int handle_reap(sd_event_source *s, void *userdata)
{
	ClNotifyd *d = userdata;

	for (guint i = 0; i < d->cages->len; i++) {
		Cage *cage = g_ptr_array_index(d->cages, i);

		for (guint j = cage->connections->len; j > 0; j--)
			if (((Connection *)g_ptr_array_index(cage->connections, j - 1))->dead)
				g_ptr_array_remove_index_fast(cage->connections, j - 1);
	}
	return 0;
}

/* Hand what is pending to sd-bus; false when its socket is full. */
static bool relay_flush(Connection *c)
{
	while (c->pending_off < c->pending_len) {
		ssize_t n = write(c->relay_fd, c->pending + c->pending_off,
		                  c->pending_len - c->pending_off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return false;
		if (n < 0) {
			connection_kill(c);
			return false;
		}
		c->pending_off += (size_t)n;
	}
	c->pending_off = c->pending_len = 0;
	return true;
}

static int relay_out(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	Connection *c = userdata;

	if (relay_flush(c) && !c->dead) {
		sd_event_source_set_enabled(c->out_source, SD_EVENT_OFF);
		sd_event_source_set_enabled(c->in_source, SD_EVENT_ON);
	}
	return 0;
}

static int relay_in(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	Connection *c = userdata;
	Cage *cage = c->cage;
	ssize_t n;
	int r;

	n = read(c->sock_fd, c->pending, sizeof(c->pending));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		/* The client hung up: sd-bus sees the end once it has read the rest. */
		sd_event_source_set_enabled(c->in_source, SD_EVENT_OFF);
		shutdown(c->relay_fd, SHUT_WR);
		return 0;
	}
	r = cl_wire_check_feed(&c->wire, c->pending, (size_t)n);
	if (r < 0) {
		if (!cage->oversize_logged)
			cl_warn("cage %s: %s; closing the connection", cage->config->id,
			        r == -EMSGSIZE ? "a D-Bus message over the size limit"
			                       : "malformed D-Bus framing");
		cage->oversize_logged = true;
		connection_kill(c);
		return 0;
	}
	c->pending_off = 0;
	c->pending_len = (size_t)n;
	if (!relay_flush(c) && !c->dead) {
		sd_event_source_set_enabled(c->in_source, SD_EVENT_OFF);
		sd_event_source_set_enabled(c->out_source, SD_EVENT_ON);
	}
	return 0;
}

static int handle_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	Cage *cage = userdata;
	ClNotifyd *d = cage->d;
	_cleanup_close_ int cfd = -1;
	int pair[2] = {-1, -1}, out_fd = -1;
	Connection *c;
	int r;

	cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (cfd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			cl_log_errno(LOG_WARNING, errno, "cage %s: accept", cage->config->id);
		return 0;
	}
	if (cage->connections->len >= d->limits.max_connections) {
		if (!cage->refusing)
			cl_warn("cage %s: refusing notification clients: limit of %u connections "
			        "reached",
			        cage->config->id, d->limits.max_connections);
		cage->refusing = true;
		return 0;
	}
	cage->refusing = false;
	c = g_new0(Connection, 1);
	c->cage = cage;
	c->sock_fd = cl_steal_fd(&cfd);
	c->relay_fd = -1;
	cl_wire_check_init(&c->wire, CL_NOTIFY_MESSAGE_MAX);
	r = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) < 0 ? -errno
	                                                                                 : 0;
	if (r >= 0) {
		c->relay_fd = pair[0];
		out_fd = fcntl(c->sock_fd, F_DUPFD_CLOEXEC, 3);
		if (out_fd < 0)
			r = -errno;
	}
	if (r >= 0)
		r = sd_bus_new(&c->bus);
	if (r >= 0)
		r = sd_bus_set_fd(c->bus, pair[1], out_fd);
	if (r >= 0) {
		pair[1] = out_fd = -1;
		r = sd_bus_set_server(c->bus, 1, d->server_id);
	}
	/* GDBus in a cage sends its in-cage uid: identity is the socket. */
	if (r >= 0)
		r = sd_bus_set_anonymous(c->bus, 1);
	if (r >= 0)
		r = sd_bus_negotiate_fds(c->bus, 0);
	if (r >= 0)
		r = sd_bus_add_object_vtable(c->bus, NULL, CL_FDO_NOTIFY_PATH, CL_FDO_NOTIFY_IFACE,
		                             cage_vtable, c);
	if (r >= 0)
		r = sd_bus_match_signal(c->bus, NULL, NULL, "/org/freedesktop/DBus/Local",
		                        "org.freedesktop.DBus.Local", "Disconnected",
		                        handle_disconnected, c);
	if (r >= 0)
		r = sd_bus_start(c->bus);
	if (r >= 0)
		r = sd_bus_attach_event(c->bus, d->event, CAGE_PRIORITY);
	if (r >= 0)
		r = cl_daemon_add_bus_drain(d->event, c->bus, CAGE_PRIORITY, &c->drain);
	if (r >= 0)
		r = sd_event_add_io(d->event, &c->in_source, c->sock_fd, EPOLLIN, relay_in, c);
	if (r >= 0)
		r = sd_event_add_io(d->event, &c->out_source, c->relay_fd, EPOLLOUT, relay_out, c);
	if (r >= 0)
		r = sd_event_source_set_enabled(c->out_source, SD_EVENT_OFF);
	if (r >= 0)
		r = sd_event_source_set_priority(c->in_source, CAGE_PRIORITY);
	if (r >= 0)
		r = sd_event_source_set_priority(c->out_source, CAGE_PRIORITY);
	if (r < 0) {
		cl_log_errno(LOG_DEBUG, r, "cage %s: cannot set up a connection", cage->config->id);
		cl_close(pair[1]);
		cl_close(out_fd);
		connection_free(c);
		return 0;
	}
	g_ptr_array_add(cage->connections, c);
	cl_debug("cage %s: a notification client connected (%u connections)", cage->config->id,
	         cage->connections->len);
	return 0;
}

/* ---- set-up ------------------------------------------------------------------------ */

static bool fail_errno(GError **error, int err, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static bool fail_errno(GError **error, int err, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "%s: %s", msg,
	            g_strerror(err));
	return false;
}

static bool listen_cage(ClNotifyd *d, Cage *cage, const ClNotifydOptions *options, int runtime_fd,
                        int passed_fd, GError **error)
{
	_cleanup_close_ int dir_fd = -1;
	int r;

	cage->socket_path =
	        cl_paths_socket(options->runtime_dir, cage->config->id, CL_SOCKET_NOTIFY, error);
	if (!cage->socket_path)
		return false;
	if (passed_fd >= 0) {
		/* The session's socket (checked already): it outlives us. */
		cage->listen_fd = passed_fd;
	} else {
		dir_fd = cl_paths_ensure_cage_runtime(runtime_fd, cage->config->id, error);
		if (dir_fd < 0)
			return false;
		cage->listen_fd = cl_listen_unix_at(dir_fd, CL_SOCKET_NOTIFY, cage->socket_path,
		                                    "cloison-notifyd", error);
		if (cage->listen_fd < 0)
			return false;
		cage->owns_socket = true;
	}
	r = sd_event_add_io(d->event, &cage->accept_source, cage->listen_fd, EPOLLIN, handle_accept,
	                    cage);
	if (r >= 0)
		r = sd_event_source_set_priority(cage->accept_source, CAGE_PRIORITY);
	if (r < 0)
		return fail_errno(error, -r, "sd_event_add_io");
	return true;
}

static void cage_free(Cage *cage)
{
	if (!cage)
		return;
	sd_event_source_disable_unref(cage->accept_source);
	cl_close(cage->listen_fd);
	/* Only a socket we created; never the session's, never another notifyd's. */
	if (cage->owns_socket)
		unlink(cage->socket_path);
	g_ptr_array_unref(cage->connections);
	g_free(cage->socket_path);
	g_free(cage);
}

static bool connect_core(ClNotifyd *d, const char *address, GError **error)
{
	static const char *const names[] = {CL_NOTIFY_BUS_NAME, CL_FDO_NOTIFY_NAME};
	int r;

	if (!address)
		address = g_getenv("DBUS_SESSION_BUS_ADDRESS");
	if (!address || !*address) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
		            _("no core bus: set DBUS_SESSION_BUS_ADDRESS or use --bus ADDRESS"));
		return false;
	}
	r = sd_bus_new(&d->core);
	if (r >= 0)
		r = sd_bus_set_address(d->core, address);
	if (r >= 0)
		r = sd_bus_set_bus_client(d->core, 1);
	if (r >= 0)
		r = sd_bus_set_exit_on_disconnect(d->core, 1);
	if (r >= 0)
		r = sd_bus_start(d->core);
	if (r < 0)
		return fail_errno(error, -r, _("cannot connect to the core bus %s"), address);
	r = sd_bus_add_object_vtable(d->core, NULL, CL_FDO_NOTIFY_PATH, CL_FDO_NOTIFY_IFACE,
	                             core_fdo_vtable, d);
	if (r >= 0)
		r = sd_bus_add_object_vtable(d->core, NULL, CL_NOTIFY_PATH,
		                             CL_SECURITY_EVENTS_IFACE, security_vtable, d);
	if (r >= 0)
		r = sd_bus_add_object_vtable(d->core, NULL, CL_NOTIFY_PATH, CL_NOTIFY_DISPLAY_IFACE,
		                             display_vtable, d);
	if (r < 0)
		return fail_errno(error, -r, "sd_bus_add_object_vtable");
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		r = sd_bus_request_name(d->core, names[i], 0);
		if (r < 0)
			return fail_errno(error, -r, _("cannot own the name %s on the core bus"),
			                  names[i]);
	}
	r = sd_bus_attach_event(d->core, d->event, CORE_PRIORITY);
	if (r < 0)
		return fail_errno(error, -r, "sd_bus_attach_event");
	return true;
}

ClNotifyd *cl_notifyd_new(sd_event *event, const ClNotifydOptions *options, GError **error)
{
	g_autoptr(ClNotifyd) d = g_new0(ClNotifyd, 1);
	_cleanup_close_ int runtime_fd = -1;
	uint64_t now = now_usec(CLOCK_MONOTONIC);
	int r;

	d->event = sd_event_ref(event);
	d->config = options->config;
	d->limits = options->limits;
	d->cages = g_ptr_array_new_with_free_func((GDestroyNotify)cage_free);
	d->all = g_hash_table_new(NULL, NULL);
	d->open = g_hash_table_new(NULL, NULL);
	g_queue_init(&d->history);
	r = sd_id128_randomize(&d->server_id);
	if (r >= 0)
		r = sd_event_add_defer(event, &d->reaper, handle_reap, d);
	if (r >= 0)
		r = sd_event_source_set_enabled(d->reaper, SD_EVENT_OFF);
	if (r < 0) {
		fail_errno(error, -r, "sd_event_add_defer");
		return NULL;
	}

	if (!options->listen_fds) {
		runtime_fd = cl_paths_ensure_runtime(options->runtime_dir, error);
		if (runtime_fd < 0)
			return NULL;
	}
	for (guint i = 0; i < d->config->cages->len; i++) {
		Cage *cage = g_new0(Cage, 1);

		cage->d = d;
		cage->config = g_ptr_array_index(d->config->cages, i);
		cage->listen_fd = -1;
		cage->connections = g_ptr_array_new_with_free_func((GDestroyNotify)connection_free);
		cl_token_bucket_init(&cage->bucket, d->limits.rate_burst, d->limits.rate_per_s,
		                     now);
		g_ptr_array_add(d->cages, cage);
		if (!listen_cage(d, cage, options, runtime_fd,
		                 options->listen_fds ? options->listen_fds[i] : -1, error))
			return NULL;
	}
	if (!connect_core(d, options->bus_address, error))
		return NULL;
	cl_info("listening for %u cages; core bus names %s and %s", d->cages->len,
	        CL_NOTIFY_BUS_NAME, CL_FDO_NOTIFY_NAME);
	return g_steal_pointer(&d);
}

void cl_notifyd_free(ClNotifyd *d)
{
	GList *l;

	if (!d)
		return;
	/* Cage connections first: their notifications forget them. */
	g_ptr_array_unref(d->cages);
	if (d->core) {
		sd_bus_detach_event(d->core);
		sd_bus_flush_close_unref(d->core);
	}
	/* Everything retained, open or in the history, once each. */
	g_hash_table_remove_all(d->open);
	while ((l = d->history.head)) {
		Notification *n = l->data;

		g_queue_delete_link(&d->history, l);
		n->history_link = NULL;
	}
	{
		g_autoptr(GPtrArray) all = values_of(d->all);

		for (guint i = 0; i < all->len; i++)
			notification_free(g_ptr_array_index(all, i));
	}
	g_hash_table_unref(d->open);
	g_hash_table_unref(d->all);
	sd_event_source_disable_unref(d->reaper);
	sd_event_unref(d->event);
	g_free(d);
}
