/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cloison-build-config.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "i18n.h"
#include "policy.h"
#include "util.h"

GQuark cl_config_error_quark(void)
{
	return g_quark_from_static_string("cloison-config-error-quark");
}

/*
 * The built-in default: two levels, one cage each; upward transfers are
 * asked, downward ones need an explicit declassification and are limited to
 * a few inert document types.  data/cloison.conf.example says the same in a
 * commented file, and a test checks that both resolve to the same thing.
 */
static const char builtin_config[] = "[general]\n"
                                     "transfer-expiry=300\n"
                                     "\n"
                                     "[level low]\n"
                                     "label=Low\n"
                                     "label[fr]=Bas\n"
                                     "colour=#2e7d32\n"
                                     "rank=0\n"
                                     "\n"
                                     "[level high]\n"
                                     "label=High\n"
                                     "label[fr]=Haut\n"
                                     "colour=#c62828\n"
                                     "rank=10\n"
                                     "\n"
                                     "[cage low]\n"
                                     "level=low\n"
                                     "network=false\n"
                                     "autostart=true\n"
                                     "applications=foot\n"
                                     "\n"
                                     "[cage high]\n"
                                     "level=high\n"
                                     "network=false\n"
                                     "autostart=true\n"
                                     "applications=foot\n"
                                     "\n"
                                     "[transfer low high]\n"
                                     "action=ask\n"
                                     "types=*/*\n"
                                     "max-size=100MiB\n"
                                     "\n"
                                     "[transfer high low]\n"
                                     "action=ask-declassify\n"
                                     "types=application/pdf;image/png;image/jpeg;text/plain\n"
                                     "max-size=100MiB\n"
                                     "require-reason=true\n";

/* Where each group and key was written, for error messages. */
typedef struct {
	GHashTable *group_lines; /* group name -> line (GINT_TO_POINTER) */
	GHashTable *key_lines;   /* "group\nkey" -> line */
} SourceMap;

typedef struct {
	const char *source;
	GKeyFile *kf;
	SourceMap map;
	ClConfig *config;
} Loader;

static void source_map_clear(SourceMap *map)
{
	g_clear_pointer(&map->group_lines, g_hash_table_unref);
	g_clear_pointer(&map->key_lines, g_hash_table_unref);
}

static int group_line(const Loader *l, const char *group)
{
	return GPOINTER_TO_INT(g_hash_table_lookup(l->map.group_lines, group));
}

static int key_line(const Loader *l, const char *group, const char *key)
{
	g_autofree char *k = g_strconcat(group, "\n", key, NULL);
	int line = GPOINTER_TO_INT(g_hash_table_lookup(l->map.key_lines, k));
	return line > 0 ? line : group_line(l, group);
}

/* "FILE:LINE: [GROUP] KEY: " or shorter forms when parts are unknown. */
static char *location(const Loader *l, const char *group, const char *key)
{
	int line = group ? (key ? key_line(l, group, key) : group_line(l, group)) : 0;
	GString *s = g_string_new(l->source);

	if (line > 0)
		g_string_append_printf(s, ":%d", line);
	g_string_append(s, ":");
	if (group)
		g_string_append_printf(s, " [%s]", group);
	if (key)
		g_string_append_printf(s, " %s:", key);
	return g_string_free(s, FALSE);
}

static bool fail(Loader *l, GError **error, ClConfigError code, const char *group, const char *key,
                 const char *fmt, ...) G_GNUC_PRINTF(6, 7);

static bool fail(Loader *l, GError **error, ClConfigError code, const char *group, const char *key,
                 const char *fmt, ...)
{
	g_autofree char *where = location(l, group, key);
	g_autofree char *what = NULL;
	va_list ap;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, CL_CONFIG_ERROR, code, "%s %s", where, what);
	return false;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * GKeyFile silently merges repeated groups and keeps the last of repeated
 * keys, and reports syntax errors without a line number.  Scan the text first
 * to catch both, and to remember where everything is.
 */
