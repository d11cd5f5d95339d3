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
	HELP_PROM IO_OPTIONS_HELP_QD("64")
	HELP_EXIT("every block was read", "(not used)");

enum { OPT_MANIFEST_OUT = OPT_FIRST_PRIVATE, OPT_RANGES };


struct warm_args {
	struct io_opts io;
	const char *manifest_out;
	const char *ranges;
	const char *path;
};

static void report(const struct warm_args *a, const struct device *d,
		   const struct scan_result *r, size_t nranges,
		   const struct manifest_info *mi)
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

		json_object_set_new(o, "ranges", a->ranges
				    ? json_integer((json_int_t)nranges) : json_null());
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
	if (mi)
		printf("  manifest '%s': %llu blocks of %llu bytes\n",
		       disp(a->manifest_out), (unsigned long long)mi->blocks,
		       (unsigned long long)mi->block_size);
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
		report(a, &d, &r, nranges, &mi);
	} else {
		report(a, &d, &r, nranges, NULL);
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
		{ NULL, 0, NULL, 0 },
	};
	struct warm_args a = { .io = IO_OPTS_DEFAULT };
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
	if (a.manifest_out && a.ranges) {
		cli_error("warm: --manifest-out needs the whole device; it does "
			  "not go with --ranges");
		return EXIT_ERROR;
	}
	a.path = argv[optind];
	if (!a.io.queue_depth)
		a.io.queue_depth = WARM_QUEUE_DEPTH;
	io_opts_finish(&a.io);
	return run(&a);
}
