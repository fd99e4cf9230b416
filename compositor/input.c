/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Keyboard, pointer, secure attention key and synthetic input.
 *
 * Rules (design §4, docs/compositor.md):
 * - Keystrokes go to the focused window only (wlr_seat_keyboard_notify_key
 *   reaches the seat's focused surface, which only view.c sets).  Cages get
 *   no keyboard grab; a popup grab ends whenever the focus changes.
 * - Secure attention key: Super+Escape (Logo+Escape).  It is consumed here
 *   (press and release), never delivered to any client, and takes the
 *   keyboard focus away from every cage window: with a bar that gave an
 *   xdg_toplevel (set_bar), the bar gets the keyboard and the
 *   secure_attention event; without one, keystrokes go nowhere until the
 *   user clicks a window or the core focuses one.
 * - Pointer: motion, buttons and axis events reach only the focused window
 *   (and its popups) and the trusted core's surfaces.  A cage window that is
 *   not focused receives no input at all; a button press on it first focuses
 *   it (a user action), then is delivered.  Pressing on a frame focuses the
 *   window and moves it with the pointer.  During a drag-and-drop the
 *   pointer may also enter the windows of the drag's level (they get
 *   wl_data_device events only; selection.c decides and filters).
 * - Client cursor images are accepted only from the client under the pointer
 *   and only up to CURSOR_MAX pixels (a cursor is drawn above everything,
 *   the bar strip included); a cage's is withheld while it would reach
 *   into a strip or over a trusted dialog or notification.
 * - Synthetic input (cloison-ctl input …) exists only with --test-input, on
 *   headless input devices created here.
 */
#include <errno.h>
#include <glib.h>
#include <linux/input-event-codes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wlr/backend/headless.h>
#include <wlr/interfaces/wlr_keyboard.h>
#include <wlr/types/wlr_input_device.h>
#include <wlr/types/wlr_keyboard.h>
#include <wlr/types/wlr_pointer.h>
#include <xkbcommon/xkbcommon.h>

#include "log.h"
#include "server.h"

#define SAK_MODIFIER   WLR_MODIFIER_LOGO
#define SAK_KEYSYM     XKB_KEY_Escape
#define CURSOR_MAX     64
#define MAX_EATEN_KEYS 8
#define TEST_TEXT_MAX  4096

enum grab_mode {
	GRAB_NONE,
	GRAB_MOVE,
	GRAB_RESIZE,
};

struct cl_input {
	struct cl_server *server;
	struct xkb_context *xkb;
	struct xkb_keymap *keymap;

	enum grab_mode mode;
	struct cl_view *grab_view;
	double grab_cx, grab_cy; /* cursor when the grab began */
	int grab_x, grab_y;      /* frame position then */
	int grab_w, grab_h;      /* content size then */
	uint32_t grab_edges;

	/* Synthetic buttons held (input press), bit N: BTN_MISC + N. */
	uint32_t test_buttons;

	/* Keys whose press was consumed: their release is consumed too. */
	uint32_t eaten[MAX_EATEN_KEYS];
	int n_eaten;

	/* Client cursor image, watched so that it never grows too large. */
	struct wlr_surface *cursor_surface;
	int32_t cursor_hx, cursor_hy; /* its hotspot */
	bool cursor_hidden;           /* withheld: it would reach over the strip */
	bool cursor_is_default;
	struct wl_listener cursor_surface_commit;
	struct wl_listener cursor_surface_destroy;
};

static uint32_t now_msec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* ---- Trust helpers ---- */

static bool surface_is_trusted(struct wlr_surface *surface)
{
	struct cl_client *client;

	if (!surface || !surface->resource)
		return false;
	client = cl_client_from_wl_client(wl_resource_get_client(surface->resource));
	return client && client->trusted;
}

/* ---- Cursor image ---- */

static void cursor_default(struct cl_server *server)
{
	struct cl_input *input = server->input;

	if (input && input->cursor_surface) {
		wl_list_remove(&input->cursor_surface_commit.link);
		wl_list_remove(&input->cursor_surface_destroy.link);
		wl_list_init(&input->cursor_surface_commit.link);
		wl_list_init(&input->cursor_surface_destroy.link);
		input->cursor_surface = NULL;
		input->cursor_hidden = false;
	}
	if (server->cursor_manager)
		wlr_xcursor_manager_set_cursor_image(server->cursor_manager, "left_ptr",
		                                     server->cursor);
	if (input)
		input->cursor_is_default = true;
}

