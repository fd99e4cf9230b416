/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cloison-build-config.h"

#include <locale.h>
#include <string.h>

#include "policy.h"

static const char policy_conf[] =
        "[level low]\nlabel=Low\ncolour=#00ff00\nrank=0\n"
        "[level mid]\nlabel=Mid\ncolour=#0000ff\nrank=5\n"
        "[level high]\nlabel=High\ncolour=#ff0000\nrank=10\n"
        "[cage low1]\nlevel=low\n[cage low2]\nlevel=low\n"
        "[cage mid]\nlevel=mid\n[cage high]\nlevel=high\n"
        "[transfer low high]\naction=ask\ntypes=*/*\nmax-size=1MiB\n"
        "[transfer low mid]\naction=ask\ntypes=image/*;application/pdf\n"
        "[transfer high low]\naction=ask-declassify\ntypes=text/plain\nmax-size=10\n"
        "require-reason=true\n"
        "[transfer mid low]\naction=deny\n"
        "[transfer low low]\naction=ask\ntypes=text/*\n";

static ClConfig *load(void)
{
	g_autoptr(GError) error = NULL;
	ClConfig *config = cl_config_load_data(policy_conf, strlen(policy_conf), "p.conf", &error);

	g_assert_no_error(error);
	return config;
}

typedef struct {
	const char *name;
	const char *src, *dst, *type;
	uint64_t size;
	ClAction action;
	ClDirection direction;
	const char *needle;
} Case;

static const Case cases[] = {
        {"up-ask", "low1", "high", "application/x-anything", 100, CL_ACTION_ASK, CL_DIRECTION_UP,
         "needs the user's confirmation"},
        {"up-at-limit", "low1", "high", "text/plain", 1 << 20, CL_ACTION_ASK, CL_DIRECTION_UP,
         NULL},
        {"up-over-limit", "low1", "high", "text/plain", (1 << 20) + 1, CL_ACTION_DENY,
         CL_DIRECTION_UP, "larger than the limit of 1MiB"},
        {"up-glob", "low1", "mid", "image/png", 5, CL_ACTION_ASK, CL_DIRECTION_UP, NULL},
        {"up-glob-case", "low1", "mid", "IMAGE/PNG", 5, CL_ACTION_ASK, CL_DIRECTION_UP, NULL},
        {"up-exact", "low1", "mid", "application/pdf; charset=binary", 5, CL_ACTION_ASK,
         CL_DIRECTION_UP, NULL},
        {"up-type-refused", "low1", "mid", "text/html", 5, CL_ACTION_DENY, CL_DIRECTION_UP,
         "the type text/html is not allowed"},
        {"up-type-prefix-trick", "low1", "mid", "application/pdfx", 5, CL_ACTION_DENY,
         CL_DIRECTION_UP, "application/pdfx"},
        {"up-type-major-trick", "low1", "mid", "imagex/png", 5, CL_ACTION_DENY, CL_DIRECTION_UP,
         NULL},
        {"down-declassify", "high", "low2", "text/plain", 10, CL_ACTION_ASK_DECLASSIFY,
         CL_DIRECTION_DOWN, "declassification"},
        {"down-over-limit", "high", "low2", "text/plain", 11, CL_ACTION_DENY, CL_DIRECTION_DOWN,
         "11 bytes"},
        {"down-type", "high", "low2", "application/pdf", 1, CL_ACTION_DENY, CL_DIRECTION_DOWN,
         "application/pdf"},
        {"down-deny-rule", "mid", "low1", "text/plain", 1, CL_ACTION_DENY, CL_DIRECTION_DOWN,
         "is deny"},
        {"no-rule", "high", "mid", "text/plain", 1, CL_ACTION_DENY, CL_DIRECTION_DOWN, "no rule"},
        {"no-rule-up", "mid", "high", "text/plain", 1, CL_ACTION_DENY, CL_DIRECTION_UP, "no rule"},
        {"same-level", "low1", "low2", "text/csv", 1, CL_ACTION_ASK, CL_DIRECTION_SAME, NULL},
        {"same-cage", "low1", "low1", "text/plain", 1, CL_ACTION_DENY, CL_DIRECTION_SAME,
         "same cage"},
        {"unknown-source", "nope", "high", "text/plain", 1, CL_ACTION_DENY, CL_DIRECTION_SAME,
         "source cage"},
        {"unknown-target", "low1", "nope", "text/plain", 1, CL_ACTION_DENY, CL_DIRECTION_SAME,
         "target cage"},
        {"null-target", "low1", NULL, "text/plain", 1, CL_ACTION_DENY, CL_DIRECTION_SAME,
         "target cage"},
        {"null-type", "low1", "high", NULL, 1, CL_ACTION_DENY, CL_DIRECTION_UP,
         "could not be determined"},
        {"bad-type", "low1", "high", "no slash", 1, CL_ACTION_DENY, CL_DIRECTION_UP,
         "could not be determined"},
        {"bad-type-chars", "low1", "high", "text/pl\nain", 1, CL_ACTION_DENY, CL_DIRECTION_UP,
         "could not be determined"},
        {"max-u64", "low1", "high", "text/plain", UINT64_MAX, CL_ACTION_DENY, CL_DIRECTION_UP,
         "larger"},
};

