/*
 * engine_aio.c - Linux native AIO backend (libaio).
 *
 * Asynchronous only with O_DIRECT; on a buffered file io_submit does the
 * copy itself before it returns, which is correct, just not overlapped.
 * queue() prepares iocbs; commit() submits them in one io_submit. When
 * the kernel has no room (EAGAIN) the rest stay pending and go out with
 * the next commit or reap.
 */
#include "engine.h"

#include <errno.h>
#include <libaio.h>
#include <stdlib.h>

enum cb_state { CB_FREE, CB_PENDING, CB_IN_KERNEL };

struct aio_priv {
	io_context_t ctx;
	struct iocb *iocbs;		/* depth of them */
	unsigned char *state;		/* enum cb_state of each iocb */
	struct iocb **free;		/* stack of unused iocbs */
	unsigned nfree;
	struct iocb **pending;		/* queued, not yet submitted */
	unsigned npending;
	struct iocb **dropped;		/* canceled before submission */
	unsigned ndropped;
	unsigned submitted;		/* in the kernel, not yet reaped */
	struct io_event *events;
};

static void aio_free_priv(struct aio_priv *a)
{
	free(a->iocbs);
	free(a->state);
	free(a->free);
	free(a->pending);
	free(a->dropped);
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
	a->state = calloc(s->depth, sizeof(*a->state));
	a->free = calloc(s->depth, sizeof(*a->free));
	a->pending = calloc(s->depth, sizeof(*a->pending));
	a->dropped = calloc(s->depth, sizeof(*a->dropped));
	a->events = calloc(s->depth, sizeof(*a->events));
	if (!a->iocbs || !a->state || !a->free || !a->pending || !a->dropped ||
	    !a->events) {
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

static void set_state(struct aio_priv *a, struct iocb *cb, enum cb_state s)
{
	a->state[cb - a->iocbs] = (unsigned char)s;
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
	set_state(a, cb, CB_PENDING);
	a->pending[a->npending++] = cb;
	return ENGINE_Q_QUEUED;
}

static int aio_commit(struct engine *e)
{
	struct aio_priv *a = e->priv;
	unsigned done = 0, tries = 0;
	int ret = 0;

	while (done < a->npending) {
		ret = io_submit(a->ctx, (long)(a->npending - done),
				a->pending + done);
		if (ret == -EINTR && ++tries < 8)
			continue;
		if (ret < 0)
			break;	/* EAGAIN: the rest goes with the next commit */
		done += (unsigned)ret;
	}
	for (unsigned i = 0; i < done; i++)
		set_state(a, a->pending[i], CB_IN_KERNEL);
	a->submitted += done;
	for (unsigned i = done; i < a->npending; i++)
		a->pending[i - done] = a->pending[i];
	a->npending -= done;
	return ret < 0 ? ret : 0;
}

/* Requests canceled before the kernel saw them complete here. */
static unsigned take_dropped(struct aio_priv *a, struct io_req **done,
			     unsigned max)
{
	unsigned n = 0;

	while (n < max && a->ndropped) {
		struct iocb *cb = a->dropped[--a->ndropped];
		struct io_req *r = cb->data;

		r->res = -ECANCELED;
		done[n++] = r;
		set_state(a, cb, CB_FREE);
		a->free[a->nfree++] = cb;
	}
	return n;
}

static int aio_reap(struct engine *e, unsigned min, struct io_req **done,
		    unsigned max, unsigned wait_ms)
{
	struct aio_priv *a = e->priv;
	struct timespec ts = { wait_ms / 1000, (long)(wait_ms % 1000) * 1000000 };
	unsigned n, want;
	int got, ret;

	if (max > e->depth)
		max = e->depth;
	n = take_dropped(a, done, max);
	ret = a->npending ? aio_commit(e) : 0;
	if (!a->submitted || n == max)
		/* EAGAIN with nothing in the kernel: try again later */
		return n ? (int)n : ret;
	want = min > n ? min - n : 0;
	if (want > a->submitted)
		want = a->submitted;
	if (!wait_ms)
		want = 0;
	ts = want ? ts : (struct timespec){ 0, 0 };
	got = io_getevents(a->ctx, (long)want, (long)(max - n), a->events, &ts);
	if (got < 0)
		return n ? (int)n : got;	/* EINTR: transient */
	for (int i = 0; i < got; i++) {
		struct iocb *cb = a->events[i].obj;
		struct io_req *r = cb->data;

		r->res = (long)a->events[i].res; /* negative: -errno */
		done[n++] = r;
		set_state(a, cb, CB_FREE);
		a->free[a->nfree++] = cb;
		a->submitted--;
	}
	return (int)n;
}

/*
 * Requests not yet submitted are dropped (reaped as -ECANCELED). Those in
 * the kernel get an io_cancel, which regular files and block devices
 * refuse: they complete when their device answers.
 */
static int aio_cancel(struct engine *e)
{
	struct aio_priv *a = e->priv;
	struct io_event ev;

	for (unsigned i = 0; i < a->npending; i++)
		a->dropped[a->ndropped++] = a->pending[i];
	a->npending = 0;
	for (unsigned i = 0; i < e->depth; i++)
		if (a->state[i] == CB_IN_KERNEL)
			io_cancel(a->ctx, &a->iocbs[i], &ev);
	return 0;
}

static void aio_cleanup(struct engine *e)
{
	struct aio_priv *a = e->priv;

	if (!a)
		return;
	/*
	 * io_destroy waits, uninterruptibly, for every request in the
	 * kernel. With some abandoned there (a hung device), leave the
	 * context alone: the kernel still owns it and frees it at exit. The
	 * iocbs themselves were copied at submission and may go.
	 */
	if (!a->submitted)
		io_destroy(a->ctx);
	aio_free_priv(a);
	e->priv = NULL;
}

const struct engine_ops engine_aio_ops = {
	.name = "libaio",
	.flags = ENGINE_F_ASYNC | ENGINE_F_CANCEL,
	.init = aio_init,
	.queue = aio_queue,
	.commit = aio_commit,
	.reap = aio_reap,
	.cancel = aio_cancel,
	.cleanup = aio_cleanup,
};
