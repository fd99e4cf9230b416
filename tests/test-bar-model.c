/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The bar's pure logic: session model, prompt validation, approve gate, queue. */
#include <string.h>

#include <glib.h>

#include "model.h"

static const char sha[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void test_model_levels_windows(void)
{
	g_autoptr(ClBarModel) m = cl_bar_model_new();

	g_assert_true(cl_bar_model_set_level(m, "high", "High", 0xcc0000, 20));
	g_assert_true(cl_bar_model_set_level(m, "low", "Low", 0x00aa00, 10));
	g_assert_false(cl_bar_model_set_level(m, "bad id!", "x", 0, 1));
	g_assert_false(cl_bar_model_set_level(m, "big", "x", 0x1000000, 1));
	/* Sorted by rank: low first. */
	g_assert_cmpint(cl_bar_model_level_index(m, "low"), ==, 0);
	g_assert_cmpint(cl_bar_model_level_index(m, "high"), ==, 1);
	g_assert_cmpint(cl_bar_model_level_index(m, "none"), ==, -1);
	/* Changing a level keeps one entry. */
	g_assert_true(cl_bar_model_set_level(m, "low", "Basse", 0x00aa00, 10));
	g_assert_cmpuint(m->levels->len, ==, 2);
	g_assert_cmpstr(cl_bar_model_get_level(m, "low")->label, ==, "Basse");

	g_assert_true(cl_bar_model_set_window(m, 7, "alpha", "low", "Editor", "org.x"));
	g_assert_true(cl_bar_model_set_window(m, 3, "beta", "high", "Mail", "org.y"));
	g_assert_false(cl_bar_model_set_window(m, 0, "beta", "high", "Mail", "org.y"));
	g_assert_cmpuint(((ClBarWindow *)g_ptr_array_index(m->windows, 0))->id, ==, 3);
	g_assert_true(cl_bar_model_set_window(m, 7, "alpha", "low", "Editor 2", "org.x"));
	g_assert_cmpuint(m->windows->len, ==, 2);
	g_assert_cmpstr(cl_bar_model_get_window(m, 7)->title, ==, "Editor 2");
	g_assert_true(cl_bar_model_remove_window(m, 7));
	g_assert_false(cl_bar_model_remove_window(m, 7));
	g_assert_null(cl_bar_model_get_window(m, 7));

	cl_bar_model_set_focus(m, 3, "high");
	g_assert_cmpuint(m->focus, ==, 3);
	g_assert_cmpstr(m->focus_level, ==, "high");
	cl_bar_model_set_focus(m, 0, NULL);
	g_assert_cmpstr(m->focus_level, ==, "");
}

static void test_model_limits(void)
{
	g_autoptr(ClBarModel) m = cl_bar_model_new();
	g_autofree char *huge = g_strnfill(10000, 'x');

	for (int i = 0; i < CL_BAR_MAX_LEVELS; i++) {
		g_autofree char *id = g_strdup_printf("l%d", i);

		g_assert_true(cl_bar_model_set_level(m, id, id, 0, i));
	}
	g_assert_false(cl_bar_model_set_level(m, "one-more", "x", 0, 99));
	for (uint32_t i = 1; i <= CL_BAR_MAX_WINDOWS; i++)
		g_assert_true(cl_bar_model_set_window(m, i, "c", "l0", "t", "a"));
	g_assert_false(cl_bar_model_set_window(m, CL_BAR_MAX_WINDOWS + 1, "c", "l0", "t", "a"));
	/* Long or invalid strings are cut and made valid. */
	g_assert_true(cl_bar_model_set_window(m, 1, "c", "l0", huge, "\xff\xfe"));
	g_assert_cmpuint(strlen(cl_bar_model_get_window(m, 1)->title), <=, CL_BAR_MAX_TEXT);
	g_assert_true(g_utf8_validate(cl_bar_model_get_window(m, 1)->app_id, -1, NULL));
}

static void test_display_text(void)
{
	g_autofree char *a = cl_bar_display_text("ab\ncd\t\xe2\x80\xaeok", 40);
	g_autofree char *b = cl_bar_display_text("abcdefgh", 4);
	g_autofree char *c = cl_bar_display_text("\xff"
	                                         "x",
	                                         10);
	g_autofree char *d = cl_bar_display_text(NULL, 10);
	g_autofree char *e = cl_bar_display_text("éèà", 3);

	/* Newline, tab and the right-to-left override become spaces. */
	g_assert_cmpstr(a, ==, "ab cd  ok");
	g_assert_cmpstr(b, ==, "abc…");
	g_assert_cmpstr(c, ==, "\xef\xbf\xbdx");
	g_assert_cmpstr(d, ==, "");
	g_assert_cmpstr(e, ==, "éèà");
}

static void test_colours_patterns(void)
{
	uint32_t c = 0;

	g_assert_true(cl_bar_parse_colour("#00aa00", &c));
	g_assert_cmphex(c, ==, 0x00aa00);
	g_assert_false(cl_bar_parse_colour("00aa00", &c));
	g_assert_false(cl_bar_parse_colour("#00aa0", &c));
	g_assert_false(cl_bar_parse_colour("#00aa0g", &c));
	g_assert_false(cl_bar_parse_colour(NULL, &c));
	g_assert_cmphex(cl_bar_contrast_colour(0xffff00), ==, 0x000000);
	g_assert_cmphex(cl_bar_contrast_colour(0xcc0000), ==, 0xffffff);
	g_assert_cmphex(cl_bar_contrast_colour(0x000080), ==, 0xffffff);
	/* Neighbouring levels never share a pattern. */
	for (int i = 0; i < 2 * CL_BAR_PATTERN_COUNT; i++)
		g_assert_cmpint(cl_bar_pattern_for_index(i), !=, cl_bar_pattern_for_index(i + 1));
}

static GVariant *details(const char *requested, bool down, bool reason)
{
	GVariantBuilder b, targets;

	g_variant_builder_init(&targets, G_VARIANT_TYPE("a(sssssbb)"));
	g_variant_builder_add(&targets, "(sssssbb)", "beta", "high", "High", "#cc0000", "up", FALSE,
	                      FALSE);
	g_variant_builder_add(&targets, "(sssssbb)", "gamma", "low", "Low", "#00aa00",
	                      down ? "down" : "same", down, reason);
	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "source_cage", g_variant_new_string("alpha"));
	g_variant_builder_add(&b, "{sv}", "source_level", g_variant_new_string("mid"));
	g_variant_builder_add(&b, "{sv}", "source_label", g_variant_new_string("Mid"));
	g_variant_builder_add(&b, "{sv}", "source_colour", g_variant_new_string("#0000cc"));
	g_variant_builder_add(&b, "{sv}", "name", g_variant_new_string("report.pdf"));
	g_variant_builder_add(&b, "{sv}", "size", g_variant_new_uint64(1234));
	g_variant_builder_add(&b, "{sv}", "mime_type", g_variant_new_string("application/pdf"));
	g_variant_builder_add(&b, "{sv}", "sha256", g_variant_new_string(sha));
	g_variant_builder_add(&b, "{sv}", "requested_target", g_variant_new_string(requested));
	g_variant_builder_add(&b, "{sv}", "expires", g_variant_new_uint64(42));
	g_variant_builder_add(&b, "{sv}", "targets", g_variant_builder_end(&targets));
	return g_variant_ref_sink(g_variant_builder_end(&b));
}

