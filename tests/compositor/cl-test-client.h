/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared by the Wayland test clients of tests/compositor/. */
#pragma once

#include <stdint.h>
#include <wayland-client.h>

/*
 * A W x H XRGB8888 shm buffer filled with colour (0xRRGGBB).  NULL with
 * errno set when the memory cannot be made (the caller says why and exits).
 */
struct wl_buffer *cl_test_solid_buffer(struct wl_shm *shm, int width, int height, uint32_t colour);
