/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Views: xdg toplevels and popups.
 *
 * A cage toplevel becomes a struct cl_view: a scene tree in layer_views
 * holding the surface and, above it, the frame (frame.c) in its level's
 * colour, so that nothing the client draws can cover its own frame.  The
 * frame's outer top-left corner is (view->x, view->y); the content (the
 * client's window geometry) sits inside the insets (cl_view_get_insets).
 * Windows of the trusted core client get no frame and live in layer_core.
 *
 * Bounds: a client may have CL_MAX_TOPLEVELS_PER_CLIENT toplevels and
 * CL_MAX_POPUPS_PER_CLIENT popups; one more is a protocol error that
 * disconnects that client only.  Surfaces larger than CL_MAX_SURFACE_SIZE are
 * protocol errors too.
 *
 * Placement: every frame stays inside the work area (below the bar strip):
 * new windows are cascaded inside it, maximised windows fill it, fullscreen
 * windows fill it with only a border left (a cage window never looks
 * frameless), moves are clamped to it.  Popups are unconstrained to it and
 * hidden while larger than it.
 *
 * Focus (see docs/compositor.md): it changes only through cl_view_focus()
 * (a click, the core's ctl or bar request) or cl_view_focus_clear() (secure
 * attention key).  A new window takes the focus only when nothing is focused
 * or the focused window belongs to the same client; otherwise it is stacked
 * just below the focused window, so it can neither take keystrokes nor slip
 * above the window the user is working in.  When the focused window is
 * unmapped or destroyed the focus goes to nothing (the strip then shows the
 * lowest level) rather than to another window the user did not choose.
 */
#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "log.h"
#include "server.h"

#define CASCADE_STEP  32
#define CASCADE_STEPS 8
/* Pixels a surface may draw around its window geometry (client shadows). */
#define SHADOW_MARGIN_MAX 64
/* Border in the level colour around cage popups. */
#define POPUP_BORDER 2

struct cl_popup {
	struct cl_server *server;
	struct wl_client *wl_client;
	struct cl_client *client; /* NULL once the client is being destroyed */
	struct wlr_xdg_surface *xdg_surface;
	struct wlr_scene_tree *tree;   /* ours, holds node; NULL once the parent is gone */
	struct wlr_scene_node *node;   /* wlr_scene_xdg_surface_create */
	struct wlr_scene_rect *border; /* level colour around a cage popup */
	struct wl_listener tree_destroy;
	struct wl_listener commit;
	struct wl_listener destroy;
	struct wl_listener client_destroy;
};

/* ---- Title sanitising (pure) ---- */

/* Decodes one UTF-8 character at s (n bytes left); 0 bytes used = invalid. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len, i;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond U+10FFFF. */
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static size_t utf8_encode(uint32_t c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	} else if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	} else if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

#define REPLACEMENT 0xfffdu
#define ELLIPSIS    0x2026u
/* Combining marks kept after one base character (no "zalgo" towers). */
#define MAX_MARKS 3

/* What to do with one character: keep it, replace it with U+FFFD or drop it. */
enum action { KEEP, REPLACE, DROP };

static enum action classify(uint32_t c)
{
	/* Bidi embeddings, overrides, isolates and marks: visible replacement. */
	if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0x200e ||
	    c == 0x200f || c == 0x061c)
		return REPLACE;
	switch (g_unichar_type(c)) {
	case G_UNICODE_CONTROL:
	case G_UNICODE_LINE_SEPARATOR:
	case G_UNICODE_PARAGRAPH_SEPARATOR:
	case G_UNICODE_SURROGATE:
		return REPLACE;
	case G_UNICODE_FORMAT:
		/* Zero-width characters, soft hyphen, tags: invisible, dropped. */
		return DROP;
	default:
		break;
	}
	if (c == 0xfffe || c == 0xffff || (c >= 0xfdd0 && c <= 0xfdef))
		return REPLACE;
	return KEEP;
}

char *cl_sanitize_title(const char *title, size_t max_chars)
{
	const unsigned char *s = (const unsigned char *)(title ? title : "");
	size_t n = strlen((const char *)s);
	uint32_t *cps;
	size_t ncp = 0, i, pos = 0, marks = 0;
	bool truncated = false;
	char *out, *p;

	if (max_chars == 0 || n == 0)
		return strdup("");
	if (max_chars > 1u << 20)
		max_chars = 1u << 20;
	/* At most max_chars + 1 characters are collected (to detect truncation). */
	cps = calloc(max_chars + 1, sizeof(*cps));
	if (!cps)
		return NULL;
	while (pos < n) {
		uint32_t c;
		size_t len = utf8_decode(s + pos, n - pos, &c);
		enum action a;

		if (len == 0) {
			/* One U+FFFD per invalid byte run start; skip one byte. */
			c = REPLACEMENT;
			len = 1;
			while (pos + len < n && (s[pos + len] & 0xc0) == 0x80)
				len++;
		}
		pos += len;
		a = classify(c);
		if (a == DROP)
			continue;
		if (a == REPLACE)
			c = REPLACEMENT;
		if (g_unichar_ismark(c)) {
			if (++marks > MAX_MARKS)
				continue;
		} else {
			marks = 0;
		}
		if (ncp == max_chars) {
			truncated = true;
			break;
		}
		cps[ncp++] = c;
	}
	if (truncated)
		cps[max_chars - 1] = ELLIPSIS;
	out = malloc(ncp * 4 + 1);
	if (!out) {
		free(cps);
		return NULL;
	}
	p = out;
	for (i = 0; i < ncp; i++)
		p += utf8_encode(cps[i], p);
	*p = '\0';
	free(cps);
	return out;
}

/* ---- Geometry helpers ---- */

static struct wlr_xdg_surface *view_xdg(const struct cl_view *view)
{
	return view->xdg_surface;
}

void cl_view_get_insets(const struct cl_view *view, int *left, int *top, int *right, int *bottom)
{
	int b = 0, t = 0;

	if (view && (view->role == CL_ROLE_DIALOG || view->role == CL_ROLE_NOTIFICATION)) {
		b = CL_CORE_FRAME_BORDER;
		t = CL_CORE_FRAME_TITLEBAR;
	} else if (view && !view->trusted) {
		b = CL_FRAME_BORDER;
		t = view->fullscreen ? CL_FRAME_BORDER : CL_FRAME_BORDER + CL_FRAME_TITLEBAR;
	}
	if (left)
		*left = b;
	if (top)
		*top = t;
	if (right)
		*right = b;
	if (bottom)
		*bottom = b;
}

/* Outer frame size for the current content. */
static void view_outer_size(const struct cl_view *view, int *w, int *h);

/*
 * The work area of the output holding the centre of a frame at (x, y) of
 * VIEW's current size (or the output closest to it): a window lives on one
 * output and keeps off that output's strip, so off every strip.
 */
static void work_area_for(const struct cl_view *view, int x, int y, struct wlr_box *box)
{
	int w, h;

	view_outer_size(view, &w, &h);
	cl_server_work_area_at(view->server, x + w / 2.0, y + h / 2.0, box);
}

/* The work area of the output VIEW is on. */
static void view_work_area(const struct cl_view *view, struct wlr_box *box)
{
	work_area_for(view, view->x, view->y, box);
}

