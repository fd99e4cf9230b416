/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench/compositor-frame: the compositor's CPU time per frame with 8
 * animated windows, against sway (same wlroots, headless backend, pixman
 * renderer) on the same clients, measured one after the other in one run.
 *
 * The compositor runs headless at 1920x1080; 8 clients (cl-test-toplevel
 * --animate, one WxH window each, 2 cages x 4 windows for cloison) redraw
 * their whole window in a new colour on every frame callback, so every
 * frame has damage.  After a warm-up, the compositor's CPU time (utime +
 * stime from /proc/PID/stat, and the nanoseconds of /proc/PID/schedstat)
 * is read over a fixed window, and the number of frames it rendered is
 * the number of frame callbacks the clients got meanwhile (they print it
 * on SIGUSR1): each output frame sends one to every window that committed
 * a new buffer, so the largest count among the clients is the number of
 * frames (the smallest is printed too).  Sway gets the same windows at the
 * same places (floating, moved where cloison cascaded them).
 *
 * Prints CPU ms per frame for both and the ratio (target: at most 1.0).
 * Run as root, sway runs as `nobody` (it refuses root).
 *
 * The two are measured alternately, ROUNDS times (default 3); each round is
 * printed, then the medians.
 *
 *   compositor-frame CLOISON-COMPOSITOR CL-TEST-TOPLEVEL [SECONDS [WxH [ROUNDS]]]
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <json-glib/json-glib.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench-util.h"

#define N_CLIENTS  8
#define TIMEOUT_MS 20000.0
#define WARM_UP_MS 1000

static const char conf_text[] = "[level low]\nlabel=Low\ncolour=#00aa00\nrank=0\n\n"
                                "[level high]\nlabel=High\ncolour=#cc0000\nrank=10\n\n"
                                "[cage alpha]\nlevel=low\nnetwork=false\napplications=\n\n"
                                "[cage beta]\nlevel=high\nnetwork=false\napplications=\n";

struct client {
	pid_t pid;
	int out; /* its stdout */
	char buf[4096];
	size_t len;
	int x, y; /* client area in cloison's layout */
};

/*
 * Read C's output until a line starting with PREFIX (copied to LINE, of
 * SIZE bytes); the lines after it stay buffered.  false on EOF or timeout.
 */
