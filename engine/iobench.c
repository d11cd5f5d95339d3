/*
 * iobench.c - one cell of `shadowsync bench` (iobench.h).
 */
#include "iobench.h"
#include "engine.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

/* Latency samples kept (reservoir sampling past this): 4 MiB of floats. */
#define MAX_SAMPLES (1u << 20)

struct bench_req {
	struct io_req req;
	double t_submit;
};

struct bench {
	const struct iobench_cell *c;
	struct engine eng;
	struct bench_req *reqs;
	uint64_t size, next;	/* next request's offset */
	float *lat;		/* microseconds */
	uint64_t nlat;		/* latencies seen */
	uint64_t rng;
	double t_end, t_last;
	unsigned inflight;
	struct bench_req **ready;	/* completed, to go out again */
	unsigned nready;
	int err;
	struct iobench_result *r;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void sample(struct bench *b, double us)
{
	uint64_t i = b->nlat++;

	if (i < MAX_SAMPLES) {
		b->lat[i] = (float)us;
	} else {
		uint64_t j = rng_next(&b->rng) % b->nlat;

		if (j < MAX_SAMPLES)
			b->lat[j] = (float)us;
	}
	if (us > b->r->lat_max_us)
		b->r->lat_max_us = us;
}

/* A request came back: count it; true when it may go out again. */
static bool complete(struct bench *b, struct bench_req *q)
{
	double t = now_s();

	b->inflight--;
	if (q->req.res != (ssize_t)q->req.len) {
		if (!b->err) {
			b->err = q->req.res < 0 ? (int)q->req.res : -EIO;
			b->r->err_offset = (int64_t)q->req.offset;
		}
		return false;
	}
	b->r->bytes += q->req.len;
	b->r->ios++;
	b->t_last = t;
	sample(b, (t - q->t_submit) * 1e6);
	return !b->err && t < b->t_end;
}

/* Completed requests waiting to go out again (psync completes inside
 * engine_queue: no recursion, a stack of them instead). */
static void push_ready(struct bench *b, struct bench_req *q)
{
	b->ready[b->nready++] = q;
}

static int reap(struct bench *b)
{
	struct io_req *done[64];
	int n = engine_reap(&b->eng, 1, done, 64, 100);

	if (n < 0) {
		if (!b->err)
			b->err = n;
		return n;
	}
	for (int i = 0; i < n; i++) {
		struct bench_req *q = done[i]->owner;

		if (complete(b, q))
			push_ready(b, q);
	}
	return n;
}

/* Send q out at the next offset; false when the engine broke. */
static bool submit(struct bench *b, struct bench_req *q)
{
	q->req.offset = b->next;
	b->next += b->c->io_size;
	if (b->next + b->c->io_size > b->size)
		b->next = 0;
	for (;;) {
		enum engine_q s;

		q->t_submit = now_s();
		s = engine_queue(&b->eng, &q->req);
		if (s == ENGINE_Q_QUEUED) {
			b->inflight++;
			return true;
		}
		if (s == ENGINE_Q_COMPLETED) {
			b->inflight++;
			if (complete(b, q))
				push_ready(b, q);
			return true;
		}
		if (reap(b) < 0)	/* full: make room */
			return false;
	}
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

static void percentiles(struct bench *b)
{
	size_t n = b->nlat < MAX_SAMPLES ? (size_t)b->nlat : MAX_SAMPLES;

	if (!n)
		return;
	qsort(b->lat, n, sizeof(*b->lat), cmp_float);
	b->r->lat_p50_us = b->lat[(n - 1) / 2];
	b->r->lat_p99_us = b->lat[(size_t)((double)(n - 1) * 0.99)];
}

int iobench_run(int fd, uint64_t size, const struct iobench_cell *c,
		struct iobench_result *r)
{
	struct bench b = { .c = c, .size = size, .r = r, .rng = 0x9e3779b97f4a7c15ull };
	size_t arena_bytes = (size_t)c->depth * c->io_size;
	struct engine_setup es = { .depth = c->depth, .fds = &fd, .nfds = 1,
				   .nbufs = c->depth, .buffered = c->buffered };
	struct iovec *iov = NULL;
	unsigned char *arena;
	double t0, cpu0;
	int ret;

	memset(r, 0, sizeof(*r));
	r->err_offset = -1;
	if (!c->depth || !c->io_size || c->io_size % 4096 || size < c->io_size)
		return -EINVAL;
	arena = mmap(NULL, arena_bytes, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED)
		return -ENOMEM;
	b.reqs = calloc(c->depth, sizeof(*b.reqs));
	b.ready = calloc(c->depth, sizeof(*b.ready));
	b.lat = malloc(MAX_SAMPLES * sizeof(*b.lat));
	iov = calloc(c->depth, sizeof(*iov));
	if (!b.reqs || !b.ready || !b.lat || !iov) {
		ret = -ENOMEM;
		goto out;
	}
	/* Data that no layer below can compress or take for zeros. */
	for (size_t i = 0; i < arena_bytes / 8; i++)
		((uint64_t *)(void *)arena)[i] = rng_next(&b.rng);
	for (unsigned i = 0; i < c->depth; i++) {
		iov[i].iov_base = arena + (size_t)i * c->io_size;
		iov[i].iov_len = c->io_size;
		b.reqs[i].req = (struct io_req){
			.dir = c->write ? IO_WRITE : IO_READ, .file = 0,
			.buf = iov[i].iov_base, .buf_index = (int)i,
			.len = c->io_size, .owner = &b.reqs[i] };
	}
	es.bufs = iov;
	ret = engine_open(&b.eng, c->engine, &es);
	if (ret < 0)
		goto out;
	if (!b.eng.bufs_registered)
		for (unsigned i = 0; i < c->depth; i++)
			b.reqs[i].req.buf_index = -1;

	cpu0 = cpu_s();
	t0 = b.t_last = now_s();
	b.t_end = t0 + c->seconds;
	for (unsigned i = 0; i < c->depth; i++)
		push_ready(&b, &b.reqs[i]);
	while (b.nready || b.inflight) {
		while (b.nready && !b.err && now_s() < b.t_end)
			if (!submit(&b, b.ready[--b.nready]))
				goto broken;
		if (b.err || now_s() >= b.t_end)
			b.nready = 0;
		if (b.inflight && reap(&b) < 0)
			break;
	}
broken:
	r->elapsed_s = b.t_last - t0;
	r->cpu_s = cpu_s() - cpu0;
	percentiles(&b);
	ret = b.err;
	if (b.eng.inflight) {	/* abandoned in the kernel: keep the arena */
		arena = NULL;
	}
	engine_close(&b.eng);
out:
	if (arena)
		munmap(arena, arena_bytes);
	free(iov);
	free(b.lat);
	free(b.reqs);
	free(b.ready);
	return ret;
}
