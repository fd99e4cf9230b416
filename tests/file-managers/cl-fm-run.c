/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cl-fm-run: runs an action of Cloison's file-manager files the way each
 * file manager runs it, for tests/file-managers/run-actions.sh.
 *
 *   cl-fm-run thunar UCA.XML UNIQUE-ID FILE...
 *       the <command> of that <action>: %f %F %n %N %% expanded with each
 *       path quoted by g_shell_quote() and joined by spaces, then
 *       /bin/sh -c COMMAND (what Thunar's uca model does);
 *   cl-fm-run dolphin FILE.desktop ACTION FILE...
 *       Exec of [Desktop Action ACTION] split into words (desktop entry
 *       quoting), a word %F replaced by one argument per path, %f by the
 *       first, %U by file:// URIs, then exec'd without a shell (KIO);
 *   cl-fm-run nemo FILE.nemo_action FILE...
 *       Exec of [Nemo Action], %F expanded with Quote= (single: each path in
 *       '…' with ' as '\''; double; none: shell characters escaped), joined
 *       by spaces, then split like g_spawn_command_line_async() and exec'd
 *       without a shell (Nemo);
 *   cl-fm-run check-dolphin FILE.desktop / check-nemo FILE.nemo_action
 *       the keys each file manager needs, read with GKeyFile; one line per
 *       problem, exit 1 if any.
 *
 * --path DIR before the mode prepends DIR to $PATH (where the test put
 * cloison-transfer in the cage).  The child's exit status is returned.
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int run_argv(char **argv)
{
	int status;
	g_autoptr(GError) error = NULL;

	if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_CHILD_INHERITS_STDIN,
	                  NULL, NULL, NULL, NULL, &status, &error)) {
		fprintf(stderr, "cl-fm-run: %s\n", error->message);
		return 127;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- Thunar --------------------------------------------------------------- */

typedef struct {
	const char *want;
	gboolean in_action, in_id, in_command;
	GString *id, *command;
	char *found;
} Uca;

static void uca_start(GMarkupParseContext *ctx, const char *name, const char **attr_names,
                      const char **attr_values, gpointer data, GError **error)
{
	Uca *u = data;

	if (strcmp(name, "action") == 0) {
		u->in_action = TRUE;
		g_string_truncate(u->id, 0);
		g_string_truncate(u->command, 0);
	}
	u->in_id = u->in_action && strcmp(name, "unique-id") == 0;
	u->in_command = u->in_action && strcmp(name, "command") == 0;
}

static void uca_end(GMarkupParseContext *ctx, const char *name, gpointer data, GError **error)
{
	Uca *u = data;

	u->in_id = u->in_command = FALSE;
	if (strcmp(name, "action") == 0) {
		u->in_action = FALSE;
		if (strcmp(u->id->str, u->want) == 0 && !u->found)
			u->found = g_strdup(u->command->str);
	}
}

static void uca_text(GMarkupParseContext *ctx, const char *text, gsize len, gpointer data,
                     GError **error)
{
	Uca *u = data;

	if (u->in_id)
		g_string_append_len(u->id, text, (gssize)len);
	else if (u->in_command)
		g_string_append_len(u->command, text, (gssize)len);
}

static int thunar(const char *xml, const char *id, char **files, int n)
{
	static const GMarkupParser parser = {uca_start, uca_end, uca_text, NULL, NULL};
	g_autofree char *text = NULL;
	g_autoptr(GError) error = NULL;
	Uca u = {.want = id, .id = g_string_new(""), .command = g_string_new("")};
	g_autoptr(GMarkupParseContext) ctx = g_markup_parse_context_new(&parser, 0, &u, NULL);
	g_autoptr(GString) line = g_string_new("");
	char *argv[4];

	if (!g_file_get_contents(xml, &text, NULL, &error) ||
	    !g_markup_parse_context_parse(ctx, text, -1, &error) ||
	    !g_markup_parse_context_end_parse(ctx, &error)) {
		fprintf(stderr, "cl-fm-run: %s\n", error->message);
		return 127;
	}
	g_string_free(u.id, TRUE);
	g_string_free(u.command, TRUE);
	if (!u.found) {
		fprintf(stderr, "cl-fm-run: no action %s in %s\n", id, xml);
		return 127;
	}
	for (const char *p = u.found; *p; p++) {
		if (*p != '%' || !p[1]) {
			g_string_append_c(line, *p);
			continue;
		}
		switch (*++p) {
		case 'f':
		case 'F':
		case 'n':
		case 'N':
			for (int i = 0; i < n && (i == 0 || *p == 'F' || *p == 'N'); i++) {
				g_autofree char *base = g_path_get_basename(files[i]);
				g_autofree char *q =
				        g_shell_quote(*p == 'f' || *p == 'F' ? files[i] : base);

				if (i)
					g_string_append_c(line, ' ');
				g_string_append(line, q);
			}
			break;
		case '%':
			g_string_append_c(line, '%');
			break;
		default:
			break;
		}
	}
	g_free(u.found);
	argv[0] = (char *)"/bin/sh";
	argv[1] = (char *)"-c";
	argv[2] = line->str;
	argv[3] = NULL;
	return run_argv(argv);
}

/* ---- Dolphin -------------------------------------------------------------- */

static int dolphin(const char *path, const char *action, char **files, int n)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *group = g_strdup_printf("Desktop Action %s", action);
	g_autofree char *exec = NULL;
	g_auto(GStrv) words = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &error) ||
	    !(exec = g_key_file_get_string(kf, group, "Exec", &error)) ||
	    !g_shell_parse_argv(exec, NULL, &words, &error)) {
		fprintf(stderr, "cl-fm-run: %s\n", error->message);
		return 127;
	}
	for (char **w = words; *w; w++) {
		if (strcmp(*w, "%F") == 0) {
			for (int i = 0; i < n; i++)
				g_ptr_array_add(argv, g_strdup(files[i]));
		} else if (strcmp(*w, "%f") == 0) {
			if (n)
				g_ptr_array_add(argv, g_strdup(files[0]));
		} else if (strcmp(*w, "%U") == 0) {
			for (int i = 0; i < n; i++)
				g_ptr_array_add(argv, g_filename_to_uri(files[i], NULL, NULL));
		} else {
			g_ptr_array_add(argv, g_strdup(*w));
		}
	}
	g_ptr_array_add(argv, NULL);
	return run_argv((char **)argv->pdata);
}

