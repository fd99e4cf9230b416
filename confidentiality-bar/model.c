/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "model.h"

#include <string.h>

#include "config.h"
#include "i18n.h"

#define DONE_MAX         4096 /* decided/finished ids remembered */
#define REASON_MAX       1024
#define PROMPT_ID_MAX    64
#define EVENT_AGE_MAX_MS 10000

G_DEFINE_QUARK(cl - bar - error - quark, cl_bar_error)

/* Valid UTF-8, cut to CL_BAR_MAX_TEXT bytes on a character boundary. */
static char *bounded_text(const char *s)
{
	g_autofree char *valid = g_utf8_make_valid(s ? s : "", -1);
	const char *end = valid;

	while (*end && (size_t)(g_utf8_next_char(end) - valid) <= CL_BAR_MAX_TEXT)
		end = g_utf8_next_char(end);
	return g_strndup(valid, end - valid);
}

static void level_free(ClBarLevel *l)
{
	if (!l)
		return;
	g_free(l->id);
	g_free(l->label);
	g_free(l);
}

static void window_free(ClBarWindow *w)
{
	if (!w)
		return;
	g_free(w->cage);
	g_free(w->level);
	g_free(w->title);
	g_free(w->app_id);
	g_free(w);
}

ClBarModel *cl_bar_model_new(void)
{
	ClBarModel *model = g_new0(ClBarModel, 1);

	model->levels = g_ptr_array_new_with_free_func((GDestroyNotify)level_free);
	model->windows = g_ptr_array_new_with_free_func((GDestroyNotify)window_free);
	model->focus_level = g_strdup("");
	return model;
}

void cl_bar_model_free(ClBarModel *model)
{
	if (!model)
		return;
	g_ptr_array_unref(model->levels);
	g_ptr_array_unref(model->windows);
	g_free(model->focus_level);
	g_free(model);
}

static gint compare_rank(gconstpointer a, gconstpointer b)
{
	const ClBarLevel *la = *(ClBarLevel *const *)a, *lb = *(ClBarLevel *const *)b;

	return (la->rank > lb->rank) - (la->rank < lb->rank);
}

bool cl_bar_model_set_level(ClBarModel *model, const char *id, const char *label, uint32_t colour,
                            int rank)
{
	ClBarLevel *level = (ClBarLevel *)cl_bar_model_get_level(model, id);

	if (!id || !cl_id_is_valid(id) || colour > 0xffffff)
		return false;
	if (!level) {
		if (model->levels->len >= CL_BAR_MAX_LEVELS)
			return false;
		level = g_new0(ClBarLevel, 1);
		level->id = g_strdup(id);
		g_ptr_array_add(model->levels, level);
	}
	g_free(level->label);
	level->label = bounded_text(label);
	level->colour = colour;
	level->rank = rank;
	g_ptr_array_sort(model->levels, compare_rank);
	return true;
}

static gint compare_window_id(gconstpointer a, gconstpointer b)
{
	const ClBarWindow *wa = *(ClBarWindow *const *)a, *wb = *(ClBarWindow *const *)b;

	return (wa->id > wb->id) - (wa->id < wb->id);
}

bool cl_bar_model_set_window(ClBarModel *model, uint32_t id, const char *cage, const char *level,
                             const char *title, const char *app_id)
{
	ClBarWindow *w = (ClBarWindow *)cl_bar_model_get_window(model, id);

	if (id == 0)
		return false;
	if (!w) {
		if (model->windows->len >= CL_BAR_MAX_WINDOWS)
			return false;
		w = g_new0(ClBarWindow, 1);
		w->id = id;
		g_ptr_array_add(model->windows, w);
		g_ptr_array_sort(model->windows, compare_window_id);
	}
	g_free(w->cage);
	g_free(w->level);
	g_free(w->title);
	g_free(w->app_id);
	w->cage = bounded_text(cage);
	w->level = bounded_text(level);
	w->title = bounded_text(title);
	w->app_id = bounded_text(app_id);
	return true;
}

