/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Poster-side coalescing of security events (docs/notify-events.md).
 *
 * A hostile cage can trigger some events in a loop (a Wayland client that
 * commits a protocol error, reconnects and does it again; a process killed by
 * seccomp, restarted, killed again).  Posting each one would flood the core
 * bus and the user.  Events are keyed by (cage, category): the first one of a
 * key is posted at once and opens a window of CL_EVENT_LIMIT_WINDOW_US; the
 * ones that follow inside the window are only counted.  When the window ends
 * with a count N > 0, the poster sends one summary ("N more …") and a new
 * window opens; a window that ends with nothing counted forgets its key.
 * A key thus costs at most two posts per window, and the keys are bounded by
 * the configured cages times the categories.
 *
 * Pure logic, no clock and no timer of its own: the caller passes the time
 * (CLOCK_MONOTONIC µs) and arms a timer for cl_event_limit_next().
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define CL_EVENT_LIMIT_WINDOW_US (5 * G_USEC_PER_SEC)

typedef struct ClEventLimit ClEventLimit;

/* A window of WINDOW_US (0: CL_EVENT_LIMIT_WINDOW_US). */
ClEventLimit *cl_event_limit_new(uint64_t window_us);
void cl_event_limit_free(ClEventLimit *limit);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ClEventLimit, cl_event_limit_free)

/* true: post this event now; false: it was counted for a later summary. */
bool cl_event_limit_admit(ClEventLimit *limit, const char *cage, const char *category,
                          uint64_t now_us);

typedef void (*ClEventLimitSummary)(const char *cage, const char *category, unsigned count,
                                    void *userdata);

/*
 * End every window that is over at NOW_US: SUMMARY for each one that counted
 * events (then a new window), forget the others.
 */
void cl_event_limit_flush(ClEventLimit *limit, uint64_t now_us, ClEventLimitSummary summary,
                          void *userdata);

/* When the next window ends (CLOCK_MONOTONIC µs), or 0 when none is open. */
uint64_t cl_event_limit_next(const ClEventLimit *limit);
