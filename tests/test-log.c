/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <glib.h>

#include "log.h"
#include "util.h"

#define IDENT "test-log"

/* Redirects stderr into a memory file until capture_end(). */
typedef struct {
	int saved_fd;
	int mem_fd;
} Capture;

static void capture_begin(Capture *c)
{
	fflush(stderr);
	c->mem_fd = memfd_create("test-log-stderr", MFD_CLOEXEC);
	g_assert_cmpint(c->mem_fd, >=, 0);
	c->saved_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	g_assert_cmpint(c->saved_fd, >=, 0);
	g_assert_cmpint(dup2(c->mem_fd, STDERR_FILENO), ==, STDERR_FILENO);
}

/* Restores stderr and returns what was written to it. */
static char *capture_end(Capture *c)
{
	char *data = NULL;
	size_t len = 0;
	g_autofree char *path = NULL;

	fflush(stderr);
	g_assert_cmpint(dup2(c->saved_fd, STDERR_FILENO), ==, STDERR_FILENO);
	c->saved_fd = cl_close(c->saved_fd);

	path = g_strdup_printf("/proc/self/fd/%d", c->mem_fd);
	g_assert_cmpint(cl_read_file_bounded(AT_FDCWD, path, 1 << 20, &data, &len), ==, 0);
	c->mem_fd = cl_close(c->mem_fd);
	g_assert_cmpuint(strlen(data), ==, len);
	return data;
}

static void reset_log(void)
{
	g_unsetenv("CLOISON_LOG_LEVEL");
	cl_log_init(IDENT);
	cl_log_set_journal(0);
}

static void check_escape(const char *in, size_t max, const char *expected)
{
	g_autofree char *out = cl_log_escape(in, max);

	g_assert_cmpstr(out, ==, expected);
}

static void test_escape_plain(void)
{
	check_escape("", 100, "");
	check_escape("hello, world!", 100, "hello, world!");
	check_escape("~ {}|`'\"", 100, "~ {}|`'\"");
	check_escape("été – 日本語 ✓ 😀", 100, "été – 日本語 ✓ 😀");
	check_escape(NULL, 100, "(null)");
}

static void test_escape_controls(void)
{
	check_escape("a\nb", 100, "a\\x0ab");
	check_escape("a\r\nb\tc", 100, "a\\x0d\\x0ab\\x09c");
	check_escape("\x01\x1f", 100, "\\x01\\x1f");
	check_escape("del\x7f", 100, "del\\x7f");
	/* Terminal escape sequences: colour, window title. */
	check_escape("\x1b[31mred\x1b[0m", 100, "\\x1b[31mred\\x1b[0m");
	check_escape("\x1b]0;pwned\x07", 100, "\\x1b]0;pwned\\x07");
	/* C1 controls U+0080-U+009F (U+009B is CSI), encoded as valid UTF-8. */
	check_escape("\xc2\x80", 100, "\\xc2\\x80");
	check_escape("\xc2\x9b"
	             "31m",
	             100, "\\xc2\\x9b31m");
	check_escape("\xc2\x9f", 100, "\\xc2\\x9f");
	check_escape("\xc2\xa0", 100, "\xc2\xa0"); /* NO-BREAK SPACE is printable */
	/* Bidi override, line separator. */
	check_escape("a\xe2\x80\xae"
	             "b",
	             100, "a\\xe2\\x80\\xaeb");
	check_escape("\xe2\x80\xa8", 100, "\\xe2\\x80\\xa8");
}

static void test_escape_backslash(void)
{
	/* Text that looks like an escape must not be confused with one. */
	check_escape("\\", 100, "\\\\");
	check_escape("a\\x1b", 100, "a\\\\x1b");
	check_escape("\\\x1b", 100, "\\\\\\x1b");
}

static void test_escape_invalid_utf8(void)
{
	check_escape("\xff", 100, "\\xff");
	check_escape("a\xfe"
	             "b",
	             100, "a\\xfeb");
	check_escape("\x80", 100, "\\x80"); /* lone continuation */
	check_escape("\xc3", 100, "\\xc3"); /* truncated at the end */
	check_escape("\xc3("
	             "x",
	             100, "\\xc3(x");                /* bad continuation */
	check_escape("\xe6\x97", 100, "\\xe6\\x97"); /* 2 of 3 bytes */
	check_escape("\xc0\xaf", 100, "\\xc0\\xaf"); /* overlong '/' */
	check_escape("\xe0\x80\xaf", 100, "\\xe0\\x80\\xaf");
	check_escape("\xf0\x80\x80\xaf", 100, "\\xf0\\x80\\x80\\xaf");
	check_escape("\xed\xa0\x80", 100, "\\xed\\xa0\\x80");          /* surrogate */
	check_escape("\xf4\x90\x80\x80", 100, "\\xf4\\x90\\x80\\x80"); /* > U+10FFFF */
	check_escape("\xf5\x80\x80\x80", 100, "\\xf5\\x80\\x80\\x80");
	/* A valid character right after an invalid byte survives. */
	check_escape("\xff\xc3\xa9", 100, "\\xffé");
}

