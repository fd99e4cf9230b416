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
 * The frame is four scene buffers (title bar with the top border, bottom,
 * left and right borders), each a wlr_buffer subclass backed by a cairo
 * image surface, painted (text with pango/cairo) only when the size, focus
 * or title changes.  They are fully opaque and given to wlroots as
 * XRGB8888: compositing one damaged pixel is a copy, and what they cover
 * is not painted at all (render.c).  (wlroots 0.15's pixman renderer draws
 * a scene rectangle by allocating and filling an image of the whole
 * rectangle for every damaged piece of it, which is why they are not
 * rectangles.)  cl_text_buffer_create makes the label buffers of the strip.
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
	/* Title bar (with the top border), bottom, left and right borders. */
	struct wlr_scene_buffer *top, *bottom, *left, *right;
	/* What is shown, to redraw only on change. */
	int width, height;
	bool focused, fullscreen, valid;
	char *text;
};

/* ---- Text buffers ---- */

struct text_buffer {
	struct wlr_buffer base;
	cairo_surface_t *surface;
	uint32_t format; /* DRM_FORMAT_ARGB8888, or XRGB8888 when painted opaque */
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
	*format = tb->format;
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

/* Width of the text box for TEXT: the text and its padding, at most MAX_WIDTH. */
static int text_box_width(const char *text, int height, int max_width, bool bold, int *text_width)
{
	cairo_surface_t *probe = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
	cairo_t *cr = cairo_create(probe);
	PangoLayout *layout = make_layout(cr, text, height, bold);
	int tw = 0, th = 0, w;

	pango_layout_get_pixel_size(layout, &tw, &th);
	g_object_unref(layout);
	cairo_destroy(cr);
	cairo_surface_destroy(probe);

	w = tw + 2 * TEXT_PAD;
	if (w > max_width)
		w = max_width;
	if (w < 1)
		w = 1;
	*text_width = tw;
	return w;
}

/*
 * Draws the text box: TEXT in FG on BG, W x HEIGHT at the origin of CR
 * (ellipsised at the end when the text, TW wide, does not fit).
 */
static void text_box_draw(cairo_t *cr, const char *text, int w, int height, int tw,
                          const uint8_t fg[3], const uint8_t bg[3], bool bold)
{
	PangoLayout *layout;
	int th = 0;

	cairo_save(cr);
	cairo_rectangle(cr, 0, 0, w, height);
	cairo_clip(cr);
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
	cairo_restore(cr);
}

/* A W x H buffer for SURFACE (which it takes), FORMAT as seen by wlroots. */
static struct wlr_buffer *surface_buffer_create(cairo_surface_t *surface, uint32_t format)
{
	struct text_buffer *tb;

	cairo_surface_flush(surface);
	tb = calloc(1, sizeof(*tb));
	if (!tb) {
		cairo_surface_destroy(surface);
		return NULL;
	}
	tb->surface = surface;
	tb->format = format;
	wlr_buffer_init(&tb->base, &text_buffer_impl, cairo_image_surface_get_width(surface),
	                cairo_image_surface_get_height(surface));
	return &tb->base;
}

static cairo_surface_t *image_create(int w, int h)
{
	cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);

	if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(surface);
		return NULL;
	}
	return surface;
}

/*
 * TEXT on BG in FG, HEIGHT pixels high and at most MAX_WIDTH wide
 * (ellipsised at the end when longer).
 */
