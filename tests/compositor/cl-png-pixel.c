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
 *   cl-png-pixel FILE --crop OUT.png X Y W H
 *       writes the rectangle (wholly inside the image) as OUT.png, e.g. a
 *       window wherever it was placed, to compare with a reference crop
 *   cl-png-pixel FILE --find RRGGBB [--tolerance N] X0 Y0 X1 Y1
 *       prints "X Y W H", the bounding box of the pixels of the rectangle
 *       within N of RRGGBB, and how many there are ("X Y W H COUNT"); exit 1
 *       when there is none (e.g. where a selected item is on the screen)
 *   cl-png-pixel FILE --mark OUT.png X Y [X Y ...]
 *       writes a copy of FILE with a small magenta cross at each point
 *       (to show on a failure where the test looked)
 *   cl-png-pixel compare REFERENCE.png SHOT.png TOLERANCE DIFF.png
 *                [--mask X Y W H]...
 *       compares two images of the same size: every pixel of SHOT must be
 *       within TOLERANCE (0-255) of REFERENCE on each channel (R, G, B, A),
 *       except in the masked rectangles (regions that legitimately vary).
 *       Prints "match" or "N differing pixels, bounding box X,Y WxH, largest
 *       channel difference D" and on a mismatch writes DIFF.png: a dimmed
 *       copy of SHOT with the differing pixels in magenta and the masked
 *       rectangles shaded blue.  Exit 0 on a match, 1 on a mismatch.
 *
 * Exit status 2: usage error, unreadable PNG, images of different sizes, or
 * a point or rectangle outside the image.
 */
#include <limits.h>
#include <png.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#endif

struct image {
	png_image png;
	uint8_t *rgba;
};

/* Larger images are refused (a test screenshot is far smaller). */
#define MAX_SIDE  16384
#define MAX_MASKS 64

