/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Rendering an output's frame from the scene graph, without painting what
 * is hidden.
 *
 * wlroots 0.15's wlr_scene_output_commit() paints every node of the scene,
 * bottom to top, in the whole damaged region: a window covered by another
 * one is composited anyway and then painted over.  With the pixman renderer
 * that is most of a frame's cost as soon as windows overlap.  This renders
 * the same scene with the same damage tracking (the scene output's
 * wlr_output_damage), but each node only where it is damaged and not
 * covered by an opaque node above it: surfaces and buffers without an alpha
 * channel and rectangles of opaque colour (a client's opaque-region hint is
 * not trusted).  What
 * ends up on screen is the same, pixel for pixel: a covered pixel of a node
 * would have been overwritten by the opaque pixel above it.
 *
 * Frame callbacks and presentation feedback are unchanged: every surface of
 * the output still gets them, covered or not (wlr_scene_output_send_frame_done
 * after the commit; presentation "sampled" for every surface, as the scene
 * does).
 *
 * The first frame drawn into a new buffer of the shm allocator (headless
 * output, pixman) does not clear the background: the buffer is memory the
 * kernel has just zeroed, which in XRGB8888 is already the black the clear
 * would write.  Writing those 8 MB of a 1920x1080 output would only fault
 * in every page of it, which is most of the time to the first frame on a
 * virtual machine where page faults are slow.
 *
 * Scaled or transformed outputs, and a frame that the scene could show by
 * direct scan-out (one node exactly covering the output), are left to
 * wlr_scene_output_commit().
 */
#include "cloison-build-config.h"

#include <drm_fourcc.h>
#include <stdlib.h>
#include <wlr/render/wlr_texture.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_matrix.h>
#include <wlr/types/wlr_output_damage.h>
#include <wlr/types/wlr_presentation_time.h>
#include <wlr/util/addon.h>
#include <wlr/util/box.h>

#include "log.h"
#include "server.h"

struct render_item {
	struct wlr_scene_node *node;
	struct wlr_box box; /* output-local */
	pixman_region32_t visible;
};

struct render_list {
	struct render_item *items;
	size_t len, cap;
	size_t on_output;                /* nodes that intersect the output */
	struct wlr_scene_node *covering; /* a node exactly covering the output */
};

static void node_size(struct wlr_scene_node *node, int *width, int *height)
{
	*width = *height = 0;
	switch (node->type) {
	case WLR_SCENE_NODE_SURFACE: {
		struct wlr_surface *surface = wlr_scene_surface_from_node(node)->surface;

		*width = surface->current.width;
		*height = surface->current.height;
		break;
	}
	case WLR_SCENE_NODE_RECT: {
		struct wlr_scene_rect *rect = wl_container_of(node, rect, node);

		*width = rect->width;
		*height = rect->height;
		break;
	}
	case WLR_SCENE_NODE_BUFFER: {
		struct wlr_scene_buffer *buffer = wl_container_of(node, buffer, node);

		if (buffer->dst_width > 0 && buffer->dst_height > 0) {
			*width = buffer->dst_width;
			*height = buffer->dst_height;
		} else if (buffer->transform & WL_OUTPUT_TRANSFORM_90) {
			*width = buffer->buffer->height;
			*height = buffer->buffer->width;
		} else {
			*width = buffer->buffer->width;
			*height = buffer->buffer->height;
		}
		break;
	}
	case WLR_SCENE_NODE_ROOT:
	case WLR_SCENE_NODE_TREE:
		break;
	}
}

