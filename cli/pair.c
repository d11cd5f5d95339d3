/*
 * pair.c - opening, reading the headers of, and configuring a
 * local/shadow pair; a small thread pool for many pairs.
 */
#include "pair.h"
#include "outpath.h"
#include "progress.h"
#include "single.h"
#include "target.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

void pair_init(struct pair_job *j, const struct io_opts *io,
	       const char *local_path, const char *shadow_path,
	       const struct as_server *server, const char *server_version)
{
	memset(j, 0, sizeof(*j));
	j->io = *io;
	j->block_size_given = io->block_size != 0;
	if (!j->io.block_size)
		j->io.block_size = DEFAULT_BLOCK_SIZE;
	j->local_path = local_path;
	j->shadow_path = shadow_path;
	j->local.fd = j->shadow.fd = -1;
	j->local.fd_buffered = j->shadow.fd_buffered = -1;
	j->rep.engine = io->engine;
	j->rep.local_path = local_path;
	j->rep.shadow_path = shadow_path;
	j->aero.server = server;
	j->aero.server_version = server_version;
}

static void open_error(struct pair_job *j, const char *role, const char *path,
		       int err)
{
	snprintf(j->rep.error, sizeof(j->rep.error), "%s '%s' %s%s", role, path,
		 device_open_verb(err), device_strerror(err));
}

int pair_open(struct pair_job *j, unsigned local_flags)
{
	int ret;

	ret = device_open(&j->shadow, j->shadow_path, 0);
	if (ret < 0) {
		open_error(j, "shadow", j->shadow_path, ret);
		return ret;
	}
	j->rep.shadow_size = j->shadow.size_bytes;
	j->rep.shadow_direct = j->shadow.direct;
	ret = device_open(&j->local, j->local_path, local_flags);
	if (ret < 0) {
		open_error(j, "local", j->local_path, ret);
		return ret;
	}
	j->rep.local_size = j->local.size_bytes;
	j->rep.local_direct = j->local.direct;
	/*
	 * One storage under two names (a partition and its disk, two loop
	 * devices over one file, dm/md stacks): a conf typo must not pass
	 * verify's gate nor let sync write into the shadow. Named before any
	 * size complaint.
	 */
	ret = pair_storage_check(&j->local, &j->shadow, j->rep.error,
				 sizeof(j->rep.error));
	if (ret < 0)
		return ret;
	if (j->shadow.size_bytes < j->local.size_bytes) {
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "shadow '%s' (%llu bytes) is smaller than local '%s' "
			 "(%llu bytes)", j->shadow_path,
			 (unsigned long long)j->shadow.size_bytes, j->local_path,
			 (unsigned long long)j->local.size_bytes);
		return -EINVAL;
	}
	return 0;
}

/* Read one header region and keep the struct part of it. */
static int read_header(struct pair_job *j, const struct device *d, int source,
		       unsigned char *region, struct as_header *h,
		       unsigned char **raw)
{
	struct pipe_file f = { d->fd, d->direct };
	int ret;

	ret = pipe_read_into(j->io.engine, f, 0, AS_HEADER_REGION_BYTES,
			     region, &cli_interrupted, &j->cmp.error);
	if (ret < 0) {
		if (j->cmp.error.source == 0)
			j->cmp.error.source = source;
		pair_pipe_error(j);
		return ret;
	}
	as_header_decode(region, AS_HEADER_REGION_BYTES, h);
	*raw = malloc(AS_HEADER_STRUCT_BYTES);
	if (!*raw)
		return -ENOMEM;
	memcpy(*raw, region, AS_HEADER_STRUCT_BYTES);
	return 0;
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/*
 * On an Aerospike device no comparison block may straddle the end of the
 * header region or a write-block boundary, or a header difference would
 * hide a data one (and the verdict with it): make the block size divide
 * both. It stays a multiple of 512 (both are).
 */
static void align_block_size(struct pair_job *j)
{
	const struct pair_aero *a = &j->aero;
	uint64_t wb = AS_HEADER_REGION_BYTES, bs = j->io.block_size, g;

	if (a->shadow.state == AS_STATE_AEROSPIKE &&
	    block_size_valid(a->shadow.write_block_size))
		wb = a->shadow.write_block_size;
	else if (a->local.state == AS_STATE_AEROSPIKE &&
		 block_size_valid(a->local.write_block_size))
		wb = a->local.write_block_size;
	g = gcd64(gcd64(bs, wb), AS_HEADER_REGION_BYTES);
	if (g != bs) {
		j->rep.block_size_requested = bs;
		j->io.block_size = g;
	}
}

/* pristine_offset is written to the local only: set on the shadow, and
 * not on local, the two look swapped. */
static bool looks_swapped(const struct pair_aero *a)
{
	return a->local.state == AS_STATE_AEROSPIKE &&
	       a->shadow.state == AS_STATE_AEROSPIKE && a->local.has_unique &&
	       a->shadow.has_unique && a->local.pristine_offset == 0 &&
	       a->shadow.pristine_offset != 0;
}

int pair_read_headers(struct pair_job *j)
{
	struct pair_aero *a = &j->aero;
	unsigned char *region;
	uint32_t wbs;
	int ret;

	j->rep.aero = a;
	if (j->local.size_bytes < AS_HEADER_REGION_BYTES) {
		if (!j->namespace)
			return 0;	/* too small to be Aerospike's */
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "local '%s' (%llu bytes) is smaller than the 8 MiB "
			 "Aerospike header region", j->local_path,
			 (unsigned long long)j->local.size_bytes);
		return -EINVAL;
	}
	region = malloc(AS_HEADER_REGION_BYTES);
	if (!region)
		return -ENOMEM;
	ret = read_header(j, &j->local, 0, region, &a->local, &a->local_raw);
	if (!ret)
		ret = read_header(j, &j->shadow, 1, region, &a->shadow,
				  &a->shadow_raw);
	free(region);
	if (ret < 0)
		return ret;
	a->read = true;
	a->likely_swap = looks_swapped(a);
	wbs = a->shadow.write_block_size;
	if (!j->block_size_given && a->local.state == AS_STATE_AEROSPIKE &&
	    a->shadow.state == AS_STATE_AEROSPIKE && block_size_valid(wbs))
		j->io.block_size = wbs;
	if (a->local.state == AS_STATE_AEROSPIKE ||
	    a->shadow.state == AS_STATE_AEROSPIKE || j->namespace)
		align_block_size(j);
	return 0;
}

