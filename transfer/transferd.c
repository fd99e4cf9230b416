/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The transfer broker's service.
 *
 * Threads: the sd-event loop owns every structure below; CL_TRANSFERD_WORKERS
 * worker threads run intakes (open + snapshot + MIME) and landings, one job at
 * a time, and hand the job back through a queue and an eventfd.  While a job
 * runs, the worker alone touches the request's job fields (snapshot, results);
 * the loop only sets req->cancel and reads the atomic progress counters.
 *
 * Fairness: each cage has its own FIFO of requests waiting for intake and at
 * most one intake running; free workers take approved landings first, then
 * intakes round-robin over the cages.  A cage flooding requests thus occupies
 * at most one worker and waits its turn behind every other cage.
 */
#include "cloison-build-config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-id128.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "daemon.h"
#include "event-limit.h"
#include "i18n.h"
#include "init-protocol.h"
#include "intake.h"
#include "landing.h"
#include "listen.h"
#include "log.h"
#include "names.h"
#include "paths.h"
#include "policy.h"
#include "security-events.h"
#include "transferd.h"
#include "util.h"

typedef struct Cage Cage;
typedef struct Request Request;

typedef enum {
	STATE_QUEUED,  /* waiting in its cage's queue for an intake worker */
	STATE_INTAKE,  /* a worker is snapshotting it */
	STATE_PROMPT,  /* waiting for the user's decision */
	STATE_WAITING, /* approved, waiting for a landing worker */
	STATE_LANDING, /* a worker is landing it */
} RequestState;

typedef enum {
	JOB_INTAKE,
	JOB_LANDING,
	JOB_QUIT,
} JobKind;

typedef struct {
	const ClCage *cage;
	ClDecision decision;
} Target;

typedef struct {
	Cage *cage;
	sd_bus *bus;
	sd_event_source *drain; /* cl_daemon_add_bus_drain() */
	bool dead;              /* closed: freed by the reaper */
} Connection;

struct Cage {
	ClTransferd *d;
	const ClCage *config;
	char *socket_path;
	int listen_fd;
	bool owns_socket; /* created by us (not passed): removed at the end */
	sd_event_source *accept_source;
	GPtrArray *connections; /* Connection* */
	GQueue queue;           /* Request* in STATE_QUEUED */
	bool intake_active;
	bool refusing; /* at the connection limit (logged once) */
	unsigned pending;
	uint64_t staging_bytes;
	double tokens;
	uint64_t tokens_at; /* CLOCK_MONOTONIC µs */
};

struct Request {
	ClTransferd *d;
	Cage *cage;
	char id[CL_TRANSFERD_ID_LEN + 1];
	char *rel_path;
	char *name; /* sanitised */
	const ClCage *requested;
	bool move;
	RequestState state;
	atomic_bool cancel;
	atomic_bool progress_dirty;
	_Atomic uint64_t done, total;
	uint64_t progress_posted_at; /* worker side */
	uint64_t policy_max;         /* largest size any allowed rule accepts */
	uint64_t max_size;           /* what the intake was allowed to copy */
	uint64_t reserved;           /* staging bytes accounted to the cage */

	/* Written by the worker during JOB_INTAKE. */
	ClSnapshot snap;
	char *mime_type;
	GError *error;

	GPtrArray *targets; /* Target*, the allowed ones */
	sd_event_source *expiry;
	uint64_t expires; /* CLOCK_REALTIME µs */

	/* The decision, then JOB_LANDING's results. */
	bool expired;      /* nobody decided in time */
	bool user_decided; /* denied by the user (not by the policy) */
	Target *chosen;
	char *reason;
	char *landed_name;
	GError *move_error;
};

typedef struct {
	JobKind kind;
	Request *req;
} Job;

struct ClTransferd {
	sd_event *event;
	const ClConfig *config;
	ClTransferdLimits limits;
	char *data_home;
	int data_fd;    /* $XDG_DATA_HOME */
	int staging_fd; /* …/cloison/staging */
	ClAudit *audit;
	sd_bus *core;
	sd_bus_slot *core_slot;
	sd_id128_t server_id;

	GPtrArray *cages;     /* Cage*, in configuration order */
	GHashTable *requests; /* id → Request* */
	unsigned rr_next;     /* round-robin position over cages */
	GQueue landings;      /* Request* in STATE_WAITING */

	GThread *workers[CL_TRANSFERD_WORKERS];
	unsigned busy;
	bool stopping; /* no new jobs */
	GAsyncQueue *jobs;
	GAsyncQueue *done;
	int event_fd;
	sd_event_source *event_source;
	sd_event_source *reaper; /* frees connections we closed */

	/* Security events (docs/notify-events.md): what cages can repeat is coalesced. */
	ClEventLimit *event_limit;
	sd_event_source *event_flush;
};

static const sd_bus_vtable cage_vtable[];
static const sd_bus_vtable core_vtable[];
static void schedule(ClTransferd *d);

