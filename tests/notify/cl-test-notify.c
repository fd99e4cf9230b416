/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cl-test-notify: clients of cloison-notifyd for tests/notify/run-notify.sh.
 * Cage-side calls go to a cage's notify socket directly from the host (the
 * socket is the cage's identity, so this is what a process in that cage
 * could do); display calls go to the core bus, as the bar would.
 *
 *   cl-test-notify watch BUS OUT READY
 *       Append one line per NotifyDisplay1 signal to OUT until killed
 *       ("shown id=… style=… cage=… …", "closed ID REASON", "unread N").
 *   cl-test-notify spec SOCKET OTHER_CAGE_SOCKET BUS CAGE
 *       The Desktop Notifications methods and signals, and who gets them.
 *   cl-test-notify hostile SOCKET OTHER_CAGE_SOCKET BUS CAGE
 *       Hostile fields: control and bidi characters, 1 MiB body, markup,
 *       icons and images, 100 actions, another cage's replaces_id.
 *   cl-test-notify burst SOCKET BUS COUNT
 *       COUNT notifications at once from a cage, and a security event
 *       posted during the burst.
 *   cl-test-notify invalid-utf8 SOCKET
 *       A hand-made Notify whose summary is not UTF-8.
 *   cl-test-notify post BUS SEVERITY CATEGORY SUMMARY BODY CAGE
 *       Prints the id, or "error NAME: MESSAGE" (exit 1).
 *   cl-test-notify invoke BUS ID KEY / dismiss BUS ID
 * spec, hostile, burst and invalid-utf8 print "PASS what" / "FAIL what: why"
 * lines and exit 1 if anything failed.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "notifyd.h"
#include "sanitize.h"
#include "security-events.h"
#include "wire.h"

#define SAFETY_USEC (UINT64_C(20) * 1000 * 1000) /* give up waiting (not a measure) */
#define MAX_EVENTS  4096

static int failures;

static void check(bool ok, const char *what, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void check(bool ok, const char *what, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("PASS %s\n", what);
	} else {
		failures++;
		printf("FAIL %s: ", what);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
	fflush(stdout);
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static sd_bus *connect_p2p(const char *socket_path)
{
	sd_bus *bus = NULL;
	char address[4200];
	int r;

	snprintf(address, sizeof(address), "unix:path=%s", socket_path);
	r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, address);
	if (r >= 0)
		r = sd_bus_set_anonymous(bus, 1);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r < 0) {
		fprintf(stderr, "cl-test-notify: connect %s: %s\n", socket_path, strerror(-r));
		exit(2);
	}
	return bus;
}

static sd_bus *connect_core(const char *address)
{
	sd_bus *bus = NULL;
	int r;

	r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, address);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, 1);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r < 0) {
		fprintf(stderr, "cl-test-notify: connect %s: %s\n", address, strerror(-r));
		exit(2);
	}
	return bus;
}

/* ---- what a connection received ----------------------------------------------- */

typedef struct {
	char member[32];
	uint32_t id, reason;
	char key[80];
} Event;

typedef struct {
	Event ev[MAX_EVENTS];
	unsigned n;
} Events;

static int record_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Events *e = userdata;
	Event *ev;
	const char *member = sd_bus_message_get_member(m);
	const char *key = NULL;

	if (!sd_bus_message_is_signal(m, NULL, NULL) || !member || e->n >= MAX_EVENTS)
		return 0;
	if (strcmp(member, "NotificationClosed") && strcmp(member, "ActionInvoked") &&
	    strcmp(member, "Closed") && strcmp(member, "UnreadChanged"))
		return 0;
	ev = &e->ev[e->n++];
	memset(ev, 0, sizeof(*ev));
	snprintf(ev->member, sizeof(ev->member), "%s", member);
	if (!strcmp(member, "ActionInvoked")) {
		sd_bus_message_read(m, "us", &ev->id, &key);
		snprintf(ev->key, sizeof(ev->key), "%s", key ? key : "");
	} else if (!strcmp(member, "UnreadChanged")) {
		sd_bus_message_read(m, "u", &ev->id);
	} else {
		sd_bus_message_read(m, "uu", &ev->id, &ev->reason);
	}
	return 0;
}

static void watch_events(sd_bus *bus, Events *e, bool core)
{
	int r;

	if (core)
		r = sd_bus_match_signal(bus, NULL, NULL, NULL, NULL, NULL, record_signal, e);
	else
		r = sd_bus_add_filter(bus, NULL, record_signal, e);
	if (r < 0) {
		fprintf(stderr, "cl-test-notify: match: %s\n", strerror(-r));
		exit(2);
	}
}

static Event *find_event(Events *e, const char *member, uint32_t id)
{
	for (unsigned i = 0; i < e->n; i++)
		if (!strcmp(e->ev[i].member, member) && e->ev[i].id == id)
			return &e->ev[i];
	return NULL;
}

/* Process bus until member(id) arrives (or SAFETY_USEC passes). */
static Event *wait_event(sd_bus *bus, Events *e, const char *member, uint32_t id)
{
	uint64_t end = now_usec() + SAFETY_USEC;
	Event *ev;

	while (!(ev = find_event(e, member, id)) && now_usec() < end) {
		int r = sd_bus_process(bus, NULL);

		if (r < 0)
			return NULL;
		if (r == 0)
			sd_bus_wait(bus, 100 * 1000);
	}
	return ev;
}

/* A round trip: every signal sent to this connection before it is in. */
static void ping(sd_bus *bus, bool core)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;

	sd_bus_call_method(bus, core ? CL_FDO_NOTIFY_NAME : NULL, CL_FDO_NOTIFY_PATH,
	                   CL_FDO_NOTIFY_IFACE, "GetServerInformation", &error, &reply, "");
	sd_bus_message_unref(reply);
	sd_bus_error_free(&error);
	while (sd_bus_process(bus, NULL) > 0)
		;
}

/* ---- calls ------------------------------------------------------------------- */

typedef struct {
	const char *app;
	uint32_t replaces;
	const char *icon;
	const char *summary;
	const char *body;
	const char *const *actions; /* NULL-terminated */
	int urgency;                /* -1: no hint */
	bool images;                /* add image/icon/sound hints */
	int32_t timeout;
} Note;

