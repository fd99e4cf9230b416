/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The cage's seccomp policy, checked two ways:
 *
 *  - in the kernel: a forked child installs the policy with
 *    cl_seccomp_install_self() (the exported bytes, as bwrap loads them),
 *    makes one raw system call and reports its result through a pipe;
 *  - in a classic-BPF interpreter (/seccomp/bpf/...): the exported programs
 *    run over synthetic seccomp_data, which reaches the i386 and x32
 *    branches even on kernels that give a 64-bit process no way into them.
 *
 * Children leave with _exit(): no atexit handler (LeakSanitizer's needs
 * ptrace, which the policy refuses) runs under the filter.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <seccomp.h> /* libseccomp */

#include "seccomp-policy.h"
#include "util.h"

extern char **environ;

#if defined(__x86_64__)

#define X32_SYSCALL_BIT 0x40000000L

/* Exit codes of a child that could not run its call. */
#define CHILD_INSTALL_FAILED 97
#define CHILD_REPORT_FAILED  98

/* Skip, or fail when $CLOISON_TESTS_MUST_RUN asks for every test to run. */
static void skip_or_fail(const char *why)
{
	const char *must = g_getenv("CLOISON_TESTS_MUST_RUN");

	if (must && *must && strcmp(must, "0") != 0) {
		g_test_message("cannot run: %s (and CLOISON_TESTS_MUST_RUN is set)", why);
		g_test_fail();
	} else {
		g_test_skip(why);
	}
}

static const char *errno_name(int err)
{
	const char *name = err == 0 ? "0" : strerrorname_np(err);

	return name ? name : "(unknown errno)";
}

/* ---- The refused system calls ------------------------------------------ */

/*
 * Arguments are chosen so that the call would be harmless if a broken
 * filter let it through as root: bad pointers (EFAULT), bad descriptors
 * (EBADF), bad flags (EINVAL) or no-ops.  They must fit in 32 bits (they
 * serve the i386 ABI too).  The filter runs before any argument check, so
 * the only acceptable result is EPERM.
 */
typedef struct {
	const char *name;
	long nr_x86_64; /* -1: no such call on x86_64 */
	long nr_i386;   /* asm/unistd_32.h; -1: none on i386 */
	long args[6];
} DeniedCall;

static const DeniedCall denied_calls[] = {
        {"ptrace", __NR_ptrace, 26, {0 /* PTRACE_TRACEME */}},
        {"process_vm_readv", __NR_process_vm_readv, 347, {0}},
        {"process_vm_writev", __NR_process_vm_writev, 348, {0}},
        {"pidfd_getfd", __NR_pidfd_getfd, 438, {-1, -1, 0}},
        {"kcmp", __NR_kcmp, 349, {0, 0, -1, 0, 0}},
        {"mount", __NR_mount, 21, {0}},
        {"umount", -1, 22, {0}},
        {"umount2", __NR_umount2, 52, {0, 0}},
        {"pivot_root", __NR_pivot_root, 217, {0, 0}},
        {"chroot", __NR_chroot, 61, {0}},
        {"move_mount", __NR_move_mount, 429, {-1, 0, -1, 0, 0}},
        {"open_tree", __NR_open_tree, 428, {-1, 0, 0}},
        {"fsopen", __NR_fsopen, 430, {0, 0}},
        {"fsconfig", __NR_fsconfig, 431, {-1, 0, 0, 0, 0}},
        {"fsmount", __NR_fsmount, 432, {-1, 0, 0}},
        {"fspick", __NR_fspick, 433, {-1, 0, 0}},
        {"mount_setattr", __NR_mount_setattr, 442, {-1, 0, 0, 0, 0}},
        {"open_by_handle_at", __NR_open_by_handle_at, 342, {-1, 0, 0}},
        {"name_to_handle_at", __NR_name_to_handle_at, 341, {-1, 0, 0, 0, 0}},
        {"quotactl", __NR_quotactl, 131, {0, 0, 0, 0}},
        {"quotactl_fd", __NR_quotactl_fd, 443, {-1, 0, 0, 0}},
        {"swapon", __NR_swapon, 87, {0, 0}},
        {"swapoff", __NR_swapoff, 115, {0}},
        {"acct", __NR_acct, 51, {1 /* EFAULT; NULL would stop accounting */}},
        {"unshare", __NR_unshare, 310, {0}},
        {"setns", __NR_setns, 346, {-1, 0}},
        {"keyctl", __NR_keyctl, 288, {-1 /* no such operation */}},
        {"add_key", __NR_add_key, 286, {0}},
        {"request_key", __NR_request_key, 287, {0}},
        {"bpf", __NR_bpf, 357, {-1, 0, 0}},
        {"perf_event_open", __NR_perf_event_open, 336, {0, 0, -1, -1, 0}},
        {"userfaultfd", __NR_userfaultfd, 374, {-1}},
        {"io_uring_setup", __NR_io_uring_setup, 425, {0, 0}},
        {"io_uring_enter", __NR_io_uring_enter, 426, {-1, 0, 0, 0, 0, 0}},
        {"io_uring_register", __NR_io_uring_register, 427, {-1, 0, 0, 0}},
        {"fanotify_init", __NR_fanotify_init, 338, {-1, 0}},
        {"lookup_dcookie", __NR_lookup_dcookie, 253, {0}},
        {"kexec_load", __NR_kexec_load, 283, {0, 0, 0, -1 /* bad flags */}},
        {"kexec_file_load", __NR_kexec_file_load, -1, {-1, -1, 0, 0, -1}},
        {"init_module", __NR_init_module, 128, {0, 0, 0}},
        {"finit_module", __NR_finit_module, 350, {-1, 0, 0}},
        {"delete_module", __NR_delete_module, 129, {0, 0}},
        {"reboot", __NR_reboot, 88, {0 /* bad magic */}},
        {"syslog", __NR_syslog, 103, {-1, 0, 0}},
        {"vhangup", __NR_vhangup, 111, {0}}, /* the child has no terminal */
        {"iopl", __NR_iopl, 110, {0}},
        {"ioperm", __NR_ioperm, 101, {0, 0, 0}},
        {"modify_ldt", __NR_modify_ldt, 123, {-1, 0, 0}},
        {"vm86", -1, 166, {0}},
        {"vm86old", -1, 113, {0}},
        {"settimeofday", __NR_settimeofday, 79, {0, 0}},
        {"clock_settime", __NR_clock_settime, 264, {-1, 0}},
        {"clock_adjtime", __NR_clock_adjtime, 343, {-1, 0}},
        {"adjtimex", __NR_adjtimex, 124, {0}},
        {"uselib", __NR_uselib, 86, {0}},
        {"nfsservctl", __NR_nfsservctl, 169, {0}},
        {"_sysctl", __NR__sysctl, 149, {0}},
        {"sysfs", __NR_sysfs, 135, {-1, 0, 0}},
        {"ustat", __NR_ustat, 62, {0, 0}},
};

