/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The contract between cloison-notifyd and the core components that post
 * security events (docs/notify.md).  Header only: every poster (sd-bus or
 * GDBus) uses the same names and categories.
 *
 * On the core bus, cloison-notifyd owns CL_NOTIFY_BUS_NAME (and
 * org.freedesktop.Notifications) and serves, at CL_NOTIFY_PATH:
 *
 *   org.cloison.SecurityEvents1
 *     Post(s severity, s category, s summary, s body, s cage) -> (u id)
 *       severity: one of CL_SEVERITY_*; category: one of the CL_EVENT_*
 *       below (anything else is org.freedesktop.DBus.Error.InvalidArgs);
 *       cage: the cage concerned, or "" for none.  Never rate-limited.
 *
 *   org.cloison.NotifyDisplay1 (for the trusted bar)
 *     signal Shown(a{sv} notification)   a popup to show now
 *     signal Closed(u id, u reason)      reasons as in the fd.o spec
 *     signal UnreadChanged(u count)      unread security events
 *     List() -> (aa{sv})                 the popups open now
 *     History() -> (aa{sv})              the last CL_NOTIFY_HISTORY ones
 *     InvokeAction(u id, s key)          the user chose an action
 *     Dismiss(u id)                      the user closed the popup
 *     MarkSeen()                         the user looked at the history
 *     UnreadSecurity() -> (u count)
 *
 *   A notification dictionary has: "id" u, "style" s (CL_STYLE_*), "cage" s,
 *   "level" s (id), "label" s, "colour" s ("#rrggbb"), "app-name" s,
 *   "summary" s, "body" s, "actions" as (key, label, key, label…),
 *   "urgency" y, "expire-timeout" i (ms, 0 = until dismissed), "time" x
 *   (CLOCK_REALTIME µs), and for security events "severity" s, "category" s
 *   and "count" u (identical events posted close together are merged into
 *   one notification, shown again with the same id and a higher count).
 *   Every string is already sanitised by notifyd (valid UTF-8, no control
 *   characters, capped); the bar still shows them as plain text only.
 *
 * Core components find the core bus in $CLOISON_CORE_BUS_ADDRESS (set by
 * cloison-session for every core process); a component whose variable is
 * unset posts nothing.
 */
#pragma once

#define CL_CORE_BUS_ENV "CLOISON_CORE_BUS_ADDRESS"

#define CL_NOTIFY_BUS_NAME       "org.cloison.Notify1"
#define CL_NOTIFY_PATH           "/org/cloison/Notify1"
#define CL_SECURITY_EVENTS_IFACE "org.cloison.SecurityEvents1"
#define CL_NOTIFY_DISPLAY_IFACE  "org.cloison.NotifyDisplay1"
#define CL_NOTIFY_HISTORY        200

#define CL_STYLE_SECURITY "security" /* posted on SecurityEvents1: the core style */
#define CL_STYLE_CORE     "core"     /* org.freedesktop.Notifications on the core bus */
#define CL_STYLE_CAGE     "cage"     /* from a cage's notify socket: its level's style */

#define CL_SEVERITY_INFO     "info"
#define CL_SEVERITY_WARNING  "warning"
#define CL_SEVERITY_CRITICAL "critical"

/* transfer broker */
#define CL_EVENT_TRANSFER_REQUESTED "transfer.requested"
#define CL_EVENT_TRANSFER_APPROVED  "transfer.approved"
#define CL_EVENT_TRANSFER_DENIED    "transfer.denied"
#define CL_EVENT_TRANSFER_FAILED    "transfer.failed"
#define CL_EVENT_TRANSFER_EXPIRED   "transfer.expired"
/* cage launcher / session */
#define CL_EVENT_CAGE_STARTED "cage.started"
#define CL_EVENT_CAGE_STOPPED "cage.stopped"
#define CL_EVENT_CAGE_CRASHED "cage.crashed"
#define CL_EVENT_CAGE_SECCOMP "cage.seccomp" /* a process killed by seccomp (SIGSYS) */
/* compositor */
#define CL_EVENT_PROTOCOL_ERROR  "compositor.protocol-error"  /* client disconnected */
#define CL_EVENT_HIDDEN_PROTOCOL "compositor.hidden-protocol" /* tried to bind one */
#define CL_EVENT_LIMIT           "compositor.limit"           /* a per-client limit hit */
/* session */
#define CL_EVENT_CONFIG_ERROR    "session.config-error"
#define CL_EVENT_SERVICE_RESTART "session.service-restarted" /* broker, notifyd or bar */
