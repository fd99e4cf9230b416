/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cl-test-client: a hostile cage-side client for the transfer tests, talking
 * to a cage's transfer socket directly from the host (the socket is the
 * cage's identity, so this is what a process in that cage could do).
 *
 *   cl-test-client flood SOCKET MIN PATH TARGET STARTED STOP
 *       Send requests as fast as the broker answers, at least MIN of them,
 *       and on until the file STOP exists; STARTED is created after the
 *       first 100.  Prints "flood sent=N ok=N limit=N other=N".
 *   cl-test-client abuse SOCKET
 *       Malformed calls, unknown methods, huge strings, garbage bytes,
 *       too many connections; prints "ok CHECK" or "not-ok CHECK: why" per
 *       check and exits 1 if any failed.
 *   cl-test-client send-disconnect SOCKET PATH TARGET
 *       Send, print the id, hang up at once.
 *   cl-test-client cancel SOCKET ID
 *       Cancel; prints "cancelled" or the D-Bus error name, exit 0 / 1.
 *   cl-test-client listen SOCKET READY
 *       Print every signal received ("Received ID PATH FROM" …) until
 *       killed; READY is created once connected.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#define PATH  "/org/cloison/CageTransfer1"
#define IFACE "org.cloison.CageTransfer1"

static int failures;

typedef struct {
	uint8_t *data;
	size_t len;
} ByteBuf;

static sd_bus *connect_bus(const char *socket_path)
{
	sd_bus *bus = NULL;
	char address[4200];
	int r;

	snprintf(address, sizeof(address), "unix:path=%s", socket_path);
	r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, address);
	if (r >= 0)
		r = sd_bus_set_anonymous(bus, 1);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r < 0) {
		fprintf(stderr, "cl-test-client: connect %s: %s\n", socket_path, strerror(-r));
		exit(2);
	}
	return bus;
}

static int raw_connect(const char *socket_path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", socket_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* ---- flood ----------------------------------------------------------------- */

typedef struct {
	unsigned ok, limit, other, outstanding;
} FloodCounts;

static int flood_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	FloodCounts *c = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);

	c->outstanding--;
	if (!e)
		c->ok++;
	else if (strcmp(e->name, "org.cloison.CageTransfer1.Error.LimitExceeded") == 0)
		c->limit++;
	else {
		if (c->other < 5)
			fprintf(stderr, "flood: unexpected error %s: %s\n", e->name, e->message);
		c->other++;
	}
	return 0;
}

static int do_flood(char **argv)
{
	sd_bus *bus = connect_bus(argv[0]);
	unsigned min = (unsigned)strtoul(argv[1], NULL, 10);
	const char *path = argv[2], *target = argv[3], *started = argv[4], *stop = argv[5];
	FloodCounts c = {0};
	unsigned sent = 0;
	time_t deadline = time(NULL) + 600;
	int r;

	while ((sent < min || !exists(stop)) && time(NULL) < deadline) {
		/* Keep up to 64 calls in flight. */
		while (c.outstanding < 64) {
			r = sd_bus_call_method_async(bus, NULL, NULL, PATH, IFACE, "Send",
			                             flood_reply, &c, "ssb", path, target, 0);
			if (r < 0) {
				fprintf(stderr, "flood: send: %s\n", strerror(-r));
				return 2;
			}
			c.outstanding++;
			sent++;
			if (sent == 100) {
				FILE *f = fopen(started, "w");

				if (f)
					fclose(f);
			}
		}
		r = sd_bus_process(bus, NULL);
		if (r < 0) {
			fprintf(stderr, "flood: lost the broker: %s\n", strerror(-r));
			return 2;
		}
		if (r == 0)
			sd_bus_wait(bus, 100000);
	}
	while (c.outstanding > 0) {
		r = sd_bus_process(bus, NULL);
		if (r < 0)
			return 2;
		if (r == 0)
			sd_bus_wait(bus, 100000);
	}
	printf("flood sent=%u ok=%u limit=%u other=%u\n", sent, c.ok, c.limit, c.other);
	sd_bus_flush_close_unref(bus);
	return 0;
}

/* ---- abuse ----------------------------------------------------------------- */

static void check(bool ok, const char *name, const char *why)
{
	if (ok) {
		printf("ok %s\n", name);
	} else {
		printf("not-ok %s: %s\n", name, why ? why : "");
		failures++;
	}
}

/* Call METHOD with a message built by the caller; expect error ERROR_NAME
 * (NULL: any error). */
