/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench/session-start: headless session start, from the exec of
 * cloison-session until the bar and every autostart cage's first window are
 * mapped (issue 8: target <= 300 ms median), and the resident memory of
 * the compositor + broker + notifyd (target <= 25 MiB) and of the bar
 * (<= 60 MiB).
 *
 *   session-start SESSION COMPOSITOR BAR TRANSFERD CAGE CAGE_INIT NOTIFYD TOPLEVEL [RUNS]
 *
 * Two cages (levels low and high), each running TOPLEVEL (a Wayland test
 * client, copied into its home) as its application.  Mapping is seen on the
 * compositor's control socket (`windows`, asked every 2 ms: the resolution
 * of the figure).  NOTIFYD is what the session starts as cloison-notifyd.
 * There is no "without Cloison" equivalent of a whole session: the baseline
 * printed is the target, and the ratio is figure / target.
 *
 * Wall time on a shared machine mostly measures the other load, so the CPU
 * time each component has used when everything is mapped is printed too
 * (/proc/PID/task/TID/schedstat, summed over the threads of the processes
 * alive at that moment), with the load average before and after.
 *
 * Memory is read in every run once the session is idle (after the mapping,
 * when the compositor, the broker and notifyd have used less than IDLE_CPU_MS
 * of CPU time in IDLE_WINDOW_MS), before it is stopped: VmRSS, RssAnon,
 * RssFile and RssShmem (/proc/PID/status) and Pss (smaps_rollup) of each
 * daemon and of the bar, the median over the runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench-util.h"

#define TARGET_MS      300.0
#define TARGET_CORE_MB 25.0
#define TARGET_BAR_MB  60.0
#define WAIT_MS        60000
#define IDLE_WINDOW_MS 500.0
#define IDLE_CPU_MS    5.0
#define IDLE_MAX_MS    10000.0

static char *tmp;

/* What the processes of a session are counted as. */
enum {
	PART_SESSION,
	PART_BUS,
	PART_COMPOSITOR,
	PART_BAR,
	PART_BROKER,
	PART_NOTIFYD,
	PART_CAGES,
	N_PARTS,
};
static const char *const part_names[N_PARTS] = {
        "session",
        "core bus",
        "compositor",
        "bar",
        "broker",
        "notifyd",
        "cages (launchers, bwrap, inits, clients)",
};

/* What is read of each process's memory, in kB. */
enum {
	MEM_VMRSS,
	MEM_ANON,
	MEM_FILE,
	MEM_SHMEM,
	MEM_PSS,
	N_MEM,
};
static const struct {
	const char *file, *key, *name;
} mem_fields[N_MEM] = {
        {"status", "VmRSS:", "VmRSS"},     {"status", "RssAnon:", "RssAnon"},
        {"status", "RssFile:", "RssFile"}, {"status", "RssShmem:", "RssShmem"},
        {"smaps_rollup", "Pss:", "Pss"},
};

typedef struct {
	double cpu_ms[N_PARTS];
	double mem_kb[N_PARTS][N_MEM]; /* once idle */
	double idle_ms;                /* from mapped to idle */
	bool idle;                     /* false: still busy after IDLE_MAX_MS */
} Usage;

typedef struct {
	pid_t pid, ppid;
	char *exe; /* argv[0] */
} Proc;

static bool ctl_windows(const char *path, GString *reply)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	static const char req[] = "{\"command\":\"windows\"}\n";
	char buf[4096];
	int fd;

	g_string_truncate(reply, 0);
	if (strlen(path) >= sizeof(sa.sun_path))
		bench_fail("socket path too long: %s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		bench_fail("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1)) {
		close(fd);
		return false;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n <= 0)
			break;
		g_string_append_len(reply, buf, n);
		if (memchr(buf, '\n', n))
			break;
	}
	close(fd);
	return reply->len > 0;
}

/* The reply lists the bar and a window of each cage, all three mapped. */
static bool all_mapped(const char *reply)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *root;
	JsonArray *windows;
	bool bar = false, low = false, high = false;

	if (!json_parser_load_from_data(parser, reply, -1, NULL) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
		return false;
	root = json_node_get_object(json_parser_get_root(parser));
	if (!json_object_has_member(root, "windows"))
		return false;
	windows = json_object_get_array_member(root, "windows");
	for (guint i = 0; windows && i < json_array_get_length(windows); i++) {
		JsonObject *w = json_array_get_object_element(windows, i);
		const char *role = json_object_get_string_member_with_default(w, "role", "");
		const char *app = json_object_get_string_member_with_default(w, "app_id", "");

		if (!json_object_get_boolean_member_with_default(w, "mapped", FALSE))
			continue;
		bar |= strcmp(role, "bar") == 0;
		low |= strcmp(app, "bench-low") == 0;
		high |= strcmp(app, "bench-high") == 0;
	}
	return bar && low && high;
}

