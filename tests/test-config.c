/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cloison-build-config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

#define LEVELS                                               \
	"[level low]\nlabel=Low\ncolour=#00ff00\nrank=0\n\n" \
	"[level high]\nlabel=High\ncolour=#ff0000\nrank=10\n\n"
#define CAGES "[cage a]\nlevel=low\n\n[cage b]\nlevel=high\n\n"
#define BASE  LEVELS CAGES

typedef struct {
	const char *name;
	const char *text;
	ClConfigError code;
	const char *needle; /* must appear in the message */
} ErrorCase;

static const ErrorCase error_cases[] = {
        /* syntax */
        {"parse/no-equals", BASE "[cage c]\nlevel low\n", CL_CONFIG_ERROR_PARSE,
         "t.conf:18: expected"},
        {"parse/key-before-group", "label=x\n" BASE, CL_CONFIG_ERROR_PARSE, "t.conf:1:"},
        {"parse/bad-header", BASE "[cage c\nlevel=low\n", CL_CONFIG_ERROR_PARSE, "t.conf:17:"},
        {"parse/nul", "[level low]\nlabel=L\0w\n", CL_CONFIG_ERROR_PARSE, "NUL"},
        {"parse/bad-utf8", LEVELS "[cage a]\nlevel=low\napplications=\xff\n", CL_CONFIG_ERROR_PARSE,
         "UTF-8"},
        /* groups and keys */
        {"group/unknown", BASE "[levels x]\n", CL_CONFIG_ERROR_UNKNOWN_GROUP, "[levels x]"},
        {"group/extra-word", BASE "[cage c d]\nlevel=low\n", CL_CONFIG_ERROR_UNKNOWN_GROUP,
         "[cage c d]"},
        {"group/duplicate", BASE "[cage a]\nlevel=low\n", CL_CONFIG_ERROR_DUPLICATE,
         "t.conf:17: [cage a] is defined twice (first at line 11)"},
        {"key/unknown", BASE "[cage c]\nlevel=low\nnetwrok=true\n", CL_CONFIG_ERROR_UNKNOWN_KEY,
         "t.conf:19: [cage c] netwrok"},
        {"key/unknown-general", BASE "[general]\ncolour=#000000\n", CL_CONFIG_ERROR_UNKNOWN_KEY,
         "[general] colour"},
        {"key/localized-not-label", BASE "[cage c]\nlevel[fr]=low\n", CL_CONFIG_ERROR_UNKNOWN_KEY,
         "level[fr]"},
        {"key/duplicate", BASE "[cage c]\nlevel=low\nlevel=high\n", CL_CONFIG_ERROR_DUPLICATE,
         "t.conf:19: [cage c] level is set twice (first at line 18)"},
        /* ids */
        {"id/upper", BASE "[cage Office]\nlevel=low\n", CL_CONFIG_ERROR_INVALID, "“Office”"},
        {"id/underscore", BASE "[cage a_b]\nlevel=low\n", CL_CONFIG_ERROR_INVALID, "a_b"},
        {"id/too-long", BASE "[cage abcdefghijklmnopqrstuvwxyz0123456]\nlevel=low\n",
         CL_CONFIG_ERROR_INVALID, "not a valid id"},
        {"id/leading-dash", BASE "[cage -x]\nlevel=low\n", CL_CONFIG_ERROR_INVALID, "“-x”"},
        {"id/dots", BASE "[cage ..]\nlevel=low\n", CL_CONFIG_ERROR_INVALID, "“..”"},
        {"id/level-bad", "[level LOW]\nlabel=x\ncolour=#000000\nrank=1\n" CAGES,
         CL_CONFIG_ERROR_INVALID, "[level LOW]"},
        {"id/duplicate-cage-via-space", BASE "[cage  a]\nlevel=low\n",
         CL_CONFIG_ERROR_UNKNOWN_GROUP, "[cage  a]"},
        /* levels */
        {"level/missing-label", "[level low]\ncolour=#000000\nrank=1\n" CAGES,
         CL_CONFIG_ERROR_MISSING, "[level low] label: is required"},
        {"level/missing-colour", "[level low]\nlabel=L\nrank=1\n" CAGES, CL_CONFIG_ERROR_MISSING,
         "[level low] colour"},
        {"level/missing-rank", "[level low]\nlabel=L\ncolour=#000000\n" CAGES,
         CL_CONFIG_ERROR_MISSING, "[level low] rank"},
        {"level/bad-colour-name", LEVELS "[level x]\nlabel=X\ncolour=red\nrank=5\n" CAGES,
         CL_CONFIG_ERROR_INVALID, "“red” is not a colour"},
        {"level/bad-colour-hex", LEVELS "[level x]\nlabel=X\ncolour=#12345g\nrank=5\n" CAGES,
         CL_CONFIG_ERROR_INVALID, "#12345g"},
        {"level/bad-colour-short", LEVELS "[level x]\nlabel=X\ncolour=#123\nrank=5\n" CAGES,
         CL_CONFIG_ERROR_INVALID, "[level x] colour"},
        {"level/bad-rank-negative", LEVELS "[level x]\nlabel=X\ncolour=#123456\nrank=-1\n" CAGES,
         CL_CONFIG_ERROR_INVALID, "“-1” is not a whole number from 0 to 1000"},
        {"level/bad-rank-big", LEVELS "[level x]\nlabel=X\ncolour=#123456\nrank=1001\n" CAGES,
         CL_CONFIG_ERROR_INVALID, "[level x] rank"},
        {"level/bad-rank-text", LEVELS "[level x]\nlabel=X\ncolour=#123456\nrank=5x\n" CAGES,
         CL_CONFIG_ERROR_INVALID, "“5x”"},
        {"level/duplicate-rank", LEVELS "[level x]\nlabel=X\ncolour=#123456\nrank=10\n" CAGES,
         CL_CONFIG_ERROR_DUPLICATE, "rank: 10 is already the rank of level “high”"},
        {"level/duplicate-label", LEVELS "[level x]\nlabel=hIGH\ncolour=#123456\nrank=5\n" CAGES,
         CL_CONFIG_ERROR_DUPLICATE, "label"},
        {"level/duplicate-colour", LEVELS "[level x]\nlabel=X\ncolour=#FF0000\nrank=5\n" CAGES,
         CL_CONFIG_ERROR_DUPLICATE, "#ff0000 is already the colour of level “high”"},
        {"level/empty-label", LEVELS "[level x]\nlabel=\ncolour=#123456\nrank=5\n" CAGES,
         CL_CONFIG_ERROR_INVALID, "must not be empty"},
        {"level/control-label", LEVELS "[level x]\nlabel=a\\nb\ncolour=#123456\nrank=5\n" CAGES,
         CL_CONFIG_ERROR_INVALID, "U+000A"},
        {"level/bidi-label",
         LEVELS "[level x]\nlabel=a\xe2\x80\xae"
                "b\ncolour=#123456\nrank=5\n" CAGES,
         CL_CONFIG_ERROR_INVALID, "U+202E"},
        {"level/bad-translation",
         LEVELS "[level x]\nlabel=X\nlabel[fr]=\\t\ncolour=#123456\nrank=5\n" CAGES,
         CL_CONFIG_ERROR_INVALID, "label[fr]"},
        {"level/long-label",
         LEVELS "[level x]\nlabel=12345678901234567890123456789012345678901234567890123456789012345"
                "\ncolour=#123456\nrank=5\n" CAGES,
         CL_CONFIG_ERROR_INVALID, "65 characters"},
        {"level/none", CAGES, CL_CONFIG_ERROR_UNKNOWN_LEVEL, "undefined level “low”"},
        {"level/none-at-all", "[general]\ntransfer-expiry=60\n", CL_CONFIG_ERROR_MISSING,
         "no level"},
        /* cages */
        {"cage/none", LEVELS, CL_CONFIG_ERROR_MISSING, "no cage"},
        {"cage/missing-level", LEVELS "[cage a]\nnetwork=true\n", CL_CONFIG_ERROR_MISSING,
         "[cage a] level: is required"},
        {"cage/unknown-level", BASE "[cage c]\nlevel=secret\n", CL_CONFIG_ERROR_UNKNOWN_LEVEL,
         "t.conf:18: [cage c] level: names the undefined level “secret”"},
        {"cage/bad-bool", BASE "[cage c]\nlevel=low\nnetwork=yes\n", CL_CONFIG_ERROR_INVALID,
         "[cage c] network: “yes” is not a boolean"},
        {"cage/bad-autostart", BASE "[cage c]\nlevel=low\nautostart=1\n", CL_CONFIG_ERROR_INVALID,
         "[cage c] autostart"},
        {"cage/bad-app", BASE "[cage c]\nlevel=low\napplications=foot;gedit 'unterminated\n",
         CL_CONFIG_ERROR_INVALID, "entry 2"},
        {"cage/empty-app", BASE "[cage c]\nlevel=low\napplications=foot;;gedit\n",
         CL_CONFIG_ERROR_INVALID, "entry 2"},
        {"cage/too-many-apps",
         BASE "[cage c]\nlevel=low\napplications=a;b;c;d;e;f;g;h;i;j;k;l;m;n;o;p;q\n",
         CL_CONFIG_ERROR_LIMIT, "17 applications"},
        {"cage/bad-memory", BASE "[cage c]\nlevel=low\nmemory-max=lots\n", CL_CONFIG_ERROR_INVALID,
         "[cage c] memory-max: “lots”"},
        {"cage/small-memory", BASE "[cage c]\nlevel=low\nmemory-max=1MiB\n",
         CL_CONFIG_ERROR_INVALID, "memory-max"},
        {"cage/bad-tasks", BASE "[cage c]\nlevel=low\ntasks-max=0\n", CL_CONFIG_ERROR_INVALID,
         "tasks-max"},
        /* rules */
        {"rule/unknown-level", BASE "[transfer low top]\naction=deny\n",
         CL_CONFIG_ERROR_UNKNOWN_LEVEL, "“top”"},
        {"rule/missing-action", BASE "[transfer low high]\ntypes=*/*\n", CL_CONFIG_ERROR_MISSING,
         "[transfer low high] action"},
        {"rule/bad-action", BASE "[transfer low high]\naction=allow\ntypes=*/*\n",
         CL_CONFIG_ERROR_INVALID, "“allow” is not one of deny, ask, ask-declassify"},
        {"rule/down-ask", BASE "[transfer high low]\naction=ask\ntypes=*/*\n",
         CL_CONFIG_ERROR_INVALID, "downward"},
        {"rule/up-declassify", BASE "[transfer low high]\naction=ask-declassify\ntypes=*/*\n",
         CL_CONFIG_ERROR_INVALID, "only for downward"},
        {"rule/same-declassify", BASE "[transfer low low]\naction=ask-declassify\ntypes=*/*\n",
         CL_CONFIG_ERROR_INVALID, "only for downward"},
        {"rule/missing-types", BASE "[transfer low high]\naction=ask\n", CL_CONFIG_ERROR_MISSING,
         "[transfer low high] types"},
        {"rule/empty-types", BASE "[transfer low high]\naction=ask\ntypes=\n",
         CL_CONFIG_ERROR_INVALID, "at least one"},
        {"rule/bad-type", BASE "[transfer low high]\naction=ask\ntypes=image/png;pdf\n",
         CL_CONFIG_ERROR_INVALID, "“pdf” is not a MIME type pattern"},
        {"rule/bad-glob", BASE "[transfer low high]\naction=ask\ntypes=image/p*\n",
         CL_CONFIG_ERROR_INVALID, "image/p*"},
        {"rule/bad-size", BASE "[transfer low high]\naction=ask\ntypes=*/*\nmax-size=10MB\n",
         CL_CONFIG_ERROR_INVALID, "“10MB”"},
        {"rule/zero-size", BASE "[transfer low high]\naction=ask\ntypes=*/*\nmax-size=0\n",
         CL_CONFIG_ERROR_INVALID, "max-size"},
        {"rule/huge-size", BASE "[transfer low high]\naction=ask\ntypes=*/*\nmax-size=2TiB\n",
         CL_CONFIG_ERROR_INVALID, "max-size"},
        {"rule/overflow-size",
         BASE "[transfer low high]\naction=ask\ntypes=*/*\nmax-size=99999999999999999999G\n",
         CL_CONFIG_ERROR_INVALID, "max-size"},
        {"rule/reason-not-declassify",
         BASE "[transfer low high]\naction=ask\ntypes=*/*\nrequire-reason=true\n",
         CL_CONFIG_ERROR_INVALID, "require-reason"},
        {"rule/duplicate-pair",
         BASE "[transfer low high]\naction=deny\n"
              "[transfer  low high]\naction=deny\n",
         CL_CONFIG_ERROR_UNKNOWN_GROUP, "[transfer  low high]"},
        {"general/expiry-small", BASE "[general]\ntransfer-expiry=5\n", CL_CONFIG_ERROR_INVALID,
         "[general] transfer-expiry"},
};

