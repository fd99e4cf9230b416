/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stddef.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cl-test-shm.h"

struct wl_buffer *cl_test_solid_buffer(struct wl_shm *shm, int width, int height, uint32_t colour)
{
	size_t size = (size_t)width * 4 * (size_t)height;
	struct wl_shm_pool *pool;
	struct wl_buffer *buffer;
	uint32_t *pixels;
	int fd, err;

	fd = memfd_create("cl-test-shm", MFD_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (ftruncate(fd, (off_t)size) < 0)
		goto fail;
	pixels = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (pixels == MAP_FAILED)
		goto fail;
	for (size_t i = 0; i < size / 4; i++)
		pixels[i] = 0xff000000u | colour;
	munmap(pixels, size);
	pool = wl_shm_create_pool(shm, fd, (int32_t)size);
	buffer = wl_shm_pool_create_buffer(pool, 0, width, height, width * 4,
	                                   WL_SHM_FORMAT_XRGB8888);
	wl_shm_pool_destroy(pool);
	close(fd);
	return buffer;
fail:
	err = errno;
	close(fd);
	errno = err;
	return NULL;
}