/* ---- Nemo ----------------------------------------------------------------- */

static char *nemo_path(const char *quote, const char *path)
{
	GString *out = g_string_new("");

	for (const char *p = path; *p; p++) {
		if (strcmp(quote, "single") == 0) {
			if (*p == '\'')
				g_string_append(out, "'\\''");
			else
				g_string_append_c(out, *p);
		} else if (strcmp(quote, "double") == 0) {
			if (strchr("\"\\$`", *p))
				g_string_append_c(out, '\\');
			g_string_append_c(out, *p);
		} else {
			if (strchr(" \t\n'\"\\$`()&;|<>*?[]{}!#~", *p))
				g_string_append_c(out, '\\');
			g_string_append_c(out, *p);
		}
	}
	return g_string_free(out, FALSE);
}

static int nemo(const char *path, char **files, int n)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *exec = NULL, *quote = NULL;
	g_autoptr(GString) line = g_string_new("");
	g_auto(GStrv) argv = NULL;
	const char *q;

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &error) ||
	    !(exec = g_key_file_get_string(kf, "Nemo Action", "Exec", &error))) {
		fprintf(stderr, "cl-fm-run: %s\n", error->message);
		return 127;
	}
	quote = g_key_file_get_string(kf, "Nemo Action", "Quote", NULL);
	if (!quote)
		quote = g_strdup("none");
	q = strcmp(quote, "single") == 0 ? "'" : strcmp(quote, "double") == 0 ? "\"" : "";
	for (const char *p = exec; *p; p++) {
		if (p[0] == '%' && p[1] == 'F') {
			for (int i = 0; i < n; i++) {
				g_autofree char *e = nemo_path(quote, files[i]);

				g_string_append_printf(line, "%s%s%s%s", i ? " " : "", q, e, q);
			}
			p++;
		} else {
			g_string_append_c(line, *p);
		}
	}
	if (!g_shell_parse_argv(line->str, NULL, &argv, &error)) {
		fprintf(stderr, "cl-fm-run: %s\n", error->message);
		return 127;
	}
	return run_argv(argv);
}

/* ---- key checks ----------------------------------------------------------- */

static int problems;

static void problem(const char *file, const char *what)
{
	printf("%s: %s\n", file, what);
	problems++;
}

