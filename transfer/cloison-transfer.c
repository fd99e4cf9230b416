/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cloison-transfer FILE… [--to CAGE] [--move] [--wait] [--gui|--no-gui]
 *
 * Runs inside a cage: asks the broker, over /run/cloison/transfer, to send
 * documents to another cage.  Without --wait it prints one id per file and
 * exits once the broker has accepted every request; with --wait it also
 * shows the progress of large files and the outcome of each.
 *
 * The graphical mode is another program, cloison-transfer-gtk (libexec),
 * exec'd with the same arguments under --gui, or when nobody would read the
 * text: $WAYLAND_DISPLAY set, no terminal on stdin, stdout or stderr, and
 * stdout neither a pipe nor a file (a file manager's action, not a script).
 * --no-gui forces the text mode.  $CLOISON_TRANSFER_GTK names another
 * program (the build tree's, for tests): the cage's own environment, which
 * chooses what the cage itself runs.
 *
 * Exit status: 0 sent (delivered, with --wait), 1 at least one was denied,
 * 2 an error (usage, broker unreachable, a request refused, a transfer
 * failed).  Links libc, libintl and libsystemd only, no sanitizers.
 */
#include "cloison-build-config.h"

#include <errno.h>
#include <libintl.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "init-protocol.h"

#define _(s) gettext(s)

#define EXIT_DENIED    1
#define EXIT_ERROR     2
#define MAX_FILES      1024
#define PROGRESS_BYTES (UINT64_C(64) << 20)

#define CAGE_TRANSFER_PATH  "/org/cloison/CageTransfer1"
#define CAGE_TRANSFER_IFACE "org.cloison.CageTransfer1"

typedef struct {
	const char *file;
	char *id;
	int status; /* -1 while waiting */
} Item;

typedef struct {
	Item *items;
	size_t n;
	size_t waiting;
} State;

static void usage(FILE *out)
{
	fprintf(out, _("Usage: cloison-transfer FILE… [--to CAGE] [--move] [--wait]\n"
	               "\n"
	               "Send documents from this cage to another cage; the user confirms each\n"
	               "transfer on the trusted dialog.\n"
	               "\n"
	               "  --to CAGE   target cage (default: the user chooses)\n"
	               "  --move      remove the file here once it has landed\n"
	               "  --wait      wait for the outcome and show the progress\n"
	               "  --targets   list the cages this cage may send to\n"
	               "  --gui       show a window (progress, outcome, choice of target)\n"
	               "  --no-gui    text only, even without a terminal\n"
	               "\n"
	               "Exit status: 0 sent (delivered with --wait), 1 denied, 2 error.\n"));
}

/* A D-Bus address value: every byte outside [A-Za-z0-9_/.-] as %XX. */
static char *address_for(const char *path)
{
	static const char hex[] = "0123456789abcdef";
	size_t len = strlen(path);
	char *out = malloc(strlen("unix:path=") + 3 * len + 1);
	char *p;

	if (!out)
		return NULL;
	p = stpcpy(out, "unix:path=");
	for (const unsigned char *s = (const unsigned char *)path; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("_/.-", *s)) {
			*p++ = (char)*s;
		} else {
			*p++ = '%';
			*p++ = hex[*s >> 4];
			*p++ = hex[*s & 15];
		}
	}
	*p = '\0';
	return out;
}

static Item *find_item(State *st, const char *id)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->items[i].id && strcmp(st->items[i].id, id) == 0)
			return &st->items[i];
	return NULL;
}

/* Text from the broker is printed as is but without control characters. */
static void print_clean(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

static int handle_progress(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	State *st = userdata;
	const char *id;
	uint64_t done, total;
	Item *item;

	if (sd_bus_message_read(m, "stt", &id, &done, &total) < 0)
		return 0;
	item = find_item(st, id);
	if (!item || item->status >= 0 || total < PROGRESS_BYTES)
		return 0;
	fprintf(stderr, "%s: %3u%% (%llu / %llu MiB)\n", item->file,
	        (unsigned)(total ? done * 100 / total : 100), (unsigned long long)(done >> 20),
	        (unsigned long long)(total >> 20));
	return 0;
}

static int handle_finished(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	State *st = userdata;
	const char *id, *outcome, *detail;
	Item *item;

	if (sd_bus_message_read(m, "sss", &id, &outcome, &detail) < 0)
		return 0;
	item = find_item(st, id);
	if (!item || item->status >= 0)
		return 0;
	if (strcmp(outcome, "delivered") == 0)
		item->status = EXIT_SUCCESS;
	else if (strcmp(outcome, "denied") == 0)
		item->status = EXIT_DENIED;
	else
		item->status = EXIT_ERROR;
	printf("%s: %s: ", item->file, outcome);
	print_clean(stdout, detail);
	putchar('\n');
	fflush(stdout);
	st->waiting--;
	return 0;
}

static int list_targets(sd_bus *bus)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	const char *id, *label, *colour;
	int r;

	r = sd_bus_call_method(bus, NULL, CAGE_TRANSFER_PATH, CAGE_TRANSFER_IFACE, "ListTargets",
	                       &err, &reply, "");
	if (r < 0) {
		fprintf(stderr, "cloison-transfer: %s\n", err.message ? err.message : strerror(-r));
		sd_bus_error_free(&err);
		return EXIT_ERROR;
	}
	r = sd_bus_message_enter_container(reply, 'a', "(sss)");
	while (r >= 0 && (r = sd_bus_message_read(reply, "(sss)", &id, &label, &colour)) > 0)
		printf("%s\t%s\t%s\n", id, label, colour);
	sd_bus_message_unref(reply);
	return r < 0 ? EXIT_ERROR : EXIT_SUCCESS;
}