/* The policy's other fixed numbers (x86_64 / i386). */
#define NR_CLONE_X86_64       56
#define NR_CLONE_I386         120
#define NR_CLONE3             435
#define NR_SOCKET_X86_64      41u
#define NR_SOCKET_I386        359u
#define NR_SOCKETCALL_I386    102u
#define NR_IOCTL_X86_64       16
#define NR_IOCTL_I386         54
#define NR_PERSONALITY_X86_64 135
#define NR_PERSONALITY_I386   136
#define NR_GETPID_I386        20

/* The highest number libseccomp can name on arch: the guard's bound. */
static uint32_t libseccomp_max(uint32_t arch)
{
	uint32_t max = 0;

	for (uint32_t nr = 0; nr < 1024; nr++) {
		char *name = seccomp_syscall_resolve_num_arch(arch, (int)nr);

		if (name) {
			max = nr;
			free(name);
		}
	}
	g_assert_cmpuint(max, >=, NR_CLONE3);
	return max;
}

/* ---- Running one call in a filtered child ------------------------------- */

typedef struct {
	long ret;
	int err;
} Report;

typedef struct {
	int status; /* from waitpid() */
	gboolean reported;
	Report report;
} ChildResult;

typedef long (*ChildCall)(const void *data);

/*
 * Fork; the child (in a new session, so without a controlling terminal)
 * installs the policy when filtered is set, runs call and sends back its
 * return value and errno.
 */
static void run_child(gboolean filtered, ChildCall call, const void *data, ChildResult *res)
{
	int pipefd[2];
	ssize_t n;
	size_t got = 0;
	pid_t pid;

	g_assert_no_errno(pipe2(pipefd, O_CLOEXEC));
	pid = fork();
	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		Report report;

		close(pipefd[0]);
		(void)setsid();
		if (filtered && cl_seccomp_install_self() < 0)
			_exit(CHILD_INSTALL_FAILED);
		errno = 0;
		report.ret = call(data);
		report.err = errno;
		if (cl_write_all(pipefd[1], &report, sizeof(report)) < 0)
			_exit(CHILD_REPORT_FAILED);
		_exit(0);
	}

	close(pipefd[1]);
	memset(res, 0, sizeof(*res));
	while (got < sizeof(res->report)) {
		n = read(pipefd[0], (char *)&res->report + got, sizeof(res->report) - got);
		if (n < 0 && errno == EINTR)
			continue;
		g_assert_cmpint(n, >=, 0);
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(pipefd[0]);
	res->reported = got == sizeof(res->report);
	while (waitpid(pid, &res->status, 0) < 0)
		g_assert_cmpint(errno, ==, EINTR);
}

static void assert_child_reported(const ChildResult *res)
{
	if (WIFSIGNALED(res->status))
		g_test_message("child killed by signal %d", WTERMSIG(res->status));
	g_assert_true(WIFEXITED(res->status));
	if (WEXITSTATUS(res->status) == CHILD_INSTALL_FAILED)
		g_test_message("cl_seccomp_install_self() failed in the child");
	g_assert_cmpint(WEXITSTATUS(res->status), ==, 0);
	g_assert_true(res->reported);
}

/* The call, under the policy, fails with err. */
static void assert_filtered_errno(ChildCall call, const void *data, int err)
{
	ChildResult res;

	run_child(TRUE, call, data, &res);
	assert_child_reported(&res);
	g_assert_cmpint(res.report.ret, ==, -1);
	g_assert_cmpstr(errno_name(res.report.err), ==, errno_name(err));
}

/* The call, under the policy, succeeds (returns >= 0); returns its value. */
static long assert_filtered_ok(ChildCall call, const void *data)
{
	ChildResult res;

	run_child(TRUE, call, data, &res);
	assert_child_reported(&res);
	if (res.report.ret < 0)
		g_test_message("failed with %s", errno_name(res.report.err));
	g_assert_cmpint(res.report.ret, >=, 0);
	return res.report.ret;
}

/* The call, under the policy, kills the process with SIGSYS. */
static void assert_filtered_killed(ChildCall call, const void *data)
{
	ChildResult res;

	run_child(TRUE, call, data, &res);
	g_assert_false(res.reported);
	g_assert_true(WIFSIGNALED(res.status));
	g_assert_cmpint(WTERMSIG(res.status), ==, SIGSYS);
}

/* ---- Calls made by the children ---------------------------------------- */

typedef struct {
	long nr;
	long args[6];
} RawCall;

static long call_raw(const void *data)
{
	const RawCall *c = data;

	return syscall(c->nr, c->args[0], c->args[1], c->args[2], c->args[3], c->args[4],
	               c->args[5]);
}

static long call_denied_native(const void *data)
{
	const DeniedCall *c = data;

	return syscall(c->nr_x86_64, c->args[0], c->args[1], c->args[2], c->args[3], c->args[4],
	               c->args[5]);
}

/*
 * The i386 ABI from a 64-bit process: int $0x80 (5 arguments in ebx, ecx,
 * edx, esi, edi; the kernel reads the low 32 bits).  Returns the raw value.
 */
static long int80(long nr, long a1, long a2, long a3, long a4, long a5)
{
	long ret;

	__asm__ volatile("int $0x80"
	                 : "=a"(ret)
	                 : "a"(nr), "b"(a1), "c"(a2), "d"(a3), "S"(a4), "D"(a5)
	                 : "r8", "r9", "r10", "r11", "memory", "cc");
	return ret;
}

/* errno convention for a raw kernel return value. */
static long from_raw(long raw)
{
	if (raw < 0 && raw >= -4095) {
		errno = (int)-raw;
		return -1;
	}
	return raw;
}

static long call_raw_i386(const void *data)
{
	const RawCall *c = data;

	return from_raw(int80(c->nr, c->args[0], c->args[1], c->args[2], c->args[3], c->args[4]));
}

static long call_denied_i386(const void *data)
{
	const DeniedCall *c = data;

	return from_raw(
	        int80(c->nr_i386, c->args[0], c->args[1], c->args[2], c->args[3], c->args[4]));
}

static long call_getpid_i386(const void *data)
{
	long r = from_raw(int80(NR_GETPID_I386, 0, 0, 0, 0, 0));

	if (r >= 0 && r != getpid()) {
		errno = EPROTO;
		return -1;
	}
	return r;
}

/* Die quietly of the fault, without a sanitizer's report. */
static long probe_i386(const void *data)
{
	signal(SIGSEGV, SIG_DFL);
	return call_getpid_i386(data);
}

/*
 * Can a 64-bit process enter the i386 ABI here?  Some kernels (no
 * IA32_EMULATION, ia32_emulation=0, some hypervisors) fault on int $0x80.
 */
static gboolean i386_abi_available(void)
{
	static int available = -1;

	if (available < 0) {
		ChildResult res;

		run_child(FALSE, probe_i386, NULL, &res);
		available = WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0 && res.reported &&
		            res.report.ret > 0;
	}
	return available;
}