static void test_escape_truncate(void)
{
	check_escape("abcdef", 3, "abc…");
	check_escape("abc", 3, "abc");
	check_escape("abc", 0, "…");
	check_escape("", 0, "");
	/* Never split a character: "é" is 2 bytes, "日" 3, "😀" 4. */
	check_escape("aé", 2, "a…");
	check_escape("aé", 3, "aé");
	check_escape("日本", 3, "日…");
	check_escape("日本", 5, "日…");
	check_escape("日本", 6, "日本");
	check_escape("x😀", 4, "x…");
	check_escape("x😀", 5, "x😀");
	/* Invalid bytes count one each. */
	check_escape("\xff\xff\xff", 2, "\\xff\\xff…");
	check_escape("\n\n", 1, "\\x0a…");
}

/* Whatever the input, the output is valid UTF-8 without control characters. */
static void test_escape_random(void)
{
	GRand *rand = g_rand_new_with_seed(20240229);
	int round;

	for (round = 0; round < 2000; round++) {
		char in[64];
		size_t len = (size_t)g_rand_int_range(rand, 0, sizeof(in));
		size_t max = (size_t)g_rand_int_range(rand, 0, 70);
		g_autofree char *out = NULL;
		size_t i;

		for (i = 0; i < len; i++)
			in[i] = (char)g_rand_int_range(rand, 1, 256);
		in[len] = '\0';

		out = cl_log_escape(in, max);
		g_assert_true(g_utf8_validate(out, -1, NULL));
		for (i = 0; out[i]; i++) {
			unsigned char c = (unsigned char)out[i];

			g_assert_true(c >= 0x20 && c != 0x7f);
		}
		/* A truncated result ends with the ellipsis, and only then. */
		if (strlen(in) <= max)
			g_assert_false(g_str_has_suffix(out, "…"));
		else
			g_assert_true(g_str_has_suffix(out, "…"));
	}
	g_rand_free(rand);
}

static void test_level_env(void)
{
	static const struct {
		const char *value;
		int level;
	} cases[] = {
	        {"debug", LOG_DEBUG},   {"DEBUG", LOG_DEBUG},     {"info", LOG_INFO},
	        {"notice", LOG_NOTICE}, {"warning", LOG_WARNING}, {"warn", LOG_WARNING},
	        {"error", LOG_ERR},     {"err", LOG_ERR},         {"crit", LOG_CRIT},
	        {"alert", LOG_ALERT},   {"emerg", LOG_EMERG},     {"0", LOG_EMERG},
	        {"3", LOG_ERR},         {"7", LOG_DEBUG},         {"", LOG_INFO},
	};
	size_t i;

	g_unsetenv("CLOISON_LOG_LEVEL");
	cl_log_init(IDENT);
	g_assert_cmpint(cl_log_get_max_level(), ==, LOG_INFO);

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		Capture c;
		g_autofree char *out = NULL;

		g_test_message("CLOISON_LOG_LEVEL=%s", cases[i].value);
		g_setenv("CLOISON_LOG_LEVEL", cases[i].value, TRUE);
		capture_begin(&c);
		cl_log_init(IDENT);
		out = capture_end(&c);
		g_assert_cmpint(cl_log_get_max_level(), ==, cases[i].level);
		g_assert_cmpstr(out, ==, "");
	}
	g_unsetenv("CLOISON_LOG_LEVEL");
}

static void test_level_env_invalid(void)
{
	static const char *const values[] = {"8",     "-1", "verbose",
	                                     " info", "3x", "99999999999999999999"};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(values); i++) {
		Capture c;
		g_autofree char *out = NULL;

		g_test_message("CLOISON_LOG_LEVEL=%s", values[i]);
		/* Start from a non-default level: a bad value resets to info. */
		g_setenv("CLOISON_LOG_LEVEL", "debug", TRUE);
		cl_log_init(IDENT);
		g_assert_cmpint(cl_log_get_max_level(), ==, LOG_DEBUG);

		g_setenv("CLOISON_LOG_LEVEL", values[i], TRUE);
		capture_begin(&c);
		cl_log_init(IDENT);
		out = capture_end(&c);
		g_assert_cmpint(cl_log_get_max_level(), ==, LOG_INFO);
		g_assert_true(
		        g_str_has_prefix(out, IDENT ": warning: Ignoring CLOISON_LOG_LEVEL="));
		g_assert_nonnull(strstr(out, "expected error, warning, notice, info, debug"));
		g_assert_true(g_str_has_suffix(out, "\n"));
		g_assert_true(strchr(out, '\n') == out + strlen(out) - 1);
	}
	g_unsetenv("CLOISON_LOG_LEVEL");
}

static void test_level_set(void)
{
	reset_log();
	cl_log_set_max_level(LOG_DEBUG);
	g_assert_cmpint(cl_log_get_max_level(), ==, LOG_DEBUG);
	cl_log_set_max_level(LOG_ERR);
	g_assert_cmpint(cl_log_get_max_level(), ==, LOG_ERR);
	cl_log_set_max_level(42);
	g_assert_cmpint(cl_log_get_max_level(), ==, LOG_DEBUG);
	cl_log_set_max_level(-3);
	g_assert_cmpint(cl_log_get_max_level(), ==, LOG_EMERG);
}