/* Enabled drawable nodes, bottom to top, with their output-local boxes. */
static bool collect(struct render_list *list, struct wlr_scene_node *node, int x, int y,
                    const struct wlr_box *output_box)
{
	struct wlr_scene_node *child;

	if (!node->state.enabled)
		return true;
	x += node->state.x;
	y += node->state.y;
	if (node->type != WLR_SCENE_NODE_ROOT && node->type != WLR_SCENE_NODE_TREE) {
		struct wlr_box box = {.x = x, .y = y}, inter;

		node_size(node, &box.width, &box.height);
		if (box.width > 0 && box.height > 0 &&
		    wlr_box_intersection(&inter, &box, output_box)) {
			list->on_output++;
			if (box.x == output_box->x && box.y == output_box->y &&
			    box.width == output_box->width && box.height == output_box->height)
				list->covering = node;
			if (list->len == list->cap) {
				size_t cap = list->cap ? list->cap * 2 : 64;
				struct render_item *items =
				        realloc(list->items, cap * sizeof(*items));

				if (!items)
					return false;
				list->items = items;
				list->cap = cap;
			}
			list->items[list->len++] = (struct render_item){
			        .node = node,
			        .box = box,
			};
		}
	}
	wl_list_for_each (child, &node->state.children, state.link) {
		if (!collect(list, child, x, y, output_box))
			return false;
	}
	return true;
}

static struct wlr_texture *buffer_texture(struct wlr_scene_buffer *scene_buffer,
                                          struct wlr_renderer *renderer)
{
	struct wlr_client_buffer *client_buffer = wlr_client_buffer_get(scene_buffer->buffer);

	if (client_buffer)
		return client_buffer->texture;
	/* Kept by the scene buffer and destroyed with it, as the scene does. */
	if (!scene_buffer->texture)
		scene_buffer->texture = wlr_texture_from_buffer(renderer, scene_buffer->buffer);
	return scene_buffer->texture;
}

/* Adds to COVERED the part of ITEM that hides whatever is below it. */
static void add_opaque(struct render_item *item, struct wlr_renderer *renderer,
                       pixman_region32_t *covered)
{
	struct wlr_scene_node *node = item->node;
	struct wlr_box *b = &item->box;

	switch (node->type) {
	case WLR_SCENE_NODE_SURFACE: {
		/*
		 * Only a buffer without alpha hides what is below.  A client's
		 * opaque region is a hint it may get wrong (or lie about): what
		 * is under its translucent pixels would then not be repainted
		 * and stale pixels of earlier frames would show through.
		 */
		struct wlr_texture *texture =
		        wlr_surface_get_texture(wlr_scene_surface_from_node(node)->surface);

		if (!texture || !wlr_texture_is_opaque(texture))
			return;
		break;
	}
	case WLR_SCENE_NODE_RECT: {
		struct wlr_scene_rect *rect = wl_container_of(node, rect, node);

		if (rect->color[3] < 1.0f)
			return;
		break;
	}
	case WLR_SCENE_NODE_BUFFER: {
		struct wlr_scene_buffer *buffer = wl_container_of(node, buffer, node);
		struct wlr_texture *texture = buffer_texture(buffer, renderer);

		if (!texture || !wlr_texture_is_opaque(texture))
			return;
		break;
	}
	case WLR_SCENE_NODE_ROOT:
	case WLR_SCENE_NODE_TREE:
		return;
	}
	pixman_region32_union_rect(covered, covered, b->x, b->y, (unsigned)b->width,
	                           (unsigned)b->height);
}

static void scissor(struct wlr_renderer *renderer, const pixman_box32_t *r)
{
	struct wlr_box box = {
	        .x = r->x1,
	        .y = r->y1,
	        .width = r->x2 - r->x1,
	        .height = r->y2 - r->y1,
	};

	wlr_renderer_scissor(renderer, &box);
}

static void render_texture(struct wlr_output *output, pixman_region32_t *region,
                           struct wlr_texture *texture, const struct wlr_fbox *src,
                           const struct wlr_box *dst, enum wl_output_transform transform)
{
	struct wlr_fbox full = {.width = dst->width, .height = dst->height};
	pixman_box32_t *rects;
	float matrix[9];
	int n;

	if (!src || src->width <= 0 || src->height <= 0)
		src = &full;
	wlr_matrix_project_box(matrix, dst, wlr_output_transform_invert(transform), 0.0,
	                       output->transform_matrix);
	rects = pixman_region32_rectangles(region, &n);
	for (int i = 0; i < n; i++) {
		scissor(output->renderer, &rects[i]);
		wlr_render_subtexture_with_matrix(output->renderer, texture, src, matrix, 1.0f);
	}
}