static bool cursor_surface_ok(struct wlr_surface *surface, int32_t hx, int32_t hy)
{
	int w = surface->current.width, h = surface->current.height;

	return w <= CURSOR_MAX && h <= CURSOR_MAX && hx >= 0 && hy >= 0 && hx <= CURSOR_MAX &&
	       hy <= CURSOR_MAX;
}

/*
 * The cursor is drawn above everything, the bar strip included: a client's
 * cursor image is shown only while no part of it reaches into the strip
 * (else a cage could paint over the trusted strip), and put back once the
 * pointer moves away.
 */
/* Whether a cage's cursor image at BOX would reach over a trusted dialog or notification. */
static bool cursor_over_dialog(struct cl_server *server, const struct wlr_box *box)
{
	struct cl_view *view;
	struct wlr_box frame, common;
	int l, t, r, b;

	wl_list_for_each (view, &server->views, link) {
		if ((view->role != CL_ROLE_DIALOG && view->role != CL_ROLE_NOTIFICATION) ||
		    !view->mapped)
			continue;
		cl_view_get_insets(view, &l, &t, &r, &b);
		frame = (struct wlr_box){view->x, view->y, view->content.width + l + r,
		                         view->content.height + t + b};
		if (wlr_box_intersection(&common, box, &frame))
			return true;
	}
	return false;
}

static void cursor_guard(struct cl_server *server)
{
	struct cl_input *input = server->input;
	struct wlr_surface *s;
	struct wlr_box work, image;
	bool over;

	if (!input || !input->cursor_surface)
		return;
	s = input->cursor_surface;
	cl_server_work_area_at(server, server->cursor->x, server->cursor->y, &work);
	over = server->cursor->y - input->cursor_hy < work.y;
	/* Nor over a trusted dialog, unless it is the core's own cursor. */
	image = (struct wlr_box){(int)server->cursor->x - input->cursor_hx,
	                         (int)server->cursor->y - input->cursor_hy, s->current.width,
	                         s->current.height};
	if (!over && !surface_is_trusted(s))
		over = cursor_over_dialog(server, &image);
	if (over && !input->cursor_hidden) {
		wlr_cursor_set_surface(server->cursor, NULL, 0, 0);
		input->cursor_hidden = true;
	} else if (!over && input->cursor_hidden) {
		wlr_cursor_set_surface(server->cursor, s, input->cursor_hx, input->cursor_hy);
		input->cursor_hidden = false;
	}
}

static void handle_cursor_surface_commit(struct wl_listener *listener, void *data)
{
	struct cl_input *input = wl_container_of(listener, input, cursor_surface_commit);
	struct wlr_surface *s = input->cursor_surface;

	if (s && !cursor_surface_ok(s, 0, 0))
		cursor_default(input->server);
	else
		cursor_guard(input->server);
}

static void handle_cursor_surface_destroy(struct wl_listener *listener, void *data)
{
	struct cl_input *input = wl_container_of(listener, input, cursor_surface_destroy);

	cursor_default(input->server);
}

static void handle_request_cursor(struct wl_listener *listener, void *data)
{
	struct cl_server *server = wl_container_of(listener, server, request_cursor);
	struct wlr_seat_pointer_request_set_cursor_event *ev = data;
	struct cl_input *input = server->input;

	if (!ev || !input || ev->seat_client != server->seat->pointer_state.focused_client)
		return;
	if (!ev->surface) {
		cursor_default(server);
		wlr_cursor_set_surface(server->cursor, NULL, 0, 0);
		input->cursor_is_default = false;
		return;
	}
	if (!cursor_surface_ok(ev->surface, ev->hotspot_x, ev->hotspot_y))
		return;
	cursor_default(server);
	input->cursor_surface = ev->surface;
	input->cursor_hx = ev->hotspot_x;
	input->cursor_hy = ev->hotspot_y;
	input->cursor_hidden = false;
	input->cursor_is_default = false;
	wl_signal_add(&ev->surface->events.commit, &input->cursor_surface_commit);
	wl_signal_add(&ev->surface->events.destroy, &input->cursor_surface_destroy);
	wlr_cursor_set_surface(server->cursor, ev->surface, ev->hotspot_x, ev->hotspot_y);
	cursor_guard(server);
}

/* ---- Pointer ---- */