static gboolean skip_without_i386(void)
{
	if (i386_abi_available())
		return FALSE;
	/*
	 * Then the property holds trivially (there is no 32-bit entry to get
	 * past the filter), and the /seccomp/bpf/ tests check the i386 branch
	 * of the policy: a pass, with the reason said.
	 */
	g_test_message("a 64-bit process cannot enter the i386 ABI on this kernel (int $0x80 "
	               "faults): nothing to bypass; /seccomp/bpf/ covers the i386 branch");
	return TRUE;
}

/* clone(flags | SIGCHLD) without a new stack: fork-like when allowed. */
static long call_clone(const void *data)
{
	unsigned long flags = *(const unsigned long *)data;
	long r = syscall(SYS_clone, flags | SIGCHLD, 0L, 0L, 0L, 0L);

	if (r == 0)
		_exit(0);
	if (r > 0) {
		int status;

		if (waitpid((pid_t)r, &status, 0) < 0 || !WIFEXITED(status))
			return -1;
	}
	return r;
}

static long call_clone_i386(const void *data)
{
	unsigned long flags = *(const unsigned long *)data;
	long r = from_raw(int80(NR_CLONE_I386, (long)(flags | SIGCHLD), 0, 0, 0, 0));

	if (r == 0)
		_exit(0);
	if (r > 0) {
		int status;

		if (waitpid((pid_t)r, &status, 0) < 0 || !WIFEXITED(status))
			return -1;
	}
	return r;
}

/* struct clone_args, version 0 (linux/sched.h clashes with sched.h). */
typedef struct {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
} CloneArgs;

static long call_clone3(const void *data)
{
	CloneArgs args = {.exit_signal = SIGCHLD};
	long r = syscall(SYS_clone3, &args, sizeof(args));

	if (r == 0)
		_exit(0);
	if (r > 0)
		(void)waitpid((pid_t)r, NULL, 0);
	return r;
}

typedef struct {
	int fd;
	unsigned long request;
} IoctlCall;

static long call_ioctl(const void *data)
{
	const IoctlCall *c = data;
	char ch = '\n';
	struct winsize ws;
	void *arg = c->request == TIOCGWINSZ ? (void *)&ws : (void *)&ch;

	return syscall(SYS_ioctl, c->fd, c->request, arg);
}

static long call_personality(const void *data)
{
	return syscall(SYS_personality, *(const unsigned long *)data);
}

static long call_getpid(const void *data)
{
	long r = syscall(SYS_getpid);

	if (r != getpid()) {
		errno = EPROTO;
		return -1;
	}
	return r;
}

#define FILE_CONTENT "cloison seccomp test\n"

