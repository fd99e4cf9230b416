/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The cage's seccomp policy: a deny list built with libseccomp, and a small
 * hand-written guard program.  docs/cages-seccomp.md explains every entry.
 *
 * Both programs are exported as classic BPF into sealed memfds, which is
 * exactly what bwrap --add-seccomp-fd reads; cl_seccomp_install_self() loads
 * those same bytes, so that the tests exercise what the cages get.
 */
#include <errno.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

/* libseccomp (our own header is seccomp-policy.h, so no name clash). */
#include <seccomp.h>

#include "log.h"
#include "seccomp-policy.h"
#include "util.h"

/* Set in the syscall number of every x32 system call (asm/unistd.h). */
#define X32_SYSCALL_BIT 0x40000000U
/* arch/x86/entry/syscalls/syscall_32.tbl: fixed forever. */
#define I386_NR_SOCKETCALL 102U
#define I386_NR_SOCKET     359U

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

/* personality(0xffffffff) only returns the current persona. */
#define PERSONALITY_QUERY 0xffffffffU

/*
 * Scan syscall numbers up to this bound for the highest one libseccomp can
 * name (x86_64 and i386 numbers are far below it).
 */
#define SYSCALL_SCAN_LIMIT 1024

/*
 * Refused with EPERM on every ABI where they exist.  A name that libseccomp
 * knows on none of the three ABIs is a typo and fails the build of the
 * filter; a name missing on some ABIs (vm86 is i386 only, kexec_file_load
 * has no i386 entry) is skipped there.
 */
static const char *const eperm_syscalls[] = {
        /* Inspecting or writing other processes. */
        "ptrace",
        "process_vm_readv",
        "process_vm_writev",
        "pidfd_getfd",
        "kcmp",
        /* Mounts and the file system view. */
        "mount",
        "umount",
        "umount2",
        "pivot_root",
        "chroot",
        "move_mount",
        "open_tree",
        "fsopen",
        "fsconfig",
        "fsmount",
        "fspick",
        "mount_setattr",
        "open_by_handle_at",
        "name_to_handle_at",
        "quotactl",
        "quotactl_fd",
        "swapon",
        "swapoff",
        "acct",
        /* Namespaces (clone's namespace flags are refused below). */
        "unshare",
        "setns",
        /* Kernel keyrings: shared by uid across cages. */
        "keyctl",
        "add_key",
        "request_key",
        /* Large kernel attack surface that no desktop application needs. */
        "bpf",
        "perf_event_open",
        "userfaultfd",
        "io_uring_setup",
        "io_uring_enter",
        "io_uring_register",
        "fanotify_init",
        "lookup_dcookie",
        /* The kernel itself, modules, the machine. */
        "kexec_load",
        "kexec_file_load",
        "init_module",
        "finit_module",
        "delete_module",
        "reboot",
        "syslog",
        "vhangup",
        "iopl",
        "ioperm",
        "modify_ldt",
        "vm86",
        "vm86old",
        /* The clocks. */
        "settimeofday",
        "clock_settime",
        "clock_adjtime",
        "adjtimex",
        /* Obsolete interfaces. */
        "uselib",
        "nfsservctl",
        "_sysctl",
        "sysfs",
        "ustat",
};

/*
 * clone() flags that create namespaces: refused with EPERM.  CLONE_NEWTIME
 * (0x80) is missing on purpose: clone() reads its low byte as the exit
 * signal, never as CLONE_NEWTIME (a time namespace can only come from
 * clone3, unshare or setns, all refused), so testing that bit would refuse
 * an exit signal, not a namespace.
 */
static const unsigned long clone_namespace_flags[] = {
        CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC,    CLONE_NEWUSER,
        CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP,
};

/* ioctl() requests refused with EPERM: both inject input into a terminal. */
static const unsigned long denied_ioctls[] = {
        TIOCSTI,
        TIOCLINUX,
};

/* The two ABIs a 64-bit process can enter the kernel through. */
typedef struct {
	uint32_t max_nr;         /* highest number libseccomp names */
	uint32_t personality_nr; /* personality() */
	uint32_t socket_nr;      /* socket() */
	uint32_t socketcall_nr;  /* socketcall() (i386 only; else = socket_nr) */
} AbiNumbers;

