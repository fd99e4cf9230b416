/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench/cage-start: cold start of a cage, from starting the launcher to the
 * first exec inside the cage (`cloison-cage run bench -- first-exec`, seccomp
 * and init included), against bare bwrap with the same namespaces and mounts
 * running the same program, measured alternately in one run.  first-exec
 * prints the monotonic clock when it starts.  Prints both medians and their
 * ratio (target: at most 1.3), and the full run-and-exit times for reference.
 *
 *   cage-start CLOISON-CAGE CAGE-INIT FIRST-EXEC [RUNS [NOTIFY-FORWARD]]
 *
 * With NOTIFY-FORWARD ($CLOISON_NOTIFY_FORWARD, as the tests run it), the
 * cage gets the forwarder bind-mounted, and so does bare bwrap.
 */
#include "cloison-build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <pwd.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench-util.h"
#include "init-protocol.h"
#include "launcher.h"
#include "sandbox.h"

static const char conf_text[] = "[level low]\nlabel=Low\ncolour=#2e7d32\nrank=0\n"
                                "[cage bench]\nlevel=low\n";

static void make_socket(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	g_assert(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0)
		g_error("cannot create %s: %s", path, g_strerror(errno));
	/* kept open for the whole run */
}

/*
 * The launcher as cloison-session runs it: cl_cage_run() in a forked child,
 * with the configuration already loaded and cl_cage_prepare() done once in
 * this process (no exec of the CLI).
 */
static double run_library_once(const ClConfig *config, double *first)
{
	char *cmd[] = {(char *)"/home/user/first-exec", NULL};
	char buf[64] = "";
	ssize_t got = 0, r;
	int status, out[2];
	double t0;
	pid_t pid;

	if (pipe2(out, O_CLOEXEC) < 0)
		g_error("pipe: %s", g_strerror(errno));
	t0 = bench_now_ms();
	pid = fork();
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		_exit(cl_cage_run(config, "bench", cmd));
	}
	close(out[1]);
	while ((r = read(out[0], buf + got, sizeof(buf) - 1 - (size_t)got)) > 0)
		got += r;
	close(out[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0 || got <= 0)
		g_error("cl_cage_run failed (status 0x%x)", pid < 0 ? -1 : status);
	buf[got] = '\0';
	*first = (double)g_ascii_strtoll(buf, NULL, 10) / 1e6 - t0;
	return bench_now_ms() - t0;
}

/* The measuring program goes into the cage's home, as any program would. */
static void copy_probe(const char *src, const char *home, bool drop, uid_t uid, gid_t gid)
{
	g_autofree char *data = NULL, *dst = g_build_filename(home, "first-exec", NULL);
	gsize len;

	if (!g_file_get_contents(src, &data, &len, NULL) ||
	    !g_file_set_contents(dst, data, (gssize)len, NULL) || g_chmod(dst, 0755) < 0 ||
	    (drop && chown(dst, uid, gid) < 0))
		g_error("cannot copy %s into %s", src, home);
}

static int memfd_text(const char *text)
{
	int fd = memfd_create("bench", MFD_CLOEXEC);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		g_error("memfd: %s", g_strerror(errno));
	return fd;
}

/*
 * Run argv (with the fd plan) as uid/gid if drop and wait; *first gets the
 * ms from start to first-exec's clock reading, the result the whole time.
 */