static int append_note(sd_bus_message *m, const Note *n)
{
	int r;

	r = sd_bus_message_append(m, "susss", n->app ? n->app : "cl-test-notify", n->replaces,
	                          n->icon ? n->icon : "", n->summary, n->body ? n->body : "");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "s");
	for (size_t i = 0; r >= 0 && n->actions && n->actions[i]; i++)
		r = sd_bus_message_append(m, "s", n->actions[i]);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "{sv}");
	if (r >= 0 && n->urgency >= 0)
		r = sd_bus_message_append(m, "{sv}", "urgency", "y", (uint8_t)n->urgency);
	if (r >= 0 && n->images) {
		static const uint8_t pixels[12] = {0};

		r = sd_bus_message_append(m, "{sv}", "image-path", "s", "/etc/shadow");
		if (r >= 0)
			r = sd_bus_message_append(m, "{sv}", "sound-file", "s", "/dev/zero");
		if (r >= 0)
			r = sd_bus_message_append(m, "{sv}", "icon_data", "s", "x");
		for (int k = 0; r >= 0 && k < 2; k++) {
			r = sd_bus_message_open_container(m, 'e', "sv");
			if (r >= 0)
				r = sd_bus_message_append(m, "s", k ? "image_data" : "image-data");
			if (r >= 0)
				r = sd_bus_message_open_container(m, 'v', "(iiibiiay)");
			if (r >= 0)
				r = sd_bus_message_open_container(m, 'r', "iiibiiay");
			if (r >= 0)
				r = sd_bus_message_append(m, "iiibii", 2, 2, 6, 0, 8, 3);
			if (r >= 0)
				r = sd_bus_message_append_array(m, 'y', pixels, sizeof(pixels));
			for (int c = 0; r >= 0 && c < 3; c++)
				r = sd_bus_message_close_container(m);
		}
	}
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_message_append(m, "i", n->timeout);
	return r;
}

static sd_bus_message *new_notify(sd_bus *bus, bool core, const Note *n)
{
	sd_bus_message *m = NULL;
	int r = sd_bus_message_new_method_call(bus, &m, core ? CL_FDO_NOTIFY_NAME : NULL,
	                                       CL_FDO_NOTIFY_PATH, CL_FDO_NOTIFY_IFACE, "Notify");
	if (r >= 0)
		r = append_note(m, n);
	if (r < 0) {
		fprintf(stderr, "cl-test-notify: building Notify: %s\n", strerror(-r));
		exit(2);
	}
	return m;
}

/* 0 and the id, or -1 and the error's name in errname. */
static int notify(sd_bus *bus, bool core, const Note *n, uint32_t *id, char *errname, size_t len)
{
	sd_bus_message *m = new_notify(bus, core, n), *reply = NULL;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	int r = sd_bus_call(bus, m, 0, &error, &reply);

	sd_bus_message_unref(m);
	if (r < 0) {
		if (errname)
			snprintf(errname, len, "%s", error.name ? error.name : strerror(-r));
		sd_bus_error_free(&error);
		return -1;
	}
	r = sd_bus_message_read(reply, "u", id);
	sd_bus_message_unref(reply);
	return r < 0 ? -1 : 0;
}

static uint32_t must_notify(sd_bus *bus, bool core, const Note *n)
{
	char err[256] = "";
	uint32_t id = 0;

	if (notify(bus, core, n, &id, err, sizeof(err)) < 0) {
		fprintf(stderr, "cl-test-notify: Notify failed: %s\n", err);
		exit(2);
	}
	return id;
}

/* A method with no result; returns 0 or -1 and the error name. */
static int call_simple(sd_bus *bus, const char *dest, const char *path, const char *iface,
                       const char *method, char *errname, size_t len, const char *types, ...)
{
	sd_bus_message *m = NULL, *reply = NULL;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	va_list ap;
	int r;

	r = sd_bus_message_new_method_call(bus, &m, dest, path, iface, method);
	if (r >= 0) {
		va_start(ap, types);
		r = sd_bus_message_appendv(m, types, ap);
		va_end(ap);
	}
	if (r >= 0)
		r = sd_bus_call(bus, m, 0, &error, &reply);
	if (r < 0 && errname)
		snprintf(errname, len, "%s", error.name ? error.name : strerror(-r));
	sd_bus_error_free(&error);
	sd_bus_message_unref(m);
	sd_bus_message_unref(reply);
	return r < 0 ? -1 : 0;
}

#define DISPLAY(bus, method, err, types, ...)                                                      \
	call_simple(bus, CL_NOTIFY_BUS_NAME, CL_NOTIFY_PATH, CL_NOTIFY_DISPLAY_IFACE, method, err, \
	            sizeof(err), types, __VA_ARGS__)

#define DISPLAY0(bus, method, err)                                                                 \
	call_simple(bus, CL_NOTIFY_BUS_NAME, CL_NOTIFY_PATH, CL_NOTIFY_DISPLAY_IFACE, method, err, \
	            sizeof(err), "")

/* ---- a notification dictionary as notifyd shows it ------------------------------ */

typedef struct {
	uint32_t id;
	char style[16], cage[40], level[40], label[256], colour[16], category[64], severity[16];
	char *summary, *body, *app;
	unsigned n_actions;
	char *actions[64];
	uint8_t urgency;
	int32_t timeout;
	uint32_t count;
	char keys[512]; /* every key, space-separated */
} Dict;

static void dict_clear(Dict *d)
{
	free(d->summary);
	free(d->body);
	free(d->app);
	for (unsigned i = 0; i < d->n_actions && i < 64; i++)
		free(d->actions[i]);
	memset(d, 0, sizeof(*d));
}

