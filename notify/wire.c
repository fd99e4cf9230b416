/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cloison-build-config.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "wire.h"

enum {
	STATE_NUL,    /* the credentials byte */
	STATE_AUTH,   /* SASL lines, until BEGIN */
	STATE_HEADER, /* the 16 fixed bytes of a message */
	STATE_REST,   /* header fields and body */
};

void cl_wire_check_init(ClWireCheck *w, uint64_t max_message)
{
	memset(w, 0, sizeof(*w));
	w->state = STATE_NUL;
	w->max_message = max_message;
}

static uint32_t get_u32(const uint8_t *p, bool big)
{
	if (big)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static int end_of_header(ClWireCheck *w)
{
	const uint8_t *h = w->header;
	bool big;
	uint64_t fields, body, total;

	if (h[0] != 'l' && h[0] != 'B')
		return -EBADMSG;
	if (h[3] != 1)
		return -EBADMSG;
	big = h[0] == 'B';
	body = get_u32(h + 4, big);
	fields = get_u32(h + 12, big);
	/* fixed header, header-field array (padded to 8), body */
	total = 16 + ((fields + 7) & ~UINT64_C(7)) + body;
	if (total > w->max_message)
		return -EMSGSIZE;
	w->remaining = total - 16;
	w->header_len = 0;
	w->state = w->remaining ? STATE_REST : STATE_HEADER;
	return 0;
}

int cl_wire_check_feed(ClWireCheck *w, const uint8_t *data, size_t len)
{
	size_t i = 0;

	while (i < len) {
		switch (w->state) {
		case STATE_NUL:
			/* sd-bus judges the byte itself. */
			w->state = STATE_AUTH;
			i++;
			break;
		case STATE_AUTH: {
			uint8_t c = data[i++];

			if (c != '\n') {
				if (w->line_len >= sizeof(w->line) - 1)
					return -EBADMSG;
				w->line[w->line_len++] = (char)c;
				break;
			}
			if (++w->lines > CL_NOTIFY_AUTH_LINES)
				return -EBADMSG;
			if (w->line_len && w->line[w->line_len - 1] == '\r')
				w->line_len--;
			w->line[w->line_len] = 0;
			if (strcmp(w->line, "BEGIN") == 0)
				w->state = STATE_HEADER;
			w->line_len = 0;
			break;
		}
		case STATE_HEADER: {
			size_t n = sizeof(w->header) - w->header_len;

			if (n > len - i)
				n = len - i;
			memcpy(w->header + w->header_len, data + i, n);
			w->header_len += n;
			i += n;
			if (w->header_len == sizeof(w->header)) {
				int r = end_of_header(w);

				if (r < 0)
					return r;
			}
			break;
		}
		case STATE_REST:
		default: {
			uint64_t n = len - i;

			if (n > w->remaining)
				n = w->remaining;
			w->remaining -= n;
			i += (size_t)n;
			if (w->remaining == 0)
				w->state = STATE_HEADER;
			break;
		}
		}
	}
	return 0;
}
