/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cloison-build-config.h"

#include "event-limit.h"

typedef struct {
	char *cage;
	char *category;
	uint64_t window_end;
	unsigned counted;
} Window;

struct ClEventLimit {
	uint64_t window_us;
	GHashTable *windows; /* "cage\ncategory" → Window* */
};

static void window_free(Window *w)
{
	if (!w)
		return;
	g_free(w->cage);
	g_free(w->category);
	g_free(w);
}

ClEventLimit *cl_event_limit_new(uint64_t window_us)
{
	ClEventLimit *limit = g_new0(ClEventLimit, 1);

	limit->window_us = window_us ? window_us : CL_EVENT_LIMIT_WINDOW_US;
	limit->windows =
	        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)window_free);
	return limit;
}

void cl_event_limit_free(ClEventLimit *limit)
{
	if (!limit)
		return;
	g_hash_table_unref(limit->windows);
	g_free(limit);
}

bool cl_event_limit_admit(ClEventLimit *limit, const char *cage, const char *category,
                          uint64_t now_us)
{
	g_autofree char *key = g_strdup_printf("%s\n%s", cage ? cage : "", category);
	Window *w = g_hash_table_lookup(limit->windows, key);

	if (w && (now_us < w->window_end || w->counted > 0)) {
		/* Inside the window, or past it with a summary still owed. */
		if (w->counted < G_MAXUINT)
			w->counted++;
		return false;
	}
	if (!w) {
		w = g_new0(Window, 1);
		w->cage = g_strdup(cage ? cage : "");
		w->category = g_strdup(category);
		g_hash_table_insert(limit->windows, g_steal_pointer(&key), w);
	}
	w->window_end = now_us + limit->window_us;
	w->counted = 0;
	return true;
}

void cl_event_limit_flush(ClEventLimit *limit, uint64_t now_us, ClEventLimitSummary summary,
                          void *userdata)
{
	GHashTableIter iter;
	Window *w;

	g_hash_table_iter_init(&iter, limit->windows);
	while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&w)) {
		if (now_us < w->window_end)
			continue;
		if (w->counted == 0) {
			g_hash_table_iter_remove(&iter);
			continue;
		}
		summary(w->cage, w->category, w->counted, userdata);
		w->counted = 0;
		w->window_end = now_us + limit->window_us;
	}
}

uint64_t cl_event_limit_next(const ClEventLimit *limit)
{
	GHashTableIter iter;
	Window *w;
	uint64_t next = 0;

	g_hash_table_iter_init(&iter, limit->windows);
	while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&w))
		if (next == 0 || w->window_end < next)
			next = w->window_end;
	return next;
}