static void feed_sweeps(void *ctx, const struct pipe_chunk *c)
{
	struct pair_aero *a = ctx;

	as_sweep_feed(&a->local_sweep, c->offset, c->buf[0], c->len);
	as_sweep_feed(&a->shadow_sweep, c->offset, c->buf[1], c->len);
}

/*
 * A differing block: the first time one of a write-block's blocks
 * differs, the records of its two copies, straight from the buffers
 * (chunks hold whole write-blocks: see records_begin).
 */
static void differ_records(void *ctx, const struct pipe_chunk *c, size_t at,
			   size_t len)
{
	struct pair_aero *a = ctx;
	struct pair_records *pr = a->records;
	uint64_t off = c->offset + at, wb = AS_WBLOCK_BYTES, id = off / wb;
	uint64_t start = id * wb;
	const struct as_sweep *ls = &a->local_sweep, *ss = &a->shadow_sweep;

	(void)len;
	if (off < AS_HEADER_REGION_BYTES || id < pr->next_wblock ||
	    start < c->offset || start + wb > c->offset + c->len ||
	    start + wb > ss->end)
		return;		/* the header, done, or not whole */
	pr->next_wblock = id + 1;
	/* The sweeps were fed through this chunk: each knows if it
	 * stopped before this write-block (they read 1..swept). */
	as_recdiff_wblock(&pr->diff, start, c->buf[0] + (start - c->offset),
			  c->buf[1] + (start - c->offset),
			  !(ls->stopped && id > ls->swept),
			  !(ss->stopped && id > ss->swept));
}

/*
 * Read the records of differing write-blocks when asd would (the
 * shadow's header: format 4, 8 MiB write-blocks, not encrypted) and
 * the chunks can hold whole write-blocks within --memory.
 */
static void records_begin(struct pair_job *j, struct compare_opts *o)
{
	struct pair_aero *a = &j->aero;
	const struct as_header *h = &a->shadow;
	struct pipe_config cfg = {
		.chunk_align = AS_WBLOCK_BYTES, .io_size = o->io_size,
		.queue_depth = o->queue_depth, .memory_bytes = o->memory_bytes,
		.nsrc = 2,
	};
	struct pair_records *pr;

	if (h->state != AS_STATE_AEROSPIKE || h->format != 4 ||
	    h->write_block_size != AS_WBLOCK_BYTES ||
	    (h->flags & AS_FLAG_ENCRYPTED) || !a->shadow_raw ||
	    AS_WBLOCK_BYTES % o->block_size ||
	    (o->memory_bytes && o->memory_bytes < pipe_min_memory(&cfg)))
		return;
	pr = calloc(1, sizeof(*pr));
	if (!pr)
		return;		/* the report says null: not read */
	as_ownership_from_region(a->shadow_raw, AS_HEADER_STRUCT_BYTES, h,
				 &pr->own);
	if (as_recdiff_init(&pr->diff, &pr->own, time(NULL)) < 0) {
		as_recdiff_release(&pr->diff);
		free(pr);
		return;
	}
	a->records = pr;
	o->chunk_align = AS_WBLOCK_BYTES;
	o->on_differ = differ_records;
	o->differ_ctx = a;
}

