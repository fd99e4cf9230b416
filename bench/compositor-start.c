/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench/compositor-start: start of cloison-compositor to its first frame,
 * against sway (same wlroots, headless backend, pixman renderer) measured
 * alternately in the same run.  Each run starts a fresh compositor,
 * headless at 1920x1080, in a private runtime directory (cloison: two
 * levels, two cages), and measures from just before its fork + exec:
 *
 *   cloison: the time to READY=1 on --ready-fd (every socket listens and
 *   the output exists), and the time to its first committed frame: the
 *   control socket's "outputs" request reports when the first frame was
 *   committed (first_frame_usec, CLOCK_MONOTONIC, the clock this program
 *   uses too); it is asked every 2 ms after READY until there is one;
 *
 *   sway: the time until its Wayland socket appears (sway creates it
 *   before it starts its backend, so this is earlier in its start-up than
 *   READY is in cloison's);
 *
 *   both: the time until a client started at readiness (cl-test-toplevel
 *   --animate, one 400x300 window) gets its first frame callback: a frame
 *   holding the client's window was rendered.  This is the like-for-like
 *   comparison; it includes the client's own fork + exec and connection.
 *
 * Prints the medians and the ratios (target: first frame within 50 ms).
 * Run as root, sway runs as `nobody` (it refuses root); cloison as root.
 *
 *   compositor-start CLOISON-COMPOSITOR CL-TEST-TOPLEVEL [RUNS]
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench-util.h"

#define TIMEOUT_MS 20000.0

static const char conf_text[] = "[level low]\nlabel=Low\ncolour=#00aa00\nrank=0\n\n"
                                "[level high]\nlabel=High\ncolour=#cc0000\nrank=10\n\n"
                                "[cage alpha]\nlevel=low\nnetwork=false\napplications=\n\n"
                                "[cage beta]\nlevel=high\nnetwork=false\napplications=\n";

/* The client asks for no decoration mode: make sway draw a frame, as cloison does. */
static const char sway_conf_text[] = "output HEADLESS-1 mode 1920x1080 position 0 0\n"
                                     "xwayland disable\n"
                                     "default_border normal\n"
                                     "for_window [title=\"^bench$\"] border normal 4\n";

/* Read lines from FD until one starts with PREFIX; false on EOF or timeout. */
static bool wait_line(int fd, const char *prefix, double deadline)
{
	char buf[4096];
	size_t len = 0;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		double left = deadline - bench_now_ms();
		char *nl;
		ssize_t r;

		if (left <= 0 || poll(&p, 1, (int)left + 1) <= 0)
			return false;
		r = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (r <= 0)
			return false;
		len += (size_t)r;
		buf[len] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			if (g_str_has_prefix(buf, prefix))
				return true;
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len + 1);
		}
		if (len == sizeof(buf) - 1)
			len = 0; /* an overlong line: forget it */
	}
}

/* Start the test client on DISPLAY; the ms (since T0) of its first frame callback. */
static double client_first_frame(const char *client, const char *display, double t0)
{
	g_autofree char *env_display = g_strconcat("WAYLAND_DISPLAY=", display, NULL);
	char *argv[] = {(char *)client,
	                (char *)"--animate",
	                (char *)"--size",
	                (char *)"400x300",
	                (char *)"--title",
	                (char *)"bench",
	                NULL};
	char *envp[] = {env_display, (char *)"PATH=/usr/bin:/bin", NULL};
	int out[2];
	pid_t pid;
	double t = -1;

	if (pipe2(out, O_CLOEXEC) < 0)
		bench_fail("pipe: %s", g_strerror(errno));
	pid = bench_spawn(argv, envp, out[1], -1, false, 0, 0);
	close(out[1]);
	if (wait_line(out[0], "first-frame", bench_now_ms() + TIMEOUT_MS))
		t = bench_now_ms() - t0;
	close(out[0]);
	bench_stop_pid(pid);
	return t;
}

/* Connect to the control socket at PATH; -1 if it does not answer. */
static int ctl_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
		bench_fail("socket: %s", g_strerror(errno));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One request line, one reply line (in BUF, of SIZE bytes). */
static void ctl_request(int fd, const char *request, char *buf, size_t size)
{
	size_t len = 0, n = strlen(request);

	if (write(fd, request, n) != (ssize_t)n)
		bench_fail("control socket: %s", g_strerror(errno));
	while (!memchr(buf, '\n', len)) {
		ssize_t r = read(fd, buf + len, size - 1 - len);

		if (r <= 0)
			bench_fail("control socket closed");
		len += (size_t)r;
		if (len == size - 1)
			break;
	}
	buf[len] = '\0';
	if (!strstr(buf, "\"ok\":true"))
		bench_fail("control socket: %s", buf);
}

