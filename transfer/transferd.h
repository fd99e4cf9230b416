/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cloison-transferd's service: one sd-event loop, one peer-to-peer D-Bus
 * socket per cage (org.cloison.CageTransfer1), the core bus name
 * org.cloison.Transfer1, a small pool of intake/landing worker threads.
 * See docs/transfer.md for the bus interfaces, the limits and the life of a
 * request.
 */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"

#define CL_TRANSFERD_WORKERS        2
#define CL_TRANSFERD_ID_LEN         32
#define CL_TRANSFERD_REASON_MAX     1024
#define CL_TRANSFERD_PROGRESS_BYTES (UINT64_C(64) << 20)
#define CL_TRANSFERD_PROGRESS_USEC  (100 * 1000)
/* Replies and signals queued for one client that does not read them. */
#define CL_TRANSFERD_MAX_QUEUED_WRITES 1024

#define CL_CAGE_TRANSFER_PATH  "/org/cloison/CageTransfer1"
#define CL_CAGE_TRANSFER_IFACE "org.cloison.CageTransfer1"
#define CL_TRANSFER_BUS_NAME   "org.cloison.Transfer1"
#define CL_TRANSFER_PATH       "/org/cloison/Transfer1"
#define CL_TRANSFER_IFACE      "org.cloison.Transfer1"

#define CL_CAGE_TRANSFER_ERROR_INVALID_PATH     "org.cloison.CageTransfer1.Error.InvalidPath"
#define CL_CAGE_TRANSFER_ERROR_UNKNOWN_TARGET   "org.cloison.CageTransfer1.Error.UnknownTarget"
#define CL_CAGE_TRANSFER_ERROR_LIMIT_EXCEEDED   "org.cloison.CageTransfer1.Error.LimitExceeded"
#define CL_CAGE_TRANSFER_ERROR_UNKNOWN_TRANSFER "org.cloison.CageTransfer1.Error.UnknownTransfer"
#define CL_CAGE_TRANSFER_ERROR_TOO_LATE         "org.cloison.CageTransfer1.Error.TooLate"
#define CL_TRANSFER_ERROR_UNKNOWN_TRANSFER      "org.cloison.Transfer1.Error.UnknownTransfer"
#define CL_TRANSFER_ERROR_INVALID_TARGET        "org.cloison.Transfer1.Error.InvalidTarget"
#define CL_TRANSFER_ERROR_INVALID_REASON        "org.cloison.Transfer1.Error.InvalidReason"

/* Per-cage bounds (docs/transfer.md, "Limits"). */
typedef struct {
	unsigned max_pending;     /* queued + in intake + awaiting a decision + landing */
	unsigned max_connections; /* open connections on the cage's socket */
	uint64_t staging_quota;   /* bytes of snapshots held in staging */
	unsigned rate_burst;      /* token bucket: requests at once… */
	unsigned rate_per_s;      /* …and refilled per second */
} ClTransferdLimits;

#define CL_TRANSFERD_DEFAULT_MAX_PENDING     16
#define CL_TRANSFERD_DEFAULT_MAX_CONNECTIONS 8
#define CL_TRANSFERD_DEFAULT_STAGING_QUOTA   (UINT64_C(8) << 30)
#define CL_TRANSFERD_DEFAULT_RATE_BURST      32
#define CL_TRANSFERD_DEFAULT_RATE_PER_S      8

void cl_transferd_limits_default(ClTransferdLimits *limits);

typedef struct {
	const ClConfig *config;  /* borrowed; outlives the service */
	const char *runtime_dir; /* $XDG_RUNTIME_DIR */
	const char *data_home;   /* $XDG_DATA_HOME: cage homes and staging */
	const char *state_home;  /* $XDG_STATE_HOME: the audit log */
	const char *bus_address; /* core bus; NULL: $DBUS_SESSION_BUS_ADDRESS */
	/*
	 * One listening socket per configured cage, in the configuration's
	 * order (cl_listen_fds_for_cages()), passed by cloison-session: taken
	 * over and never removed.  NULL: create the sockets (and remove them
	 * at the end).
	 */
	const int *listen_fds;
	ClTransferdLimits limits;
} ClTransferdOptions;

typedef struct ClTransferd ClTransferd;

/*
 * Empty the staging directory, open the audit log, listen on every cage's
 * socket (options->listen_fds or its own), connect to the core bus and take the name.  On failure
 * NULL and an error naming what could not be set up.  The service runs on event (which must outlive
 * it); sd_event_exit() is called with a negative errno when the core bus goes away.
 */
ClTransferd *cl_transferd_new(sd_event *event, const ClTransferdOptions *options, GError **error);

/*
 * Stop the workers (intakes in progress are cancelled), record every
 * request still alive as failed in the audit log, close everything and
 * remove the sockets.
 */
void cl_transferd_free(ClTransferd *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ClTransferd, cl_transferd_free)
