/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cloison-cage-scope PID UNIT TASKS-MAX MEMORY-MAX
 *
 * Put PID into a new transient systemd user scope UNIT with the given
 * TasksMax and MemoryMax (0: no limit).  Run by cloison-cage only when a cage
 * has limits, so that the launcher itself never loads libsystemd.
 * Exit status: 0 done, 3 no systemd user manager reachable, 1 other error.
 */
#include "cloison-build-config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <systemd/sd-bus.h>

#include "util.h"

#define EXIT_NO_MANAGER 3

static int parse(const char *s, unsigned long long *ret)
{
	return cl_parse_u64(s, ret);
}

int main(int argc, char **argv)
{
	_cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	unsigned long long pid, tasks, memory;
	int r;

	if (argc != 5 || parse(argv[1], &pid) < 0 || pid == 0 || pid > INT32_MAX ||
	    parse(argv[3], &tasks) < 0 || parse(argv[4], &memory) < 0 ||
	    !g_str_has_suffix(argv[2], ".scope") || strlen(argv[2]) > 200) {
		fprintf(stderr, "usage: cloison-cage-scope PID UNIT.scope TASKS-MAX MEMORY-MAX\n");
		return 1;
	}
	r = sd_bus_open_user(&bus);
	if (r < 0)
		return EXIT_NO_MANAGER;
	r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
	                       "org.freedesktop.DBus", "GetNameOwner", NULL, NULL, "s",
	                       "org.freedesktop.systemd1");
	if (r < 0)
		return EXIT_NO_MANAGER;

	r = sd_bus_message_new_method_call(
	        bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
	        "org.freedesktop.systemd1.Manager", "StartTransientUnit");
	if (r >= 0)
		r = sd_bus_message_append(m, "ss", argv[2], "fail");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "(sv)");
	if (r >= 0)
		r = sd_bus_message_append(m, "(sv)(sv)", "Description", "s", "Cloison cage", "PIDs",
		                          "au", 1, (uint32_t)pid);
	if (r >= 0 && tasks)
		r = sd_bus_message_append(m, "(sv)", "TasksMax", "t", (uint64_t)tasks);
	if (r >= 0 && memory)
		r = sd_bus_message_append(m, "(sv)", "MemoryMax", "t", (uint64_t)memory);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_message_append(m, "a(sa(sv))", 0);
	if (r >= 0)
		r = sd_bus_call(bus, m, 0, &err, &reply);
	if (r < 0) {
		fprintf(stderr, "cloison-cage-scope: cannot create %s: %s\n", argv[2],
		        err.message ? err.message : strerror(-r));
		return 1;
	}
	return 0;
}
