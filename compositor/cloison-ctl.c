/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cloison-ctl: talk to cloison-compositor's control socket (core only).
 *
 *   cloison-ctl [--socket PATH] [--timeout SECONDS] COMMAND [ARGS]
 *
 * Sends one JSON request (the protocol is described at the top of
 * compositor/ctl.c), prints the reply pretty-printed on stdout.  Exit
 * status: 0 when the compositor replied ok, 1 when it replied an error (the
 * message also goes to stderr), 2 on a usage or connection error.
 */
#include <errno.h>
#include <json-glib/json-glib.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "paths.h"

#define EXIT_REPLY_ERROR  1
#define EXIT_USAGE        2
#define MAX_REPLY         (64 * 1024 * 1024)
#define DEFAULT_TIMEOUT_S 60

static const char usage_text[] =
        "Usage: cloison-ctl [--socket PATH] [--bus ADDRESS] [--timeout SECONDS] COMMAND [ARGS]\n"
        "\n"
        "Commands:\n"
        "  windows               list windows (id, cage, level, app_id, title, geometry)\n"
        "  outputs               list outputs and their work areas\n"
        "  screenshot FILE.png [OUTPUT]\n"
        "                        write an output's last frame (default the first) as PNG\n"
        "  focus ID              give the keyboard focus to window ID\n"
        "  close ID              ask window ID to close\n"
        "  quit                  stop the compositor\n"
        "  input key NAME        press and release a key (xkb keysym name)\n"
        "  input type TEXT       type UTF-8 text\n"
        "  input move X Y        move the pointer to layout coordinates X, Y\n"
        "  input click [BUTTON]  click BUTTON: left (default), right, middle or a number\n"
        "  input press [BUTTON]  press BUTTON and hold it\n"
        "  input release [BUTTON]\n"
        "                        release a held BUTTON\n"
        "  output add WxH        add a headless output (test only)\n"
        "  output remove NAME    remove an output (test only)\n"
        "  raw JSON              send one JSON request line as given\n"
        "  transfers [list]      list the transfers waiting for a decision (JSON)\n"
        "  transfers approve ID TARGET [REASON]\n"
        "                        approve transfer ID to cage TARGET\n"
        "  transfers deny ID [REASON]\n"
        "                        deny transfer ID\n"
        "\n"
        "Synthetic input and test outputs work only if the compositor runs with --test-input.\n"
        "The default socket is $XDG_RUNTIME_DIR/cloison/core/ctl.  `transfers` talks to\n"
        "cloison-transferd on the core bus: --bus ADDRESS, else $DBUS_SESSION_BUS_ADDRESS.\n"
        "Exit status: 0 ok, 1 the compositor replied an error, 2 usage or connection error.\n";

struct ctl_options {
	const char *socket_path;
	const char *bus_address;
	int timeout_s;
	int argc; /* the command and its arguments */
	char **argv;
};

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("cloison-ctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'cloison-ctl --help'.\n", stderr);
	return EXIT_USAGE;
}

/* Returns -1 to go on, else an exit status. */
static int parse_options(int argc, char **argv, struct ctl_options *opts)
{
	int i;

	opts->socket_path = NULL;
	opts->timeout_s = DEFAULT_TIMEOUT_S;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage_text, stdout);
			return EXIT_SUCCESS;
		} else if (strcmp(a, "--socket") == 0 || strcmp(a, "-s") == 0) {
			if (++i >= argc)
				return usage_error("%s needs a path", a);
			opts->socket_path = argv[i];
		} else if (g_str_has_prefix(a, "--socket=")) {
			opts->socket_path = a + strlen("--socket=");
		} else if (strcmp(a, "--bus") == 0) {
			if (++i >= argc)
				return usage_error("%s needs an address", a);
			opts->bus_address = argv[i];
		} else if (g_str_has_prefix(a, "--bus=")) {
			opts->bus_address = a + strlen("--bus=");
		} else if (strcmp(a, "--timeout") == 0) {
			guint64 v;

			if (++i >= argc ||
			    !g_ascii_string_to_unsigned(argv[i], 10, 1, 3600, &v, NULL))
				return usage_error("--timeout needs a number of seconds (1-3600)");
			opts->timeout_s = (int)v;
		} else if (a[0] == '-' && a[1] != '\0') {
			return usage_error("unknown option %s", a);
		} else {
			break;
		}
	}
	opts->argc = argc - i;
	opts->argv = argv + i;
	if (opts->argc < 1)
		return usage_error("no command given");
	return -1;
}

