/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests of transfer/names.c: sanitising hostile names, collision names. */
#include "cloison-build-config.h"

#include <glib.h>
#include <locale.h>
#include <stdbool.h>
#include <string.h>

#include "names.h"

typedef struct {
	const char *name;
	const char *raw;
	const char *expected;
} Case;

static const Case cases[] = {
        {"plain", "report.pdf", "report.pdf"},
        {"path", "/home/user/Documents/report.pdf", "report.pdf"},
        {"trailing-slash", "dir/sub/", "sub"},
        {"only-slashes", "///", CL_NAME_FALLBACK},
        {"empty", "", CL_NAME_FALLBACK},
        {"dot", ".", CL_NAME_FALLBACK},
        {"dotdot", "..", CL_NAME_FALLBACK},
        {"dotdot-path", "a/..", CL_NAME_FALLBACK},
        {"dotfile", ".bashrc", "bashrc"},
        {"dots-and-spaces", " . .profile ", "profile"},
        {"newline", "a\nb.txt", "a_b.txt"},
        {"cr-tab", "a\rb\tc", "a_b_c"},
        {"del",
         "a\x7f"
         "b",
         "a_b"},
        {"c1",
         "a\xc2\x85"
         "b\xc2\x9b"
         "c",
         "a_b_c"},
        {"bidi-override",
         "invoice\xe2\x80\xae"
         "fdp.exe",
         "invoice_fdp.exe"},
        {"bidi-isolate", "\xe2\x81\xa6x\xe2\x81\xa9", "_x_"},
        {"zero-width", "pay\xe2\x80\x8bpal\xe2\x80\x8d.txt", "pay_pal_.txt"},
        {"hangul-filler", "a\xe3\x85\xa4.pdf", "a_.pdf"},
        {"variation-selector", "x\xef\xb8\x8f", "x_"},
        {"tag-character", "x\xf3\xa0\x80\x81", "x_"},
        {"combining-grapheme-joiner", "x\xcd\x8fy", "x_y"},
        {"bom", "\xef\xbb\xbfname", "_name"},
        {"line-separator",
         "a\xe2\x80\xa8"
         "b\xe2\x80\xa9"
         "c",
         "a_b_c"},
        {"noncharacter", "a\xef\xbf\xbf", "a_"},
        {"invalid-utf8", "caf\xe9.txt", "caf_.txt"},
        {"overlong-utf8",
         "\xc0\xaf"
         "etc",
         "__etc"},
        {"surrogate-utf8", "\xed\xa0\x80x", "___x"},
        {"truncated-utf8", "ab\xe2\x82", "ab__"},
        {"spaces", "  my file.txt  ", "my file.txt"},
        {"nbsp-edges", "\xc2\xa0x\xe3\x80\x80", "x"},
        {"only-spaces", "   ", CL_NAME_FALLBACK},
        {"only-forbidden", "\n", "_"},
        {"unicode-kept", "r\xc3\xa9sum\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac.odt",
         "r\xc3\xa9sum\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac.odt"},
        {"backslash-kept", "a\\b", "a\\b"},
};

static void test_case(gconstpointer data)
{
	const Case *c = data;
	g_autofree char *got = cl_name_sanitize(c->raw);

	g_assert_cmpstr(got, ==, c->expected);
	g_autofree char *again = cl_name_sanitize(got);
	g_assert_cmpstr(again, ==, got);
}

static void test_null(void)
{
	g_autofree char *got = cl_name_sanitize(NULL);
	g_assert_cmpstr(got, ==, CL_NAME_FALLBACK);
}

static void test_long_ascii(void)
{
	g_autofree char *raw = g_strnfill(4000, 'a');
	g_autofree char *got = cl_name_sanitize(raw);

	g_assert_cmpuint(strlen(got), ==, CL_NAME_MAX_BYTES);
	g_assert_true(strspn(got, "a") == CL_NAME_MAX_BYTES);
}