static bool scan_source(Loader *l, const char *data, size_t len, GError **error)
{
	g_autofree char *group = NULL;
	const char *p = data, *end = data + len;
	int line = 0;

	l->map.group_lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	l->map.key_lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *s = p, *e = eol ? eol : end;

		line++;
		p = eol ? eol + 1 : end;
		while (s < e && is_blank(*s))
			s++;
		while (e > s && (is_blank(e[-1]) || e[-1] == '\r'))
			e--;
		if (s == e || *s == '#')
			continue;

		if (*s == '[') {
			const char *close = memchr(s, ']', (size_t)(e - s));
			int first;

			if (!close || close + 1 != e) {
				g_set_error(error, CL_CONFIG_ERROR, CL_CONFIG_ERROR_PARSE,
				            _("%s:%d: a group header must be a single “[name]”"),
				            l->source, line);
				return false;
			}
			g_free(group);
			group = g_strndup(s + 1, (size_t)(close - s - 1));
			first = GPOINTER_TO_INT(g_hash_table_lookup(l->map.group_lines, group));
			if (first > 0) {
				g_set_error(error, CL_CONFIG_ERROR, CL_CONFIG_ERROR_DUPLICATE,
				            _("%s:%d: [%s] is defined twice (first at line %d)"),
				            l->source, line, group, first);
				return false;
			}
			g_hash_table_insert(l->map.group_lines, g_strdup(group),
			                    GINT_TO_POINTER(line));
			continue;
		}

		const char *eq = memchr(s, '=', (size_t)(e - s));
		if (!eq) {
			g_set_error(error, CL_CONFIG_ERROR, CL_CONFIG_ERROR_PARSE,
			            _("%s:%d: expected “key=value”, a “[group]” header or a "
			              "“#” comment"),
			            l->source, line);
			return false;
		}
		if (!group) {
			g_set_error(error, CL_CONFIG_ERROR, CL_CONFIG_ERROR_PARSE,
			            _("%s:%d: a key appears before the first [group]"), l->source,
			            line);
			return false;
		}
		const char *ke = eq;
		while (ke > s && is_blank(ke[-1]))
			ke--;
		g_autofree char *key = g_strndup(s, (size_t)(ke - s));
		g_autofree char *k = g_strconcat(group, "\n", key, NULL);
		int first = GPOINTER_TO_INT(g_hash_table_lookup(l->map.key_lines, k));
		if (first > 0) {
			g_set_error(error, CL_CONFIG_ERROR, CL_CONFIG_ERROR_DUPLICATE,
			            _("%s:%d: [%s] %s is set twice (first at line %d)"), l->source,
			            line, group, key, first);
			return false;
		}
		g_hash_table_insert(l->map.key_lines, g_steal_pointer(&k), GINT_TO_POINTER(line));
	}
	return true;
}