bool cl_bar_model_remove_window(ClBarModel *model, uint32_t id)
{
	for (guint i = 0; i < model->windows->len; i++) {
		if (((ClBarWindow *)g_ptr_array_index(model->windows, i))->id == id) {
			g_ptr_array_remove_index(model->windows, i);
			return true;
		}
	}
	return false;
}

void cl_bar_model_set_focus(ClBarModel *model, uint32_t id, const char *level)
{
	model->focus = id;
	g_free(model->focus_level);
	model->focus_level = bounded_text(level);
}

const ClBarLevel *cl_bar_model_get_level(const ClBarModel *model, const char *id)
{
	if (!id)
		return NULL;
	for (guint i = 0; i < model->levels->len; i++) {
		ClBarLevel *l = g_ptr_array_index(model->levels, i);

		if (strcmp(l->id, id) == 0)
			return l;
	}
	return NULL;
}

const ClBarWindow *cl_bar_model_get_window(const ClBarModel *model, uint32_t id)
{
	for (guint i = 0; i < model->windows->len; i++) {
		ClBarWindow *w = g_ptr_array_index(model->windows, i);

		if (w->id == id)
			return w;
	}
	return NULL;
}

int cl_bar_model_level_index(const ClBarModel *model, const char *id)
{
	if (!id)
		return -1;
	for (guint i = 0; i < model->levels->len; i++)
		if (strcmp(((ClBarLevel *)g_ptr_array_index(model->levels, i))->id, id) == 0)
			return (int)i;
	return -1;
}

char *cl_bar_display_text(const char *s, size_t max_chars)
{
	g_autofree char *valid = g_utf8_make_valid(s ? s : "", -1);
	GString *out = g_string_new(NULL);
	size_t n = 0;

	for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		GUnicodeType t = g_unichar_type(c);

		if (n == max_chars) {
			if (max_chars > 0)
				g_string_truncate(out, g_utf8_offset_to_pointer(
				                               out->str, (glong)max_chars - 1) -
				                               out->str);
			g_string_append(out, "…");
			break;
		}
		/* Controls, bidi overrides and other invisible format characters
		 * could reorder or hide what follows: show a space instead. */
		if (t == G_UNICODE_CONTROL || t == G_UNICODE_FORMAT ||
		    t == G_UNICODE_LINE_SEPARATOR || t == G_UNICODE_PARAGRAPH_SEPARATOR ||
		    t == G_UNICODE_UNASSIGNED || t == G_UNICODE_SURROGATE ||
		    t == G_UNICODE_PRIVATE_USE)
			g_string_append_c(out, ' ');
		else
			g_string_append_unichar(out, c);
		n++;
	}
	return g_string_free(out, FALSE);
}

ClBarPattern cl_bar_pattern_for_index(int index)
{
	if (index < 0)
		return CL_BAR_PATTERN_DOTS;
	return (ClBarPattern)(index % CL_BAR_PATTERN_COUNT);
}

uint32_t cl_bar_contrast_colour(uint32_t colour)
{
	/* Relative luminance (sRGB weights, integer approximation). */
	unsigned r = (colour >> 16) & 0xff, g = (colour >> 8) & 0xff, b = colour & 0xff;
	unsigned y = (2126 * r + 7152 * g + 722 * b) / 10000;

	return y > 140 ? 0x000000 : 0xffffff;
}

bool cl_bar_parse_colour(const char *s, uint32_t *ret)
{
	uint32_t v = 0;

	if (!s || s[0] != '#' || strlen(s) != 7)
		return false;
	for (int i = 1; i < 7; i++) {
		int d = g_ascii_xdigit_value(s[i]);

		if (d < 0)
			return false;
		v = v << 4 | (uint32_t)d;
	}
	*ret = v;
	return true;
}