static uint64_t now_usec(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void cl_transferd_limits_default(ClTransferdLimits *limits)
{
	*limits = (ClTransferdLimits){
	        .max_pending = CL_TRANSFERD_DEFAULT_MAX_PENDING,
	        .max_connections = CL_TRANSFERD_DEFAULT_MAX_CONNECTIONS,
	        .staging_quota = CL_TRANSFERD_DEFAULT_STAGING_QUOTA,
	        .rate_burst = CL_TRANSFERD_DEFAULT_RATE_BURST,
	        .rate_per_s = CL_TRANSFERD_DEFAULT_RATE_PER_S,
	};
}

/* ---- cage homes ------------------------------------------------------------ */

/* DATA_HOME/cloison/cages/CAGE/home, no component followed (the library
 * checks its owner). */
static int open_cage_home(ClTransferd *d, const char *cage, struct stat *ret_st, GError **error)
{
	g_autofree char *path =
	        g_build_filename(d->data_home, "cloison", "cages", cage, "home", NULL);

	return cl_intake_open_home(path, ret_st, error);
}

/* ---- workers --------------------------------------------------------------- */

static void wake_loop(ClTransferd *d)
{
	uint64_t one = 1;

	/* Cannot fail short of a bug; the counter saturates, never blocks us. */
	(void)!write(d->event_fd, &one, sizeof(one));
}

static bool intake_progress(uint64_t done, uint64_t total, void *userdata)
{
	Request *req = userdata;
	uint64_t now = now_usec(CLOCK_MONOTONIC);

	atomic_store(&req->done, done);
	atomic_store(&req->total, total);
	if (done == total || now - req->progress_posted_at >= CL_TRANSFERD_PROGRESS_USEC) {
		req->progress_posted_at = now;
		atomic_store(&req->progress_dirty, true);
		wake_loop(req->d);
	}
	return !atomic_load(&req->cancel);
}

static void run_intake(Request *req, ClMagic **magic)
{
	ClTransferd *d = req->d;
	g_autoptr(GError) error = NULL;
	_cleanup_close_ int home_fd = -1;
	_cleanup_close_ int src_fd = -1;
	struct stat st;

	home_fd = open_cage_home(d, req->cage->config->id, NULL, &error);
	if (home_fd < 0)
		goto fail;
	src_fd = cl_intake_open(home_fd, req->rel_path, &st, &error);
	if (src_fd < 0)
		goto fail;
	atomic_store(&req->total, (uint64_t)st.st_size);
	if (!cl_intake_snapshot(src_fd, d->staging_fd, req->max_size, &req->cancel, intake_progress,
	                        req, &req->snap, &error))
		goto fail;
	if (!*magic) {
		*magic = cl_magic_new(&error);
		if (!*magic)
			goto fail;
	}
	req->mime_type = cl_magic_mime_type(*magic, req->snap.fd, &error);
	if (!req->mime_type)
		goto fail;
	return;
fail:
	cl_snapshot_clear(&req->snap);
	req->error = g_steal_pointer(&error);
}

static void run_landing(Request *req)
{
	ClTransferd *d = req->d;
	g_autoptr(GError) error = NULL;
	g_autofree char *origin = NULL;
	_cleanup_close_ int home_fd = -1;
	_cleanup_close_ int incoming_fd = -1;
	_cleanup_close_ int src_home_fd = -1;
	bool root = geteuid() == 0;
	struct stat st;
	ClLandingInfo info;

	home_fd = open_cage_home(d, req->chosen->cage->id, &st, &error);
	if (home_fd < 0)
		goto fail;
	incoming_fd = cl_landing_open_incoming(home_fd, req->cage->config->id,
	                                       root ? st.st_uid : (uid_t)-1,
	                                       root ? st.st_gid : (gid_t)-1, &error);
	if (incoming_fd < 0)
		goto fail;
	origin = g_strdup_printf("%s (%s)", req->cage->config->id, req->cage->config->level->id);
	info = (ClLandingInfo){
	        .name = req->name,
	        .origin = origin,
	        .sha256 = req->snap.sha256,
	        .owner = root ? st.st_uid : (uid_t)-1,
	        .group = root ? st.st_gid : (gid_t)-1,
	};
	if (!cl_landing_land(incoming_fd, &req->snap, &info, &req->landed_name, &error))
		goto fail;
	if (req->move) {
		src_home_fd = open_cage_home(d, req->cage->config->id, NULL, &req->move_error);
		if (src_home_fd >= 0)
			cl_landing_remove_source(src_home_fd, req->rel_path, &req->snap,
			                         &req->move_error);
	}
	/* The landed file holds the data now: free the staging space, keep
	 * size and hash for the outcome record. */
	req->snap.fd = cl_close(req->snap.fd);
	return;
fail:
	req->error = g_steal_pointer(&error);
}

static gpointer worker_main(gpointer data)
{
	ClTransferd *d = data;
	ClMagic *magic = NULL;

	for (;;) {
		Job *job = g_async_queue_pop(d->jobs);

		if (job->kind == JOB_QUIT) {
			g_free(job);
			break;
		}
		if (job->kind == JOB_INTAKE)
			run_intake(job->req, &magic);
		else
			run_landing(job->req);
		g_async_queue_push(d->done, job);
		wake_loop(d);
	}
	cl_magic_free(magic);
	return NULL;
}

static void start_job(ClTransferd *d, JobKind kind, Request *req)
{
	Job *job = g_new0(Job, 1);

	job->kind = kind;
	job->req = req;
	d->busy++;
	g_async_queue_push(d->jobs, job);
}

/* ---- signals --------------------------------------------------------------- */

/*
 * Hang up on a client.  sd_bus_close() detaches the bus from the loop, so no
 * Disconnected will come: the reaper (a defer source) frees it once the
 * current dispatch is over.
 */
static void connection_kill(Connection *c)
{
	if (c->dead)
		return;
	c->dead = true;
	sd_bus_close(c->bus);
	sd_event_source_set_enabled(c->cage->d->reaper, SD_EVENT_ONESHOT);
}

/* Send a signal on every connection of a cage; drop a connection that
 * cannot take it (a client that never reads fills its queue). */
static void emit_to_cage(Cage *cage, const char *member, const char *types, ...)
{
	for (guint i = 0; i < cage->connections->len; i++) {
		Connection *c = g_ptr_array_index(cage->connections, i);
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
		va_list ap;
		int r;

		if (c->dead)
			continue;
		r = sd_bus_message_new_signal(c->bus, &m, CL_CAGE_TRANSFER_PATH,
		                              CL_CAGE_TRANSFER_IFACE, member);
		if (r >= 0) {
			va_start(ap, types);
			r = sd_bus_message_appendv(m, types, ap);
			va_end(ap);
		}
		if (r >= 0)
			r = sd_bus_send(c->bus, m, NULL);
		if (r < 0) {
			/* A client that just left is normal; anything else is worth a line. */
			bool gone = r == -ECONNRESET || r == -ENOTCONN || r == -EPIPE;

			cl_log_errno(gone ? LOG_DEBUG : LOG_WARNING, r,
			             "cage %s: cannot send %s to a client; closing it",
			             cage->config->id, member);
			connection_kill(c);
		}
	}
}

static void emit_core_finished(ClTransferd *d, Request *req, const char *outcome,
                               const char *detail)
{
	int r = sd_bus_emit_signal(d->core, CL_TRANSFER_PATH, CL_TRANSFER_IFACE, "Finished", "sss",
	                           req->id, outcome, detail);

	if (r < 0)
		cl_log_errno(LOG_WARNING, r, "cannot emit Finished on the core bus");
}

/* ---- security events ------------------------------------------------------- */

/* How long a Post may wait for notifyd's reply (it never blocks us). */
#define POST_TIMEOUT_USEC (5 * 1000000u)

static int handle_post_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	const sd_bus_error *e = sd_bus_message_get_error(m);

	/* notifyd absent or refusing: not our failure, nothing to retry. */
	if (e)
		cl_debug("security event not posted: %s", e->message ? e->message : e->name);
	return 0;
}

/* Post(severity, category, summary, body, cage) to notifyd, without waiting. */
static void post_now(ClTransferd *d, const char *severity, const char *category, const char *cage,
                     const char *summary, const char *body)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	int r;

	r = sd_bus_message_new_method_call(d->core, &m, CL_NOTIFY_BUS_NAME, CL_NOTIFY_PATH,
	                                   CL_SECURITY_EVENTS_IFACE, "Post");
	if (r >= 0)
		r = sd_bus_message_set_auto_start(m, 0);
	if (r >= 0)
		r = sd_bus_message_append(m, "sssss", severity, category, summary, body, cage);
	if (r >= 0)
		r = sd_bus_call_async(d->core, NULL, m, handle_post_reply, NULL, POST_TIMEOUT_USEC);
	if (r < 0)
		cl_log_errno(LOG_DEBUG, r, "cannot post the security event %s", category);
}

static int handle_event_flush(sd_event_source *s, uint64_t usec, void *userdata);

static void arm_event_flush(ClTransferd *d)
{
	uint64_t next = cl_event_limit_next(d->event_limit);
	int r;

	if (next == 0) {
		if (d->event_flush)
			sd_event_source_set_enabled(d->event_flush, SD_EVENT_OFF);
		return;
	}
	if (!d->event_flush) {
		r = sd_event_add_time(d->event, &d->event_flush, CLOCK_MONOTONIC, next, 0,
		                      handle_event_flush, d);
		if (r < 0)
			cl_log_errno(LOG_WARNING, r, "cannot arm the security event timer");
		return;
	}
	sd_event_source_set_time(d->event_flush, next);
	sd_event_source_set_enabled(d->event_flush, SD_EVENT_ONESHOT);
}

static void post_summary(const char *cage, const char *category, unsigned count, void *userdata)
{
	ClTransferd *d = userdata;
	g_autofree char *summary = NULL;
	g_autofree char *body = g_strdup_printf(_("Repeated by cage %s within a few seconds: "
	                                          "repeats are grouped so that a cage cannot "
	                                          "flood your notifications."),
	                                        cage);

	if (strcmp(category, CL_EVENT_TRANSFER_REQUESTED) == 0)
		summary = g_strdup_printf(
		        g_dngettext(GETTEXT_PACKAGE, "%u more transfer requested by cage %s",
		                    "%u more transfers requested by cage %s", count),
		        count, cage);
	else if (strcmp(category, CL_EVENT_TRANSFER_DENIED) == 0)
		summary = g_strdup_printf(
		        g_dngettext(GETTEXT_PACKAGE, "%u more transfer denied from cage %s",
		                    "%u more transfers denied from cage %s", count),
		        count, cage);
	else if (strcmp(category, CL_EVENT_TRANSFER_EXPIRED) == 0)
		summary = g_strdup_printf(
		        g_dngettext(GETTEXT_PACKAGE, "%u more transfer expired from cage %s",
		                    "%u more transfers expired from cage %s", count),
		        count, cage);
	else
		summary = g_strdup_printf(
		        g_dngettext(GETTEXT_PACKAGE, "%u more transfer failed from cage %s",
		                    "%u more transfers failed from cage %s", count),
		        count, cage);
	post_now(d, CL_SEVERITY_WARNING, category, cage, summary, body);
}

