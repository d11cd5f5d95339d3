/*
 * cmd_verify.c - `shadowsync verify LOCAL SHADOW`: is local identical to
 * its shadow, and if not, which block ranges differ.
 */
#include "cli.h"
#include "report.h"
#include "../engine/device.h"
#include "../verify/compare.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>

static const char verify_usage[] =
	"usage: shadowsync verify LOCAL SHADOW [options]\n"
	"\n"
	"Compare the local device with its shadow block by block (XXH3-128 of\n"
	"each block, both devices read at once) and list the byte ranges that\n"
	"differ. LOCAL is compared over its whole size; a larger SHADOW's extra\n"
	"bytes are reported, not compared; a smaller SHADOW is an error.\n"
	"Block devices and regular files; O_DIRECT where the file system has it.\n"
	"\n"
	"options:\n" IO_OPTIONS_HELP
	"\n"
	"exit status: 0 identical, 1 they differ, 2 error (nothing unread is\n"
	"ever reported as matching)\n";

struct verify_job {
	struct io_opts io;
	const char *local_path;
	const char *shadow_path;
	struct device local;
	struct device shadow;
	struct compare_result cmp;
	struct pair_report rep;
	const char *engine_used;
};

static int parse_args(struct verify_job *j, int argc, char **argv)
{
	static const struct option longopts[] = { IO_LONG_OPTIONS,
						  { NULL, 0, NULL, 0 } };
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (opt == 'h' || opt == OPT_HELP) {
			fputs(verify_usage, stdout);
			return 1;
		}
		if (opt == '?' || opt == ':') {
			cli_option_error("verify", opt, argv);
			return -1;
		}
		if (io_opts_parse(&j->io, opt, optarg) < 0)
			return -1;
	}
	if (argc - optind != 2) {
		cli_error("verify: expected LOCAL and SHADOW, got %d path%s "
			  "(see 'shadowsync verify --help')", argc - optind,
			  argc - optind == 1 ? "" : "s");
		return -1;
	}
	j->local_path = argv[optind];
	j->shadow_path = argv[optind + 1];
	io_opts_finish(&j->io);
	return 0;
}

static int open_pair(struct verify_job *j)
{
	struct pair_report *r = &j->rep;
	int ret;

	ret = device_open(&j->local, j->local_path, 0);
	if (ret < 0) {
		snprintf(r->error, sizeof(r->error), "local '%s' %s%s",
			 j->local_path, ret == -ENOENT || ret == -EACCES ||
			 ret == -EPERM ? "cannot be opened: " : "",
			 device_strerror(ret));
		return ret;
	}
	r->local_size = j->local.size_bytes;
	r->local_direct = j->local.direct;
	ret = device_open(&j->shadow, j->shadow_path, 0);
	if (ret < 0) {
		snprintf(r->error, sizeof(r->error), "shadow '%s' %s%s",
			 j->shadow_path, ret == -ENOENT || ret == -EACCES ||
			 ret == -EPERM ? "cannot be opened: " : "",
			 device_strerror(ret));
		return ret;
	}
	r->shadow_size = j->shadow.size_bytes;
	r->shadow_direct = j->shadow.direct;
	if (j->shadow.size_bytes < j->local.size_bytes) {
		snprintf(r->error, sizeof(r->error),
			 "shadow '%s' (%llu bytes) is smaller than local '%s' "
			 "(%llu bytes)", j->shadow_path,
			 (unsigned long long)j->shadow.size_bytes, j->local_path,
			 (unsigned long long)j->local.size_bytes);
		return -EINVAL;
	}
	return 0;
}

static int run_pair(struct verify_job *j)
{
	static const char *const role[] = { "local", "shadow" };
	const char *const path[] = { j->local_path, j->shadow_path };
	struct compare_opts o = {
		.engine = j->io.engine,
		.block_size = j->io.block_size ? j->io.block_size
					       : DEFAULT_BLOCK_SIZE,
		.io_size = j->io.io_size,
		.queue_depth = j->io.queue_depth,
		.memory_bytes = j->io.memory_bytes,
		.progress = report_progress,
		.progress_ctx = "verify",
		.cancel = &cli_interrupted,
	};
	int ret;

	j->io.block_size = o.block_size;
	ret = compare_run(&j->local, &j->shadow, &o, &j->cmp);
	report_progress_done();
	j->rep.cmp = &j->cmp;
	j->engine_used = j->cmp.engine;
	if (ret < 0)
		report_pipe_error(j->rep.error, sizeof(j->rep.error),
				  &j->cmp.error, j->io.engine, role, path);
	return ret;
}

static void print_text(const struct verify_job *j)
{
	const struct pair_report *r = &j->rep;
	char bs[32];

	if (!strcmp(r->result, "match"))
		printf("verify: MATCH, local is identical to its shadow\n");
	else
		printf("verify: DIFFER, local is not identical to its shadow\n");
	report_pair_text(stdout, r);
	printf("  engine %s, block size %s\n",
	       j->engine_used ? j->engine_used : j->io.engine,
	       human_bytes(j->io.block_size, bs, sizeof(bs)));
}

static void print_json(const struct verify_job *j)
{
	json_t *root = json_pack("{s:s,s:s,s:s,s:I,s:[o]}", "command", "verify",
				 "result", j->rep.result, "engine",
				 j->engine_used ? j->engine_used : j->io.engine,
				 "block_size", (json_int_t)j->io.block_size,
				 "pairs", report_pair_json(&j->rep));

	if (j->rep.error[0])
		json_object_set_new(root, "error", json_string(j->rep.error));
	report_json_emit(root);
}

int cmd_verify(int argc, char **argv)
{
	struct verify_job j = { .io = IO_OPTS_DEFAULT };
	int ret, status;

	j.local.fd = j.shadow.fd = -1;
	j.local.fd_buffered = j.shadow.fd_buffered = -1;
	ret = parse_args(&j, argc, argv);
	if (ret)
		return ret > 0 ? EXIT_MATCH : EXIT_ERROR;
	j.rep.local_path = j.local_path;
	j.rep.shadow_path = j.shadow_path;
	if (!j.io.block_size)
		j.io.block_size = DEFAULT_BLOCK_SIZE;

	ret = open_pair(&j);
	if (!ret)
		ret = run_pair(&j);
	if (ret < 0) {
		j.rep.result = "error";
		status = EXIT_ERROR;
		cli_error("%s", j.rep.error);
	} else if (j.cmp.differing_blocks) {
		j.rep.result = "differ";
		status = EXIT_DIFFER;
	} else {
		j.rep.result = "match";
		status = EXIT_MATCH;
	}
	if (j.io.json)
		print_json(&j);
	else if (status != EXIT_ERROR)
		print_text(&j);
	if (cli_flush_stdout() < 0)
		status = EXIT_ERROR;

	compare_result_release(&j.cmp);
	device_close(&j.shadow);
	device_close(&j.local);
	return status;
}
