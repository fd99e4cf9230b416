/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The bar's pure logic, testable without a display: the session model
 * (levels, windows, focus) fed by zcloison_shell_v1, the transfer prompts
 * fed by org.cloison.Transfer1 (validation, queue, exactly one decision per
 * prompt) and the approve gate (Approve is enabled only after the dialog has
 * been active for CL_BAR_APPROVE_DELAY_US without interruption).
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define CL_BAR_MAX_LEVELS       16
#define CL_BAR_MAX_WINDOWS      1024
#define CL_BAR_MAX_TEXT         256  /* bytes of a protocol string kept */
#define CL_BAR_TITLE_CHARS      40   /* characters of a title shown in the bar */
#define CL_BAR_MAX_PROMPTS      1024 /* prompts queued at once */
#define CL_BAR_MAX_TARGETS      64
#define CL_BAR_MAX_NAME         255 /* bytes of a file name */
#define CL_BAR_APPROVE_DELAY_US (1000 * 1000)

/* Levels and windows, as the compositor announced them. */
typedef struct {
	char *id;
	char *label;
	uint32_t colour; /* 0xRRGGBB */
	int rank;
} ClBarLevel;

typedef struct {
	uint32_t id;
	char *cage;
	char *level;
	char *title; /* shown as plain text, never as markup */
	char *app_id;
} ClBarWindow;

typedef struct {
	GPtrArray *levels;  /* ClBarLevel*, sorted by rank */
	GPtrArray *windows; /* ClBarWindow*, sorted by id */
	uint32_t focus;
	char *focus_level; /* "" when nothing (or a core surface) has the focus */
} ClBarModel;

ClBarModel *cl_bar_model_new(void);
void cl_bar_model_free(ClBarModel *model);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ClBarModel, cl_bar_model_free)

/* Each returns false (and changes nothing) when the input is refused: bad
 * UTF-8 or id, too many entries.  Strings are cut to CL_BAR_MAX_TEXT bytes. */
bool cl_bar_model_set_level(ClBarModel *model, const char *id, const char *label, uint32_t colour,
                            int rank);
bool cl_bar_model_set_window(ClBarModel *model, uint32_t id, const char *cage, const char *level,
                             const char *title, const char *app_id);
bool cl_bar_model_remove_window(ClBarModel *model, uint32_t id);
void cl_bar_model_set_focus(ClBarModel *model, uint32_t id, const char *level);

const ClBarLevel *cl_bar_model_get_level(const ClBarModel *model, const char *id);
const ClBarWindow *cl_bar_model_get_window(const ClBarModel *model, uint32_t id);
/* Index of the level in rank order (the per-level pattern), -1 if unknown. */
int cl_bar_model_level_index(const ClBarModel *model, const char *id);

/*
 * Text for display: valid UTF-8 (invalid bytes become U+FFFD), control and
 * format characters replaced by spaces, at most max_chars characters (an
 * ellipsis marks a cut).  Never NULL.
 */
char *cl_bar_display_text(const char *s, size_t max_chars);

/* The second cue besides colour: one pattern per level, by rank order. */
typedef enum {
	CL_BAR_PATTERN_DOTS,
	CL_BAR_PATTERN_STRIPES, /* diagonal */
	CL_BAR_PATTERN_CROSS,   /* cross-hatch */
	CL_BAR_PATTERN_BARS,    /* vertical bars */
	CL_BAR_PATTERN_CHECKS,
	CL_BAR_PATTERN_COUNT,
} ClBarPattern;

ClBarPattern cl_bar_pattern_for_index(int index);
/* Black or white, whichever reads better on colour. */
uint32_t cl_bar_contrast_colour(uint32_t colour);
/* "#rrggbb" → 0xRRGGBB; false if malformed. */
bool cl_bar_parse_colour(const char *s, uint32_t *ret);

/* Transfer prompts. */
typedef enum {
	CL_BAR_DIRECTION_UP,
	CL_BAR_DIRECTION_SAME,
	CL_BAR_DIRECTION_DOWN,
} ClBarDirection;

