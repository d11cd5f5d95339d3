/*
 * cmd_verify.c - `shadowsync verify`: is each local device identical to
 * its shadow, which block ranges differ, and what will asd do with the
 * pair at cold start.
 */
#include "display.h"
#include "joblist.h"
#include "outcome.h"
#include "../aerospike/smddir.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static const char verify_usage[] =
	"usage: shadowsync verify LOCAL SHADOW [options]\n"
	"       shadowsync verify --config /etc/aerospike/aerospike.conf [options]\n"
	"\n"
	"Compare each local device with its shadow block by block, byte for\n"
	"byte, both read at once, and list the byte ranges (extents) that differ.\n"
	"LOCAL is compared over its whole size; a larger SHADOW's extra bytes are\n"
	"reported, not compared; a smaller SHADOW is an error. Refuses a LOCAL\n"
	"and SHADOW that are one storage (the same file, a partition and its\n"
	"disk, loop devices over one file, dm/md stacks).\n"
	"\n"
	"Aerospike devices: both headers (first 8 MiB) are decoded;\n"
	"pristine_offset (written to local only) is not a difference; extents\n"
	"are tagged header or data; the report predicts what asd will do at cold\n"
	"start (load-local, copy-from-shadow, reinit-from-shadow, crash) and\n"
	"prints a WARNING first, with the next command to run, when asd would\n"
	"serve damaged data, drop data or crash, or the pair looks swapped.\n"
	"Where data differs, the report says what asd will do with the records\n"
	"of the differing write-blocks on the copy it reads: records that\n"
	"differ, unparsable (asd's reason), hidden, and for load-local those the\n"
	"shadow holds that loading local will not give.\n"
	"\n"
	"options:\n"
	"  --gate              exit by what asd's own cold start will do, for\n"
	"                      systemd's ExecStartPre: 0 when it is safe (load-local\n"
	"                      with matching data, copy-from-shadow, reinit with\n"
	"                      the shadow's data), 1 only when asd would serve\n"
	"                      damaged data, drop data or crash, or the pair looks\n"
	"                      swapped; with --config it also warns of an smd\n"
	"                      restore into the conf's work directory that did\n"
	"                      not finish (a line only: the answer is the\n"
	"                      devices')\n"
	PAIR_OPTIONS_HELP HELP_PROM IO_OPTIONS_HELP
	HELP_EXIT("identical, and asd will start cleanly (--gate: asd's own\n"
		  "       cold start is safe)",
		  "they differ, or asd would serve damaged data, drop data or\n"
		  "       crash, or the pair looks swapped (--gate: only these)");

enum { OPT_GATE = OPT_PAIR_LAST };

struct verify_args {
	struct io_opts io;
	struct pair_opts pair;
	bool gate;
	char **paths;
	int npaths;
};

static int parse_args(struct verify_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		IO_LONG_OPTIONS,
		PAIR_LONG_OPTIONS,
		{ "gate", no_argument, NULL, OPT_GATE },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_getopt g = { .cmd = "verify", .usage = verify_usage,
				.longopts = longopts, .io = &a->io };

	return pair_getopt(&g, &a->pair, OPT_GATE, &a->gate, argc, argv,
			   &a->paths, &a->npaths);
}

/* One pair, start to end; runs on a pool thread. */
static void verify_pair(struct pair_job *j)
{
	struct compare_opts o;
	int ret;

	ret = pair_open(j, 0);
	if (!ret)
		ret = pair_read_headers(j);
	if (!ret) {
		o = pair_compare_opts(j);
		ret = pair_manifest_begin(j, &o);
	}
	if (!ret) {
		ret = compare_run(&j->local, &j->shadow, &o, &j->cmp);
		j->rep.cmp = &j->cmp;
		if (ret < 0)
			pair_pipe_error(j);
		if (pair_manifest_end(j, ret == 0) < 0 && !ret)
			ret = -EIO;
	}
	if (ret < 0) {
		j->rep.result = ret == -ECANCELED ? "interrupted" : "error";
		j->status = EXIT_ERROR;
		return;
	}
	pair_records_finish(j);
	pair_decide(j);
	j->rep.result = j->cmp.differing_blocks ? "differ" : "match";
	j->status = j->cmp.differing_blocks ||
				    report_cold_start_alarming(&j->aero)
			    ? EXIT_DIFFER
			    : EXIT_MATCH;
}

static const char *run_result(const struct job_list *l)
{
	int status = job_list_status(l);

	if (cli_interrupt_status())
		return "interrupted";
	if (status == EXIT_ERROR)
		return "error";
	for (size_t i = 0; i < l->n; i++)
		if (l->jobs[i].cmp.differing_blocks)
			return "differ";
	return "match";
}

struct tally {
	size_t differ, errors, unsafe;
};

static struct tally count(const struct job_list *l)
{
	struct tally t = { 0 };

	for (size_t i = 0; i < l->n; i++) {
		const struct pair_job *j = &l->jobs[i];

		t.errors += j->status == EXIT_ERROR;
		t.differ += j->status != EXIT_ERROR && j->cmp.differing_blocks;
		t.unsafe += j->status != EXIT_MATCH;
	}
	return t;
}