static double sleep_ms(double ms)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)(ms * 1e6)};

	nanosleep(&ts, NULL);
	return ms;
}

/* A "KEY: N kB" field of a /proc file, or -1. */
static long proc_kb(pid_t pid, const char *file, const char *key)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/%s", (int)pid, file);
	g_autofree char *text = NULL;
	const char *p;

	if (!g_file_get_contents(path, &text, NULL, NULL) || !(p = strstr(text, key)))
		return -1;
	return strtol(p + strlen(key), NULL, 10);
}

/* CPU time (ms) pid's threads have run, from schedstat (ns), or 0. */
static double cpu_ms(pid_t pid)
{
	g_autofree char *dir = g_strdup_printf("/proc/%d/task", (int)pid);
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *e;
	double ms = 0;

	while (d && (e = g_dir_read_name(d))) {
		g_autofree char *path = g_strdup_printf("%s/%s/schedstat", dir, e);
		g_autofree char *text = NULL;

		if (g_file_get_contents(path, &text, NULL, NULL))
			ms += g_ascii_strtod(text, NULL) / 1e6;
	}
	return ms;
}

static void proc_free(gpointer p)
{
	g_free(((Proc *)p)->exe);
	g_free(p);
}

/* Every process: pid, parent, argv[0]. */
static GHashTable *proc_table(void)
{
	GHashTable *t = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, proc_free);
	g_autoptr(GDir) d = g_dir_open("/proc", 0, NULL);
	const char *e;

	while (d && (e = g_dir_read_name(d))) {
		g_autofree char *stat = NULL, *cmd = NULL;
		g_autofree char *sp = g_strdup_printf("/proc/%s/stat", e);
		g_autofree char *cp = g_strdup_printf("/proc/%s/cmdline", e);
		const char *r;
		int ppid;
		Proc *p;

		if (!g_ascii_isdigit(e[0]) || !g_file_get_contents(sp, &stat, NULL, NULL) ||
		    !(r = strrchr(stat, ')')) || sscanf(r + 2, "%*c %d", &ppid) != 1)
			continue;
		p = g_new0(Proc, 1);
		p->pid = (pid_t)g_ascii_strtoll(e, NULL, 10);
		p->ppid = ppid;
		p->exe = g_file_get_contents(cp, &cmd, NULL, NULL) ? g_strdup(cmd) : g_strdup("");
		g_hash_table_insert(t, GINT_TO_POINTER(p->pid), p);
	}
	return t;
}

/*
 * The part of the session pid belongs to, or -1 when it is not in the
 * session's tree.  programs[part]: how the session's child of that part was
 * started (the end of its argv[0]); the bar is the compositor's child that
 * runs programs[PART_BAR], and whatever the session started otherwise is
 * counted with the cages.
 */
static int part_of(GHashTable *procs, pid_t session, pid_t pid, char **programs)
{
	Proc *p = g_hash_table_lookup(procs, GINT_TO_POINTER(pid));
	Proc *top = NULL;
	bool in_bar = false;

	if (pid == session)
		return PART_SESSION;
	for (int depth = 0; p && depth < 64; depth++) {
		in_bar |= strcmp(p->exe, programs[PART_BAR]) == 0;
		if (p->ppid == session) {
			top = p;
			break;
		}
		p = g_hash_table_lookup(procs, GINT_TO_POINTER(p->ppid));
	}
	if (!top)
		return -1;
	if (in_bar)
		return PART_BAR;
	for (int i = PART_BUS; i < PART_CAGES; i++)
		if (programs[i] && g_str_has_suffix(top->exe, programs[i]))
			return i;
	return PART_CAGES;
}

/*
 * CPU time of the session's processes by part (into cpu_ms), and with mem,
 * their memory (into mem_kb).
 */