static void view_outer_size(const struct cl_view *view, int *w, int *h)
{
	int l, t, r, b;

	cl_view_get_insets(view, &l, &t, &r, &b);
	*w = view->content.width + l + r;
	*h = view->content.height + t + b;
}

static int clamp_int(int v, int lo, int hi)
{
	if (hi < lo)
		hi = lo;
	return v < lo ? lo : v > hi ? hi : v;
}

/* Positions the tree and the surface node from view->x/y and view->content. */
static void view_apply_position(struct cl_view *view)
{
	struct wlr_box geo = {0};
	int l, t;

	if (!view->tree)
		return;
	cl_view_get_insets(view, &l, &t, NULL, NULL);
	wlr_scene_node_set_position(&view->tree->node, view->x, view->y);
	if (view->surface_node && view_xdg(view)) {
		/* The xdg node's origin is the window geometry's top-left corner. */
		wlr_xdg_surface_get_geometry(view_xdg(view), &geo);
		wlr_scene_node_set_position(view->surface_node, l + geo.x - view->content.x,
		                            t + geo.y - view->content.y);
		if (view->popups)
			wlr_scene_node_set_position(&view->popups->node,
			                            l + geo.x - view->content.x,
			                            t + geo.y - view->content.y);
	}
}

void cl_view_move(struct cl_view *view, int x, int y)
{
	struct wlr_box wa;
	int w, h;

	if (!view)
		return;
	work_area_for(view, x, y, &wa);
	view_outer_size(view, &w, &h);
	view->x = clamp_int(x, wa.x, wa.x + wa.width - w);
	view->y = clamp_int(y, wa.y, wa.y + wa.height - h);
	view_apply_position(view);
}

void cl_view_resize(struct cl_view *view, int width, int height)
{
	struct wlr_box wa;
	int l, t, r, b;

	if (!view || !view_xdg(view) || view_xdg(view)->role != WLR_XDG_SURFACE_ROLE_TOPLEVEL)
		return;
	view_work_area(view, &wa);
	cl_view_get_insets(view, &l, &t, &r, &b);
	width = clamp_int(width, 1, wa.width - l - r);
	height = clamp_int(height, 1, wa.height - t - b);
	wlr_xdg_toplevel_set_size(view_xdg(view), (uint32_t)width, (uint32_t)height);
}

static void view_update_frame(struct cl_view *view)
{
	if (view->frame)
		cl_frame_update(view->frame, view->content.width, view->content.height,
		                view->server->focused == view);
}

/*
 * The part of the surface the frame surrounds: the window geometry, unless
 * the surface draws far outside it (more than a shadow's width), in which
 * case the frame surrounds the whole surface.
 */
static void view_compute_content(struct cl_view *view, struct wlr_box *content)
{
	struct wlr_xdg_surface *xdg = view_xdg(view);
	struct wlr_box geo = {0}, ext = {0};

	wlr_xdg_surface_get_geometry(xdg, &geo);
	wlr_surface_get_extends(xdg->surface, &ext);
	if (geo.width <= 0 || geo.height <= 0)
		geo = ext;
	if (!view->trusted &&
	    (geo.x - ext.x > SHADOW_MARGIN_MAX || geo.y - ext.y > SHADOW_MARGIN_MAX ||
	     (ext.x + ext.width) - (geo.x + geo.width) > SHADOW_MARGIN_MAX ||
	     (ext.y + ext.height) - (geo.y + geo.height) > SHADOW_MARGIN_MAX))
		geo = ext;
	*content = geo;
}

/* ---- Focus ---- */

static void core_focus_changed(struct cl_server *server, struct cl_view *prev,
                               struct cl_view *view);
static void core_view_mapped(struct cl_view *view);
static void core_view_commit(struct cl_view *view);
static void core_view_gone(struct cl_view *view, bool was_focused);

static struct wlr_surface *view_surface(struct cl_view *view)
{
	return view_xdg(view) ? view_xdg(view)->surface : NULL;
}

static void set_activated(struct cl_view *view, bool activated)
{
	struct wlr_xdg_surface *xdg = view_xdg(view);

	if (xdg && xdg->role == WLR_XDG_SURFACE_ROLE_TOPLEVEL && xdg->toplevel)
		wlr_xdg_toplevel_set_activated(xdg, activated);
}

static void raise_view(struct cl_view *view)
{
	struct cl_server *server = view->server;

	/* The bar keeps its place in layer_core (output.c restacks it). */
	if (view->tree && view->role != CL_ROLE_BAR)
		wlr_scene_node_raise_to_top(&view->tree->node);
	wl_list_remove(&view->link);
	wl_list_insert(&server->views, &view->link);
}

static void focus_set(struct cl_server *server, struct cl_view *view)
{
	struct wlr_seat *seat = server->seat;
	struct cl_view *prev = server->focused;
	struct wlr_keyboard *kb;
	struct wlr_surface *surface;

	if (view && (!view->mapped || !view_surface(view) || view->role == CL_ROLE_CORE_NONE))
		return;
	if (view)
		raise_view(view);
	if (prev == view) {
		if (view && seat->keyboard_state.focused_surface == view_surface(view))
			return;
	}
	/* A client's popup grab never outlives a focus change. */
	if (seat->keyboard_state.grab != seat->keyboard_state.default_grab)
		wlr_seat_keyboard_end_grab(seat);
	if (seat->pointer_state.grab != seat->pointer_state.default_grab)
		wlr_seat_pointer_end_grab(seat);

	if (prev && prev != view) {
		server->focused = NULL;
		set_activated(prev, false);
		view_update_frame(prev);
	}
	/* Leave first, so the old client never sees the new level's selections. */
	wlr_seat_keyboard_notify_clear_focus(seat);
	server->focused = view;
	cl_selection_focus_changed(server);
	if (view) {
		set_activated(view, true);
		view_update_frame(view);
		surface = view_surface(view);
		kb = wlr_seat_get_keyboard(seat);
		if (kb)
			wlr_seat_keyboard_notify_enter(seat, surface, kb->keycodes,
			                               kb->num_keycodes, &kb->modifiers);
		else
			wlr_seat_keyboard_notify_enter(seat, surface, NULL, 0, NULL);
	}
	if (prev != view) {
		core_focus_changed(server, prev, view);
		cl_shell_focus_changed(server);
		cl_outputs_update_strip(server);
	}
	/* Pointer input follows: only the focused window may receive it. */
	cl_input_update_pointer_focus(server);
}

void cl_view_focus(struct cl_view *view)
{
	if (view)
		focus_set(view->server, view);
}

void cl_view_focus_clear(struct cl_server *server)
{
	focus_set(server, NULL);
}

/* ---- Toplevel handlers ---- */

static void view_place_initial(struct cl_view *view)
{
	struct wlr_box wa;
	int k = (int)(view->id % CASCADE_STEPS);
	struct wlr_cursor *cursor = view->server->cursor;

	/* On the output under the pointer (the one the user works on). */
	if (cursor)
		cl_server_work_area_at(view->server, cursor->x, cursor->y, &wa);
	else
		cl_server_work_area(view->server, &wa);
	cl_view_move(view, wa.x + CASCADE_STEP * (k + 1), wa.y + CASCADE_STEP * k);
}

static void view_set_maximized(struct cl_view *view, bool on);
static void view_set_fullscreen(struct cl_view *view, bool on);
static void fill_work_area(struct cl_view *view);