static void test_error_case(gconstpointer data)
{
	const ErrorCase *c = data;
	g_autoptr(GError) error = NULL;
	/* NUL-containing cases: use sizeof via strlen of both halves */
	size_t len = strlen(c->text);
	g_autoptr(ClConfig) config = NULL;

	if (strcmp(c->name, "parse/nul") == 0)
		len += 1 + strlen(c->text + len + 1);
	config = cl_config_load_data(c->text, len, "t.conf", &error);
	g_assert_null(config);
	g_assert_error(error, CL_CONFIG_ERROR, (gint)c->code);
	if (!strstr(error->message, c->needle))
		g_error("message “%s” lacks “%s”", error->message, c->needle);
}

static void test_minimal(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(ClConfig) config = cl_config_load_data(BASE, strlen(BASE), "t.conf", &error);
	const ClCage *a;

	g_assert_no_error(error);
	g_assert_nonnull(config);
	g_assert_cmpuint(config->levels->len, ==, 2);
	g_assert_cmpuint(config->cages->len, ==, 2);
	g_assert_cmpuint(config->rules->len, ==, 0);
	g_assert_cmpuint(config->transfer_expiry_s, ==, CL_DEFAULT_EXPIRY_S);
	a = cl_config_get_cage(config, "a");
	g_assert_nonnull(a);
	g_assert_cmpstr(a->level->id, ==, "low");
	g_assert_false(a->network);
	g_assert_true(a->autostart);
	g_assert_false(a->restart);
	g_assert_cmpuint(a->memory_max, ==, 0);
	g_assert_cmpuint(a->tasks_max, ==, 0);
	g_assert_cmpuint(g_strv_length(a->applications), ==, 0);
	g_assert_null(cl_config_get_cage(config, "c"));
	g_assert_null(cl_config_get_level(config, "a"));
}