typedef struct {
	char *cage;
	char *level;
	char *label;
	uint32_t colour;
	ClBarDirection direction;
	bool declassify;
	bool require_reason;
} ClBarTarget;

typedef struct {
	char *id;
	char *source_cage;
	char *source_level;
	char *source_label;
	uint32_t source_colour;
	char *name;
	uint64_t size;
	char *mime_type;
	char *sha256;
	char *requested_target; /* "" when none */
	GPtrArray *targets;     /* ClBarTarget*, never empty */
	uint64_t expires_us;    /* CLOCK_REALTIME */
} ClBarPrompt;

void cl_bar_prompt_free(ClBarPrompt *prompt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ClBarPrompt, cl_bar_prompt_free)

#define CL_BAR_ERROR (cl_bar_error_quark())
GQuark cl_bar_error_quark(void);
typedef enum {
	CL_BAR_ERROR_INVALID,
	CL_BAR_ERROR_LIMIT,
} ClBarError;

/* From PromptRequested(s id, a{sv} details): validated, NULL + error naming
 * the offending field otherwise. */
ClBarPrompt *cl_bar_prompt_new(const char *id, GVariant *details, GError **error);
/* The target the picker starts with: the requested one, else -1 (none). */
int cl_bar_prompt_initial_target(const ClBarPrompt *prompt);
/* The index-th target, NULL if out of range. */
const ClBarTarget *cl_bar_prompt_get_target(const ClBarPrompt *prompt, int index);

/* First 16 hex digits, grouped by 4: "0123 4567 89ab cdef". */
char *cl_bar_short_sha256(const char *sha256);

/*
 * The approve gate: call set_active whenever the dialog's active
 * (visible and focused) state may have changed; enabled() tells whether
 * Approve may be pressed at now_us (monotonic).  Leaving the active state
 * resets the delay.
 */
typedef struct {
	bool active;
	int64_t since_us;
} ClBarApproveGate;

void cl_bar_approve_gate_set_active(ClBarApproveGate *gate, bool active, int64_t now_us);
bool cl_bar_approve_gate_enabled(const ClBarApproveGate *gate, int64_t now_us);
/* Microseconds until enabled (0 when enabled, -1 when inactive). */
int64_t cl_bar_approve_gate_remaining(const ClBarApproveGate *gate, int64_t now_us);
/*
 * For a click or key handled at now_us but made at event_ms (the input
 * event's time: the compositor's CLOCK_MONOTONIC in milliseconds, 32 bits):
 * enabled now and, when event_ms is plausible (at most 10 s old, not in the
 * future), already enabled when the user acted — a busy bar never turns an
 * early click into an approval.
 */
bool cl_bar_approve_gate_enabled_for_event(const ClBarApproveGate *gate, int64_t now_us,
                                           uint32_t event_ms);

/*
 * Can the user's choices be sent as an approval?  target < 0: nothing
 * picked.  A declassifying target needs the box ticked; one that requires a
 * reason needs a non-blank reason of at most 1024 bytes without control
 * characters.  Gate state aside.
 */
bool cl_bar_prompt_choice_ok(const ClBarPrompt *prompt, int target, bool declassify_ticked,
                             const char *reason);

/*
 * The queue: prompts in arrival order, one shown at a time (the head).
 * Every prompt gets exactly one decision: decide() returns true once per id
 * and never for an id already decided or finished.  A prompt added again
 * (ListPending after a restart, a duplicated signal) is ignored if known.
 */
typedef struct {
	GPtrArray *prompts; /* ClBarPrompt*, head first */
	GHashTable *done;   /* ids decided or finished (bounded) */
} ClBarQueue;

ClBarQueue *cl_bar_queue_new(void);
void cl_bar_queue_free(ClBarQueue *queue);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ClBarQueue, cl_bar_queue_free)

