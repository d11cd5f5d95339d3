/*
 * cmd_sync.c - `shadowsync sync LOCAL SHADOW`: make local identical to
 * its shadow, writing only the blocks that differ, then prove it by
 * reading every written block back.
 */
#include "commit.h"
#include "joblist.h"
#include "target.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static const char sync_usage[] =
	"usage: shadowsync sync LOCAL SHADOW [options]\n"
	"       shadowsync sync --config /etc/aerospike/aerospike.conf [options]\n"
	"\n"
	"Make LOCAL identical to SHADOW (the shadow is authoritative, as asd\n"
	"treats it at cold start). One pass reads both; every block that differs\n"
	"is written from the shadow's bytes already in memory to the same offset\n"
	"of LOCAL, and only those blocks. Then fdatasync, then every written\n"
	"block is read back and its XXH3-128 checked. SHADOW is opened read-only.\n"
	"Interrupted at any point, running sync again completes the job.\n"
	"\n"
	"Refuses (exit 2) when LOCAL is mounted, behind a loop device, open by\n"
	"another process, read-only, the same file or device as SHADOW, larger\n"
	"than SHADOW, or holds another namespace than SHADOW.\n"
	"\n"
	"Aerospike devices: pristine_offset (local-only by design) is not a\n"
	"difference and is not rewritten; the block size defaults to the\n"
	"write-block size; the report says what asd will do at the next cold start.\n"
	"\n"
	"options:\n"
	"  --dry-run           write nothing; report what sync would write\n"
	"  --force             write even though another process has LOCAL open,\n"
	"                      or LOCAL's Aerospike header names another namespace\n"
	PAIR_OPTIONS_HELP IO_OPTIONS_HELP
	"\n"
	"exit status: 0 local matches (synced, or already identical), 1 --dry-run\n"
	"found differences, 2 error or refused\n";

enum { OPT_DRY_RUN = OPT_PAIR_LAST, OPT_FORCE };

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
		if (pair_io_opts_parse(&a->pair, &a->io, opt, optarg) < 0)
			return -1;
	}
	a->paths = argv + optind;
	a->npaths = argc - optind;
	io_opts_finish(&a->io);
	return 0;
}

/* Is the descriptor we will write the object we checked? */
static bool same_object(const struct device *a, const struct device *b)
{
	return a->is_blockdev == b->is_blockdev && device_same(a, b);
}

/* Reopen local for writing, exclusively; words the failure. */
static int reopen_for_writing(struct pair_job *j)
{
	int ret;

	/*
	 * No mount and no process holds it (checked), yet the kernel may
	 * still be releasing the exclusive claim of a run that was just
	 * killed (its io_uring is torn down asynchronously): wait a little.
	 */
	for (int tries = 0;; tries++) {
		ret = device_open(&j->local, j->local_path,
				  DEVICE_WRITE | DEVICE_EXCL);
		if (ret != -EBUSY || tries == 30)
			break;
		usleep(100000);
	}
	if (ret == -EBUSY)
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "local '%s' is in use (held exclusively by a file "
			 "system or another program): %s", j->local_path,
			 device_strerror(ret));
	else if (ret == -EROFS)
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "local '%s' is read-only: %s", j->local_path,
			 device_strerror(ret));
	else if (ret == -EACCES || ret == -EPERM)
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "local '%s' cannot be opened for writing: permission "
			 "denied", j->local_path);
	else if (ret < 0)
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "local '%s' cannot be opened for writing: %s",
			 j->local_path, device_strerror(ret));
	return ret;
}

/*
 * Look at local read-only first (mounted? in use? the shadow itself?),
 * and only then open it for writing, exclusively for a block device, and
 * check that what we opened is what we looked at. A dry run makes every
 * check and stops before the open for writing.
 */
static int open_for_sync(struct pair_job *j, const struct sync_args *a)
{
	struct device checked;
	int ret = pair_open(j, 0);

	if (ret < 0)
		return ret;
	ret = target_check(&j->local, &j->shadow, "local", a->force,
			   j->rep.error, sizeof(j->rep.error));
	if (ret < 0 || a->dry_run)
		return ret;
	checked = j->local;
	device_close(&j->local);
	ret = reopen_for_writing(j);
	if (ret < 0)
		return ret;
	if (!same_object(&checked, &j->local)) {
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "local '%s' was replaced by another file or device "
			 "while it was being checked; nothing written",
			 j->local_path);
		return -ESTALE;
	}
	/* Two syncs on one local file: the second one stops here. */
	if (!j->local.is_blockdev && flock(j->local.fd, LOCK_EX | LOCK_NB)) {
		ret = -errno;
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "local '%s' is locked by another process (another "
			 "sync of it?)%s%s", j->local_path,
			 ret == -EWOULDBLOCK ? "" : ": ",
			 ret == -EWOULDBLOCK ? "" : device_strerror(ret));
		return ret == -EWOULDBLOCK ? -EBUSY : ret;
	}
	return 0;
}

