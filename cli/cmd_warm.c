/*
 * cmd_warm.c - `shadowsync warm DEVICE`: read every block once, with deep
 * queues, so a volume restored from an EBS snapshot stops loading lazily;
 * optionally write the device's manifest in the same pass.
 */
#include "outpath.h"
#include "single.h"
#include "ranges.h"
#include "display.h"
#include "outcome.h"
#include "../source/source.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define WARM_QUEUE_DEPTH 64u

static const char warm_usage[] =
	"usage: shadowsync warm DEVICE [options]\n"
	"\n"
	"Read every block of DEVICE once, O_DIRECT, 64 reads of 1 MiB in flight,\n"
	"so a volume made from an EBS snapshot stops loading lazily (AWS's recipe\n"
	"is an fio read of the whole volume at QD 32). Nothing is written to\n"
	"DEVICE; --manifest-out may not name it. The report gives the queue\n"
	"depth the device really saw (on average).\n"
	"\n"
	"options:\n"
	"  --manifest-out FILE also write DEVICE's manifest, from the same read\n"
	"  --ranges FILE       read only these ranges: lines 'OFFSET LENGTH'\n"
	"                      (bytes, 0x hex or size suffixes; '#' comments),\n"
	"                      e.g. the written blocks of an EBS snapshot\n"
	"  --snapshot SNAP     read only the blocks EBS snapshot SNAP (snap-... or\n"
	"                      ebs://snap-..., the one DEVICE was made from) holds,\n"
	"                      as its ListSnapshotBlocks lists them (EBS direct\n"
	"                      APIs, SigV4 with the AWS credential chain), merged\n"
	"                      into large reads: all the lazy loading needs; the\n"
	"                      report says how much was not read\n"
	"  --region R          the snapshot's region (default: AWS_REGION,\n"
	"                      AWS_DEFAULT_REGION, the profile's, the instance's)\n"
	"  --endpoint-url URL  the EBS direct endpoint (default\n"
	"                      https://ebs.REGION.amazonaws.com)\n"
	"  --cacert FILE       an extra CA bundle (SSL_CERT_FILE works too)\n"
	HELP_PROM IO_OPTIONS_HELP_QD("64")
	HELP_EXIT("every block was read", "(not used)");

enum { OPT_MANIFEST_OUT = OPT_FIRST_PRIVATE, OPT_RANGES, OPT_SNAPSHOT,
       OPT_REGION, OPT_ENDPOINT, OPT_CACERT };

/* Ranges of a snapshot listed at once, at most: 16 MiB of them. */
#define SNAP_RANGES_BATCH (1u << 20)


struct warm_args {
	struct io_opts io;
	const char *manifest_out;
	const char *ranges;
	const char *path;
	const char *snapshot;		/* --snapshot */
	struct source_opts src;
};

/* What --snapshot read and saved. */
struct snap_warm {
	struct source *s;
	struct source_info info;
	uint64_t bytes_listed;
	size_t nranges;
};

static json_t *snapshot_json(const struct device *d,
			     const struct snap_warm *sw)
{
	const struct source_stats *st = &sw->s->stats;

	return json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
		"snapshot_id", sw->info.snapshot,
		"volume_size_bytes", (json_int_t)sw->info.size_bytes,
		"block_size_bytes", (json_int_t)sw->info.block_bytes,
		"blocks_listed", (json_int_t)st->blocks_listed,
		"bytes_listed", (json_int_t)sw->bytes_listed,
		"bytes_not_read", (json_int_t)(d->size_bytes - sw->bytes_listed),
		"list_requests", (json_int_t)st->list_requests,
		"requests", (json_int_t)st->requests,
		"retries", (json_int_t)st->retries);
}

