/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cl-png-pixel: read pixels of a PNG file (libpng), for the compositor
 * tests.
 *
 *   cl-png-pixel FILE --size                   prints "W H"
 *   cl-png-pixel FILE X Y [X Y ...]            prints "RRGGBB" per point
 *   cl-png-pixel FILE --expect RRGGBB [--tolerance N] X Y [X Y ...]
 *       prints "X Y RRGGBB ok|differs" per point; exit 0 if every point is
 *       within N (default 8) of RRGGBB on each channel, else 1
 *   cl-png-pixel FILE --count-other RRGGBB [--tolerance N] X0 Y0 X1 Y1
 *       prints how many pixels of the rectangle [X0,X1) x [Y0,Y1) differ
 *       from RRGGBB by more than N (default 8) on some channel (e.g. the
 *       text of a label drawn on that colour)
 *   cl-png-pixel FILE --count-same RRGGBB [--tolerance N] X0 Y0 X1 Y1
 *       the same, counting the pixels within N of RRGGBB
 *   cl-png-pixel FILE --mark OUT.png X Y [X Y ...]
 *       writes a copy of FILE with a small magenta cross at each point
 *       (to show on a failure where the test looked)
 *
 * Exit status 2: usage error, unreadable PNG, or a point outside the image.
 */
#include <png.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct image {
	png_image png;
	uint8_t *rgba;
};

static int fail(const char *msg, const char *arg)
{
	fprintf(stderr, "cl-png-pixel: %s%s\n", msg, arg ? arg : "");
	return 2;
}

static bool load(const char *path, struct image *img)
{
	memset(img, 0, sizeof(*img));
	img->png.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_file(&img->png, path)) {
		fprintf(stderr, "cl-png-pixel: %s: %s\n", path, img->png.message);
		return false;
	}
	img->png.format = PNG_FORMAT_RGBA;
	img->rgba = malloc(PNG_IMAGE_SIZE(img->png));
	if (!img->rgba || !png_image_finish_read(&img->png, NULL, img->rgba, 0, NULL)) {
		fprintf(stderr, "cl-png-pixel: %s: %s\n", path,
		        img->rgba ? img->png.message : "out of memory");
		png_image_free(&img->png);
		free(img->rgba);
		return false;
	}
	return true;
}

static bool parse_long(const char *s, long min, long max, long *ret)
{
	char *end;
	long v;

	if (!*s)
		return false;
	v = strtol(s, &end, 10);
	if (*end || v < min || v > max)
		return false;
	*ret = v;
	return true;
}

static bool parse_rgb(const char *s, uint8_t rgb[3])
{
	char *end;
	unsigned long v;

	if (s[0] == '#')
		s++;
	if (strlen(s) != 6 || strspn(s, "0123456789abcdefABCDEF") != 6)
		return false;
	v = strtoul(s, &end, 16);
	rgb[0] = (uint8_t)(v >> 16);
	rgb[1] = (uint8_t)(v >> 8);
	rgb[2] = (uint8_t)v;
	return true;
}

static bool point(const struct image *img, const char *xs, const char *ys, long *x, long *y)
{
	if (!parse_long(xs, 0, (long)img->png.width - 1, x) ||
	    !parse_long(ys, 0, (long)img->png.height - 1, y)) {
		fprintf(stderr, "cl-png-pixel: point %s,%s is outside the %ux%u image\n", xs, ys,
		        img->png.width, img->png.height);
		return false;
	}
	return true;
}

static uint8_t *pixel(const struct image *img, long x, long y)
{
	return img->rgba + ((size_t)y * img->png.width + (size_t)x) * 4;
}