static void target_free(ClBarTarget *t)
{
	if (!t)
		return;
	g_free(t->cage);
	g_free(t->level);
	g_free(t->label);
	g_free(t);
}

void cl_bar_prompt_free(ClBarPrompt *p)
{
	if (!p)
		return;
	g_free(p->id);
	g_free(p->source_cage);
	g_free(p->source_level);
	g_free(p->source_label);
	g_free(p->name);
	g_free(p->mime_type);
	g_free(p->sha256);
	g_free(p->requested_target);
	if (p->targets)
		g_ptr_array_unref(p->targets);
	g_free(p);
}

static bool prompt_id_is_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > PROMPT_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(id[i]) && id[i] != '-' && id[i] != '_')
			return false;
	return true;
}

/* A string field of details, required, valid UTF-8, at most max bytes. */
static char *take_string(GVariantDict *dict, const char *key, size_t max, bool is_id,
                         GError **error)
{
	const char *s = NULL;

	if (!g_variant_dict_lookup(dict, key, "&s", &s)) {
		g_set_error(error, CL_BAR_ERROR, CL_BAR_ERROR_INVALID,
		            _("prompt: the field %s is missing or not a string"), key);
		return NULL;
	}
	if (!g_utf8_validate(s, -1, NULL) || strlen(s) > max) {
		g_set_error(error, CL_BAR_ERROR, CL_BAR_ERROR_INVALID,
		            _("prompt: the field %s is not valid UTF-8 of at most %zu bytes"), key,
		            max);
		return NULL;
	}
	if (is_id && !cl_id_is_valid(s)) {
		g_set_error(error, CL_BAR_ERROR, CL_BAR_ERROR_INVALID,
		            _("prompt: the field %s is not a valid identifier"), key);
		return NULL;
	}
	return g_strdup(s);
}

static bool direction_from_string(const char *s, ClBarDirection *ret)
{
	if (strcmp(s, "up") == 0)
		*ret = CL_BAR_DIRECTION_UP;
	else if (strcmp(s, "down") == 0)
		*ret = CL_BAR_DIRECTION_DOWN;
	else if (strcmp(s, "same") == 0)
		*ret = CL_BAR_DIRECTION_SAME;
	else
		return false;
	return true;
}

