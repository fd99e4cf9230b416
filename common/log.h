/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Logging for the core programs: one line on stderr ("ident: level: msg"),
 * and a structured record in the systemd journal when one is running.
 * Messages may carry hostile text (titles, file names): control characters
 * and invalid UTF-8 are escaped as \xNN before they reach a terminal.
 */
#pragma once

#include <stdarg.h>
#include <syslog.h>

void cl_log_init(const char *ident);
/* LOG_ERR … LOG_DEBUG; the default is LOG_INFO, or $CLOISON_LOG_LEVEL
 * ("error", "warning", "notice", "info", "debug" or a number 0-7). */
void cl_log_set_max_level(int priority);
int cl_log_get_max_level(void);
/* Also send to the journal (default: only when its socket exists). */
void cl_log_set_journal(int enabled);

void cl_logv(int priority, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void cl_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Log with ": strerror(err)" appended; returns -|err| (systemd style). */
int cl_log_errno(int priority, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define cl_error(...)  cl_log(LOG_ERR, __VA_ARGS__)
#define cl_warn(...)   cl_log(LOG_WARNING, __VA_ARGS__)
#define cl_notice(...) cl_log(LOG_NOTICE, __VA_ARGS__)
#define cl_info(...)   cl_log(LOG_INFO, __VA_ARGS__)
#define cl_debug(...)  cl_log(LOG_DEBUG, __VA_ARGS__)

/*
 * Escape a string for a log line or terminal: printable ASCII and valid
 * UTF-8 pass, everything else becomes \xNN; at most max_bytes of input are
 * used (then "…").  Returns a newly allocated string.
 * (A backslash becomes "\\" so that the result is unambiguous; printable
 * excludes C1 controls, bidi/format characters and U+2028/U+2029; a
 * character is never split by the truncation.)
 */
char *cl_log_escape(const char *s, size_t max_bytes);
