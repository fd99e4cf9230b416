/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench/transfer: the transfer broker's throughput and overhead, through a
 * real cloison-transferd on a private core bus (dbus-daemon), in a private
 * runtime, data and state directory under $TMPDIR (default /var/tmp).
 *
 * This program plays both the cage and the prompt agent: it connects to
 * cage alpha's transfer socket directly from the host (what a process in
 * the cage would do; a cage's start-up is not part of a transfer) and to the
 * core bus, where it approves every PromptRequested at once.
 *
 * 1. Throughput: a SIZE MiB file (pseudo-random, in the page cache) sent
 *    from alpha to beta, Send to Finished, against `cp` of the same file on
 *    the same file system, and `cp` followed by fsync of the copy (the broker
 *    fsyncs what it lands), alternately, ROUNDS times each; medians.
 * 2. Overhead: a 1 KiB file, N times (paced at the broker's rate limit); per request, the time from
 * just before Send to the cage's Finished signal, minus the agent's part: from the moment
 * PromptRequested reached it to the moment its Decide call was written.  What is left is the
 * broker's own work (intake, hashing, libmagic, policy, three audit records with fdatasync, landing
 * with fsync of the file and the directory) plus the D-Bus hops between the three parties.  Median
 * and 90th percentile.
 *
 *   transfer CLOISON-TRANSFERD [SIZE-MIB [ROUNDS [N]]]
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "bench-util.h"

#define CAGE_PATH  "/org/cloison/CageTransfer1"
#define CAGE_IFACE "org.cloison.CageTransfer1"
#define CORE_NAME  "org.cloison.Transfer1"
#define CORE_PATH  "/org/cloison/Transfer1"
#define CORE_IFACE "org.cloison.Transfer1"
#define PACE_US    130000

static const char conf_text[] = "[level low]\nlabel=Low\ncolour=#00aa00\nrank=0\n\n"
                                "[level high]\nlabel=High\ncolour=#cc0000\nrank=10\n\n"
                                "[cage alpha]\nlevel=low\napplications=\n\n"
                                "[cage beta]\nlevel=high\napplications=\n\n"
                                "[transfer low high]\naction=ask\ntypes=*/*\nmax-size=64GiB\n";

typedef struct {
	sd_event *event;
	sd_bus *cage, *core;
	bool finished;
	char outcome[32];
	char detail[512];
	double t_send, t_prompt, t_decide, t_finish;
} Bench;

static int on_prompt(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Bench *b = userdata;
	const char *id;
	int r;

	b->t_prompt = bench_now_ms();
	if (sd_bus_message_read(m, "s", &id) < 0)
		return 0;
	r = sd_bus_call_method_async(b->core, NULL, CORE_NAME, CORE_PATH, CORE_IFACE, "Decide",
	                             NULL, NULL, "sbss", id, 1, "beta", "");
	if (r < 0)
		bench_fail("Decide: %s", strerror(-r));
	/* The call is written when the loop flushes the bus: do it now. */
	sd_bus_flush(b->core);
	b->t_decide = bench_now_ms();
	return 0;
}

static int on_finished(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Bench *b = userdata;
	const char *id, *outcome, *detail;

	b->t_finish = bench_now_ms();
	if (sd_bus_message_read(m, "sss", &id, &outcome, &detail) < 0)
		return 0;
	g_strlcpy(b->outcome, outcome, sizeof(b->outcome));
	g_strlcpy(b->detail, detail, sizeof(b->detail));
	b->finished = true;
	return 0;
}

static int on_send_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	const sd_bus_error *e = sd_bus_message_get_error(m);

	if (e)
		bench_fail("Send: %s", e->message);
	return 0;
}

static void one_transfer(Bench *b, const char *path)
{
	int r;

	b->finished = false;
	b->t_send = bench_now_ms();
	r = sd_bus_call_method_async(b->cage, NULL, NULL, CAGE_PATH, CAGE_IFACE, "Send",
	                             on_send_reply, b, "ssb", path, "beta", 0);
	if (r < 0)
		bench_fail("Send: %s", strerror(-r));
	while (!b->finished) {
		if (bench_now_ms() - b->t_send > 600000)
			bench_fail("no outcome after 10 minutes");
		r = sd_event_run(b->event, 1000000);
		if (r < 0)
			bench_fail("event loop: %s", strerror(-r));
	}
	if (strcmp(b->outcome, "delivered") != 0)
		bench_fail("transfer %s: %s", b->outcome, b->detail);
}

