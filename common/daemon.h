/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the core daemons' main() share (cloison-transferd, cloison-notifyd):
 * the cages' sockets passed by cloison-session, an sd-event loop stopped by
 * SIGTERM/SIGINT, readiness and the exit status.  Linked with libsystemd,
 * hence apart from the common library (which the cage launcher links
 * statically).
 */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "config.h"

/*
 * The cages' WHICH sockets (CL_SOCKET_TRANSFER, CL_SOCKET_NOTIFY) passed by
 * cloison-session with LISTEN_FDS/LISTEN_FDNAMES, checked against the
 * configuration (cl_listen_fds_for_cages()).  1 and *ret_fds (one per
 * configured cage, g_free() it) when sockets were passed; 0 and NULL when
 * none were; -EINVAL when they are wrong (the error is logged).
 */
int cl_daemon_passed_sockets(const ClConfig *config, const char *runtime_dir, const char *which,
                             int **ret_fds);

/* The default sd-event loop, stopped (exit code 0) by SIGTERM or SIGINT; SIGPIPE ignored. */
int cl_daemon_event_new(sd_event **ret);

/*
 * Write "READY=1" to READY_FD (if >= 0, then closed), run the loop, and
 * return main()'s exit status: 0 after SIGTERM/SIGINT, 1 when the loop
 * failed or stopped with a failure (sd-bus exits it when the core bus goes
 * away).
 */
int cl_daemon_run(sd_event *event, int ready_fd);

/*
 * For a server connection to a cage, after sd_bus_start() and
 * sd_bus_attach_event(): a post source (*ret, for the caller to
 * disable_unref with the connection) that processes what sd-bus already
 * holds until the connection is up and nothing is left.  A client may send
 * its first calls in the same write as the end of the authentication
 * ("BEGIN": GDBus does under load): sd-bus (systemd 252) reads them with it
 * into its buffer, and nothing more arrives on the socket to wake it, so
 * the call would go unanswered.  At most 64 messages per loop iteration;
 * the source turns itself off once the bus is running with nothing pending
 * or is closed.  Callbacks run from it must not free the connection (leave
 * it to a reaper), as with any sd_bus_process() caller.
 */
int cl_daemon_add_bus_drain(sd_event *event, sd_bus *bus, int64_t priority, sd_event_source **ret);
