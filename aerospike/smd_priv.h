/*
 * smd_priv.h - what smd.c and smdmodule.c share, not for other callers.
 */
#ifndef SHADOWSYNC_SMD_PRIV_H
#define SHADOWSYNC_SMD_PRIV_H

#include "smd.h"

/*
 * smd_problem_add() - record a problem of f (item -1: the whole file;
 * key may be NULL), counting it past SMD_PROBLEMS_MAX. Returns 0 or
 * -ENOMEM.
 */
int smd_problem_add(struct smd_file *f, enum smd_severity sev,
		    const char *code, long item, const char *key,
		    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* The module callbacks' rules (2.3) on f's live items. 0 or -ENOMEM. */
int smd_module_checks(struct smd_file *f);

#endif
