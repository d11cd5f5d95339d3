/*
 * joblist.c - building, checking and summing up the pairs of a run.
 */
#include "joblist.h"
#include "target.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "display.h"
#include "outcome.h"
#include "progress.h"

#define DEFAULT_SERVER_VERSION "8.1"

int pair_opts_parse(struct pair_opts *o, int opt, const char *arg)
{
	struct as_server srv;

	switch (opt) {
	case OPT_CONFIG:
		o->config = arg;
		return 1;
	case OPT_NAMESPACE:
		o->namespace = arg;
		return 1;
	case OPT_THREADS:
		if (parse_uint(arg, 1, 64, &o->threads) < 0) {
			cli_error("--threads '%s': expected 1 to 64", arg);
			return -1;
		}
		return 1;
	case OPT_MANIFEST_OUT:
		o->manifest_out = arg;
		return 1;
	case OPT_SERVER_VERSION:
		if (as_server_parse(arg, 0, &srv) < 0) {
			cli_error("--server-version '%s': expected a release "
				  "like 8.1, 7.0 or 6.4.0.2", arg);
			return -1;
		}
		/* What the predictions were checked against (DESIGN.md). */
		if (!as_server_at_least(&srv, 4, 0) ||
		    as_server_at_least(&srv, 8, 2)) {
			cli_error("--server-version '%s': the cold-start "
				  "predictions know servers 4.0 to 8.1", arg);
			return -1;
		}
		o->server_version = arg;
		return 1;
	default:
		return 0;
	}
}

int pair_getopt(struct cli_getopt *g, struct pair_opts *o, int flag_opt,
		bool *flag, int argc, char **argv, char ***paths, int *npaths)
{
	int opt;

	while ((opt = cli_getopt(g, argc, argv)) > 0) {
		if (opt == flag_opt)
			*flag = true;
		else if (pair_opts_parse(o, opt, optarg) < 0)
			return -1;
	}
	if (opt != CLI_GETOPT_END)
		return opt == CLI_GETOPT_HELP ? 1 : -1;
	*paths = argv + optind;
	*npaths = argc - optind;
	io_opts_finish(g->io);
	return 0;
}

