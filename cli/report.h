/*
 * report.h - the verify-family report: one JSON tree printed once at
 * the end, or the same facts as text for a person.
 */
#ifndef SHADOWSYNC_REPORT_H
#define SHADOWSYNC_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "../verify/coldstart.h"
#include "../verify/compare.h"
#include "../verify/extent.h"

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
};

struct pair_report {
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

/* [{"offset":N,"length":N}...], with "region" when known. */
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

/* The "cold_start" object of one pair. */
json_t *report_cold_start_json(const struct pair_aero *a);

/* The alarming verdicts in one line, printed before anything else. */
void report_cold_start_warning(FILE *f, const struct pair_report *p);

/* The verdict in a sentence or two, within the pair's text. */
void report_cold_start_text(FILE *f, const struct pair_report *p);

/* Is this verdict one that must make verify exit 1 on its own? */
bool report_cold_start_alarming(const struct pair_aero *a);

/* Print root as one JSON object on stdout, then release it. */
int report_json_emit(json_t *root);

/*
 * Word a pipeline failure: "read error on shadow '/dev/x' at offset N:
 * Input/output error (EIO)". role[i] and path[i] name source i; the
 * destination is role[0]/path[0] (sync writes to local).
 */
void report_pipe_error(char *buf, size_t len, const struct pipe_error *e,
		       const char *engine, const char *const role[],
		       const char *const path[]);

/* Progress on stderr when it is a terminal (the pipe_progress_fn). */
void report_progress(void *ctx, uint64_t done, uint64_t total);
void report_progress_done(void);

#endif
