/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * zcloison_shell_v1: the trusted bar's view of the session (levels, cage
 * windows, focus) and its requests: set_bar (a role-less surface or an
 * xdg_toplevel), set_dialog, focus_window, release_focus, and since
 * version 2 set_notification; the secure_attention event.  Version 1
 * clients keep working: libwayland refuses a version 2 request on a version
 * 1 resource.  The global is hidden from cage clients by the
 * global filter, and the bind handler refuses any client that is not
 * trusted, in case the filter were bypassed.
 *
 * A surface given to set_bar, set_dialog or set_notification that is anything else than what
 * the request accepts is the protocol error invalid_surface (for the bar
 * client only).  An xdg_toplevel named before its first commit has no view
 * yet: its role waits in a short list (at most MAX_PENDING_ROLES) until
 * view.c creates the view.
 */
#include "cloison-build-config.h"

#include <errno.h>
#include <stdlib.h>
#include <wlr/types/wlr_xdg_shell.h>

#include "cloison-shell-unstable-v1-protocol.h"
#include "log.h"
#include "server.h"

#define SHELL_VERSION     2
#define MAX_PENDING_ROLES 16

struct cl_shell {
	struct cl_server *server;
	struct wl_global *global;
	struct wl_list resources;         // wl_resource link
	struct wl_resource *bar_resource; /* set_bar with a toplevel came from it */
	struct wl_list pending_roles;     // struct pending_role.link
	int n_pending_roles;
};

/* set_bar or set_dialog on a toplevel that has no view yet. */
struct pending_role {
	struct cl_shell *shell;
	struct wlr_surface *surface;
	enum cl_view_role role;
	struct wl_listener surface_destroy;
	struct wl_list link; // struct cl_shell.pending_roles
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

static void pending_role_free(struct pending_role *pending)
{
	wl_list_remove(&pending->surface_destroy.link);
	wl_list_remove(&pending->link);
	pending->shell->n_pending_roles--;
	free(pending);
}

static void handle_pending_surface_destroy(struct wl_listener *listener, void *data)
{
	struct pending_role *pending = wl_container_of(listener, pending, surface_destroy);

	pending_role_free(pending);
}

static struct pending_role *pending_role_find(struct cl_shell *shell, struct wlr_surface *surface)
{
	struct pending_role *pending;

	wl_list_for_each (pending, &shell->pending_roles, link) {
		if (pending->surface == surface)
			return pending;
	}
	return NULL;
}

enum cl_view_role cl_shell_take_pending_role(struct cl_server *server, struct wlr_surface *surface)
{
	struct pending_role *pending;
	enum cl_view_role role;

	if (!server->shell || !surface)
		return CL_ROLE_CORE_NONE;
	pending = pending_role_find(server->shell, surface);
	if (!pending)
		return CL_ROLE_CORE_NONE;
	role = pending->role;
	pending_role_free(pending);
	return role;
}

/*
 * The xdg_surface made from SURFACE, if any, even one without a role yet
 * (wlroots gives the wl_surface its role only with get_toplevel/get_popup).
 */
static struct wlr_xdg_surface *find_xdg_surface(struct cl_server *server,
                                                struct wlr_surface *surface)
{
	struct wlr_xdg_client *xc;
	struct wlr_xdg_surface *xdg;

	if (!surface || !server->xdg_shell)
		return NULL;
	if (wlr_surface_is_xdg_surface(surface))
		return wlr_xdg_surface_from_wlr_surface(surface);
	wl_list_for_each (xc, &server->xdg_shell->clients, link) {
		wl_list_for_each (xdg, &xc->surfaces, link) {
			if (xdg->surface == surface)
				return xdg;
		}
	}
	return NULL;
}

/*
 * The xdg_toplevel of SURFACE, or NULL after posting invalid_surface on
 * RESOURCE: the request accepts only the trusted client's toplevels.
 */
static struct wlr_xdg_surface *toplevel_or_error(struct cl_shell *shell,
                                                 struct wl_resource *resource,
                                                 struct wl_resource *surface_resource,
                                                 const char *request)
{
	struct wlr_surface *surface = wlr_surface_from_resource(surface_resource);
	struct wlr_xdg_surface *xdg = find_xdg_surface(shell->server, surface);

	if (!xdg || xdg->role != WLR_XDG_SURFACE_ROLE_TOPLEVEL || !xdg->toplevel) {
		wl_resource_post_error(resource, ZCLOISON_SHELL_V1_ERROR_INVALID_SURFACE,
		                       "%s: wl_surface@%u is not an xdg_toplevel", request,
		                       wl_resource_get_id(surface_resource));
		return NULL;
	}
	return xdg;
}

/*
 * Give the trusted toplevel XDG the core ROLE, now or when its view exists
 * (first commit).  false after posting invalid_surface.
 */
static bool give_core_role(struct cl_shell *shell, struct wl_resource *resource,
                           struct wlr_xdg_surface *xdg, enum cl_view_role role, const char *request)
{
	struct cl_view *view = cl_view_from_surface(shell->server, xdg->surface);
	struct pending_role *pending;