void pair_records_finish(struct pair_job *j)
{
	struct pair_aero *a = &j->aero;
	struct pair_records *pr = a->records;
	struct cs_result v;
	struct cs_pair p = {
		.local_path = j->local_path, .shadow_path = j->shadow_path,
		.local = &a->local, .shadow = &a->shadow,
		.local_raw = a->local_raw, .shadow_raw = a->shadow_raw,
		.device_bytes = j->local.size_bytes,
		.config_namespace = j->namespace,
	};

	if (!pr || !j->cmp.region_bytes[REGION_DATA])
		return;
	/* The copy asd reads, from the headers as they are now (sync:
	 * before its header commit). */
	cs_decide(a->server, &p, &v);
	if (v.verdict == CS_LOAD_LOCAL) {
		pr->copy = "local";
		pr->load_local = true;
	} else if (v.verdict == CS_COPY_FROM_SHADOW) {
		pr->copy = "shadow";
	}
}

/* pristine_offset: written to local only, at clean shutdown. */
static const struct pipe_range pristine = { AS_OFF_PRISTINE,
					    AS_PRISTINE_BYTES };

struct compare_opts pair_compare_opts(struct pair_job *j)
{
	struct pair_aero *a = &j->aero;
	struct compare_opts o = {
		.engine = j->io.engine,
		.block_size = j->io.block_size,
		.io_size = j->io.io_size,
		.queue_depth = j->io.queue_depth,
		.memory_bytes = j->io.memory_bytes,
		.progress = progress_pass,
		.progress_ctx = &j->progress_last,
		.cancel = &cli_interrupted,
		.max_extents = REPORT_MAX_EXTENTS,
	};
	bool aero = a->local.state == AS_STATE_AEROSPIKE ||
		    a->shadow.state == AS_STATE_AEROSPIKE;

	j->rep.block_size = j->io.block_size;
	if (!a->read)
		return o;
	if (aero || j->namespace)
		o.header_bytes = AS_HEADER_REGION_BYTES;
	if ((a->local.state == AS_STATE_AEROSPIKE && a->local.format != 2) ||
	    (a->shadow.state == AS_STATE_AEROSPIKE && a->shadow.format != 2)) {
		o.ignore = &pristine;
		o.nignore = 1;
	}
	as_sweep_init(&a->local_sweep, as_server_wblock(a->server, &a->shadow),
		      j->local.size_bytes);
	as_sweep_init(&a->shadow_sweep, as_server_wblock(a->server, &a->shadow),
		      j->local.size_bytes);
	o.on_chunk = feed_sweeps;
	o.chunk_ctx = a;
	records_begin(j, &o);
	return o;
}

/*
 * A shadow larger than local: asd sizes the device by local and never
 * reads the shadow past local's end. When the shadow's sweep ran up to
 * local's end without stopping, look at the write-blocks beyond it
 * (their first 4 KiB: enough to tell used from unused) as asd's sweep
 * would go on over the shadow's own size, and count the used ones: their
 * records cannot reach local at cold start.
 */
static void sweep_past_local(struct pair_job *j)
{
	struct pair_aero *a = &j->aero;
	struct as_sweep beyond = a->shadow_sweep;
	void *buf = NULL;

	a->shadow_used_past_local = 0;
	if (a->shadow.state != AS_STATE_AEROSPIKE ||
	    (a->shadow.flags & AS_FLAG_ENCRYPTED) ||
	    j->shadow.size_bytes <= j->local.size_bytes ||
	    a->shadow_sweep.unused_run >= 10 ||
	    posix_memalign(&buf, DEVICE_DIO_ALIGN, DEVICE_DIO_ALIGN))
		goto out;
	as_sweep_init(&beyond, a->shadow_sweep.wblock_bytes,
		      j->shadow.size_bytes);
	beyond.next = a->shadow_sweep.next;
	beyond.unused_run = a->shadow_sweep.unused_run;
	beyond.stopped = beyond.next >= beyond.end;
	while (!beyond.stopped && !cli_interrupted) {
		uint64_t at = beyond.next, used = beyond.used;

		if (pread(j->shadow.fd, buf, DEVICE_DIO_ALIGN, (off_t)at) !=
		    (ssize_t)DEVICE_DIO_ALIGN)
			break;	/* unreadable: the compare reports errors */
		as_sweep_feed(&beyond, at, buf, DEVICE_DIO_ALIGN);
		if (beyond.used > used && !a->shadow_first_past_local)
			a->shadow_first_past_local = at;
	}
	a->shadow_used_past_local = beyond.used;
out:
	free(buf);
}

