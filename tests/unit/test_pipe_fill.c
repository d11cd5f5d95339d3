/*
 * Unit tests: the pipeline with a filler as source 0 (restore's stdin and
 * remote sources), against a fake filler that completes its requests in
 * order, backwards or shuffled, ends like a stream, fails, says it is
 * full, or never answers; writes go to a real file through every engine.
 * Checked throughout: chunks are consumed in offset order with the right
 * bytes, no buffer is handed out again (to the filler or the consumer)
 * while a fill into it is out, at most max_inflight requests are out.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../engine/device.h"
#include "../../engine/pipeline.h"

static const char *const engines[] = { "io_uring", "libaio", "psync" };
#define NENGINES 3
#define MAX_HELD 256

static unsigned char pattern(uint64_t i)
{
	return (unsigned char)(i * 7 + i / 4096 + 3);
}

enum order { IN_ORDER, BACKWARDS, SHUFFLED };

struct fake {
	enum order order;
	uint64_t size;		/* the source's bytes: a stream ends here */
	unsigned max;		/* max_inflight */
	uint64_t fail_at;	/* the request holding it fails (-EIO); ~0 */
	int start_fails;	/* start() returns this (0: never) */
	uint64_t start_fail_at;
	bool busy_every_other;	/* start() says -EBUSY every other time */
	bool hang;		/* never completes (until canceled) */
	bool wait_fails;	/* wait() returns -EPIPE */
	bool honour_cancel;
	unsigned batch;		/* completions per wait (0: all) */
	/* state */
	struct pipe_fill_req *held[MAX_HELD];
	unsigned nheld, most_held, starts, busy_flip, stalls;
	uint64_t last_start;	/* in_order: ascending */
	bool canceled;
	unsigned seed;
};

static void fill_now(struct fake *f, struct pipe_fill_req *r)
{
	uint64_t end = r->offset + r->len;

	if (f->fail_at >= r->offset && f->fail_at < end) {
		r->res = -EIO;
		return;
	}
	if (end > f->size)
		end = f->size > r->offset ? f->size : r->offset;
	for (uint64_t i = r->offset; i < end; i++)
		((unsigned char *)r->buf)[i - r->offset] = pattern(i);
	r->res = (ssize_t)(end - r->offset);
}

/* Do [a, a + n) and [b, b + m) share a byte? */
static bool overlap(const void *a, size_t n, const void *b, size_t m)
{
	const char *x = a, *y = b;

	return x < y + m && y < x + n;
}

static int fake_start(void *ctx, struct pipe_fill_req *r)
{
	struct fake *f = ctx;

	if (f->start_fails && r->offset >= f->start_fail_at)
		return f->start_fails;
	if (f->busy_every_other && f->nheld && (f->busy_flip++ & 1))
		return -EBUSY;
	assert_true(f->nheld < f->max);
	assert_true(f->nheld < MAX_HELD);
	/* A buffer handed out again while a fill into it is out. */
	for (unsigned i = 0; i < f->nheld; i++)
		assert_false(overlap(r->buf, r->len, f->held[i]->buf,
				     f->held[i]->len));
	if (f->order == IN_ORDER) {
		assert_true(!f->starts || r->offset >= f->last_start);
		f->last_start = r->offset;
	}
	f->starts++;
	f->held[f->nheld++] = r;
	if (f->nheld > f->most_held)
		f->most_held = f->nheld;
	return 0;
}

static unsigned pick(struct fake *f)
{
	switch (f->order) {
	case IN_ORDER:
		return 0;
	case BACKWARDS:
		return f->nheld - 1;
	default:
		return (unsigned)rand_r(&f->seed) % f->nheld;
	}
}

static int fake_wait(void *ctx, unsigned wait_ms, struct pipe_fill_req **done,
		     unsigned max)
{
	struct fake *f = ctx;
	unsigned n = 0;

	if (f->wait_fails && f->starts > 3)
		return -EPIPE;
	if (f->hang && !f->canceled) {
		struct timespec ts = { 0, (long)wait_ms * 1000000 };

		nanosleep(&ts, NULL);
		return 0;
	}
	/* Backwards and shuffled once several are out (or held twice). */
	if (f->order != IN_ORDER && !f->canceled && f->nheld < f->max &&
	    f->nheld < 4 && wait_ms > 0 && f->stalls++ < 2)
		return 0;
	f->stalls = 0;
	while (f->nheld && n < max && (!f->batch || n < f->batch)) {
		unsigned k = pick(f);
		struct pipe_fill_req *r = f->held[k];

		if (f->canceled)
			r->res = -ECANCELED;
		else
			fill_now(f, r);
		memmove(&f->held[k], &f->held[k + 1],
			(f->nheld - k - 1) * sizeof(f->held[0]));
		f->nheld--;
		done[n++] = r;
	}
	return (int)n;
}