static long call_read_file(const void *data)
{
	char buf[sizeof(FILE_CONTENT)] = {0};
	int fd = open(data, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -1;
	if (strcmp(buf, FILE_CONTENT) != 0) {
		errno = EIO;
		return -1;
	}
	return n;
}

static long call_unix_socket(const void *data)
{
	int sv[2];
	char c = 'x';
	long r = -1;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	close(fd);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	if (write(sv[0], &c, 1) == 1 && read(sv[1], &c, 1) == 1 && c == 'x')
		r = 0;
	close(sv[0]);
	close(sv[1]);
	return r;
}

static long call_fork_wait(const void *data)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(42);
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static long call_execve_true(const void *data)
{
	char *const argv[] = {(char *)"true", NULL};
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execve("/bin/true", argv, environ);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* posix_spawn() tries clone3 first: its ENOSYS must send glibc to clone. */
static long call_posix_spawn(const void *data)
{
	char *const argv[] = {(char *)"true", NULL};
	int status, r;
	pid_t pid;

	r = posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ);
	if (r != 0) {
		errno = r;
		return -1;
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void *thread_main(void *arg)
{
	return arg;
}

/* pthread_create() tries clone3 first too. */
static long call_thread(const void *data)
{
	static int token;
	pthread_t thread;
	void *result = NULL;
	int r = pthread_create(&thread, NULL, thread_main, &token);

	if (r == 0)
		r = pthread_join(thread, &result);
	if (r != 0) {
		errno = r;
		return -1;
	}
	return result == &token ? 0 : -1;
}

static long call_landlock(const void *data)
{
	/* LANDLOCK_CREATE_RULESET_VERSION: the ABI version, or EOPNOTSUPP. */
	long r = syscall(SYS_landlock_create_ruleset, NULL, 0L, 1L << 0);

	if (r < 0 && errno == EOPNOTSUPP)
		return 0;
	return r;
}

/* A program may sandbox itself further (browsers do). */
static long call_nested_filter(const void *data)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = {.len = 1, .filter = &allow};

	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0L, &prog);
}

static long call_get_no_new_privs(const void *data)
{
	return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
}

/* ---- Kernel tests -------------------------------------------------------- */

static void test_export(void)
{
	int fds[CL_SECCOMP_MAX_FDS] = {-1, -1};
	size_t n_fds = 0;

	g_assert_cmpint(cl_seccomp_export(fds, &n_fds), ==, 0);
	g_assert_cmpuint(n_fds, ==, 2);

	for (size_t i = 0; i < n_fds; i++) {
		struct stat st;
		int seals;

		g_assert_cmpint(fds[i], >=, 0);
		g_assert_cmpint(lseek(fds[i], 0, SEEK_CUR), ==, 0);
		g_assert_no_errno(fstat(fds[i], &st));
		g_assert_cmpint(st.st_size, >, 0);
		g_assert_cmpint(st.st_size % (off_t)sizeof(struct sock_filter), ==, 0);
		g_assert_cmpint(st.st_size, <=, BPF_MAXINSNS * (off_t)sizeof(struct sock_filter));
		g_assert_true(fcntl(fds[i], F_GETFD) & FD_CLOEXEC);

		/* Sealed: what bwrap reads is what was exported. */
		seals = fcntl(fds[i], F_GET_SEALS);
		g_assert_cmpint(seals, >=, 0);
		g_assert_cmpint(seals & (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL),
		                ==, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
		g_assert_cmpint(pwrite(fds[i], "x", 1, 0), ==, -1);
		g_assert_cmpint(errno, ==, EPERM);
		g_assert_no_errno(close(fds[i]));
	}
}

static void test_install_sets_nnp(void)
{
	g_assert_cmpint(assert_filtered_ok(call_get_no_new_privs, NULL), ==, 1);
}

static void test_eperm_native(gconstpointer data)
{
	assert_filtered_errno(call_denied_native, data, EPERM);
}

static void test_eperm_i386(void)
{
	if (skip_without_i386())
		return;
	for (size_t i = 0; i < G_N_ELEMENTS(denied_calls); i++) {
		if (denied_calls[i].nr_i386 < 0)
			continue;
		g_test_message("i386 %s", denied_calls[i].name);
		assert_filtered_errno(call_denied_i386, &denied_calls[i], EPERM);
	}
}

static void test_clone3_enosys(void)
{
	assert_filtered_errno(call_clone3, NULL, ENOSYS);
}

static void test_clone_namespace(gconstpointer data)
{
	assert_filtered_errno(call_clone, data, EPERM);
}

static void test_clone_fork(void)
{
	static const unsigned long no_flags = 0;

	g_assert_cmpint(assert_filtered_ok(call_clone, &no_flags), >, 0);
}

static void test_clone_thread(void)
{
	g_assert_cmpint(assert_filtered_ok(call_thread, NULL), ==, 0);
}

static void test_unshare_newuser(void)
{
	static const RawCall c = {SYS_unshare, {CLONE_NEWUSER}};

	assert_filtered_errno(call_raw, &c, EPERM);
}

/* A pty pair; the tests use the secondary side. */
typedef struct {
	int primary;
	int secondary;
} Pty;

static gboolean open_pty(Pty *pty)
{
	const char *name;

	pty->secondary = -1;
	pty->primary = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (pty->primary < 0 || grantpt(pty->primary) < 0 || unlockpt(pty->primary) < 0 ||
	    !(name = ptsname(pty->primary))) {
		skip_or_fail("no pseudo-terminal");
		return FALSE;
	}
	pty->secondary = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (pty->secondary < 0) {
		skip_or_fail("cannot open the pty's secondary side");
		return FALSE;
	}
	return TRUE;
}

static void close_pty(Pty *pty)
{
	cl_close(pty->primary);
	cl_close(pty->secondary);
}

static void test_ioctl_denied(unsigned long request)
{
	Pty pty;
	IoctlCall c;
	ChildResult control;

	if (!open_pty(&pty))
		goto out;
	c = (IoctlCall){pty.secondary, request};

	/* Without the policy (as root, dev.tty.legacy_tiocsti=1) TIOCSTI works. */
	run_child(FALSE, call_ioctl, &c, &control);
	if (control.reported)
		g_test_message("without the policy: %ld (%s)", control.report.ret,
		               errno_name(control.report.ret < 0 ? control.report.err : 0));

	assert_filtered_errno(call_ioctl, &c, EPERM);
out:
	close_pty(&pty);
}

static void test_ioctl_tiocsti(void)
{
	test_ioctl_denied(TIOCSTI);
}

/* The kernel reads an unsigned int: high bits must not hide the request. */
static void test_ioctl_tiocsti_high_bits(void)
{
	test_ioctl_denied(0x100000000UL | TIOCSTI);
}

static void test_ioctl_tioclinux(void)
{
	test_ioctl_denied(TIOCLINUX);
}

static void test_ioctl_tiocgwinsz(void)
{
	Pty pty;
	IoctlCall c;

	if (open_pty(&pty)) {
		c = (IoctlCall){pty.secondary, TIOCGWINSZ};
		g_assert_cmpint(assert_filtered_ok(call_ioctl, &c), ==, 0);
	}
	close_pty(&pty);
}

static void test_personality_allowed(gconstpointer data)
{
	assert_filtered_ok(call_personality, data);
}

static void test_personality_denied(gconstpointer data)
{
	assert_filtered_errno(call_personality, data, EPERM);
}

static void test_enosys_above_max(void)
{
	RawCall c = {(long)libseccomp_max(SCMP_ARCH_X86_64) + 1, {0}};

	assert_filtered_errno(call_raw, &c, ENOSYS);
}

static void test_enosys_1000(void)
{
	static const RawCall c = {1000, {0}};

	assert_filtered_errno(call_raw, &c, ENOSYS);
}

/*
 * System calls newer than libseccomp 2.5.4, with arguments they refuse.
 * Where the kernel has one (it does not answer ENOSYS without the policy),
 * the policy must turn it into ENOSYS.
 */
static const RawCall newer_calls[] = {
        {457, {0, 0, 0, 0}},  /* statmount(NULL, NULL, 0, 0): EFAULT */
        {462, {0, 0, -1}},    /* mseal(0, 0, ~0): EINVAL */
        {467, {-1, 0, 0, 0}}, /* open_tree_attr(-1, NULL, ...): EFAULT/EBADF */
};

static void check_newer_calls(uint32_t max, ChildCall call, gboolean *tested)
{
	for (size_t i = 0; i < G_N_ELEMENTS(newer_calls); i++) {
		const RawCall *c = &newer_calls[i];
		ChildResult control;

		if (c->nr <= (long)max)
			continue;
		run_child(FALSE, call, c, &control);
		assert_child_reported(&control);
		if (control.report.ret == -1 && control.report.err == ENOSYS) {
			g_test_message("%ld: unknown to this kernel too", c->nr);
			continue;
		}
		g_test_message("%ld: %s without the policy", c->nr,
		               errno_name(control.report.ret < 0 ? control.report.err : 0));
		assert_filtered_errno(call, c, ENOSYS);
		*tested = TRUE;
	}
}

static void test_enosys_newer_than_libseccomp(void)
{
	gboolean tested = FALSE;

	check_newer_calls(libseccomp_max(SCMP_ARCH_X86_64), call_raw, &tested);
	if (!tested)
		g_test_skip("this kernel has no system call newer than libseccomp");
}

static void test_x32_killed(void)
{
	static const RawCall c = {X32_SYSCALL_BIT | 39 /* getpid */, {0}};

	assert_filtered_killed(call_raw, &c);
}

static void test_i386_getpid(void)
{
	if (!skip_without_i386())
		assert_filtered_ok(call_getpid_i386, NULL);
}

static void test_i386_enosys(void)
{
	RawCall c = {(long)libseccomp_max(SCMP_ARCH_X86) + 1, {0}};
	gboolean tested = FALSE;

	if (skip_without_i386())
		return;
	assert_filtered_errno(call_raw_i386, &c, ENOSYS);
	c.nr = 500;
	assert_filtered_errno(call_raw_i386, &c, ENOSYS);
	check_newer_calls(libseccomp_max(SCMP_ARCH_X86), call_raw_i386, &tested);
}

static void test_i386_clone(void)
{
	static const unsigned long newuser = CLONE_NEWUSER, none = 0;

	if (skip_without_i386())
		return;
	assert_filtered_errno(call_clone_i386, &newuser, EPERM);
	g_assert_cmpint(assert_filtered_ok(call_clone_i386, &none), >, 0);
}

static void test_i386_ioctl(void)
{
	Pty pty;
	RawCall c = {NR_IOCTL_I386, {0}};

	if (skip_without_i386())
		return;
	if (open_pty(&pty)) {
		/* The argument pointer is not read: the filter answers first. */
		c.args[0] = pty.secondary;
		c.args[1] = TIOCSTI;
		assert_filtered_errno(call_raw_i386, &c, EPERM);
	}
	close_pty(&pty);
}

static void test_i386_personality(void)
{
	RawCall c = {NR_PERSONALITY_I386, {ADDR_NO_RANDOMIZE}};

	if (skip_without_i386())
		return;
	assert_filtered_errno(call_raw_i386, &c, EPERM);
	c.args[0] = 0xffffffffL;
	assert_filtered_ok(call_raw_i386, &c);
}

static void test_allowed_getpid(void)
{
	assert_filtered_ok(call_getpid, NULL);
}

static void test_allowed_read_file(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = NULL;
	int fd = g_file_open_tmp("cloison-test-seccomp-XXXXXX", &path, &error);

	g_assert_no_error(error);
	g_assert_cmpint(cl_write_all(fd, FILE_CONTENT, strlen(FILE_CONTENT)), ==, 0);
	g_assert_no_errno(close(fd));
	g_assert_cmpint(assert_filtered_ok(call_read_file, path), ==, strlen(FILE_CONTENT));
	g_assert_no_errno(g_unlink(path));
}

static void test_allowed_unix_socket(void)
{
	assert_filtered_ok(call_unix_socket, NULL);
}

/* socket() with the family in *data (raw syscall: the filter sees 64 bits). */
static long call_socket_family(const void *data)
{
	unsigned long family = *(const unsigned long *)data;
	long fd = syscall(SYS_socket, family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd >= 0)
		close((int)fd);
	return fd;
}

static void test_socket_family_denied(gconstpointer data)
{
	assert_filtered_errno(call_socket_family, data, EAFNOSUPPORT);
}

static void test_socket_family_allowed(gconstpointer data)
{
	assert_filtered_ok(call_socket_family, data);
}

static void test_allowed_fork_wait(void)
{
	g_assert_cmpint(assert_filtered_ok(call_fork_wait, NULL), ==, 42);
}

static void test_allowed_execve(void)
{
	g_assert_cmpint(assert_filtered_ok(call_execve_true, NULL), ==, 0);
}

static void test_allowed_posix_spawn(void)
{
	g_assert_cmpint(assert_filtered_ok(call_posix_spawn, NULL), ==, 0);
}

static void test_allowed_landlock(void)
{
	assert_filtered_ok(call_landlock, NULL);
}

static void test_allowed_nested_filter(void)
{
	g_assert_cmpint(assert_filtered_ok(call_nested_filter, NULL), ==, 0);
}

/* ---- The exported programs in a classic-BPF interpreter ------------------ */

typedef struct {
	struct sock_filter *insns;
	size_t len;
} Program;

/* The exported programs, in load order (bwrap loads them in fd order). */
static Program programs[CL_SECCOMP_MAX_FDS];
static size_t n_programs;

/* Export the programs once (a failure fails the first test that needs them). */
static void load_programs(void)
{
	int fds[CL_SECCOMP_MAX_FDS] = {-1, -1};

	if (n_programs > 0)
		return;
	g_assert_cmpint(cl_seccomp_export(fds, &n_programs), ==, 0);
	for (size_t i = 0; i < n_programs; i++) {
		struct stat st;

		g_assert_no_errno(fstat(fds[i], &st));
		programs[i].len = (size_t)st.st_size / sizeof(struct sock_filter);
		programs[i].insns = g_malloc((size_t)st.st_size);
		g_assert_cmpint(read(fds[i], programs[i].insns, (size_t)st.st_size), ==,
		                st.st_size);
		g_assert_no_errno(close(fds[i]));
	}
}

static void free_programs(void)
{
	for (size_t i = 0; i < n_programs; i++)
		g_free(programs[i].insns);
	n_programs = 0;
}

/* Run one program as the kernel would (seccomp's subset of classic BPF). */
static uint32_t bpf_run(const Program *p, const struct seccomp_data *d)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};
	size_t pc = 0;

	/* Jumps only go forward: at most len steps. */
	for (size_t step = 0; step < p->len; step++) {
		const struct sock_filter *f;
		uint32_t k, src;
		gboolean cond;

		g_assert_cmpuint(pc, <, p->len);
		f = &p->insns[pc++];
		k = f->k;
		src = BPF_SRC(f->code) == BPF_X ? x : k;

		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			g_assert_true(k % 4 == 0 && k + 4 <= sizeof(*d));
			memcpy(&a, (const char *)d + k, sizeof(a));
			continue;
		case BPF_LD | BPF_W | BPF_LEN:
			a = sizeof(*d);
			continue;
		case BPF_LDX | BPF_W | BPF_LEN:
			x = sizeof(*d);
			continue;
		case BPF_LD | BPF_IMM:
			a = k;
			continue;
		case BPF_LDX | BPF_IMM:
			x = k;
			continue;
		case BPF_LD | BPF_MEM:
			g_assert_cmpuint(k, <, BPF_MEMWORDS);
			a = mem[k];
			continue;
		case BPF_LDX | BPF_MEM:
			g_assert_cmpuint(k, <, BPF_MEMWORDS);
			x = mem[k];
			continue;
		case BPF_ST:
			g_assert_cmpuint(k, <, BPF_MEMWORDS);
			mem[k] = a;
			continue;
		case BPF_STX:
			g_assert_cmpuint(k, <, BPF_MEMWORDS);
			mem[k] = x;
			continue;
		case BPF_MISC | BPF_TAX:
			x = a;
			continue;
		case BPF_MISC | BPF_TXA:
			a = x;
			continue;
		case BPF_RET | BPF_K:
			return k;
		case BPF_RET | BPF_A:
			return a;
		case BPF_JMP | BPF_JA:
			pc += k;
			continue;
		default:
			break;
		}

		if (BPF_CLASS(f->code) == BPF_ALU) {
			switch (BPF_OP(f->code)) {
			case BPF_ADD:
				a += src;
				break;
			case BPF_SUB:
				a -= src;
				break;
			case BPF_MUL:
				a *= src;
				break;
			case BPF_DIV:
				g_assert_cmpuint(src, !=, 0);
				a /= src;
				break;
			case BPF_MOD:
				g_assert_cmpuint(src, !=, 0);
				a %= src;
				break;
			case BPF_AND:
				a &= src;
				break;
			case BPF_OR:
				a |= src;
				break;
			case BPF_XOR:
				a ^= src;
				break;
			case BPF_LSH:
				a = src < 32 ? a << src : 0;
				break;
			case BPF_RSH:
				a = src < 32 ? a >> src : 0;
				break;
			case BPF_NEG:
				a = -a;
				break;
			default:
				g_error("unexpected ALU instruction %#x at %zu", f->code, pc - 1);
			}
			continue;
		}

		g_assert_cmpuint(BPF_CLASS(f->code), ==, BPF_JMP);
		switch (BPF_OP(f->code)) {
		case BPF_JEQ:
			cond = a == src;
			break;
		case BPF_JGT:
			cond = a > src;
			break;
		case BPF_JGE:
			cond = a >= src;
			break;
		case BPF_JSET:
			cond = (a & src) != 0;
			break;
		default:
			g_error("unexpected jump instruction %#x at %zu", f->code, pc - 1);
		}
		pc += cond ? f->jt : f->jf;
	}
	g_error("a program ran past its end");
}