static bool client_line(struct client *c, const char *prefix, char *line, size_t size)
{
	double deadline = bench_now_ms() + TIMEOUT_MS;

	for (;;) {
		struct pollfd p = {.fd = c->out, .events = POLLIN};
		char *nl;
		ssize_t r;

		c->buf[c->len] = '\0';
		while ((nl = strchr(c->buf, '\n'))) {
			bool match;

			*nl = '\0';
			match = g_str_has_prefix(c->buf, prefix);
			if (match)
				g_strlcpy(line, c->buf, size);
			c->len -= (size_t)(nl + 1 - c->buf);
			memmove(c->buf, nl + 1, c->len + 1);
			if (match)
				return true;
		}
		if (c->len == sizeof(c->buf) - 1)
			c->len = 0; /* an overlong line: forget it */
		if (bench_now_ms() > deadline || poll(&p, 1, 1000) < 0)
			return false;
		if (!p.revents)
			continue;
		r = read(c->out, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
		if (r <= 0)
			return false;
		c->len += (size_t)r;
	}
}

static void start_clients(struct client *clients, const char *client, const char *display[2],
                          const char *size)
{
	for (int i = 0; i < N_CLIENTS; i++) {
		struct client *c = &clients[i];
		g_autofree char *env_display =
		        g_strconcat("WAYLAND_DISPLAY=", display[i < N_CLIENTS / 2 ? 0 : 1], NULL);
		g_autofree char *title = g_strdup_printf("bench-%d", i + 1);
		g_autofree char *colour =
		        g_strdup_printf("%02x%02x%02x", 30 * i, 200 - 20 * i, 128);
		char *argv[] = {(char *)client,
		                (char *)"--animate",
		                (char *)"--size",
		                (char *)size,
		                (char *)"--title",
		                title,
		                (char *)"--colour",
		                colour,
		                NULL};
		char *envp[] = {env_display, (char *)"PATH=/usr/bin:/bin", NULL};
		int out[2];
		char line[64];

		if (pipe2(out, O_CLOEXEC) < 0)
			bench_fail("pipe: %s", g_strerror(errno));
		c->pid = bench_spawn(argv, envp, out[1], -1, false, 0, 0);
		close(out[1]);
		c->out = out[0];
		c->len = 0;
		if (!client_line(c, "first-frame", line, sizeof(line)))
			bench_fail("client %d got no frame callback", i + 1);
	}
}

static void stop_clients(struct client *clients)
{
	for (int i = 0; i < N_CLIENTS; i++) {
		bench_stop_pid(clients[i].pid);
		close(clients[i].out);
	}
}

/* Frame callbacks each client got so far. */
static void client_frames(struct client *clients, long frames[N_CLIENTS])
{
	char line[64];

	for (int i = 0; i < N_CLIENTS; i++)
		kill(clients[i].pid, SIGUSR1);
	for (int i = 0; i < N_CLIENTS; i++) {
		if (!client_line(&clients[i], "frames ", line, sizeof(line)))
			bench_fail("client %d did not print its frame count", i + 1);
		frames[i] = (long)g_ascii_strtoll(line + 7, NULL, 10);
	}
}

/* utime + stime in ms, and schedstat run time in ms. */
static void cpu_ms(pid_t pid, double *ticks_ms, double *sched_ms)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
	g_autofree char *spath = g_strdup_printf("/proc/%d/schedstat", (int)pid);
	g_autofree char *text = NULL, *stext = NULL;
	g_auto(GStrv) fields = NULL;
	char *p;

	if (!g_file_get_contents(path, &text, NULL, NULL) || !(p = strrchr(text, ')')))
		bench_fail("cannot read %s", path);
	fields = g_strsplit(p + 2, " ", 0);
	/* fields[0] is field 3 (state); utime is field 14, stime 15 */
	if (g_strv_length(fields) < 13)
		bench_fail("%s: too few fields", path);
	*ticks_ms = (double)(g_ascii_strtoll(fields[11], NULL, 10) +
	                     g_ascii_strtoll(fields[12], NULL, 10)) *
	            1000.0 / (double)sysconf(_SC_CLK_TCK);
	*sched_ms = -1;
	if (g_file_get_contents(spath, &stext, NULL, NULL))
		*sched_ms = (double)g_ascii_strtoll(stext, NULL, 10) / 1e6;
}

struct result {
	double cpu_ms, sched_ms, elapsed_ms;
	long frames_max, frames_min;
};

/* Warm up, then the compositor's CPU and the frames over SECONDS. */
static void measure(pid_t comp, struct client *clients, int seconds, struct result *r)
{
	long f0[N_CLIENTS], f1[N_CLIENTS];
	double c0, c1, s0, s1, t0;

	g_usleep(WARM_UP_MS * 1000);
	client_frames(clients, f0);
	cpu_ms(comp, &c0, &s0);
	t0 = bench_now_ms();
	g_usleep((gulong)seconds * G_USEC_PER_SEC);
	cpu_ms(comp, &c1, &s1);
	r->elapsed_ms = bench_now_ms() - t0;
	client_frames(clients, f1);
	r->cpu_ms = c1 - c0;
	r->sched_ms = s0 >= 0 && s1 >= 0 ? s1 - s0 : -1;
	r->frames_max = 0;
	r->frames_min = G_MAXLONG;
	for (int i = 0; i < N_CLIENTS; i++) {
		r->frames_max = MAX(r->frames_max, f1[i] - f0[i]);
		r->frames_min = MIN(r->frames_min, f1[i] - f0[i]);
	}
	if (r->frames_max <= 0)
		bench_fail("no frames rendered during the measurement");
}

static int ctl_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
		bench_fail("socket: %s", g_strerror(errno));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		bench_fail("cannot connect to %s: %s", path, g_strerror(errno));
	return fd;
}