static int handle_event_flush(sd_event_source *s, uint64_t usec, void *userdata)
{
	ClTransferd *d = userdata;

	cl_event_limit_flush(d->event_limit, now_usec(CLOCK_MONOTONIC), post_summary, d);
	arm_event_flush(d);
	return 0;
}

/* Through the coalescing of what a cage can repeat on its own. */
static void post_event(ClTransferd *d, const char *severity, const char *category, const char *cage,
                       const char *summary, const char *body)
{
	if (!cl_event_limit_admit(d->event_limit, cage, category, now_usec(CLOCK_MONOTONIC))) {
		cl_debug("security event %s of cage %s coalesced", category, cage);
		return;
	}
	post_now(d, severity, category, cage, summary, body);
	arm_event_flush(d);
}

/* “NAME” (SIZE), or “NAME” while the size is not known. */
static char *request_document(const Request *req)
{
	g_autofree char *size = NULL;

	if (req->state == STATE_QUEUED || !req->mime_type)
		return g_strdup_printf(_("“%s”"), req->name);
	size = g_format_size(req->snap.size);
	return g_strdup_printf(_("“%s” (%s)"), req->name, size);
}

/* "cage B" when the target is known, else "another cage". */
static char *request_target(const Request *req)
{
	const ClCage *t = req->chosen ? req->chosen->cage : req->requested;

	if (t)
		return g_strdup_printf(_("cage %s (level %s)"), t->id, t->level->label);
	return g_strdup(_("another cage"));
}

/*
 * The security event of a request at CATEGORY; DETAIL says why (denied,
 * failed).  Approvals and denials by the user are posted as they are; what
 * a cage can cause alone, in a loop, is coalesced per cage.
 */
static void post_request_event(Request *req, const char *category, const char *detail)
{
	ClTransferd *d = req->d;
	const ClCage *src = req->cage->config;
	g_autofree char *doc = request_document(req);
	g_autofree char *target = request_target(req);
	g_autofree char *summary = NULL, *body = NULL;
	const char *severity = CL_SEVERITY_INFO;

	if (strcmp(category, CL_EVENT_TRANSFER_REQUESTED) == 0) {
		summary = g_strdup_printf(_("Transfer requested by cage %s"), src->id);
		body = g_strdup_printf(_("Cage %s (level %s) asks to send %s, of type %s, to %s. "
		                         "Nothing moves until you decide."),
		                       src->id, src->level->label, doc, req->mime_type, target);
		post_event(d, severity, category, src->id, summary, body);
		return;
	}
	if (strcmp(category, CL_EVENT_TRANSFER_APPROVED) == 0) {
		summary = g_strdup_printf(_("Transfer approved from cage %s to cage %s"), src->id,
		                          req->chosen->cage->id);
		if (req->reason)
			body = g_strdup_printf(_("You approved sending %s from cage %s (level %s) "
			                         "to %s. Reason given: %s"),
			                       doc, src->id, src->level->label, target,
			                       req->reason);
		else
			body = g_strdup_printf(_("You approved sending %s from cage %s (level %s) "
			                         "to %s."),
			                       doc, src->id, src->level->label, target);
		post_now(d, severity, category, src->id, summary, body);
		return;
	}
	if (strcmp(category, CL_EVENT_TRANSFER_EXPIRED) == 0) {
		summary = g_strdup_printf(_("Transfer expired from cage %s"), src->id);
		body = g_strdup_printf(_("Nobody decided in time on sending %s from cage %s to %s: "
		                         "it was not transferred."),
		                       doc, src->id, target);
		post_event(d, severity, category, src->id, summary, body);
		return;
	}
	if (strcmp(category, CL_EVENT_TRANSFER_DENIED) == 0) {
		summary = g_strdup_printf(_("Transfer denied from cage %s"), src->id);
		body = g_strdup_printf(_("Sending %s from cage %s to %s was refused: %s"), doc,
		                       src->id, target, detail);
		if (req->user_decided) {
			post_now(d, severity, category, src->id, summary, body);
			return;
		}
		post_event(d, CL_SEVERITY_WARNING, category, src->id, summary, body);
		return;
	}
	summary = g_strdup_printf(_("Transfer failed from cage %s"), src->id);
	body = g_strdup_printf(_("Sending %s from cage %s to %s failed: %s"), doc, src->id, target,
	                       detail);
	post_event(d, CL_SEVERITY_WARNING, CL_EVENT_TRANSFER_FAILED, src->id, summary, body);
}

/* ---- requests -------------------------------------------------------------- */

static void target_free(Target *t)
{
	if (!t)
		return;
	cl_decision_clear(&t->decision);
	g_free(t);
}

static void request_free(Request *req)
{
	if (!req)
		return;
	sd_event_source_disable_unref(req->expiry);
	cl_snapshot_clear(&req->snap);
	g_free(req->rel_path);
	g_free(req->name);
	g_free(req->mime_type);
	g_clear_error(&req->error);
	g_clear_error(&req->move_error);
	if (req->targets)
		g_ptr_array_unref(req->targets);
	g_free(req->reason);
	g_free(req->landed_name);
	g_free(req);
}

static void audit_fill(const Request *req, ClAuditRecord *rec, const char *event)
{
	bool have_snap = req->state != STATE_QUEUED && req->mime_type;

	*rec = (ClAuditRecord){
	        .event = event,
	        .id = req->id,
	        .source_cage = req->cage->config->id,
	        .source_level = req->cage->config->level->id,
	        .name = req->name,
	        .size = have_snap ? req->snap.size : 0,
	        .sha256 = have_snap && req->snap.sha256[0] ? req->snap.sha256 : NULL,
	        .mime_type = req->mime_type,
	};
	if (req->chosen) {
		rec->target_cage = req->chosen->cage->id;
		rec->target_level = req->chosen->cage->level->id;
	} else if (req->requested) {
		rec->target_cage = req->requested->id;
		rec->target_level = req->requested->level->id;
	}
}

static char *rule_text(const ClRule *rule)
{
	if (!rule)
		return NULL;
	return g_strdup_printf("%s->%s: %s", rule->from->id, rule->to->id,
	                       cl_action_to_string(rule->action));
}

static bool audit_append(ClTransferd *d, const ClAuditRecord *rec, GError **error)
{
	if (cl_audit_append(d->audit, rec, error))
		return true;
	cl_error("audit log: %s", (*error)->message);
	return false;
}

/*
 * The end of a request: audit the outcome, then tell the source cage, the
 * core bus and (when delivered) the target cage; release the cage's quotas.
 */
