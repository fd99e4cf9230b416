/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sigsys: make one system call the cage's seccomp filter kills the process
 * for (an x32 system call, getpid with the x32 bit), straight from main, so
 * that the cage's main command itself dies of SIGSYS.  Exit status 1 if the
 * call returns, 77 where there is no x32 ABI to try.
 */
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(void)
{
#if defined(__x86_64__)
	long r = syscall(0x40000000L | 39);

	printf("the x32 system call returned %ld: not killed\n", r);
	return 1;
#else
	printf("not x86_64: no x32 system call to make\n");
	return 77;
#endif
}