static void write_file(const char *path, uint64_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t chunk = 8u << 20;
	uint64_t *buf = g_malloc(chunk);
	uint64_t x = 0x9e3779b97f4a7c15ull;

	if (fd < 0)
		bench_fail("%s: %s", path, strerror(errno));
	for (uint64_t done = 0; done < size; done += chunk) {
		size_t n = MIN(chunk, size - done);

		for (size_t i = 0; i < chunk / 8; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = x;
		}
		if (write(fd, buf, n) != (ssize_t)n)
			bench_fail("write %s: %s", path, strerror(errno));
	}
	fsync(fd);
	close(fd);
	g_free(buf);
}

/* cp SRC DST (the system's cp), optionally followed by fsync of DST. */
static double run_cp(const char *src, const char *dst, bool with_fsync)
{
	char *argv[] = {(char *)"/bin/cp", (char *)src, (char *)dst, NULL};
	double t0 = bench_now_ms();
	int status;
	pid_t pid = bench_spawn(argv, environ, -1, -1, false, 0, 0);

	waitpid(pid, &status, 0);
	bench_child_remove(pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		bench_fail("cp failed");
	if (with_fsync) {
		int fd = open(dst, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || fsync(fd) < 0)
			bench_fail("fsync %s: %s", dst, strerror(errno));
		close(fd);
	}
	return bench_now_ms() - t0;
}

static pid_t start_and_wait(char **argv, char **envp, const char *what)
{
	int pipefd[2];
	char buf[64];
	pid_t pid;
	ssize_t n;

	if (pipe(pipefd) < 0)
		bench_fail("pipe: %s", strerror(errno));
	pid = bench_spawn(argv, envp, -1, pipefd[1], false, 0, 0);
	close(pipefd[1]);
	n = read(pipefd[0], buf, sizeof(buf) - 1);
	close(pipefd[0]);
	if (n <= 0)
		bench_fail("%s did not start", what);
	return pid;
}

/*
 * The durable writes one transfer needs at the least, without the broker:
 * three audit lines (write + fdatasync each) and a landing (O_TMPFILE of
 * 1 KiB, fsync, link, fsync of the directory), on the same file system.
 */
static double sync_floor(const char *dir)
{
	g_autofree char *log = g_build_filename(dir, "floor.jsonl", NULL);
	g_autofree char *landed = g_build_filename(dir, "floor.bin", NULL);
	char line[300], data[1024], proc[64];
	double t0 = bench_now_ms();
	int lfd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd = open(dir, O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);

	memset(line, 'a', sizeof(line));
	line[sizeof(line) - 1] = '\n';
	memset(data, 'x', sizeof(data));
	if (lfd < 0 || dfd < 0 || fd < 0)
		bench_fail("sync floor: %s", strerror(errno));
	for (int i = 0; i < 3; i++)
		if (write(lfd, line, sizeof(line)) != (ssize_t)sizeof(line) || fdatasync(lfd) < 0)
			bench_fail("sync floor: %s", strerror(errno));
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (write(fd, data, sizeof(data)) != (ssize_t)sizeof(data) || fsync(fd) < 0 ||
	    linkat(AT_FDCWD, proc, dfd, "floor.bin", AT_SYMLINK_FOLLOW) < 0 || fsync(dfd) < 0)
		bench_fail("sync floor: %s", strerror(errno));
	t0 = bench_now_ms() - t0;
	close(fd);
	close(dfd);
	close(lfd);
	unlink(landed);
	return t0;
}

static double percentile(double *v, int n, double p)
{
	bench_median(v, n); /* sorts */
	return v[(int)((n - 1) * p)];
}

int main(int argc, char **argv)
{
	const char *transferd = argc > 1 ? argv[1] : NULL;
	guint64 size_mib = 1024, rounds_arg = 3, n_arg = 101;
	const char *tmp = g_getenv("TMPDIR") ? g_getenv("TMPDIR") : "/var/tmp";
	g_autofree char *dir = NULL, *conf = NULL, *bus_address = NULL, *alpha_home = NULL,
	                *incoming = NULL, *src = NULL, *small = NULL, *cp_dst = NULL,
	                *cage_socket = NULL, *cage_address = NULL, *bus_path = NULL;
	g_autoptr(GPtrArray) env = g_ptr_array_new_with_free_func(g_free);
	double *broker_ms, *intake_ms, *landing_ms, *cp_ms, *cpsync_ms, *overhead, *total,
	        *floor_ms;
	uint64_t size;
	pid_t dbus_pid, broker_pid;
	Bench b = {0};
	int rounds, n, r;

	if ((argc > 2 && !g_ascii_string_to_unsigned(argv[2], 10, 1, 65536, &size_mib, NULL)) ||
	    (argc > 3 && !g_ascii_string_to_unsigned(argv[3], 10, 1, 1000, &rounds_arg, NULL)) ||
	    (argc > 4 && !g_ascii_string_to_unsigned(argv[4], 10, 1, 100000, &n_arg, NULL)))
		transferd = NULL;
	rounds = (int)rounds_arg;
	n = (int)n_arg;
	size = (uint64_t)size_mib << 20;
	if (!transferd) {
		fprintf(stderr, "usage: transfer CLOISON-TRANSFERD [SIZE-MIB [ROUNDS [N]]]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	dir = g_build_filename(tmp, "cloison-bench-transfer-XXXXXX", NULL);
	if (!g_mkdtemp_full(dir, 0700))
		bench_fail("mkdtemp: %s", strerror(errno));
	bench_set_tmp_dir(dir);
	for (const char *const *p =
	             (const char *const[]){
	                     "run", "data", "state", "home", "data/cloison", "data/cloison/cages",
	                     "data/cloison/cages/alpha", "data/cloison/cages/alpha/home",
	                     "data/cloison/cages/beta", "data/cloison/cages/beta/home", NULL};
	     *p; p++) {
		g_autofree char *d = g_build_filename(dir, *p, NULL);

		if (mkdir(d, 0700) < 0)
			bench_fail("mkdir %s: %s", d, strerror(errno));
	}
	conf = g_build_filename(dir, "cloison.conf", NULL);
	if (!g_file_set_contents(conf, conf_text, -1, NULL))
		bench_fail("cannot write %s", conf);

	g_ptr_array_add(env, g_strdup_printf("XDG_RUNTIME_DIR=%s/run", dir));
	g_ptr_array_add(env, g_strdup_printf("XDG_DATA_HOME=%s/data", dir));
	g_ptr_array_add(env, g_strdup_printf("XDG_STATE_HOME=%s/state", dir));
	g_ptr_array_add(env, g_strdup_printf("HOME=%s/home", dir));
	g_ptr_array_add(env, g_strdup("PATH=/usr/bin:/bin"));
	g_ptr_array_add(env, NULL);

	/* The core bus. */
	bus_path = g_build_filename(dir, "bus", NULL);
	bus_address = g_strdup_printf("unix:path=%s", bus_path);
	{
		g_autofree char *addr_arg = g_strdup_printf("--address=%s", bus_address);
		char *dargv[] = {(char *)"/usr/bin/dbus-daemon",
		                 (char *)"--session",
		                 addr_arg,
		                 (char *)"--nofork",
		                 (char *)"--nopidfile",
		                 (char *)"--print-address=3",
		                 NULL};

		dbus_pid = start_and_wait(dargv, (char **)env->pdata, "dbus-daemon");
	}
	{
		char *bargv[] = {
		        (char *)transferd, (char *)"--config",   conf,        (char *)"--bus",
		        bus_address,       (char *)"--ready-fd", (char *)"3", NULL};

		broker_pid = start_and_wait(bargv, (char **)env->pdata, "cloison-transferd");
	}

	r = sd_event_new(&b.event);
	if (r >= 0)
		r = sd_bus_new(&b.core);
	if (r >= 0)
		r = sd_bus_set_address(b.core, bus_address);
	if (r >= 0)
		r = sd_bus_set_bus_client(b.core, 1);
	if (r >= 0)
		r = sd_bus_start(b.core);
	if (r >= 0)
		r = sd_bus_match_signal(b.core, NULL, NULL, CORE_PATH, CORE_IFACE,
		                        "PromptRequested", on_prompt, &b);
	cage_socket = g_build_filename(dir, "run", "cloison", "cages", "alpha", "transfer", NULL);
	cage_address = g_strdup_printf("unix:path=%s", cage_socket);
	if (r >= 0)
		r = sd_bus_new(&b.cage);
	if (r >= 0)
		r = sd_bus_set_address(b.cage, cage_address);
	if (r >= 0)
		r = sd_bus_set_anonymous(b.cage, 1);
	if (r >= 0)
		r = sd_bus_start(b.cage);
	if (r >= 0)
		r = sd_bus_match_signal(b.cage, NULL, NULL, CAGE_PATH, CAGE_IFACE, "Finished",
		                        on_finished, &b);
	if (r >= 0)
		r = sd_bus_attach_event(b.core, b.event, 0);
	if (r >= 0)
		r = sd_bus_attach_event(b.cage, b.event, 0);
	if (r < 0)
		bench_fail("cannot connect: %s", strerror(-r));

	alpha_home = g_build_filename(dir, "data/cloison/cages/alpha/home", NULL);
	incoming = g_build_filename(dir, "data/cloison/cages/beta/home/Incoming/alpha", NULL);
	src = g_build_filename(alpha_home, "big.bin", NULL);
	cp_dst = g_build_filename(dir, "cp-copy.bin", NULL);
	small = g_build_filename(alpha_home, "small.bin", NULL);

	/* 1. Throughput. */
	write_file(src, size);
	broker_ms = g_new0(double, rounds);
	intake_ms = g_new0(double, rounds);
	landing_ms = g_new0(double, rounds);
	cp_ms = g_new0(double, rounds);
	cpsync_ms = g_new0(double, rounds);
	run_cp(src, cp_dst, false); /* warm the page cache */
	unlink(cp_dst);
	for (int i = 0; i < rounds; i++) {
		g_autofree char *landed = g_build_filename(incoming, "big.bin", NULL);

		one_transfer(&b, "/home/user/big.bin");
		broker_ms[i] = b.t_finish - b.t_send;
		intake_ms[i] = b.t_prompt - b.t_send;
		landing_ms[i] = b.t_finish - b.t_decide;
		unlink(landed);
		cp_ms[i] = run_cp(src, cp_dst, false);
		unlink(cp_dst);
		cpsync_ms[i] = run_cp(src, cp_dst, true);
		unlink(cp_dst);
	}
	unlink(src);
	{
		double mb = (double)size / 1e6;
		double tb = bench_median(broker_ms, rounds), tc = bench_median(cp_ms, rounds),
		       ts = bench_median(cpsync_ms, rounds);

		printf("transfer-throughput: %u MiB, median of %d rounds\n", (unsigned)size_mib,
		       rounds);
		printf("  broker (Send -> Finished, landed and fsync'd): %8.1f ms  %7.0f MB/s\n",
		       tb, mb / tb * 1000);
		printf("    of which Send -> PromptRequested (snapshot copy, SHA-256, libmagic): "
		       "%.1f ms, %.0f MB/s\n",
		       bench_median(intake_ms, rounds),
		       mb / bench_median(intake_ms, rounds) * 1000);
		printf("    and Decide -> Finished (landing: link, fsync of 1 file + dir, audit): "
		       "%.1f ms\n",
		       bench_median(landing_ms, rounds));
		printf("  cp, same file system:                          %8.1f ms  %7.0f MB/s\n",
		       tc, mb / tc * 1000);
		printf("  cp + fsync of the copy:                        %8.1f ms  %7.0f MB/s\n",
		       ts, mb / ts * 1000);
		printf("  ratio broker/cp: %.2fx (target >= 0.95x); broker/(cp + fsync): %.2fx\n",
		       tc / tb, ts / tb);
	}

	/* 2. Overhead of a 1 KiB request. */
	{
		g_autofree char *landed = g_build_filename(incoming, "small.bin", NULL);
		char kib[1024];

		memset(kib, 'x', sizeof(kib));
		if (!g_file_set_contents(small, kib, sizeof(kib), NULL))
			bench_fail("cannot write %s", small);
		overhead = g_new0(double, n);
		total = g_new0(double, n);
		floor_ms = g_new0(double, n);
		/* The broker allows a cage 8 requests a second (burst 32): pace them
		 * so that none is refused; the pause is outside the measurement. */
		for (int i = 0; i < 5; i++) { /* warm-up */
			g_usleep(PACE_US);
			one_transfer(&b, "/home/user/small.bin");
			unlink(landed);
		}
		for (int i = 0; i < n; i++) {
			g_usleep(PACE_US);
			one_transfer(&b, "/home/user/small.bin");
			total[i] = b.t_finish - b.t_send;
			overhead[i] = total[i] - (b.t_decide - b.t_prompt);
			unlink(landed);
			floor_ms[i] = sync_floor(alpha_home);
		}
		printf("transfer-latency: 1 KiB, %d requests\n", n);
		printf("  Send -> Finished:          median %.3f ms, p90 %.3f ms\n",
		       bench_median(total, n), percentile(total, n, 0.9));
		printf("  broker overhead (minus the agent's decision): median %.3f ms, p90 %.3f "
		       "ms "
		       "(target <= 1 ms)\n",
		       bench_median(overhead, n), percentile(overhead, n, 0.9));
		printf("  the same durable writes without the broker (3 x write+fdatasync, tmpfile "
		       "fsync + link + dir fsync): median %.3f ms\n",
		       bench_median(floor_ms, n));
		printf("  broker overhead minus that floor: %.3f ms\n",
		       bench_median(overhead, n) - bench_median(floor_ms, n));
	}

	sd_bus_flush_close_unref(b.cage);
	sd_bus_flush_close_unref(b.core);
	sd_event_unref(b.event);
	bench_stop_pid(broker_pid);
	bench_stop_pid(dbus_pid);
	bench_remove_tmp_dir();
	g_free(broker_ms);
	g_free(intake_ms);
	g_free(landing_ms);
	g_free(cp_ms);
	g_free(cpsync_ms);
	g_free(overhead);
	g_free(total);
	g_free(floor_ms);
	return 0;
}