static int read_dict(sd_bus_message *m, Dict *d)
{
	int r;

	memset(d, 0, sizeof(*d));
	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (r <= 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *key, *contents = NULL, *s = NULL;
		char type;

		sd_bus_message_read(m, "s", &key);
		{
			size_t used = strlen(d->keys);

			snprintf(d->keys + used, sizeof(d->keys) - used, "%s ", key);
		}
		sd_bus_message_peek_type(m, &type, &contents);
		if (contents && !strcmp(contents, "s")) {
			sd_bus_message_read(m, "v", "s", &s);
			if (!strcmp(key, "style"))
				snprintf(d->style, sizeof(d->style), "%s", s);
			else if (!strcmp(key, "cage"))
				snprintf(d->cage, sizeof(d->cage), "%s", s);
			else if (!strcmp(key, "level"))
				snprintf(d->level, sizeof(d->level), "%s", s);
			else if (!strcmp(key, "label"))
				snprintf(d->label, sizeof(d->label), "%s", s);
			else if (!strcmp(key, "colour"))
				snprintf(d->colour, sizeof(d->colour), "%s", s);
			else if (!strcmp(key, "category"))
				snprintf(d->category, sizeof(d->category), "%s", s);
			else if (!strcmp(key, "severity"))
				snprintf(d->severity, sizeof(d->severity), "%s", s);
			else if (!strcmp(key, "summary"))
				d->summary = strdup(s);
			else if (!strcmp(key, "body"))
				d->body = strdup(s);
			else if (!strcmp(key, "app-name"))
				d->app = strdup(s);
		} else if (!strcmp(key, "id")) {
			sd_bus_message_read(m, "v", "u", &d->id);
		} else if (!strcmp(key, "count")) {
			sd_bus_message_read(m, "v", "u", &d->count);
		} else if (!strcmp(key, "urgency")) {
			sd_bus_message_read(m, "v", "y", &d->urgency);
		} else if (!strcmp(key, "expire-timeout")) {
			sd_bus_message_read(m, "v", "i", &d->timeout);
		} else if (!strcmp(key, "actions")) {
			sd_bus_message_enter_container(m, 'v', "as");
			sd_bus_message_enter_container(m, 'a', "s");
			while (sd_bus_message_read(m, "s", &s) > 0) {
				if (d->n_actions < 64)
					d->actions[d->n_actions] = strdup(s);
				d->n_actions++;
			}
			sd_bus_message_exit_container(m);
			sd_bus_message_exit_container(m);
		} else {
			sd_bus_message_skip(m, "v");
		}
		sd_bus_message_exit_container(m);
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m) < 0 ? -1 : 1;
}

/* The open notification id, from List (0: found). */
static int lookup(sd_bus *core, uint32_t id, Dict *out)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	int r, found = -1;

	r = sd_bus_call_method(core, CL_NOTIFY_BUS_NAME, CL_NOTIFY_PATH, CL_NOTIFY_DISPLAY_IFACE,
	                       "List", &error, &reply, "");
	sd_bus_error_free(&error);
	if (r < 0)
		return -1;
	sd_bus_message_enter_container(reply, 'a', "a{sv}");
	for (;;) {
		Dict d;

		if (read_dict(reply, &d) <= 0)
			break;
		if (d.id == id && found < 0) {
			*out = d;
			found = 0;
		} else {
			dict_clear(&d);
		}
	}
	sd_bus_message_unref(reply);
	return found;
}

static bool has_control_or_bidi(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
			return true;
		/* U+202A-U+202E, U+2066-U+2069 */
		if (p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae)
			return true;
		if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
			return true;
		/* C1 controls: U+0080-U+009F */
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return true;
	}
	return false;
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* ---- watch ---------------------------------------------------------------- */

static void put_escaped(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '\\' || *p == ' ')
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
}

static int watch_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	FILE *out = userdata;
	const char *member = sd_bus_message_get_member(m);
	uint32_t a = 0, b = 0;
	Dict d;

	if (!member)
		return 0;
	if (!strcmp(member, "Shown") && read_dict(m, &d) > 0) {
		fprintf(out,
		        "shown id=%" PRIu32 " style=%s cage=%s level=%s label=%s colour=%s "
		        "urgency=%u timeout=%" PRIi32 " actions=%u severity=%s category=%s "
		        "count=%" PRIu32 " app=",
		        d.id, d.style, d.cage, d.level, d.label, d.colour, d.urgency, d.timeout,
		        d.n_actions, d.severity, d.category, d.count);
		put_escaped(out, d.app);
		fprintf(out, " summary=");
		put_escaped(out, d.summary);
		fprintf(out, " body=");
		put_escaped(out, d.body);
		fprintf(out, "\n");
		dict_clear(&d);
	} else if (!strcmp(member, "Closed") && sd_bus_message_read(m, "uu", &a, &b) > 0) {
		fprintf(out, "closed %" PRIu32 " %" PRIu32 "\n", a, b);
	} else if (!strcmp(member, "UnreadChanged") && sd_bus_message_read(m, "u", &a) > 0) {
		fprintf(out, "unread %" PRIu32 "\n", a);
	}
	fflush(out);
	return 0;
}

static int do_watch(char **argv)
{
	sd_bus *bus = connect_core(argv[0]);
	FILE *out = fopen(argv[1], "a");
	FILE *ready;
	int r;

	if (!out)
		return 2;
	r = sd_bus_match_signal(bus, NULL, CL_NOTIFY_BUS_NAME, CL_NOTIFY_PATH,
	                        CL_NOTIFY_DISPLAY_IFACE, NULL, watch_signal, out);
	if (r < 0)
		return 2;
	ping(bus, true);
	ready = fopen(argv[2], "w");
	if (ready)
		fclose(ready);
	for (;;) {
		r = sd_bus_process(bus, NULL);
		if (r < 0)
			return 1;
		if (r == 0 && sd_bus_wait(bus, UINT64_MAX) < 0)
			return 1;
	}
}

/* ---- spec ------------------------------------------------------------------- */

static bool strv_has(sd_bus_message *reply, const char *want)
{
	const char *s;
	bool found = false;

	sd_bus_message_rewind(reply, true);
	sd_bus_message_enter_container(reply, 'a', "s");
	while (sd_bus_message_read(reply, "s", &s) > 0)
		if (!strcmp(s, want))
			found = true;
	return found;
}