static void test_full_values(void)
{
	static const char text[] =
	        "# comment\n"
	        "[general]\ntransfer-expiry=60\n"
	        "[level top]\nlabel=  Top Secret  \ncolour=#ABCDEF\nrank=1000\n"
	        "[level low]\nlabel=Low\ncolour=#000001\nrank=0\n"
	        "[cage x]\nlevel=top\nnetwork=true\nautostart=false\nrestart=true\n"
	        "applications=foot --title 'a b';gtk4-demo\\;x\nmemory-max=2GiB\ntasks-max=512\n"
	        "[cage y]\nlevel=low\nmemory-max=infinity\n"
	        "[transfer low top]\naction=ask\ntypes=IMAGE/*; text/plain\nmax-size=1K\n"
	        "[transfer top low]\naction=ask-declassify\ntypes=application/pdf\n"
	        "require-reason=true\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(ClConfig) config = cl_config_load_data(text, strlen(text), "t.conf", &error);
	const ClLevel *top, *low;
	const ClCage *x;
	const ClRule *up, *down;
	g_auto(GStrv) argv = NULL;

	g_assert_no_error(error);
	g_assert_cmpuint(config->transfer_expiry_s, ==, 60);
	/* sorted by rank */
	low = g_ptr_array_index(config->levels, 0);
	top = g_ptr_array_index(config->levels, 1);
	g_assert_cmpstr(low->id, ==, "low");
	g_assert_cmpstr(top->id, ==, "top");
	g_assert_cmpstr(top->label, ==, "Top Secret");
	g_assert_cmpstr(top->colour, ==, "#abcdef");
	g_assert_cmpuint(top->rgb[0], ==, 0xab);
	g_assert_cmpuint(top->rgb[2], ==, 0xef);
	g_assert_cmpint(top->rank, ==, 1000);

	x = cl_config_get_cage(config, "x");
	g_assert_true(x->level == top);
	g_assert_true(x->network);
	g_assert_false(x->autostart);
	g_assert_true(x->restart);
	g_assert_cmpuint(x->memory_max, ==, UINT64_C(2) << 30);
	g_assert_cmpuint(x->tasks_max, ==, 512);
	g_assert_cmpuint(g_strv_length(x->applications), ==, 2);
	argv = cl_cage_application_argv(x, 0);
	g_assert_cmpuint(g_strv_length(argv), ==, 3);
	g_assert_cmpstr(argv[2], ==, "a b");
	g_assert_cmpstr(x->applications[1], ==, "gtk4-demo;x");
	g_assert_cmpuint(cl_config_get_cage(config, "y")->memory_max, ==, 0);

	up = cl_config_get_rule(config, low, top);
	down = cl_config_get_rule(config, top, low);
	g_assert_nonnull(up);
	g_assert_nonnull(down);
	g_assert_null(cl_config_get_rule(config, low, low));
	g_assert_cmpint(up->action, ==, CL_ACTION_ASK);
	g_assert_cmpstr(up->types[0], ==, "image/*");
	g_assert_cmpstr(up->types[1], ==, "text/plain");
	g_assert_cmpuint(up->max_size, ==, 1024);
	g_assert_false(up->require_reason);
	g_assert_cmpint(down->action, ==, CL_ACTION_ASK_DECLASSIFY);
	g_assert_cmpuint(down->max_size, ==, UINT64_C(100) << 20);
	g_assert_true(down->require_reason);
}

