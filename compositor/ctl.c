/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The compositor's control socket, used by cloison-ctl and the tests.
 *
 * Transport
 *   AF_UNIX SOCK_STREAM socket at $XDG_RUNTIME_DIR/cloison/core/ctl, mode
 *   0600 (bound under umask 077, then chmod).  A stale socket left on the
 *   path is unlinked; anything else on the path is an error.  Only the core
 *   may connect: the peer's SO_PEERCRED uid must be our effective uid (or
 *   0), other peers are closed at once.  At most CTL_MAX_CLIENTS clients at
 *   a time; a further one gets an error line and is closed.
 *
 * Framing
 *   Newline-delimited JSON (UTF-8).  Each request is one line holding one
 *   JSON object, at most CTL_MAX_LINE bytes without its newline; each
 *   request gets exactly one reply line, in order.  Blank lines are
 *   ignored, and so is an unterminated line when the client hangs up.  A
 *   longer line gets an error reply and the connection is closed once the
 *   reply is sent.  Replies are written without ever blocking the
 *   compositor: what the client does not read yet is kept, up to
 *   CTL_MAX_OUTPUT bytes; a client that lets more pile up is dropped.
 *
 * Replies
 *   {"ok": true, ...}                  success, with the command's members
 *   {"ok": false, "error": "message"}  failure; the connection stays open
 *
 * Commands (member "command"; other members as listed; unknown members are
 * ignored; a member of the wrong type is an error)
 *   windows
 *     {"ok":true,"windows":[{"id":N,"cage":"alpha","level":"low",
 *      "app_id":"…","title":"…","x":N,"y":N,"width":N,"height":N,
 *      "focused":bool,"mapped":bool,"core":bool,"role":"window"}, …]}
 *     Front-most first (the bar, the dialogs, the notifications, then cage
 *     windows).  x, y,
 *     width, height: the client area (the xdg window geometry, inside the
 *     frame) in layout coordinates.  title and app_id are the sanitised
 *     strings, never what the client sent.  core: a toplevel of the
 *     trusted bar client; cage and level are null for it.  role: "window"
 *     (a cage window), "bar", "dialog" (the bar's trusted dialog, inside
 *     the core frame), "notification" (the bar's notification popups,
 *     inside the core frame) or "none" (a core toplevel that is none of
 *     them, never shown).
 *   outputs
 *     {"ok":true,"outputs":[{"name":"HEADLESS-1","x":0,"y":0,
 *      "width":1280,"height":720,"scale":1.0,
 *      "work_area":{"x":0,"y":28,"width":1280,"height":692}}, …]}
 *     Geometry in layout coordinates; work_area is what cage windows on
 *     that output may cover (below its bar strip).  Also "frames": frames
 *     committed so far, and "first_frame_usec": when the first was
 *     (CLOCK_MONOTONIC, µs; 0 before it), which is how bench/compositor-start
 *     times the start.
 *   screenshot {"path": "/absolute/file.png", "output": "HEADLESS-2"}
 *     Writes the last frame of the named output (optional; default the
 *     first output) as PNG.  {"ok":true,"path":…}
 *   focus {"id": N}
 *     Gives the keyboard focus to window N (a core request).
 *   close {"id": N}
 *     Asks window N to close (xdg_toplevel.close).
 *   quit
 *     Replies, then stops the compositor.
 *   input {"action": "key", "name": "Return"}       press and release a key
 *                                                   (xkb keysym name)
 *         {"action": "type", "text": "abc"}         type UTF-8 text
 *         {"action": "move", "x": X, "y": Y}        pointer to layout X, Y
 *         {"action": "click", "button": B}          press and release B:
 *             "left" (default), "right", "middle", 1 (left), 2 (middle),
 *             3 (right), or an evdev code BTN_MISC..BTN_TASK (0x100-0x117)
 *         {"action": "press", "button": B}          press B and hold it (an
 *                                                   error if it is held)
 *         {"action": "release", "button": B}        release B (an error if it
 *                                                   is not held)
 *   output {"action": "add", "width": W, "height": H}
 *     Adds a headless output of W x H (64..8192), placed right of the
 *     others; at most 4 outputs.  {"ok":true}
 *   output {"action": "remove", "name": "HEADLESS-2"}
 *     Removes that output (never the last one); its windows move to a
 *     remaining output.
 *     Synthetic input and test outputs exist only when the compositor was
 *     started with --test-input; otherwise every input or output request is
 *     refused with "synthetic input is disabled (start the compositor with
 *     --test-input)".
 *
 * Ids are integers 1..4294967295; numbers that are not integers, out of
 * range, NaN or infinite are refused.  Malformed JSON, a non-object, a
 * missing or unknown command: an error reply, never a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <json-glib/json-glib.h>
