/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests of transfer/audit.c: JSON lines, hostile strings, refusals. */
#include "cloison-build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "intake.h"
#include "log.h"
#include "transfer-test-util.h"
#include "util.h"

static const ClAuditRecord request = {
        .event = "request",
        .id = "0123456789abcdef0123456789abcdef",
        .source_cage = "low",
        .source_level = "low",
        .target_cage = "high",
        .target_level = "high",
        .name = "report.pdf",
        .size = 12345,
        .sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        .mime_type = "application/pdf",
        .rule = "low->high: ask",
};

static char **read_lines(const char *dir)
{
	g_autofree char *path = g_build_filename(dir, CL_AUDIT_FILE, NULL);
	g_autofree char *data = NULL;
	gsize len = 0;

	g_assert_true(g_file_get_contents(path, &data, &len, NULL));
	g_assert_cmpuint(strlen(data), ==, len);
	g_assert_true(len == 0 || data[len - 1] == '\n');
	if (len > 0)
		data[len - 1] = '\0';
	return len ? g_strsplit(data, "\n", -1) : g_new0(char *, 1);
}

static JsonObject *parse_line(JsonParser *parser, const char *line)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(json_parser_load_from_data(parser, line, -1, &error));
	g_assert_no_error(error);
	JsonNode *root = json_parser_get_root(parser);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(root));
	return json_node_get_object(root);
}

static void test_two_lines(void)
{
	g_autofree char *dir = tt_make_dir();
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	g_autoptr(GError) error = NULL;
	g_autoptr(ClAudit) audit = cl_audit_open(dfd, &error);
	g_assert_no_error(error);

	g_assert_true(cl_audit_append(audit, &request, &error));
	g_assert_no_error(error);
	ClAuditRecord outcome = request;
	outcome.event = "outcome";
	outcome.decision = "approved";
	outcome.reason = "needed for the report";
	outcome.result = "delivered";
	outcome.detail = "report (2).pdf";
	g_assert_true(cl_audit_append(audit, &outcome, &error));
	g_assert_no_error(error);

	g_auto(GStrv) lines = read_lines(dir);
	g_assert_cmpuint(g_strv_length(lines), ==, 2);
	g_autoptr(JsonParser) parser = json_parser_new();

	JsonObject *o = parse_line(parser, lines[0]);
	g_assert_cmpstr(json_object_get_string_member(o, "event"), ==, "request");
	g_assert_cmpstr(json_object_get_string_member(o, "id"), ==, request.id);
	g_assert_cmpstr(json_object_get_string_member(o, "source_cage"), ==, "low");
	g_assert_cmpstr(json_object_get_string_member(o, "target_level"), ==, "high");
	g_assert_cmpstr(json_object_get_string_member(o, "name"), ==, "report.pdf");
	g_assert_cmpint(json_object_get_int_member(o, "size"), ==, 12345);
	g_assert_cmpstr(json_object_get_string_member(o, "sha256"), ==, request.sha256);
	g_assert_cmpstr(json_object_get_string_member(o, "mime_type"), ==, "application/pdf");
	g_assert_cmpstr(json_object_get_string_member(o, "rule"), ==, "low->high: ask");
	g_assert_true(json_object_get_null_member(o, "decision"));
	g_assert_true(json_object_get_null_member(o, "result"));
	const char *time = json_object_get_string_member(o, "time");
	g_assert_true(g_regex_match_simple(
	        "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$", time, 0, 0));
	g_autoptr(GDateTime) parsed = g_date_time_new_from_iso8601(time, NULL);
	g_assert_nonnull(parsed);

	o = parse_line(parser, lines[1]);
	g_assert_cmpstr(json_object_get_string_member(o, "event"), ==, "outcome");
	g_assert_cmpstr(json_object_get_string_member(o, "result"), ==, "delivered");
	g_assert_cmpstr(json_object_get_string_member(o, "detail"), ==, "report (2).pdf");
	g_assert_cmpstr(json_object_get_string_member(o, "reason"), ==, "needed for the report");

	/* 0600, and a reopened log appends after what is there. */
	g_autofree char *path = g_build_filename(dir, CL_AUDIT_FILE, NULL);
	struct stat st;
	g_assert_cmpint(stat(path, &st), ==, 0);
	g_assert_cmpuint(st.st_mode & 07777, ==, 0600);
	g_clear_pointer(&audit, cl_audit_free);
	audit = cl_audit_open(dfd, &error);
	g_assert_no_error(error);
	g_assert_true(cl_audit_append(audit, &request, &error));
	g_auto(GStrv) three = read_lines(dir);
	g_assert_cmpuint(g_strv_length(three), ==, 3);
	g_assert_cmpstr(three[0], ==, lines[0]);
	tt_remove_tree(dir);
}

