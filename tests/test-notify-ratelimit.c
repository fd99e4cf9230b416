/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of the token bucket (notify/sanitize.c) and of the D-Bus
 * framing check (notify/wire.c) that bound what one cage can make
 * cloison-notifyd do.
 */
#include "cloison-build-config.h"

#include <errno.h>
#include <glib.h>
#include <locale.h>
#include <string.h>

#include "sanitize.h"
#include "wire.h"

#define SEC UINT64_C(1000000)

static void test_burst_then_rate(void)
{
	ClTokenBucket b;
	uint64_t t = 1000 * SEC;
	unsigned taken = 0;

	cl_token_bucket_init(&b, 10, 2, t);
	while (cl_token_bucket_take(&b, t))
		taken++;
	g_assert_cmpuint(taken, ==, 10);
	/* Half a second: one token at 2 per second. */
	g_assert_false(cl_token_bucket_take(&b, t + SEC / 4));
	g_assert_true(cl_token_bucket_take(&b, t + SEC / 2));
	g_assert_false(cl_token_bucket_take(&b, t + SEC / 2));
	/* A long pause fills it to the burst, not beyond. */
	t += 3600 * SEC;
	taken = 0;
	while (cl_token_bucket_take(&b, t))
		taken++;
	g_assert_cmpuint(taken, ==, 10);
}

static void test_steady_rate(void)
{
	ClTokenBucket b;
	uint64_t t = 5 * SEC;
	unsigned taken = 0;

	cl_token_bucket_init(&b, 10, 2, t);
	for (int i = 0; i < 10; i++)
		g_assert_true(cl_token_bucket_take(&b, t));
	/* One try every 10 ms for 10 s: 20 more get through. */
	for (int i = 1; i <= 1000; i++)
		taken += cl_token_bucket_take(&b, t + (uint64_t)i * SEC / 100);
	g_assert_cmpuint(taken, ==, 20);
}

static void test_clock_backwards(void)
{
	ClTokenBucket b;

	cl_token_bucket_init(&b, 1, 1, 10 * SEC);
	g_assert_true(cl_token_bucket_take(&b, 10 * SEC));
	g_assert_false(cl_token_bucket_take(&b, 5 * SEC));
	g_assert_true(cl_token_bucket_take(&b, 11 * SEC));
}

static void test_zero_rate(void)
{
	ClTokenBucket b;

	cl_token_bucket_init(&b, 2, 0, 0);
	g_assert_true(cl_token_bucket_take(&b, 0));
	g_assert_true(cl_token_bucket_take(&b, 1));
	g_assert_false(cl_token_bucket_take(&b, 1000 * SEC));
}

/* ---- wire ---- */

static const char auth[] = "\0AUTH ANONYMOUS 74657374\r\nNEGOTIATE_UNIX_FD\r\nBEGIN\r\n";

static void header(uint8_t h[16], char endian, uint32_t body, uint32_t fields)
{
	memset(h, 0, 16);
	h[0] = (uint8_t)endian;
	h[1] = 1;
	h[3] = 1;
	if (endian == 'l') {
		memcpy(h + 4, &body, 4);
		memcpy(h + 12, &fields, 4);
	} else {
		for (int i = 0; i < 4; i++) {
			h[4 + i] = (uint8_t)(body >> (24 - 8 * i));
			h[12 + i] = (uint8_t)(fields >> (24 - 8 * i));
		}
	}
}

static void test_wire_messages(void)
{
	ClWireCheck w;
	uint8_t h[16], rest[100] = {0};

	cl_wire_check_init(&w, 1000);
	g_assert_cmpint(cl_wire_check_feed(&w, (const uint8_t *)auth, sizeof(auth) - 1), ==, 0);
	/* 16 + 8 (fields 5, padded) + 76 = 100: at the limit. */
	header(h, 'l', 76, 5);
	g_assert_cmpint(cl_wire_check_feed(&w, h, 16), ==, 0);
	g_assert_cmpint(cl_wire_check_feed(&w, rest, 84), ==, 0);
	/* Byte by byte, big-endian. */
	header(h, 'B', 8, 8);
	for (int i = 0; i < 16; i++)
		g_assert_cmpint(cl_wire_check_feed(&w, h + i, 1), ==, 0);
	g_assert_cmpint(cl_wire_check_feed(&w, rest, 16), ==, 0);
	/* Over the limit: refused from the header alone. */
	header(h, 'l', 1000, 0);
	g_assert_cmpint(cl_wire_check_feed(&w, h, 16), ==, -EMSGSIZE);
}