#include <linux/input-event-codes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <wlr/util/box.h>

#include "log.h"
#include "server.h"

#define CTL_MAX_LINE       (64 * 1024)
#define CTL_MAX_CLIENTS    16
#define CTL_MAX_OUTPUT     (16 * 1024 * 1024)
#define CTL_MAX_DEPTH      32 /* JSON nesting accepted before parsing */
#define CTL_READ_CHUNK     (16 * 1024)
#define CTL_READS_PER_WAKE 8 /* bounded work per wake-up: other clients run too */
#define CTL_COORD_MAX      1000000.0

#define CTL_INPUT_DISABLED "synthetic input is disabled (start the compositor with --test-input)"

struct cl_ctl {
	struct cl_server *server;
	char *path;
	int fd;
	struct wl_event_source *source;
	struct wl_list clients; // struct cl_ctl_client.link
	int n_clients;
};

struct cl_ctl_client {
	struct cl_ctl *ctl;
	int fd;
	struct wl_event_source *source;
	char *in; /* CTL_MAX_LINE + 1 bytes: a line and its newline */
	size_t in_len;
	GByteArray *out;
	size_t out_pos;
	bool closing; /* close once the output is flushed */
	bool want_write;
	struct wl_list link; // struct cl_ctl.clients
};

/* A reply under construction. */
struct ctl_reply {
	JsonBuilder *builder;
	char *error; /* set: an error reply */
	bool quit;
};

static void ctl_client_destroy(struct cl_ctl_client *client);

/* ---- replies ------------------------------------------------------------ */

static void reply_error(struct ctl_reply *reply, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void reply_error(struct ctl_reply *reply, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (reply->error)
		return;
	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	/* Messages may quote the request: keep the reply valid UTF-8. */
	reply->error = g_utf8_make_valid(msg, -1);
	g_free(msg);
}

/* Quote a string from a request in a message: valid UTF-8, short. */
static char *quote_for_message(const char *s)
{
	char *valid = g_utf8_make_valid(s, -1);
	char *escaped;

	if (g_utf8_strlen(valid, -1) > 64) {
		char *end = g_utf8_offset_to_pointer(valid, 64);

		*end = '\0';
	}
	escaped = g_strescape(valid, NULL);
	g_free(valid);
	return escaped;
}

static char *reply_to_line(struct ctl_reply *reply, size_t *len)
{
	JsonGenerator *gen;
	JsonNode *root;
	char *text;
	gsize n;

	if (reply->error) {
		JsonBuilder *b = json_builder_new();

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "ok");
		json_builder_add_boolean_value(b, FALSE);
		json_builder_set_member_name(b, "error");
		json_builder_add_string_value(b, reply->error);
		json_builder_end_object(b);
		root = json_builder_get_root(b);
		g_object_unref(b);
	} else {
		json_builder_end_object(reply->builder);
		root = json_builder_get_root(reply->builder);
	}
	gen = json_generator_new();
	json_generator_set_pretty(gen, FALSE);
	json_generator_set_root(gen, root);
	text = json_generator_to_data(gen, &n);
	g_object_unref(gen);
	json_node_unref(root);

	/* One line: the generator escapes every newline inside strings. */
	text = g_realloc(text, n + 2);
	text[n] = '\n';
	text[n + 1] = '\0';
	*len = n + 1;
	return text;
}

static void reply_init(struct ctl_reply *reply)
{
	reply->builder = json_builder_new();
	reply->error = NULL;
	reply->quit = false;
	json_builder_begin_object(reply->builder);
	json_builder_set_member_name(reply->builder, "ok");
	json_builder_add_boolean_value(reply->builder, TRUE);
}

static void reply_clear(struct ctl_reply *reply)
{
	g_clear_object(&reply->builder);
	g_clear_pointer(&reply->error, g_free);
}

static void add_int(JsonBuilder *b, const char *name, gint64 value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, value);
}

static void add_string(JsonBuilder *b, const char *name, const char *value)
{
	json_builder_set_member_name(b, name);
	if (!value) {
		json_builder_add_null_value(b);
	} else if (g_utf8_validate(value, -1, NULL)) {
		json_builder_add_string_value(b, value);
	} else {
		char *valid = g_utf8_make_valid(value, -1);

		json_builder_add_string_value(b, valid);
		g_free(valid);
	}
}

