/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Security events the compositor sees (docs/notify-events.md), posted to
 * cloison-notifyd (org.cloison.SecurityEvents1.Post) on the core bus named by
 * $CLOISON_CORE_BUS_ADDRESS:
 *
 *   compositor.protocol-error   a cage client disconnected for a protocol
 *                               error (which interface, which error)
 *   compositor.hidden-protocol  a cage client tried to bind a global it is
 *                               not shown (by number: the filter refused it)
 *   compositor.limit            a per-client or per-cage limit was hit
 *
 * Without the variable nothing here exists: no connection, no protocol
 * logger.  With it, the sd-bus connection is made at the first event, never
 * at start-up, and runs in the Wayland event loop (its fd and its timeout);
 * a Post never waits for its reply, and a failed one (notifyd absent, the
 * bus gone) is logged at debug level only: the compositor never depends on
 * notifyd.  A bus that went away is dropped and reconnected at the next
 * event.
 *
 * A hostile cage can make these happen in a loop (connect, misbehave, be
 * disconnected, again): events are coalesced per (cage, category) by
 * common/event-limit.h, at most one event and one "N more" summary per
 * window, so a flood of bad clients cannot flood the core bus.
 */
#include "cloison-build-config.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <wayland-server-core.h>
#include <wayland-server-protocol.h>

#include "event-limit.h"
#include "i18n.h"
#include "log.h"
#include "security-events.h"
#include "server.h"
#include "util.h"

/* How long a Post may wait for its reply (it never blocks the compositor). */
#define POST_TIMEOUT_USEC (5 * 1000000u)
/* Posts waiting for a reply; more are dropped (logged at debug). */
#define POST_MAX_IN_FLIGHT 64
/* Protocol error messages are cut to this many bytes in an event. */
#define ERROR_MESSAGE_MAX 200

struct cl_notify {
	struct cl_server *server;
	char *address;
	sd_bus *bus; /* NULL until the first event, or after the bus went away */
	struct wl_event_source *bus_fd;
	struct wl_event_source *bus_timer;
	struct wl_event_source *flush_timer; /* end of the coalescing windows */
	struct wl_protocol_logger *logger;
	ClEventLimit *limit;
	unsigned in_flight;
	bool connect_failed_logged;
};

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- the core bus connection, in the Wayland event loop ---------------------- */

static void bus_drop(struct cl_notify *n)
{
	if (n->bus_fd)
		wl_event_source_remove(n->bus_fd);
	if (n->bus_timer)
		wl_event_source_remove(n->bus_timer);
	n->bus_fd = n->bus_timer = NULL;
	/* Pending replies go with it (their callbacks are not run). */
	n->bus = sd_bus_close_unref(n->bus);
	n->in_flight = 0;
}

/* Watch what sd-bus waits for: its fd's events and its next timeout. */
static void bus_update(struct cl_notify *n)
{
	uint32_t mask = 0;
	uint64_t until = UINT64_MAX, now;
	int events, ms = 0;

	if (!n->bus)
		return;
	events = sd_bus_get_events(n->bus);
	if (events < 0) {
		cl_log_errno(LOG_DEBUG, events, "core bus: connection lost");
		bus_drop(n);
		return;
	}
	if (events & POLLIN)
		mask |= WL_EVENT_READABLE;
	if (events & POLLOUT)
		mask |= WL_EVENT_WRITABLE;
	wl_event_source_fd_update(n->bus_fd, mask);
	if (sd_bus_get_timeout(n->bus, &until) >= 0 && until != UINT64_MAX) {
		now = now_usec();
		ms = until <= now ? 1 : (int)MIN((until - now + 999) / 1000, (uint64_t)INT32_MAX);
	}
	wl_event_source_timer_update(n->bus_timer, ms);
}

