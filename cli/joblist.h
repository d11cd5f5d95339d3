/*
 * joblist.h - the pairs a verify or sync run works on: LOCAL SHADOW from
 * the command line, or every pair of aerospike.conf (--config), with the
 * server the cold-start verdict is predicted for; the namespace-wide
 * checks asd makes across a drive set; the run's exit status.
 */
#ifndef SHADOWSYNC_JOBLIST_H
#define SHADOWSYNC_JOBLIST_H

#include "pair.h"
#include "../verify/aeroconf.h"

/* The options verify and sync share beyond the I/O ones. */
struct pair_opts {
	const char *config;
	const char *namespace;
	unsigned threads;		/* 0: pairs, up to the CPUs */
	const char *server_version;
};

enum {
	OPT_CONFIG = OPT_FIRST_PRIVATE,
	OPT_NAMESPACE,
	OPT_THREADS,
	OPT_SERVER_VERSION,
	OPT_PAIR_LAST,			/* commands number theirs from here */
};

#define PAIR_LONG_OPTIONS                                                    \
	{ "config", required_argument, NULL, OPT_CONFIG },                   \
	{ "namespace", required_argument, NULL, OPT_NAMESPACE },             \
	{ "threads", required_argument, NULL, OPT_THREADS },                 \
	{ "server-version", required_argument, NULL, OPT_SERVER_VERSION }

#define PAIR_OPTIONS_HELP                                                           \
	"  --config FILE       every 'device/file LOCAL SHADOW' pair of aerospike.conf\n" \
	"  --namespace NS      with --config: only the pairs of namespace NS\n"        \
	"  --threads N         pairs worked on at once (default: pairs, up to CPUs)\n" \
	"  --server-version V  predict cold start for Aerospike V (default 8.1;\n"   \
	"                      before 6.4 asd always copies from the shadow)\n"

/* 1: opt was one of ours and valid; 0: not ours; -1: error printed. */
int pair_opts_parse(struct pair_opts *o, int opt, const char *arg);

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

/* asd's drive-set checks, per namespace, after every pair was read. */
void job_list_check_sets(struct job_list *l);

/* Worst exit status over the jobs (2 error, 1 differences, 0). */
int job_list_status(const struct job_list *l);

/* The most severe verdict of the run, for the top-level cold_start. */
json_t *job_list_cold_start_json(const struct job_list *l);

/* Run fn over the jobs on o->threads threads (progress when one job). */
void job_list_run(struct job_list *l, const struct pair_opts *o,
		  void (*fn)(struct pair_job *));

void job_list_release(struct job_list *l);

#endif
