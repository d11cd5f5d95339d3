/*
 * syncjob.h - sync one local/shadow pair: refusals, the pass that writes
 * only what differs, the header commit record, the read-back.
 */
#ifndef SHADOWSYNC_SYNCJOB_H
#define SHADOWSYNC_SYNCJOB_H

#include "joblist.h"

/*
 * syncjob_open() - open the pair, make every refusal check (dry runs
 * too) and, unless dry_run, reopen local for writing: exclusively, the
 * object that was checked, flock'd when it is a file.
 * Returns 0 or -errno with j->rep.error.
 */
int syncjob_open(struct pair_job *j, bool dry_run, bool force);

/*
 * syncjob_run() - read the headers, refuse what they forbid, write what
 * differs (header region last), read it back. Returns 0 or -errno with
 * j->rep.error; j->cmp holds what was compared and written.
 */
int syncjob_run(struct pair_job *j, bool dry_run, bool force);

/* The cold-start verdict after the run (local's header now the shadow's). */
void syncjob_decide(struct pair_job *j);

#endif