static void check_caps(sd_bus *bus, bool core, const char *where)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	const char *name = NULL, *vendor = NULL, *version = NULL, *spec = NULL;
	char what[128];
	int r;

	r = sd_bus_call_method(bus, core ? CL_FDO_NOTIFY_NAME : NULL, CL_FDO_NOTIFY_PATH,
	                       CL_FDO_NOTIFY_IFACE, "GetCapabilities", &error, &reply, "");
	snprintf(what, sizeof(what), "%s: GetCapabilities is actions and body, no markup/icons",
	         where);
	check(r >= 0 && strv_has(reply, "actions") && strv_has(reply, "body") &&
	              !strv_has(reply, "body-markup") && !strv_has(reply, "icon-static") &&
	              !strv_has(reply, "sound"),
	      what, "%s", r < 0 ? error.message : "wrong capabilities");
	sd_bus_message_unref(reply);
	sd_bus_error_free(&error);
	reply = NULL;
	r = sd_bus_call_method(bus, core ? CL_FDO_NOTIFY_NAME : NULL, CL_FDO_NOTIFY_PATH,
	                       CL_FDO_NOTIFY_IFACE, "GetServerInformation", &error, &reply, "");
	if (r >= 0)
		r = sd_bus_message_read(reply, "ssss", &name, &vendor, &version, &spec);
	snprintf(what, sizeof(what), "%s: GetServerInformation is Cloison, spec 1.2", where);
	check(r >= 0 && !strcmp(name, "Cloison") && !strcmp(spec, "1.2") && *version, what,
	      "got %s %s %s %s", name ? name : "-", vendor ? vendor : "-", version ? version : "-",
	      spec ? spec : "-");
	sd_bus_message_unref(reply);
	sd_bus_error_free(&error);
}

static int do_spec(char **argv)
{
	const char *sock = argv[0], *other_sock = argv[1], *address = argv[2], *cage = argv[3];
	sd_bus *a1 = connect_p2p(sock), *a2 = connect_p2p(sock), *b = connect_p2p(other_sock);
	sd_bus *core = connect_core(address), *core2 = connect_core(address);
	static Events ea1, ea2, eb, ec, ec2;
	static const char *const actions[] = {"default", "Open", "other", "Other", NULL};
	Note note = {.summary = "spec", .urgency = -1, .timeout = -1};
	char err[256] = "";
	uint32_t id, unread = 99;
	Event *ev;
	Dict d;

	watch_events(a1, &ea1, false);
	watch_events(a2, &ea2, false);
	watch_events(b, &eb, false);
	watch_events(core, &ec, true);
	watch_events(core2, &ec2, true);
	ping(core, true);
	ping(core2, true);

	check_caps(a1, false, "cage socket");
	check_caps(core, true, "core bus");

	/* Style and tags of a cage notification. */
	id = must_notify(a1, false, &note);
	check(lookup(core, id, &d) == 0 && !strcmp(d.style, CL_STYLE_CAGE) &&
	              !strcmp(d.cage, cage) && *d.level && *d.label && d.colour[0] == '#',
	      "a cage notification is listed with style cage and its cage's level",
	      "style=%s cage=%s level=%s", d.style, d.cage, d.level);
	dict_clear(&d);

	/* CloseNotification → NotificationClosed reason 3, to the creator. */
	check(call_simple(a1, NULL, CL_FDO_NOTIFY_PATH, CL_FDO_NOTIFY_IFACE, "CloseNotification",
	                  err, sizeof(err), "u", id) == 0,
	      "CloseNotification of its own notification", "%s", err);
	ev = wait_event(a1, &ea1, "NotificationClosed", id);
	check(ev && ev->reason == CL_NOTIFY_CLOSED_CALL,
	      "CloseNotification → NotificationClosed "
	      "reason 3",
	      "%s", ev ? "wrong reason" : "no signal");
	ev = wait_event(core, &ec, "Closed", id);
	check(ev && ev->reason == CL_NOTIFY_CLOSED_CALL, "NotifyDisplay1.Closed reason 3", "%s",
	      ev ? "wrong reason" : "no signal");
	check(call_simple(a1, NULL, CL_FDO_NOTIFY_PATH, CL_FDO_NOTIFY_IFACE, "CloseNotification",
	                  err, sizeof(err), "u", id) < 0 &&
	              !strcmp(err, CL_NOTIFY_ERROR_UNKNOWN),
	      "CloseNotification of a closed one is an error", "%s", err);

	/* Expiry → reason 1 (1 s: the shortest a cage may ask). */
	note.timeout = 1;
	id = must_notify(a1, false, &note);
	ev = wait_event(a1, &ea1, "NotificationClosed", id);
	check(ev && ev->reason == CL_NOTIFY_CLOSED_EXPIRED, "expiry → NotificationClosed reason 1",
	      "%s", ev ? "wrong reason" : "no signal");
	note.timeout = -1;

	/* InvokeAction from the display → ActionInvoked to the creator only. */
	note.actions = actions;
	id = must_notify(a1, false, &note);
	check(DISPLAY(core, "InvokeAction", err, "us", id, "nonexistent") < 0 &&
	              !strcmp(err, SD_BUS_ERROR_INVALID_ARGS),
	      "InvokeAction with an unknown key is InvalidArgs", "%s", err);
	check(DISPLAY(core, "InvokeAction", err, "us", id, "other") == 0, "InvokeAction", "%s",
	      err);
	ev = wait_event(a1, &ea1, "ActionInvoked", id);
	check(ev && !strcmp(ev->key, "other"), "InvokeAction → ActionInvoked to the creator", "%s",
	      ev ? ev->key : "no signal");
	ev = wait_event(a1, &ea1, "NotificationClosed", id);
	check(ev && ev->reason == CL_NOTIFY_CLOSED_DISMISSED,
	      "after an action, NotificationClosed reason 2", "%s",
	      ev ? "wrong reason" : "no signal");
	ping(a2, false);
	ping(b, false);
	check(ea2.n == 0, "another connection of the same cage gets none of its signals",
	      "%u signals", ea2.n);
	check(eb.n == 0, "another cage gets none of its signals", "%u signals", eb.n);
	check(DISPLAY(core, "InvokeAction", err, "us", 12345u, "default") < 0 &&
	              !strcmp(err, CL_NOTIFY_ERROR_UNKNOWN),
	      "InvokeAction on an unknown id is UnknownNotification", "%s", err);

	/* Dismiss → reason 2. */
	note.actions = NULL;
	id = must_notify(a1, false, &note);
	check(DISPLAY(core, "Dismiss", err, "u", id) == 0, "Dismiss", "%s", err);
	ev = wait_event(a1, &ea1, "NotificationClosed", id);
	check(ev && ev->reason == CL_NOTIFY_CLOSED_DISMISSED,
	      "Dismiss → NotificationClosed reason 2", "%s", ev ? "wrong reason" : "no signal");

	/* The other cage cannot close, replace or see it. */
	id = must_notify(a1, false, &note);
	check(call_simple(b, NULL, CL_FDO_NOTIFY_PATH, CL_FDO_NOTIFY_IFACE, "CloseNotification",
	                  err, sizeof(err), "u", id) < 0 &&
	              !strcmp(err, CL_NOTIFY_ERROR_UNKNOWN),
	      "another cage cannot close it (UnknownNotification)", "%s", err);
	check(lookup(core, id, &d) == 0, "it is still open", "not listed");
	dict_clear(&d);
	DISPLAY(core, "Dismiss", err, "u", id);
	ping(b, false);
	check(eb.n == 0, "the other cage saw no signal", "%u signals", eb.n);

	/* Core bus notifications: style core, signals unicast to the sender. */
	id = must_notify(core, true, &note);
	check(lookup(core, id, &d) == 0 && !strcmp(d.style, CL_STYLE_CORE),
	      "a core-bus notification has style core", "style=%s", d.style);
	dict_clear(&d);
	check(call_simple(core, CL_FDO_NOTIFY_NAME, CL_FDO_NOTIFY_PATH, CL_FDO_NOTIFY_IFACE,
	                  "CloseNotification", err, sizeof(err), "u", id) == 0,
	      "core CloseNotification", "%s", err);
	ev = wait_event(core, &ec, "NotificationClosed", id);
	check(ev && ev->reason == CL_NOTIFY_CLOSED_CALL,
	      "core: NotificationClosed reason 3 to the "
	      "sender",
	      "%s", ev ? "wrong reason" : "no signal");
	ping(core2, true);
	check(!find_event(&ec2, "NotificationClosed", id),
	      "core: another bus client does not get it", "it did");

	/* Security events: unread count, coalescing. */
	DISPLAY0(core, "MarkSeen", err);
	{
		sd_bus_message *reply = NULL;
		sd_bus_error error = SD_BUS_ERROR_NULL;
		uint32_t id2 = 0;
		char summary[64];

		snprintf(summary, sizeof(summary), "spec event %d", (int)getpid());
		if (sd_bus_call_method(core, CL_NOTIFY_BUS_NAME, CL_NOTIFY_PATH,
		                       CL_SECURITY_EVENTS_IFACE, "Post", &error, &reply, "sssss",
		                       CL_SEVERITY_WARNING, CL_EVENT_CAGE_CRASHED, summary, "one",
		                       cage) >= 0)
			sd_bus_message_read(reply, "u", &id);
		sd_bus_message_unref(reply);
		reply = NULL;
		if (sd_bus_call_method(core, CL_NOTIFY_BUS_NAME, CL_NOTIFY_PATH,
		                       CL_SECURITY_EVENTS_IFACE, "Post", &error, &reply, "sssss",
		                       CL_SEVERITY_WARNING, CL_EVENT_CAGE_CRASHED, summary, "two",
		                       cage) >= 0)
			sd_bus_message_read(reply, "u", &id2);
		sd_bus_message_unref(reply);
		sd_bus_error_free(&error);
		check(id && id == id2 && lookup(core, id, &d) == 0 && d.count == 2 &&
		              !strcmp(d.style, CL_STYLE_SECURITY) && !strcmp(d.body, "two"),
		      "identical security events close together are one, with a count",
		      "ids %" PRIu32 " %" PRIu32 " count %" PRIu32, id, id2, d.count);
		dict_clear(&d);
		reply = NULL;
		if (sd_bus_call_method(core, CL_NOTIFY_BUS_NAME, CL_NOTIFY_PATH,
		                       CL_NOTIFY_DISPLAY_IFACE, "UnreadSecurity", &error, &reply,
		                       "") >= 0)
			sd_bus_message_read(reply, "u", &unread);
		sd_bus_message_unref(reply);
		sd_bus_error_free(&error);
		check(unread == 2, "UnreadSecurity counts both", "%" PRIu32, unread);
		ev = wait_event(core, &ec, "UnreadChanged", 2);
		check(ev != NULL, "UnreadChanged(2) was emitted", "no signal");
		ec.n = 0;
		DISPLAY0(core, "MarkSeen", err);
		ev = wait_event(core, &ec, "UnreadChanged", 0);
		check(ev != NULL, "MarkSeen → UnreadChanged(0)", "no signal");
		DISPLAY(core, "Dismiss", err, "u", id);
	}
	sd_bus_flush_close_unref(a1);
	sd_bus_flush_close_unref(a2);
	sd_bus_flush_close_unref(b);
	sd_bus_flush_close_unref(core);
	sd_bus_flush_close_unref(core2);
	return failures ? 1 : 0;
}

