/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Server-side frame of a cage window, drawn by the compositor above the
 * client's surface so that nothing the client draws can hide it:
 *
 *   +------------------------------------------+
 *   | [Label] title                            |  title bar (CL_FRAME_TITLEBAR)
 *   |+----------------------------------------+|
 *   ||              client content            ||  border (CL_FRAME_BORDER)
 *   |+----------------------------------------+|
 *   +------------------------------------------+
 *
 * Everything is in the level's colour.  The focused window's frame is the
 * level colour itself with bold text and an underline in the text colour; an
 * unfocused frame is the same hue, darker, with regular text.  Fullscreen
 * windows keep the border (a cage window never looks frameless) but no
 * title bar.
 *
 * Text is rendered with pango/cairo into a small wlr_buffer subclass backed
 * by a cairo image surface (cl_text_buffer_create), shown by a scene buffer.
 */
#include <cairo.h>
#include <drm_fourcc.h>
#include <pango/pangocairo.h>
#include <stdlib.h>
#include <string.h>
#include <wlr/types/wlr_buffer.h>

#include "log.h"
#include "server.h"

#define TEXT_PAD       6
#define TEXT_MAX_WIDTH 4096
#define MARKER_HEIGHT  2
#define UNFOCUSED_DIM  0.6

struct cl_frame {
	struct cl_view *view;
	struct wlr_scene_tree *tree;
	struct wlr_scene_rect *top, *bottom, *left, *right;
	struct wlr_scene_rect *marker;
	struct wlr_scene_buffer *title;
	/* What is shown, to redraw only on change. */
	int width, height;
	bool focused, fullscreen, valid;
	char *text;
};

/* ---- Text buffers ---- */

struct text_buffer {
	struct wlr_buffer base;
	cairo_surface_t *surface;
};

static const struct wlr_buffer_impl text_buffer_impl;

static struct text_buffer *text_buffer_from_buffer(struct wlr_buffer *buffer)
{
	struct text_buffer *tb = wl_container_of(buffer, tb, base);

	return tb;
}

static void text_buffer_destroy(struct wlr_buffer *buffer)
{
	struct text_buffer *tb = text_buffer_from_buffer(buffer);

	cairo_surface_destroy(tb->surface);
	free(tb);
}

static bool text_buffer_begin_data_ptr_access(struct wlr_buffer *buffer, uint32_t flags,
                                              void **data, uint32_t *format, size_t *stride)
{
	struct text_buffer *tb = text_buffer_from_buffer(buffer);

	if (flags & WLR_BUFFER_DATA_PTR_ACCESS_WRITE)
		return false;
	cairo_surface_flush(tb->surface);
	*data = cairo_image_surface_get_data(tb->surface);
	/* cairo's ARGB32 is premultiplied, native-endian: DRM ARGB8888 here. */
	*format = DRM_FORMAT_ARGB8888;
	*stride = (size_t)cairo_image_surface_get_stride(tb->surface);
	return *data != NULL;
}

static void text_buffer_end_data_ptr_access(struct wlr_buffer *buffer)
{
}

static const struct wlr_buffer_impl text_buffer_impl = {
        .destroy = text_buffer_destroy,
        .begin_data_ptr_access = text_buffer_begin_data_ptr_access,
        .end_data_ptr_access = text_buffer_end_data_ptr_access,
};