static void seccomp_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}
#define _cleanup_seccomp_ _cleanup_(seccomp_releasep)

/* Number of name on ABI arch, or -ENOENT when that ABI has no such call. */
static int resolve_on(uint32_t arch, const char *name)
{
	int nr = seccomp_syscall_resolve_name_arch(arch, name);

	/* Negative: unknown (__NR_SCMP_ERROR) or a pseudo number (absent). */
	return nr >= 0 ? nr : -ENOENT;
}

/*
 * The number to give seccomp_rule_add(): libseccomp takes the native one
 * and translates it for the other ABIs, including its negative pseudo
 * numbers for calls the native ABI lacks (vm86).
 */
static int rule_number(const char *name, int *ret)
{
	static const uint32_t arches[] = {SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32};
	int nr;
	size_t i;

	for (i = 0; i < ELEMENTSOF(arches); i++)
		if (resolve_on(arches[i], name) >= 0)
			break;
	if (i == ELEMENTSOF(arches))
		return cl_log_errno(LOG_ERR, EINVAL,
		                    "seccomp: libseccomp knows no system call named %s", name);

	nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return cl_log_errno(LOG_ERR, EINVAL, "seccomp: cannot resolve %s", name);
	*ret = nr;
	return 0;
}

static int add_rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n_cmps,
                    const struct scmp_arg_cmp *cmps)
{
	int nr = 0, r;

	r = rule_number(name, &nr);
	if (r < 0)
		return r;
	r = seccomp_rule_add_array(ctx, action, nr, n_cmps, cmps);
	if (r < 0)
		return cl_log_errno(LOG_ERR, r, "seccomp: cannot add the rule for %s", name);
	return 0;
}

static int add_arch(scmp_filter_ctx ctx, uint32_t arch)
{
	int r = seccomp_arch_add(ctx, arch);

	/* -EEXIST: it is the native one. */
	if (r < 0 && r != -EEXIST)
		return cl_log_errno(LOG_ERR, r, "seccomp: cannot add architecture %#x", arch);
	return 0;
}

/* Program 1: the deny list, for the x86_64, i386 and x32 ABIs. */
static int build_deny_list(scmp_filter_ctx *ret)
{
	_cleanup_seccomp_ scmp_filter_ctx ctx = NULL;
	size_t i;
	int r;

	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return cl_log_errno(LOG_ERR, ENOMEM, "seccomp: cannot create a filter");

	r = add_arch(ctx, SCMP_ARCH_X86_64);
	if (r < 0)
		return r;
	r = add_arch(ctx, SCMP_ARCH_X86);
	if (r < 0)
		return r;
	r = add_arch(ctx, SCMP_ARCH_X32);
	if (r < 0)
		return r;

	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (r < 0)
		return cl_log_errno(LOG_ERR, r, "seccomp: cannot set the bad-architecture action");
	/* bwrap sets no_new_privs itself; the exported program does not carry it. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r < 0)
		return cl_log_errno(LOG_ERR, r, "seccomp: cannot clear the no_new_privs attribute");
	/* A binary search over the numbers instead of a linear scan of ~65 rules. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r < 0)
		return cl_log_errno(LOG_ERR, r, "seccomp: cannot ask for a binary-tree filter");

	for (i = 0; i < ELEMENTSOF(eperm_syscalls); i++) {
		r = add_rule(ctx, SCMP_ACT_ERRNO(EPERM), eperm_syscalls[i], 0, NULL);
		if (r < 0)
			return r;
	}

	/* glibc falls back to clone(), whose flags a filter can read. */
	r = add_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL);
	if (r < 0)
		return r;

	/* clone(flags, ...) on all three ABIs: one rule per flag (rules are ORed). */
	for (i = 0; i < ELEMENTSOF(clone_namespace_flags); i++) {
		const unsigned long flag = clone_namespace_flags[i];
		const struct scmp_arg_cmp cmp = SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag);

		r = add_rule(ctx, SCMP_ACT_ERRNO(EPERM), "clone", 1, &cmp);
		if (r < 0)
			return r;
	}

	/* The kernel reads the request as an unsigned int: compare 32 bits only. */
	for (i = 0; i < ELEMENTSOF(denied_ioctls); i++) {
		const struct scmp_arg_cmp cmp =
		        SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, denied_ioctls[i]);

		r = add_rule(ctx, SCMP_ACT_ERRNO(EPERM), "ioctl", 1, &cmp);
		if (r < 0)
			return r;
	}

	*ret = ctx;
	ctx = NULL;
	return 0;
}