ClBarPrompt *cl_bar_prompt_new(const char *id, GVariant *details, GError **error)
{
	g_autoptr(ClBarPrompt) p = g_new0(ClBarPrompt, 1);
	g_autoptr(GVariantDict) dict = NULL;
	g_autoptr(GVariant) targets = NULL;
	g_autofree char *colour = NULL;
	GVariantIter iter;
	const char *cage, *level, *label, *tcolour, *direction;
	gboolean declassify, require_reason;

	if (!id || !prompt_id_is_valid(id)) {
		g_set_error(
		        error, CL_BAR_ERROR, CL_BAR_ERROR_INVALID,
		        _("prompt: the id is empty, too long or not made of letters and digits"));
		return NULL;
	}
	if (!details || !g_variant_is_of_type(details, G_VARIANT_TYPE_VARDICT)) {
		g_set_error(error, CL_BAR_ERROR, CL_BAR_ERROR_INVALID,
		            _("prompt %s: the details are not a dictionary"), id);
		return NULL;
	}
	p->id = g_strdup(id);
	dict = g_variant_dict_new(details);
	if (!(p->source_cage = take_string(dict, "source_cage", CL_ID_MAX_LEN, true, error)) ||
	    !(p->source_level = take_string(dict, "source_level", CL_ID_MAX_LEN, true, error)) ||
	    !(p->source_label = take_string(dict, "source_label", CL_BAR_MAX_TEXT, false, error)) ||
	    !(colour = take_string(dict, "source_colour", 7, false, error)) ||
	    !(p->name = take_string(dict, "name", CL_BAR_MAX_NAME, false, error)) ||
	    !(p->mime_type = take_string(dict, "mime_type", CL_BAR_MAX_TEXT, false, error)) ||
	    !(p->sha256 = take_string(dict, "sha256", 64, false, error)) ||
	    !(p->requested_target =
	              take_string(dict, "requested_target", CL_ID_MAX_LEN, false, error)))
		return NULL;
	if (!cl_bar_parse_colour(colour, &p->source_colour)) {
		g_set_error(error, CL_BAR_ERROR, CL_BAR_ERROR_INVALID,
		            _("prompt: the field %s is not a colour #rrggbb"), "source_colour");
		return NULL;
	}
	if (strlen(p->sha256) != 64 || strspn(p->sha256, "0123456789abcdef") != 64) {
		g_set_error(error, CL_BAR_ERROR, CL_BAR_ERROR_INVALID,
		            _("prompt: the field %s is not 64 lower-case hexadecimal digits"),
		            "sha256");
		return NULL;
	}
	if (p->name[0] == '\0') {
		g_set_error(error, CL_BAR_ERROR, CL_BAR_ERROR_INVALID,
		            _("prompt: the field %s is empty"), "name");
		return NULL;
	}
	if (!g_variant_dict_lookup(dict, "size", "t", &p->size) ||
	    !g_variant_dict_lookup(dict, "expires", "t", &p->expires_us)) {
		g_set_error(error, CL_BAR_ERROR, CL_BAR_ERROR_INVALID,
		            _("prompt: the field size or expires is missing or not a uint64"));
		return NULL;
	}
	targets = g_variant_dict_lookup_value(dict, "targets", G_VARIANT_TYPE("a(sssssbb)"));
	if (!targets || g_variant_n_children(targets) == 0 ||
	    g_variant_n_children(targets) > CL_BAR_MAX_TARGETS) {
		g_set_error(
		        error, CL_BAR_ERROR, CL_BAR_ERROR_INVALID,
		        _("prompt: the field targets is missing, empty, mistyped or has more than "
		          "%d entries"),
		        CL_BAR_MAX_TARGETS);
		return NULL;
	}
	p->targets = g_ptr_array_new_with_free_func((GDestroyNotify)target_free);
	g_variant_iter_init(&iter, targets);
	while (g_variant_iter_next(&iter, "(&s&s&s&s&sbb)", &cage, &level, &label, &tcolour,
	                           &direction, &declassify, &require_reason)) {
		ClBarTarget *t;
		uint32_t c;
		ClBarDirection d;

		if (!cl_id_is_valid(cage) || !cl_id_is_valid(level) ||
		    !g_utf8_validate(label, -1, NULL) || strlen(label) > CL_BAR_MAX_TEXT ||
		    !cl_bar_parse_colour(tcolour, &c) || !direction_from_string(direction, &d)) {
			g_set_error(
			        error, CL_BAR_ERROR, CL_BAR_ERROR_INVALID,
			        _("prompt: a target has a malformed cage, level, label, colour or "
			          "direction"));
			return NULL;
		}
		for (guint i = 0; i < p->targets->len; i++) {
			if (strcmp(((ClBarTarget *)g_ptr_array_index(p->targets, i))->cage, cage) ==
			    0) {
				g_set_error(error, CL_BAR_ERROR, CL_BAR_ERROR_INVALID,
				            _("prompt: the target %s is listed twice"), cage);
				return NULL;
			}
		}
		t = g_new0(ClBarTarget, 1);
		t->cage = g_strdup(cage);
		t->level = g_strdup(level);
		t->label = g_strdup(label);
		t->colour = c;
		t->direction = d;
		t->declassify = declassify;
		t->require_reason = require_reason;
		g_ptr_array_add(p->targets, t);
	}
	return g_steal_pointer(&p);
}