static PangoLayout *make_layout(cairo_t *cr, const char *text, int height, bool bold)
{
	PangoLayout *layout = pango_cairo_create_layout(cr);
	PangoFontDescription *desc = pango_font_description_from_string("Sans");

	pango_font_description_set_absolute_size(desc, (double)height * 0.55 * PANGO_SCALE);
	pango_font_description_set_weight(desc, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	pango_layout_set_font_description(layout, desc);
	pango_font_description_free(desc);
	pango_layout_set_single_paragraph_mode(layout, TRUE);
	/* Never markup: titles are hostile text. */
	pango_layout_set_text(layout, text, -1);
	return layout;
}

/*
 * TEXT on BG in FG, HEIGHT pixels high and at most MAX_WIDTH wide
 * (ellipsised at the end when longer).
 */
static struct wlr_buffer *text_buffer_create(const char *text, int height, const uint8_t fg[3],
                                             const uint8_t bg[3], int max_width, bool bold,
                                             int *width)
{
	cairo_surface_t *probe = NULL, *surface = NULL;
	cairo_t *cr = NULL;
	PangoLayout *layout = NULL;
	struct text_buffer *tb;
	int tw = 0, th = 0, w;

	if (!text || height <= 0 || height > 1024 || max_width <= 0)
		return NULL;
	if (max_width > TEXT_MAX_WIDTH)
		max_width = TEXT_MAX_WIDTH;

	probe = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
	cr = cairo_create(probe);
	layout = make_layout(cr, text, height, bold);
	pango_layout_get_pixel_size(layout, &tw, &th);
	g_object_unref(layout);
	cairo_destroy(cr);
	cairo_surface_destroy(probe);

	w = tw + 2 * TEXT_PAD;
	if (w > max_width)
		w = max_width;
	if (w < 1)
		w = 1;

	surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, height);
	if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(surface);
		return NULL;
	}
	cr = cairo_create(surface);
	cairo_set_source_rgb(cr, bg[0] / 255.0, bg[1] / 255.0, bg[2] / 255.0);
	cairo_paint(cr);
	layout = make_layout(cr, text, height, bold);
	if (tw + 2 * TEXT_PAD > w) {
		pango_layout_set_width(layout,
		                       (w - 2 * TEXT_PAD > 0 ? w - 2 * TEXT_PAD : 1) * PANGO_SCALE);
		pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END);
	}
	pango_layout_get_pixel_size(layout, NULL, &th);
	cairo_set_source_rgb(cr, fg[0] / 255.0, fg[1] / 255.0, fg[2] / 255.0);
	cairo_move_to(cr, TEXT_PAD, (height - th) / 2.0);
	pango_cairo_show_layout(cr, layout);
	g_object_unref(layout);
	cairo_destroy(cr);
	cairo_surface_flush(surface);

	tb = calloc(1, sizeof(*tb));
	if (!tb) {
		cairo_surface_destroy(surface);
		return NULL;
	}
	tb->surface = surface;
	wlr_buffer_init(&tb->base, &text_buffer_impl, w, height);
	if (width)
		*width = w;
	return &tb->base;
}

struct wlr_buffer *cl_text_buffer_create(const char *text, int height, const uint8_t fg[3],
                                         const uint8_t bg[3], int *width)
{
	return text_buffer_create(text, height, fg, bg, TEXT_MAX_WIDTH, false, width);
}

/* ---- Colours ---- */

/* Black or white, whichever contrasts more with BG. */
static void contrast_colour(const uint8_t bg[3], uint8_t out[3])
{
	/* Rec. 709 luma on the sRGB values: good enough to choose. */
	double l = 0.2126 * bg[0] + 0.7152 * bg[1] + 0.0722 * bg[2];
	uint8_t v = l > 140.0 ? 0 : 255;

	out[0] = out[1] = out[2] = v;
}

static void frame_colours(const struct cl_frame *frame, bool focused, uint8_t bg[3], uint8_t fg[3])
{
	const ClCage *cage = frame->view->cage;
	const ClLevel *level = cage ? cage->level : NULL;
	static const uint8_t grey[3] = {0x80, 0x80, 0x80};
	const uint8_t *rgb = level ? level->rgb : grey;
	int i;

	for (i = 0; i < 3; i++)
		bg[i] = focused ? rgb[i] : (uint8_t)(rgb[i] * UNFOCUSED_DIM);
	contrast_colour(bg, fg);
}

static void to_float(const uint8_t c[3], float out[4])
{
	out[0] = c[0] / 255.0f;
	out[1] = c[1] / 255.0f;
	out[2] = c[2] / 255.0f;
	out[3] = 1.0f;
}

/* ---- Frame ---- */

struct cl_frame *cl_frame_create(struct cl_view *view)
{
	struct cl_frame *frame;
	const float black[4] = {0, 0, 0, 1};

	if (!view || !view->tree)
		return NULL;
	frame = calloc(1, sizeof(*frame));
	if (!frame)
		return NULL;
	frame->view = view;
	frame->tree = wlr_scene_tree_create(&view->tree->node);
	if (!frame->tree)
		goto fail;
	frame->top = wlr_scene_rect_create(&frame->tree->node, 1, 1, black);
	frame->bottom = wlr_scene_rect_create(&frame->tree->node, 1, 1, black);
	frame->left = wlr_scene_rect_create(&frame->tree->node, 1, 1, black);
	frame->right = wlr_scene_rect_create(&frame->tree->node, 1, 1, black);
	frame->marker = wlr_scene_rect_create(&frame->tree->node, 1, 1, black);
	if (!frame->top || !frame->bottom || !frame->left || !frame->right || !frame->marker)
		goto fail;
	return frame;

fail:
	if (frame->tree)
		wlr_scene_node_destroy(&frame->tree->node);
	free(frame);
	return NULL;
}

