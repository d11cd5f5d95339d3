/*
 * restore.h - `shadowsync restore SOURCE TARGET`: write an image onto a
 * device, verify what was written. Split in three: the front
 * (cmd_restore.c: options, report), the job (restorejob.c: opening,
 * refusals, the plan, windows, the header commit) and its passes
 * (restore_pass.c: the consumer that hashes, checks and writes, zero
 * ranges, refetches, the resume scan and its checks of the source, a
 * path's holes, the read-back, the adapter from a source to the
 * pipeline's filler).
 *
 * The order of writes, and what is durable when:
 *   1. nothing is written until every refusal has been made, the image's
 *      header region (its first 8 MiB, at least one block) has arrived
 *      whole, checked, and the target's namespace agrees with it;
 *   2. before the first write past the header region, the target's first
 *      4 KiB become the mark of an unfinished restore (commit.h), then
 *      fdatasync;
 *   3. the data, window by window: each window written, fdatasync'd and
 *      read back before the next (memory stays bounded on any device);
 *   4. the header region last: fdatasync, write it past its first 4 KiB,
 *      fdatasync, then those 4 KiB (over the mark), fdatasync, read back.
 * Stopped anywhere before 4 ends, the target holds the mark (or what it
 * held before 2): asd loads nothing from it, and a rerun finishes.
 */
#ifndef SHADOWSYNC_RESTORE_H
#define SHADOWSYNC_RESTORE_H

#include "cli.h"
#include <sys/stat.h>
#include "commit.h"
#include "../engine/device.h"
#include "../engine/pipeline.h"
#include "../source/source.h"
#include "../aerospike/aerohdr.h"
#include "../verify/extent.h"
#include "../verify/hash.h"
#include "../verify/manifest.h"

struct restore_args {
	struct io_opts io;
	struct source_opts src;
	const char *source;		/* SOURCE as given */
	const char *target;
	const char *manifest;		/* --manifest */
	const char *manifest_out;	/* --manifest-out */
	const char *base_manifest;	/* --base-manifest (ebs:// --base) */
	bool target_zeroed;		/* --target-is-zeroed */
	bool no_verify;
	bool force;
	bool memory_default;		/* a remote source's --memory, not given */
};

/* What became of each block of a window. */
enum rblock {
	RB_FETCH = 0,	/* to be fetched */
	RB_MATCH,	/* the target already holds it (resume) */
	RB_HOLE,	/* a hole of a path source: zeros, not read */
	RB_BAD,		/* arrived with the wrong digest: fetch again */
	RB_WRITTEN,	/* written from what arrived */
	RB_ZEROED,	/* zeros, written the cheap way */
	RB_SKIPPED,	/* zeros, not written: --target-is-zeroed */
	RB_KEPT,	/* not in the changes since --base: left as it is */
	RB_CHECK,	/* the target holds it (resume): fetched only to check
			 * the source against the manifest, not written; then
			 * RB_MATCH */
};

/* The blocks being worked on: bounded, whatever the device size. */
struct restore_window {
	uint64_t start, end;		/* block-aligned start */
	size_t nblocks, cap;
	unsigned char *state;		/* enum rblock, a block each */
	block_hash *digest;		/* what arrived (or is known) */
};

struct restore_counts {
	uint64_t bytes_read;		/* arrived from the source */
	uint64_t bytes_written;		/* written to the target as data */
	uint64_t bytes_zeroed;		/* zeroed the cheap way */
	uint64_t bytes_zeroed_past_image; /* of them, TARGET past the image */
	uint64_t bytes_skipped_zero;	/* zeros not written (zeroed target) */
	uint64_t bytes_skipped_matching; /* already on the target (resume) */
	uint64_t bytes_unchanged;	/* not in the changes since --base */
	uint64_t bytes_matching_checked; /* of them, fetched and checked
					  * against the manifest */
	uint64_t bytes_scanned;		/* of the target, to resume */
	uint64_t bytes_verified;	/* read back and checked */
	uint64_t requests, retries;
	uint64_t blocks_refetched;
};

