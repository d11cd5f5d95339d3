/*
 * inspect_records.c - inspect --records: every device's write-blocks
 * streamed once through the pipeline (8 MiB chunks, the header region
 * read first), asd's sweep and record checks replayed on them
 * (aerospike/records.h), and the report: per device, then with --config
 * per namespace. The copy swept is the one asd will read: with --config
 * the local for load-local, the shadow otherwise (cold-start verdict).
 */
#include "inspect_records.h"
#include "display.h"
#include "outcome.h"
#include "commit.h"
#include "report.h"
#include "../engine/device.h"
#include "../engine/pipeline.h"
#include "../aerospike/aeroconf.h"
#include "../aerospike/coldstart.h"
#include "../aerospike/records.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "2026-11-27 07:14:52.347 UTC" */
const char *rrun_utc(double unix_s, char *buf, size_t len)
{
	time_t t = (time_t)floor(unix_s);
	struct tm tm;
	char b[32];

	gmtime_r(&t, &tm);
	strftime(b, sizeof(b), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03d UTC", b,
		 (int)((unix_s - floor(unix_s)) * 1000 + 0.5) % 1000);
	return buf;
}

/* Open path, read its header region; t->error on failure. */
int rrun_read_header(struct rtarget *t, const char *path, const char *engine,
		       struct device *d, unsigned char **region,
		       struct as_header *h)
{
	struct pipe_error err;
	int ret = device_open(d, path, 0);

	if (ret < 0) {
		snprintf(t->error, sizeof(t->error), "'%s' %s%s", path,
			 ret == -ENOENT || ret == -EACCES ? "cannot be opened: "
							  : "",
			 device_strerror(ret));
		return -1;
	}
	if (d->size_bytes < AS_HEADER_REGION_BYTES) {
		snprintf(t->error, sizeof(t->error), "'%s' is %llu bytes, "
			 "shorter than the 8 MiB Aerospike header region",
			 path, (unsigned long long)d->size_bytes);
		device_close(d);
		return -1;
	}
	*region = malloc(AS_HEADER_REGION_BYTES);
	if (!*region) {
		snprintf(t->error, sizeof(t->error), "out of memory");
		device_close(d);
		return -1;
	}
	ret = pipe_read_into(engine, (struct pipe_file){ d->fd, d->direct }, 0,
			     AS_HEADER_REGION_BYTES, *region, &cli_interrupted,
			     &err);
	if (ret < 0) {
		const char *const role[] = { "device" }, *const p[] = { path };

		report_pipe_error(t->error, sizeof(t->error), &err, engine,
				  role, p);
		free(*region);
		*region = NULL;
		device_close(d);
		return -1;
	}
	as_header_decode(*region, AS_HEADER_REGION_BYTES, h);
	/* Keep what asd compares (pmeta included), not 8 MiB a device. */
	{
		unsigned char *small = realloc(*region, AS_HEADER_STRUCT_BYTES);

		if (small)
			*region = small;
	}
	return 0;
}

/* Can the records of a device with header h be read here? */
bool rrun_records_readable(struct rtarget *t, const struct as_header *h)
{
	if (h->state != AS_STATE_AEROSPIKE && t->region &&
	    header_is_restore_mark(t->region, AS_HEADER_STRUCT_BYTES))
		snprintf(t->error, sizeof(t->error), "'%s' carries no "
			 "Aerospike header (unfinished-restore: a restore of it "
			 "did not finish; run it again): it has no records to "
			 "read", t->read_path);
	else if (h->state != AS_STATE_AEROSPIKE)
		snprintf(t->error, sizeof(t->error), "'%s' carries no "
			 "Aerospike header (%s): it has no records to read",
			 t->read_path, report_state_name(h->state));
	else if (h->format != 4)
		snprintf(t->error, sizeof(t->error), "'%s' is in format %u "
			 "(a server before 6.0): its records are not read",
			 t->read_path, h->format);
	else if (h->write_block_size != AS_WBLOCK_BYTES)
		snprintf(t->error, sizeof(t->error), "'%s' has %u-byte "
			 "write-blocks: records are read for 8 MiB ones "
			 "(servers 7.1 and later)", t->read_path,
			 h->write_block_size);
	else if (h->flags & AS_FLAG_ENCRYPTED)
		snprintf(t->error, sizeof(t->error), "'%s' is encrypted: "
			 "its records cannot be read", t->read_path);
	else
		return true;
	return false;
}

struct feed_ctx {
	struct as_records *w;
	const char *label;
};

static int feed_chunk(void *ctx, struct pipe *p, const struct pipe_chunk *c)
{
	(void)p;
	return as_records_feed(((struct feed_ctx *)ctx)->w, c->offset,
			       c->buf[0], c->len);
}

static void feed_progress(void *ctx, uint64_t done, uint64_t total)
{
	report_progress((void *)((struct feed_ctx *)ctx)->label, done, total);
}