static void bus_process(struct cl_notify *n)
{
	int r;

	do
		r = sd_bus_process(n->bus, NULL);
	while (r > 0);
	if (r < 0 || !sd_bus_is_open(n->bus)) {
		cl_log_errno(LOG_DEBUG, r < 0 ? r : ECONNRESET,
		             "core bus: connection lost; reconnecting at the next event");
		bus_drop(n);
		return;
	}
	bus_update(n);
}

static int handle_bus_fd(int fd, uint32_t mask, void *data)
{
	bus_process(data);
	return 0;
}

static int handle_bus_timer(void *data)
{
	bus_process(data);
	return 0;
}

/*
 * Connect without waiting: sd_bus_start() only opens the socket; the
 * authentication and Hello run in the event loop, and messages sent
 * meanwhile are queued.
 */
static bool bus_connect(struct cl_notify *n)
{
	int fd, r;

	if (n->bus)
		return true;
	r = sd_bus_new(&n->bus);
	if (r >= 0)
		r = sd_bus_set_address(n->bus, n->address);
	if (r >= 0)
		r = sd_bus_set_bus_client(n->bus, 1);
	if (r >= 0)
		r = sd_bus_start(n->bus);
	if (r >= 0)
		r = fd = sd_bus_get_fd(n->bus);
	if (r < 0) {
		/* Said once at info level, then at debug: notifyd is optional. */
		cl_log_errno(n->connect_failed_logged ? LOG_DEBUG : LOG_INFO, r,
		             "core bus: cannot connect to %s; security events are not posted",
		             n->address);
		n->connect_failed_logged = true;
		bus_drop(n);
		return false;
	}
	n->bus_fd = wl_event_loop_add_fd(n->server->loop, fd, 0, handle_bus_fd, n);
	n->bus_timer = wl_event_loop_add_timer(n->server->loop, handle_bus_timer, n);
	if (!n->bus_fd || !n->bus_timer) {
		cl_warn("core bus: cannot watch the connection");
		bus_drop(n);
		return false;
	}
	cl_debug("core bus: connecting to %s", n->address);
	return true;
}

static int handle_post_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct cl_notify *n = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);

	if (n->in_flight > 0)
		n->in_flight--;
	if (e)
		cl_debug("security event not posted: %s", e->message ? e->message : e->name);
	return 0;
}

static void post_now(struct cl_notify *n, const char *severity, const char *category,
                     const char *cage, const char *summary, const char *body)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	int r;

	if (n->in_flight >= POST_MAX_IN_FLIGHT) {
		cl_debug("security event %s dropped: %u posts wait for a reply", category,
		         n->in_flight);
		return;
	}
	if (!bus_connect(n))
		return;
	r = sd_bus_message_new_method_call(n->bus, &m, CL_NOTIFY_BUS_NAME, CL_NOTIFY_PATH,
	                                   CL_SECURITY_EVENTS_IFACE, "Post");
	if (r >= 0)
		r = sd_bus_message_set_auto_start(m, 0);
	if (r >= 0)
		r = sd_bus_message_append(m, "sssss", severity, category, summary, body, cage);
	if (r >= 0)
		r = sd_bus_call_async(n->bus, NULL, m, handle_post_reply, n, POST_TIMEOUT_USEC);
	if (r < 0) {
		cl_log_errno(LOG_DEBUG, r, "cannot post the security event %s", category);
		if (r == -ENOTCONN || r == -ECONNRESET)
			bus_drop(n);
		return;
	}
	n->in_flight++;
	bus_update(n);
}

/* ---- coalescing ------------------------------------------------------------------ */

static void arm_flush(struct cl_notify *n)
{
	uint64_t next = cl_event_limit_next(n->limit), now = now_usec();
	int ms = 0;

	if (next)
		ms = next <= now ? 1 : (int)MIN((next - now + 999) / 1000, (uint64_t)INT32_MAX);
	wl_event_source_timer_update(n->flush_timer, ms);
}

