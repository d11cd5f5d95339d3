/*
 * ebs_base.c - restore --base: a sample of the base snapshot's blocks,
 * fetched and checked, for restore to compare with TARGET before it
 * writes anything (see source_base_sample() in source.h).
 */
#include "ebs.h"
#include "object.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The sample of the base: one page of its listing from first_offset,
 * max blocks spread over it, each fetched into a bounce buffer and
 * checked. Runs before any part (restore asks first).
 */
int ebs_base_sample(struct source *s, uint64_t first_offset,
			   unsigned max, uint64_t *off, char (*sum)[48])
{
	struct ebs *e = ebs_of(s);
	struct ebs_lister *l = &e->base_list;
	struct ebs_job *jobs = NULL;
	char *buf = NULL;
	unsigned n = 0, pending;
	size_t have;
	int ret = 0;

	if (!e->incremental)
		return -EOPNOTSUPP;
	ebs_lister_init(l, e, EBS_LIST_BLOCKS, e->base, NULL, 0);
	l->max_results = 100;
	l->cov_lo = l->cov_hi = first_offset / e->block;
	ebs_need(l, l->cov_hi);
	while (!ret && !e->fatal_err && !l->pages)
		ret = ebs_step(e, 1000);
	l->want = 0;	/* no more of it; a page on its way is waited for */
	while (!ret && l->busy)
		ret = ebs_step(e, 1000);
	have = l->n - l->head;
	if (!ret && !e->fatal_err && have && max) {
		jobs = calloc(max, sizeof(*jobs));
		buf = malloc((size_t)max * e->block);
		if (!jobs || !buf)
			ret = -ENOMEM;
	}
	for (unsigned i = 0; !ret && jobs && i < max && i < have; i++) {
		const struct ebs_blk *b = &l->v[l->head + i * have /
						(max < have ? max : have)];
		struct ebs_job *ej = &jobs[n++];

		ej->kind = EJ_BLOCK;
		ej->sample = ej->waiting = true;
		ej->snap = e->base;
		ej->index = b->index;
		ej->token = strdup(b->token);
		ej->job.buf = buf + (size_t)i * e->block;
		ej->job.len = e->block;
		ej->job.whole = ej->job.to_end = true;
		if (!ej->token || fetch_queue(e->f, &ej->job))
			ret = -ENOMEM;
	}
	do {
		pending = 0;
		for (unsigned i = 0; i < n; i++)
			pending += jobs[i].waiting;
		if (pending && !ret)
			ret = ebs_step(e, 1000);
	} while (pending && !ret && !e->fatal_err);
	for (unsigned i = 0; !ret && !e->fatal_err && i < n; i++) {
		if (jobs[i].job.res < 0) {
			source_seterror(s, "cannot read '%s' block %" PRIu64 " of "
					"the base %s: %s", e->spec_display,
					jobs[i].index, e->base, jobs[i].job.why);
			ret = jobs[i].job.res;
			break;
		}
		off[i] = jobs[i].index * e->block;
		snprintf(sum[i], sizeof(sum[i]), "%.47s", jobs[i].checksum);
	}
	if (e->fatal_err && !ret) {
		source_seterror(s, "%s", e->fatal);
		ret = e->fatal_err;
	} else if (ret < 0 && !s->error[0]) {
		source_seterror(s, "cannot read '%s': %s", e->spec_display,
				strerror(-ret));
	}
	if (ret < 0 && pending) {	/* the scheduler or the hasher holds them */
		ebs_hash_stop(e);	/* it reads their buffers, wakes e->f */
		fetch_close(e->f);
		e->f = NULL;
	}
	for (unsigned i = 0; jobs && i < n; i++)
		free(jobs[i].token);
	free(jobs);
	free(buf);
	ebs_lister_release(l);
	memset(l, 0, sizeof(*l));
	if (e->f)
		ebs_sync_stats(e);
	return ret < 0 ? ret : (int)n;
}

