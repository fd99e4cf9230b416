/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A cage's state as the launcher leaves it in the runtime directory (its
 * lock held while it runs, the state file after it ends).  Separate from
 * launcher.c so that programs linking GLib dynamically (cloison-bar) can
 * use it without the launcher and its static GLib.
 */
#include "cloison-build-config.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include "launcher.h"
#include "paths.h"
#include "util.h"

char *cl_cage_state(const ClConfig *config, const char *cage_id)
{
	g_autofree char *runtime = cl_paths_xdg_runtime_dir(NULL);
	g_autofree char *dir = NULL, *lock = NULL, *state_path = NULL;
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *state = NULL, *reason = NULL;
	_cleanup_close_ int fd = -1;

	if (!runtime || !cl_config_get_cage(config, cage_id))
		return g_strdup("stopped");
	dir = g_build_filename(runtime, "cloison", "cages", cage_id, NULL);
	lock = g_build_filename(dir, CL_CAGE_LOCK, NULL);
	fd = open(lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK)
		return g_strdup("running");
	state_path = g_build_filename(dir, CL_CAGE_STATE, NULL);
	if (!g_key_file_load_from_file(kf, state_path, G_KEY_FILE_NONE, NULL))
		return g_strdup("stopped");
	state = g_key_file_get_string(kf, "cage", "state", NULL);
	reason = g_key_file_get_string(kf, "cage", "reason", NULL);
	if (g_strcmp0(state, "running") == 0) /* the lock is free: the launcher died */
		return g_strdup("crashed: the launcher died");
	if (g_strcmp0(state, "crashed") == 0 || g_strcmp0(state, "failed") == 0)
		return g_strdup_printf("%s: %s", state, reason ? reason : "?");
	return g_strdup("stopped");
}
