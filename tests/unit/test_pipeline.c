/*
 * Unit tests: the engine contract and the streaming pipeline, on real
 * files in /var/tmp (a disk file system, so O_DIRECT is real), for every
 * backend built in: chunks arrive in order and complete, ranges with
 * unaligned starts and short ends, two sources at once, writes through
 * both the direct and the buffered descriptor, errors and cancellation,
 * a read that never completes, the --memory cap.
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

struct fixture {
	char dir[64];
	char a_path[96], b_path[96], dst_path[96];
	unsigned char *a, *b;	/* the files' contents */
	size_t size;
};

static void write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/var/tmp/ss-unit.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	/* Not a multiple of 4096 nor of 512: the short tail is the point. */
	f->size = (5u << 20) + 1234;
	f->a = malloc(f->size);
	f->b = malloc(f->size);
	for (size_t i = 0; i < f->size; i++) {
		f->a[i] = (unsigned char)(i * 7 + i / 4096);
		f->b[i] = (unsigned char)(i * 13 + 1);
	}
	snprintf(f->a_path, sizeof(f->a_path), "%s/a", f->dir);
	snprintf(f->b_path, sizeof(f->b_path), "%s/b", f->dir);
	snprintf(f->dst_path, sizeof(f->dst_path), "%s/dst", f->dir);
	write_file(f->a_path, f->a, f->size);
	write_file(f->b_path, f->b, f->size);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->a_path);
	unlink(f->b_path);
	unlink(f->dst_path);
	rmdir(f->dir);
	free(f->a);
	free(f->b);
	free(f);
	return 0;
}

/* What the consumer saw: every byte of every chunk, in order. */
struct seen {
	const struct fixture *f;
	unsigned nsrc;
	uint64_t next;		/* expected offset of the next chunk */
	uint64_t bytes;
	unsigned chunks;
	int fail_at_chunk;	/* return -EPROTO at this chunk (0: never) */
	size_t write_every;	/* write every n-th block of b (0: none) */
	size_t block;
	const struct pipe_range *ranges;
	size_t range, nranges;
};

static int consume(void *ctx, struct pipe *p, const struct pipe_chunk *c)
{
	struct seen *s = ctx;

	s->chunks++;
	if (s->fail_at_chunk && (int)s->chunks == s->fail_at_chunk)
		return -EPROTO;
	/* In order: either continuing, or at the start of the next range. */
	if (c->offset != s->next) {
		while (s->range < s->nranges &&
		       s->ranges[s->range].offset != c->offset)
			s->range++;
		assert_true(s->range < s->nranges);
	}
	assert_memory_equal(c->buf[0], s->f->a + c->offset, c->len);
	if (s->nsrc > 1)
		assert_memory_equal(c->buf[1], s->f->b + c->offset, c->len);
	if (s->write_every) {
		for (size_t at = 0; at < c->len; at += s->block) {
			uint64_t off = c->offset + at;
			size_t n = c->len - at < s->block ? c->len - at
							  : s->block;

			if ((off / s->block) % s->write_every == 0)
				assert_int_equal(pipe_write(p, c, 1, off, n), 0);
		}
	}
	s->next = c->offset + c->len;
	s->bytes += c->len;
	return 0;
}

static void open_dev(struct device *d, const char *path, unsigned flags)
{
	assert_int_equal(device_open(d, path, flags), 0);
	assert_true(d->direct);	/* /var/tmp is a disk file system */
}

static void whole_file_two_sources(void **state)
{
	struct fixture *f = *state;
	struct device a, b;

	open_dev(&a, f->a_path, 0);
	open_dev(&b, f->b_path, 0);
	for (int e = 0; e < NENGINES; e++) {
		struct pipe_range whole = { 0, f->size };
		struct seen s = { .f = f, .nsrc = 2 };
		struct pipe_config cfg = {
			.engine = engines[e], .chunk_align = 65536,
			.io_size = 262144, .queue_depth = 8,
			.ranges = &whole, .nranges = 1,
			.src = { { a.fd, a.direct }, { b.fd, b.direct } },
			.nsrc = 2, .dst = { -1, false }, .dst_fd_buffered = -1,
			.consume = consume, .ctx = &s,
		};
		struct pipe_stats st;
		struct pipe_error err;

		assert_int_equal(pipe_run(&cfg, &st, &err), 0);
		assert_string_equal(st.engine, engines[e]);
		assert_true(s.bytes == f->size);
		assert_true(st.bytes_consumed == f->size);
		assert_true(st.chunk_bytes == 262144);
		if (e == 0)
			assert_true(st.bufs_registered);
	}
	device_close(&a);
	device_close(&b);
}