static void fake_cancel(void *ctx)
{
	struct fake *f = ctx;

	if (f->honour_cancel)
		f->canceled = true;
}

/* What the consumer saw, and the writes it queued. */
struct seen {
	struct fake *f;
	const struct pipe_range *ranges;
	size_t nranges, range;
	uint64_t next, bytes;
	unsigned chunks;
	bool write;
	unsigned starts_before;	/* the filler's starts at the last consume */
	unsigned back_to_back;	/* consumes with no start since the last
				 * while the source was not all asked for */
};

static int consume(void *ctx, struct pipe *p, const struct pipe_chunk *c)
{
	struct seen *s = ctx;

	if (s->chunks && s->f->starts == s->starts_before &&
	    s->f->last_start + 65536 < s->f->size)
		s->back_to_back++;
	s->starts_before = s->f->starts;
	s->chunks++;
	/* In order: continuing, or at the start of a later range. */
	if (c->offset != s->next) {
		while (s->range < s->nranges &&
		       s->ranges[s->range].offset != c->offset)
			s->range++;
		assert_true(s->range < s->nranges);
	}
	assert_true(c->len > 0);
	for (unsigned i = 0; i < s->f->nheld; i++)
		assert_false(overlap(c->buf[0], c->len, s->f->held[i]->buf,
				     s->f->held[i]->len));
	for (size_t i = 0; i < c->len; i++)
		if (c->buf[0][i] != pattern(c->offset + i))
			fail_msg("byte %llu: %u, want %u",
				 (unsigned long long)(c->offset + i),
				 c->buf[0][i], pattern(c->offset + i));
	if (s->write)
		assert_int_equal(pipe_write(p, c, 0, c->offset, c->len), 0);
	s->next = c->offset + c->len;
	s->bytes += c->len;
	return 0;
}

struct run {
	struct fake f;
	struct pipe_filler filler;
	struct seen s;
	struct pipe_config cfg;
	struct pipe_stats st;
	struct pipe_error err;
};

/* A run of ranges from f (set up by the caller) onto dst (or no dst). */
static int run(struct run *r, const char *engine, const struct pipe_range *ranges,
	       size_t nranges, const struct device *dst,
	       const volatile sig_atomic_t *cancel)
{
	r->f.seed = r->f.seed ? r->f.seed : 1;
	r->filler = (struct pipe_filler){
		.ctx = &r->f, .max_inflight = r->f.max,
		.in_order = r->f.order == IN_ORDER,
		.start = fake_start, .wait = fake_wait, .cancel = fake_cancel,
	};
	r->s = (struct seen){ .f = &r->f, .ranges = ranges,
			      .nranges = nranges, .next = ranges[0].offset,
			      .write = dst != NULL };
	r->cfg = (struct pipe_config){
		.engine = engine, .chunk_align = 4096, .io_size = 65536,
		.queue_depth = 16, .memory_bytes = 2u << 20,
		.ranges = ranges, .nranges = nranges,
		.src = { { -1, false } }, .nsrc = 1,
		.filler = &r->filler,
		.dst = { dst ? dst->fd : -1, dst ? dst->direct : false },
		.dst_fd_buffered = dst ? dst->fd_buffered : -1,
		.consume = consume, .ctx = &r->s, .cancel = cancel,
	};
	return pipe_run(&r->cfg, &r->st, &r->err);
}

#define SIZE ((3u << 20) + 12345)

static char dst_path[64];

static int setup(void **state)
{
	int fd;

	(void)state;
	strcpy(dst_path, "/var/tmp/ss-fill.XXXXXX");
	fd = mkstemp(dst_path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(dst_path);
	return 0;
}

static void open_dst(struct device *d)
{
	int fd = open(dst_path, O_WRONLY | O_TRUNC);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, SIZE), 0);
	close(fd);
	assert_int_equal(device_open(d, dst_path, DEVICE_WRITE), 0);
}

static void check_dst(uint64_t upto)
{
	unsigned char *got = malloc(SIZE);
	int fd = open(dst_path, O_RDONLY);

	assert_int_equal(read(fd, got, SIZE), (ssize_t)SIZE);
	close(fd);
	for (uint64_t i = 0; i < SIZE; i++)
		if (got[i] != (i < upto ? pattern(i) : 0))
			fail_msg("dst byte %llu", (unsigned long long)i);
	free(got);
}

