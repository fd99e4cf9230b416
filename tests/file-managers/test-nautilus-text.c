/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Nautilus extension's text helpers (file-managers/nautilus/text.h). */
#include <glib.h>
#include <string.h>

#include "text.h"

static void check_clean(const char *raw, size_t len, const char *want)
{
	g_autofree char *got = cl_origin_clean(raw, len);

	g_assert_cmpstr(got, ==, want);
	if (got)
		g_assert_true(g_utf8_validate(got, -1, NULL));
}

static void test_origin_plain(void)
{
	check_clean("low (low)", 9, "low (low)");
	/* Not NUL-terminated: only len bytes count. */
	check_clean("low (low)XYZ", 9, "low (low)");
	check_clean("  high (secret)  ", 17, "high (secret)");
	check_clean("bas (Bas niveau é)", strlen("bas (Bas niveau é)"), "bas (Bas niveau é)");
}

static void test_origin_hostile(void)
{
	/* Control characters: new lines, escape sequences, tabs, DEL. */
	check_clean("low\n(low)\x1b[31m\t\x7f", 16, "low(low)[31m");
	/* Bidi overrides and zero-width characters (format characters). */
	check_clean("low \xe2\x80\xae(wol)\xe2\x80\x8b", 15, "low (wol)");
	/* Invalid UTF-8 is replaced, never passed on. */
	check_clean("low \xff\xfe (low)", 12, "low \xef\xbf\xbd\xef\xbf\xbd (low)");
	/* An embedded NUL ends the text. */
	check_clean("low\0hidden", 10, "low");
}

static void test_origin_empty_or_long(void)
{
	char big[CL_ORIGIN_MAX + 1];

	check_clean(NULL, 0, NULL);
	check_clean("", 0, NULL);
	check_clean("\n\t  \x1b", 5, NULL);
	memset(big, 'a', sizeof(big));
	check_clean(big, CL_ORIGIN_MAX + 1, NULL);
	{
		g_autofree char *got = cl_origin_clean(big, CL_ORIGIN_MAX);

		g_assert_nonnull(got);
		g_assert_cmpuint(strlen(got), ==, CL_ORIGIN_MAX);
	}
}

static void test_menu_escape(void)
{
	g_autofree char *a = cl_menu_escape("High — high");
	g_autofree char *b = cl_menu_escape("Top_Secret — top_secret_2");
	g_autofree char *c = cl_menu_escape("__");
	g_autofree char *d = cl_menu_escape("");

	g_assert_cmpstr(a, ==, "High — high");
	g_assert_cmpstr(b, ==, "Top__Secret — top__secret__2");
	g_assert_cmpstr(c, ==, "____");
	g_assert_cmpstr(d, ==, "");
}

static void test_item_name(void)
{
	g_autofree char *name = cl_menu_item_name("move", "high-2");

	g_assert_cmpstr(name, ==, "CloisonNautilus::move-high-2");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/nautilus/origin/plain", test_origin_plain);
	g_test_add_func("/nautilus/origin/hostile", test_origin_hostile);
	g_test_add_func("/nautilus/origin/empty-or-long", test_origin_empty_or_long);
	g_test_add_func("/nautilus/menu/escape", test_menu_escape);
	g_test_add_func("/nautilus/menu/item-name", test_item_name);
	return g_test_run();
}
