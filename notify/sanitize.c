/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cloison-build-config.h"

#include <glib.h>
#include <string.h>

#include "sanitize.h"
#include "security-events.h"

static bool is_bidi_control(gunichar c)
{
	return c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
	       (c >= 0x2066 && c <= 0x2069);
}

/* Characters that never reach the display as themselves. */
static bool is_replaced(gunichar c)
{
	GUnicodeType t;

	if (c < 0x20 || (c >= 0x7F && c <= 0x9F))
		return true;
	if (is_bidi_control(c) || c == 0x2028 || c == 0x2029)
		return true;
	if ((c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE)
		return true; /* noncharacters */
	t = g_unichar_type(c);
	if (t == G_UNICODE_FORMAT && c != 0x200D)
		return true;
	return t == G_UNICODE_PRIVATE_USE || t == G_UNICODE_SURROGATE || t == G_UNICODE_UNASSIGNED;
}

char *cl_notify_sanitize_text(const char *s, size_t len, size_t max_chars, bool multiline)
{
	GString *out = g_string_sized_new(MIN(len, max_chars * 4) + 8);
	size_t i = 0, chars = 0, lines = 1;
	/* Byte length of out after the last non-space character. */
	size_t keep = 0, keep_chars = 0;
	bool truncated = false;

	if (!s)
		len = 0;
	while (i < len) {
		gunichar c;
		size_t step;

		if (chars >= max_chars) {
			/* More than white space left (a little of it is allowed)? */
			size_t j = i, n = 0;

			while (j < len && n < 64 && strchr(" \t\r\n", s[j]) && s[j]) {
				j++;
				n++;
			}
			truncated = j < len;
			i = len;
			break;
		}
		if ((unsigned char)s[i] < 0x80) {
			c = (unsigned char)s[i];
			step = 1;
		} else {
			size_t avail = MIN(len - i, 6);

			c = g_utf8_get_char_validated(s + i, (gssize)avail);
			if (c == (gunichar)-1 || c == (gunichar)-2) {
				c = CL_NOTIFY_REPLACEMENT;
				step = 1;
			} else {
				step = (size_t)(g_utf8_next_char(s + i) - (s + i));
			}
		}
		i += step;

		if (c == '\r' || c == '\n') {
			if (c == '\r' && i < len && s[i] == '\n')
				i++;
			if (multiline && lines < CL_NOTIFY_BODY_LINES_MAX) {
				lines++;
				c = '\n';
			} else {
				c = ' ';
			}
		} else if (c == '\t') {
			c = ' ';
		} else if (c == 0xFEFF && chars == 0) {
			continue; /* a byte-order mark at the start */
		} else if (is_replaced(c)) {
			c = CL_NOTIFY_REPLACEMENT;
		}
		/* No leading white space. */
		if (chars == 0 && (c == ' ' || c == '\n'))
			continue;
		g_string_append_unichar(out, c);
		chars++;
		if (c != ' ' && c != '\n') {
			keep = out->len;
			keep_chars = chars;
		}
	}
	/* No trailing white space. */
	g_string_truncate(out, keep);
	if (truncated && max_chars > 0) {
		/* Room for the ellipsis: drop the last character(s) if full. */
		while (keep_chars >= max_chars && out->len > 0) {
			const char *prev = g_utf8_find_prev_char(out->str, out->str + out->len);

			g_string_truncate(out, (gsize)(prev - out->str));
			keep_chars--;
		}
		g_string_append(out, "…");
	}
	return g_string_free(out, FALSE);
}

char *cl_notify_sanitize_action_key(const char *s, size_t len)
{
	char *key = cl_notify_sanitize_text(s, len, CL_NOTIFY_ACTION_KEY_MAX, false);

	if (!*key) {
		g_free(key);
		key = g_strdup("default");
	}
	return key;
}

int32_t cl_notify_effective_timeout(ClNotifyOrigin origin, uint8_t urgency, int32_t requested)
{
	switch (origin) {
	case CL_NOTIFY_ORIGIN_CAGE:
		/* Never sticky: a cage cannot leave a popup up for ever. */
		if (requested < 0)
			return urgency >= CL_NOTIFY_URGENCY_CRITICAL
			               ? CL_NOTIFY_TIMEOUT_CAGE_CRITICAL_MS
			               : CL_NOTIFY_TIMEOUT_DEFAULT_MS;
		if (requested == 0)
			return CL_NOTIFY_TIMEOUT_CAGE_MAX_MS;
		return CLAMP(requested, CL_NOTIFY_TIMEOUT_CAGE_MIN_MS,
		             CL_NOTIFY_TIMEOUT_CAGE_MAX_MS);
	case CL_NOTIFY_ORIGIN_CORE:
		if (requested < 0)
			return urgency >= CL_NOTIFY_URGENCY_CRITICAL ? 0
			                                             : CL_NOTIFY_TIMEOUT_DEFAULT_MS;
		if (requested == 0)
			return 0;
		return MIN(requested, CL_NOTIFY_TIMEOUT_CORE_MAX_MS);
	case CL_NOTIFY_ORIGIN_SECURITY:
	default:
		return 0;
	}
}

int32_t cl_notify_security_timeout(const char *severity)
{
	if (g_strcmp0(severity, CL_SEVERITY_INFO) == 0)
		return CL_NOTIFY_TIMEOUT_SECURITY_INFO_MS;
	if (g_strcmp0(severity, CL_SEVERITY_WARNING) == 0)
		return CL_NOTIFY_TIMEOUT_SECURITY_WARN_MS;
	return 0;
}

bool cl_notify_severity_is_valid(const char *severity)
{
	return g_strcmp0(severity, CL_SEVERITY_INFO) == 0 ||
	       g_strcmp0(severity, CL_SEVERITY_WARNING) == 0 ||
	       g_strcmp0(severity, CL_SEVERITY_CRITICAL) == 0;
}

bool cl_notify_category_is_valid(const char *category)
{
	static const char *const categories[] = {
	        CL_EVENT_TRANSFER_REQUESTED, CL_EVENT_TRANSFER_APPROVED, CL_EVENT_TRANSFER_DENIED,
	        CL_EVENT_TRANSFER_FAILED,    CL_EVENT_TRANSFER_EXPIRED,  CL_EVENT_CAGE_STARTED,
	        CL_EVENT_CAGE_STOPPED,       CL_EVENT_CAGE_CRASHED,      CL_EVENT_CAGE_SECCOMP,
	        CL_EVENT_PROTOCOL_ERROR,     CL_EVENT_HIDDEN_PROTOCOL,   CL_EVENT_LIMIT,
	        CL_EVENT_CONFIG_ERROR,       CL_EVENT_SERVICE_RESTART,
	};

	for (size_t i = 0; i < G_N_ELEMENTS(categories); i++)
		if (g_strcmp0(category, categories[i]) == 0)
			return true;
	return false;
}

void cl_token_bucket_init(ClTokenBucket *b, unsigned burst, unsigned rate, uint64_t now)
{
	b->burst = burst;
	b->rate = rate;
	b->micro_tokens = (uint64_t)burst * 1000000;
	b->at = now;
}

bool cl_token_bucket_take(ClTokenBucket *b, uint64_t now)
{
	uint64_t full = (uint64_t)b->burst * 1000000;

	if (now > b->at) {
		uint64_t elapsed = now - b->at;

		/* elapsed µs * rate tokens/s = elapsed * rate micro-tokens */
		if (b->rate && elapsed > (full - MIN(full, b->micro_tokens)) / b->rate)
			b->micro_tokens = full;
		else
			b->micro_tokens += elapsed * b->rate;
		b->at = now;
	}
	if (b->micro_tokens < 1000000)
		return false;
	b->micro_tokens -= 1000000;
	return true;
}
