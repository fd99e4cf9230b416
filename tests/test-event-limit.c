/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>

#include "event-limit.h"

#define W 1000u /* window, µs */

typedef struct {
	GString *seen;
} Summaries;

static void on_summary(const char *cage, const char *category, unsigned count, void *userdata)
{
	Summaries *s = userdata;

	g_string_append_printf(s->seen, "%s/%s:%u;", cage, category, count);
}

static void test_first_passes_rest_counted(void)
{
	g_autoptr(ClEventLimit) l = cl_event_limit_new(W);
	Summaries s = {g_string_new(NULL)};

	g_assert_cmpuint(cl_event_limit_next(l), ==, 0);
	g_assert_true(cl_event_limit_admit(l, "alpha", "x", 100));
	g_assert_cmpuint(cl_event_limit_next(l), ==, 100 + W);
	/* Other keys have their own windows. */
	g_assert_true(cl_event_limit_admit(l, "beta", "x", 150));
	g_assert_true(cl_event_limit_admit(l, "alpha", "y", 150));
	for (unsigned i = 0; i < 500; i++)
		g_assert_false(cl_event_limit_admit(l, "alpha", "x", 200 + i));
	g_assert_false(cl_event_limit_admit(l, "beta", "x", 300));

	/* Nothing is over yet. */
	cl_event_limit_flush(l, 100 + W - 1, on_summary, &s);
	g_assert_cmpstr(s.seen->str, ==, "");
	/* alpha/x ends with 500 counted: one summary and a new window. */
	cl_event_limit_flush(l, 100 + W, on_summary, &s);
	g_assert_cmpstr(s.seen->str, ==, "alpha/x:500;");
	g_assert_false(cl_event_limit_admit(l, "alpha", "x", 100 + W + 1));
	g_string_truncate(s.seen, 0);
	cl_event_limit_flush(l, 150 + W, on_summary, &s);
	g_assert_cmpstr(s.seen->str, ==, "beta/x:1;");
	g_string_truncate(s.seen, 0);
	/* A quiet window forgets its key: the next event passes at once. */
	cl_event_limit_flush(l, 10 * W, on_summary, &s);
	g_assert_cmpstr(s.seen->str, ==, "alpha/x:1;");
	g_string_truncate(s.seen, 0);
	cl_event_limit_flush(l, 20 * W, on_summary, &s);
	g_assert_cmpstr(s.seen->str, ==, "");
	g_assert_cmpuint(cl_event_limit_next(l), ==, 0);
	g_assert_true(cl_event_limit_admit(l, "alpha", "x", 20 * W + 1));
	g_string_free(s.seen, TRUE);
}

static void test_late_flush_keeps_count(void)
{
	g_autoptr(ClEventLimit) l = cl_event_limit_new(W);
	Summaries s = {g_string_new(NULL)};

	g_assert_true(cl_event_limit_admit(l, "", "c", 0));
	g_assert_false(cl_event_limit_admit(l, "", "c", 10));
	/* The window is over but its summary was not sent: still counted. */
	g_assert_false(cl_event_limit_admit(l, "", "c", 5 * W));
	cl_event_limit_flush(l, 5 * W, on_summary, &s);
	g_assert_cmpstr(s.seen->str, ==, "/c:2;");
	/* A window that ended quietly lets the next event through. */
	g_assert_true(cl_event_limit_admit(l, "", "c", 7 * W));
	g_string_free(s.seen, TRUE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/event-limit/coalesce", test_first_passes_rest_counted);
	g_test_add_func("/event-limit/late-flush", test_late_flush_keeps_count);
	return g_test_run();
}
