/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cloison-session: start the core in order, each part only once the one
 * before it said it is ready, supervise everything and stop it in reverse
 * order.  See docs/session.md and cloison-session(1).
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "config.h"

/* Exit status of cloison-session (cloison-session(1), EXIT STATUS). */
#define CL_SESSION_EXIT_OK     0 /* stopped by a signal, or logout (the compositor quit) */
#define CL_SESSION_EXIT_CONFIG 1 /* usage or configuration error: nothing started */
#define CL_SESSION_EXIT_START  2 /* could not start: environment, programs, readiness */
#define CL_SESSION_EXIT_CORE   3 /* the core bus or the compositor failed: session ended */

/* How long a child may take to say it is ready, and to stop after SIGTERM. */
#define CL_SESSION_READY_TIMEOUT_MS 30000
#define CL_SESSION_STOP_TIMEOUT_MS  10000
/* Restarts: 500 ms, doubling up to 30 s; a child that ran 60 s resets the count. */
#define CL_SESSION_BACKOFF_MIN_MS 500
#define CL_SESSION_BACKOFF_MAX_MS 30000
#define CL_SESSION_STABLE_MS      60000
#define CL_SESSION_MAX_FAILURES   10

typedef enum {
	CL_SESSION_BACKEND_AUTO, /* nested when WAYLAND_DISPLAY or DISPLAY is set, else DRM */
	CL_SESSION_BACKEND_HEADLESS,
} ClSessionBackend;

/* The programs the session starts (absolute paths). */
typedef struct {
	char *dbus_daemon;
	char *compositor;
	char *bar;
	char *transferd;
	char *notifyd;
	char *cage;
} ClSessionPrograms;

typedef struct {
	ClSessionBackend backend;
	/*
	 * The demo (cl_session_demo_config()): a sample document in the low
	 * cage; headless, a screenshot once every cage shows a window, its
	 * path printed on stdout, then the session stops.
	 */
	bool demo;
	int width, height; /* 0: the compositor's default */
	bool test_input;   /* pass --test-input to the compositor (headless only) */
	bool verbose;      /* pass --verbose to Cloison's programs */
} ClSessionOptions;

typedef struct ClSession ClSession;

#define CL_SESSION_DEMO_LOW      "demo-low"
#define CL_SESSION_DEMO_HIGH     "demo-high"
#define CL_SESSION_DEMO_DOCUMENT "Welcome to Cloison.txt"
#define CL_SESSION_DEMO_SHOT     "demo-screenshot.png" /* in $XDG_STATE_HOME/cloison */
#define CL_SESSION_DEMO_WAIT_MS  60000

/*
 * The demo's configuration, as key-file text: levels low and high, cages
 * demo-low and demo-high running foot and the file manager below when one is
 * installed (and gtk4-demo in demo-high when it is installed), upward
 * transfers asked, downward text declassified.
 */
char *cl_session_demo_config(void);

/* The demo's file manager: the first of nautilus, thunar, nemo, dolphin,
 * pcmanfm installed in /usr/bin, or NULL. */
const char *cl_session_demo_file_manager(void);

/*
 * Where each program is: $CLOISON_DBUS_DAEMON, $CLOISON_COMPOSITOR,
 * $CLOISON_BAR, $CLOISON_TRANSFERD, $CLOISON_NOTIFYD, $CLOISON_CAGE_COMMAND
 * when set, else the installed one (bindir, libexecdir/cloison; dbus-daemon
 * from $PATH).  Every one must be an executable file: NULL + error naming
 * the first that is not.
 */
bool cl_session_programs_find(ClSessionPrograms *programs, GError **error);
void cl_session_programs_clear(ClSessionPrograms *programs);

/*
 * Check everything that can be checked before starting anything:
 * XDG_RUNTIME_DIR, the data and state homes, no other session on this
 * runtime directory.  The configuration (already loaded and validated) and
 * the programs are taken over by the session.  NULL + error on failure;
 * nothing is created then.
 */
ClSession *cl_session_new(ClConfig *config, ClSessionPrograms *programs,
                          const ClSessionOptions *options, GError **error);

/*
 * Prepare the directories, start everything, run until the session ends.
 * Returns a CL_SESSION_EXIT_* status.  Every child has been reaped and the
 * runtime directory removed when it returns.
 */
int cl_session_run(ClSession *session);

void cl_session_free(ClSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ClSession, cl_session_free)
