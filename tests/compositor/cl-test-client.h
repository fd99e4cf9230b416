/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Shared by the Wayland test clients of tests/compositor/ (cl-test-toplevel,
 * cl-test-pointer, cl-test-bar): messages, arguments, shm buffers, the
 * listeners that only ignore or answer, and the event loop.
 */
#pragma once

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wayland-client.h>

#include "xdg-shell-client-protocol.h"

/* The program's name in its messages ("cl-test-pointer"); set it first. */
extern const char *cl_test_name;

/* "NAME: MESSAGE" on stderr, then exit status 2. */
void cl_test_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

uint32_t cl_test_min_u32(uint32_t a, uint32_t b);

/* "RRGGBB" or "#RRGGBB" (six hex digits) into 0xffRRGGBB; false if malformed. */
bool cl_test_parse_colour(const char *s, uint32_t *ret);

/*
 * A memfd of size bytes, mapped (in *pixels) and filled with colour; its fd.
 * Dies when the memory cannot be made.
 */
int cl_test_shm_fill(size_t size, uint32_t colour, uint32_t **pixels);

/*
 * A W x H XRGB8888 shm buffer filled with colour (0xRRGGBB).  NULL with
 * errno set when the memory cannot be made (the caller says why and exits).
 */
struct wl_buffer *cl_test_solid_buffer(struct wl_shm *shm, int width, int height, uint32_t colour);

/* Connect to $WAYLAND_DISPLAY (dies if it cannot), listen to the registry. */
struct wl_display *cl_test_connect(const struct wl_registry_listener *listener, void *data,
                                   struct wl_registry **registry);

/* Block these signals (0-terminated list) and return a signalfd for them. */
int cl_test_signalfd(int signal, ...);

/* Flush, waiting while the socket is full.  false: connection lost. */
bool cl_test_flush(struct wl_display *display);

/*
 * One turn of an event loop: dispatch, flush, poll fds[0..n) (fds[0] is set
 * to the display's fd; the others are the caller's), read and dispatch the
 * display's events.  On return the revents tell what else is ready (all
 * zero after an interrupted poll).  -1 when the connection broke.
 */
int cl_test_dispatch_poll(struct wl_display *display, struct pollfd *fds, nfds_t n);

/*
 * A registry global: bind it into *compositor (version 4 at most), *shm or
 * *wm_base (with cl_test_wm_base_listener) when it is one of those and that
 * one is not bound yet.  true if it was taken.
 */
bool cl_test_bind_core(struct wl_registry *registry, uint32_t name, const char *interface,
                       uint32_t version, struct wl_compositor **compositor, struct wl_shm **shm,
                       struct xdg_wm_base **wm_base);

/* xdg_wm_base: answers ping. */
extern const struct xdg_wm_base_listener cl_test_wm_base_listener;

/*
 * Listeners' entries that ignore their event; CL_TEST_POINTER_IGNORED: all
 * of a wl_pointer_listener but enter, leave and button.
 */
#define CL_TEST_POINTER_IGNORED                                                                   \
	.motion = cl_test_ignore_pointer_motion, .axis = cl_test_ignore_pointer_axis,             \
	.frame = cl_test_ignore_pointer_frame, .axis_source = cl_test_ignore_pointer_axis_source, \
	.axis_stop = cl_test_ignore_pointer_axis_stop,                                            \
	.axis_discrete = cl_test_ignore_pointer_axis_discrete

void cl_test_ignore_pointer_motion(void *data, struct wl_pointer *pointer, uint32_t time,
                                   wl_fixed_t sx, wl_fixed_t sy);
void cl_test_ignore_pointer_axis(void *data, struct wl_pointer *pointer, uint32_t time,
                                 uint32_t axis, wl_fixed_t value);
void cl_test_ignore_pointer_frame(void *data, struct wl_pointer *pointer);
void cl_test_ignore_pointer_axis_source(void *data, struct wl_pointer *pointer, uint32_t source);
void cl_test_ignore_pointer_axis_stop(void *data, struct wl_pointer *pointer, uint32_t time,
                                      uint32_t axis);
void cl_test_ignore_pointer_axis_discrete(void *data, struct wl_pointer *pointer, uint32_t axis,
                                          int32_t discrete);
/* Closes the keymap's fd. */
void cl_test_ignore_keymap(void *data, struct wl_keyboard *kb, uint32_t format, int32_t fd,
                           uint32_t size);
void cl_test_ignore_modifiers(void *data, struct wl_keyboard *kb, uint32_t serial,
                              uint32_t depressed, uint32_t latched, uint32_t locked,
                              uint32_t group);
void cl_test_ignore_repeat_info(void *data, struct wl_keyboard *kb, int32_t rate, int32_t delay);
void cl_test_ignore_seat_name(void *data, struct wl_seat *seat, const char *name);
void cl_test_ignore_global_remove(void *data, struct wl_registry *registry, uint32_t name);
