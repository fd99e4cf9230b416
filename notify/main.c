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
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "i18n.h"
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

int main(int argc, char **argv)
{
	g_autoptr(ClConfig) config = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *runtime_dir = NULL;
	g_autoptr(ClNotifyd) d = NULL;
	_cleanup_(sd_event_unrefp) sd_event *event = NULL;
	ClNotifydOptions opts = {0};
	const char *config_path = NULL;
	g_autofree int *listen_fds = NULL;
	int ready_fd = -1;

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
	if (cl_daemon_passed_sockets(config, runtime_dir, CL_SOCKET_NOTIFY, &listen_fds) < 0)
		return 1;
	opts.listen_fds = listen_fds;

	if (cl_daemon_event_new(&event) < 0)
		return 1;

	d = cl_notifyd_new(event, &opts, &error);
	if (!d) {
		cl_error("%s", error->message);
		return 1;
	}
	return cl_daemon_run(event, ready_fd);
}