static int add_job(struct job_list *l, const struct io_opts *io,
		   const char *local, const char *shadow, const char *ns,
		   const char *config)
{
	struct pair_job *v = realloc(l->jobs, (l->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	l->jobs = v;
	pair_init(&v[l->n], io, local, shadow, &l->server, l->server_version);
	v[l->n].namespace = ns;
	v[l->n].rep.namespace = ns;
	v[l->n].rep.config = config;
	l->n++;
	return 0;
}

static int jobs_from_conf(struct job_list *l, const char *cmd,
			  const struct io_opts *io, const struct pair_opts *o)
{
	char err[512], why[2048];
	uint32_t wbs = 0;
	bool found_ns = false;

	if (aero_conf_load(o->config, &l->conf, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return -1;
	}
	for (size_t i = 0; i < l->conf.nns; i++) {
		struct conf_namespace *ns = &l->conf.ns[i];

		if (o->namespace && strcmp(o->namespace, ns->name))
			continue;
		found_ns = true;
		if (ns->write_block_size)
			wbs = ns->write_block_size;
		for (size_t k = 0; k < ns->ndev; k++)
			if (ns->dev[k].shadow &&
			    add_job(l, io, ns->dev[k].local, ns->dev[k].shadow,
				    ns->name, o->config) < 0)
				return -1;
	}
	if (o->namespace && !found_ns) {
		cli_error("%s: namespace '%s' is not in '%s'", cmd,
			  o->namespace, o->config);
		return -1;
	}
	if (!l->n) {
		cli_error("%s: no 'device LOCAL SHADOW' or 'file LOCAL SHADOW' "
			  "line%s%s in '%s'", cmd, o->namespace ? " for namespace "
			  : "", o->namespace ? o->namespace : "", o->config);
		return -1;
	}
	/* Pairs against pairs: one device written by one thread while
	 * another reads it would make both pairs lie. */
	if (conf_storage_check(&l->conf, o->config, o->namespace, why,
			       sizeof(why)) < 0) {
		cli_error("%s", why);
		return -1;
	}
	/* The conf's write-block-size (default 1M) matters before 7.1. */
	as_server_parse(l->server_version, wbs ? wbs : 1u << 20, &l->server);
	return 0;
}

int job_list_build(struct job_list *l, const char *cmd,
		   const struct io_opts *io, const struct pair_opts *o,
		   char **paths, int npaths)
{
	memset(l, 0, sizeof(*l));
	l->server_version = o->server_version ? o->server_version
					      : DEFAULT_SERVER_VERSION;
	as_server_parse(l->server_version, 0, &l->server);
	if (o->namespace && !o->config) {
		cli_error("%s: --namespace needs --config", cmd);
		return -1;
	}
	if (o->config && o->manifest_out) {
		cli_error("%s: --manifest-out takes one LOCAL SHADOW pair, not "
			  "--config", cmd);
		return -1;
	}
	if (o->config) {
		if (npaths) {
			cli_error("%s: give --config or LOCAL SHADOW, not both "
				  "(see 'shadowsync %s --help')", cmd, cmd);
			return -1;
		}
		return jobs_from_conf(l, cmd, io, o);
	}
	if (npaths != 2) {
		cli_error("%s: expected LOCAL and SHADOW, got %d path%s (see "
			  "'shadowsync %s --help')", cmd, npaths,
			  npaths == 1 ? "" : "s", cmd);
		return -1;
	}
	if (add_job(l, io, paths[0], paths[1], NULL, NULL) < 0)
		return -1;
	l->jobs[0].manifest_out = o->manifest_out;
	return 0;
}

/* Every pair of a namespace shares asd's fate: its first crash. */
static void crash_namespace(struct job_list *l, const char *ns,
			    const struct cs_result *r)
{
	for (size_t i = 0; i < l->n; i++) {
		struct pair_aero *a = &l->jobs[i].aero;

		if (!l->jobs[i].namespace || strcmp(l->jobs[i].namespace, ns) ||
		    !a->decided)
			continue;
		if (a->verdict.verdict == CS_CRASH && r->device == a->verdict.device)
			continue;
		a->verdict = *r;
		snprintf(a->verdict.reason, sizeof(a->verdict.reason),
			 "asd stops at startup for the whole namespace %s, "
			 "before writing anything", ns);
		l->jobs[i].status = l->jobs[i].status == EXIT_ERROR ? EXIT_ERROR
								      : EXIT_DIFFER;
	}
}

static void check_one_set(struct job_list *l, const char *ns)
{
	struct cs_pair *pairs = calloc(l->n, sizeof(*pairs));
	struct cs_result r;
	size_t n = 0;

	if (!pairs)
		return;
	for (size_t i = 0; i < l->n; i++) {
		struct pair_job *j = &l->jobs[i];

		if (!j->namespace || strcmp(j->namespace, ns))
			continue;
		if (!j->aero.decided)
			goto out;	/* a pair failed: no set verdict */
		/* asd reads the devices in order; the first crash wins. */
		if (j->aero.verdict.verdict == CS_CRASH) {
			r = j->aero.verdict;
			crash_namespace(l, ns, &r);
			goto out;
		}
		pairs[n++] = (struct cs_pair){ .local_path = j->local_path,
					       .shadow_path = j->shadow_path,
					       .local = &j->aero.local,
					       .shadow = &j->aero.shadow };
	}
	if (cs_check_set(pairs, n, ns, &r) >= 0)
		crash_namespace(l, ns, &r);
out:
	free(pairs);
}

static void job_list_check_sets(struct job_list *l)
{
	for (size_t i = 0; i < l->conf.nns; i++)
		check_one_set(l, l->conf.ns[i].name);
}

int job_list_status(const struct job_list *l)
{
	int status = EXIT_MATCH;

	for (size_t i = 0; i < l->n; i++)
		if (l->jobs[i].status > status)
			status = l->jobs[i].status;
	return status;
}

/* Bytes the run will compare: every local's size, without reading. */
static uint64_t job_list_bytes(const struct job_list *l)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < l->n; i++) {
		struct stat st;
		uint64_t bytes = 0;
		int fd = open(l->jobs[i].local_path, O_RDONLY | O_CLOEXEC |
			      O_NONBLOCK);

		if (fd < 0)
			continue;
		if (!fstat(fd, &st) && S_ISREG(st.st_mode))
			bytes = (uint64_t)st.st_size;
		else if (S_ISBLK(st.st_mode) && ioctl(fd, BLKGETSIZE64, &bytes))
			bytes = 0;
		close(fd);
		sum += bytes;
	}
	return sum;
}

int job_list_execute(struct job_list *l, const struct pair_opts *o,
		     void (*fn)(struct pair_job *))
{
	unsigned interrupted = 0;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = o->threads;

	if (!threads)
		threads = (unsigned)(cpus > 0 ? cpus : 1);
	progress_start(cli_run.command, job_list_bytes(l), (unsigned)l->n);
	pair_run_all(l->jobs, l->n, threads, fn);
	progress_end();
	job_list_check_sets(l);
	for (size_t i = 0; i < l->n; i++) {
		/* One signal stops every pair: say so once. */
		if (cli_interrupt_status() && interrupted++)
			continue;
		if (l->jobs[i].status == EXIT_ERROR)
			cli_error("%s", l->jobs[i].rep.error);
	}
	return job_list_status(l);
}

/* Counts, never a silent aggregate: {"pairs":N,"identical":...}. */
static json_t *summary_json(const struct job_list *l)
{
	json_t *verdicts = json_object();
	json_int_t identical = 0, differing = 0, failed = 0;

	for (size_t i = 0; i < l->n; i++) {
		const struct pair_job *j = &l->jobs[i];
		const char *v = j->aero.decided
					? cs_verdict_name(j->aero.verdict.verdict)
					: "none";
		json_t *count = json_object_get(verdicts, v);

		if (j->status == EXIT_ERROR)
			failed++;
		else if (j->cmp.differing_blocks)
			differing++;
		else
			identical++;
		json_object_set_new(verdicts, v, json_integer(
			(count ? json_integer_value(count) : 0) + 1));
	}
	return json_pack("{s:I,s:I,s:I,s:I,s:o,s:s}", "pairs", (json_int_t)l->n,
			 "identical", identical, "differing", differing,
			 "failed", failed, "cold_start_verdicts", verdicts,
			 "server_version", l->server_version);
}

json_t *job_list_json_root(const struct job_list *l, const char *command,
			   const char *result)
{
	return json_pack("{s:s,s:s,s:o}", "command", command, "result", result,
			 "summary", summary_json(l));
}

void job_list_emit_json(const struct job_list *l, json_t *root)
{
	json_t *pairs = json_array();

	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(pairs, report_pair_json(&l->jobs[i].rep));
	json_object_set_new(root, "pairs", pairs);
	report_json_emit(root);
}

/* Do stdout and stderr reach the same place (a terminal)? */
static bool same_output(void)
{
	struct stat a, b;

	return !fstat(STDOUT_FILENO, &a) && !fstat(STDERR_FILENO, &b) &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino &&
	       a.st_rdev == b.st_rdev;
}

size_t job_list_warn(const struct job_list *l, bool to_stdout)
{
	bool both = to_stdout && !same_output();
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++) {
		const struct pair_report *p = &l->jobs[i].rep;
		struct report_alarm al;

		if (l->jobs[i].status == EXIT_ERROR ||
		    !report_pair_alarm(p, &al))
			continue;
		n++;
		cli_alarm(report_alarm_json(p, &al));
		if (n == 1)
			cli_exit_reason("asd's cold start is not safe: %s",
					al.message);
		if (to_stdout)
			printf("WARNING: %s; next: %s\n", al.message, al.next);
		if (!to_stdout || both)
			fprintf(stderr, "WARNING: %s; next: %s\n", al.message,
				al.next);
	}
	fflush(stdout);
	return n;
}

void job_list_pair_heading(const struct job_list *l, size_t i)
{
	const struct pair_job *j = &l->jobs[i];

	if (l->n > 1)
		printf("pair %zu of %zu%s%s: %s\n", i + 1, l->n,
		       j->namespace ? ", namespace " : "",
		       j->namespace ? disp(j->namespace) : "", j->rep.result);
}

void job_list_print_pairs(const struct job_list *l,
			  void (*headline)(const struct pair_job *j,
					   const void *arg),
			  const void *arg)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct pair_job *j = &l->jobs[i];

		job_list_pair_heading(l, i);
		if (j->status == EXIT_ERROR) {
			printf("  error: %s\n", disp(j->rep.error));
			continue;
		}
		if (headline && l->n > 1)
			headline(j, arg);
		report_pair_text(stdout, &j->rep);
		report_cold_start_text(stdout, &j->rep);
		report_records_text(stdout, &j->rep);
	}
}

void job_list_release(struct job_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		pair_release(&l->jobs[i]);
	free(l->jobs);
	aero_conf_release(&l->conf);
	memset(l, 0, sizeof(*l));
}
