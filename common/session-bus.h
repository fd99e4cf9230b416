/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The contract between cloison-session and the core components that ask it
 * to start or stop a cage (the bar's cages dialog; docs/session.md).  Header
 * only.
 *
 * On the core bus (private to the session: only core processes reach it,
 * cages never do), cloison-session owns CL_SESSION_BUS_NAME and serves, at
 * CL_SESSION_PATH:
 *
 *   org.cloison.Session1
 *     StartCage(s cage)              start a configured cage under the
 *                                    session's supervision, exactly like an
 *                                    autostart cage (restart policy, events,
 *                                    stopped in order at the end); returns
 *                                    once its launcher is started
 *     StopCage(s cage)               stop a cage the session started (SIGTERM
 *                                    to its launcher, SIGKILL after 10 s);
 *                                    a pending restart is cancelled
 *     ListCages() -> (a(ssb))        every configured cage: id, level id,
 *                                    running under the session (its
 *                                    launcher is alive)
 *
 *   Errors (the message names the cage and what was wrong):
 *     CL_SESSION_ERROR_UNKNOWN_CAGE     not a configured cage id
 *     CL_SESSION_ERROR_ALREADY_RUNNING  StartCage of a running cage
 *     CL_SESSION_ERROR_NOT_RUNNING      StopCage of a cage the session does
 *                                       not run
 *     CL_SESSION_ERROR_FAILED           anything else (the session starting
 *                                       or stopping, the launcher could not
 *                                       be started)
 */
#pragma once

#define CL_SESSION_BUS_NAME "org.cloison.Session1"
#define CL_SESSION_PATH     "/org/cloison/Session1"
#define CL_SESSION_IFACE    "org.cloison.Session1"

#define CL_SESSION_ERROR_UNKNOWN_CAGE    "org.cloison.Session1.Error.UnknownCage"
#define CL_SESSION_ERROR_ALREADY_RUNNING "org.cloison.Session1.Error.AlreadyRunning"
#define CL_SESSION_ERROR_NOT_RUNNING     "org.cloison.Session1.Error.NotRunning"
#define CL_SESSION_ERROR_FAILED          "org.cloison.Session1.Error.Failed"

/* Longest argument looked at; cage ids are at most 32 bytes. */
#define CL_SESSION_MAX_ARG 256
