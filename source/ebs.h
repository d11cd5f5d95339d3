/*
 * ebs.h - the insides of ebs:// sources, shared by ebs.c (the source:
 * parts, block requests, checksums, the rate), ebs_list.c (the
 * listings) and ebs_req.c (requests, signatures, the service's errors).
 *
 * An EBS snapshot is not one object but a list of 512 KiB blocks: only
 * those written are listed (ListSnapshotBlocks, or ListChangedBlocks
 * against a base), each with a block token for GetSnapshotBlock. What is
 * not listed reads as zeros here (never fetched: an encrypted snapshot's
 * unwritten blocks do not read as zeros on the service's side). The
 * listing streams: pages are asked for ahead of the parts, as far as
 * LIST_AHEAD blocks past the highest block asked for, and the blocks more
 * than KEEP_BEHIND below it are forgotten (asked again, they are listed
 * again), so memory stays bounded whatever the snapshot's size.
 */
#ifndef SHADOWSYNC_EBS_H
#define SHADOWSYNC_EBS_H

#include "awscred.h"
#include "fetch.h"
#include "source.h"

#include <stdint.h>

#define EBS_LIST_MAX 10000u		/* MaxResults of a listing page */
#define EBS_LIST_BUF (4u << 20)		/* a page's JSON: 10000 tokens of
					 * up to 256 bytes fit */
#define EBS_LIST_AHEAD 70000u		/* blocks listed ahead (a restore
					 * window of 65536, and some) */
#define EBS_KEEP_BEHIND 140000u		/* blocks kept below the highest
					 * asked for (a window refetches) */
#define EBS_JUMP 200000u		/* further ahead: list from there */
#define EBS_PAGE_TOKEN_MAX_AGE_MS (30u * 60 * 1000) /* NextToken lives 60 */
#define EBS_TOKEN_MARGIN_MS 60000u	/* a block token this close to its
					 * ExpiryTime (or the last quarter of
					 * its life) is listed again first */
#define EBS_BAD_TRIES 4u		/* fetches of a block whose checksum
					 * or length is wrong */
#define EBS_RELIST_TRIES 6u		/* expired tokens in a row */

enum ebs_list_mode { EBS_LIST_BLOCKS, EBS_LIST_CHANGED };
enum ebs_job_kind { EJ_LIST, EJ_BLOCK };

/* One listed block; token NULL: changed to unwritten (reads as zeros). */
struct ebs_blk {
	uint64_t index;
	char *token;
	char *first_token;		/* changed: the base's, or NULL */
	uint64_t expiry_ms;		/* CLOCK_REALTIME ms; UINT64_MAX: none */
	uint64_t listed_ms;		/* CLOCK_REALTIME ms */
};

struct ebs;
struct ebs_part;

struct ebs_job {
	struct fetch_job job;
	enum ebs_job_kind kind;
	struct ebs_lister *ls;		/* EJ_LIST */
	struct ebs_part *part;		/* EJ_BLOCK */
	const char *snap;		/* the snapshot a block is read from */
	uint64_t index;
	char *token;			/* a block's, owned */
	char checksum[96];		/* of the response */
	int64_t data_length;
	unsigned bad_tries, relist_tries;
	bool waiting;			/* for a new token (expired) */
	bool sample;			/* a block of the base, checked only */
	struct ebs_job *next;
	/* ebs_hash.c: the body's SHA-256, set by the worker */
	char sum[48];
	int sum_ret;
	struct ebs_job *hnext;		/* in the worker's lists */
};

struct ebs_lister {
	struct ebs *e;
	enum ebs_list_mode mode;
	const char *snap;		/* ListSnapshotBlocks' / the second */
	const char *first;		/* ListChangedBlocks' first snapshot */
	uint64_t end_index;		/* listed up to here at most */
	unsigned max_results;
	struct ebs_blk *v;		/* sorted; v[head..n) live */
	size_t head, n, cap;
	uint64_t cov_lo, cov_hi;	/* [lo, hi): every listed block known */
	bool at_end;			/* ... and past hi there is none */
	char page_token[320];		/* "" when none */
	uint64_t page_token_ms;
	uint64_t want;			/* blocks below this are needed */
	bool restart;			/* list again from restart_at */
	uint64_t restart_at;
	unsigned expired_in_row;
	struct ebs_job job;
	bool busy;
	char *buf;
	uint64_t pages;
};

