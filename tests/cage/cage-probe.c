/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cage-probe: a hostile program for the cage tests.
 *
 *   cage-probe ATTACK [ARGS...]
 *   cage-probe list
 *
 * Each attack tries one way out of the cage and prints exactly one line:
 *
 *   exit 0  "blocked: ..."         the attempt failed, as it must in a cage
 *   exit 1  "ESCAPED: ..."         the attempt worked (a sandbox hole)
 *   exit 2  "setup problem: ..."   the probe could not run the attempt
 *   exit 3  "not applicable: ..."  nothing to try on this kernel/machine
 *
 * A few attacks are positive checks (network-connect-ok, connect-ok,
 * write-outside's second half): there exit 1 means the expected access
 * failed.
 *
 * Run on the host as root, most attacks must report ESCAPED: that shows the
 * attack can fail.  The probe uses libc only and must be built without
 * sanitizers (their runtimes need syscalls the cage refuses).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/perf_event.h>

extern char **environ;

/* Syscall numbers glibc 2.36 headers may lack (x86_64 and i386 share them). */
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif
#ifndef SYS_io_uring_enter
#define SYS_io_uring_enter 426
#endif
#ifndef SYS_io_uring_register
#define SYS_io_uring_register 427
#endif

#define OPEN_TREE_CLONE_FLAG 1
#define X32_SYSCALL_BIT      0x40000000L
#define X32_GETPID           39
#define KEY_SPEC_PROCESS     (-2)
#define KEY_SPEC_USER        (-4)
#define KEYCTL_GET_ID        0
#define UFFD_USER_MODE       1

/* i386 syscall numbers for the int $0x80 attacks. */
#define I386_MOUNT   21
#define I386_PTRACE  26
#define I386_KEYCTL  288
#define I386_UNSHARE 310
#define I386_BPF     357

#define CAGE_UID 1000
#define CAGE_GID 1000

#define MAX_IN_CAGE_PIDS   16
#define CONNECT_TIMEOUT_MS 3000

enum verdict {
	V_BLOCKED = 0,
	V_ESCAPED = 1,
	V_SETUP = 2,
	V_NA = 3,
};

static enum verdict verdict = V_BLOCKED;
static char msg[3072];
static size_t msg_len;

static int verdict_rank(enum verdict v)
{
	switch (v) {
	case V_ESCAPED:
		return 3;
	case V_SETUP:
		return 2;
	case V_NA:
		return 1;
	default:
		return 0;
	}
}

static void set_verdict(enum verdict v)
{
	if (verdict_rank(v) > verdict_rank(verdict))
		verdict = v;
}

/* Append one finding ("; "-separated) to the single output line. */
__attribute__((format(printf, 2, 3))) static void note(enum verdict v, const char *fmt, ...)
{
	va_list ap;
	int n;

	set_verdict(v);
	if (msg_len >= sizeof(msg) - 1)
		return;
	if (msg_len > 0) {
		n = snprintf(msg + msg_len, sizeof(msg) - msg_len, "; ");
		if (n > 0)
			msg_len += (size_t)n;
		if (msg_len >= sizeof(msg))
			msg_len = sizeof(msg) - 1;
	}
	va_start(ap, fmt);
	n = vsnprintf(msg + msg_len, sizeof(msg) - msg_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		msg_len += (size_t)n;
	if (msg_len >= sizeof(msg))
		msg_len = sizeof(msg) - 1;
}

#define BLOCKED(...) note(V_BLOCKED, __VA_ARGS__)
#define ESCAPED(...) note(V_ESCAPED, __VA_ARGS__)
#define SETUP(...)   note(V_SETUP, __VA_ARGS__)
#define NA(...)      note(V_NA, __VA_ARGS__)

static int finish(const char *attack)
{
	const char *prefix;
	size_t i;

	for (i = 0; i < msg_len; i++) {
		if (msg[i] == '\n' || msg[i] == '\r' || (unsigned char)msg[i] < 0x20)
			msg[i] = ' ';
	}
	switch (verdict) {
	case V_ESCAPED:
		prefix = "ESCAPED";
		break;
	case V_SETUP:
		prefix = "setup problem";
		break;
	case V_NA:
		prefix = "not applicable";
		break;
	default:
		prefix = "blocked";
		break;
	}
	printf("%s: %s: %s\n", attack, prefix, msg_len ? msg : "(nothing to report)");
	fflush(stdout);
	return (int)verdict;
}

static const char *err_name(int e)
{
	static char buf[64];

	switch (e) {
	case 0:
		return "success";
	case EPERM:
		return "EPERM";
	case ENOSYS:
		return "ENOSYS";
	case EACCES:
		return "EACCES";
	case ENOENT:
		return "ENOENT";
	case EINVAL:
		return "EINVAL";
	case EROFS:
		return "EROFS";
	case EBADF:
		return "EBADF";
	case EFAULT:
		return "EFAULT";
	case ENXIO:
		return "ENXIO";
	case ENOTTY:
		return "ENOTTY";
	case ECONNREFUSED:
		return "ECONNREFUSED";
	case ENETUNREACH:
		return "ENETUNREACH";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case EIO:
		return "EIO";
	case ENOSPC:
		return "ENOSPC";
	case EBUSY:
		return "EBUSY";
	case ESRCH:
		return "ESRCH";
	default:
		snprintf(buf, sizeof(buf), "errno %d (%s)", e, strerror(e));
		return buf;
	}
}

/*
 * For a syscall the cage's seccomp filter must refuse: -1/EPERM (or ENOSYS)
 * is blocked; success or any other error means the call reached the kernel
 * with the caller's privileges, i.e. the filter did not stop it.
 */
static void expect_refused(const char *what, long ret, int e)
{
	if (ret == -1 && (e == EPERM || e == ENOSYS))
		BLOCKED("%s: %s", what, err_name(e));
	else if (ret == -1)
		ESCAPED("%s reached the kernel (%s instead of EPERM)", what, err_name(e));
	else
		ESCAPED("%s succeeded (returned %ld)", what, ret);
}

/*
 * Run fn(arg) in a child and return what it returns (0 = success, else an
 * errno, 0..255).  If the child dies of a signal, return -1 and store it.
 */
static int in_child(int (*fn)(void *), void *arg, int *sig)
{
	pid_t pid;
	int status;

	*sig = 0;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -2;
	if (pid == 0) {
		alarm(20);
		_exit(fn(arg) & 0xff);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -2;
	}
	if (WIFSIGNALED(status)) {
		*sig = WTERMSIG(status);
		return -1;
	}
	return WEXITSTATUS(status);
}

/* Report a child's result for an operation the filter must refuse. */
static void child_expect_refused(const char *what, int (*fn)(void *), void *arg)
{
	int sig;
	int r = in_child(fn, arg, &sig);

	if (r == -2)
		SETUP("%s: cannot fork: %s", what, strerror(errno));
	else if (r == -1)
		SETUP("%s: child killed by signal %d", what, sig);
	else if (r == 0)
		ESCAPED("%s succeeded", what);
	else
		expect_refused(what, -1, r);
}

static bool read_file(const char *path, char *buf, size_t size, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return false;
	while (got < size - 1) {
		ssize_t n = read(fd, buf + got, size - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	if (len)
		*len = got;
	return true;
}

static bool parse_long(const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end)
		return false;
	*out = v;
	return true;
}

/* Connect to an AF_UNIX path ("@name" = abstract); 0 or errno. */
static int unix_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len = strlen(path);
	socklen_t sl;
	int fd, r, e;

	if (len >= sizeof(sa.sun_path))
		return ENAMETOOLONG;
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '@' ? 0 : 1));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	r = connect(fd, (struct sockaddr *)&sa, sl);
	e = errno;
	close(fd);
	return r == 0 ? 0 : e;
}

/* --- file system ------------------------------------------------------- */