static char *frame_text(const struct cl_frame *frame)
{
	const ClCage *cage = frame->view->cage;
	const char *label = cage && cage->level && cage->level->label ? cage->level->label : "?";
	const char *title = frame->view->title ? frame->view->title : "";

	return g_strdup_printf("[%s] %s", label, title);
}

void cl_frame_update(struct cl_frame *frame, int content_width, int content_height, bool focused)
{
	struct cl_view *view;
	int b = CL_FRAME_BORDER, t, w, h, max_text, text_w = 0;
	uint8_t bg[3], fg[3];
	float bgf[4], fgf[4];
	char *text;
	struct wlr_buffer *buffer;
	bool fullscreen;

	if (!frame)
		return;
	view = frame->view;
	fullscreen = view->fullscreen;
	if (content_width < 0)
		content_width = 0;
	if (content_height < 0)
		content_height = 0;
	if (content_width > CL_MAX_SURFACE_SIZE)
		content_width = CL_MAX_SURFACE_SIZE;
	if (content_height > CL_MAX_SURFACE_SIZE)
		content_height = CL_MAX_SURFACE_SIZE;
	text = frame_text(frame);
	if (frame->valid && frame->width == content_width && frame->height == content_height &&
	    frame->focused == focused && frame->fullscreen == fullscreen && frame->text &&
	    strcmp(frame->text, text) == 0) {
		g_free(text);
		return;
	}
	g_free(frame->text);
	frame->text = text;
	frame->width = content_width;
	frame->height = content_height;
	frame->focused = focused;
	frame->fullscreen = fullscreen;
	frame->valid = true;

	t = fullscreen ? b : b + CL_FRAME_TITLEBAR;
	w = content_width + 2 * b;
	h = content_height + t + b;
	frame_colours(frame, focused, bg, fg);
	to_float(bg, bgf);
	to_float(fg, fgf);

	wlr_scene_rect_set_size(frame->top, w, t);
	wlr_scene_rect_set_color(frame->top, bgf);
	wlr_scene_node_set_position(&frame->top->node, 0, 0);
	wlr_scene_rect_set_size(frame->bottom, w, b);
	wlr_scene_rect_set_color(frame->bottom, bgf);
	wlr_scene_node_set_position(&frame->bottom->node, 0, h - b);
	wlr_scene_rect_set_size(frame->left, b, content_height);
	wlr_scene_rect_set_color(frame->left, bgf);
	wlr_scene_node_set_position(&frame->left->node, 0, t);
	wlr_scene_rect_set_size(frame->right, b, content_height);
	wlr_scene_rect_set_color(frame->right, bgf);
	wlr_scene_node_set_position(&frame->right->node, w - b, t);

	/* Focus marker: an underline in the text colour along the title bar. */
	wlr_scene_rect_set_size(frame->marker, w - 2 * b > 0 ? w - 2 * b : 1, MARKER_HEIGHT);
	wlr_scene_rect_set_color(frame->marker, fgf);
	wlr_scene_node_set_position(&frame->marker->node, b, t - MARKER_HEIGHT - 1);
	wlr_scene_node_set_enabled(&frame->marker->node, focused && !fullscreen);

	if (frame->title) {
		wlr_scene_node_destroy(&frame->title->node);
		frame->title = NULL;
	}
	max_text = w - 2 * b;
	if (fullscreen || max_text < 8)
		return;
	buffer = text_buffer_create(frame->text, CL_FRAME_TITLEBAR - MARKER_HEIGHT - 1, fg, bg,
	                            max_text, focused, &text_w);
	if (!buffer) {
		cl_warn("window %u: cannot render its title", view->id);
		return;
	}
	/* The scene buffer holds its own lock; ours is dropped at once. */
	frame->title = wlr_scene_buffer_create(&frame->tree->node, buffer);
	wlr_buffer_drop(buffer);
	if (frame->title)
		wlr_scene_node_set_position(&frame->title->node, b, b);
}

void cl_frame_destroy(struct cl_frame *frame)
{
	if (!frame)
		return;
	/* The tree may already be gone with the view's tree: destroy it first. */
	if (frame->tree)
		wlr_scene_node_destroy(&frame->tree->node);
	g_free(frame->text);
	free(frame);
}
