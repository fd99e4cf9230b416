/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Messages between the launcher (cloison-cage, outside the sandbox) and the
 * cage init (cloison-cage-init, pid 1 inside it), over a SOCK_SEQPACKET
 * socketpair that the init receives as file descriptor CL_INIT_CONTROL_FD.
 * Nothing in the cage but the init holds that descriptor (it is close-on-exec
 * in the init and the init is not dumpable).
 *
 * Every message is one datagram: a ClInitHeader, then a payload of
 * header.length bytes.  Both sides treat what they receive as untrusted:
 * a datagram whose size does not match its header, an unknown type, or a
 * payload over CL_INIT_MAX_PAYLOAD is a protocol error that closes the
 * channel.  Integers are in host byte order (both ends run on one machine).
 */
#pragma once

#include <stdint.h>

#define CL_INIT_CONTROL_FD  3
#define CL_INIT_MAX_PAYLOAD (64 * 1024)
#define CL_INIT_MAX_ARGS    1024

/* In-cage paths the launcher sets up and the init relies on. */
#define CL_CAGE_UID         1000
#define CL_CAGE_GID         1000
#define CL_CAGE_USER        "user"
#define CL_CAGE_HOME        "/home/user"
#define CL_CAGE_RUNTIME_DIR "/run/user/1000"
#define CL_CAGE_INIT_PATH   "/run/cloison/init"
#define CL_CAGE_TRANSFER    "/run/cloison/transfer"
#define CL_CAGE_NOTIFY      "/run/cloison/notify"
/* The notification forwarder, when it is not already visible under /usr;
 * the init writes its D-Bus service file (init --notify-forward PATH). */
#define CL_CAGE_NOTIFY_FORWARD "/run/cloison/notify-forward"
#define CL_CAGE_BUS_SOCKET     CL_CAGE_RUNTIME_DIR "/bus"
#define CL_CAGE_DBUS_DAEMON    "/usr/bin/dbus-daemon"

enum cl_init_type {
	/* launcher -> init */
	CL_INIT_EXEC = 1, /* payload: ClInitExec + argv (NUL-terminated strings) */
	CL_INIT_STOP = 2, /* no payload: stop every process, then exit 0 */

	/* init -> launcher */
	CL_INIT_READY = 100,   /* no payload: set up, accepting requests */
	CL_INIT_STARTED = 101, /* payload: ClInitStatus (value = in-cage pid) */
	CL_INIT_FAILED = 102,  /* payload: ClInitStatus (value = errno) */
	CL_INIT_EXITED = 103,  /* payload: ClInitStatus (value = wait status) */
};

typedef struct {
	uint32_t type;
	uint32_t length; /* payload bytes after this header */
} ClInitHeader;

/* EXEC flags */
#define CL_INIT_EXEC_STDIO 0x1u /* 3 fds (stdin, stdout, stderr) come as SCM_RIGHTS */

typedef struct {
	uint32_t id;    /* chosen by the launcher; echoed in replies; 0 is the main command */
	uint32_t flags; /* CL_INIT_EXEC_* */
	uint32_t argc;  /* 1 .. CL_INIT_MAX_ARGS strings follow */
} ClInitExec;

typedef struct {
	uint32_t id;
	int32_t value;
} ClInitStatus;