static void test_limits(void)
{
	GString *s = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(ClConfig) config = NULL;
	g_autofree char *text = NULL;

	for (int i = 0; i <= CL_MAX_LEVELS; i++)
		g_string_append_printf(s, "[level l%d]\nlabel=L%d\ncolour=#0000%02x\nrank=%d\n", i,
		                       i, i, i);
	g_string_append(s, "[cage a]\nlevel=l0\n");
	text = g_string_free(s, FALSE);
	config = cl_config_load_data(text, strlen(text), "t.conf", &error);
	g_assert_null(config);
	g_assert_error(error, CL_CONFIG_ERROR, CL_CONFIG_ERROR_LIMIT);
	g_clear_error(&error);
	g_clear_pointer(&text, g_free);

	s = g_string_new(LEVELS);
	for (int i = 0; i <= CL_MAX_CAGES; i++)
		g_string_append_printf(s, "[cage c%d]\nlevel=low\n", i);
	text = g_string_free(s, FALSE);
	config = cl_config_load_data(text, strlen(text), "t.conf", &error);
	g_assert_null(config);
	g_assert_error(error, CL_CONFIG_ERROR, CL_CONFIG_ERROR_LIMIT);
	g_assert_nonnull(strstr(error->message, "too many cages"));
}

static void test_too_large(void)
{
	g_autoptr(GError) error = NULL;
	size_t len = CL_CONFIG_MAX_BYTES + 1;
	g_autofree char *text = g_malloc(len);

	memset(text, '#', len);
	g_assert_null(cl_config_load_data(text, len, "big.conf", &error));
	g_assert_error(error, CL_CONFIG_ERROR, CL_CONFIG_ERROR_IO);
}

