/*
 * engine_aio.c - Linux native AIO backend (libaio).
 *
 * Asynchronous only with O_DIRECT; on a buffered file io_submit does the
 * copy itself before it returns, which is correct, just not overlapped.
 * queue() prepares iocbs; commit() submits them in one io_submit.
 */
#include "engine.h"

#include <errno.h>
#include <libaio.h>
#include <stdlib.h>

struct aio_priv {
	io_context_t ctx;
	struct iocb *iocbs;		/* depth of them */
	struct iocb **free;		/* stack of unused iocbs */
	unsigned nfree;
	struct iocb **pending;		/* queued, not yet submitted */
	unsigned npending;
	unsigned submitted;		/* in the kernel, not yet reaped */
	struct io_event *events;
};

static void aio_free_priv(struct aio_priv *a)
{
	free(a->iocbs);
	free(a->free);
	free(a->pending);
	free(a->events);
	free(a);
}

static int aio_init(struct engine *e, const struct engine_setup *s)
{
	struct aio_priv *a = calloc(1, sizeof(*a));
	int ret;

	if (!a)
		return -ENOMEM;
	a->iocbs = calloc(s->depth, sizeof(*a->iocbs));
	a->free = calloc(s->depth, sizeof(*a->free));
	a->pending = calloc(s->depth, sizeof(*a->pending));
	a->events = calloc(s->depth, sizeof(*a->events));
	if (!a->iocbs || !a->free || !a->pending || !a->events) {
		aio_free_priv(a);
		return -ENOMEM;
	}
	ret = io_setup((int)s->depth, &a->ctx);	/* libaio returns -errno */
	if (ret < 0) {
		aio_free_priv(a);
		return ret;
	}
	for (unsigned i = 0; i < s->depth; i++)
		a->free[a->nfree++] = &a->iocbs[i];
	e->priv = a;
	return 0;
}

static enum engine_q aio_queue(struct engine *e, struct io_req *r)
{
	struct aio_priv *a = e->priv;
	int fd = e->fds[r->file];
	struct iocb *cb;

	if (!a->nfree)
		return ENGINE_Q_BUSY;
	cb = a->free[--a->nfree];
	if (r->dir == IO_READ)
		io_prep_pread(cb, fd, r->buf, r->len, (long long)r->offset);
	else
		io_prep_pwrite(cb, fd, r->buf, r->len, (long long)r->offset);
	cb->data = r;
	a->pending[a->npending++] = cb;
	return ENGINE_Q_QUEUED;
}

static int aio_commit(struct engine *e)
{
	struct aio_priv *a = e->priv;
	unsigned done = 0;

	while (done < a->npending) {
		int ret = io_submit(a->ctx, (long)(a->npending - done),
				    a->pending + done);

		if (ret == -EINTR)
			continue;
		if (ret == -EAGAIN)
			break;	/* kernel full: the rest goes with the next commit */
		if (ret < 0)
			return ret;
		done += (unsigned)ret;
	}
	a->submitted += done;
	for (unsigned i = done; i < a->npending; i++)
		a->pending[i - done] = a->pending[i];
	a->npending -= done;
	return 0;
}

static int aio_reap(struct engine *e, unsigned min, struct io_req **done,
		    unsigned max)
{
	struct aio_priv *a = e->priv;
	struct timespec zero = { 0, 0 };
	int n;

	if (max > e->depth)
		max = e->depth;
	if (a->npending) {
		n = aio_commit(e);
		if (n < 0)
			return n;
	}
	if (min > a->submitted)
		min = a->submitted;
	if (!a->submitted)
		return a->npending ? -EAGAIN : 0;
	do {
		n = io_getevents(a->ctx, (long)min, (long)max, a->events,
				 min ? NULL : &zero);
	} while (n == -EINTR);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		struct iocb *cb = a->events[i].obj;
		struct io_req *r = cb->data;
		long res = (long)a->events[i].res;

		r->res = res;	/* negative res is -errno, as io_uring's */
		done[i] = r;
		a->free[a->nfree++] = cb;
		a->submitted--;
	}
	return n;
}

static void aio_cleanup(struct engine *e)
{
	struct aio_priv *a = e->priv;

	if (!a)
		return;
	io_destroy(a->ctx);
	aio_free_priv(a);
	e->priv = NULL;
}

const struct engine_ops engine_aio_ops = {
	.name = "libaio",
	.flags = ENGINE_F_ASYNC,
	.init = aio_init,
	.queue = aio_queue,
	.commit = aio_commit,
	.reap = aio_reap,
	.cleanup = aio_cleanup,
};