static void ranges_unaligned(void **state)
{
	struct fixture *f = *state;
	/* Starts on 512-byte but not 4 KiB boundaries; a short last range. */
	static const struct pipe_range r[] = {
		{ 1536, 5000 }, { 1048576 + 512, 3 * 1536 },
		{ 3145728, 1048576 * 2 + 1234 },
	};
	struct device a;

	open_dev(&a, f->a_path, 0);
	for (int e = 0; e < NENGINES; e++) {
		struct seen s = { .f = f, .nsrc = 1, .next = r[0].offset,
				  .ranges = r, .nranges = 3 };
		struct pipe_config cfg = {
			.engine = engines[e], .chunk_align = 1536,
			.io_size = 65536, .queue_depth = 4, .ranges = r,
			.nranges = 3, .src = { { a.fd, a.direct } }, .nsrc = 1,
			.dst = { -1, false }, .dst_fd_buffered = -1,
			.consume = consume, .ctx = &s,
		};
		struct pipe_stats st;
		struct pipe_error err;

		assert_int_equal(pipe_run(&cfg, &st, &err), 0);
		assert_true(s.bytes == r[0].length + r[1].length + r[2].length);
		/* Chunks are multiples of lcm(1536, 4096) = 12288. */
		assert_true(st.chunk_bytes % 12288 == 0);
	}
	device_close(&a);
}

/* Write every 3rd block of b over a zeroed copy; check the result. */
static void writes_land(void **state)
{
	struct fixture *f = *state;
	size_t blocks[] = { 65536, 1536 };	/* aligned, and not (buffered) */

	for (int e = 0; e < NENGINES; e++) {
		for (int k = 0; k < 2; k++) {
			unsigned char *zero = calloc(1, f->size), *got;
			struct device a, b, dst;
			struct pipe_range whole = { 0, f->size };
			struct seen s = { .f = f, .nsrc = 2, .write_every = 3,
					  .block = blocks[k] };
			struct pipe_config cfg = {
				.engine = engines[e], .chunk_align = blocks[k],
				.io_size = 131072, .queue_depth = 4,
				.ranges = &whole, .nranges = 1, .nsrc = 2,
				.consume = consume, .ctx = &s,
			};
			struct pipe_stats st;
			struct pipe_error err;
			uint64_t want_written = 0;
			int fd;

			write_file(f->dst_path, zero, f->size);
			open_dev(&a, f->a_path, 0);
			open_dev(&b, f->b_path, 0);
			open_dev(&dst, f->dst_path, DEVICE_WRITE);
			cfg.src[0] = (struct pipe_file){ a.fd, a.direct };
			cfg.src[1] = (struct pipe_file){ b.fd, b.direct };
			cfg.dst = (struct pipe_file){ dst.fd, dst.direct };
			cfg.dst_fd_buffered = dst.fd_buffered;
			assert_int_equal(pipe_run(&cfg, &st, &err), 0);
			device_close(&dst);
			device_close(&a);
			device_close(&b);

			got = malloc(f->size);
			fd = open(f->dst_path, O_RDONLY);
			assert_int_equal(read(fd, got, f->size), (ssize_t)f->size);
			close(fd);
			for (size_t at = 0; at < f->size; at += blocks[k]) {
				size_t n = f->size - at < blocks[k]
						   ? f->size - at : blocks[k];
				bool written = (at / blocks[k]) % 3 == 0;

				assert_memory_equal(got + at,
						    written ? f->b + at : zero,
						    n);
				want_written += written ? n : 0;
			}
			assert_true(st.bytes_written == want_written);
			free(got);
			free(zero);
		}
	}
}

static void consumer_error_stops(void **state)
{
	struct fixture *f = *state;
	struct device a;

	open_dev(&a, f->a_path, 0);
	for (int e = 0; e < NENGINES; e++) {
		struct pipe_range whole = { 0, f->size };
		struct seen s = { .f = f, .nsrc = 1, .fail_at_chunk = 3 };
		struct pipe_config cfg = {
			.engine = engines[e], .chunk_align = 4096,
			.io_size = 65536, .queue_depth = 16, .ranges = &whole,
			.nranges = 1, .src = { { a.fd, a.direct } }, .nsrc = 1,
			.dst = { -1, false }, .dst_fd_buffered = -1,
			.consume = consume, .ctx = &s,
		};
		struct pipe_stats st;
		struct pipe_error err;

		assert_int_equal(pipe_run(&cfg, &st, &err), -EPROTO);
		assert_int_equal(err.source, PIPE_CONSUMER);
		assert_true(err.offset == 2 * 65536);
		assert_true(st.bytes_consumed == 2 * 65536);
	}
	device_close(&a);
}

