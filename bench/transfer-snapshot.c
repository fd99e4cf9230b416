/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The transfer library's share of a large transfer: cl_intake_snapshot()
 * (copy into an O_TMPFILE with SHA-256 computed alongside) of one file,
 * against cp of the same file on the same file system, same run, warm page
 * cache.  Also measured alone: the copy (copy_file_range) and the hash
 * (OpenSSL SHA-256 over the cached file), the two halves of the pipeline:
 * the snapshot can be no faster than the slower of them.
 *
 * usage: transfer-snapshot [SIZE_MIB (1024)] [RUNS>=3 (5)]
 */
#include "cloison-build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-util.h"
#include "intake.h"
#include "util.h"

static char *dir;

static void make_file(const char *path, uint64_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	g_autofree unsigned char *buf = g_malloc(1 << 20);

	if (fd < 0)
		bench_fail("cannot create %s: %s", path, g_strerror(errno));
	for (size_t i = 0; i < (1 << 20); i++)
		buf[i] = (unsigned char)(i * 2654435761u >> 13);
	for (uint64_t done = 0; done < size; done += 1 << 20) {
		buf[0] = (unsigned char)(done >> 20); /* not all blocks alike */
		if (cl_write_all(fd, buf, 1 << 20) < 0)
			bench_fail("cannot write %s: %s", path, g_strerror(errno));
	}
	close(fd);
}

static double run_cp(const char *src, const char *dst)
{
	static char *cp;
	if (!cp && !(cp = g_find_program_in_path("cp")))
		bench_fail("no cp in PATH");
	char *argv[] = {cp, (char *)src, (char *)dst, NULL};
	char *envp[] = {NULL};
	double t0 = bench_now_ms();
	pid_t pid = bench_spawn(argv, envp, -1, -1, false, 0, 0);
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		bench_fail("cp failed");
	bench_child_remove(pid);
	double t = bench_now_ms() - t0;
	unlink(dst);
	return t;
}

static double run_snapshot(int home_fd, int staging_fd, uint64_t size, char *sha)
{
	g_autoptr(GError) error = NULL;
	ClSnapshot snap;
	double t0 = bench_now_ms();
	_cleanup_close_ int fd = cl_intake_open(home_fd, "src", NULL, &error);

	if (fd < 0 || !cl_intake_snapshot(fd, staging_fd, size, NULL, NULL, NULL, &snap, &error))
		bench_fail("snapshot: %s", error->message);
	double t = bench_now_ms() - t0;
	memcpy(sha, snap.sha256, sizeof(snap.sha256));
	cl_snapshot_clear(&snap);
	return t;
}

