/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <unistd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#include "bench-util.h"

static pid_t children[64];
static char *tmp_dir;

double bench_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), compare);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void bench_set_tmp_dir(const char *dir)
{
	g_free(tmp_dir);
	tmp_dir = g_strdup(dir);
}

void bench_remove_tmp_dir(void)
{
	g_autofree char *cmd_dir = NULL, *cmd = NULL;

	if (!tmp_dir)
		return;
	cmd_dir = g_shell_quote(tmp_dir);
	cmd = g_strdup_printf("rm -rf -- %s", cmd_dir);
	g_spawn_command_line_sync(cmd, NULL, NULL, NULL, NULL);
	g_clear_pointer(&tmp_dir, g_free);
}

void bench_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("benchmark failed: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	for (size_t i = 0; i < G_N_ELEMENTS(children); i++) {
		if (children[i] > 0) {
			kill(children[i], SIGKILL);
			waitpid(children[i], NULL, 0);
		}
	}
	bench_remove_tmp_dir();
	exit(1);
}

void bench_child_add(pid_t pid)
{
	for (size_t i = 0; i < G_N_ELEMENTS(children); i++) {
		if (children[i] <= 0) {
			children[i] = pid;
			return;
		}
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	bench_fail("too many children");
}

void bench_child_remove(pid_t pid)
{
	for (size_t i = 0; i < G_N_ELEMENTS(children); i++) {
		if (children[i] == pid)
			children[i] = 0;
	}
}

/*
 * Fork + exec ARGV with ENVP; the child's stdout goes to OUT (or
 * /dev/null), READY_FD (if >= 0) becomes its fd 3, stderr goes to
 * /dev/null.  With DROP the child runs as UID/GID.
 */
pid_t bench_spawn(char **argv, char **envp, int out, int ready_fd, bool drop, uid_t uid, gid_t gid)
{
	pid_t pid = fork();

	if (pid < 0)
		bench_fail("fork: %s", g_strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (null < 0 || dup2(out >= 0 ? out : null, STDOUT_FILENO) < 0 ||
		    dup2(null, STDERR_FILENO) < 0 || dup2(null, STDIN_FILENO) < 0)
			_exit(126);
		if (ready_fd >= 0 && dup2(ready_fd, 3) < 0)
			_exit(126);
		if (drop && (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
		             setresuid(uid, uid, uid) < 0))
			_exit(126);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	bench_child_add(pid);
	return pid;
}

/* SIGTERM, up to 5 s, then SIGKILL; reaped. */
void bench_stop_pid(pid_t pid)
{
	double t0 = bench_now_ms();
	int status;

	if (pid <= 0)
		return;
	bench_child_remove(pid);
	kill(pid, SIGTERM);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (bench_now_ms() - t0 > 5000) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return;
		}
		g_usleep(2000);
	}
}

char *bench_sway_workspace(const char *name, const char *conf_text, bool *drop, uid_t *uid,
                           gid_t *gid)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *rt = NULL, *swayrt = NULL, *conf = NULL;
	char *dir;

	*drop = geteuid() == 0;
	*uid = geteuid();
	*gid = getegid();
	if (*drop) {
		struct passwd *pw = getpwnam("nobody");

		if (!pw) {
			fprintf(stderr, "%s: as root, sway needs the account nobody\n", name);
			return NULL;
		}
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
	}

	dir = g_dir_make_tmp("cloison-bench-XXXXXX", &error);
	g_assert_no_error(error);
	bench_set_tmp_dir(dir);
	g_chmod(dir, 0711); /* sway, maybe as nobody, reaches its config and runtime dir */
	rt = g_build_filename(dir, "rt", NULL);
	swayrt = g_build_filename(dir, "sway", NULL);
	conf = g_build_filename(dir, "cloison.conf", NULL);
	g_mkdir(rt, 0700);
	g_mkdir(swayrt, 0700);
	if (*drop && chown(swayrt, *uid, *gid) < 0)
		bench_fail("chown: %s", g_strerror(errno));
	g_file_set_contents(conf, conf_text, -1, NULL);
	return dir;
}