static void pointer_focus(struct cl_server *server, uint32_t time)
{
	struct wlr_seat *seat = server->seat;
	struct wlr_surface *surface = NULL;
	struct cl_view *view;
	double sx = 0, sy = 0;
	bool allowed;

	view = cl_view_at(server, server->cursor->x, server->cursor->y, &surface, &sx, &sy);
	/* During a drag: also the windows of the drag's level (selection.c). */
	allowed = surface && (surface_is_trusted(surface) ||
	                      (view && (view->trusted || view == server->focused)) ||
	                      cl_selection_drag_accepts(server, surface));
	if (!allowed) {
		/* A drag's target is not the seat's focused surface: clear it too. */
		if (seat->pointer_state.focused_surface || seat->drag)
			wlr_seat_pointer_notify_clear_focus(seat);
		if (server->input && !server->input->cursor_is_default)
			cursor_default(server);
		return;
	}
	if (seat->pointer_state.focused_surface != surface)
		cursor_default(server);
	wlr_seat_pointer_notify_enter(seat, surface, sx, sy);
	wlr_seat_pointer_notify_motion(seat, time, sx, sy);
}

void cl_input_update_pointer_focus(struct cl_server *server)
{
	if (!server || !server->cursor || !server->seat || !server->input)
		return;
	if (server->input->mode != GRAB_NONE)
		return;
	pointer_focus(server, now_msec());
	/* Windows moved or appeared under a still pointer: a dialog, say. */
	cursor_guard(server);
}

static void end_grab(struct cl_input *input)
{
	input->mode = GRAB_NONE;
	input->grab_view = NULL;
}

void cl_input_begin_grab(struct cl_view *view, bool resize, uint32_t edges)
{
	struct cl_server *server;
	struct cl_input *input;

	if (!view || !view->server || !view->server->input)
		return;
	server = view->server;
	input = server->input;
	input->grab_view = view;
	input->mode = resize ? GRAB_RESIZE : GRAB_MOVE;
	input->grab_cx = server->cursor->x;
	input->grab_cy = server->cursor->y;
	input->grab_x = view->x;
	input->grab_y = view->y;
	input->grab_w = view->content.width;
	input->grab_h = view->content.height;
	input->grab_edges = edges;
	/* The client sees no pointer while the compositor drives the grab. */
	wlr_seat_pointer_notify_clear_focus(server->seat);
}

void cl_input_view_gone(struct cl_view *view)
{
	if (!view || !view->server || !view->server->input)
		return;
	if (view->server->input->grab_view == view)
		end_grab(view->server->input);
}

static void grab_motion(struct cl_server *server)
{
	struct cl_input *input = server->input;
	struct cl_view *view = input->grab_view;
	int dx = (int)(server->cursor->x - input->grab_cx);
	int dy = (int)(server->cursor->y - input->grab_cy);
	int w = input->grab_w, h = input->grab_h, x = input->grab_x, y = input->grab_y;

	if (!view)
		return;
	if (input->mode == GRAB_MOVE) {
		cl_view_move(view, x + dx, y + dy);
		return;
	}
	if (input->grab_edges & WLR_EDGE_RIGHT)
		w += dx;
	if (input->grab_edges & WLR_EDGE_BOTTOM)
		h += dy;
	if (input->grab_edges & WLR_EDGE_LEFT) {
		w -= dx;
		x += dx;
	}
	if (input->grab_edges & WLR_EDGE_TOP) {
		h -= dy;
		y += dy;
	}
	if (w < 1)
		w = 1;
	if (h < 1)
		h = 1;
	cl_view_resize(view, w, h);
	if (input->grab_edges & (WLR_EDGE_LEFT | WLR_EDGE_TOP))
		cl_view_move(view, x, y);
}

static void process_motion(struct cl_server *server, uint32_t time)
{
	if (server->input && server->input->mode != GRAB_NONE)
		grab_motion(server);
	else
		pointer_focus(server, time);
	cursor_guard(server);
}

static void handle_cursor_motion(struct wl_listener *listener, void *data)
{
	struct cl_server *server = wl_container_of(listener, server, cursor_motion);
	struct wlr_event_pointer_motion *ev = data;

	wlr_cursor_move(server->cursor, ev->device, ev->delta_x, ev->delta_y);
	process_motion(server, ev->time_msec);
}

static void handle_cursor_motion_absolute(struct wl_listener *listener, void *data)
{
	struct cl_server *server = wl_container_of(listener, server, cursor_motion_absolute);
	struct wlr_event_pointer_motion_absolute *ev = data;

	wlr_cursor_warp_absolute(server->cursor, ev->device, ev->x, ev->y);
	process_motion(server, ev->time_msec);
}