static void report(const struct warm_args *a, const struct device *d,
		   const struct scan_result *r, size_t nranges,
		   const struct manifest_info *mi, const struct snap_warm *sw)
{
	double rate = r->elapsed_s > 0 ? (double)r->bytes_read / r->elapsed_s : 0;
	double kept = round(r->mean_depth * 10) / 10;
	char b1[32], b2[32], b3[32];

	if (cli_run_wants_report()) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:o,s:I,s:f,s:I,s:I,s:o,s:o}",
			"command", "warm", "result", "ok", "engine", r->engine,
			"device", single_device_json(d),
			"queue_depth", (json_int_t)a->io.queue_depth,
			"queue_depth_kept", kept,
			"io_size_bytes", (json_int_t)a->io.io_size,
			"bytes_read", (json_int_t)r->bytes_read,
			"elapsed_s", json_seconds(r->elapsed_s),
			"throughput_bytes_per_s", json_rate(rate));

		json_object_set_new(o, "ranges", a->ranges || sw
				    ? json_integer((json_int_t)nranges) : json_null());
		json_object_set_new(o, "snapshot", sw ? snapshot_json(d, sw)
							  : json_null());
		json_object_set_new(o, "manifest", mi
				    ? single_manifest_json(a->manifest_out, mi)
				    : json_null());
		report_json_emit(o);
		if (a->io.json)
			return;
	}
	printf("warm: read %s of '%s' in %.2f s (%s/s), engine %s, %.1f of "
	       "the %u reads of %s asked for in flight on average\n",
	       human_bytes(r->bytes_read, b1, sizeof(b1)), disp(a->path),
	       r->elapsed_s, human_bytes((uint64_t)rate, b2, sizeof(b2)),
	       r->engine, kept, a->io.queue_depth,
	       human_bytes(a->io.io_size, b3, sizeof(b3)));
	if (cli_run.quiet)
		return;
	if (a->ranges)
		printf("  %zu range%s from '%s'\n", nranges,
		       nranges == 1 ? "" : "s", disp(a->ranges));
	if (sw)
		printf("  snapshot %s lists %llu blocks of %s (%s) in %zu "
		       "range%s: %s of '%s' not read (%llu list requests)\n",
		       sw->info.snapshot,
		       (unsigned long long)sw->s->stats.blocks_listed,
		       human_bytes(sw->info.block_bytes, b1, sizeof(b1)),
		       human_bytes(sw->bytes_listed, b2, sizeof(b2)), nranges,
		       nranges == 1 ? "" : "s",
		       human_bytes(d->size_bytes - sw->bytes_listed, b3,
				   sizeof(b3)), disp(a->path),
		       (unsigned long long)sw->s->stats.list_requests);
	if (mi)
		printf("  manifest '%s': %llu blocks of %llu bytes\n",
		       disp(a->manifest_out), (unsigned long long)mi->blocks,
		       (unsigned long long)mi->block_size);
}

/* The next batch of the snapshot's data ranges from *at; 0 or -1. */
static int snapshot_batch(struct snap_warm *sw, uint64_t *at, uint64_t end,
			  struct pipe_range *v, size_t *n)
{
	*n = 0;
	while (*at < end && *n < SNAP_RANGES_BATCH) {
		uint64_t ds, de;
		int ret = source_next_data(sw->s, *at, end, &ds, &de);

		if (ret < 0) {
			cli_error("warm: %s", source_error(sw->s));
			return -1;
		}
		if (!ret) {
			*at = end;
			break;
		}
		if (*n && v[*n - 1].offset + v[*n - 1].length == ds)
			v[*n - 1].length += de - ds;	/* a page's seam */
		else
			v[(*n)++] = (struct pipe_range){ ds, de - ds };
		sw->bytes_listed += de - ds;
		*at = de;
	}
	return 0;
}

/*
 * --snapshot: read the blocks the snapshot lists, batch by batch as the
 * listing streams (memory bounded whatever the volume).
 */
static int run_snapshot(const struct warm_args *a, const struct device *d,
			struct scan_opts *o, struct snap_warm *sw,
			struct scan_result *total)
{
	struct pipe_range *v = malloc(SNAP_RANGES_BATCH * sizeof(*v));
	uint64_t at = 0, end = sw->info.size_bytes;
	double t0 = compare_now(), depth = 0;
	int ret = -1;