bool cl_id_is_valid(const char *id)
{
	size_t n;

	if (!id || !*id || id[0] == '-')
		return false;
	for (n = 0; id[n]; n++) {
		char c = id[n];
		if (n >= CL_ID_MAX_LEN)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

const char *cl_action_to_string(ClAction action)
{
	switch (action) {
	case CL_ACTION_DENY:
		return "deny";
	case CL_ACTION_ASK:
		return "ask";
	case CL_ACTION_ASK_DECLASSIFY:
		return "ask-declassify";
	}
	return "deny";
}

bool cl_action_from_string(const char *s, ClAction *ret)
{
	static const ClAction all[] = {CL_ACTION_DENY, CL_ACTION_ASK, CL_ACTION_ASK_DECLASSIFY};

	for (size_t i = 0; i < G_N_ELEMENTS(all); i++) {
		if (s && strcmp(s, cl_action_to_string(all[i])) == 0) {
			*ret = all[i];
			return true;
		}
	}
	return false;
}

bool cl_size_parse(const char *s, uint64_t *ret)
{
	static const struct {
		const char *suffix;
		unsigned shift;
	} units[] = {
	        {"", 0},     {"b", 0},  {"k", 10},   {"kib", 10}, {"m", 20},
	        {"mib", 20}, {"g", 30}, {"gib", 30}, {"t", 40},   {"tib", 40},
	};
	unsigned long long n = 0;
	size_t digits = 0;

	if (!s)
		return false;
	while (s[digits] >= '0' && s[digits] <= '9')
		digits++;
	if (digits == 0 || digits > 20)
		return false;
	for (size_t i = 0; i < digits; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (n > (UINT64_MAX - d) / 10)
			return false;
		n = n * 10 + d;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(units); i++) {
		if (g_ascii_strcasecmp(s + digits, units[i].suffix) != 0)
			continue;
		if (units[i].shift && n > (UINT64_MAX >> units[i].shift))
			return false;
		*ret = (uint64_t)n << units[i].shift;
		return true;
	}
	return false;
}

char *cl_size_format(uint64_t size)
{
	static const char *const names[] = {"TiB", "GiB", "MiB", "KiB"};
	static const unsigned shifts[] = {40, 30, 20, 10};

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		uint64_t unit = UINT64_C(1) << shifts[i];
		if (size >= unit && size % unit == 0)
			return g_strdup_printf("%" G_GUINT64_FORMAT "%s", size / unit, names[i]);
	}
	return g_strdup_printf("%" G_GUINT64_FORMAT, size);
}

static void level_free(ClLevel *level)
{
	if (!level)
		return;
	g_free(level->id);
	g_free(level->label);
	g_free(level);
}

static void cage_free(ClCage *cage)
{
	if (!cage)
		return;
	g_free(cage->id);
	g_strfreev(cage->applications);
	g_free(cage);
}

static void rule_free(ClRule *rule)
{
	if (!rule)
		return;
	g_strfreev(rule->types);
	g_free(rule);
}

void cl_config_free(ClConfig *config)
{
	if (!config)
		return;
	g_free(config->source);
	g_clear_pointer(&config->rules, g_ptr_array_unref);
	g_clear_pointer(&config->cages, g_ptr_array_unref);
	g_clear_pointer(&config->levels, g_ptr_array_unref);
	g_free(config);
}

static ClConfig *config_new(const char *source)
{
	ClConfig *config = g_new0(ClConfig, 1);

	config->source = g_strdup(source);
	config->levels = g_ptr_array_new_with_free_func((GDestroyNotify)level_free);
	config->cages = g_ptr_array_new_with_free_func((GDestroyNotify)cage_free);
	config->rules = g_ptr_array_new_with_free_func((GDestroyNotify)rule_free);
	config->transfer_expiry_s = CL_DEFAULT_EXPIRY_S;
	return config;
}

const ClLevel *cl_config_get_level(const ClConfig *config, const char *id)
{
	if (!config || !id)
		return NULL;
	for (guint i = 0; i < config->levels->len; i++) {
		const ClLevel *level = g_ptr_array_index(config->levels, i);
		if (strcmp(level->id, id) == 0)
			return level;
	}
	return NULL;
}

const ClCage *cl_config_get_cage(const ClConfig *config, const char *id)
{
	if (!config || !id)
		return NULL;
	for (guint i = 0; i < config->cages->len; i++) {
		const ClCage *cage = g_ptr_array_index(config->cages, i);
		if (strcmp(cage->id, id) == 0)
			return cage;
	}
	return NULL;
}

const ClRule *cl_config_get_rule(const ClConfig *config, const ClLevel *from, const ClLevel *to)
{
	if (!config || !from || !to)
		return NULL;
	for (guint i = 0; i < config->rules->len; i++) {
		const ClRule *rule = g_ptr_array_index(config->rules, i);
		if (rule->from == from && rule->to == to)
			return rule;
	}
	return NULL;
}

/* ---- key checks ---------------------------------------------------------- */

/* "label[fr_FR.UTF-8@euro]" -> true for base "label". */
static bool is_localized_key(const char *key, const char *base)
{
	size_t n = strlen(base), len = strlen(key);

	if (len < n + 3 || strncmp(key, base, n) != 0 || key[n] != '[' || key[len - 1] != ']')
		return false;
	for (size_t i = n + 1; i < len - 1; i++) {
		char c = key[i];
		if (!g_ascii_isalnum(c) && c != '_' && c != '@' && c != '.' && c != '-')
			return false;
	}
	return true;
}

static bool check_keys(Loader *l, const char *group, const char *const *allowed,
                       const char *localizable, GError **error)
{
	g_auto(GStrv) keys = g_key_file_get_keys(l->kf, group, NULL, NULL);

	for (size_t i = 0; keys && keys[i]; i++) {
		if (g_strv_contains(allowed, keys[i]))
			continue;
		if (localizable && is_localized_key(keys[i], localizable))
			continue;
		g_autofree char *list = g_strjoinv(", ", (char **)allowed);
		return fail(l, error, CL_CONFIG_ERROR_UNKNOWN_KEY, group, keys[i],
		            _("is not a known key (valid keys: %s)"), list);
	}
	return true;
}

/* The raw value, or NULL if absent; *error only for required keys. */
static char *get_value(Loader *l, const char *group, const char *key, bool required, GError **error)
{
	g_autoptr(GError) e = NULL;
	char *v;

	if (!g_key_file_has_key(l->kf, group, key, NULL)) {
		if (required)
			fail(l, error, CL_CONFIG_ERROR_MISSING, group, key,
			     _("is required but missing"));
		return NULL;
	}
	v = g_key_file_get_string(l->kf, group, key, &e);
	if (!v) {
		fail(l, error, CL_CONFIG_ERROR_INVALID, group, key, _("cannot be read: %s"),
		     e->message);
		return NULL;
	}
	g_strstrip(v);
	return v;
}

static bool get_bool(Loader *l, const char *group, const char *key, bool def, bool *ret,
                     GError **error)
{
	g_autofree char *v = NULL;

	if (!g_key_file_has_key(l->kf, group, key, NULL)) {
		*ret = def;
		return true;
	}
	v = get_value(l, group, key, true, error);
	if (!v)
		return false;
	if (strcmp(v, "true") == 0) {
		*ret = true;
		return true;
	}
	if (strcmp(v, "false") == 0) {
		*ret = false;
		return true;
	}
	return fail(l, error, CL_CONFIG_ERROR_INVALID, group, key,
	            _("“%s” is not a boolean (use true or false)"), v);
}

static bool get_uint(Loader *l, const char *group, const char *key, unsigned long long min,
                     unsigned long long max, unsigned long long *ret, GError **error)
{
	g_autofree char *v = get_value(l, group, key, true, error);
	unsigned long long n;

	if (!v)
		return false;
	if (cl_parse_u64(v, &n) < 0 || n < min || n > max)
		return fail(l, error, CL_CONFIG_ERROR_INVALID, group, key,
		            _("“%s” is not a whole number from %llu to %llu"), v, min, max);
	*ret = n;
	return true;
}

/*
 * Text shown to the user (labels): valid UTF-8 (GKeyFile checks), not empty,
 * no control or formatting characters that could disguise it, bounded.
 */
static bool check_label(Loader *l, const char *group, const char *key, const char *label,
                        GError **error)
{
	long n = 0;

	if (!g_utf8_validate(label, -1, NULL))
		return fail(l, error, CL_CONFIG_ERROR_INVALID, group, key, _("is not valid UTF-8"));
	if (!*label)
		return fail(l, error, CL_CONFIG_ERROR_INVALID, group, key, _("must not be empty"));
	for (const char *p = label; *p; p = g_utf8_next_char(p), n++) {
		gunichar c = g_utf8_get_char(p);
		GUnicodeType t = g_unichar_type(c);
		if (t == G_UNICODE_CONTROL || t == G_UNICODE_FORMAT || t == G_UNICODE_UNASSIGNED ||
		    t == G_UNICODE_LINE_SEPARATOR || t == G_UNICODE_PARAGRAPH_SEPARATOR ||
		    t == G_UNICODE_PRIVATE_USE || t == G_UNICODE_SURROGATE)
			return fail(l, error, CL_CONFIG_ERROR_INVALID, group, key,
			            _("contains the control or invisible character U+%04X"),
			            (unsigned)c);
	}
	if (n > CL_LABEL_MAX_LEN)
		return fail(l, error, CL_CONFIG_ERROR_INVALID, group, key,
		            _("is %ld characters long; at most %d are allowed"), n,
		            CL_LABEL_MAX_LEN);
	return true;
}

static bool parse_colour(const char *s, ClLevel *level)
{
	if (strlen(s) != 7 || s[0] != '#')
		return false;
	for (int i = 0; i < 3; i++) {
		int hi = g_ascii_xdigit_value(s[1 + 2 * i]);
		int lo = g_ascii_xdigit_value(s[2 + 2 * i]);
		if (hi < 0 || lo < 0)
			return false;
		level->rgb[i] = (uint8_t)(hi * 16 + lo);
	}
	g_snprintf(level->colour, sizeof(level->colour), "#%02x%02x%02x", level->rgb[0],
	           level->rgb[1], level->rgb[2]);
	return true;
}

/* ---- groups -------------------------------------------------------------- */

static bool load_general(Loader *l, const char *group, GError **error)
{
	static const char *const keys[] = {"transfer-expiry", NULL};
	unsigned long long n;

	if (!check_keys(l, group, keys, NULL, error))
		return false;
	if (g_key_file_has_key(l->kf, group, "transfer-expiry", NULL)) {
		if (!get_uint(l, group, "transfer-expiry", 10, 86400, &n, error))
			return false;
		l->config->transfer_expiry_s = (unsigned)n;
	}
	return true;
}

static bool load_level(Loader *l, const char *group, const char *id, GError **error)
{
	static const char *const keys[] = {"label", "colour", "rank", NULL};
	g_autofree char *colour = NULL;
	g_auto(GStrv) all_keys = NULL;
	unsigned long long rank;
	ClLevel *level;

	if (!check_keys(l, group, keys, "label", error))
		return false;
	if (l->config->levels->len >= CL_MAX_LEVELS)
		return fail(l, error, CL_CONFIG_ERROR_LIMIT, group, NULL,
		            _("too many levels (at most %d)"), CL_MAX_LEVELS);

	level = g_new0(ClLevel, 1);
	g_ptr_array_add(l->config->levels, level);
	level->id = g_strdup(id);

	/* Every translation of the label must be acceptable, not just ours. */
	all_keys = g_key_file_get_keys(l->kf, group, NULL, NULL);
	for (size_t i = 0; all_keys && all_keys[i]; i++) {
		if (!g_str_has_prefix(all_keys[i], "label"))
			continue;
		g_autofree char *v = get_value(l, group, all_keys[i], true, error);
		if (!v || !check_label(l, group, all_keys[i], v, error))
			return false;
	}
	g_autofree char *base = get_value(l, group, "label", true, error);
	if (!base)
		return false;
	level->label = g_key_file_get_locale_string(l->kf, group, "label", NULL, NULL);
	if (!level->label)
		level->label = g_strdup(base);
	g_strstrip(level->label);

	colour = get_value(l, group, "colour", true, error);
	if (!colour)
		return false;
	if (!parse_colour(colour, level))
		return fail(l, error, CL_CONFIG_ERROR_INVALID, group, "colour",
		            _("“%s” is not a colour of the form #rrggbb"), colour);

	if (!get_uint(l, group, "rank", 0, CL_RANK_MAX, &rank, error))
		return false;
	level->rank = (int)rank;

	for (guint i = 0; i + 1 < l->config->levels->len; i++) {
		const ClLevel *other = g_ptr_array_index(l->config->levels, i);
		g_autofree char *a = g_utf8_casefold(other->label, -1);
		g_autofree char *b = g_utf8_casefold(level->label, -1);

		if (other->rank == level->rank)
			return fail(l, error, CL_CONFIG_ERROR_DUPLICATE, group, "rank",
			            _("%d is already the rank of level “%s”"), level->rank,
			            other->id);
		if (strcmp(a, b) == 0)
			return fail(l, error, CL_CONFIG_ERROR_DUPLICATE, group, "label",
			            _("“%s” is already the label of level “%s”"), level->label,
			            other->id);
		if (strcmp(other->colour, level->colour) == 0)
			return fail(l, error, CL_CONFIG_ERROR_DUPLICATE, group, "colour",
			            _("%s is already the colour of level “%s”"), level->colour,
			            other->id);
	}
	return true;
}

static bool get_limit(Loader *l, const char *group, const char *key, bool is_size, uint64_t min,
                      uint64_t *ret, GError **error)
{
	g_autofree char *v = NULL;
	uint64_t n;
	bool ok;

	*ret = 0;
	if (!g_key_file_has_key(l->kf, group, key, NULL))
		return true;
	v = get_value(l, group, key, true, error);
	if (!v)
		return false;
	if (strcmp(v, "infinity") == 0)
		return true;
	if (is_size) {
		ok = cl_size_parse(v, &n) && n >= min && n <= CL_MAX_SIZE_LIMIT;
	} else {
		unsigned long long u;
		ok = cl_parse_u64(v, &u) == 0 && u >= min && u <= 4194304;
		n = u;
	}
	if (!ok) {
		if (is_size)
			return fail(l, error, CL_CONFIG_ERROR_INVALID, group, key,
			            _("“%s” is not a size of at least %" PRIu64
			              " bytes and at most 1TiB, nor “infinity”"),
			            v, min);
		return fail(l, error, CL_CONFIG_ERROR_INVALID, group, key,
		            _("“%s” is not a number from %" PRIu64 " to 4194304, nor “infinity”"),
		            v, min);
	}
	*ret = n;
	return true;
}

static bool load_cage(Loader *l, const char *group, const char *id, GError **error)
{
	static const char *const keys[] = {"level",        "network",    "autostart", "restart",
	                                   "applications", "memory-max", "tasks-max", NULL};
	g_autofree char *level_id = NULL;
	gsize n_apps = 0;
	ClCage *cage;

	if (!check_keys(l, group, keys, NULL, error))
		return false;
	if (l->config->cages->len >= CL_MAX_CAGES)
		return fail(l, error, CL_CONFIG_ERROR_LIMIT, group, NULL,
		            _("too many cages (at most %d)"), CL_MAX_CAGES);

	cage = g_new0(ClCage, 1);
	g_ptr_array_add(l->config->cages, cage);
	cage->id = g_strdup(id);

	level_id = get_value(l, group, "level", true, error);
	if (!level_id)
		return false;
	cage->level = cl_config_get_level(l->config, level_id);
	if (!cage->level)
		return fail(l, error, CL_CONFIG_ERROR_UNKNOWN_LEVEL, group, "level",
		            _("names the undefined level “%s”"), level_id);

	if (!get_bool(l, group, "network", false, &cage->network, error) ||
	    !get_bool(l, group, "autostart", true, &cage->autostart, error) ||
	    !get_bool(l, group, "restart", false, &cage->restart, error))
		return false;
	if (!get_limit(l, group, "memory-max", true, UINT64_C(16) << 20, &cage->memory_max,
	               error) ||
	    !get_limit(l, group, "tasks-max", false, 8, &cage->tasks_max, error))
		return false;

	if (g_key_file_has_key(l->kf, group, "applications", NULL)) {
		g_autoptr(GError) e = NULL;
		cage->applications =
		        g_key_file_get_string_list(l->kf, group, "applications", &n_apps, &e);
		if (!cage->applications)
			return fail(l, error, CL_CONFIG_ERROR_INVALID, group, "applications",
			            _("cannot be read: %s"), e->message);
	} else {
		cage->applications = g_new0(char *, 1);
	}
	if (n_apps > CL_MAX_APPLICATIONS)
		return fail(l, error, CL_CONFIG_ERROR_LIMIT, group, "applications",
		            _("lists %zu applications; at most %d are allowed"), (size_t)n_apps,
		            CL_MAX_APPLICATIONS);
	for (gsize i = 0; i < n_apps; i++) {
		g_autoptr(GError) e = NULL;
		g_auto(GStrv) argv = NULL;
		char *app = g_strstrip(cage->applications[i]);

		if (strlen(app) > CL_MAX_APP_LEN)
			return fail(l, error, CL_CONFIG_ERROR_LIMIT, group, "applications",
			            _("entry %zu is longer than %d bytes"), (size_t)i + 1,
			            CL_MAX_APP_LEN);
		if (!g_utf8_validate(app, -1, NULL))
			return fail(l, error, CL_CONFIG_ERROR_INVALID, group, "applications",
			            _("entry %zu is not valid UTF-8"), (size_t)i + 1);
		if (!g_shell_parse_argv(app, NULL, &argv, &e))
			return fail(l, error, CL_CONFIG_ERROR_INVALID, group, "applications",
			            _("entry %zu (“%s”) is not a valid command line: %s"),
			            (size_t)i + 1, app, e->message);
	}
	return true;
}

static bool load_rule(Loader *l, const char *group, const char *from_id, const char *to_id,
                      GError **error)
{
	static const char *const keys[] = {"action", "types", "max-size", "require-reason", NULL};
	g_autofree char *action = NULL, *size = NULL;
	const ClLevel *from, *to;
	ClDirection dir;
	ClRule *rule;

	if (!check_keys(l, group, keys, NULL, error))
		return false;
	from = cl_config_get_level(l->config, from_id);
	to = cl_config_get_level(l->config, to_id);
	if (!from || !to)
		return fail(l, error, CL_CONFIG_ERROR_UNKNOWN_LEVEL, group, NULL,
		            _("names the undefined level “%s”"), from ? to_id : from_id);
	if (cl_config_get_rule(l->config, from, to))
		return fail(l, error, CL_CONFIG_ERROR_DUPLICATE, group, NULL,
		            _("repeats the rule for %s → %s"), from_id, to_id);

	rule = g_new0(ClRule, 1);
	g_ptr_array_add(l->config->rules, rule);
	rule->from = from;
	rule->to = to;
	rule->max_size = UINT64_C(100) << 20;

	action = get_value(l, group, "action", true, error);
	if (!action)
		return false;
	if (!cl_action_from_string(action, &rule->action))
		return fail(l, error, CL_CONFIG_ERROR_INVALID, group, "action",
		            _("“%s” is not one of deny, ask, ask-declassify"), action);

	dir = cl_policy_direction(from, to);
	if (dir == CL_DIRECTION_DOWN && rule->action == CL_ACTION_ASK)
		return fail(l, error, CL_CONFIG_ERROR_INVALID, group, "action",
		            _("a downward rule (%s → %s) must be deny or ask-declassify"), from_id,
		            to_id);
	if (dir != CL_DIRECTION_DOWN && rule->action == CL_ACTION_ASK_DECLASSIFY)
		return fail(l, error, CL_CONFIG_ERROR_INVALID, group, "action",
		            _("ask-declassify is only for downward rules; %s → %s is not one"),
		            from_id, to_id);

	if (g_key_file_has_key(l->kf, group, "types", NULL)) {
		g_autoptr(GError) e = NULL;
		gsize n = 0;
		rule->types = g_key_file_get_string_list(l->kf, group, "types", &n, &e);
		if (!rule->types)
			return fail(l, error, CL_CONFIG_ERROR_INVALID, group, "types",
			            _("cannot be read: %s"), e->message);
		if (n == 0)
			return fail(l, error, CL_CONFIG_ERROR_INVALID, group, "types",
			            _("must list at least one type"));
		if (n > CL_MAX_TYPES)
			return fail(l, error, CL_CONFIG_ERROR_LIMIT, group, "types",
			            _("lists %zu types; at most %d are allowed"), (size_t)n,
			            CL_MAX_TYPES);
		for (gsize i = 0; i < n; i++) {
			char *t = g_strstrip(rule->types[i]);
			if (!cl_mime_pattern_is_valid(t))
				return fail(l, error, CL_CONFIG_ERROR_INVALID, group, "types",
				            _("“%s” is not a MIME type pattern (type/subtype, "
				              "type/* or */*)"),
				            t);
			for (char *c = t; *c; c++)
				*c = g_ascii_tolower(*c);
		}
	} else if (rule->action != CL_ACTION_DENY) {
		return fail(l, error, CL_CONFIG_ERROR_MISSING, group, "types",
		            _("is required when the action is not deny (use */* to allow "
		              "every type)"));
	} else {
		rule->types = g_new0(char *, 1);
	}

	size = get_value(l, group, "max-size", false, NULL);
	if (size && (!cl_size_parse(size, &rule->max_size) || rule->max_size == 0 ||
	             rule->max_size > CL_MAX_SIZE_LIMIT))
		return fail(l, error, CL_CONFIG_ERROR_INVALID, group, "max-size",
		            _("“%s” is not a size from 1 byte to 1TiB (e.g. 100MiB)"), size);

	if (!get_bool(l, group, "require-reason", false, &rule->require_reason, error))
		return false;
	if (rule->require_reason && rule->action != CL_ACTION_ASK_DECLASSIFY)
		return fail(l, error, CL_CONFIG_ERROR_INVALID, group, "require-reason",
		            _("only applies to ask-declassify rules"));
	return true;
}

/* Group kinds, in the order they are loaded (levels before what names them). */
enum { GROUP_GENERAL, GROUP_LEVEL, GROUP_CAGE, GROUP_TRANSFER, N_GROUP_KINDS };

static int classify_group(Loader *l, const char *group, char ***ret_words, GError **error)
{
	g_auto(GStrv) words = g_strsplit(group, " ", -1);
	guint n = g_strv_length(words);
	int kind = -1;

	if (strcmp(group, "general") == 0)
		kind = GROUP_GENERAL;
	else if (n == 2 && strcmp(words[0], "level") == 0)
		kind = GROUP_LEVEL;
	else if (n == 2 && strcmp(words[0], "cage") == 0)
		kind = GROUP_CAGE;
	else if (n == 3 && strcmp(words[0], "transfer") == 0)
		kind = GROUP_TRANSFER;

	if (kind < 0) {
		fail(l, error, CL_CONFIG_ERROR_UNKNOWN_GROUP, group, NULL,
		     _("is not a known group (use [general], [level ID], [cage ID] or "
		       "[transfer FROM-LEVEL TO-LEVEL])"));
		return -1;
	}
	for (guint i = 1; i < n; i++) {
		if (!cl_id_is_valid(words[i])) {
			fail(l, error, CL_CONFIG_ERROR_INVALID, group, NULL,
			     _("“%s” is not a valid id (1 to 32 of a-z, 0-9 and -, not "
			       "starting with -)"),
			     words[i]);
			return -1;
		}
	}
	*ret_words = g_steal_pointer(&words);
	return kind;
}

static int compare_rank(gconstpointer a, gconstpointer b)
{
	const ClLevel *x = *(ClLevel *const *)a, *y = *(ClLevel *const *)b;
	return (x->rank > y->rank) - (x->rank < y->rank);
}

ClConfig *cl_config_load_data(const char *data, size_t len, const char *source, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) e = NULL;
	g_auto(GStrv) groups = NULL;
	Loader l = {.source = source ? source : "(config)", .kf = kf};
	ClConfig *result = NULL;

	g_return_val_if_fail(data || len == 0, NULL);

	if (len > CL_CONFIG_MAX_BYTES) {
		g_set_error(error, CL_CONFIG_ERROR, CL_CONFIG_ERROR_IO,
		            _("%s: the file is larger than %d bytes"), l.source,
		            CL_CONFIG_MAX_BYTES);
		return NULL;
	}
	if (memchr(data, '\0', len)) {
		g_set_error(error, CL_CONFIG_ERROR, CL_CONFIG_ERROR_PARSE,
		            _("%s: the file contains a NUL byte; it is not a text file"), l.source);
		return NULL;
	}
	if (!g_utf8_validate_len(data, len, NULL)) {
		g_set_error(error, CL_CONFIG_ERROR, CL_CONFIG_ERROR_PARSE,
		            _("%s: the file is not valid UTF-8"), l.source);
		return NULL;
	}
	if (!scan_source(&l, data, len, error))
		goto out;
	if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_KEEP_TRANSLATIONS, &e)) {
		g_set_error(error, CL_CONFIG_ERROR, CL_CONFIG_ERROR_PARSE, "%s: %s", l.source,
		            e->message);
		goto out;
	}

	l.config = config_new(l.source);
	groups = g_key_file_get_groups(kf, NULL);
	for (int pass = 0; pass < N_GROUP_KINDS; pass++) {
		for (size_t i = 0; groups[i]; i++) {
			g_auto(GStrv) words = NULL;
			int kind = classify_group(&l, groups[i], &words, error);
			bool ok = true;

			if (kind < 0)
				goto out;
			if (kind != pass)
				continue;
			switch (kind) {
			case GROUP_GENERAL:
				ok = load_general(&l, groups[i], error);
				break;
			case GROUP_LEVEL:
				ok = load_level(&l, groups[i], words[1], error);
				break;
			case GROUP_CAGE:
				ok = load_cage(&l, groups[i], words[1], error);
				break;
			case GROUP_TRANSFER:
				ok = load_rule(&l, groups[i], words[1], words[2], error);
				break;
			}
			if (!ok)
				goto out;
		}
	}
	if (l.config->levels->len == 0) {
		g_set_error(error, CL_CONFIG_ERROR, CL_CONFIG_ERROR_MISSING,
		            _("%s: no level is defined (add a [level ID] group)"), l.source);
		goto out;
	}
	if (l.config->cages->len == 0) {
		g_set_error(error, CL_CONFIG_ERROR, CL_CONFIG_ERROR_MISSING,
		            _("%s: no cage is defined (add a [cage ID] group)"), l.source);
		goto out;
	}
	/* Cages and rules point at levels, not at positions: sorting is safe. */
	g_ptr_array_sort(l.config->levels, compare_rank);
	result = g_steal_pointer(&l.config);
