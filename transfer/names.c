/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Sanitising the file names cages send.  Everything works on bytes with
 * GLib's UTF-8 helpers; the result must be stable (sanitising it again gives
 * the same string), which the fuzz target checks.
 */
#include "names.h"

#include <glib.h>
#include <stdbool.h>
#include <string.h>

#define RAW_MAX_BYTES 4096
#define EXT_MAX_BYTES 16

/*
 * Default-ignorable characters that are not format characters (Cf): they
 * render as nothing, so "a\u3164.pdf" would look like "a.pdf".
 */
static bool char_is_invisible(gunichar c)
{
	return c == 0x034f ||                  /* combining grapheme joiner */
	       c == 0x115f || c == 0x1160 ||   /* Hangul fillers */
	       c == 0x17b4 || c == 0x17b5 ||   /* Khmer inherent vowels */
	       (c >= 0x180b && c <= 0x180f) || /* Mongolian variation selectors */
	       c == 0x3164 || c == 0xffa0 ||   /* Hangul fillers */
	       (c >= 0xfe00 && c <= 0xfe0f) || /* variation selectors */
	       (c >= 0xe0000 && c <= 0xe0fff); /* tags, variation selectors supplement */
}

static bool char_is_forbidden(gunichar c)
{
	if (c == '/' || c < 0x20 || c == 0x7f || char_is_invisible(c))
		return true;
	switch (g_unichar_type(c)) {
	case G_UNICODE_CONTROL:             /* C0, DEL, C1 */
	case G_UNICODE_FORMAT:              /* bidi controls, zero-width, soft hyphen… */
	case G_UNICODE_LINE_SEPARATOR:      /* U+2028 */
	case G_UNICODE_PARAGRAPH_SEPARATOR: /* U+2029 */
	case G_UNICODE_UNASSIGNED:          /* noncharacters, and what may become Cf */
	case G_UNICODE_SURROGATE:
		return true;
	default:
		return false;
	}
}

static bool char_is_space(gunichar c)
{
	return c == ' ' || g_unichar_type(c) == G_UNICODE_SPACE_SEPARATOR;
}

/* Largest length <= max that does not split a UTF-8 character of s (valid UTF-8). */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* Remove trailing space characters from str in place. */
static void strip_trailing_spaces(GString *str)
{
	while (str->len > 0) {
		const char *last = g_utf8_find_prev_char(str->str, str->str + str->len);

		if (!last || !char_is_space(g_utf8_get_char(last)))
			break;
		g_string_truncate(str, (size_t)(last - str->str));
	}
}

/*
 * The extension of a name: what follows its last '.', when that is 1 to
 * EXT_MAX_BYTES bytes long and the dot is not the first byte.  Returns the
 * offset of the dot, or -1.
 */
static gssize extension_dot(const char *name, size_t len)
{
	const char *dot = memrchr(name, '.', len);

	if (!dot || dot == name)
		return -1;
	size_t ext_len = len - (size_t)(dot - name) - 1;
	if (ext_len < 1 || ext_len > EXT_MAX_BYTES)
		return -1;
	return dot - name;
}

char *cl_name_sanitize(const char *raw)
{
	size_t len = raw ? strnlen(raw, RAW_MAX_BYTES) : 0;

	/* The last component: trailing slashes do not make an empty name. */
	while (len > 0 && raw[len - 1] == '/')
		len--;
	const char *start = len > 0 ? memrchr(raw, '/', len) : NULL;
	start = start ? start + 1 : raw;
	const char *end = raw ? raw + len : NULL;

	g_autoptr(GString) out = g_string_sized_new(64);
	bool leading = true;

	for (const char *p = start; p && p < end;) {
		gunichar c = g_utf8_get_char_validated(p, end - p);
		size_t step;

		if (c == (gunichar)-1 || c == (gunichar)-2) {
			c = '_';
			step = 1;
		} else {
			step = (size_t)(g_utf8_next_char(p) - p);
			if (char_is_forbidden(c))
				c = '_';
		}
		p += step;
		/* No leading dot (hidden file, ".", "..") and no leading space. */
		if (leading && (c == '.' || char_is_space(c)))
			continue;
		leading = false;
		g_string_append_unichar(out, c);
	}
	strip_trailing_spaces(out);

	if (out->len > CL_NAME_MAX_BYTES) {
		gssize dot = extension_dot(out->str, out->len);

		if (dot >= 0) {
			size_t ext_len = out->len - (size_t)dot; /* with the dot */
			size_t stem = utf8_cut(out->str, (size_t)dot, CL_NAME_MAX_BYTES - ext_len);

			g_string_erase(out, (gssize)stem, (gssize)((size_t)dot - stem));
		} else {
			g_string_truncate(out, utf8_cut(out->str, out->len, CL_NAME_MAX_BYTES));
			strip_trailing_spaces(out);
		}
	}
	if (out->len == 0)
		g_string_assign(out, CL_NAME_FALLBACK);
	return g_string_free(g_steal_pointer(&out), false);
}

char *cl_name_candidate(const char *sanitized, unsigned n)
{
	size_t len = strlen(sanitized);

	if (n <= 1)
		return g_strndup(sanitized, utf8_cut(sanitized, len, CL_NAME_MAX_BYTES));

	char suffix[16];
	int suffix_len = g_snprintf(suffix, sizeof(suffix), " (%u)", n);
	gssize dot = extension_dot(sanitized, len);
	size_t stem_len = dot >= 0 ? (size_t)dot : len;
	size_t ext_len = len - stem_len; /* with the dot, or 0 */
	size_t room = CL_NAME_MAX_BYTES - (size_t)suffix_len - ext_len;

	stem_len = utf8_cut(sanitized, stem_len, room);
	char *candidate = g_strdup_printf("%.*s%s%s", (int)stem_len, sanitized, suffix,
	                                  sanitized + len - ext_len);
	/*
	 * A name of the maximum length that already ends in " (n)" would come
	 * back unchanged ("… (2).txt" cut by 4 bytes plus " (2)"): cut one more
	 * character.  Candidates with different n still differ in their suffix.
	 */
	if (strcmp(candidate, sanitized) == 0 && stem_len > 0) {
		g_free(candidate);
		const char *prev = g_utf8_find_prev_char(sanitized, sanitized + stem_len);
		stem_len = prev ? (size_t)(prev - sanitized) : 0;
		candidate = g_strdup_printf("%.*s%s%s", (int)stem_len, sanitized, suffix,
		                            sanitized + len - ext_len);
	}
	return candidate;
}
