/*
 * smd.h - Aerospike's System Metadata (SMD) module files, read and judged
 * as asd 8.1 reads them at startup (shared/AEROSPIKE-SMD.md; section
 * numbers below are that document's).
 *
 * A module file <work-directory>/smd/<module>.smd is one JSON array:
 * an optional [cluster-key, tid] header, then items {"key": string,
 * "value": string or null (a tombstone), "generation": int, "timestamp":
 * int}. asd parses it with jansson (JSON_REJECT_DUPLICATES), and this
 * parser uses the same library and flags, so a syntax error here is the
 * one asd would log. On top of that it applies asd's loader rules (3.1)
 * and the module callbacks' rules (2.3), and records every breach as a
 * problem with what asd would do about it: abort at startup, start the
 * module empty, skip an item, or go on.
 *
 * Nothing here prints or does I/O; functions return 0 or -errno.
 */
#ifndef SHADOWSYNC_SMD_H
#define SHADOWSYNC_SMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Citrusleaf epoch, 2010-01-01T00:00:00Z, in Unix seconds (2.2). */
#define SMD_CLEPOCH_UNIX_S	1262304000ll

/* Bounds of what is kept in memory; bigger files are refused (-EFBIG). */
#define SMD_FILE_MAX_BYTES	(256u << 20)
/* Problems kept per file (the rest are only counted). */
#define SMD_PROBLEMS_MAX	200u

/* The modules asd 8.1 knows (1.2); the names are case-sensitive. */
enum smd_module_id {
	SMD_EVICT, SMD_ROSTER, SMD_SECURITY, SMD_SINDEX, SMD_TRUNCATE,
	SMD_UDF, SMD_XDR, SMD_MASKING, SMD_UNKNOWN,
};

struct smd_module_info {
	enum smd_module_id id;
	const char *name;	/* "evict": the file is evict.smd */
	bool ce;		/* read by a Community Edition asd */
};

/*
 * smd_module_lookup() - the module a file name ("UDF.smd") belongs to,
 * or NULL when asd opens no file of that name (it ignores the file).
 */
const struct smd_module_info *smd_module_lookup(const char *file_name);

/*
 * smd_file_name_valid() - may name stand for a module file in a bundle or
 * a directory listing: 1 to 128 bytes of [A-Za-z0-9._-], not starting
 * with '.', ending in ".smd". asd's own names all are; the rule keeps
 * paths built from names inside the smd directory.
 */
bool smd_file_name_valid(const char *name);

/* What asd does with a file, from the worst of its problems. */
enum smd_fate {
	SMD_LOADS,		/* loaded, maybe with items skipped */
	SMD_STARTS_EMPTY,	/* parse error or not an array: the module
				 * starts empty, and the next commit
				 * overwrites the file (3.1) */
	SMD_ABORTS,		/* cf_assert / a crash in a callback: asd
				 * stops at startup (3.1) */
	SMD_NOT_READ,		/* no module of that name: asd never opens
				 * the file */
};

/*
 * How bad a problem is. ERROR: restoring the file would lose or break
 * state (asd aborts, starts the module empty, or loads a version or
 * items that are not what the file says); restore refuses it. WARNING:
 * asd goes on (skips an item, keeps a value it cannot use); the file is
 * restored as it is.
 */
enum smd_severity { SMD_WARNING, SMD_ERROR };

struct smd_problem {
	enum smd_severity severity;
	const char *code;	/* "json", "item-shape", "duplicate-key", ... */
	long item;		/* index of the item (0: the first after the
				 * header), -1 for the file as a whole */
	char *key;		/* the item's key when it has one, else NULL */
	char *message;		/* one line: what is wrong, and what asd does */
};

struct smd_item {
	long index;		/* position among the file's items (0: the
				 * first after the header) */
	char *key;
	char *value;		/* NULL: a tombstone */
	int64_t generation;
	int64_t timestamp;	/* ms since the Citrusleaf epoch */
};

struct smd_file {
	char *name;				/* "sindex.smd" */
	const struct smd_module_info *module;	/* NULL: unknown name */
	enum smd_fate fate;
	bool parsed;		/* valid JSON with an array at the top */
	bool has_header;	/* element 0 is an array */
	bool legacy;		/* no header: asd takes key 0, tid 1 */
	uint64_t cv_key;	/* the committed version asd would take */
	uint64_t cv_tid;
	struct smd_item *items;	/* the well-formed items, file order */
	size_t nitems;
	size_t tombstones;
	size_t bad_items;	/* elements that are no valid item */
	bool ascii_only;	/* every byte < 0x80, as asd writes */
	struct smd_problem *problems;
	size_t nproblems;
	size_t problems_total;	/* counted past SMD_PROBLEMS_MAX too */
	size_t errors;
	size_t warnings;
};