/* Takes the prompt; false (prompt freed) if known, done or the queue is full. */
bool cl_bar_queue_add(ClBarQueue *queue, ClBarPrompt *prompt);
const ClBarPrompt *cl_bar_queue_head(const ClBarQueue *queue);
guint cl_bar_queue_length(const ClBarQueue *queue);
/* Mark id decided and remove it; true only the first time. */
bool cl_bar_queue_decide(ClBarQueue *queue, const char *id);
/* The broker finished id (decided, expired, cancelled): remove it; true if it was queued. */
bool cl_bar_queue_finished(ClBarQueue *queue, const char *id);
/* The broker went away: forget what is queued (not decided: a restarted
 * broker lists again what it still holds). */
void cl_bar_queue_clear(ClBarQueue *queue);

/*
 * Notifications, from org.cloison.NotifyDisplay1 (common/security-events.h).
 * The style comes from notifyd, which sets it from where the notification
 * came from (SecurityEvents1, the core bus, a cage's socket): nothing a cage
 * writes in a summary or body changes it.
 */
#define CL_BAR_MAX_NOTIFICATIONS 64   /* popups kept open at once (oldest dropped) */
#define CL_BAR_MAX_HISTORY       200  /* history entries shown (CL_NOTIFY_HISTORY) */
#define CL_BAR_NOTE_TEXT         1024 /* bytes of a summary or body kept */
#define CL_BAR_NOTE_ACTIONS      8    /* actions kept per notification */
#define CL_BAR_NOTE_KEY          64   /* bytes of an action key */

typedef enum {
	CL_BAR_STYLE_SECURITY, /* the core's hatched style, "Security" header */
	CL_BAR_STYLE_CORE,     /* neutral */
	CL_BAR_STYLE_CAGE,     /* the cage's level colour, pattern and label */
} ClBarStyle;

typedef struct {
	char *key;
	char *label;
} ClBarAction;

typedef struct {
	uint32_t id;
	ClBarStyle style;
	char *cage;  /* "" unless a cage notification (or a security event about a cage) */
	char *level; /* cage style: the level id */
	char *label; /* cage style: the level label */
	uint32_t colour;
	char *app_name;
	char *summary; /* plain text, never markup */
	char *body;
	GPtrArray *actions; /* ClBarAction* */
	uint8_t urgency;
	int64_t time_us; /* CLOCK_REALTIME, 0 if unknown */
	char *severity;  /* security: CL_SEVERITY_*, else "" */
	char *category;  /* security: CL_EVENT_* (or another notifyd category), else "" */
} ClBarNotification;

void cl_bar_notification_free(ClBarNotification *note);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ClBarNotification, cl_bar_notification_free)

/*
 * From a notification dictionary (a{sv}): validated, NULL + an error naming
 * the offending key otherwise.  Strings are made valid UTF-8 and cut to
 * CL_BAR_NOTE_TEXT bytes; at most CL_BAR_NOTE_ACTIONS actions are kept.
 */
ClBarNotification *cl_bar_notification_new(GVariant *dict, GError **error);

/* The open popups, newest first, at most CL_BAR_MAX_NOTIFICATIONS. */
typedef struct {
	GPtrArray *items; /* ClBarNotification* */
} ClBarNotifications;

ClBarNotifications *cl_bar_notifications_new(void);
void cl_bar_notifications_free(ClBarNotifications *list);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ClBarNotifications, cl_bar_notifications_free)
/*
 * Takes NOTE and puts it first (one already there with its id is replaced
 * and moved first: an updated notification).  The oldest beyond
 * CL_BAR_MAX_NOTIFICATIONS are dropped.
 */
void cl_bar_notifications_add(ClBarNotifications *list, ClBarNotification *note);
/* true if id was there. */
bool cl_bar_notifications_remove(ClBarNotifications *list, uint32_t id);
const ClBarNotification *cl_bar_notifications_get(const ClBarNotifications *list, uint32_t id);
guint cl_bar_notifications_length(const ClBarNotifications *list);
void cl_bar_notifications_clear(ClBarNotifications *list);