static bool same_client(struct cl_view *a, struct cl_view *b)
{
	return a && b && a->xdg_surface && b->xdg_surface &&
	       wl_resource_get_client(a->xdg_surface->resource) ==
	               wl_resource_get_client(b->xdg_surface->resource);
}

static void handle_map(struct wl_listener *listener, void *data)
{
	struct cl_view *view = wl_container_of(listener, view, map);
	struct cl_server *server = view->server;
	struct wlr_xdg_surface *xdg = view_xdg(view);
	struct cl_view *focused = server->focused;

	if (!xdg || !view->tree)
		return;
	view->mapped = true;
	view_compute_content(view, &view->content);
	if (view->trusted) {
		core_view_mapped(view);
		return;
	}
	if (view->maximized || view->fullscreen) {
		/* On the output under the pointer, like any new window, filling it. */
		view_place_initial(view);
		fill_work_area(view);
	} else {
		struct wlr_box wa;
		int l, t, r, b;

		view_place_initial(view);
		/* Larger than the work area: ask for a size that fits. */
		view_work_area(view, &wa);
		cl_view_get_insets(view, &l, &t, &r, &b);
		if (view->content.width > wa.width - l - r ||
		    view->content.height > wa.height - t - b)
			cl_view_resize(view, view->content.width, view->content.height);
	}
	wlr_scene_node_set_enabled(&view->tree->node, true);
	view_update_frame(view);
	view_apply_position(view);

	if (!view->maximized && !view->fullscreen && xdg->toplevel) {
		if (xdg->toplevel->requested.fullscreen)
			view_set_fullscreen(view, true);
		else if (xdg->toplevel->requested.maximized)
			view_set_maximized(view, true);
	}

	if (!focused || same_client(focused, view)) {
		focus_set(server, view);
	} else {
		/* Never above the window the user works in, never focused. */
		wl_list_remove(&view->link);
		wl_list_insert(&focused->link, &view->link);
		if (focused->tree && focused->tree->node.parent == view->tree->node.parent)
			wlr_scene_node_place_below(&view->tree->node, &focused->tree->node);
		else
			wlr_scene_node_raise_to_top(&view->tree->node);
	}
	cl_shell_window_changed(server, view);
	cl_input_update_pointer_focus(server);
}

static void handle_unmap(struct wl_listener *listener, void *data)
{
	struct cl_view *view = wl_container_of(listener, view, unmap);
	struct cl_server *server = view->server;

	view->mapped = false;
	if (view->tree)
		wlr_scene_node_set_enabled(&view->tree->node, false);
	cl_input_view_gone(view);
	if (view->trusted) {
		core_view_gone(view, server->focused == view);
		return;
	}
	if (server->focused == view)
		focus_set(server, NULL);
	cl_shell_window_changed(server, view);
	cl_input_update_pointer_focus(server);
}

static void handle_commit(struct wl_listener *listener, void *data)
{
	struct cl_view *view = wl_container_of(listener, view, commit);
	struct wlr_xdg_surface *xdg = view_xdg(view);
	struct wlr_box content;
	int w = 0, h = 0;

	if (!xdg || !xdg->surface)
		return;
	w = xdg->surface->current.width;
	h = xdg->surface->current.height;
	if (w > CL_MAX_SURFACE_SIZE || h > CL_MAX_SURFACE_SIZE) {
		if (view->client)
			cl_notify_limit(view->server, view->client, view->cage,
			                _("a window larger than %d pixels"), CL_MAX_SURFACE_SIZE);
		wl_client_post_implementation_error(wl_resource_get_client(xdg->resource),
		                                    "surface larger than %d pixels",
		                                    CL_MAX_SURFACE_SIZE);
		return;
	}
	if (!view->mapped)
		return;
	if (view->trusted) {
		core_view_commit(view);
		return;
	}
	view_compute_content(view, &content);
	if (content.x != view->content.x || content.y != view->content.y ||
	    content.width != view->content.width || content.height != view->content.height) {
		view->content = content;
		view_update_frame(view);
		/* Keep the frame inside the work area (the size may have grown). */
		cl_view_move(view, view->x, view->y);
	} else {
		view_apply_position(view);
	}
}

/*
 * Title and app_id changes are applied (frame redrawn, bar told) once per
 * loop iteration, however many a client sends.
 */
static void view_changed_idle(void *data)
{
	struct cl_view *view = data;

	view->changed_idle = NULL;
	view_update_frame(view);
	if (view->mapped)
		cl_shell_window_changed(view->server, view);
}

static void view_schedule_changed(struct cl_view *view)
{
	if (view->changed_idle || !view->server->loop)
		return;
	view->changed_idle = wl_event_loop_add_idle(view->server->loop, view_changed_idle, view);
	if (!view->changed_idle)
		view_changed_idle(view);
}

static void handle_set_title(struct wl_listener *listener, void *data)
{
	struct cl_view *view = wl_container_of(listener, view, set_title);
	struct wlr_xdg_surface *xdg = view_xdg(view);
	char *title;

	if (!xdg || !xdg->toplevel)
		return;
	title = cl_sanitize_title(xdg->toplevel->title, CL_TITLE_MAX_CHARS);
	if (!title)
		return;
	if (view->title && strcmp(view->title, title) == 0) {
		free(title);
		return;
	}
	free(view->title);
	view->title = title;
	view_schedule_changed(view);
}

static void handle_set_app_id(struct wl_listener *listener, void *data)
{
	struct cl_view *view = wl_container_of(listener, view, set_app_id);
	struct wlr_xdg_surface *xdg = view_xdg(view);
	char *app_id;

	if (!xdg || !xdg->toplevel)
		return;
	app_id = cl_sanitize_title(xdg->toplevel->app_id, CL_TITLE_MAX_CHARS);
	if (!app_id)
		return;
	if (view->app_id && strcmp(view->app_id, app_id) == 0) {
		free(app_id);
		return;
	}
	free(view->app_id);
	view->app_id = app_id;
	view_schedule_changed(view);
}

static void save_restore(struct cl_view *view)
{
	if (view->maximized || view->fullscreen)
		return;
	view->restore.x = view->x;
	view->restore.y = view->y;
	view->restore.width = view->content.width;
	view->restore.height = view->content.height;
}

static void leave_state(struct cl_view *view)
{
	struct wlr_xdg_surface *xdg = view_xdg(view);

	view->maximized = false;
	view->fullscreen = false;
	wlr_xdg_toplevel_set_maximized(xdg, false);
	wlr_xdg_toplevel_set_fullscreen(xdg, false);
	if (view->restore.width > 0 && view->restore.height > 0)
		cl_view_resize(view, view->restore.width, view->restore.height);
	else
		wlr_xdg_toplevel_set_size(xdg, 0, 0);
	view_update_frame(view);
	cl_view_move(view, view->restore.x, view->restore.y);
}

/* Fill the work area with the frame; the content gets the rest. */
static void fill_work_area(struct cl_view *view)
{
	struct wlr_box wa;
	int l, t, r, b;

	view_work_area(view, &wa);
	cl_view_get_insets(view, &l, &t, &r, &b);
	view->x = wa.x;
	view->y = wa.y;
	wlr_xdg_toplevel_set_size(view_xdg(view),
	                          (uint32_t)clamp_int(wa.width - l - r, 1, wa.width),
	                          (uint32_t)clamp_int(wa.height - t - b, 1, wa.height));
	view_update_frame(view);
	view_apply_position(view);
}