/* Every order of completion, every engine: in order, right, written. */
static void any_order_consumed_in_order(void **state)
{
	static const struct pipe_range whole = { 0, SIZE };

	(void)state;
	for (int e = 0; e < NENGINES; e++) {
		for (int o = IN_ORDER; o <= SHUFFLED; o++) {
			struct run r = { .f = { .order = (enum order)o,
						.size = SIZE, .max = 7,
						.fail_at = ~0ull,
						.seed = 42 + (unsigned)e } };
			struct device dst;

			open_dst(&dst);
			assert_int_equal(run(&r, engines[e], &whole, 1, &dst,
					     NULL), 0);
			assert_string_equal(r.st.engine, engines[e]);
			assert_true(r.s.bytes == SIZE);
			assert_true(r.st.bytes_consumed == SIZE);
			assert_true(r.st.bytes_written == SIZE);
			assert_false(r.st.source_ended);
			assert_true(r.f.most_held <= 7);
			assert_true(r.f.most_held >= (o == IN_ORDER ? 1 : 4));
			assert_true(r.st.read_requests == r.f.starts);
			assert_int_equal(r.st.abandoned, 0);
			device_close(&dst);
			check_dst(SIZE);
		}
	}
}

/*
 * Every read back at once (the device outran the consumer): each chunk
 * consumed frees its slot, and the slot is read into again before the
 * next chunk is consumed, so the device is never idle while the
 * consumer works through a backlog of complete chunks.
 */
static void refilled_between_consumes(void **state)
{
	static const struct pipe_range whole = { 0, SIZE };

	(void)state;
	for (int e = 0; e < NENGINES; e++) {
		struct run r = { .f = { .order = IN_ORDER, .size = SIZE,
					.max = 64, .fail_at = ~0ull } };

		assert_int_equal(run(&r, engines[e], &whole, 1, NULL, NULL), 0);
		assert_true(r.s.bytes == SIZE);
		assert_true(r.s.chunks > 8);
		assert_int_equal(r.s.back_to_back, 0);
	}
}

/* Ranges with gaps and unaligned starts, a stream skipping forward. */
static void ranges_with_gaps(void **state)
{
	static const struct pipe_range r3[] = {
		{ 512, 1536 }, { 8192, 100000 }, { 1u << 20, (1u << 20) + 77 },
	};

	(void)state;
	for (int o = IN_ORDER; o <= SHUFFLED; o++) {
		struct run r = { .f = { .order = (enum order)o, .size = SIZE,
					.max = 5, .fail_at = ~0ull } };

		assert_int_equal(run(&r, "auto", r3, 3, NULL, NULL), 0);
		assert_true(r.s.bytes == r3[0].length + r3[1].length +
					 r3[2].length);
	}
}

/* A stream that ends early: at a piece, a chunk, mid-piece, at once. */
static void stream_ends_short(void **state)
{
	static const struct pipe_range whole = { 0, SIZE };
	static const uint64_t ends[] = { 65536 * 3, 1u << 20, 100001, 1, 0,
					 SIZE - 1 };

	(void)state;
	for (int e = 0; e < NENGINES; e++) {
		for (size_t k = 0; k < sizeof(ends) / sizeof(ends[0]); k++) {
			struct run r = { .f = { .order = IN_ORDER,
						.size = ends[k], .max = 9,
						.fail_at = ~0ull } };
			struct device dst;

			open_dst(&dst);
			assert_int_equal(run(&r, engines[e], &whole, 1, &dst,
					     NULL), 0);
			assert_true(r.st.source_ended);
			assert_true(r.st.source_end == ends[k]);
			assert_true(r.s.bytes == ends[k]);
			assert_true(r.st.bytes_consumed == ends[k]);
			assert_true(r.st.bytes_written == ends[k]);
			assert_int_equal(r.st.abandoned, 0);
			device_close(&dst);
			check_dst(ends[k]);
		}
	}
}

/* A failed request fails the run at its offset; nothing after it. */
static void fill_error_names_offset(void **state)
{
	static const struct pipe_range whole = { 0, SIZE };

	(void)state;
	for (int o = IN_ORDER; o <= SHUFFLED; o++) {
		struct run r = { .f = { .order = (enum order)o, .size = SIZE,
					.max = 6, .fail_at = 1000000 } };

		assert_int_equal(run(&r, "auto", &whole, 1, NULL, NULL), -EIO);
		assert_int_equal(r.err.source, 0);
		assert_int_equal(r.err.dir, IO_READ);
		/* The request holding the byte: pieces of 64 KiB from 0. */
		assert_true(r.err.offset == 1000000 / 65536 * 65536);
		assert_true(r.st.bytes_consumed <= r.err.offset);
		assert_int_equal(r.st.abandoned, 0);
	}
	/* start() refusing (not -EBUSY) fails the run too. */
	{
		struct run r = { .f = { .order = SHUFFLED, .size = SIZE,
					.max = 6, .fail_at = ~0ull,
					.start_fails = -ENOTCONN,
					.start_fail_at = 2u << 20 } };

		assert_int_equal(run(&r, "auto", &whole, 1, NULL, NULL),
				 -ENOTCONN);
		assert_true(r.err.offset == 2u << 20);
		assert_true(r.st.bytes_consumed <= 2u << 20);
	}
	/* wait() failing for good: what it held is abandoned. */
	{
		struct run r = { .f = { .order = SHUFFLED, .size = SIZE,
					.max = 6, .fail_at = ~0ull,
					.wait_fails = true } };

		assert_int_equal(run(&r, "auto", &whole, 1, NULL, NULL), -EPIPE);
		assert_int_equal(r.err.source, 0);
		assert_true(r.st.abandoned == r.f.nheld);
		assert_true(r.st.abandoned > 0);
	}
}