static void cancel_stops(void **state)
{
	struct fixture *f = *state;
	volatile sig_atomic_t stop = 1;
	struct device a;

	open_dev(&a, f->a_path, 0);
	for (int e = 0; e < NENGINES; e++) {
		struct pipe_range whole = { 0, f->size };
		struct seen s = { .f = f, .nsrc = 1 };
		struct pipe_config cfg = {
			.engine = engines[e], .chunk_align = 4096,
			.io_size = 65536, .queue_depth = 4, .ranges = &whole,
			.nranges = 1, .src = { { a.fd, a.direct } }, .nsrc = 1,
			.dst = { -1, false }, .dst_fd_buffered = -1,
			.consume = consume, .ctx = &s, .cancel = &stop,
		};
		struct pipe_stats st;
		struct pipe_error err;

		assert_int_equal(pipe_run(&cfg, &st, &err), -ECANCELED);
		assert_true(st.bytes_consumed < f->size);
	}
	device_close(&a);
}

static void memory_bounds_slots(void **state)
{
	struct fixture *f = *state;
	struct device a;
	struct pipe_range whole = { 0, f->size };
	struct seen s = { .f = f, .nsrc = 1 };
	struct pipe_config cfg = {
		.engine = "auto", .chunk_align = 1048576, .io_size = 1048576,
		.queue_depth = 64, .memory_bytes = 4u << 20, .ranges = &whole,
		.nranges = 1, .nsrc = 1, .dst = { -1, false },
		.dst_fd_buffered = -1, .consume = consume, .ctx = &s,
	};
	struct pipe_stats st;
	struct pipe_error err;

	(void)state;
	open_dev(&a, f->a_path, 0);
	cfg.src[0] = (struct pipe_file){ a.fd, a.direct };
	assert_int_equal(pipe_run(&cfg, &st, &err), 0);
	assert_int_equal(st.slots, 4);
	assert_true(s.bytes == f->size);
	device_close(&a);
}

