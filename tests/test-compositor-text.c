/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests of the compositor's pure text functions (cl_sanitize_title). */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

static void check(const char *in, size_t max, const char *expected)
{
	char *out = cl_sanitize_title(in, max);

	g_assert_nonnull(out);
	g_assert_cmpstr(out, ==, expected);
	g_assert_true(g_utf8_validate(out, -1, NULL));
	free(out);
}

static void test_plain(void)
{
	check(NULL, 256, "");
	check("", 256, "");
	check("Hello, world", 256, "Hello, world");
	check("Café — 日本語 🙂", 256, "Café — 日本語 🙂");
	check("anything", 0, "");
}

static void test_invalid_utf8(void)
{
	/*
	 * A lone byte, a truncated sequence, an overlong form, a surrogate:
	 * one U+FFFD for a bad lead byte and the continuation bytes after it.
	 */
	check("a\xff"
	      "b",
	      256,
	      "a\xef\xbf\xbd"
	      "b");
	check("a\xe2\x82", 256, "a\xef\xbf\xbd");
	check("\xc0\xaf", 256, "\xef\xbf\xbd");
	check("\xed\xa0\x80x", 256, "\xef\xbf\xbdx");
	check("\xf4\x90\x80\x80", 256, "\xef\xbf\xbd");
	check("\xf8\x88\x80\x80\x80", 256, "\xef\xbf\xbd");
}

static void test_controls(void)
{
	/* C0 and C1 controls, line and paragraph separators: replaced. */
	check("a\nb\tc\x07", 256,
	      "a\xef\xbf\xbd"
	      "b\xef\xbf\xbd"
	      "c\xef\xbf\xbd");
	check("\x1b[31mred", 256, "\xef\xbf\xbd[31mred");
	check("x\xc2\x85y", 256, "x\xef\xbf\xbdy");
	check("x\xe2\x80\xa8y\xe2\x80\xa9", 256, "x\xef\xbf\xbdy\xef\xbf\xbd");
	check("\x7f", 256, "\xef\xbf\xbd");
}

static void test_bidi_and_format(void)
{
	/* Bidi overrides, embeddings, isolates and marks: visibly replaced. */
	check("gpj.\xe2\x80\xae"
	      "exe",
	      256,
	      "gpj.\xef\xbf\xbd"
	      "exe");
	check("\xe2\x81\xa6x\xe2\x81\xa9", 256, "\xef\xbf\xbdx\xef\xbf\xbd");
	check("a\xe2\x80\x8f", 256, "a\xef\xbf\xbd");
	/* Other invisible format characters are dropped. */
	check("a\xe2\x80\x8b"
	      "b",
	      256, "ab"); /* zero-width space */
	check("a\xc2\xad"
	      "b",
	      256, "ab");                         /* soft hyphen */
	check("\xef\xbb\xbfTitle", 256, "Title"); /* byte order mark */
	check("x\xf3\xa0\x80\x81y", 256, "xy");   /* language tag */
}

static void test_cap(void)
{
	char in[1024];
	char *out;

	memset(in, 'a', 300);
	in[300] = '\0';
	out = cl_sanitize_title(in, 256);
	g_assert_cmpuint(g_utf8_strlen(out, -1), ==, 256);
	g_assert_true(g_str_has_suffix(out, "a\xe2\x80\xa6"));
	free(out);

	/* Exactly at the cap: unchanged. */
	in[256] = '\0';
	out = cl_sanitize_title(in, 256);
	g_assert_cmpstr(out, ==, in);
	free(out);

	/* Characters, not bytes. */
	out = cl_sanitize_title("éééé", 3);
	g_assert_cmpstr(out, ==, "éé…");
	free(out);
	check("ab", 1, "…");
	check("abc", 3, "abc");
}

static void test_combining(void)
{
	GString *s = g_string_new("e");
	int i;

	for (i = 0; i < 20; i++)
		g_string_append(s, "\xcc\x81"); /* U+0301 */
	g_string_append(s, "x");
	check(s->str, 256, "e\xcc\x81\xcc\x81\xcc\x81x");
	g_string_free(s, TRUE);
}

static void test_fuzz(void)
{
	GRand *rand = g_rand_new_with_seed(42);
	int n;

	for (n = 0; n < 2000; n++) {
		char buf[64];
		size_t len = (size_t)g_rand_int_range(rand, 0, (int)sizeof(buf));
		size_t i;
		char *out;
		const char *p;

		for (i = 0; i < len; i++)
			buf[i] = (char)g_rand_int_range(rand, 1, 256);
		buf[len] = '\0';
		out = cl_sanitize_title(buf, 16);
		g_assert_nonnull(out);
		g_assert_true(g_utf8_validate(out, -1, NULL));
		g_assert_cmpuint(g_utf8_strlen(out, -1), <=, 16);
		for (p = out; *p; p = g_utf8_next_char(p)) {
			gunichar c = g_utf8_get_char(p);
			GUnicodeType t = g_unichar_type(c);

			g_assert_true(t != G_UNICODE_CONTROL && t != G_UNICODE_FORMAT &&
			              t != G_UNICODE_LINE_SEPARATOR &&
			              t != G_UNICODE_PARAGRAPH_SEPARATOR);
		}
		free(out);
	}
	g_rand_free(rand);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/compositor/title/plain", test_plain);
	g_test_add_func("/compositor/title/invalid-utf8", test_invalid_utf8);
	g_test_add_func("/compositor/title/controls", test_controls);
	g_test_add_func("/compositor/title/bidi-and-format", test_bidi_and_format);
	g_test_add_func("/compositor/title/cap", test_cap);
	g_test_add_func("/compositor/title/combining", test_combining);
	g_test_add_func("/compositor/title/fuzz", test_fuzz);
	return g_test_run();
}
