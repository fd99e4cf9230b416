/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cloison-build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "init-protocol.h"
#include "sandbox.h"

/*
 * /etc entries applications need, shared read-only from the host.  Nothing
 * that identifies the host or its users (passwd, group, hostname, hosts and
 * machine-id are generated per cage).
 */
static const char *const etc_shared[] = {
        "alternatives",
        "ca-certificates",
        "ca-certificates.conf",
        "dbus-1",
        "fonts",
        "gai.conf",
        "gtk-3.0",
        "gtk-4.0",
        "host.conf",
        "ld.so.cache",
        "ld.so.conf",
        "ld.so.conf.d",
        "locale.alias",
        "localtime",
        "mime.types",
        "nsswitch.conf",
        "pki",
        "ssl",
        "timezone",
        "xdg",
        "vulkan",
        "drirc",
        "mailcap",
        "protocols",
        "services",
        NULL,
};

/* Top-level directories that are symlinks into /usr on merged-/usr systems. */
static const char *const usr_links[] = {"bin", "lib", "lib32", "lib64", "libx32", "sbin", NULL};

void cl_sandbox_init(ClSandbox *sb)
{
	*sb = (ClSandbox){
	        .home = {.fd = -1},
	        .wayland = {.fd = -1},
	        .transfer = {.fd = -1},
	        .notify = {.fd = -1},
	        .init = {.fd = -1},
	        .forward = {.fd = -1},
	        .nautilus_ext = {.fd = -1},
	        .passwd_fd = -1,
	        .group_fd = -1,
	        .hosts_fd = -1,
	        .hostname_fd = -1,
	        .machine_id_fd = -1,
	        .status_fd = -1,
	        .control_fd = -1,
	        .host_root = "/",
	};
}

void cl_sandbox_clear(ClSandbox *sb)
{
	if (!sb)
		return;
	g_clear_pointer(&sb->moves, g_array_unref);
}

/* Register a launcher fd; returns its number in the bwrap process. */
static int map_fd(ClSandbox *sb, int fd)
{
	ClFdMove m = {.from = fd, .to = sb->next_fd++};

	g_array_append_val(sb->moves, m);
	return m.to;
}

static void add(GPtrArray *args, const char *a)
{
	g_ptr_array_add(args, g_strdup(a));
}

static void add2(GPtrArray *args, const char *a, const char *b)
{
	add(args, a);
	add(args, b);
}

static void add3(GPtrArray *args, const char *a, const char *b, const char *c)
{
	add(args, a);
	add(args, b);
	add(args, c);
}

static void add_fd_arg(ClSandbox *sb, GPtrArray *args, const char *opt, int fd, const char *dest)
{
	g_autofree char *n = g_strdup_printf("%d", map_fd(sb, fd));

	if (dest)
		add3(args, opt, n, dest);
	else
		add2(args, opt, n);
}

static void add_bind(ClSandbox *sb, GPtrArray *args, bool rw, const ClSource *src, const char *dest)
{
	if (src->fd >= 0)
		add_fd_arg(sb, args, rw ? "--bind-fd" : "--ro-bind-fd", src->fd, dest);
	else
		add3(args, rw ? "--bind" : "--ro-bind", src->path, dest);
}

static void add_env(GPtrArray *args, const char *name, const char *value)
{
	add3(args, "--setenv", name, value);
}

static char *host_path(const ClSandbox *sb, const char *rel)
{
	return g_build_filename(sb->host_root, rel, NULL);
}

