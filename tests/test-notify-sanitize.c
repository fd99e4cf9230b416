/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests of notify/sanitize.c: what a cage's text becomes before display. */
#include "cloison-build-config.h"

#include <glib.h>
#include <locale.h>
#include <string.h>

#include "sanitize.h"
#include "security-events.h"

#define R "\xef\xbf\xbd" /* U+FFFD */

typedef struct {
	const char *name;
	const char *raw;
	size_t len; /* 0: strlen(raw) */
	size_t max;
	gboolean multiline;
	const char *expected;
} Case;

static const Case cases[] = {
        {"plain", "Hello", 0, 64, FALSE, "Hello"},
        {"trim", "  \t Hello \n ", 0, 64, FALSE, "Hello"},
        {"empty", "", 0, 64, FALSE, ""},
        {"only-space", " \n\t ", 0, 64, TRUE, ""},
        {"tab", "a\tb", 0, 64, FALSE, "a b"},
        {"newline-single", "a\nb", 0, 64, FALSE, "a b"},
        {"newline-multi", "a\r\nb\rc\nd", 0, 64, TRUE, "a\nb\nc\nd"},
        {"nul", "a\0b", 3, 64, FALSE, "a" R "b"},
        {"c0", "a\x01\x1b[31mb", 0, 64, FALSE, "a" R R "[31mb"},
        {"del", "a\x7f", 0, 64, FALSE, "a" R},
        {"c1",
         "a\xc2\x9b"
         "b\xc2\x85",
         0, 64, FALSE, "a" R "b" R},
        {"bidi-override",
         "abc\xe2\x80\xae"
         "fed",
         0, 64, FALSE, "abc" R "fed"},
        {"bidi-isolate", "\xe2\x81\xa6x\xe2\x81\xa9", 0, 64, FALSE, R "x" R},
        {"rlm-alm", "\xe2\x80\x8f\xd8\x9c", 0, 64, FALSE, R R},
        {"line-separator",
         "a\xe2\x80\xa8"
         "b",
         0, 64, FALSE, "a" R "b"},
        {"zero-width-space",
         "a\xe2\x80\x8b"
         "b",
         0, 64, FALSE, "a" R "b"},
        {"zwj-kept", "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9", 0, 64, FALSE,
         "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9"},
        {"bom-start", "\xef\xbb\xbfHi", 0, 64, FALSE, "Hi"},
        {"private-use", "\xee\x80\x80", 0, 64, FALSE, R},
        {"noncharacter", "\xef\xbf\xbe", 0, 64, FALSE, R},
        {"invalid-byte",
         "a\xff"
         "b",
         0, 64, FALSE, "a" R "b"},
        {"truncated-sequence", "a\xe2\x82", 0, 64, FALSE, "a" R R},
        {"overlong", "\xc0\xaf", 0, 64, FALSE, R R},
        {"surrogate", "\xed\xa0\x80", 0, 64, FALSE, R R R},
        {"markup-literal", "<b>x</b> &amp;", 0, 64, FALSE, "<b>x</b> &amp;"},
        {"accents", "Élève à l’école", 0, 64, FALSE, "Élève à l’école"},
        {"cap-exact", "abcde", 0, 5, FALSE, "abcde"},
        {"cap-over", "abcdef", 0, 5, FALSE, "abcd…"},
        {"cap-multibyte", "ééééé", 0, 3, FALSE, "éé…"},
        {"cap-trailing-space", "abcde   ", 0, 5, FALSE, "abcde"},
        {"cap-space-inside", "ab   cdef", 0, 5, FALSE, "ab…"},
        {"cap-zero", "abc", 0, 0, FALSE, ""},
        {"lines-capped", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18", 0, 64,
         TRUE, "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16 17 18"},
};

static void test_case(gconstpointer data)
{
	const Case *c = data;
	size_t len = c->len ? c->len : strlen(c->raw);
	g_autofree char *out = cl_notify_sanitize_text(c->raw, len, c->max, c->multiline);

	g_assert_true(g_utf8_validate(out, -1, NULL));
	g_assert_cmpstr(out, ==, c->expected);
}

/* Invariants on a large, hostile input; only about 4 * max bytes are read. */
static void test_huge(void)
{
	size_t size = 1024 * 1024;
	g_autofree char *big = g_malloc(size);
	g_autofree char *out = NULL;

	for (size_t i = 0; i < size; i++)
		big[i] = (char)(i * 7 + 3);
	out = cl_notify_sanitize_text(big, size, CL_NOTIFY_BODY_MAX, TRUE);
	g_assert_true(g_utf8_validate(out, -1, NULL));
	g_assert_cmpuint(g_utf8_strlen(out, -1), <=, CL_NOTIFY_BODY_MAX);
	g_assert_true(g_str_has_suffix(out, "…"));
	for (const char *p = out; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		g_assert_true(c == '\n' || c >= 0x20);
		g_assert_true(c < 0x7f || c >= 0xa0);
		g_assert_false(c >= 0x202a && c <= 0x202e);
	}
}

