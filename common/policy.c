/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cloison-build-config.h"

#include <inttypes.h>
#include <string.h>

#include "i18n.h"
#include "policy.h"

#define MIME_MAX_LEN 255 /* RFC 6838: 127 + '/' + 127 */

/* RFC 6838 restricted-name-chars, after the first character. */
static bool is_restricted_char(char c)
{
	return g_ascii_isalnum(c) || strchr("!#$&-^_.+", c) != NULL;
}

static bool is_restricted_name(const char *s, size_t len)
{
	if (len == 0 || len > 127 || !g_ascii_isalnum(s[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!is_restricted_char(s[i]))
			return false;
	return true;
}

char *cl_mime_normalize(const char *mime_type)
{
	g_autofree char *s = NULL;
	const char *slash;
	size_t len;

	if (!mime_type)
		return NULL;
	len = strcspn(mime_type, ";");
	if (len > MIME_MAX_LEN)
		return NULL;
	s = g_ascii_strdown(mime_type, (gssize)len);
	g_strstrip(s);
	slash = strchr(s, '/');
	if (!slash || !is_restricted_name(s, (size_t)(slash - s)) ||
	    !is_restricted_name(slash + 1, strlen(slash + 1)))
		return NULL;
	return g_steal_pointer(&s);
}

bool cl_mime_pattern_is_valid(const char *pattern)
{
	const char *slash;

	if (!pattern || strlen(pattern) > MIME_MAX_LEN)
		return false;
	if (strcmp(pattern, "*/*") == 0)
		return true;
	slash = strchr(pattern, '/');
	if (!slash || !is_restricted_name(pattern, (size_t)(slash - pattern)))
		return false;
	return strcmp(slash + 1, "*") == 0 || is_restricted_name(slash + 1, strlen(slash + 1));
}

bool cl_mime_match(const char *pattern, const char *normalized_type)
{
	const char *slash;
	size_t major;

	if (!pattern || !normalized_type || !cl_mime_pattern_is_valid(pattern))
		return false;
	if (strcmp(pattern, "*/*") == 0)
		return true;
	slash = strchr(pattern, '/');
	major = (size_t)(slash - pattern) + 1; /* including the '/' */
	if (strcmp(slash + 1, "*") == 0)
		return g_ascii_strncasecmp(pattern, normalized_type, major) == 0 &&
		       normalized_type[major] != '\0';
	return g_ascii_strcasecmp(pattern, normalized_type) == 0;
}

ClDirection cl_policy_direction(const ClLevel *from, const ClLevel *to)
{
	if (from->rank < to->rank)
		return CL_DIRECTION_UP;
	if (from->rank > to->rank)
		return CL_DIRECTION_DOWN;
	return CL_DIRECTION_SAME;
}

const char *cl_direction_to_string(ClDirection direction)
{
	switch (direction) {
	case CL_DIRECTION_UP:
		return "up";
	case CL_DIRECTION_DOWN:
		return "down";
	case CL_DIRECTION_SAME:
		return "same";
	}
	return "same";
}

void cl_decision_clear(ClDecision *decision)
{
	if (!decision)
		return;
	g_clear_pointer(&decision->reason, g_free);
}

static ClAction deny(ClDecision *d, char *reason)
{
	d->action = CL_ACTION_DENY;
	d->reason = reason;
	return CL_ACTION_DENY;
}

ClAction cl_policy_decide(const ClConfig *config, const char *source_cage, const char *target_cage,
                          const char *mime_type, uint64_t size, ClDecision *d)
{
	const ClCage *src, *dst;
	g_autofree char *type = NULL;
	g_autofree char *limit = NULL;
	bool type_ok = false;

	g_return_val_if_fail(config && d, CL_ACTION_DENY);
	*d = (ClDecision){.action = CL_ACTION_DENY, .direction = CL_DIRECTION_SAME};

	src = cl_config_get_cage(config, source_cage);
	dst = cl_config_get_cage(config, target_cage);
	if (!src)
		return deny(d, g_strdup(_("the source cage is not configured")));
	if (!dst)
		return deny(d, g_strdup(_("the target cage is not configured")));
	if (src == dst)
		return deny(d, g_strdup(_("the source and the target are the same cage")));

	d->direction = cl_policy_direction(src->level, dst->level);
	d->rule = cl_config_get_rule(config, src->level, dst->level);
	if (!d->rule)
		return deny(d, g_strdup_printf(_("no rule allows transfers from level %s to "
		                                 "level %s"),
		                               src->level->id, dst->level->id));
	if (d->rule->action == CL_ACTION_DENY)
		return deny(d, g_strdup_printf(_("the rule for level %s to level %s is deny"),
		                               src->level->id, dst->level->id));

	type = cl_mime_normalize(mime_type);
	if (!type)
		return deny(d, g_strdup(_("the document type could not be determined")));
	for (size_t i = 0; d->rule->types[i] && !type_ok; i++)
		type_ok = cl_mime_match(d->rule->types[i], type);
	if (!type_ok)
		return deny(d, g_strdup_printf(_("the type %s is not allowed from level %s to "
		                                 "level %s"),
		                               type, src->level->id, dst->level->id));

	if (size > d->rule->max_size) {
		limit = cl_size_format(d->rule->max_size);
		return deny(d, g_strdup_printf(_("the document (%" PRIu64
		                                 " bytes) is larger than the limit of %s"),
		                               size, limit));
	}

	d->action = d->rule->action;
	d->require_reason = d->rule->require_reason;
	if (d->action == CL_ACTION_ASK_DECLASSIFY)
		d->reason = g_strdup_printf(_("declassification from level %s to level %s needs "
		                              "the user's confirmation"),
		                            src->level->id, dst->level->id);
	else
		d->reason = g_strdup_printf(_("transfer from level %s to level %s needs the "
		                              "user's confirmation"),
		                            src->level->id, dst->level->id);
	return d->action;
}

GPtrArray *cl_policy_targets(const ClConfig *config, const char *source_cage)
{
	GPtrArray *targets = g_ptr_array_new();
	const ClCage *src = cl_config_get_cage(config, source_cage);

	if (!src)
		return targets;
	for (guint i = 0; i < config->cages->len; i++) {
		const ClCage *dst = g_ptr_array_index(config->cages, i);
		const ClRule *rule;

		if (dst == src)
			continue;
		rule = cl_config_get_rule(config, src->level, dst->level);
		if (rule && rule->action != CL_ACTION_DENY)
			g_ptr_array_add(targets, (gpointer)dst);
	}
	return targets;
}