static bool parse_window_id(const char *s, gint64 *id)
{
	guint64 v;

	if (!g_ascii_string_to_unsigned(s, 10, 1, G_MAXUINT32, &v, NULL))
		return false;
	*id = (gint64)v;
	return true;
}

static bool parse_coordinate(const char *s, double *ret)
{
	char *end;
	double v;

	if (!*s)
		return false;
	errno = 0;
	v = g_ascii_strtod(s, &end);
	if (errno || *end || v != v || v > 1e6 || v < -1e6)
		return false;
	*ret = v;
	return true;
}

static char *builder_to_line(JsonBuilder *b)
{
	JsonGenerator *gen = json_generator_new();
	JsonNode *root;
	char *text;

	json_builder_end_object(b);
	root = json_builder_get_root(b);
	json_generator_set_root(gen, root);
	text = json_generator_to_data(gen, NULL);
	json_node_unref(root);
	g_object_unref(gen);
	return text;
}

static int build_input(JsonBuilder *b, int argc, char **argv)
{
	const char *action;

	if (argc < 2)
		return usage_error(
		        "input needs an action: key, type, move, click, press or release");
	action = argv[1];
	json_builder_set_member_name(b, "action");
	json_builder_add_string_value(b, action);
	if (strcmp(action, "key") == 0 || strcmp(action, "type") == 0) {
		bool key = action[0] == 'k';

		if (argc != 3)
			return usage_error("usage: input %s %s", action, key ? "NAME" : "TEXT");
		json_builder_set_member_name(b, key ? "name" : "text");
		json_builder_add_string_value(b, argv[2]);
	} else if (strcmp(action, "move") == 0) {
		double x, y;

		if (argc != 4 || !parse_coordinate(argv[2], &x) || !parse_coordinate(argv[3], &y))
			return usage_error("usage: input move X Y (numbers)");
		json_builder_set_member_name(b, "x");
		json_builder_add_double_value(b, x);
		json_builder_set_member_name(b, "y");
		json_builder_add_double_value(b, y);
	} else if (strcmp(action, "click") == 0 || strcmp(action, "press") == 0 ||
	           strcmp(action, "release") == 0) {
		guint64 v;

		if (argc > 3)
			return usage_error("usage: input %s [BUTTON]", action);
		if (argc == 3) {
			json_builder_set_member_name(b, "button");
			if (g_ascii_string_to_unsigned(argv[2], 10, 0, G_MAXUINT32, &v, NULL))
				json_builder_add_int_value(b, (gint64)v);
			else
				json_builder_add_string_value(b, argv[2]);
		}
	} else {
		return usage_error(
		        "unknown input action '%s' (key, type, move, click, press or release)",
		        action);
	}
	return -1;
}

static int build_output(JsonBuilder *b, int argc, char **argv)
{
	const char *action;

	if (argc < 2)
		return usage_error("output needs an action: add or remove");
	action = argv[1];
	json_builder_set_member_name(b, "action");
	json_builder_add_string_value(b, action);
	if (strcmp(action, "add") == 0) {
		guint64 w, h;
		g_auto(GStrv) parts = NULL;

		if (argc == 3)
			parts = g_strsplit(argv[2], "x", 3);
		if (!parts || g_strv_length(parts) != 2 ||
		    !g_ascii_string_to_unsigned(parts[0], 10, 1, 100000, &w, NULL) ||
		    !g_ascii_string_to_unsigned(parts[1], 10, 1, 100000, &h, NULL))
			return usage_error("usage: output add WIDTHxHEIGHT");
		json_builder_set_member_name(b, "width");
		json_builder_add_int_value(b, (gint64)w);
		json_builder_set_member_name(b, "height");
		json_builder_add_int_value(b, (gint64)h);
	} else if (strcmp(action, "remove") == 0) {
		if (argc != 3)
			return usage_error("usage: output remove NAME");
		json_builder_set_member_name(b, "name");
		json_builder_add_string_value(b, argv[2]);
	} else {
		return usage_error("unknown output action '%s' (add or remove)", action);
	}
	return -1;
}

