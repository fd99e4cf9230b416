/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Outputs: mode, scene rendering, the last committed frame (for
 * screenshots), and the bar strip reserved at the top of every output.  The
 * strip is painted by the compositor itself (focused level's colour and
 * label) until the trusted bar gives us its surface; it lives in layer_core,
 * above every cage surface.
 */
#include "cloison-build-config.h"

#include <drm_fourcc.h>
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <wlr/backend/headless.h>

#include "log.h"
#include "server.h"
#include "util.h"

/* Left margin of the fallback strip's label. */
#define STRIP_LABEL_MARGIN 8

static const struct wlr_surface_role bar_surface_role = {
        .name = "zcloison_shell_v1 bar",
};

static void level_colour(const ClLevel *level, float colour[4])
{
	if (!level) {
		colour[0] = colour[1] = colour[2] = 0.2f;
	} else {
		for (int i = 0; i < 3; i++)
			colour[i] = level->rgb[i] / 255.0f;
	}
	colour[3] = 1.0f;
}

/* Black or white, whichever reads better on BG. */
static void contrast_colour(const uint8_t bg[3], uint8_t fg[3])
{
	unsigned luma = (299u * bg[0] + 587u * bg[1] + 114u * bg[2]) / 1000u;
	uint8_t v = luma > 140 ? 0 : 255;

	fg[0] = fg[1] = fg[2] = v;
}

/* The bar as a toplevel is shown: mapped, and fits in the strip. */
static bool bar_view_shown(struct cl_server *server)
{
	return server->bar_view && server->bar_view->mapped && !server->bar_view->bar_too_large;
}

static struct cl_output *output_holding_bar(struct cl_server *server)
{
	struct cl_output *output;

	if (!server->bar_surface && !bar_view_shown(server))
		return NULL;
	/* The bar sits on the first output. */
	wl_list_for_each (output, &server->outputs, link)
		return output;
	return NULL;
}

static void output_update_strip(struct cl_output *output)
{
	struct cl_server *server = output->server;
	const ClLevel *level = cl_server_focused_level(server);
	struct wlr_box *box;
	uint8_t fg[3];
	float colour[4];
	int width, height;
	bool fallback = output_holding_bar(server) != output;

	box = wlr_output_layout_get_box(server->output_layout, output->wlr_output);
	if (!box)
		return; /* not in the layout (yet) */
	wlr_output_effective_resolution(output->wlr_output, &width, &height);

	level_colour(level, colour);
	if (!output->strip) {
		output->strip = wlr_scene_rect_create(&server->layer_core->node, width,
		                                      CL_BAR_HEIGHT, colour);
		if (!output->strip) {
			cl_error("output %s: cannot create the bar strip",
			         output->wlr_output->name);
			return;
		}
	}
	wlr_scene_rect_set_size(output->strip, width, CL_BAR_HEIGHT);
	wlr_scene_rect_set_color(output->strip, colour);
	wlr_scene_node_set_position(&output->strip->node, box->x, box->y);
	wlr_scene_node_set_enabled(&output->strip->node, fallback);

	if (output->strip_label && output->strip_level == level && output->strip_width == width) {
		/* Same text: only follow the output and the fallback state. */
		wlr_scene_node_set_position(&output->strip_label->node, box->x + STRIP_LABEL_MARGIN,
		                            box->y);
		wlr_scene_node_set_enabled(&output->strip_label->node, fallback);
		return;
	}
	if (output->strip_label) {
		wlr_scene_node_destroy(&output->strip_label->node);
		output->strip_label = NULL;
	}
	output->strip_level = level;
	output->strip_width = width;
	if (level) {
		struct wlr_buffer *buffer;
		int label_width = 0;

		contrast_colour(level->rgb, fg);
		buffer = cl_text_buffer_create(level->label, CL_BAR_HEIGHT, fg, level->rgb,
		                               &label_width);
		if (buffer) {
			output->strip_label =
			        wlr_scene_buffer_create(&server->layer_core->node, buffer);
			wlr_buffer_drop(buffer); /* the scene node holds its own lock */
		}
		if (output->strip_label) {
			/* Never wider than the strip. */
			if (label_width > width - STRIP_LABEL_MARGIN) {
				struct wlr_fbox src = {0, 0, width - STRIP_LABEL_MARGIN,
				                       CL_BAR_HEIGHT};

				if (src.width > 0) {
					wlr_scene_buffer_set_source_box(output->strip_label, &src);
					wlr_scene_buffer_set_dest_size(
					        output->strip_label, (int)src.width, CL_BAR_HEIGHT);
				} else {
					wlr_scene_node_set_enabled(&output->strip_label->node,
					                           false);
				}
			}
			wlr_scene_node_set_position(&output->strip_label->node,
			                            box->x + STRIP_LABEL_MARGIN, box->y);
			if (!fallback)
				wlr_scene_node_set_enabled(&output->strip_label->node, false);
		}
	}
}