static void test_long_keeps_extension(void)
{
	g_autofree char *stem = g_strnfill(300, 'x');
	g_autofree char *raw = g_strconcat(stem, ".pdf", NULL);
	g_autofree char *got = cl_name_sanitize(raw);

	g_assert_cmpuint(strlen(got), ==, CL_NAME_MAX_BYTES);
	g_assert_true(g_str_has_suffix(got, "xx.pdf"));

	/* A long "extension" is not one: plain truncation. */
	g_autofree char *ext = g_strnfill(40, 'e');
	g_autofree char *raw2 = g_strconcat(stem, ".", ext, NULL);
	g_autofree char *got2 = cl_name_sanitize(raw2);
	g_assert_cmpuint(strlen(got2), ==, CL_NAME_MAX_BYTES);
	g_assert_true(strspn(got2, "x") == CL_NAME_MAX_BYTES);
}

static void test_long_multibyte(void)
{
	/* 4 KiB of "é" (2 bytes): 255 is odd, so the cut must go back one byte. */
	GString *raw = g_string_new(NULL);
	for (int i = 0; i < 2048; i++)
		g_string_append(raw, "\xc3\xa9");
	g_autofree char *got = cl_name_sanitize(raw->str);

	g_assert_cmpuint(strlen(got), ==, 254);
	g_assert_true(g_utf8_validate(got, -1, NULL));

	/* With an extension, the stem is cut at a character boundary. */
	g_string_append(raw, ".txt");
	g_autofree char *raw_tail = g_strdup(raw->str + raw->len - 600);
	g_autofree char *got2 = cl_name_sanitize(raw_tail);
	g_assert_cmpuint(strlen(got2), <=, CL_NAME_MAX_BYTES);
	g_assert_true(g_utf8_validate(got2, -1, NULL));
	g_assert_true(g_str_has_suffix(got2, "\xc3\xa9.txt"));
	g_string_free(raw, true);

	/* 4-byte characters. */
	GString *emoji = g_string_new(NULL);
	for (int i = 0; i < 100; i++)
		g_string_append(emoji, "\xf0\x9f\x98\x80");
	g_autofree char *got3 = cl_name_sanitize(emoji->str);
	g_assert_cmpuint(strlen(got3), ==, 252);
	g_assert_true(g_utf8_validate(got3, -1, NULL));
	g_string_free(emoji, true);
}

static void test_only_first_4k_read(void)
{
	/* Beyond 4096 bytes nothing is looked at, not even a later '/'. */
	g_autofree char *a = g_strnfill(4096, 'a');
	g_autofree char *raw = g_strconcat(a, "/evil", NULL);
	g_autofree char *got = cl_name_sanitize(raw);
	g_assert_cmpuint(strlen(got), ==, CL_NAME_MAX_BYTES);
	g_assert_null(strchr(got, '/'));
}

static void test_truncation_trailing_space(void)
{
	/* A cut that lands just after a space must not leave a trailing space. */
	g_autofree char *a = g_strnfill(254, 'a');
	g_autofree char *raw = g_strconcat(a, " bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", NULL);
	g_autofree char *got = cl_name_sanitize(raw);
	g_assert_cmpuint(strlen(got), ==, 254);
	g_assert_false(g_str_has_suffix(got, " "));
}

static void check_candidate(const char *name, unsigned n, const char *expected)
{
	g_autofree char *got = cl_name_candidate(name, n);
	g_assert_cmpstr(got, ==, expected);
}

static void test_candidates(void)
{
	check_candidate("report.pdf", 1, "report.pdf");
	check_candidate("report.pdf", 2, "report (2).pdf");
	check_candidate("report.pdf", 10, "report (10).pdf");
	check_candidate("README", 2, "README (2)");
	check_candidate("archive.tar.gz", 3, "archive.tar (3).gz");
	check_candidate("name.", 2, "name. (2)");
	check_candidate("x.averyveryverylongext", 2, "x.averyveryverylongext (2)");
	check_candidate("x.sixteenbyteext", 2, "x (2).sixteenbyteext");
	/* A former dotfile after sanitising has no extension. */
	g_autofree char *bashrc = cl_name_sanitize(".bashrc");
	check_candidate(bashrc, 2, "bashrc (2)");
	g_autofree char *tgz = cl_name_sanitize(".tar.gz");
	check_candidate(tgz, 2, "tar (2).gz");
	check_candidate(CL_NAME_FALLBACK, 2, CL_NAME_FALLBACK " (2)");
}

