/*
 * pair.h - one local/shadow pair as verify and sync handle it: opening
 * both, the size rule, compare options from the command line.
 */
#ifndef SHADOWSYNC_PAIR_H
#define SHADOWSYNC_PAIR_H

#include "cli.h"
#include "report.h"
#include "../engine/device.h"
#include "../verify/compare.h"

struct pair_job {
	struct io_opts io;
	const char *local_path;
	const char *shadow_path;
	struct device local;
	struct device shadow;
	struct compare_result cmp;
	struct pair_report rep;
};

/* Zero j, with closed devices, for the given paths and options. */
void pair_init(struct pair_job *j, const struct io_opts *io,
	       const char *local_path, const char *shadow_path);

/*
 * pair_open() - open shadow read-only and local with local_flags
 * (DEVICE_WRITE, DEVICE_EXCL), and refuse a shadow smaller than local.
 * Returns 0, or -errno with the reason in j->rep.error.
 */
int pair_open(struct pair_job *j, unsigned local_flags);

/* Compare options from the command line; progress is labelled what. */
struct compare_opts pair_compare_opts(struct pair_job *j, const char *what);

/* Word a failed pipeline run into j->rep.error. */
void pair_pipe_error(struct pair_job *j);

void pair_release(struct pair_job *j);

#endif
