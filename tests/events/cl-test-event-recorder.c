/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cl-test-event-recorder --bus ADDRESS [--ready FILE]
 *
 * Test-only stand-in for cloison-notifyd's org.cloison.SecurityEvents1: owns
 * org.cloison.Notify1 on the core bus and records every Post call, one line
 * each on stdout (flushed at once), fields separated by tabs:
 *
 *   post	SEVERITY	CATEGORY	CAGE	SUMMARY	BODY
 *
 * (tabs, newlines and backslashes in the strings written as \t, \n, \\).
 * A severity or category that common/security-events.h does not define is
 * refused with org.freedesktop.DBus.Error.InvalidArgs, as notifyd does, and
 * printed as "refused	…".  The ready file is written once the name is
 * owned.  Stops on SIGTERM or SIGINT.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "security-events.h"

static const char *const severities[] = {CL_SEVERITY_INFO, CL_SEVERITY_WARNING,
                                         CL_SEVERITY_CRITICAL};
static const char *const categories[] = {
        CL_EVENT_TRANSFER_REQUESTED, CL_EVENT_TRANSFER_APPROVED, CL_EVENT_TRANSFER_DENIED,
        CL_EVENT_TRANSFER_FAILED,    CL_EVENT_TRANSFER_EXPIRED,  CL_EVENT_CAGE_STARTED,
        CL_EVENT_CAGE_STOPPED,       CL_EVENT_CAGE_CRASHED,      CL_EVENT_CAGE_SECCOMP,
        CL_EVENT_PROTOCOL_ERROR,     CL_EVENT_HIDDEN_PROTOCOL,   CL_EVENT_LIMIT,
        CL_EVENT_CONFIG_ERROR,       CL_EVENT_SERVICE_RESTART,
};

static unsigned next_id = 1;

static int one_of(const char *s, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, set[i]) == 0)
			return 1;
	return 0;
}

static void put_field(const char *s)
{
	putchar('\t');
	for (; *s; s++) {
		if (*s == '\t')
			fputs("\\t", stdout);
		else if (*s == '\n')
			fputs("\\n", stdout);
		else if (*s == '\\')
			fputs("\\\\", stdout);
		else
			putchar(*s);
	}
}

static int method_post(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	const char *severity, *category, *summary, *body, *cage;
	int ok;
	int r;

	r = sd_bus_message_read(m, "sssss", &severity, &category, &summary, &body, &cage);
	if (r < 0)
		return r;
	ok = one_of(severity, severities, sizeof(severities) / sizeof(*severities)) &&
	     one_of(category, categories, sizeof(categories) / sizeof(*categories));
	fputs(ok ? "post" : "refused", stdout);
	put_field(severity);
	put_field(category);
	put_field(cage);
	put_field(summary);
	put_field(body);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		return sd_bus_error_set(ret_error, SD_BUS_ERROR_INVALID_ARGS,
		                        "unknown severity or category");
	return sd_bus_reply_method_return(m, "u", next_id++);
}

static const sd_bus_vtable vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS(
                "Post",
                SD_BUS_ARGS("s", severity, "s", category, "s", summary, "s", body, "s", cage),
                SD_BUS_RESULT("u", id), method_post, 0),
        SD_BUS_VTABLE_END,
};

int main(int argc, char **argv)
{
	sd_bus *bus = NULL;
	sd_event *event = NULL;
	const char *address = NULL, *ready = NULL;
	sigset_t mask;
	int r;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--bus") == 0 && i + 1 < argc)
			address = argv[++i];
		else if (strcmp(argv[i], "--ready") == 0 && i + 1 < argc)
			ready = argv[++i];
		else {
			fprintf(stderr,
			        "usage: cl-test-event-recorder --bus ADDRESS [--ready FILE]\n");
			return 2;
		}
	}
	if (!address) {
		fprintf(stderr, "cl-test-event-recorder: --bus is required\n");
		return 2;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	r = sd_event_default(&event);
	if (r >= 0)
		r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
	if (r >= 0)
		r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, address);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, 1);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r >= 0)
		r = sd_bus_add_object_vtable(bus, NULL, CL_NOTIFY_PATH, CL_SECURITY_EVENTS_IFACE,
		                             vtable, NULL);
	if (r >= 0)
		r = sd_bus_request_name(bus, CL_NOTIFY_BUS_NAME, 0);
	if (r >= 0)
		r = sd_bus_attach_event(bus, event, 0);
	if (r < 0) {
		fprintf(stderr, "cl-test-event-recorder: cannot serve %s on %s: %s\n",
		        CL_NOTIFY_BUS_NAME, address, strerror(-r));
		return 1;
	}
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (!f || fputs("READY=1\n", f) < 0 || fclose(f) != 0) {
			fprintf(stderr, "cl-test-event-recorder: cannot write %s\n", ready);
			return 1;
		}
	}
	r = sd_event_loop(event);
	sd_bus_flush_close_unref(bus);
	sd_event_unref(event);
	return r < 0 ? 1 : 0;
}
