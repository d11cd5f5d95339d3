/*
 * cmd_sync.c - `shadowsync sync LOCAL SHADOW`: make local identical to
 * its shadow, writing only the blocks that differ, then prove it by
 * reading every written block back.
 */
#include "display.h"
#include "outcome.h"
#include "syncjob.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>

static const char sync_usage[] =
	"usage: shadowsync sync LOCAL SHADOW [options]\n"
	"       shadowsync sync --config /etc/aerospike/aerospike.conf [options]\n"
	"\n"
	"Make LOCAL identical to SHADOW (the shadow is authoritative, as asd\n"
	"treats it at cold start). One pass reads both and compares every block\n"
	"byte for byte; each block that differs is written from the shadow's\n"
	"bytes already in memory to the same offset of LOCAL, and only those\n"
	"blocks; then fdatasync, then every written block is read back and\n"
	"compared with the shadow again. SHADOW is opened read-only.\n"
	"\n"
	"Aerospike devices: the header region (first 8 MiB) is written last.\n"
	"If asd would load LOCAL as it is, sync first clears TRUSTED in LOCAL's\n"
	"header (durably), then writes the data, fdatasync, then the header\n"
	"region past its first 4 KiB, fdatasync, and last that first page\n"
	"(magic, flags), fdatasync. Stopped at any moment (kill, power loss, full disk,\n"
	"I/O error), LOCAL's header differs from the shadow's, so asd copies from\n"
	"the shadow instead of serving half-old data; run sync again to finish.\n"
	"LOCAL keeps its own pristine_offset (asd writes it to local only); every\n"
	"other byte of the header region becomes the shadow's. The block size\n"
	"defaults to the write-block size; the report says what asd will do at\n"
	"the next cold start.\n"
	"\n"
	"Refuses (exit 2, nothing written; --dry-run makes the same checks) when\n"
	"LOCAL is mounted, the backing file of a loop device, open by another\n"
	"process, locked by another sync, read-only, the same storage as SHADOW,\n"
	"larger than SHADOW, holds another namespace or device_id than SHADOW\n"
	"(not its pair), or has an Aerospike header while SHADOW has none\n"
	"(blank), or when the two look swapped (pristine_offset set on SHADOW,\n"
	"not on LOCAL).\n"
	"\n"
	"options:\n"
	"  --dry-run           write nothing; make every check and report what\n"
	"                      sync would write\n"
	"  --force             write even though another process has LOCAL open\n"
	"                      (or it cannot tell), LOCAL holds another namespace\n"
	"                      or device_id, SHADOW is blank, or they look\n"
	"                      swapped; never past a mount, an alias, a lock or\n"
	"                      a read-only device\n"
	PAIR_OPTIONS_HELP HELP_PROM IO_OPTIONS_HELP
	HELP_EXIT("local matches its shadow (synced, or already identical)\n"
		  "       and asd will start cleanly",
		  "--dry-run found differences, or local was synced but asd's\n"
		  "       cold start is still alarming (the WARNING says why)");

enum { OPT_DRY_RUN = OPT_PAIR_LAST };

struct sync_args {
	struct io_opts io;
	struct pair_opts pair;
	char **paths;
	int npaths;
	bool dry_run;
	bool force;
};

/* The pool runs one function per job: the run's options live here. */
static const struct sync_args *sync_run_args;

static int parse_args(struct sync_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		IO_LONG_OPTIONS,
		PAIR_LONG_OPTIONS,
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_getopt g = { .cmd = "sync", .usage = sync_usage,
				.longopts = longopts, .io = &a->io,
				.force = &a->force };

	return pair_getopt(&g, &a->pair, OPT_DRY_RUN, &a->dry_run, argc, argv,
			   &a->paths, &a->npaths);
}

/* One pair, start to end; runs on a pool thread. */
static void sync_pair(struct pair_job *j)
{
	const struct sync_args *a = sync_run_args;
	int ret;

	j->rep.is_sync = true;
	j->rep.dry_run = a->dry_run;
	ret = syncjob_open(j, a->dry_run, a->force);
	if (!ret)
		ret = syncjob_run(j, a->dry_run, a->force);
	if (ret < 0) {
		j->rep.result = ret == -ECANCELED ? "interrupted" : "error";
		j->status = EXIT_ERROR;
		return;
	}
	pair_records_finish(j);
	syncjob_decide(j);
	if (!j->cmp.differing_blocks) {
		j->rep.result = "match";
		j->rep.verified = true;
		j->status = EXIT_MATCH;
	} else if (a->dry_run) {
		j->rep.result = "differ";
		j->status = EXIT_DIFFER;
	} else {
		j->rep.result = "synced";
		j->status = EXIT_MATCH;
	}
	if (report_cold_start_alarming(&j->aero))
		j->status = j->status == EXIT_ERROR ? EXIT_ERROR : EXIT_DIFFER;
}

struct tally {
	size_t synced, match, differ, errors;
};

