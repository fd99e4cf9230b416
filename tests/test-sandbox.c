/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The bwrap command line of a cage, checked without running it. */
#include "cloison-build-config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init-protocol.h"
#include "sandbox.h"

static const char conf[] = "[level low]\nlabel=Low\ncolour=#00ff00\nrank=0\n"
                           "[cage office]\nlevel=low\n"
                           "[cage web]\nlevel=low\nnetwork=true\n";

typedef struct {
	ClConfig *config;
	ClSandbox sb;
	GPtrArray *args;
	int fds[8];
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
	const char *cage = data;
	GError *error = NULL;

	f->config = cl_config_load_data(conf, strlen(conf), "t", &error);
	g_assert_no_error(error);
	cl_sandbox_init(&f->sb);
	f->sb.cage = cl_config_get_cage(f->config, cage);
	for (size_t i = 0; i < G_N_ELEMENTS(f->fds); i++)
		f->fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	f->sb.home.fd = f->fds[0];
	f->sb.wayland.fd = f->fds[1];
	f->sb.transfer.path = "/staged/transfer";
	f->sb.notify.fd = f->fds[2];
	f->sb.init.fd = f->fds[3];
	f->sb.passwd_fd = f->fds[4];
	f->sb.control_fd = f->fds[5];
	f->sb.status_fd = f->fds[6];
	f->sb.seccomp_fds[0] = f->fds[7];
	f->sb.n_seccomp = 1;
	f->sb.lang = "fr_FR.UTF-8";
	f->args = cl_sandbox_build_args(&f->sb);
}

static void teardown(Fixture *f, gconstpointer data)
{
	g_ptr_array_unref(f->args);
	cl_sandbox_clear(&f->sb);
	for (size_t i = 0; i < G_N_ELEMENTS(f->fds); i++)
		close(f->fds[i]);
	cl_config_free(f->config);
}

static int find(GPtrArray *args, const char *a, guint from)
{
	for (guint i = from; i < args->len; i++)
		if (strcmp(g_ptr_array_index(args, i), a) == 0)
			return (int)i;
	return -1;
}

static const char *arg(GPtrArray *args, int i)
{
	g_assert_cmpint(i, >=, 0);
	g_assert_cmpint(i, <, (int)args->len);
	return g_ptr_array_index(args, (guint)i);
}

static int atoi_safe(const char *s)
{
	return (int)g_ascii_strtoll(s, NULL, 10);
}

/* The value of "--setenv NAME VALUE", or NULL. */
static const char *env_of(GPtrArray *args, const char *name)
{
	for (int i = 0; (i = find(args, "--setenv", (guint)i)) >= 0; i++)
		if (strcmp(arg(args, i + 1), name) == 0)
			return arg(args, i + 2);
	return NULL;
}

/* The child fd the launcher fd `from` is mapped to, or -1. */
static int target_of(ClSandbox *sb, int from)
{
	for (guint i = 0; i < sb->moves->len; i++) {
		ClFdMove *m = &g_array_index(sb->moves, ClFdMove, i);
		if (m->from == from)
			return m->to;
	}
	return -1;
}

static void test_isolation(Fixture *f, gconstpointer data)
{
	static const char *const required[] = {
	        "--unshare-user",   "--unshare-pid", "--unshare-ipc",    "--unshare-uts",
	        "--unshare-cgroup", "--unshare-net", "--disable-userns", "--die-with-parent",
	        "--new-session",    "--as-pid-1",    "--clearenv",
	};
	int i;

	for (size_t k = 0; k < G_N_ELEMENTS(required); k++)
		if (find(f->args, required[k], 0) < 0)
			g_error("missing %s", required[k]);
	i = find(f->args, "--cap-drop", 0);
	g_assert_cmpstr(arg(f->args, i + 1), ==, "ALL");
	i = find(f->args, "--uid", 0);
	g_assert_cmpstr(arg(f->args, i + 1), ==, "1000");
	i = find(f->args, "--gid", 0);
	g_assert_cmpstr(arg(f->args, i + 1), ==, "1000");
	i = find(f->args, "--hostname", 0);
	g_assert_cmpstr(arg(f->args, i + 1), ==, "office");
	g_assert_cmpint(find(f->args, "/etc/resolv.conf", 0), <, 0);
	/* no host bind of anything that could be the host's home or runtime dir */
	g_assert_cmpint(find(f->args, "/home", 0), >=, 0);
	for (guint k = 0; k < f->args->len; k++) {
		const char *a = arg(f->args, (int)k);
		g_assert_false(g_str_has_prefix(a, "/root"));
		g_assert_false(g_str_has_prefix(a, "/tmp/.X11-unix"));
	}
}

