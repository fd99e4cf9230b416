/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cloison-build-config.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <dlfcn.h>
#include <sys/uio.h>

#include "i18n.h"
#include "log.h"
#include "util.h"

#define JOURNAL_SOCKET  "/run/systemd/journal/socket"
#define LOG_LEVEL_ENV   "CLOISON_LOG_LEVEL"
#define MAX_IDENT_BYTES 64
/* Longest message (in bytes of input) that reaches stderr or the journal. */
#define MAX_MESSAGE_BYTES 8192
#define ELLIPSIS          "\xe2\x80\xa6" /* U+2026 */

static char log_ident[MAX_IDENT_BYTES * 4 + sizeof(ELLIPSIS)];
static int log_initialized;
static int log_max_level = LOG_INFO;
static int log_journal;

static const char *const level_names[] = {
        [LOG_EMERG] = "emergency", [LOG_ALERT] = "alert",     [LOG_CRIT] = "critical",
        [LOG_ERR] = "error",       [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
        [LOG_INFO] = "info",       [LOG_DEBUG] = "debug",
};

/* Names accepted in $CLOISON_LOG_LEVEL, besides the numbers 0-7. */
static const struct {
	const char *name;
	int priority;
} level_aliases[] = {
        {"emerg", LOG_EMERG},   {"emergency", LOG_EMERG}, {"alert", LOG_ALERT},
        {"crit", LOG_CRIT},     {"critical", LOG_CRIT},   {"err", LOG_ERR},
        {"error", LOG_ERR},     {"warn", LOG_WARNING},    {"warning", LOG_WARNING},
        {"notice", LOG_NOTICE}, {"info", LOG_INFO},       {"debug", LOG_DEBUG},
};

/*
 * Decode one UTF-8 sequence at s (NUL-terminated).  Returns its length, or 0
 * when it is not a valid, shortest-form encoding of a scalar value.
 */
static size_t utf8_decode(const unsigned char *s, uint32_t *ret)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	uint32_t cp;
	size_t len, i;

	if (c < 0x80) {
		*ret = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0;
	}

	/* A NUL byte is not a continuation byte, so this stops at the end. */
	for (i = 1; i < len; i++) {
		unsigned char b = s[i];

		if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xbf))
			return 0;
		cp = (cp << 6) | (b & 0x3f);
	}

	*ret = cp;
	return len;
}

static bool codepoint_is_safe(uint32_t cp)
{
	if (cp < 0x20 || cp == 0x7f || cp == '\\')
		return false;
	if (cp < 0x80)
		return true;
	/* Line and paragraph separators break lines in some terminals. */
	if (cp == 0x2028 || cp == 0x2029)
		return false;
	/* Excludes C1 controls, format characters (bidi overrides…), unassigned. */
	return g_unichar_isprint(cp);
}

char *cl_log_escape(const char *s, size_t max_bytes)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t used = 0;
	GString *out;

	if (!s)
		return g_strdup("(null)");

	out = g_string_sized_new(64);
	while (*p) {
		uint32_t cp;
		size_t n = utf8_decode(p, &cp);
		size_t take = n > 0 ? n : 1;

		if (take > max_bytes - used) {
			g_string_append(out, ELLIPSIS);
			break;
		}

		if (n > 0 && codepoint_is_safe(cp)) {
			g_string_append_len(out, (const char *)p, (gssize)n);
		} else if (n == 1 && cp == '\\') {
			g_string_append(out, "\\\\");
		} else {
			size_t i;

			for (i = 0; i < take; i++)
				g_string_append_printf(out, "\\x%02x", p[i]);
		}
		p += take;
		used += take;
	}

	return g_string_free(out, FALSE);
}

static int parse_level(const char *s, int *ret)
{
	unsigned long long v;
	size_t i;

	if (cl_parse_u64(s, &v) == 0) {
		if (v > LOG_DEBUG)
			return -ERANGE;
		*ret = (int)v;
		return 0;
	}

	for (i = 0; i < G_N_ELEMENTS(level_aliases); i++) {
		if (g_ascii_strcasecmp(s, level_aliases[i].name) == 0) {
			*ret = level_aliases[i].priority;
			return 0;
		}
	}
	return -EINVAL;
}

