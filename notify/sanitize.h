/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What cloison-notifyd does to the text of a notification before anyone
 * shows it (docs/notify.md, "Sanitising").  Pure functions: no I/O, no
 * global state; the unit tests and the fuzz target drive them directly.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Caps, in characters (a truncated string ends with "…", within the cap). */
#define CL_NOTIFY_APP_NAME_MAX     64
#define CL_NOTIFY_SUMMARY_MAX      128
#define CL_NOTIFY_BODY_MAX         1024
#define CL_NOTIFY_BODY_LINES_MAX   16 /* further line breaks become spaces */
#define CL_NOTIFY_ACTION_KEY_MAX   64
#define CL_NOTIFY_ACTION_LABEL_MAX 64
#define CL_NOTIFY_ACTIONS_MAX      8 /* (key, label) pairs kept; the rest is dropped */

#define CL_NOTIFY_REPLACEMENT 0xFFFD

/*
 * Sanitise len bytes of s (not necessarily NUL-terminated, may contain NUL):
 *  - invalid UTF-8 sequences, NUL, C0 and C1 control characters, DEL,
 *    bidirectional embedding/override/isolate marks and the other Unicode
 *    format characters (except ZERO WIDTH JOINER), U+2028/U+2029,
 *    noncharacters and private-use characters become U+FFFD;
 *  - a tab becomes a space; with multiline, "\r\n", "\r" and "\n" become
 *    one "\n" (at most CL_NOTIFY_BODY_LINES_MAX lines, then spaces);
 *    without it, line breaks become spaces;
 *  - leading and trailing white space is removed;
 *  - at most max_chars characters are kept; when more were given, the last
 *    kept one is "…".
 * Markup is not interpreted: the result is plain text for a plain-text
 * display ("<b>" stays the three characters "<b>").
 * Reads at most about 4 * max_chars + 4 bytes of input.  Returns a newly
 * allocated (g_free) valid UTF-8 string.
 */
char *cl_notify_sanitize_text(const char *s, size_t len, size_t max_chars, bool multiline);

/* An action key: like a single-line text, and "" is replaced by "default". */
char *cl_notify_sanitize_action_key(const char *s, size_t len);

/*
 * The effective expire timeout, in milliseconds (0 = until dismissed), from
 * what the sender asked (-1 = server default) and its origin/urgency.
 */
typedef enum {
	CL_NOTIFY_ORIGIN_SECURITY,
	CL_NOTIFY_ORIGIN_CORE,
	CL_NOTIFY_ORIGIN_CAGE,
} ClNotifyOrigin;

#define CL_NOTIFY_URGENCY_LOW      0
#define CL_NOTIFY_URGENCY_NORMAL   1
#define CL_NOTIFY_URGENCY_CRITICAL 2

#define CL_NOTIFY_TIMEOUT_DEFAULT_MS       5000   /* core and cage, low/normal */
#define CL_NOTIFY_TIMEOUT_CAGE_CRITICAL_MS 15000  /* a cage's critical one */
#define CL_NOTIFY_TIMEOUT_CAGE_MIN_MS      1000   /* a cage's explicit timeout… */
#define CL_NOTIFY_TIMEOUT_CAGE_MAX_MS      30000  /* …is clamped to this range */
#define CL_NOTIFY_TIMEOUT_CORE_MAX_MS      600000 /* 10 min */
#define CL_NOTIFY_TIMEOUT_SECURITY_INFO_MS 10000
#define CL_NOTIFY_TIMEOUT_SECURITY_WARN_MS 30000
/* Security events of severity "critical" stay until dismissed (0). */

int32_t cl_notify_effective_timeout(ClNotifyOrigin origin, uint8_t urgency, int32_t requested);
int32_t cl_notify_security_timeout(const char *severity);

/* Is this one of CL_SEVERITY_* / CL_EVENT_* of common/security-events.h? */
bool cl_notify_severity_is_valid(const char *severity);
bool cl_notify_category_is_valid(const char *category);

/*
 * A token bucket: at most burst at once, refilled at rate per second.
 * Times are CLOCK_MONOTONIC microseconds, given by the caller.
 */
typedef struct {
	unsigned burst;
	unsigned rate;
	uint64_t micro_tokens; /* tokens * 1e6 */
	uint64_t at;
} ClTokenBucket;

void cl_token_bucket_init(ClTokenBucket *b, unsigned burst, unsigned rate, uint64_t now);
/* Take one token if there is one; false when empty. */
bool cl_token_bucket_take(ClTokenBucket *b, uint64_t now);