static int attack_read_path(int argc, char **argv)
{
	int i;

	if (argc < 1) {
		SETUP("usage: read-path PATH...");
		return 0;
	}
	for (i = 0; i < argc; i++) {
		const char *p = argv[i];
		struct stat st;
		char buf[64];
		ssize_t n;
		int fd;

		if (lstat(p, &st) < 0) {
			BLOCKED("%s: %s", p, err_name(errno));
			continue;
		}
		if (S_ISSOCK(st.st_mode)) {
			int e = unix_connect(p);

			if (e == 0)
				ESCAPED("%s: socket visible and connectable", p);
			else
				ESCAPED("%s: socket visible (connect: %s)", p, err_name(e));
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			DIR *d = opendir(p);
			struct dirent *de;
			int entries = 0;

			if (!d) {
				ESCAPED("%s: directory visible (opendir: %s)", p, err_name(errno));
				continue;
			}
			while ((de = readdir(d)))
				entries += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
			closedir(d);
			ESCAPED("%s: directory listable (%d entries)", p, entries);
			continue;
		}
		fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0) {
			ESCAPED("%s: exists (mode %o, open: %s)", p, (unsigned)st.st_mode,
			        err_name(errno));
			continue;
		}
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n < 0)
			n = 0;
		buf[n] = '\0';
		for (ssize_t k = 0; k < n; k++) {
			if (!isprint((unsigned char)buf[k]))
				buf[k] = '.';
		}
		ESCAPED("%s: readable (\"%s\")", p, buf);
	}
	return 0;
}

/* A unique name for a scratch file in DIR. */
static void scratch_name(char *buf, size_t size, const char *dir)
{
	snprintf(buf, size, "%s%s.cage-probe-%ld", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
	         (long)getpid());
}

static bool try_create(const char *dir, int *err)
{
	char path[PATH_MAX];
	int fd;

	scratch_name(path, sizeof(path), dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		*err = errno;
		/* Also try a directory: a different permission path. */
		if (mkdir(path, 0700) == 0) {
			rmdir(path);
			return true;
		}
		return false;
	}
	if (write(fd, "x", 1) != 1) {
		*err = errno;
		close(fd);
		unlink(path);
		return false;
	}
	close(fd);
	unlink(path);
	return true;
}

static int attack_write_outside(int argc, char **argv)
{
	static const char *const outside[] = {
	        "/",    "/usr",         "/usr/bin", "/usr/lib", "/etc",      "/var",
	        "/run", "/run/cloison", "/home",    "/proc",    "/proc/sys", "/sys",
	};
	static const char *const sysctls[] = {
	        "/proc/sys/kernel/hostname",
	        "/proc/sys/kernel/domainname",
	        "/proc/sys/vm/drop_caches",
	};
	const char *inside[4];
	const char *rt = getenv("XDG_RUNTIME_DIR");
	const char *home = getenv("HOME");
	size_t i;
	int e = 0;

	inside[0] = home && *home ? home : "/home/user";
	inside[1] = "/tmp";
	inside[2] = "/dev/shm";
	inside[3] = rt && *rt ? rt : "/run/user/1000";

	for (i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		struct stat st;

		if (stat(outside[i], &st) < 0)
			continue;
		if (try_create(outside[i], &e))
			ESCAPED("created a file in %s", outside[i]);
		else
			BLOCKED("%s: %s", outside[i], err_name(e));
	}
	for (int k = 0; k < argc; k++) {
		if (try_create(argv[k], &e))
			ESCAPED("created a file in %s", argv[k]);
		else
			BLOCKED("%s: %s", argv[k], err_name(e));
	}
	/* Opening a sysctl for writing is the permission check; write nothing. */
	for (i = 0; i < sizeof(sysctls) / sizeof(sysctls[0]); i++) {
		int fd = open(sysctls[i], O_WRONLY | O_CLOEXEC);

		if (fd >= 0) {
			close(fd);
			ESCAPED("%s opened for writing", sysctls[i]);
		} else {
			BLOCKED("%s: %s", sysctls[i], err_name(errno));
		}
	}
	for (i = 0; i < sizeof(inside) / sizeof(inside[0]); i++) {
		if (!try_create(inside[i], &e))
			SETUP("cannot write in %s (%s), which a cage must allow", inside[i],
			      err_name(e));
	}
	return 0;
}

static int attack_write_core_pattern(int argc, char **argv)
{
	static const char *const files[] = {
	        "/proc/sys/kernel/core_pattern",  "/proc/sysrq-trigger",
	        "/proc/sys/kernel/modprobe",      "/proc/sys/fs/binfmt_misc/register",
	        "/proc/sys/kernel/core_uses_pid", "/sys/kernel/uevent_helper",
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		/* open(O_WRONLY) is where the kernel checks; never write. */
		int fd = open(files[i], O_WRONLY | O_CLOEXEC);

		if (fd >= 0) {
			close(fd);
			ESCAPED("%s opened for writing", files[i]);
		} else if (errno != ENOENT) {
			BLOCKED("%s: %s", files[i], err_name(errno));
		}
	}
	if (msg_len == 0)
		BLOCKED("none of the files exist");
	return 0;
}

/* --- processes ----------------------------------------------------------- */

static bool read_cmdline(long pid, char *buf, size_t size)
{
	char path[64];
	size_t len = 0;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	if (!read_file(path, buf, size, &len))
		return false;
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] == '\0')
			buf[i] = ' ';
	}
	return true;
}

static int attack_list_proc(int argc, char **argv)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int pids = 0;
	char cmd[512];
	long hostpid = 0;
	const char *marker = argc >= 2 ? argv[1] : NULL;

	if (!d) {
		SETUP("cannot open /proc: %s", strerror(errno));
		return 0;
	}
	while ((de = readdir(d))) {
		long v;

		if (parse_long(de->d_name, &v))
			pids++;
	}
	closedir(d);
	if (pids > MAX_IN_CAGE_PIDS)
		ESCAPED("/proc shows %d processes (more than %d: host pid namespace?)", pids,
		        MAX_IN_CAGE_PIDS);
	else
		BLOCKED("/proc shows %d processes", pids);

	if (argc >= 1 && parse_long(argv[0], &hostpid) && hostpid > 0) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%ld", hostpid);
		if (read_cmdline(hostpid, cmd, sizeof(cmd)) && (!marker || strstr(cmd, marker)))
			ESCAPED("host process %ld visible: \"%s\"", hostpid, cmd);
		else if (access(path, F_OK) == 0)
			BLOCKED("pid %ld exists in the cage but is not the host process", hostpid);
		else
			BLOCKED("host pid %ld not visible", hostpid);
		if (kill((pid_t)hostpid, 0) == 0 && (!marker || strstr(cmd, marker)))
			ESCAPED("kill(%ld, 0) reaches the host process", hostpid);
	}

	if (read_cmdline(1, cmd, sizeof(cmd))) {
		const char *argv0 = cmd;
		const char *sp = strchr(cmd, ' ');
		char first[256];
		const char *base;
		size_t l = sp ? (size_t)(sp - argv0) : strlen(argv0);

		if (l >= sizeof(first))
			l = sizeof(first) - 1;
		memcpy(first, argv0, l);
		first[l] = '\0';
		base = strrchr(first, '/');
		base = base ? base + 1 : first;
		if (!strcmp(first, "/run/cloison/init") || !strcmp(base, "cloison-cage-init") ||
		    !strcmp(base, "bwrap"))
			BLOCKED("pid 1 is \"%s\"", first);
		else
			ESCAPED("pid 1 is not the cage init: \"%s\"", cmd);
	} else {
		BLOCKED("/proc/1/cmdline unreadable: %s", err_name(errno));
	}
	return 0;
}

static int do_traceme(void *arg)
{
	return ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0 ? 0 : errno;
}

static int attack_ptrace_traceme(int argc, char **argv)
{
	child_expect_refused("ptrace(PTRACE_TRACEME)", do_traceme, NULL);
	return 0;
}

static pid_t spawn_sleeper(void)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		alarm(30);
		for (;;)
			pause();
	}
	return pid;
}