/* ---- hostile ------------------------------------------------------------------ */

static int do_hostile(char **argv)
{
	const char *sock = argv[0], *other_sock = argv[1], *address = argv[2], *cage = argv[3];
	sd_bus *a = connect_p2p(sock), *b = connect_p2p(other_sock);
	sd_bus *core = connect_core(address);
	static const char *const allowed =
	        " id style cage level label colour app-name summary body actions urgency "
	        "expire-timeout time ";
	const char *actions[201];
	char labels[200][16];
	char *big;
	char err[256] = "";
	uint32_t id, idb, id2;
	Dict d;
	Note note = {.urgency = -1, .timeout = -1};

	/* Control characters, an escape sequence, bidi overrides, C1. */
	note.app = "app\x1b[2J\x07";
	note.summary = "sum\x01mary \x1b[31mred\xe2\x80\xae"
	               "desrever\xc2\x9b";
	note.body = "line1\r\nline2\x08\xe2\x81\xa6isolate\xe2\x81\xa9\x7f";
	id = must_notify(a, false, &note);
	check(lookup(core, id, &d) == 0 && !has_control_or_bidi(d.summary) &&
	              !has_control_or_bidi(d.body) && !has_control_or_bidi(d.app) &&
	              strstr(d.summary, "\xef\xbf\xbd") && strstr(d.body, "line1\nline2"),
	      "control, escape, C1 and bidi characters are replaced", "summary=%s body=%s",
	      d.summary ? d.summary : "-", d.body ? d.body : "-");
	dict_clear(&d);

	/* 1 MiB body. */
	big = malloc(1024 * 1024 + 1);
	memset(big, 'x', 1024 * 1024);
	big[1024 * 1024] = 0;
	note.app = NULL;
	note.summary = big + 1024 * 1024 - 64 * 1024; /* 64 KiB */
	note.body = big;
	id = must_notify(a, false, &note);
	check(lookup(core, id, &d) == 0 && utf8_chars(d.body) == CL_NOTIFY_BODY_MAX &&
	              utf8_chars(d.summary) == CL_NOTIFY_SUMMARY_MAX && strstr(d.body, "…") != NULL,
	      "a 1 MiB body and a 64 KiB summary are capped (with an ellipsis)", "body %zu chars",
	      d.body ? utf8_chars(d.body) : 0);
	dict_clear(&d);
	free(big);

	/* A message over the size limit: refused from its header, connection closed. */
	{
		size_t size = CL_NOTIFY_MESSAGE_MAX + 1024;
		sd_bus *x = connect_p2p(sock);

		big = malloc(size + 1);
		memset(big, 'y', size);
		big[size] = 0;
		note.summary = "oversized";
		note.body = big;
		check(notify(x, false, &note, &id, err, sizeof(err)) < 0 &&
		              (!strcmp(err, SD_BUS_ERROR_DISCONNECTED) ||
		               !strcmp(err, SD_BUS_ERROR_NO_REPLY) || !strcmp(err, "Broken pipe") ||
		               !strcmp(err, "Connection reset by peer")),
		      "a message over CL_NOTIFY_MESSAGE_MAX closes the connection", "%s",
		      err[0] ? err : "it was accepted");
		free(big);
		sd_bus_flush_close_unref(x);
	}

	/* Markup is text. */
	note.summary = "<i>markup</i>";
	note.body = "<b>bold</b> &amp; <a href=\"http://x\">link</a> <img src=\"/etc/passwd\"/>";
	id = must_notify(a, false, &note);
	check(lookup(core, id, &d) == 0 && !strcmp(d.body, note.body) &&
	              !strcmp(d.summary, note.summary),
	      "markup is not interpreted: the text arrives as given, shown literally", "body=%s",
	      d.body ? d.body : "-");
	dict_clear(&d);

	/* Icons, images and sounds are dropped; critical from a cage expires. */
	note.summary = "icons";
	note.body = "";
	note.icon = "/etc/shadow";
	note.images = true;
	note.urgency = CL_NOTIFY_URGENCY_CRITICAL;
	id = must_notify(a, false, &note);
	if (lookup(core, id, &d) == 0) {
		char *k, *save = NULL, keys[512];
		bool only = true;

		snprintf(keys, sizeof(keys), "%s", d.keys);
		for (k = strtok_r(keys, " ", &save); k; k = strtok_r(NULL, " ", &save)) {
			char pat[80];

			snprintf(pat, sizeof(pat), " %s ", k);
			if (!strstr(allowed, pat))
				only = false;
		}
		check(only, "app_icon and image/icon/sound hints are dropped", "keys: %s", d.keys);
		check(d.urgency == CL_NOTIFY_URGENCY_CRITICAL &&
		              d.timeout == CL_NOTIFY_TIMEOUT_CAGE_CRITICAL_MS,
		      "a cage's critical notification is not sticky", "urgency %u timeout %d",
		      d.urgency, d.timeout);
		dict_clear(&d);
	} else {
		check(false, "app_icon and image hints are dropped", "not listed");
	}
	note.icon = NULL;
	note.images = false;
	note.urgency = -1;
	note.timeout = 0;
	id = must_notify(a, false, &note);
	check(lookup(core, id, &d) == 0 && d.timeout == CL_NOTIFY_TIMEOUT_CAGE_MAX_MS,
	      "expire_timeout 0 from a cage is clamped", "timeout %d", d.timeout);
	dict_clear(&d);
	note.timeout = -1;

	/* 100 actions. */
	for (int i = 0; i < 200; i++) {
		snprintf(labels[i], sizeof(labels[i]), "%s%d", i % 2 ? "Label " : "key", i / 2);
		actions[i] = labels[i];
	}
	actions[200] = NULL;
	note.actions = actions;
	id = must_notify(a, false, &note);
	check(lookup(core, id, &d) == 0 && d.n_actions == 2 * CL_NOTIFY_ACTIONS_MAX,
	      "100 actions are cut to the maximum", "%u strings", d.n_actions);
	dict_clear(&d);
	note.actions = NULL;

	/* Forging the core's look. */
	note.app = "Cloison";
	note.summary = "Security: transfer approved";
	id = must_notify(a, false, &note);
	check(lookup(core, id, &d) == 0 && !strcmp(d.style, CL_STYLE_CAGE) &&
	              !strcmp(d.cage, cage) && !*d.severity,
	      "a cage forging “Security: transfer approved” gets style cage", "style=%s cage=%s",
	      d.style, d.cage);
	dict_clear(&d);
	note.app = NULL;

	/* replaces_id of another cage's notification. */
	note.summary = "beta's own";
	idb = must_notify(b, false, &note);
	note.summary = "alpha replacing";
	note.replaces = idb;
	id2 = must_notify(a, false, &note);
	check(id2 != idb, "replaces_id of another cage's notification makes a new one",
	      "same id %" PRIu32, id2);
	check(lookup(core, idb, &d) == 0 && !strcmp(d.summary, "beta's own"),
	      "the other cage's notification is unchanged", "summary=%s",
	      d.summary ? d.summary : "(gone)");
	dict_clear(&d);
	note.summary = "alpha replaced";
	note.replaces = id2;
	id = must_notify(a, false, &note);
	check(id == id2 && lookup(core, id, &d) == 0 && !strcmp(d.summary, "alpha replaced"),
	      "replaces_id of its own notification replaces it", "id %" PRIu32 " vs %" PRIu32, id,
	      id2);
	dict_clear(&d);
	(void)err;

	sd_bus_flush_close_unref(a);
	sd_bus_flush_close_unref(b);
	sd_bus_flush_close_unref(core);
	return failures ? 1 : 0;
}

