/*
 * cmd_hash.c - `shadowsync hash DEVICE -o MANIFEST`: record every block's
 * XXH3-128 digest of a device, to check it against later.
 */
#include "outpath.h"
#include "single.h"
#include "display.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <string.h>

static const char hash_usage[] =
	"usage: shadowsync hash DEVICE -o MANIFEST [options]\n"
	"\n"
	"Read DEVICE once and write MANIFEST: the XXH3-128 digest of every\n"
	"block, the block and device sizes, the device's Aerospike header\n"
	"summary when it has one, and a trailing checksum. The manifest is\n"
	"written to an unnamed file in MANIFEST's directory, fsynced, then\n"
	"linked in: a crash or a kill leaves neither half a manifest under its\n"
	"name nor a temporary file beside it. MANIFEST may not be DEVICE, '-'\n"
	"or a device node. Check a device against it with 'shadowsync check\n"
	"DEVICE MANIFEST'.\n"
	"\n"
	"options:\n"
	"  -o, --output FILE   the manifest to write (required)\n"
	IO_OPTIONS_HELP
	HELP_EXIT("the manifest is written", "(not used)");

static int run(const char *path, const char *out, const struct io_opts *io)
{
	struct manifest_writer w;
	struct scan_result r;
	struct as_header h;
	struct manifest_aerospike ma;
	struct device d;
	struct scan_opts o = {
		.engine = io->engine, .io_size = io->io_size,
		.queue_depth = io->queue_depth, .memory_bytes = io->memory_bytes,
		.on_block = manifest_writer_block, .ctx = &w,
		.progress = SINGLE_PROGRESS("hash"), .cancel = &cli_interrupted,
	};
	char msg[PATH_MAX + 256];
	int ret;

	if (manifest_out_check(out, (const char *const[]){ path }, 1, msg,
			       sizeof(msg)) < 0) {
		cli_error("hash: %s", msg);
		return EXIT_ERROR;
	}
	if (single_open(path, io->engine, true, &d, &h) < 0)
		return EXIT_ERROR;
	o.block_size = single_block_size(io->block_size, &h);
	ret = manifest_writer_open(&w, out, o.block_size, d.size_bytes, path,
				   single_manifest_aero(&h, &ma));
	if (ret < 0) {
		cli_error("cannot create manifest '%s': %s", out, strerror(-ret));
		device_close(&d);
		return EXIT_ERROR;
	}
	ret = scan_run(&d, &o, &r);
	report_progress_done();
	if (ret < 0) {
		int werr = w.write_err;	/* the manifest failed, not DEVICE */

		manifest_writer_abort(&w);
		if (werr)
			cli_error("cannot write manifest '%s': %s (%s)", out,
				  strerror(-werr), errno_name(werr));
		else
			single_scan_error(&r, io->engine, path);
		device_close(&d);
		return EXIT_ERROR;
	}
	ret = manifest_writer_commit(&w);
	if (ret < 0) {
		cli_error("cannot write manifest '%s': %s (%s)", out,
			  strerror(-ret), errno_name(ret));
		device_close(&d);
		return EXIT_ERROR;
	}
	if (io->json) {
		struct manifest m;
		char why[128];

		if (manifest_load(&m, out, why, sizeof(why)) < 0) {
			cli_error("manifest '%s' reads back %s", out, why);
			device_close(&d);
			return EXIT_ERROR;
		}
		report_json_emit(json_pack("{s:s,s:s,s:s,s:o,s:o,s:I,s:o,s:o}",
			"command", "hash", "result", "ok", "engine", r.engine,
			"device", single_device_json(&d),
			"manifest", single_manifest_json(out, &m.info),
			"bytes_read", (json_int_t)r.bytes_read,
			"elapsed_s", json_seconds(r.elapsed_s),
			"throughput_bytes_per_s", json_rate(r.elapsed_s > 0
				? (double)r.bytes_read / r.elapsed_s : 0)));
		manifest_release(&m);
	} else {
		char b1[32], b2[32];

		printf("hash: wrote '%s': %llu blocks of %s covering '%s' (%s) "
		       "in %.2f s\n", disp(out),
		       (unsigned long long)manifest_block_count(o.block_size,
								d.size_bytes),
		       human_bytes(o.block_size, b1, sizeof(b1)), disp(path),
		       human_bytes(d.size_bytes, b2, sizeof(b2)), r.elapsed_s);
	}
	device_close(&d);
	return EXIT_MATCH;
}

int cmd_hash(int argc, char **argv)
{
	static const struct option longopts[] = {
		IO_LONG_OPTIONS,
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct io_opts io = IO_OPTS_DEFAULT;
	const char *out = NULL;
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
		if (opt == 'h' || opt == OPT_HELP) {
			fputs(hash_usage, stdout);
			return EXIT_MATCH;
		}
		if (opt == 'o') {
			out = optarg;
			continue;
		}
		if (opt == '?' || opt == ':') {
			cli_option_error("hash", opt, argv);
			return EXIT_ERROR;
		}
		if (io_opts_parse(&io, opt, optarg) < 0)
			return EXIT_ERROR;
	}
	if (argc - optind != 1) {
		cli_error("hash: expected one DEVICE, got %d (see 'shadowsync "
			  "hash --help')", argc - optind);
		return EXIT_ERROR;
	}
	if (!out) {
		cli_error("hash: -o MANIFEST is required");
		return EXIT_ERROR;
	}
	io_opts_finish(&io);
	return run(argv[optind], out, &io);
}