/*
 * What the headers say about writing local from shadow, before anything
 * is written (dry runs too): another namespace, a blank shadow over a
 * device with data, arguments that look swapped. --force overrides.
 */
static int check_headers(struct pair_job *j, const struct sync_args *a)
{
	const struct pair_aero *h = &j->aero;
	bool local_aero = h->read && h->local.state == AS_STATE_AEROSPIKE;
	bool shadow_aero = h->read && h->shadow.state == AS_STATE_AEROSPIKE;

	if (a->force || !local_aero)
		return 0;
	if (shadow_aero && strcmp(h->local.namespace, h->shadow.namespace)) {
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "local '%s' holds namespace '%s' but shadow '%s' holds "
			 "'%s'; refusing to overwrite it (--force if you are sure)",
			 j->local_path, h->local.namespace, j->shadow_path,
			 h->shadow.namespace);
		return -EINVAL;
	}
	if (!shadow_aero) {
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "shadow '%s' has no Aerospike header (%s) but local '%s' "
			 "holds namespace '%s': copying it would wipe local's data; "
			 "refusing (find the right shadow volume; --force if you "
			 "are sure)", j->shadow_path,
			 report_state_name(h->shadow.state), j->local_path,
			 h->local.namespace);
		return -EINVAL;
	}
	if (h->likely_swap) {
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "shadow '%s' looks like a local device and local '%s' "
			 "like a shadow (pristine_offset, written to local only, "
			 "is set on the shadow and not on local): arguments "
			 "swapped? refusing (usage: sync LOCAL SHADOW; --force if "
			 "you are sure)", j->shadow_path, j->local_path);
		return -EINVAL;
	}
	return 0;
}

/* After a sync local's header is the shadow's but for pristine_offset. */
static void decide_after_sync(struct pair_job *j)
{
	struct pair_aero *a = &j->aero;

	if (a->read && a->local_raw && a->shadow_raw && j->rep.verified) {
		bool keep = header_commit_keeps_pristine(a);
		uint64_t pristine = a->local.pristine_offset;
		unsigned char raw[AS_PRISTINE_BYTES];

		memcpy(raw, a->local_raw + AS_OFF_PRISTINE, sizeof(raw));
		memcpy(a->local_raw, a->shadow_raw, AS_HEADER_STRUCT_BYTES);
		a->local = a->shadow;
		if (keep) {
			memcpy(a->local_raw + AS_OFF_PRISTINE, raw, sizeof(raw));
			a->local.pristine_offset = pristine;
		}
		a->local_sweep = a->shadow_sweep;
	}
	pair_decide(j);
	if (j->rep.verified)
		a->data_differing_bytes = 0;
}

/* Word a failed step of the header commit into j->rep.error. */
static void commit_error(struct pair_job *j, const struct header_commit *c)
{
	static const char *const what[] = { "guard", "mark local's header "
					    "not loadable", "header", "write "
					    "local's header region", "flush",
					    "flush local" };
	const char *doing = c->step;

	for (size_t i = 0; i < 6; i += 2)
		if (!strcmp(c->step, what[i]))
			doing = what[i + 1];
	snprintf(j->rep.error, sizeof(j->rep.error),
		 "cannot %s '%s' at offset %llu: %s (%s)", doing, j->local_path,
		 (unsigned long long)c->err_offset, device_strerror(c->err),
		 errno_name(c->err));
}

/* Read every written range back and compare it with the shadow again. */
static int read_back(struct pair_job *j, const struct compare_opts *o,
		     const struct header_commit *c)
{
	struct pipe_range *ranges;
	uint64_t bad = 0;
	long n = header_commit_ranges(c, &j->cmp.extents, &ranges);
	int ret;

	if (n < 0)
		return (int)n;
	if (!j->local.direct)
		for (long i = 0; i < n; i++)
			device_drop_cache(&j->local, ranges[i].offset,
					  ranges[i].length);
	ret = compare_readback(&j->local, &j->shadow, o, ranges, (size_t)n,
			       &j->cmp, &bad);
	free(ranges);
	if (ret == -EILSEQ)
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "read-back of local '%s' at offset %llu does not match "
			 "what was written", j->local_path,
			 (unsigned long long)bad);
	else if (ret < 0)
		pair_pipe_error(j);
	return ret;
}