/* details with one field replaced. */
static GVariant *details_with(const char *key, GVariant *value)
{
	g_autoptr(GVariant) base = details("", false, false);
	g_autoptr(GVariantDict) dict = g_variant_dict_new(base);

	if (value)
		g_variant_dict_insert_value(dict, key, value);
	else
		g_variant_dict_remove(dict, key);
	return g_variant_ref_sink(g_variant_dict_end(dict));
}

static void test_prompt_parse(void)
{
	g_autoptr(GVariant) d = details("gamma", false, false);
	g_autoptr(GError) error = NULL;
	g_autoptr(ClBarPrompt) p = cl_bar_prompt_new("abc123", d, &error);
	g_autofree char *s = NULL;

	g_assert_no_error(error);
	g_assert_nonnull(p);
	g_assert_cmpstr(p->source_cage, ==, "alpha");
	g_assert_cmphex(p->source_colour, ==, 0x0000cc);
	g_assert_cmpuint(p->size, ==, 1234);
	g_assert_cmpuint(p->expires_us, ==, 42);
	g_assert_cmpuint(p->targets->len, ==, 2);
	g_assert_cmpint(cl_bar_prompt_initial_target(p), ==, 1);
	g_assert_cmpint(cl_bar_prompt_get_target(p, 0)->direction, ==, CL_BAR_DIRECTION_UP);
	g_assert_null(cl_bar_prompt_get_target(p, 2));
	g_assert_null(cl_bar_prompt_get_target(p, -1));
	s = cl_bar_short_sha256(p->sha256);
	g_assert_cmpstr(s, ==, "0123 4567 89ab cdef");
}