/*
 * The kernel's verdict over every loaded program: the newest runs first and
 * the strictest action wins (the first seen among equals).
 */
static uint32_t verdict(uint32_t arch, uint32_t nr, uint64_t arg0, uint64_t arg1)
{
	struct seccomp_data d = {.nr = (int)nr, .arch = arch, .args = {arg0, arg1}};
	uint32_t ret = SECCOMP_RET_ALLOW;

	load_programs();
	for (size_t i = n_programs; i-- > 0;) {
		uint32_t cur = bpf_run(&programs[i], &d);

		if ((int32_t)(cur & SECCOMP_RET_ACTION_FULL) <
		    (int32_t)(ret & SECCOMP_RET_ACTION_FULL))
			ret = cur;
	}
	return ret;
}

#define RET_ERRNO(e) (SECCOMP_RET_ERRNO | (e))

static gboolean is_denied_number(uint32_t arch, uint32_t nr)
{
	for (size_t i = 0; i < G_N_ELEMENTS(denied_calls); i++) {
		long n = arch == AUDIT_ARCH_I386 ? denied_calls[i].nr_i386
		                                 : denied_calls[i].nr_x86_64;

		if (n >= 0 && (uint32_t)n == nr)
			return TRUE;
	}
	return FALSE;
}

/*
 * Every number up to well past libseccomp's bound, with zero arguments:
 * exactly the listed calls are refused, clone3 and the numbers above the
 * bound fail with ENOSYS, everything else is allowed.
 */
