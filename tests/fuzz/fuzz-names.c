/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzz target for everything that parses a cage's strings before any file
 * is touched: cl_name_sanitize/cl_name_candidate, cl_intake_resolve and
 * the MIME helpers of the policy.  Any broken invariant aborts.
 *
 * Built as a libFuzzer target with -Dfuzz=true (CC=clang), and always with
 * standalone.c, which replays tests/fuzz/corpus-names/ as a normal test.
 */
#include "cloison-build-config.h"

#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "init-protocol.h"
#include "intake.h"
#include "names.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, ...)                                                                       \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			fprintf(stderr, "fuzz-names: %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                          \
			fputc('\n', stderr);                                                   \
			abort();                                                               \
		}                                                                              \
	} while (0)

static bool char_allowed(gunichar c)
{
	if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '/')
		return false;
	/* Default-ignorable, not Cf: invisible. */
	if (c == 0x034f || c == 0x115f || c == 0x1160 || c == 0x17b4 || c == 0x17b5 ||
	    (c >= 0x180b && c <= 0x180f) || c == 0x3164 || c == 0xffa0 ||
	    (c >= 0xfe00 && c <= 0xfe0f) || (c >= 0xe0000 && c <= 0xe0fff))
		return false;
	switch (g_unichar_type(c)) {
	case G_UNICODE_CONTROL:
	case G_UNICODE_FORMAT:
	case G_UNICODE_LINE_SEPARATOR:
	case G_UNICODE_PARAGRAPH_SEPARATOR:
	case G_UNICODE_UNASSIGNED:
	case G_UNICODE_SURROGATE:
		return false;
	default:
		return true;
	}
}

static bool is_space(gunichar c)
{
	return c == ' ' || g_unichar_type(c) == G_UNICODE_SPACE_SEPARATOR;
}

/* Every promise of names.h about a sanitised name. */
static void check_name(const char *name, const char *what)
{
	size_t len = strlen(name);

	CHECK(len >= 1 && len <= CL_NAME_MAX_BYTES, "%s: %zu bytes", what, len);
	CHECK(g_utf8_validate(name, (gssize)len, NULL), "%s: invalid UTF-8", what);
	CHECK(name[0] != '.', "%s: leading dot", what);
	CHECK(strcmp(name, ".") != 0 && strcmp(name, "..") != 0, "%s: dot name", what);
	CHECK(!is_space(g_utf8_get_char(name)), "%s: leading space", what);
	CHECK(!is_space(g_utf8_get_char(g_utf8_find_prev_char(name, name + len))),
	      "%s: trailing space", what);
	for (const char *p = name; *p; p = g_utf8_next_char(p))
		CHECK(char_allowed(g_utf8_get_char(p)), "%s: U+%04X at %zu", what,
		      (unsigned)g_utf8_get_char(p), (size_t)(p - name));
}

static void fuzz_names(const char *s, unsigned n)
{
	g_autofree char *name = cl_name_sanitize(s);
	check_name(name, "sanitize");
	g_autofree char *again = cl_name_sanitize(name);
	CHECK(strcmp(again, name) == 0, "not idempotent");

	g_autofree char *first = cl_name_candidate(name, 1);
	CHECK(strcmp(first, name) == 0, "candidate 1 differs from the name");
	g_autofree char *c = cl_name_candidate(name, n);
	g_autofree char *next = cl_name_candidate(name, n + 1);
	check_name(c, "candidate n");
	check_name(next, "candidate n+1");
	CHECK(strcmp(c, next) != 0, "candidates %u and %u are equal", n, n + 1);
	CHECK(n == 1 || strcmp(c, name) != 0, "candidate %u is the name itself", n);
	g_autofree char *c_again = cl_name_sanitize(c);
	CHECK(strcmp(c_again, c) == 0, "a candidate is not a sanitised name");
}

static void fuzz_resolve(const char *s)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *rel = NULL;

	if (!cl_intake_resolve(s, &rel, &error)) {
		CHECK(error && error->domain == CL_TRANSFER_ERROR &&
		              error->code == CL_TRANSFER_ERROR_INVALID_PATH,
		      "wrong error");
		CHECK(error->message && *error->message, "empty message");
		return;
	}
	CHECK(!error, "error set on success");
	CHECK(rel && *rel && rel[0] != '/', "not a relative path");
	CHECK(strlen(rel) <= strlen(s), "longer than the input");
	g_auto(GStrv) parts = g_strsplit(rel, "/", -1);
	for (char **p = parts; *p; p++)
		CHECK(**p && strcmp(*p, ".") != 0 && strcmp(*p, "..") != 0, "bad component");

	/* Stable, and the same from the absolute in-cage path. */
	g_autofree char *rel2 = NULL;
	CHECK(cl_intake_resolve(rel, &rel2, NULL) && strcmp(rel, rel2) == 0, "not stable");
	g_autofree char *abs = g_strconcat(CL_CAGE_HOME "/", rel, NULL);
	g_autofree char *rel3 = NULL;
	if (strlen(abs) <= CL_INTAKE_PATH_MAX)
		CHECK(cl_intake_resolve(abs, &rel3, NULL) && strcmp(rel, rel3) == 0,
		      "absolute form differs");
}

static void fuzz_mime(const char *s, size_t split)
{
	g_autofree char *type = cl_mime_normalize(s);
	if (type) {
		g_autofree char *again = cl_mime_normalize(type);
		CHECK(again && strcmp(again, type) == 0, "normalize not idempotent");
		CHECK(cl_mime_match("*/*", type), "*/* does not match %s", type);
		if (cl_mime_pattern_is_valid(type))
			CHECK(cl_mime_match(type, type), "%s does not match itself", type);
	}

	/* A pattern and a type cut from the same input. */
	g_autofree char *pattern = g_strndup(s, split);
	g_autofree char *other = cl_mime_normalize(s + MIN(split, strlen(s)));
	if (cl_mime_pattern_is_valid(pattern) && other)
		(void)cl_mime_match(pattern, other);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The strings arrive NUL-terminated (D-Bus strings cannot hold NUL). */
	g_autofree char *s = g_strndup((const char *)data, size);
	unsigned n = 1;

	if (size >= 2)
		n = 1u + ((unsigned)data[0] | (unsigned)data[1] << 8) % 2000u;
	fuzz_names(s, n);
	fuzz_resolve(s);
	fuzz_mime(s, size > 0 ? data[size - 1] % (size + 1) : 0);
	return 0;
}