static double run_once(char **argv, const ClFdMove *moves, size_t n_moves, int *data_fds,
                       size_t n_data, bool drop, uid_t uid, gid_t gid, char **envp, double *first)
{
	char buf[64] = "";
	ssize_t got = 0, r;
	int status, out[2];
	double t0;
	pid_t pid;

	if (pipe2(out, O_CLOEXEC) < 0)
		g_error("pipe: %s", g_strerror(errno));
	t0 = bench_now_ms();
	/* --ro-bind-data reads its fds to the end: rewind them each time */
	for (size_t i = 0; i < n_data; i++)
		lseek(data_fds[i], 0, SEEK_SET);
	pid = fork();
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		if (drop && (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
		             setresuid(uid, uid, uid) < 0))
			_exit(126);
		if (moves && cl_sandbox_apply_moves(moves, n_moves) < 0)
			_exit(126);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	close(out[1]);
	while ((r = read(out[0], buf + got, sizeof(buf) - 1 - (size_t)got)) > 0)
		got += r;
	close(out[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0 || got <= 0)
		g_error("%s failed (status 0x%x)", argv[0], pid < 0 ? -1 : status);
	buf[got] = '\0';
	*first = (double)g_ascii_strtoll(buf, NULL, 10) / 1e6 - t0;
	return bench_now_ms() - t0;
}

int main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = NULL, *rt = NULL, *data = NULL, *conf = NULL, *cagedir = NULL;
	g_autofree char *home = NULL;
	int runs = argc > 4 ? (int)g_ascii_strtoll(argv[4], NULL, 10) : 31;
	bool drop = geteuid() == 0;
	uid_t uid = geteuid();
	gid_t gid = getegid();
	double *a, *b;

	const char *forward = argc > 5 ? argv[5] : NULL;

	if (argc < 4 || runs < 3 || runs > 10000) {
		fprintf(stderr, "usage: cage-start CLOISON-CAGE CAGE-INIT FIRST-EXEC [RUNS>=3 "
		                "[NOTIFY-FORWARD]]\n");
		return 2;
	}
	if (drop) {
		struct passwd *pw = getpwnam("cloison-cage");
		if (!pw) {
			fprintf(stderr,
			        "cage-start: run tools/install-deps (account cloison-cage)\n");
			return 2;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}

	/* A private runtime and data directory with a one-cage configuration. */
	dir = g_dir_make_tmp("cloison-bench-XXXXXX", &error);
	g_assert_no_error(error);
	rt = g_build_filename(dir, "rt", NULL);
	data = g_build_filename(dir, "data", NULL);
	conf = g_build_filename(dir, "cloison.conf", NULL);
	cagedir = g_build_filename(rt, "cloison", "cages", "bench", NULL);
	home = g_build_filename(data, "cloison", "cages", "bench", "home", NULL);
	g_mkdir_with_parents(cagedir, 0700);
	g_mkdir_with_parents(home, 0700);
	g_chmod(rt, 0700);
	g_file_set_contents(conf, conf_text, -1, NULL);
	for (int i = 0; i < 3; i++) {
		static const char *const names[] = {"wayland-0", "transfer", "notify"};
		g_autofree char *p = g_build_filename(cagedir, names[i], NULL);
		make_socket(p);
	}
	if (drop && chown(home, uid, gid) < 0)
		g_error("chown: %s", g_strerror(errno));
	copy_probe(argv[3], home, drop, uid, gid);

	/* Side A: the launcher. */
	g_autofree char *env_rt = g_strconcat("XDG_RUNTIME_DIR=", rt, NULL);
	g_autofree char *env_data = g_strconcat("XDG_DATA_HOME=", data, NULL);
	g_autofree char *env_init = g_strconcat("CLOISON_CAGE_INIT=", argv[2], NULL);
	g_autofree char *env_forward =
	        forward ? g_strconcat("CLOISON_NOTIFY_FORWARD=", forward, NULL) : NULL;
	char *env_a[] = {env_rt,      env_data, env_init, (char *)"HOME=/nonexistent",
	                 env_forward, NULL};
	char *argv_a[] = {argv[1],
	                  (char *)"--config",
	                  conf,
	                  (char *)"run",
	                  (char *)"bench",
	                  (char *)"--",
	                  (char *)"/home/user/first-exec",
	                  NULL};

	/*
	 * Side B: bare bwrap with the cage's namespaces and mounts (the same
	 * option list, built by the same code), no seccomp, no init.
	 */
	g_autoptr(ClConfig) config = cl_config_load_data(conf_text, strlen(conf_text), "b", NULL);
	ClSandbox sb;
	int data_fds[5];
	cl_sandbox_init(&sb);
	sb.cage = cl_config_get_cage(config, "bench");
	/* bwrap reaches its sources by path: a copy it may traverse */
	g_autofree char *bare = g_build_filename(dir, "bare", NULL);
	g_autofree char *bare_home = g_build_filename(bare, "home", NULL);
	g_autofree char *w = g_build_filename(bare, "wayland-0", NULL);
	g_autofree char *t = g_build_filename(bare, "transfer", NULL);
	g_autofree char *n = g_build_filename(bare, "notify", NULL);
	g_mkdir_with_parents(bare_home, 0700);
	g_chmod(dir, 0711);
	g_chmod(bare, 0711);
	if (drop && chown(bare_home, uid, gid) < 0)
		g_error("chown: %s", g_strerror(errno));
	copy_probe(argv[3], bare_home, drop, uid, gid);
	make_socket(w);
	make_socket(t);
	make_socket(n);
	sb.home.path = bare_home;
	sb.wayland.path = w;
	sb.transfer.path = t;
	sb.notify.path = n;
	sb.init.path = argv[2];
	data_fds[0] = sb.passwd_fd = memfd_text("user:x:1000:1000::/home/user:/bin/sh\n");
	data_fds[1] = sb.group_fd = memfd_text("user:x:1000:\n");
	data_fds[2] = sb.hosts_fd = memfd_text("127.0.0.1 localhost\n");
	data_fds[3] = sb.hostname_fd = memfd_text("bench\n");
	data_fds[4] = sb.machine_id_fd = memfd_text("0123456789abcdef0123456789abcdef\n");
	if (forward)
		sb.forward.path = forward;
	g_autoptr(GPtrArray) opts = cl_sandbox_build_args(&sb);
	g_autoptr(GBytes) bytes = cl_sandbox_serialize_args(opts);
	int args_fd = memfd_create("args", MFD_CLOEXEC);
	gsize len;
	const void *d = g_bytes_get_data(bytes, &len);
	if (write(args_fd, d, len) != (ssize_t)len)
		g_error("write: %s", g_strerror(errno));
	ClFdMove moves[16];
	size_t n_moves = sb.moves->len;
	memcpy(moves, sb.moves->data, sizeof(ClFdMove) * n_moves);
	moves[n_moves] = (ClFdMove){.from = args_fd, .to = sb.next_fd};
	n_moves++;
	g_autofree char *args_fd_str = g_strdup_printf("%d", sb.next_fd);
	char *argv_b[] = {(char *)"/usr/bin/bwrap",
	                  (char *)"--args",
	                  args_fd_str,
	                  (char *)"--",
	                  (char *)"/home/user/first-exec",
	                  NULL};
	char *env_b[] = {NULL};
	int fds_b[6] = {data_fds[0], data_fds[1], data_fds[2], data_fds[3], data_fds[4], args_fd};
	int n_fds_b = 6;

	/* Warm up all three, then alternate so all see the same machine. */
	g_autoptr(GError) conf_error = NULL;
	g_autoptr(ClConfig) bench_config = cl_config_load_file(conf, &conf_error);
	double *fa = g_new(double, runs), *fb = g_new(double, runs), *fl = g_new(double, runs);
	double dummy;

	if (!bench_config)
		g_error("%s", conf_error->message);
	/* Once per process, as cloison-session does at start-up. */
	double t_prep = bench_now_ms();
	if (!cl_cage_prepare(&conf_error))
		g_error("%s", conf_error->message);
	t_prep = bench_now_ms() - t_prep;
	/*
	 * The session runs with its environment already set: set it here once,
	 * not in each forked child (side B gets its own environment anyway).
	 */
	for (size_t i = 0; env_a[i]; i++) {
		g_auto(GStrv) kv = g_strsplit(env_a[i], "=", 2);
		g_setenv(kv[0], kv[1], TRUE);
	}
	a = g_new(double, runs);
	b = g_new(double, runs);
	for (int i = 0; i < 3; i++) {
		run_once(argv_a, NULL, 0, NULL, 0, false, 0, 0, env_a, &dummy);
		run_library_once(bench_config, &dummy);
		run_once(argv_b, moves, n_moves, fds_b, n_fds_b, drop, uid, gid, env_b, &dummy);
	}
	for (int i = 0; i < runs; i++) {
		a[i] = run_once(argv_a, NULL, 0, NULL, 0, false, 0, 0, env_a, &fa[i]);
		run_library_once(bench_config, &fl[i]);
		b[i] = run_once(argv_b, moves, n_moves, fds_b, n_fds_b, drop, uid, gid, env_b,
		                &fb[i]);
	}
	double ma = bench_median(fa, runs), mb = bench_median(fb, runs),
	       ml = bench_median(fl, runs);
	printf("cage cold start to first exec inside, median of %d runs%s:\n", runs,
	       forward ? ", with the notification forwarder" : "");
	printf("  launcher as the session runs it (cl_cage_run in a forked process, seccomp + "
	       "init): %.2f ms\n",
	       ml);
	printf("  cloison-cage run command line (one more exec):  %.2f ms\n", ma);
	printf("  bare bwrap, same namespaces/mounts:             %.2f ms\n", mb);
	printf("  ratio, launcher: %.2fx (target <= 1.30x)\n", ml / mb);
	printf("  (once per session, not in the figure: cl_cage_prepare %.2f ms)\n", t_prep);
	printf("  ratio, command line: %.2fx\n", ma / mb);
	printf("whole run until exit, for reference: %.2f ms vs %.2f ms\n", bench_median(a, runs),
	       bench_median(b, runs));
	/*
	 * The cage needs two more execs than bare bwrap (the launcher and the
	 * init): what one exec costs here tells how much of the gap that is.
	 */
	for (int i = 0; i < runs; i++) {
		char *argv_c[] = {argv[3], NULL};
		run_once(argv_c, NULL, 0, NULL, 0, false, 0, 0, env_b, &fa[i]);
	}
	printf("for reference, fork + exec of a static program here: %.2f ms\n",
	       bench_median(fa, runs));
	g_free(fa);
	g_free(fb);
	g_free(fl);

	cl_sandbox_clear(&sb);
	g_free(a);
	g_free(b);
	{
		g_autofree char *cmd_dir = g_shell_quote(dir);
		g_autofree char *cmd = g_strdup_printf("rm -rf -- %s", cmd_dir);
		g_spawn_command_line_sync(cmd, NULL, NULL, NULL, NULL);
	}
	return 0;
}