static double run_copy(int src_fd, int staging_fd, uint64_t size)
{
	double t0 = bench_now_ms();
	_cleanup_close_ int dst = openat(staging_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	loff_t in = 0, out = 0;

	if (dst < 0)
		bench_fail("O_TMPFILE: %s", g_strerror(errno));
	while ((uint64_t)out < size) {
		ssize_t n = copy_file_range(src_fd, &in, dst, &out, 8 << 20, 0);
		if (n <= 0)
			bench_fail("copy_file_range: %s", n < 0 ? g_strerror(errno) : "short");
	}
	return bench_now_ms() - t0;
}

static double run_hash(int src_fd, uint64_t size, char *sha)
{
	g_autofree unsigned char *buf = g_malloc(1 << 20);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	double t0 = bench_now_ms();

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (uint64_t off = 0; off < size;) {
		ssize_t n = pread(src_fd, buf, 1 << 20, (off_t)off);
		if (n <= 0)
			bench_fail("pread: %s", n < 0 ? g_strerror(errno) : "short");
		EVP_DigestUpdate(md, buf, (size_t)n);
		off += (uint64_t)n;
	}
	EVP_DigestFinal_ex(md, digest, &len);
	double t = bench_now_ms() - t0;
	EVP_MD_CTX_free(md);
	for (unsigned i = 0; i < len; i++)
		g_snprintf(sha + 2 * i, 3, "%02x", digest[i]);
	return t;
}

int main(int argc, char **argv)
{
	unsigned long long mib = 1024, runs = 5;

	if ((argc > 1 && (cl_parse_u64(argv[1], &mib) < 0 || mib == 0 || mib > 65536)) ||
	    (argc > 2 && (cl_parse_u64(argv[2], &runs) < 0 || runs < 3 || runs > 1000))) {
		fprintf(stderr, "usage: transfer-snapshot [SIZE_MIB (1024)] [RUNS>=3 (5)]\n");
		return 2;
	}
	uint64_t size = (uint64_t)mib << 20;
	g_autoptr(GError) error = NULL;

	dir = g_dir_make_tmp("cl-bench-transfer-XXXXXX", &error);
	if (!dir)
		bench_fail("temporary directory: %s", error->message);
	bench_set_tmp_dir(dir);
	g_autofree char *home = g_build_filename(dir, "home", NULL);
	g_autofree char *staging = g_build_filename(dir, "staging", NULL);
	g_autofree char *src = g_build_filename(home, "src", NULL);
	g_autofree char *dst = g_build_filename(dir, "cp-copy", NULL);
	if (mkdir(home, 0700) < 0 || mkdir(staging, 0700) < 0)
		bench_fail("mkdir: %s", g_strerror(errno));
	make_file(src, size);

	_cleanup_close_ int home_fd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int staging_fd = open(staging, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int src_fd = open(src, O_RDONLY | O_CLOEXEC);
	if (home_fd < 0 || staging_fd < 0 || src_fd < 0)
		bench_fail("open: %s", g_strerror(errno));

	char sha_snap[65] = "", sha_ref[65] = "";
	double *t_cp = g_new(double, runs), *t_snap = g_new(double, runs);
	double *t_copy = g_new(double, runs), *t_hash = g_new(double, runs);

	/* Warm-up: the file in the page cache, each path run once. */
	run_hash(src_fd, size, sha_ref);
	run_cp(src, dst);
	run_snapshot(home_fd, staging_fd, size, sha_snap);
	if (strcmp(sha_snap, sha_ref) != 0)
		bench_fail("the snapshot's SHA-256 differs from OpenSSL's over the file");
	/*
	 * Each measurement starts with no dirty page left by the previous one
	 * (syncfs, not timed): otherwise whichever runs after cp pays for the
	 * writeback of cp's copy.
	 */
	for (unsigned long long i = 0; i < runs; i++) {
		syncfs(staging_fd);
		t_cp[i] = run_cp(src, dst);
		syncfs(staging_fd);
		t_snap[i] = run_snapshot(home_fd, staging_fd, size, sha_snap);
		syncfs(staging_fd);
		t_copy[i] = run_copy(src_fd, staging_fd, size);
		syncfs(staging_fd);
		t_hash[i] = run_hash(src_fd, size, sha_ref);
	}
	double cp = bench_median(t_cp, (int)runs), snap = bench_median(t_snap, (int)runs);
	double copy = bench_median(t_copy, (int)runs), hash = bench_median(t_hash, (int)runs);
	double gb = (double)size / 1e9;

	printf("%llu MiB, warm page cache, same file system, median of %llu runs:\n", mib, runs);
	printf("  cl_intake_snapshot (copy + SHA-256):  %8.1f ms  %.2f GB/s\n", snap,
	       gb / snap * 1e3);
	printf("  cp (baseline):                       %8.1f ms  %.2f GB/s\n", cp, gb / cp * 1e3);
	printf("  ratio, snapshot throughput / cp:     %.2fx\n", cp / snap);
	printf("the pipeline's halves alone:\n");
	printf("  copy_file_range into an O_TMPFILE:   %8.1f ms  %.2f GB/s\n", copy,
	       gb / copy * 1e3);
	printf("  SHA-256 (OpenSSL) of the cached file: %7.1f ms  %.2f GB/s\n", hash,
	       gb / hash * 1e3);
	printf("  bound set by hashing, vs cp:         %.2fx\n", cp / hash);

	g_free(t_cp);
	g_free(t_snap);
	g_free(t_copy);
	g_free(t_hash);
	bench_remove_tmp_dir();
	g_free(dir);
	return 0;
}