static void reap(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

static int attack_ptrace_attach_init(int argc, char **argv)
{
	long target = 1;
	long r;

	/* The target can be changed for host runs (never attach the host's pid 1). */
	if (argc >= 1 && !parse_long(argv[0], &target)) {
		SETUP("bad pid %s", argv[0]);
		return 0;
	}
	/* SEIZE does not stop the target, so a success does no harm. */
	r = ptrace(PTRACE_SEIZE, (pid_t)target, NULL, NULL);
	if (r == 0) {
		ptrace(PTRACE_DETACH, (pid_t)target, NULL, NULL);
		ESCAPED("ptrace(PTRACE_SEIZE, %ld) succeeded", target);
	} else {
		expect_refused("ptrace(PTRACE_SEIZE, init)", r, errno);
	}
	return 0;
}

static int attack_ptrace_attach_sibling(int argc, char **argv)
{
	pid_t child = spawn_sleeper();
	long r;
	int e;

	if (child < 0) {
		SETUP("fork: %s", strerror(errno));
		return 0;
	}
	r = ptrace(PTRACE_ATTACH, child, NULL, NULL);
	e = errno;
	if (r == 0) {
		int status;

		waitpid(child, &status, __WALL);
		ptrace(PTRACE_DETACH, child, NULL, NULL);
	}
	expect_refused("ptrace(PTRACE_ATTACH, child)", r, e);
	reap(child);
	return 0;
}

static char vm_secret[64] = "cage-probe secret in the child";

static int attack_process_vm_readv(int argc, char **argv)
{
	char buf[sizeof(vm_secret)] = {0};
	struct iovec local = {buf, sizeof(buf)};
	struct iovec remote = {vm_secret, sizeof(vm_secret)};
	pid_t child = spawn_sleeper();
	ssize_t r;
	int e;

	if (child < 0) {
		SETUP("fork: %s", strerror(errno));
		return 0;
	}
	r = process_vm_readv(child, &local, 1, &remote, 1, 0);
	e = errno;
	if (r > 0 && !memcmp(buf, vm_secret, sizeof(buf)))
		ESCAPED("process_vm_readv read the child's memory (\"%s\")", buf);
	else
		expect_refused("process_vm_readv", r, e);
	reap(child);
	return 0;
}

static int attack_pidfd_getfd(int argc, char **argv)
{
	long target = 1;
	int pidfd;
	bool got = false;

	if (argc >= 1 && !parse_long(argv[0], &target)) {
		SETUP("bad pid %s", argv[0]);
		return 0;
	}
	pidfd = (int)syscall(SYS_pidfd_open, (pid_t)target, 0);
	if (pidfd < 0) {
		BLOCKED("pidfd_open(%ld): %s", target, err_name(errno));
	} else {
		for (int fd = 0; fd < 64; fd++) {
			int stolen = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
			char path[64], target_path[256];
			ssize_t n;

			if (stolen < 0) {
				if (errno != EBADF && !got && fd < 4)
					BLOCKED("pidfd_getfd(%ld, %d): %s", target, fd,
					        err_name(errno));
				continue;
			}
			snprintf(path, sizeof(path), "/proc/self/fd/%d", stolen);
			n = readlink(path, target_path, sizeof(target_path) - 1);
			target_path[n > 0 ? n : 0] = '\0';
			ESCAPED("stole fd %d of pid %ld (%s)", fd, target, target_path);
			got = true;
			close(stolen);
			if (fd > 8)
				break;
		}
		close(pidfd);
	}
	/* The same through /proc/PID/fd. */
	for (int fd = 0; fd < 16; fd++) {
		char path[64];
		int o;

		snprintf(path, sizeof(path), "/proc/%ld/fd/%d", target, fd);
		o = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
		if (o >= 0) {
			ESCAPED("opened %s", path);
			close(o);
		} else if (errno != ENOENT && fd == 0) {
			BLOCKED("%s: %s", path, err_name(errno));
		}
	}
	return 0;
}

/* --- mounts and namespaces ---------------------------------------------- */

static int attack_mount_tmpfs(int argc, char **argv)
{
	char dir[] = "/tmp/cage-probe-XXXXXX";
	long r;
	int e;

	if (!mkdtemp(dir)) {
		SETUP("mkdtemp in /tmp: %s", strerror(errno));
		return 0;
	}
	r = mount("cage-probe", dir, "tmpfs", 0, "size=64k");
	e = errno;
	if (r == 0)
		umount2(dir, MNT_DETACH);
	expect_refused("mount(tmpfs)", r, e);

	r = syscall(SYS_fsopen, "tmpfs", 0);
	e = errno;
	if (r >= 0)
		close((int)r);
	expect_refused("fsopen(tmpfs)", r, e);

	r = syscall(SYS_open_tree, AT_FDCWD, "/tmp", OPEN_TREE_CLONE_FLAG | O_CLOEXEC);
	e = errno;
	if (r >= 0)
		close((int)r);
	expect_refused("open_tree(/tmp, CLONE)", r, e);

	/*
	 * Make the read-only /usr writable.  On a host where /usr is not a mount
	 * point this is EINVAL; where it is a writable one, it changes nothing.
	 */
	r = mount(NULL, "/usr", NULL, MS_REMOUNT | MS_BIND, NULL);
	expect_refused("mount(MS_REMOUNT|MS_BIND, /usr)", r, errno);
	rmdir(dir);
	return 0;
}

static int attack_umount(int argc, char **argv)
{
	char dir[] = "/tmp/cage-probe-XXXXXX";
	long r;
	int e;

	if (!mkdtemp(dir)) {
		SETUP("mkdtemp in /tmp: %s", strerror(errno));
		return 0;
	}
	/*
	 * Unmount something only this probe mounted (if it could): on a host an
	 * unprivileged caller gets EPERM, a privileged one reaches the kernel.
	 */
	if (mount("cage-probe", dir, "tmpfs", 0, "size=64k") == 0) {
		r = umount2(dir, 0);
		e = errno;
		if (r != 0)
			umount2(dir, MNT_DETACH);
	} else {
		r = umount2(dir, 0);
		e = errno;
	}
	expect_refused("umount2", r, e);
	rmdir(dir);
	return 0;
}

static int attack_pivot_root(int argc, char **argv)
{
	char dir[] = "/tmp/cage-probe-XXXXXX";
	long r;
	int e;

	if (!mkdtemp(dir)) {
		SETUP("mkdtemp in /tmp: %s", strerror(errno));
		return 0;
	}
	/* DIR is not a mount point: with privileges this is EINVAL, never a pivot. */
	r = syscall(SYS_pivot_root, dir, dir);
	e = errno;
	expect_refused("pivot_root", r, e);
	rmdir(dir);
	return 0;
}

static int do_chroot(void *arg)
{
	return chroot("/") == 0 ? 0 : errno;
}

static int attack_chroot(int argc, char **argv)
{
	int sig;
	int r = in_child(do_chroot, NULL, &sig);

	if (r < 0)
		SETUP("child failed (signal %d)", sig);
	else if (r == 0)
		ESCAPED("chroot succeeded");
	else
		BLOCKED("chroot: %s", err_name(r));
	return 0;
}

static int do_unshare(void *arg)
{
	return unshare((int)(intptr_t)arg) == 0 ? 0 : errno;
}

static int attack_unshare_user(int argc, char **argv)
{
	child_expect_refused("unshare(CLONE_NEWUSER)", do_unshare, (void *)(intptr_t)CLONE_NEWUSER);
	return 0;
}

static int attack_unshare_net(int argc, char **argv)
{
	child_expect_refused("unshare(CLONE_NEWNET)", do_unshare, (void *)(intptr_t)CLONE_NEWNET);
	child_expect_refused("unshare(CLONE_NEWNS)", do_unshare, (void *)(intptr_t)CLONE_NEWNS);
	return 0;
}

/* Raw clone with FLAGS; the child exits at once.  0 or errno. */
static int raw_clone(unsigned long flags)
{
	long r = syscall(SYS_clone, flags | SIGCHLD, 0L, 0L, 0L, 0L);
	int status;

	if (r == 0)
		syscall(SYS_exit_group, 0);
	if (r < 0)
		return errno;
	waitpid((pid_t)r, &status, 0);
	return 0;
}

static int attack_clone_newuser(int argc, char **argv)
{
	static const struct {
		unsigned long flag;
		const char *name;
	} flags[] = {
	        {CLONE_NEWUSER, "CLONE_NEWUSER"}, {CLONE_NEWNS, "CLONE_NEWNS"},
	        {CLONE_NEWNET, "CLONE_NEWNET"},   {CLONE_NEWPID, "CLONE_NEWPID"},
	        {CLONE_NEWUTS, "CLONE_NEWUTS"},   {CLONE_NEWIPC, "CLONE_NEWIPC"},
	};

	fflush(stdout);
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		char what[64];
		int e = raw_clone(flags[i].flag);

		snprintf(what, sizeof(what), "clone(%s)", flags[i].name);
		expect_refused(what, e ? -1 : 0, e);
	}
	return 0;
}

