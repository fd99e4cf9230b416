/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Transfer policy: what happens to a request to move a document of a given
 * type and size from one cage to another.  Pure functions of the
 * configuration; the broker decides nothing on its own.
 */
#pragma once

#include "config.h"

typedef enum {
	CL_DIRECTION_SAME,
	CL_DIRECTION_UP,   /* towards a more confidential level */
	CL_DIRECTION_DOWN, /* declassification */
} ClDirection;

typedef struct {
	ClAction action; /* CL_ACTION_DENY when refused */
	ClDirection direction;
	const ClRule *rule; /* NULL when no rule applies */
	bool require_reason;
	char *reason; /* human-readable, always set; free with cl_decision_clear() */
} ClDecision;

/*
 * Decide for (source cage, target cage, MIME type, size).  Unknown cages,
 * a transfer to the same cage, a missing rule, a type outside the rule's
 * list, a malformed type and a size over the rule's limit are all denials
 * whose reason names the cause.  Returns decision->action.
 */
ClAction cl_policy_decide(const ClConfig *config, const char *source_cage, const char *target_cage,
                          const char *mime_type, uint64_t size, ClDecision *decision);
void cl_decision_clear(ClDecision *decision);

/* Cages that source_cage may send something to (a rule that is not deny). */
GPtrArray *cl_policy_targets(const ClConfig *config, const char *source_cage);

ClDirection cl_policy_direction(const ClLevel *from, const ClLevel *to);
const char *cl_direction_to_string(ClDirection direction);

/*
 * MIME matching.  cl_mime_normalize() lower-cases a type, drops parameters
 * ("; charset=…") and returns NULL unless the result is type/subtype made of
 * RFC 6838 restricted-name characters.  A pattern is "type/subtype",
 * "type/ *" or "* / *" (without the spaces).
 */
char *cl_mime_normalize(const char *mime_type);
bool cl_mime_pattern_is_valid(const char *pattern);
bool cl_mime_match(const char *pattern, const char *normalized_type);
