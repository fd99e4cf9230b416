/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cl-test-notifyd: a stand-in for cloison-notifyd in the session tests,
 * until the real one lands (same command line):
 *
 *   cl-test-notifyd [--config FILE] [--bus ADDRESS] [--ready-fd N] [--verbose]
 *
 * Creates $XDG_RUNTIME_DIR/cloison/cages/CAGE/notify for every configured
 * cage (a listener that accepts and closes), or serves those cloison-session
 * passes (LISTEN_FDS, checked as cloison-notifyd checks them), owns org.cloison.Notify1 on
 * the core bus and serves org.cloison.SecurityEvents1.Post, appending one
 * line per event to $CL_TEST_NOTIFYD_LOG ("post SEVERITY CATEGORY CAGE
 * SUMMARY"), then writes READY=1 to the readiness fd.  Stops on SIGTERM.
 * With $CL_TEST_NOTIFYD_NO_NAME set it does not own the name: posting
 * then fails, as when notifyd is absent.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "config.h"
#include "listen.h"
#include "paths.h"
#include "security-events.h"
#include "util.h"

static uint32_t next_id = 1;
static const char *log_path;

static int method_post(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	const char *severity, *category, *summary, *body, *cage;
	FILE *f;
	int r;

	r = sd_bus_message_read(m, "sssss", &severity, &category, &summary, &body, &cage);
	if (r < 0)
		return r;
	if (log_path && (f = fopen(log_path, "ae"))) {
		fprintf(f, "post %s %s %s %s\n", severity, category, *cage ? cage : "-", summary);
		fclose(f);
	}
	return sd_bus_reply_method_return(m, "u", next_id++);
}

static const sd_bus_vtable vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("Post", "sssss", "u", method_post, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

static int handle_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

	if (c >= 0)
		close(c);
	return 0;
}

static int listen_at(sd_event *event, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return sd_event_add_io(event, NULL, fd, EPOLLIN, handle_accept, NULL);
}

int main(int argc, char **argv)
{
	const char *config_path = NULL, *bus_address = getenv("DBUS_SESSION_BUS_ADDRESS");
	g_autoptr(ClConfig) config = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *runtime = NULL;
	g_autoptr(GPtrArray) sockets = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) fd_names = NULL;
	g_autofree int *passed = NULL;
	sd_event *event = NULL;
	sd_bus *bus = NULL;
	int ready_fd = -1, r;
	bool no_name;
	sigset_t mask;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			config_path = argv[++i];
		else if (strcmp(argv[i], "--bus") == 0 && i + 1 < argc)
			bus_address = argv[++i];
		else if (strcmp(argv[i], "--ready-fd") == 0 && i + 1 < argc) {
			unsigned long long v;

			if (cl_parse_u64(argv[++i], &v) < 0 || v > 65535) {
				fprintf(stderr, "cl-test-notifyd: bad --ready-fd %s\n", argv[i]);
				return 2;
			}
			ready_fd = (int)v;
		} else if (strcmp(argv[i], "--verbose") != 0) {
			fprintf(stderr, "cl-test-notifyd: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	log_path = getenv("CL_TEST_NOTIFYD_LOG");
	no_name = getenv("CL_TEST_NOTIFYD_NO_NAME") != NULL;
	config = cl_config_load(config_path, &error);
	runtime = config ? cl_paths_xdg_runtime_dir(&error) : NULL;
	if (!runtime || !bus_address) {
		fprintf(stderr, "cl-test-notifyd: %s\n", error ? error->message : "no bus");
		return 1;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if (sd_event_default(&event) < 0)
		return 1;
	sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
	sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);

	r = sd_listen_fds_with_names(1, &fd_names);
	if (r > 0) {
		passed = cl_listen_fds_for_cages(config, runtime, CL_SOCKET_NOTIFY, r, fd_names,
		                                 &error);
		if (!passed) {
			fprintf(stderr, "cl-test-notifyd: %s\n", error->message);
			return 1;
		}
	} else if (r < 0) {
		fprintf(stderr, "cl-test-notifyd: LISTEN_FDS: %s\n", strerror(-r));
		return 1;
	}
	/* The session's sockets: served, never removed. */
	for (guint i = 0; passed && i < config->cages->len; i++)
		if ((r = sd_event_add_io(event, NULL, passed[i], EPOLLIN, handle_accept, NULL)) < 0)
			return 1;
	for (guint i = 0; !passed && i < config->cages->len; i++) {
		const ClCage *cage = config->cages->pdata[i];
		int fd = cl_paths_open_cage_runtime(runtime, cage->id, &error);
		char *path;

		if (fd < 0) {
			fprintf(stderr, "cl-test-notifyd: %s\n", error->message);
			return 1;
		}
		close(fd);
		path = cl_paths_socket(runtime, cage->id, CL_SOCKET_NOTIFY, NULL);
		r = path ? listen_at(event, path) : -ENAMETOOLONG;
		if (r < 0) {
			fprintf(stderr, "cl-test-notifyd: %s: %s\n", path, strerror(-r));
			return 1;
		}
		g_ptr_array_add(sockets, path);
	}

	if ((r = sd_bus_new(&bus)) < 0 || (r = sd_bus_set_address(bus, bus_address)) < 0 ||
	    (r = sd_bus_set_bus_client(bus, 1)) < 0 || (r = sd_bus_start(bus)) < 0 ||
	    (r = sd_bus_add_object_vtable(bus, NULL, CL_NOTIFY_PATH, CL_SECURITY_EVENTS_IFACE,
	                                  vtable, NULL)) < 0 ||
	    (!no_name && (r = sd_bus_request_name(bus, CL_NOTIFY_BUS_NAME, 0)) < 0) ||
	    (r = sd_bus_attach_event(bus, event, 0)) < 0) {
		fprintf(stderr, "cl-test-notifyd: core bus: %s\n", strerror(-r));
		return 1;
	}
	if (ready_fd >= 0) {
		cl_write_all(ready_fd, "READY=1\n", 8);
		close(ready_fd);
	}
	r = sd_event_loop(event);
	for (guint i = 0; i < sockets->len; i++)
		unlink(sockets->pdata[i]);
	sd_bus_flush_close_unref(bus);
	sd_event_unref(event);
	return r < 0 ? 1 : 0;
}