static void add_box(JsonBuilder *b, const struct wlr_box *box)
{
	add_int(b, "x", box->x);
	add_int(b, "y", box->y);
	add_int(b, "width", box->width);
	add_int(b, "height", box->height);
}

/* ---- request members ---------------------------------------------------- */

/*
 * Member NAME of the request.  Returns false (and sets the reply's error)
 * when it is absent and required, or present with another type.
 */
static bool get_string(JsonObject *req, const char *name, bool required, const char **ret,
                       struct ctl_reply *reply)
{
	JsonNode *node = json_object_get_member(req, name);

	*ret = NULL;
	if (!node || JSON_NODE_HOLDS_NULL(node)) {
		if (required)
			reply_error(reply, "missing member \"%s\" (a string)", name);
		return !required;
	}
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING) {
		reply_error(reply, "member \"%s\" must be a string", name);
		return false;
	}
	*ret = json_node_get_string(node);
	if (!g_utf8_validate(*ret, -1, NULL)) {
		reply_error(reply, "member \"%s\" is not valid UTF-8", name);
		return false;
	}
	return true;
}

static bool get_number(JsonObject *req, const char *name, double *ret, struct ctl_reply *reply)
{
	JsonNode *node = json_object_get_member(req, name);
	GType type;

	if (!node || JSON_NODE_HOLDS_NULL(node)) {
		reply_error(reply, "missing member \"%s\" (a number)", name);
		return false;
	}
	type = JSON_NODE_HOLDS_VALUE(node) ? json_node_get_value_type(node) : G_TYPE_INVALID;
	if (type == G_TYPE_INT64) {
		*ret = (double)json_node_get_int(node);
	} else if (type == G_TYPE_DOUBLE) {
		*ret = json_node_get_double(node);
	} else {
		reply_error(reply, "member \"%s\" must be a number", name);
		return false;
	}
	if (!isfinite(*ret) || fabs(*ret) > CTL_COORD_MAX) {
		reply_error(reply, "member \"%s\" is out of range", name);
		return false;
	}
	return true;
}

/* An integer in [min, max]; absent and optional: *ret is left alone. */
static bool get_integer(JsonObject *req, const char *name, bool required, gint64 min, gint64 max,
                        gint64 *ret, struct ctl_reply *reply)
{
	JsonNode *node = json_object_get_member(req, name);
	gint64 value;

	if (!node || JSON_NODE_HOLDS_NULL(node)) {
		if (required)
			reply_error(reply, "missing member \"%s\" (an integer)", name);
		return !required;
	}
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64) {
		reply_error(reply, "member \"%s\" must be an integer", name);
		return false;
	}
	value = json_node_get_int(node);
	if (value < min || value > max) {
		reply_error(reply,
		            "member \"%s\" is out of range (%" G_GINT64_FORMAT "..%" G_GINT64_FORMAT
		            ")",
		            name, min, max);
		return false;
	}
	*ret = value;
	return true;
}

static struct cl_view *get_view(struct cl_server *server, JsonObject *req, struct ctl_reply *reply)
{
	gint64 id = 0;
	struct cl_view *view;

	if (!get_integer(req, "id", true, 1, UINT32_MAX, &id, reply))
		return NULL;
	view = cl_view_from_id(server, (uint32_t)id);
	if (!view)
		reply_error(reply, "no window with id %" G_GINT64_FORMAT, id);
	return view;
}

/* ---- commands ------------------------------------------------------------- */

/* The client area (window geometry inside the frame) in layout coordinates. */
static void view_client_box(struct cl_view *view, struct wlr_box *box)
{
	int left = 0, top = 0;

	cl_view_get_insets(view, &left, &top, NULL, NULL);
	box->x = view->x + left;
	box->y = view->y + top;
	box->width = view->content.width;
	box->height = view->content.height;
}

/*
 * Stacking rank, front first: the bar, dialogs, notifications, cage windows,
 * hidden core toplevels.
 */
static int view_stack_rank(const struct cl_view *view)
{
	switch (view->role) {
	case CL_ROLE_BAR:
		return 0;
	case CL_ROLE_DIALOG:
		return 1;
	case CL_ROLE_NOTIFICATION:
		return 2;
	case CL_ROLE_WINDOW:
		return 3;
	default:
		return 4;
	}
}