static void test_null(void)
{
	g_autofree char *out = cl_notify_sanitize_text(NULL, 10, 10, FALSE);

	g_assert_cmpstr(out, ==, "");
}

static void test_action_key(void)
{
	g_autofree char *empty = cl_notify_sanitize_action_key("", 0);
	g_autofree char *ctl = cl_notify_sanitize_action_key("a\nb", 3);

	g_assert_cmpstr(empty, ==, "default");
	g_assert_cmpstr(ctl, ==, "a b");
}

static void test_timeouts(void)
{
	/* Cages: never sticky, clamped. */
	g_assert_cmpint(cl_notify_effective_timeout(CL_NOTIFY_ORIGIN_CAGE, 1, -1), ==,
	                CL_NOTIFY_TIMEOUT_DEFAULT_MS);
	g_assert_cmpint(cl_notify_effective_timeout(CL_NOTIFY_ORIGIN_CAGE, 2, -1), ==,
	                CL_NOTIFY_TIMEOUT_CAGE_CRITICAL_MS);
	g_assert_cmpint(cl_notify_effective_timeout(CL_NOTIFY_ORIGIN_CAGE, 2, 0), ==,
	                CL_NOTIFY_TIMEOUT_CAGE_MAX_MS);
	g_assert_cmpint(cl_notify_effective_timeout(CL_NOTIFY_ORIGIN_CAGE, 1, 1), ==,
	                CL_NOTIFY_TIMEOUT_CAGE_MIN_MS);
	g_assert_cmpint(cl_notify_effective_timeout(CL_NOTIFY_ORIGIN_CAGE, 1, G_MAXINT32), ==,
	                CL_NOTIFY_TIMEOUT_CAGE_MAX_MS);
	g_assert_cmpint(cl_notify_effective_timeout(CL_NOTIFY_ORIGIN_CAGE, 1, -7), ==,
	                CL_NOTIFY_TIMEOUT_DEFAULT_MS);
	/* The core may ask for "until dismissed". */
	g_assert_cmpint(cl_notify_effective_timeout(CL_NOTIFY_ORIGIN_CORE, 1, 0), ==, 0);
	g_assert_cmpint(cl_notify_effective_timeout(CL_NOTIFY_ORIGIN_CORE, 2, -1), ==, 0);
	g_assert_cmpint(cl_notify_effective_timeout(CL_NOTIFY_ORIGIN_CORE, 1, 3000), ==, 3000);
	g_assert_cmpint(cl_notify_effective_timeout(CL_NOTIFY_ORIGIN_CORE, 1, G_MAXINT32), ==,
	                CL_NOTIFY_TIMEOUT_CORE_MAX_MS);
	/* Security events stay longer than anything else. */
	g_assert_cmpint(cl_notify_security_timeout(CL_SEVERITY_INFO), >,
	                CL_NOTIFY_TIMEOUT_DEFAULT_MS);
	g_assert_cmpint(cl_notify_security_timeout(CL_SEVERITY_WARNING), >=,
	                CL_NOTIFY_TIMEOUT_CAGE_MAX_MS);
	g_assert_cmpint(cl_notify_security_timeout(CL_SEVERITY_CRITICAL), ==, 0);
}

static void test_severity_category(void)
{
	g_assert_true(cl_notify_severity_is_valid(CL_SEVERITY_INFO));
	g_assert_true(cl_notify_severity_is_valid(CL_SEVERITY_CRITICAL));
	g_assert_false(cl_notify_severity_is_valid("Critical"));
	g_assert_false(cl_notify_severity_is_valid(""));
	g_assert_false(cl_notify_severity_is_valid(NULL));
	g_assert_true(cl_notify_category_is_valid(CL_EVENT_TRANSFER_APPROVED));
	g_assert_true(cl_notify_category_is_valid(CL_EVENT_SERVICE_RESTART));
	g_assert_true(cl_notify_category_is_valid(CL_EVENT_CAGE_SECCOMP));
	g_assert_false(cl_notify_category_is_valid("transfer"));
	g_assert_false(cl_notify_category_is_valid("transfer.approved "));
	g_assert_false(cl_notify_category_is_valid(NULL));
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	g_test_init(&argc, &argv, NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *path = g_strdup_printf("/notify/sanitize/%s", cases[i].name);
		g_test_add_data_func(path, &cases[i], test_case);
	}
	g_test_add_func("/notify/sanitize/huge", test_huge);
	g_test_add_func("/notify/sanitize/null", test_null);
	g_test_add_func("/notify/sanitize/action-key", test_action_key);
	g_test_add_func("/notify/timeouts", test_timeouts);
	g_test_add_func("/notify/severity-category", test_severity_category);
	return g_test_run();
}