static void test_line_format(void)
{
	Capture c;
	g_autofree char *out = NULL;

	reset_log();
	cl_log_set_max_level(LOG_DEBUG);
	capture_begin(&c);
	cl_info("hello %d", 42);
	cl_error("bad %s", "thing");
	cl_warn("careful");
	cl_notice("note");
	cl_debug("details");
	cl_log(LOG_CRIT, "critical");
	out = capture_end(&c);

	g_assert_cmpstr(out, ==,
	                IDENT ": info: hello 42\n" IDENT ": error: bad thing\n" IDENT
	                      ": warning: careful\n" IDENT ": notice: note\n" IDENT
	                      ": debug: details\n" IDENT ": critical: critical\n");
}

static void test_line_filter(void)
{
	Capture c;
	g_autofree char *out = NULL;

	reset_log();
	cl_log_set_max_level(LOG_WARNING);
	capture_begin(&c);
	cl_debug("not shown");
	cl_info("not shown");
	cl_notice("not shown");
	cl_warn("shown");
	cl_error("shown too");
	out = capture_end(&c);

	g_assert_cmpstr(out, ==, IDENT ": warning: shown\n" IDENT ": error: shown too\n");
}

static void test_line_hostile(void)
{
	Capture c;
	g_autofree char *out = NULL;

	reset_log();
	capture_begin(&c);
	cl_info("window title \"%s\"", "x\n" IDENT ": error: forged\x1b]0;t\x07\xff");
	out = capture_end(&c);

	/* One line: the forged line and the escape sequence are defused. */
	g_assert_cmpstr(out, ==,
	                IDENT ": info: window title \"x\\x0a" IDENT
	                      ": error: forged\\x1b]0;t\\x07\\xff\"\n");
}

static void test_line_long(void)
{
	Capture c;
	g_autofree char *out = NULL;
	g_autofree char *big = g_strnfill(100000, 'a');

	reset_log();
	capture_begin(&c);
	cl_info("%s", big);
	out = capture_end(&c);

	/* Truncated, still one line. */
	g_assert_true(g_str_has_prefix(out, IDENT ": info: aaaa"));
	g_assert_true(g_str_has_suffix(out, "a…\n"));
	g_assert_cmpuint(strlen(out), <, 20000);
	g_assert_true(strchr(out, '\n') == out + strlen(out) - 1);
}

static void test_errno(void)
{
	Capture c;
	g_autofree char *out = NULL;
	g_autofree char *expected = NULL;
	int r;

	reset_log();
	capture_begin(&c);
	errno = EDOM;
	r = cl_log_errno(LOG_ERR, ENOENT, "Cannot open %s", "foo.conf");
	g_assert_cmpint(r, ==, -ENOENT);
	g_assert_cmpint(errno, ==, EDOM);
	r = cl_log_errno(LOG_WARNING, -EACCES, "Cannot read");
	g_assert_cmpint(r, ==, -EACCES);
	/* Filtered out, but the value is still returned. */
	r = cl_log_errno(LOG_DEBUG, EPERM, "hidden");
	g_assert_cmpint(r, ==, -EPERM);
	out = capture_end(&c);

	expected = g_strdup_printf(IDENT ": error: Cannot open foo.conf: %s\n" IDENT
	                                 ": warning: Cannot read: %s\n",
	                           g_strerror(ENOENT), g_strerror(EACCES));
	g_assert_cmpstr(out, ==, expected);
}

static void test_errno_preserved(void)
{
	Capture c;
	g_autofree char *out = NULL;

	reset_log();
	capture_begin(&c);
	errno = ERANGE;
	cl_info("x");
	g_assert_cmpint(errno, ==, ERANGE);
	cl_debug("y");
	g_assert_cmpint(errno, ==, ERANGE);
	out = capture_end(&c);
	g_assert_cmpstr(out, ==, IDENT ": info: x\n");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/log/escape/plain", test_escape_plain);
	g_test_add_func("/log/escape/controls", test_escape_controls);
	g_test_add_func("/log/escape/backslash", test_escape_backslash);
	g_test_add_func("/log/escape/invalid-utf8", test_escape_invalid_utf8);
	g_test_add_func("/log/escape/truncate", test_escape_truncate);
	g_test_add_func("/log/escape/random", test_escape_random);
	g_test_add_func("/log/level/env", test_level_env);
	g_test_add_func("/log/level/env-invalid", test_level_env_invalid);
	g_test_add_func("/log/level/set", test_level_set);
	g_test_add_func("/log/line/format", test_line_format);
	g_test_add_func("/log/line/filter", test_line_filter);
	g_test_add_func("/log/line/hostile", test_line_hostile);
	g_test_add_func("/log/line/long", test_line_long);
	g_test_add_func("/log/errno/message", test_errno);
	g_test_add_func("/log/errno/preserved", test_errno_preserved);

	return g_test_run();
}
