/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The audit log: one JSON object per line, each written by a single
 * write() on an O_APPEND file and fdatasync'd before the caller goes on.
 * A line that cannot be written whole is cut off again, so the log never
 * holds half a record.
 */
#include "cloison-build-config.h"

#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"
#include "intake.h"
#include "log.h"
#include "util.h"

struct ClAudit {
	int fd;
	GMutex lock; /* one line at a time when several threads append */
};

ClAudit *cl_audit_open(int state_dir_fd, GError **error)
{
	/* O_NONBLOCK: a FIFO planted under the name must not block us. */
	_cleanup_close_ int fd =
	        openat(state_dir_fd, CL_AUDIT_FILE,
	               O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	struct stat st;

	if (fd < 0) {
		int err = errno;
		g_set_error(error, CL_TRANSFER_ERROR,
		            err == ELOOP ? CL_TRANSFER_ERROR_FORBIDDEN_PATH : CL_TRANSFER_ERROR_IO,
		            _("cannot open the audit log %s: %s"), CL_AUDIT_FILE,
		            err == ELOOP ? _("it is a symbolic link") : g_strerror(err));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_FORBIDDEN_PATH,
		            _("the audit log %s is not a regular file of ours"), CL_AUDIT_FILE);
		return NULL;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0 ||
	    ((st.st_mode & 077) && fchmod(fd, 0600) < 0)) {
		g_set_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_IO,
		            _("cannot open the audit log %s: %s"), CL_AUDIT_FILE,
		            g_strerror(errno));
		return NULL;
	}

	ClAudit *audit = g_new0(ClAudit, 1);
	audit->fd = cl_steal_fd(&fd);
	g_mutex_init(&audit->lock);
	return audit;
}

void cl_audit_free(ClAudit *audit)
{
	if (!audit)
		return;
	cl_close(audit->fd);
	g_mutex_clear(&audit->lock);
	g_free(audit);
}

static void add_string(JsonBuilder *b, const char *key, const char *value)
{
	json_builder_set_member_name(b, key);
	if (!value) {
		json_builder_add_null_value(b);
		return;
	}
	/* Cage-supplied text may be anything: JSON needs valid UTF-8. */
	g_autofree char *valid = g_utf8_make_valid(value, -1);
	/*
	 * json-glib 1.6 escapes every C0 control character but U+001F, which
	 * it writes raw: invalid JSON (RFC 8259 §7) that strict readers of the
	 * log reject.  It becomes U+FFFD, as invalid UTF-8 does.
	 */
	g_auto(GStrv) parts = g_strsplit(valid, "\x1f", -1);
	g_autofree char *clean = g_strjoinv("\xef\xbf\xbd", parts);

	json_builder_add_string_value(b, clean);
}

static char *record_to_line(const ClAuditRecord *r)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree char *time = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S.%fZ");

	json_builder_begin_object(b);
	add_string(b, "time", time);
	add_string(b, "event", r->event);
	add_string(b, "id", r->id);
	add_string(b, "source_cage", r->source_cage);
	add_string(b, "source_level", r->source_level);
	add_string(b, "target_cage", r->target_cage);
	add_string(b, "target_level", r->target_level);
	add_string(b, "name", r->name);
	json_builder_set_member_name(b, "size");
	json_builder_add_int_value(b, (gint64)MIN(r->size, (uint64_t)G_MAXINT64));
	add_string(b, "sha256", r->sha256);
	add_string(b, "mime_type", r->mime_type);
	add_string(b, "rule", r->rule);
	add_string(b, "decision", r->decision);
	add_string(b, "reason", r->reason);
	add_string(b, "result", r->result);
	add_string(b, "detail", r->detail);
	json_builder_end_object(b);

	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	json_generator_set_root(gen, root);
	json_generator_set_pretty(gen, false);
	char *json = json_generator_to_data(gen, NULL);
	char *line = g_strconcat(json, "\n", NULL);
	g_free(json);
	return line;
}

bool cl_audit_append(ClAudit *audit, const ClAuditRecord *record, GError **error)
{
	g_autofree char *line = record_to_line(record);
	size_t len = strlen(line);
	struct stat st;
	int r;

	/* json-glib escapes control characters: one record is one line. */
	if (memchr(line, '\n', len) != line + len - 1) {
		g_set_error_literal(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_IO,
		                    _("an audit record does not fit on one line"));
		return false;
	}

	g_mutex_lock(&audit->lock);
	bool have_size = fstat(audit->fd, &st) == 0;
	r = have_size ? cl_write_all(audit->fd, line, len) : -errno;
	if (r == 0 && fdatasync(audit->fd) < 0)
		r = -errno;
	if (r < 0 && have_size) {
		/* Take back a partial line (only this process writes the log). */
		if (ftruncate(audit->fd, st.st_size) == 0)
			fdatasync(audit->fd);
	}
	g_mutex_unlock(&audit->lock);

	if (r < 0) {
		g_set_error(error, CL_TRANSFER_ERROR,
		            r == -ENOSPC || r == -EDQUOT ? CL_TRANSFER_ERROR_NO_SPACE
		                                         : CL_TRANSFER_ERROR_IO,
		            _("cannot write the audit log: %s"), g_strerror(-r));
		return false;
	}

	/* The journal gets the same facts (cl_log escapes hostile text). */
	cl_log(LOG_NOTICE,
	       "transfer %s: event=%s from=%s to=%s name=%s size=%" G_GUINT64_FORMAT
	       " sha256=%s type=%s decision=%s result=%s reason=%s detail=%s",
	       record->id ? record->id : "-", record->event ? record->event : "-",
	       record->source_cage ? record->source_cage : "-",
	       record->target_cage ? record->target_cage : "-", record->name ? record->name : "-",
	       (guint64)record->size, record->sha256 ? record->sha256 : "-",
	       record->mime_type ? record->mime_type : "-",
	       record->decision ? record->decision : "-", record->result ? record->result : "-",
	       record->reason ? record->reason : "-", record->detail ? record->detail : "-");
	return true;
}