static void test_prompt_no_preselection(void)
{
	g_autoptr(GVariant) none = details("", false, false);
	g_autoptr(GVariant) unknown = details("delta", false, false);
	g_autoptr(ClBarPrompt) a = cl_bar_prompt_new("a", none, NULL);
	g_autoptr(ClBarPrompt) b = cl_bar_prompt_new("b", unknown, NULL);

	g_assert_cmpint(cl_bar_prompt_initial_target(a), ==, -1);
	g_assert_cmpint(cl_bar_prompt_initial_target(b), ==, -1);
}

static void expect_invalid(const char *id, GVariant *d, const char *needle)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(ClBarPrompt) p = cl_bar_prompt_new(id, d, &error);

	g_assert_null(p);
	g_assert_error(error, CL_BAR_ERROR, CL_BAR_ERROR_INVALID);
	if (needle && !strstr(error->message, needle))
		g_error("message “%s” does not name %s", error->message, needle);
}

static void test_prompt_invalid(void)
{
	g_autoptr(GVariant) good = details("", false, false);
	g_autoptr(GVariant) no_name = details_with("name", NULL);
	g_autoptr(GVariant) empty_name = details_with("name", g_variant_new_string(""));
	g_autoptr(GVariant) bad_sha = details_with("sha256", g_variant_new_string("ABC"));
	g_autoptr(GVariant) bad_colour = details_with("source_colour", g_variant_new_string("red"));
	g_autoptr(GVariant) bad_cage = details_with("source_cage", g_variant_new_string("../x"));
	g_autoptr(GVariant) wrong_type = details_with("size", g_variant_new_string("12"));
	g_autoptr(GVariant) no_targets =
	        details_with("targets", g_variant_new_array(G_VARIANT_TYPE("(sssssbb)"), NULL, 0));
	g_autoptr(GVariant) bad_direction = details_with(
	        "targets", g_variant_new_parsed("[('b', 'l', 'L', '#000000', 'sideways', false, "
	                                        "false)]"));
	g_autoptr(GVariant) twice = details_with(
	        "targets", g_variant_new_parsed("[('b', 'l', 'L', '#000000', 'up', false, false), "
	                                        "('b', 'l', 'L', '#000000', 'up', false, false)]"));
	g_autofree char *long_name = g_strnfill(CL_BAR_MAX_NAME + 1, 'n');
	g_autoptr(GVariant) too_long = details_with("name", g_variant_new_string(long_name));
	g_autoptr(GVariant) not_dict = g_variant_ref_sink(g_variant_new_string("x"));

	expect_invalid("", good, "id");
	expect_invalid("a/b", good, "id");
	expect_invalid("x", no_name, "name");
	expect_invalid("x", empty_name, "name");
	expect_invalid("x", bad_sha, "sha256");
	expect_invalid("x", bad_colour, "source_colour");
	expect_invalid("x", bad_cage, "source_cage");
	expect_invalid("x", wrong_type, "size");
	expect_invalid("x", no_targets, "targets");
	expect_invalid("x", bad_direction, "direction");
	expect_invalid("x", twice, "twice");
	expect_invalid("x", too_long, "name");
	expect_invalid("x", not_dict, "dictionary");
}

