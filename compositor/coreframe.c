/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The core frame: what the compositor draws around every trusted dialog and
 * notification toplevel of the bar (zcloison_shell_v1.set_dialog,
 * set_notification), and around nothing else.  No cage
 * window can have it: cage frames are plain level colours (frame.c), and a
 * cage's own pixels always sit inside its frame, in a layer below the
 * dialogs.
 *
 *   +----------------------------------------------+
 *   |//////// [ Cloison — trusted dialog ] ////////|  CL_CORE_FRAME_TITLEBAR
 *   |//+----------------------------------------+//|
 *   |//|              dialog content            |//|  CL_CORE_FRAME_BORDER
 *   |//+----------------------------------------+//|
 *   +----------------------------------------------+
 *
 * A diagonal hatch of dark and light neutral grey stripes (HATCH_DARK,
 * HATCH_LIGHT, each HATCH_STRIPE pixels wide, at 45°, continuous around the
 * frame), a black line of INNER_LINE pixels along the content, and in the
 * middle of the top band the label "Cloison — trusted dialog" (or
 * "Cloison — notifications"; translated) in white on a black plate.  Grey is neutral: no level's
 * colour cue, and the stripes are what no solid level colour looks like.
 *
 * The four bands are opaque scene buffers (XRGB8888, memory we fill
 * ourselves), painted only when the content size changes; the label is a
 * text buffer from frame.c (cl_text_buffer_create).
 */
#include "cloison-build-config.h"

#include <drm_fourcc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wlr/types/wlr_buffer.h>

#include "log.h"
#include "server.h"

#define HATCH_STRIPE 6
#define HATCH_DARK   0x303030u
#define HATCH_LIGHT  0xd0d0d0u
#define INNER_LINE   2
#define INNER_COLOUR 0x000000u
#define LABEL_HEIGHT 20

struct cl_core_frame {
	struct wlr_scene_tree *tree;
	struct wlr_scene_buffer *top, *bottom, *left, *right;
	struct wlr_scene_buffer *label;
	char *label_text;
	int width, height; /* content size drawn for */
	bool valid;
};

/* ---- Pixel buffers ---- */

struct pixel_buffer {
	struct wlr_buffer base;
	uint32_t *pixels; /* XRGB8888, stride width * 4 */
};

static struct pixel_buffer *pixel_buffer_from_buffer(struct wlr_buffer *buffer)
{
	struct pixel_buffer *pb = wl_container_of(buffer, pb, base);

	return pb;
}

static void pixel_buffer_destroy(struct wlr_buffer *buffer)
{
	struct pixel_buffer *pb = pixel_buffer_from_buffer(buffer);

	free(pb->pixels);
	free(pb);
}

static bool pixel_buffer_begin_data_ptr_access(struct wlr_buffer *buffer, uint32_t flags,
                                               void **data, uint32_t *format, size_t *stride)
{
	struct pixel_buffer *pb = pixel_buffer_from_buffer(buffer);

	if (flags & WLR_BUFFER_DATA_PTR_ACCESS_WRITE)
		return false;
	*data = pb->pixels;
	*format = DRM_FORMAT_XRGB8888;
	*stride = (size_t)buffer->width * 4;
	return true;
}

static void pixel_buffer_end_data_ptr_access(struct wlr_buffer *buffer)
{
}

static const struct wlr_buffer_impl pixel_buffer_impl = {
        .destroy = pixel_buffer_destroy,
        .begin_data_ptr_access = pixel_buffer_begin_data_ptr_access,
        .end_data_ptr_access = pixel_buffer_end_data_ptr_access,
};

/*
 * The part (X0, Y0) W x H of a frame around a content at (L, T) of CW x CH:
 * hatch, and the inner line along the content.
 */
static struct wlr_buffer *band_create(int x0, int y0, int w, int h, int l, int t, int cw, int ch)
{
	struct pixel_buffer *pb;

	if (w <= 0 || h <= 0 || w > 4 * CL_MAX_SURFACE_SIZE || h > 4 * CL_MAX_SURFACE_SIZE)
		return NULL;
	pb = calloc(1, sizeof(*pb));
	if (!pb)
		return NULL;
	pb->pixels = malloc((size_t)w * (size_t)h * 4);
	if (!pb->pixels) {
		free(pb);
		return NULL;
	}
	for (int y = 0; y < h; y++) {
		uint32_t *row = pb->pixels + (size_t)y * (size_t)w;
		int fy = y0 + y;

		for (int x = 0; x < w; x++) {
			int fx = x0 + x;
			bool inner = fx >= l - INNER_LINE && fx < l + cw + INNER_LINE &&
			             fy >= t - INNER_LINE && fy < t + ch + INNER_LINE;

			if (inner)
				row[x] = INNER_COLOUR;
			else
				row[x] = ((fx + fy) / HATCH_STRIPE) % 2 ? HATCH_DARK : HATCH_LIGHT;
		}
	}
	wlr_buffer_init(&pb->base, &pixel_buffer_impl, w, h);
	return &pb->base;
}

