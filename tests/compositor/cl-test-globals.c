/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cl-test-globals: what can a client see and bind?
 *
 *   cl-test-globals [--expect-hidden] [--max N] [--partial-message] [--protocol-error]
 *
 * 1. Lists every global advertised to it: "global INTERFACE VERSION NAME".
 * 2. For each privileged interface it knows (layer shell, screencopy, data
 *    control, virtual input, foreign toplevel, gamma, output management,
 *    input inhibitor, xdg-activation, Cloison's own shell…), prints
 *    "visible INTERFACE NAME" if it was advertised.
 * 3. Guesses: for every global name 0..N (default 64) that was NOT
 *    advertised, and every privileged interface, binds that name as that
 *    interface on a fresh connection (a refused bind is a protocol error
 *    that ends the connection).  Prints "bound NAME INTERFACE" for a bind
 *    the compositor accepted, else one "error NAME: …" line per name.
 *
 * With --expect-hidden, exits 0 only if no privileged interface was
 * visible and no guessed bind was accepted (1 otherwise).  Without it,
 * exits 0 once everything was listed.  2: cannot connect.
 * --partial-message: instead, write half a Wayland request and exit (a
 * client that dies mid-message).
 * --protocol-error: instead, bind wl_shm and ask for a pool of size 0 (a
 * protocol error); prints "protocol-error CODE on INTERFACE@ID" and exits 0
 * once the compositor refused it, 1 if it did not.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wayland-client.h>

#define MAX_GLOBALS 512

static const char *const privileged[] = {
        "zwlr_layer_shell_v1",
        "zwlr_screencopy_manager_v1",
        "zwlr_export_dmabuf_manager_v1",
        "zwlr_data_control_manager_v1",
        "zwp_virtual_keyboard_manager_v1",
        "zwlr_virtual_pointer_manager_v1",
        "zwlr_foreign_toplevel_manager_v1",
        "zwlr_gamma_control_manager_v1",
        "zwlr_output_manager_v1",
        "zwlr_output_power_manager_v1",
        "zwlr_input_inhibit_manager_v1",
        "zwp_input_method_manager_v2",
        "zwp_keyboard_shortcuts_inhibit_manager_v1",
        "ext_session_lock_manager_v1",
        "xdg_activation_v1",
        "zcloison_shell_v1",
};

struct global {
	uint32_t name;
	uint32_t version;
	char *interface;
};

struct state {
	struct global globals[MAX_GLOBALS];
	int n_globals;
};

static void handle_global(void *data, struct wl_registry *registry, uint32_t name,
                          const char *interface, uint32_t version)
{
	struct state *st = data;
	struct global *g;

	if (st->n_globals >= MAX_GLOBALS)
		return;
	g = &st->globals[st->n_globals++];
	g->name = name;
	g->version = version;
	g->interface = strdup(interface);
}

static void handle_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
        .global = handle_global,
        .global_remove = handle_global_remove,
};

static bool advertised(const struct state *st, uint32_t name)
{
	for (int i = 0; i < st->n_globals; i++) {
		if (st->globals[i].name == name)
			return true;
	}
	return false;
}

/*
 * Bind global NAME as INTERFACE (version 1) on a fresh connection.
 * Returns 1 if the compositor accepted it, 0 if it refused (the reason in
 * why), -1 if no connection could be made.
 */
static int try_bind(uint32_t name, const char *interface, char *why, size_t why_len)
{
	/* A stand-in for an interface this program has no code for. */
	struct wl_interface iface = {
	        .name = interface,
	        .version = 1,
	};
	struct wl_display *display = wl_display_connect(NULL);
	struct wl_registry *registry;
	struct wl_proxy *proxy;
	int r;

	if (!display)
		return -1;
	registry = wl_display_get_registry(display);
	proxy = wl_registry_bind(registry, name, &iface, 1);
	if (wl_display_roundtrip(display) >= 0) {
		r = 1;
	} else {
		int err = wl_display_get_error(display);

		r = 0;
		if (err == EPROTO) {
			const struct wl_interface *ei = NULL;
			uint32_t id = 0;
			uint32_t code = wl_display_get_protocol_error(display, &ei, &id);

			snprintf(why, why_len, "protocol error %u on %s@%u", code,
			         ei ? ei->name : "?", id);
		} else {
			snprintf(why, why_len, "connection closed: %s", strerror(err));
		}
	}
	if (proxy)
		wl_proxy_destroy(proxy);
	wl_registry_destroy(registry);
	wl_display_disconnect(display);
	return r;
}

/* Send the first half of a wl_display.get_registry request, then exit. */
static int partial_message(void)
{
	struct wl_display *display = wl_display_connect(NULL);
	/* object 1, opcode 1, size 12: the header says 12 bytes, we send 6. */
	static const unsigned char half[] = {1, 0, 0, 0, 1, 0};
	int fd;

	if (!display) {
		fprintf(stderr, "cl-test-globals: cannot connect: %s\n", strerror(errno));
		return 2;
	}
	fd = wl_display_get_fd(display);
	if (write(fd, half, sizeof(half)) != (ssize_t)sizeof(half)) {
		fprintf(stderr, "cl-test-globals: write: %s\n", strerror(errno));
		return 2;
	}
	printf("sent %zu of 12 bytes, exiting\n", sizeof(half));
	_exit(0);
}