static void test_candidate_limit(void)
{
	g_autofree char *stem = g_strnfill(251, 'n');
	g_autofree char *name = g_strconcat(stem, ".odt", NULL);
	g_assert_cmpuint(strlen(name), ==, CL_NAME_MAX_BYTES);

	for (unsigned n = 1; n <= 1000; n++) {
		g_autofree char *c = cl_name_candidate(name, n);
		g_autofree char *next = cl_name_candidate(name, n + 1);
		g_assert_cmpuint(strlen(c), <=, CL_NAME_MAX_BYTES);
		g_assert_true(g_str_has_suffix(c, ".odt"));
		g_assert_cmpstr(c, !=, next);
	}
	g_autofree char *c1000 = cl_name_candidate(name, 1000);
	g_assert_cmpuint(strlen(c1000), ==, CL_NAME_MAX_BYTES);
	g_assert_true(g_str_has_suffix(c1000, "n (1000).odt"));
	g_autofree char *cmax = cl_name_candidate(name, G_MAXUINT);
	g_assert_cmpuint(strlen(cmax), <=, CL_NAME_MAX_BYTES);

	/* A maximal name already ending in " (2)": candidate 2 must differ. */
	g_autofree char *stem2 = g_strnfill(CL_NAME_MAX_BYTES - 8, 's');
	g_autofree char *taken = g_strconcat(stem2, " (2).txt", NULL);
	g_assert_cmpuint(strlen(taken), ==, CL_NAME_MAX_BYTES);
	g_autofree char *t1 = cl_name_candidate(taken, 1);
	g_autofree char *t2 = cl_name_candidate(taken, 2);
	g_autofree char *t3 = cl_name_candidate(taken, 3);
	g_assert_cmpstr(t1, ==, taken);
	g_assert_cmpstr(t2, !=, taken);
	g_assert_cmpstr(t2, !=, t3);
	g_assert_true(g_str_has_suffix(t2, "s (2).txt"));
	g_assert_cmpuint(strlen(t2), <=, CL_NAME_MAX_BYTES);

	/* The stem is shortened at a character boundary. */
	GString *wide = g_string_new(NULL);
	for (int i = 0; i < 127; i++)
		g_string_append(wide, "\xc3\xa9");
	g_assert_cmpuint(wide->len, ==, 254);
	g_autofree char *w = cl_name_candidate(wide->str, 2);
	g_assert_cmpuint(strlen(w), <=, CL_NAME_MAX_BYTES);
	g_assert_true(g_utf8_validate(w, -1, NULL));
	g_assert_true(g_str_has_suffix(w, "\xc3\xa9 (2)"));
	g_string_free(wide, true);
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	g_test_init(&argc, &argv, NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *path =
		        g_strdup_printf("/transfer/names/sanitize/%s", cases[i].name);
		g_test_add_data_func(path, &cases[i], test_case);
	}
	g_test_add_func("/transfer/names/sanitize/null", test_null);
	g_test_add_func("/transfer/names/sanitize/long-ascii", test_long_ascii);
	g_test_add_func("/transfer/names/sanitize/long-extension", test_long_keeps_extension);
	g_test_add_func("/transfer/names/sanitize/long-multibyte", test_long_multibyte);
	g_test_add_func("/transfer/names/sanitize/only-first-4k", test_only_first_4k_read);
	g_test_add_func("/transfer/names/sanitize/cut-space", test_truncation_trailing_space);
	g_test_add_func("/transfer/names/candidate/basic", test_candidates);
	g_test_add_func("/transfer/names/candidate/limit", test_candidate_limit);
	return g_test_run();
}