/*
 * Stacking inside layer_core, bottom to top: the bar's surface, the fallback
 * strips, their labels, then the core's own windows (dialogs, and below them
 * the notifications), which must never end up below a strip.
 */
static void restack_core(struct cl_server *server)
{
	struct cl_output *output;

	wl_list_for_each (output, &server->outputs, link) {
		if (output->strip_label)
			wlr_scene_node_lower_to_bottom(&output->strip_label->node);
	}
	wl_list_for_each (output, &server->outputs, link) {
		if (output->strip)
			wlr_scene_node_lower_to_bottom(&output->strip->node);
	}
	if (server->bar_node)
		wlr_scene_node_lower_to_bottom(server->bar_node);
	if (server->bar_view && server->bar_view->tree)
		wlr_scene_node_lower_to_bottom(&server->bar_view->tree->node);
	/* Dialogs below the bar and the strips: nothing of theirs covers them. */
	if (server->layer_dialogs)
		wlr_scene_node_lower_to_bottom(&server->layer_dialogs->node);
	/* Notifications below the dialogs: a dialog is never covered by one. */
	if (server->layer_notifications)
		wlr_scene_node_lower_to_bottom(&server->layer_notifications->node);
}

void cl_outputs_update_strip(struct cl_server *server)
{
	struct cl_output *output, *holder;

	if (server->bar_view) {
		/* The bar toplevel follows the first output's strip (it may hide). */
		wl_list_for_each (output, &server->outputs, link) {
			struct wlr_box strip;

			if (cl_output_strip_box(output, &strip))
				cl_view_place_bar(server, &strip);
			break;
		}
	}
	holder = output_holding_bar(server);
	wl_list_for_each (output, &server->outputs, link)
		output_update_strip(output);
	if (server->bar_node && holder) {
		struct wlr_box *box =
		        wlr_output_layout_get_box(server->output_layout, holder->wlr_output);

		if (box)
			wlr_scene_node_set_position(server->bar_node, box->x, box->y);
	}
	restack_core(server);
}

static void handle_bar_surface_destroy(struct wl_listener *listener, void *data)
{
	struct cl_server *server = wl_container_of(listener, server, bar_surface_destroy);

	/* Its scene subtree destroys itself with the surface. */
	wl_list_remove(&server->bar_surface_destroy.link);
	wl_list_init(&server->bar_surface_destroy.link);
	server->bar_surface = NULL;
	server->bar_node = NULL;
	cl_info("the bar's surface is gone; painting the strip ourselves");
	cl_outputs_update_strip(server);
}

void cl_outputs_set_bar_surface(struct cl_server *server, struct wlr_surface *surface)
{
	if (surface == server->bar_surface)
		return;
	if (server->bar_node) {
		wlr_scene_node_destroy(server->bar_node);
		server->bar_node = NULL;
	}
	wl_list_remove(&server->bar_surface_destroy.link);
	wl_list_init(&server->bar_surface_destroy.link);
	server->bar_surface = NULL;

	if (surface) {
		if (surface->role != &bar_surface_role &&
		    !wlr_surface_set_role(surface, &bar_surface_role, server, NULL, 0)) {
			cl_warn("the bar's surface already has another role");
			cl_outputs_update_strip(server);
			return;
		}
		server->bar_node =
		        wlr_scene_subsurface_tree_create(&server->layer_core->node, surface);
		if (!server->bar_node) {
			cl_error("cannot place the bar's surface");
		} else {
			server->bar_surface = surface;
			server->bar_surface_destroy.notify = handle_bar_surface_destroy;
			wl_signal_add(&surface->events.destroy, &server->bar_surface_destroy);
		}
	}
	cl_outputs_update_strip(server);
}

/* Whether SURFACE can take the bar role (no other role yet). */
bool cl_output_surface_can_be_bar(struct wlr_surface *surface)
{
	return !surface->role || surface->role == &bar_surface_role;
}