GPtrArray *cl_sandbox_build_args(ClSandbox *sb)
{
	GPtrArray *args = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *dbus = g_strdup_printf("unix:path=%s", CL_CAGE_BUS_SOCKET);

	g_clear_pointer(&sb->moves, g_array_unref);
	sb->moves = g_array_new(FALSE, FALSE, sizeof(ClFdMove));
	sb->next_fd = CL_INIT_CONTROL_FD;
	if (sb->control_fd >= 0)
		map_fd(sb, sb->control_fd); /* first, so it lands on CL_INIT_CONTROL_FD */
	else
		sb->next_fd++;

	/* Namespaces and privileges. */
	add(args, "--unshare-user");
	add(args, "--unshare-pid");
	add(args, "--unshare-ipc");
	add(args, "--unshare-uts");
	add(args, "--unshare-cgroup");
	if (!sb->cage->network)
		add(args, "--unshare-net");
	add(args, "--disable-userns");
	add(args, "--assert-userns-disabled");
	add(args, "--die-with-parent");
	add(args, "--new-session");
	add(args, "--as-pid-1");
	add2(args, "--cap-drop", "ALL");
	add2(args, "--uid", G_STRINGIFY(CL_CAGE_UID));
	add2(args, "--gid", G_STRINGIFY(CL_CAGE_GID));
	add2(args, "--hostname", sb->cage->id);

	/* Environment: nothing from the host but a sanitised locale and TERM. */
	add(args, "--clearenv");
	add_env(args, "PATH", "/usr/local/bin:/usr/bin:/bin");
	add_env(args, "HOME", CL_CAGE_HOME);
	add_env(args, "USER", CL_CAGE_USER);
	add_env(args, "LOGNAME", CL_CAGE_USER);
	add_env(args, "SHELL", "/bin/sh");
	add_env(args, "LANG", sb->lang ? sb->lang : "C.UTF-8");
	if (sb->term)
		add_env(args, "TERM", sb->term);
	add_env(args, "XDG_RUNTIME_DIR", CL_CAGE_RUNTIME_DIR);
	add_env(args, "XDG_SESSION_TYPE", "wayland");
	add_env(args, "WAYLAND_DISPLAY", "wayland-0");
	add_env(args, "DBUS_SESSION_BUS_ADDRESS", dbus);
	add_env(args, "GDK_BACKEND", "wayland");
	add_env(args, "QT_QPA_PLATFORM", "wayland");
	add_env(args, "NO_AT_BRIDGE", "1");
	add_env(args, "CLOISON_CAGE", sb->cage->id);
	add_env(args, "CLOISON_LEVEL", sb->cage->level->id);

	/* File system: read-only /usr, the /usr symlinks, a minimal /etc. */
	add3(args, "--ro-bind", "/usr", "/usr");
	for (size_t i = 0; usr_links[i]; i++) {
		g_autofree char *p = host_path(sb, usr_links[i]);
		g_autofree char *dest = g_strconcat("/", usr_links[i], NULL);
		g_autofree char *target = NULL;
		struct stat st;

		if (lstat(p, &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode) && (target = g_file_read_link(p, NULL)))
			add3(args, "--symlink", target, dest);
		else if (S_ISDIR(st.st_mode))
			add3(args, "--ro-bind", p, dest);
	}
	if ((sb->nautilus_ext.fd >= 0 || sb->nautilus_ext.path) && sb->nautilus_ext_dir)
		add_bind(sb, args, false, &sb->nautilus_ext, sb->nautilus_ext_dir);
	add2(args, "--dir", "/etc");
	for (size_t i = 0; etc_shared[i]; i++) {
		g_autofree char *p = g_build_filename(sb->host_root, "etc", etc_shared[i], NULL);
		g_autofree char *dest = g_strconcat("/etc/", etc_shared[i], NULL);
		add3(args, "--ro-bind-try", p, dest);
	}
	if (sb->cage->network) {
		g_autofree char *p = g_build_filename(sb->host_root, "etc", "resolv.conf", NULL);
		add3(args, "--ro-bind-try", p, "/etc/resolv.conf");
	}
	if (sb->passwd_fd >= 0)
		add_fd_arg(sb, args, "--ro-bind-data", sb->passwd_fd, "/etc/passwd");
	if (sb->group_fd >= 0)
		add_fd_arg(sb, args, "--ro-bind-data", sb->group_fd, "/etc/group");
	if (sb->hosts_fd >= 0)
		add_fd_arg(sb, args, "--ro-bind-data", sb->hosts_fd, "/etc/hosts");
	if (sb->hostname_fd >= 0)
		add_fd_arg(sb, args, "--ro-bind-data", sb->hostname_fd, "/etc/hostname");
	if (sb->machine_id_fd >= 0)
		add_fd_arg(sb, args, "--ro-bind-data", sb->machine_id_fd, "/etc/machine-id");

	/* Font cache: read-only, spares every application a slow rescan. */
	add3(args, "--ro-bind-try", "/var/cache/fontconfig", "/var/cache/fontconfig");

	/* Own /proc, minimal /dev, private /tmp and /dev/shm. */
	add2(args, "--proc", "/proc");
	add2(args, "--dev", "/dev");
	add2(args, "--tmpfs", "/dev/shm");
	add2(args, "--tmpfs", "/tmp");
	add2(args, "--dir", "/var");
	add2(args, "--tmpfs", "/var/tmp");
	add3(args, "--symlink", "../run", "/var/run");

	/* /run: read-only, with the core's sockets and the private runtime dir. */
	add2(args, "--tmpfs", "/run");
	add2(args, "--dir", "/run/cloison");
	add_bind(sb, args, false, &sb->init, CL_CAGE_INIT_PATH);
	add_bind(sb, args, true, &sb->transfer, CL_CAGE_TRANSFER);
	add_bind(sb, args, true, &sb->notify, CL_CAGE_NOTIFY);
	if (sb->forward.fd >= 0 || sb->forward.path)
		add_bind(sb, args, false, &sb->forward, CL_CAGE_NOTIFY_FORWARD);
	add2(args, "--dir", "/run/user");
	add2(args, "--perms", "0700");
	add2(args, "--tmpfs", CL_CAGE_RUNTIME_DIR);
	add_bind(sb, args, true, &sb->wayland, CL_CAGE_RUNTIME_DIR "/wayland-0");

	/* The cage's persistent home. */
	add2(args, "--dir", "/home");
	add_bind(sb, args, true, &sb->home, CL_CAGE_HOME);

	/* Everything else read-only: only home, /tmp, /var/tmp, /dev/shm and
	 * the runtime dir are writable. */
	add2(args, "--remount-ro", "/run");
	add2(args, "--remount-ro", "/dev");
	add2(args, "--remount-ro", "/");

	for (size_t i = 0; i < sb->n_seccomp; i++)
		add_fd_arg(sb, args, "--add-seccomp-fd", sb->seccomp_fds[i], NULL);
	if (sb->status_fd >= 0)
		add_fd_arg(sb, args, "--json-status-fd", sb->status_fd, NULL);

	add2(args, "--chdir", CL_CAGE_HOME);
	return args;
}

