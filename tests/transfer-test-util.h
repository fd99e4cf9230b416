/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers for the transfer library's tests: temporary trees, private mounts. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Skip, or fail when $CLOISON_TESTS_MUST_RUN asks for every test to run. */
void tt_skip_or_fail(const char *why);

/*
 * Put this process in a private mount namespace (root only), so tests can
 * mount tmpfs and bind mounts that vanish with the process.  Call first in
 * main(), before any thread.  Returns false (and why) when impossible.
 */
bool tt_private_mounts(const char **why);
/* True after a successful tt_private_mounts(); else skips/fails the test. */
bool tt_require_mounts(void);
/* Mount a tmpfs of size_kib KiB on a new directory; returns its path. */
char *tt_mount_tmpfs(unsigned size_kib);

/* A new private directory under $TMPDIR (the ext4 /tmp here). */
char *tt_make_dir(void);
/* Unmount a tmpfs on path, then rm -rf (never following symlinks or mounts). */
void tt_remove_tree(const char *path);
/* Replace dir/name with data (a new 0644 file renamed over it). */
void tt_write_file(const char *dir, const char *name, const void *data, size_t len);
/* Read a whole fd from offset 0 with pread. */
GBytes *tt_read_fd(int fd);
/* Number of entries in a directory, "." and ".." excluded. */
unsigned tt_count_entries(const char *dir);
/* Bytes used on the file system of path (statvfs). */
uint64_t tt_fs_used(const char *path);
/* Lower-case hex SHA-256 of data (OpenSSL one-shot). */
char *tt_sha256_hex(const void *data, size_t len);
