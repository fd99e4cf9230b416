/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Replays every file of corpus directories (arguments) through
 * LLVMFuzzerTestOneInput, as a TAP test: the corpus runs in every build,
 * not only in fuzzing builds.  A broken invariant aborts the program.
 */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gint compare_paths(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);

	for (int i = 1; i < argc; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GDir) dir = g_dir_open(argv[i], 0, &error);
		const char *name;

		if (!dir) {
			printf("Bail out! %s\n", error->message);
			return 1;
		}
		while ((name = g_dir_read_name(dir)))
			g_ptr_array_add(files, g_build_filename(argv[i], name, NULL));
	}
	g_ptr_array_sort(files, compare_paths);
	printf("1..%u\n", files->len);
	if (files->len == 0) {
		printf("Bail out! empty corpus\n");
		return 1;
	}
	int failed = 0;
	for (unsigned i = 0; i < files->len; i++) {
		const char *path = files->pdata[i];
		g_autofree char *data = NULL;
		gsize len = 0;

		if (!g_file_get_contents(path, &data, &len, NULL)) {
			printf("not ok %u - %s (unreadable)\n", i + 1, path);
			failed = 1;
			continue;
		}
		LLVMFuzzerTestOneInput((const uint8_t *)data, len);
		printf("ok %u - %s\n", i + 1, strrchr(path, '/') + 1);
	}
	return failed;
}
