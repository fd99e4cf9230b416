/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Selections never cross levels (design §4).
 *
 * The clipboard and the primary selection are kept per level: one slot per
 * configured level plus one for the trusted core, each holding at most one
 * clipboard source and one primary source (bounded state).  A request to
 * set a selection is accepted only from the client that has the keyboard
 * focus (its serial must be one that client received); it fills the slot of
 * that client's level.  The seat itself is only ever given a small proxy
 * source of the focused level's slot, rebuilt on every focus change, so a
 * client only ever sees selections offered by clients of its own level.
 * The focus change clears the keyboard focus before the selection changes
 * (view.c), so that the old client never gets the new level's offer.
 *
 * Drag-and-drop is kept per level too.  A drag starts only from the client
 * whose window has the keyboard focus, while one pointer button is pressed
 * on the surface it names as origin, with the serial of that press
 * (wlr_seat_validate_pointer_grab_serial); anything else is refused and its
 * source cancelled.  While it runs, the drag's pointer grab is filtered
 * here: it may enter only surfaces of clients of the origin's level, so
 * that over a window of another level (or the core's) the drag has no
 * target: no wl_data_device.enter, no offer, no motion, and a drop there
 * cancels (the source gets "cancelled").  The drag never moves the keyboard
 * focus (wlroots' drag keyboard grab ignores focus changes, and a focus
 * change by the user or the core ends the drag first: view.c).  The drag
 * icon is drawn below the core layer, pushed below the bar strip of the
 * output under the pointer, and hidden while it is larger than
 * DRAG_ICON_MAX pixels or would still touch a strip.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wlr/types/wlr_data_device.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_primary_selection.h>

#include "log.h"
#include "server.h"

#define CORE_SLOT CL_MAX_LEVELS
#define N_SLOTS   (CL_MAX_LEVELS + 1)
/* Largest drag icon shown, and farthest its buffer may sit from the pointer. */
#define DRAG_ICON_MAX 256

struct cl_selection;

/* The seat's running drag (wlroots runs at most one). */
struct cl_drag {
	struct cl_selection *sel;
	struct wlr_drag *drag;
	int slot; /* the origin client's level */
	/* wlroots' own pointer grab interface, which ours filters and calls. */
	const struct wlr_pointer_grab_interface *wlr_grab;
	struct wlr_scene_tree *icon_tree; /* NULL: no icon */
	struct wlr_surface *icon_surface;
	struct wl_listener destroy;
	struct wl_listener origin_destroy; /* the dragging client's seat client */
	struct wl_listener icon_destroy;
	struct wl_listener icon_commit;
	struct wl_listener icon_map;
	struct wl_listener icon_unmap;
	struct wl_listener cursor_motion;
	struct wl_listener cursor_motion_absolute;
};

struct slot {
	struct cl_selection *sel;
	struct wlr_data_source *clipboard; /* a client's source, never given to the seat */
	struct wl_listener clipboard_destroy;
	struct wlr_primary_selection_source *primary;
	struct wl_listener primary_destroy;
};

/* What the seat holds: forwards requests to a slot's current source. */
struct clipboard_proxy {
	struct wlr_data_source base;
	struct cl_selection *sel;
	int slot;
};

struct primary_proxy {
	struct wlr_primary_selection_source base;
	struct cl_selection *sel;
	int slot;
};

struct cl_selection {
	struct cl_server *server;
	struct slot slots[N_SLOTS];
	struct clipboard_proxy *clipboard_proxy; /* the seat's, or NULL */
	struct primary_proxy *primary_proxy;     /* the seat's, or NULL */
	struct wl_listener request_set_selection;
	struct wl_listener request_set_primary_selection;
	struct wl_listener request_start_drag;
	struct cl_drag *drag; /* the running drag, or NULL */
};

/* Slot of a cage's level; the core slot for trusted clients (no cage). */
static int cage_slot(struct cl_server *server, const ClCage *cage)
{
	const ClLevel *level;
	guint i;

	if (!cage || !cage->level)
		return CORE_SLOT;
	level = cage->level;
	for (i = 0; server->config && i < server->config->levels->len && i < CL_MAX_LEVELS; i++) {
		if (g_ptr_array_index(server->config->levels, i) == level)
			return (int)i;
	}
	return -1;
}

/* Slot of a view's level; the core slot for trusted windows. */
static int view_slot(struct cl_server *server, const struct cl_view *view)
{
	if (!view || view->trusted)
		return CORE_SLOT;
	return cage_slot(server, view->cage);
}

/* Slot of SURFACE's client; -1 for a client we do not know. */
static int surface_slot(struct cl_server *server, struct wlr_surface *surface)
{
	struct cl_client *client;

	if (!surface || !surface->resource)
		return -1;
	client = cl_client_from_wl_client(wl_resource_get_client(surface->resource));
	if (!client)
		return -1;
	if (client->trusted)
		return CORE_SLOT;
	return cage_slot(server, client->cage);
}

static int focused_slot(struct cl_server *server)
{
	if (!server->focused)
		return -1;
	return view_slot(server, server->focused);
}

/* ---- Proxies ---- */

static void clipboard_proxy_send(struct wlr_data_source *source, const char *mime_type, int32_t fd)
{
	struct clipboard_proxy *p = wl_container_of(source, p, base);
	struct wlr_data_source *real =
	        p->sel && p->slot >= 0 ? p->sel->slots[p->slot].clipboard : NULL;

	if (real)
		wlr_data_source_send(real, mime_type, fd);
	else
		close(fd);
}

static void clipboard_proxy_destroy(struct wlr_data_source *source)
{
	struct clipboard_proxy *p = wl_container_of(source, p, base);

	if (p->sel && p->sel->clipboard_proxy == p)
		p->sel->clipboard_proxy = NULL;
	free(p);
}

static const struct wlr_data_source_impl clipboard_proxy_impl = {
        .send = clipboard_proxy_send,
        .destroy = clipboard_proxy_destroy,
};

static void primary_proxy_send(struct wlr_primary_selection_source *source, const char *mime_type,
                               int32_t fd)
{
	struct primary_proxy *p = wl_container_of(source, p, base);
	struct wlr_primary_selection_source *real =
	        p->sel && p->slot >= 0 ? p->sel->slots[p->slot].primary : NULL;

	if (real)
		wlr_primary_selection_source_send(real, mime_type, fd);
	else
		close(fd);
}

static void primary_proxy_destroy(struct wlr_primary_selection_source *source)
{
	struct primary_proxy *p = wl_container_of(source, p, base);

	if (p->sel && p->sel->primary_proxy == p)
		p->sel->primary_proxy = NULL;
	free(p);
}

static const struct wlr_primary_selection_source_impl primary_proxy_impl = {
        .send = primary_proxy_send,
        .destroy = primary_proxy_destroy,
};

static bool copy_mime_types(struct wl_array *dst, const struct wl_array *src)
{
	char **m;

	wl_array_for_each(m, src)
	{
		char **d = wl_array_add(dst, sizeof(*d));

		if (!d)
			return false;
		*d = strdup(*m);
		if (!*d) {
			dst->size -= sizeof(*d);
			return false;
		}
	}
	return true;
}

/* Gives the seat the focused level's sources (or none). */
static void apply(struct cl_selection *sel)
{
	struct cl_server *server = sel->server;
	struct wlr_seat *seat = server->seat;
	int slot = focused_slot(server);
	struct wlr_data_source *clip = slot >= 0 ? sel->slots[slot].clipboard : NULL;
	struct wlr_primary_selection_source *prim = slot >= 0 ? sel->slots[slot].primary : NULL;
	uint32_t serial = wl_display_next_serial(server->display);

	if (clip) {
		struct clipboard_proxy *p = calloc(1, sizeof(*p));

		if (p) {
			wlr_data_source_init(&p->base, &clipboard_proxy_impl);
			p->sel = sel;
			p->slot = slot;
			if (!copy_mime_types(&p->base.mime_types, &clip->mime_types)) {
				wlr_data_source_destroy(&p->base);
				p = NULL;
			}
		}
		/* The seat destroys the previous proxy. */
		wlr_seat_set_selection(seat, p ? &p->base : NULL, serial);
		sel->clipboard_proxy = p;
	} else if (seat->selection_source) {
		wlr_seat_set_selection(seat, NULL, serial);
	}

	if (prim) {
		struct primary_proxy *p = calloc(1, sizeof(*p));

		if (p) {
			wlr_primary_selection_source_init(&p->base, &primary_proxy_impl);
			p->sel = sel;
			p->slot = slot;
			if (!copy_mime_types(&p->base.mime_types, &prim->mime_types)) {
				wlr_primary_selection_source_destroy(&p->base);
				p = NULL;
			}
		}
		wlr_seat_set_primary_selection(seat, p ? &p->base : NULL, serial);
		sel->primary_proxy = p;
	} else if (seat->primary_selection_source) {
		wlr_seat_set_primary_selection(seat, NULL, serial);
	}
}

void cl_selection_focus_changed(struct cl_server *server)
{
	if (server && server->selection)
		apply(server->selection);
}

/* ---- Slots ---- */

/* Slot S lost a source: update the seat if S is the focused level's. */
static void slot_changed(struct slot *s)
{
	int f = focused_slot(s->sel->server);

	if (f >= 0 && s == &s->sel->slots[f])
		apply(s->sel);
}

static void handle_clipboard_destroy(struct wl_listener *listener, void *data)
{
	struct slot *s = wl_container_of(listener, s, clipboard_destroy);

	wl_list_remove(&s->clipboard_destroy.link);
	wl_list_init(&s->clipboard_destroy.link);
	s->clipboard = NULL;
	slot_changed(s);
}

static void handle_primary_destroy(struct wl_listener *listener, void *data)
{
	struct slot *s = wl_container_of(listener, s, primary_destroy);

	wl_list_remove(&s->primary_destroy.link);
	wl_list_init(&s->primary_destroy.link);
	s->primary = NULL;
	slot_changed(s);
}

static void slot_set_clipboard(struct slot *s, struct wlr_data_source *source)
{
	struct wlr_data_source *old = s->clipboard;

	if (old == source)
		return;
	if (old) {
		wl_list_remove(&s->clipboard_destroy.link);
		wl_list_init(&s->clipboard_destroy.link);
		s->clipboard = NULL;
		/* Its owner learns it lost the selection ("cancelled"). */
		wlr_data_source_destroy(old);
	}
	s->clipboard = source;
	if (source)
		wl_signal_add(&source->events.destroy, &s->clipboard_destroy);
}

static void slot_set_primary(struct slot *s, struct wlr_primary_selection_source *source)
{
	struct wlr_primary_selection_source *old = s->primary;

	if (old == source)
		return;
	if (old) {
		wl_list_remove(&s->primary_destroy.link);
		wl_list_init(&s->primary_destroy.link);
		s->primary = NULL;
		wlr_primary_selection_source_destroy(old);
	}
	s->primary = source;
	if (source)
		wl_signal_add(&source->events.destroy, &s->primary_destroy);
}

/* The requester holds the keyboard focus: SERIAL was sent to that client. */
static bool from_focused_client(struct cl_server *server, uint32_t serial)
{
	struct wlr_seat_client *focused = server->seat->keyboard_state.focused_client;

	return server->focused && focused && wlr_seat_client_validate_event_serial(focused, serial);
}

static void handle_request_set_selection(struct wl_listener *listener, void *data)
{
	struct cl_selection *sel = wl_container_of(listener, sel, request_set_selection);
	struct wlr_seat_request_set_selection_event *ev = data;
	int slot = focused_slot(sel->server);

	if (!ev)
		return;
	if (slot < 0 || !from_focused_client(sel->server, ev->serial)) {
		cl_info("clipboard: refused a selection from a client without keyboard focus");
		if (ev->source)
			wlr_data_source_destroy(ev->source);
		return;
	}
	slot_set_clipboard(&sel->slots[slot], ev->source);
	apply(sel);
}

static void handle_request_set_primary_selection(struct wl_listener *listener, void *data)
{
	struct cl_selection *sel = wl_container_of(listener, sel, request_set_primary_selection);
	struct wlr_seat_request_set_primary_selection_event *ev = data;
	int slot = focused_slot(sel->server);

	if (!ev)
		return;
	if (slot < 0 || !from_focused_client(sel->server, ev->serial)) {
		cl_info("primary selection: refused a selection from a client without keyboard "
		        "focus");
		if (ev->source)
			wlr_primary_selection_source_destroy(ev->source);
		return;
	}
	slot_set_primary(&sel->slots[slot], ev->source);
	apply(sel);
}

/* ---- Drag-and-drop ---- */

static struct cl_drag *drag_from_grab(struct wlr_seat_pointer_grab *grab)
{
	struct wlr_drag *drag = grab->data;

	return drag ? drag->data : NULL;
}

/* Whether D may offer its data to SURFACE (same level as its origin). */
static bool drag_may_enter(struct cl_drag *d, struct wlr_surface *surface)
{
	return d && d->slot >= 0 && surface_slot(d->sel->server, surface) == d->slot;
}

static void grab_clear_focus(struct wlr_seat_pointer_grab *grab)
{
	struct cl_drag *d = drag_from_grab(grab);

	if (d && d->wlr_grab->clear_focus)
		d->wlr_grab->clear_focus(grab);
}

static void grab_enter(struct wlr_seat_pointer_grab *grab, struct wlr_surface *surface, double sx,
                       double sy)
{
	struct cl_drag *d = drag_from_grab(grab);

	if (!d)
		return;
	if (!drag_may_enter(d, surface)) {
		/* Another level's window: the drag has no target there. */
		grab_clear_focus(grab);
		return;
	}
	if (d->wlr_grab->enter)
		d->wlr_grab->enter(grab, surface, sx, sy);
}

static void grab_motion(struct wlr_seat_pointer_grab *grab, uint32_t time, double sx, double sy)
{
	struct cl_drag *d = drag_from_grab(grab);

	if (d && d->wlr_grab->motion)
		d->wlr_grab->motion(grab, time, sx, sy);
}

static uint32_t grab_button(struct wlr_seat_pointer_grab *grab, uint32_t time, uint32_t button,
                            uint32_t state)
{
	struct cl_drag *d = drag_from_grab(grab);

	if (d && d->wlr_grab->button)
		return d->wlr_grab->button(grab, time, button, state);
	return 0;
}

static void grab_axis(struct wlr_seat_pointer_grab *grab, uint32_t time,
                      enum wlr_axis_orientation orientation, double value, int32_t value_discrete,
                      enum wlr_axis_source source)
{
	struct cl_drag *d = drag_from_grab(grab);

	if (d && d->wlr_grab->axis)
		d->wlr_grab->axis(grab, time, orientation, value, value_discrete, source);
}

static void grab_frame(struct wlr_seat_pointer_grab *grab)
{
	struct cl_drag *d = drag_from_grab(grab);

	if (d && d->wlr_grab->frame)
		d->wlr_grab->frame(grab);
}

static void grab_cancel(struct wlr_seat_pointer_grab *grab)
{
	struct cl_drag *d = drag_from_grab(grab);

	if (d && d->wlr_grab->cancel)
		d->wlr_grab->cancel(grab);
}

/* wlroots' drag grab, with every enter checked against the drag's level. */
static const struct wlr_pointer_grab_interface level_drag_grab = {
        .enter = grab_enter,
        .clear_focus = grab_clear_focus,
        .motion = grab_motion,
        .button = grab_button,
        .axis = grab_axis,
        .frame = grab_frame,
        .cancel = grab_cancel,
};

/* The icon's box in layout coordinates, at the pointer; false: never show it. */
static bool icon_box(struct cl_drag *d, struct wlr_box *box)
{
	struct cl_server *server = d->sel->server;
	struct wlr_surface *s = d->icon_surface;
	struct wlr_box ext = {0};

	if (!s || !d->drag->icon || !d->drag->icon->mapped)
		return false;
	wlr_surface_get_extends(s, &ext);
	if (ext.width <= 0 || ext.height <= 0 || ext.width > DRAG_ICON_MAX ||
	    ext.height > DRAG_ICON_MAX || s->sx < -DRAG_ICON_MAX || s->sx > DRAG_ICON_MAX ||
	    s->sy < -DRAG_ICON_MAX || s->sy > DRAG_ICON_MAX || ext.x < -DRAG_ICON_MAX ||
	    ext.y < -DRAG_ICON_MAX || ext.x > DRAG_ICON_MAX || ext.y > DRAG_ICON_MAX)
		return false;
	box->x = (int)server->cursor->x + s->sx + ext.x;
	box->y = (int)server->cursor->y + s->sy + ext.y;
	box->width = ext.width;
	box->height = ext.height;
	return true;
}

/* Places the icon at the pointer, below the strip; hides it when it cannot be. */
static void icon_update(struct cl_drag *d)
{
	struct cl_server *server = d->sel->server;
	struct wlr_box box, wa, hit;
	struct cl_output *output;
	bool show;

	if (!d->icon_tree)
		return;
	show = icon_box(d, &box);
	if (show) {
		cl_server_work_area_at(server, server->cursor->x, server->cursor->y, &wa);
		if (box.y < wa.y)
			box.y = wa.y;
		/* Still on a strip (another output's, or no room below): hidden. */
		wl_list_for_each (output, &server->outputs, link) {
			struct wlr_box strip;

			if (cl_output_strip_box(output, &strip) &&
			    wlr_box_intersection(&hit, &box, &strip))
				show = false;
		}
	}
	if (show) {
		struct wlr_box ext = {0};

		wlr_surface_get_extends(d->icon_surface, &ext);
		wlr_scene_node_set_position(&d->icon_tree->node, box.x - ext.x, box.y - ext.y);
	}
	wlr_scene_node_set_enabled(&d->icon_tree->node, show);
}

static void handle_icon_commit(struct wl_listener *listener, void *data)
{
	struct cl_drag *d = wl_container_of(listener, d, icon_commit);

	icon_update(d);
}

static void handle_icon_map(struct wl_listener *listener, void *data)
{
	struct cl_drag *d = wl_container_of(listener, d, icon_map);

	icon_update(d);
}

static void handle_icon_unmap(struct wl_listener *listener, void *data)
{
	struct cl_drag *d = wl_container_of(listener, d, icon_unmap);

	if (d->icon_tree)
		wlr_scene_node_set_enabled(&d->icon_tree->node, false);
}

static void icon_forget(struct cl_drag *d)
{
	wl_list_remove(&d->icon_destroy.link);
	wl_list_remove(&d->icon_commit.link);
	wl_list_remove(&d->icon_map.link);
	wl_list_remove(&d->icon_unmap.link);
	wl_list_init(&d->icon_destroy.link);
	wl_list_init(&d->icon_commit.link);
	wl_list_init(&d->icon_map.link);
	wl_list_init(&d->icon_unmap.link);
	if (d->icon_tree)
		wlr_scene_node_destroy(&d->icon_tree->node);
	d->icon_tree = NULL;
	d->icon_surface = NULL;
}

static void handle_icon_destroy(struct wl_listener *listener, void *data)
{
	struct cl_drag *d = wl_container_of(listener, d, icon_destroy);

	icon_forget(d);
}

static void handle_drag_cursor_motion(struct wl_listener *listener, void *data)
{
	struct cl_drag *d = wl_container_of(listener, d, cursor_motion);

	icon_update(d);
}

static void handle_drag_cursor_motion_absolute(struct wl_listener *listener, void *data)
{
	struct cl_drag *d = wl_container_of(listener, d, cursor_motion_absolute);

	icon_update(d);
}

/*
 * The dragging client is gone: wlroots 0.15 would keep the drag (and a
 * dangling pointer to that client when it has no source), so end it now.
 */
static void handle_drag_origin_destroy(struct wl_listener *listener, void *data)
{
	struct cl_drag *d = wl_container_of(listener, d, origin_destroy);
	struct wlr_seat *seat = d->sel->server->seat;

	wl_list_remove(&d->origin_destroy.link);
	wl_list_init(&d->origin_destroy.link);
	if (seat->keyboard_state.grab == &d->drag->keyboard_grab)
		wlr_seat_keyboard_end_grab(seat); /* its cancel destroys the drag */
}

static void handle_drag_destroy(struct wl_listener *listener, void *data)
{
	struct cl_drag *d = wl_container_of(listener, d, destroy);
	struct cl_server *server = d->sel->server;

	icon_forget(d);
	wl_list_remove(&d->destroy.link);
	wl_list_remove(&d->origin_destroy.link);
	wl_list_remove(&d->cursor_motion.link);
	wl_list_remove(&d->cursor_motion_absolute.link);
	d->drag->data = NULL;
	if (d->sel->drag == d)
		d->sel->drag = NULL;
	free(d);
	/* The grab is over: the pointer goes back to the usual rules. */
	cl_input_update_pointer_focus(server);
}

/* Sets up the icon's scene node; false on failure. */
static bool icon_init(struct cl_drag *d, struct wlr_drag_icon *icon)
{
	struct cl_server *server = d->sel->server;

	d->icon_tree = wlr_scene_tree_create(&server->scene->node);
	if (!d->icon_tree)
		return false;
	/* Above the windows, below the strips and the core's surfaces. */
	wlr_scene_node_place_below(&d->icon_tree->node, &server->layer_core->node);
	if (!wlr_scene_subsurface_tree_create(&d->icon_tree->node, icon->surface)) {
		wlr_scene_node_destroy(&d->icon_tree->node);
		d->icon_tree = NULL;
		return false;
	}
	wlr_scene_node_set_enabled(&d->icon_tree->node, false);
	d->icon_surface = icon->surface;
	wl_signal_add(&icon->events.destroy, &d->icon_destroy);
	wl_signal_add(&icon->surface->events.commit, &d->icon_commit);
	wl_signal_add(&icon->events.map, &d->icon_map);
	wl_signal_add(&icon->events.unmap, &d->icon_unmap);
	return true;
}

static struct cl_drag *cl_drag_create(struct cl_selection *sel, struct wlr_drag *drag, int slot)
{
	struct cl_server *server = sel->server;
	struct cl_drag *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->sel = sel;
	d->drag = drag;
	d->slot = slot;
	d->wlr_grab = drag->pointer_grab.interface;
	d->destroy.notify = handle_drag_destroy;
	d->origin_destroy.notify = handle_drag_origin_destroy;
	d->icon_destroy.notify = handle_icon_destroy;
	d->icon_commit.notify = handle_icon_commit;
	d->icon_map.notify = handle_icon_map;
	d->icon_unmap.notify = handle_icon_unmap;
	d->cursor_motion.notify = handle_drag_cursor_motion;
	d->cursor_motion_absolute.notify = handle_drag_cursor_motion_absolute;
	wl_list_init(&d->icon_destroy.link);
	wl_list_init(&d->icon_commit.link);
	wl_list_init(&d->icon_map.link);
	wl_list_init(&d->icon_unmap.link);
	if (drag->icon && drag->icon->surface && !icon_init(d, drag->icon)) {
		free(d);
		return NULL;
	}
	wl_signal_add(&drag->events.destroy, &d->destroy);
	wl_signal_add(&drag->seat_client->events.destroy, &d->origin_destroy);
	/* After input.c's listeners (cl_input_init adds them first): the cursor has moved. */
	wl_signal_add(&server->cursor->events.motion, &d->cursor_motion);
	wl_signal_add(&server->cursor->events.motion_absolute, &d->cursor_motion_absolute);
	drag->data = d;
	drag->pointer_grab.interface = &level_drag_grab;
	return d;
}

/*
 * Refuses DRAG before it started: wlroots 0.15 frees an unstarted drag only
 * when its source goes, so a drag without a source is freed through its
 * pointer grab's cancel (which destroys the drag and its icon); then the
 * client's source, if any, is cancelled.
 */
static void drag_refuse(struct wlr_drag *drag)
{
	struct wlr_data_source *source = drag->source;

	if (drag->pointer_grab.interface && drag->pointer_grab.interface->cancel)
		drag->pointer_grab.interface->cancel(&drag->pointer_grab);
	if (source)
		wlr_data_source_destroy(source);
}

static void handle_request_start_drag(struct wl_listener *listener, void *data)
{
	struct cl_selection *sel = wl_container_of(listener, sel, request_start_drag);
	struct cl_server *server = sel->server;
	struct wlr_seat_request_start_drag_event *ev = data;
	struct wlr_seat_client *focused_client = server->seat->keyboard_state.focused_client;
	struct wlr_surface *origin;
	const char *why = NULL;
	struct cl_drag *d;
	int slot = -1;

	if (!ev || !ev->drag)
		return;
	origin = ev->origin;
	if (sel->drag || server->seat->drag)
		why = "another drag is running";
	else if (!origin || !origin->resource || !server->focused || !focused_client ||
	         wl_resource_get_client(origin->resource) != focused_client->client ||
	         ev->drag->seat_client != focused_client)
		why = "its client does not have the keyboard focus";
	else if (!wlr_seat_validate_pointer_grab_serial(server->seat, origin, ev->serial))
		why = "no pointer button is pressed on its origin with that serial";
	else if ((slot = surface_slot(server, origin)) < 0)
		why = "its client has no level";
	if (why) {
		cl_info("drag-and-drop refused: %s", why);
		drag_refuse(ev->drag);
		return;
	}
	d = cl_drag_create(sel, ev->drag, slot);
	if (!d) {
		cl_error("drag-and-drop refused: out of memory");
		drag_refuse(ev->drag);
		return;
	}
	sel->drag = d;
	wlr_seat_start_pointer_drag(server->seat, ev->drag, ev->serial);
	/* The pointer is over the origin: the drag enters it now. */
	cl_input_update_pointer_focus(server);
	icon_update(d);
}

bool cl_selection_drag_accepts(struct cl_server *server, struct wlr_surface *surface)
{
	if (!server || !server->selection || !server->selection->drag)
		return false;
	return drag_may_enter(server->selection->drag, surface);
}

void cl_selection_init(struct cl_server *server)
{
	struct cl_selection *sel;
	int i;

	if (!server || server->selection)
		return;
	sel = calloc(1, sizeof(*sel));
	if (!sel) {
		cl_error("out of memory for the selection state");
		return;
	}
	sel->server = server;
	for (i = 0; i < N_SLOTS; i++) {
		sel->slots[i].sel = sel;
		wl_list_init(&sel->slots[i].clipboard_destroy.link);
		wl_list_init(&sel->slots[i].primary_destroy.link);
		sel->slots[i].clipboard_destroy.notify = handle_clipboard_destroy;
		sel->slots[i].primary_destroy.notify = handle_primary_destroy;
	}
	sel->request_set_selection.notify = handle_request_set_selection;
	wl_signal_add(&server->seat->events.request_set_selection, &sel->request_set_selection);
	sel->request_set_primary_selection.notify = handle_request_set_primary_selection;
	wl_signal_add(&server->seat->events.request_set_primary_selection,
	              &sel->request_set_primary_selection);
	sel->request_start_drag.notify = handle_request_start_drag;
	wl_signal_add(&server->seat->events.request_start_drag, &sel->request_start_drag);
	server->selection = sel;
}

void cl_selection_finish(struct cl_server *server)
{
	struct cl_selection *sel;
	int i;

	if (!server || !server->selection)
		return;
	sel = server->selection;
	wl_list_remove(&sel->request_set_selection.link);
	wl_list_remove(&sel->request_set_primary_selection.link);
	wl_list_remove(&sel->request_start_drag.link);
	if (sel->drag && server->seat->keyboard_state.grab == &sel->drag->drag->keyboard_grab)
		wlr_seat_keyboard_end_grab(server->seat); /* ends the drag */
	if (sel->drag) {
		struct cl_drag *d = sel->drag;

		icon_forget(d);
		wl_list_remove(&d->destroy.link);
		wl_list_remove(&d->origin_destroy.link);
		wl_list_remove(&d->cursor_motion.link);
		wl_list_remove(&d->cursor_motion_absolute.link);
		d->drag->pointer_grab.interface = d->wlr_grab;
		d->drag->data = NULL;
		free(d);
	}
	for (i = 0; i < N_SLOTS; i++) {
		wl_list_remove(&sel->slots[i].clipboard_destroy.link);
		wl_list_remove(&sel->slots[i].primary_destroy.link);
	}
	/* Proxies left with the seat forward to nothing from now on. */
	if (sel->clipboard_proxy)
		sel->clipboard_proxy->sel = NULL;
	if (sel->primary_proxy)
		sel->primary_proxy->sel = NULL;
	free(sel);
	server->selection = NULL;
}