/* Stream t's data region through w. */
static int sweep(struct rrun *r, struct rtarget *t, struct as_records *w)
{
	const struct io_opts *io = &r->a->io;
	struct pipe_range range = { AS_HEADER_REGION_BYTES,
				    t->d.size_bytes - AS_HEADER_REGION_BYTES };
	struct feed_ctx fc = { w, "inspect" };
	struct pipe_config cfg = {
		.engine = io->engine, .chunk_align = AS_WBLOCK_BYTES,
		.io_size = io->io_size, .queue_depth = io->queue_depth,
		.memory_bytes = io->memory_bytes, .ranges = &range,
		.nranges = 1, .src = { { t->d.fd, t->d.direct } }, .nsrc = 1,
		.dst = { -1, false }, .dst_fd_buffered = -1,
		.consume = feed_chunk,
		.progress = isatty(STDERR_FILENO) ? feed_progress : NULL,
		.ctx = &fc, .cancel = &cli_interrupted,
	};
	struct pipe_stats st = { 0 };
	struct pipe_error err = { 0 };
	double t0 = now_s();
	int ret = 0, end;

	as_records_begin(w, &t->rec, t->d.size_bytes);
	if (range.length)
		ret = pipe_run(&cfg, &st, &err);
	report_progress_done();
	end = as_records_end(w);
	if (end < 0 && ret >= 0) {
		ret = end;
		err = (struct pipe_error){ .err = end, .source = PIPE_CONSUMER };
	}
	t->engine = st.engine;
	t->elapsed_s = now_s() - t0;
	if (ret < 0) {
		const char *const role[] = { t->read_role },
				  *const p[] = { t->read_path };
		char cap[32];

		if (err.source == PIPE_CONSUMER && err.err == -ENOBUFS)
			snprintf(t->error, sizeof(t->error), "the digest index "
				 "would grow past --memory-index %s after %llu "
				 "records (%llu objects of the devices before, "
				 "%llu records of '%s' read): asd's conflict "
				 "rule cannot be applied; it needs 26 bytes a "
				 "record and an object: raise --memory-index",
				 human_bytes(w->index.cap_bytes, cap,
					     sizeof(cap)),
				 (unsigned long long)w->index.pending,
				 (unsigned long long)w->index.used,
				 (unsigned long long)t->rec.records_seen,
				 t->read_path);
		else if (err.source == PIPE_CONSUMER && err.err == -ENOMEM)
			snprintf(t->error, sizeof(t->error), "out of memory "
				 "for the digest index of '%s'", t->read_path);
		else
			report_pipe_error(t->error, sizeof(t->error), &err,
					  io->engine, role, p);
		return -1;
	}
	t->swept = true;
	return 0;
}

/* A namespace's figures once its devices are swept. */
static int ns_finish(struct rrun *r, struct rns *ns)
{
	int64_t newest = -1, oldest = -1;

	ns->objects = ns->walk.index.used;
	ns->index_bytes = ns->walk.index.peak_bytes;
	rrun_ns_census(ns);
	ns->nsets = ns->walk.index.nsets;
	if (ns->walk.index.set_names) {
		ns->set_names = malloc(256 * sizeof(*ns->set_names));
		if (!ns->set_names)
			return -ENOMEM;
		memcpy(ns->set_names, ns->walk.index.set_names,
		       256 * sizeof(*ns->set_names));
	}
	for (size_t i = ns->first; i < ns->first + ns->n; i++) {
		const struct rtarget *t = &r->t[i];

		if (!t->swept || !t->rec.lut_max)
			continue;
		if (newest < 0 || t->rec.lut_max > r->t[ns->newest].rec.lut_max) {
			ns->newest = i;
			newest = 1;
		}
		if (oldest < 0 || t->rec.lut_max < r->t[ns->oldest].rec.lut_max) {
			ns->oldest = i;
			oldest = 1;
		}
	}
	if (newest > 0) {
		ns->skew_s = (double)(r->t[ns->newest].rec.lut_max -
				      r->t[ns->oldest].rec.lut_max) / 1000.0;
		ns->out_of_step = ns->skew_s > r->a->max_skew_s;
	}
	as_records_release(&ns->walk);
	/* A device's records not all read: the namespace's are not known. */
	if (ns->incomplete) {
		ns->walked = false;
		ns->objects = 0;
		memset(ns->sets, 0, sizeof(ns->sets));
		memset(ns->sets_back, 0, sizeof(ns->sets_back));
	}
	return 0;
}

int inspect_records(const struct records_args *a)
{
	struct rrun r = { .a = a, .now = time(NULL) };
	int status;

	status = a->config ? rrun_setup_config(&r) : rrun_setup_devices(&r);
	if (status == EXIT_MATCH)
		status = rrun_setup_smd(&r);
	if (status != EXIT_MATCH)
		goto out;
	for (size_t k = 0; k < r.nns; k++) {
		struct rns *ns = &r.ns[k];

		if (ns->crash)
			continue;
		as_records_init(&ns->walk, &ns->own, r.now);
		ns->walk.index.cap_bytes = a->index_cap;
		if (rrun_ns_rules(&r, ns) < 0) {
			as_records_release(&ns->walk);
			status = EXIT_ERROR;
			goto out;
		}
		/* Without the thread the walk is slower, not wrong. */
		as_records_start_thread(&ns->walk);
		ns->walked = true;
		for (size_t i = ns->first; i < ns->first + ns->n; i++) {
			struct rtarget *t = &r.t[i];

			if (t->error[0] || !t->open)
				continue;
			/* The last to sweep: its objects are only counted. */
			ns->walk.last_device = true;
			for (size_t later = i + 1; later < ns->first + ns->n;
			     later++)
				if (!r.t[later].error[0] && r.t[later].open)
					ns->walk.last_device = false;
			if (sweep(&r, t, &ns->walk) < 0) {
				ns->incomplete = t->name;
				if (cli_interrupted)
					break;
			}
		}
		if (ns_finish(&r, ns) < 0) {
			cli_error("out of memory");
			status = EXIT_ERROR;
			goto out;
		}
		if (cli_interrupted)
			break;
	}
	status = rrun_report(&r);
out:
	rrun_release(&r);
	return status;
}