static struct wlr_buffer *text_buffer_create(const char *text, int height, const uint8_t fg[3],
                                             const uint8_t bg[3], int max_width, bool bold,
                                             int *width)
{
	cairo_surface_t *surface;
	cairo_t *cr;
	int tw = 0, w;

	if (!text || height <= 0 || height > 1024 || max_width <= 0)
		return NULL;
	if (max_width > TEXT_MAX_WIDTH)
		max_width = TEXT_MAX_WIDTH;

	w = text_box_width(text, height, max_width, bold, &tw);
	surface = image_create(w, height);
	if (!surface)
		return NULL;
	cr = cairo_create(surface);
	text_box_draw(cr, text, w, height, tw, fg, bg, bold);
	cairo_destroy(cr);
	if (width)
		*width = w;
	return surface_buffer_create(surface, DRM_FORMAT_ARGB8888);
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

/* ---- Frame ---- */

struct cl_frame *cl_frame_create(struct cl_view *view)
{
	struct cl_frame *frame;

	if (!view || !view->tree)
		return NULL;
	frame = calloc(1, sizeof(*frame));
	if (!frame)
		return NULL;
	frame->view = view;
	/* Its pieces are made by the first cl_frame_update(). */
	frame->tree = wlr_scene_tree_create(&view->tree->node);
	if (!frame->tree) {
		free(frame);
		return NULL;
	}
	return frame;
}

/*
 * The title bar, W x T: BG, the text box at (B, B) at most MAX_TEXT wide
 * (none when MAX_TEXT is 0), and the focus marker (an underline in FG)
 * when FOCUSED.
 */
static struct wlr_buffer *title_bar_create(const char *text, int w, int t, int max_text,
                                           const uint8_t fg[3], const uint8_t bg[3], bool focused)
{
	const int b = CL_FRAME_BORDER, text_h = CL_FRAME_TITLEBAR - MARKER_HEIGHT - 1;
	cairo_surface_t *surface = image_create(w, t);
	cairo_t *cr;

	if (!surface)
		return NULL;
	cr = cairo_create(surface);
	cairo_set_source_rgb(cr, bg[0] / 255.0, bg[1] / 255.0, bg[2] / 255.0);
	cairo_paint(cr);
	if (focused) {
		cairo_set_source_rgb(cr, fg[0] / 255.0, fg[1] / 255.0, fg[2] / 255.0);
		cairo_rectangle(cr, b, t - MARKER_HEIGHT - 1, w - 2 * b > 0 ? w - 2 * b : 1,
		                MARKER_HEIGHT);
		cairo_fill(cr);
	}
	if (max_text > 0) {
		int tw = 0, text_w;

		if (max_text > TEXT_MAX_WIDTH)
			max_text = TEXT_MAX_WIDTH;
		text_w = text_box_width(text, text_h, max_text, focused, &tw);
		cairo_translate(cr, b, b);
		text_box_draw(cr, text, text_w, text_h, tw, fg, bg, focused);
	}
	cairo_destroy(cr);
	/* Painted opaque everywhere: no alpha for wlroots. */
	return surface_buffer_create(surface, DRM_FORMAT_XRGB8888);
}

/* A W x H piece of frame in BG. */
static struct wlr_buffer *solid_create(int w, int h, const uint8_t bg[3])
{
	cairo_surface_t *surface = image_create(w, h);
	cairo_t *cr;

	if (!surface)
		return NULL;
	cr = cairo_create(surface);
	cairo_set_source_rgb(cr, bg[0] / 255.0, bg[1] / 255.0, bg[2] / 255.0);
	cairo_paint(cr);
	cairo_destroy(cr);
	return surface_buffer_create(surface, DRM_FORMAT_XRGB8888);
}

/* Replaces *PIECE by a scene buffer showing BUFFER (dropped) at X, Y. */
static bool piece_set(struct cl_frame *frame, struct wlr_scene_buffer **piece,
                      struct wlr_buffer *buffer, int x, int y)
{
	if (*piece) {
		wlr_scene_node_destroy(&(*piece)->node);
		*piece = NULL;
	}
	if (!buffer)
		return false;
	/* The scene buffer holds its own lock; ours is dropped at once. */
	*piece = wlr_scene_buffer_create(&frame->tree->node, buffer);
	wlr_buffer_drop(buffer);
	if (!*piece)
		return false;
	wlr_scene_node_set_position(&(*piece)->node, x, y);
	return true;
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
	int b = CL_FRAME_BORDER, t, w, h, max_text;
	uint8_t bg[3], fg[3];
	char *text;
	bool fullscreen, ok;

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
	max_text = w - 2 * b;
	if (fullscreen || max_text < 8)
		max_text = 0;

	ok = piece_set(frame, &frame->top,
	               fullscreen ? solid_create(w, t, bg)
	                          : title_bar_create(frame->text, w, t, max_text, fg, bg, focused),
	               0, 0);
	ok = piece_set(frame, &frame->bottom, solid_create(w, b, bg), 0, h - b) && ok;
	if (content_height > 0) {
		ok = piece_set(frame, &frame->left, solid_create(b, content_height, bg), 0, t) &&
		     ok;
		ok = piece_set(frame, &frame->right, solid_create(b, content_height, bg), w - b,
		               t) &&
		     ok;
	} else {
		piece_set(frame, &frame->left, NULL, 0, 0);
		piece_set(frame, &frame->right, NULL, 0, 0);
	}
	if (!ok) {
		cl_warn("window %u: cannot draw its frame", view->id);
		/* Drawn again at the next update. */
		frame->valid = false;
	}
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