/*
 * Enter (on) or leave the maximised or fullscreen state.  Both fill the
 * work area below the strip; fullscreen keeps a border in the level colour.
 */
static void view_set_state(struct cl_view *view, bool fullscreen, bool on)
{
	struct wlr_xdg_surface *xdg = view_xdg(view);

	if (!xdg || xdg->role != WLR_XDG_SURFACE_ROLE_TOPLEVEL || !xdg->toplevel)
		return;
	if (on) {
		save_restore(view);
		view->maximized = !fullscreen;
		view->fullscreen = fullscreen;
		wlr_xdg_toplevel_set_maximized(xdg, !fullscreen);
		wlr_xdg_toplevel_set_fullscreen(xdg, fullscreen);
		fill_work_area(view);
	} else if (fullscreen ? view->fullscreen : view->maximized) {
		leave_state(view);
	}
}

static void view_set_maximized(struct cl_view *view, bool on)
{
	view_set_state(view, false, on);
}

static void view_set_fullscreen(struct cl_view *view, bool on)
{
	view_set_state(view, true, on);
}

/*
 * A maximise or fullscreen request.  Before the first map it is answered in
 * the first configure (the protocol still wants a configure now).
 */
static void handle_state_request(struct cl_view *view, bool fullscreen)
{
	struct wlr_xdg_surface *xdg = view_xdg(view);

	if (!xdg || !xdg->toplevel)
		return;
	if (view->mapped && !view->trusted) {
		if (fullscreen)
			view_set_fullscreen(view, xdg->toplevel->requested.fullscreen);
		else
			view_set_maximized(view, xdg->toplevel->requested.maximized);
	} else if (!xdg->added) {
		return;
	}
	wlr_xdg_surface_schedule_configure(xdg);
}

static void handle_request_maximize(struct wl_listener *listener, void *data)
{
	struct cl_view *view = wl_container_of(listener, view, request_maximize);

	handle_state_request(view, false);
}

static void handle_request_fullscreen(struct wl_listener *listener, void *data)
{
	struct cl_view *view = wl_container_of(listener, view, request_fullscreen);

	handle_state_request(view, true);
}

static void handle_request_move(struct wl_listener *listener, void *data)
{
	struct cl_view *view = wl_container_of(listener, view, request_move);
	struct wlr_xdg_toplevel_move_event *ev = data;
	struct cl_server *server = view->server;

	/* Only the focused window, on a button press the user just made; core views stay put. */
	if (!view->mapped || server->focused != view || view->maximized || view->fullscreen ||
	    view->trusted || !ev ||
	    !wlr_seat_validate_pointer_grab_serial(server->seat, view_surface(view), ev->serial))
		return;
	cl_input_begin_grab(view, false, 0);
}

static void handle_request_resize(struct wl_listener *listener, void *data)
{
	struct cl_view *view = wl_container_of(listener, view, request_resize);
	struct wlr_xdg_toplevel_resize_event *ev = data;
	struct cl_server *server = view->server;

	if (!view->mapped || server->focused != view || view->maximized || view->fullscreen ||
	    view->trusted || !ev ||
	    !wlr_seat_validate_pointer_grab_serial(server->seat, view_surface(view), ev->serial))
		return;
	cl_input_begin_grab(view, true, ev->edges);
}

static void handle_view_client_destroy(struct wl_listener *listener, void *data)
{
	struct cl_view *view = wl_container_of(listener, view, client_destroy);

	/* clients.c frees the cl_client before the client's resources go. */
	view->client = NULL;
	wl_list_remove(&view->client_destroy.link);
	wl_list_init(&view->client_destroy.link);
}

static void handle_destroy(struct wl_listener *listener, void *data)
{
	struct cl_view *view = wl_container_of(listener, view, destroy);
	struct cl_server *server = view->server;
	uint32_t id = view->id;
	bool was_focused = server->focused == view;

	cl_input_view_gone(view);
	if (view->trusted) {
		view->mapped = false;
		/* Nothing may configure this toplevel any more. */
		if (server->bar_view == view)
			server->bar_view = NULL;
		core_view_gone(view, was_focused);
		if (server->focused == view)
			server->focused = NULL;
	} else if (was_focused) {
		view->mapped = false;
		focus_set(server, NULL);
		if (server->focused == view)
			server->focused = NULL;
	}
	if (view->client && view->client->n_toplevels > 0)
		view->client->n_toplevels--;

	wl_list_remove(&view->map.link);
	wl_list_remove(&view->unmap.link);
	wl_list_remove(&view->destroy.link);
	wl_list_remove(&view->commit.link);
	wl_list_remove(&view->set_title.link);
	wl_list_remove(&view->set_app_id.link);
	wl_list_remove(&view->request_maximize.link);
	wl_list_remove(&view->request_fullscreen.link);
	wl_list_remove(&view->request_move.link);
	wl_list_remove(&view->request_resize.link);
	wl_list_remove(&view->client_destroy.link);
	wl_list_remove(&view->link);

	if (view->changed_idle)
		wl_event_source_remove(view->changed_idle);
	if (view->xdg_surface)
		view->xdg_surface->data = NULL;
	if (view->frame)
		cl_frame_destroy(view->frame);
	cl_core_frame_destroy(view->core_frame);
	if (view->tree)
		wlr_scene_node_destroy(&view->tree->node);
	free(view->title);
	free(view->app_id);
	free(view);

	cl_shell_window_closed(server, id);
	cl_input_update_pointer_focus(server);
}

static void create_toplevel(struct cl_server *server, struct wlr_xdg_surface *xdg,
                            struct cl_client *client)
{
	struct cl_view *view;
	struct wlr_scene_tree *layer;
	struct wl_client *wl_client = wl_resource_get_client(xdg->resource);

	if (client->n_toplevels >= CL_MAX_TOPLEVELS_PER_CLIENT) {
		cl_warn("client of cage %s: more than %d toplevels, disconnecting it",
		        client->cage ? client->cage->id : "(core)", CL_MAX_TOPLEVELS_PER_CLIENT);
		cl_notify_limit(server, client, client->cage, _("more than %d windows"),
		                CL_MAX_TOPLEVELS_PER_CLIENT);
		wl_client_post_implementation_error(wl_client, "too many toplevels (limit %d)",
		                                    CL_MAX_TOPLEVELS_PER_CLIENT);
		return;
	}
	view = calloc(1, sizeof(*view));
	if (!view) {
		wl_client_post_no_memory(wl_client);
		return;
	}
	view->server = server;
	view->id = server->next_view_id++;
	if (view->id == 0)
		view->id = server->next_view_id++;
	view->client = client;
	view->cage = client->cage;
	view->trusted = client->trusted || !client->cage;
	view->role = view->trusted ? CL_ROLE_CORE_NONE : CL_ROLE_WINDOW;
	view->xdg_surface = xdg;
	view->title = strdup("");
	view->app_id = strdup("");
	if (!view->title || !view->app_id)
		goto fail;