static void cmd_windows(struct cl_server *server, JsonObject *req, struct ctl_reply *reply)
{
	JsonBuilder *b = reply->builder;
	struct cl_view *view;

	json_builder_set_member_name(b, "windows");
	json_builder_begin_array(b);
	for (int rank = 0; rank <= 4; rank++)
		wl_list_for_each (view, &server->views, link) {
			const ClCage *cage = view->cage;
			struct wlr_box box;

			if (view_stack_rank(view) != rank)
				continue;

			view_client_box(view, &box);
			json_builder_begin_object(b);
			add_int(b, "id", view->id);
			add_string(b, "cage", cage ? cage->id : NULL);
			add_string(b, "level", cage && cage->level ? cage->level->id : NULL);
			add_string(b, "app_id", view->app_id ? view->app_id : "");
			add_string(b, "title", view->title ? view->title : "");
			add_box(b, &box);
			json_builder_set_member_name(b, "focused");
			json_builder_add_boolean_value(b, view == server->focused);
			json_builder_set_member_name(b, "mapped");
			json_builder_add_boolean_value(b, view->mapped);
			json_builder_set_member_name(b, "core");
			json_builder_add_boolean_value(b, view->trusted);
			add_string(b, "role", cl_view_role_name(view));
			json_builder_end_object(b);
		}
	json_builder_end_array(b);
}