/* The highest number libseccomp can name on arch, and personality's number. */
static int abi_numbers(uint32_t arch, const char *arch_name, AbiNumbers *ret)
{
	int max = -1;
	int nr;

	for (nr = 0; nr < SYSCALL_SCAN_LIMIT; nr++) {
		char *name = seccomp_syscall_resolve_num_arch(arch, nr);

		if (name) {
			max = nr;
			free(name);
		}
	}
	/* clone3 (435) is in the policy: a smaller bound means a broken libseccomp. */
	nr = resolve_on(arch, "clone3");
	if (nr < 0 || max < nr)
		return cl_log_errno(LOG_ERR, ENOSYS,
		                    "seccomp: libseccomp names too few %s system calls (up to %d)",
		                    arch_name, max);

	nr = resolve_on(arch, "personality");
	if (nr < 0)
		return cl_log_errno(LOG_ERR, ENOSYS, "seccomp: no personality() on %s", arch_name);

	ret->max_nr = (uint32_t)max;
	ret->personality_nr = (uint32_t)nr;

	/*
	 * libseccomp names i386's socket calls as socketcall() multiplexer
	 * pseudo-numbers: use the kernel's fixed i386 numbers there.
	 */
	if (arch == SCMP_ARCH_X86) {
		ret->socket_nr = I386_NR_SOCKET;
		ret->socketcall_nr = I386_NR_SOCKETCALL;
		return 0;
	}
	nr = resolve_on(arch, "socket");
	if (nr < 0)
		return cl_log_errno(LOG_ERR, ENOSYS, "seccomp: no socket() on %s", arch_name);
	ret->socket_nr = (uint32_t)nr;
	ret->socketcall_nr = (uint32_t)nr;
	return 0;
}

/*
 * Program 2, written by hand because libseccomp cannot express it:
 *  - every x32 system call (and any x86_64 number with bit 30 set) kills the
 *    process;
 *  - numbers above the highest one libseccomp knows fail with ENOSYS, on
 *    x86_64 and on i386 (a deny list would let them through);
 *  - personality() accepts only PER_LINUX, PER_LINUX32 and the query
 *    (libseccomp 2.5 refuses two conditions on one argument, which this
 *    allow-list needs);
 *  - socket() accepts only AF_UNIX, AF_INET, AF_INET6 and AF_NETLINK
 *    (EAFNOSUPPORT otherwise): AF_VSOCK ignores network namespaces, and the
 *    other families are attack surface no cage needs; i386 socketcall(),
 *    whose arguments a filter cannot read, fails with ENOSYS;
 *  - any other architecture kills the process.
 * Instruction indices, so that jumps are computed, never counted by hand.
 */
enum {
	G_LOAD_ARCH,
	G_IS_X86_64,
	G_X86_64_LOAD_NR,
	G_X86_64_IS_X32,
	G_X86_64_IS_PERSONALITY,
	G_X86_64_IS_SOCKET,
	G_X86_64_ABOVE_MAX,
	G_IS_I386,
	G_I386_LOAD_NR,
	G_I386_IS_PERSONALITY,
	G_I386_IS_SOCKET,
	G_I386_IS_SOCKETCALL,
	G_I386_ABOVE_MAX,
	G_SOCKET_LOAD_ARG0,
	G_SOCKET_IS_UNIX,
	G_SOCKET_IS_INET,
	G_SOCKET_IS_INET6,
	G_SOCKET_IS_NETLINK,
	G_RET_EAFNOSUPPORT,
	G_PERSONALITY_LOAD_ARG0,
	G_PERSONALITY_IS_LINUX,
	G_PERSONALITY_IS_LINUX32,
	G_PERSONALITY_IS_QUERY,
	G_RET_EPERM,
	G_RET_ALLOW,
	G_RET_ENOSYS,
	G_RET_KILL,
	G_N_INSNS
};