	layer = view->trusted ? server->layer_core : server->layer_views;
	view->tree = wlr_scene_tree_create(&layer->node);
	if (!view->tree)
		goto fail;
	view->surface_node = wlr_scene_xdg_surface_create(&view->tree->node, xdg);
	if (!view->surface_node)
		goto fail;
	view->surface_node->data = view;
	view->tree->node.data = view;
	if (!view->trusted) {
		/* Created after the surface: drawn above it. */
		view->frame = cl_frame_create(view);
		if (!view->frame)
			goto fail;
	}
	/* Popups above the frame, so that a menu is never cut by a border. */
	view->popups = wlr_scene_tree_create(&view->tree->node);
	if (!view->popups)
		goto fail;
	wlr_scene_node_set_enabled(&view->tree->node, false);
	xdg->data = &view->popups->node;
	client->n_toplevels++;

	view->map.notify = handle_map;
	wl_signal_add(&xdg->events.map, &view->map);
	view->unmap.notify = handle_unmap;
	wl_signal_add(&xdg->events.unmap, &view->unmap);
	view->destroy.notify = handle_destroy;
	wl_signal_add(&xdg->events.destroy, &view->destroy);
	view->commit.notify = handle_commit;
	wl_signal_add(&xdg->surface->events.commit, &view->commit);
	view->set_title.notify = handle_set_title;
	wl_signal_add(&xdg->toplevel->events.set_title, &view->set_title);
	view->set_app_id.notify = handle_set_app_id;
	wl_signal_add(&xdg->toplevel->events.set_app_id, &view->set_app_id);
	view->request_maximize.notify = handle_request_maximize;
	wl_signal_add(&xdg->toplevel->events.request_maximize, &view->request_maximize);
	view->request_fullscreen.notify = handle_request_fullscreen;
	wl_signal_add(&xdg->toplevel->events.request_fullscreen, &view->request_fullscreen);
	view->request_move.notify = handle_request_move;
	wl_signal_add(&xdg->toplevel->events.request_move, &view->request_move);
	view->request_resize.notify = handle_request_resize;
	wl_signal_add(&xdg->toplevel->events.request_resize, &view->request_resize);
	view->client_destroy.notify = handle_view_client_destroy;
	wl_client_add_destroy_listener(wl_client, &view->client_destroy);
	wl_list_insert(server->views.prev, &view->link);

	/* Title and app_id may have been set before the first commit. */
	handle_set_title(&view->set_title, NULL);
	handle_set_app_id(&view->set_app_id, NULL);
	if (view->trusted) {
		/* set_bar or set_dialog may have come before the first commit. */
		enum cl_view_role role = cl_shell_take_pending_role(server, xdg->surface);

		if (role != CL_ROLE_CORE_NONE)
			cl_view_set_core_role(view, role);
		return;
	}
	/*
	 * So is the wish to start maximised or fullscreen: in the first
	 * configure, sized for the output under the pointer (where it maps).
	 */
	if (server->cursor) {
		struct wlr_box wa;

		cl_server_work_area_at(server, server->cursor->x, server->cursor->y, &wa);
		view->x = wa.x;
		view->y = wa.y;
	}
	if (xdg->toplevel->requested.fullscreen)
		view_set_fullscreen(view, true);
	else if (xdg->toplevel->requested.maximized)
		view_set_maximized(view, true);
	return;

fail:
	if (view->frame)
		cl_frame_destroy(view->frame);
	if (view->tree)
		wlr_scene_node_destroy(&view->tree->node);
	free(view->title);
	free(view->app_id);
	free(view);
	wl_client_post_no_memory(wl_client);
}

/* ---- Popups ---- */

/* The view whose toplevel is at the root of POPUP's parent chain. */
static struct cl_view *popup_root_view(struct cl_server *server, struct wlr_xdg_surface *xdg)
{
	int depth = 0;
	struct cl_view *view;

	while (xdg && xdg->role == WLR_XDG_SURFACE_ROLE_POPUP && xdg->popup && depth++ < 256) {
		struct wlr_surface *parent = xdg->popup->parent;

		if (!parent || !wlr_surface_is_xdg_surface(parent))
			return NULL;
		xdg = wlr_xdg_surface_from_wlr_surface(parent);
	}
	if (!xdg || xdg->role != WLR_XDG_SURFACE_ROLE_TOPLEVEL)
		return NULL;
	wl_list_for_each (view, &server->views, link) {
		if (view->xdg_surface == xdg)
			return view;
	}
	return NULL;
}

/* Shows the popup only while it fits in the work area (giant popups hidden). */
static void popup_check_size(struct cl_popup *popup)
{
	struct wlr_box wa, ext = {0};
	bool ok;

	struct cl_view *view;

	if (!popup->tree || !popup->xdg_surface->surface)
		return;
	view = popup_root_view(popup->server, popup->xdg_surface);
	if (view)
		view_work_area(view, &wa);
	else
		cl_server_work_area(popup->server, &wa);
	wlr_surface_get_extends(popup->xdg_surface->surface, &ext);
	ok = ext.width <= wa.width && ext.height <= wa.height;
	wlr_scene_node_set_enabled(&popup->tree->node, ok);
}

static void popup_unconstrain(struct cl_popup *popup, struct cl_view *view)
{
	struct wlr_xdg_popup *xp = popup->xdg_surface->popup;
	struct wlr_box wa, box, tgeo = {0};
	int lx = 0, ly = 0, tx = 0, ty = 0;

	if (!xp)
		return;
	/* The work area of the output its window is on. */
	if (view)
		view_work_area(view, &wa);
	else
		cl_server_work_area(popup->server, &wa);
	/*
	 * The box is in the root toplevel's surface coordinates: its window
	 * geometry origin (the xdg node) is at (lx, ly) in the layout.
	 */
	if (view && view->surface_node && view->xdg_surface) {
		wlr_scene_node_coords(view->surface_node, &lx, &ly);
		wlr_xdg_surface_get_geometry(view->xdg_surface, &tgeo);
	}
	box.x = wa.x - (lx - tgeo.x);
	box.y = wa.y - (ly - tgeo.y);
	box.width = wa.width;
	box.height = wa.height;
	wlr_xdg_popup_unconstrain_from_box(xp, &box);

	/* Whatever the positioner allowed: never larger than the work area… */
	xp->geometry.width = clamp_int(xp->geometry.width, 1, wa.width);
	xp->geometry.height = clamp_int(xp->geometry.height, 1, wa.height);
	/* …and never outside it: slide it in. */
	wlr_xdg_popup_get_toplevel_coords(xp, xp->geometry.x, xp->geometry.y, &tx, &ty);
	if (tx < box.x)
		xp->geometry.x += box.x - tx;
	else if (tx + xp->geometry.width > box.x + box.width)
		xp->geometry.x -= tx + xp->geometry.width - (box.x + box.width);
	if (ty < box.y)
		xp->geometry.y += box.y - ty;
	else if (ty + xp->geometry.height > box.y + box.height)
		xp->geometry.y -= ty + xp->geometry.height - (box.y + box.height);
}

/* A popup of a cage gets a thin border in its level's colour too. */
static void popup_update_border(struct cl_popup *popup)
{
	struct wlr_xdg_popup *xp = popup->xdg_surface->popup;
	struct wlr_box geo = {0};
	int b = POPUP_BORDER;

	if (!popup->border || !xp)
		return;
	wlr_xdg_surface_get_geometry(popup->xdg_surface, &geo);
	wlr_scene_node_set_position(&popup->border->node, xp->geometry.x - b, xp->geometry.y - b);
	wlr_scene_rect_set_size(popup->border, geo.width + 2 * b, geo.height + 2 * b);
}