static void headline(const struct job_list *l, bool gate)
{
	struct tally t = count(l);
	const struct pair_job *j = &l->jobs[0];
	char b[32];

	if (gate && !t.unsafe)
		printf("verify --gate: SAFE, asd's own cold start is safe for "
		       "%s%zu pair%s\n", l->n > 1 ? "all " : "", l->n,
		       l->n == 1 ? "" : "s");
	else if (gate)
		printf("verify --gate: UNSAFE, do not start asd: %zu of %zu "
		       "pair%s would serve damaged data, drop data or crash, or "
		       "could not be checked\n", t.unsafe, l->n,
		       l->n == 1 ? "" : "s");
	if (l->n > 1)
		printf("verify: %s, %zu pairs: %zu identical, %zu differ, %zu "
		       "failed\n", t.errors ? "ERROR" : t.differ ? "DIFFER" :
		       "MATCH", l->n, l->n - t.differ - t.errors, t.differ,
		       t.errors);
	else if (t.errors)
		printf("verify: ERROR, %s\n", disp(j->rep.error));
	else if (t.differ)
		printf("verify: DIFFER, local differs from its shadow: %s in "
		       "%llu extent%s\n",
		       human_bytes(j->cmp.differing_bytes, b, sizeof(b)),
		       (unsigned long long)j->cmp.extents.total,
		       j->cmp.extents.total == 1 ? "" : "s");
	else
		printf("verify: MATCH, local is identical to its shadow\n");
}

static void print_text(const struct job_list *l, bool gate)
{
	headline(l, gate);
	if (!cli_run.quiet)
		job_list_print_pairs(l, NULL, NULL);
}

static void print_json(const struct job_list *l, bool gate, int status)
{
	json_t *root = job_list_json_root(l, "verify", run_result(l));

	if (gate)
		json_object_set_new(root, "gate", json_pack("{s:b}", "safe",
							    status == EXIT_MATCH));
	job_list_emit_json(l, root);
}

/* Why the run exits 1 when no alarm said it (alarms come first). */
static void differ_reason(const struct job_list *l)
{
	struct tally t = count(l);
	const struct pair_job *j = &l->jobs[0];
	char b[32];

	if (l->n == 1 && t.differ)
		cli_exit_reason("local '%s' differs from its shadow '%s': %s in "
				"%llu extent%s", j->local_path, j->shadow_path,
				human_bytes(j->cmp.differing_bytes, b, sizeof(b)),
				(unsigned long long)j->cmp.extents.total,
				j->cmp.extents.total == 1 ? "" : "s");
	else if (t.differ)
		cli_exit_reason("%zu of %zu pairs differ", t.differ, l->n);
}

/*
 * The gate's answer for one pair: is asd's own cold start safe? Without
 * a verdict (no Aerospike header anywhere) only identity is safe.
 */
static bool gate_unsafe(const struct pair_job *j)
{
	if (j->status == EXIT_ERROR)
		return true;
	if (!j->aero.decided || j->aero.verdict.verdict == CS_NONE)
		return j->cmp.differing_blocks != 0;
	return report_cold_start_alarming(&j->aero);
}

static int gate_status(struct job_list *l)
{
	int status = EXIT_MATCH;

	for (size_t i = 0; i < l->n; i++) {
		struct pair_job *j = &l->jobs[i];

		if (j->status != EXIT_ERROR)
			j->status = gate_unsafe(j) ? EXIT_DIFFER : EXIT_MATCH;
		if (j->status > status)
			status = j->status;
	}
	return status;
}

/*
 * verify --gate --config runs before asd starts: an smd restore on this
 * node that did not finish (smd/ may hold a mix of two states) is worth
 * a line there, though the gate answers for the devices only.
 */
static void smd_restore_warning(const struct job_list *l)
{
	const char *wd = l->conf.service.work_directory
			 ? l->conf.service.work_directory : "/opt/aerospike";
	char dir[PATH_MAX], note[512];

	if (wd[0] != '/' ||
	    snprintf(dir, sizeof(dir), "%s/smd", wd) >= (int)sizeof(dir) ||
	    smd_restore_mark_read(dir, note, sizeof(note)) <= 0)
		return;
	fprintf(cli_run.json || cli_run.quiet ? stderr : stdout,
		"WARNING: an smd restore into '%s' did not finish (the restore of "
		"%s): SMD may be a mix of two states; next: run that restore "
		"again before starting asd\n", disp(dir), disp(note));
}

int cmd_verify(int argc, char **argv)
{
	struct verify_args a = { .io = IO_OPTS_DEFAULT };
	struct job_list l;
	int ret, status;

	ret = parse_args(&a, argc, argv);
	if (ret)
		return ret > 0 ? EXIT_MATCH : EXIT_ERROR;
	if (job_list_build(&l, "verify", &a.io, &a.pair, a.paths, a.npaths) < 0) {
		job_list_release(&l);
		return EXIT_ERROR;
	}
	status = job_list_execute(&l, &a.pair, verify_pair);
	if (a.gate)
		status = gate_status(&l);
	job_list_warn(&l, !a.io.json && !cli_run.quiet);
	if (status == EXIT_DIFFER)
		differ_reason(&l);
	if (cli_run_wants_report())
		print_json(&l, a.gate, status);
	if (!a.io.json && (status != EXIT_ERROR || l.n > 1))
		print_text(&l, a.gate);
	if (a.gate && a.pair.config)
		smd_restore_warning(&l);
	job_list_release(&l);
	return status;
}