/* ---- burst -------------------------------------------------------------------- */

typedef struct {
	unsigned replies, ok, limited, other;
	char limit_message[512];
	bool post_done;
	uint32_t post_id;
	bool shown;
	unsigned replies_at_shown;
	const char *marker;
} Burst;

static int burst_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Burst *b = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);

	b->replies++;
	if (!e)
		b->ok++;
	else if (!strcmp(e->name, CL_NOTIFY_ERROR_RATE_LIMITED)) {
		b->limited++;
		if (!b->limit_message[0])
			snprintf(b->limit_message, sizeof(b->limit_message), "%s",
			         e->message ? e->message : "");
	} else {
		b->other++;
		fprintf(stderr, "burst: %s: %s\n", e->name, e->message ? e->message : "");
	}
	return 0;
}

static int burst_post_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Burst *b = userdata;

	b->post_done = true;
	if (!sd_bus_message_is_method_error(m, NULL))
		sd_bus_message_read(m, "u", &b->post_id);
	return 0;
}

static int burst_shown(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Burst *b = userdata;
	Dict d;

	if (read_dict(m, &d) > 0) {
		if (!b->shown && d.summary && !strcmp(d.summary, b->marker) &&
		    !strcmp(d.style, CL_STYLE_SECURITY)) {
			b->shown = true;
			b->replies_at_shown = b->replies;
		}
		dict_clear(&d);
	}
	return 0;
}