static void test_choice(void)
{
	g_autoptr(GVariant) down = details("", true, true);
	g_autoptr(GVariant) down_no_reason = details("", true, false);
	g_autoptr(ClBarPrompt) p = cl_bar_prompt_new("p", down, NULL);
	g_autoptr(ClBarPrompt) q = cl_bar_prompt_new("q", down_no_reason, NULL);
	g_autofree char *long_reason = g_strnfill(1025, 'r');

	g_assert_false(cl_bar_prompt_choice_ok(p, -1, false, ""));
	g_assert_true(cl_bar_prompt_choice_ok(p, 0, false, ""));
	/* Downward: the box, then a reason. */
	g_assert_false(cl_bar_prompt_choice_ok(p, 1, false, "because"));
	g_assert_false(cl_bar_prompt_choice_ok(p, 1, true, ""));
	g_assert_false(cl_bar_prompt_choice_ok(p, 1, true, "   "));
	g_assert_false(cl_bar_prompt_choice_ok(p, 1, true, "a\nb"));
	g_assert_false(cl_bar_prompt_choice_ok(p, 1, true, long_reason));
	g_assert_true(cl_bar_prompt_choice_ok(p, 1, true, "public release"));
	g_assert_false(cl_bar_prompt_choice_ok(q, 1, false, ""));
	g_assert_true(cl_bar_prompt_choice_ok(q, 1, true, ""));
}

static void test_gate(void)
{
	ClBarApproveGate g = {0};
	const int64_t s = 1000 * 1000;

	g_assert_false(cl_bar_approve_gate_enabled(&g, 0));
	g_assert_cmpint(cl_bar_approve_gate_remaining(&g, 0), ==, -1);
	cl_bar_approve_gate_set_active(&g, true, 10 * s);
	g_assert_false(cl_bar_approve_gate_enabled(&g, 10 * s + s / 2));
	g_assert_cmpint(cl_bar_approve_gate_remaining(&g, 10 * s + s / 4), ==, 3 * s / 4);
	/* Staying active does not restart the delay. */
	cl_bar_approve_gate_set_active(&g, true, 10 * s + s / 2);
	g_assert_true(cl_bar_approve_gate_enabled(&g, 11 * s));
	/* Leaving resets it. */
	cl_bar_approve_gate_set_active(&g, false, 12 * s);
	g_assert_false(cl_bar_approve_gate_enabled(&g, 12 * s));
	cl_bar_approve_gate_set_active(&g, true, 13 * s);
	g_assert_false(cl_bar_approve_gate_enabled(&g, 13 * s + s - 1));
	g_assert_true(cl_bar_approve_gate_enabled(&g, 14 * s));
}

static void test_gate_event_time(void)
{
	ClBarApproveGate g = {0};
	const int64_t s = 1000 * 1000;
	const int64_t base = 100 * s;

	cl_bar_approve_gate_set_active(&g, true, base);
	/* Handled 1.5 s after activation, but clicked 0.3 s after it: refused. */
	g_assert_false(cl_bar_approve_gate_enabled_for_event(
	        &g, base + 3 * s / 2, (uint32_t)((base + 3 * s / 10) / 1000)));
	/* Clicked 1.2 s after activation: accepted. */
	g_assert_true(cl_bar_approve_gate_enabled_for_event(&g, base + 3 * s / 2,
	                                                    (uint32_t)((base + 6 * s / 5) / 1000)));
	/* Not enabled now: refused whatever the event says. */
	g_assert_false(cl_bar_approve_gate_enabled_for_event(&g, base + s / 2,
	                                                     (uint32_t)((base + s / 2) / 1000)));
	/* A time from another clock (far away or in the future): processing time decides. */
	g_assert_true(cl_bar_approve_gate_enabled_for_event(&g, base + 2 * s, 5));
	g_assert_true(cl_bar_approve_gate_enabled_for_event(&g, base + 2 * s,
	                                                    (uint32_t)((base + 3 * s) / 1000)));
	/* The 32-bit millisecond clock wraps: still judged by the event's age. */
	ClBarApproveGate w = {0};
	const int64_t wrap = (int64_t)UINT32_MAX * 1000 + 500 * 1000; /* just after a wrap */

	cl_bar_approve_gate_set_active(&w, true, wrap - s);
	g_assert_false(cl_bar_approve_gate_enabled_for_event(
	        &w, wrap + s, (uint32_t)((uint64_t)(wrap - s + s / 2) / 1000)));
	g_assert_true(cl_bar_approve_gate_enabled_for_event(
	        &w, wrap + s, (uint32_t)((uint64_t)(wrap + s / 2) / 1000)));
}

