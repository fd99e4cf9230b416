/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cloison-notifyd's service: one sd-event loop; on the core bus the names
 * org.freedesktop.Notifications and org.cloison.Notify1
 * (common/security-events.h); one peer-to-peer D-Bus socket per cage
 * serving org.freedesktop.Notifications.  docs/notify.md describes the
 * interfaces, the limits and the styles.
 */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"

#define CL_FDO_NOTIFY_NAME  "org.freedesktop.Notifications"
#define CL_FDO_NOTIFY_PATH  "/org/freedesktop/Notifications"
#define CL_FDO_NOTIFY_IFACE "org.freedesktop.Notifications"

#define CL_NOTIFY_ERROR_RATE_LIMITED   "org.cloison.Notify1.Error.RateLimited"
#define CL_NOTIFY_ERROR_LIMIT_EXCEEDED "org.cloison.Notify1.Error.LimitExceeded"
#define CL_NOTIFY_ERROR_UNKNOWN        "org.cloison.Notify1.Error.UnknownNotification"

/* NotificationClosed reasons (Desktop Notifications spec 1.2). */
#define CL_NOTIFY_CLOSED_EXPIRED   1
#define CL_NOTIFY_CLOSED_DISMISSED 2
#define CL_NOTIFY_CLOSED_CALL      3
#define CL_NOTIFY_CLOSED_UNDEFINED 4

/* Bounds (docs/notify.md, "Limits"). */
typedef struct {
	unsigned rate_burst;        /* per cage: notifications at once… */
	unsigned rate_per_s;        /* …then this many per second */
	unsigned max_open_per_cage; /* popups open at once for one cage */
	unsigned max_open_per_conn; /* …and for one connection */
	unsigned max_connections;   /* connections on one cage's socket */
	unsigned max_open_core;     /* core notifications open (oldest closed beyond) */
	unsigned max_open_security; /* security events open (oldest closed beyond) */
	uint64_t coalesce_usec;     /* identical security events this close merge */
	unsigned max_queued_writes; /* replies queued for a client that does not read */
} ClNotifydLimits;

#define CL_NOTIFYD_DEFAULT_RATE_BURST        10
#define CL_NOTIFYD_DEFAULT_RATE_PER_S        2
#define CL_NOTIFYD_DEFAULT_MAX_OPEN_PER_CAGE 32
#define CL_NOTIFYD_DEFAULT_MAX_OPEN_PER_CONN 16
#define CL_NOTIFYD_DEFAULT_MAX_CONNECTIONS   8
#define CL_NOTIFYD_DEFAULT_MAX_OPEN_CORE     64
#define CL_NOTIFYD_DEFAULT_MAX_OPEN_SECURITY 64
#define CL_NOTIFYD_DEFAULT_COALESCE_USEC     (UINT64_C(10) * 1000 * 1000)
#define CL_NOTIFYD_DEFAULT_MAX_QUEUED_WRITES 1024

void cl_notifyd_limits_default(ClNotifydLimits *limits);

typedef struct {
	const ClConfig *config;  /* borrowed; outlives the service */
	const char *runtime_dir; /* $XDG_RUNTIME_DIR */
	const char *bus_address; /* core bus; NULL: $DBUS_SESSION_BUS_ADDRESS */
	/*
	 * One listening socket per configured cage, in the configuration's
	 * order (cl_listen_fds_for_cages()), passed by cloison-session: taken
	 * over and never removed.  NULL: create the sockets (and remove them
	 * at the end).
	 */
	const int *listen_fds;
	ClNotifydLimits limits;
} ClNotifydOptions;

typedef struct ClNotifyd ClNotifyd;

/*
 * Listen on every cage's notify socket (options->listen_fds or its own), connect to the core bus
 * and take both names.  NULL and an error naming what failed.  sd_event_exit() is called when the
 * core bus goes away.
 */
ClNotifyd *cl_notifyd_new(sd_event *event, const ClNotifydOptions *options, GError **error);
void cl_notifyd_free(ClNotifyd *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ClNotifyd, cl_notifyd_free)