int cl_bar_prompt_initial_target(const ClBarPrompt *prompt)
{
	if (!prompt->requested_target[0])
		return -1;
	for (guint i = 0; i < prompt->targets->len; i++)
		if (strcmp(((ClBarTarget *)g_ptr_array_index(prompt->targets, i))->cage,
		           prompt->requested_target) == 0)
			return (int)i;
	return -1;
}

const ClBarTarget *cl_bar_prompt_get_target(const ClBarPrompt *prompt, int index)
{
	if (index < 0 || (guint)index >= prompt->targets->len)
		return NULL;
	return g_ptr_array_index(prompt->targets, index);
}

char *cl_bar_short_sha256(const char *sha256)
{
	GString *out = g_string_new(NULL);

	for (int i = 0; i < 16 && sha256 && sha256[i]; i++) {
		if (i > 0 && i % 4 == 0)
			g_string_append_c(out, ' ');
		g_string_append_c(out, sha256[i]);
	}
	return g_string_free(out, FALSE);
}

void cl_bar_approve_gate_set_active(ClBarApproveGate *gate, bool active, int64_t now_us)
{
	if (active && !gate->active)
		gate->since_us = now_us;
	gate->active = active;
}

int64_t cl_bar_approve_gate_remaining(const ClBarApproveGate *gate, int64_t now_us)
{
	int64_t elapsed;

	if (!gate->active)
		return -1;
	elapsed = now_us - gate->since_us;
	return elapsed >= CL_BAR_APPROVE_DELAY_US ? 0 : CL_BAR_APPROVE_DELAY_US - elapsed;
}

bool cl_bar_approve_gate_enabled(const ClBarApproveGate *gate, int64_t now_us)
{
	return cl_bar_approve_gate_remaining(gate, now_us) == 0;
}

bool cl_bar_approve_gate_enabled_for_event(const ClBarApproveGate *gate, int64_t now_us,
                                           uint32_t event_ms)
{
	uint32_t now_ms = (uint32_t)((uint64_t)now_us / 1000);
	uint32_t age_ms = now_ms - event_ms; /* modulo 2^32: the clock wraps */

	if (!cl_bar_approve_gate_enabled(gate, now_us))
		return false;
	if (age_ms > EVENT_AGE_MAX_MS) /* another clock, or from the future */
		return true;
	return cl_bar_approve_gate_enabled(gate, now_us - (int64_t)age_ms * 1000);
}

bool cl_bar_prompt_choice_ok(const ClBarPrompt *prompt, int target, bool declassify_ticked,
                             const char *reason)
{
	const ClBarTarget *t = cl_bar_prompt_get_target(prompt, target);
	bool blank = true;

	if (!t)
		return false;
	if (t->declassify && !declassify_ticked)
		return false;
	if (!t->require_reason)
		return true;
	if (!reason || strlen(reason) > REASON_MAX || !g_utf8_validate(reason, -1, NULL))
		return false;
	for (const char *p = reason; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_iscntrl(c))
			return false;
		if (!g_unichar_isspace(c))
			blank = false;
	}
	return !blank;
}

ClBarQueue *cl_bar_queue_new(void)
{
	ClBarQueue *q = g_new0(ClBarQueue, 1);

	q->prompts = g_ptr_array_new_with_free_func((GDestroyNotify)cl_bar_prompt_free);
	q->done = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	return q;
}

void cl_bar_queue_free(ClBarQueue *q)
{
	if (!q)
		return;
	g_ptr_array_unref(q->prompts);
	g_hash_table_unref(q->done);
	g_free(q);
}

static int queue_find(const ClBarQueue *q, const char *id)
{
	for (guint i = 0; i < q->prompts->len; i++)
		if (strcmp(((ClBarPrompt *)g_ptr_array_index(q->prompts, i))->id, id) == 0)
			return (int)i;
	return -1;
}