static void test_hostile_strings(void)
{
	g_autofree char *dir = tt_make_dir();
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	g_autoptr(GError) error = NULL;
	g_autoptr(ClAudit) audit = cl_audit_open(dfd, &error);
	g_assert_no_error(error);
	ClAuditRecord r = request;

	r.name = "evil\xff\xfe name\n{\"event\":\"outcome\"}\r\x1b[31m\"\\";
	r.reason = "line1\nline2\xe2\x80\xa8";
	r.detail = "\xc0\xaf";
	r.result = "\b\f\t\x01\x1f\x7f/\xc3\xa9";
	g_assert_true(cl_audit_append(audit, &r, &error));
	g_assert_no_error(error);

	g_auto(GStrv) lines = read_lines(dir);
	g_assert_cmpuint(g_strv_length(lines), ==, 1);
	g_assert_true(g_utf8_validate(lines[0], -1, NULL));
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *o = parse_line(parser, lines[0]);
	const char *name = json_object_get_string_member(o, "name");
	g_assert_true(g_str_has_prefix(name, "evil\xef\xbf\xbd"));
	g_assert_nonnull(strstr(name, "\n{\"event\":\"outcome\"}\r\x1b[31m\"\\"));
	g_assert_cmpstr(json_object_get_string_member(o, "event"), ==, "request");
	g_assert_cmpstr(json_object_get_string_member(o, "reason"), ==, "line1\nline2\xe2\x80\xa8");
	g_assert_true(g_utf8_validate(json_object_get_string_member(o, "detail"), -1, NULL));
	/* U+001F, which json-glib would write raw, is replaced (audit.c). */
	g_assert_cmpstr(json_object_get_string_member(o, "result"), ==,
	                "\b\f\t\x01\xef\xbf\xbd\x7f/\xc3\xa9");
	/* No C0 control character is written raw: a record stays one line. */
	for (const char *c = lines[0]; *c; c++)
		g_assert_true((unsigned char)*c >= 0x20);
	tt_remove_tree(dir);
}

static void test_refused(void)
{
	g_autofree char *dir = tt_make_dir();
	g_autofree char *other = g_build_filename(dir, "elsewhere", NULL);
	g_autofree char *path = g_build_filename(dir, CL_AUDIT_FILE, NULL);
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	g_autoptr(GError) error = NULL;

	/* A symlink: refused, nothing written through it. */
	tt_write_file(dir, "elsewhere", "", 0);
	g_assert_cmpint(symlink(other, path), ==, 0);
	g_assert_null(cl_audit_open(dfd, &error));
	g_assert_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_FORBIDDEN_PATH);
	g_assert_nonnull(strstr(error->message, "symbolic link"));
	g_clear_error(&error);
	struct stat st;
	g_assert_cmpint(stat(other, &st), ==, 0);
	g_assert_cmpint(st.st_size, ==, 0);

	/* A FIFO: refused at once (an alarm would end a blocked test). */
	g_assert_cmpint(unlink(path), ==, 0);
	g_assert_cmpint(mkfifo(path, 0600), ==, 0);
	alarm(10);
	g_assert_null(cl_audit_open(dfd, &error));
	alarm(0);
	g_assert_nonnull(error);
	g_clear_error(&error);

	/* A directory. */
	g_assert_cmpint(unlink(path), ==, 0);
	g_assert_cmpint(g_mkdir(path, 0700), ==, 0);
	g_assert_null(cl_audit_open(dfd, &error));
	g_assert_nonnull(error);
	tt_remove_tree(dir);
}

static void test_disk_full(void)
{
	if (!tt_require_mounts())
		return;
	/* The state directory is full: the append fails and leaves no half line. */
	g_autofree char *dir = tt_mount_tmpfs(64);
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	g_autoptr(GError) error = NULL;
	g_autoptr(ClAudit) audit = cl_audit_open(dfd, &error);
	g_assert_no_error(error);
	g_assert_true(cl_audit_append(audit, &request, &error));

	/* Fill the file system to the last byte. */
	g_autofree char *filler = g_build_filename(dir, "filler", NULL);
	int fd = open(filler, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	g_assert_cmpint(fd, >=, 0);
	char block[4096] = {0};
	while (write(fd, block, sizeof(block)) > 0)
		;
	close(fd);

	/* A long record needs a new page of the log. */
	ClAuditRecord big = request;
	g_autofree char *reason = g_strnfill(3000, 'r');
	big.reason = reason;
	bool ok = true;
	for (int i = 0; i < 4 && ok; i++)
		ok = cl_audit_append(audit, &big, &error);
	g_assert_false(ok);
	g_assert_error(error, CL_TRANSFER_ERROR, CL_TRANSFER_ERROR_NO_SPACE);

	g_auto(GStrv) lines = read_lines(dir);
	g_autoptr(JsonParser) parser = json_parser_new();
	for (char **l = lines; *l; l++)
		parse_line(parser, *l);
	g_clear_pointer(&audit, cl_audit_free);
	dfd = cl_close(dfd);
	tt_remove_tree(dir);
}

int main(int argc, char **argv)
{
	const char *why = NULL;

	setlocale(LC_ALL, "");
	g_test_init(&argc, &argv, NULL);
	cl_log_init("test-transfer-audit");
	cl_log_set_journal(0);
	cl_log_set_max_level(LOG_WARNING);
	if (!tt_private_mounts(&why))
		g_test_message("mount tests cannot run: %s", why);
	g_test_add_func("/transfer/audit/two-lines", test_two_lines);
	g_test_add_func("/transfer/audit/hostile-strings", test_hostile_strings);
	g_test_add_func("/transfer/audit/refused", test_refused);
	g_test_add_func("/transfer/audit/disk-full", test_disk_full);
	return g_test_run();
}
