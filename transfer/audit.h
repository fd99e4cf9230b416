/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The transfer audit log: $XDG_STATE_HOME/cloison/audit.jsonl, one JSON
 * object per line (json-glib), appended and fsync'd before the outcome it
 * records is reported to anyone; also sent to the journal when one runs.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define CL_AUDIT_FILE "audit.jsonl"

typedef struct ClAudit ClAudit;

/* Open (create 0600) state_dir_fd/audit.jsonl for appending; never follows a symlink. */
ClAudit *cl_audit_open(int state_dir_fd, GError **error);
void cl_audit_free(ClAudit *audit);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ClAudit, cl_audit_free)

/*
 * One record.  NULL strings are written as null; every string is written as
 * valid JSON (invalid UTF-8 from a cage is replaced, never copied raw).
 * event: "request", "decision" or "outcome".
 */
typedef struct {
	const char *event;
	const char *id;
	const char *source_cage, *source_level;
	const char *target_cage, *target_level;
	const char *name;
	uint64_t size;
	const char *sha256;
	const char *mime_type;
	const char *rule;     /* "low->high: ask" … or NULL */
	const char *decision; /* "approved", "denied", "policy-denied", "expired", NULL */
	const char *reason;   /* user's or policy's reason */
	const char *result;   /* "delivered", "denied", "failed", NULL while pending */
	const char *detail;   /* landing name, error message… */
} ClAuditRecord;

/* Append one line (with "time": RFC 3339 UTC, microseconds) and fsync it. */
bool cl_audit_append(ClAudit *audit, const ClAuditRecord *record, GError **error);