static void test_network(Fixture *f, gconstpointer data)
{
	g_assert_cmpint(find(f->args, "--unshare-net", 0), <, 0);
	g_assert_cmpint(find(f->args, "/etc/resolv.conf", 0), >=, 0);
	g_assert_cmpint(find(f->args, "--unshare-user", 0), >=, 0);
}

static void test_environment(Fixture *f, gconstpointer data)
{
	g_assert_cmpstr(env_of(f->args, "HOME"), ==, CL_CAGE_HOME);
	g_assert_cmpstr(env_of(f->args, "XDG_RUNTIME_DIR"), ==, CL_CAGE_RUNTIME_DIR);
	g_assert_cmpstr(env_of(f->args, "WAYLAND_DISPLAY"), ==, "wayland-0");
	g_assert_cmpstr(env_of(f->args, "LANG"), ==, "fr_FR.UTF-8");
	g_assert_cmpstr(env_of(f->args, "CLOISON_CAGE"), ==, "office");
	g_assert_cmpstr(env_of(f->args, "CLOISON_LEVEL"), ==, "low");
	g_assert_cmpstr(env_of(f->args, "DBUS_SESSION_BUS_ADDRESS"), ==,
	                "unix:path=" CL_CAGE_BUS_SOCKET);
	g_assert_null(env_of(f->args, "DISPLAY"));
	g_assert_null(env_of(f->args, "TERM")); /* not given */
	/* --clearenv comes before every --setenv */
	g_assert_cmpint(find(f->args, "--clearenv", 0), <, find(f->args, "--setenv", 0));
}

static void test_mounts(Fixture *f, gconstpointer data)
{
	int usr = find(f->args, "/usr", 0);
	int remount_root = -1, i;

	g_assert_cmpstr(arg(f->args, usr - 1), ==, "--ro-bind");
	/* fd-based binds point at the mapped child fds */
	i = find(f->args, CL_CAGE_HOME, 0);
	while (i >= 0 && strcmp(arg(f->args, i - 2), "--bind-fd") != 0)
		i = find(f->args, CL_CAGE_HOME, (guint)i + 1);
	g_assert_cmpint(i, >=, 0);
	g_assert_cmpint(atoi_safe(arg(f->args, i - 1)), ==, target_of(&f->sb, f->fds[0]));
	i = find(f->args, CL_CAGE_INIT_PATH, 0);
	g_assert_cmpstr(arg(f->args, i - 2), ==, "--ro-bind-fd");
	/* path-based source */
	i = find(f->args, CL_CAGE_TRANSFER, 0);
	g_assert_cmpstr(arg(f->args, i - 2), ==, "--bind");
	g_assert_cmpstr(arg(f->args, i - 1), ==, "/staged/transfer");
	/* private /tmp, /proc, /dev */
	g_assert_cmpstr(arg(f->args, find(f->args, "/tmp", 0) - 1), ==, "--tmpfs");
	g_assert_cmpstr(arg(f->args, find(f->args, "/proc", 0) - 1), ==, "--proc");
	g_assert_cmpstr(arg(f->args, find(f->args, "/dev", 0) - 1), ==, "--dev");
	/* the root is made read-only after everything is mounted */
	for (i = 0; (i = find(f->args, "--remount-ro", (guint)i)) >= 0; i++)
		if (strcmp(arg(f->args, i + 1), "/") == 0)
			remount_root = i;
	g_assert_cmpint(remount_root, >, find(f->args, CL_CAGE_HOME, 0));
	g_assert_cmpint(remount_root, >, find(f->args, CL_CAGE_RUNTIME_DIR "/wayland-0", 0));
	/* options only: bwrap 0.8 wants the command on its argv */
	g_assert_cmpint(find(f->args, "--", 0), <, 0);
	g_assert_cmpstr(arg(f->args, (int)f->args->len - 2), ==, "--chdir");
}