static void popup_handle_commit(struct wl_listener *listener, void *data)
{
	struct cl_popup *popup = wl_container_of(listener, popup, commit);
	struct wlr_surface *s = popup->xdg_surface->surface;

	if (s &&
	    (s->current.width > CL_MAX_SURFACE_SIZE || s->current.height > CL_MAX_SURFACE_SIZE)) {
		if (popup->client)
			cl_notify_limit(popup->server, popup->client, popup->client->cage,
			                _("a popup larger than %d pixels"), CL_MAX_SURFACE_SIZE);
		wl_client_post_implementation_error(popup->wl_client, "popup larger than %d pixels",
		                                    CL_MAX_SURFACE_SIZE);
		return;
	}
	popup_check_size(popup);
	popup_update_border(popup);
}

static void popup_handle_tree_destroy(struct wl_listener *listener, void *data)
{
	struct cl_popup *popup = wl_container_of(listener, popup, tree_destroy);

	/* The parent went away first: the popup is no longer shown. */
	wl_list_remove(&popup->tree_destroy.link);
	wl_list_init(&popup->tree_destroy.link);
	popup->tree = NULL;
	popup->node = NULL;
	popup->border = NULL;
	popup->xdg_surface->data = NULL;
}

static void popup_handle_client_destroy(struct wl_listener *listener, void *data)
{
	struct cl_popup *popup = wl_container_of(listener, popup, client_destroy);

	popup->client = NULL;
	wl_list_remove(&popup->client_destroy.link);
	wl_list_init(&popup->client_destroy.link);
}

static void popup_handle_destroy(struct wl_listener *listener, void *data)
{
	struct cl_popup *popup = wl_container_of(listener, popup, destroy);

	if (popup->client && popup->client->n_popups > 0)
		popup->client->n_popups--;
	wl_list_remove(&popup->commit.link);
	wl_list_remove(&popup->destroy.link);
	wl_list_remove(&popup->client_destroy.link);
	wl_list_remove(&popup->tree_destroy.link);
	popup->xdg_surface->data = NULL;
	if (popup->tree)
		wlr_scene_node_destroy(&popup->tree->node);
	free(popup);
}

static void create_popup(struct cl_server *server, struct wlr_xdg_surface *xdg,
                         struct cl_client *client)
{
	struct wl_client *wl_client = wl_resource_get_client(xdg->resource);
	struct wlr_scene_node *parent_node = NULL;
	struct cl_popup *popup;

	if (client->n_popups >= CL_MAX_POPUPS_PER_CLIENT) {
		cl_warn("client of cage %s: more than %d popups, disconnecting it",
		        client->cage ? client->cage->id : "(core)", CL_MAX_POPUPS_PER_CLIENT);
		cl_notify_limit(client->server, client, client->cage, _("more than %d popups"),
		                CL_MAX_POPUPS_PER_CLIENT);
		wl_client_post_implementation_error(wl_client, "too many popups (limit %d)",
		                                    CL_MAX_POPUPS_PER_CLIENT);
		return;
	}
	popup = calloc(1, sizeof(*popup));
	if (!popup) {
		wl_client_post_no_memory(wl_client);
		return;
	}
	popup->server = server;
	popup->wl_client = wl_client;
	popup->client = client;
	popup->xdg_surface = xdg;
	client->n_popups++;

	popup->destroy.notify = popup_handle_destroy;
	wl_signal_add(&xdg->events.destroy, &popup->destroy);
	popup->commit.notify = popup_handle_commit;
	wl_signal_add(&xdg->surface->events.commit, &popup->commit);
	popup->client_destroy.notify = popup_handle_client_destroy;
	wl_client_add_destroy_listener(wl_client, &popup->client_destroy);
	wl_list_init(&popup->tree_destroy.link);

	if (xdg->popup && xdg->popup->parent && wlr_surface_is_xdg_surface(xdg->popup->parent)) {
		struct wlr_xdg_surface *parent =
		        wlr_xdg_surface_from_wlr_surface(xdg->popup->parent);

		if (parent)
			parent_node = parent->data;
	}
	if (!parent_node) {
		/* No shown parent (none, or a refused one): never displayed. */
		cl_debug("popup without a shown parent: not displayed");
		return;
	}
	popup->tree = wlr_scene_tree_create(parent_node);
	if (!popup->tree)
		return;
	if (!client->trusted && client->cage && client->cage->level) {
		float colour[4];

		for (int i = 0; i < 3; i++)
			colour[i] = client->cage->level->rgb[i] / 255.0f;
		colour[3] = 1.0f;
		/* Below the popup's surface, sticking out by POPUP_BORDER. */
		popup->border = wlr_scene_rect_create(&popup->tree->node, 1, 1, colour);
	}
	popup->node = wlr_scene_xdg_surface_create(&popup->tree->node, xdg);
	if (!popup->node) {
		wlr_scene_node_destroy(&popup->tree->node);
		popup->tree = NULL;
		return;
	}
	popup->tree_destroy.notify = popup_handle_tree_destroy;
	wl_signal_add(&popup->tree->node.events.destroy, &popup->tree_destroy);
	xdg->data = popup->node;
	popup_unconstrain(popup, popup_root_view(server, xdg));
	popup_check_size(popup);
	popup_update_border(popup);
}

void cl_view_create(struct cl_server *server, struct wlr_xdg_surface *xdg_surface)
{
	struct cl_client *client;

	if (!server || !xdg_surface || !xdg_surface->resource || !xdg_surface->surface)
		return;
	client = cl_client_from_wl_client(wl_resource_get_client(xdg_surface->resource));
	if (!client) {
		/* Every client is tagged at accept time: this one is not ours. */
		wl_client_post_implementation_error(wl_resource_get_client(xdg_surface->resource),
		                                    "untagged client");
		return;
	}
	switch (xdg_surface->role) {
	case WLR_XDG_SURFACE_ROLE_TOPLEVEL:
		if (xdg_surface->toplevel)
			create_toplevel(server, xdg_surface, client);
		break;
	case WLR_XDG_SURFACE_ROLE_POPUP:
		if (xdg_surface->popup)
			create_popup(server, xdg_surface, client);
		break;
	default:
		break;
	}
}

void cl_views_relayout(struct cl_server *server)
{
	struct cl_view *view;

	if (!server)
		return;
	wl_list_for_each (view, &server->views, link) {
		if (!view->mapped)
			continue;
		if (view->trusted)
			core_view_commit(
			        view); /* dialogs, notifications re-placed; output.c: the bar */
		else if (view->maximized || view->fullscreen)
			fill_work_area(view);
		else
			cl_view_move(view, view->x, view->y);
	}
	cl_input_update_pointer_focus(server);
}

/* ---- Queries ---- */

void cl_view_close(struct cl_view *view)
{
	struct wlr_xdg_surface *xdg = view ? view_xdg(view) : NULL;

	if (xdg && xdg->role == WLR_XDG_SURFACE_ROLE_TOPLEVEL && xdg->toplevel)
		wlr_xdg_toplevel_send_close(xdg);
}

struct cl_view *cl_view_from_id(struct cl_server *server, uint32_t id)
{
	struct cl_view *view;