struct probe_clone_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
};

static void try_clone3(const char *what, uint64_t flags)
{
	struct probe_clone_args ca = {.flags = flags, .exit_signal = SIGCHLD};
	long r;
	int e, status;

	fflush(stdout);
	r = syscall(SYS_clone3, &ca, sizeof(ca));
	if (r == 0)
		syscall(SYS_exit_group, 0);
	e = errno;
	if (r > 0)
		waitpid((pid_t)r, &status, 0);
	expect_refused(what, r, e);
}

static int attack_clone3(int argc, char **argv)
{
	try_clone3("clone3(0)", 0);
	try_clone3("clone3(CLONE_NEWUSER)", CLONE_NEWUSER);
	try_clone3("clone3(CLONE_NEWNS)", CLONE_NEWNS);
	return 0;
}

static int do_setns(void *arg)
{
	return setns((int)(intptr_t)arg, 0) == 0 ? 0 : errno;
}

static void setns_all(long target)
{
	static const char *const nss[] = {"user", "mnt", "net", "pid", "uts", "ipc", "cgroup"};

	for (size_t i = 0; i < sizeof(nss) / sizeof(nss[0]); i++) {
		char path[64], what[80];
		int fd;

		if (target > 0)
			snprintf(path, sizeof(path), "/proc/%ld/ns/%s", target, nss[i]);
		else
			snprintf(path, sizeof(path), "/proc/self/ns/%s", nss[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			BLOCKED("open %s: %s", path, err_name(errno));
			continue;
		}
		snprintf(what, sizeof(what), "setns(%s)", path);
		child_expect_refused(what, do_setns, (void *)(intptr_t)fd);
		close(fd);
	}
}

/*
 * setns into pid 1's namespaces (usually not even openable) and into the
 * probe's own: the call itself must be refused.
 */
static int attack_setns(int argc, char **argv)
{
	long target = 1;

	if (argc >= 1 && !parse_long(argv[0], &target)) {
		SETUP("bad pid %s", argv[0]);
		return 0;
	}
	setns_all(target);
	setns_all(0);
	return 0;
}

/* NS=ID...: the cage must not share these namespaces with the host. */
static int attack_namespaces(int argc, char **argv)
{
	if (argc < 1) {
		SETUP("usage: namespaces NS=LINK...");
		return 0;
	}
	for (int i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		char ns[32], path[64], link[128];
		size_t l;
		ssize_t n;

		if (!eq || (l = (size_t)(eq - argv[i])) == 0 || l >= sizeof(ns)) {
			SETUP("bad argument %s", argv[i]);
			continue;
		}
		memcpy(ns, argv[i], l);
		ns[l] = '\0';
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0) {
			SETUP("readlink %s: %s", path, err_name(errno));
			continue;
		}
		link[n] = '\0';
		if (!strcmp(link, eq + 1))
			ESCAPED("shares the host's %s namespace (%s)", ns, link);
		else
			BLOCKED("%s", link);
	}
	return 0;
}

/* --- terminals ----------------------------------------------------------- */

struct tty_results {
	int sti;      /* TIOCSTI on own controlling pty */
	int sti_high; /* TIOCSTI with bits above 32 set in the request */
	int linux_;   /* TIOCLINUX */
	int setup;    /* errno of a setup step, or 0 */
};

static int tty_child(int out)
{
	struct tty_results res = {0};
	char name[128];
	char subcode = 3;
	int master, slave;

	if (setsid() < 0) {
		res.setup = errno;
		goto done;
	}
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
	    ptsname_r(master, name, sizeof(name)) != 0) {
		res.setup = errno ? errno : EIO;
		goto done;
	}
	/* A session leader without a terminal acquires this one. */
	slave = open(name, O_RDWR | O_CLOEXEC);
	if (slave < 0) {
		res.setup = errno;
		goto done;
	}
	res.sti = ioctl(slave, TIOCSTI, "x") == 0 ? 0 : errno;
	res.sti_high = syscall(SYS_ioctl, slave, (unsigned long)TIOCSTI | (1UL << 32), "y") == 0
	                       ? 0
	                       : errno;
	res.linux_ = ioctl(slave, TIOCLINUX, &subcode) == 0 ? 0 : errno;
done:
	if (write(out, &res, sizeof(res)) != (ssize_t)sizeof(res))
		return 1;
	return 0;
}

static void report_ioctl(const char *what, int e)
{
	if (e == 0)
		ESCAPED("%s succeeded", what);
	else if (e == EPERM)
		BLOCKED("%s: EPERM", what);
	else
		ESCAPED("%s reached the kernel (%s instead of EPERM)", what, err_name(e));
}

static int attack_tiocsti(int argc, char **argv)
{
	struct tty_results res;
	int p[2];
	pid_t pid;
	int status;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) < 0) {
		SETUP("pipe: %s", strerror(errno));
		return 0;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		_exit(tty_child(p[1]));
	}
	close(p[1]);
	n = read(p[0], &res, sizeof(res));
	close(p[0]);
	waitpid(pid, &status, 0);
	if (n != (ssize_t)sizeof(res)) {
		SETUP("terminal child failed (status %d)", status);
		return 0;
	}
	if (res.setup) {
		SETUP("cannot set up a pty: %s", err_name(res.setup));
		return 0;
	}
	report_ioctl("TIOCSTI", res.sti);
	report_ioctl("TIOCSTI|1<<32", res.sti_high);
	report_ioctl("TIOCLINUX", res.linux_);

	/*
	 * --stdio: also push a space into each terminal the probe was given
	 * (the classic escape: typing into the launching shell).  Only for a
	 * runner that gives the probe a throw-away pty.
	 */
	if (argc >= 1 && !strcmp(argv[0], "--stdio")) {
		for (int fd = 0; fd < 3; fd++) {
			char what[32];

			if (!isatty(fd))
				continue;
			snprintf(what, sizeof(what), "TIOCSTI on fd %d", fd);
			report_ioctl(what, ioctl(fd, TIOCSTI, " ") == 0 ? 0 : errno);
		}
	}
	return 0;
}

static int attack_controlling_tty(int argc, char **argv)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);

	if (fd >= 0) {
		close(fd);
		ESCAPED("/dev/tty opened: the cage shares a controlling terminal");
	} else {
		BLOCKED("/dev/tty: %s", err_name(errno));
	}
	for (int i = 0; i < 3; i++) {
		pid_t sid = 0;

		if (!isatty(i))
			continue;
		if (ioctl(i, TIOCGSID, &sid) == 0 && sid == getsid(0))
			ESCAPED("fd %d is the controlling terminal of this session", i);
		else
			BLOCKED("fd %d is a terminal but not controlling", i);
	}
	return 0;
}

/* --- network ------------------------------------------------------------- */

/* TCP connect with a timeout: 0 or errno. */
static int tcp_connect(const char *host, const char *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct sockaddr_in6 sa6 = {.sin6_family = AF_INET6};
	struct sockaddr *addr;
	socklen_t len;
	long p;
	int fd, r, e = 0;
	struct pollfd pfd;
	socklen_t el = sizeof(e);

	if (!parse_long(port, &p) || p <= 0 || p > 65535)
		return EINVAL;
	if (inet_pton(AF_INET, host, &sa.sin_addr) == 1) {
		sa.sin_port = htons((uint16_t)p);
		addr = (struct sockaddr *)&sa;
		len = sizeof(sa);
	} else if (inet_pton(AF_INET6, host, &sa6.sin6_addr) == 1) {
		sa6.sin6_port = htons((uint16_t)p);
		addr = (struct sockaddr *)&sa6;
		len = sizeof(sa6);
	} else {
		return EINVAL;
	}
	fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return errno;
	r = connect(fd, addr, len);
	if (r < 0 && errno != EINPROGRESS) {
		e = errno;
		close(fd);
		return e;
	}
	if (r < 0) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		r = poll(&pfd, 1, CONNECT_TIMEOUT_MS);
		if (r <= 0) {
			close(fd);
			return r == 0 ? ETIMEDOUT : errno;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
			e = errno;
	}
	close(fd);
	return e;
}