/* Where cloison placed the windows (client areas), from the control socket. */
static void window_positions(const char *ctl, struct client *clients)
{
	static const char request[] = "{\"command\":\"windows\"}\n";
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GString) reply = g_string_new(NULL);
	int fd = ctl_connect(ctl);
	char buf[4096];
	JsonArray *windows;
	JsonObject *root;

	if (write(fd, request, sizeof(request) - 1) != (ssize_t)sizeof(request) - 1)
		bench_fail("control socket: %s", g_strerror(errno));
	while (!strchr(reply->str, '\n')) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r <= 0)
			bench_fail("control socket closed");
		g_string_append_len(reply, buf, r);
	}
	close(fd);
	if (!json_parser_load_from_data(parser, reply->str, -1, NULL) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
		bench_fail("bad reply to windows: %s", reply->str);
	root = json_node_get_object(json_parser_get_root(parser));
	windows = json_object_get_array_member(root, "windows");
	for (guint i = 0; windows && i < json_array_get_length(windows); i++) {
		JsonObject *w = json_array_get_object_element(windows, i);
		const char *title = json_object_get_string_member(w, "title");
		int n;

		if (!g_str_has_prefix(title, "bench-"))
			continue;
		n = (int)g_ascii_strtoll(title + 6, NULL, 10);
		if (n < 1 || n > N_CLIENTS)
			continue;
		clients[n - 1].x = (int)json_object_get_int_member(w, "x");
		clients[n - 1].y = (int)json_object_get_int_member(w, "y");
	}
}

static void run_cloison(const char *comp, const char *client, const char *dir, int seconds,
                        const char *size, struct client *clients, struct result *r)
{
	g_autofree char *rt = g_build_filename(dir, "rt", NULL);
	g_autofree char *conf = g_build_filename(dir, "cloison.conf", NULL);
	g_autofree char *ctl = g_build_filename(rt, "cloison", "core", "ctl", NULL);
	g_autofree char *alpha =
	        g_build_filename(rt, "cloison", "cages", "alpha", "wayland-0", NULL);
	g_autofree char *beta = g_build_filename(rt, "cloison", "cages", "beta", "wayland-0", NULL);
	g_autofree char *env_rt = g_strconcat("XDG_RUNTIME_DIR=", rt, NULL);
	char *argv[] = {(char *)comp,         (char *)"--config", conf,
	                (char *)"--headless", (char *)"--size",   (char *)"1920x1080",
	                (char *)"--ready-fd", (char *)"3",        NULL};
	char *envp[] = {env_rt, (char *)"PATH=/usr/bin:/bin", (char *)"HOME=/nonexistent", NULL};
	const char *display[2] = {alpha, beta};
	struct client ready = {0};
	char line[64];
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		bench_fail("pipe: %s", g_strerror(errno));
	pid = bench_spawn(argv, envp, -1, fds[1], false, 0, 0);
	close(fds[1]);
	ready.out = fds[0];
	if (!client_line(&ready, "READY=1", line, sizeof(line)))
		bench_fail("cloison-compositor did not signal readiness");
	close(fds[0]);
	start_clients(clients, client, display, size);
	window_positions(ctl, clients);
	measure(pid, clients, seconds, r);
	stop_clients(clients);
	bench_stop_pid(pid);
}

static void run_sway(const char *sway, const char *client, const char *dir, int seconds,
                     const char *size, bool drop, uid_t uid, gid_t gid, struct client *clients,
                     struct result *r)
{
	g_autofree char *rt = g_build_filename(dir, "sway", NULL);
	g_autofree char *conf = g_build_filename(dir, "sway.conf", NULL);
	g_autofree char *sock = g_build_filename(rt, "wayland-1", NULL);
	g_autofree char *env_rt = g_strconcat("XDG_RUNTIME_DIR=", rt, NULL);
	g_autofree char *env_home = g_strconcat("HOME=", rt, NULL);
	g_autoptr(GString) text = g_string_new("output HEADLESS-1 mode 1920x1080 position 0 0\n"
	                                       "xwayland disable\n"
	                                       "default_border normal\n");
	char *argv[] = {(char *)sway, (char *)"-c", conf, NULL};
	char *envp[] = {env_rt,
	                env_home,
	                (char *)"PATH=/usr/bin:/bin",
	                (char *)"WLR_BACKENDS=headless",
	                (char *)"WLR_RENDERER=pixman",
	                (char *)"WLR_LIBINPUT_NO_DEVICES=1",
	                NULL};
	const char *display[2] = {sock, sock};
	struct stat st;
	double t0;
	pid_t pid;