static void test_id_valid(void)
{
	g_assert_true(cl_id_is_valid("a"));
	g_assert_true(cl_id_is_valid("low-2"));
	g_assert_true(cl_id_is_valid("abcdefghijklmnopqrstuvwxyz012345")); /* 32 */
	g_assert_false(cl_id_is_valid("abcdefghijklmnopqrstuvwxyz0123456"));
	g_assert_false(cl_id_is_valid(""));
	g_assert_false(cl_id_is_valid(NULL));
	g_assert_false(cl_id_is_valid("-a"));
	g_assert_false(cl_id_is_valid("A"));
	g_assert_false(cl_id_is_valid("a b"));
	g_assert_false(cl_id_is_valid("a/b"));
	g_assert_false(cl_id_is_valid("a.b"));
	g_assert_false(cl_id_is_valid("é"));
}

static void test_sizes(void)
{
	uint64_t n = 0;
	g_autofree char *a = NULL, *b = NULL, *c = NULL;

	g_assert_true(cl_size_parse("0", &n) && n == 0);
	g_assert_true(cl_size_parse("123", &n) && n == 123);
	g_assert_true(cl_size_parse("5b", &n) && n == 5);
	g_assert_true(cl_size_parse("2k", &n) && n == 2048);
	g_assert_true(cl_size_parse("100MiB", &n) && n == UINT64_C(100) << 20);
	g_assert_true(cl_size_parse("3gib", &n) && n == UINT64_C(3) << 30);
	g_assert_true(cl_size_parse("1T", &n) && n == UINT64_C(1) << 40);
	g_assert_true(cl_size_parse("18446744073709551615", &n) && n == UINT64_MAX);
	g_assert_false(cl_size_parse("18446744073709551616", &n));
	g_assert_false(cl_size_parse("16777216T", &n));
	g_assert_false(cl_size_parse("", &n));
	g_assert_false(cl_size_parse("-1", &n));
	g_assert_false(cl_size_parse(" 1", &n));
	g_assert_false(cl_size_parse("1 MiB", &n));
	g_assert_false(cl_size_parse("1MB", &n));
	g_assert_false(cl_size_parse("1.5M", &n));
	g_assert_false(cl_size_parse("M", &n));
	a = cl_size_format(UINT64_C(100) << 20);
	b = cl_size_format(1000);
	c = cl_size_format(UINT64_C(3) << 40);
	g_assert_cmpstr(a, ==, "100MiB");
	g_assert_cmpstr(b, ==, "1000");
	g_assert_cmpstr(c, ==, "3TiB");
}

static void test_actions(void)
{
	ClAction a;

	g_assert_true(cl_action_from_string("deny", &a) && a == CL_ACTION_DENY);
	g_assert_true(cl_action_from_string("ask", &a) && a == CL_ACTION_ASK);
	g_assert_true(cl_action_from_string("ask-declassify", &a) && a == CL_ACTION_ASK_DECLASSIFY);
	g_assert_false(cl_action_from_string("Ask", &a));
	g_assert_false(cl_action_from_string(NULL, &a));
	g_assert_cmpstr(cl_action_to_string(CL_ACTION_ASK_DECLASSIFY), ==, "ask-declassify");
}