static void handle_cursor_button(struct wl_listener *listener, void *data)
{
	struct cl_server *server = wl_container_of(listener, server, cursor_button);
	struct wlr_event_pointer_button *ev = data;
	struct cl_input *input = server->input;
	struct wlr_surface *surface = NULL;
	struct cl_view *view;
	double sx, sy;

	if (ev->state == WLR_BUTTON_RELEASED) {
		if (input && input->mode != GRAB_NONE) {
			/* The pointer focus is clear: the seat's state only. */
			end_grab(input);
			wlr_seat_pointer_notify_button(server->seat, ev->time_msec, ev->button,
			                               ev->state);
			pointer_focus(server, ev->time_msec);
			return;
		}
		wlr_seat_pointer_notify_button(server->seat, ev->time_msec, ev->button, ev->state);
		return;
	}
	view = cl_view_at(server, server->cursor->x, server->cursor->y, &surface, &sx, &sy);
	if (view && view->mapped && view != server->focused) {
		/* A click: the user chose this window. */
		cl_view_focus(view);
	}
	if (view && view->mapped && !surface && !view->trusted && view == server->focused &&
	    ev->button == BTN_LEFT && !view->maximized && !view->fullscreen) {
		/* Pressed on the frame: move the window. */
		cl_input_begin_grab(view, false, 0);
		return;
	}
	pointer_focus(server, ev->time_msec);
	wlr_seat_pointer_notify_button(server->seat, ev->time_msec, ev->button, ev->state);
}

static void handle_cursor_axis(struct wl_listener *listener, void *data)
{
	struct cl_server *server = wl_container_of(listener, server, cursor_axis);
	struct wlr_event_pointer_axis *ev = data;

	wlr_seat_pointer_notify_axis(server->seat, ev->time_msec, ev->orientation, ev->delta,
	                             ev->delta_discrete, ev->source);
}

static void handle_cursor_frame(struct wl_listener *listener, void *data)
{
	struct cl_server *server = wl_container_of(listener, server, cursor_frame);

	wlr_seat_pointer_notify_frame(server->seat);
}

/* ---- Keyboard ---- */

static bool eaten_take(struct cl_input *input, uint32_t keycode)
{
	int i;

	for (i = 0; i < input->n_eaten; i++) {
		if (input->eaten[i] == keycode) {
			input->eaten[i] = input->eaten[--input->n_eaten];
			return true;
		}
	}
	return false;
}

static void eaten_add(struct cl_input *input, uint32_t keycode)
{
	if (input->n_eaten < MAX_EATEN_KEYS)
		input->eaten[input->n_eaten++] = keycode;
}

static void secure_attention(struct cl_server *server)
{
	/* With a toplevel bar, the bar takes the keyboard and opens its menu. */
	if (cl_view_focus_bar(server)) {
		cl_notice("secure attention key: keyboard focus to the bar");
		cl_shell_send_secure_attention(server);
		return;
	}
	cl_notice("secure attention key: keyboard focus to the core");
	/* Take the focus from every cage window; no cage sees the keys. */
	cl_view_focus_clear(server);
}

static bool is_sak(struct wlr_keyboard *kb, uint32_t keycode)
{
	const xkb_keysym_t *syms;
	int n, i;

	if (!kb->xkb_state || !(wlr_keyboard_get_modifiers(kb) & SAK_MODIFIER))
		return false;
	n = xkb_keymap_key_get_syms_by_level(kb->keymap, keycode + 8,
	                                     xkb_state_key_get_layout(kb->xkb_state, keycode + 8),
	                                     0, &syms);
	for (i = 0; i < n; i++) {
		if (syms[i] == SAK_KEYSYM)
			return true;
	}
	return false;
}

static void handle_keyboard_key(struct wl_listener *listener, void *data)
{
	struct cl_keyboard *keyboard = wl_container_of(listener, keyboard, key);
	struct cl_server *server = keyboard->server;
	struct wlr_event_keyboard_key *ev = data;
	struct wlr_keyboard *kb = keyboard->device->keyboard;
	struct cl_input *input = server->input;

	if (ev->state == WL_KEYBOARD_KEY_STATE_PRESSED) {
		if (is_sak(kb, ev->keycode)) {
			if (input)
				eaten_add(input, ev->keycode);
			secure_attention(server);
			return;
		}
	} else if (input && eaten_take(input, ev->keycode)) {
		return;
	}
	wlr_seat_set_keyboard(server->seat, keyboard->device);
	wlr_seat_keyboard_notify_key(server->seat, ev->time_msec, ev->keycode, ev->state);
}