static int do_burst(char **argv)
{
	sd_bus *a = connect_p2p(argv[0]);
	sd_bus *core = connect_core(argv[1]);
	unsigned count = (unsigned)strtoul(argv[2], NULL, 10);
	Note note = {.summary = "burst", .urgency = -1, .timeout = -1};
	char marker[64];
	Burst b = {0};
	uint64_t end;
	int r;

	snprintf(marker, sizeof(marker), "burst marker %d", (int)getpid());
	b.marker = marker;
	r = sd_bus_match_signal(core, NULL, CL_NOTIFY_BUS_NAME, CL_NOTIFY_PATH,
	                        CL_NOTIFY_DISPLAY_IFACE, "Shown", burst_shown, &b);
	if (r < 0)
		return 2;
	ping(core, true);

	for (unsigned i = 0; i < count; i++) {
		sd_bus_message *m = new_notify(a, false, &note);

		r = sd_bus_call_async(a, NULL, m, burst_reply, &b, 0);
		sd_bus_message_unref(m);
		if (r < 0) {
			fprintf(stderr, "burst: call %u: %s\n", i, strerror(-r));
			return 2;
		}
	}
	/* The security event, while the burst is being served. */
	r = sd_bus_call_method_async(core, NULL, CL_NOTIFY_BUS_NAME, CL_NOTIFY_PATH,
	                             CL_SECURITY_EVENTS_IFACE, "Post", burst_post_reply, &b,
	                             "sssss", CL_SEVERITY_CRITICAL, CL_EVENT_TRANSFER_DENIED,
	                             marker, "during the burst", "");
	if (r < 0)
		return 2;

	end = now_usec() + 6 * SAFETY_USEC;
	while ((b.replies < count || !b.post_done || !b.shown) && now_usec() < end) {
		struct pollfd p[2] = {
		        {.fd = sd_bus_get_fd(a), .events = (short)sd_bus_get_events(a)},
		        {.fd = sd_bus_get_fd(core), .events = (short)sd_bus_get_events(core)},
		};
		int ra, rc;

		/* Take whatever has arrived on both, one message at a time. */
		do {
			ra = sd_bus_process(a, NULL);
			rc = sd_bus_process(core, NULL);
		} while (ra > 0 || rc > 0);
		if (ra < 0 || rc < 0)
			break;
		if (b.replies < count || !b.post_done || !b.shown)
			poll(p, 2, 100);
	}
	printf("# burst of %u: shown %u, refused by the rate limit %u, other errors %u; "
	       "security event shown after %u replies\n",
	       count, b.ok, b.limited, b.other, b.replies_at_shown);
	printf("# rate-limit error: %s\n", b.limit_message);
	check(b.replies == count, "every call of the burst was answered", "%u of %u", b.replies,
	      count);
	check(b.ok > 0 && b.ok < count && b.limited > 0 && b.ok + b.limited == count,
	      "the burst is throttled (some shown, the rest refused by the rate limit)",
	      "ok %u limited %u other %u", b.ok, b.limited, b.other);
	check(strstr(b.limit_message, "rate limit") != NULL, "the error names the rate limit",
	      "“%s”", b.limit_message);
	check(b.post_done && b.post_id != 0, "the security event was accepted", "no id");
	check(b.shown && b.replies_at_shown < count,
	      "the security event was shown before the burst's last reply",
	      "shown=%d after %u replies", b.shown, b.replies_at_shown);
	sd_bus_flush_close_unref(a);
	sd_bus_flush_close_unref(core);
	return failures ? 1 : 0;
}

/* ---- invalid UTF-8 (hand-made message: sd-bus would refuse to build it) ---------- */

typedef struct {
	uint8_t data[1024];
	size_t len;
} Buf;

static void pad(Buf *b, size_t n)
{
	while (b->len % n)
		b->data[b->len++] = 0;
}

static void put_u32(Buf *b, uint32_t v)
{
	pad(b, 4);
	memcpy(b->data + b->len, &v, 4);
	b->len += 4;
}

static void put_str(Buf *b, const char *s)
{
	size_t n = strlen(s);

	put_u32(b, (uint32_t)n);
	memcpy(b->data + b->len, s, n + 1);
	b->len += n + 1;
}

static void put_field(Buf *b, uint8_t code, const char *sig, const char *value)
{
	pad(b, 8);
	b->data[b->len++] = code;
	b->data[b->len++] = (uint8_t)strlen(sig);
	memcpy(b->data + b->len, sig, strlen(sig) + 1);
	b->len += strlen(sig) + 1;
	if (sig[0] == 'g') {
		b->data[b->len++] = (uint8_t)strlen(value);
		memcpy(b->data + b->len, value, strlen(value) + 1);
		b->len += strlen(value) + 1;
	} else {
		put_str(b, value);
	}
}