/*
 * The request line (without its newline) for the command in opts, or an
 * exit status in *status.
 */
static char *build_request(const struct ctl_options *opts, int *status)
{
	const char *cmd = opts->argv[0];
	int argc = opts->argc;
	char **argv = opts->argv;
	JsonBuilder *b;
	char *line = NULL;
	int r = -1;

	if (strcmp(cmd, "raw") == 0) {
		if (argc != 2) {
			*status = usage_error("usage: raw JSON");
			return NULL;
		}
		if (strchr(argv[1], '\n')) {
			*status = usage_error("raw: the request must be one line");
			return NULL;
		}
		return g_strdup(argv[1]);
	}

	b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "command");
	json_builder_add_string_value(b, cmd);
	if (strcmp(cmd, "windows") == 0 || strcmp(cmd, "outputs") == 0 ||
	    strcmp(cmd, "quit") == 0) {
		if (argc != 1)
			r = usage_error("%s takes no argument", cmd);
	} else if (strcmp(cmd, "screenshot") == 0) {
		if (argc != 2 && argc != 3) {
			r = usage_error("usage: screenshot FILE.png [OUTPUT]");
		} else {
			/* The compositor has its own working directory. */
			char *path = g_canonicalize_filename(argv[1], NULL);

			json_builder_set_member_name(b, "path");
			json_builder_add_string_value(b, path);
			g_free(path);
			if (argc == 3) {
				json_builder_set_member_name(b, "output");
				json_builder_add_string_value(b, argv[2]);
			}
		}
	} else if (strcmp(cmd, "focus") == 0 || strcmp(cmd, "close") == 0) {
		gint64 id;

		if (argc != 2 || !parse_window_id(argv[1], &id)) {
			r = usage_error("usage: %s ID (a window id from 'windows')", cmd);
		} else {
			json_builder_set_member_name(b, "id");
			json_builder_add_int_value(b, id);
		}
	} else if (strcmp(cmd, "input") == 0) {
		r = build_input(b, argc, argv);
	} else if (strcmp(cmd, "output") == 0) {
		r = build_output(b, argc, argv);
	} else {
		r = usage_error("unknown command '%s'", cmd);
	}
	if (r == -1)
		line = builder_to_line(b);
	g_object_unref(b);
	*status = r;
	return line;
}

static char *default_socket_path(void)
{
	const char *xdg = g_getenv("XDG_RUNTIME_DIR");
	GError *error = NULL;
	char *path;

	if (!xdg || !*xdg) {
		fprintf(stderr, "cloison-ctl: XDG_RUNTIME_DIR is not set; use --socket PATH\n");
		return NULL;
	}
	path = cl_paths_socket(xdg, NULL, CL_CTL_SOCKET, &error);
	if (!path) {
		fprintf(stderr, "cloison-ctl: %s\n", error->message);
		g_error_free(error);
	}
	return path;
}

static int connect_socket(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	size_t len = strlen(path);
	int fd;

	if (len >= sizeof(addr.sun_path)) {
		fprintf(stderr, "cloison-ctl: socket path too long: %s\n", path);
		return -1;
	}
	memcpy(addr.sun_path, path, len + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "cloison-ctl: socket: %s\n", g_strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int err = errno;

		fprintf(stderr, "cloison-ctl: cannot connect to %s: %s%s\n", path, g_strerror(err),
		        err == ENOENT || err == ECONNREFUSED ? " (is cloison-compositor running?)"
		                                             : "");
		close(fd);
		return -1;
	}
	return fd;
}

