/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fake-systemd RECORD [READY]
 *
 * A stand-in for a systemd user manager, for the cage launcher tests.  It
 * connects to the session bus named by $DBUS_SESSION_BUS_ADDRESS, takes the
 * name org.freedesktop.systemd1 and answers
 * org.freedesktop.systemd1.Manager.StartTransientUnit on
 * /org/freedesktop/systemd1: it appends what it was asked to RECORD, one
 * item a line,
 *
 *	unit=NAME
 *	mode=MODE
 *	PROPERTY=VALUE        (one line per property; arrays as space-separated
 *	                       items, e.g. "PIDs=1234")
 *	end
 *
 * and returns a job object path, without starting anything.  Once it owns
 * the name it writes "ready" to READY (when given).  It exits 0 on SIGTERM
 * or SIGINT, and when the bus goes away.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#define MANAGER_PATH  "/org/freedesktop/systemd1"
#define MANAGER_IFACE "org.freedesktop.systemd1.Manager"
#define MANAGER_NAME  "org.freedesktop.systemd1"

static unsigned job_counter;

/* One basic value of the given D-Bus type, printed to out. */
static int print_basic(sd_bus_message *m, char type, FILE *out)
{
	union {
		const char *s;
		uint64_t t;
		int64_t x;
		uint32_t u;
		int32_t i;
		int b;
		uint8_t y;
		uint16_t q;
		int16_t n;
		double d;
	} v;
	int r = sd_bus_message_read_basic(m, type, &v);

	if (r <= 0)
		return r < 0 ? r : -EBADMSG;
	switch (type) {
	case 's':
	case 'o':
	case 'g':
		fputs(v.s, out);
		break;
	case 't':
		fprintf(out, "%" PRIu64, v.t);
		break;
	case 'x':
		fprintf(out, "%" PRId64, v.x);
		break;
	case 'u':
		fprintf(out, "%" PRIu32, v.u);
		break;
	case 'i':
		fprintf(out, "%" PRId32, v.i);
		break;
	case 'b':
		fputs(v.b ? "true" : "false", out);
		break;
	case 'y':
		fprintf(out, "%u", (unsigned)v.y);
		break;
	case 'q':
		fprintf(out, "%u", (unsigned)v.q);
		break;
	case 'n':
		fprintf(out, "%d", (int)v.n);
		break;
	case 'd':
		fprintf(out, "%g", v.d);
		break;
	default:
		return -EBADMSG;
	}
	return 1;
}

/* The value of one (sv) property: basic values and arrays of them. */
static int print_variant(sd_bus_message *m, FILE *out)
{
	const char *contents = NULL;
	char type;
	int r;

	r = sd_bus_message_peek_type(m, &type, &contents);
	if (r <= 0 || type != 'v')
		return r < 0 ? r : -EBADMSG;
	r = sd_bus_message_enter_container(m, 'v', contents);
	if (r <= 0)
		return r < 0 ? r : -EBADMSG;
	if (contents[0] == 'a' && contents[1] && !contents[2] && contents[1] != '{' &&
	    contents[1] != '(' && contents[1] != 'v' && contents[1] != 'a') {
		bool first = true;

		r = sd_bus_message_enter_container(m, 'a', contents + 1);
		if (r <= 0)
			return r < 0 ? r : -EBADMSG;
		while ((r = sd_bus_message_at_end(m, false)) == 0) {
			if (!first)
				fputc(' ', out);
			first = false;
			r = print_basic(m, contents[1], out);
			if (r < 0)
				return r;
		}
		if (r < 0)
			return r;
		r = sd_bus_message_exit_container(m);
	} else if (contents[0] && !contents[1]) {
		r = print_basic(m, contents[0], out);
	} else {
		fprintf(out, "<%s>", contents);
		r = sd_bus_message_skip(m, contents);
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

static int record_call(sd_bus_message *m, FILE *out)
{
	const char *name = NULL, *mode = NULL;
	int r;

	r = sd_bus_message_read(m, "ss", &name, &mode);
	if (r < 0)
		return r;
	fprintf(out, "unit=%s\nmode=%s\n", name, mode);
	r = sd_bus_message_enter_container(m, 'a', "(sv)");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'r', "sv")) > 0) {
		const char *prop = NULL;

		r = sd_bus_message_read(m, "s", &prop);
		if (r < 0)
			return r;
		fprintf(out, "%s=", prop);
		r = print_variant(m, out);
		if (r < 0)
			return r;
		fputc('\n', out);
		r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	r = sd_bus_message_exit_container(m);
	if (r < 0)
		return r;
	/* Auxiliary units: accepted and ignored. */
	r = sd_bus_message_skip(m, "a(sa(sv))");
	if (r < 0)
		return r;
	fputs("end\n", out);
	return 0;
}

static int method_start_transient_unit(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	const char *record = userdata;
	char job[64];
	FILE *out;
	int r, r2;

	out = fopen(record, "ae");
	if (!out)
		return sd_bus_error_set_errnof(ret_error, errno, "cannot open %s: %m", record);
	r = record_call(m, out);
	r2 = fclose(out);
	if (r < 0)
		return sd_bus_error_set_errnof(ret_error, -r, "malformed StartTransientUnit: %m");
	if (r2 != 0)
		return sd_bus_error_set_errnof(ret_error, errno, "cannot write %s: %m", record);
	snprintf(job, sizeof(job), MANAGER_PATH "/job/%u", ++job_counter);
	return sd_bus_reply_method_return(m, "o", job);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("StartTransientUnit", "ssa(sv)a(sa(sv))", "o", method_start_transient_unit,
                      SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int write_ready(const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fputs("ready\n", f);
	return fclose(f) == 0 ? 0 : -errno;
}

int main(int argc, char **argv)
{
	sd_event *event = NULL;
	sd_bus *bus = NULL;
	sigset_t mask;
	int r, status = 1;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: fake-systemd RECORD [READY]\n");
		return 2;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		perror("fake-systemd: sigprocmask");
		return 1;
	}

	r = sd_event_default(&event);
	if (r < 0)
		goto fail;
	r = sd_event_add_signal(event, NULL, SIGTERM, on_signal, NULL);
	if (r >= 0)
		r = sd_event_add_signal(event, NULL, SIGINT, on_signal, NULL);
	if (r < 0)
		goto fail;

	r = sd_bus_open_user(&bus);
	if (r < 0)
		goto fail;
	r = sd_bus_set_exit_on_disconnect(bus, 1);
	if (r >= 0)
		r = sd_bus_add_object_vtable(bus, NULL, MANAGER_PATH, MANAGER_IFACE, manager_vtable,
		                             argv[1]);
	if (r >= 0)
		r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
	if (r >= 0)
		r = sd_bus_request_name(bus, MANAGER_NAME, 0);
	if (r < 0)
		goto fail;
	if (argc == 3) {
		r = write_ready(argv[2]);
		if (r < 0)
			goto fail;
	}

	r = sd_event_loop(event);
	if (r < 0)
		goto fail;
	status = 0;
	goto out;
fail:
	fprintf(stderr, "fake-systemd: %s\n", strerror(-r));
out:
	if (bus) {
		sd_bus_flush(bus);
		sd_bus_detach_event(bus);
		sd_bus_close_unref(bus);
	}
	sd_event_unref(event);
	return status;
}