static void render_item(struct wlr_output *output, struct render_item *item)
{
	struct wlr_renderer *renderer = output->renderer;
	struct wlr_scene_node *node = item->node;
	pixman_box32_t *rects;
	int n;

	switch (node->type) {
	case WLR_SCENE_NODE_SURFACE: {
		struct wlr_surface *surface = wlr_scene_surface_from_node(node)->surface;
		struct wlr_texture *texture = wlr_surface_get_texture(surface);
		struct wlr_fbox src = {0};

		if (!texture)
			return;
		wlr_surface_get_buffer_source_box(surface, &src);
		render_texture(output, &item->visible, texture, &src, &item->box,
		               surface->current.transform);
		break;
	}
	case WLR_SCENE_NODE_RECT: {
		struct wlr_scene_rect *rect = wl_container_of(node, rect, node);

		rects = pixman_region32_rectangles(&item->visible, &n);
		for (int i = 0; i < n; i++) {
			scissor(renderer, &rects[i]);
			wlr_render_rect(renderer, &item->box, rect->color,
			                output->transform_matrix);
		}
		break;
	}
	case WLR_SCENE_NODE_BUFFER: {
		struct wlr_scene_buffer *buffer = wl_container_of(node, buffer, node);
		struct wlr_texture *texture = buffer_texture(buffer, renderer);

		if (!texture)
			return;
		render_texture(output, &item->visible, texture, &buffer->src_box, &item->box,
		               buffer->transform);
		break;
	}
	case WLR_SCENE_NODE_ROOT:
	case WLR_SCENE_NODE_TREE:
		break;
	}
}

/* Marks an output buffer this output has already drawn into. */
struct drawn_mark {
	struct wlr_addon addon;
};

static void drawn_mark_destroy(struct wlr_addon *addon)
{
	struct drawn_mark *mark = wl_container_of(addon, mark, addon);

	wlr_addon_finish(&mark->addon);
	free(mark);
}

static const struct wlr_addon_interface drawn_mark_impl = {
        .name = "cl_render_drawn",
        .destroy = drawn_mark_destroy,
};

/*
 * Whether BUFFER, about to be drawn into by OUTPUT, is all zeros (black in
 * XRGB8888): a buffer of the shm allocator (a new memfd) never drawn into
 * before.  Marks it as drawn into.
 */
static bool buffer_is_new_black(struct wlr_output *output, struct wlr_buffer *buffer)
{
	struct wlr_shm_attributes shm;
	struct drawn_mark *mark;

	if (!buffer || wlr_addon_find(&buffer->addons, output, &drawn_mark_impl))
		return false;
	mark = calloc(1, sizeof(*mark));
	if (!mark)
		return false; /* asked again next time: still cleared then */
	wlr_addon_init(&mark->addon, &buffer->addons, output, &drawn_mark_impl);
	return wlr_buffer_get_shm(buffer, &shm) && shm.format == DRM_FORMAT_XRGB8888;
}

bool cl_render_drew_into(struct wlr_output *output, struct wlr_buffer *buffer)
{
	return buffer && wlr_addon_find(&buffer->addons, output, &drawn_mark_impl);
}

/* As the scene does while it renders: every surface shown on OUTPUT was sampled. */
static void mark_sampled(struct wlr_presentation *presentation, struct wlr_scene_node *node,
                         struct wlr_output *output)
{
	struct wlr_scene_node *child;

	if (!node->state.enabled)
		return;
	if (node->type == WLR_SCENE_NODE_SURFACE) {
		struct wlr_scene_surface *scene_surface = wlr_scene_surface_from_node(node);

		if (scene_surface->primary_output == output)
			wlr_presentation_surface_sampled_on_output(presentation,
			                                           scene_surface->surface, output);
	}
	wl_list_for_each (child, &node->state.children, state.link)
		mark_sampled(presentation, child, output);
}