static void expect_error(sd_bus *bus, sd_bus_message *m, const char *error_name,
                         const char *check_name)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	int r = sd_bus_call(bus, m, 10 * 1000000ull, &err, &reply);
	char why[512];

	if (r >= 0) {
		check(false, check_name, "the call succeeded");
	} else if (error_name && (!err.name || strcmp(err.name, error_name) != 0)) {
		snprintf(why, sizeof(why), "got %s (%s), wanted %s", err.name ? err.name : "-",
		         err.message ? err.message : strerror(-r), error_name);
		check(false, check_name, why);
	} else {
		check(true, check_name, NULL);
	}
	sd_bus_error_free(&err);
	sd_bus_message_unref(reply);
	sd_bus_message_unref(m);
}

static sd_bus_message *new_call(sd_bus *bus, const char *path, const char *iface,
                                const char *member)
{
	sd_bus_message *m = NULL;

	if (sd_bus_message_new_method_call(bus, &m, NULL, path, iface, member) < 0)
		exit(2);
	return m;
}

static bool alive(const char *socket_path)
{
	sd_bus *bus = connect_bus(socket_path);
	int r = sd_bus_call_method(bus, NULL, PATH, IFACE, "ListTargets", NULL, NULL, "");

	sd_bus_flush_close_unref(bus);
	return r >= 0;
}

static void write_raw(const char *socket_path, const void *data, size_t len)
{
	int fd = raw_connect(socket_path);

	if (fd < 0)
		return;
	(void)!write(fd, data, len);
	usleep(20000);
	close(fd);
}

/* Little-endian D-Bus: pad to n, append. */
static void put_pad(ByteBuf *b, size_t n)
{
	while (b->len % n)
		b->data[b->len++] = 0;
}

static void put_u32(ByteBuf *b, uint32_t v)
{
	put_pad(b, 4);
	memcpy(b->data + b->len, &v, 4);
	b->len += 4;
}

static void put_field(ByteBuf *b, uint8_t code, char type, const char *value)
{
	size_t len = strlen(value);

	put_pad(b, 8);
	b->data[b->len++] = code;
	b->data[b->len++] = 1; /* signature length */
	b->data[b->len++] = (uint8_t)type;
	b->data[b->len++] = 0;
	put_u32(b, (uint32_t)len);
	memcpy(b->data + b->len, value, len + 1);
	b->len += len + 1;
}

/* One ListTargets method call, serial `serial`, as bytes. */
static size_t make_call(uint8_t *out, uint32_t serial)
{
	ByteBuf b = {.data = out, .len = 0};
	size_t fields_at;

	b.data[b.len++] = 'l';
	b.data[b.len++] = 1; /* method call */
	b.data[b.len++] = 0;
	b.data[b.len++] = 1; /* protocol version */
	put_u32(&b, 0);      /* body length */
	put_u32(&b, serial);
	put_u32(&b, 0); /* header fields length, patched below */
	fields_at = b.len;
	put_field(&b, 1, 'o', PATH);
	put_field(&b, 2, 's', IFACE);
	put_field(&b, 3, 's', "ListTargets");
	{
		uint32_t flen = (uint32_t)(b.len - fields_at);

		memcpy(b.data + 12, &flen, 4);
	}
	put_pad(&b, 8);
	return b.len;
}

/* Authenticate by hand, then write calls and never read: returns the errno
 * the writes end with (EPIPE/ECONNRESET: the broker hung up), or 0 when
 * writing blocked for 5 s without a hang-up. */
static int greedy_client(const char *sock, int *sent)
{
	uint8_t msg[512];
	char line[256];
	int fd = raw_connect(sock);
	ssize_t k;

	if (fd < 0)
		return errno;
	static const char auth[] = "\0AUTH ANONYMOUS\r\n";

	if (write(fd, auth, sizeof(auth) - 1) != (ssize_t)sizeof(auth) - 1)
		return errno;
	k = read(fd, line, sizeof(line) - 1);
	if (k > 4 && strncmp(line, "DATA", 4) == 0) {
		/* The mechanism asks for its (empty) trace data. */
		if (write(fd, "DATA\r\n", 6) != 6)
			return errno;
		k = read(fd, line, sizeof(line) - 1);
	}
	if (k > 0)
		line[k] = '\0';
	if (k <= 0 || strncmp(line, "OK ", 3) != 0) {
		fprintf(stderr, "greedy: authentication answered %s\n", k > 0 ? line : "nothing");
		close(fd);
		return EPROTO;
	}
	if (write(fd, "BEGIN\r\n", 7) != 7)
		return errno;
	for (*sent = 0; *sent < 10000000; (*sent)++) {
		size_t len = make_call(msg, (uint32_t)*sent + 1);
		struct pollfd p = {.fd = fd, .events = POLLOUT};

		if (poll(&p, 1, 5000) == 0) {
			close(fd);
			return 0;
		}
		if (send(fd, msg, len, MSG_NOSIGNAL) < 0) {
			int err = errno;

			close(fd);
			return err;
		}
	}
	close(fd);
	return 0;
}