static void assert_configs_equal(const ClConfig *x, const ClConfig *y)
{
	g_assert_cmpuint(x->levels->len, ==, y->levels->len);
	g_assert_cmpuint(x->cages->len, ==, y->cages->len);
	g_assert_cmpuint(x->rules->len, ==, y->rules->len);
	g_assert_cmpuint(x->transfer_expiry_s, ==, y->transfer_expiry_s);
	for (guint i = 0; i < x->levels->len; i++) {
		const ClLevel *a = g_ptr_array_index(x->levels, i);
		const ClLevel *b = g_ptr_array_index(y->levels, i);
		g_assert_cmpstr(a->id, ==, b->id);
		g_assert_cmpstr(a->label, ==, b->label);
		g_assert_cmpstr(a->colour, ==, b->colour);
		g_assert_cmpint(a->rank, ==, b->rank);
	}
	for (guint i = 0; i < x->cages->len; i++) {
		const ClCage *a = g_ptr_array_index(x->cages, i);
		const ClCage *b = g_ptr_array_index(y->cages, i);
		g_assert_cmpstr(a->id, ==, b->id);
		g_assert_cmpstr(a->level->id, ==, b->level->id);
		g_assert_true(a->network == b->network && a->autostart == b->autostart &&
		              a->restart == b->restart);
		g_assert_cmpuint(a->memory_max, ==, b->memory_max);
		g_assert_cmpuint(a->tasks_max, ==, b->tasks_max);
		g_assert_true(g_strv_equal((const char *const *)a->applications,
		                           (const char *const *)b->applications));
	}
	for (guint i = 0; i < x->rules->len; i++) {
		const ClRule *a = g_ptr_array_index(x->rules, i);
		const ClRule *b = g_ptr_array_index(y->rules, i);
		g_assert_cmpstr(a->from->id, ==, b->from->id);
		g_assert_cmpstr(a->to->id, ==, b->to->id);
		g_assert_cmpint(a->action, ==, b->action);
		g_assert_cmpuint(a->max_size, ==, b->max_size);
		g_assert_true(a->require_reason == b->require_reason);
		g_assert_true(
		        g_strv_equal((const char *const *)a->types, (const char *const *)b->types));
	}
}

static void test_default(void)
{
	g_autoptr(ClConfig) config = cl_config_load_default();
	const ClLevel *low, *high;
	const ClRule *up, *down;

	g_assert_cmpstr(config->source, ==, CL_BUILTIN_SOURCE_NAME);
	g_assert_cmpuint(config->levels->len, ==, 2);
	g_assert_cmpuint(config->cages->len, ==, 2);
	low = cl_config_get_level(config, "low");
	high = cl_config_get_level(config, "high");
	g_assert_true(low && high && low->rank < high->rank);
	g_assert_true(cl_config_get_cage(config, "low")->level == low);
	g_assert_true(cl_config_get_cage(config, "high")->level == high);
	up = cl_config_get_rule(config, low, high);
	down = cl_config_get_rule(config, high, low);
	g_assert_cmpint(up->action, ==, CL_ACTION_ASK);
	g_assert_cmpint(down->action, ==, CL_ACTION_ASK_DECLASSIFY);
	g_assert_cmpuint(up->max_size, ==, UINT64_C(100) << 20);
	g_assert_cmpuint(down->max_size, ==, UINT64_C(100) << 20);
	g_assert_cmpuint(g_strv_length(down->types), ==, 4);
	g_assert_true(g_strv_contains((const char *const *)down->types, "application/pdf"));
	g_assert_true(g_strv_contains((const char *const *)down->types, "image/png"));
	g_assert_true(g_strv_contains((const char *const *)down->types, "image/jpeg"));
	g_assert_true(g_strv_contains((const char *const *)down->types, "text/plain"));
}

/* data/cloison.conf.example documents the default: they must not drift. */
static void test_example_matches_default(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = g_build_filename(g_getenv("CLOISON_SOURCE_ROOT"), "data",
	                                         "cloison.conf.example", NULL);
	g_autoptr(ClConfig) example = cl_config_load_file(path, &error);
	g_autoptr(ClConfig) builtin = cl_config_load_default();

	g_assert_no_error(error);
	assert_configs_equal(example, builtin);
}

static void test_round_trip(void)
{
	g_autoptr(ClConfig) builtin = cl_config_load_default();
	g_autoptr(ClConfig) again = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *text = cl_config_to_keyfile(builtin);

	again = cl_config_load_data(text, strlen(text), "dump", &error);
	g_assert_no_error(error);
	assert_configs_equal(builtin, again);
}

