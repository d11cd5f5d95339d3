/*
 * cmd_sync.c - `shadowsync sync LOCAL SHADOW`: make local identical to
 * its shadow, writing only the blocks that differ, then prove it by
 * reading every written block back.
 */
#include "pair.h"
#include "target.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>

static const char sync_usage[] =
	"usage: shadowsync sync LOCAL SHADOW [options]\n"
	"\n"
	"Make LOCAL identical to SHADOW (the shadow is authoritative, as asd\n"
	"treats it at cold start). One pass reads both; every block that differs\n"
	"is written from the shadow's bytes already in memory to the same offset\n"
	"of LOCAL, and only those blocks. Then fdatasync, then every written\n"
	"block is read back and its XXH3-128 checked. SHADOW is opened read-only.\n"
	"Interrupted at any point, running sync again completes the job.\n"
	"\n"
	"Refuses (exit 2) when LOCAL is mounted, behind a loop device, open by\n"
	"another process, read-only, the same file or device as SHADOW, or\n"
	"larger than SHADOW.\n"
	"\n"
	"options:\n"
	"  --dry-run           write nothing; report what sync would write\n"
	"  --force             write even though another process has LOCAL open\n"
	IO_OPTIONS_HELP
	"\n"
	"exit status: 0 local matches (synced, or already identical), 1 --dry-run\n"
	"found differences, 2 error or refused\n";

enum { OPT_DRY_RUN = OPT_FIRST_PRIVATE, OPT_FORCE };

struct sync_args {
	struct io_opts io;
	const char *paths[2];
	bool dry_run;
	bool force;
};

static int parse_args(struct sync_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		IO_LONG_OPTIONS,
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'h':
		case OPT_HELP:
			fputs(sync_usage, stdout);
			return 1;
		case OPT_DRY_RUN:
			a->dry_run = true;
			continue;
		case OPT_FORCE:
			a->force = true;
			continue;
		case '?':
		case ':':
			cli_option_error("sync", opt, argv);
			return -1;
		}
		if (io_opts_parse(&a->io, opt, optarg) < 0)
			return -1;
	}
	if (argc - optind != 2) {
		cli_error("sync: expected LOCAL and SHADOW, got %d path%s (see "
			  "'shadowsync sync --help')", argc - optind,
			  argc - optind == 1 ? "" : "s");
		return -1;
	}
	a->paths[0] = argv[optind];
	a->paths[1] = argv[optind + 1];
	io_opts_finish(&a->io);
	return 0;
}

/*
 * Look at local read-only first (mounted? in use? the shadow itself?),
 * and only then open it for writing, exclusively for a block device.
 */
static int open_for_sync(struct pair_job *j, const struct sync_args *a)
{
	int ret = pair_open(j, 0);

	if (ret < 0 || a->dry_run)
		return ret;
	ret = target_check(&j->local, &j->shadow, "local", a->force,
			   j->rep.error, sizeof(j->rep.error));
	if (ret < 0)
		return ret;
	device_close(&j->local);
	ret = device_open(&j->local, j->local_path, DEVICE_WRITE | DEVICE_EXCL);
	if (ret == -EBUSY)
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "local '%s' is in use (held exclusively by a file "
			 "system or another program): %s", j->local_path,
			 device_strerror(ret));
	else if (ret == -EROFS || ret == -EACCES || ret == -EPERM)
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "local '%s' is read-only: %s", j->local_path,
			 device_strerror(ret));
	else if (ret < 0)
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "local '%s' cannot be opened for writing: %s",
			 j->local_path, device_strerror(ret));
	return ret;
}

