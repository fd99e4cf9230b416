/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cloison-notifyd [--config FILE] [--bus ADDRESS] [--ready-fd N] [--verbose]
 */
#include "cloison-build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "config.h"
#include "i18n.h"
#include "listen.h"
#include "log.h"
#include "notifyd.h"
#include "paths.h"
#include "util.h"

static int usage(FILE *out, int status)
{
	fprintf(out, _("Usage: cloison-notifyd [OPTION…]\n"
	               "\n"
	               "  --config FILE    configuration file (default: the usual search)\n"
	               "  --bus ADDRESS    core bus address (default: $DBUS_SESSION_BUS_ADDRESS)\n"
	               "  --ready-fd N     write \"READY=1\" to file descriptor N once ready\n"
	               "  --verbose        log debug messages\n"
	               "  --version        print the version and exit\n  --help           print "
	               "this help and exit\n"));
	return status;
}

static int handle_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	cl_info("signal %d: stopping", (int)si->ssi_signo);
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

int main(int argc, char **argv)
{
	g_autoptr(ClConfig) config = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *runtime_dir = NULL;
	g_autoptr(ClNotifyd) d = NULL;
	_cleanup_(sd_event_unrefp) sd_event *event = NULL;
	ClNotifydOptions opts = {0};
	const char *config_path = NULL;
	g_auto(GStrv) fd_names = NULL;
	g_autofree int *listen_fds = NULL;
	int ready_fd = -1;
	sigset_t mask;
	int r;

	cl_i18n_init();
	cl_log_init("cloison-notifyd");
	cl_notifyd_limits_default(&opts.limits);

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *value;

		if (cl_option_is(arg, "--config")) {
			value = cl_option_value(argc, argv, &i, "--config");
			if (!value || !*value) {
				fprintf(stderr, _("cloison-notifyd: --config needs a file\n"));
				return usage(stderr, 1);
			}
			config_path = value;
		} else if (cl_option_is(arg, "--bus")) {
			value = cl_option_value(argc, argv, &i, "--bus");
			if (!value || !*value) {
				fprintf(stderr, _("cloison-notifyd: --bus needs an address\n"));
				return usage(stderr, 1);
			}
			opts.bus_address = value;
		} else if (cl_option_is(arg, "--ready-fd")) {
			unsigned long long v;

			value = cl_option_value(argc, argv, &i, "--ready-fd");
			if (!value || cl_parse_u64(value, &v) < 0 || v > 65535 ||
			    fcntl((int)v, F_GETFD) < 0) {
				fprintf(stderr, _("cloison-notifyd: --ready-fd needs the number of "
				                  "an open file descriptor\n"));
				return 1;
			}
			ready_fd = (int)v;
			fcntl(ready_fd, F_SETFD, FD_CLOEXEC);
		} else if (strcmp(arg, "--verbose") == 0 || strcmp(arg, "-v") == 0) {
			cl_log_set_max_level(LOG_DEBUG);
		} else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			return usage(stdout, 0);
		} else if (strcmp(arg, "--version") == 0) {
			printf("cloison-notifyd %s\n", CLOISON_VERSION);
			return 0;
		} else {
			g_autofree char *q = cl_log_escape(arg, 128);

			fprintf(stderr, _("cloison-notifyd: unknown option “%s”\n"), q);
			return usage(stderr, 1);
		}
	}

	config = cl_config_load(config_path, &error);
	if (!config) {
		g_autofree char *msg = cl_log_escape(error->message, 4096);

		fprintf(stderr, _("cloison-notifyd: invalid configuration: %s\n"), msg);
		return 1;
	}
	runtime_dir = cl_paths_xdg_runtime_dir(&error);
	if (!runtime_dir) {
		cl_error("%s", error->message);
		return 1;
	}
	opts.config = config;
	opts.runtime_dir = runtime_dir;

	/* The cages' sockets, when cloison-session passes them (LISTEN_FDS). */
	r = sd_listen_fds_with_names(1, &fd_names);
	if (r < 0) {
		cl_log_errno(LOG_ERR, r,
		             "invalid sockets passed (LISTEN_FDNAMES must name each of the "
		             "LISTEN_FDS sockets)");
		return 1;
	}
	if (r > 0) {
		listen_fds = cl_listen_fds_for_cages(config, runtime_dir, CL_SOCKET_NOTIFY, r,
		                                     fd_names, &error);
		if (!listen_fds) {
			cl_error("invalid sockets passed (LISTEN_FDS): %s", error->message);
			return 1;
		}
		cl_info("serving the %d cage sockets passed by the session", r);
	}
	opts.listen_fds = listen_fds;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	r = sd_event_default(&event);
	if (r < 0) {
		cl_log_errno(LOG_ERR, r, "sd_event_default");
		return 1;
	}
	sd_event_add_signal(event, NULL, SIGTERM, handle_signal, NULL);
	sd_event_add_signal(event, NULL, SIGINT, handle_signal, NULL);

	d = cl_notifyd_new(event, &opts, &error);
	if (!d) {
		cl_error("%s", error->message);
		return 1;
	}
	if (ready_fd >= 0) {
		cl_write_all(ready_fd, "READY=1\n", 8);
		close(ready_fd);
	}
	/* 0 after SIGTERM/SIGINT; sd-bus exits the loop with EXIT_FAILURE when
	 * the core bus goes away. */
	r = sd_event_loop(event);
	if (r < 0)
		cl_log_errno(LOG_ERR, r, "the event loop stopped");
	else if (r > 0)
		cl_error("the core bus went away: stopping");
	return r == 0 ? 0 : 1;
}