static int do_abuse(char **argv)
{
	const char *sock = argv[0];
	sd_bus *bus = connect_bus(sock);
	sd_bus_message *m;
	char *huge;
	int fds[64];
	int n = 0;

	m = new_call(bus, PATH, IFACE, "Send");
	sd_bus_message_append(m, "s", "only-a-path");
	expect_error(bus, m, "org.freedesktop.DBus.Error.InvalidArgs", "send-wrong-signature");

	m = new_call(bus, PATH, IFACE, "Send");
	sd_bus_message_append(m, "ssbs", "a", "", 0, "extra");
	expect_error(bus, m, "org.freedesktop.DBus.Error.InvalidArgs", "send-extra-argument");

	m = new_call(bus, PATH, IFACE, "Send");
	sd_bus_message_append(m, "uub", 1, 2, 0);
	expect_error(bus, m, "org.freedesktop.DBus.Error.InvalidArgs", "send-wrong-types");

	huge = malloc(1 << 20);
	memset(huge, 'a', 1 << 20);
	huge[(1 << 20) - 1] = '\0';
	m = new_call(bus, PATH, IFACE, "Send");
	sd_bus_message_append(m, "ssb", huge, "", 0);
	expect_error(bus, m, "org.cloison.CageTransfer1.Error.InvalidPath", "send-1MiB-path");
	m = new_call(bus, PATH, IFACE, "Send");
	sd_bus_message_append(m, "ssb", "file", huge, 0);
	expect_error(bus, m, "org.cloison.CageTransfer1.Error.UnknownTarget", "send-1MiB-target");
	m = new_call(bus, PATH, IFACE, "Cancel");
	sd_bus_message_append(m, "s", huge);
	expect_error(bus, m, "org.cloison.CageTransfer1.Error.UnknownTransfer", "cancel-1MiB-id");
	free(huge);

	m = new_call(bus, PATH, IFACE, "Frobnicate");
	expect_error(bus, m, "org.freedesktop.DBus.Error.UnknownMethod", "unknown-method");
	m = new_call(bus, "/org/cloison/Other", IFACE, "Send");
	expect_error(bus, m, NULL, "unknown-object");
	m = new_call(bus, PATH, "org.cloison.Transfer1", "Decide");
	sd_bus_message_append(m, "sbss", "0123456789abcdef0123456789abcdef", 1, "beta", "");
	expect_error(bus, m, NULL, "core-method-on-cage-socket");
	m = new_call(bus, PATH, IFACE, "Cancel");
	sd_bus_message_append(m, "s", "0123456789abcdef0123456789abcdef");
	expect_error(bus, m, "org.cloison.CageTransfer1.Error.UnknownTransfer", "cancel-unknown");
	m = new_call(bus, PATH, IFACE, "Send");
	sd_bus_message_append(m, "ssb", "file", "../beta", 0);
	expect_error(bus, m, "org.cloison.CageTransfer1.Error.UnknownTarget", "send-bad-target");
	m = new_call(bus, PATH, IFACE, "Send");
	sd_bus_message_append(m, "ssb", "/etc/passwd", "", 0);
	expect_error(bus, m, "org.cloison.CageTransfer1.Error.InvalidPath", "send-outside-home");
	sd_bus_flush_close_unref(bus);

	/* Raw bytes: no authentication, bad authentication, a bad message. */
#define RAW(s) write_raw(sock, s, sizeof(s) - 1)
	RAW("GARBAGE\r\n\x01\x02\x03");
	RAW("\0AUTH FOO\r\nAUTH\r\n\xff\xfe\r\nBEGIN\r\n");
	RAW("\0AUTH EXTERNAL 30\r\nBEGIN\r\n\x6c\x01\x00\x01");
#undef RAW
	{
		static const char hello[] = "\0AUTH ANONYMOUS\r\nBEGIN\r\n";
		static const unsigned char bad_msg[] = {
		        'l', 1, 0, 1, 0xff, 0xff, 0xff, 0x7f, /* body length 2 GiB */
		        1,   0, 0, 0, 0x10, 0,    0,    0,    1, 0x6f, 0, 0, 0, 0, 0, 0,
		};
		int fd = raw_connect(sock);

		if (fd >= 0) {
			(void)!write(fd, hello, sizeof(hello) - 1);
			(void)!write(fd, bad_msg, sizeof(bad_msg));
			usleep(50000);
			close(fd);
		}
	}
	check(alive(sock), "alive-after-garbage", "the broker no longer answers");

	/* More connections than a cage may hold, then an ordinary call. */
	for (n = 0; n < 64; n++) {
		fds[n] = raw_connect(sock);
		if (fds[n] < 0)
			break;
	}
	usleep(200000);
	{
		int closed = 0;

		for (int i = 0; i < n; i++) {
			char c;
			ssize_t k = recv(fds[i], &c, 1, MSG_DONTWAIT);

			if (k == 0)
				closed++;
		}
		char why[64];
		snprintf(why, sizeof(why), "%d of %d connections were closed", closed, n);
		check(closed >= n - 32 && closed > 0, "connection-limit", why);
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
	usleep(200000);
	check(alive(sock), "alive-after-connection-flood", "the broker no longer answers");

	/* Calls without ever reading a reply: the broker must hang up, not queue. */
	{
		char why[160];
		int sent = 0;
		int err = greedy_client(sock, &sent);

		snprintf(why, sizeof(why), "after %d calls: %s", sent,
		         err ? strerror(err) : "the broker kept the connection");
		check(err == EPIPE || err == ECONNRESET, "hang-up-on-unread-replies", why);
	}
	check(alive(sock), "alive-after-unread-replies", "the broker no longer answers");

	/* The connections the broker closed were freed: 32 fit again (a few
	 * tries: hang-ups reach the broker asynchronously, a leak stays). */
	{
		int closed = 0;
		char why[64];

		for (int attempt = 0; attempt < 10; attempt++) {
			usleep(500000);
			closed = 0;
			for (n = 0; n < 32; n++)
				fds[n] = raw_connect(sock);
			usleep(300000);
			for (int i = 0; i < 32; i++) {
				char c;

				if (fds[i] < 0 || recv(fds[i], &c, 1, MSG_DONTWAIT) == 0)
					closed++;
				if (fds[i] >= 0)
					close(fds[i]);
			}
			if (closed == 0)
				break;
		}
		snprintf(why, sizeof(why), "%d of 32 connections were refused", closed);
		check(closed == 0, "closed-connections-are-freed", why);
	}
	return failures ? 1 : 0;
}

/* ---- send-disconnect ------------------------------------------------------- */

static int do_send_disconnect(char **argv)
{
	sd_bus *bus = connect_bus(argv[0]);
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	const char *id;
	int r;

	r = sd_bus_call_method(bus, NULL, PATH, IFACE, "Send", &err, &reply, "ssb", argv[1],
	                       argv[2], 0);
	if (r < 0 || sd_bus_message_read(reply, "s", &id) < 0) {
		fprintf(stderr, "send: %s\n", err.message ? err.message : strerror(-r));
		return 2;
	}
	printf("%s\n", id);
	sd_bus_message_unref(reply);
	sd_bus_close_unref(bus);
	return 0;
}

static int do_cancel(char **argv)
{
	sd_bus *bus = connect_bus(argv[0]);
	sd_bus_error err = SD_BUS_ERROR_NULL;
	int r = sd_bus_call_method(bus, NULL, PATH, IFACE, "Cancel", &err, NULL, "s", argv[1]);

	printf("%s\n", r >= 0 ? "cancelled" : err.name ? err.name : strerror(-r));
	sd_bus_error_free(&err);
	sd_bus_flush_close_unref(bus);
	return r >= 0 ? 0 : 1;
}

static int print_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	const char *a, *b, *c;

	if (sd_bus_message_read(m, "sss", &a, &b, &c) >= 0)
		printf("%s %s %s %s\n", sd_bus_message_get_member(m), a, b, c);
	return 0;
}