static void test_fd_plan(Fixture *f, gconstpointer data)
{
	g_autoptr(GHashTable) targets = g_hash_table_new(g_direct_hash, g_direct_equal);

	/* the control socket always lands on the init's fixed fd */
	g_assert_cmpint(target_of(&f->sb, f->fds[5]), ==, CL_INIT_CONTROL_FD);
	for (guint i = 0; i < f->sb.moves->len; i++) {
		ClFdMove *m = &g_array_index(f->sb.moves, ClFdMove, i);
		g_assert_cmpint(m->to, >, 2);
		g_assert_false(g_hash_table_contains(targets, GINT_TO_POINTER(m->to)));
		g_hash_table_add(targets, GINT_TO_POINTER(m->to));
	}
	/* every launcher fd given is planned, the path-based one is not */
	for (int i = 0; i < 8; i++)
		g_assert_cmpint(target_of(&f->sb, f->fds[i]), >, 2);
	g_assert_cmpint(f->sb.moves->len, ==, 8);
}

static void test_command(void)
{
	GError *error = NULL;
	g_autoptr(ClConfig) config = cl_config_load_data(conf, strlen(conf), "t", &error);
	ClSandbox sb;
	char *cmd[] = {(char *)"sh", (char *)"-c", (char *)"echo hi", NULL};
	g_autoptr(GPtrArray) args = NULL;
	g_autoptr(GBytes) bytes = NULL;
	g_auto(GStrv) argv = NULL;
	gsize len, nuls = 0;
	const char *d;

	cl_sandbox_init(&sb);
	sb.cage = cl_config_get_cage(config, "office");
	sb.home.path = "/h";
	sb.wayland.path = "/w";
	sb.transfer.path = "/t";
	sb.notify.path = "/n";
	sb.init.path = "/i";
	sb.command = cmd;
	sb.term = "xterm-256color";
	args = cl_sandbox_build_args(&sb);
	argv = cl_sandbox_build_argv(&sb, "12");
	g_assert_cmpuint(g_strv_length(argv), ==, 9);
	g_assert_cmpstr(argv[0], ==, "bwrap");
	g_assert_cmpstr(argv[1], ==, "--args");
	g_assert_cmpstr(argv[2], ==, "12");
	g_assert_cmpstr(argv[3], ==, "--");
	g_assert_cmpstr(argv[4], ==, CL_CAGE_INIT_PATH);
	g_assert_cmpstr(argv[5], ==, "--");
	g_assert_cmpstr(argv[6], ==, "sh");
	g_assert_cmpstr(argv[8], ==, "echo hi");
	g_assert_cmpstr(env_of(args, "TERM"), ==, "xterm-256color");
	g_assert_cmpstr(env_of(args, "LANG"), ==, "C.UTF-8");
	/* no control fd: CL_INIT_CONTROL_FD is still reserved */
	for (guint k = 0; k < sb.moves->len; k++)
		g_assert_cmpint(g_array_index(sb.moves, ClFdMove, k).to, !=, CL_INIT_CONTROL_FD);

	bytes = cl_sandbox_serialize_args(args);
	d = g_bytes_get_data(bytes, &len);
	for (gsize k = 0; k < len; k++)
		nuls += d[k] == '\0';
	g_assert_cmpuint(nuls, ==, args->len);
	g_assert_cmpint(d[len - 1], ==, '\0');
	cl_sandbox_clear(&sb);
}