static void check_exact_deny_set(uint32_t arch, uint32_t max)
{
	for (uint32_t nr = 0; nr < 2048; nr++) {
		uint32_t expected = SECCOMP_RET_ALLOW;

		if (is_denied_number(arch, nr))
			expected = RET_ERRNO(EPERM);
		else if (nr == NR_CLONE3 || nr > max)
			expected = RET_ERRNO(ENOSYS);
		else if (nr == (arch == AUDIT_ARCH_I386 ? NR_SOCKET_I386 : NR_SOCKET_X86_64))
			expected = RET_ERRNO(EAFNOSUPPORT); /* family 0, AF_UNSPEC */
		else if (arch == AUDIT_ARCH_I386 && nr == NR_SOCKETCALL_I386)
			expected = RET_ERRNO(ENOSYS);
		if (verdict(arch, nr, 0, 0) != expected)
			g_test_message("%s number %u: %#x, expected %#x",
			               arch == AUDIT_ARCH_I386 ? "i386" : "x86_64", nr,
			               verdict(arch, nr, 0, 0), expected);
		g_assert_cmphex(verdict(arch, nr, 0, 0), ==, expected);
	}
}

static void test_bpf_x86_64_exact(void)
{
	check_exact_deny_set(AUDIT_ARCH_X86_64, libseccomp_max(SCMP_ARCH_X86_64));
}

static void test_bpf_i386_exact(void)
{
	check_exact_deny_set(AUDIT_ARCH_I386, libseccomp_max(SCMP_ARCH_X86));
}

/* Every x32 number (and any x86_64 number with bit 30 set) kills. */
static void test_bpf_x32(void)
{
	static const uint32_t numbers[] = {
	        X32_SYSCALL_BIT | 0,
	        X32_SYSCALL_BIT | 39,
	        X32_SYSCALL_BIT | 101,
	        X32_SYSCALL_BIT | 521,
	        X32_SYSCALL_BIT | 547,
	        X32_SYSCALL_BIT | 4095,
	        0x7fffffff,
	        0xffffffff,
	};

	for (size_t i = 0; i < G_N_ELEMENTS(numbers); i++)
		g_assert_cmphex(verdict(AUDIT_ARCH_X86_64, numbers[i], 0, 0), ==,
		                SECCOMP_RET_KILL_PROCESS);
	/*
	 * The deny list covers x32 too (defence in depth, should the guard
	 * ever be missing): ptrace (x32 521), mount, unshare; getpid passes.
	 */
	load_programs();
	for (size_t i = 0; i < 3; i++) {
		static const uint32_t x32_denied[] = {521, 165, 272};
		const struct seccomp_data d = {.nr = (int)(X32_SYSCALL_BIT | x32_denied[i]),
		                               .arch = AUDIT_ARCH_X86_64};

		g_assert_cmphex(bpf_run(&programs[0], &d), ==, RET_ERRNO(EPERM));
	}
	g_assert_cmphex(
	        bpf_run(&programs[0], &(struct seccomp_data){.nr = (int)(X32_SYSCALL_BIT | 39),
	                                                     .arch = AUDIT_ARCH_X86_64}),
	        ==, SECCOMP_RET_ALLOW);

	/* Bit 31 alone is no x32 number: above the bound, ENOSYS. */
	g_assert_cmphex(verdict(AUDIT_ARCH_X86_64, 0x80000000U, 0, 0), ==, RET_ERRNO(ENOSYS));
}

/* Any other architecture kills, in each program on its own. */
static void test_bpf_other_arch(void)
{
	static const uint32_t arches[] = {AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM, 0,
	                                  AUDIT_ARCH_X86_64 & ~__AUDIT_ARCH_64BIT};

	load_programs();
	g_assert_cmpuint(n_programs, ==, 2);
	for (size_t i = 0; i < G_N_ELEMENTS(arches); i++) {
		const struct seccomp_data d = {.nr = 39, .arch = arches[i]};

		g_assert_cmphex(verdict(arches[i], 39, 0, 0), ==, SECCOMP_RET_KILL_PROCESS);
		for (size_t p = 0; p < n_programs; p++)
			g_assert_cmphex(bpf_run(&programs[p], &d), ==, SECCOMP_RET_KILL_PROCESS);
	}
}

static const unsigned long namespace_flags[] = {
        CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC,    CLONE_NEWUSER,
        CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP,
};

static void check_clone(uint32_t arch, uint32_t nr)
{
	for (size_t i = 0; i < G_N_ELEMENTS(namespace_flags); i++) {
		uint64_t f = namespace_flags[i];

		g_assert_cmphex(verdict(arch, nr, f, 0), ==, RET_ERRNO(EPERM));
		g_assert_cmphex(verdict(arch, nr, f | SIGCHLD, 0), ==, RET_ERRNO(EPERM));
		g_assert_cmphex(verdict(arch, nr, f | CLONE_VM | CLONE_FILES, 0), ==,
		                RET_ERRNO(EPERM));
		g_assert_cmphex(verdict(arch, nr, 0xffffffffUL, 0), ==, RET_ERRNO(EPERM));
	}
	/* fork, vfork-like and thread creation flags. */
	g_assert_cmphex(verdict(arch, nr, SIGCHLD, 0), ==, SECCOMP_RET_ALLOW);
	g_assert_cmphex(verdict(arch, nr, CLONE_VM | CLONE_VFORK | SIGCHLD, 0), ==,
	                SECCOMP_RET_ALLOW);
	g_assert_cmphex(verdict(arch, nr,
	                        CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
	                                CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
	                                CLONE_CHILD_CLEARTID,
	                        0),
	                ==, SECCOMP_RET_ALLOW);
	/* 0x80 is part of the exit signal for clone(), never CLONE_NEWTIME. */
	g_assert_cmphex(verdict(arch, nr, 0x80 | SIGCHLD, 0), ==, SECCOMP_RET_ALLOW);
}