/* Replace *NODE's buffer by a new band (or hide it when none can be made). */
static void band_set(struct wlr_scene_tree *tree, struct wlr_scene_buffer **node, int x0, int y0,
                     int w, int h, int l, int t, int cw, int ch)
{
	struct wlr_buffer *buffer = band_create(x0, y0, w, h, l, t, cw, ch);

	if (*node) {
		wlr_scene_node_destroy(&(*node)->node);
		*node = NULL;
	}
	if (!buffer)
		return;
	*node = wlr_scene_buffer_create(&tree->node, buffer);
	wlr_buffer_drop(buffer); /* the scene node holds its own lock */
	if (*node)
		wlr_scene_node_set_position(&(*node)->node, x0, y0);
}

/* ---- Frame ---- */

struct cl_core_frame *cl_core_frame_create(struct wlr_scene_tree *parent, const char *label)
{
	struct cl_core_frame *frame;

	if (!parent || !label)
		return NULL;
	frame = calloc(1, sizeof(*frame));
	if (!frame)
		return NULL;
	frame->label_text = strdup(label);
	if (!frame->label_text) {
		free(frame);
		return NULL;
	}
	/* Created last in PARENT: above the dialog's surface. */
	frame->tree = wlr_scene_tree_create(&parent->node);
	if (!frame->tree) {
		free(frame->label_text);
		free(frame);
		return NULL;
	}
	return frame;
}

static void label_update(struct cl_core_frame *frame, int fw)
{
	static const uint8_t fg[3] = {0xff, 0xff, 0xff}, bg[3] = {0, 0, 0};
	struct wlr_buffer *buffer;
	int label_w = 0, shown_w;

	if (frame->label) {
		wlr_scene_node_destroy(&frame->label->node);
		frame->label = NULL;
	}
	buffer = cl_text_buffer_create(frame->label_text, LABEL_HEIGHT, fg, bg, &label_w);
	if (!buffer) {
		cl_warn("cannot render the core frame's label");
		return;
	}
	frame->label = wlr_scene_buffer_create(&frame->tree->node, buffer);
	wlr_buffer_drop(buffer);
	if (!frame->label)
		return;
	/* Centred in the top band, cut to the frame's width. */
	shown_w = label_w;
	if (shown_w > fw - 2 * CL_CORE_FRAME_BORDER) {
		shown_w = fw - 2 * CL_CORE_FRAME_BORDER;
		if (shown_w <= 0) {
			wlr_scene_node_set_enabled(&frame->label->node, false);
			return;
		}
		wlr_scene_buffer_set_source_box(frame->label,
		                                &(struct wlr_fbox){0, 0, shown_w, LABEL_HEIGHT});
		wlr_scene_buffer_set_dest_size(frame->label, shown_w, LABEL_HEIGHT);
	}
	wlr_scene_node_set_position(&frame->label->node, (fw - shown_w) / 2,
	                            (CL_CORE_FRAME_TITLEBAR - INNER_LINE - LABEL_HEIGHT) / 2);
}

void cl_core_frame_update(struct cl_core_frame *frame, int width, int height)
{
	int b = CL_CORE_FRAME_BORDER, t = CL_CORE_FRAME_TITLEBAR, fw, fh;

	if (!frame)
		return;
	if (width < 1)
		width = 1;
	if (height < 1)
		height = 1;
	if (width > CL_MAX_SURFACE_SIZE)
		width = CL_MAX_SURFACE_SIZE;
	if (height > CL_MAX_SURFACE_SIZE)
		height = CL_MAX_SURFACE_SIZE;
	if (frame->valid && frame->width == width && frame->height == height)
		return;
	frame->valid = true;
	frame->width = width;
	frame->height = height;
	fw = width + 2 * b;
	fh = height + t + b;
	band_set(frame->tree, &frame->top, 0, 0, fw, t, b, t, width, height);
	band_set(frame->tree, &frame->bottom, 0, t + height, fw, b, b, t, width, height);
	band_set(frame->tree, &frame->left, 0, t, b, height, b, t, width, height);
	band_set(frame->tree, &frame->right, b + width, t, b, height, b, t, width, height);
	if (!frame->top || !frame->bottom || !frame->left || !frame->right)
		cl_warn("cannot draw a whole core frame (%dx%d)", fw, fh);
	label_update(frame, fw);
}

void cl_core_frame_destroy(struct cl_core_frame *frame)
{
	if (!frame)
		return;
	/* Its tree may already be gone with the view's tree: the view destroys this first. */
	if (frame->tree)
		wlr_scene_node_destroy(&frame->tree->node);
	free(frame->label_text);
	free(frame);
}