/* FILE as an in-cage absolute path: relative names are taken from the
 * current directory (the broker checks it lies in the home). */
/* Well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF). */
static bool utf8_valid(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		unsigned c = *s, n, min;
		unsigned long cp;

		if (c < 0x80) {
			s++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			n = 1, min = 0x80, cp = c & 0x1f;
		else if ((c & 0xf0) == 0xe0)
			n = 2, min = 0x800, cp = c & 0x0f;
		else if ((c & 0xf8) == 0xf0)
			n = 3, min = 0x10000, cp = c & 0x07;
		else
			return false;
		for (unsigned i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		s += n + 1;
	}
	return true;
}

static char *absolute(const char *file)
{
	char cwd[4096];
	char *out;

	if (file[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return strdup(file);
	if (asprintf(&out, "%s/%s", cwd, file) < 0)
		return NULL;
	return out;
}

/* Nobody reads the text: no terminal, and stdout goes nowhere a script reads. */
static bool nobody_reads(void)
{
	struct stat st;
	const char *display = getenv("WAYLAND_DISPLAY");

	if (!display || !*display || isatty(0) || isatty(1) || isatty(2))
		return false;
	if (fstat(1, &st) < 0)
		return true; /* closed */
	return !S_ISFIFO(st.st_mode) && !S_ISREG(st.st_mode);
}

/*
 * --gui, or no --no-gui and nobody_reads(): exec the graphical mode with the
 * same arguments (without --gui/--no-gui).  Returns only to run the text
 * mode: without --gui when the program cannot be exec'd, or with --targets
 * and --help, which are text.
 */
static int maybe_exec_gui(int argc, char **argv)
{
	bool gui = false, no_gui = false, text_only = false;
	const char *program = getenv("CLOISON_TRANSFER_GTK");
	char **args;
	int n = 0, r;

	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--gui") == 0)
			gui = true;
		else if (strcmp(argv[i], "--no-gui") == 0)
			no_gui = true;
		else if (strcmp(argv[i], "--targets") == 0 || strcmp(argv[i], "--help") == 0 ||
		         strcmp(argv[i], "-h") == 0)
			text_only = true;
		else if (strcmp(argv[i], "--to") == 0)
			i++;
	}
	if (text_only || no_gui || (!gui && !nobody_reads()))
		return 0;
	if (!program || !*program)
		program = CLOISON_LIBEXECDIR "/cloison-transfer-gtk";
	args = calloc((size_t)argc + 1, sizeof(char *));
	if (!args)
		return -ENOMEM;
	args[n++] = (char *)program;
	for (int i = 1, options = 1; i < argc; i++) {
		if (options && strcmp(argv[i], "--") == 0)
			options = 0;
		else if (options && strcmp(argv[i], "--to") == 0 && i + 1 < argc) {
			args[n++] = argv[i++];
		} else if (options &&
		           (strcmp(argv[i], "--gui") == 0 || strcmp(argv[i], "--no-gui") == 0))
			continue;
		args[n++] = argv[i];
	}
	execv(program, args);
	r = -errno;
	free(args);
	if (gui) {
		fprintf(stderr, _("cloison-transfer: cannot start the graphical mode %s: %s\n"),
		        program, strerror(-r));
		return r;
	}
	return 0; /* no graphical mode installed: text it is */
}

int main(int argc, char **argv)
{
	const char *target = "";
	bool move = false, wait = false, targets = false;
	const char *socket_path = getenv("CLOISON_TRANSFER_SOCKET");
	State st = {0};
	sd_bus *bus = NULL;
	char *address;
	int status = EXIT_SUCCESS;
	bool options_done = false;
	int r;

	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
	textdomain(GETTEXT_PACKAGE);

	if (maybe_exec_gui(argc, argv) < 0)
		return EXIT_ERROR;
	st.items = calloc(argc > 1 ? (size_t)argc : 1, sizeof(Item));
	if (!st.items)
		return EXIT_ERROR;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!options_done && strcmp(a, "--") == 0) {
			options_done = true;
		} else if (!options_done && strcmp(a, "--to") == 0) {
			if (i + 1 >= argc || !*argv[i + 1]) {
				fprintf(stderr, _("cloison-transfer: --to needs a cage\n"));
				return EXIT_ERROR;
			}
			target = argv[++i];
		} else if (!options_done && strncmp(a, "--to=", 5) == 0) {
			target = a + 5;
		} else if (!options_done && strcmp(a, "--move") == 0) {
			move = true;
		} else if (!options_done && strcmp(a, "--wait") == 0) {
			wait = true;
		} else if (!options_done &&
		           (strcmp(a, "--gui") == 0 || strcmp(a, "--no-gui") == 0)) {
			/* Decided by maybe_exec_gui(). */
		} else if (!options_done && strcmp(a, "--targets") == 0) {
			targets = true;
		} else if (!options_done && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
			usage(stdout);
			return EXIT_SUCCESS;
		} else if (!options_done && a[0] == '-' && a[1]) {
			fprintf(stderr, _("cloison-transfer: unknown option %s\n"), a);
			usage(stderr);
			return EXIT_ERROR;
		} else if (st.n >= MAX_FILES) {
			fprintf(stderr, _("cloison-transfer: at most %d files at once\n"),
			        MAX_FILES);
			return EXIT_ERROR;
		} else {
			st.items[st.n++] = (Item){.file = a, .status = -1};
		}
	}
	if (!targets && st.n == 0) {
		usage(stderr);
		return EXIT_ERROR;
	}

	address = address_for(socket_path && *socket_path ? socket_path : CL_CAGE_TRANSFER);
	r = address ? sd_bus_new(&bus) : -ENOMEM;
	if (r >= 0)
		r = sd_bus_set_address(bus, address);
	if (r >= 0)
		r = sd_bus_set_anonymous(bus, 1);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r < 0) {
		fprintf(stderr, _("cloison-transfer: cannot reach the transfer broker (%s): %s\n"),
		        socket_path && *socket_path ? socket_path : CL_CAGE_TRANSFER, strerror(-r));
		return EXIT_ERROR;
	}
	free(address);
	if (targets)
		return list_targets(bus);

	if (wait) {
		r = sd_bus_match_signal(bus, NULL, NULL, CAGE_TRANSFER_PATH, CAGE_TRANSFER_IFACE,
		                        "Finished", handle_finished, &st);
		if (r >= 0)
			r = sd_bus_match_signal(bus, NULL, NULL, CAGE_TRANSFER_PATH,
			                        CAGE_TRANSFER_IFACE, "Progress", handle_progress,
			                        &st);
		if (r < 0) {
			fprintf(stderr, "cloison-transfer: %s\n", strerror(-r));
			return EXIT_ERROR;
		}
	}

	for (size_t i = 0; i < st.n; i++) {
		sd_bus_error err = SD_BUS_ERROR_NULL;
		sd_bus_message *reply = NULL;
		const char *id;
		char *path = absolute(st.items[i].file);

		if (path && !utf8_valid(path)) {
			/* D-Bus strings are UTF-8: say why rather than "Invalid argument". */
			fprintf(stderr, "cloison-transfer: ");
			print_clean(stderr, st.items[i].file);
			fprintf(stderr, _(": the file name is not valid UTF-8, which the transfer "
			                  "broker cannot receive: rename it first\n"));
			st.items[i].status = EXIT_ERROR;
			free(path);
			continue;
		}
		r = path ? sd_bus_call_method(bus, NULL, CAGE_TRANSFER_PATH, CAGE_TRANSFER_IFACE,
		                              "Send", &err, &reply, "ssb", path, target, move)
		         : -ENOMEM;
		free(path);
		if (r >= 0)
			r = sd_bus_message_read(reply, "s", &id);
		if (r < 0) {
			fprintf(stderr, "cloison-transfer: %s: ", st.items[i].file);
			print_clean(stderr, err.message ? err.message : strerror(-r));
			fputc('\n', stderr);
			st.items[i].status = EXIT_ERROR;
			sd_bus_error_free(&err);
			sd_bus_message_unref(reply);
			continue;
		}
		st.items[i].id = strdup(id);
		sd_bus_message_unref(reply);
		printf("%s: %s\n", st.items[i].file, st.items[i].id ? st.items[i].id : "?");
		fflush(stdout);
		if (wait)
			st.waiting++;
	}

	while (wait && st.waiting > 0) {
		r = sd_bus_process(bus, NULL);
		if (r < 0) {
			fprintf(stderr, _("cloison-transfer: lost the broker: %s\n"), strerror(-r));
			return EXIT_ERROR;
		}
		if (r > 0)
			continue;
		r = sd_bus_wait(bus, UINT64_MAX);
		if (r < 0) {
			fprintf(stderr, _("cloison-transfer: lost the broker: %s\n"), strerror(-r));
			return EXIT_ERROR;
		}
	}

	/* The worst outcome wins: error over denied over delivered. */
	for (size_t i = 0; i < st.n; i++) {
		int s = st.items[i].status < 0 ? EXIT_SUCCESS : st.items[i].status;

		if (s > status)
			status = s;
		free(st.items[i].id);
	}
	free(st.items);
	sd_bus_flush_close_unref(bus);
	return status;
}