/* Relative offset of a forward jump from instruction `from` to `to`. */
#define JUMP(from, to) ((uint8_t)((to) - (from)-1))
_Static_assert(G_N_INSNS <= 256, "guard jumps must fit in 8 bits");

/* personality takes an unsigned int: the low word of args[0]. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the guard reads the low word first");
#define ARG0_LOW_WORD offsetof(struct seccomp_data, args[0])

static void build_guard(const AbiNumbers *x86_64, const AbiNumbers *i386,
                        struct sock_filter prog[G_N_INSNS])
{
	const struct sock_filter guard[G_N_INSNS] = {
	        [G_LOAD_ARCH] =
	                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	        [G_IS_X86_64] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0,
	                                 JUMP(G_IS_X86_64, G_IS_I386)),

	        [G_X86_64_LOAD_NR] =
	                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	        [G_X86_64_IS_X32] = BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, X32_SYSCALL_BIT,
	                                     JUMP(G_X86_64_IS_X32, G_RET_KILL), 0),
	        [G_X86_64_IS_PERSONALITY] =
	                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, x86_64->personality_nr,
	                         JUMP(G_X86_64_IS_PERSONALITY, G_PERSONALITY_LOAD_ARG0), 0),
	        [G_X86_64_IS_SOCKET] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, x86_64->socket_nr,
	                                        JUMP(G_X86_64_IS_SOCKET, G_SOCKET_LOAD_ARG0), 0),
	        [G_X86_64_ABOVE_MAX] = BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, x86_64->max_nr,
	                                        JUMP(G_X86_64_ABOVE_MAX, G_RET_ENOSYS),
	                                        JUMP(G_X86_64_ABOVE_MAX, G_RET_ALLOW)),

	        [G_IS_I386] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0,
	                               JUMP(G_IS_I386, G_RET_KILL)),
	        [G_I386_LOAD_NR] =
	                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	        [G_I386_IS_PERSONALITY] =
	                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, i386->personality_nr,
	                         JUMP(G_I386_IS_PERSONALITY, G_PERSONALITY_LOAD_ARG0), 0),
	        [G_I386_IS_SOCKET] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, i386->socket_nr,
	                                      JUMP(G_I386_IS_SOCKET, G_SOCKET_LOAD_ARG0), 0),
	        [G_I386_IS_SOCKETCALL] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, i386->socketcall_nr,
	                                          JUMP(G_I386_IS_SOCKETCALL, G_RET_ENOSYS), 0),
	        [G_I386_ABOVE_MAX] = BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, i386->max_nr,
	                                      JUMP(G_I386_ABOVE_MAX, G_RET_ENOSYS),
	                                      JUMP(G_I386_ABOVE_MAX, G_RET_ALLOW)),

	        [G_SOCKET_LOAD_ARG0] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_LOW_WORD),
	        [G_SOCKET_IS_UNIX] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX,
	                                      JUMP(G_SOCKET_IS_UNIX, G_RET_ALLOW), 0),
	        [G_SOCKET_IS_INET] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET,
	                                      JUMP(G_SOCKET_IS_INET, G_RET_ALLOW), 0),
	        [G_SOCKET_IS_INET6] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET6,
	                                       JUMP(G_SOCKET_IS_INET6, G_RET_ALLOW), 0),
	        [G_SOCKET_IS_NETLINK] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_NETLINK,
	                                         JUMP(G_SOCKET_IS_NETLINK, G_RET_ALLOW), 0),
	        [G_RET_EAFNOSUPPORT] = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EAFNOSUPPORT),

	        [G_PERSONALITY_LOAD_ARG0] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_LOW_WORD),
	        [G_PERSONALITY_IS_LINUX] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PER_LINUX,
	                                            JUMP(G_PERSONALITY_IS_LINUX, G_RET_ALLOW), 0),
	        [G_PERSONALITY_IS_LINUX32] =
	                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PER_LINUX32,
	                         JUMP(G_PERSONALITY_IS_LINUX32, G_RET_ALLOW), 0),
	        [G_PERSONALITY_IS_QUERY] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PERSONALITY_QUERY,
	                                            JUMP(G_PERSONALITY_IS_QUERY, G_RET_ALLOW), 0),

	        [G_RET_EPERM] = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	        [G_RET_ALLOW] = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	        [G_RET_ENOSYS] = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
	        [G_RET_KILL] = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	};

	for (size_t i = 0; i < G_N_INSNS; i++)
		prog[i] = guard[i];
}

/* A memfd that can be sealed once written. */
static int new_memfd(const char *name, int *ret)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return cl_log_errno(LOG_ERR, errno, "seccomp: memfd_create(%s) failed", name);
	*ret = fd;
	return 0;
}