bool cl_bar_queue_add(ClBarQueue *q, ClBarPrompt *prompt)
{
	if (queue_find(q, prompt->id) >= 0 || g_hash_table_contains(q->done, prompt->id) ||
	    q->prompts->len >= CL_BAR_MAX_PROMPTS) {
		cl_bar_prompt_free(prompt);
		return false;
	}
	g_ptr_array_add(q->prompts, prompt);
	return true;
}

const ClBarPrompt *cl_bar_queue_head(const ClBarQueue *q)
{
	return q->prompts->len ? g_ptr_array_index(q->prompts, 0) : NULL;
}

guint cl_bar_queue_length(const ClBarQueue *q)
{
	return q->prompts->len;
}

static void remember_done(ClBarQueue *q, const char *id)
{
	/* Ids are random: forgetting old ones when full only matters for a
	 * broker replaying ids thousands of prompts later. */
	if (g_hash_table_size(q->done) >= DONE_MAX)
		g_hash_table_remove_all(q->done);
	g_hash_table_add(q->done, g_strdup(id));
}

bool cl_bar_queue_decide(ClBarQueue *q, const char *id)
{
	int i = queue_find(q, id);

	if (i < 0)
		return false;
	remember_done(q, id);
	g_ptr_array_remove_index(q->prompts, (guint)i);
	return true;
}

bool cl_bar_queue_finished(ClBarQueue *q, const char *id)
{
	int i = queue_find(q, id);

	remember_done(q, id);
	if (i < 0)
		return false;
	g_ptr_array_remove_index(q->prompts, (guint)i);
	return true;
}

void cl_bar_queue_clear(ClBarQueue *q)
{
	g_ptr_array_set_size(q->prompts, 0);
}

/* ---- Notifications ---- */

#define CATEGORY_MAX 64

static void action_free(ClBarAction *a)
{
	if (!a)
		return;
	g_free(a->key);
	g_free(a->label);
	g_free(a);
}

void cl_bar_notification_free(ClBarNotification *n)
{
	if (!n)
		return;
	g_free(n->cage);
	g_free(n->level);
	g_free(n->label);
	g_free(n->app_name);
	g_free(n->summary);
	g_free(n->body);
	if (n->actions)
		g_ptr_array_unref(n->actions);
	g_free(n->severity);
	g_free(n->category);
	g_free(n);
}

/* Valid UTF-8 cut to max bytes on a character boundary. */
static char *cut_text(const char *s, size_t max)
{
	g_autofree char *valid = g_utf8_make_valid(s ? s : "", -1);
	const char *end = valid;

	while (*end && (size_t)(g_utf8_next_char(end) - valid) <= max)
		end = g_utf8_next_char(end);
	return g_strndup(valid, end - valid);
}

/* An optional string key: "" when absent, an error when of another type. */
static bool note_string(GVariantDict *dict, const char *key, size_t max, char **ret, GError **error)
{
	g_autoptr(GVariant) v = g_variant_dict_lookup_value(dict, key, NULL);

	if (!v) {
		*ret = g_strdup("");
		return true;
	}
	if (!g_variant_is_of_type(v, G_VARIANT_TYPE_STRING)) {
		g_set_error(error, CL_BAR_ERROR, CL_BAR_ERROR_INVALID,
		            _("notification: the key %s is not a string"), key);
		return false;
	}
	*ret = cut_text(g_variant_get_string(v, NULL), max);
	return true;
}

static bool category_is_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CATEGORY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_islower(s[i]) && !g_ascii_isdigit(s[i]) && !strchr(".-_", s[i]))
			return false;
	return true;
}