static void session_usage(pid_t session, char **programs, double cpu[N_PARTS],
                          double mem[N_PARTS][N_MEM])
{
	g_autoptr(GHashTable) procs = proc_table();
	GHashTableIter iter;
	gpointer key;

	memset(cpu, 0, sizeof(double) * N_PARTS);
	if (mem)
		memset(mem, 0, sizeof(double) * N_PARTS * N_MEM);
	g_hash_table_iter_init(&iter, procs);
	while (g_hash_table_iter_next(&iter, &key, NULL)) {
		pid_t pid = (pid_t)GPOINTER_TO_INT(key);
		int part = part_of(procs, session, pid, programs);

		if (part < 0)
			continue;
		cpu[part] += cpu_ms(pid);
		for (int f = 0; mem && f < N_MEM; f++) {
			long kb = proc_kb(pid, mem_fields[f].file, mem_fields[f].key);

			mem[part][f] += kb > 0 ? (double)kb : 0;
		}
	}
}

static double core_cpu_ms(const double cpu[N_PARTS])
{
	return cpu[PART_COMPOSITOR] + cpu[PART_BROKER] + cpu[PART_NOTIFYD];
}

/*
 * Waits until the compositor, the broker and notifyd are idle (less than
 * IDLE_CPU_MS of CPU in IDLE_WINDOW_MS; at most IDLE_MAX_MS), then reads
 * the memory of every part into u.
 */
static void measure_idle_memory(pid_t session, char **programs, Usage *u)
{
	double before[N_PARTS], after[N_PARTS];
	double t0 = bench_now_ms();

	session_usage(session, programs, before, NULL);
	for (;;) {
		sleep_ms(IDLE_WINDOW_MS);
		session_usage(session, programs, after, NULL);
		u->idle_ms = bench_now_ms() - t0;
		u->idle = core_cpu_ms(after) - core_cpu_ms(before) < IDLE_CPU_MS;
		if (u->idle || u->idle_ms > IDLE_MAX_MS)
			break;
		memcpy(before, after, sizeof(before));
	}
	session_usage(session, programs, after, u->mem_kb);
}

static void print_loadavg(const char *when)
{
	g_autofree char *text = NULL;

	if (g_file_get_contents("/proc/loadavg", &text, NULL, NULL))
		printf("  load average %s: %s", when, text);
}