static int do_listen(char **argv)
{
	sd_bus *bus = connect_bus(argv[0]);
	FILE *f;
	int r;

	r = sd_bus_match_signal(bus, NULL, NULL, PATH, IFACE, "Received", print_signal, NULL);
	if (r >= 0)
		r = sd_bus_match_signal(bus, NULL, NULL, PATH, IFACE, "Finished", print_signal,
		                        NULL);
	if (r < 0)
		return 2;
	f = fopen(argv[1], "w");
	if (f)
		fclose(f);
	for (;;) {
		r = sd_bus_process(bus, NULL);
		if (r < 0)
			return 0;
		if (r == 0 && sd_bus_wait(bus, UINT64_MAX) < 0)
			return 0;
	}
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 8 && strcmp(argv[1], "flood") == 0)
		return do_flood(argv + 2);
	if (argc == 3 && strcmp(argv[1], "abuse") == 0)
		return do_abuse(argv + 2);
	if (argc == 5 && strcmp(argv[1], "send-disconnect") == 0)
		return do_send_disconnect(argv + 2);
	if (argc == 4 && strcmp(argv[1], "cancel") == 0)
		return do_cancel(argv + 2);
	if (argc == 4 && strcmp(argv[1], "listen") == 0)
		return do_listen(argv + 2);
	fprintf(stderr, "usage: cl-test-client flood|abuse|send-disconnect|cancel|listen …\n");
	return 2;
}
