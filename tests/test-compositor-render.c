/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cl_render_output (compositor/render.c), which skips what is hidden, must
 * put exactly the pixels on screen that wlroots' own scene renderer does:
 * a headless output (pixman) shows a scene of overlapping opaque and
 * translucent rectangles and buffers, nested trees, a disabled node and
 * nodes partly off the output; each frame rendered by cl_render_output
 * (first the whole output, then only the damage of the changes since the
 * frame before; the first frames go into new buffers, left uncleared, the
 * later ones into reused buffers) is compared, pixel for pixel, with the
 * same scene rendered whole by wlr_scene_output_commit.
 */
#include "cloison-build-config.h"

#include <drm_fourcc.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <wlr/backend/headless.h>
#include <wlr/render/allocator.h>
#include <wlr/render/pixman.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_output_damage.h>
#include <wlr/util/log.h>

#include "server.h"

#define WIDTH  320
#define HEIGHT 240

/* ---- A plain memory buffer ---- */

struct mem_buffer {
	struct wlr_buffer base;
	uint32_t format;
	uint32_t *data;
};

static void mem_buffer_destroy(struct wlr_buffer *buffer)
{
	struct mem_buffer *mb = wl_container_of(buffer, mb, base);

	free(mb->data);
	free(mb);
}

static bool mem_buffer_begin(struct wlr_buffer *buffer, uint32_t flags, void **data,
                             uint32_t *format, size_t *stride)
{
	struct mem_buffer *mb = wl_container_of(buffer, mb, base);

	*data = mb->data;
	*format = mb->format;
	*stride = (size_t)buffer->width * 4;
	return true;
}

static void mem_buffer_end(struct wlr_buffer *buffer)
{
}

static const struct wlr_buffer_impl mem_buffer_impl = {
        .destroy = mem_buffer_destroy,
        .begin_data_ptr_access = mem_buffer_begin,
        .end_data_ptr_access = mem_buffer_end,
};

/* W x H in FORMAT, a gradient of premultiplied PIXEL-based colours. */
static struct wlr_buffer *mem_buffer_create(int w, int h, uint32_t format, uint32_t pixel)
{
	struct mem_buffer *mb = g_new0(struct mem_buffer, 1);

	mb->format = format;
	mb->data = g_new(uint32_t, (size_t)w * h);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			mb->data[y * w + x] = pixel ^ (uint32_t)((x * 7) & 0x3f) ^
			                      (uint32_t)(((y * 5) & 0x3f) << 8);
	wlr_buffer_init(&mb->base, &mem_buffer_impl, w, h);
	return &mb->base;
}

/* ---- The output ---- */

struct fixture {
	struct wl_display *display;
	struct wlr_backend *backend;
	struct wlr_renderer *renderer;
	struct wlr_allocator *allocator;
	struct wlr_output *output;
	struct wlr_scene *scene;
	struct wlr_scene_output *scene_output;
	struct cl_output cl_output;
	struct wlr_buffer *committed;
	struct wl_listener commit;
};

static void handle_commit(struct wl_listener *listener, void *data)
{
	struct fixture *f = wl_container_of(listener, f, commit);
	struct wlr_output_event_commit *event = data;

	if (!event->buffer)
		return;
	if (f->committed)
		wlr_buffer_unlock(f->committed);
	f->committed = wlr_buffer_lock(event->buffer);
}

static void fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->display = wl_display_create();
	g_assert_nonnull(f->display);
	f->backend = wlr_headless_backend_create(f->display);
	g_assert_nonnull(f->backend);
	f->renderer = wlr_pixman_renderer_create();
	g_assert_nonnull(f->renderer);
	f->allocator = wlr_allocator_autocreate(f->backend, f->renderer);
	g_assert_nonnull(f->allocator);
	f->output = wlr_headless_add_output(f->backend, WIDTH, HEIGHT);
	g_assert_nonnull(f->output);
	g_assert_true(wlr_backend_start(f->backend));
	g_assert_true(wlr_output_init_render(f->output, f->allocator, f->renderer));
	wlr_output_enable(f->output, true);
	g_assert_true(wlr_output_commit(f->output));
	f->commit.notify = handle_commit;
	wl_signal_add(&f->output->events.commit, &f->commit);
	f->scene = wlr_scene_create();
	g_assert_nonnull(f->scene);
	f->scene_output = wlr_scene_output_create(f->scene, f->output);
	g_assert_nonnull(f->scene_output);
	f->cl_output.wlr_output = f->output;
}

static void fixture_fini(struct fixture *f)
{
	wl_list_remove(&f->commit.link);
	if (f->committed)
		wlr_buffer_unlock(f->committed);
	wlr_scene_node_destroy(&f->scene->node);
	wlr_backend_destroy(f->backend);
	wlr_allocator_destroy(f->allocator);
	wlr_renderer_destroy(f->renderer);
	wl_display_destroy(f->display);
}

/* Like a compositor, commit only once the output is ready for a new frame. */
static void wait_frame(struct fixture *f)
{
	struct wl_event_loop *loop = wl_display_get_event_loop(f->display);

	for (int i = 0; i < 100 && f->output->frame_pending; i++)
		wl_event_loop_dispatch(loop, 50);
	g_assert_false(f->output->frame_pending);
}