	/*
	 * The same windows where cloison put them: its frame is a 4 px border
	 * and a 24 px title bar; sway places the container (title bar
	 * included), the difference of a few pixels does not matter.
	 */
	for (int i = 0; i < N_CLIENTS; i++)
		g_string_append_printf(text,
		                       "for_window [title=\"^bench-%d$\"] floating enable, "
		                       "border normal 4, move position %d %d\n",
		                       i + 1, MAX(clients[i].x - 4, 0), MAX(clients[i].y - 28, 0));
	if (!g_file_set_contents(conf, text->str, -1, NULL) || g_chmod(conf, 0644) < 0)
		bench_fail("cannot write %s", conf);
	t0 = bench_now_ms();
	pid = bench_spawn(argv, envp, -1, -1, drop, uid, gid);
	while (stat(sock, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			bench_child_remove(pid);
			bench_fail("sway exited before it created %s", sock);
		}
		if (bench_now_ms() - t0 > TIMEOUT_MS)
			bench_fail("sway did not create %s", sock);
		g_usleep(5000);
	}
	start_clients(clients, client, display, size);
	measure(pid, clients, seconds, r);
	stop_clients(clients);
	bench_stop_pid(pid);
}

static void print_result(const char *name, const struct result *r)
{
	double per_frame = r->cpu_ms / (double)r->frames_max;

	printf("  %-18s %7.1f ms CPU (schedstat %7.1f ms) over %.0f ms, %ld frames "
	       "(%.1f/s; fewest callbacks a client got: %ld): %.3f ms CPU per frame\n",
	       name, r->cpu_ms, r->sched_ms, r->elapsed_ms, r->frames_max,
	       (double)r->frames_max * 1000.0 / r->elapsed_ms, r->frames_min, per_frame);
}

int main(int argc, char **argv)
{
	g_autofree char *dir = NULL;
	g_autofree char *sway = g_find_program_in_path("sway");
	int seconds = argc > 3 ? (int)g_ascii_strtoll(argv[3], NULL, 10) : 5;
	const char *size = argc > 4 ? argv[4] : "480x360";
	struct client clients[N_CLIENTS] = {0};
	bool drop;
	uid_t uid;
	gid_t gid;
	int rounds = argc > 5 ? (int)g_ascii_strtoll(argv[5], NULL, 10) : 3;
	double pc[64], ps[64], ratio[64];
	struct result rc, rs;

	if (argc < 3 || seconds < 1 || seconds > 600 || rounds < 1 ||
	    rounds > (int)G_N_ELEMENTS(pc)) {
		fprintf(stderr, "usage: compositor-frame CLOISON-COMPOSITOR CL-TEST-TOPLEVEL "
		                "[SECONDS [WxH [ROUNDS]]]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	dir = bench_sway_workspace("compositor-frame", conf_text, &drop, &uid, &gid);
	if (!dir)
		return 2;

	printf("compositor CPU per frame, headless 1920x1080 (pixman), %d animated %s windows "
	       "(continuous damage), %d rounds of %d s after %d ms warm-up, alternately:\n",
	       N_CLIENTS, size, rounds, seconds, WARM_UP_MS);
	for (int i = 0; i < rounds; i++) {
		/* Cloison first; sway gets the windows where cloison put them. */
		run_cloison(argv[1], argv[2], dir, seconds, size, clients, &rc);
		print_result("cloison-compositor", &rc);
		pc[i] = rc.cpu_ms / (double)rc.frames_max;
		if (!sway)
			continue;
		run_sway(sway, argv[2], dir, seconds, size, drop, uid, gid, clients, &rs);
		print_result(drop ? "sway (as nobody)" : "sway", &rs);
		ps[i] = rs.cpu_ms / (double)rs.frames_max;
		ratio[i] = pc[i] / ps[i];
	}
	if (sway) {
		printf("median CPU per frame: cloison-compositor %.3f ms, sway %.3f ms\n",
		       bench_median(pc, rounds), bench_median(ps, rounds));
		printf("ratio, CPU per frame, cloison / sway: median %.2fx of %d rounds "
		       "(target <= 1.00x)\n",
		       bench_median(ratio, rounds), rounds);
	} else {
		printf("median CPU per frame: cloison-compositor %.3f ms; sway is not installed: "
		       "no reference\n",
		       bench_median(pc, rounds));
	}
	bench_remove_tmp_dir();
	return 0;
}