/* A filler that says -EBUSY now and then: the run waits, then goes on. */
static void busy_filler_waited_for(void **state)
{
	static const struct pipe_range whole = { 0, SIZE };
	struct run r = { .f = { .order = BACKWARDS, .size = SIZE, .max = 4,
				.fail_at = ~0ull, .busy_every_other = true,
				.batch = 1 } };

	(void)state;
	assert_int_equal(run(&r, "auto", &whole, 1, NULL, NULL), 0);
	assert_true(r.s.bytes == SIZE);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *cancel_later(void *arg)
{
	struct timespec ts = { 0, 200 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	*(volatile sig_atomic_t *)arg = 1;
	return NULL;
}

/*
 * A filler that never answers: a cancel ends the run within a second.
 * One that honours cancel gets everything back; one that does not has
 * its requests abandoned (their memory left mapped) after the grace.
 */
static void cancel_ends_hung_filler(void **state)
{
	static const struct pipe_range whole = { 0, SIZE };

	(void)state;
	for (int honour = 0; honour <= 1; honour++) {
		volatile sig_atomic_t stop = 0;
		struct run r = { .f = { .order = SHUFFLED, .size = SIZE,
					.max = 8, .fail_at = ~0ull,
					.hang = true,
					.honour_cancel = honour } };
		struct device dst;
		pthread_t t;
		double t0;

		open_dst(&dst);
		alarm(10);
		assert_int_equal(pthread_create(&t, NULL, cancel_later,
						(void *)&stop), 0);
		t0 = now_s();
		assert_int_equal(run(&r, "io_uring", &whole, 1, &dst, &stop),
				 -ECANCELED);
		assert_true(now_s() - t0 < 1.0);
		alarm(0);
		pthread_join(t, NULL);
		assert_true(r.st.bytes_consumed == 0);
		assert_int_equal(r.st.abandoned, honour ? 0 : 8);
		device_close(&dst);
	}
}

/* A cancel seen while the filler keeps up: stops, nothing half-done. */
static void cancel_stops_filling(void **state)
{
	static const struct pipe_range whole = { 0, SIZE };
	volatile sig_atomic_t stop = 1;
	struct run r = { .f = { .order = SHUFFLED, .size = SIZE, .max = 8,
				.fail_at = ~0ull, .honour_cancel = true } };

	(void)state;
	assert_int_equal(run(&r, "psync", &whole, 1, NULL, &stop), -ECANCELED);
	assert_true(r.st.bytes_consumed < SIZE);
	assert_int_equal(r.st.abandoned, 0);
}

static void bad_filler_refused(void **state)
{
	static const struct pipe_range whole = { 0, SIZE };
	struct pipe_filler f = { .max_inflight = 0, .start = fake_start,
				 .wait = fake_wait };
	struct pipe_config cfg = {
		.engine = "auto", .chunk_align = 4096, .io_size = 65536,
		.queue_depth = 4, .ranges = &whole, .nranges = 1, .nsrc = 1,
		.src = { { -1, false } }, .filler = &f, .dst = { -1, false },
		.dst_fd_buffered = -1, .consume = consume,
	};
	struct pipe_stats st;
	struct pipe_error err;

	(void)state;
	assert_int_equal(pipe_run(&cfg, &st, &err), -EINVAL);	/* max 0 */
	f.max_inflight = 4;
	cfg.nsrc = 2;
	assert_int_equal(pipe_run(&cfg, &st, &err), -EINVAL);	/* 2 sources */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(any_order_consumed_in_order),
		cmocka_unit_test(refilled_between_consumes),
		cmocka_unit_test(ranges_with_gaps),
		cmocka_unit_test(stream_ends_short),
		cmocka_unit_test(fill_error_names_offset),
		cmocka_unit_test(busy_filler_waited_for),
		cmocka_unit_test(cancel_ends_hung_filler),
		cmocka_unit_test(cancel_stops_filling),
		cmocka_unit_test(bad_filler_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