static void finish(Request *req, const char *result, const char *detail)
{
	ClTransferd *d = req->d;
	Cage *cage = req->cage;
	g_autoptr(GError) error = NULL;
	g_autofree char *audit_detail = NULL;
	g_autofree char *in_cage = NULL;
	g_autofree char *rule = NULL;
	ClAuditRecord rec;

	audit_fill(req, &rec, "outcome");
	rule = rule_text(req->chosen ? req->chosen->decision.rule : NULL);
	rec.rule = rule;
	rec.result = result;
	rec.detail = detail;
	rec.reason = req->reason;
	if (!audit_append(d, &rec, &error)) {
		/* Never report a success that is not in the log. */
		if (strcmp(result, "delivered") == 0)
			audit_detail = g_strdup_printf(
			        _("the audit log cannot be written (%s); the document was "
			          "landed as %s but the transfer is reported failed"),
			        error->message, req->landed_name);
		else
			audit_detail = g_strdup_printf(_("%s; and the audit log cannot be written "
			                                 "(%s)"),
			                               detail, error->message);
		result = "failed";
		detail = audit_detail;
	}

	emit_to_cage(cage, "Finished", "sss", req->id, result, detail);
	emit_core_finished(d, req, result, detail);
	if (strcmp(result, "denied") == 0)
		post_request_event(
		        req, req->expired ? CL_EVENT_TRANSFER_EXPIRED : CL_EVENT_TRANSFER_DENIED,
		        detail);
	else if (strcmp(result, "failed") == 0)
		post_request_event(req, CL_EVENT_TRANSFER_FAILED, detail);
	if (strcmp(result, "delivered") == 0 && req->landed_name) {
		Cage *target = NULL;

		for (guint i = 0; i < d->cages->len; i++) {
			Cage *c = g_ptr_array_index(d->cages, i);

			if (c->config == req->chosen->cage)
				target = c;
		}
		in_cage = g_strdup_printf(CL_CAGE_HOME "/" CL_INCOMING_DIR "/%s/%s",
		                          cage->config->id, req->landed_name);
		if (target)
			emit_to_cage(target, "Received", "sss", req->id, in_cage, cage->config->id);
	}

	cage->pending--;
	cage->staging_bytes -= req->reserved;
	g_hash_table_remove(d->requests, req->id);
}

/* A request that failed before or during intake: request + outcome records. */
static void fail_intake(Request *req, const char *result, const char *decision, const char *detail)
{
	g_autoptr(GError) error = NULL;
	ClAuditRecord rec;

	audit_fill(req, &rec, "request");
	rec.detail = detail;
	if (!audit_append(req->d, &rec, &error)) {
		finish(req, "failed", detail);
		return;
	}
	if (decision) {
		g_clear_error(&error);
		audit_fill(req, &rec, "decision");
		rec.decision = decision;
		rec.reason = detail;
		if (!audit_append(req->d, &rec, &error)) {
			finish(req, "failed", detail);
			return;
		}
	}
	finish(req, result, detail);
}

static void append_details(sd_bus_message *m, Request *req);

static int handle_expiry(sd_event_source *s, uint64_t usec, void *userdata)
{
	Request *req = userdata;
	g_autoptr(GError) error = NULL;
	ClAuditRecord rec;

	audit_fill(req, &rec, "decision");
	rec.decision = "expired";
	rec.reason = _("nobody decided in time");
	if (!audit_append(req->d, &rec, &error)) {
		finish(req, "failed", _("the request expired"));
		return 0;
	}
	req->expired = true;
	finish(req, "denied", _("the request expired: nobody decided in time"));
	return 0;
}

static int emit_prompt(Request *req)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	int r;

	r = sd_bus_message_new_signal(req->d->core, &m, CL_TRANSFER_PATH, CL_TRANSFER_IFACE,
	                              "PromptRequested");
	if (r < 0)
		return r;
	r = sd_bus_message_append(m, "s", req->id);
	if (r < 0)
		return r;
	append_details(m, req);
	return sd_bus_send(req->d->core, m, NULL);
}

/* The snapshot is ready: audit, apply the policy, prompt or deny. */
static void intake_done(Request *req)
{
	ClTransferd *d = req->d;
	const ClConfig *config = d->config;
	g_autoptr(GPtrArray) candidates = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *denial = NULL;
	ClAuditRecord rec;
	uint64_t expiry_us;
	int r;

	/* The snapshot now counts against the cage's staging quota. */
	req->reserved = req->snap.size;
	req->cage->staging_bytes += req->reserved;

	audit_fill(req, &rec, "request");
	if (!audit_append(d, &rec, &error)) {
		g_autofree char *msg =
		        g_strdup_printf(_("the audit log cannot be written: %s"), error->message);
		finish(req, "failed", msg);
		return;
	}

	req->targets = g_ptr_array_new_with_free_func((GDestroyNotify)target_free);
	candidates = cl_policy_targets(config, req->cage->config->id);
	for (guint i = 0; i < candidates->len; i++) {
		const ClCage *dst = g_ptr_array_index(candidates, i);
		Target *t = g_new0(Target, 1);

		t->cage = dst;
		if (cl_policy_decide(config, req->cage->config->id, dst->id, req->mime_type,
		                     req->snap.size, &t->decision) == CL_ACTION_DENY) {
			if (!denial || dst == req->requested) {
				g_free(denial);
				denial = g_strdup(t->decision.reason);
			}
			target_free(t);
			continue;
		}
		g_ptr_array_add(req->targets, t);
	}
	if (req->requested) {
		/* A target the cage named and the policy refuses: no prompt. */
		bool allowed = false;

		for (guint i = 0; i < req->targets->len; i++)
			allowed |= ((Target *)g_ptr_array_index(req->targets, i))->cage ==
			           req->requested;
		if (!allowed) {
			ClDecision dec;

			cl_policy_decide(config, req->cage->config->id, req->requested->id,
			                 req->mime_type, req->snap.size, &dec);
			g_free(denial);
			denial = g_strdup(dec.reason);
			cl_decision_clear(&dec);
			g_ptr_array_set_size(req->targets, 0);
		}
	}
	if (req->targets->len == 0) {
		g_autofree char *msg = g_strdup_printf(
		        _("denied by policy: %s"),
		        denial ? denial : _("no rule allows this cage to send documents"));

		g_clear_error(&error);
		audit_fill(req, &rec, "decision");
		rec.decision = "policy-denied";
		rec.reason = msg;
		if (!audit_append(d, &rec, &error))
			finish(req, "failed", msg);
		else
			finish(req, "denied", msg);
		return;
	}

	req->state = STATE_PROMPT;
	expiry_us = (uint64_t)config->transfer_expiry_s * 1000000u;
	req->expires = now_usec(CLOCK_REALTIME) + expiry_us;
	r = sd_event_add_time_relative(d->event, &req->expiry, CLOCK_MONOTONIC, expiry_us, 0,
	                               handle_expiry, req);
	if (r < 0) {
		finish(req, "failed", _("cannot arm the expiry timer"));
		return;
	}
	r = emit_prompt(req);
	if (r < 0)
		cl_log_errno(LOG_WARNING, r, "cannot emit PromptRequested for %s", req->id);
	post_request_event(req, CL_EVENT_TRANSFER_REQUESTED, NULL);
}

static const char *intake_failure_result(Request *req, const char **decision, char **msg)
{
	GError *e = req->error;

	*decision = NULL;
	if (g_error_matches(e, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_CANCELLED)) {
		*msg = g_strdup(_("cancelled by the sending cage"));
		return "failed";
	}
	if (g_error_matches(e, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_TOO_LARGE)) {
		if (req->max_size < req->policy_max) {
			*msg = g_strdup_printf(_("limit exceeded: the cage's staging quota is "
			                         "full (%s)"),
			                       e->message);
			return "failed";
		}
		*decision = "policy-denied";
		*msg = g_strdup_printf(_("denied by policy: %s"), e->message);
		return "denied";
	}
	*msg = g_strdup(e->message);
	return "failed";
}

static void job_done(ClTransferd *d, Job *job)
{
	Request *req = job->req;

	d->busy--;
	if (job->kind == JOB_INTAKE) {
		req->cage->intake_active = false;
		if (req->error) {
			g_autofree char *msg = NULL;
			const char *decision;
			const char *result = intake_failure_result(req, &decision, &msg);

			fail_intake(req, result, decision, msg);
		} else if (atomic_load(&req->cancel)) {
			fail_intake(req, "failed", NULL, _("cancelled by the sending cage"));
		} else {
			intake_done(req);
		}
	} else {
		g_autofree char *detail = NULL;

		if (req->error) {
			finish(req, "failed", req->error->message);
		} else {
			if (g_error_matches(req->move_error, CL_TRANSFER_ERROR,
			                    CL_TRANSFER_ERROR_SOURCE_CHANGED))
				detail = g_strdup_printf(
				        _("landed as %s; the source was kept because "
				          "it changed after the request"),
				        req->landed_name);
			else if (req->move_error)
				detail =
				        g_strdup_printf(_("landed as %s; the source could not be "
				                          "removed: %s"),
				                        req->landed_name, req->move_error->message);
			else if (req->move)
				detail = g_strdup_printf(_("landed as %s; the source was removed"),
				                         req->landed_name);
			else
				detail = g_strdup_printf(_("landed as %s"), req->landed_name);
			finish(req, "delivered", detail);
		}
	}
	g_free(job);
}