static void test_wire_limit_exact(void)
{
	ClWireCheck w;
	uint8_t h[16];

	cl_wire_check_init(&w, 1000);
	g_assert_cmpint(cl_wire_check_feed(&w, (const uint8_t *)auth, sizeof(auth) - 1), ==, 0);
	header(h, 'l', 1000 - 16 - 8, 8);
	g_assert_cmpint(cl_wire_check_feed(&w, h, 16), ==, 0);

	cl_wire_check_init(&w, 1000);
	g_assert_cmpint(cl_wire_check_feed(&w, (const uint8_t *)auth, sizeof(auth) - 1), ==, 0);
	header(h, 'l', 1000 - 16 - 8 + 1, 8);
	g_assert_cmpint(cl_wire_check_feed(&w, h, 16), ==, -EMSGSIZE);
	/* The largest u32s do not overflow. */
	cl_wire_check_init(&w, 1000);
	g_assert_cmpint(cl_wire_check_feed(&w, (const uint8_t *)auth, sizeof(auth) - 1), ==, 0);
	header(h, 'l', UINT32_MAX, UINT32_MAX);
	g_assert_cmpint(cl_wire_check_feed(&w, h, 16), ==, -EMSGSIZE);
}

static void test_wire_bad(void)
{
	ClWireCheck w;
	uint8_t h[16];
	char line[CL_NOTIFY_AUTH_LINE_MAX + 10];

	/* Not D-Bus after BEGIN. */
	cl_wire_check_init(&w, 1000);
	g_assert_cmpint(cl_wire_check_feed(&w, (const uint8_t *)auth, sizeof(auth) - 1), ==, 0);
	header(h, 'x', 0, 0);
	g_assert_cmpint(cl_wire_check_feed(&w, h, 16), ==, -EBADMSG);
	/* A wrong protocol version. */
	cl_wire_check_init(&w, 1000);
	g_assert_cmpint(cl_wire_check_feed(&w, (const uint8_t *)auth, sizeof(auth) - 1), ==, 0);
	header(h, 'l', 0, 0);
	h[3] = 2;
	g_assert_cmpint(cl_wire_check_feed(&w, h, 16), ==, -EBADMSG);
	/* An endless authentication line. */
	cl_wire_check_init(&w, 1000);
	memset(line, 'A', sizeof(line));
	line[0] = 0;
	g_assert_cmpint(cl_wire_check_feed(&w, (const uint8_t *)line, sizeof(line)), ==, -EBADMSG);
	/* Too many authentication lines. */
	cl_wire_check_init(&w, 1000);
	g_assert_cmpint(cl_wire_check_feed(&w, (const uint8_t *)"", 1), ==, 0);
	for (int i = 0; i < CL_NOTIFY_AUTH_LINES; i++)
		g_assert_cmpint(cl_wire_check_feed(&w, (const uint8_t *)"DATA\r\n", 6), ==, 0);
	g_assert_cmpint(cl_wire_check_feed(&w, (const uint8_t *)"DATA\r\n", 6), ==, -EBADMSG);
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/notify/rate/burst-then-rate", test_burst_then_rate);
	g_test_add_func("/notify/rate/steady", test_steady_rate);
	g_test_add_func("/notify/rate/clock-backwards", test_clock_backwards);
	g_test_add_func("/notify/rate/zero-rate", test_zero_rate);
	g_test_add_func("/notify/wire/messages", test_wire_messages);
	g_test_add_func("/notify/wire/limit-exact", test_wire_limit_exact);
	g_test_add_func("/notify/wire/bad", test_wire_bad);
	return g_test_run();
}
