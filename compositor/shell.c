/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * zcloison_shell_v1: the trusted bar's view of the session (levels, cage
 * windows, focus) and its two requests (set_bar, focus_window).  The global
 * is hidden from cage clients by the global filter, and the bind handler
 * refuses any client that is not trusted, in case the filter were bypassed.
 */
#include "cloison-build-config.h"

#include <errno.h>
#include <stdlib.h>

#include "cloison-shell-unstable-v1-protocol.h"
#include "log.h"
#include "server.h"

#define SHELL_VERSION 1

struct cl_shell {
	struct cl_server *server;
	struct wl_global *global;
	struct wl_list resources; // wl_resource link
};

static const char *nonnull(const char *s)
{
	return s ? s : "";
}

static bool view_is_cage_window(struct cl_view *view)
{
	return view->client && view->client->cage && view->xdg_surface &&
	       view->xdg_surface->role == WLR_XDG_SURFACE_ROLE_TOPLEVEL;
}

static void send_window(struct wl_resource *resource, struct cl_view *view)
{
	const ClCage *cage = view->client->cage;

	zcloison_shell_v1_send_window(resource, view->id, cage->id,
	                              cage->level ? cage->level->id : "", nonnull(view->title),
	                              nonnull(view->app_id));
}

static void send_focus(struct cl_server *server, struct wl_resource *resource)
{
	struct cl_view *view = server->focused;

	if (view && view_is_cage_window(view))
		zcloison_shell_v1_send_focus(
		        resource, view->id,
		        view->client->cage->level ? view->client->cage->level->id : "");
	else
		zcloison_shell_v1_send_focus(resource, 0, "");
}

static void shell_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void shell_handle_set_bar(struct wl_client *client, struct wl_resource *resource,
                                 struct wl_resource *surface_resource)
{
	struct cl_shell *shell = wl_resource_get_user_data(resource);
	struct wlr_surface *surface;

	if (!shell)
		return; /* the compositor is shutting down */
	surface = wlr_surface_from_resource(surface_resource);
	if (!surface)
		return;
	if (!cl_output_surface_can_be_bar(surface)) {
		wl_resource_post_error(resource, 0, "wl_surface@%u already has a role",
		                       wl_resource_get_id(surface_resource));
		return;
	}
	cl_info("the bar gave its surface; it replaces the fallback strip");
	cl_outputs_set_bar_surface(shell->server, surface);
}

static void shell_handle_focus_window(struct wl_client *client, struct wl_resource *resource,
                                      uint32_t id)
{
	struct cl_shell *shell = wl_resource_get_user_data(resource);
	struct cl_view *view;

	if (!shell)
		return;
	view = cl_view_from_id(shell->server, id);
	if (!view) {
		cl_debug("bar: focus_window %u: no such window", id);
		return;
	}
	cl_view_focus(view);
}

static const struct zcloison_shell_v1_interface shell_impl = {
        .destroy = shell_handle_destroy,
        .set_bar = shell_handle_set_bar,
        .focus_window = shell_handle_focus_window,
};

static void shell_resource_destroy(struct wl_resource *resource)
{
	wl_list_remove(wl_resource_get_link(resource));
}

static void shell_bind(struct wl_client *wl_client, void *data, uint32_t version, uint32_t id)
{
	struct cl_shell *shell = data;
	struct cl_server *server = shell->server;
	struct cl_client *client = cl_client_from_wl_client(wl_client);
	struct wl_resource *resource;
	struct cl_view *view;

	if (!client || !client->trusted) {
		/* The filter hides the global; this is the second lock. */
		cl_warn("cage %s: tried to bind zcloison_shell_v1; disconnecting it",
		        client && client->cage ? client->cage->id : "?");
		wl_client_post_implementation_error(wl_client,
		                                    "zcloison_shell_v1 is not for this client");
		return;
	}

	resource = wl_resource_create(wl_client, &zcloison_shell_v1_interface,
	                              version < SHELL_VERSION ? (int)version : SHELL_VERSION, id);
	if (!resource) {
		wl_client_post_no_memory(wl_client);
		return;
	}
	wl_resource_set_implementation(resource, &shell_impl, shell, shell_resource_destroy);
	wl_list_insert(&shell->resources, wl_resource_get_link(resource));

	for (guint i = 0; server->config && i < server->config->levels->len; i++) {
		const ClLevel *level = g_ptr_array_index(server->config->levels, i);
		uint32_t colour = ((uint32_t)level->rgb[0] << 16) | ((uint32_t)level->rgb[1] << 8) |
		                  level->rgb[2];

		zcloison_shell_v1_send_level(resource, level->id, level->label, colour,
		                             level->rank);
	}
	wl_list_for_each (view, &server->views, link)
		if (view->mapped && view_is_cage_window(view))
			send_window(resource, view);
	send_focus(server, resource);
	zcloison_shell_v1_send_done(resource);
}

int cl_shell_create(struct cl_server *server)
{
	struct cl_shell *shell = calloc(1, sizeof(*shell));

	if (!shell)
		return -ENOMEM;
	shell->server = server;
	wl_list_init(&shell->resources);
	shell->global = wl_global_create(server->display, &zcloison_shell_v1_interface,
	                                 SHELL_VERSION, shell, shell_bind);
	if (!shell->global) {
		free(shell);
		cl_error("cannot create the zcloison_shell_v1 global");
		return -ENOMEM;
	}
	server->shell = shell;
	return 0;
}

void cl_shell_destroy(struct cl_server *server)
{
	struct cl_shell *shell = server->shell;
	struct wl_resource *resource, *tmp;

	if (!shell)
		return;
	server->shell = NULL;
	/* Remaining resources (normally none: clients are gone) become inert. */
	wl_resource_for_each_safe(resource, tmp, &shell->resources)
	{
		wl_resource_set_user_data(resource, NULL);
		wl_list_remove(wl_resource_get_link(resource));
		wl_list_init(wl_resource_get_link(resource));
	}
	wl_global_destroy(shell->global);
	free(shell);
}

void cl_shell_window_changed(struct cl_server *server, struct cl_view *view)
{
	struct wl_resource *resource;

	if (!server->shell || !view || !view_is_cage_window(view))
		return;
	wl_resource_for_each(resource, &server->shell->resources)
	{
		send_window(resource, view);
		zcloison_shell_v1_send_done(resource);
	}
}

void cl_shell_window_closed(struct cl_server *server, uint32_t id)
{
	struct wl_resource *resource;

	if (!server->shell)
		return;
	wl_resource_for_each(resource, &server->shell->resources)
	{
		zcloison_shell_v1_send_window_closed(resource, id);
		zcloison_shell_v1_send_done(resource);
	}
}

void cl_shell_focus_changed(struct cl_server *server)
{
	struct wl_resource *resource;

	if (!server->shell)
		return;
	wl_resource_for_each(resource, &server->shell->resources)
	{
		send_focus(server, resource);
		zcloison_shell_v1_send_done(resource);
	}
}