/* The last committed frame's pixels (XRGB8888, WIDTH x HEIGHT). */
static uint32_t *read_frame(struct fixture *f)
{
	uint32_t *pixels = g_new(uint32_t, WIDTH * HEIGHT);
	uint32_t flags = 0;

	g_assert_nonnull(f->committed);
	g_assert_true(wlr_renderer_begin_with_buffer(f->renderer, f->committed));
	g_assert_true(wlr_renderer_read_pixels(f->renderer, DRM_FORMAT_XRGB8888, &flags, WIDTH * 4,
	                                       WIDTH, HEIGHT, 0, 0, 0, 0, pixels));
	wlr_renderer_end(f->renderer);
	for (int i = 0; i < WIDTH * HEIGHT; i++)
		pixels[i] &= 0xffffff;
	return pixels;
}

static const float opaque_red[4] = {0.8f, 0.1f, 0.1f, 1.0f};
static const float opaque_green[4] = {0.1f, 0.7f, 0.2f, 1.0f};
/* Premultiplied, as wlroots expects. */
static const float half_blue[4] = {0.0f, 0.0f, 0.5f, 0.5f};

struct nodes {
	struct wlr_scene_rect *back, *front, *glass, *hidden;
	struct wlr_scene_buffer *xrgb, *argb;
};

static void build(struct fixture *f, struct nodes *n)
{
	struct wlr_scene_tree *tree, *inner;
	struct wlr_buffer *buffer;

	n->back = wlr_scene_rect_create(&f->scene->node, 200, 150, opaque_red);
	wlr_scene_node_set_position(&n->back->node, 10, 10);
	tree = wlr_scene_tree_create(&f->scene->node);
	wlr_scene_node_set_position(&tree->node, 40, 30);
	buffer = mem_buffer_create(120, 90, DRM_FORMAT_XRGB8888, 0x00336699);
	n->xrgb = wlr_scene_buffer_create(&tree->node, buffer);
	wlr_buffer_drop(buffer);
	/* ARGB, alpha 0x80, premultiplied colour channels below it. */
	buffer = mem_buffer_create(100, 80, DRM_FORMAT_ARGB8888, 0x80402010);
	n->argb = wlr_scene_buffer_create(&tree->node, buffer);
	wlr_buffer_drop(buffer);
	wlr_scene_node_set_position(&n->argb->node, 60, 50);
	inner = wlr_scene_tree_create(&tree->node);
	wlr_scene_node_set_position(&inner->node, -60, 100);
	n->front = wlr_scene_rect_create(&inner->node, 150, 200, opaque_green);
	n->glass = wlr_scene_rect_create(&f->scene->node, 100, 100, half_blue);
	wlr_scene_node_set_position(&n->glass->node, 250, 180); /* partly off the output */
	n->hidden = wlr_scene_rect_create(&f->scene->node, 50, 50, opaque_green);
	wlr_scene_node_set_enabled(&n->hidden->node, false);
	g_assert_true(n->back && n->front && n->glass && n->hidden && n->xrgb && n->argb);
}

/* Step I of the changes between frames (partial damage); false after the last. */
static bool change(struct nodes *n, int i)
{
	switch (i) {
	case 0:
		wlr_scene_node_set_position(&n->argb->node, 20, 10);
		return true;
	case 1:
		wlr_scene_rect_set_color(n->back, half_blue);
		return true;
	case 2:
		wlr_scene_node_raise_to_top(&n->back->node);
		return true;
	case 3:
		wlr_scene_node_set_enabled(&n->hidden->node, true);
		wlr_scene_node_set_position(&n->front->node, 170, -90);
		return true;
	case 4:
		wlr_scene_node_lower_to_bottom(&n->back->node);
		wlr_scene_rect_set_color(n->back, opaque_red);
		wlr_scene_node_set_position(&n->xrgb->node, 150, 120);
		return true;
	case 5:
		wlr_scene_node_destroy(&n->glass->node);
		n->glass = NULL;
		return true;
	default:
		return false;
	}
}

/* OURS rendered by cl_render_output, REF whole by the scene: same pixels? */
static void compare(struct fixture *ours, struct fixture *ref, int step)
{
	g_autofree uint32_t *a = NULL, *b = NULL;
	int differ = 0, first = -1;

	wait_frame(ours);
	g_assert_true(cl_render_output(&ours->cl_output, ours->scene_output));
	a = read_frame(ours);
	wlr_output_damage_add_whole(ref->scene_output->damage);
	wait_frame(ref);
	g_assert_true(wlr_scene_output_commit(ref->scene_output));
	b = read_frame(ref);
	for (int i = 0; i < WIDTH * HEIGHT; i++) {
		if (a[i] != b[i]) {
			if (first < 0)
				first = i;
			differ++;
		}
	}
	if (differ)
		g_test_message("frame %d: %d pixels differ, first at %d,%d: %06x instead of "
		               "%06x",
		               step, differ, first % WIDTH, first / WIDTH, a[first], b[first]);
	g_assert_cmpint(differ, ==, 0);
}

static void test_same_pixels(void)
{
	struct fixture ours, ref;
	struct nodes n_ours, n_ref;
	int step = 0;

	fixture_init(&ours);
	fixture_init(&ref);
	build(&ours, &n_ours);
	build(&ref, &n_ref);
	compare(&ours, &ref, step);
	while (change(&n_ours, step) && change(&n_ref, step))
		compare(&ours, &ref, ++step);
	g_assert_cmpint(step, ==, 6);
	fixture_fini(&ours);
	fixture_fini(&ref);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	wlr_log_init(WLR_ERROR, NULL);
	g_test_add_func("/compositor/render/same-pixels", test_same_pixels);
	return g_test_run();
}
