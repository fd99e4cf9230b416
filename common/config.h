/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Configuration of a Cloison session: levels, cages and transfer rules.
 *
 * The file is a GKeyFile (see docs/configuration.md and cloison.conf(5)).  A
 * configuration is either loaded whole and fully validated, or not at all:
 * every loader returns NULL and a GError naming file, line, group and key on
 * the first problem found.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define CL_ID_MAX_LEN          32
#define CL_LABEL_MAX_LEN       64 /* characters, not bytes */
#define CL_MAX_LEVELS          16
#define CL_MAX_CAGES           64
#define CL_MAX_APPLICATIONS    16
#define CL_MAX_APP_LEN         1024
#define CL_MAX_TYPES           64
#define CL_CONFIG_MAX_BYTES    (1024 * 1024)
#define CL_RANK_MAX            1000
#define CL_MAX_SIZE_LIMIT      (UINT64_C(1) << 40) /* 1 TiB: ceiling for max-size */
#define CL_DEFAULT_EXPIRY_S    300
#define CL_SYSTEM_CONFIG_PATH  "/etc/cloison/cloison.conf"
#define CL_BUILTIN_SOURCE_NAME "(built-in default)"

#define CL_CONFIG_ERROR (cl_config_error_quark())
GQuark cl_config_error_quark(void);

typedef enum {
	CL_CONFIG_ERROR_IO,            /* file missing, unreadable, too large */
	CL_CONFIG_ERROR_PARSE,         /* not a valid key file */
	CL_CONFIG_ERROR_UNKNOWN_GROUP, /* group name not understood */
	CL_CONFIG_ERROR_UNKNOWN_KEY,   /* key not valid in its group */
	CL_CONFIG_ERROR_DUPLICATE,     /* group, key, id or rank given twice */
	CL_CONFIG_ERROR_MISSING,       /* a required key or section is absent */
	CL_CONFIG_ERROR_INVALID,       /* a value is malformed or out of range */
	CL_CONFIG_ERROR_UNKNOWN_LEVEL, /* a cage or rule names an undefined level */
	CL_CONFIG_ERROR_LIMIT,         /* too many levels, cages, applications… */
} ClConfigError;

typedef enum {
	CL_ACTION_DENY,
	CL_ACTION_ASK,
	CL_ACTION_ASK_DECLASSIFY,
} ClAction;

typedef struct {
	char *id;
	char *label;    /* in the current locale (label[LANG] if given) */
	char colour[8]; /* "#rrggbb", lower case */
	uint8_t rgb[3];
	int rank; /* higher is more confidential; unique */
} ClLevel;

typedef struct {
	char *id;
	const ClLevel *level;
	bool network;
	bool autostart;
	bool restart;        /* restart when it crashes */
	char **applications; /* NULL-terminated command lines (shell syntax) */
	uint64_t memory_max; /* bytes, 0 = no limit */
	uint64_t tasks_max;  /* 0 = no limit */
} ClCage;

typedef struct {
	const ClLevel *from;
	const ClLevel *to;
	ClAction action;
	char **types;        /* NULL-terminated MIME patterns: "a/b", "a/ *", "* / *" */
	uint64_t max_size;   /* bytes, > 0 */
	bool require_reason; /* declassification needs a typed reason */
} ClRule;

typedef struct {
	char *source;      /* file path, or CL_BUILTIN_SOURCE_NAME */
	GPtrArray *levels; /* ClLevel*, sorted by rank */
	GPtrArray *cages;  /* ClCage*, in file order */
	GPtrArray *rules;  /* ClRule*, in file order */
	unsigned transfer_expiry_s;
} ClConfig;

/* Loaders: NULL + error on any problem. */
ClConfig *cl_config_load_data(const char *data, size_t len, const char *source, GError **error);
ClConfig *cl_config_load_file(const char *path, GError **error);
ClConfig *cl_config_load_default(void);

/*
 * Which file to use: the explicit path if given, else
 * XDG_CONFIG_HOME/cloison/cloison.conf if it exists, else system_path if it
 * exists, else NULL (the built-in default).  A candidate that exists but is
 * not a regular file is an error, never silently skipped.
 */
char *cl_config_find(const char *explicit_path, const char *xdg_config_home,
                     const char *system_path, GError **error);

/*
 * The whole search, from the environment ($XDG_CONFIG_HOME, else
 * $HOME/.config) and CL_SYSTEM_CONFIG_PATH.
 */
ClConfig *cl_config_load(const char *explicit_path, GError **error);

void cl_config_free(ClConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ClConfig, cl_config_free)

const ClLevel *cl_config_get_level(const ClConfig *config, const char *id);
const ClCage *cl_config_get_cage(const ClConfig *config, const char *id);
const ClRule *cl_config_get_rule(const ClConfig *config, const ClLevel *from, const ClLevel *to);

/* Canonical key-file text; loading it back gives an equal configuration. */
char *cl_config_to_keyfile(const ClConfig *config);

/* Argument vector of a cage application (validated at load, so never fails). */
char **cl_cage_application_argv(const ClCage *cage, size_t index);

const char *cl_action_to_string(ClAction action);
bool cl_action_from_string(const char *s, ClAction *ret);

/* Ids of levels and cages: [a-z0-9-]{1,32}, not starting with '-'. */
bool cl_id_is_valid(const char *id);

/*
 * Sizes: a decimal number of bytes with an optional binary suffix
 * (K, KiB, M, MiB, G, GiB, T, TiB; case-insensitive).  Returns false on
 * anything else, including overflow.
 */
bool cl_size_parse(const char *s, uint64_t *ret);
char *cl_size_format(uint64_t size);