static int attack_network_connect(int argc, char **argv)
{
	if (argc < 2 || argc % 2) {
		SETUP("usage: network-connect HOST PORT [HOST PORT...]");
		return 0;
	}
	for (int i = 0; i + 1 < argc; i += 2) {
		int e = tcp_connect(argv[i], argv[i + 1]);

		if (e == EINVAL)
			SETUP("bad address %s:%s", argv[i], argv[i + 1]);
		else if (e == 0)
			ESCAPED("connected to %s:%s", argv[i], argv[i + 1]);
		else
			BLOCKED("%s:%s: %s", argv[i], argv[i + 1], err_name(e));
	}
	return 0;
}

static int attack_network_connect_ok(int argc, char **argv)
{
	if (argc != 2) {
		SETUP("usage: network-connect-ok HOST PORT");
		return 0;
	}
	int e = tcp_connect(argv[0], argv[1]);

	if (e == EINVAL)
		SETUP("bad address %s:%s", argv[0], argv[1]);
	else if (e == 0)
		BLOCKED("connected to %s:%s as expected (network=true)", argv[0], argv[1]);
	else
		ESCAPED("expected network access failed: %s:%s: %s", argv[0], argv[1], err_name(e));
	return 0;
}

static int attack_net_interfaces(int argc, char **argv)
{
	struct if_nameindex *ifs = if_nameindex();
	bool other = false;

	if (!ifs) {
		/* No netlink/ioctl access at all: nothing is reachable either. */
		BLOCKED("if_nameindex: %s", err_name(errno));
		return 0;
	}
	for (struct if_nameindex *i = ifs; i->if_index; i++) {
		if (strcmp(i->if_name, "lo")) {
			ESCAPED("interface %s visible", i->if_name);
			other = true;
		}
	}
	if (!other)
		BLOCKED("only lo");
	if_freenameindex(ifs);
	return 0;
}

static void connect_must_fail(const char *path)
{
	int e = unix_connect(path);

	if (e == 0)
		ESCAPED("connected to %s", path);
	else
		BLOCKED("%s: %s", path, err_name(e));
}

static int attack_abstract_socket(int argc, char **argv)
{
	if (argc < 1) {
		SETUP("usage: abstract-socket NAME...");
		return 0;
	}
	for (int i = 0; i < argc; i++) {
		char name[108];

		snprintf(name, sizeof(name), "@%s", argv[i][0] == '@' ? argv[i] + 1 : argv[i]);
		connect_must_fail(name);
	}
	return 0;
}

static int attack_host_bus(int argc, char **argv)
{
	const char *addr = getenv("DBUS_SESSION_BUS_ADDRESS");

	if (argc < 1) {
		SETUP("usage: host-bus PATH...");
		return 0;
	}
	for (int i = 0; i < argc; i++) {
		connect_must_fail(argv[i]);
		if (addr && strstr(addr, argv[i]))
			ESCAPED("DBUS_SESSION_BUS_ADDRESS=%s names the host bus", addr);
	}
	connect_must_fail("/run/dbus/system_bus_socket");
	connect_must_fail("/var/run/dbus/system_bus_socket");
	return 0;
}

static int attack_other_cage_sockets(int argc, char **argv)
{
	if (argc < 1) {
		SETUP("usage: other-cage-sockets PATH...");
		return 0;
	}
	for (int i = 0; i < argc; i++)
		connect_must_fail(argv[i]);
	return 0;
}

/* Positive check: the cage's own sockets must be connectable. */
static int attack_connect_ok(int argc, char **argv)
{
	if (argc < 1) {
		SETUP("usage: connect-ok PATH...");
		return 0;
	}
	for (int i = 0; i < argc; i++) {
		int e = unix_connect(argv[i]);

		if (e == 0)
			BLOCKED("%s connectable as expected", argv[i]);
		else
			ESCAPED("expected socket %s not connectable: %s", argv[i], err_name(e));
	}
	return 0;
}

static int attack_x11(int argc, char **argv)
{
	const char *display = getenv("DISPLAY");
	DIR *d = opendir("/tmp/.X11-unix");

	if (display)
		ESCAPED("DISPLAY=%s is set", display);
	if (d) {
		struct dirent *de;

		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			ESCAPED("/tmp/.X11-unix/%s exists", de->d_name);
		}
		closedir(d);
	}
	for (int i = 0; i < 10; i++) {
		char name[64];

		snprintf(name, sizeof(name), "@/tmp/.X11-unix/X%d", i);
		if (unix_connect(name) == 0)
			ESCAPED("abstract X11 socket %s reachable", name);
	}
	if (verdict == V_BLOCKED)
		BLOCKED("no DISPLAY, no X11 sockets");
	return 0;
}

/* --- identity and privileges --------------------------------------------- */

static int attack_setuid_gain(int argc, char **argv)
{
	uid_t r, e, s;

	if (getresuid(&r, &e, &s) < 0) {
		SETUP("getresuid: %s", strerror(errno));
		return 0;
	}
	if (e == 0 || s == 0 || e != r)
		ESCAPED("ruid %u euid %u suid %u: the setuid bit took effect", r, e, s);
	else
		BLOCKED("ruid %u euid %u suid %u", r, e, s);
	if (e != 0 && setuid(0) == 0)
		ESCAPED("setuid(0) succeeded");
	if (e != 0 && setresuid(0, 0, 0) == 0)
		ESCAPED("setresuid(0, 0, 0) succeeded");
	return 0;
}

static void check_id_map(const char *path, bool parent_root_ok)
{
	char buf[1024];
	char *line, *save = NULL;

	if (!read_file(path, buf, sizeof(buf), NULL)) {
		SETUP("cannot read %s: %s", path, err_name(errno));
		return;
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long in, out, count;

		if (sscanf(line, "%lu %lu %lu", &in, &out, &count) != 3) {
			SETUP("cannot parse %s line \"%s\"", path, line);
			continue;
		}
		if (out == 0 && !parent_root_ok)
			ESCAPED("%s maps in-cage %lu to 0 outside (root)", path, in);
		else if (out == 0)
			BLOCKED("%s: %lu -> 0 in the parent namespace (nested; host checked "
			        "outside)",
			        path, in);
		else
			BLOCKED("%s: %lu -> %lu outside (%lu)", path, in, out, count);
	}
}

/*
 * uid-check [--parent-root-ok]: the in-cage ids are 1000, and the id maps do
 * not map them to uid/gid 0 outside.  Read from inside, a map's second column
 * is relative to the parent user namespace, which is the host only when the
 * cage's namespace is not nested; bwrap --disable-userns nests one, whose own
 * uid 0 is the unprivileged host account.  --parent-root-ok accepts 0 there
 * (the runner then checks the real host uid from outside).
 */
static int attack_uid_check(int argc, char **argv)
{
	uid_t u = getuid(), eu = geteuid();
	gid_t g = getgid(), eg = getegid();
	bool parent_root_ok = argc >= 1 && !strcmp(argv[0], "--parent-root-ok");

	if (u != CAGE_UID || eu != CAGE_UID || g != CAGE_GID || eg != CAGE_GID)
		ESCAPED("uid %u euid %u gid %u egid %u (expected %d)", u, eu, g, eg, CAGE_UID);
	else
		BLOCKED("uid/gid %u/%u", u, g);
	check_id_map("/proc/self/uid_map", parent_root_ok);
	check_id_map("/proc/self/gid_map", parent_root_ok);
	return 0;
}

/* create-file PATH: positive check, PATH can be created (for host-side checks). */
static int attack_create_file(int argc, char **argv)
{
	int fd;

	if (argc != 1) {
		SETUP("usage: create-file PATH");
		return 0;
	}
	fd = open(argv[0], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || write(fd, "cage\n", 5) != 5) {
		SETUP("cannot create %s: %s", argv[0], strerror(errno));
		if (fd >= 0)
			close(fd);
		return 0;
	}
	close(fd);
	BLOCKED("created %s", argv[0]);
	return 0;
}