static int mark(struct image *img, const char *out, int argc, char **argv)
{
	for (int i = 0; i + 1 < argc; i += 2) {
		long x, y;

		if (!point(img, argv[i], argv[i + 1], &x, &y))
			return 2;
		for (long d = -3; d <= 3; d++) {
			long px[2] = {x + d, x}, py[2] = {y, y + d};

			for (int k = 0; k < 2; k++) {
				uint8_t *p;

				if (px[k] < 0 || py[k] < 0 || px[k] >= (long)img->png.width ||
				    py[k] >= (long)img->png.height || d == 0)
					continue;
				p = pixel(img, px[k], py[k]);
				p[0] = 0xff;
				p[1] = 0x00;
				p[2] = 0xff;
				p[3] = 0xff;
			}
		}
	}
	if (!png_image_write_to_file(&img->png, out, 0, img->rgba, 0, NULL))
		return fail("cannot write ", out);
	return 0;
}

int main(int argc, char **argv)
{
	struct image img;
	uint8_t want[3] = {0};
	bool expect = false, count_other = false, count_same = false;
	long tolerance = 8;
	int i = 2, status = 0;

	if (argc < 3)
		return fail("usage: cl-png-pixel FILE (--size | [--expect RRGGBB "
		            "[--tolerance N]] [--mark OUT.png] X Y ...)",
		            NULL);
	if (!load(argv[1], &img))
		return 2;
	if (strcmp(argv[2], "--size") == 0) {
		printf("%u %u\n", img.png.width, img.png.height);
		return 0;
	}
	if (strcmp(argv[2], "--mark") == 0) {
		if (argc < 6 || (argc - 4) % 2)
			return fail("usage: --mark OUT.png X Y ...", NULL);
		return mark(&img, argv[3], argc - 4, argv + 4);
	}
	if (strcmp(argv[i], "--count-other") == 0 || strcmp(argv[i], "--count-same") == 0) {
		if (i + 1 >= argc || !parse_rgb(argv[i + 1], want))
			return fail("--count-other and --count-same need RRGGBB", NULL);
		count_other = true;
		count_same = strcmp(argv[i], "--count-same") == 0;
		i += 2;
	} else if (strcmp(argv[i], "--expect") == 0) {
		if (i + 1 >= argc || !parse_rgb(argv[i + 1], want))
			return fail("--expect needs RRGGBB", NULL);
		expect = true;
		i += 2;
	}
	if (i < argc && strcmp(argv[i], "--tolerance") == 0) {
		if (i + 1 >= argc || !parse_long(argv[i + 1], 0, 255, &tolerance))
			return fail("--tolerance needs 0-255", NULL);
		i += 2;
	}
	if (count_other) {
		long x0, y0, x1, y1, count = 0;

		if (argc - i != 4 || !point(&img, argv[i], argv[i + 1], &x0, &y0) ||
		    !parse_long(argv[i + 2], x0, (long)img.png.width, &x1) ||
		    !parse_long(argv[i + 3], y0, (long)img.png.height, &y1))
			return fail("a rectangle X0 Y0 X1 Y1 inside the image is needed", NULL);
		for (long y = y0; y < y1; y++) {
			for (long x = x0; x < x1; x++) {
				uint8_t *p = pixel(&img, x, y);
				bool same = true;

				for (int c = 0; c < 3; c++) {
					if (abs((int)p[c] - (int)want[c]) > tolerance)
						same = false;
				}
				if (same == count_same)
					count++;
			}
		}
		printf("%ld\n", count);
		png_image_free(&img.png);
		free(img.rgba);
		return 0;
	}
	if (i >= argc || (argc - i) % 2)
		return fail("points are pairs X Y", NULL);
	for (; i + 1 < argc; i += 2) {
		long x, y;
		uint8_t *p;
		bool ok = true;

		if (!point(&img, argv[i], argv[i + 1], &x, &y))
			return 2;
		p = pixel(&img, x, y);
		for (int c = 0; c < 3; c++) {
			if (abs((int)p[c] - (int)want[c]) > tolerance)
				ok = false;
		}
		if (expect) {
			printf("%ld %ld %02x%02x%02x %s\n", x, y, p[0], p[1], p[2],
			       ok ? "ok" : "differs");
			if (!ok)
				status = 1;
		} else {
			printf("%02x%02x%02x\n", p[0], p[1], p[2]);
		}
	}
	png_image_free(&img.png);
	free(img.rgba);
	return status;
}