static void handle_keyboard_modifiers(struct wl_listener *listener, void *data)
{
	struct cl_keyboard *keyboard = wl_container_of(listener, keyboard, modifiers);
	struct cl_server *server = keyboard->server;

	wlr_seat_set_keyboard(server->seat, keyboard->device);
	wlr_seat_keyboard_notify_modifiers(server->seat, &keyboard->device->keyboard->modifiers);
}

static void update_capabilities(struct cl_server *server)
{
	uint32_t caps = WL_SEAT_CAPABILITY_POINTER;

	if (!wl_list_empty(&server->keyboards))
		caps |= WL_SEAT_CAPABILITY_KEYBOARD;
	wlr_seat_set_capabilities(server->seat, caps);
}

static void handle_keyboard_destroy(struct wl_listener *listener, void *data)
{
	struct cl_keyboard *keyboard = wl_container_of(listener, keyboard, destroy);
	struct cl_server *server = keyboard->server;

	wl_list_remove(&keyboard->modifiers.link);
	wl_list_remove(&keyboard->key.link);
	wl_list_remove(&keyboard->destroy.link);
	wl_list_remove(&keyboard->link);
	if (server->test_keyboard == keyboard->device)
		server->test_keyboard = NULL;
	free(keyboard);
	update_capabilities(server);
}

static bool ensure_keymap(struct cl_server *server)
{
	struct cl_input *input = server->input;

	if (!input)
		return false;
	if (!input->xkb)
		input->xkb = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	if (input->xkb && !input->keymap)
		input->keymap =
		        xkb_keymap_new_from_names(input->xkb, NULL, XKB_KEYMAP_COMPILE_NO_FLAGS);
	return input->keymap != NULL;
}

static void keyboard_create(struct cl_server *server, struct wlr_input_device *device)
{
	struct cl_keyboard *keyboard;
	struct wlr_keyboard *kb = device->keyboard;

	if (!kb)
		return;
	if (!ensure_keymap(server)) {
		cl_error("cannot compile the default keymap: keyboard %s ignored",
		         device->name ? device->name : "?");
		return;
	}
	keyboard = calloc(1, sizeof(*keyboard));
	if (!keyboard)
		return;
	keyboard->server = server;
	keyboard->device = device;
	if (!kb->keymap || !wlr_keyboard_keymaps_match(kb->keymap, server->input->keymap))
		wlr_keyboard_set_keymap(kb, server->input->keymap);
	wlr_keyboard_set_repeat_info(kb, 25, 600);

	keyboard->modifiers.notify = handle_keyboard_modifiers;
	wl_signal_add(&kb->events.modifiers, &keyboard->modifiers);
	keyboard->key.notify = handle_keyboard_key;
	wl_signal_add(&kb->events.key, &keyboard->key);
	keyboard->destroy.notify = handle_keyboard_destroy;
	wl_signal_add(&device->events.destroy, &keyboard->destroy);
	wl_list_insert(&server->keyboards, &keyboard->link);
	wlr_seat_set_keyboard(server->seat, device);
}

void cl_input_new_device(struct cl_server *server, struct wlr_input_device *device)
{
	if (!server || !device)
		return;
	switch (device->type) {
	case WLR_INPUT_DEVICE_KEYBOARD:
		keyboard_create(server, device);
		break;
	case WLR_INPUT_DEVICE_POINTER:
		if (server->cursor)
			wlr_cursor_attach_input_device(server->cursor, device);
		break;
	default:
		break;
	}
	update_capabilities(server);
}

/* ---- Init ---- */

