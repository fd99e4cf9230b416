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
 * Drag-and-drop: only drags without data (a client's internal drag, which
 * wlroots offers to that client's own surfaces only) are allowed, and only
 * from the focused window; a drag carrying a data source is refused, so that
 * nothing can be dropped into a window of another level.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wlr/types/wlr_data_device.h>
#include <wlr/types/wlr_primary_selection.h>

#include "log.h"
#include "server.h"

#define CORE_SLOT CL_MAX_LEVELS
#define N_SLOTS   (CL_MAX_LEVELS + 1)

struct cl_selection;

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
};

/* Slot of a view's level; the core slot for trusted windows. */
static int view_slot(struct cl_server *server, const struct cl_view *view)
{
	const ClLevel *level;
	guint i;

	if (!view || view->trusted || !view->cage || !view->cage->level)
		return CORE_SLOT;
	level = view->cage->level;
	for (i = 0; server->config && i < server->config->levels->len && i < CL_MAX_LEVELS; i++) {
		if (g_ptr_array_index(server->config->levels, i) == level)
			return (int)i;
	}
	return -1;
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

static void handle_request_start_drag(struct wl_listener *listener, void *data)
{
	struct cl_selection *sel = wl_container_of(listener, sel, request_start_drag);
	struct cl_server *server = sel->server;
	struct wlr_seat_request_start_drag_event *ev = data;
	struct wlr_surface *focused_surface;

	if (!ev || !ev->drag)
		return;
	focused_surface = server->focused && server->focused->xdg_surface
	                          ? server->focused->xdg_surface->surface
	                          : NULL;
	if (!ev->drag->source && ev->origin && focused_surface && ev->origin->resource &&
	    focused_surface->resource &&
	    wl_resource_get_client(ev->origin->resource) ==
	            wl_resource_get_client(focused_surface->resource) &&
	    wlr_seat_validate_pointer_grab_serial(server->seat, ev->origin, ev->serial)) {
		wlr_seat_start_pointer_drag(server->seat, ev->drag, ev->serial);
		return;
	}
	cl_info("drag-and-drop with data refused (drags never cross levels)");
	if (ev->drag->source)
		wlr_data_source_destroy(ev->drag->source);
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