static gint64 now_ms(void)
{
	return g_get_monotonic_time() / 1000;
}

/* Wait for fd to be ready for events before the deadline. */
static bool wait_fd(int fd, short events, gint64 deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		gint64 left = deadline - now_ms();
		int r;

		if (left <= 0)
			return false;
		r = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (r > 0)
			return true;
		if (r < 0 && errno != EINTR)
			return false;
	}
}

static bool send_line(int fd, const char *line, gint64 deadline)
{
	char *data = g_strconcat(line, "\n", NULL);
	size_t len = strlen(data), done = 0;
	bool ok = true;

	while (done < len) {
		ssize_t n = send(fd, data + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
			    wait_fd(fd, POLLOUT, deadline))
				continue;
			fprintf(stderr, "cloison-ctl: cannot send the request: %s\n",
			        errno == EAGAIN ? "timed out" : g_strerror(errno));
			ok = false;
			break;
		}
		done += (size_t)n;
	}
	g_free(data);
	return ok;
}

/* One reply line (without the newline), or NULL. */
static char *read_line(int fd, gint64 deadline)
{
	GString *buf = g_string_new(NULL);
	char chunk[65536];

	for (;;) {
		char *nl;
		ssize_t n;

		if (!wait_fd(fd, POLLIN, deadline)) {
			fprintf(stderr, "cloison-ctl: no reply from the compositor (timed out)\n");
			break;
		}
		n = recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			fprintf(stderr, "cloison-ctl: cannot read the reply: %s\n",
			        g_strerror(errno));
			break;
		}
		if (n == 0) {
			fprintf(stderr, "cloison-ctl: the compositor closed the connection "
			                "without a reply\n");
			break;
		}
		g_string_append_len(buf, chunk, n);
		nl = memchr(buf->str, '\n', buf->len);
		if (nl) {
			g_string_truncate(buf, (gsize)(nl - buf->str));
			return g_string_free(buf, FALSE);
		}
		if (buf->len > MAX_REPLY) {
			fprintf(stderr, "cloison-ctl: reply too long\n");
			break;
		}
	}
	g_string_free(buf, TRUE);
	return NULL;
}

/* Print the reply; returns the exit status. */
static int print_reply(const char *line)
{
	JsonParser *parser = json_parser_new();
	GError *error = NULL;
	JsonNode *root;
	JsonObject *obj;
	JsonGenerator *gen;
	char *text;
	int status;

	if (!json_parser_load_from_data(parser, line, -1, &error)) {
		fprintf(stderr, "cloison-ctl: the reply is not valid JSON: %s\n", error->message);
		g_error_free(error);
		g_object_unref(parser);
		return EXIT_USAGE;
	}
	root = json_parser_get_root(parser);
	if (!root || !JSON_NODE_HOLDS_OBJECT(root) ||
	    !json_object_has_member(json_node_get_object(root), "ok")) {
		fprintf(stderr, "cloison-ctl: unexpected reply: %s\n", line);
		g_object_unref(parser);
		return EXIT_USAGE;
	}
	gen = json_generator_new();
	json_generator_set_pretty(gen, TRUE);
	json_generator_set_indent(gen, 2);
	json_generator_set_root(gen, root);
	text = json_generator_to_data(gen, NULL);
	printf("%s\n", text);
	g_free(text);
	g_object_unref(gen);

	obj = json_node_get_object(root);
	if (json_object_get_boolean_member_with_default(obj, "ok", FALSE)) {
		status = EXIT_SUCCESS;
	} else {
		const char *msg = json_object_get_string_member_with_default(obj, "error", NULL);

		fprintf(stderr, "cloison-ctl: %s\n", msg ? msg : "the compositor replied an error");
		status = EXIT_REPLY_ERROR;
	}
	g_object_unref(parser);
	return status;
}