/* fork + exec, stdin /dev/null, stdout and stderr appended to log. */
static pid_t spawn_logged(char **argv, char **envp, const char *log)
{
	pid_t pid = fork();

	if (pid < 0)
		bench_fail("fork: %s", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int out = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

		if (null < 0 || out < 0 || dup2(null, STDIN_FILENO) < 0 ||
		    dup2(out, STDOUT_FILENO) < 0 || dup2(out, STDERR_FILENO) < 0)
			_exit(126);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	bench_child_add(pid);
	return pid;
}

static void write_file(const char *path, const char *text, int mode)
{
	g_autoptr(GError) error = NULL;

	if (!g_file_set_contents(path, text, -1, &error) || chmod(path, mode) < 0)
		bench_fail("%s: %s", path, error ? error->message : strerror(errno));
}

/* Median over the runs of field F of part PART (or, PART < 0, of the three daemons). */
static double mem_median(const Usage *u, int runs, int part, int f, double *min, double *max)
{
	g_autofree double *v = g_new(double, runs);

	for (int i = 0; i < runs; i++)
		v[i] = part >= 0 ? u[i].mem_kb[part][f]
		                 : u[i].mem_kb[PART_COMPOSITOR][f] + u[i].mem_kb[PART_BROKER][f] +
		                           u[i].mem_kb[PART_NOTIFYD][f];
	double m = bench_median(v, runs);

	if (min)
		*min = v[0];
	if (max)
		*max = v[runs - 1];
	return m;
}

static void print_memory(const Usage *u, int runs)
{
	static const int parts[] = {PART_COMPOSITOR, PART_BROKER, PART_NOTIFYD, -1, PART_BAR};
	g_autofree double *idle = g_new(double, runs);
	int busy = 0;
	double rss, rss_min, rss_max, pss;

	for (int i = 0; i < runs; i++) {
		idle[i] = u[i].idle_ms;
		busy += !u[i].idle;
	}
	printf("memory once idle (median over the runs, MiB; idle %.0f ms after mapped, median; "
	       "%d run(s) still busy after %.0f ms):\n",
	       bench_median(idle, runs), busy, IDLE_MAX_MS);
	printf("  %-26s", "");
	for (int f = 0; f < N_MEM; f++)
		printf(" %9s", mem_fields[f].name);
	printf("\n");
	for (size_t k = 0; k < G_N_ELEMENTS(parts); k++) {
		printf("  %-26s",
		       parts[k] < 0 ? "compositor+broker+notifyd" : part_names[parts[k]]);
		for (int f = 0; f < N_MEM; f++)
			printf(" %9.1f", mem_median(u, runs, parts[k], f, NULL, NULL) / 1024.0);
		printf("\n");
	}
	rss = mem_median(u, runs, -1, MEM_VMRSS, &rss_min, &rss_max) / 1024.0;
	pss = mem_median(u, runs, -1, MEM_PSS, NULL, NULL) / 1024.0;
	printf("  (VmRSS = RssAnon + RssFile + RssShmem.  VmRSS counts every page of a shared "
	       "library in each process that maps it; Pss divides each page among the processes "
	       "that share it, on the whole machine.)\n");
	printf("  figure:   compositor + broker + notifyd VmRSS %.1f MiB (%.1f-%.1f), Pss %.1f "
	       "MiB\n",
	       rss, rss_min / 1024.0, rss_max / 1024.0, pss);
	printf("  baseline: the target, %.0f MiB\n", TARGET_CORE_MB);
	printf("  ratio:    VmRSS %.2f, Pss %.2f of the target\n", rss / TARGET_CORE_MB,
	       pss / TARGET_CORE_MB);
	rss = mem_median(u, runs, PART_BAR, MEM_VMRSS, NULL, NULL) / 1024.0;
	printf("  bar: VmRSS %.1f MiB, ratio %.2f of the %.0f MiB target; Pss %.1f MiB\n", rss,
	       rss / TARGET_BAR_MB, TARGET_BAR_MB,
	       mem_median(u, runs, PART_BAR, MEM_PSS, NULL, NULL) / 1024.0);
}

int main(int argc, char **argv)
{
	int runs = argc > 9 ? (int)g_ascii_strtoll(argv[9], NULL, 10) : 11;
	g_autofree char *conf = NULL, *run = NULL, *data = NULL, *ctl = NULL;
	g_autofree char *log = NULL;
	g_autofree double *times = NULL;
	g_autofree Usage *usage = NULL;
	char *programs[N_PARTS] = {NULL};
	double median, cpu_total = 0;
	char **envp;
	GString *reply = g_string_new(NULL);

	if (argc < 9 || runs < 1 || runs > 1000) {
		fprintf(stderr, "usage: session-start SESSION COMPOSITOR BAR TRANSFERD CAGE "
		                "CAGE_INIT NOTIFYD TOPLEVEL [RUNS]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	tmp = g_dir_make_tmp("cloison-bench-session-XXXXXX", NULL);
	if (!tmp)
		bench_fail("cannot make a temporary directory");
	bench_set_tmp_dir(tmp);
	run = g_build_filename(tmp, "run", NULL);
	data = g_build_filename(tmp, "data", NULL);
	conf = g_build_filename(tmp, "cloison.conf", NULL);
	ctl = g_build_filename(run, "cloison", "core", "ctl", NULL);
	log = g_build_filename(tmp, "session.log", NULL);
	for (const char *const *d =
	             (const char *const[]){"run", "data", "state", "home", "config", "data/cloison",
	                                   "data/cloison/cages", NULL};
	     *d; d++) {
		g_autofree char *p = g_build_filename(tmp, *d, NULL);

		if (mkdir(p, 0700) < 0)
			bench_fail("mkdir %s: %s", p, strerror(errno));
	}
	for (const char *const *c = (const char *const[]){"low", "high", NULL}; *c; c++) {
		g_autofree char *cage = g_build_filename(data, "cloison", "cages", *c, NULL);
		g_autofree char *home = g_build_filename(cage, "home", NULL);
		g_autofree char *client = g_build_filename(home, "toplevel", NULL);
		g_autofree char *bytes = NULL;
		gsize len;

		if (mkdir(cage, 0700) < 0 || mkdir(home, 0700) < 0)
			bench_fail("mkdir %s: %s", home, strerror(errno));
		if (!g_file_get_contents(argv[8], &bytes, &len, NULL) ||
		    !g_file_set_contents(client, bytes, (gssize)len, NULL) ||
		    chmod(client, 0755) < 0)
			bench_fail("cannot copy %s into %s", argv[8], home);
	}
	write_file(conf,
	           "[level low]\nlabel=Low\ncolour=#00aa00\nrank=0\n\n"
	           "[level high]\nlabel=High\ncolour=#cc0000\nrank=10\n\n"
	           "[cage low]\nlevel=low\napplications=/home/user/toplevel --app-id bench-low "
	           "--size 400x300\n\n"
	           "[cage high]\nlevel=high\napplications=/home/user/toplevel --app-id "
	           "bench-high --size 400x300\n",
	           0644);

	envp = g_get_environ();
	{
		g_autofree char *state = g_build_filename(tmp, "state", NULL);
		g_autofree char *home = g_build_filename(tmp, "home", NULL);
		g_autofree char *config = g_build_filename(tmp, "config", NULL);
		const char *vars[][2] = {
		        {"XDG_RUNTIME_DIR", run},
		        {"XDG_DATA_HOME", data},
		        {"XDG_STATE_HOME", state},
		        {"XDG_CONFIG_HOME", config},
		        {"HOME", home},
		        {"CLOISON_COMPOSITOR", argv[2]},
		        {"CLOISON_BAR", argv[3]},
		        {"CLOISON_TRANSFERD", argv[4]},
		        {"CLOISON_CAGE_COMMAND", argv[5]},
		        {"CLOISON_CAGE_INIT", argv[6]},
		        {"CLOISON_NOTIFYD", argv[7]},
		        {"GSK_RENDERER", "cairo"},
		        {"GTK_A11Y", "none"},
		};

		for (size_t i = 0; i < G_N_ELEMENTS(vars); i++)
			envp = g_environ_setenv(envp, vars[i][0], vars[i][1], TRUE);
		envp = g_environ_unsetenv(envp, "WAYLAND_DISPLAY");
		envp = g_environ_unsetenv(envp, "DISPLAY");
		envp = g_environ_unsetenv(envp, "DBUS_SESSION_BUS_ADDRESS");
	}

	programs[PART_BUS] = "dbus-daemon";
	programs[PART_COMPOSITOR] = argv[2];
	programs[PART_BAR] = argv[3];
	programs[PART_BROKER] = argv[4];
	programs[PART_NOTIFYD] = argv[7];
	times = g_new0(double, runs + 1);
	usage = g_new0(Usage, runs + 1);
	printf("session-start: headless cloison-session until the bar and 2 cages' first "
	       "windows are mapped\n");
	print_loadavg("before");
	for (int i = 0; i <= runs; i++) { /* run 0: warm-up */
		char *sargv[] = {argv[1], "--config", conf, "--headless", NULL};
		double t0 = bench_now_ms(), waited = 0;
		pid_t pid = spawn_logged(sargv, envp, log);

		while (!(ctl_windows(ctl, reply) && all_mapped(reply->str))) {
			if (waitpid(pid, NULL, WNOHANG) == pid) {
				g_autofree char *text = NULL;

				bench_child_remove(pid);
				g_file_get_contents(log, &text, NULL, NULL);
				bench_fail("cloison-session exited during run %d; its log:\n%s", i,
				           text ? text : "(none)");
			}
			if (waited > WAIT_MS)
				bench_fail("run %d: not mapped after %d ms", i, WAIT_MS);
			waited += sleep_ms(2);
		}
		times[i] = bench_now_ms() - t0;
		session_usage(pid, programs, usage[i].cpu_ms, NULL);
		measure_idle_memory(pid, programs, &usage[i]);
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		bench_child_remove(pid);
	}
	print_loadavg("after ");
	median = bench_median(times + 1, runs); /* sorts: times[1] is the minimum */
	printf("  figure:   median %.1f ms over %d runs (min %.1f ms, after one warm-up; "
	       "resolution 2 ms)\n",
	       median, runs, times[1]);
	printf("  baseline: the target, %.0f ms (no session without Cloison to compare with)\n",
	       TARGET_MS);
	printf("  ratio:    %.2f of the target\n", median / TARGET_MS);

	printf("CPU time used when everything is mapped (processes alive then; median over the "
	       "runs):\n");
	for (int part = 0; part < N_PARTS; part++) {
		g_autofree double *v = g_new(double, runs);
		double m;

		for (int i = 0; i < runs; i++)
			v[i] = usage[i + 1].cpu_ms[part];
		m = bench_median(v, runs);
		cpu_total += m;
		printf("  %-10s %6.1f ms (%.1f-%.1f)\n", part_names[part], m, v[0], v[runs - 1]);
	}
	printf("  sum of the medians %.1f ms (2 cores: the wall time cannot be below half of "
	       "it)\n",
	       cpu_total);

	print_memory(usage + 1, runs);
	g_strfreev(envp);
	g_string_free(reply, TRUE);
	bench_remove_tmp_dir();
	return 0;
}