static void test_case(gconstpointer data)
{
	const Case *c = data;
	g_autoptr(ClConfig) config = load();
	ClDecision d;
	ClAction a;

	a = cl_policy_decide(config, c->src, c->dst, c->type, c->size, &d);
	g_assert_cmpint(a, ==, c->action);
	g_assert_cmpint(d.action, ==, c->action);
	g_assert_cmpint(d.direction, ==, c->direction);
	g_assert_nonnull(d.reason);
	if (c->needle && !strstr(d.reason, c->needle))
		g_error("reason “%s” lacks “%s”", d.reason, c->needle);
	if (a == CL_ACTION_ASK_DECLASSIFY)
		g_assert_true(d.require_reason);
	if (a != CL_ACTION_DENY)
		g_assert_nonnull(d.rule);
	cl_decision_clear(&d);
	g_assert_null(d.reason);
}

static void test_targets(void)
{
	g_autoptr(ClConfig) config = load();
	g_autoptr(GPtrArray) t = NULL;

	t = cl_policy_targets(config, "low1");
	/* low2 (same level, ask), mid, high; never itself */
	g_assert_cmpuint(t->len, ==, 3);
	for (guint i = 0; i < t->len; i++)
		g_assert_cmpstr(((ClCage *)g_ptr_array_index(t, i))->id, !=, "low1");
	g_clear_pointer(&t, g_ptr_array_unref);

	t = cl_policy_targets(config, "mid"); /* mid → low is deny */
	g_assert_cmpuint(t->len, ==, 0);
	g_clear_pointer(&t, g_ptr_array_unref);

	t = cl_policy_targets(config, "high");
	g_assert_cmpuint(t->len, ==, 2);
	g_clear_pointer(&t, g_ptr_array_unref);

	t = cl_policy_targets(config, "unknown");
	g_assert_cmpuint(t->len, ==, 0);
}

static void test_mime(void)
{
	g_autofree char *a = cl_mime_normalize("Text/Plain; charset=us-ascii");
	g_autofree char *b = cl_mime_normalize("application/vnd.oasis.opendocument.text");
	g_autofree char *big = g_strnfill(300, 'a');

	g_assert_cmpstr(a, ==, "text/plain");
	g_assert_cmpstr(b, ==, "application/vnd.oasis.opendocument.text");
	g_assert_null(cl_mime_normalize(""));
	g_assert_null(cl_mime_normalize("text"));
	g_assert_null(cl_mime_normalize("text/"));
	g_assert_null(cl_mime_normalize("/plain"));
	g_assert_null(cl_mime_normalize("text/plain/x"));
	g_assert_null(cl_mime_normalize("te xt/plain"));
	g_assert_null(cl_mime_normalize("*/*"));
	g_assert_null(cl_mime_normalize(big));

	g_assert_true(cl_mime_pattern_is_valid("*/*"));
	g_assert_true(cl_mime_pattern_is_valid("image/*"));
	g_assert_true(cl_mime_pattern_is_valid("image/svg+xml"));
	g_assert_false(cl_mime_pattern_is_valid("*/png"));
	g_assert_false(cl_mime_pattern_is_valid("image/p*"));
	g_assert_false(cl_mime_pattern_is_valid("image"));
	g_assert_false(cl_mime_pattern_is_valid(""));
	g_assert_false(cl_mime_pattern_is_valid("*"));

	g_assert_true(cl_mime_match("*/*", "text/plain"));
	g_assert_true(cl_mime_match("text/*", "text/plain"));
	g_assert_false(cl_mime_match("text/*", "textx/plain"));
	g_assert_false(cl_mime_match("text/*", "text/"));
	g_assert_true(cl_mime_match("text/plain", "text/plain"));
	g_assert_false(cl_mime_match("text/plain", "text/plainx"));
	g_assert_false(cl_mime_match("text/p*", "text/plain"));
	g_assert_false(cl_mime_match(NULL, "text/plain"));
}

static void test_direction(void)
{
	g_autoptr(ClConfig) config = load();
	const ClLevel *low = cl_config_get_level(config, "low");
	const ClLevel *high = cl_config_get_level(config, "high");

	g_assert_cmpint(cl_policy_direction(low, high), ==, CL_DIRECTION_UP);
	g_assert_cmpint(cl_policy_direction(high, low), ==, CL_DIRECTION_DOWN);
	g_assert_cmpint(cl_policy_direction(low, low), ==, CL_DIRECTION_SAME);
	g_assert_cmpstr(cl_direction_to_string(CL_DIRECTION_DOWN), ==, "down");
}

/* The built-in default must do what the foundation issue promises. */
static void test_default_policy(void)
{
	g_autoptr(ClConfig) config = cl_config_load_default();
	ClDecision d;

	g_assert_cmpint(cl_policy_decide(config, "low", "high", "application/zip", 1, &d), ==,
	                CL_ACTION_ASK);
	cl_decision_clear(&d);
	g_assert_cmpint(cl_policy_decide(config, "low", "high", "text/plain", 101 << 20, &d), ==,
	                CL_ACTION_DENY);
	cl_decision_clear(&d);
	g_assert_cmpint(cl_policy_decide(config, "high", "low", "application/zip", 1, &d), ==,
	                CL_ACTION_DENY);
	cl_decision_clear(&d);
	g_assert_cmpint(cl_policy_decide(config, "high", "low", "image/jpeg", 1, &d), ==,
	                CL_ACTION_ASK_DECLASSIFY);
	cl_decision_clear(&d);
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	g_setenv("LANGUAGE", "C", TRUE);
	g_test_init(&argc, &argv, NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *path = g_strdup_printf("/policy/decide/%s", cases[i].name);
		g_test_add_data_func(path, &cases[i], test_case);
	}
	g_test_add_func("/policy/targets", test_targets);
	g_test_add_func("/policy/mime", test_mime);
	g_test_add_func("/policy/direction", test_direction);
	g_test_add_func("/policy/default", test_default_policy);
	return g_test_run();
}