static int run(const struct ctl_options *opts)
{
	char *request, *path, *reply;
	gint64 deadline;
	int status, fd;

	request = build_request(opts, &status);
	if (!request)
		return status;
	path = opts->socket_path ? g_strdup(opts->socket_path) : default_socket_path();
	if (!path) {
		g_free(request);
		return EXIT_USAGE;
	}
	fd = connect_socket(path);
	g_free(path);
	if (fd < 0) {
		g_free(request);
		return EXIT_USAGE;
	}
	deadline = now_ms() + (gint64)opts->timeout_s * 1000;
	status = EXIT_USAGE;
	if (send_line(fd, request, deadline)) {
		reply = read_line(fd, deadline);
		if (reply)
			status = print_reply(reply);
		g_free(reply);
	}
	close(fd);
	g_free(request);
	return status;
}

/* ---- transfers: cloison-transferd on the core bus --------------------------- */

#define TRANSFER_BUS_NAME "org.cloison.Transfer1"
#define TRANSFER_PATH     "/org/cloison/Transfer1"
#define TRANSFER_IFACE    "org.cloison.Transfer1"

static sd_bus *connect_core_bus(const struct ctl_options *opts)
{
	const char *address =
	        opts->bus_address ? opts->bus_address : g_getenv("DBUS_SESSION_BUS_ADDRESS");
	sd_bus *bus = NULL;
	int r;

	if (!address || !*address) {
		fputs("cloison-ctl: no core bus: use --bus ADDRESS or set "
		      "DBUS_SESSION_BUS_ADDRESS\n",
		      stderr);
		return NULL;
	}
	r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, address);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, 1);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r < 0) {
		fprintf(stderr, "cloison-ctl: cannot connect to the core bus: %s\n", strerror(-r));
		sd_bus_unref(bus);
		return NULL;
	}
	return bus;
}

/* One a{sv} value as JSON. */
static int details_to_json(sd_bus_message *m, JsonBuilder *b)
{
	int r;

	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *key, *contents, *s;
		uint64_t t;

		r = sd_bus_message_read(m, "s", &key);
		if (r >= 0)
			r = sd_bus_message_peek_type(m, NULL, &contents);
		if (r < 0)
			break;
		r = sd_bus_message_enter_container(m, 'v', contents);
		if (r < 0)
			break;
		json_builder_set_member_name(b, key);
		if (strcmp(contents, "s") == 0) {
			r = sd_bus_message_read(m, "s", &s);
			json_builder_add_string_value(b, s);
		} else if (strcmp(contents, "t") == 0) {
			r = sd_bus_message_read(m, "t", &t);
			json_builder_add_int_value(b, (gint64)MIN(t, (uint64_t)G_MAXINT64));
		} else if (strcmp(contents, "a(sssssbb)") == 0) {
			const char *cage, *level, *label, *colour, *direction;
			int declassify, need_reason;

			json_builder_begin_array(b);
			r = sd_bus_message_enter_container(m, 'a', "(sssssbb)");
			while (r >= 0 && (r = sd_bus_message_read(m, "(sssssbb)", &cage, &level,
			                                          &label, &colour, &direction,
			                                          &declassify, &need_reason)) > 0) {
				json_builder_begin_object(b);
				json_builder_set_member_name(b, "cage");
				json_builder_add_string_value(b, cage);
				json_builder_set_member_name(b, "level");
				json_builder_add_string_value(b, level);
				json_builder_set_member_name(b, "label");
				json_builder_add_string_value(b, label);
				json_builder_set_member_name(b, "colour");
				json_builder_add_string_value(b, colour);
				json_builder_set_member_name(b, "direction");
				json_builder_add_string_value(b, direction);
				json_builder_set_member_name(b, "declassify");
				json_builder_add_boolean_value(b, declassify);
				json_builder_set_member_name(b, "require_reason");
				json_builder_add_boolean_value(b, need_reason);
				json_builder_end_object(b);
			}
			if (r >= 0)
				r = sd_bus_message_exit_container(m);
			json_builder_end_array(b);
		} else {
			r = sd_bus_message_skip(m, contents);
			json_builder_add_null_value(b);
		}
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(m);
	return r;
}