/* first_frame_usec of the first output in an "outputs" reply, in ms; 0 if none yet. */
static double first_frame_ms(const char *reply)
{
	const char *p = strstr(reply, "\"first_frame_usec\":");

	if (!p)
		bench_fail("no first_frame_usec in the outputs reply: %s", reply);
	return (double)g_ascii_strtoll(p + strlen("\"first_frame_usec\":"), NULL, 10) / 1000.0;
}

struct cloison_run {
	double ready;  /* READY=1 read */
	double frame;  /* the first frame committed */
	double client; /* a client's first frame callback */
	int polls;     /* outputs requests sent */
};

/*
 * One cold start of cloison-compositor; with FRAME, ask when the first
 * frame was committed, otherwise start the client at READY.
 */
static void run_cloison(const char *comp, const char *client, const char *dir, bool frame,
                        struct cloison_run *res)
{
	g_autofree char *rt = g_build_filename(dir, "rt", NULL);
	g_autofree char *conf = g_build_filename(dir, "cloison.conf", NULL);
	g_autofree char *ctl = g_build_filename(rt, "cloison", "core", "ctl", NULL);
	g_autofree char *cage =
	        g_build_filename(rt, "cloison", "cages", "alpha", "wayland-0", NULL);
	g_autofree char *env_rt = g_strconcat("XDG_RUNTIME_DIR=", rt, NULL);
	char *argv[] = {(char *)comp,         (char *)"--config", conf,
	                (char *)"--headless", (char *)"--size",   (char *)"1920x1080",
	                (char *)"--ready-fd", (char *)"3",        NULL};
	char *envp[] = {env_rt, (char *)"PATH=/usr/bin:/bin", (char *)"HOME=/nonexistent", NULL};
	int ready[2], fd;
	double t0;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (pipe2(ready, O_CLOEXEC) < 0)
		bench_fail("pipe: %s", g_strerror(errno));
	t0 = bench_now_ms();
	pid = bench_spawn(argv, envp, -1, ready[1], false, 0, 0);
	close(ready[1]);
	if (!wait_line(ready[0], "READY=1", t0 + TIMEOUT_MS))
		bench_fail("cloison-compositor did not signal readiness");
	res->ready = bench_now_ms() - t0;
	close(ready[0]);
	if (frame) {
		char reply[8192];
		double first;

		fd = ctl_connect(ctl);
		if (fd < 0)
			bench_fail("cannot connect to %s", ctl);
		for (;;) {
			ctl_request(fd, "{\"command\":\"outputs\"}\n", reply, sizeof(reply));
			res->polls++;
			first = first_frame_ms(reply);
			if (first > 0)
				break;
			if (bench_now_ms() - t0 > TIMEOUT_MS)
				bench_fail("no frame within %.0f ms", TIMEOUT_MS);
			g_usleep(2000);
		}
		res->frame = first - t0;
		close(fd);
	} else {
		res->client = client_first_frame(client, cage, t0);
		if (res->client < 0)
			bench_fail("the client got no frame callback from cloison-compositor");
	}
	bench_stop_pid(pid);
}