void cl_input_init(struct cl_server *server)
{
	struct cl_input *input;

	input = calloc(1, sizeof(*input));
	if (!input) {
		cl_error("out of memory for the input state");
		return;
	}
	input->server = server;
	wl_list_init(&input->cursor_surface_commit.link);
	wl_list_init(&input->cursor_surface_destroy.link);
	input->cursor_surface_commit.notify = handle_cursor_surface_commit;
	input->cursor_surface_destroy.notify = handle_cursor_surface_destroy;
	server->input = input;
	/* The keymap is compiled when the first keyboard appears (10-20 ms). */

	if (!server->cursor) {
		server->cursor = wlr_cursor_create();
		wlr_cursor_attach_output_layout(server->cursor, server->output_layout);
	}
	if (!server->cursor_manager) {
		server->cursor_manager = wlr_xcursor_manager_create(NULL, 24);
		if (server->cursor_manager)
			wlr_xcursor_manager_load(server->cursor_manager, 1);
	}

	server->cursor_motion.notify = handle_cursor_motion;
	wl_signal_add(&server->cursor->events.motion, &server->cursor_motion);
	server->cursor_motion_absolute.notify = handle_cursor_motion_absolute;
	wl_signal_add(&server->cursor->events.motion_absolute, &server->cursor_motion_absolute);
	server->cursor_button.notify = handle_cursor_button;
	wl_signal_add(&server->cursor->events.button, &server->cursor_button);
	server->cursor_axis.notify = handle_cursor_axis;
	wl_signal_add(&server->cursor->events.axis, &server->cursor_axis);
	server->cursor_frame.notify = handle_cursor_frame;
	wl_signal_add(&server->cursor->events.frame, &server->cursor_frame);
	server->request_cursor.notify = handle_request_cursor;
	wl_signal_add(&server->seat->events.request_set_cursor, &server->request_cursor);

	cl_selection_init(server);

	if (server->test_input && server->headless && wlr_backend_is_headless(server->headless)) {
		ensure_keymap(server);
		server->test_keyboard =
		        wlr_headless_add_input_device(server->headless, WLR_INPUT_DEVICE_KEYBOARD);
		server->test_pointer =
		        wlr_headless_add_input_device(server->headless, WLR_INPUT_DEVICE_POINTER);
		if (server->test_keyboard && server->test_keyboard->keyboard &&
		    !server->test_keyboard->keyboard->keymap && input->keymap)
			wlr_keyboard_set_keymap(server->test_keyboard->keyboard, input->keymap);
		if (!server->test_keyboard || !server->test_pointer)
			cl_error("cannot create the synthetic input devices");
	}
	update_capabilities(server);
}

void cl_input_finish(struct cl_server *server)
{
	struct cl_input *input;

	if (!server || !server->input)
		return;
	input = server->input;
	cl_selection_finish(server);
	wl_list_remove(&input->cursor_surface_commit.link);
	wl_list_remove(&input->cursor_surface_destroy.link);
	wl_list_remove(&server->cursor_motion.link);
	wl_list_remove(&server->cursor_motion_absolute.link);
	wl_list_remove(&server->cursor_button.link);
	wl_list_remove(&server->cursor_axis.link);
	wl_list_remove(&server->cursor_frame.link);
	wl_list_remove(&server->request_cursor.link);
	if (input->keymap)
		xkb_keymap_unref(input->keymap);
	if (input->xkb)
		xkb_context_unref(input->xkb);
	free(input);
	server->input = NULL;
}

/* ---- Synthetic input (--test-input only) ---- */

struct key_lookup {
	xkb_keysym_t sym;
	xkb_level_index_t level;
	xkb_keycode_t code;
	bool found;
};

static void find_key(struct xkb_keymap *keymap, xkb_keycode_t key, void *data)
{
	struct key_lookup *l = data;
	const xkb_keysym_t *syms;
	int n;

	if (l->found)
		return;
	n = xkb_keymap_key_get_syms_by_level(keymap, key, 0, l->level, &syms);
	if (n == 1 && syms[0] == l->sym) {
		l->code = key;
		l->found = true;
	}
}

/* Evdev keycode producing SYM (level 0, or 1 with *shift set); false if none. */
static bool keysym_to_keycode(struct xkb_keymap *keymap, xkb_keysym_t sym, uint32_t *code,
                              bool *shift)
{
	struct key_lookup l = {.sym = sym};

	/* Level 0 on every key first, so that e.g. "1" is never a shifted key. */
	for (l.level = 0; l.level < 2; l.level++) {
		xkb_keymap_key_for_each(keymap, find_key, &l);
		if (l.found && l.code >= 8) {
			*code = l.code - 8;
			*shift = l.level == 1;
			return true;
		}
		l.found = false;
	}
	return false;
}

static struct wlr_keyboard *test_keyboard(struct cl_server *server)
{
	if (!server->test_keyboard || !server->test_keyboard->keyboard)
		return NULL;
	return server->test_keyboard->keyboard;
}

static void emit_key(struct wlr_keyboard *kb, uint32_t code, bool pressed)
{
	struct wlr_event_keyboard_key ev = {
	        .time_msec = now_msec(),
	        .keycode = code,
	        .update_state = true,
	        .state = pressed ? WL_KEYBOARD_KEY_STATE_PRESSED : WL_KEYBOARD_KEY_STATE_RELEASED,
	};

	wlr_keyboard_notify_key(kb, &ev);
}