out:
	cl_config_free(l.config);
	source_map_clear(&l.map);
	return result;
}

ClConfig *cl_config_load_file(const char *path, GError **error)
{
	g_autofree char *data = NULL;
	size_t len = 0;
	int r;

	r = cl_read_file_bounded(AT_FDCWD, path, CL_CONFIG_MAX_BYTES, &data, &len);
	if (r == -EFBIG) {
		g_set_error(error, CL_CONFIG_ERROR, CL_CONFIG_ERROR_IO,
		            _("%s: the file is larger than %d bytes"), path, CL_CONFIG_MAX_BYTES);
		return NULL;
	}
	if (r == -EINVAL) {
		g_set_error(error, CL_CONFIG_ERROR, CL_CONFIG_ERROR_IO, _("%s: not a regular file"),
		            path);
		return NULL;
	}
	if (r < 0) {
		g_set_error(error, CL_CONFIG_ERROR, CL_CONFIG_ERROR_IO, _("%s: cannot read: %s"),
		            path, g_strerror(-r));
		return NULL;
	}
	return cl_config_load_data(data, len, path, error);
}

ClConfig *cl_config_load_default(void)
{
	g_autoptr(GError) e = NULL;
	ClConfig *config = cl_config_load_data(builtin_config, sizeof(builtin_config) - 1,
	                                       CL_BUILTIN_SOURCE_NAME, &e);

	/* A broken built-in default is a build bug that the tests catch. */
	if (!config)
		g_error("built-in configuration: %s", e->message);
	return config;
}

