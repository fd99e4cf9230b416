/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of the session library's pure parts (session/session.c): the
 * demo configuration and where the programs are found.  The supervisor
 * itself is tested end to end by tests/session/run-session.sh.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "config.h"
#include "session.h"

static void test_demo_config(void)
{
	g_autofree char *text = cl_session_demo_config();
	g_autoptr(GError) error = NULL;
	g_autoptr(ClConfig) config = cl_config_load_data(text, strlen(text), "demo", &error);
	const ClCage *low, *high;
	const ClRule *up, *down;

	g_assert_no_error(error);
	g_assert_nonnull(config);
	g_assert_cmpuint(config->levels->len, ==, 2);
	low = cl_config_get_cage(config, CL_SESSION_DEMO_LOW);
	high = cl_config_get_cage(config, CL_SESSION_DEMO_HIGH);
	g_assert_nonnull(low);
	g_assert_nonnull(high);
	g_assert_true(low->autostart && high->autostart);
	g_assert_cmpstr(low->level->id, ==, "low");
	g_assert_cmpstr(high->level->id, ==, "high");
	g_assert_cmpstr(low->applications[0], ==, "foot");
	/* A file manager in each cage when one is installed (issue 9). */
	if (cl_session_demo_file_manager()) {
		g_assert_cmpstr(low->applications[1], ==, cl_session_demo_file_manager());
		g_assert_cmpstr(high->applications[1], ==, cl_session_demo_file_manager());
	} else {
		g_assert_null(low->applications[1]);
	}
	g_assert_false(low->network || high->network);
	up = cl_config_get_rule(config, low->level, high->level);
	down = cl_config_get_rule(config, high->level, low->level);
	g_assert_nonnull(up);
	g_assert_nonnull(down);
	g_assert_cmpint(up->action, ==, CL_ACTION_ASK);
	g_assert_cmpint(down->action, ==, CL_ACTION_ASK_DECLASSIFY);
}

static void unset_all(void)
{
	static const char *const vars[] = {"CLOISON_DBUS_DAEMON", "CLOISON_COMPOSITOR",
	                                   "CLOISON_BAR",         "CLOISON_TRANSFERD",
	                                   "CLOISON_NOTIFYD",     "CLOISON_CAGE_COMMAND"};

	for (size_t i = 0; i < G_N_ELEMENTS(vars); i++)
		g_unsetenv(vars[i]);
}

static void set_all(const char *path)
{
	g_setenv("CLOISON_DBUS_DAEMON", path, TRUE);
	g_setenv("CLOISON_COMPOSITOR", path, TRUE);
	g_setenv("CLOISON_BAR", path, TRUE);
	g_setenv("CLOISON_TRANSFERD", path, TRUE);
	g_setenv("CLOISON_NOTIFYD", path, TRUE);
	g_setenv("CLOISON_CAGE_COMMAND", path, TRUE);
}

static void test_programs_env(void)
{
	ClSessionPrograms p;
	g_autoptr(GError) error = NULL;
	g_autofree char *sh = g_find_program_in_path("sh");

	g_assert_nonnull(sh);
	set_all(sh);
	g_assert_true(cl_session_programs_find(&p, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(p.compositor, ==, sh);
	g_assert_cmpstr(p.notifyd, ==, sh);
	g_assert_cmpstr(p.cage, ==, sh);
	cl_session_programs_clear(&p);
	g_assert_null(p.compositor);
	unset_all();
}

/* Each override must be an absolute path to an executable file. */
static void test_programs_refused(void)
{
	const char *bad[] = {"cloison-notifyd", "/nonexistent/cloison-notifyd", "/", NULL};
	g_autofree char *sh = g_find_program_in_path("sh");
	g_autofree char *dir = g_dir_make_tmp("cloison-test-session-XXXXXX", NULL);
	g_autofree char *plain = g_build_filename(dir, "not-executable", NULL);

	g_assert_true(g_file_set_contents(plain, "#!/bin/sh\n", -1, NULL));
	for (int i = 0; i <= (int)G_N_ELEMENTS(bad) - 1; i++) {
		const char *value = bad[i] ? bad[i] : plain;
		ClSessionPrograms p;
		g_autoptr(GError) error = NULL;

		set_all(sh);
		g_setenv("CLOISON_NOTIFYD", value, TRUE);
		g_assert_false(cl_session_programs_find(&p, &error));
		g_assert_nonnull(error);
		g_assert_nonnull(strstr(error->message, "CLOISON_NOTIFYD"));
		g_assert_null(p.dbus_daemon);
		g_assert_null(p.notifyd);
	}
	unset_all();
	g_unlink(plain);
	g_rmdir(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/session/demo-config", test_demo_config);
	g_test_add_func("/session/programs/env", test_programs_env);
	g_test_add_func("/session/programs/refused", test_programs_refused);
	return g_test_run();
}
