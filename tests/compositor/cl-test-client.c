/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cl-test-client.h"

const char *cl_test_name = "cl-test";

void cl_test_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cl_test_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

uint32_t cl_test_min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

bool cl_test_parse_colour(const char *s, uint32_t *ret)
{
	unsigned long v;

	if (!s)
		return false;
	if (s[0] == '#')
		s++;
	if (strlen(s) != 6 || strspn(s, "0123456789abcdefABCDEF") != 6)
		return false;
	v = strtoul(s, NULL, 16);
	*ret = 0xff000000u | (uint32_t)v;
	return true;
}

static int shm_fill(size_t size, uint32_t colour, uint32_t **pixels)
{
	uint32_t *p;
	int fd, err;

	fd = memfd_create(cl_test_name, MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) < 0)
		goto fail;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	for (size_t i = 0; i < size / 4; i++)
		p[i] = colour;
	*pixels = p;
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

int cl_test_shm_fill(size_t size, uint32_t colour, uint32_t **pixels)
{
	int fd = shm_fill(size, colour, pixels);

	if (fd < 0)
		cl_test_die("shm: %s", strerror(errno));
	return fd;
}

struct wl_buffer *cl_test_solid_buffer(struct wl_shm *shm, int width, int height, uint32_t colour)
{
	size_t size = (size_t)width * 4 * (size_t)height;
	struct wl_shm_pool *pool;
	struct wl_buffer *buffer;
	uint32_t *pixels;
	int fd;

	fd = shm_fill(size, 0xff000000u | colour, &pixels);
	if (fd < 0)
		return NULL;
	munmap(pixels, size);
	pool = wl_shm_create_pool(shm, fd, (int32_t)size);
	buffer = wl_shm_pool_create_buffer(pool, 0, width, height, width * 4,
	                                   WL_SHM_FORMAT_XRGB8888);
	wl_shm_pool_destroy(pool);
	close(fd);
	return buffer;
}

struct wl_display *cl_test_connect(const struct wl_registry_listener *listener, void *data,
                                   struct wl_registry **registry)
{
	struct wl_display *display = wl_display_connect(NULL);

	if (!display)
		cl_test_die("cannot connect to the Wayland display '%s': %s",
		            getenv("WAYLAND_DISPLAY") ? getenv("WAYLAND_DISPLAY") : "wayland-0",
		            strerror(errno));
	*registry = wl_display_get_registry(display);
	wl_registry_add_listener(*registry, listener, data);
	return display;
}

int cl_test_signalfd(int signal, ...)
{
	sigset_t mask;
	va_list ap;
	int fd;

	sigemptyset(&mask);
	va_start(ap, signal);
	for (int s = signal; s; s = va_arg(ap, int))
		sigaddset(&mask, s);
	va_end(ap);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 || (fd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0)
		cl_test_die("signalfd: %s", strerror(errno));
	return fd;
}

bool cl_test_flush(struct wl_display *display)
{
	while (wl_display_flush(display) < 0) {
		struct pollfd p = {.fd = wl_display_get_fd(display), .events = POLLOUT};

		if (errno != EAGAIN)
			return false;
		if (poll(&p, 1, 10000) <= 0 || (p.revents & (POLLERR | POLLHUP)))
			return false;
	}
	return true;
}

int cl_test_dispatch_poll(struct wl_display *display, struct pollfd *fds, nfds_t n)
{
	while (wl_display_prepare_read(display) != 0) {
		if (wl_display_dispatch_pending(display) < 0)
			return -1;
	}
	if (!cl_test_flush(display)) {
		wl_display_cancel_read(display);
		return -1;
	}
	fds[0] = (struct pollfd){.fd = wl_display_get_fd(display), .events = POLLIN};
	if (poll(fds, n, -1) < 0) {
		wl_display_cancel_read(display);
		if (errno != EINTR)
			cl_test_die("poll: %s", strerror(errno));
		for (nfds_t i = 0; i < n; i++)
			fds[i].revents = 0;
		return 0;
	}
	if (fds[0].revents) {
		if (wl_display_read_events(display) < 0)
			return -1;
	} else {
		wl_display_cancel_read(display);
	}
	return wl_display_dispatch_pending(display) < 0 ? -1 : 0;
}

static void handle_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial)
{
	xdg_wm_base_pong(wm_base, serial);
}

const struct xdg_wm_base_listener cl_test_wm_base_listener = {.ping = handle_ping};

bool cl_test_bind_core(struct wl_registry *registry, uint32_t name, const char *interface,
                       uint32_t version, struct wl_compositor **compositor, struct wl_shm **shm,
                       struct xdg_wm_base **wm_base)
{
	if (strcmp(interface, wl_compositor_interface.name) == 0 && !*compositor) {
		/* Version 4: wl_surface.attach still takes an offset. */
		*compositor = wl_registry_bind(registry, name, &wl_compositor_interface,
		                               cl_test_min_u32(version, 4));
	} else if (strcmp(interface, wl_shm_interface.name) == 0 && !*shm) {
		*shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, xdg_wm_base_interface.name) == 0 && !*wm_base) {
		*wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface, 1);
		xdg_wm_base_add_listener(*wm_base, &cl_test_wm_base_listener, NULL);
	} else {
		return false;
	}
	return true;
}

void cl_test_ignore_pointer_motion(void *data, struct wl_pointer *pointer, uint32_t time,
                                   wl_fixed_t sx, wl_fixed_t sy)
{
}

void cl_test_ignore_pointer_axis(void *data, struct wl_pointer *pointer, uint32_t time,
                                 uint32_t axis, wl_fixed_t value)
{
}

void cl_test_ignore_pointer_frame(void *data, struct wl_pointer *pointer)
{
}

void cl_test_ignore_pointer_axis_source(void *data, struct wl_pointer *pointer, uint32_t source)
{
}

void cl_test_ignore_pointer_axis_stop(void *data, struct wl_pointer *pointer, uint32_t time,
                                      uint32_t axis)
{
}

void cl_test_ignore_pointer_axis_discrete(void *data, struct wl_pointer *pointer, uint32_t axis,
                                          int32_t discrete)
{
}

void cl_test_ignore_keymap(void *data, struct wl_keyboard *kb, uint32_t format, int32_t fd,
                           uint32_t size)
{
	close(fd);
}

void cl_test_ignore_modifiers(void *data, struct wl_keyboard *kb, uint32_t serial,
                              uint32_t depressed, uint32_t latched, uint32_t locked, uint32_t group)
{
}

void cl_test_ignore_repeat_info(void *data, struct wl_keyboard *kb, int32_t rate, int32_t delay)
{
}

void cl_test_ignore_seat_name(void *data, struct wl_seat *seat, const char *name)
{
}

void cl_test_ignore_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}
