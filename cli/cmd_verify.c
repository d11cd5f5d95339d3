/*
 * cmd_verify.c - `shadowsync verify LOCAL SHADOW`: is local identical to
 * its shadow, and if not, which block ranges differ.
 */
#include "pair.h"

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

static int parse_args(struct io_opts *io, const char **paths, int argc,
		      char **argv)
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
		if (io_opts_parse(io, opt, optarg) < 0)
			return -1;
	}
	if (argc - optind != 2) {
		cli_error("verify: expected LOCAL and SHADOW, got %d path%s "
			  "(see 'shadowsync verify --help')", argc - optind,
			  argc - optind == 1 ? "" : "s");
		return -1;
	}
	paths[0] = argv[optind];
	paths[1] = argv[optind + 1];
	io_opts_finish(io);
	return 0;
}

static int run_pair(struct pair_job *j)
{
	struct compare_opts o = pair_compare_opts(j, "verify");
	int ret;

	ret = compare_run(&j->local, &j->shadow, &o, &j->cmp);
	report_progress_done();
	j->rep.cmp = &j->cmp;
	if (ret < 0)
		pair_pipe_error(j);
	return ret;
}

static void print_text(const struct pair_job *j)
{
	const struct pair_report *r = &j->rep;
	char bs[32];

	if (!strcmp(r->result, "match"))
		printf("verify: MATCH, local is identical to its shadow\n");
	else
		printf("verify: DIFFER, local is not identical to its shadow\n");
	report_pair_text(stdout, r);
	printf("  engine %s, block size %s\n",
	       j->cmp.engine ? j->cmp.engine : j->io.engine,
	       human_bytes(j->io.block_size, bs, sizeof(bs)));
}

static void print_json(const struct pair_job *j)
{
	json_t *root = json_pack("{s:s,s:s,s:s,s:I,s:[o]}", "command", "verify",
				 "result", j->rep.result, "engine",
				 j->cmp.engine ? j->cmp.engine : j->io.engine,
				 "block_size", (json_int_t)j->io.block_size,
				 "pairs", report_pair_json(&j->rep));

	if (j->rep.error[0])
		json_object_set_new(root, "error", json_string(j->rep.error));
	report_json_emit(root);
}

int cmd_verify(int argc, char **argv)
{
	struct io_opts io = IO_OPTS_DEFAULT;
	const char *paths[2];
	struct pair_job j;
	int ret, status;

	ret = parse_args(&io, paths, argc, argv);
	if (ret)
		return ret > 0 ? EXIT_MATCH : EXIT_ERROR;
	pair_init(&j, &io, paths[0], paths[1]);

	ret = pair_open(&j, 0);
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
	pair_release(&j);
	return status;
}