static void test_host_layout(void)
{
	GError *error = NULL;
	g_autoptr(ClConfig) config = cl_config_load_data(conf, strlen(conf), "t", &error);
	g_autofree char *root = g_dir_make_tmp("cloison-root-XXXXXX", &error);
	g_autofree char *bin = g_build_filename(root, "bin", NULL);
	g_autofree char *lib64 = g_build_filename(root, "lib64", NULL);
	g_autofree char *etc = g_build_filename(root, "etc", NULL);
	g_autoptr(GPtrArray) args = NULL;
	ClSandbox sb;
	int i;

	g_assert_no_error(error);
	g_assert_cmpint(symlink("usr/bin", bin), ==, 0);
	g_assert_cmpint(g_mkdir(lib64, 0755), ==, 0);
	g_assert_cmpint(g_mkdir(etc, 0755), ==, 0);
	cl_sandbox_init(&sb);
	sb.cage = cl_config_get_cage(config, "office");
	sb.host_root = root;
	sb.home.path = sb.wayland.path = sb.transfer.path = sb.notify.path = sb.init.path = "/x";
	args = cl_sandbox_build_args(&sb);
	i = find(args, "/bin", 0);
	g_assert_cmpstr(arg(args, i - 2), ==, "--symlink");
	g_assert_cmpstr(arg(args, i - 1), ==, "usr/bin");
	i = find(args, "/lib64", 0);
	g_assert_cmpstr(arg(args, i - 2), ==, "--ro-bind");
	g_assert_cmpstr(arg(args, i - 1), ==, lib64);
	g_assert_cmpint(find(args, "/sbin", 0), <, 0); /* absent on this fake host */
	/* /etc entries are optional binds, never the host's passwd or hostname */
	i = find(args, "/etc/fonts", 0);
	g_assert_cmpstr(arg(args, i - 2), ==, "--ro-bind-try");
	g_assert_cmpint(find(args, "/etc/shadow", 0), <, 0);
	for (guint k = 0; k < args->len; k++) {
		const char *a = arg(args, (int)k);
		g_assert_false(g_str_has_suffix(a, "/etc/passwd") && k > 0 &&
		               strcmp(arg(args, (int)k - 1), "--ro-bind-try") == 0);
	}
	cl_sandbox_clear(&sb);
	g_unlink(bin);
	g_rmdir(lib64);
	g_rmdir(etc);
	g_rmdir(root);
}

static void test_sanitize(void)
{
	g_assert_cmpstr(cl_sandbox_sanitize_locale("en_GB.UTF-8"), ==, "en_GB.UTF-8");
	g_assert_cmpstr(cl_sandbox_sanitize_locale("sr_RS@latin"), ==, "sr_RS@latin");
	g_assert_null(cl_sandbox_sanitize_locale(""));
	g_assert_null(cl_sandbox_sanitize_locale(NULL));
	g_assert_null(cl_sandbox_sanitize_locale("../../etc"));
	g_assert_null(cl_sandbox_sanitize_locale("C;rm -rf"));
	g_assert_null(cl_sandbox_sanitize_locale("a\nb"));
	g_assert_cmpstr(cl_sandbox_sanitize_term("xterm-256color"), ==, "xterm-256color");
	g_assert_null(cl_sandbox_sanitize_term("x\033]0;"));
	g_assert_null(cl_sandbox_sanitize_term("/etc/passwd"));
}

/* In a child: fds land where planned, nothing else stays open. */
static void test_apply_moves(void)
{
	pid_t pid = fork();
	int status;

	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		int a = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int b = open("/dev/zero", O_RDONLY | O_CLOEXEC);
		int stray = open("/dev/null", O_RDONLY);
		int extra = fcntl(a, F_DUPFD, 40);
		/* b goes to 3, a to 4: a crossing plan to catch clobbering */
		int b_to_3 = fcntl(b, F_DUPFD_CLOEXEC, 20);
		int a_to_4 = fcntl(a, F_DUPFD_CLOEXEC, 30);
		ClFdMove moves[2] = {{.from = b_to_3, .to = 3}, {.from = a_to_4, .to = 4}};
		char buf[1] = {1};
		struct stat st;

		(void)stray;
		(void)extra;
		if (cl_sandbox_apply_moves(moves, 2) < 0)
			_exit(10);
		if (read(3, buf, 1) != 1 || buf[0] != 0) /* /dev/zero */
			_exit(11);
		if (read(4, buf, 1) != 0) /* /dev/null */
			_exit(12);
		if (fcntl(3, F_GETFD) & FD_CLOEXEC || fcntl(4, F_GETFD) & FD_CLOEXEC)
			_exit(13);
		for (int fd = 5; fd < 64; fd++)
			if (fstat(fd, &st) == 0)
				_exit(14);
		_exit(0);
	}
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/sandbox/isolation", Fixture, "office", setup, test_isolation, teardown);
	g_test_add("/sandbox/network", Fixture, "web", setup, test_network, teardown);
	g_test_add("/sandbox/environment", Fixture, "office", setup, test_environment, teardown);
	g_test_add("/sandbox/mounts", Fixture, "office", setup, test_mounts, teardown);
	g_test_add("/sandbox/fd-plan", Fixture, "office", setup, test_fd_plan, teardown);
	g_test_add_func("/sandbox/command", test_command);
	g_test_add_func("/sandbox/host-layout", test_host_layout);
	g_test_add_func("/sandbox/sanitize", test_sanitize);
	g_test_add_func("/sandbox/apply-moves", test_apply_moves);
	return g_test_run();
}