static void need(GKeyFile *kf, const char *file, const char *group, const char *key,
                 const char *want)
{
	g_autofree char *v = g_key_file_get_string(kf, group, key, NULL);
	g_autofree char *msg = NULL;

	if (!v)
		msg = g_strdup_printf("[%s] %s is missing", group, key);
	else if (want && strcmp(v, want) != 0)
		msg = g_strdup_printf("[%s] %s is '%s', not '%s'", group, key, v, want);
	if (msg)
		problem(file, msg);
}

/* Exec runs cloison-transfer --gui with the paths after "--". */
static void check_exec(GKeyFile *kf, const char *file, const char *group)
{
	g_autofree char *exec = g_key_file_get_string(kf, group, "Exec", NULL);
	g_auto(GStrv) w = NULL;
	guint n;

	if (!exec || !g_shell_parse_argv(exec, NULL, &w, NULL)) {
		problem(file, "Exec is missing or cannot be split");
		return;
	}
	n = g_strv_length(w);
	if (n < 4 || strcmp(w[0], "cloison-transfer") != 0 || strcmp(w[1], "--gui") != 0 ||
	    strcmp(w[n - 2], "--") != 0 || strcmp(w[n - 1], "%F") != 0)
		problem(file, "Exec is not 'cloison-transfer --gui [--move] -- %F'");
}

static int check_dolphin(const char *file)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_auto(GStrv) actions = NULL, types = NULL;

	if (!g_key_file_load_from_file(kf, file, G_KEY_FILE_NONE, NULL)) {
		problem(file, "not a key file");
		return 1;
	}
	need(kf, file, "Desktop Entry", "Type", "Service");
	need(kf, file, "Desktop Entry", "ServiceTypes", "KonqPopupMenu/Plugin");
	types = g_key_file_get_string_list(kf, "Desktop Entry", "MimeType", NULL, NULL);
	if (!types || !g_strv_contains((const char *const *)types, "application/octet-stream"))
		problem(file, "MimeType does not list application/octet-stream (every file)");
	actions = g_key_file_get_string_list(kf, "Desktop Entry", "Actions", NULL, NULL);
	if (!actions || g_strv_length(actions) != 2)
		problem(file, "Actions does not list two actions");
	for (char **a = actions; a && *a; a++) {
		g_autofree char *group = g_strdup_printf("Desktop Action %s", *a);

		need(kf, file, group, "Name", NULL);
		need(kf, file, group, "Icon", NULL);
		check_exec(kf, file, group);
	}
	return problems ? 1 : 0;
}

static int check_nemo(const char *file)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_auto(GStrv) ext = NULL;

	if (!g_key_file_load_from_file(kf, file, G_KEY_FILE_NONE, NULL)) {
		problem(file, "not a key file");
		return 1;
	}
	need(kf, file, "Nemo Action", "Active", "true");
	need(kf, file, "Nemo Action", "Name", NULL);
	need(kf, file, "Nemo Action", "Selection", "notnone");
	need(kf, file, "Nemo Action", "Quote", "single");
	ext = g_key_file_get_string_list(kf, "Nemo Action", "Extensions", NULL, NULL);
	if (!ext || !g_strv_contains((const char *const *)ext, "nodirs"))
		problem(file, "Extensions is not nodirs (every file, no folder)");
	check_exec(kf, file, "Nemo Action");
	return problems ? 1 : 0;
}

int main(int argc, char **argv)
{
	int i = 1;

	if (argc > 3 && strcmp(argv[1], "--path") == 0) {
		g_autofree char *path =
		        g_strdup_printf("%s:%s", argv[2], g_getenv("PATH") ?: "/usr/bin:/bin");

		g_setenv("PATH", path, TRUE);
		i = 3;
	}
	if (argc - i >= 3 && strcmp(argv[i], "thunar") == 0)
		return thunar(argv[i + 1], argv[i + 2], argv + i + 3, argc - i - 3);
	if (argc - i >= 3 && strcmp(argv[i], "dolphin") == 0)
		return dolphin(argv[i + 1], argv[i + 2], argv + i + 3, argc - i - 3);
	if (argc - i >= 2 && strcmp(argv[i], "nemo") == 0)
		return nemo(argv[i + 1], argv + i + 2, argc - i - 2);
	if (argc - i == 2 && strcmp(argv[i], "check-dolphin") == 0)
		return check_dolphin(argv[i + 1]);
	if (argc - i == 2 && strcmp(argv[i], "check-nemo") == 0)
		return check_nemo(argv[i + 1]);
	fprintf(stderr,
	        "usage: cl-fm-run [--path DIR] thunar|dolphin|nemo|check-dolphin|check-nemo ...\n");
	return 2;
}