/* 1: exists as a regular file, 0: does not exist, -1: exists but unusable. */
static int candidate(const char *path, GError **error)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		g_set_error(error, CL_CONFIG_ERROR, CL_CONFIG_ERROR_IO, _("%s: cannot read: %s"),
		            path, g_strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		g_set_error(error, CL_CONFIG_ERROR, CL_CONFIG_ERROR_IO, _("%s: not a regular file"),
		            path);
		return -1;
	}
	return 1;
}

char *cl_config_find(const char *explicit_path, const char *xdg_config_home,
                     const char *system_path, GError **error)
{
	g_autofree char *user = NULL;
	int r;

	if (explicit_path)
		return g_strdup(explicit_path);
	if (xdg_config_home && g_path_is_absolute(xdg_config_home)) {
		user = g_build_filename(xdg_config_home, "cloison", "cloison.conf", NULL);
		r = candidate(user, error);
		if (r < 0)
			return NULL;
		if (r > 0)
			return g_steal_pointer(&user);
	}
	if (system_path) {
		r = candidate(system_path, error);
		if (r < 0)
			return NULL;
		if (r > 0)
			return g_strdup(system_path);
	}
	return NULL;
}

ClConfig *cl_config_load(const char *explicit_path, GError **error)
{
	g_autofree char *config_home = NULL;
	g_autofree char *path = NULL;
	GError *e = NULL;
	const char *xdg = g_getenv("XDG_CONFIG_HOME");
	const char *home = g_getenv("HOME");

	if (xdg && g_path_is_absolute(xdg))
		config_home = g_strdup(xdg);
	else if (home && g_path_is_absolute(home))
		config_home = g_build_filename(home, ".config", NULL);

	path = cl_config_find(explicit_path, config_home, CL_SYSTEM_CONFIG_PATH, &e);
	if (e) {
		g_propagate_error(error, e);
		return NULL;
	}
	if (!path)
		return cl_config_load_default();
	return cl_config_load_file(path, error);
}