static void cmd_outputs(struct cl_server *server, JsonObject *req, struct ctl_reply *reply)
{
	JsonBuilder *b = reply->builder;
	struct cl_output *output;

	json_builder_set_member_name(b, "outputs");
	json_builder_begin_array(b);
	wl_list_for_each (output, &server->outputs, link) {
		struct wlr_box *ob =
		        wlr_output_layout_get_box(server->output_layout, output->wlr_output);
		struct wlr_box box = {0}, area = {0};

		if (ob) {
			box = *ob;
			cl_output_work_area(output, &area);
		}
		json_builder_begin_object(b);
		add_string(b, "name", output->wlr_output->name);
		add_box(b, &box);
		json_builder_set_member_name(b, "scale");
		json_builder_add_double_value(b, output->wlr_output->scale);
		json_builder_set_member_name(b, "work_area");
		json_builder_begin_object(b);
		add_box(b, &area);
		json_builder_end_object(b);
		json_builder_set_member_name(b, "frames");
		json_builder_add_int_value(b, (gint64)output->frames);
		json_builder_set_member_name(b, "first_frame_usec");
		json_builder_add_int_value(b, (gint64)output->first_frame_usec);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

static void cmd_screenshot(struct cl_server *server, JsonObject *req, struct ctl_reply *reply)
{
	const char *path, *output = NULL;
	int r;

	if (!get_string(req, "path", true, &path, reply) ||
	    !get_string(req, "output", false, &output, reply))
		return;
	if (!g_path_is_absolute(path)) {
		reply_error(reply, "screenshot path must be absolute");
		return;
	}
	if (strlen(path) >= PATH_MAX) {
		reply_error(reply, "screenshot path is too long");
		return;
	}
	r = cl_output_screenshot(server, path, output);
	if (r == -ENOENT) {
		char *q = quote_for_message(output);

		reply_error(reply, "no output named \"%s\"", q);
		g_free(q);
		return;
	}
	if (r < 0) {
		reply_error(reply, "screenshot failed: %s", g_strerror(-r));
		return;
	}
	add_string(reply->builder, "path", path);
}

static void cmd_focus(struct cl_server *server, JsonObject *req, struct ctl_reply *reply)
{
	struct cl_view *view = get_view(server, req, reply);

	if (!view)
		return;
	if (!view->mapped) {
		reply_error(reply, "window %" PRIu32 " is not mapped", view->id);
		return;
	}
	cl_view_focus(view);
}

static void cmd_close(struct cl_server *server, JsonObject *req, struct ctl_reply *reply)
{
	struct cl_view *view = get_view(server, req, reply);

	if (view)
		cl_view_close(view);
}

static void cmd_quit(struct cl_server *server, JsonObject *req, struct ctl_reply *reply)
{
	reply->quit = true;
}

/* Button member: see the protocol comment at the top. */
static bool get_button(JsonObject *req, uint32_t *button, struct ctl_reply *reply)
{
	JsonNode *node = json_object_get_member(req, "button");
	GType type;

	*button = BTN_LEFT;
	if (!node || JSON_NODE_HOLDS_NULL(node))
		return true;
	type = JSON_NODE_HOLDS_VALUE(node) ? json_node_get_value_type(node) : G_TYPE_INVALID;
	if (type == G_TYPE_STRING) {
		const char *name = json_node_get_string(node);

		if (strcmp(name, "left") == 0)
			*button = BTN_LEFT;
		else if (strcmp(name, "right") == 0)
			*button = BTN_RIGHT;
		else if (strcmp(name, "middle") == 0)
			*button = BTN_MIDDLE;
		else {
			reply_error(reply, "unknown button name (left, right or middle)");
			return false;
		}
		return true;
	}
	if (type == G_TYPE_INT64) {
		gint64 v = json_node_get_int(node);

		if (v == 1)
			*button = BTN_LEFT;
		else if (v == 2)
			*button = BTN_MIDDLE;
		else if (v == 3)
			*button = BTN_RIGHT;
		else if (v >= BTN_MISC && v <= BTN_TASK)
			*button = (uint32_t)v;
		else {
			reply_error(reply, "button out of range (1-3 or %d-%d)", BTN_MISC,
			            BTN_TASK);
			return false;
		}
		return true;
	}
	reply_error(reply, "member \"button\" must be a string or an integer");
	return false;
}

static void input_result(struct ctl_reply *reply, const char *what, int r)
{
	if (r >= 0)
		return;
	if (r == -EINVAL)
		reply_error(reply, "%s: invalid argument", what);
	else
		reply_error(reply, "%s failed: %s", what, g_strerror(-r));
}

static void cmd_input(struct cl_server *server, JsonObject *req, struct ctl_reply *reply)
{
	const char *action;

	if (!server->test_input) {
		reply_error(reply, CTL_INPUT_DISABLED);
		return;
	}
	if (!get_string(req, "action", true, &action, reply))
		return;
	if (strcmp(action, "key") == 0) {
		const char *name;

		if (!get_string(req, "name", true, &name, reply))
			return;
		if (name[0] == '\0' || strlen(name) > 64) {
			reply_error(reply, "key name must be 1-64 bytes");
			return;
		}
		input_result(reply, "key", cl_input_test_key(server, name));
	} else if (strcmp(action, "type") == 0) {
		const char *text;

		if (!get_string(req, "text", true, &text, reply))
			return;
		input_result(reply, "type", cl_input_test_type(server, text));
	} else if (strcmp(action, "move") == 0) {
		double x, y;

		if (!get_number(req, "x", &x, reply) || !get_number(req, "y", &y, reply))
			return;
		input_result(reply, "move", cl_input_test_move(server, x, y));
	} else if (strcmp(action, "click") == 0) {
		uint32_t button;

		if (!get_button(req, &button, reply))
			return;
		input_result(reply, "click", cl_input_test_click(server, button));
	} else if (strcmp(action, "press") == 0 || strcmp(action, "release") == 0) {
		bool press = action[0] == 'p';
		uint32_t button;
		int r;

		if (!get_button(req, &button, reply))
			return;
		r = cl_input_test_button(server, button, press);
		if (r == -EALREADY)
			reply_error(reply, "press: that button is already pressed");
		else if (r == -ENOENT)
			reply_error(reply, "release: that button is not pressed");
		else
			input_result(reply, action, r);
	} else {
		char *q = quote_for_message(action);

		reply_error(
		        reply,
		        "unknown input action \"%s\" (key, type, move, click, press or release)",
		        q);
		g_free(q);
	}
}

static void cmd_output(struct cl_server *server, JsonObject *req, struct ctl_reply *reply)
{
	const char *action;
	int r;

	if (!server->test_input) {
		reply_error(reply, CTL_INPUT_DISABLED);
		return;
	}
	if (!get_string(req, "action", true, &action, reply))
		return;
	if (strcmp(action, "add") == 0) {
		gint64 w = 0, h = 0;

		if (!get_integer(req, "width", true, 64, 8192, &w, reply) ||
		    !get_integer(req, "height", true, 64, 8192, &h, reply))
			return;
		r = cl_output_test_add(server, (int)w, (int)h);
		if (r == -ENOSPC)
			reply_error(reply, "output add: at most %d outputs", CL_TEST_MAX_OUTPUTS);
		else
			input_result(reply, "output add", r);
	} else if (strcmp(action, "remove") == 0) {
		const char *name;

		if (!get_string(req, "name", true, &name, reply))
			return;
		r = cl_output_test_remove(server, name);
		if (r == -ENOENT) {
			char *q = quote_for_message(name);

			reply_error(reply, "no output named \"%s\"", q);
			g_free(q);
		} else if (r == -EBUSY) {
			reply_error(reply, "output remove: the last output stays");
		} else {
			input_result(reply, "output remove", r);
		}
	} else {
		char *q = quote_for_message(action);

		reply_error(reply, "unknown output action \"%s\" (add or remove)", q);
		g_free(q);
	}
}

static const struct {
	const char *name;
	void (*run)(struct cl_server *server, JsonObject *req, struct ctl_reply *reply);
} commands[] = {
        {"windows", cmd_windows}, {"outputs", cmd_outputs}, {"screenshot", cmd_screenshot},
        {"focus", cmd_focus},     {"close", cmd_close},     {"quit", cmd_quit},
        {"input", cmd_input},     {"output", cmd_output},
};

/*
 * Depth of the deepest nesting of arrays and objects in a line (outside
 * strings), so that a hostile line cannot drive the recursive parser deep.
 */
static int json_depth(const char *s, size_t len)
{
	int depth = 0, max = 0;
	bool in_string = false;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '"') {
			in_string = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				max = depth;
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return max;
}

static void handle_request(struct cl_server *server, const char *line, size_t len,
                           struct ctl_reply *reply)
{
	JsonParser *parser;
	GError *error = NULL;
	JsonNode *root;
	JsonObject *req;
	const char *command;

	if (memchr(line, '\0', len)) {
		reply_error(reply, "request contains a NUL byte");
		return;
	}
	/* json-glib returns C strings: "\u0000" would silently cut one short. */
	if (g_strstr_len(line, (gssize)len, "\\u0000")) {
		reply_error(reply, "request contains an escaped NUL character");
		return;
	}
	if (!g_utf8_validate(line, (gssize)len, NULL)) {
		reply_error(reply, "request is not valid UTF-8");
		return;
	}
	if (json_depth(line, len) > CTL_MAX_DEPTH) {
		reply_error(reply, "request is nested too deeply");
		return;
	}
	parser = json_parser_new_immutable();
	if (!json_parser_load_from_data(parser, line, (gssize)len, &error)) {
		reply_error(reply, "malformed JSON: %s", error->message);
		g_error_free(error);
		g_object_unref(parser);
		return;
	}
	root = json_parser_get_root(parser);
	if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
		reply_error(reply, "request must be a JSON object");
		g_object_unref(parser);
		return;
	}
	req = json_node_get_object(root);
	if (!get_string(req, "command", true, &command, reply)) {
		g_object_unref(parser);
		return;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
		if (strcmp(command, commands[i].name) == 0) {
			commands[i].run(server, req, reply);
			g_object_unref(parser);
			return;
		}
	}
	{
		char *q = quote_for_message(command);

		reply_error(reply, "unknown command \"%s\"", q);
		g_free(q);
	}
	g_object_unref(parser);
}

/* ---- clients ---------------------------------------------------------------- */

static void ctl_client_update_mask(struct cl_ctl_client *client)
{
	bool want = client->out->len > client->out_pos;

	if (want == client->want_write)
		return;
	client->want_write = want;
	wl_event_source_fd_update(client->source,
	                          WL_EVENT_READABLE | (want ? WL_EVENT_WRITABLE : 0));
}

/* Write what can be written now.  Returns false if the client is gone. */
static bool ctl_client_flush(struct cl_ctl_client *client)
{
	while (client->out_pos < client->out->len) {
		ssize_t n = send(client->fd, client->out->data + client->out_pos,
		                 client->out->len - client->out_pos, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			cl_debug("ctl: client write failed: %s", g_strerror(errno));
			ctl_client_destroy(client);
			return false;
		}
		client->out_pos += (size_t)n;
	}
	if (client->out_pos == client->out->len) {
		g_byte_array_set_size(client->out, 0);
		client->out_pos = 0;
		if (client->closing) {
			ctl_client_destroy(client);
			return false;
		}
	} else if (client->out_pos > CTL_MAX_OUTPUT / 2) {
		g_byte_array_remove_range(client->out, 0, (guint)client->out_pos);
		client->out_pos = 0;
	}
	ctl_client_update_mask(client);
	return true;
}

/* Queue a reply line.  Returns false if the client was dropped. */
static bool ctl_client_queue(struct cl_ctl_client *client, const char *data, size_t len)
{
	if (client->out->len - client->out_pos + len > CTL_MAX_OUTPUT) {
		cl_warn("ctl: dropping a client that does not read its replies");
		ctl_client_destroy(client);
		return false;
	}
	g_byte_array_append(client->out, (const guint8 *)data, (guint)len);
	return true;
}

static bool ctl_client_reply(struct cl_ctl_client *client, struct ctl_reply *reply)
{
	size_t len;
	char *line = reply_to_line(reply, &len);
	bool alive;

	if (len > CTL_MAX_OUTPUT) {
		struct ctl_reply big = {0};

		g_free(line);
		reply_error(&big, "reply too large");
		line = reply_to_line(&big, &len);
		reply_clear(&big);
	}
	alive = ctl_client_queue(client, line, len);
	g_free(line);
	return alive;
}

/* Send an error reply to a line that could not be a request, then close. */
static bool ctl_client_fail(struct cl_ctl_client *client, const char *message)
{
	struct ctl_reply reply = {0};
	bool alive;

	reply_error(&reply, "%s", message);
	alive = ctl_client_reply(client, &reply);
	reply_clear(&reply);
	if (!alive)
		return false;
	client->closing = true;
	client->in_len = 0;
	return ctl_client_flush(client);
}

static bool is_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	}
	return true;
}