/*
 * smd_parse() - parse and judge len bytes (any bytes) as the module file
 * name. Fills f (release with smd_file_release, also on error). Problems
 * are recorded in f, not returned. Returns 0, or -ENOMEM.
 */
int smd_parse(const char *name, const void *data, size_t len,
	      struct smd_file *f);

void smd_file_release(struct smd_file *f);

/* "aborts", "starts-empty", "loads", "not-read". */
const char *smd_fate_name(enum smd_fate fate);

/* What asd does, as words for a person: "asd aborts at startup". */
const char *smd_fate_text(enum smd_fate fate);

/* ------------------------------------------------------------------ */
/* What the CE modules' items mean (2.3), for show and the checks.     */

/* A sindex key: ns|set|bin[|cCTX or |eEXP]|itype|ktype. */
struct smd_sindex_def {
	char ns[64];
	char set[64];
	char bin[16];
	char itype;		/* '.', 'L', 'K', 'V' */
	char ktype;		/* 'I', 'S', 'B', 'G' */
	const char *ctx_b64;	/* inside the key, or NULL; ctx_len bytes */
	size_t ctx_len;
	const char *exp_b64;	/* inside the key, or NULL; exp_len bytes */
	size_t exp_len;
};

/*
 * smd_sindex_parse() - split key as asd's sindex module does. Returns 0,
 * or -EINVAL with why (asd logs a warning and skips the item).
 */
int smd_sindex_parse(const char *key, struct smd_sindex_def *d, char *why,
		     size_t len);

/* "default", "list", "mapkeys", "mapvalues" / "numeric", "string", ... */
const char *smd_sindex_itype_name(char itype);
const char *smd_sindex_ktype_name(char ktype);

/*
 * smd_udf_decode() - the Lua source size of a UDF item's value (a JSON
 * text with a base64 "content64"). Returns 0 with *size and *type ("LUA"
 * or what the value says, NULL if none; static or "?"), or -EINVAL with
 * why; sets *abort when asd would crash on this value (valid JSON without
 * a string content64, 3.1) rather than skip it.
 */
int smd_udf_decode(const char *value, uint64_t *size, bool *abort_asd,
		   char *why, size_t len);

/*
 * smd_decimal() - a value the truncate and evict modules read with
 * strtoul: decimal digits only, at most max_digits, value <= max.
 * Returns 0 with *out, or -EINVAL.
 */
int smd_decimal(const char *s, unsigned max_digits, uint64_t max,
		uint64_t *out);

/*
 * smd_utc() - "2025-09-10T12:34:56.789Z" for ms since the Citrusleaf
 * epoch (with_ms), or "...:56Z" for seconds (!with_ms). Out-of-range
 * values give "out-of-range". Returns buf.
 */
char *smd_utc(uint64_t clepoch, bool with_ms, char *buf, size_t len);

/*
 * What truncate.smd and evict.smd hold, as asd takes it (live items with
 * a value the module reads; tombstones are truncate-undo and skipped):
 * for show, and for the record walker's cold-start prediction (records
 * older than a truncation come back on a CE cold start; records whose
 * void-time is below the evict void-time are not loaded).
 */
struct smd_truncation {
	char *ns;
	char *set;		/* NULL: the whole namespace */
	uint64_t threshold_ms;	/* last-update-time threshold, ms since
				 * the Citrusleaf epoch */
};

struct smd_evict {
	char *ns;
	uint32_t void_time_s;	/* s since the Citrusleaf epoch */
};

/*
 * smd_truncations() - the truncations of f (truncate.smd), in file
 * order, into *v (*n of them; free with smd_truncations_free). f may be
 * NULL (no file: none). Returns 0 or -ENOMEM.
 */
int smd_truncations(const struct smd_file *f, struct smd_truncation **v,
		    size_t *n);
void smd_truncations_free(struct smd_truncation *v, size_t n);

/* smd_evict_times() - the same for evict.smd's void-times. */
int smd_evict_times(const struct smd_file *f, struct smd_evict **v,
		    size_t *n);
void smd_evict_times_free(struct smd_evict *v, size_t n);

/* ------------------------------------------------------------------ */
/* Item-level comparison of two parsed files (smd check).              */

struct smd_diff {
	char **only_a;		/* keys in a and not in b */
	size_t n_only_a;
	char **only_b;
	size_t n_only_b;
	char **changed;		/* keys in both, value/generation/timestamp
				 * differ */
	size_t n_changed;
	bool version_differs;	/* (cv_key, cv_tid) */
	bool order_differs;	/* same items, another order */
};

/*
 * smd_diff() - compare the items of a and b by key (the first item of a
 * repeated key). Key strings point into a and b: release d before them.
 * Returns 0 or -ENOMEM.
 */
int smd_diff(const struct smd_file *a, const struct smd_file *b,
	     struct smd_diff *d);

void smd_diff_release(struct smd_diff *d);

#endif