static bool render_frame(struct cl_output *cl_output, struct wlr_scene_output *scene_output,
                         struct render_list *list)
{
	struct wlr_output *output = scene_output->output;
	struct wlr_renderer *renderer = output->renderer;
	pixman_region32_t damage, covered, background;
	pixman_box32_t *rects;
	bool needs_frame = false;
	int n;

	pixman_region32_init(&damage);
	if (!wlr_output_damage_attach_render(scene_output->damage, &needs_frame, &damage)) {
		pixman_region32_fini(&damage);
		return false;
	}
	if (!needs_frame) {
		pixman_region32_fini(&damage);
		wlr_output_rollback(output);
		return true;
	}

	/* Top to bottom: what of each node is damaged and not hidden. */
	pixman_region32_init(&covered);
	for (size_t i = list->len; i-- > 0;) {
		struct render_item *item = &list->items[i];

		pixman_region32_init_rect(&item->visible, item->box.x, item->box.y,
		                          (unsigned)item->box.width, (unsigned)item->box.height);
		pixman_region32_intersect(&item->visible, &item->visible, &damage);
		pixman_region32_subtract(&item->visible, &item->visible, &covered);
		add_opaque(item, renderer, &covered);
	}
	pixman_region32_init(&background);
	pixman_region32_subtract(&background, &damage, &covered);

	/*
	 * The swapchain may hand back the buffer of the last frame (it is only
	 * referenced, see struct cl_output): from now on it no longer holds
	 * that frame, until the commit makes it the last frame again.
	 */
	if (output->back_buffer == cl_output->last_frame)
		cl_output_forget_last_frame(cl_output);

	wlr_renderer_begin(renderer, output->width, output->height);
	if (!buffer_is_new_black(output, output->back_buffer)) {
		rects = pixman_region32_rectangles(&background, &n);
		for (int i = 0; i < n; i++) {
			scissor(renderer, &rects[i]);
			wlr_renderer_clear(renderer, (float[4]){0.0f, 0.0f, 0.0f, 1.0f});
		}
	}
	for (size_t i = 0; i < list->len; i++) {
		if (pixman_region32_not_empty(&list->items[i].visible))
			render_item(output, &list->items[i]);
		pixman_region32_fini(&list->items[i].visible);
	}
	wlr_renderer_scissor(renderer, NULL);
	if (scene_output->scene->presentation)
		mark_sampled(scene_output->scene->presentation, &scene_output->scene->node, output);
	wlr_output_render_software_cursors(output, &damage);
	wlr_renderer_end(renderer);

	pixman_region32_fini(&background);
	pixman_region32_fini(&covered);
	pixman_region32_fini(&damage);

	/* Normal transform (checked by the caller): the damage needs no transforming. */
	wlr_output_set_damage(output, &scene_output->damage->current);
	return wlr_output_commit(output);
}

bool cl_render_output(struct cl_output *output, struct wlr_scene_output *scene_output)
{
	struct wlr_output *wlr_output = scene_output->output;
	struct wlr_box output_box = {0};
	struct render_list list = {0};
	bool ok;

	if (wlr_output->scale != 1.0f || wlr_output->transform != WL_OUTPUT_TRANSFORM_NORMAL)
		goto scene;
	output_box.width = wlr_output->width;
	output_box.height = wlr_output->height;
	if (!collect(&list, &scene_output->scene->node, -scene_output->x, -scene_output->y,
	             &output_box)) {
		free(list.items);
		cl_warn("output %s: out of memory while rendering", wlr_output->name);
		goto scene;
	}
	if (list.on_output == 1 && list.covering) {
		/* The scene may show that node without compositing. */
		free(list.items);
		goto scene;
	}
	if (output->scene_scanout) {
		/* The last frames were not rendered: nothing in our buffers is current. */
		wlr_output_damage_add_whole(scene_output->damage);
		output->scene_scanout = false;
	}
	ok = render_frame(output, scene_output, &list);
	free(list.items);
	return ok;

scene:
	ok = wlr_scene_output_commit(scene_output);
	if (!ok && output->last_frame && !output->last_frame_locked)
		cl_output_forget_last_frame(output); /* it may have drawn into it */
	output->scene_scanout = scene_output->prev_scanout;
	return ok;
}
