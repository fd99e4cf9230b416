/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The pure text helpers of the Nautilus extension, apart so that the unit
 * tests reach them without Nautilus.
 */
#pragma once

#include <glib.h>

/* At most this many bytes of the origin xattr are read; longer is ignored. */
#define CL_ORIGIN_MAX 256

/*
 * The origin xattr's raw bytes (len of them, not NUL-terminated; a NUL ends
 * the text) as text fit for display: invalid UTF-8 replaced, control and format characters (bidi
 * overrides, zero-width…) removed, surrounding spaces trimmed.  NULL when
 * nothing is left or len is 0 or above CL_ORIGIN_MAX.
 */
char *cl_origin_clean(const char *raw, size_t len);

/* label with every '_' doubled, so that a menu shows it and no mnemonic. */
char *cl_menu_escape(const char *label);

/* A menu item's name for a target cage: "CloisonNautilus::" KIND "-" CAGE. */
char *cl_menu_item_name(const char *kind, const char *cage);
