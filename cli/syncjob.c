/*
 * syncjob.c - one sync of a local/shadow pair: the checks before the
 * first write, the pass that writes what differs, the header commit,
 * the read-back.
 *
 * Memory stays bounded on multi-TiB devices that differ in millions of
 * places: the device is synced in windows small enough that the extents
 * of one window (what its read-back needs) cannot exceed a fixed count;
 * each window is written, flushed and read back before the next one, and
 * the report keeps the first REPORT_MAX_EXTENTS extents and counts all.
 */
#include "syncjob.h"
#include "commit.h"
#include "target.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Worst case: every other block differs. 256 Ki extents = 6 MiB. */
#define WINDOW_EXTENTS (256u << 10)

/*
 * Look at local read-only first (mounted? in use? the shadow itself?),
 * and only then open it for writing, exclusively for a block device, and
 * check that what we opened is what we looked at. A dry run makes every
 * check the same way but opens for reading.
 */
int syncjob_open(struct pair_job *j, bool dry_run, bool force)
{
	int ret = pair_open(j, 0);

	if (ret < 0)
		return ret;
	ret = target_check(&j->local, &j->shadow, "local", force,
			   j->rep.error, sizeof(j->rep.error));
	if (ret < 0)
		return ret;
	return target_claim(&j->local, j->local_path, "local", "sync",
			    !dry_run, j->rep.error, sizeof(j->rep.error));
}

/*
 * What the headers say about writing local from shadow, before anything
 * is written (dry runs too): another namespace, a blank shadow over a
 * device with data, arguments that look swapped. --force overrides.
 */
static int check_headers(struct pair_job *j, bool force)
{
	const struct pair_aero *h = &j->aero;
	bool local_aero = h->read && h->local.state == AS_STATE_AEROSPIKE;
	bool shadow_aero = h->read && h->shadow.state == AS_STATE_AEROSPIKE;

	if (force || !local_aero)
		return 0;
	if (shadow_aero && strcmp(h->local.namespace, h->shadow.namespace)) {
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "local '%s' holds namespace '%s' but shadow '%s' holds "
			 "'%s'; refusing to overwrite it (--force if you are sure)",
			 j->local_path, h->local.namespace, j->shadow_path,
			 h->shadow.namespace);
		return -EINVAL;
	}
	if (!shadow_aero) {
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "shadow '%s' has no Aerospike header (%s) but local '%s' "
			 "holds namespace '%s': copying it would wipe local's data; "
			 "refusing (find the right shadow volume; --force if you "
			 "are sure)", j->shadow_path,
			 report_state_name(h->shadow.state), j->local_path,
			 h->local.namespace);
		return -EINVAL;
	}
	/* asd writes one device_id to a local and its shadow at every start. */
	if (h->local.has_unique && h->shadow.has_unique &&
	    h->local.device_id != h->shadow.device_id) {
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "local '%s' is device %u of namespace '%s' but shadow "
			 "'%s' is device %u: they were not a pair at asd's last "
			 "start; refusing (check the order of the device lines; "
			 "--force if you are sure)", j->local_path,
			 h->local.device_id, h->local.namespace, j->shadow_path,
			 h->shadow.device_id);
		return -EINVAL;
	}
	if (h->likely_swap) {
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "shadow '%s' looks like a local device and local '%s' "
			 "like a shadow (pristine_offset, written to local only, "
			 "is set on the shadow and not on local): arguments "
			 "swapped? refusing (usage: sync LOCAL SHADOW; --force if "
			 "you are sure)", j->shadow_path, j->local_path);
		return -EINVAL;
	}
	return 0;
}

/* After a sync local's header is the shadow's but for pristine_offset. */
void syncjob_decide(struct pair_job *j)
{
	struct pair_aero *a = &j->aero;

	if (a->read && a->local_raw && a->shadow_raw && j->rep.verified) {
		bool keep = header_commit_keeps_pristine(a);
		uint64_t pristine = a->local.pristine_offset;
		unsigned char raw[AS_PRISTINE_BYTES];

		memcpy(raw, a->local_raw + AS_OFF_PRISTINE, sizeof(raw));
		memcpy(a->local_raw, a->shadow_raw, AS_HEADER_STRUCT_BYTES);
		a->local = a->shadow;
		if (keep) {
			memcpy(a->local_raw + AS_OFF_PRISTINE, raw, sizeof(raw));
			a->local.pristine_offset = pristine;
		}
		a->local_sweep = a->shadow_sweep;
	}
	pair_decide(j);
	if (j->rep.verified)
		a->data_differing_bytes = 0;
}