char **cl_sandbox_build_argv(const ClSandbox *sb, const char *args_fd)
{
	GPtrArray *argv = g_ptr_array_new();

	g_ptr_array_add(argv, g_strdup("bwrap"));
	g_ptr_array_add(argv, g_strdup("--args"));
	g_ptr_array_add(argv, g_strdup(args_fd));
	g_ptr_array_add(argv, g_strdup("--"));
	g_ptr_array_add(argv, g_strdup(CL_CAGE_INIT_PATH));
	if (sb->notify_forward) {
		g_ptr_array_add(argv, g_strdup("--notify-forward"));
		g_ptr_array_add(argv, g_strdup(sb->notify_forward));
	}
	if (sb->command) {
		g_ptr_array_add(argv, g_strdup("--"));
		for (size_t i = 0; sb->command[i]; i++)
			g_ptr_array_add(argv, g_strdup(sb->command[i]));
	}
	g_ptr_array_add(argv, NULL);
	return (char **)g_ptr_array_free(argv, FALSE);
}

GBytes *cl_sandbox_serialize_args(GPtrArray *args)
{
	GByteArray *out = g_byte_array_new();

	for (guint i = 0; i < args->len; i++) {
		const char *a = g_ptr_array_index(args, i);
		g_byte_array_append(out, (const guint8 *)a, (guint)strlen(a) + 1);
	}
	return g_byte_array_free_to_bytes(out);
}

int cl_sandbox_apply_moves(const ClFdMove *moves, size_t n)
{
	int high = 2;

	for (size_t i = 0; i < n; i++)
		high = MAX(high, MAX(moves[i].to, moves[i].from));
	/* First move every source out of the way, so no dup2 clobbers one. */
	int tmp[64];
	if (n > G_N_ELEMENTS(tmp))
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		tmp[i] = fcntl(moves[i].from, F_DUPFD_CLOEXEC, high + 1);
		if (tmp[i] < 0)
			return -errno;
	}
	for (size_t i = 0; i < n; i++) {
		if (dup2(tmp[i], moves[i].to) < 0)
			return -errno;
	}
	/* dup2() leaves FD_CLOEXEC clear on the target: exactly what exec needs. */
	high = 2;
	for (size_t i = 0; i < n; i++)
		high = MAX(high, moves[i].to);
	if (close_range((unsigned)high + 1, ~0U, 0) < 0)
		return -errno;
	/* fds 3..high not in the plan must not leak either. */
	for (int fd = 3; fd <= high; fd++) {
		bool planned = false;
		for (size_t i = 0; i < n && !planned; i++)
			planned = moves[i].to == fd;
		if (!planned)
			close(fd);
	}
	return 0;
}

static bool all_chars(const char *s, const char *extra, size_t max)
{
	size_t n = 0;

	if (!s || !*s)
		return false;
	for (; s[n]; n++) {
		if (n >= max)
			return false;
		if (!g_ascii_isalnum(s[n]) && !strchr(extra, s[n]))
			return false;
	}
	return true;
}

const char *cl_sandbox_sanitize_locale(const char *value)
{
	return all_chars(value, "_.@-", 64) ? value : NULL;
}

const char *cl_sandbox_sanitize_term(const char *value)
{
	return all_chars(value, "-+._", 32) ? value : NULL;
}