static ClBarPrompt *prompt(const char *id)
{
	g_autoptr(GVariant) d = details("", false, false);

	return cl_bar_prompt_new(id, d, NULL);
}

static void test_queue(void)
{
	g_autoptr(ClBarQueue) q = cl_bar_queue_new();

	g_assert_null(cl_bar_queue_head(q));
	g_assert_true(cl_bar_queue_add(q, prompt("one")));
	g_assert_true(cl_bar_queue_add(q, prompt("two")));
	g_assert_true(cl_bar_queue_add(q, prompt("three")));
	/* A duplicate (ListPending after PromptRequested) is ignored. */
	g_assert_false(cl_bar_queue_add(q, prompt("two")));
	g_assert_cmpuint(cl_bar_queue_length(q), ==, 3);
	g_assert_cmpstr(cl_bar_queue_head(q)->id, ==, "one");

	/* Exactly one decision per prompt. */
	g_assert_true(cl_bar_queue_decide(q, "one"));
	g_assert_false(cl_bar_queue_decide(q, "one"));
	g_assert_false(cl_bar_queue_add(q, prompt("one")));
	g_assert_cmpstr(cl_bar_queue_head(q)->id, ==, "two");

	/* Finished by the broker (expired, cancelled): never decided after. */
	g_assert_true(cl_bar_queue_finished(q, "three"));
	g_assert_false(cl_bar_queue_decide(q, "three"));
	g_assert_false(cl_bar_queue_finished(q, "unknown"));
	g_assert_false(cl_bar_queue_add(q, prompt("unknown")));
	g_assert_cmpuint(cl_bar_queue_length(q), ==, 1);

	/* The broker went away: the queue empties, nothing counts as decided. */
	cl_bar_queue_clear(q);
	g_assert_null(cl_bar_queue_head(q));
	g_assert_true(cl_bar_queue_add(q, prompt("two")));
	g_assert_true(cl_bar_queue_decide(q, "two"));
}

static void test_queue_bounded(void)
{
	g_autoptr(ClBarQueue) q = cl_bar_queue_new();

	for (int i = 0; i < CL_BAR_MAX_PROMPTS; i++) {
		g_autofree char *id = g_strdup_printf("p%d", i);

		g_assert_true(cl_bar_queue_add(q, prompt(id)));
	}
	g_assert_false(cl_bar_queue_add(q, prompt("over")));
	g_assert_cmpuint(cl_bar_queue_length(q), ==, CL_BAR_MAX_PROMPTS);
}

/* ---- Notifications ---- */

static ClBarNotification *note_from(const char *text, GError **error)
{
	g_autoptr(GVariant) v =
	        g_variant_ref_sink(g_variant_parse(G_VARIANT_TYPE_VARDICT, text, NULL, NULL, NULL));

	g_assert_nonnull(v);
	return cl_bar_notification_new(v, error);
}