/* Handle every complete line in the input buffer.  false: client gone. */
static bool ctl_client_process(struct cl_ctl_client *client)
{
	struct cl_server *server = client->ctl->server;
	size_t start = 0;
	bool quit = false;

	while (!client->closing && start < client->in_len) {
		char *nl = memchr(client->in + start, '\n', client->in_len - start);
		size_t len;
		struct ctl_reply reply;

		if (!nl)
			break;
		len = (size_t)(nl - (client->in + start));
		if (is_blank(client->in + start, len)) {
			start += len + 1;
			continue;
		}
		reply_init(&reply);
		handle_request(server, client->in + start, len, &reply);
		start += len + 1;
		quit = reply.quit;
		if (!ctl_client_reply(client, &reply)) {
			reply_clear(&reply);
			return false;
		}
		reply_clear(&reply);
		if (quit)
			break;
	}
	if (start > 0) {
		memmove(client->in, client->in + start, client->in_len - start);
		client->in_len -= start;
	}
	if (quit) {
		cl_info("ctl: quit requested");
		/* Best effort: the reply goes out before the loop stops. */
		client->closing = true;
		if (ctl_client_flush(client))
			ctl_client_update_mask(client);
		wl_display_terminate(server->display);
		return false;
	}
	if (!client->closing && client->in_len > CTL_MAX_LINE)
		return ctl_client_fail(client, "request line longer than 65536 bytes");
	return ctl_client_flush(client);
}