/* Word a failed step of the header commit into j->rep.error. */
static void commit_error(struct pair_job *j, const struct header_commit *c)
{
	static const char *const what[] = { "guard", "mark local's header "
					    "not loadable", "header", "write "
					    "local's header region", "flush",
					    "flush local" };
	const char *doing = c->step;

	for (size_t i = 0; i < 6; i += 2)
		if (!strcmp(c->step, what[i]))
			doing = what[i + 1];
	snprintf(j->rep.error, sizeof(j->rep.error),
		 "cannot %s '%s' at offset %llu: %s (%s)", doing, j->local_path,
		 (unsigned long long)c->err_offset, device_strerror(c->err),
		 errno_name(c->err));
}

/* Fold one window's result into the job's. */
static int fold_window(struct compare_result *job, const struct compare_result *w)
{
	job->engine = w->engine;
	job->direct_local = w->direct_local;
	job->direct_shadow = w->direct_shadow;
	job->bytes_compared += w->bytes_compared;
	job->differing_blocks += w->differing_blocks;
	job->differing_bytes += w->differing_bytes;
	for (unsigned r = 0; r < 3; r++)
		job->region_bytes[r] += w->region_bytes[r];
	job->bytes_written += w->bytes_written;
	job->data_write_started |= w->data_write_started;
	job->error = w->error;
	for (size_t i = 0; i < w->extents.n; i++) {
		const struct extent *e = &w->extents.v[i];
		int ret = extent_list_add(&job->extents, e->offset, e->length,
					  e->region);

		if (ret < 0)
			return ret;
	}
	return 0;
}

/* The header region's differing blocks, written last (at most 16 Ki). */
static int keep_header_extents(struct header_commit *hc,
			       const struct compare_result *w)
{
	for (size_t i = 0; i < w->extents.n; i++) {
		const struct extent *e = &w->extents.v[i];
		int ret;

		if (e->region != REGION_HEADER)
			continue;
		ret = extent_list_add(&hc->header_extents, e->offset, e->length,
				      e->region);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* The data extents of a window: what its read-back covers. */
static long data_ranges(const struct compare_result *w, struct pipe_range **out)
{
	struct pipe_range *v = calloc(w->extents.n + 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < w->extents.n; i++)
		if (w->extents.v[i].region != REGION_HEADER)
			v[n++] = (struct pipe_range){ w->extents.v[i].offset,
						      w->extents.v[i].length };
	*out = v;
	return (long)n;
}

/* Read ranges of local back and compare them with the shadow again. */
static int read_back(struct pair_job *j, const struct compare_opts *o,
		     struct pipe_range *ranges, long n)
{
	uint64_t bad = 0;
	int ret;

	if (!j->local.direct)
		for (long i = 0; i < n; i++)
			device_drop_cache(&j->local, ranges[i].offset,
					  ranges[i].length);
	ret = compare_readback(&j->local, &j->shadow, o, ranges, (size_t)n,
			       &j->cmp, &bad);
	if (ret == -EILSEQ)
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "read-back of local '%s' at offset %llu does not match "
			 "what was written", j->local_path,
			 (unsigned long long)bad);
	else if (ret < 0)
		pair_pipe_error(j);
	return ret;
}

/* After a window's pass: make what landed durable, read it back. */
static int settle_window(struct pair_job *j, const struct compare_opts *o,
			 const struct compare_result *w)
{
	struct pipe_range *ranges;
	long n;
	int ret;

	if (!w->bytes_written)
		return 0;
	ret = device_flush(&j->local);
	if (ret < 0) {
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "cannot flush local '%s': %s (%s)", j->local_path,
			 device_strerror(ret), errno_name(ret));
		return ret;
	}
	n = data_ranges(w, &ranges);
	if (n < 0)
		return (int)n;
	ret = read_back(j, o, ranges, n);
	free(ranges);
	return ret;
}