static void post_progress(gpointer key, gpointer value, gpointer userdata)
{
	Request *req = value;

	if (req->state != STATE_INTAKE || !atomic_exchange(&req->progress_dirty, false))
		return;
	emit_to_cage(req->cage, "Progress", "stt", req->id, (uint64_t)atomic_load(&req->done),
	             (uint64_t)atomic_load(&req->total));
}

static int handle_event_fd(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	ClTransferd *d = userdata;
	uint64_t n;
	Job *job;

	(void)!read(fd, &n, sizeof(n));
	g_hash_table_foreach(d->requests, post_progress, NULL);
	while ((job = g_async_queue_try_pop(d->done)))
		job_done(d, job);
	schedule(d);
	return 0;
}

static void schedule(ClTransferd *d)
{
	if (d->stopping)
		return;
	while (d->busy < CL_TRANSFERD_WORKERS && !g_queue_is_empty(&d->landings)) {
		Request *req = g_queue_pop_head(&d->landings);

		req->state = STATE_LANDING;
		start_job(d, JOB_LANDING, req);
	}
	while (d->busy < CL_TRANSFERD_WORKERS) {
		Cage *next = NULL;
		Request *req;
		uint64_t left;

		for (guint i = 0; i < d->cages->len && !next; i++) {
			Cage *c = g_ptr_array_index(d->cages, (d->rr_next + i) % d->cages->len);

			if (!c->intake_active && !g_queue_is_empty(&c->queue)) {
				next = c;
				d->rr_next = (d->rr_next + i + 1) % d->cages->len;
			}
		}
		if (!next)
			break;
		req = g_queue_pop_head(&next->queue);
		left = next->staging_bytes >= d->limits.staging_quota
		               ? 0
		               : d->limits.staging_quota - next->staging_bytes;
		req->max_size = MIN(req->policy_max, left);
		req->state = STATE_INTAKE;
		next->intake_active = true;
		start_job(d, JOB_INTAKE, req);
	}
}

/* ---- cage side ------------------------------------------------------------- */

static Cage *connection_cage(void *userdata)
{
	return ((Connection *)userdata)->cage;
}

/*
 * A client that sends calls but never reads the replies makes sd-bus queue
 * them in our memory: past CL_TRANSFERD_MAX_QUEUED_WRITES, hang up on it.
 */
static bool connection_choked(void *userdata)
{
	Connection *c = userdata;
	uint64_t n = 0;

	if (sd_bus_get_n_queued_write(c->bus, &n) < 0 || n <= CL_TRANSFERD_MAX_QUEUED_WRITES)
		return false;
	cl_warn("cage %s: a client does not read its replies (%" PRIu64 " queued); closing it",
	        c->cage->config->id, n);
	connection_kill(c);
	return true;
}

static bool rate_take(ClTransferd *d, Cage *cage)
{
	uint64_t now = now_usec(CLOCK_MONOTONIC);

	cage->tokens += (double)(now - cage->tokens_at) * d->limits.rate_per_s / 1e6;
	if (cage->tokens > d->limits.rate_burst)
		cage->tokens = d->limits.rate_burst;
	cage->tokens_at = now;
	if (cage->tokens < 1.0)
		return false;
	cage->tokens -= 1.0;
	return true;
}

/*
 * The largest document the policy could accept: the requested target's rule,
 * else the largest of the rules from this cage (0: nothing is allowed).
 */
static uint64_t policy_max_size(const ClConfig *config, const ClCage *src, const ClCage *requested)
{
	g_autoptr(GPtrArray) targets = cl_policy_targets(config, src->id);
	uint64_t max = 0;

	for (guint i = 0; i < targets->len; i++) {
		const ClCage *dst = g_ptr_array_index(targets, i);
		const ClRule *rule = cl_config_get_rule(config, src->level, dst->level);

		if (requested && dst != requested)
			continue;
		if (rule && rule->max_size > max)
			max = rule->max_size;
	}
	return max;
}

static void random_id(char id[CL_TRANSFERD_ID_LEN + 1])
{
	uint8_t raw[CL_TRANSFERD_ID_LEN / 2];
	sd_id128_t r;

	/* sd_id128_randomize reads getrandom(); 16 bytes, lower-case hex. */
	if (sd_id128_randomize(&r) < 0)
		g_assert_not_reached();
	memcpy(raw, r.bytes, sizeof(raw));
	for (size_t i = 0; i < sizeof(raw); i++)
		g_snprintf(id + 2 * i, 3, "%02x", raw[i]);
}

static bool id_is_valid(const char *id)
{
	size_t n = 0;

	for (; id[n]; n++)
		if (!g_ascii_isxdigit(id[n]) || g_ascii_isupper(id[n]))
			return false;
	return n == CL_TRANSFERD_ID_LEN;
}

static const char *last_component(const char *rel)
{
	const char *slash = strrchr(rel, '/');

	return slash ? slash + 1 : rel;
}

static int method_send(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Cage *cage = connection_cage(userdata);
	ClTransferd *d = cage->d;
	g_autoptr(GError) error = NULL;
	g_autofree char *rel = NULL;
	const char *path, *target;
	const ClCage *requested = NULL;
	Request *req;
	int move, r;

	if (connection_choked(userdata))
		return 1;
	r = sd_bus_message_read(m, "ssb", &path, &target, &move);
	if (r < 0)
		return r;
	if (*target) {
		if (!cl_id_is_valid(target))
			return sd_bus_error_set(ret_error, CL_CAGE_TRANSFER_ERROR_UNKNOWN_TARGET,
			                        _("the target is not a valid cage id"));
		requested = cl_config_get_cage(d->config, target);
		if (!requested)
			return sd_bus_error_setf(ret_error, CL_CAGE_TRANSFER_ERROR_UNKNOWN_TARGET,
			                         _("there is no cage named %s"), target);
		if (requested == cage->config)
			return sd_bus_error_set(ret_error, CL_CAGE_TRANSFER_ERROR_UNKNOWN_TARGET,
			                        _("the target is the sending cage itself"));
	}
	if (!cl_intake_resolve(path, &rel, &error))
		return sd_bus_error_set(ret_error, CL_CAGE_TRANSFER_ERROR_INVALID_PATH,
		                        error->message);
	if (cage->pending >= d->limits.max_pending)
		return sd_bus_error_setf(ret_error, CL_CAGE_TRANSFER_ERROR_LIMIT_EXCEEDED,
		                         _("limit exceeded: pending requests (at most %u per "
		                           "cage)"),
		                         d->limits.max_pending);
	if (!rate_take(d, cage))
		return sd_bus_error_setf(ret_error, CL_CAGE_TRANSFER_ERROR_LIMIT_EXCEEDED,
		                         _("limit exceeded: request rate (at most %u per second, "
		                           "%u at once)"),
		                         d->limits.rate_per_s, d->limits.rate_burst);

	req = g_new0(Request, 1);
	req->d = d;
	req->cage = cage;
	random_id(req->id);
	req->rel_path = g_steal_pointer(&rel);
	req->name = cl_name_sanitize(last_component(req->rel_path));
	req->requested = requested;
	req->move = move;
	req->state = STATE_QUEUED;
	req->snap.fd = -1;
	req->policy_max = policy_max_size(d->config, cage->config, requested);
	g_hash_table_insert(d->requests, req->id, req);
	cage->pending++;

	r = sd_bus_reply_method_return(m, "s", req->id);
	if (req->policy_max == 0) {
		/* No rule lets this cage send anything: no intake. */
		g_autofree char *msg = NULL;

		if (requested) {
			ClDecision dec;

			cl_policy_decide(d->config, cage->config->id, requested->id,
			                 "application/octet-stream", 0, &dec);
			msg = g_strdup_printf(_("denied by policy: %s"), dec.reason);
			cl_decision_clear(&dec);
		} else {
			msg = g_strdup(_("denied by policy: no rule allows this cage to send "
			                 "documents"));
		}
		fail_intake(req, "denied", "policy-denied", msg);
		return r;
	}
	g_queue_push_tail(&cage->queue, req);
	schedule(d);
	return r;
}