static void test_notification_parse(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(ClBarNotification) cage = note_from(
	        "{'id': <uint32 7>, 'style': <'cage'>, 'cage': <'alpha'>, 'level': <'low'>,"
	        " 'label': <'Low'>, 'colour': <'#00aa00'>, 'app-name': <'Mail'>,"
	        " 'summary': <'Security: transfer approved'>, 'body': <'<b>x</b>'>,"
	        " 'actions': <['reply', 'Reply', 'default', '', 'odd']>, 'urgency': <byte 2>,"
	        " 'time': <int64 5>}",
	        &error);
	g_autoptr(ClBarNotification) sec = NULL;
	g_autoptr(ClBarNotification) core = NULL;

	g_assert_no_error(error);
	g_assert_nonnull(cage);
	g_assert_cmpuint(cage->id, ==, 7);
	/* The summary says "Security": the style stays the cage's. */
	g_assert_cmpint(cage->style, ==, CL_BAR_STYLE_CAGE);
	g_assert_cmpuint(cage->colour, ==, 0x00aa00);
	g_assert_cmpstr(cage->body, ==, "<b>x</b>"); /* kept as text, shown as text */
	g_assert_cmpuint(cage->actions->len, ==, 2); /* the odd key without label dropped */
	g_assert_cmpstr(((ClBarAction *)g_ptr_array_index(cage->actions, 0))->key, ==, "reply");
	g_assert_cmpuint(cage->urgency, ==, 2);
	g_assert_cmpint(cage->time_us, ==, 5);
	g_assert_cmpstr(cage->severity, ==, ""); /* only security events have one */

	sec = note_from("{'id': <uint32 8>, 'style': <'security'>, 'severity': <'critical'>,"
	                " 'category': <'transfer.denied'>, 'level': <'low'>}",
	                &error);
	g_assert_no_error(error);
	g_assert_cmpint(sec->style, ==, CL_BAR_STYLE_SECURITY);
	g_assert_cmpstr(sec->category, ==, "transfer.denied");
	g_assert_cmpstr(sec->level, ==, ""); /* no level style for the core */
	g_assert_cmpstr(sec->summary, ==, "");

	core = note_from("{'id': <uint32 9>, 'style': <'core'>, 'severity': <'critical'>}", &error);
	g_assert_no_error(error);
	g_assert_cmpint(core->style, ==, CL_BAR_STYLE_CORE);
	g_assert_cmpstr(core->severity, ==, "");
}