#define MAX_TEST_MODS 4

struct key_combo {
	uint32_t mods[MAX_TEST_MODS];
	int n_mods;
	uint32_t code;
};

static int modifier_keycode(struct xkb_keymap *keymap, const char *name, uint32_t *code)
{
	static const struct {
		const char *name;
		xkb_keysym_t sym;
	} mods[] = {
	        {"super", XKB_KEY_Super_L},     {"logo", XKB_KEY_Super_L},
	        {"mod4", XKB_KEY_Super_L},      {"ctrl", XKB_KEY_Control_L},
	        {"control", XKB_KEY_Control_L}, {"alt", XKB_KEY_Alt_L},
	        {"mod1", XKB_KEY_Alt_L},        {"shift", XKB_KEY_Shift_L},
	};
	size_t i;
	bool shift;

	for (i = 0; i < G_N_ELEMENTS(mods); i++) {
		if (g_ascii_strcasecmp(name, mods[i].name) == 0)
			return keysym_to_keycode(keymap, mods[i].sym, code, &shift) ? 0 : -EINVAL;
	}
	return -EINVAL;
}

static int combo_add_mod(struct key_combo *c, uint32_t code)
{
	int i;

	for (i = 0; i < c->n_mods; i++) {
		if (c->mods[i] == code)
			return 0;
	}
	if (c->n_mods >= MAX_TEST_MODS)
		return -EINVAL;
	c->mods[c->n_mods++] = code;
	return 0;
}

static int parse_combo(struct xkb_keymap *keymap, const char *spec, struct key_combo *c)
{
	g_auto(GStrv) parts = NULL;
	xkb_keysym_t sym;
	bool shift = false;
	uint32_t code, shift_code;
	guint n, i;
	int r;

	memset(c, 0, sizeof(*c));
	if (!spec || !*spec || strlen(spec) > 256)
		return -EINVAL;
	/* "+" alone, or a trailing "+", names the plus key. */
	if (strcmp(spec, "+") == 0) {
		parts = g_new0(char *, 2);
		parts[0] = g_strdup("plus");
	} else {
		parts = g_strsplit(spec, "+", 8);
	}
	n = g_strv_length(parts);
	if (n == 0 || n > MAX_TEST_MODS + 1)
		return -EINVAL;
	for (i = 0; i + 1 < n; i++) {
		r = modifier_keycode(keymap, parts[i], &code);
		if (r < 0)
			return r;
		r = combo_add_mod(c, code);
		if (r < 0)
			return r;
	}
	if (!parts[n - 1][0])
		return -EINVAL;
	sym = xkb_keysym_from_name(parts[n - 1], XKB_KEYSYM_NO_FLAGS);
	if (sym == XKB_KEY_NoSymbol)
		sym = xkb_keysym_from_name(parts[n - 1], XKB_KEYSYM_CASE_INSENSITIVE);
	if (sym == XKB_KEY_NoSymbol || !keysym_to_keycode(keymap, sym, &c->code, &shift))
		return -EINVAL;
	if (shift) {
		if (!keysym_to_keycode(keymap, XKB_KEY_Shift_L, &shift_code, &shift))
			return -EINVAL;
		r = combo_add_mod(c, shift_code);
		if (r < 0)
			return r;
	}
	return 0;
}

static void emit_combo(struct wlr_keyboard *kb, const struct key_combo *c)
{
	int i;

	for (i = 0; i < c->n_mods; i++)
		emit_key(kb, c->mods[i], true);
	emit_key(kb, c->code, true);
	emit_key(kb, c->code, false);
	for (i = c->n_mods - 1; i >= 0; i--)
		emit_key(kb, c->mods[i], false);
}

int cl_input_test_key(struct cl_server *server, const char *keysym_name)
{
	struct wlr_keyboard *kb;
	struct key_combo c;
	int r;

	if (!server || !server->test_input)
		return -EPERM;
	kb = test_keyboard(server);
	if (!kb || !kb->keymap)
		return -ENODEV;
	r = parse_combo(kb->keymap, keysym_name, &c);
	if (r < 0)
		return r;
	emit_combo(kb, &c);
	return 0;
}