/* mountinfo-leak SUBSTR...: the cage's mount table names no host path. */
static int attack_mountinfo_leak(int argc, char **argv)
{
	static char buf[65536];

	if (argc < 1) {
		SETUP("usage: mountinfo-leak SUBSTR...");
		return 0;
	}
	if (!read_file("/proc/self/mountinfo", buf, sizeof(buf), NULL)) {
		SETUP("cannot read /proc/self/mountinfo: %s", strerror(errno));
		return 0;
	}
	for (int i = 0; i < argc; i++) {
		const char *hit = strstr(buf, argv[i]);

		if (hit) {
			const char *start = hit, *end = hit;

			while (start > buf && start[-1] != '\n')
				start--;
			while (*end && *end != '\n')
				end++;
			ESCAPED("mountinfo shows host path \"%s\": %.*s", argv[i],
			        (int)(end - start), start);
		} else {
			BLOCKED("no \"%s\"", argv[i]);
		}
	}
	return 0;
}

/*
 * vsock: AF_VSOCK ignores network namespaces, so a cage without network
 * that can make one reaches the hypervisor's (or the host's) vsock services.
 * Only socket() is tried: nothing outside is contacted.
 */
static int attack_vsock(int argc, char **argv)
{
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0) {
		close(fd);
		ESCAPED("socket(AF_VSOCK) succeeded: vsock is not confined by the network "
		        "namespace");
	} else {
		BLOCKED("socket(AF_VSOCK): %s", err_name(errno));
	}
	return 0;
}

static int attack_capabilities(int argc, char **argv)
{
	static const char *const keys[] = {"CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:"};
	char buf[4096];
	bool seen = false;

	if (!read_file("/proc/self/status", buf, sizeof(buf), NULL)) {
		SETUP("cannot read /proc/self/status: %s", strerror(errno));
		return 0;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *p = strstr(buf, keys[i]);
		unsigned long long v;

		if (!p || sscanf(p + strlen(keys[i]), "%llx", &v) != 1)
			continue;
		seen = true;
		if (v)
			ESCAPED("%s %llx", keys[i], v);
	}
	if (!seen)
		SETUP("no capability lines in /proc/self/status");
	else if (verdict == V_BLOCKED)
		BLOCKED("all capability sets empty");
	return 0;
}

static int attack_seccomp_active(int argc, char **argv)
{
	char buf[4096];
	const char *p;
	long v;

	if (!read_file("/proc/self/status", buf, sizeof(buf), NULL)) {
		SETUP("cannot read /proc/self/status: %s", strerror(errno));
		return 0;
	}
	p = strstr(buf, "NoNewPrivs:");
	if (!p || sscanf(p + 11, "%ld", &v) != 1)
		SETUP("no NoNewPrivs line");
	else if (v != 1)
		ESCAPED("NoNewPrivs: %ld", v);
	else
		BLOCKED("NoNewPrivs: 1");
	p = strstr(buf, "Seccomp:");
	if (!p || sscanf(p + 8, "%ld", &v) != 1)
		SETUP("no Seccomp line");
	else if (v != 2)
		ESCAPED("Seccomp: %ld (no filter)", v);
	else
		BLOCKED("Seccomp: 2");
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		ESCAPED("PR_GET_NO_NEW_PRIVS is not 1");
	return 0;
}

static int attack_hostname(int argc, char **argv)
{
	char name[256] = "";

	if (argc != 1) {
		SETUP("usage: hostname EXPECTED");
		return 0;
	}
	if (gethostname(name, sizeof(name) - 1) < 0) {
		SETUP("gethostname: %s", strerror(errno));
		return 0;
	}
	if (strcmp(name, argv[0]))
		ESCAPED("hostname is \"%s\", not \"%s\" (host uts namespace?)", name, argv[0]);
	else
		BLOCKED("hostname is %s", name);
	/* Set it to its own value: a success changes nothing but proves the right. */
	if (sethostname(name, strlen(name)) == 0)
		ESCAPED("sethostname succeeded");
	else
		BLOCKED("sethostname: %s", err_name(errno));
	return 0;
}

/* Allowed environment variable names in a cage (prefix match with '*'). */
static const char *const env_allowed[] = {
        "HOME",
        "USER",
        "LOGNAME",
        "PATH",
        "SHELL",
        "LANG",
        "LANGUAGE",
        "LC_*",
        "TZ",
        "TERM",
        "COLORTERM",
        "PWD",
        "OLDPWD",
        "SHLVL",
        "_",
        "XDG_RUNTIME_DIR",
        "XDG_SESSION_TYPE",
        "XDG_CURRENT_DESKTOP",
        "XDG_SESSION_DESKTOP",
        "XDG_DATA_HOME",
        "XDG_CONFIG_HOME",
        "XDG_CACHE_HOME",
        "XDG_STATE_HOME",
        "XDG_DATA_DIRS",
        "XDG_CONFIG_DIRS",
        "WAYLAND_DISPLAY",
        "DBUS_SESSION_BUS_ADDRESS",
        "CLOISON_CAGE",
        "CLOISON_LEVEL",
        "CLOISON_LEVEL_LABEL",
        "GDK_BACKEND",
        "QT_QPA_PLATFORM",
        "MOZ_ENABLE_WAYLAND",
        "SDL_VIDEODRIVER",
        "CLUTTER_BACKEND",
        "ELECTRON_OZONE_PLATFORM_HINT",
        "NO_AT_BRIDGE",
        "GTK_A11Y",
        "GSK_RENDERER",
        "GTK_USE_PORTAL",
        "GIO_USE_VFS",
};

static bool env_name_allowed(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(env_allowed) / sizeof(env_allowed[0]); i++) {
		const char *a = env_allowed[i];
		size_t al = strlen(a);

		if (al > 0 && a[al - 1] == '*') {
			if (len >= al - 1 && !strncmp(name, a, al - 1))
				return true;
		} else if (al == len && !memcmp(name, a, len)) {
			return true;
		}
	}
	return false;
}

/*
 * env-leak [-v SUBSTR]... [NAME...]: no NAME, no value containing SUBSTR,
 * and only known names in the environment; the same for every readable
 * /proc/PID/environ in the cage.
 */
static void check_env_block(const char *where, const char *block, size_t len, int argc, char **argv)
{
	for (size_t off = 0; off < len;) {
		const char *var = block + off;
		size_t vl = strnlen(var, len - off);
		const char *eq = memchr(var, '=', vl);
		size_t nl = eq ? (size_t)(eq - var) : vl;

		off += vl + 1;
		if (vl == 0)
			continue;
		for (int i = 0; i < argc; i++) {
			if (!strcmp(argv[i], "-v") && i + 1 < argc) {
				if (eq && strstr(eq + 1, argv[i + 1]))
					ESCAPED("%s: %.*s holds host string \"%s\"", where, (int)nl,
					        var, argv[i + 1]);
				i++;
			} else if (strlen(argv[i]) == nl && !memcmp(argv[i], var, nl)) {
				ESCAPED("%s: host variable %.*s present", where, (int)nl, var);
			}
		}
		if (!env_name_allowed(var, nl))
			ESCAPED("%s: unexpected variable %.*s", where, (int)nl, var);
	}
}