static void test_round_trip_full(void)
{
	static const char text[] =
	        "[level a]\nlabel=A;B\\\\C\ncolour=#010203\nrank=3\n"
	        "[level b]\nlabel=B\ncolour=#040506\nrank=1\n"
	        "[cage x]\nlevel=a\napplications=sh -c 'echo a\\;b';foot\ntasks-max=99\n"
	        "memory-max=17MiB\n"
	        "[transfer b a]\naction=ask\ntypes=text/*\nmax-size=12345\n"
	        "[transfer a a]\naction=deny\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(ClConfig) c1 = cl_config_load_data(text, strlen(text), "t", &error);
	g_autoptr(ClConfig) c2 = NULL;
	g_autofree char *dump = NULL;

	g_assert_no_error(error);
	g_assert_cmpstr(cl_config_get_level(c1, "a")->label, ==, "A;B\\C");
	dump = cl_config_to_keyfile(c1);
	c2 = cl_config_load_data(dump, strlen(dump), "dump", &error);
	g_assert_no_error(error);
	assert_configs_equal(c1, c2);
}

static void test_localized_label(void)
{
	static const char text[] = "[level a]\nlabel=Secret\nlabel[fr]=Secret défense\n"
	                           "colour=#010203\nrank=3\n[cage x]\nlevel=a\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(ClConfig) config = NULL;
	const char *old = g_getenv("LANGUAGE");
	g_autofree char *saved = g_strdup(old);

	g_setenv("LANGUAGE", "fr", TRUE);
	g_setenv("LC_ALL", "fr_FR.UTF-8", TRUE);
	config = cl_config_load_data(text, strlen(text), "t", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(cl_config_get_level(config, "a")->label, ==, "Secret défense");
	g_unsetenv("LC_ALL");
	if (saved)
		g_setenv("LANGUAGE", saved, TRUE);
	else
		g_unsetenv("LANGUAGE");
}

/* ---- files and search order --------------------------------------------- */

typedef struct {
	char *dir;
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data)
{
	GError *error = NULL;

	f->dir = g_dir_make_tmp("cloison-config-XXXXXX", &error);
	g_assert_no_error(error);
}

static void rm_rf(const char *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const char *name;

	if (dir) {
		while ((name = g_dir_read_name(dir))) {
			g_autofree char *child = g_build_filename(path, name, NULL);
			struct stat st;
			if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode))
				rm_rf(child);
			else
				g_unlink(child);
		}
	}
	g_rmdir(path);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
	rm_rf(f->dir);
	g_free(f->dir);
}

static char *write_file(const char *dir, const char *rel, const char *text)
{
	char *path = g_build_filename(dir, rel, NULL);
	g_autofree char *parent = g_path_get_dirname(path);

	g_assert_cmpint(g_mkdir_with_parents(parent, 0700), ==, 0);
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	return path;
}

static void test_load_file(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = write_file(f->dir, "c.conf", BASE "[cage c]\nlevel=nope\n");
	g_autofree char *missing = g_build_filename(f->dir, "missing.conf", NULL);
	g_autoptr(ClConfig) config = NULL;
	g_autofree char *needle = NULL;

	config = cl_config_load_file(path, &error);
	g_assert_null(config);
	g_assert_error(error, CL_CONFIG_ERROR, CL_CONFIG_ERROR_UNKNOWN_LEVEL);
	needle = g_strdup_printf("%s:18: [cage c] level", path);
	g_assert_nonnull(strstr(error->message, needle));
	g_clear_error(&error);

	config = cl_config_load_file(missing, &error);
	g_assert_null(config);
	g_assert_error(error, CL_CONFIG_ERROR, CL_CONFIG_ERROR_IO);
	g_assert_nonnull(strstr(error->message, missing));
	g_clear_error(&error);

	config = cl_config_load_file(f->dir, &error);
	g_assert_null(config);
	g_assert_error(error, CL_CONFIG_ERROR, CL_CONFIG_ERROR_IO);
	g_assert_nonnull(strstr(error->message, "not a regular file"));
}

static void test_load_fifo(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = g_build_filename(f->dir, "fifo.conf", NULL);

	g_assert_cmpint(mkfifo(path, 0600), ==, 0);
	/* Must not block waiting for a writer. */
	g_assert_null(cl_config_load_file(path, &error));
	g_assert_error(error, CL_CONFIG_ERROR, CL_CONFIG_ERROR_IO);
}

static void test_load_big_file(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *big = g_strnfill(CL_CONFIG_MAX_BYTES + 10, '#');
	g_autofree char *path = write_file(f->dir, "big.conf", big);

	g_assert_null(cl_config_load_file(path, &error));
	g_assert_error(error, CL_CONFIG_ERROR, CL_CONFIG_ERROR_IO);
	g_assert_nonnull(strstr(error->message, "larger than"));
}