static void test_bpf_clone(void)
{
	check_clone(AUDIT_ARCH_X86_64, NR_CLONE_X86_64);
	check_clone(AUDIT_ARCH_I386, NR_CLONE_I386);
	/* Upper bits are ignored by the kernel and by the masked comparison. */
	g_assert_cmphex(
	        verdict(AUDIT_ARCH_X86_64, NR_CLONE_X86_64, 0x100000000ULL | CLONE_NEWUSER, 0), ==,
	        RET_ERRNO(EPERM));
	g_assert_cmphex(verdict(AUDIT_ARCH_X86_64, NR_CLONE3, 0, 0), ==, RET_ERRNO(ENOSYS));
	g_assert_cmphex(verdict(AUDIT_ARCH_I386, NR_CLONE3, 0, 0), ==, RET_ERRNO(ENOSYS));
}

static void check_ioctl(uint32_t arch, uint32_t nr)
{
	g_assert_cmphex(verdict(arch, nr, 0, TIOCSTI), ==, RET_ERRNO(EPERM));
	g_assert_cmphex(verdict(arch, nr, 0, TIOCLINUX), ==, RET_ERRNO(EPERM));
	g_assert_cmphex(verdict(arch, nr, 0, TIOCGWINSZ), ==, SECCOMP_RET_ALLOW);
	g_assert_cmphex(verdict(arch, nr, 0, TIOCSWINSZ), ==, SECCOMP_RET_ALLOW);
	g_assert_cmphex(verdict(arch, nr, 0, TIOCSTI | 0x10000), ==, SECCOMP_RET_ALLOW);
}

static void test_bpf_ioctl(void)
{
	check_ioctl(AUDIT_ARCH_X86_64, NR_IOCTL_X86_64);
	check_ioctl(AUDIT_ARCH_I386, NR_IOCTL_I386);
	g_assert_cmphex(verdict(AUDIT_ARCH_X86_64, NR_IOCTL_X86_64, 0, 0xdead00000000ULL | TIOCSTI),
	                ==, RET_ERRNO(EPERM));
	g_assert_cmphex(
	        verdict(AUDIT_ARCH_X86_64, NR_IOCTL_X86_64, 0, 0xffffffff00000000ULL | TIOCLINUX),
	        ==, RET_ERRNO(EPERM));
}

static void check_personality(uint32_t arch, uint32_t nr)
{
	static const uint64_t allowed[] = {PER_LINUX, PER_LINUX32, 0xffffffff};
	static const uint64_t denied[] = {
	        ADDR_NO_RANDOMIZE,
	        READ_IMPLIES_EXEC,
	        UNAME26,
	        ADDR_LIMIT_32BIT,
	        MMAP_PAGE_ZERO,
	        PER_LINUX32_3GB,
	        PER_SVR4,
	        PER_BSD,
	        1,
	        7,
	        9,
	        0xfffffffe,
	        0x7fffffff,
	        0x80000000,
	        0xffffff00,
	};

	for (size_t i = 0; i < G_N_ELEMENTS(allowed); i++)
		g_assert_cmphex(verdict(arch, nr, allowed[i], 0), ==, SECCOMP_RET_ALLOW);
	for (size_t i = 0; i < G_N_ELEMENTS(denied); i++)
		g_assert_cmphex(verdict(arch, nr, denied[i], 0), ==, RET_ERRNO(EPERM));
	/* Only the low 32 bits count, as in the kernel (an unsigned int). */
	g_assert_cmphex(verdict(arch, nr, 0x100000000ULL | ADDR_NO_RANDOMIZE, 0), ==,
	                RET_ERRNO(EPERM));
	g_assert_cmphex(verdict(arch, nr, 0x100000000ULL, 0), ==, SECCOMP_RET_ALLOW);
}

/* socket(): only AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, on both ABIs. */
static void check_socket(uint32_t arch, uint32_t nr)
{
	static const uint64_t allowed[] = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK,
	                                   (UINT64_C(1) << 32) | AF_UNIX};
	static const uint64_t denied[] = {
	        AF_UNSPEC, AF_PACKET, 40 /* AF_VSOCK */, AF_BLUETOOTH, 38 /* AF_ALG */,
	        AF_KEY,    AF_CAN,    44 /* AF_XDP */,   1000,         (UINT64_C(1) << 32) | 40};

	for (size_t i = 0; i < G_N_ELEMENTS(allowed); i++)
		g_assert_cmphex(verdict(arch, nr, allowed[i], 0), ==, SECCOMP_RET_ALLOW);
	for (size_t i = 0; i < G_N_ELEMENTS(denied); i++)
		g_assert_cmphex(verdict(arch, nr, denied[i], 0), ==, RET_ERRNO(EAFNOSUPPORT));
}

static void test_bpf_socket(void)
{
	check_socket(AUDIT_ARCH_X86_64, NR_SOCKET_X86_64);
	check_socket(AUDIT_ARCH_I386, NR_SOCKET_I386);
	/* i386's multiplexer hides its arguments: refused outright */
	for (uint64_t call = 0; call < 21; call++)
		g_assert_cmphex(verdict(AUDIT_ARCH_I386, NR_SOCKETCALL_I386, call, 0), ==,
		                RET_ERRNO(ENOSYS));
}

static void test_bpf_personality(void)
{
	check_personality(AUDIT_ARCH_X86_64, NR_PERSONALITY_X86_64);
	check_personality(AUDIT_ARCH_I386, NR_PERSONALITY_I386);
}

/* The tables above agree with libseccomp's names (catches a wrong number). */
static void test_bpf_table_numbers(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(denied_calls); i++) {
		const DeniedCall *c = &denied_calls[i];
		int n64 = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, c->name);
		int n32 = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, c->name);

		if (c->nr_x86_64 != (n64 < 0 ? -1 : n64) || c->nr_i386 != (n32 < 0 ? -1 : n32))
			g_test_message("%s: libseccomp says x86_64 %d, i386 %d", c->name, n64, n32);
		g_assert_cmpint(c->nr_x86_64, ==, n64 < 0 ? -1 : n64);
		g_assert_cmpint(c->nr_i386, ==, n32 < 0 ? -1 : n32);
	}
}

static GBytes *read_all(int fd)
{
	GByteArray *b = g_byte_array_new();
	guint8 buf[4096];
	ssize_t n;

	while ((n = pread(fd, buf, sizeof(buf), (off_t)b->len)) > 0)
		g_byte_array_append(b, buf, (guint)n);
	g_assert_cmpint(n, ==, 0);
	return g_byte_array_free_to_bytes(b);
}

/* What the launcher embeds is what libseccomp builds from the policy now. */
static void test_export_matches_build(void)
{
	int a[CL_SECCOMP_MAX_FDS], b[CL_SECCOMP_MAX_FDS];
	size_t na = 0, nb = 0;

	g_assert_cmpint(cl_seccomp_export(a, &na), ==, 0);
	g_assert_cmpint(cl_seccomp_build(b, &nb), ==, 0);
	g_assert_cmpuint(na, ==, nb);
	for (size_t i = 0; i < na; i++) {
		g_autoptr(GBytes) x = read_all(a[i]);
		g_autoptr(GBytes) y = read_all(b[i]);

		g_assert_cmpuint(g_bytes_get_size(x), >, 0);
		g_assert_true(g_bytes_equal(x, y));
		close(a[i]);
		close(b[i]);
	}
}

