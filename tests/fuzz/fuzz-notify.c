/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzz target for what cloison-notifyd does to a cage's bytes before
 * anything else: cl_notify_sanitize_text (both modes, any cap), the action
 * key rule and the D-Bus framing check.  Any broken invariant aborts.
 *
 * Built as a libFuzzer target with -Dfuzz=true (CC=clang), and always with
 * standalone.c, which replays tests/fuzz/corpus-notify/ as a normal test.
 */
#include "cloison-build-config.h"

#include <errno.h>
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, ...)                                                                        \
	do {                                                                                    \
		if (!(cond)) {                                                                  \
			fprintf(stderr, "fuzz-notify: %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                           \
			fputc('\n', stderr);                                                    \
			abort();                                                                \
		}                                                                               \
	} while (0)

static void check_text(const char *out, size_t max, bool multiline)
{
	size_t chars = 0, lines = 1;

	CHECK(g_utf8_validate(out, -1, NULL), "not UTF-8");
	for (const char *p = out; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		chars++;
		if (c == '\n') {
			CHECK(multiline, "a line break in a single-line text");
			lines++;
			continue;
		}
		CHECK(c >= 0x20 && !(c >= 0x7f && c < 0xa0), "control U+%04X", c);
		CHECK(!(c >= 0x202a && c <= 0x202e) && !(c >= 0x2066 && c <= 0x2069) &&
		              c != 0x200e && c != 0x200f && c != 0x061c && c != 0x2028 &&
		              c != 0x2029,
		      "bidi or separator U+%04X", c);
		CHECK(g_unichar_type(c) != G_UNICODE_FORMAT || c == 0x200d, "format U+%04X", c);
	}
	CHECK(chars <= max, "%zu characters over %zu", chars, max);
	CHECK(lines <= CL_NOTIFY_BODY_LINES_MAX, "%zu lines", lines);
	if (*out) {
		CHECK(out[0] != ' ' && out[0] != '\n', "leading white space");
		CHECK(out[strlen(out) - 1] != ' ' && out[strlen(out) - 1] != '\n',
		      "trailing white space");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t max = size ? data[0] % 200 : 10;
	ClWireCheck w;

	for (int multiline = 0; multiline < 2; multiline++) {
		g_autofree char *out =
		        cl_notify_sanitize_text((const char *)data, size, max, multiline);
		g_autofree char *again = NULL;

		check_text(out, max, multiline);
		again = cl_notify_sanitize_text(out, strlen(out), max, multiline);
		CHECK(strcmp(out, again) == 0, "not stable: “%s” then “%s”", out, again);
	}
	{
		g_autofree char *key = cl_notify_sanitize_action_key((const char *)data, size);

		check_text(key, CL_NOTIFY_ACTION_KEY_MAX, false);
		CHECK(*key, "empty action key");
	}

	/* The framing check: any split of the stream gives the same verdict. */
	{
		ClWireCheck w2;
		size_t cut = size ? data[size - 1] % (size + 1) : 0;
		int r1, r2;

		cl_wire_check_init(&w, 4096);
		r1 = cl_wire_check_feed(&w, data, size);
		cl_wire_check_init(&w2, 4096);
		r2 = cl_wire_check_feed(&w2, data, cut);
		if (r2 == 0)
			r2 = cl_wire_check_feed(&w2, data + cut, size - cut);
		CHECK(r1 == 0 || r1 == -EMSGSIZE || r1 == -EBADMSG, "unexpected %d", r1);
		CHECK(r1 == r2, "split at %zu: %d vs %d", cut, r1, r2);
	}
	return 0;
}