static void post_summary(const char *cage, const char *category, unsigned count, void *userdata)
{
	struct cl_notify *n = userdata;
	g_autofree char *summary = NULL;
	g_autofree char *body = g_strdup_printf(_("Repeated by cage %s within a few seconds: "
	                                          "repeats are grouped so that a cage cannot "
	                                          "flood your notifications."),
	                                        cage);
	const char *severity = CL_SEVERITY_WARNING;

	if (strcmp(category, CL_EVENT_HIDDEN_PROTOCOL) == 0) {
		summary = g_strdup_printf(g_dngettext(GETTEXT_PACKAGE,
		                                      "%u more attempt by cage %s to use a hidden "
		                                      "protocol",
		                                      "%u more attempts by cage %s to use hidden "
		                                      "protocols",
		                                      count),
		                          count, cage);
		severity = CL_SEVERITY_CRITICAL;
	} else if (strcmp(category, CL_EVENT_LIMIT) == 0) {
		summary =
		        g_strdup_printf(g_dngettext(GETTEXT_PACKAGE, "%u more limit hit by cage %s",
		                                    "%u more limits hit by cage %s", count),
		                        count, cage);
	} else {
		summary = g_strdup_printf(g_dngettext(GETTEXT_PACKAGE,
		                                      "%u more client of cage %s disconnected for "
		                                      "a protocol error",
		                                      "%u more clients of cage %s disconnected for "
		                                      "protocol errors",
		                                      count),
		                          count, cage);
	}
	post_now(n, severity, category, cage, summary, body);
}

static int handle_flush(void *data)
{
	struct cl_notify *n = data;

	cl_event_limit_flush(n->limit, now_usec(), post_summary, n);
	arm_flush(n);
	return 0;
}

/*
 * Whether an event of CATEGORY for CAGE is to be posted now (asked before
 * its text is built: a flood costs a counter, not allocations).
 */
static bool admit(struct cl_notify *n, const char *category, const char *cage)
{
	if (cl_event_limit_admit(n->limit, cage, category, now_usec())) {
		arm_flush(n);
		return true;
	}
	cl_debug("security event %s of cage %s coalesced", category, cage);
	return false;
}

/* ---- the events --------------------------------------------------------------------- */

void cl_notify_protocol_error(struct cl_server *server, struct cl_client *client,
                              const char *interface, uint32_t code, const char *message)
{
	struct cl_notify *n = server->notify;
	g_autofree char *what = NULL, *summary = NULL, *body = NULL;

	if (!n || !client || !client->cage || client->event_posted)
		return;
	client->event_posted = true;
	if (!admit(n, CL_EVENT_PROTOCOL_ERROR, client->cage->id))
		return;
	/* The message is the compositor's, but may quote what the client sent. */
	what = cl_log_escape(message ? message : "", ERROR_MESSAGE_MAX);
	summary = g_strdup_printf(_("Cage %s: a client was disconnected for a protocol error"),
	                          client->cage->id);
	body = g_strdup_printf(_("A Wayland client of cage %s (level %s) broke the protocol on "
	                         "%s (error %u: %s) and was disconnected. Other clients and "
	                         "cages are not affected."),
	                       client->cage->id, client->cage->level->label,
	                       interface ? interface : "?", code, what);
	post_now(n, CL_SEVERITY_WARNING, CL_EVENT_PROTOCOL_ERROR, client->cage->id, summary, body);
}

void cl_notify_hidden_global(struct cl_server *server, struct cl_client *client,
                             const char *interface)
{
	struct cl_notify *n = server->notify;
	g_autofree char *summary = NULL, *body = NULL;

	if (!n || !client || !client->cage || client->event_posted)
		return;
	client->event_posted = true;
	if (!admit(n, CL_EVENT_HIDDEN_PROTOCOL, client->cage->id))
		return;
	summary = g_strdup_printf(_("Cage %s tried to use a hidden protocol"), client->cage->id);
	body = g_strdup_printf(_("A Wayland client of cage %s (level %s) tried to bind %s, a "
	                         "protocol cages are not offered, by its number. It was refused "
	                         "and disconnected."),
	                       client->cage->id, client->cage->level->label, interface);
	post_now(n, CL_SEVERITY_CRITICAL, CL_EVENT_HIDDEN_PROTOCOL, client->cage->id, summary,
	         body);
}