/* Make a written memfd immutable, and rewind it for its reader. */
static int seal_and_rewind(int fd, const char *name)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return cl_log_errno(LOG_ERR, errno, "seccomp: cannot stat %s", name);
	if (st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter) != 0 ||
	    st.st_size > (off_t)(BPF_MAXINSNS * sizeof(struct sock_filter)))
		return cl_log_errno(LOG_ERR, EINVAL,
		                    "seccomp: %s holds %lld bytes, not a loadable program", name,
		                    (long long)st.st_size);

	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		return cl_log_errno(LOG_ERR, errno, "seccomp: cannot seal %s", name);
	if (lseek(fd, 0, SEEK_SET) < 0)
		return cl_log_errno(LOG_ERR, errno, "seccomp: cannot rewind %s", name);
	return 0;
}

static int export_deny_list(int *ret)
{
	static const char name[] = "cloison-seccomp-deny-list";
	_cleanup_seccomp_ scmp_filter_ctx ctx = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	r = build_deny_list(&ctx);
	if (r < 0)
		return r;
	r = new_memfd(name, &fd);
	if (r < 0)
		return r;
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return cl_log_errno(LOG_ERR, r, "seccomp: cannot export the deny list");
	r = seal_and_rewind(fd, name);
	if (r < 0)
		return r;
	*ret = cl_steal_fd(&fd);
	return 0;
}

static int export_guard(int *ret)
{
	static const char name[] = "cloison-seccomp-guard";
	struct sock_filter prog[G_N_INSNS];
	AbiNumbers x86_64, i386;
	_cleanup_close_ int fd = -1;
	int r;

	r = abi_numbers(SCMP_ARCH_X86_64, "x86_64", &x86_64);
	if (r < 0)
		return r;
	r = abi_numbers(SCMP_ARCH_X86, "i386", &i386);
	if (r < 0)
		return r;
	build_guard(&x86_64, &i386, prog);

	r = new_memfd(name, &fd);
	if (r < 0)
		return r;
	r = cl_write_all(fd, prog, sizeof(prog));
	if (r < 0)
		return cl_log_errno(LOG_ERR, r, "seccomp: cannot write the guard");
	r = seal_and_rewind(fd, name);
	if (r < 0)
		return r;

	cl_debug("seccomp: highest known system call numbers: x86_64 %u, i386 %u", x86_64.max_nr,
	         i386.max_nr);
	*ret = cl_steal_fd(&fd);
	return 0;
}

int cl_seccomp_build(int fds[CL_SECCOMP_MAX_FDS], size_t *n_fds)
{
	_cleanup_close_ int deny_list = -1;
	_cleanup_close_ int guard = -1;
	int r;

	if (!fds || !n_fds)
		return cl_log_errno(LOG_ERR, EINVAL, "seccomp: no room for the programs");
#if !defined(__x86_64__)
	return cl_log_errno(LOG_ERR, EOPNOTSUPP, "seccomp: the cage policy exists for x86_64 only");
#endif

	r = export_deny_list(&deny_list);
	if (r < 0)
		return r;
	r = export_guard(&guard);
	if (r < 0)
		return r;

	fds[0] = cl_steal_fd(&deny_list);
	fds[1] = cl_steal_fd(&guard);
	*n_fds = 2;
	return 0;
}

#ifdef CL_SECCOMP_EMBEDDED
#include "seccomp-programs.h"

