/*
 * report.h - the verify-family report: one JSON tree printed once at
 * the end, or the same facts as text for a person.
 */
#ifndef SHADOWSYNC_REPORT_H
#define SHADOWSYNC_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "../aerospike/coldstart.h"
#include "../aerospike/recdiff.h"
#include "../verify/compare.h"
#include "../verify/extent.h"

/*
 * Reports list the first so many extents and count the rest: a device
 * differing in every other block must not cost gigabytes.
 */
#define REPORT_MAX_EXTENTS 100000u

/*
 * The records of the pair's differing write-blocks (aerospike/recdiff.h),
 * gathered from the compare's buffers; copy says which copy asd reads
 * (NULL: nothing to report).
 */
struct pair_records {
	struct as_ownership own;	/* from the shadow's header */
	struct as_recdiff diff;
	uint64_t next_wblock;		/* write-blocks below are done */
	const char *copy;		/* "local" or "shadow" */
	bool load_local;		/* not_loaded applies */
};

/* What the Aerospike headers of a pair say, and what asd will do. */
struct pair_aero {
	bool read;			/* both header regions were read */
	struct as_header local;
	struct as_header shadow;
	unsigned char *local_raw;	/* first AS_HEADER_STRUCT_BYTES */
	unsigned char *shadow_raw;
	struct as_sweep local_sweep;	/* asd's sweep replayed on each */
	struct as_sweep shadow_sweep;
	const struct as_server *server;
	const char *server_version;
	bool decided;
	struct cs_result verdict;
	double shadow_bytes_per_s;	/* read speed measured in this run */
	uint64_t data_differing_bytes;	/* outside the header region */
	bool local_data_dropped;	/* reinit with an empty shadow */
	bool likely_swap;		/* the shadow has pristine_offset set
					 * and local has not: swapped? */
	struct pair_records *records;	/* NULL: records not read */
	uint64_t shadow_used_past_local; /* used write-blocks of a larger
					 * shadow that asd never reads */
	uint64_t shadow_first_past_local; /* the first one's offset */
};

struct pair_report {
	const char *engine;		/* asked for (the one run: cmp) */
	const char *config;		/* --config FILE, or NULL */
	const char *local_path;
	const char *shadow_path;
	uint64_t local_size;		/* 0 when not opened */
	uint64_t shadow_size;
	bool local_direct;		/* opened with O_DIRECT */
	bool shadow_direct;
	const struct compare_result *cmp;	/* NULL when never run */
	bool is_sync;			/* add the sync fields */
	bool dry_run;
	bool wrote;			/* the extents were all written */
	bool verified;			/* local proven equal to shadow */
	bool header_guard;		/* local's header was made unloadable
					 * while its data was written */
	uint64_t block_size_requested;	/* --block-size, when it had to be
					 * made smaller (0: used as given) */
	const char *namespace;		/* from --config, or NULL */
	uint64_t block_size;
	const struct pair_aero *aero;	/* NULL: not looked at */
	const char *result;		/* "match", "differ", "error" */
	char error[512];		/* the message, when result is error */
};

/* Seconds rounded to the millisecond; a rate in whole bytes per second. */
json_t *json_seconds(double s);
json_t *json_rate(double bytes_per_s);

/* {"path","size_bytes","direct_io"} of a device or file. */
json_t *report_device_json(const char *path, uint64_t size, bool direct);

/* [{"offset_bytes":N,"length_bytes":N}...], with "region" when known. */
json_t *report_extents_json(const struct extent_list *l);

/* One element of "pairs". */
json_t *report_pair_json(const struct pair_report *p);

/* The text form of one pair. */
void report_pair_text(FILE *f, const struct pair_report *p);

/* Text lines for extents: the first max, then a count of the rest. */
void report_extents_text(FILE *f, const struct extent_list *l, size_t max);

/* {"format":..,"namespace":..} or null, for a decoded header. */
json_t *report_header_json(const struct as_header *h);
const char *report_state_name(enum as_state s);

/* The "records" of one pair: null, or what asd does with them. */
json_t *report_records_json(const struct pair_aero *a);

/* The same in a line or two of text (nothing when null). */
void report_records_text(FILE *f, const struct pair_report *p);

/* The "cold_start" object of one pair. */
json_t *report_cold_start_json(const struct pair_aero *a);

/* "aerospike namespace ns1, format 4, TRUSTED", "zeroed", ... */
const char *report_state_text(const struct as_header *h, char *buf,
			      size_t len);

/* A WARNING: what asd would do wrong, and the command to run next. */
struct report_alarm {
	const char *code;	/* crash, serves-damaged-data, ... */
	char message[1024];
	char next[1200];
};

/* Is the pair alarming? Fills al when it is. */
bool report_pair_alarm(const struct pair_report *p, struct report_alarm *al);

/* {"code","message","next_command","local","shadow"} */
json_t *report_alarm_json(const struct pair_report *p,
			  const struct report_alarm *al);

/* The verdict in a sentence or two, within the pair's text. */
void report_cold_start_text(FILE *f, const struct pair_report *p);

/* Is this verdict one that must make verify exit 1 on its own? */
bool report_cold_start_alarming(const struct pair_aero *a);

/*
 * Hand root, the command's JSON report, to main, which prints it with
 * the exit status and reason (outcome.h). Takes the reference.
 */
int report_json_emit(json_t *root);

/*
 * Word a pipeline failure: "read error on shadow '/dev/x' at offset N:
 * Input/output error (EIO)". role[i] and path[i] name source i; the
 * destination is role[0]/path[0] (sync writes to local). -E2BIG from the
 * engine: the block size and --memory that do not go together.
 */
void report_pipe_error(char *buf, size_t len, const struct pipe_error *e,
		       const char *engine, const char *const role[],
		       const char *const path[]);

/* Progress on stderr when it is a terminal (the pipe_progress_fn). */
void report_progress(void *ctx, uint64_t done, uint64_t total);
void report_progress_done(void);

#endif