static int handle_client_event(int fd, uint32_t mask, void *data)
{
	struct cl_ctl_client *client = data;
	bool eof = false;

	if (mask & WL_EVENT_WRITABLE) {
		if (!ctl_client_flush(client))
			return 0;
	}
	if (mask & (WL_EVENT_READABLE | WL_EVENT_HANGUP | WL_EVENT_ERROR)) {
		for (int i = 0; i < CTL_READS_PER_WAKE && !client->closing; i++) {
			size_t room = CTL_MAX_LINE + 1 - client->in_len;
			ssize_t n;

			if (room > CTL_READ_CHUNK)
				room = CTL_READ_CHUNK;
			n = recv(fd, client->in + client->in_len, room, MSG_DONTWAIT);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (errno != EAGAIN && errno != EWOULDBLOCK)
					eof = true;
				break;
			}
			if (n == 0) {
				eof = true;
				break;
			}
			client->in_len += (size_t)n;
			if (!ctl_client_process(client))
				return 0;
			if ((size_t)n < room)
				break;
		}
		if (client->closing && !eof) {
			/* Discard what a closing client still sends (bounded). */
			char sink[4096];
			ssize_t n = 1;

			for (int i = 0; i < CTL_READS_PER_WAKE && n > 0; i++)
				n = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
			if (n == 0)
				eof = true; /* hung up: nobody reads the reply */
		}
	}
	if (eof || (mask & WL_EVENT_ERROR)) {
		ctl_client_destroy(client);
		return 0;
	}
	return 0;
}

static void ctl_client_destroy(struct cl_ctl_client *client)
{
	wl_list_remove(&client->link);
	client->ctl->n_clients--;
	if (client->source)
		wl_event_source_remove(client->source);
	close(client->fd);
	g_free(client->in);
	g_byte_array_unref(client->out);
	g_free(client);
}

