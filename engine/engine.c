/*
 * engine.c - picks a backend and forwards to its ops table.
 */
#include "engine.h"

#include <errno.h>
#include <string.h>
#include <time.h>

const struct engine_ops *engine_test_ops;

const char *const engine_names[] = { "auto", "io_uring", "libaio", "psync",
				     NULL };

bool engine_name_valid(const char *name)
{
	for (unsigned i = 0; engine_names[i]; i++)
		if (!strcmp(name, engine_names[i]))
			return true;
	return false;
}

/* Is the table complete enough to run? One place checks it. */
static bool ops_complete(const struct engine_ops *ops)
{
	return ops && ops->name && ops->init && ops->queue && ops->commit &&
	       ops->reap && ops->cleanup;
}

static int try_open(struct engine *e, const struct engine_ops *ops,
		    const struct engine_setup *s)
{
	int ret;

	if (!ops_complete(ops))
		return -ENOSYS;
	memset(e, 0, sizeof(*e));
	e->ops = ops;
	e->fds = s->fds;
	e->nfds = s->nfds;
	e->depth = s->depth;
	ret = ops->init(e, s);
	if (ret < 0)
		memset(e, 0, sizeof(*e));
	return ret;
}

int engine_open(struct engine *e, const char *name,
		const struct engine_setup *s)
{
	const struct engine_ops *direct_order[] = { ENGINE_URING, ENGINE_AIO,
						    ENGINE_PSYNC };
	const struct engine_ops *buffered_order[] = { ENGINE_PSYNC,
						      ENGINE_URING,
						      ENGINE_AIO };
	const struct engine_ops **order;
	int ret = -ENOSYS;

	if (!strcmp(name, "io_uring"))
		return try_open(e, ENGINE_URING, s);
	if (!strcmp(name, "libaio"))
		return try_open(e, ENGINE_AIO, s);
	if (!strcmp(name, "psync"))
		return try_open(e, ENGINE_PSYNC, s);
	if (!strcmp(name, "test"))
		return engine_test_ops ? try_open(e, engine_test_ops, s)
				       : -ENOENT;
	if (strcmp(name, "auto"))
		return -ENOENT;

	order = s->buffered ? buffered_order : direct_order;
	for (unsigned i = 0; i < 3; i++) {
		if (!order[i])
			continue;
		ret = try_open(e, order[i], s);
		if (!ret)
			return 0;
	}
	return ret;
}

void engine_close(struct engine *e)
{
	if (e->ops)
		e->ops->cleanup(e);
	memset(e, 0, sizeof(*e));
}

enum engine_q engine_queue(struct engine *e, struct io_req *r)
{
	enum engine_q q;

	if (e->inflight >= e->depth)
		return ENGINE_Q_BUSY;
	q = e->ops->queue(e, r);
	if (q == ENGINE_Q_QUEUED)
		e->inflight++;
	return q;
}

/* The kernel is momentarily out of room or a signal came: try again. */
static bool transient(int err)
{
	return err == -EINTR || err == -EAGAIN || err == -EBUSY;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/*
 * A transient failure: fine now and then, fatal when nothing else has
 * happened for ENGINE_STUCK_MS (a kernel that never has room again).
 */
static int note_transient(struct engine *e, int err)
{
	uint64_t now = now_ms();

	if (!e->stuck_since_ms)
		e->stuck_since_ms = now;
	return now - e->stuck_since_ms >= ENGINE_STUCK_MS ? err : 0;
}

int engine_commit(struct engine *e)
{
	int ret = e->ops->commit(e);

	if (ret < 0 && transient(ret))
		return note_transient(e, ret);
	return ret;
}

int engine_reap(struct engine *e, unsigned min, struct io_req **done,
		unsigned max, unsigned wait_ms)
{
	uint64_t deadline = now_ms() + wait_ms;
	unsigned backoff = 1;

	if (min > e->inflight)
		min = e->inflight;
	if (!e->inflight)
		return 0;
	for (;;) {
		int n = e->ops->reap(e, min, done, max, wait_ms);
		uint64_t now;

		if (n >= 0) {
			e->inflight -= (unsigned)n;
			if (n)
				e->stuck_since_ms = 0;
			return n;
		}
		if (!transient(n) || note_transient(e, n) < 0)
			return n;
		now = now_ms();
		if (now >= deadline)
			return 0;
		sleep_ms(deadline - now < backoff ? (unsigned)(deadline - now)
						  : backoff);
		if (backoff < 16)
			backoff *= 2;
		now = now_ms();
		wait_ms = now >= deadline ? 0 : (unsigned)(deadline - now);
	}
}

int engine_cancel(struct engine *e)
{
	if (!e->inflight || !e->ops->cancel)
		return 0;
	return e->ops->cancel(e);
}