static int attack_env_leak(int argc, char **argv)
{
	static char block[65536];
	size_t len = 0;
	DIR *d;
	struct dirent *de;
	int others = 0;

	for (char **e = environ; e && *e; e++) {
		size_t l = strlen(*e);

		if (len + l + 1 > sizeof(block))
			break;
		memcpy(block + len, *e, l + 1);
		len += l + 1;
	}
	check_env_block("environ", block, len, argc, argv);

	d = opendir("/proc");
	while (d && (de = readdir(d))) {
		char path[64];
		long pid;

		if (!parse_long(de->d_name, &pid) || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/environ", pid);
		if (!read_file(path, block, sizeof(block), &len))
			continue;
		others++;
		snprintf(path, sizeof(path), "pid %ld", pid);
		check_env_block(path, block, len, argc, argv);
	}
	if (d)
		closedir(d);
	if (verdict == V_BLOCKED)
		BLOCKED("environment clean (%d other readable environ)", others);
	return 0;
}

static int attack_fd_leak(int argc, char **argv)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int dfd;

	if (!d) {
		SETUP("cannot open /proc/self/fd: %s", strerror(errno));
		return 0;
	}
	dfd = dirfd(d);
	while ((de = readdir(d))) {
		char path[64], target[256];
		long fd;
		ssize_t n;

		if (!parse_long(de->d_name, &fd) || fd < 3 || fd == dfd)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%ld", fd);
		n = readlink(path, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		ESCAPED("fd %ld open: %s", fd, target);
	}
	closedir(d);
	if (verdict == V_BLOCKED)
		BLOCKED("only fds 0-2 open");
	return 0;
}

static int attack_dev_nodes(int argc, char **argv)
{
	static const char *const allowed[] = {
	        "null", "zero", "full",  "random", "urandom", "tty",  "ptmx",   "pts",
	        "shm",  "fd",   "stdin", "stdout", "stderr",  "core", "mqueue", "console",
	};
	DIR *d = opendir("/dev");
	struct dirent *de;

	if (!d) {
		SETUP("cannot open /dev: %s", strerror(errno));
		return 0;
	}
	while ((de = readdir(d))) {
		bool ok = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");

		for (size_t i = 0; !ok && i < sizeof(allowed) / sizeof(allowed[0]); i++)
			ok = !strcmp(de->d_name, allowed[i]);
		if (!ok)
			ESCAPED("/dev/%s present", de->d_name);
	}
	closedir(d);
	/* A private devpts instance: no terminal of the host (none opened yet). */
	d = opendir("/dev/pts");
	while (d && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "ptmx"))
			ESCAPED("/dev/pts/%s present (the host's terminals?)", de->d_name);
	}
	if (d)
		closedir(d);
	if (verdict == V_BLOCKED)
		BLOCKED("/dev is minimal, /dev/pts empty");
	return 0;
}

/* --- privileged kernel interfaces ---------------------------------------- */

static int attack_init_module(int argc, char **argv)
{
	long r;

	r = syscall(SYS_init_module, NULL, 0UL, "");
	expect_refused("init_module", r, errno);
	r = syscall(SYS_finit_module, -1, "", 0);
	expect_refused("finit_module", r, errno);
	r = syscall(SYS_delete_module, "cage_probe_none", O_NONBLOCK);
	expect_refused("delete_module", r, errno);
	return 0;
}

static int attack_io_uring_setup(int argc, char **argv)
{
	char params[120] = {0}; /* struct io_uring_params */
	long r;

	r = syscall(SYS_io_uring_setup, 1, params);
	if (r >= 0)
		close((int)r);
	expect_refused("io_uring_setup", r, errno);
	r = syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0);
	expect_refused("io_uring_enter", r, errno);
	r = syscall(SYS_io_uring_register, -1, 0, NULL, 0);
	expect_refused("io_uring_register", r, errno);
	return 0;
}

static int attack_bpf(int argc, char **argv)
{
	union bpf_attr attr;
	long r;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	r = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	if (r >= 0)
		close((int)r);
	expect_refused("bpf(BPF_MAP_CREATE)", r, errno);
	return 0;
}

static int attack_perf_event_open(int argc, char **argv)
{
	struct perf_event_attr attr;
	long r;

	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_SOFTWARE;
	attr.size = sizeof(attr);
	attr.config = PERF_COUNT_SW_TASK_CLOCK;
	attr.disabled = 1;
	attr.exclude_kernel = 1;
	attr.exclude_hv = 1;
	r = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0UL);
	if (r >= 0)
		close((int)r);
	expect_refused("perf_event_open", r, errno);
	return 0;
}

static int attack_userfaultfd(int argc, char **argv)
{
	long r = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE);
	int fd;

	if (r >= 0)
		close((int)r);
	expect_refused("userfaultfd", r, errno);
	fd = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		ESCAPED("/dev/userfaultfd opened");
	}
	return 0;
}

static int attack_keyctl(int argc, char **argv)
{
	long r;

	r = syscall(SYS_keyctl, KEYCTL_GET_ID, KEY_SPEC_USER, 0);
	expect_refused("keyctl(GET_KEYRING_ID)", r, errno);
	r = syscall(SYS_add_key, "user", "cage-probe", "x", 1UL, KEY_SPEC_PROCESS);
	expect_refused("add_key", r, errno);
	r = syscall(SYS_request_key, "user", "cage-probe-none", NULL, 0L);
	expect_refused("request_key", r, errno);
	return 0;
}

static int attack_kexec_load(int argc, char **argv)
{
	long r;

	/* Invalid flags: a privileged caller gets EINVAL, nothing is loaded. */
	r = syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0xdead0000UL);
	expect_refused("kexec_load", r, errno);
	r = syscall(SYS_kexec_file_load, -1, -1, 0UL, "", 0xdead0000UL);
	expect_refused("kexec_file_load", r, errno);
	return 0;
}

static int attack_reboot(int argc, char **argv)
{
	/* Bad magic: a privileged caller gets EINVAL, nothing happens. */
	long r = syscall(SYS_reboot, 0xdeadL, 0xbeefL, 0, NULL);

	expect_refused("reboot(bad magic)", r, errno);
	return 0;
}

static int do_iopl(void *arg)
{
	return iopl(3) == 0 ? 0 : errno;
}

static int attack_iopl(int argc, char **argv)
{
	int sig;
	int r = in_child(do_iopl, NULL, &sig);

	if (r < 0)
		SETUP("child failed (signal %d)", sig);
	else if (r == 0)
		ESCAPED("iopl(3) succeeded");
	else
		BLOCKED("iopl(3): %s", err_name(r));
	return 0;
}

static int attack_mknod(int argc, char **argv)
{
	const char *home = getenv("HOME");
	const char *dirs[] = {"/tmp", home && *home ? home : "/home/user"};

	for (size_t i = 0; i < 2; i++) {
		char path[PATH_MAX];

		scratch_name(path, sizeof(path), dirs[i]);
		if (mknod(path, S_IFCHR | 0600, makedev(1, 3)) == 0) {
			unlink(path);
			ESCAPED("mknod char device in %s succeeded", dirs[i]);
		} else {
			BLOCKED("mknod in %s: %s", dirs[i], err_name(errno));
		}
	}
	return 0;
}

static int attack_open_by_handle(int argc, char **argv)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	} h;
	int mount_id, mfd, fd;

	h.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, "/", &h.fh, &mount_id, 0) < 0) {
		BLOCKED("name_to_handle_at: %s", err_name(errno));
		return 0;
	}
	mfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0) {
		SETUP("open /: %s", strerror(errno));
		return 0;
	}
	fd = open_by_handle_at(mfd, &h.fh, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ESCAPED("open_by_handle_at succeeded");
		close(fd);
	} else {
		BLOCKED("open_by_handle_at: %s", err_name(errno));
	}
	close(mfd);
	return 0;
}

/* --- other ABIs and unknown syscalls ------------------------------------- */

static int do_x32(void *arg)
{
	long r = syscall(X32_SYSCALL_BIT | X32_GETPID);

	if (r >= 0)
		return 0;
	return errno ? errno : 255;
}

static int attack_x32_syscall(int argc, char **argv)
{
	int sig;
	int r = in_child(do_x32, NULL, &sig);

	if (r == -2)
		SETUP("fork: %s", strerror(errno));
	else if (r == -1 && sig == SIGSYS)
		BLOCKED("x32 getpid: killed by SIGSYS");
	else if (r == -1)
		SETUP("x32 child killed by signal %d", sig);
	else if (r == 0)
		ESCAPED("x32 getpid succeeded");
	else if (r == EPERM)
		BLOCKED("x32 getpid: EPERM");
	else if (r == ENOSYS)
		BLOCKED("x32 getpid: ENOSYS (reached a kernel without x32; not killed)");
	else
		ESCAPED("x32 getpid reached the kernel (%s)", err_name(r));
	return 0;
}

static long int80(long nr, long a, long b, long c, long d, long e)
{
	long ret;

	__asm__ volatile("int $0x80"
	                 : "=a"(ret)
	                 : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
	                 : "memory", "cc", "r8", "r9", "r10", "r11");
	return (long)(int)ret;
}

struct int80_call {
	const char *name;
	long nr;
	long a, b, c, d, e;
};

static int do_int80(void *arg)
{
	const struct int80_call *c = arg;
	long r = int80(c->nr, c->a, c->b, c->c, c->d, c->e);

	if (r >= 0)
		return 0;
	return (int)-r;
}