struct ebs_part {
	struct source_req *req;
	size_t len;			/* of req, within the volume */
	uint64_t b0, b1, next_b;	/* its blocks; the next to start */
	unsigned outstanding;
	int err;
	char why[FETCH_WHY + 128];
	struct ebs_part *next;
};

struct ebs {
	struct source *s;
	struct fetch *f;
	char snap[64], base[64];
	char spec_display[160];		/* "ebs://snap-..." */
	char host[256], path_base[4096], url_base[300];
	char region[64];
	char endpoint[4400];		/* as shown: scheme://host[/path] */
	struct awscred *cred;
	uint32_t block;			/* BlockSize */
	uint64_t volume_gib, nblocks;
	bool geometry_known;
	/* listings: full; with a base the head region comes from a full
	 * listing of the snapshot and the rest from its changes */
	struct ebs_lister full, changed, base_list;
	bool incremental;
	uint64_t head_blocks;		/* incremental: [0, head) from full */
	/* parts and block requests */
	struct ebs_part *parts, *free_parts, *active, *done, *done_tail;
	unsigned nparts;
	struct ebs_job *jobs, *free_jobs, *waiting;
	unsigned njobs;
	/* the rate */
	unsigned max_rps, rate;
	uint64_t rate_changed_ms, last_throttle_ms;
	/* the report */
	uint64_t open_ms;
	bool fetched_once;
	uint64_t throttled, list_requests, blocks_listed, blocks_fetched;
	uint64_t checksum_retries, relists;
	char fatal[FETCH_WHY + 256];	/* a listing that failed for good */
	int fatal_err;
	/* ebs_hash.c: blocks handed to the hashing worker, verdicts not
	 * taken yet (each still counts in its part's outstanding) */
	struct ebs_hasher *hasher;
	bool hasher_failed;
	unsigned hashing;
	struct ebs_job *hashed_inline;
};

/* ebs_req.c */
extern const struct fetch_hooks ebs_hooks;
uint64_t ebs_now_ms(void);		/* CLOCK_MONOTONIC */
uint64_t ebs_wall_ms(void);		/* CLOCK_REALTIME */
/* Base64 SHA-256 of n bytes, as x-amz-Checksum has it; 0 or -EIO. */
int ebs_sha256_b64(const void *p, size_t n, char out[48]);

/* ebs_list.c */
void ebs_lister_init(struct ebs_lister *l, struct ebs *e,
		     enum ebs_list_mode mode, const char *snap,
		     const char *first, uint64_t end_index);
void ebs_lister_release(struct ebs_lister *l);
/* Is every listed block of index known (or known not to be there)? */
bool ebs_covered(const struct ebs_lister *l, uint64_t index);
/* The first listed block at or after index within the coverage. */
const struct ebs_blk *ebs_lookup_from(const struct ebs_lister *l,
				      uint64_t index);
/* Block index is needed now: list (again, or from there) as needed. */
void ebs_need(struct ebs_lister *l, uint64_t index);
/* Blocks below index will be needed: list ahead that far. */
void ebs_want(struct ebs_lister *l, uint64_t index);
/* Tokens at index and after are stale: list again from there. */
void ebs_relist(struct ebs_lister *l, uint64_t index);
/* Start a page if one is due; 0 or -errno. */
int ebs_list_pump(struct ebs_lister *l);
/* A page arrived (or failed): 0, or -errno with e->fatal. */
int ebs_list_done(struct ebs_lister *l);

/* ebs.c */
void ebs_throttled(struct ebs *e);
struct ebs *ebs_of(struct source *s);
/* Run transfers up to wait_ms; completions handled. 0 or -errno. */
int ebs_step(struct ebs *e, unsigned wait_ms);
void ebs_sync_stats(struct ebs *e);

/* ebs_hash.c */
/* Hash ej's body (ej->job.buf, got) into ej->sum/sum_ret, off this
 * thread; its verdict comes back through ebs_hash_take(). */
void ebs_hash_submit(struct ebs *e, struct ebs_job *ej);
/* The blocks hashed since the last take (a list on hnext), waiting up to
 * wait_ms for one when some are out and none is back. */
struct ebs_job *ebs_hash_take(struct ebs *e, unsigned wait_ms);
/* Stop the worker (the blocks it holds are dropped). */
void ebs_hash_stop(struct ebs *e);

/* ebs_base.c */
int ebs_base_sample(struct source *s, uint64_t first_offset, unsigned max,
		    uint64_t *off, char (*sum)[48]);

#endif