static void log_setup(const char *ident)
{
	g_autofree char *escaped = NULL;
	const char *env;
	int level;

	if (!ident || !*ident)
		ident = program_invocation_short_name;
	if (!ident || !*ident)
		ident = "cloison";
	escaped = cl_log_escape(ident, MAX_IDENT_BYTES);
	g_strlcpy(log_ident, escaped, sizeof(log_ident));

	log_journal = access(JOURNAL_SOCKET, F_OK) == 0;
	log_max_level = LOG_INFO;
	log_initialized = 1;

	env = g_getenv(LOG_LEVEL_ENV);
	if (!env || !*env)
		return;
	if (parse_level(env, &level) == 0) {
		log_max_level = level;
	} else {
		g_autofree char *value = cl_log_escape(env, 64);

		cl_log(LOG_WARNING,
		       /* Translators: keep the level names (error, warning…) as they are. */
		       _("Ignoring %s=\"%s\": expected error, warning, notice, info, debug or a "
		         "number from 0 to 7"),
		       LOG_LEVEL_ENV, value);
	}
}

static void log_ensure_setup(void)
{
	if (!log_initialized)
		log_setup(NULL);
}

void cl_log_init(const char *ident)
{
	log_setup(ident);
}

void cl_log_set_max_level(int priority)
{
	log_ensure_setup();
	if (priority < LOG_EMERG)
		priority = LOG_EMERG;
	if (priority > LOG_DEBUG)
		priority = LOG_DEBUG;
	log_max_level = priority;
}

int cl_log_get_max_level(void)
{
	log_ensure_setup();
	return log_max_level;
}

void cl_log_set_journal(int enabled)
{
	log_ensure_setup();
	log_journal = !!enabled;
}

/*
 * libsystemd is loaded only when a journal is there to receive the record,
 * so that programs which never need it (the cage launcher, started for
 * every cage) do not pay for loading it and its dependencies.
 */
typedef int (*journal_sendv_fn)(const struct iovec *iov, int n);

static journal_sendv_fn journal_sendv(void)
{
	static journal_sendv_fn fn;
	static bool tried;

	if (!tried) {
		void *lib = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);

		tried = true;
		if (lib)
			fn = (journal_sendv_fn)dlsym(lib, "sd_journal_sendv");
	}
	return fn;
}

static void journal_send(int priority, const char *escaped)
{
	journal_sendv_fn sendv = journal_sendv();
	g_autofree char *message = NULL, *prio = NULL, *ident = NULL;
	struct iovec iov[3];

	if (!sendv)
		return;
	message = g_strconcat("MESSAGE=", escaped, NULL);
	prio = g_strdup_printf("PRIORITY=%d", priority);
	ident = g_strconcat("SYSLOG_IDENTIFIER=", log_ident, NULL);
	iov[0] = (struct iovec){message, strlen(message)};
	iov[1] = (struct iovec){prio, strlen(prio)};
	iov[2] = (struct iovec){ident, strlen(ident)};
	(void)sendv(iov, 3);
}

/* Write an already formatted (not yet escaped) message. */
static void log_emit(int priority, const char *message)
{
	g_autofree char *escaped = NULL;
	g_autofree char *line = NULL;

	escaped = cl_log_escape(message, MAX_MESSAGE_BYTES);
	line = g_strdup_printf("%s: %s: %s\n", log_ident, level_names[priority], escaped);
	/* One write() call, so that lines of concurrent processes do not mix. */
	(void)cl_write_all(STDERR_FILENO, line, strlen(line));

	if (log_journal)
		journal_send(priority, escaped);
}

static int log_priority(int priority)
{
	priority &= LOG_PRIMASK;
	return priority;
}

void cl_logv(int priority, const char *fmt, va_list ap)
{
	int saved_errno = errno;
	g_autofree char *message = NULL;

	log_ensure_setup();
	priority = log_priority(priority);
	if (priority > log_max_level)
		goto out;

	message = g_strdup_vprintf(fmt, ap);
	log_emit(priority, message);
out:
	errno = saved_errno;
}

void cl_log(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cl_logv(priority, fmt, ap);
	va_end(ap);
}

int cl_log_errno(int priority, int err, const char *fmt, ...)
{
	int saved_errno = errno;
	int e;

	/* INT_MIN has no positive counterpart. */
	if (err == INT_MIN)
		err = -ERANGE;
	e = err < 0 ? -err : err;

	log_ensure_setup();
	priority = log_priority(priority);
	if (priority <= log_max_level) {
		g_autofree char *message = NULL;
		g_autofree char *full = NULL;
		va_list ap;

		va_start(ap, fmt);
		message = g_strdup_vprintf(fmt, ap);
		va_end(ap);
		full = g_strdup_printf("%s: %s", message, g_strerror(e));
		log_emit(priority, full);
	}

	errno = saved_errno;
	return -e;
}