struct restore_job {
	const struct restore_args *a;
	/* the source */
	bool src_is_path;
	struct device src;		/* a path SOURCE */
	struct source *rs;		/* stdin, http(s), s3 */
	struct source_info info;
	const char *kind;		/* "file", "block-device", "stdin", ... */
	char display[1024];		/* no query string, no credentials */
	bool size_known;
	uint64_t image_size;		/* when size_known */
	struct stat src_stat;		/* a regular file SOURCE (or stdin's)
					 * as opened: it must not change */
	bool src_stat_known;
	/* a block-device SOURCE: its writes and discards so far (sysfs
	 * stat), and a loop device's backing file */
	bool src_io_known, src_backing_known;
	uint64_t src_io[2];
	struct stat src_backing;
	struct pipe_filler filler;	/* rs as the pipeline's source */
	void *fill;			/* the adapter's state */
	/* the target */
	struct device tgt;
	struct as_header tgt_hdr;	/* as it was before the run */
	bool tgt_was_marked;		/* an unfinished restore's mark */
	struct as_header img_hdr;
	bool img_hdr_known;
	/* the manifests */
	struct manifest man;
	bool have_man;
	struct manifest_writer mw;
	bool mw_open;
	/* the plan */
	uint64_t block;			/* hash, check, refetch, zero unit */
	uint64_t hold;			/* [0, hold): the header region, last */
	uint64_t memory;		/* the I/O buffers' cap: --memory, less
					 * what a held region of big blocks
					 * takes past 8M when it was defaulted */
	uint64_t end;			/* where the image ends (or, a stream of
					 * unknown size, the target) */
	bool resume;			/* --manifest, and the target holds an
					 * unfinished restore or the image */
	unsigned char *hold_img;
	block_hash *hold_digest;
	unsigned char *hold_state;	/* enum rblock of the held blocks */
	struct header_commit hc;
	bool checked_headers;
	struct restore_window w;
	bool refetching;
	uint64_t last_fetched_end;	/* of the last range fetched */
	uint64_t zero_at, zero_len;	/* a run of zeros not yet zeroed */
	size_t zero_digest_len;		/* the digest of so many zeros: */
	block_hash zero_digest;
	struct extent_list mismatch;	/* read back wrong (capped) */
	struct restore_bg *bg;		/* a window read back meanwhile */
	uint64_t progress_last;
	/* the outcome */
	const char *engine;		/* the one that ran */
	struct restore_counts n;
	double elapsed_s;
	bool source_ended;		/* a stream ended before the target */
	uint64_t source_end;		/* there */
	bool verified;			/* every written block read back right */
	const char *verify_result;	/* "match", "mismatch", "skipped",
					 * "not-run" */
	bool header_written;		/* step 4 done */
	bool marked;			/* the mark was put on in this run */
	bool manifest_written;		/* --manifest-out is in place */
	struct source_stats src_stats;	/* the remote source's, at the end */
	char error[3072];		/* one line: paths and a URL fit */
};

#define RESTORE_WINDOW_BLOCKS (64u << 10)	/* 1 MiB of digests */
/* A remote source's window (not a stream's): each is read back while
 * the next is fetched, so the last one's read-back is all that waits.
 * At least this, and 4 x connections x part size (restore_run). */
#define RESTORE_REMOTE_WINDOW_BYTES (128u << 20)
/* That read-back's reads in flight, and its memory (two reads' worth at
 * the least): small, beside the fetch's parts (the 160 MiB bound). */
#define RESTORE_BG_MEMORY (8u << 20)
#define RESTORE_BG_DEPTH 8u
/* The least a defaulted --memory is cut to for a big held region. */
#define RESTORE_MEMORY_FLOOR (32u << 20)

/* Set once the header commit has written the header region (read by the
 * watchdog's report: cli_watch_flag). */
extern volatile sig_atomic_t restore_header_written;

/* restorejob.c */

/*
 * restore_open() - every check that needs no byte of the image: the
 * manifests, the source opened, the target's refusals and its claim,
 * sizes, the target's header, the plan. Returns 0 or -errno with
 * j->error.
 */
int restore_open(struct restore_job *j, const struct restore_args *a);

/* restore_run() - the job. Returns 0 (j->verified says whether the
 * read-back found every block right) or -errno with j->error. */
int restore_run(struct restore_job *j);

void restore_release(struct restore_job *j);

/* restore_base.c */

/*
 * restore_check_base() - --base: TARGET must hold the base snapshot (a
 * sample of its blocks against --base-manifest, or against the base's
 * blocks fetched, by SHA-256). 0, or -errno with j->error (-EINVAL:
 * it does not). Nothing is written.
 */
int restore_check_base(struct restore_job *j);

/* restore_pass.c */

/* Hook the job's source (j->rs) up as the pipeline's filler; release it
 * once the source is closed (it may hold parts abandoned by a run). */