/* Set *arg 200 ms from now: a Ctrl-C while the pipeline waits. */
static void *cancel_later(void *arg)
{
	struct timespec ts = { 0, 200 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	*(volatile sig_atomic_t *)arg = 1;
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The second source is the read end of an empty pipe: io_uring waits on
 * it for ever, as on a hung device. A cancel must still end the run,
 * promptly, with -ECANCELED at the bytes consumed. (psync cannot pread a
 * pipe and libaio would block in io_submit: io_uring only; the hung FUSE
 * device of tests/e2e/interrupt_hung.sh covers all three.)
 */
static void cancel_ends_hung_read(void **state)
{
	struct fixture *f = *state;
	volatile sig_atomic_t stop = 0;
	struct device a;
	int hung[2];
	pthread_t t;
	double t0;

	open_dev(&a, f->a_path, 0);
	assert_int_equal(pipe(hung), 0);
	struct pipe_range whole = { 0, 1u << 20 };
	struct seen s = { .f = f, .nsrc = 1 };
	struct pipe_config cfg = {
		.engine = "io_uring", .chunk_align = 4096,
		.io_size = 65536, .queue_depth = 4, .ranges = &whole,
		.nranges = 1,
		.src = { { a.fd, a.direct }, { hung[0], false } }, .nsrc = 2,
		.dst = { -1, false }, .dst_fd_buffered = -1,
		.consume = consume, .ctx = &s, .cancel = &stop,
	};
	struct pipe_stats st;
	struct pipe_error err;

	alarm(10);	/* the old pipeline waited here for ever */
	assert_int_equal(pthread_create(&t, NULL, cancel_later, (void *)&stop),
			 0);
	t0 = now_s();
	assert_int_equal(pipe_run(&cfg, &st, &err), -ECANCELED);
	assert_true(now_s() - t0 < 1.0);
	alarm(0);
	pthread_join(t, NULL);
	assert_int_equal(err.source, PIPE_CONSUMER);
	assert_true(err.offset == st.bytes_consumed);
	assert_true(st.bytes_consumed == 0);
	assert_int_equal(st.abandoned, 0);	/* pipe reads do cancel */
	close(hung[0]);
	close(hung[1]);
	device_close(&a);
}

/*
 * --memory is a cap on the arena for any block size, I/O size and queue
 * depth, with one source or two; below pipe_min_memory the run is
 * refused with -E2BIG instead, and only then. Odd block sizes are the
 * point: lcm(block, 4096) is up to 8 blocks. Ranges that start on a
 * page and off one (the slack of a slot).
 */
static void memory_cap_holds(void **state)
{
	static const size_t blocks[] = { 512, 1536, 4096, 1048576, 3145216,
					 5242368, 67108352, 67108864 };
	static const size_t ios[] = { 65536, 1048576, 8388608 };
	static const unsigned qds[] = { 1, 32, 1024 };
	static const struct pipe_range ranges[] = { { 0, 1536 * 1000 },
						    { 1536, 1048576 + 1234 } };
	static const size_t mems[] = { 1u << 20, 4u << 20, 16u << 20,
				       64u << 20 };
	struct fixture *f = *state;
	unsigned refused = 0, ran = 0;
	struct device a, b;

	open_dev(&a, f->a_path, 0);
	open_dev(&b, f->b_path, 0);
	for (size_t bi = 0; bi < 8; bi++)
	for (size_t ii = 0; ii < 3; ii++)
	for (size_t qi = 0; qi < 3; qi++)
	for (size_t mi = 0; mi < 4; mi++)
	for (unsigned nsrc = 1; nsrc <= 2; nsrc++) {
		const struct pipe_range *r = &ranges[(bi + qi + nsrc) % 2];
		struct seen s = { .f = f, .nsrc = nsrc, .next = r->offset };
		struct pipe_config cfg = {
			.engine = "psync", .chunk_align = blocks[bi],
			.io_size = ios[ii], .queue_depth = qds[qi],
			.memory_bytes = mems[mi], .ranges = r, .nranges = 1,
			.src = { { a.fd, a.direct }, { b.fd, b.direct } },
			.nsrc = nsrc, .dst = { -1, false },
			.dst_fd_buffered = -1, .consume = consume, .ctx = &s,
		};
		struct pipe_stats st;
		struct pipe_error err;
		int ret = pipe_run(&cfg, &st, &err);

		if (pipe_min_memory(&cfg) > mems[mi]) {
			assert_int_equal(ret, -E2BIG);
			assert_int_equal(err.source, PIPE_ENGINE);
			assert_true(err.block_bytes == blocks[bi]);
			assert_true(err.memory_bytes == mems[mi]);
			assert_true(err.memory_needed == pipe_min_memory(&cfg));
			assert_true(pipe_chunk_bytes(&cfg) == 0);
			refused++;
			continue;
		}
		assert_int_equal(ret, 0);
		assert_true(s.bytes == r->length);
		assert_true(st.chunk_bytes % blocks[bi] == 0);
		assert_true((size_t)st.slots * st.chunk_bytes * nsrc <=
			    mems[mi]);
		assert_true(st.arena_bytes <= mems[mi]);
		ran++;
	}
	/* One block of each source, whole pages, and not a byte more. */
	{
		struct pipe_range whole = { 0, f->size };
		struct pipe_config cfg = { .chunk_align = 67108352,
					   .ranges = &whole, .nranges = 1,
					   .nsrc = 2 };

		assert_true(pipe_min_memory(&cfg) == 2 * 67112960u);
		cfg.chunk_align = 67108864;
		assert_true(pipe_min_memory(&cfg) == 2 * 67108864u);
	}
	assert_true(ran > 0 && refused > 0);
	device_close(&a);
	device_close(&b);
}

static void bad_config_refused(void **state)
{
	struct pipe_config cfg = { .engine = "auto", .chunk_align = 4096,
				   .io_size = 1000, .queue_depth = 1,
				   .nsrc = 1 };
	struct pipe_stats st;
	struct pipe_error err;

	(void)state;
	assert_int_equal(pipe_run(&cfg, &st, &err), -EINVAL);
	cfg.io_size = 4096;
	cfg.engine = "spdk";
	cfg.src[0].fd = 0;
	assert_int_equal(pipe_run(&cfg, &st, &err), -ENOENT);
	assert_int_equal(err.source, PIPE_ENGINE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(whole_file_two_sources),
		cmocka_unit_test(ranges_unaligned),
		cmocka_unit_test(writes_land),
		cmocka_unit_test(consumer_error_stops),
		cmocka_unit_test(cancel_stops),
		cmocka_unit_test(memory_bounds_slots),
		cmocka_unit_test(cancel_ends_hung_read),
		cmocka_unit_test(memory_cap_holds),
		cmocka_unit_test(bad_config_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
