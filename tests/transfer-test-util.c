/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cloison-build-config.h"

#include "transfer-test-util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

static bool have_private_mounts;

void tt_skip_or_fail(const char *why)
{
	const char *must = g_getenv("CLOISON_TESTS_MUST_RUN");

	if (must && *must && strcmp(must, "0") != 0) {
		g_test_message("cannot run: %s (and CLOISON_TESTS_MUST_RUN is set)", why);
		g_test_fail();
	} else {
		g_test_skip(why);
	}
}

bool tt_private_mounts(const char **why)
{
	if (geteuid() != 0) {
		*why = "mounting needs root";
		return false;
	}
	if (unshare(CLONE_NEWNS) < 0) {
		*why = "unshare(CLONE_NEWNS) failed";
		return false;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		*why = "cannot make / private";
		return false;
	}
	have_private_mounts = true;
	return true;
}

bool tt_require_mounts(void)
{
	if (!have_private_mounts)
		tt_skip_or_fail("no private mount namespace (needs root)");
	return have_private_mounts;
}

char *tt_make_dir(void)
{
	g_autoptr(GError) error = NULL;
	char *dir = g_dir_make_tmp("cl-transfer-XXXXXX", &error);

	g_assert_no_error(error);
	return dir;
}

char *tt_mount_tmpfs(unsigned size_kib)
{
	char *dir = tt_make_dir();
	g_autofree char *opts = g_strdup_printf("size=%uk,mode=0700", size_kib);

	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
		g_error("mount tmpfs on %s: %s", dir, g_strerror(errno));
	return dir;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type == FTW_DP || type == FTW_D)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void tt_remove_tree(const char *path)
{
	if (!path)
		return;
	/* A tmpfs mounted on path itself (tt_mount_tmpfs) is detached first. */
	for (int i = 0; i < 8 && umount2(path, MNT_DETACH) == 0; i++)
		;
	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

void tt_write_file(const char *dir, const char *name, const void *data, size_t len)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autoptr(GError) error = NULL;

	g_file_set_contents_full(path, data, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT, 0644,
	                         &error);
	g_assert_no_error(error);
}

GBytes *tt_read_fd(int fd)
{
	GByteArray *out = g_byte_array_new();
	unsigned char buf[65536];
	off_t off = 0;

	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), off);
		g_assert_cmpint(n, >=, 0);
		if (n == 0)
			break;
		g_byte_array_append(out, buf, (guint)n);
		off += n;
	}
	return g_byte_array_free_to_bytes(out);
}

unsigned tt_count_entries(const char *dir)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GDir) d = g_dir_open(dir, 0, &error);
	unsigned n = 0;

	g_assert_no_error(error);
	while (g_dir_read_name(d))
		n++;
	return n;
}

uint64_t tt_fs_used(const char *path)
{
	struct statvfs sv;

	g_assert_cmpint(statvfs(path, &sv), ==, 0);
	return (uint64_t)(sv.f_blocks - sv.f_bfree) * sv.f_frsize;
}

char *tt_sha256_hex(const void *data, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned md_len = 0;
	GString *hex = g_string_new(NULL);

	g_assert_cmpint(EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL), ==, 1);
	for (unsigned i = 0; i < md_len; i++)
		g_string_append_printf(hex, "%02x", md[i]);
	return g_string_free(hex, false);
}