	memset(total, 0, sizeof(*total));
	total->engine = a->io.engine;
	if (!v)
		goto out;
	while (at < end) {
		struct scan_result r;
		size_t n;

		if (snapshot_batch(sw, &at, end, v, &n) < 0)
			goto out;
		if (!n)
			continue;
		o->ranges = v;
		o->nranges = n;
		sw->nranges += n;
		if (scan_run(d, o, &r) < 0) {
			report_progress_done();
			single_scan_error(&r, a->io.engine, a->path);
			goto out;
		}
		total->engine = r.engine;
		total->bytes_read += r.bytes_read;
		depth += r.mean_depth * (double)r.bytes_read;
	}
	report_progress_done();
	total->elapsed_s = compare_now() - t0;
	total->mean_depth = total->bytes_read ? depth / (double)total->bytes_read : 0;
	ret = 0;
out:
	free(v);
	return ret;
}

static int open_snapshot(const struct warm_args *a, const struct device *d,
			 struct snap_warm *sw)
{
	char spec[128], why[1024];
	int ret;

	snprintf(spec, sizeof(spec), "%s%.100s",
		 strncmp(a->snapshot, "ebs://", 6) ? "ebs://" : "", a->snapshot);
	ret = source_open(&sw->s, spec, &a->src, &sw->info, why, sizeof(why));
	if (ret < 0) {
		cli_error("warm: %s", why);
		return -1;
	}
	if (sw->info.size_bytes > d->size_bytes) {
		cli_error("warm: '%s' (%llu bytes) is smaller than the volume of "
			  "snapshot %s (%llu bytes): not a volume made from it",
			  a->path, (unsigned long long)d->size_bytes,
			  sw->info.snapshot,
			  (unsigned long long)sw->info.size_bytes);
		return -1;
	}
	return 0;
}

static int run(const struct warm_args *a)
{
	struct manifest_writer w;
	struct pipe_range *ranges = NULL;
	struct scan_result r;
	struct as_header h;
	struct manifest_aerospike ma;
	struct device d;
	size_t nranges = 0;
	struct scan_opts o = {
		.engine = a->io.engine, .io_size = a->io.io_size,
		.queue_depth = a->io.queue_depth,
		.memory_bytes = a->io.memory_bytes,
		.progress = SINGLE_PROGRESS("warm"), .cancel = &cli_interrupted,
	};
	char msg[PATH_MAX + 256];
	int ret, status = EXIT_ERROR;

	if (a->manifest_out &&
	    manifest_out_check(a->manifest_out, (const char *const[]){ a->path },
			       1, msg, sizeof(msg)) < 0) {
		cli_error("warm: %s", msg);
		return EXIT_ERROR;
	}
	if (single_open(a->path, a->io.engine, a->manifest_out != NULL, &d, &h) < 0)
		return EXIT_ERROR;
	o.block_size = single_block_size(a->io.block_size, &h);
	if (a->snapshot) {
		struct snap_warm sw = { 0 };

		if (!open_snapshot(a, &d, &sw) &&
		    !run_snapshot(a, &d, &o, &sw, &r)) {
			report(a, &d, &r, sw.nranges, NULL, &sw);
			status = EXIT_MATCH;
		}
		source_close(sw.s);
		goto out;
	}
	if (a->ranges && ranges_load(a->ranges, d.size_bytes, &ranges,
				     &nranges) < 0)
		goto out;
	o.ranges = ranges;
	o.nranges = nranges;
	if (a->ranges && !nranges) {
		cli_error("warm: no ranges in '%s'", a->ranges);
		goto out;
	}
	if (a->manifest_out) {
		ret = manifest_writer_open(&w, a->manifest_out, o.block_size,
					   d.size_bytes, a->path,
					   single_manifest_aero(&h, &ma));
		if (ret < 0) {
			cli_error("cannot create manifest '%s': %s",
				  a->manifest_out, strerror(-ret));
			goto out;
		}
		o.on_block = manifest_writer_block;
		o.ctx = &w;
	}
	ret = scan_run(&d, &o, &r);
	report_progress_done();
	if (ret < 0) {
		int werr = a->manifest_out ? w.write_err : 0;

		if (a->manifest_out)
			manifest_writer_abort(&w);
		if (werr)	/* the manifest failed, not DEVICE */
			cli_error("cannot write manifest '%s': %s (%s)",
				  a->manifest_out, strerror(-werr),
				  errno_name(werr));
		else
			single_scan_error(&r, a->io.engine, a->path);
		goto out;
	}
	if (a->manifest_out) {
		struct manifest_info mi = w.info;

		ret = manifest_writer_commit(&w);
		if (ret < 0) {
			cli_error("cannot write manifest '%s': %s (%s)",
				  a->manifest_out, strerror(-ret), errno_name(ret));
			goto out;
		}
		report(a, &d, &r, nranges, &mi, NULL);
	} else {
		report(a, &d, &r, nranges, NULL, NULL);
	}
	status = EXIT_MATCH;
out:
	free(ranges);
	device_close(&d);
	return status;
}