static uint64_t window_bytes(const struct pair_job *j)
{
	uint64_t w = (uint64_t)WINDOW_EXTENTS * 2 * j->io.block_size;

	return w < j->io.block_size ? j->io.block_size : w;
}

/*
 * The pass, window by window: compare, write what differs (never the
 * header region), flush, read back. Stops at the first failure; what
 * landed before it is flushed.
 */
static int sync_windows(struct pair_job *j, struct compare_opts *o,
			struct header_commit *hc, bool dry_run)
{
	uint64_t size = j->local.size_bytes, step = window_bytes(j);
	int ret = 0;

	for (uint64_t at = 0; at < size && !ret; at += step) {
		struct pipe_range r = { at, size - at < step ? size - at : step };
		struct compare_result w;

		j->progress_last = 0;	/* each window's pass counts from 0 */
		o->ranges = &r;
		o->nranges = 1;
		ret = compare_run(&j->local, &j->shadow, o, &w);
		if ((fold_window(&j->cmp, &w) < 0 ||
		     keep_header_extents(hc, &w) < 0) && !ret)
			ret = -ENOMEM;
		if (ret < 0) {
			if (hc->err)
				commit_error(j, hc);
			else
				pair_pipe_error(j);
			if (w.bytes_written && !dry_run)
				device_flush(&j->local);
		} else if (!dry_run) {
			ret = settle_window(j, o, &w);
		}
		compare_result_release(&w);
	}
	return ret;
}

static int run_sync_pass(struct pair_job *j, bool dry_run,
			 struct header_commit *hc)
{
	struct compare_opts o = pair_compare_opts(j);
	struct pipe_range *ranges;
	long n;
	int ret;

	/* The report keeps the first extents; a window keeps all of its. */
	j->cmp.extents.max = o.max_extents;
	o.max_extents = 0;
	if (!dry_run) {
		o.write_local = true;
		if (o.header_bytes) {
			ret = header_commit_init(hc, &j->local, &j->aero);
			if (ret < 0)
				return ret;
			o.header_image = hc->image;
			o.before_data_write = header_commit_guard;
			o.guard_ctx = hc;
		}
	}
	ret = pair_manifest_begin(j, &o);
	if (ret < 0)
		return ret;
	ret = sync_windows(j, &o, hc, dry_run);
	j->rep.cmp = &j->cmp;
	j->rep.header_guard = hc->guard_used;
	if (pair_manifest_end(j, ret == 0) < 0 && !ret)
		ret = -EIO;
	if (ret < 0 || dry_run || !o.header_bytes)
		return ret;
	/* The header region last, once the data is durable. */
	ret = header_commit_finish(hc, &hc->header_extents, NULL);
	if (ret < 0) {
		commit_error(j, hc);
		return ret;
	}
	j->cmp.bytes_written += j->cmp.region_bytes[REGION_HEADER];
	n = header_commit_ranges(hc, &hc->header_extents, &ranges);
	if (n < 0)
		return (int)n;
	ret = read_back(j, &o, ranges, n);
	free(ranges);
	return ret;
}

int syncjob_run(struct pair_job *j, bool dry_run, bool force)
{
	struct header_commit hc = { 0 };
	double t0 = compare_now();
	int ret;

	ret = pair_read_headers(j);
	if (!ret)
		ret = check_headers(j, force);
	if (ret < 0)
		return ret;
	ret = run_sync_pass(j, dry_run, &hc);
	if (ret == -ECANCELED) {
		char b[32];

		snprintf(j->rep.error, sizeof(j->rep.error),
			 "interrupted after comparing %s of local '%s' and "
			 "writing %llu bytes to it; run sync again to finish",
			 human_bytes(j->cmp.bytes_compared, b, sizeof(b)),
			 j->local_path, (unsigned long long)j->cmp.bytes_written);
	}
	j->cmp.elapsed_s = compare_now() - t0;	/* the whole job */
	j->rep.wrote = !dry_run && ret == 0;
	j->rep.verified = !dry_run && ret == 0;
	header_commit_release(&hc);
	return ret;
}