void cl_notify_limit(struct cl_server *server, struct cl_client *client, const ClCage *cage,
                     const char *fmt, ...)
{
	struct cl_notify *n = server->notify;
	g_autofree char *limit = NULL, *summary = NULL, *body = NULL;
	va_list ap;

	if (!n || !cage || (client && client->event_posted))
		return;
	if (client)
		client->event_posted = true;
	if (!admit(n, CL_EVENT_LIMIT, cage->id))
		return;
	va_start(ap, fmt);
	limit = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	summary = g_strdup_printf(_("Cage %s hit a limit: %s"), cage->id, limit);
	if (client)
		body = g_strdup_printf(_("A Wayland client of cage %s (level %s) went past a limit "
		                         "(%s) and was disconnected. Other clients and cages are "
		                         "not affected."),
		                       cage->id, cage->level->label, limit);
	else
		body = g_strdup_printf(_("Cage %s (level %s) went past a limit (%s): its new "
		                         "connection was refused. Other cages are not affected."),
		                       cage->id, cage->level->label, limit);
	post_now(n, CL_SEVERITY_WARNING, CL_EVENT_LIMIT, cage->id, summary, body);
}

/*
 * Every Wayland message passes here (one pointer comparison each).  A cage
 * client's wl_registry.bind arms cl_global_filter() to report a refused
 * bind; a wl_display.error sent to a cage client is its protocol error.
 */
static void handle_protocol(void *data, enum wl_protocol_logger_type direction,
                            const struct wl_protocol_logger_message *msg)
{
	struct cl_notify *n = data;
	struct cl_client *client;
	struct wl_resource *object;

	if (direction == WL_PROTOCOL_LOGGER_REQUEST) {
		if (msg->message != &wl_registry_interface.methods[0 /* bind */])
			return;
		client = cl_client_from_wl_client(wl_resource_get_client(msg->resource));
		if (client && client->cage)
			client->binding = true;
		return;
	}
	if (msg->message != &wl_display_interface.events[WL_DISPLAY_ERROR] ||
	    msg->arguments_count < 3)
		return;
	client = cl_client_from_wl_client(wl_resource_get_client(msg->resource));
	if (!client || !client->cage)
		return;
	client->binding = false;
	/* The object argument of a server-side closure is the resource. */
	object = (struct wl_resource *)msg->arguments[0].o;
	cl_notify_protocol_error(n->server, client, object ? wl_resource_get_class(object) : NULL,
	                         msg->arguments[1].u, msg->arguments[2].s);
}

int cl_notify_create(struct cl_server *server)
{
	const char *address = getenv(CL_CORE_BUS_ENV);
	struct cl_notify *n;

	if (!address || !*address)
		return 0; /* posts nothing, costs nothing */
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->server = server;
	n->address = g_strdup(address);
	n->limit = cl_event_limit_new(0);
	n->flush_timer = wl_event_loop_add_timer(server->loop, handle_flush, n);
	n->logger = wl_display_add_protocol_logger(server->display, handle_protocol, n);
	server->notify = n;
	if (!n->flush_timer || !n->logger) {
		cl_notify_destroy(server);
		return -ENOMEM;
	}
	cl_debug("security events go to %s on %s (connected at the first one)", CL_NOTIFY_BUS_NAME,
	         address);
	return 0;
}

void cl_notify_destroy(struct cl_server *server)
{
	struct cl_notify *n = server ? server->notify : NULL;

	if (!n)
		return;
	server->notify = NULL;
	if (n->logger)
		wl_protocol_logger_destroy(n->logger);
	if (n->flush_timer)
		wl_event_source_remove(n->flush_timer);
	/* What is still queued is dropped: the compositor never waits for the bus. */
	bus_drop(n);
	cl_event_limit_free(n->limit);
	g_free(n->address);
	free(n);
}