	if (!server || id == 0)
		return NULL;
	wl_list_for_each (view, &server->views, link) {
		if (view->id == id)
			return view;
	}
	return NULL;
}

struct cl_view *cl_view_at(struct cl_server *server, double lx, double ly,
                           struct wlr_surface **surface, double *sx, double *sy)
{
	struct wlr_scene_node *node, *n;
	double nx = 0, ny = 0;

	if (surface)
		*surface = NULL;
	if (sx)
		*sx = 0;
	if (sy)
		*sy = 0;
	/*
	 * The core layer, then the windows: never a drag icon (drawn between
	 * them, under the pointer), so that a drag sees the window below it.
	 */
	node = wlr_scene_node_at(&server->layer_core->node, lx, ly, &nx, &ny);
	if (!node)
		node = wlr_scene_node_at(&server->layer_views->node, lx, ly, &nx, &ny);
	if (!node)
		return NULL;
	if (node->type == WLR_SCENE_NODE_SURFACE) {
		struct wlr_scene_surface *ss = wlr_scene_surface_from_node(node);

		if (ss && surface) {
			*surface = ss->surface;
			if (sx)
				*sx = nx;
			if (sy)
				*sy = ny;
		}
	}
	/* The view is the data of its tree (or of its xdg node). */
	for (n = node; n; n = n->parent) {
		if (n->data && n->type == WLR_SCENE_NODE_TREE) {
			struct cl_view *view;

			wl_list_for_each (view, &server->views, link) {
				if (n->data == view &&
				    (n == &view->tree->node || n == view->surface_node))
					return view;
			}
		}
	}
	return NULL;
}

/* ---- Core views: the bar, the trusted dialogs and the notifications ----
 *
 * Toplevels of the trusted client live in layer_core, unframed, and are not
 * shown at all until zcloison_shell_v1 makes them the bar, a dialog or a
 * notification toplevel:
 *
 * - The bar is configured to the first output's strip (its width x
 *   CL_BAR_HEIGHT) and placed there, below nothing; output.c hides the
 *   fallback strip of that output while it is mapped.  Should its surface
 *   reach out of the strip (a larger buffer, subsurfaces), it is hidden and
 *   the fallback strip shown until it fits again.  It never takes the focus
 *   when mapped: only a click on it or the secure attention key gives it
 *   the keyboard (bar_return_id remembers the view focused before).
 * - A dialog goes into layer_dialogs (above every cage window and popup,
 *   below the bar and the strips), centred in the first output's work area
 *   and clamped to it, its size bounded by it, surrounded by the core frame
 *   (coreframe.c).  It takes the keyboard focus when mapped (a core
 *   request); when the focused dialog goes away, the focus goes to another
 *   mapped dialog, else back to the cage window focused before the dialog
 *   took it (dialog_return_id), if that window still exists, else to none.
 * - A notification toplevel (the bar's popups) goes into
 *   layer_notifications (above every cage window and popup, below the
 *   dialogs), in the top-right corner of the first output's work area
 *   (CL_NOTIFICATION_MARGIN from it), its size bounded by it, in the core
 *   frame labelled "Cloison — notifications".  It never takes the focus
 *   when mapped: only a click on it gives it the keyboard, like the bar
 *   (bar_return_id remembers the view focused before a click on the bar or
 *   a notification moved the focus between them); release_focus, or the
 *   notification going away while focused, gives the focus back.
 *
 * xdg_toplevel's activated state follows the keyboard focus (focus_set).
 * Core views cannot be moved, resized, maximised or made fullscreen by
 * their client.
 */

struct cl_view *cl_view_from_surface(struct cl_server *server, struct wlr_surface *surface)
{
	struct cl_view *view;

	if (!server || !surface)
		return NULL;
	wl_list_for_each (view, &server->views, link) {
		if (view->xdg_surface && view->xdg_surface->surface == surface)
			return view;
	}
	return NULL;
}

const char *cl_view_role_name(const struct cl_view *view)
{
	switch (view ? view->role : CL_ROLE_CORE_NONE) {
	case CL_ROLE_WINDOW:
		return "window";
	case CL_ROLE_BAR:
		return "bar";
	case CL_ROLE_DIALOG:
		return "dialog";
	case CL_ROLE_NOTIFICATION:
		return "notification";
	default:
		return "none";
	}
}

/* The first output's work area (the dialogs' home), else the layout's. */
static void dialog_work_area(struct cl_server *server, struct wlr_box *box)
{
	struct cl_output *output;

	wl_list_for_each (output, &server->outputs, link) {
		cl_output_work_area(output, box);
		return;
	}
	cl_server_work_area(server, box);
}

/* Ask for a new size only when it differs from the last one asked. */
static void toplevel_ask_size(struct cl_view *view, int width, int height)
{
	struct wlr_xdg_surface *xdg = view_xdg(view);

	if (!xdg || !xdg->toplevel)
		return;
	if (xdg->toplevel->scheduled.width == (uint32_t)width &&
	    xdg->toplevel->scheduled.height == (uint32_t)height)
		return;
	wlr_xdg_toplevel_set_size(xdg, (uint32_t)width, (uint32_t)height);
}

/* Ask a core view inside the frame for a size that fits in WA. */
static void core_view_fit(struct cl_view *view, const struct wlr_box *wa, int margin)
{
	int l, t, r, b, max_w, max_h;

	cl_view_get_insets(view, &l, &t, &r, &b);
	max_w = wa->width - l - r - 2 * margin;
	max_h = wa->height - t - b - 2 * margin;
	if (max_w < 1)
		max_w = 1;
	if (max_h < 1)
		max_h = 1;
	if (view->content.width > max_w || view->content.height > max_h)
		toplevel_ask_size(view, view->content.width > max_w ? max_w : view->content.width,
		                  view->content.height > max_h ? max_h : view->content.height);
}

/*
 * A notification toplevel: its frame's top-right corner CL_NOTIFICATION_MARGIN
 * from the work area's, clamped to the area; its size bounded by it.
 */
static void notification_place(struct cl_view *view)
{
	struct wlr_box wa;
	int w, h, m = CL_NOTIFICATION_MARGIN;

	dialog_work_area(view->server, &wa);
	core_view_fit(view, &wa, m);
	view_outer_size(view, &w, &h);
	view->x = clamp_int(wa.x + wa.width - m - w, wa.x, wa.x + wa.width - w);
	view->y = clamp_int(wa.y + m, wa.y, wa.y + wa.height - h);
	view_apply_position(view);
	cl_core_frame_update(view->core_frame, view->content.width, view->content.height);
}

/* Centre a dialog in the work area, clamped to it; its size bounded by it. */
static void dialog_place(struct cl_view *view)
{
	struct wlr_box wa;
	int w, h;

	dialog_work_area(view->server, &wa);
	core_view_fit(view, &wa, 0);
	view_outer_size(view, &w, &h);
	/* Too large (until the client obeys): its top-left corner stays in the area. */
	view->x = clamp_int(wa.x + (wa.width - w) / 2, wa.x, wa.x + wa.width - w);
	view->y = clamp_int(wa.y + (wa.height - h) / 2, wa.y, wa.y + wa.height - h);
	view_apply_position(view);
	cl_core_frame_update(view->core_frame, view->content.width, view->content.height);
}

/*
 * Whether the bar's surface (with its subsurfaces and what it draws outside
 * its window geometry) stays inside STRIP when its geometry is at the
 * strip's corner.
 */