char **cl_cage_application_argv(const ClCage *cage, size_t index)
{
	char **argv = NULL;

	g_return_val_if_fail(cage && index < g_strv_length(cage->applications), NULL);
	if (!g_shell_parse_argv(cage->applications[index], NULL, &argv, NULL))
		g_return_val_if_reached(NULL);
	return argv;
}

static void set_limit(GKeyFile *kf, const char *group, const char *key, uint64_t v, bool is_size)
{
	g_autofree char *s = NULL;

	if (v == 0)
		s = g_strdup("infinity");
	else if (is_size)
		s = cl_size_format(v);
	else
		s = g_strdup_printf("%" G_GUINT64_FORMAT, v);
	g_key_file_set_string(kf, group, key, s);
}

char *cl_config_to_keyfile(const ClConfig *config)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *body = NULL;

	g_key_file_set_integer(kf, "general", "transfer-expiry", (int)config->transfer_expiry_s);
	for (guint i = 0; i < config->levels->len; i++) {
		const ClLevel *v = g_ptr_array_index(config->levels, i);
		g_autofree char *group = g_strconcat("level ", v->id, NULL);
		g_key_file_set_string(kf, group, "label", v->label);
		g_key_file_set_string(kf, group, "colour", v->colour);
		g_key_file_set_integer(kf, group, "rank", v->rank);
	}
	for (guint i = 0; i < config->cages->len; i++) {
		const ClCage *c = g_ptr_array_index(config->cages, i);
		g_autofree char *group = g_strconcat("cage ", c->id, NULL);
		g_key_file_set_string(kf, group, "level", c->level->id);
		g_key_file_set_boolean(kf, group, "network", c->network);
		g_key_file_set_boolean(kf, group, "autostart", c->autostart);
		g_key_file_set_boolean(kf, group, "restart", c->restart);
		g_key_file_set_string_list(kf, group, "applications",
		                           (const char *const *)c->applications,
		                           g_strv_length(c->applications));
		set_limit(kf, group, "memory-max", c->memory_max, true);
		set_limit(kf, group, "tasks-max", c->tasks_max, false);
	}
	for (guint i = 0; i < config->rules->len; i++) {
		const ClRule *r = g_ptr_array_index(config->rules, i);
		g_autofree char *group = g_strdup_printf("transfer %s %s", r->from->id, r->to->id);
		g_autofree char *size = cl_size_format(r->max_size);
		g_key_file_set_string(kf, group, "action", cl_action_to_string(r->action));
		if (r->types[0])
			g_key_file_set_string_list(kf, group, "types",
			                           (const char *const *)r->types,
			                           g_strv_length(r->types));
		g_key_file_set_string(kf, group, "max-size", size);
		if (r->action == CL_ACTION_ASK_DECLASSIFY)
			g_key_file_set_boolean(kf, group, "require-reason", r->require_reason);
	}
	body = g_key_file_to_data(kf, NULL, NULL);
	return g_strdup_printf("# Cloison configuration, resolved from %s\n%s", config->source,
	                       body);
}