static bool note_actions(GVariantDict *dict, ClBarNotification *n, GError **error)
{
	g_autoptr(GVariant) v = g_variant_dict_lookup_value(dict, "actions", NULL);
	gsize len;

	n->actions = g_ptr_array_new_with_free_func((GDestroyNotify)action_free);
	if (!v)
		return true;
	if (!g_variant_is_of_type(v, G_VARIANT_TYPE_STRING_ARRAY)) {
		g_set_error(error, CL_BAR_ERROR, CL_BAR_ERROR_INVALID,
		            _("notification: the key actions is not an array of strings"));
		return false;
	}
	len = g_variant_n_children(v);
	/* key, label pairs; an odd last key has no label and is dropped. */
	for (gsize i = 0; i + 1 < len && n->actions->len < CL_BAR_NOTE_ACTIONS; i += 2) {
		const char *key, *label;
		ClBarAction *a;

		g_variant_get_child(v, i, "&s", &key);
		g_variant_get_child(v, i + 1, "&s", &label);
		if (!*key || strlen(key) > CL_BAR_NOTE_KEY || !g_utf8_validate(key, -1, NULL)) {
			g_set_error(error, CL_BAR_ERROR, CL_BAR_ERROR_INVALID,
			            _("notification: action %zu has an empty, invalid or too long "
			              "key"),
			            (size_t)(i / 2 + 1));
			return false;
		}
		a = g_new0(ClBarAction, 1);
		a->key = g_strdup(key);
		a->label = cut_text(label, CL_BAR_MAX_TEXT);
		g_ptr_array_add(n->actions, a);
	}
	return true;
}

ClBarNotification *cl_bar_notification_new(GVariant *dict_v, GError **error)
{
	g_autoptr(ClBarNotification) n = g_new0(ClBarNotification, 1);
	g_auto(GVariantDict) dict;
	g_autofree char *style = NULL, *colour = NULL;
	g_autoptr(GVariant) v = NULL;
	guint32 id = 0;

	if (!dict_v || !g_variant_is_of_type(dict_v, G_VARIANT_TYPE_VARDICT)) {
		g_set_error(error, CL_BAR_ERROR, CL_BAR_ERROR_INVALID,
		            _("notification: not a dictionary (a{sv})"));
		return NULL;
	}
	g_variant_dict_init(&dict, dict_v);
	if (!g_variant_dict_lookup(&dict, "id", "u", &id) || id == 0) {
		g_set_error(error, CL_BAR_ERROR, CL_BAR_ERROR_INVALID,
		            _("notification: the key id is missing, not a uint32 or 0"));
		return NULL;
	}
	n->id = id;
	if (!note_string(&dict, "style", 16, &style, error) ||
	    !note_string(&dict, "cage", CL_BAR_MAX_TEXT, &n->cage, error) ||
	    !note_string(&dict, "level", CL_BAR_MAX_TEXT, &n->level, error) ||
	    !note_string(&dict, "label", CL_BAR_MAX_TEXT, &n->label, error) ||
	    !note_string(&dict, "colour", 16, &colour, error) ||
	    !note_string(&dict, "app-name", CL_BAR_MAX_TEXT, &n->app_name, error) ||
	    !note_string(&dict, "summary", CL_BAR_NOTE_TEXT, &n->summary, error) ||
	    !note_string(&dict, "body", CL_BAR_NOTE_TEXT, &n->body, error) ||
	    !note_string(&dict, "severity", 16, &n->severity, error) ||
	    !note_string(&dict, "category", CATEGORY_MAX + 1, &n->category, error) ||
	    !note_actions(&dict, n, error))
		return NULL;
	if (strcmp(style, "security") == 0) {
		n->style = CL_BAR_STYLE_SECURITY;
	} else if (strcmp(style, "core") == 0) {
		n->style = CL_BAR_STYLE_CORE;
	} else if (strcmp(style, "cage") == 0) {
		n->style = CL_BAR_STYLE_CAGE;
	} else {
		g_set_error(error, CL_BAR_ERROR, CL_BAR_ERROR_INVALID,
		            _("notification %u: the key style is missing or unknown"), id);
		return NULL;
	}
	if (n->cage[0] && !cl_id_is_valid(n->cage)) {
		g_set_error(error, CL_BAR_ERROR, CL_BAR_ERROR_INVALID,
		            _("notification %u: the key cage is not a valid identifier"), id);
		return NULL;
	}
	if (n->style == CL_BAR_STYLE_CAGE) {
		/* Drawn in its level's style: the level must be fully known. */
		if (!n->cage[0] || !cl_id_is_valid(n->level) ||
		    !cl_bar_parse_colour(colour, &n->colour) || !n->label[0]) {
			g_set_error(error, CL_BAR_ERROR, CL_BAR_ERROR_INVALID,
			            _("notification %u: a cage notification needs a cage, a level "
			              "id, a label and a colour #rrggbb"),
			            id);
			return NULL;
		}
	} else {
		g_free(n->level);
		n->level = g_strdup("");
	}
	if (n->style == CL_BAR_STYLE_SECURITY) {
		if (strcmp(n->severity, "info") != 0 && strcmp(n->severity, "warning") != 0 &&
		    strcmp(n->severity, "critical") != 0) {
			g_set_error(error, CL_BAR_ERROR, CL_BAR_ERROR_INVALID,
			            _("notification %u: the key severity is not info, warning or "
			              "critical"),
			            id);
			return NULL;
		}
		if (!category_is_valid(n->category)) {
			g_set_error(error, CL_BAR_ERROR, CL_BAR_ERROR_INVALID,
			            _("notification %u: the key category is missing or not a "
			              "category name"),
			            id);
			return NULL;
		}
	} else {
		g_free(n->severity);
		g_free(n->category);
		n->severity = g_strdup("");
		n->category = g_strdup("");
	}
	v = g_variant_dict_lookup_value(&dict, "urgency", G_VARIANT_TYPE_BYTE);
	if (v)
		n->urgency = g_variant_get_byte(v);
	g_clear_pointer(&v, g_variant_unref);
	v = g_variant_dict_lookup_value(&dict, "time", G_VARIANT_TYPE_INT64);
	if (v)
		n->time_us = g_variant_get_int64(v);
	return g_steal_pointer(&n);
}