	if (view) {
		if (cl_view_set_core_role(view, role) < 0) {
			wl_resource_post_error(resource, ZCLOISON_SHELL_V1_ERROR_INVALID_SURFACE,
			                       "%s: window %u already has the role %s", request,
			                       view->id, cl_view_role_name(view));
			return false;
		}
		return true;
	}
	pending = pending_role_find(shell, xdg->surface);
	if (pending) {
		if (pending->role != role) {
			wl_resource_post_error(resource, ZCLOISON_SHELL_V1_ERROR_INVALID_SURFACE,
			                       "%s: this xdg_toplevel already has another role",
			                       request);
			return false;
		}
		return true;
	}
	if (shell->n_pending_roles >= MAX_PENDING_ROLES) {
		wl_resource_post_error(resource, ZCLOISON_SHELL_V1_ERROR_INVALID_SURFACE,
		                       "%s: more than %d toplevels named before their first "
		                       "commit",
		                       request, MAX_PENDING_ROLES);
		return false;
	}
	pending = calloc(1, sizeof(*pending));
	if (!pending) {
		wl_resource_post_no_memory(resource);
		return false;
	}
	pending->shell = shell;
	pending->surface = xdg->surface;
	pending->role = role;
	pending->surface_destroy.notify = handle_pending_surface_destroy;
	wl_signal_add(&xdg->surface->events.destroy, &pending->surface_destroy);
	wl_list_insert(&shell->pending_roles, &pending->link);
	shell->n_pending_roles++;
	return true;
}

static void shell_handle_set_bar(struct wl_client *client, struct wl_resource *resource,
                                 struct wl_resource *surface_resource)
{
	struct cl_shell *shell = wl_resource_get_user_data(resource);
	struct cl_server *server;
	struct wlr_surface *surface;

	if (!shell)
		return; /* the compositor is shutting down */
	server = shell->server;
	surface = wlr_surface_from_resource(surface_resource);
	if (!surface)
		return;
	if (find_xdg_surface(server, surface)) {
		struct wlr_xdg_surface *xdg =
		        toplevel_or_error(shell, resource, surface_resource, "set_bar");

		if (!xdg || !give_core_role(shell, resource, xdg, CL_ROLE_BAR, "set_bar"))
			return;
		if (server->bar_surface)
			cl_outputs_set_bar_surface(server, NULL);
		shell->bar_resource = resource;
		cl_info("the bar gave its xdg_toplevel; it replaces the fallback strip when "
		        "mapped");
		return;
	}
	if (!cl_output_surface_can_be_bar(surface)) {
		wl_resource_post_error(resource, ZCLOISON_SHELL_V1_ERROR_INVALID_SURFACE,
		                       "set_bar: wl_surface@%u already has another role",
		                       wl_resource_get_id(surface_resource));
		return;
	}
	/* A role-less bar replaces a toplevel one. */
	if (server->bar_view)
		cl_view_set_core_role(server->bar_view, CL_ROLE_CORE_NONE);
	shell->bar_resource = NULL;
	cl_info("the bar gave its surface; it replaces the fallback strip");
	cl_outputs_set_bar_surface(server, surface);
}

static void shell_handle_set_dialog(struct wl_client *client, struct wl_resource *resource,
                                    struct wl_resource *surface_resource)
{
	struct cl_shell *shell = wl_resource_get_user_data(resource);
	struct wlr_xdg_surface *xdg;

	if (!shell)
		return;
	xdg = toplevel_or_error(shell, resource, surface_resource, "set_dialog");
	if (xdg && give_core_role(shell, resource, xdg, CL_ROLE_DIALOG, "set_dialog"))
		cl_debug("bar: wl_surface@%u is a dialog", wl_resource_get_id(surface_resource));
}

static void shell_handle_set_notification(struct wl_client *client, struct wl_resource *resource,
                                          struct wl_resource *surface_resource)
{
	struct cl_shell *shell = wl_resource_get_user_data(resource);
	struct wlr_xdg_surface *xdg;

	if (!shell)
		return;
	xdg = toplevel_or_error(shell, resource, surface_resource, "set_notification");
	if (xdg && give_core_role(shell, resource, xdg, CL_ROLE_NOTIFICATION, "set_notification"))
		cl_debug("bar: wl_surface@%u is a notification toplevel",
		         wl_resource_get_id(surface_resource));
}

static void shell_handle_release_focus(struct wl_client *client, struct wl_resource *resource)
{
	struct cl_shell *shell = wl_resource_get_user_data(resource);

	if (shell)
		cl_view_release_bar_focus(shell->server);
}

bool cl_shell_send_secure_attention(struct cl_server *server)
{
	struct cl_shell *shell = server->shell;

	if (!shell || !shell->bar_resource)
		return false;
	zcloison_shell_v1_send_secure_attention(shell->bar_resource);
	return true;
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
        .set_dialog = shell_handle_set_dialog,
        .release_focus = shell_handle_release_focus,
        .set_notification = shell_handle_set_notification,
};

static void shell_resource_destroy(struct wl_resource *resource)
{
	struct cl_shell *shell = wl_resource_get_user_data(resource);

	if (shell && shell->bar_resource == resource)
		shell->bar_resource = NULL;
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
	wl_list_init(&shell->pending_roles);
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
	struct pending_role *pending, *ptmp;

	if (!shell)
		return;
	server->shell = NULL;
	wl_list_for_each_safe (pending, ptmp, &shell->pending_roles, link)
		pending_role_free(pending);
	shell->bar_resource = NULL;
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