/* The pass failed: say why, and what state local was left in. */
static void pass_error(struct pair_job *j, const struct header_commit *c,
		       int ret)
{
	if (c->err)
		commit_error(j, c);
	else
		pair_pipe_error(j);
	if (ret == -ECANCELED)
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "interrupted at offset %llu after writing %llu bytes "
			 "to local '%s'; run sync again to finish",
			 (unsigned long long)j->cmp.error.offset,
			 (unsigned long long)j->cmp.bytes_written,
			 j->local_path);
}

static int run_sync(struct pair_job *j, const struct sync_args *a)
{
	struct header_commit hc = { 0 };
	struct compare_opts o;
	double t0 = compare_now();
	int ret, flushed;

	ret = pair_read_headers(j);
	if (!ret)
		ret = check_headers(j, a);
	if (ret < 0)
		return ret;
	o = pair_compare_opts(j, "sync");
	if (!a->dry_run) {
		o.write_local = true;
		if (o.header_bytes) {
			ret = header_commit_init(&hc, &j->local, &j->aero);
			if (ret < 0)
				return ret;
			o.header_image = hc.image;
			o.before_data_write = header_commit_guard;
			o.guard_ctx = &hc;
		}
	}
	ret = pair_manifest_begin(j, &o);
	if (ret < 0)
		goto out;
	ret = compare_run(&j->local, &j->shadow, &o, &j->cmp);
	if (j->show_progress)
		report_progress_done();
	j->rep.cmp = &j->cmp;
	j->rep.header_guard = hc.guard_used;
	if (ret < 0)
		pass_error(j, &hc, ret);
	if (pair_manifest_end(j, ret == 0) < 0 && !ret)
		ret = -EIO;
	if (a->dry_run || (ret < 0 && !j->cmp.bytes_written))
		goto out;
	/* Whatever landed, even before an error, is made durable. */
	flushed = j->cmp.bytes_written ? device_flush(&j->local) : 0;
	if (ret < 0)
		goto out;
	if (flushed < 0) {
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "cannot flush local '%s': %s (%s)", j->local_path,
			 device_strerror(flushed), errno_name(flushed));
		ret = flushed;
		goto out;
	}
	if (o.header_bytes) {
		ret = header_commit_finish(&hc, &j->cmp.extents);
		if (ret < 0) {
			commit_error(j, &hc);
			goto out;
		}
		j->cmp.bytes_written += extent_list_region_bytes(
			&j->cmp.extents, REGION_HEADER);
	}
	j->rep.wrote = true;
	ret = read_back(j, &o, &hc);
	j->cmp.elapsed_s = compare_now() - t0;	/* the whole job */
	j->rep.verified = ret == 0;
out:
	header_commit_release(&hc);
	return ret;
}

/* One pair, start to end; runs on a pool thread. */
static void sync_pair(struct pair_job *j)
{
	const struct sync_args *a = sync_run_args;
	int ret;

	j->rep.is_sync = true;
	j->rep.dry_run = a->dry_run;
	ret = open_for_sync(j, a);
	if (!ret)
		ret = run_sync(j, a);
	if (ret < 0) {
		j->rep.result = "error";
		j->status = EXIT_ERROR;
		return;
	}
	decide_after_sync(j);
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

static void print_pair_text(const struct pair_job *j, const struct sync_args *a)
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
	report_cold_start_text(stdout, &j->rep);
	printf("  engine %s, block size %s%s\n",
	       c->engine ? c->engine : j->io.engine,
	       human_bytes(j->io.block_size, b2, sizeof(b2)),
	       a->dry_run ? ", dry run: nothing written" : "");
}

static void print_text(const struct job_list *l, const struct sync_args *a)
{
	for (size_t i = 0; i < l->n; i++)
		report_cold_start_warning(stdout, &l->jobs[i].rep);
	for (size_t i = 0; i < l->n; i++) {
		const struct pair_job *j = &l->jobs[i];

		job_list_pair_heading(l, i);
		if (j->status == EXIT_ERROR)
			printf("  error: %s\n", j->rep.error);
		else
			print_pair_text(j, a);
	}
}

static const char *run_result(const struct job_list *l, bool dry_run)
{
	bool wrote = false, differ = false;

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
	if (a.io.json)
		print_json(&l, &a);
	else if (status != EXIT_ERROR || l.n > 1)
		print_text(&l, &a);
	if (cli_flush_stdout() < 0)
		status = EXIT_ERROR;
	job_list_release(&l);
	return status;
}