int restore_fill_init(struct restore_job *j);
void restore_fill_release(struct restore_job *j);

/*
 * restore_fetch() - one pipeline run over ranges of the image: each block
 * hashed, checked against the manifest, held (header region), written,
 * zeroed or skipped, its state and digest kept. Returns 0 or -errno with
 * j->error.
 */
int restore_fetch(struct restore_job *j, const struct pipe_range *r,
		  size_t n);

/*
 * restore_holes() - the window's holes (a path source's, not read): the
 * digest of zeros checked against the manifest, then zeroed or skipped.
 */
int restore_holes(struct restore_job *j);

/*
 * restore_prescan() - resume: read the window (j->w) on the target; the
 * blocks that match the manifest become RB_MATCH (count: add them to
 * bytes_skipped_matching). Returns 0 or -errno with j->error.
 */
int restore_prescan(struct restore_job *j, bool count);

/*
 * restore_choose_checks() - of the window's RB_MATCH blocks, those to be
 * fetched to check the source against the manifest become RB_CHECK: all
 * of a path's or a stream's, a spread sample of a remote source's (of
 * those it holds data for, when it has extents). Returns 0 or -errno
 * with j->error.
 */
int restore_choose_checks(struct restore_job *j);

/* restore_mark_holes() - a source's blocks wholly inside a hole (a
 * path's, or what a snapshot does not list) become RB_HOLE (not read),
 * or RB_KEPT under --base. Returns 0 or -errno with j->error. */
int restore_mark_holes(struct restore_job *j);

/* Zero the run of zeros pending, if any. Returns 0 or -errno. */
int restore_zero_flush(struct restore_job *j);

/* The first write past the header region: the mark (once). */
int restore_mark(struct restore_job *j);

/*
 * restore_ranges() - the runs of window blocks in any of the states of
 * mask (1 << RB_x ...) as pipeline ranges, into *out (malloc'd). Returns
 * the count or -ENOMEM.
 */
long restore_ranges(const struct restore_job *j, unsigned mask,
		    struct pipe_range **out);

/*
 * restore_readback() - read ranges of the target back and compare each
 * block's digest with digest[] (index: (offset - base) / block); the
 * blocks that differ go to j->mismatch. Returns 0 or -errno with j->error.
 */
int restore_readback(struct restore_job *j, const struct pipe_range *r,
		     size_t n, uint64_t base, const block_hash *digest);

/* A remote source's windows (not a stream's) are read back in the
 * background, while the next is fetched, when --memory leaves room. */
bool restore_overlapped(const struct restore_job *j);

/* The memory of a read-back in the background: out of --memory's
 * (restore_bg_share: at --io-size io_size; two blocks if more). */
size_t restore_bg_memory(const struct restore_job *j);
size_t restore_bg_share(size_t io_size);

/*
 * restore_readback_bg() - restore_readback() in a thread of its own while
 * the caller goes on (the next window's fetch): r (malloc'd) becomes its,
 * digest[0..nblocks) is copied. The one before is joined first. Returns
 * 0, or -errno with j->error (of the one joined, or out of memory).
 */
int restore_readback_bg(struct restore_job *j, struct pipe_range *r,
			size_t n, uint64_t base, const block_hash *digest,
			size_t nblocks);

/* restore_readback_join() - wait for the read-back in the background, if
 * any; its mismatches go to j->mismatch. Returns 0 or -errno with
 * j->error. */
int restore_readback_join(struct restore_job *j);

/*
 * restore_zeroed_unproven() - --target-is-zeroed, but TARGET holds the
 * mark of an unfinished restore, which may have written where this image
 * has zeros: its first 8 MiB could not be checked, and the zeros skipped
 * must be read (restore_prove_skipped), the header region's written.
 */
bool restore_zeroed_unproven(const struct restore_job *j);

/*
 * restore_prove_skipped() - when restore_zeroed_unproven(): read the
 * window's RB_SKIPPED blocks on TARGET; those that are not zeros are
 * zeroed and become RB_ZEROED (*zeroed: their bytes). Returns 0 or
 * -errno with j->error.
 */
int restore_prove_skipped(struct restore_job *j, uint64_t *zeroed);

/* The digest of len zero bytes (the block size's is kept). */
block_hash restore_zero_digest(struct restore_job *j, size_t len);

/* Word a failed pipeline run of the job (fetch, scan, read-back). */
void restore_pipe_error(struct restore_job *j, const struct pipe_error *e,
			const char *doing);

#endif
