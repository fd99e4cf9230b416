/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "text.h"

#include <string.h>

char *cl_origin_clean(const char *raw, size_t len)
{
	g_autofree char *valid = NULL;
	GString *out;

	if (!raw || len == 0 || len > CL_ORIGIN_MAX)
		return NULL;
	len = strnlen(raw, len); /* an embedded NUL ends the text */
	valid = g_utf8_make_valid(raw, (gssize)len);
	out = g_string_sized_new(len);
	for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		GUnicodeType t = g_unichar_type(c);

		if (t == G_UNICODE_CONTROL || t == G_UNICODE_FORMAT ||
		    t == G_UNICODE_LINE_SEPARATOR || t == G_UNICODE_PARAGRAPH_SEPARATOR ||
		    t == G_UNICODE_UNASSIGNED || t == G_UNICODE_PRIVATE_USE ||
		    t == G_UNICODE_SURROGATE)
			continue;
		g_string_append_unichar(out, c);
	}
	g_strstrip(out->str);
	out->len = strlen(out->str);
	if (out->len == 0) {
		g_string_free(out, TRUE);
		return NULL;
	}
	return g_string_free(out, FALSE);
}

char *cl_menu_escape(const char *label)
{
	GString *out = g_string_sized_new(strlen(label) + 4);

	for (const char *p = label; *p; p++) {
		if (*p == '_')
			g_string_append_c(out, '_');
		g_string_append_c(out, *p);
	}
	return g_string_free(out, FALSE);
}

char *cl_menu_item_name(const char *kind, const char *cage)
{
	return g_strdup_printf("CloisonNautilus::%s-%s", kind, cage);
}
