/*
 * joblist.h - the pairs a verify or sync run works on: LOCAL SHADOW from
 * the command line, or every pair of aerospike.conf (--config), with the
 * server the cold-start verdict is predicted for; the namespace-wide
 * checks asd makes across a drive set; the run's exit status.
 */
#ifndef SHADOWSYNC_JOBLIST_H
#define SHADOWSYNC_JOBLIST_H

#include "pair.h"
#include "../aerospike/aeroconf.h"

/* The options verify and sync share beyond the I/O ones. */
struct pair_opts {
	const char *config;
	const char *namespace;
	unsigned threads;		/* 0: pairs, up to the CPUs */
	const char *server_version;
	const char *manifest_out;
};

enum {
	OPT_CONFIG = OPT_FIRST_PRIVATE,
	OPT_NAMESPACE,
	OPT_THREADS,
	OPT_SERVER_VERSION,
	OPT_MANIFEST_OUT,
	OPT_PAIR_LAST,			/* commands number theirs from here */
};

#define PAIR_LONG_OPTIONS                                                    \
	{ "config", required_argument, NULL, OPT_CONFIG },                   \
	{ "namespace", required_argument, NULL, OPT_NAMESPACE },             \
	{ "threads", required_argument, NULL, OPT_THREADS },                 \
	{ "server-version", required_argument, NULL, OPT_SERVER_VERSION },   \
	{ "manifest-out", required_argument, NULL, OPT_MANIFEST_OUT }

#define PAIR_OPTIONS_HELP                                                           \
	"  --config FILE       every 'device/file LOCAL SHADOW' pair of aerospike.conf\n" \
	"  --namespace NS      with --config: only the pairs of namespace NS\n"        \
	"  --threads N         pairs worked on at once (default: pairs, up to CPUs)\n" \
	"  --server-version V  predict cold start for Aerospike V (default 8.1;\n"   \
	"                      before 6.4 asd always copies from the shadow)\n"        \
	"  --manifest-out FILE also write SHADOW's manifest from this pass (one\n"   \
	"                      pair of equal sizes; its block size is this run's,\n" \
	"                      so it equals 'hash SHADOW' with the same one)\n"

/* 1: opt was one of ours and valid; 0: not ours; -1: error printed. */
int pair_opts_parse(struct pair_opts *o, int opt, const char *arg);

/*
 * pair_getopt() - the options of a command over pairs (verify, sync):
 * g's (the I/O ones, --force), the pair options into o, flag_opt (the
 * command's own option, without a value) into *flag; the operands left
 * into *paths and *npaths. 0; 1 when the usage was printed (exit 0); -1
 * after printing an error.
 */
int pair_getopt(struct cli_getopt *g, struct pair_opts *o, int flag_opt,
		bool *flag, int argc, char **argv, char ***paths, int *npaths);

struct job_list {
	struct pair_job *jobs;
	size_t n;
	struct aero_conf conf;
	struct as_server server;
	const char *server_version;
};

/*
 * job_list_build() - the jobs for paths (argc 2: LOCAL SHADOW) or for
 * o->config. Prints one error line and returns -1 on bad input.
 */
int job_list_build(struct job_list *l, const char *cmd,
		   const struct io_opts *io, const struct pair_opts *o,
		   char **paths, int npaths);

/* Worst exit status over the jobs (2 error, 1 differences, 0). */
int job_list_status(const struct job_list *l);

/*
 * job_list_execute() - run fn over the jobs on o->threads threads
 * (progress when there is one job), make the namespace checks, print
 * each failed pair's error on stderr. Returns the run's exit status.
 */
int job_list_execute(struct job_list *l, const struct pair_opts *o,
		     void (*fn)(struct pair_job *));

/*
 * The report's common top: command, result, summary (counts of pairs by
 * outcome and by verdict); job_list_emit_json adds "pairs" and hands it
 * to main to print.
 */
json_t *job_list_json_root(const struct job_list *l, const char *command,
			   const char *result);
void job_list_emit_json(const struct job_list *l, json_t *root);

/*
 * job_list_warn() - every alarming pair's WARNING (with the next command
 * to run) into the report's alarms and on stderr, and first on stdout
 * when to_stdout (text reports; once when both are one terminal); the
 * first one becomes the exit reason. Returns how many.
 */
size_t job_list_warn(const struct job_list *l, bool to_stdout);

/* "pair 2 of 4, namespace ns1: differ" headings for runs of many pairs. */
void job_list_pair_heading(const struct job_list *l, size_t i);

/*
 * job_list_print_pairs() - each pair's part of a text report: its heading
 * (runs of many pairs), then its error, or headline(j, arg) (runs of many
 * pairs, when headline is not NULL) and its comparison, cold start and
 * records.
 */
void job_list_print_pairs(const struct job_list *l,
			  void (*headline)(const struct pair_job *j,
					   const void *arg),
			  const void *arg);

void job_list_release(struct job_list *l);

#endif
