/*
 * smdrestore.h - the safety checks and the run of `smd restore`, once
 * its bundle is read and found valid (cmd_smd_restore.c).
 */
#ifndef SHADOWSYNC_SMDRESTORE_H
#define SHADOWSYNC_SMDRESTORE_H

#include <stdbool.h>
#include <sys/types.h>

#include "smdcli.h"
#include "../aerospike/smddir.h"

struct smd_restore {
	/* Given. */
	const char *bundle_path;
	const struct smd_where *where;
	struct smd_owner owner;
	mode_t mode;
	bool force;
	struct smd_bundle want;		/* read and checked by the caller */
	/* Found and done by smd_restore_run. */
	struct smd_bundle have;		/* smd/ before the run */
	struct smd_dir_extra extra;
	struct smd_step *steps;
	size_t nsteps;
	size_t done;			/* steps carried out */
	char **created;			/* directories made */
	size_t ncreated;
	char *backup;			/* the replaced SMD's bundle, or NULL */
	char **warnings;
	size_t nwarnings;
	int dirfd;			/* smd/, open while dir_open */
	bool dir_open;
	bool had_mark;			/* an earlier restore's SMD_RESTORE_MARK
					 * was there: it did not finish */
	char mark_note[512];		/* its first line */
	bool marked;			/* this run's mark is written */
	bool mark_cleared;		/* the earlier one removed */
};

/*
 * smd_refuse_if_asd_runs() - is asd running on this node: a process
 * named "asd" (/proc/PID/comm), or the conf's pidfile naming a live
 * process? Prints the refusal (or that it cannot tell) and returns -1;
 * 0 when asd is not running.
 */
int smd_refuse_if_asd_runs(const struct smd_where *w);

/*
 * smd_restore_run() - create the directories, lock smd/, plan, refuse
 * a replacement without --force, save what is replaced, carry the plan
 * out step by step (stopping between steps at SIGINT/SIGTERM), and
 * report. Returns the exit status.
 */
int smd_restore_run(struct smd_restore *r);

/* Add a line to the report's warnings. 0 or -ENOMEM. */
int smd_restore_warn(struct smd_restore *r, const char *msg);

void smd_restore_release(struct smd_restore *r);

#endif