static int run_sync(struct pair_job *j, const struct sync_args *a)
{
	struct compare_opts o = pair_compare_opts(j, "sync");
	double t0 = compare_now();
	uint64_t bad = 0;
	int ret, flushed;

	o.write_local = !a->dry_run;
	ret = compare_run(&j->local, &j->shadow, &o, &j->cmp);
	report_progress_done();
	j->rep.cmp = &j->cmp;
	if (ret < 0) {
		pair_pipe_error(j);
		if (ret == -ECANCELED)
			snprintf(j->rep.error, sizeof(j->rep.error),
				 "interrupted at offset %llu after writing %llu "
				 "bytes to local '%s'; run sync again to finish",
				 (unsigned long long)j->cmp.error.offset,
				 (unsigned long long)j->cmp.bytes_written,
				 j->local_path);
	}
	if (a->dry_run)
		return ret;
	/* Whatever landed, even before an error, is made durable. */
	flushed = j->cmp.bytes_written ? device_flush(&j->local) : 0;
	if (ret < 0)
		return ret;
	if (flushed < 0) {
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "cannot flush local '%s': %s (%s)", j->local_path,
			 device_strerror(flushed), errno_name(flushed));
		return flushed;
	}
	j->rep.wrote = true;
	if (!j->cmp.nhashes) {
		j->rep.verified = true;	/* nothing differed: read and equal */
		return 0;
	}
	if (!j->local.direct)
		for (size_t i = 0; i < j->cmp.extents.n; i++)
			device_drop_cache(&j->local, j->cmp.extents.v[i].offset,
					  j->cmp.extents.v[i].length);
	ret = compare_readback(&j->local, &o, &j->cmp, &bad);
	j->cmp.elapsed_s = compare_now() - t0;	/* the whole job */
	if (ret == -EILSEQ)
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "read-back of local '%s' at offset %llu does not match "
			 "what was written", j->local_path,
			 (unsigned long long)bad);
	else if (ret < 0)
		pair_pipe_error(j);
	j->rep.verified = ret == 0;
	return ret;
}

static void print_text(const struct pair_job *j, const struct sync_args *a)
{
	const struct compare_result *c = &j->cmp;
	char b1[32], b2[32];

	if (a->dry_run && c->differing_blocks)
		printf("sync --dry-run: DIFFER, sync would write %s in %zu "
		       "extent%s\n", human_bytes(c->differing_bytes, b1,
						 sizeof(b1)),
		       c->extents.n, c->extents.n == 1 ? "" : "s");
	else if (!c->differing_blocks)
		printf("sync: MATCH, local already identical to its shadow; "
		       "nothing written\n");
	else
		printf("sync: SYNCED, local now identical to its shadow: wrote "
		       "%s, read back and checked\n",
		       human_bytes(c->bytes_written, b1, sizeof(b1)));
	report_pair_text(stdout, &j->rep);
	printf("  engine %s, block size %s%s\n",
	       c->engine ? c->engine : j->io.engine,
	       human_bytes(j->io.block_size, b2, sizeof(b2)),
	       a->dry_run ? ", dry run: nothing written" : "");
}

static void print_json(const struct pair_job *j, const struct sync_args *a)
{
	json_t *root = json_pack("{s:s,s:s,s:s,s:I,s:b,s:[o]}",
				 "command", "sync", "result", j->rep.result,
				 "engine", j->cmp.engine ? j->cmp.engine
							 : j->io.engine,
				 "block_size", (json_int_t)j->io.block_size,
				 "dry_run", a->dry_run,
				 "pairs", report_pair_json(&j->rep));

	if (j->rep.error[0])
		json_object_set_new(root, "error", json_string(j->rep.error));
	report_json_emit(root);
}

int cmd_sync(int argc, char **argv)
{
	struct sync_args a = { .io = IO_OPTS_DEFAULT };
	struct pair_job j;
	int ret, status;

	ret = parse_args(&a, argc, argv);
	if (ret)
		return ret > 0 ? EXIT_MATCH : EXIT_ERROR;
	pair_init(&j, &a.io, a.paths[0], a.paths[1]);
	j.rep.is_sync = true;
	j.rep.dry_run = a.dry_run;

	ret = open_for_sync(&j, &a);
	if (!ret)
		ret = run_sync(&j, &a);
	if (ret < 0) {
		j.rep.result = "error";
		status = EXIT_ERROR;
		cli_error("%s", j.rep.error);
	} else if (!j.cmp.differing_blocks) {
		j.rep.result = "match";
		j.rep.verified = true;
		status = EXIT_MATCH;
	} else if (a.dry_run) {
		j.rep.result = "differ";
		status = EXIT_DIFFER;
	} else {
		j.rep.result = "synced";
		status = EXIT_MATCH;
	}
	if (a.io.json)
		print_json(&j, &a);
	else if (status != EXIT_ERROR)
		print_text(&j, &a);
	if (cli_flush_stdout() < 0)
		status = EXIT_ERROR;
	pair_release(&j);
	return status;
}