/* A method call (little-endian) with the given body signature and bytes. */
static void make_call(Buf *msg, uint32_t serial, const char *member, const char *sig,
                      const Buf *body)
{
	size_t fields_at;
	uint32_t flen;

	msg->data[msg->len++] = 'l';
	msg->data[msg->len++] = 1;
	msg->data[msg->len++] = 0;
	msg->data[msg->len++] = 1;
	put_u32(msg, (uint32_t)body->len);
	put_u32(msg, serial);
	put_u32(msg, 0);
	fields_at = msg->len;
	put_field(msg, 1, "o", CL_FDO_NOTIFY_PATH);
	put_field(msg, 2, "s", CL_FDO_NOTIFY_IFACE);
	put_field(msg, 3, "s", member);
	if (*sig)
		put_field(msg, 8, "g", sig);
	flen = (uint32_t)(msg->len - fields_at);
	memcpy(msg->data + 12, &flen, 4);
	pad(msg, 8);
	memcpy(msg->data + msg->len, body->data, body->len);
	msg->len += body->len;
}

static int do_invalid_utf8(char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	static const char auth[] = "\0AUTH ANONYMOUS 74657374\r\nBEGIN\r\n";
	Buf body = {0}, empty = {0}, msg = {0}, msg2 = {0};
	char buf[4096];
	size_t got = 0;
	ssize_t k;
	int type = -1;
	bool cloison = false, invalid = false;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[0]);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return 2;
	/* Body: susssasa{sv}i with a summary that is not UTF-8. */
	put_str(&body, "app");
	put_u32(&body, 0);
	put_str(&body, "");
	put_str(&body, "bad \xff\xfe\xc3 utf-8");
	put_str(&body, "body");
	put_u32(&body, 0); /* as */
	put_u32(&body, 0); /* a{sv}: length, then padding to 8 */
	pad(&body, 8);
	put_u32(&body, (uint32_t)-1);
	make_call(&msg, 1, "Notify", "susssasa{sv}i", &body);
	/* Then a valid call: its answer must be the first one. */
	make_call(&msg2, 2, "GetServerInformation", "", &empty);

	if (write(fd, auth, sizeof(auth) - 1) < 0 || write(fd, msg.data, msg.len) < 0 ||
	    write(fd, msg2.data, msg2.len) < 0)
		return 2;
	{
		struct pollfd p = {.fd = fd, .events = POLLIN};
		uint64_t end = now_usec() + SAFETY_USEC;

		while (now_usec() < end && poll(&p, 1, 200) >= 0) {
			char *eol;

			if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			k = read(fd, buf + got, sizeof(buf) - 1 - got);
			if (k <= 0)
				break;
			got += (size_t)k;
			buf[got] = 0;
			eol = strstr(buf, "\r\n");
			/* The first message after "OK …\r\n", once its header is in. */
			if (eol && (size_t)(eol + 2 - buf) + 16 <= got) {
				type = eol[3];
				cloison = memmem(eol + 2, got - (size_t)(eol + 2 - buf), "Cloison",
				                 7);
				invalid =
				        memmem(eol + 2, got - (size_t)(eol + 2 - buf),
				               SD_BUS_ERROR_INVALID_ARGS,
				               strlen(SD_BUS_ERROR_INVALID_ARGS)) &&
				        memmem(eol + 2, got - (size_t)(eol + 2 - buf), "UTF-8", 5);
				if (cloison)
					break;
			}
		}
	}
	close(fd);
	/* Refused with InvalidArgs, or dropped unanswered: never a method return. */
	check((type == 3 && invalid) || (type == 2 && cloison),
	      "a Notify with invalid UTF-8 is refused (InvalidArgs) or dropped, never accepted",
	      "first answer: type %d%s", type, cloison ? " (GetServerInformation)" : "");
	check(cloison, "the connection still works afterwards", "no answer to the next call");
	return failures ? 1 : 0;
}

/* ---- small commands -------------------------------------------------------------- */

static int do_post(char **argv)
{
	sd_bus *core = connect_core(argv[0]);
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	uint32_t id = 0;
	int r;

	r = sd_bus_call_method(core, CL_NOTIFY_BUS_NAME, CL_NOTIFY_PATH, CL_SECURITY_EVENTS_IFACE,
	                       "Post", &error, &reply, "sssss", argv[1], argv[2], argv[3], argv[4],
	                       argv[5]);
	if (r < 0)
		printf("error %s: %s\n", error.name, error.message);
	else if (sd_bus_message_read(reply, "u", &id) >= 0)
		printf("%" PRIu32 "\n", id);
	sd_bus_error_free(&error);
	sd_bus_message_unref(reply);
	sd_bus_flush_close_unref(core);
	return r < 0 ? 1 : 0;
}

static int do_display(const char *method, char **argv, bool key)
{
	sd_bus *core = connect_core(argv[0]);
	uint32_t id = (uint32_t)strtoul(argv[1], NULL, 10);
	char err[256] = "";
	int r = key ? DISPLAY(core, method, err, "us", id, argv[2])
	            : DISPLAY(core, method, err, "u", id);

	if (r < 0)
		printf("error %s\n", err);
	sd_bus_flush_close_unref(core);
	return r < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int nargs;
	} cmds[] = {
	        {"watch", 3},        {"spec", 4}, {"hostile", 4}, {"burst", 3},
	        {"invalid-utf8", 1}, {"post", 6}, {"invoke", 3},  {"dismiss", 2},
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; argc >= 2 && i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		if (argc - 2 != cmds[i].nargs)
			break;
		if (!strcmp(argv[1], "watch"))
			return do_watch(argv + 2);
		if (!strcmp(argv[1], "spec"))
			return do_spec(argv + 2);
		if (!strcmp(argv[1], "hostile"))
			return do_hostile(argv + 2);
		if (!strcmp(argv[1], "burst"))
			return do_burst(argv + 2);
		if (!strcmp(argv[1], "invalid-utf8"))
			return do_invalid_utf8(argv + 2);
		if (!strcmp(argv[1], "post"))
			return do_post(argv + 2);
		if (!strcmp(argv[1], "invoke"))
			return do_display("InvokeAction", argv + 2, true);
		return do_display("Dismiss", argv + 2, false);
	}
	fprintf(stderr, "usage: cl-test-notify watch|spec|hostile|burst|invalid-utf8|post|invoke|"
	                "dismiss ARGS… (see the source)\n");
	return 2;
}
