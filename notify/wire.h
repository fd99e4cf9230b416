/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What a cage sends on its notify socket, checked before sd-bus reads it:
 * the authentication lines, then the D-Bus message framing.  A message
 * larger than the limit is refused from its 16-byte header, before its
 * bytes are read, so no cage can make cloison-notifyd buffer sd-bus's own
 * maximum (128 MiB) per connection.  Pure: the unit tests and the fuzz
 * target feed it directly.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define CL_NOTIFY_MESSAGE_MAX   (UINT64_C(2) << 20) /* bytes, header and body */
#define CL_NOTIFY_AUTH_LINE_MAX 512
#define CL_NOTIFY_AUTH_LINES    16

typedef struct {
	int state;
	unsigned lines;
	size_t line_len;
	char line[CL_NOTIFY_AUTH_LINE_MAX];
	uint8_t header[16];
	size_t header_len;
	uint64_t remaining; /* bytes of the current message after its header */
	uint64_t max_message;
} ClWireCheck;

void cl_wire_check_init(ClWireCheck *w, uint64_t max_message);

/*
 * Account for the next len bytes of the stream.  0 while it is acceptable;
 * -EMSGSIZE when a message header announces more than max_message bytes;
 * -EBADMSG for an authentication line that is too long, too many of them,
 * or a message header that is not D-Bus (endianness, version).  After an
 * error the state is undefined: hang up.
 */
int cl_wire_check_feed(ClWireCheck *w, const uint8_t *data, size_t len);
