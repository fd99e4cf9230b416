/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cloison-build-config.h"
#include "daemon.h"

#include <errno.h>
#include <signal.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "listen.h"
#include "log.h"
#include "util.h"

int cl_daemon_passed_sockets(const ClConfig *config, const char *runtime_dir, const char *which,
                             int **ret_fds)
{
	g_auto(GStrv) names = NULL;
	g_autoptr(GError) error = NULL;
	int *fds;
	int r;

	*ret_fds = NULL;
	r = sd_listen_fds_with_names(1, &names);
	if (r < 0) {
		cl_log_errno(LOG_ERR, r,
		             "invalid sockets passed (LISTEN_FDNAMES must name each of the "
		             "LISTEN_FDS sockets)");
		return -EINVAL;
	}
	if (r == 0)
		return 0;
	fds = cl_listen_fds_for_cages(config, runtime_dir, which, r, names, &error);
	if (!fds) {
		cl_error("invalid sockets passed (LISTEN_FDS): %s", error->message);
		return -EINVAL;
	}
	cl_info("serving the %d cage sockets passed by the session", r);
	*ret_fds = fds;
	return 1;
}

static int handle_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	cl_info("signal %d: stopping", (int)si->ssi_signo);
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

int cl_daemon_event_new(sd_event **ret)
{
	sd_event *event = NULL;
	sigset_t mask;
	int r;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	r = sd_event_default(&event);
	if (r < 0) {
		cl_log_errno(LOG_ERR, r, "sd_event_default");
		return r;
	}
	sd_event_add_signal(event, NULL, SIGTERM, handle_signal, NULL);
	sd_event_add_signal(event, NULL, SIGINT, handle_signal, NULL);
	*ret = event;
	return 0;
}

int cl_daemon_run(sd_event *event, int ready_fd)
{
	int r;

	if (ready_fd >= 0) {
		cl_write_all(ready_fd, "READY=1\n", 8);
		close(ready_fd);
	}
	r = sd_event_loop(event);
	if (r < 0)
		cl_log_errno(LOG_ERR, r, "the event loop stopped");
	else if (r > 0)
		cl_error("the core bus went away: stopping");
	return r == 0 ? 0 : 1;
}

static int handle_bus_drain(sd_event_source *s, void *userdata)
{
	sd_bus *bus = userdata;
	int r = 0;

	for (int i = 0; i < 64; i++) {
		r = sd_bus_process(bus, NULL);
		if (r <= 0)
			break;
	}
	if (r < 0 || (r == 0 && sd_bus_is_ready(bus) > 0))
		sd_event_source_set_enabled(s, SD_EVENT_OFF);
	return 0;
}

int cl_daemon_add_bus_drain(sd_event *event, sd_bus *bus, int64_t priority, sd_event_source **ret)
{
	int r = sd_event_add_post(event, ret, handle_bus_drain, bus);

	if (r >= 0)
		r = sd_event_source_set_priority(*ret, priority);
	return r;
}