static int method_list_targets(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Cage *cage = connection_cage(userdata);
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	g_autoptr(GPtrArray) targets = cl_policy_targets(cage->d->config, cage->config->id);
	int r;

	if (connection_choked(userdata))
		return 1;
	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "(sss)");
	for (guint i = 0; r >= 0 && i < targets->len; i++) {
		const ClCage *t = g_ptr_array_index(targets, i);

		r = sd_bus_message_append(reply, "(sss)", t->id, t->level->label, t->level->colour);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_send(NULL, reply, NULL);
	return r;
}

static void cancel_request(Request *req)
{
	switch (req->state) {
	case STATE_QUEUED:
		g_queue_remove(&req->cage->queue, req);
		fail_intake(req, "failed", NULL, _("cancelled by the sending cage"));
		break;
	case STATE_INTAKE:
		atomic_store(&req->cancel, true);
		break;
	case STATE_PROMPT:
		finish(req, "failed", _("cancelled by the sending cage"));
		break;
	case STATE_WAITING:
		g_queue_remove(&req->d->landings, req);
		finish(req, "failed", _("cancelled by the sending cage"));
		break;
	case STATE_LANDING:
		break;
	}
}

static int method_cancel(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Cage *cage = connection_cage(userdata);
	const char *id;
	Request *req = NULL;
	int r;

	if (connection_choked(userdata))
		return 1;
	r = sd_bus_message_read(m, "s", &id);
	if (r < 0)
		return r;
	if (id_is_valid(id))
		req = g_hash_table_lookup(cage->d->requests, id);
	if (!req || req->cage != cage)
		return sd_bus_error_set(ret_error, CL_CAGE_TRANSFER_ERROR_UNKNOWN_TRANSFER,
		                        _("no such transfer"));
	if (req->state == STATE_LANDING)
		return sd_bus_error_set(ret_error, CL_CAGE_TRANSFER_ERROR_TOO_LATE,
		                        _("the transfer is already being delivered"));
	r = sd_bus_reply_method_return(m, "");
	cancel_request(req);
	return r;
}

static const sd_bus_vtable cage_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Send", SD_BUS_ARGS("s", path, "s", target, "b", move),
                                SD_BUS_RESULT("s", id), method_send, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListTargets", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sss)", targets),
                                method_list_targets, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Cancel", SD_BUS_ARGS("s", id), SD_BUS_NO_RESULT, method_cancel,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("Progress", SD_BUS_ARGS("s", id, "t", done, "t", total), 0),
        SD_BUS_SIGNAL_WITH_ARGS("Finished", SD_BUS_ARGS("s", id, "s", outcome, "s", detail), 0),
        SD_BUS_SIGNAL_WITH_ARGS("Received", SD_BUS_ARGS("s", id, "s", path, "s", from_cage), 0),
        SD_BUS_VTABLE_END,
};

static void connection_free(Connection *c)
{
	if (!c)
		return;
	sd_event_source_disable_unref(c->drain);
	sd_bus_detach_event(c->bus);
	sd_bus_close_unref(c->bus);
	g_free(c);
}

static int handle_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	Connection *c = userdata;

	/* Freed by the reaper, not here: the bus drain may be the caller. */
	cl_debug("cage %s: a client left", c->cage->config->id);
	connection_kill(c);
	return 0;
}

static int handle_reap(sd_event_source *s, void *userdata)
{
	ClTransferd *d = userdata;

	for (guint i = 0; i < d->cages->len; i++) {
		Cage *cage = g_ptr_array_index(d->cages, i);

		for (guint j = cage->connections->len; j > 0; j--)
			if (((Connection *)g_ptr_array_index(cage->connections, j - 1))->dead)
				g_ptr_array_remove_index_fast(cage->connections, j - 1);
	}
	return 0;
}

static int handle_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	Cage *cage = userdata;
	ClTransferd *d = cage->d;
	_cleanup_close_ int cfd = -1;
	Connection *c;
	int r;

	cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (cfd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			cl_log_errno(LOG_WARNING, errno, "cage %s: accept", cage->config->id);
		return 0;
	}
	if (cage->connections->len >= d->limits.max_connections) {
		if (!cage->refusing)
			cl_warn("cage %s: refusing connections: limit of %u connections reached",
			        cage->config->id, d->limits.max_connections);
		cage->refusing = true;
		return 0;
	}
	cage->refusing = false;
	c = g_new0(Connection, 1);
	c->cage = cage;
	r = sd_bus_new(&c->bus);
	if (r >= 0)
		r = sd_bus_set_fd(c->bus, cfd, cfd);
	if (r >= 0) {
		cfd = -1;
		r = sd_bus_set_server(c->bus, 1, d->server_id);
	}
	if (r >= 0)
		r = sd_bus_set_anonymous(c->bus, 1);
	if (r >= 0)
		r = sd_bus_add_object_vtable(c->bus, NULL, CL_CAGE_TRANSFER_PATH,
		                             CL_CAGE_TRANSFER_IFACE, cage_vtable, c);
	if (r >= 0)
		r = sd_bus_match_signal(c->bus, NULL, NULL, "/org/freedesktop/DBus/Local",
		                        "org.freedesktop.DBus.Local", "Disconnected",
		                        handle_disconnected, c);
	if (r >= 0)
		r = sd_bus_start(c->bus);
	if (r >= 0)
		r = sd_bus_attach_event(c->bus, d->event, SD_EVENT_PRIORITY_NORMAL);
	if (r >= 0)
		r = cl_daemon_add_bus_drain(d->event, c->bus, SD_EVENT_PRIORITY_NORMAL, &c->drain);
	if (r < 0) {
		cl_log_errno(LOG_DEBUG, r, "cage %s: cannot set up a connection", cage->config->id);
		connection_free(c);
		return 0;
	}
	g_ptr_array_add(cage->connections, c);
	cl_debug("cage %s: a client connected (%u connections)", cage->config->id,
	         cage->connections->len);
	return 0;
}

/* ---- core side ------------------------------------------------------------- */

static void append_sv(sd_bus_message *m, const char *key, const char *type, ...)
{
	va_list ap;

	sd_bus_message_open_container(m, 'e', "sv");
	sd_bus_message_append(m, "s", key);
	sd_bus_message_open_container(m, 'v', type);
	va_start(ap, type);
	sd_bus_message_appendv(m, type, ap);
	va_end(ap);
	sd_bus_message_close_container(m);
	sd_bus_message_close_container(m);
}

/* The a{sv} of a request waiting for a decision.  Errors (ENOMEM) surface in
 * the message's sealing. */