static int transfers_list(sd_bus *bus)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	JsonBuilder *b;
	JsonNode *root;
	char *text;
	const char *id;
	int r;

	r = sd_bus_call_method(bus, TRANSFER_BUS_NAME, TRANSFER_PATH, TRANSFER_IFACE, "ListPending",
	                       &err, &reply, "");
	if (r < 0) {
		fprintf(stderr, "cloison-ctl: ListPending: %s\n",
		        err.message ? err.message : strerror(-r));
		sd_bus_error_free(&err);
		return EXIT_USAGE;
	}
	b = json_builder_new();
	json_builder_begin_array(b);
	r = sd_bus_message_enter_container(reply, 'a', "(sa{sv})");
	while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'r', "sa{sv}")) > 0) {
		r = sd_bus_message_read(reply, "s", &id);
		if (r < 0)
			break;
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "id");
		json_builder_add_string_value(b, id);
		r = details_to_json(reply, b);
		json_builder_end_object(b);
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
	}
	json_builder_end_array(b);
	sd_bus_message_unref(reply);
	if (r < 0) {
		fprintf(stderr, "cloison-ctl: ListPending: malformed reply: %s\n", strerror(-r));
		g_object_unref(b);
		return EXIT_USAGE;
	}
	root = json_builder_get_root(b);
	text = json_to_string(root, TRUE);
	puts(text);
	g_free(text);
	json_node_unref(root);
	g_object_unref(b);
	return EXIT_SUCCESS;
}

static int transfers_decide(sd_bus *bus, const char *id, bool approve, const char *target,
                            const char *reason)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	int r;

	r = sd_bus_call_method(bus, TRANSFER_BUS_NAME, TRANSFER_PATH, TRANSFER_IFACE, "Decide",
	                       &err, NULL, "sbss", id, approve, target, reason);
	if (r < 0) {
		fprintf(stderr, "cloison-ctl: %s\n", err.message ? err.message : strerror(-r));
		r = err.name && g_str_has_prefix(err.name, "org.cloison.") ? EXIT_REPLY_ERROR
		                                                           : EXIT_USAGE;
		sd_bus_error_free(&err);
		return r;
	}
	return EXIT_SUCCESS;
}

static int run_transfers(const struct ctl_options *opts)
{
	int argc = opts->argc;
	char **argv = opts->argv;
	const char *sub = argc > 1 ? argv[1] : "list";
	sd_bus *bus;
	int status;

	if (strcmp(sub, "list") == 0) {
		if (argc > 2)
			return usage_error("transfers list takes no argument");
	} else if (strcmp(sub, "approve") == 0) {
		if (argc < 4 || argc > 5)
			return usage_error("usage: transfers approve ID TARGET [REASON]");
	} else if (strcmp(sub, "deny") == 0) {
		if (argc < 3 || argc > 4)
			return usage_error("usage: transfers deny ID [REASON]");
	} else {
		return usage_error("unknown transfers command %s (list, approve, deny)", sub);
	}
	bus = connect_core_bus(opts);
	if (!bus)
		return EXIT_USAGE;
	if (strcmp(sub, "list") == 0)
		status = transfers_list(bus);
	else if (strcmp(sub, "approve") == 0)
		status = transfers_decide(bus, argv[2], true, argv[3], argc > 4 ? argv[4] : "");
	else
		status = transfers_decide(bus, argv[2], false, "", argc > 3 ? argv[3] : "");
	sd_bus_flush_close_unref(bus);
	return status;
}

int main(int argc, char **argv)
{
	struct ctl_options opts = {0};
	int status = parse_options(argc, argv, &opts);

	if (status >= 0)
		return status;
	if (strcmp(opts.argv[0], "transfers") == 0)
		status = run_transfers(&opts);
	else
		status = run(&opts);
	if (fflush(stdout) != 0 && status == EXIT_SUCCESS)
		status = EXIT_USAGE;
	return status;
}