static bool peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof(cred)) {
		cl_warn("ctl: cannot read the credentials of a client: %s", g_strerror(errno));
		return false;
	}
	if (cred.uid != geteuid() && cred.uid != 0) {
		cl_warn("ctl: refused a client of uid %u (pid %d)", (unsigned)cred.uid,
		        (int)cred.pid);
		return false;
	}
	return true;
}

static int handle_listen_event(int fd, uint32_t mask, void *data)
{
	struct cl_ctl *ctl = data;

	/* Bounded: a burst of connections does not hold the loop. */
	for (int i = 0; i < CTL_MAX_CLIENTS * 2; i++) {
		struct cl_ctl_client *client;
		int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (cfd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				cl_warn("ctl: accept failed: %s", g_strerror(errno));
			break;
		}
		if (!peer_allowed(cfd)) {
			close(cfd);
			continue;
		}
		if (ctl->n_clients >= CTL_MAX_CLIENTS) {
			static const char msg[] =
			        "{\"ok\":false,\"error\":\"too many control clients\"}\n";

			cl_warn("ctl: too many control clients; refusing one");
			(void)!send(cfd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(cfd);
			continue;
		}
		client = g_new0(struct cl_ctl_client, 1);
		client->ctl = ctl;
		client->fd = cfd;
		client->in = g_malloc(CTL_MAX_LINE + 1);
		client->out = g_byte_array_new();
		client->source = wl_event_loop_add_fd(ctl->server->loop, cfd, WL_EVENT_READABLE,
		                                      handle_client_event, client);
		wl_list_insert(&ctl->clients, &client->link);
		ctl->n_clients++;
		if (!client->source) {
			cl_warn("ctl: cannot watch a client");
			ctl_client_destroy(client);
		}
	}
	return 0;
}

/* ---- the socket --------------------------------------------------------------- */

static int ctl_listen(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct stat st;
	mode_t old_umask;
	int fd, r;

	if (!path)
		return -EINVAL;
	if (strlen(path) >= sizeof(addr.sun_path)) {
		cl_error("ctl: socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);

	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			cl_error("ctl: %s exists and is not a socket; not replacing it", path);
			return -EEXIST;
		}
		/* A socket left by a previous run (the runtime dir is ours). */
		if (unlink(path) < 0 && errno != ENOENT)
			return cl_log_errno(LOG_ERR, errno, "ctl: cannot remove stale %s", path);
	} else if (errno != ENOENT) {
		return cl_log_errno(LOG_ERR, errno, "ctl: cannot stat %s", path);
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return cl_log_errno(LOG_ERR, errno, "ctl: socket");
	old_umask = umask(077);
	r = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old_umask);
	if (r < 0) {
		r = cl_log_errno(LOG_ERR, errno, "ctl: cannot bind %s", path);
		close(fd);
		return r;
	}
	if (chmod(path, 0600) < 0 || listen(fd, CTL_MAX_CLIENTS) < 0) {
		r = cl_log_errno(LOG_ERR, errno, "ctl: cannot set up %s", path);
		unlink(path);
		close(fd);
		return r;
	}
	return fd;
}

struct cl_ctl *cl_ctl_create(struct cl_server *server, const char *path)
{
	struct cl_ctl *ctl;
	int fd = ctl_listen(path);

	if (fd < 0)
		return NULL;
	ctl = g_new0(struct cl_ctl, 1);
	ctl->server = server;
	ctl->path = g_strdup(path);
	ctl->fd = fd;
	wl_list_init(&ctl->clients);
	ctl->source =
	        wl_event_loop_add_fd(server->loop, fd, WL_EVENT_READABLE, handle_listen_event, ctl);
	if (!ctl->source) {
		cl_error("ctl: cannot watch %s", path);
		cl_ctl_destroy(ctl);
		return NULL;
	}
	cl_debug("ctl: listening on %s", path);
	return ctl;
}

void cl_ctl_destroy(struct cl_ctl *ctl)
{
	struct cl_ctl_client *client, *tmp;

	if (!ctl)
		return;
	wl_list_for_each_safe (client, tmp, &ctl->clients, link) {
		/* Last chance for pending replies (e.g. to "quit"). */
		if (client->out->len > client->out_pos)
			(void)!send(client->fd, client->out->data + client->out_pos,
			            client->out->len - client->out_pos,
			            MSG_NOSIGNAL | MSG_DONTWAIT);
		ctl_client_destroy(client);
	}
	if (ctl->source)
		wl_event_source_remove(ctl->source);
	close(ctl->fd);
	unlink(ctl->path);
	g_free(ctl->path);
	g_free(ctl);
}