/* One cold start of sway: its socket, then a client's first frame. */
static void run_sway(const char *sway, const char *client, const char *dir, bool drop, uid_t uid,
                     gid_t gid, double *socket_ms, double *client_ms)
{
	g_autofree char *rt = g_build_filename(dir, "sway", NULL);
	g_autofree char *conf = g_build_filename(dir, "sway.conf", NULL);
	g_autofree char *sock = g_build_filename(rt, "wayland-1", NULL);
	g_autofree char *env_rt = g_strconcat("XDG_RUNTIME_DIR=", rt, NULL);
	g_autofree char *env_home = g_strconcat("HOME=", rt, NULL);
	char *argv[] = {(char *)sway, (char *)"-c", conf, NULL};
	char *envp[] = {env_rt,
	                env_home,
	                (char *)"PATH=/usr/bin:/bin",
	                (char *)"WLR_BACKENDS=headless",
	                (char *)"WLR_RENDERER=pixman",
	                (char *)"WLR_LIBINPUT_NO_DEVICES=1",
	                NULL};
	char events[4096];
	struct stat st;
	double t0;
	pid_t pid;
	int in;

	in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (in < 0 || inotify_add_watch(in, rt, IN_CREATE) < 0)
		bench_fail("inotify: %s", g_strerror(errno));
	t0 = bench_now_ms();
	pid = bench_spawn(argv, envp, -1, -1, drop, uid, gid);
	while (stat(sock, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		struct pollfd p = {.fd = in, .events = POLLIN};

		if (waitpid(pid, NULL, WNOHANG) == pid) {
			bench_child_remove(pid);
			bench_fail("sway exited before it created %s", sock);
		}
		if (bench_now_ms() - t0 > TIMEOUT_MS)
			bench_fail("sway did not create %s", sock);
		poll(&p, 1, 100);
		while (read(in, events, sizeof(events)) > 0)
			;
	}
	*socket_ms = bench_now_ms() - t0;
	close(in);
	*client_ms = client_first_frame(client, sock, t0);
	if (*client_ms < 0)
		bench_fail("the client got no frame callback from sway");
	bench_stop_pid(pid);
	/* Sway leaves its lock file behind when stopped. */
	{
		g_autofree char *lock = g_build_filename(rt, "wayland-1.lock", NULL);
		g_unlink(lock);
		g_unlink(sock);
	}
}

int main(int argc, char **argv)
{
	g_autofree char *dir = NULL, *sconf = NULL;
	g_autofree char *sway = g_find_program_in_path("sway");
	int runs = argc > 3 ? (int)g_ascii_strtoll(argv[3], NULL, 10) : 21;
	bool drop;
	uid_t uid;
	gid_t gid;
	struct cloison_run r;

	if (argc < 3 || runs < 3 || runs > 1000) {
		fprintf(stderr, "usage: compositor-start CLOISON-COMPOSITOR CL-TEST-TOPLEVEL "
		                "[RUNS>=3]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	dir = bench_sway_workspace("compositor-start", conf_text, &drop, &uid, &gid);
	if (!dir)
		return 2;
	sconf = g_build_filename(dir, "sway.conf", NULL);
	g_file_set_contents(sconf, sway_conf_text, -1, NULL);
	g_chmod(sconf, 0644);

	double *ready = g_new(double, runs), *frame = g_new(double, runs);
	double *cclient = g_new(double, runs);
	double *ssock = g_new(double, runs), *sclient = g_new(double, runs);
	int polls = 0;

	/* Warm up (page cache, fontconfig cache), then alternate. */
	run_cloison(argv[1], argv[2], dir, true, &r);
	run_cloison(argv[1], argv[2], dir, false, &r);
	if (sway)
		run_sway(sway, argv[2], dir, drop, uid, gid, &ssock[0], &sclient[0]);
	for (int i = 0; i < runs; i++) {
		run_cloison(argv[1], argv[2], dir, true, &r);
		ready[i] = r.ready;
		frame[i] = r.frame;
		polls += r.polls;
		run_cloison(argv[1], argv[2], dir, false, &r);
		cclient[i] = r.client;
		if (sway)
			run_sway(sway, argv[2], dir, drop, uid, gid, &ssock[i], &sclient[i]);
	}

	double mframe = bench_median(frame, runs), mcc = bench_median(cclient, runs);
	printf("compositor cold start, headless 1920x1080 (pixman), median of %d runs each:\n",
	       runs);
	printf("  cloison-compositor: READY=1 (sockets + output):          %.2f ms\n",
	       bench_median(ready, runs));
	printf("  cloison-compositor: first frame committed:               %.2f ms "
	       "(target <= 50 ms; range %.2f-%.2f; %.1f outputs requests per run)\n",
	       mframe, frame[0], frame[runs - 1], (double)polls / runs); /* sorted by the median */
	printf("  cloison-compositor: a client's first frame callback:     %.2f ms\n", mcc);
	if (sway) {
		double msc = bench_median(sclient, runs);

		printf("  sway%-12s Wayland socket appears (before its output): %.2f ms\n",
		       drop ? " (as nobody):" : ":", bench_median(ssock, runs));
		printf("  sway: a client's first frame callback:                   %.2f ms\n", msc);
		printf("  ratio, client's first frame, cloison / sway: %.2fx\n", mcc / msc);
	} else {
		printf("  sway is not installed: no reference\n");
	}
	g_free(ready);
	g_free(frame);
	g_free(cclient);
	g_free(ssock);
	g_free(sclient);
	bench_remove_tmp_dir();
	return 0;
}