static void test_notification_invalid(void)
{
	static const struct {
		const char *text;
		const char *says;
	} cases[] = {
	        {"{'style': <'core'>}", "id"},
	        {"{'id': <uint32 0>, 'style': <'core'>}", "id"},
	        {"{'id': <'1'>, 'style': <'core'>}", "id"},
	        {"{'id': <uint32 1>}", "style"},
	        {"{'id': <uint32 1>, 'style': <'Security'>}", "style"},
	        {"{'id': <uint32 1>, 'style': <'core'>, 'summary': <uint32 3>}", "summary"},
	        {"{'id': <uint32 1>, 'style': <'cage'>, 'cage': <'alpha'>, 'level': <'low'>,"
	         " 'label': <'Low'>}",
	         "colour"},
	        {"{'id': <uint32 1>, 'style': <'cage'>, 'level': <'low'>, 'label': <'Low'>,"
	         " 'colour': <'#00aa00'>}",
	         "cage"},
	        {"{'id': <uint32 1>, 'style': <'cage'>, 'cage': <'../x'>, 'level': <'low'>,"
	         " 'label': <'Low'>, 'colour': <'#00aa00'>}",
	         "cage"},
	        {"{'id': <uint32 1>, 'style': <'security'>, 'severity': <'panic'>,"
	         " 'category': <'x'>}",
	         "severity"},
	        {"{'id': <uint32 1>, 'style': <'security'>, 'severity': <'info'>,"
	         " 'category': <'Transfer Denied'>}",
	         "category"},
	        {"{'id': <uint32 1>, 'style': <'core'>, 'actions': <['', 'Empty key']>}",
	         "action 1"},
	        {"{'id': <uint32 1>, 'style': <'core'>, 'actions': <'reply'>}", "actions"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(ClBarNotification) n = note_from(cases[i].text, &error);

		g_assert_null(n);
		g_assert_error(error, CL_BAR_ERROR, CL_BAR_ERROR_INVALID);
		if (!strstr(error->message, cases[i].says))
			g_error("case %zu: \"%s\" does not name %s", i, error->message,
			        cases[i].says);
	}
}

static void test_notification_bounds(void)
{
	g_autoptr(GString) text =
	        g_string_new("{'id': <uint32 1>, 'style': <'core'>, 'summary': <'");
	g_autoptr(GString) actions =
	        g_string_new("{'id': <uint32 2>, 'style': <'core'>, 'actions': <[");
	g_autoptr(ClBarNotification) n = NULL, m = NULL;

	for (int i = 0; i < 5000; i++)
		g_string_append(text, "é");
	g_string_append(text, "'>}");
	n = note_from(text->str, NULL);
	g_assert_nonnull(n);
	g_assert_cmpuint(strlen(n->summary), <=, CL_BAR_NOTE_TEXT);
	g_assert_true(g_utf8_validate(n->summary, -1, NULL));
	for (int i = 0; i < 40; i++)
		g_string_append_printf(actions, "%s'k%d', 'L%d'", i ? ", " : "", i, i);
	g_string_append(actions, "]>}");
	m = note_from(actions->str, NULL);
	g_assert_nonnull(m);
	g_assert_cmpuint(m->actions->len, ==, CL_BAR_NOTE_ACTIONS);
}

static ClBarNotification *simple_note(uint32_t id)
{
	g_autofree char *text = g_strdup_printf(
	        "{'id': <uint32 %u>, 'style': <'core'>, 'summary': <'n%u'>}", id, id);

	return note_from(text, NULL);
}

static void test_notifications_list(void)
{
	g_autoptr(ClBarNotifications) list = cl_bar_notifications_new();

	cl_bar_notifications_add(list, simple_note(1));
	cl_bar_notifications_add(list, simple_note(2));
	cl_bar_notifications_add(list, simple_note(3));
	/* Newest first. */
	g_assert_cmpuint(((ClBarNotification *)g_ptr_array_index(list->items, 0))->id, ==, 3);
	/* An update replaces and comes first. */
	cl_bar_notifications_add(list, simple_note(1));
	g_assert_cmpuint(cl_bar_notifications_length(list), ==, 3);
	g_assert_cmpuint(((ClBarNotification *)g_ptr_array_index(list->items, 0))->id, ==, 1);
	g_assert_true(cl_bar_notifications_remove(list, 2));
	g_assert_false(cl_bar_notifications_remove(list, 2));
	g_assert_null(cl_bar_notifications_get(list, 2));
	g_assert_nonnull(cl_bar_notifications_get(list, 3));
	/* Bounded: the oldest go. */
	for (uint32_t id = 10; id < 10 + 2 * CL_BAR_MAX_NOTIFICATIONS; id++)
		cl_bar_notifications_add(list, simple_note(id));
	g_assert_cmpuint(cl_bar_notifications_length(list), ==, CL_BAR_MAX_NOTIFICATIONS);
	g_assert_null(cl_bar_notifications_get(list, 10));
	g_assert_nonnull(cl_bar_notifications_get(list, 9 + 2 * CL_BAR_MAX_NOTIFICATIONS));
	cl_bar_notifications_clear(list);
	g_assert_cmpuint(cl_bar_notifications_length(list), ==, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/bar/model/levels-windows", test_model_levels_windows);
	g_test_add_func("/bar/model/limits", test_model_limits);
	g_test_add_func("/bar/display-text", test_display_text);
	g_test_add_func("/bar/colours-patterns", test_colours_patterns);
	g_test_add_func("/bar/prompt/parse", test_prompt_parse);
	g_test_add_func("/bar/prompt/no-preselection", test_prompt_no_preselection);
	g_test_add_func("/bar/prompt/invalid", test_prompt_invalid);
	g_test_add_func("/bar/prompt/choice", test_choice);
	g_test_add_func("/bar/gate", test_gate);
	g_test_add_func("/bar/gate/event-time", test_gate_event_time);
	g_test_add_func("/bar/queue", test_queue);
	g_test_add_func("/bar/queue/bounded", test_queue_bounded);
	g_test_add_func("/bar/notification/parse", test_notification_parse);
	g_test_add_func("/bar/notification/invalid", test_notification_invalid);
	g_test_add_func("/bar/notification/bounds", test_notification_bounds);
	g_test_add_func("/bar/notifications/list", test_notifications_list);
	return g_test_run();
}