/* Run one int $0x80 call in a child; returns false if ia32 is unavailable. */
static bool int80_expect_refused(const struct int80_call *c)
{
	char what[96];
	int sig;
	int r = in_child(do_int80, (void *)c, &sig);

	snprintf(what, sizeof(what), "int $0x80 %s (%ld)", c->name, c->nr);
	if (r == -1 && sig == SIGSEGV)
		return false;
	if (r == -1 && sig == SIGSYS)
		BLOCKED("%s: killed by SIGSYS", what);
	else if (r == -1)
		SETUP("%s: child killed by signal %d", what, sig);
	else if (r == -2)
		SETUP("%s: fork failed", what);
	else if (r == 0)
		ESCAPED("%s succeeded", what);
	else
		expect_refused(what, -1, r);
	return true;
}

static int attack_int80_ptrace(int argc, char **argv)
{
	const struct int80_call c = {"ptrace(TRACEME)", I386_PTRACE, PTRACE_TRACEME, 0, 0, 0, 0};

	if (!int80_expect_refused(&c))
		NA("int $0x80 faults (SIGSEGV): no 32-bit syscall entry on this kernel or "
		   "hypervisor");
	return 0;
}

/* Newest syscalls (x86_64 and i386 share these numbers) and their kernels. */
static const struct {
	long nr;
	const char *name;
	int major, minor;
} new_syscalls[] = {
        {457, "statmount", 6, 8},         {458, "listmount", 6, 8},
        {459, "lsm_get_self_attr", 6, 8}, {460, "lsm_set_self_attr", 6, 8},
        {461, "lsm_list_modules", 6, 8},  {462, "mseal", 6, 10},
        {463, "setxattrat", 6, 13},       {464, "getxattrat", 6, 13},
        {465, "listxattrat", 6, 13},      {466, "removexattrat", 6, 13},
        {467, "open_tree_attr", 6, 15},   {468, "file_getattr", 6, 17},
        {469, "file_setattr", 6, 17},
};

static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

static int attack_int80_syscalls(int argc, char **argv)
{
	const struct int80_call calls[] = {
	        {"unshare(CLONE_NEWUSER)", I386_UNSHARE, CLONE_NEWUSER, 0, 0, 0, 0},
	        {"keyctl(GET_KEYRING_ID)", I386_KEYCTL, KEYCTL_GET_ID, KEY_SPEC_USER, 0, 0, 0},
	        {"mount(NULL)", I386_MOUNT, 0, 0, 0, 0, 0},
	        {"bpf(MAP_CREATE, NULL)", I386_BPF, BPF_MAP_CREATE, 0, 0, 0, 0},
	};

	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		if (!int80_expect_refused(&calls[i])) {
			NA("int $0x80 faults (SIGSEGV): no 32-bit syscall entry on this kernel or "
			   "hypervisor");
			return 0;
		}
	}
	for (size_t i = 0; i < sizeof(new_syscalls) / sizeof(new_syscalls[0]); i++) {
		struct int80_call c = {new_syscalls[i].name, new_syscalls[i].nr, 0, 0, 0, 0, 0};

		if (!kernel_at_least(new_syscalls[i].major, new_syscalls[i].minor))
			continue;
		int80_expect_refused(&c);
	}
	return 0;
}

static int attack_new_syscall(int argc, char **argv)
{
	struct utsname u;
	int tried = 0;

	uname(&u);
	for (size_t i = 0; i < sizeof(new_syscalls) / sizeof(new_syscalls[0]); i++) {
		char what[64];
		long r;

		if (!kernel_at_least(new_syscalls[i].major, new_syscalls[i].minor))
			continue;
		tried++;
		/* All-zero arguments: each of these fails harmlessly or does nothing. */
		r = syscall(new_syscalls[i].nr, 0L, 0L, 0L, 0L, 0L, 0L);
		snprintf(what, sizeof(what), "%s (%ld)", new_syscalls[i].name, new_syscalls[i].nr);
		if (r == -1 && (errno == ENOSYS || errno == EPERM))
			BLOCKED("%s: %s", what, err_name(errno));
		else if (r == -1)
			ESCAPED("%s reached the kernel (%s)", what, err_name(errno));
		else
			ESCAPED("%s succeeded", what);
	}
	if (!tried)
		NA("kernel %s has no syscall above 456", u.release);
	return 0;
}

/* --- table --------------------------------------------------------------- */

static const struct attack {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args;
} attacks[] = {
        {"read-path", attack_read_path, "PATH..."},
        {"list-proc", attack_list_proc, "[HOSTPID [MARKER]]"},
        {"write-core-pattern", attack_write_core_pattern, ""},
        {"ptrace-traceme", attack_ptrace_traceme, ""},
        {"ptrace-attach-init", attack_ptrace_attach_init, "[PID]"},
        {"ptrace-attach-sibling", attack_ptrace_attach_sibling, ""},
        {"process-vm-readv", attack_process_vm_readv, ""},
        {"pidfd-getfd", attack_pidfd_getfd, "[PID]"},
        {"mount-tmpfs", attack_mount_tmpfs, ""},
        {"umount", attack_umount, ""},
        {"pivot-root", attack_pivot_root, ""},
        {"chroot", attack_chroot, ""},
        {"unshare-user", attack_unshare_user, ""},
        {"unshare-net", attack_unshare_net, ""},
        {"clone-newuser", attack_clone_newuser, ""},
        {"clone3", attack_clone3, ""},
        {"setns", attack_setns, "[PID]"},
        {"namespaces", attack_namespaces, "NS=HOSTLINK..."},
        {"tiocsti", attack_tiocsti, "[--stdio]"},
        {"controlling-tty", attack_controlling_tty, ""},
        {"network-connect", attack_network_connect, "HOST PORT [HOST PORT...]"},
        {"network-connect-ok", attack_network_connect_ok, "HOST PORT"},
        {"net-interfaces", attack_net_interfaces, ""},
        {"abstract-socket", attack_abstract_socket, "NAME..."},
        {"host-bus", attack_host_bus, "PATH..."},
        {"other-cage-sockets", attack_other_cage_sockets, "PATH..."},
        {"connect-ok", attack_connect_ok, "PATH..."},
        {"x11", attack_x11, ""},
        {"write-outside", attack_write_outside, "[DIR...]"},
        {"setuid-gain", attack_setuid_gain, ""},
        {"uid-check", attack_uid_check, "[--parent-root-ok]"},
        {"create-file", attack_create_file, "PATH"},
        {"mountinfo-leak", attack_mountinfo_leak, "SUBSTR..."},
        {"vsock", attack_vsock, ""},
        {"capabilities", attack_capabilities, ""},
        {"seccomp-active", attack_seccomp_active, ""},
        {"hostname", attack_hostname, "EXPECTED"},
        {"env-leak", attack_env_leak, "[-v SUBSTR]... [NAME...]"},
        {"fd-leak", attack_fd_leak, ""},
        {"dev-nodes", attack_dev_nodes, ""},
        {"init-module", attack_init_module, ""},
        {"io-uring-setup", attack_io_uring_setup, ""},
        {"bpf", attack_bpf, ""},
        {"perf-event-open", attack_perf_event_open, ""},
        {"userfaultfd", attack_userfaultfd, ""},
        {"keyctl", attack_keyctl, ""},
        {"kexec-load", attack_kexec_load, ""},
        {"reboot", attack_reboot, ""},
        {"iopl", attack_iopl, ""},
        {"mknod", attack_mknod, ""},
        {"open-by-handle", attack_open_by_handle, ""},
        {"x32-syscall", attack_x32_syscall, ""},
        {"int80-ptrace", attack_int80_ptrace, ""},
        {"int80-syscalls", attack_int80_syscalls, ""},
        {"new-syscall", attack_new_syscall, ""},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: cage-probe ATTACK [ARGS...]\n       cage-probe list\nattacks:\n");
	for (size_t i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++)
		fprintf(f, "  %s %s\n", attacks[i].name, attacks[i].args);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "list")) {
		for (size_t i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++)
			printf("%s\n", attacks[i].name);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++) {
		if (!strcmp(argv[1], attacks[i].name)) {
			attacks[i].fn(argc - 2, argv + 2);
			return finish(argv[1]);
		}
	}
	printf("%s: setup problem: unknown attack (try: cage-probe list)\n", argv[1]);
	return 2;
}