int cmd_warm(int argc, char **argv)
{
	static const struct option longopts[] = {
		IO_LONG_OPTIONS,
		{ "manifest-out", required_argument, NULL, OPT_MANIFEST_OUT },
		{ "ranges", required_argument, NULL, OPT_RANGES },
		{ "snapshot", required_argument, NULL, OPT_SNAPSHOT },
		{ "region", required_argument, NULL, OPT_REGION },
		{ "endpoint-url", required_argument, NULL, OPT_ENDPOINT },
		{ "cacert", required_argument, NULL, OPT_CACERT },
		{ NULL, 0, NULL, 0 },
	};
	struct warm_args a = { .io = IO_OPTS_DEFAULT,
			       .src = SOURCE_OPTS_DEFAULT };
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (opt == 'h' || opt == OPT_HELP) {
			fputs(warm_usage, stdout);
			return EXIT_MATCH;
		}
		if (opt == OPT_MANIFEST_OUT) {
			a.manifest_out = optarg;
			continue;
		}
		if (opt == OPT_RANGES) {
			a.ranges = optarg;
			continue;
		}
		if (opt == OPT_SNAPSHOT || opt == OPT_REGION ||
		    opt == OPT_ENDPOINT || opt == OPT_CACERT) {
			*(opt == OPT_SNAPSHOT ? &a.snapshot : opt == OPT_REGION
			  ? &a.src.region : opt == OPT_ENDPOINT
			  ? &a.src.endpoint_url : &a.src.cacert) = optarg;
			continue;
		}
		if (opt == '?' || opt == ':') {
			cli_option_error("warm", opt, argv);
			return EXIT_ERROR;
		}
		if (io_opts_parse(&a.io, opt, optarg) < 0)
			return EXIT_ERROR;
	}
	if (argc - optind != 1) {
		cli_error("warm: expected one DEVICE, got %d (see 'shadowsync "
			  "warm --help')", argc - optind);
		return EXIT_ERROR;
	}
	if (a.manifest_out && (a.ranges || a.snapshot)) {
		cli_error("warm: --manifest-out needs the whole device; it does "
			  "not go with --%s", a.ranges ? "ranges" : "snapshot");
		return EXIT_ERROR;
	}
	if (a.ranges && a.snapshot) {
		cli_error("warm: --ranges and --snapshot both say what to read; "
			  "give one");
		return EXIT_ERROR;
	}
	if (!a.snapshot && (a.src.region || a.src.endpoint_url || a.src.cacert)) {
		cli_error("warm: --region, --endpoint-url and --cacert go with "
			  "--snapshot");
		return EXIT_ERROR;
	}
	a.src.connections = 2;		/* listings only, one at a time */
	a.src.cancel = &cli_interrupted;
	a.path = argv[optind];
	if (!a.io.queue_depth)
		a.io.queue_depth = WARM_QUEUE_DEPTH;
	io_opts_finish(&a.io);
	return run(&a);
}
