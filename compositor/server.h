/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cloison-compositor: shared structures.  One struct per object (tinywl /
 * cage style), listeners named handle_<event>, every destroy handler removes
 * every listener it added, lists commented with the struct whose link they
 * hold.  See docs/compositor.md.
 *
 * Module map (each module owns its functions; server.h is the contract):
 *   server.c    cl_server_create/destroy/run: display, backend, renderer,
 *               allocator, scene, output layout, seat, protocols
 *   output.c    outputs, frames, the bar strip, screenshot buffers
 *   clients.c   per-cage listening sockets, client tagging, global filter
 *   view.c      xdg toplevels and popups: placement, limits, focus; the
 *               core views (the bar's toplevel, trusted dialogs)
 *   frame.c     server-side frame: border rects and the title buffer
 *   coreframe.c the hatched core frame around the bar's trusted dialogs
 *   input.c     keyboard, pointer, secure attention key, synthetic input
 *   ctl.c       the control socket (JSON) used by cloison-ctl
 *   notify.c    security events to cloison-notifyd on the core bus
 */
#pragma once

#define WLR_USE_UNSTABLE 1

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <wayland-server-core.h>
#include <wlr/backend.h>
#include <wlr/render/allocator.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_cursor.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_xcursor_manager.h>
#include <wlr/types/wlr_xdg_decoration_v1.h>
#include <wlr/types/wlr_xdg_shell.h>

#include "config.h"

/* Height of the bar strip reserved at the top of every output, in pixels. */
#define CL_BAR_HEIGHT 28
/* Frame around every cage toplevel. */
#define CL_FRAME_BORDER   4
#define CL_FRAME_TITLEBAR 24
/* Core frame around the trusted dialogs and notifications (coreframe.c): hatched, never a level's.
 */
#define CL_CORE_FRAME_BORDER   8
#define CL_CORE_FRAME_TITLEBAR 28
/* Gap between a notification's core frame and the work area's top-right corner. */
#define CL_NOTIFICATION_MARGIN 8
/* Title text: characters kept after sanitising. */
#define CL_TITLE_MAX_CHARS 256

/* Per-client bounds (a hostile client is disconnected when it passes one). */
#define CL_MAX_TOPLEVELS_PER_CLIENT 64
#define CL_MAX_POPUPS_PER_CLIENT    64
#define CL_MAX_SURFACE_SIZE         8192 /* width or height in pixels */
#define CL_MAX_CLIENTS_PER_CAGE     128

struct cl_server;

/* A cage's listening Wayland socket. */
struct cl_cage_socket {
	struct cl_server *server;
	const ClCage *cage;
	char *path;
	int fd;
	struct wl_event_source *source;
	int n_clients;
	struct wl_event_source *resume_timer; /* accept() paused after EMFILE */
	unsigned n_refused;                   /* connections refused (client cap) */
	dev_t dev;                            /* the socket file we bound */
	ino_t ino;
	struct wl_list link; // struct cl_server.cage_sockets
};

/*
 * What the compositor knows about a client: its cage, from the socket it
 * connected through (NULL for the trusted bar client).  Found again with
 * cl_client_from_wl_client().
 */
struct cl_client {
	struct wl_client *wl_client;
	struct cl_cage_socket *socket; /* NULL: trusted core client */
	const ClCage *cage;            /* NULL: trusted core client */
	bool trusted;
	int n_toplevels;
	int n_popups;
	bool binding;      /* notify.c: its wl_registry.bind is being handled */
	bool event_posted; /* notify.c: its security event is posted (one per client) */
	struct wl_listener destroy;
	/*
	 * libwayland 1.21 runs client destroy listeners before it destroys the
	 * client's resources: a cl_client outlives its wl_client until the next
	 * idle (dead, wl_client NULL) so that resource destructors may still
	 * use view->client.  cl_client_from_wl_client() never returns it then.
	 */
	struct cl_server *server;
	bool dead;
	struct wl_list link; // struct cl_server.clients
};

struct cl_output {
	struct cl_server *server;
	struct wlr_output *wlr_output;
	struct wlr_scene_rect *strip;         /* fallback bar strip (level colour) */
	struct wlr_scene_buffer *strip_label; /* fallback strip label */
	const ClLevel *strip_level;           /* level the label shows */
	int strip_width;                      /* strip width the label was made for */
	/*
	 * The last committed frame, for screenshots.  A buffer the compositor
	 * rendered into itself is only referenced (last_frame_destroy clears
	 * it), so that the swapchain may draw the next frame into it again:
	 * locked, it would make the swapchain allocate a second output-sized
	 * buffer.  Any other buffer (a client's, shown by scan-out) is locked.
	 */
	struct wlr_buffer *last_frame;
	bool last_frame_locked;
	struct wl_listener last_frame_destroy;
	bool scene_scanout;        /* the scene showed the last frame by scan-out */
	uint64_t frames;           /* frames committed */
	uint64_t first_frame_usec; /* CLOCK_MONOTONIC of the first one */
	struct wl_listener frame;
	struct wl_listener commit;
	struct wl_listener destroy;
	struct wl_list link; // struct cl_server.outputs
};

/*
 * What a toplevel is: a cage window, or one of the trusted client's core
 * surfaces (zcloison_shell_v1): the bar, a dialog, or not yet either (not
 * shown until it becomes one).
 */
enum cl_view_role {
	CL_ROLE_WINDOW = 0,
	CL_ROLE_CORE_NONE,
	CL_ROLE_BAR,
	CL_ROLE_DIALOG,
	CL_ROLE_NOTIFICATION, /* the bar's notification popups (shell version 2) */
};

struct cl_view {
	struct cl_server *server;
	uint32_t id;              /* stable, shown by cloison-ctl */
	struct cl_client *client; /* its cage */
	struct wlr_xdg_surface *xdg_surface;
	struct wlr_scene_tree *tree; /* frame + surface */
	struct wlr_scene_node *surface_node;
	struct cl_frame *frame;
	char *title;  /* sanitised */
	char *app_id; /* sanitised */
	int x, y;     /* position of the frame's outer top-left corner */
	bool mapped;
	bool maximized, fullscreen;
	struct wl_listener map;
	struct wl_listener unmap;
	struct wl_listener destroy;
	struct wl_listener commit;
	struct wl_listener set_title;
	struct wl_listener set_app_id;
	struct wl_listener request_maximize;
	struct wl_listener request_fullscreen;
	struct wl_listener request_move;
	struct wl_listener request_resize;
	struct wl_list link; // struct cl_server.views (front first)

	/* view.c state (added). */
	const ClCage *cage;     /* copy of client->cage, still valid once the client is gone */
	bool trusted;           /* core client: no frame, placed in layer_core */
	struct wlr_box content; /* shown part of the surface (surface coordinates) */
	struct wlr_box restore; /* frame position and content size before maximize/fullscreen */
	struct wl_listener client_destroy;    /* sets client to NULL */
	struct wl_event_source *changed_idle; /* coalesces title/app_id updates */
	struct wlr_scene_tree *popups;        /* above the frame, at the surface's origin */

	/* Core surfaces (view.c, "Core views"). */
	enum cl_view_role role;
	struct cl_core_frame *core_frame; /* dialogs and notifications only */
	bool bar_too_large;               /* the bar's surface reaches out of the strip */
};

struct cl_keyboard {
	struct cl_server *server;
	struct wlr_input_device *device;
	struct wl_listener modifiers;
	struct wl_listener key;
	struct wl_listener destroy;
	struct wl_list link; // struct cl_server.keyboards
};

/* Where the compositor shows its outputs (docs/compositor.md, "Backends"). */
enum cl_backend_kind {
	CL_BACKEND_AUTO, /* resolved by cl_backend_choose() */
	CL_BACKEND_HEADLESS,
	CL_BACKEND_WAYLAND, /* a window on the parent Wayland compositor */
	CL_BACKEND_X11,     /* a window on the parent X server */
	CL_BACKEND_DRM,     /* DRM/KMS and libinput through a libseat session */
};

struct cl_server {
	const ClConfig *config;
	enum cl_backend_kind backend_kind;
	bool test_input;       /* --test-input: synthetic input allowed on ctl */
	char *runtime_dir;     /* $XDG_RUNTIME_DIR/cloison */
	char *xdg_runtime_dir; /* $XDG_RUNTIME_DIR */
	int runtime_fd;        /* O_DIRECTORY fd on runtime_dir */
	int lock_fd;           /* core/compositor.lock, flock()ed while we run */
	int ready_fd;          /* --ready-fd until readiness is signalled, else -1 */
	struct rlimit nofile;  /* RLIMIT_NOFILE we started with (restored in children) */

	struct wl_display *display;
	struct wl_event_loop *loop;
	struct wlr_backend *backend;
	struct wlr_backend *headless;    /* the headless backend, when used (synthetic input) */
	struct wlr_session *session;     /* DRM only: the libseat session */
	int nested_width, nested_height; /* size asked for a nested window */
	struct wlr_renderer *renderer;
	struct wlr_allocator *allocator;
	struct wlr_compositor *compositor;
	struct wlr_scene *scene;
	struct wlr_scene_tree *layer_views; /* cage windows */
	struct wlr_scene_tree *layer_core;  /* bar strip and core surfaces, always on top */
	struct wlr_output_layout *output_layout;
	struct wlr_xdg_shell *xdg_shell;
	struct wlr_xdg_decoration_manager_v1 *decoration_manager;
	struct wlr_seat *seat;
	struct wlr_cursor *cursor;
	struct wlr_xcursor_manager *cursor_manager;

	struct wl_list cage_sockets; // struct cl_cage_socket.link
	struct wl_list outputs;      // struct cl_output.link
	struct wl_list views;        // struct cl_view.link
	struct wl_list keyboards;    // struct cl_keyboard.link
	struct wl_list clients;      // struct cl_client.link (live and dead)
	struct wl_event_source *reap_idle;
	struct cl_view *focused;
	uint32_t next_view_id;

	/* Synthetic input devices (headless, --test-input only). */
	struct wlr_input_device *test_keyboard;
	struct wlr_input_device *test_pointer;

	struct cl_ctl *ctl;
	struct cl_input *input;         /* input.c: pointer grab, secure attention key */
	struct cl_selection *selection; /* selection.c: selections kept per level */
	struct cl_bar *bar;             /* clients.c: the trusted bar client (--bar), or NULL */
	struct cl_shell *shell;         /* shell.c: the zcloison_shell_v1 global */
	struct cl_notify *notify;       /* notify.c: security events, or NULL (no core bus) */
	/* The bar's surface (zcloison_shell_v1.set_bar); NULL: fallback strip. */
	struct wlr_surface *bar_surface;
	struct wlr_scene_node *bar_node; /* in layer_core */
	struct wl_listener bar_surface_destroy;
	/* The bar as an xdg_toplevel (set_bar), or NULL; its tree replaces bar_node. */
	struct cl_view *bar_view;
	/* In layer_core, below the bar and the strips: the trusted dialogs. */
	struct wlr_scene_tree *layer_dialogs;
	/* In layer_core, below the dialogs: the bar's notification popups. */
	struct wlr_scene_tree *layer_notifications;
	/* Views to give the focus back to (ids, 0: none): see view.c "Core views". */
	uint32_t bar_return_id;    /* focused before the bar or a notification took the focus */
	uint32_t dialog_return_id; /* cage window focused before a dialog took it */
	struct wl_event_source *sigterm, *sigint;

	struct wl_listener new_output;
	struct wl_listener new_input;
	struct wl_listener new_xdg_surface;
	struct wl_listener new_decoration;
	struct wl_listener layout_change;
	struct wl_listener cursor_motion;
	struct wl_listener cursor_motion_absolute;
	struct wl_listener cursor_button;
	struct wl_listener cursor_axis;
	struct wl_listener cursor_frame;
	struct wl_listener request_set_selection;
	struct wl_listener request_set_primary_selection;
	struct wl_listener request_start_drag;
	struct wl_listener request_cursor;
};

struct cl_server_options {
	const ClConfig *config;
	enum cl_backend_kind backend; /* CL_BACKEND_AUTO: cl_backend_choose() decides */
	int width, height;            /* headless output or nested window size */
	bool test_input;
	int ready_fd;            /* write "READY=1\n" here once every socket listens, or -1 */
	const char *bar_command; /* --bar: trusted bar client (shell syntax), or NULL */
};

/* server.c */
/* KIND, or for CL_BACKEND_AUTO the backend the environment asks for. */
enum cl_backend_kind cl_backend_choose(enum cl_backend_kind kind);
const char *cl_backend_name(enum cl_backend_kind kind);
/* "headless", "wayland"…: the kind, or -EINVAL. */
int cl_backend_from_name(const char *name, enum cl_backend_kind *kind);
struct cl_server *cl_server_create(const struct cl_server_options *opts);
int cl_server_run(struct cl_server *server);
void cl_server_destroy(struct cl_server *server);
/* The level shown in the bar strip: the focused window's, else the lowest. */
const ClLevel *cl_server_focused_level(struct cl_server *server);
/* Free the cl_clients of departed clients at the next idle (clients.c calls it). */
void cl_server_schedule_reap(struct cl_server *server);

/* clients.c */
int cl_cage_sockets_create(struct cl_server *server);
void cl_cage_sockets_destroy(struct cl_server *server);
struct cl_client *cl_client_from_wl_client(struct wl_client *client);
bool cl_global_filter(const struct wl_client *client, const struct wl_global *global, void *data);
/* The trusted bar client over a socketpair, restarted with backoff when it dies. */
int cl_bar_start(struct cl_server *server, const char *command);
void cl_bar_stop(struct cl_server *server);

/*
 * notify.c: security events (docs/notify-events.md).  Nothing exists and
 * nothing is posted unless $CLOISON_CORE_BUS_ADDRESS is set; each call is a
 * no-op then.  One event per client at most; coalesced per cage and category.
 */
int cl_notify_create(struct cl_server *server);
void cl_notify_destroy(struct cl_server *server);
/* A cage client is disconnected for a protocol error on INTERFACE. */
void cl_notify_protocol_error(struct cl_server *server, struct cl_client *client,
                              const char *interface, uint32_t code, const char *message);
/* A cage client tried to bind INTERFACE, a global it is not shown. */
void cl_notify_hidden_global(struct cl_server *server, struct cl_client *client,
                             const char *interface);
/*
 * CAGE hit a limit, said by the translated phrase FMT…: CLIENT is
 * disconnected for it, or NULL when a new connection of CAGE was refused.
 * Call it before posting the protocol error that disconnects CLIENT.
 */
void cl_notify_limit(struct cl_server *server, struct cl_client *client, const ClCage *cage,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* output.c */
void cl_output_create(struct cl_server *server, struct wlr_output *wlr_output);
/*
 * Usable area below the bar strip (layout coordinates): of the whole layout
 * (its bounding box), of one output, or of the output at or closest to a
 * point of the layout.
 */
void cl_server_work_area(struct cl_server *server, struct wlr_box *box);
void cl_output_work_area(struct cl_output *output, struct wlr_box *box);
void cl_server_work_area_at(struct cl_server *server, double lx, double ly, struct wlr_box *box);
/* OUTPUT's bar strip (layout coordinates); false when it is not in the layout. */
bool cl_output_strip_box(struct cl_output *output, struct wlr_box *box);
void cl_outputs_update_strip(struct cl_server *server);
/* PNG of an output's last frame (OUTPUT_NAME, or NULL: the first); 0 or -errno. */
int cl_output_screenshot(struct cl_server *server, const char *path, const char *output_name);
/* Drops OUTPUT's last frame: its buffer no longer holds what was committed. */
void cl_output_forget_last_frame(struct cl_output *output);
/*
 * Test-only (headless with --test-input, else -EPERM): add a headless output
 * of WIDTH x HEIGHT (placed right of the others by the layout), or remove
 * output NAME (never the last).  0 or -errno.
 */
#define CL_TEST_MAX_OUTPUTS 4
int cl_output_test_add(struct cl_server *server, int width, int height);
int cl_output_test_remove(struct cl_server *server, const char *name);
/* Show SURFACE (trusted bar) in the strip instead of the fallback; NULL: fallback. */
void cl_outputs_set_bar_surface(struct cl_server *server, struct wlr_surface *surface);
/* Whether SURFACE may become the bar (it has no other role). */
bool cl_output_surface_can_be_bar(struct wlr_surface *surface);
void cl_outputs_destroy(struct cl_server *server);

/* render.c */
/* Renders and commits OUTPUT's frame, painting nothing that is hidden. */
bool cl_render_output(struct cl_output *output, struct wlr_scene_output *scene_output);
/* Whether OUTPUT's renderer (render.c, not the scene's) has drawn into BUFFER. */
bool cl_render_drew_into(struct wlr_output *output, struct wlr_buffer *buffer);

/* view.c */
void cl_view_create(struct cl_server *server, struct wlr_xdg_surface *xdg_surface);
void cl_view_focus(struct cl_view *view);
void cl_view_close(struct cl_view *view);
struct cl_view *cl_view_at(struct cl_server *server, double lx, double ly,
                           struct wlr_surface **surface, double *sx, double *sy);
struct cl_view *cl_view_from_id(struct cl_server *server, uint32_t id);
/* Title text for frames and cloison-ctl: valid UTF-8, no controls, capped. */
char *cl_sanitize_title(const char *title, size_t max_chars);
/* Keyboard focus to no window (secure attention key, focused window gone). */
void cl_view_focus_clear(struct cl_server *server);
/* Frame insets of VIEW: border and title bar around the content (0 for core windows). */
void cl_view_get_insets(const struct cl_view *view, int *left, int *top, int *right, int *bottom);
/* Move VIEW's frame to (x, y), clamped to the work area. */
void cl_view_move(struct cl_view *view, int x, int y);
/* Ask VIEW for a content size (clamped to the work area). */
void cl_view_resize(struct cl_view *view, int width, int height);
/* The work area changed (outputs added, removed, resized): refit every window. */
void cl_views_relayout(struct cl_server *server);
/* The view of SURFACE, if it is a toplevel's (NULL otherwise). */
struct cl_view *cl_view_from_surface(struct cl_server *server, struct wlr_surface *surface);
/*
 * Core views (zcloison_shell_v1): make the trusted toplevel VIEW the bar or a
 * dialog (CL_ROLE_BAR, CL_ROLE_DIALOG), or the bar no longer the bar
 * (CL_ROLE_CORE_NONE).  0, or -EINVAL when VIEW is not a trusted toplevel or
 * already has another role.
 */
int cl_view_set_core_role(struct cl_view *view, enum cl_view_role role);
/* "window", "bar", "dialog", "notification" or "none" (a core toplevel that is none of them). */
const char *cl_view_role_name(const struct cl_view *view);
/*
 * Secure attention with a toplevel bar: keyboard focus to the bar (true), or
 * false when there is no shown toplevel bar.
 */
bool cl_view_focus_bar(struct cl_server *server);
/*
 * The bar gives the focus back (from the bar or a notification that has
 * it): to the view focused before, else to none.
 */
void cl_view_release_bar_focus(struct cl_server *server);
/* Place the bar view in the first output's strip (output.c calls it). */
void cl_view_place_bar(struct cl_server *server, const struct wlr_box *strip);

/*
 * coreframe.c: the hatched frame of trusted dialogs and notifications, drawn
 * by the compositor; LABEL (translated by the caller) on its top band.
 */
struct cl_core_frame *cl_core_frame_create(struct wlr_scene_tree *parent, const char *label);
/* Frame around a content of WIDTH x HEIGHT, the frame's top-left at (0, 0). */
void cl_core_frame_update(struct cl_core_frame *frame, int width, int height);
void cl_core_frame_destroy(struct cl_core_frame *frame);

/* frame.c */
struct cl_frame *cl_frame_create(struct cl_view *view);
void cl_frame_update(struct cl_frame *frame, int content_width, int content_height, bool focused);
void cl_frame_destroy(struct cl_frame *frame);
/*
 * TEXT rendered with pango/cairo on BG in FG, HEIGHT pixels high, into a new
 * buffer (unlock with wlr_buffer_drop()); *width receives its width.  NULL on
 * failure.
 */
struct wlr_buffer *cl_text_buffer_create(const char *text, int height, const uint8_t fg[3],
                                         const uint8_t bg[3], int *width);

/* input.c */
void cl_input_new_device(struct cl_server *server, struct wlr_input_device *device);
void cl_input_init(struct cl_server *server);
/* Synthetic input for tests (refused unless --test-input). */
int cl_input_test_key(struct cl_server *server, const char *keysym_name);
int cl_input_test_type(struct cl_server *server, const char *utf8);
int cl_input_test_move(struct cl_server *server, double x, double y);
int cl_input_test_click(struct cl_server *server, uint32_t button);
/* Press or release BUTTON alone (-EALREADY: already pressed, -ENOENT: not pressed). */
int cl_input_test_button(struct cl_server *server, uint32_t button, bool pressed);
void cl_input_finish(struct cl_server *server);
/* Interactive move (edges 0) or resize of VIEW with the pointer (client request). */
void cl_input_begin_grab(struct cl_view *view, bool resize, uint32_t edges);
/* VIEW is unmapped or destroyed: end its grab, refresh the pointer focus. */
void cl_input_view_gone(struct cl_view *view);
/* Pointer focus to whatever is under the cursor now (after windows moved). */
void cl_input_update_pointer_focus(struct cl_server *server);

/*
 * selection.c: clipboard, primary selection and drag-and-drop kept per level
 * (called by cl_input_init/cl_input_finish).
 */
void cl_selection_init(struct cl_server *server);
void cl_selection_finish(struct cl_server *server);
/* Keyboard focus changed: offer the seat the focused level's selections. */
void cl_selection_focus_changed(struct cl_server *server);
/* A drag runs and may offer its data to SURFACE (a client of the drag's level). */
bool cl_selection_drag_accepts(struct cl_server *server, struct wlr_surface *surface);

/* shell.c: zcloison_shell_v1 for the trusted client; view.c reports changes. */
int cl_shell_create(struct cl_server *server);
void cl_shell_destroy(struct cl_server *server);
void cl_shell_window_changed(struct cl_server *server, struct cl_view *view);
void cl_shell_window_closed(struct cl_server *server, uint32_t id);
void cl_shell_focus_changed(struct cl_server *server);
/* Tell the client that set the bar about a secure attention; false: nobody to tell. */
bool cl_shell_send_secure_attention(struct cl_server *server);
/* The core role SURFACE was given before its first commit (CL_ROLE_CORE_NONE if none). */
enum cl_view_role cl_shell_take_pending_role(struct cl_server *server, struct wlr_surface *surface);

/* ctl.c */
struct cl_ctl *cl_ctl_create(struct cl_server *server, const char *path);
void cl_ctl_destroy(struct cl_ctl *ctl);