void pair_decide(struct pair_job *j)
{
	struct pair_aero *a = &j->aero;
	struct cs_pair p = {
		.local_path = j->local_path,
		.shadow_path = j->shadow_path,
		.local = &a->local,
		.shadow = &a->shadow,
		.local_raw = a->local_raw,
		.shadow_raw = a->shadow_raw,
		.device_bytes = j->local.size_bytes,
		.config_namespace = j->namespace,
	};

	if (!a->read)
		return;
	cs_decide(a->server, &p, &a->verdict);
	a->decided = true;
	sweep_past_local(j);
	if (j->cmp.elapsed_s > 0)
		a->shadow_bytes_per_s = (double)j->cmp.bytes_compared /
					j->cmp.elapsed_s;
	a->data_differing_bytes = j->cmp.region_bytes[REGION_DATA];
	a->local_data_dropped = a->verdict.verdict == CS_REINIT_FROM_SHADOW &&
				!(a->shadow.flags & AS_FLAG_ENCRYPTED) &&
				a->shadow_sweep.used == 0 &&
				a->local_sweep.used > 0;
}

int pair_manifest_begin(struct pair_job *j, struct compare_opts *o)
{
	struct manifest_aerospike ma;
	int ret;

	if (!j->manifest_out)
		return 0;
	ret = manifest_out_check(j->manifest_out, (const char *const[]){
		j->local_path, j->shadow_path }, 2, j->rep.error, sizeof(j->rep.error));
	if (ret < 0)
		return ret;
	if (j->shadow.size_bytes != j->local.size_bytes) {
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "--manifest-out: shadow '%s' is larger than local; its "
			 "last %llu bytes are not read, so this pass cannot make "
			 "its manifest (use 'shadowsync hash')", j->shadow_path,
			 (unsigned long long)(j->shadow.size_bytes -
					      j->local.size_bytes));
		return -EINVAL;
	}
	ret = manifest_writer_open(&j->manifest, j->manifest_out,
				   j->io.block_size, j->shadow.size_bytes,
				   j->shadow_path,
				   single_manifest_aero(j->aero.read ?
							&j->aero.shadow : NULL,
							&ma));
	if (ret < 0) {
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "cannot create manifest '%s': %s", j->manifest_out,
			 strerror(-ret));
		return ret;
	}
	j->manifest_open = true;
	o->on_block = manifest_writer_block;
	o->ctx = &j->manifest;
	return 0;
}

int pair_manifest_end(struct pair_job *j, bool ok)
{
	int ret;

	if (!j->manifest_open)
		return 0;
	j->manifest_open = false;
	if (!ok) {
		manifest_writer_abort(&j->manifest);
		return 0;
	}
	ret = manifest_writer_commit(&j->manifest);
	if (ret < 0)
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "cannot write manifest '%s': %s (%s)", j->manifest_out,
			 strerror(-ret), errno_name(ret));
	return ret;
}

void pair_pipe_error(struct pair_job *j)
{
	static const char *const role[] = { "local", "shadow" };
	const char *const path[] = { j->local_path, j->shadow_path };

	/* The manifest's own write stopped the pass, not a device. */
	if (j->manifest_open && j->manifest.write_err) {
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "cannot write manifest '%s': %s (%s)", j->manifest_out,
			 strerror(-j->manifest.write_err),
			 errno_name(j->manifest.write_err));
		return;
	}
	report_pipe_error(j->rep.error, sizeof(j->rep.error), &j->cmp.error,
			  j->io.engine, role, path);
}

void pair_release(struct pair_job *j)
{
	pair_manifest_end(j, false);
	compare_result_release(&j->cmp);
	device_close(&j->local);
	device_close(&j->shadow);
	free(j->aero.local_raw);
	free(j->aero.shadow_raw);
	if (j->aero.records) {
		as_recdiff_release(&j->aero.records->diff);
		free(j->aero.records);
		j->aero.records = NULL;
	}
	j->aero.local_raw = j->aero.shadow_raw = NULL;
}

struct pool {
	struct pair_job *jobs;
	size_t n;
	atomic_size_t next;
	void (*fn)(struct pair_job *);
};

static void *pool_worker(void *arg)
{
	struct pool *p = arg;
	size_t i;

	while ((i = atomic_fetch_add(&p->next, 1)) < p->n)
		p->fn(&p->jobs[i]);
	return NULL;
}

void pair_run_all(struct pair_job *jobs, size_t n, unsigned threads,
		  void (*fn)(struct pair_job *))
{
	struct pool p = { .jobs = jobs, .n = n, .fn = fn };
	pthread_t tid[64];
	unsigned started = 0;

	atomic_init(&p.next, 0);
	if (threads > n)
		threads = (unsigned)n;
	if (threads > 64)
		threads = 64;
	/* This thread works too; the others join it. */
	for (unsigned i = 1; i < threads; i++)
		if (!pthread_create(&tid[started], NULL, pool_worker, &p))
			started++;
	pool_worker(&p);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
}