int cl_input_test_type(struct cl_server *server, const char *utf8)
{
	struct wlr_keyboard *kb;
	struct key_combo *combos;
	const char *p;
	size_t n = 0, len, i;
	uint32_t shift_code = 0;
	bool have_shift, dummy;

	if (!server || !server->test_input)
		return -EPERM;
	kb = test_keyboard(server);
	if (!kb || !kb->keymap)
		return -ENODEV;
	if (!utf8)
		return -EINVAL;
	len = strlen(utf8);
	if (len > TEST_TEXT_MAX || !g_utf8_validate(utf8, (gssize)len, NULL))
		return -EINVAL;
	have_shift = keysym_to_keycode(kb->keymap, XKB_KEY_Shift_L, &shift_code, &dummy);
	combos = calloc(len + 1, sizeof(*combos));
	if (!combos)
		return -ENOMEM;
	/* Check every character before typing any. */
	for (p = utf8; *p; p = g_utf8_next_char(p)) {
		gunichar ch = g_utf8_get_char(p);
		xkb_keysym_t sym;
		bool shift = false;

		if (ch == '\n')
			sym = XKB_KEY_Return;
		else if (ch == '\t')
			sym = XKB_KEY_Tab;
		else
			sym = xkb_utf32_to_keysym(ch);
		if (sym == XKB_KEY_NoSymbol ||
		    !keysym_to_keycode(kb->keymap, sym, &combos[n].code, &shift) ||
		    (shift && !have_shift)) {
			free(combos);
			return -EINVAL;
		}
		if (shift)
			combos[n].mods[combos[n].n_mods++] = shift_code;
		n++;
	}
	for (i = 0; i < n; i++)
		emit_combo(kb, &combos[i]);
	free(combos);
	return 0;
}

int cl_input_test_move(struct cl_server *server, double x, double y)
{
	struct wlr_input_device *dev;
	struct wlr_box *box;
	struct wlr_event_pointer_motion_absolute ev = {0};

	if (!server || !server->test_input)
		return -EPERM;
	dev = server->test_pointer;
	if (!dev || !dev->pointer)
		return -ENODEV;
	if (!isfinite(x) || !isfinite(y))
		return -EINVAL;
	box = wlr_output_layout_get_box(server->output_layout, NULL);
	if (!box || box->width <= 0 || box->height <= 0)
		return -ENODEV;
	if (x < box->x || y < box->y || x >= box->x + box->width || y >= box->y + box->height)
		return -EINVAL;
	ev.device = dev;
	ev.time_msec = now_msec();
	/* Pixel centres map back to the same pixel. */
	ev.x = (x - box->x) / box->width;
	ev.y = (y - box->y) / box->height;
	wl_signal_emit(&dev->pointer->events.motion_absolute, &ev);
	wl_signal_emit(&dev->pointer->events.frame, dev->pointer);
	return 0;
}

/* Evdev code of a test button: 1, 2, 3 (left, middle, right) or BTN_MISC..BTN_TASK. */
static int test_button_code(uint32_t button, uint32_t *code)
{
	static const uint32_t codes[] = {0, BTN_LEFT, BTN_MIDDLE, BTN_RIGHT};

	if (button >= 1 && button <= 3)
		button = codes[button];
	else if (button < BTN_MISC || button > BTN_TASK)
		return -EINVAL;
	*code = button;
	return 0;
}

static void emit_button(struct wlr_input_device *dev, uint32_t code, bool pressed)
{
	struct wlr_event_pointer_button ev = {
	        .device = dev,
	        .button = code,
	        .time_msec = now_msec(),
	        .state = pressed ? WLR_BUTTON_PRESSED : WLR_BUTTON_RELEASED,
	};

	wl_signal_emit(&dev->pointer->events.button, &ev);
	wl_signal_emit(&dev->pointer->events.frame, dev->pointer);
}

int cl_input_test_button(struct cl_server *server, uint32_t button, bool pressed)
{
	struct wlr_input_device *dev;
	uint32_t code, bit;
	int r;

	if (!server || !server->test_input || !server->input)
		return -EPERM;
	dev = server->test_pointer;
	if (!dev || !dev->pointer)
		return -ENODEV;
	r = test_button_code(button, &code);
	if (r < 0)
		return r;
	/* A real button is pressed once before it is released. */
	bit = 1u << (code - BTN_MISC);
	if (pressed == !!(server->input->test_buttons & bit))
		return pressed ? -EALREADY : -ENOENT;
	if (pressed)
		server->input->test_buttons |= bit;
	else
		server->input->test_buttons &= ~bit;
	emit_button(dev, code, pressed);
	return 0;
}

int cl_input_test_click(struct cl_server *server, uint32_t button)
{
	int r;

	r = cl_input_test_button(server, button, true);
	if (r < 0)
		return r;
	return cl_input_test_button(server, button, false);
}
