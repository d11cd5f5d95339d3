/*
 * pair.h - one local/shadow pair as verify and sync handle it: opening
 * both, the size rule, the Aerospike headers, the compare options, the
 * cold-start verdict; and running many pairs on a pool of threads.
 */
#ifndef SHADOWSYNC_PAIR_H
#define SHADOWSYNC_PAIR_H

#include "cli.h"
#include "report.h"
#include "../engine/device.h"
#include "../aerospike/coldstart.h"
#include "../verify/compare.h"
#include "../verify/manifest.h"

struct pair_job {
	struct io_opts io;
	bool block_size_given;		/* --block-size, else the header's */
	const char *local_path;
	const char *shadow_path;
	const char *namespace;		/* --config mode */
	struct device local;
	struct device shadow;
	struct compare_result cmp;
	struct pair_report rep;
	struct pair_aero aero;
	uint64_t progress_last;		/* what the running pass reported */
	int status;			/* EXIT_* of this pair */
	const char *manifest_out;	/* write the shadow's manifest */
	struct manifest_writer manifest;
	bool manifest_open;
};

/* Zero j, with closed devices, for the given paths and options. */
void pair_init(struct pair_job *j, const struct io_opts *io,
	       const char *local_path, const char *shadow_path,
	       const struct as_server *server, const char *server_version);

/*
 * pair_open() - open shadow read-only and local with local_flags
 * (DEVICE_WRITE, DEVICE_EXCL), and refuse a shadow smaller than local.
 * Returns 0, or -errno with the reason in j->rep.error.
 */
int pair_open(struct pair_job *j, unsigned local_flags);

/*
 * pair_read_headers() - read and decode both header regions (devices of
 * at least 8 MiB), then pick the block size: --block-size, else the
 * write-block size when both carry a header, else 1 MiB.
 * Returns 0, or -errno with j->rep.error.
 */
int pair_read_headers(struct pair_job *j);

/* Compare options: header regions, pristine_offset, sweeps, progress. */
struct compare_opts pair_compare_opts(struct pair_job *j);

/*
 * After the compare, before anything changes the headers: which copy's
 * records the report shows (the one asd reads), when data differs.
 */
void pair_records_finish(struct pair_job *j);

/* After the compare: the verdict and its figures (j->aero). */
void pair_decide(struct pair_job *j);

/*
 * pair_manifest_begin() - with --manifest-out, open the shadow's manifest
 * and hook it into o. Returns 0 or -errno with j->rep.error.
 * pair_manifest_end() - commit it after a whole compare (ok), else drop
 * it. Returns 0 or -errno with j->rep.error.
 */
int pair_manifest_begin(struct pair_job *j, struct compare_opts *o);
int pair_manifest_end(struct pair_job *j, bool ok);

/* Word a failed pipeline run into j->rep.error. */
void pair_pipe_error(struct pair_job *j);

void pair_release(struct pair_job *j);

/* Run fn on every job, at most threads at a time. */
void pair_run_all(struct pair_job *jobs, size_t n, unsigned threads,
		  void (*fn)(struct pair_job *));

#endif