static void append_details(sd_bus_message *m, Request *req)
{
	const ClCage *src = req->cage->config;
	bool requested_ok = false;

	for (guint i = 0; i < req->targets->len; i++)
		requested_ok |=
		        ((Target *)g_ptr_array_index(req->targets, i))->cage == req->requested;

	sd_bus_message_open_container(m, 'a', "{sv}");
	append_sv(m, "source_cage", "s", src->id);
	append_sv(m, "source_level", "s", src->level->id);
	append_sv(m, "source_label", "s", src->level->label);
	append_sv(m, "source_colour", "s", src->level->colour);
	append_sv(m, "name", "s", req->name);
	append_sv(m, "size", "t", req->snap.size);
	append_sv(m, "mime_type", "s", req->mime_type);
	append_sv(m, "sha256", "s", req->snap.sha256);
	append_sv(m, "requested_target", "s", requested_ok ? req->requested->id : "");
	append_sv(m, "expires", "t", req->expires);

	sd_bus_message_open_container(m, 'e', "sv");
	sd_bus_message_append(m, "s", "targets");
	sd_bus_message_open_container(m, 'v', "a(sssssbb)");
	sd_bus_message_open_container(m, 'a', "(sssssbb)");
	for (guint i = 0; i < req->targets->len; i++) {
		Target *t = g_ptr_array_index(req->targets, i);

		sd_bus_message_append(
		        m, "(sssssbb)", t->cage->id, t->cage->level->id, t->cage->level->label,
		        t->cage->level->colour, cl_direction_to_string(t->decision.direction),
		        t->decision.action == CL_ACTION_ASK_DECLASSIFY, t->decision.require_reason);
	}
	sd_bus_message_close_container(m);
	sd_bus_message_close_container(m);
	sd_bus_message_close_container(m);
	sd_bus_message_close_container(m);
}

static gint compare_expiry(gconstpointer a, gconstpointer b)
{
	const Request *ra = *(Request *const *)a, *rb = *(Request *const *)b;

	return ra->expires < rb->expires ? -1 : ra->expires > rb->expires;
}

static int method_list_pending(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	ClTransferd *d = userdata;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	g_autoptr(GPtrArray) pending = g_ptr_array_new();
	GHashTableIter iter;
	gpointer value;
	int r;

	g_hash_table_iter_init(&iter, d->requests);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		if (((Request *)value)->state == STATE_PROMPT)
			g_ptr_array_add(pending, value);
	g_ptr_array_sort(pending, compare_expiry);

	r = sd_bus_message_new_method_return(m, &reply);
	if (r < 0)
		return r;
	sd_bus_message_open_container(reply, 'a', "(sa{sv})");
	for (guint i = 0; i < pending->len; i++) {
		Request *req = g_ptr_array_index(pending, i);

		sd_bus_message_open_container(reply, 'r', "sa{sv}");
		sd_bus_message_append(reply, "s", req->id);
		append_details(reply, req);
		sd_bus_message_close_container(reply);
	}
	r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

static bool reason_is_valid(const char *reason)
{
	const char *p;

	if (strlen(reason) > CL_TRANSFERD_REASON_MAX || !g_utf8_validate(reason, -1, NULL))
		return false;
	for (p = reason; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_iscntrl(c) || g_unichar_type(c) == G_UNICODE_FORMAT || c == 0x2028 ||
		    c == 0x2029)
			return false;
	}
	return true;
}

static int method_decide(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	ClTransferd *d = userdata;
	g_autoptr(GError) error = NULL;
	const char *id, *target, *reason;
	Request *req = NULL;
	Target *chosen = NULL;
	ClAuditRecord rec;
	g_autofree char *rule = NULL;
	int approve, r;

	r = sd_bus_message_read(m, "sbss", &id, &approve, &target, &reason);
	if (r < 0)
		return r;
	if (id_is_valid(id))
		req = g_hash_table_lookup(d->requests, id);
	if (!req || req->state != STATE_PROMPT)
		return sd_bus_error_set(ret_error, CL_TRANSFER_ERROR_UNKNOWN_TRANSFER,
		                        _("no transfer with this id is waiting for a decision"));
	if (!reason_is_valid(reason))
		return sd_bus_error_setf(ret_error, CL_TRANSFER_ERROR_INVALID_REASON,
		                         _("the reason must be at most %d bytes of text without "
		                           "control characters"),
		                         CL_TRANSFERD_REASON_MAX);
	if (approve) {
		for (guint i = 0; i < req->targets->len && !chosen; i++) {
			Target *t = g_ptr_array_index(req->targets, i);

			if (strcmp(t->cage->id, target) == 0)
				chosen = t;
		}
		if (!chosen)
			return sd_bus_error_set(ret_error, CL_TRANSFER_ERROR_INVALID_TARGET,
			                        _("this transfer is not allowed to that target"));
		if (chosen->decision.require_reason && !*reason)
			return sd_bus_error_set(ret_error, CL_TRANSFER_ERROR_INVALID_REASON,
			                        _("this declassification needs a reason"));
	}

	r = sd_bus_reply_method_return(m, "");
	req->expiry = sd_event_source_disable_unref(req->expiry);
	req->reason = *reason ? g_strdup(reason) : NULL;
	req->chosen = chosen;
	audit_fill(req, &rec, "decision");
	rule = rule_text(chosen ? chosen->decision.rule : NULL);
	rec.rule = rule;
	rec.decision = approve ? "approved" : "denied";
	rec.reason = req->reason;
	if (!audit_append(d, &rec, &error)) {
		g_autofree char *msg =
		        g_strdup_printf(_("the audit log cannot be written: %s"), error->message);
		finish(req, "failed", msg);
		return r;
	}
	if (!approve) {
		g_autofree char *msg =
		        req->reason ? g_strdup_printf(_("denied by the user: %s"), req->reason)
		                    : g_strdup(_("denied by the user"));

		req->user_decided = true;
		finish(req, "denied", msg);
		return r;
	}
	post_request_event(req, CL_EVENT_TRANSFER_APPROVED, NULL);
	req->state = STATE_WAITING;
	g_queue_push_tail(&d->landings, req);
	schedule(d);
	return r;
}

static const sd_bus_vtable core_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("ListPending", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sa{sv})", pending),
                                method_list_pending, 0),
        SD_BUS_METHOD_WITH_ARGS("Decide",
                                SD_BUS_ARGS("s", id, "b", approve, "s", target, "s", reason),
                                SD_BUS_NO_RESULT, method_decide, 0),
        SD_BUS_SIGNAL_WITH_ARGS("PromptRequested", SD_BUS_ARGS("s", id, "a{sv}", details), 0),
        SD_BUS_SIGNAL_WITH_ARGS("Finished", SD_BUS_ARGS("s", id, "s", outcome, "s", detail), 0),
        SD_BUS_VTABLE_END,
};

/* ---- set-up ---------------------------------------------------------------- */

static bool fail_errno(GError **error, int err, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static bool fail_errno(GError **error, int err, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "%s: %s", msg,
	            g_strerror(err));
	return false;
}