struct rect {
	long x, y, w, h;
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
	if (img->png.width == 0 || img->png.height == 0 || img->png.width > MAX_SIDE ||
	    img->png.height > MAX_SIDE) {
		fprintf(stderr, "cl-png-pixel: %s: unsupported size %ux%u\n", path, img->png.width,
		        img->png.height);
		png_image_free(&img->png);
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

static int crop(struct image *img, const char *out, char **argv)
{
	long x, y, w, h;
	png_image dst;
	uint8_t *rgba;
	int status = 0;

	if (!point(img, argv[0], argv[1], &x, &y) ||
	    !parse_long(argv[2], 1, (long)img->png.width - x, &w) ||
	    !parse_long(argv[3], 1, (long)img->png.height - y, &h))
		return fail("--crop needs a rectangle X Y W H inside the image", NULL);
	rgba = malloc((size_t)w * (size_t)h * 4);
	if (!rgba)
		return fail("out of memory", NULL);
	for (long r = 0; r < h; r++)
		memcpy(rgba + (size_t)r * (size_t)w * 4, pixel(img, x, y + r), (size_t)w * 4);
	memset(&dst, 0, sizeof(dst));
	dst.version = PNG_IMAGE_VERSION;
	dst.format = img->png.format;
	dst.width = (png_uint_32)w;
	dst.height = (png_uint_32)h;
	if (!png_image_write_to_file(&dst, out, 0, rgba, 0, NULL))
		status = fail("cannot write ", out);
	free(rgba);
	return status;
}

static void unload(struct image *img)
{
	png_image_free(&img->png);
	free(img->rgba);
	img->rgba = NULL;
}

static bool in_masks(const struct rect *masks, int n_masks, long x, long y)
{
	for (int i = 0; i < n_masks; i++) {
		if (x >= masks[i].x && x < masks[i].x + masks[i].w && y >= masks[i].y &&
		    y < masks[i].y + masks[i].h)
			return true;
	}
	return false;
}

/* --mask X Y W H: a rectangle of at least one pixel, wholly inside the image. */
static bool parse_mask(const struct image *img, char **argv, struct rect *r)
{
	long w = (long)img->png.width, h = (long)img->png.height;

	if (!parse_long(argv[0], 0, w - 1, &r->x) || !parse_long(argv[1], 0, h - 1, &r->y) ||
	    !parse_long(argv[2], 1, w - r->x, &r->w) || !parse_long(argv[3], 1, h - r->y, &r->h)) {
		fprintf(stderr, "cl-png-pixel: mask %s %s %s %s is not inside the %ux%u image\n",
		        argv[0], argv[1], argv[2], argv[3], img->png.width, img->png.height);
		return false;
	}
	return true;
}

/*
 * compare REFERENCE SHOT TOLERANCE DIFF [--mask X Y W H]...: see the top of
 * the file.  argv[0] is "compare".
 */
static int compare(int argc, char **argv)
{
	struct image ref, shot;
	struct rect masks[MAX_MASKS];
	int n_masks = 0, status = 2, worst = 0;
	long tolerance, count = 0, bx0 = 0, by0 = 0, bx1 = -1, by1 = -1;

	if (argc < 5 || (argc - 5) % 5)
		return fail("usage: cl-png-pixel compare REFERENCE.png SHOT.png TOLERANCE "
		            "DIFF.png [--mask X Y W H]...",
		            NULL);
	if (!parse_long(argv[3], 0, 255, &tolerance))
		return fail("the tolerance must be 0-255, not ", argv[3]);
	if (!load(argv[1], &ref))
		return 2;
	if (!load(argv[2], &shot)) {
		unload(&ref);
		return 2;
	}
	if (ref.png.width != shot.png.width || ref.png.height != shot.png.height) {
		fprintf(stderr, "cl-png-pixel: %s is %ux%u but %s is %ux%u\n", argv[1],
		        ref.png.width, ref.png.height, argv[2], shot.png.width, shot.png.height);
		goto out;
	}
	for (int i = 5; i < argc; i += 5) {
		if (strcmp(argv[i], "--mask") != 0) {
			fail("unknown argument ", argv[i]);
			goto out;
		}
		if (n_masks == MAX_MASKS) {
			fail("too many masks", NULL);
			goto out;
		}
		if (!parse_mask(&ref, argv + i + 1, &masks[n_masks]))
			goto out;
		n_masks++;
	}
	for (long y = 0; y < (long)shot.png.height; y++) {
		for (long x = 0; x < (long)shot.png.width; x++) {
			uint8_t *r = pixel(&ref, x, y), *p = pixel(&shot, x, y);
			bool masked = in_masks(masks, n_masks, x, y), differs = false;

			for (int c = 0; c < 4 && !masked; c++) {
				int d = abs((int)p[c] - (int)r[c]);

				if (d > tolerance) {
					differs = true;
					if (d > worst)
						worst = d;
				}
			}
			if (differs) {
				if (count == 0 || x < bx0)
					bx0 = x;
				if (count == 0 || y < by0)
					by0 = y;
				if (x > bx1)
					bx1 = x;
				if (y > by1)
					by1 = y;
				count++;
			}
			/* The diff image, built in place in the shot's pixels. */
			if (differs) {
				p[0] = 0xff;
				p[1] = 0x00;
				p[2] = 0xff;
			} else if (masked) {
				p[0] = (uint8_t)(p[0] / 4);
				p[1] = (uint8_t)(p[1] / 4);
				p[2] = (uint8_t)(p[2] / 4 + 0x60);
			} else {
				for (int c = 0; c < 3; c++)
					p[c] = (uint8_t)(0x20 + p[c] / 4);
			}
			p[3] = 0xff;
		}
	}
	if (count == 0) {
		printf("match\n");
		status = 0;
		goto out;
	}
	printf("%ld differing pixels, bounding box %ld,%ld %ldx%ld, largest channel "
	       "difference %d\n",
	       count, bx0, by0, bx1 - bx0 + 1, by1 - by0 + 1, worst);
	if (!png_image_write_to_file(&shot.png, argv[4], 0, shot.rgba, 0, NULL)) {
		fail("cannot write ", argv[4]);
		goto out;
	}
	status = 1;
out:
	unload(&ref);
	unload(&shot);
	return status;
}

int main(int argc, char **argv)
{
	struct image img;
	uint8_t want[3] = {0};
	bool expect = false, count_other = false, count_same = false, find = false;
	long tolerance = 8;
	int i = 2, status = 0;

	if (argc >= 2 && strcmp(argv[1], "compare") == 0)
		return compare(argc - 1, argv + 1);
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
	if (strcmp(argv[2], "--crop") == 0) {
		if (argc != 8)
			return fail("usage: --crop OUT.png X Y W H", NULL);
		status = crop(&img, argv[3], argv + 4);
		unload(&img);
		return status;
	}
	if (strcmp(argv[2], "--mark") == 0) {
		if (argc < 6 || (argc - 4) % 2)
			return fail("usage: --mark OUT.png X Y ...", NULL);
		return mark(&img, argv[3], argc - 4, argv + 4);
	}
	if (strcmp(argv[i], "--count-other") == 0 || strcmp(argv[i], "--count-same") == 0 ||
	    strcmp(argv[i], "--find") == 0) {
		if (i + 1 >= argc || !parse_rgb(argv[i + 1], want))
			return fail("--count-other, --count-same and --find need RRGGBB", NULL);
		count_other = true;
		find = strcmp(argv[i], "--find") == 0;
		count_same = find || strcmp(argv[i], "--count-same") == 0;
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
		long bx0 = LONG_MAX, by0 = LONG_MAX, bx1 = -1, by1 = -1;

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
				if (same == count_same) {
					count++;
					bx0 = MIN(bx0, x);
					by0 = MIN(by0, y);
					bx1 = MAX(bx1, x);
					by1 = MAX(by1, y);
				}
			}
		}
		if (find && count == 0)
			status = 1;
		else if (find)
			printf("%ld %ld %ld %ld %ld\n", bx0, by0, bx1 - bx0 + 1, by1 - by0 + 1,
			       count);
		else
			printf("%ld\n", count);
		png_image_free(&img.png);
		free(img.rgba);
		return status;
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