static void test_find(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *xdg = g_build_filename(f->dir, "xdg", NULL);
	g_autofree char *sys = g_build_filename(f->dir, "etc", "cloison.conf", NULL);
	g_autofree char *user = g_build_filename(xdg, "cloison", "cloison.conf", NULL);
	g_autofree char *found = NULL;
	g_autofree char *p1 = NULL, *p2 = NULL;

	/* nothing anywhere: built-in default */
	found = cl_config_find(NULL, xdg, sys, &error);
	g_assert_no_error(error);
	g_assert_null(found);

	/* explicit wins even if missing (the load then fails clearly) */
	found = cl_config_find("/nonexistent.conf", xdg, sys, &error);
	g_assert_cmpstr(found, ==, "/nonexistent.conf");
	g_clear_pointer(&found, g_free);

	p1 = write_file(f->dir, "etc/cloison.conf", BASE);
	found = cl_config_find(NULL, xdg, sys, &error);
	g_assert_cmpstr(found, ==, sys);
	g_clear_pointer(&found, g_free);

	p2 = write_file(xdg, "cloison/cloison.conf", BASE);
	found = cl_config_find(NULL, xdg, sys, &error);
	g_assert_cmpstr(found, ==, user);
	g_clear_pointer(&found, g_free);

	/* relative XDG_CONFIG_HOME is ignored (XDG spec) */
	found = cl_config_find(NULL, "relative/dir", sys, &error);
	g_assert_cmpstr(found, ==, sys);
	g_clear_pointer(&found, g_free);

	/* a directory where the user file should be is an error, not skipped */
	g_assert_cmpint(g_unlink(user), ==, 0);
	g_assert_cmpint(g_mkdir(user, 0700), ==, 0);
	found = cl_config_find(NULL, xdg, sys, &error);
	g_assert_null(found);
	g_assert_error(error, CL_CONFIG_ERROR, CL_CONFIG_ERROR_IO);
	g_assert_nonnull(strstr(error->message, user));
}

static void test_load_env(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *xdg = g_build_filename(f->dir, "xdg", NULL);
	g_autofree char *p = NULL;
	g_autoptr(ClConfig) config = NULL;

	g_setenv("XDG_CONFIG_HOME", xdg, TRUE);
	p = write_file(xdg, "cloison/cloison.conf",
	               LEVELS "[cage only]\nlevel=high\napplications=true\n");
	config = cl_config_load(NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(config->source, ==, p);
	g_assert_nonnull(cl_config_get_cage(config, "only"));
	g_clear_pointer(&config, cl_config_free);

	/* HOME fallback when XDG_CONFIG_HOME is unset */
	g_unsetenv("XDG_CONFIG_HOME");
	g_setenv("HOME", f->dir, TRUE);
	g_free(write_file(f->dir, ".config/cloison/cloison.conf", BASE "[cage home]\nlevel=low\n"));
	config = cl_config_load(NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(cl_config_get_cage(config, "home"));
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	/* Messages are checked in English. */
	g_setenv("LANGUAGE", "C", TRUE);
	g_test_init(&argc, &argv, NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(error_cases); i++) {
		g_autofree char *path = g_strdup_printf("/config/error/%s", error_cases[i].name);
		g_test_add_data_func(path, &error_cases[i], test_error_case);
	}
	g_test_add_func("/config/minimal", test_minimal);
	g_test_add_func("/config/full-values", test_full_values);
	g_test_add_func("/config/limits", test_limits);
	g_test_add_func("/config/too-large", test_too_large);
	g_test_add_func("/config/id-valid", test_id_valid);
	g_test_add_func("/config/sizes", test_sizes);
	g_test_add_func("/config/actions", test_actions);
	g_test_add_func("/config/default", test_default);
	g_test_add_func("/config/example-matches-default", test_example_matches_default);
	g_test_add_func("/config/round-trip/default", test_round_trip);
	g_test_add_func("/config/round-trip/full", test_round_trip_full);
	g_test_add_func("/config/localized-label", test_localized_label);
	g_test_add("/config/file/load", Fixture, NULL, fixture_setup, test_load_file,
	           fixture_teardown);
	g_test_add("/config/file/fifo", Fixture, NULL, fixture_setup, test_load_fifo,
	           fixture_teardown);
	g_test_add("/config/file/too-big", Fixture, NULL, fixture_setup, test_load_big_file,
	           fixture_teardown);
	g_test_add("/config/find", Fixture, NULL, fixture_setup, test_find, fixture_teardown);
	g_test_add("/config/load-env", Fixture, NULL, fixture_setup, test_load_env,
	           fixture_teardown);
	return g_test_run();
}