static void handle_frame(struct wl_listener *listener, void *data)
{
	struct cl_output *output = wl_container_of(listener, output, frame);
	struct wlr_scene_output *scene_output =
	        wlr_scene_get_scene_output(output->server->scene, output->wlr_output);
	struct timespec now;

	if (!scene_output)
		return;
	cl_render_output(output, scene_output);
	clock_gettime(CLOCK_MONOTONIC, &now);
	wlr_scene_output_send_frame_done(scene_output, &now);
}

void cl_output_forget_last_frame(struct cl_output *output)
{
	if (!output->last_frame)
		return;
	if (output->last_frame_locked)
		wlr_buffer_unlock(output->last_frame);
	else
		wl_list_remove(&output->last_frame_destroy.link);
	output->last_frame = NULL;
	output->last_frame_locked = false;
}

static void handle_last_frame_destroy(struct wl_listener *listener, void *data)
{
	struct cl_output *output = wl_container_of(listener, output, last_frame_destroy);

	cl_output_forget_last_frame(output);
}

static void handle_commit(struct wl_listener *listener, void *data)
{
	struct cl_output *output = wl_container_of(listener, output, commit);
	struct wlr_output_event_commit *event = data;

	if (!event->buffer)
		return;
	if (output->frames++ == 0) {
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		output->first_frame_usec =
		        (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
	}
	cl_output_forget_last_frame(output);
	output->last_frame = event->buffer;
	if (cl_render_drew_into(output->wlr_output, event->buffer)) {
		/* Ours: drawn into again only after cl_render_output forgets it. */
		output->last_frame_destroy.notify = handle_last_frame_destroy;
		wl_signal_add(&event->buffer->events.destroy, &output->last_frame_destroy);
	} else {
		output->last_frame_locked = true;
		wlr_buffer_lock(event->buffer);
	}
}

static void output_free(struct cl_output *output)
{
	wl_list_remove(&output->frame.link);
	wl_list_remove(&output->commit.link);
	wl_list_remove(&output->destroy.link);
	wl_list_remove(&output->link);
	cl_output_forget_last_frame(output);
	if (output->strip_label)
		wlr_scene_node_destroy(&output->strip_label->node);
	if (output->strip)
		wlr_scene_node_destroy(&output->strip->node);
	free(output);
}

static void handle_output_destroy(struct wl_listener *listener, void *data)
{
	struct cl_output *output = wl_container_of(listener, output, destroy);
	struct cl_server *server = output->server;

	cl_info("output %s removed", output->wlr_output->name);
	output_free(output);
	cl_outputs_update_strip(server);
}

static void handle_layout_change(struct wl_listener *listener, void *data)
{
	struct cl_server *server = wl_container_of(listener, server, layout_change);

	cl_outputs_update_strip(server);
	/* Outputs came, went or moved: every window back onto one, off its strip. */
	cl_views_relayout(server);
}

void cl_output_create(struct cl_server *server, struct wlr_output *wlr_output)
{
	struct wlr_output_mode *mode;
	struct cl_output *output;

	if (!wlr_output_init_render(wlr_output, server->allocator, server->renderer)) {
		cl_error("output %s: cannot initialise rendering", wlr_output->name);
		return;
	}
	mode = wlr_output_preferred_mode(wlr_output);
	if (mode)
		wlr_output_set_mode(wlr_output, mode);
	wlr_output_enable(wlr_output, true);
	if (!wlr_output_commit(wlr_output)) {
		cl_error("output %s: cannot enable it", wlr_output->name);
		return;
	}

	output = calloc(1, sizeof(*output));
	if (!output) {
		cl_error("output %s: out of memory", wlr_output->name);
		return;
	}
	output->server = server;
	output->wlr_output = wlr_output;
	output->frame.notify = handle_frame;
	wl_signal_add(&wlr_output->events.frame, &output->frame);
	output->commit.notify = handle_commit;
	wl_signal_add(&wlr_output->events.commit, &output->commit);
	output->destroy.notify = handle_output_destroy;
	wl_signal_add(&wlr_output->events.destroy, &output->destroy);
	wl_list_insert(server->outputs.prev, &output->link);

	if (wl_list_empty(&server->layout_change.link)) {
		server->layout_change.notify = handle_layout_change;
		wl_signal_add(&server->output_layout->events.change, &server->layout_change);
	}
	/* The scene follows the layout (wlr_scene_attach_output_layout). */
	wlr_output_layout_add_auto(server->output_layout, wlr_output);
	cl_outputs_update_strip(server);
	cl_info("output %s: %dx%d", wlr_output->name, wlr_output->width, wlr_output->height);
}

void cl_outputs_destroy(struct cl_server *server)
{
	struct cl_output *output, *tmp;

	wl_list_for_each_safe (output, tmp, &server->outputs, link)
		output_free(output);
	wl_list_remove(&server->layout_change.link);
	wl_list_init(&server->layout_change.link);
}

/* No output yet: a plausible area, so that placement code never divides by 0. */
static void default_work_area(struct wlr_box *box)
{
	*box = (struct wlr_box){0, CL_BAR_HEIGHT, 1280, 720 - CL_BAR_HEIGHT};
}

void cl_server_work_area(struct cl_server *server, struct wlr_box *box)
{
	struct wlr_box *layout = wlr_output_layout_get_box(server->output_layout, NULL);

	if (!layout || layout->width <= 0 || layout->height <= CL_BAR_HEIGHT) {
		default_work_area(box);
		return;
	}
	*box = (struct wlr_box){
	        .x = layout->x,
	        .y = layout->y + CL_BAR_HEIGHT,
	        .width = layout->width,
	        .height = layout->height - CL_BAR_HEIGHT,
	};
}

bool cl_output_strip_box(struct cl_output *output, struct wlr_box *box)
{
	struct wlr_box *ob =
	        wlr_output_layout_get_box(output->server->output_layout, output->wlr_output);

	if (!ob || ob->width <= 0 || ob->height <= 0)
		return false;
	*box = (struct wlr_box){ob->x, ob->y, ob->width, CL_BAR_HEIGHT};
	return true;
}

void cl_output_work_area(struct cl_output *output, struct wlr_box *box)
{
	struct wlr_box *ob =
	        wlr_output_layout_get_box(output->server->output_layout, output->wlr_output);

	if (!ob || ob->width <= 0 || ob->height <= CL_BAR_HEIGHT) {
		cl_server_work_area(output->server, box);
		return;
	}
	*box = (struct wlr_box){
	        .x = ob->x,
	        .y = ob->y + CL_BAR_HEIGHT,
	        .width = ob->width,
	        .height = ob->height - CL_BAR_HEIGHT,
	};
}

void cl_server_work_area_at(struct cl_server *server, double lx, double ly, struct wlr_box *box)
{
	struct wlr_output *wlr_output;
	struct cl_output *output;
	double cx = lx, cy = ly;

	if (!isfinite(lx) || !isfinite(ly)) {
		cl_server_work_area(server, box);
		return;
	}
	wlr_output = wlr_output_layout_output_at(server->output_layout, lx, ly);
	if (!wlr_output) {
		/* Outside every output: the closest one. */
		wlr_output_layout_closest_point(server->output_layout, NULL, lx, ly, &cx, &cy);
		wlr_output = wlr_output_layout_output_at(server->output_layout, cx, cy);
	}
	wl_list_for_each (output, &server->outputs, link) {
		if (output->wlr_output == wlr_output) {
			cl_output_work_area(output, box);
			return;
		}
	}
	cl_server_work_area(server, box);
}

/* Test-only outputs (headless, --test-input): see ctl.c. */
int cl_output_test_add(struct cl_server *server, int width, int height)
{
	if (!server->test_input || !server->headless || !wlr_backend_is_headless(server->headless))
		return -EPERM;
	if (width < 64 || height < 64 || width > 8192 || height > 8192)
		return -EINVAL;
	if (wl_list_length(&server->outputs) >= CL_TEST_MAX_OUTPUTS)
		return -ENOSPC;
	/* The backend announces it: server.c creates the cl_output. */
	if (!wlr_headless_add_output(server->headless, (unsigned)width, (unsigned)height))
		return -EIO;
	return 0;
}

int cl_output_test_remove(struct cl_server *server, const char *name)
{
	struct cl_output *output;

	if (!server->test_input || !server->headless)
		return -EPERM;
	if (!name)
		return -EINVAL;
	wl_list_for_each (output, &server->outputs, link) {
		if (strcmp(output->wlr_output->name, name) == 0) {
			if (wl_list_length(&server->outputs) < 2)
				return -EBUSY; /* never the last one */
			wlr_output_destroy(output->wlr_output);
			return 0;
		}
	}
	return -ENOENT;
}

/* ------------------------------------------------------------------ */
/* Screenshots */

static int read_frame(struct cl_server *server, struct wlr_buffer *buffer, uint8_t **ret_rgb)
{
	static const uint32_t formats[] = {DRM_FORMAT_XRGB8888, DRM_FORMAT_ARGB8888,
	                                   DRM_FORMAT_XBGR8888, DRM_FORMAT_ABGR8888};
	uint32_t width = (uint32_t)buffer->width, height = (uint32_t)buffer->height;
	uint32_t stride = width * 4, flags = 0, fmt = 0;
	uint8_t *pixels, *rgb;
	bool ok = false;

	if (width == 0 || height == 0 || width > 16384 || height > 16384)
		return -EINVAL;
	pixels = malloc((size_t)stride * height);
	rgb = malloc((size_t)width * 3 * height);
	if (!pixels || !rgb) {
		free(pixels);
		free(rgb);
		return -ENOMEM;
	}
	if (server->renderer->rendering) {
		free(pixels);
		free(rgb);
		return -EBUSY;
	}
	if (!wlr_renderer_begin_with_buffer(server->renderer, buffer)) {
		free(pixels);
		free(rgb);
		return -EIO;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(formats) && !ok; i++) {
		fmt = formats[i];
		flags = 0;
		ok = wlr_renderer_read_pixels(server->renderer, fmt, &flags, stride, width, height,
		                              0, 0, 0, 0, pixels);
	}
	wlr_renderer_end(server->renderer);
	if (!ok) {
		free(pixels);
		free(rgb);
		return -EIO;
	}

	for (uint32_t y = 0; y < height; y++) {
		uint32_t src_y = (flags & WLR_RENDERER_READ_PIXELS_Y_INVERT) ? height - 1 - y : y;
		const uint8_t *src = pixels + (size_t)src_y * stride;
		uint8_t *dst = rgb + (size_t)y * width * 3;

		for (uint32_t x = 0; x < width; x++, src += 4, dst += 3) {
			/* Little-endian: XRGB8888 is B, G, R, X in memory; XBGR8888 R, G, B, X. */
			bool bgr = fmt == DRM_FORMAT_XRGB8888 || fmt == DRM_FORMAT_ARGB8888;

			dst[0] = bgr ? src[2] : src[0];
			dst[1] = src[1];
			dst[2] = bgr ? src[0] : src[2];
		}
	}
	free(pixels);
	*ret_rgb = rgb;
	return 0;
}

static int write_png_atomic(const char *path, const uint8_t *rgb, int width, int height)
{
	g_autofree char *tmp = g_strdup_printf("%s.XXXXXX", path);
	png_image image = {.version = PNG_IMAGE_VERSION};
	FILE *f;
	int fd, r = 0;

	fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "wb");
	if (!f) {
		r = -errno;
		close(fd);
		unlink(tmp);
		return r;
	}
	image.width = (png_uint_32)width;
	image.height = (png_uint_32)height;
	image.format = PNG_FORMAT_RGB;
	if (!png_image_write_to_stdio(&image, f, 0, rgb, width * 3, NULL)) {
		cl_warn("screenshot: libpng: %s", image.message);
		r = -EIO;
	}
	png_image_free(&image);
	if (fflush(f) != 0 && r == 0)
		r = -errno;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

int cl_output_screenshot(struct cl_server *server, const char *path, const char *output_name)
{
	struct cl_output *output = NULL, *o;
	struct wlr_buffer *buffer;
	uint8_t *rgb = NULL;
	int r;

	if (!path || !*path)
		return -EINVAL;
	wl_list_for_each (o, &server->outputs, link) {
		if (!output_name || strcmp(o->wlr_output->name, output_name) == 0) {
			output = o;
			break;
		}
	}
	if (!output)
		return output_name ? -ENOENT : -ENODEV;
	if (!output->last_frame)
		return -EAGAIN; /* nothing rendered yet */
	/* Keep it alive while we read, whatever happens to the output. */
	buffer = wlr_buffer_lock(output->last_frame);
	r = read_frame(server, buffer, &rgb);
	if (r == 0)
		r = write_png_atomic(path, rgb, buffer->width, buffer->height);
	wlr_buffer_unlock(buffer);
	free(rgb);
	if (r < 0)
		cl_log_errno(LOG_WARNING, -r, "screenshot to %s failed", path);
	return r;
}
