/*
 * cmd_check.c - `shadowsync check DEVICE MANIFEST`: does every block of
 * the device still have the digest the manifest recorded?
 */
#include "single.h"
#include "display.h"
#include "outcome.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>

static const char check_usage[] =
	"usage: shadowsync check DEVICE MANIFEST [options]\n"
	"\n"
	"Read DEVICE once and compare each block's XXH3-128 with MANIFEST\n"
	"(written by 'shadowsync hash', 'warm --manifest-out' or 'verify/sync\n"
	"--manifest-out'); list the extents of the blocks that do not match.\n"
	"The manifest is checked first: truncated, damaged (trailer checksum),\n"
	"unknown version, or made for a device of another size is an error,\n"
	"never a pass. The block size is the manifest's.\n"
	"\n"
	"options:\n"
	HELP_ENGINE HELP_QUEUE_DEPTH("32") HELP_IO_SIZE HELP_MEMORY HELP_PROM
	HELP_COMMON HELP_SIZES
	HELP_EXIT("every block matches the manifest", "some blocks do not (the\n"
		  "       extents say which)");

static void print_text(const char *dev, const char *man,
		       const struct manifest_check *c)
{
	char b[32];

	if (!c->differing_blocks) {
		printf("check: MATCH, all %llu blocks of '%s' match '%s'\n",
		       (unsigned long long)c->blocks_compared, disp(dev),
		       disp(man));
		return;
	}
	printf("check: DIFFER, %llu of %llu blocks of '%s' (%s) do not match "
	       "'%s', in %llu extent%s\n",
	       (unsigned long long)c->differing_blocks,
	       (unsigned long long)c->blocks_compared, disp(dev),
	       human_bytes(c->differing_bytes, b, sizeof(b)), disp(man),
	       (unsigned long long)c->extents.total,
	       c->extents.total == 1 ? "" : "s");
	if (!cli_run.quiet)
		report_extents_text(stdout, &c->extents, 50);
}

static json_t *report_json(const char *dev, const char *man, int status,
			   const struct device *d, const struct manifest *m,
			   const struct manifest_check *c,
			   const struct scan_result *r, const char *engine)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:o,s:o}",
		"command", "check",
		"result", status == EXIT_ERROR ? (cli_interrupt_status()
			  ? "interrupted" : "error")
			  : status == EXIT_DIFFER ? "differ" : "match",
		"engine", r->engine ? r->engine : engine,
		"block_size_bytes", (json_int_t)m->info.block_size,
		"device", report_device_json(dev, d->size_bytes, d->direct),
		"manifest", single_manifest_json(man, &m->info));

	json_object_set_new(o, "blocks_compared",
			    json_integer((json_int_t)c->blocks_compared));
	json_object_set_new(o, "bytes_compared",
			    json_integer((json_int_t)r->bytes_read));
	json_object_set_new(o, "differing_blocks",
			    json_integer((json_int_t)c->differing_blocks));
	json_object_set_new(o, "differing_bytes",
			    json_integer((json_int_t)c->differing_bytes));
	json_object_set_new(o, "extents", report_extents_json(&c->extents));
	json_object_set_new(o, "extents_total",
			    json_integer((json_int_t)c->extents.total));
	json_object_set_new(o, "extents_truncated",
			    json_boolean(extent_list_truncated(&c->extents)));
	json_object_set_new(o, "elapsed_s", json_seconds(r->elapsed_s));
	return o;
}

static int run(const char *dev, const char *man, const struct io_opts *io)
{
	struct manifest m;
	struct manifest_check c = { .m = &m,
				    .extents = { .max = REPORT_MAX_EXTENTS } };
	struct scan_result r;
	struct as_header h;
	struct device d;
	char why[160];
	int ret, status;

	ret = manifest_load(&m, man, why, sizeof(why));
	if (ret < 0) {
		cli_error("manifest '%s' is unusable: %s", man, why);
		return EXIT_ERROR;
	}
	if (single_open(dev, io->engine, false, &d, &h) < 0) {
		manifest_release(&m);
		return EXIT_ERROR;
	}
	if (d.size_bytes != m.info.device_size) {
		cli_error("manifest '%s' is for a device of %llu bytes; '%s' has "
			  "%llu", man, (unsigned long long)m.info.device_size,
			  dev, (unsigned long long)d.size_bytes);
		device_close(&d);
		manifest_release(&m);
		return EXIT_ERROR;
	}
	ret = scan_run(&d, &(struct scan_opts){
			       .engine = io->engine,
			       .block_size = m.info.block_size,
			       .io_size = io->io_size,
			       .queue_depth = io->queue_depth,
			       .memory_bytes = io->memory_bytes,
			       .on_block = manifest_check_block, .ctx = &c,
			       .progress = SINGLE_PROGRESS("check"),
			       .cancel = &cli_interrupted }, &r);
	report_progress_done();
	if (ret < 0) {
		single_scan_error(&r, io->engine, dev);
		status = EXIT_ERROR;
	} else {
		status = c.differing_blocks ? EXIT_DIFFER : EXIT_MATCH;
	}
	if (status == EXIT_DIFFER)
		cli_exit_reason("%llu of %llu blocks of '%s' do not match "
				"manifest '%s'",
				(unsigned long long)c.differing_blocks,
				(unsigned long long)c.blocks_compared, dev, man);
	if (cli_run_wants_report())
		report_json_emit(report_json(dev, man, status, &d, &m, &c, &r,
					     io->engine));
	if (!io->json && status != EXIT_ERROR) {
		print_text(dev, man, &c);
	}
	extent_list_release(&c.extents);
	device_close(&d);
	manifest_release(&m);
	return status;
}

int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = { IO_LONG_OPTIONS,
						  { NULL, 0, NULL, 0 } };
	struct io_opts io = IO_OPTS_DEFAULT;
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (opt == 'h' || opt == OPT_HELP) {
			fputs(check_usage, stdout);
			return EXIT_MATCH;
		}
		if (opt == '?' || opt == ':') {
			cli_option_error("check", opt, argv);
			return EXIT_ERROR;
		}
		if (opt == OPT_BLOCK_SIZE) {
			cli_error("check: the block size is the manifest's; "
				  "--block-size does not apply");
			return EXIT_ERROR;
		}
		if (io_opts_parse(&io, opt, optarg) < 0)
			return EXIT_ERROR;
	}
	if (argc - optind != 2) {
		cli_error("check: expected DEVICE and MANIFEST, got %d argument%s "
			  "(see 'shadowsync check --help')", argc - optind,
			  argc - optind == 1 ? "" : "s");
		return EXIT_ERROR;
	}
	io_opts_finish(&io);
	return run(argv[optind], argv[optind + 1], &io);
}
