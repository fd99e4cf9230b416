/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cl-test-agent [--bus ADDRESS] [--ready FILE] [--slow-ms N]
 *
 * A prompt agent for the transfer tests, on the core bus in place of the
 * bar.  It answers every PromptRequested according to the document's name:
 *   deny*    deny, with the reason "test denial"
 *   ignore*  never answer (the request expires or is cancelled)
 *   slow*    approve after --slow-ms milliseconds (default 2000)
 *   reason*  approve with the reason "test reason"
 *   badtarget*  first try a target the request does not allow (the error is
 *            printed), then approve
 *   other    approve, to the requested target or else the first allowed one
 * and prints one line per event on stdout (line-buffered):
 *   prompt ID source=CAGE name=NAME size=N mime=TYPE sha256=HEX requested=CAGE
 *          targets=CAGE:DIRECTION:DECLASSIFY,…
 *   decided ID approve|deny TARGET
 *   decide-error ID ERROR-NAME
 *   finished ID OUTCOME DETAIL
 * The ready file is written once the agent listens.  Stops on SIGTERM.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#define BUS_NAME "org.cloison.Transfer1"
#define PATH     "/org/cloison/Transfer1"
#define IFACE    "org.cloison.Transfer1"

static sd_bus *bus;
static sd_event *event;
static unsigned slow_ms = 2000;

typedef struct {
	char id[64];
	char target[64];
	bool approve;
	const char *reason;
} Pending;

static void decide(const char *id, bool approve, const char *target, const char *reason)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	int r = sd_bus_call_method(bus, BUS_NAME, PATH, IFACE, "Decide", &err, NULL, "sbss", id,
	                           approve, target, reason);

	if (r < 0)
		printf("decide-error %s %s\n", id, err.name ? err.name : strerror(-r));
	else
		printf("decided %s %s %s\n", id, approve ? "approve" : "deny", target);
	sd_bus_error_free(&err);
}

static int handle_slow(sd_event_source *s, uint64_t usec, void *userdata)
{
	Pending *p = userdata;

	decide(p->id, p->approve, p->target, p->reason);
	free(p);
	sd_event_source_unref(s);
	return 0;
}

/* Clean a hostile string for one output line. */
static void put_clean(const char *s)
{
	for (; *s; s++)
		putchar((unsigned char)*s < 0x20 || *s == ' ' ? '_' : *s);
}

static int handle_prompt(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	const char *id, *key, *source = "", *name = "", *mime = "", *sha = "", *requested = "";
	char first[64] = "", target[64], targets[1024] = "";
	uint64_t size = 0;
	int r;

	if (sd_bus_message_read(m, "s", &id) < 0)
		return 0;
	printf("prompt %s", id);
	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *contents;

		sd_bus_message_read(m, "s", &key);
		sd_bus_message_peek_type(m, NULL, &contents);
		sd_bus_message_enter_container(m, 'v', contents);
		if (strcmp(key, "targets") == 0) {
			const char *cage, *level, *label, *colour, *direction;
			int declassify, need_reason;
			bool comma = false;

			sd_bus_message_enter_container(m, 'a', "(sssssbb)");
			while (sd_bus_message_read(m, "(sssssbb)", &cage, &level, &label, &colour,
			                           &direction, &declassify, &need_reason) > 0) {
				size_t len = strlen(targets);

				snprintf(targets + len, sizeof(targets) - len, "%s%s:%s:%d:%d",
				         comma ? "," : "", cage, direction, declassify,
				         need_reason);
				if (!first[0])
					snprintf(first, sizeof(first), "%s", cage);
				comma = true;
			}
			sd_bus_message_exit_container(m);
		} else if (strcmp(contents, "s") == 0) {
			const char *v;

			sd_bus_message_read(m, "s", &v);
			if (strcmp(key, "source_cage") == 0)
				source = v;
			else if (strcmp(key, "name") == 0)
				name = v;
			else if (strcmp(key, "mime_type") == 0)
				mime = v;
			else if (strcmp(key, "sha256") == 0)
				sha = v;
			else if (strcmp(key, "requested_target") == 0)
				requested = v;
		} else if (strcmp(key, "size") == 0) {
			sd_bus_message_read(m, "t", &size);
		} else {
			sd_bus_message_skip(m, contents);
		}
		sd_bus_message_exit_container(m);
		sd_bus_message_exit_container(m);
	}
	printf(" source=%s name=", source);
	put_clean(name);
	printf(" size=%llu mime=%s sha256=%s requested=%s targets=%s\n", (unsigned long long)size,
	       mime, sha, requested, targets);

	snprintf(target, sizeof(target), "%s", requested[0] ? requested : first);
	if (strncmp(name, "ignore", 6) == 0)
		return 0;
	if (strncmp(name, "deny", 4) == 0) {
		decide(id, false, "", "test denial");
	} else if (strncmp(name, "reason", 6) == 0) {
		decide(id, true, target, "test reason");
	} else if (strncmp(name, "badtarget", 9) == 0) {
		decide(id, true, "no-such-cage", "");
		decide(id, true, target, "");
	} else if (strncmp(name, "slow", 4) == 0) {
		Pending *p = calloc(1, sizeof(*p));

		if (!p)
			return 0;
		snprintf(p->id, sizeof(p->id), "%s", id);
		snprintf(p->target, sizeof(p->target), "%s", target);
		p->approve = true;
		p->reason = "";
		sd_event_add_time_relative(event, NULL, CLOCK_MONOTONIC, slow_ms * 1000ull, 0,
		                           handle_slow, p);
	} else {
		decide(id, true, target, "");
	}
	return 0;
}

static int handle_finished(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	const char *id, *outcome, *detail;

	if (sd_bus_message_read(m, "sss", &id, &outcome, &detail) < 0)
		return 0;
	printf("finished %s %s ", id, outcome);
	for (; *detail; detail++)
		putchar((unsigned char)*detail < 0x20 ? '_' : *detail);
	putchar('\n');
	return 0;
}

int main(int argc, char **argv)
{
	const char *address = getenv("DBUS_SESSION_BUS_ADDRESS");
	const char *ready = NULL;
	sigset_t mask;
	int r;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--bus") == 0 && i + 1 < argc)
			address = argv[++i];
		else if (strcmp(argv[i], "--ready") == 0 && i + 1 < argc)
			ready = argv[++i];
		else if (strcmp(argv[i], "--slow-ms") == 0 && i + 1 < argc)
			slow_ms = (unsigned)strtoul(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: cl-test-agent [--bus ADDRESS] [--ready FILE] "
			                "[--slow-ms N]\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	r = sd_event_default(&event);
	if (r >= 0)
		r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, address ? address : "");
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, 1);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r >= 0)
		r = sd_bus_match_signal(bus, NULL, NULL, PATH, IFACE, "PromptRequested",
		                        handle_prompt, NULL);
	if (r >= 0)
		r = sd_bus_match_signal(bus, NULL, NULL, PATH, IFACE, "Finished", handle_finished,
		                        NULL);
	if (r >= 0)
		r = sd_bus_attach_event(bus, event, 0);
	if (r >= 0)
		r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
	if (r < 0) {
		fprintf(stderr, "cl-test-agent: %s\n", strerror(-r));
		return 2;
	}
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (f)
			fclose(f);
	}
	r = sd_event_loop(event);
	sd_bus_flush_close_unref(bus);
	sd_event_unref(event);
	return r < 0 ? 2 : 0;
}