/* The programs compiled at build time (see cages/seccomp-gen.c). */
int cl_seccomp_export(int fds[CL_SECCOMP_MAX_FDS], size_t *n_fds)
{
	static const struct {
		const char *name;
		const unsigned char *data;
		size_t size;
	} programs[CL_SECCOMP_MAX_FDS] = {
	        {"cloison-seccomp-deny-list", cl_seccomp_deny_list, sizeof(cl_seccomp_deny_list)},
	        {"cloison-seccomp-guard", cl_seccomp_guard, sizeof(cl_seccomp_guard)},
	};
	_cleanup_close_ int fd0 = -1, fd1 = -1;
	int *out[CL_SECCOMP_MAX_FDS] = {&fd0, &fd1};
	int r;

	if (!fds || !n_fds)
		return cl_log_errno(LOG_ERR, EINVAL, "seccomp: no room for the programs");
	for (size_t i = 0; i < CL_SECCOMP_MAX_FDS; i++) {
		r = new_memfd(programs[i].name, out[i]);
		if (r < 0)
			return r;
		r = cl_write_all(*out[i], programs[i].data, programs[i].size);
		if (r < 0)
			return cl_log_errno(LOG_ERR, r, "seccomp: cannot write %s",
			                    programs[i].name);
		r = seal_and_rewind(*out[i], programs[i].name);
		if (r < 0)
			return r;
	}
	fds[0] = cl_steal_fd(&fd0);
	fds[1] = cl_steal_fd(&fd1);
	*n_fds = 2;
	return 0;
}
#endif

/* Read an exported program back (it is sealed: what we read is what bwrap reads). */
static int read_program(int fd, struct sock_filter **ret, unsigned short *ret_len)
{
	_cleanup_free_ struct sock_filter *prog = NULL;
	size_t size, done = 0;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return cl_log_errno(LOG_ERR, errno, "seccomp: cannot stat an exported program");
	/* seal_and_rewind() checked the size. */
	size = (size_t)st.st_size;
	prog = malloc(size);
	if (!prog)
		return cl_log_errno(LOG_ERR, ENOMEM, "seccomp: cannot read a program back");

	while (done < size) {
		ssize_t n = pread(fd, (char *)prog + done, size - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cl_log_errno(LOG_ERR, errno, "seccomp: cannot read a program back");
		if (n == 0)
			return cl_log_errno(LOG_ERR, EIO, "seccomp: a program was cut short");
		done += (size_t)n;
	}

	*ret_len = (unsigned short)(size / sizeof(struct sock_filter));
	*ret = prog;
	prog = NULL;
	return 0;
}

int cl_seccomp_install_self(void)
{
	_cleanup_free_ struct sock_filter *deny_list = NULL;
	_cleanup_free_ struct sock_filter *guard = NULL;
	struct sock_fprog progs[CL_SECCOMP_MAX_FDS];
	int fds[CL_SECCOMP_MAX_FDS] = {-1, -1};
	size_t n_fds = 0;
	int r;

#ifdef CL_SECCOMP_EMBEDDED
	r = cl_seccomp_export(fds, &n_fds);
#else
	r = cl_seccomp_build(fds, &n_fds);
#endif
	if (r < 0)
		return r;
	r = read_program(fds[0], &deny_list, &progs[0].len);
	if (r >= 0)
		r = read_program(fds[1], &guard, &progs[1].len);
	cl_close(fds[0]);
	cl_close(fds[1]);
	if (r < 0)
		return r;
	progs[0].filter = deny_list;
	progs[1].filter = guard;

	/* Required to install a filter without CAP_SYS_ADMIN; bwrap does the same. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return cl_log_errno(LOG_ERR, errno, "seccomp: cannot set no_new_privs");

	/* TSYNC: the whole process, not only the calling thread. */
	for (size_t i = 0; i < n_fds; i++) {
		long t = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC,
		                 &progs[i]);

		if (t < 0)
			return cl_log_errno(LOG_ERR, errno, "seccomp: cannot load program %zu", i);
		if (t > 0)
			/* Thread t runs another filter: the process is partly filtered. */
			return cl_log_errno(LOG_ERR, EBUSY,
			                    "seccomp: thread %ld cannot take program %zu", t, i);
	}
	return 0;
}