static int open_data_home(const char *data_home, GError **error)
{
	if (mkdir(data_home, 0700) < 0 && errno != EEXIST) {
		fail_errno(error, errno, _("cannot create %s"), data_home);
		return -1;
	}
	int fd = open(data_home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		fail_errno(error, errno, _("cannot open %s"), data_home);
	return fd;
}

static bool listen_cage(ClTransferd *d, Cage *cage, const ClTransferdOptions *options,
                        int runtime_fd, int passed_fd, GError **error)
{
	_cleanup_close_ int dir_fd = -1;
	int r;

	cage->socket_path =
	        cl_paths_socket(options->runtime_dir, cage->config->id, CL_SOCKET_TRANSFER, error);
	if (!cage->socket_path)
		return false;
	if (passed_fd >= 0) {
		/* The session's socket (checked already): it outlives us. */
		cage->listen_fd = passed_fd;
	} else {
		dir_fd = cl_paths_ensure_cage_runtime(runtime_fd, cage->config->id, error);
		if (dir_fd < 0)
			return false;
		cage->listen_fd = cl_listen_unix_at(dir_fd, CL_SOCKET_TRANSFER, cage->socket_path,
		                                    "cloison-transferd", error);
		if (cage->listen_fd < 0)
			return false;
		cage->owns_socket = true;
	}
	r = sd_event_add_io(d->event, &cage->accept_source, cage->listen_fd, EPOLLIN, handle_accept,
	                    cage);
	if (r < 0)
		return fail_errno(error, -r, "sd_event_add_io");
	return true;
}

static void cage_free(Cage *cage)
{
	if (!cage)
		return;
	sd_event_source_disable_unref(cage->accept_source);
	cl_close(cage->listen_fd);
	/* Only a socket we created; never the session's, never another broker's. */
	if (cage->owns_socket)
		unlink(cage->socket_path);
	g_ptr_array_unref(cage->connections);
	g_queue_clear(&cage->queue);
	g_free(cage->socket_path);
	g_free(cage);
}

static bool connect_core(ClTransferd *d, const char *address, GError **error)
{
	int r;

	if (!address)
		address = g_getenv("DBUS_SESSION_BUS_ADDRESS");
	if (!address || !*address) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
		            _("no core bus: set DBUS_SESSION_BUS_ADDRESS or use --bus ADDRESS"));
		return false;
	}
	r = sd_bus_new(&d->core);
	if (r >= 0)
		r = sd_bus_set_address(d->core, address);
	if (r >= 0)
		r = sd_bus_set_bus_client(d->core, 1);
	if (r >= 0)
		r = sd_bus_set_exit_on_disconnect(d->core, 1);
	if (r >= 0)
		r = sd_bus_start(d->core);
	if (r < 0)
		return fail_errno(error, -r, _("cannot connect to the core bus %s"), address);
	r = sd_bus_add_object_vtable(d->core, &d->core_slot, CL_TRANSFER_PATH, CL_TRANSFER_IFACE,
	                             core_vtable, d);
	if (r < 0)
		return fail_errno(error, -r, "sd_bus_add_object_vtable");
	r = sd_bus_request_name(d->core, CL_TRANSFER_BUS_NAME, 0);
	if (r < 0)
		return fail_errno(error, -r, _("cannot own the name %s on the core bus"),
		                  CL_TRANSFER_BUS_NAME);
	r = sd_bus_attach_event(d->core, d->event, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0)
		return fail_errno(error, -r, "sd_bus_attach_event");
	return true;
}

ClTransferd *cl_transferd_new(sd_event *event, const ClTransferdOptions *options, GError **error)
{
	g_autoptr(ClTransferd) d = g_new0(ClTransferd, 1);
	_cleanup_close_ int cloison_fd = -1;
	_cleanup_close_ int runtime_fd = -1;
	_cleanup_close_ int state_fd = -1;
	g_autofree char *staging = NULL;
	int r;

	d->event = sd_event_ref(event);
	d->config = options->config;
	d->limits = options->limits;
	d->data_home = g_strdup(options->data_home);
	d->data_fd = d->staging_fd = d->event_fd = -1;
	d->cages = g_ptr_array_new_with_free_func((GDestroyNotify)cage_free);
	d->requests =
	        g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)request_free);
	d->jobs = g_async_queue_new();
	d->done = g_async_queue_new();
	g_queue_init(&d->landings);
	d->event_limit = cl_event_limit_new(0);
	if (sd_id128_randomize(&d->server_id) < 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "sd_id128_randomize");
		return NULL;
	}

	/* Staging, emptied of what a killed broker left. */
	d->data_fd = open_data_home(options->data_home, error);
	if (d->data_fd < 0)
		return NULL;
	cloison_fd = cl_mkdir_secure_at(d->data_fd, "cloison", options->data_home, error);
	if (cloison_fd < 0)
		return NULL;
	staging = g_build_filename(options->data_home, "cloison", "staging", NULL);
	d->staging_fd = cl_mkdir_secure_at(cloison_fd, "staging", staging, error);
	if (d->staging_fd < 0)
		return NULL;
	r = cl_staging_reclaim(d->staging_fd, error);
	if (r < 0)
		return NULL;
	if (r > 0)
		cl_notice("staging: removed %d stale entries", r);

	state_fd = cl_paths_ensure_state_dir(options->state_home, error);
	if (state_fd < 0)
		return NULL;
	d->audit = cl_audit_open(state_fd, error);
	if (!d->audit)
		return NULL;

	d->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->event_fd < 0) {
		fail_errno(error, errno, "eventfd");
		return NULL;
	}
	r = sd_event_add_io(event, &d->event_source, d->event_fd, EPOLLIN, handle_event_fd, d);
	if (r >= 0)
		r = sd_event_add_defer(event, &d->reaper, handle_reap, d);
	if (r >= 0)
		r = sd_event_source_set_enabled(d->reaper, SD_EVENT_OFF);
	if (r < 0) {
		fail_errno(error, -r, "sd_event_add_io");
		return NULL;
	}
	for (unsigned i = 0; i < CL_TRANSFERD_WORKERS; i++)
		d->workers[i] = g_thread_new("transfer-worker", worker_main, d);

	if (!options->listen_fds) {
		runtime_fd = cl_paths_ensure_runtime(options->runtime_dir, error);
		if (runtime_fd < 0)
			return NULL;
	}
	for (guint i = 0; i < d->config->cages->len; i++) {
		Cage *cage = g_new0(Cage, 1);

		cage->d = d;
		cage->config = g_ptr_array_index(d->config->cages, i);
		cage->listen_fd = -1;
		cage->connections = g_ptr_array_new_with_free_func((GDestroyNotify)connection_free);
		cage->tokens = d->limits.rate_burst;
		cage->tokens_at = now_usec(CLOCK_MONOTONIC);
		g_queue_init(&cage->queue);
		g_ptr_array_add(d->cages, cage);
		if (!listen_cage(d, cage, options, runtime_fd,
		                 options->listen_fds ? options->listen_fds[i] : -1, error))
			return NULL;
	}

	if (!connect_core(d, options->bus_address, error))
		return NULL;
	cl_info("listening for %u cages; core bus name %s", d->cages->len, CL_TRANSFER_BUS_NAME);
	return g_steal_pointer(&d);
}

void cl_transferd_free(ClTransferd *d)
{
	GHashTableIter iter;
	gpointer value;
	Job *job;

	if (!d)
		return;

	/* Stop the workers: cancel intakes, let landings end, then quit. */
	d->stopping = true;
	g_hash_table_iter_init(&iter, d->requests);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		atomic_store(&((Request *)value)->cancel, true);
	for (unsigned i = 0; i < CL_TRANSFERD_WORKERS; i++) {
		if (d->workers[i]) {
			job = g_new0(Job, 1);
			job->kind = JOB_QUIT;
			g_async_queue_push(d->jobs, job);
		}
	}
	for (unsigned i = 0; i < CL_TRANSFERD_WORKERS; i++)
		if (d->workers[i])
			g_thread_join(d->workers[i]);
	/* Jobs that ended meanwhile get their outcome (a landing that completed
	 * is delivered, an intake cancelled fails). */
	while ((job = g_async_queue_try_pop(d->done)))
		job_done(d, job);

	/* What is left was never delivered: say so in the log. */
	if (d->audit) {
		g_hash_table_iter_init(&iter, d->requests);
		while (g_hash_table_iter_next(&iter, NULL, &value)) {
			Request *req = value;
			g_autoptr(GError) error = NULL;
			ClAuditRecord rec;

			audit_fill(req, &rec, "outcome");
			rec.result = "failed";
			rec.detail = _("the broker stopped");
			if (!cl_audit_append(d->audit, &rec, &error))
				cl_error("audit log: %s", error->message);
		}
	}
	g_hash_table_unref(d->requests);
	g_queue_clear(&d->landings);
	g_ptr_array_unref(d->cages);

	sd_event_source_disable_unref(d->event_flush);
	cl_event_limit_free(d->event_limit);
	sd_bus_slot_unref(d->core_slot);
	if (d->core) {
		sd_bus_detach_event(d->core);
		sd_bus_flush_close_unref(d->core);
	}
	sd_event_source_disable_unref(d->event_source);
	sd_event_source_disable_unref(d->reaper);
	cl_close(d->event_fd);
	g_async_queue_unref(d->jobs);
	g_async_queue_unref(d->done);
	cl_audit_free(d->audit);
	cl_close(d->staging_fd);
	cl_close(d->data_fd);
	g_free(d->data_home);
	sd_event_unref(d->event);
	g_free(d);
}