ClBarNotifications *cl_bar_notifications_new(void)
{
	ClBarNotifications *list = g_new0(ClBarNotifications, 1);

	list->items = g_ptr_array_new_with_free_func((GDestroyNotify)cl_bar_notification_free);
	return list;
}

void cl_bar_notifications_free(ClBarNotifications *list)
{
	if (!list)
		return;
	g_ptr_array_unref(list->items);
	g_free(list);
}

static int notifications_find(const ClBarNotifications *list, uint32_t id)
{
	for (guint i = 0; i < list->items->len; i++)
		if (((ClBarNotification *)g_ptr_array_index(list->items, i))->id == id)
			return (int)i;
	return -1;
}

void cl_bar_notifications_add(ClBarNotifications *list, ClBarNotification *note)
{
	int i;

	if (!note)
		return;
	i = notifications_find(list, note->id);
	if (i >= 0)
		g_ptr_array_remove_index(list->items, (guint)i);
	g_ptr_array_insert(list->items, 0, note);
	while (list->items->len > CL_BAR_MAX_NOTIFICATIONS)
		g_ptr_array_remove_index(list->items, list->items->len - 1);
}

bool cl_bar_notifications_remove(ClBarNotifications *list, uint32_t id)
{
	int i = notifications_find(list, id);

	if (i < 0)
		return false;
	g_ptr_array_remove_index(list->items, (guint)i);
	return true;
}

const ClBarNotification *cl_bar_notifications_get(const ClBarNotifications *list, uint32_t id)
{
	int i = notifications_find(list, id);

	return i < 0 ? NULL : g_ptr_array_index(list->items, i);
}

guint cl_bar_notifications_length(const ClBarNotifications *list)
{
	return list->items->len;
}

void cl_bar_notifications_clear(ClBarNotifications *list)
{
	g_ptr_array_set_size(list->items, 0);
}