static bool bar_fits(struct cl_view *view, const struct wlr_box *strip)
{
	struct wlr_xdg_surface *xdg = view_xdg(view);
	struct wlr_box geo = {0}, ext = {0};

	if (!xdg || !xdg->surface)
		return false;
	wlr_xdg_surface_get_geometry(xdg, &geo);
	wlr_surface_get_extends(xdg->surface, &ext);
	return ext.x - geo.x >= 0 && ext.y - geo.y >= 0 &&
	       ext.x - geo.x + ext.width <= strip->width &&
	       ext.y - geo.y + ext.height <= strip->height;
}

void cl_view_place_bar(struct cl_server *server, const struct wlr_box *strip)
{
	struct cl_view *view = server ? server->bar_view : NULL;
	bool too_large;

	if (!view || !strip || !view->tree)
		return;
	toplevel_ask_size(view, strip->width, strip->height);
	view->x = strip->x;
	view->y = strip->y;
	view_apply_position(view);
	if (!view->mapped) {
		wlr_scene_node_set_enabled(&view->tree->node, false);
		return;
	}
	too_large = !bar_fits(view, strip);
	if (too_large != view->bar_too_large) {
		if (too_large)
			cl_warn("the bar's surface reaches out of the strip; painting the strip "
			        "ourselves until it fits");
		else
			cl_info("the bar's surface fits in the strip again");
		view->bar_too_large = too_large;
	}
	wlr_scene_node_set_enabled(&view->tree->node, !too_large);
}

static void core_view_mapped(struct cl_view *view)
{
	struct cl_server *server = view->server;

	switch (view->role) {
	case CL_ROLE_BAR:
		/* Shown by output.c; never focused on its own. */
		cl_outputs_update_strip(server);
		break;
	case CL_ROLE_DIALOG:
		dialog_place(view);
		wlr_scene_node_set_enabled(&view->tree->node, true);
		focus_set(server, view);
		break;
	case CL_ROLE_NOTIFICATION:
		/* Shown, never focused on its own: only a click gives it the keyboard. */
		notification_place(view);
		wlr_scene_node_set_enabled(&view->tree->node, true);
		break;
	default:
		/* Neither bar, dialog nor notification (yet): not shown. */
		break;
	}
	cl_input_update_pointer_focus(server);
}

static void core_view_commit(struct cl_view *view)
{
	struct wlr_box content;

	if (!view->mapped)
		return;
	view_compute_content(view, &content);
	view->content = content;
	if (view->role == CL_ROLE_BAR)
		cl_outputs_update_strip(view->server);
	else if (view->role == CL_ROLE_DIALOG)
		dialog_place(view);
	else if (view->role == CL_ROLE_NOTIFICATION)
		notification_place(view);
}

/* The dialog to focus when the focused one goes away: the front-most mapped one. */
static struct cl_view *next_dialog(struct cl_server *server, struct cl_view *except)
{
	struct cl_view *view;

	wl_list_for_each (view, &server->views, link) {
		if (view != except && view->role == CL_ROLE_DIALOG && view->mapped)
			return view;
	}
	return NULL;
}

/* VIEW, a core view, was unmapped or is being destroyed. */
static void core_view_gone(struct cl_view *view, bool was_focused)
{
	struct cl_server *server = view->server;

	if (view->role == CL_ROLE_BAR)
		cl_outputs_update_strip(server);
	if (was_focused) {
		struct cl_view *next = NULL;

		if (view->role == CL_ROLE_DIALOG) {
			next = next_dialog(server, view);
			if (!next)
				next = cl_view_from_id(server, server->dialog_return_id);
		} else if (view->role == CL_ROLE_BAR || view->role == CL_ROLE_NOTIFICATION) {
			next = cl_view_from_id(server, server->bar_return_id);
		}
		if (next == view || (next && !next->mapped))
			next = NULL;
		focus_set(server, next);
	}
	cl_input_update_pointer_focus(server);
}

/* Remember where the focus came from when a core view takes it. */
static void core_focus_changed(struct cl_server *server, struct cl_view *prev, struct cl_view *view)
{
	if (!view)
		return;
	if (view->role == CL_ROLE_BAR || view->role == CL_ROLE_NOTIFICATION) {
		/* From the bar to a notification or back: the view before both. */
		if (prev && (prev->role == CL_ROLE_BAR || prev->role == CL_ROLE_NOTIFICATION))
			return;
		server->bar_return_id = prev ? prev->id : 0;
	} else if (view->role == CL_ROLE_DIALOG && prev && prev->role == CL_ROLE_WINDOW)
		server->dialog_return_id = prev->id;
}

int cl_view_set_core_role(struct cl_view *view, enum cl_view_role role)
{
	struct cl_server *server;

	if (!view || !view->trusted || !view->tree || role == CL_ROLE_WINDOW)
		return -EINVAL;
	if (view->role == role)
		return 0;
	server = view->server;
	if (role == CL_ROLE_CORE_NONE) {
		/* Only the bar steps down (a role-less surface replaces it). */
		if (view->role != CL_ROLE_BAR)
			return -EINVAL;
		if (server->focused == view)
			focus_set(server, NULL);
		view->role = CL_ROLE_CORE_NONE;
		wlr_scene_node_set_enabled(&view->tree->node, false);
		if (server->bar_view == view)
			server->bar_view = NULL;
		cl_outputs_update_strip(server);
		return 0;
	}
	if (view->role != CL_ROLE_CORE_NONE)
		return -EINVAL;
	if (role == CL_ROLE_DIALOG || role == CL_ROLE_NOTIFICATION) {
		bool dialog = role == CL_ROLE_DIALOG;

		view->core_frame =
		        cl_core_frame_create(view->tree, dialog ? _("Cloison — trusted dialog")
		                                                : _("Cloison — notifications"));
		if (!view->core_frame)
			return -ENOMEM;
		/* Below the surface's popups, above the surface. */
		if (view->popups)
			wlr_scene_node_raise_to_top(&view->popups->node);
		wlr_scene_node_reparent(&view->tree->node,
		                        dialog ? &server->layer_dialogs->node
		                               : &server->layer_notifications->node);
		view->role = role;
		if (view->mapped)
			core_view_mapped(view);
		return 0;
	}
	/* The bar: one at a time; the previous one is shown no more. */
	if (server->bar_view && server->bar_view != view)
		cl_view_set_core_role(server->bar_view, CL_ROLE_CORE_NONE);
	view->role = role;
	view->bar_too_large = false;
	server->bar_view = view;
	cl_outputs_update_strip(server);
	cl_input_update_pointer_focus(server);
	return 0;
}

bool cl_view_focus_bar(struct cl_server *server)
{
	struct cl_view *bar = server ? server->bar_view : NULL;

	if (!bar || !bar->mapped || bar->bar_too_large)
		return false;
	focus_set(server, bar);
	return server->focused == bar;
}

void cl_view_release_bar_focus(struct cl_server *server)
{
	struct cl_view *next;

	if (!server || !server->focused ||
	    (server->focused->role != CL_ROLE_BAR && server->focused->role != CL_ROLE_NOTIFICATION))
		return;
	next = cl_view_from_id(server, server->bar_return_id);
	if (next == server->focused || (next && !next->mapped))
		next = NULL;
	focus_set(server, next);
}