static struct tally count(const struct job_list *l)
{
	struct tally t = { 0 };

	for (size_t i = 0; i < l->n; i++) {
		const struct pair_job *j = &l->jobs[i];

		if (j->status == EXIT_ERROR)
			t.errors++;
		else if (!strcmp(j->rep.result, "synced"))
			t.synced++;
		else if (j->cmp.differing_blocks)
			t.differ++;
		else
			t.match++;
	}
	return t;
}

static void headline_one(const struct pair_job *j, bool dry_run)
{
	const struct compare_result *c = &j->cmp;
	char b[32];

	if (j->status == EXIT_ERROR)
		printf("sync: ERROR, %s\n", disp(j->rep.error));
	else if (dry_run && c->differing_blocks)
		printf("sync --dry-run: DIFFER, sync would write %s in %llu "
		       "extent%s; nothing written\n",
		       human_bytes(c->differing_bytes, b, sizeof(b)),
		       (unsigned long long)c->extents.total,
		       c->extents.total == 1 ? "" : "s");
	else if (!c->differing_blocks)
		printf("sync%s: MATCH, local already identical to its shadow; "
		       "nothing written\n", dry_run ? " --dry-run" : "");
	else
		printf("sync: SYNCED, local now identical to its shadow: wrote "
		       "%s, read back and compared\n",
		       human_bytes(c->bytes_written, b, sizeof(b)));
}

static void headline(const struct job_list *l, bool dry_run)
{
	struct tally t = count(l);

	if (l->n == 1) {
		headline_one(&l->jobs[0], dry_run);
		return;
	}
	if (dry_run)
		printf("sync --dry-run: %s, %zu pairs: %zu would be written, %zu "
		       "identical, %zu failed; nothing written\n",
		       t.errors ? "ERROR" : t.differ ? "DIFFER" : "MATCH", l->n,
		       t.differ, t.match, t.errors);
	else
		printf("sync: %s, %zu pairs: %zu synced, %zu already identical, "
		       "%zu failed\n", t.errors ? "ERROR" : t.synced ? "SYNCED" :
		       "MATCH", l->n, t.synced, t.match, t.errors);
}

/* headline_one() for job_list_print_pairs(): arg is the dry_run flag. */
static void pair_headline(const struct pair_job *j, const void *dry_run)
{
	headline_one(j, *(const bool *)dry_run);
}

static void print_text(const struct job_list *l, const struct sync_args *a)
{
	headline(l, a->dry_run);
	if (!cli_run.quiet)
		job_list_print_pairs(l, pair_headline, &a->dry_run);
}

/* Why the run exits 1 when no alarm said it (alarms come first). */
static void differ_reason(const struct job_list *l)
{
	struct tally t = count(l);
	const struct pair_job *j = &l->jobs[0];
	char b[32];

	if (l->n == 1 && t.differ)
		cli_exit_reason("dry run: sync would write %s to local '%s'",
				human_bytes(j->cmp.differing_bytes, b, sizeof(b)),
				j->local_path);
	else if (t.differ)
		cli_exit_reason("dry run: %zu of %zu pairs would be written",
				t.differ, l->n);
}

static const char *run_result(const struct job_list *l, bool dry_run)
{
	bool wrote = false, differ = false;

	if (cli_interrupt_status())
		return "interrupted";
	for (size_t i = 0; i < l->n; i++) {
		if (l->jobs[i].status == EXIT_ERROR)
			return "error";
		wrote |= !strcmp(l->jobs[i].rep.result, "synced");
		differ |= l->jobs[i].cmp.differing_blocks != 0;
	}
	if (dry_run && differ)
		return "differ";
	return wrote ? "synced" : "match";
}

static void print_json(const struct job_list *l, const struct sync_args *a)
{
	json_t *root = job_list_json_root(l, "sync", run_result(l, a->dry_run));

	json_object_set_new(root, "dry_run", json_boolean(a->dry_run));
	job_list_emit_json(l, root);
}

int cmd_sync(int argc, char **argv)
{
	struct sync_args a = { .io = IO_OPTS_DEFAULT };
	struct job_list l;
	int ret, status;

	ret = parse_args(&a, argc, argv);
	if (ret)
		return ret > 0 ? EXIT_MATCH : EXIT_ERROR;
	if (job_list_build(&l, "sync", &a.io, &a.pair, a.paths, a.npaths) < 0) {
		job_list_release(&l);
		return EXIT_ERROR;
	}
	sync_run_args = &a;
	status = job_list_execute(&l, &a.pair, sync_pair);
	job_list_warn(&l, !a.io.json && !cli_run.quiet);
	if (status == EXIT_DIFFER)
		differ_reason(&l);
	if (cli_run_wants_report())
		print_json(&l, &a);
	if (!a.io.json && (status != EXIT_ERROR || l.n > 1))
		print_text(&l, &a);
	job_list_release(&l);
	return status;
}
