/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cloison-post-event [--verbose] [--after-fd N] ADDRESS
 *                    SEVERITY CATEGORY CAGE SUMMARY BODY [SEVERITY …]…
 *
 * Post security events, in order, to cloison-notifyd
 * (org.cloison.SecurityEvents1.Post, common/security-events.h) on the core
 * bus at ADDRESS, without starting notifyd if it is absent, waiting at most
 * 5 s for each reply.  With --after-fd, first wait (at most 5 s) until the
 * process whose pidfd is N has ended: the previous poster, so that events
 * arrive in the order they happened.
 *
 * The cage launcher runs it, detached, once a cage started, when seccomp
 * killed one of its processes and when it ends: the launcher itself then
 * never loads libsystemd nor waits for the bus (docs/notify-events.md).
 * Silent unless --verbose.  Exit status: 0 all posted, 1 some not posted (no
 * bus, no notifyd, refused), 2 usage.
 */
#include "cloison-build-config.h"

#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "security-events.h"
#include "util.h"

#define POST_TIMEOUT_USEC (5 * 1000000u)
#define AFTER_TIMEOUT_MS  5000

static int usage(void)
{
	fprintf(stderr, "usage: cloison-post-event [--verbose] [--after-fd N] ADDRESS "
	                "SEVERITY CATEGORY CAGE SUMMARY BODY [SEVERITY CATEGORY CAGE SUMMARY "
	                "BODY]…\n");
	return 2;
}

int main(int argc, char **argv)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	bool verbose = false;
	int after_fd = -1, i = 1, status = 0, r;
	const char *address;

	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		unsigned long long v;

		if (strcmp(argv[i], "--verbose") == 0)
			verbose = true;
		else if (strcmp(argv[i], "--after-fd") == 0 && i + 1 < argc &&
		         cl_parse_u64(argv[i + 1], &v) >= 0 && v <= 65535)
			after_fd = (int)v, i++;
		else
			return usage();
	}
	if (i >= argc || !*argv[i] || (argc - i - 1) == 0 || (argc - i - 1) % 5 != 0)
		return usage();
	address = argv[i++];

	if (after_fd >= 0) {
		struct pollfd p = {.fd = after_fd, .events = POLLIN};

		(void)poll(&p, 1, AFTER_TIMEOUT_MS);
		cl_close(after_fd);
	}

	r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, address);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, 1);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r < 0) {
		if (verbose)
			fprintf(stderr, "cloison-post-event: cannot connect to %s: %s\n", address,
			        strerror(-r));
		return 1;
	}
	for (; i + 5 <= argc; i += 5) {
		_cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
		char **e = argv + i;

		r = sd_bus_message_new_method_call(bus, &m, CL_NOTIFY_BUS_NAME, CL_NOTIFY_PATH,
		                                   CL_SECURITY_EVENTS_IFACE, "Post");
		if (r >= 0)
			r = sd_bus_message_set_auto_start(m, 0);
		/* Post(severity, category, summary, body, cage) */
		if (r >= 0)
			r = sd_bus_message_append(m, "sssss", e[0], e[1], e[3], e[4], e[2]);
		if (r >= 0)
			r = sd_bus_call(bus, m, POST_TIMEOUT_USEC, &err, &reply);
		if (r < 0) {
			if (verbose)
				fprintf(stderr, "cloison-post-event: %s not posted: %s\n", e[1],
				        err.message ? err.message : strerror(-r));
			status = 1;
		}
	}
	return status;
}
