/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * File names of transferred documents.  The name comes from a cage and is
 * hostile: it is sanitised before it is shown in the trusted dialog, written
 * to the audit log or used in the target cage's Incoming directory.
 */
#pragma once

#include <stddef.h>

#define CL_NAME_MAX_BYTES 255
#define CL_NAME_FALLBACK  "document"

/*
 * Sanitise the last component of a path given by a cage (raw bytes, NUL
 * terminated, at most 4096 bytes are looked at).  The result is valid UTF-8,
 * 1..CL_NAME_MAX_BYTES bytes, contains no '/', no C0/C1 control character,
 * no DEL, no Unicode format character (bidi controls, zero-width…), no other
 * invisible (default-ignorable) character such as U+3164 or a variation
 * selector, no line or paragraph separator, no unassigned code point, does
 * not start with '.', is not "." or "..", and
 * has no leading or trailing spaces.  Invalid UTF-8 and forbidden characters
 * become '_'; a name that ends up empty becomes CL_NAME_FALLBACK.  Truncation
 * never splits a character and keeps the extension when it is short.
 * Never fails; returns a newly allocated string (g_free()).
 */
char *cl_name_sanitize(const char *raw);

/*
 * The n-th candidate for landing a sanitised name (n >= 1): n == 1 gives the
 * name itself, n >= 2 gives "stem (n).ext" ("archive.tar (2).gz" style is
 * not attempted: the extension is what follows the last '.', when that
 * extension is 1..16 bytes).  The result stays within CL_NAME_MAX_BYTES by
 * shortening the stem at a character boundary.  Returns a newly allocated
 * string (g_free()).
 */
char *cl_name_candidate(const char *sanitized, unsigned n);