/* wl_shm.create_pool with size 0: the compositor must end the connection. */
static int protocol_error(struct wl_display *display, const struct state *st)
{
	struct wl_registry *registry = wl_display_get_registry(display);
	const struct wl_interface *ei = NULL;
	struct wl_shm *shm = NULL;
	struct wl_shm_pool *pool;
	uint32_t id = 0, code;
	int fd, r = 0;

	for (int i = 0; i < st->n_globals && !shm; i++)
		if (strcmp(st->globals[i].interface, "wl_shm") == 0)
			shm = wl_registry_bind(registry, st->globals[i].name, &wl_shm_interface, 1);
	fd = memfd_create("cl-test-globals", MFD_CLOEXEC);
	if (!shm || fd < 0) {
		fprintf(stderr, "cl-test-globals: no wl_shm or no memfd\n");
		return 2;
	}
	pool = wl_shm_create_pool(shm, fd, 0);
	close(fd);
	if (wl_display_roundtrip(display) >= 0 || wl_display_get_error(display) != EPROTO) {
		printf("no protocol error\n");
		r = 1;
	} else {
		code = wl_display_get_protocol_error(display, &ei, &id);
		printf("protocol-error %u on %s@%u\n", code, ei ? ei->name : "?", id);
	}
	/* Proxies only: the connection is dead. */
	wl_proxy_destroy((struct wl_proxy *)pool);
	wl_shm_destroy(shm);
	wl_registry_destroy(registry);
	return r;
}

int main(int argc, char **argv)
{
	struct state st = {0};
	struct wl_display *display;
	struct wl_registry *registry;
	bool expect_hidden = false, bad_pool = false;
	long max = 64;
	int bad = 0, guesses = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--expect-hidden") == 0) {
			expect_hidden = true;
		} else if (strcmp(argv[i], "--partial-message") == 0) {
			return partial_message();
		} else if (strcmp(argv[i], "--protocol-error") == 0) {
			bad_pool = true;
		} else if (strcmp(argv[i], "--max") == 0 && i + 1 < argc) {
			char *end;

			max = strtol(argv[++i], &end, 10);
			if (*end || max < 0 || max > 4096) {
				fprintf(stderr, "cl-test-globals: bad --max\n");
				return 2;
			}
		} else {
			fprintf(stderr, "usage: cl-test-globals [--expect-hidden] [--max N] "
			                "[--partial-message] [--protocol-error]\n");
			return 2;
		}
	}

	display = wl_display_connect(NULL);
	if (!display) {
		fprintf(stderr, "cl-test-globals: cannot connect: %s\n", strerror(errno));
		return 2;
	}
	registry = wl_display_get_registry(display);
	wl_registry_add_listener(registry, &registry_listener, &st);
	if (wl_display_roundtrip(display) < 0) {
		fprintf(stderr, "cl-test-globals: roundtrip failed: %s\n", strerror(errno));
		return 2;
	}
	if (bad_pool) {
		int r = protocol_error(display, &st);

		wl_registry_destroy(registry);
		wl_display_disconnect(display);
		for (int i = 0; i < st.n_globals; i++)
			free(st.globals[i].interface);
		return r;
	}
	for (int i = 0; i < st.n_globals; i++)
		printf("global %s %u %u\n", st.globals[i].interface, st.globals[i].version,
		       st.globals[i].name);

	for (size_t p = 0; p < sizeof(privileged) / sizeof(privileged[0]); p++) {
		for (int i = 0; i < st.n_globals; i++) {
			if (strcmp(st.globals[i].interface, privileged[p]) == 0) {
				printf("visible %s %u\n", privileged[p], st.globals[i].name);
				bad++;
			}
		}
	}

	for (long n = 0; n <= max; n++) {
		char why[256] = "";
		int refused = 0;

		if (advertised(&st, (uint32_t)n))
			continue;
		guesses++;
		for (size_t p = 0; p < sizeof(privileged) / sizeof(privileged[0]); p++) {
			int r = try_bind((uint32_t)n, privileged[p], why, sizeof(why));

			if (r < 0) {
				fprintf(stderr, "cl-test-globals: cannot connect: %s\n",
				        strerror(errno));
				return 2;
			}
			if (r == 1) {
				printf("bound %ld %s\n", n, privileged[p]);
				bad++;
			} else {
				refused++;
			}
		}
		printf("error %ld: %d binds refused (%s)\n", n, refused, why);
	}
	printf("summary: %d globals, %d names guessed, %d privileged visible or bound\n",
	       st.n_globals, guesses, bad);

	/* The first connection must still work after all that. */
	if (wl_display_roundtrip(display) < 0) {
		fprintf(stderr, "cl-test-globals: the first connection died\n");
		bad++;
	}
	wl_registry_destroy(registry);
	wl_display_disconnect(display);
	for (int i = 0; i < st.n_globals; i++)
		free(st.globals[i].interface);
	return expect_hidden && bad ? 1 : 0;
}