int main(int argc, char **argv)
{
	static const unsigned long personality_allowed[] = {0xffffffff, PER_LINUX, PER_LINUX32};
	static const char *const personality_allowed_names[] = {"query", "linux", "linux32"};
	static const unsigned long personality_denied[] = {ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC,
	                                                   UNAME26, 0x100040000UL};
	static const char *const personality_denied_names[] = {
	        "addr-no-randomize", "read-implies-exec", "uname26", "high-bits-addr-no-randomize"};
	static const char *const namespace_names[] = {"newns",  "newuts", "newipc",   "newuser",
	                                              "newpid", "newnet", "newcgroup"};
	int r;

	g_test_init(&argc, &argv, NULL);
	/* A child killed by the policy must not stop the test. */
	signal(SIGPIPE, SIG_IGN);

	g_test_add_func("/seccomp/export", test_export);
	g_test_add_func("/seccomp/export/matches-build", test_export_matches_build);
	g_test_add_func("/seccomp/install/no-new-privs", test_install_sets_nnp);

	for (size_t i = 0; i < G_N_ELEMENTS(denied_calls); i++) {
		g_autofree char *path = NULL;

		if (denied_calls[i].nr_x86_64 < 0)
			continue;
		path = g_strdup_printf("/seccomp/eperm/%s", denied_calls[i].name);
		g_test_add_data_func(path, &denied_calls[i], test_eperm_native);
	}

	g_test_add_func("/seccomp/clone3/enosys", test_clone3_enosys);
	G_STATIC_ASSERT(G_N_ELEMENTS(namespace_names) == G_N_ELEMENTS(namespace_flags));
	for (size_t i = 0; i < G_N_ELEMENTS(namespace_flags); i++) {
		g_autofree char *path = g_strdup_printf("/seccomp/clone/%s", namespace_names[i]);

		g_test_add_data_func(path, &namespace_flags[i], test_clone_namespace);
	}
	g_test_add_func("/seccomp/clone/fork", test_clone_fork);
	g_test_add_func("/seccomp/clone/thread", test_clone_thread);
	g_test_add_func("/seccomp/unshare/newuser", test_unshare_newuser);

	g_test_add_func("/seccomp/ioctl/tiocsti", test_ioctl_tiocsti);
	g_test_add_func("/seccomp/ioctl/tiocsti-high-bits", test_ioctl_tiocsti_high_bits);
	g_test_add_func("/seccomp/ioctl/tioclinux", test_ioctl_tioclinux);
	g_test_add_func("/seccomp/ioctl/tiocgwinsz", test_ioctl_tiocgwinsz);

	for (size_t i = 0; i < G_N_ELEMENTS(personality_allowed); i++) {
		g_autofree char *path =
		        g_strdup_printf("/seccomp/personality/%s", personality_allowed_names[i]);

		g_test_add_data_func(path, &personality_allowed[i], test_personality_allowed);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(personality_denied); i++) {
		g_autofree char *path =
		        g_strdup_printf("/seccomp/personality/%s", personality_denied_names[i]);

		g_test_add_data_func(path, &personality_denied[i], test_personality_denied);
	}

	g_test_add_func("/seccomp/enosys/above-max", test_enosys_above_max);
	g_test_add_func("/seccomp/enosys/1000", test_enosys_1000);
	g_test_add_func("/seccomp/enosys/newer-than-libseccomp", test_enosys_newer_than_libseccomp);
	g_test_add_func("/seccomp/x32/killed", test_x32_killed);

	g_test_add_func("/seccomp/i386/getpid", test_i386_getpid);
	g_test_add_func("/seccomp/i386/eperm", test_eperm_i386);
	g_test_add_func("/seccomp/i386/enosys", test_i386_enosys);
	g_test_add_func("/seccomp/i386/clone", test_i386_clone);
	g_test_add_func("/seccomp/i386/ioctl", test_i386_ioctl);
	g_test_add_func("/seccomp/i386/personality", test_i386_personality);

	g_test_add_func("/seccomp/allowed/getpid", test_allowed_getpid);
	g_test_add_func("/seccomp/allowed/read-file", test_allowed_read_file);
	g_test_add_func("/seccomp/allowed/unix-socket", test_allowed_unix_socket);
	g_test_add_func("/seccomp/allowed/fork-wait", test_allowed_fork_wait);
	{
		static const unsigned long ok_families[] = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK};
		static const char *const ok_names[] = {"unix", "inet", "inet6", "netlink"};
		static const unsigned long bad_families[] = {40 /* AF_VSOCK */, AF_PACKET, 38,
		                                             AF_BLUETOOTH};
		static const char *const bad_names[] = {"vsock", "packet", "alg", "bluetooth"};

		for (size_t i = 0; i < G_N_ELEMENTS(ok_families); i++) {
			g_autofree char *path =
			        g_strdup_printf("/seccomp/socket/allowed/%s", ok_names[i]);
			g_test_add_data_func(path, &ok_families[i], test_socket_family_allowed);
		}
		for (size_t i = 0; i < G_N_ELEMENTS(bad_families); i++) {
			g_autofree char *path =
			        g_strdup_printf("/seccomp/socket/denied/%s", bad_names[i]);
			g_test_add_data_func(path, &bad_families[i], test_socket_family_denied);
		}
	}
	g_test_add_func("/seccomp/allowed/execve", test_allowed_execve);
	g_test_add_func("/seccomp/allowed/posix-spawn", test_allowed_posix_spawn);
	g_test_add_func("/seccomp/allowed/landlock", test_allowed_landlock);
	g_test_add_func("/seccomp/allowed/nested-filter", test_allowed_nested_filter);

	g_test_add_func("/seccomp/bpf/table-numbers", test_bpf_table_numbers);
	g_test_add_func("/seccomp/bpf/x86_64-exact", test_bpf_x86_64_exact);
	g_test_add_func("/seccomp/bpf/i386-exact", test_bpf_i386_exact);
	g_test_add_func("/seccomp/bpf/x32", test_bpf_x32);
	g_test_add_func("/seccomp/bpf/other-arch", test_bpf_other_arch);
	g_test_add_func("/seccomp/bpf/clone", test_bpf_clone);
	g_test_add_func("/seccomp/bpf/ioctl", test_bpf_ioctl);
	g_test_add_func("/seccomp/bpf/personality", test_bpf_personality);
	g_test_add_func("/seccomp/bpf/socket", test_bpf_socket);

	r = g_test_run();
	free_programs();
	return r;
}

#else /* !__x86_64__ */

static void test_unsupported(void)
{
	g_test_skip("the cage policy exists for x86_64 only");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/seccomp/unsupported", test_unsupported);
	return g_test_run();
}

#endif
