/*
 * Unit tests: source/stdin.c, the stream on fd 0, with a pipe as stdin
 * and a writer thread that trickles the bytes in: parts complete in
 * order with the stream's bytes, a gap between parts is read and thrown
 * away, the end completes a part short and the rest with 0, a quiet pipe
 * lets poll return when its time is up (and at once when canceled), a
 * stream does not go back.
 */
#include <errno.h>
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

#include "../../source/source.h"

static unsigned char pattern(uint64_t i)
{
	return (unsigned char)(i * 13 + i / 1000 + 1);
}

struct writer {
	int fd;
	uint64_t size;
	size_t piece;		/* bytes a write */
	unsigned pause_us;	/* between writes */
};

static void *write_stream(void *arg)
{
	struct writer *w = arg;
	unsigned char *buf = malloc(w->piece);

	for (uint64_t at = 0; at < w->size;) {
		size_t n = w->size - at < w->piece ? (size_t)(w->size - at)
						   : w->piece;

		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(at + i);
		if (write(w->fd, buf, n) != (ssize_t)n)
			break;
		at += n;
		if (w->pause_us)
			usleep(w->pause_us);
	}
	free(buf);
	close(w->fd);
	return NULL;
}

static int saved_stdin = -1;

/* Make a pipe fd 0; its write end goes to a writer thread. */
static void stream_in(struct writer *w, pthread_t *t)
{
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	if (saved_stdin < 0)
		saved_stdin = dup(0);
	assert_int_equal(dup2(fds[0], 0), 0);
	close(fds[0]);
	w->fd = fds[1];
	if (t)
		assert_int_equal(pthread_create(t, NULL, write_stream, w), 0);
}

static struct source *open_stdin(struct source_info *info,
				 const volatile sig_atomic_t *cancel)
{
	struct source_opts o = SOURCE_OPTS_DEFAULT;
	struct source *s;
	char why[256];

	o.cancel = cancel;
	assert_int_equal(source_open(&s, "-", &o, info, why, sizeof(why)), 0);
	assert_string_equal(info->kind_name, "stdin");
	assert_false(info->size_known);
	assert_true(info->in_order);
	return s;
}

#define NOT_DONE ((ssize_t)-424242)

/* Poll until r is done (or 10 s); parts done meanwhile are marked. */
static void wait_for(struct source *s, struct source_req *r)
{
	for (int i = 0; i < 1000 && r->res == NOT_DONE; i++) {
		struct source_req *done[8];
		int n = source_poll(s, 10, done, 8);

		assert_true(n >= 0);
		for (int k = 0; k < n; k++)
			assert_true(done[k]->res != NOT_DONE);
	}
	if (r->res != NOT_DONE)
		return;
	fail_msg("part at %llu never completed", (unsigned long long)r->offset);
}

static void check_bytes(const struct source_req *r)
{
	for (ssize_t i = 0; i < r->res; i++)
		if (((unsigned char *)r->buf)[i] != pattern(r->offset + (uint64_t)i))
			fail_msg("byte %llu", (unsigned long long)(r->offset + (uint64_t)i));
}

static void parts_in_order_gaps_and_end(void **state)
{
	/* 1 MiB + 333 in writes of 5000 bytes, a little at a time. */
	struct writer w = { .size = (1u << 20) + 333, .piece = 5000,
			    .pause_us = 50 };
	struct source_info info;
	struct source *s;
	struct source_req r[6];
	static unsigned char bufs[6][300000];
	/* Parts: two adjacent, a gap of 100000, then past the end. */
	static const uint64_t offs[6] = { 0, 200000, 500000, 800000, 1048576,
					  1100000 };
	static const size_t lens[6] = { 200000, 200000, 300000, 200000,
					50000, 10 };
	pthread_t t;

	(void)state;
	stream_in(&w, &t);
	s = open_stdin(&info, NULL);
	for (int i = 0; i < 6; i++) {
		r[i] = (struct source_req){ offs[i], lens[i], bufs[i], NOT_DONE,
					    NULL };
		assert_int_equal(source_submit(s, &r[i]), 0);
	}
	/* A stream does not go back, nor overlap. */
	{
		struct source_req back = { 1000, 10, bufs[0], 0, NULL };

		assert_int_equal(source_submit(s, &back), -EINVAL);
	}
	for (int i = 0; i < 6; i++) {
		wait_for(s, &r[i]);
		/* In order: every earlier part is done already. */
		for (int k = 0; k < i; k++)
			assert_true(r[k].res != NOT_DONE);
	}
	assert_int_equal(r[0].res, 200000);
	assert_int_equal(r[1].res, 200000);
	assert_int_equal(r[2].res, 300000);
	assert_int_equal(r[3].res, 200000);
	assert_int_equal(r[4].res, 333);	/* the end, inside it */
	assert_int_equal(r[5].res, 0);		/* past the end */
	for (int i = 0; i < 6; i++)
		check_bytes(&r[i]);
	assert_true(s->stats.bytes_received == w.size);	/* the gap too */
	assert_true(s->stats.requests == 6);
	pthread_join(t, NULL);
	source_close(s);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A writer that has gone quiet: poll returns after its wait, or at once
 * when canceled; nothing completes. */
static void quiet_stream_waits_and_cancels(void **state)
{
	struct writer w = { 0 };
	volatile sig_atomic_t stop = 0;
	struct source_info info;
	struct source_req r = { 0, 4096, NULL, -1, NULL }, *done[2];
	unsigned char buf[4096];
	struct source *s;
	double t0;

	(void)state;
	stream_in(&w, NULL);	/* no thread: the write end stays open */
	r.buf = buf;
	s = open_stdin(&info, &stop);
	assert_int_equal(source_submit(s, &r), 0);
	t0 = now_s();
	assert_int_equal(source_poll(s, 200, done, 2), 0);
	assert_true(now_s() - t0 >= 0.19 && now_s() - t0 < 1.0);
	stop = 1;
	t0 = now_s();
	assert_int_equal(source_poll(s, 5000, done, 2), 0);
	assert_true(now_s() - t0 < 0.1);
	/* The writer goes away: the part completes with 0, the end. */
	close(w.fd);
	stop = 0;
	assert_int_equal(source_poll(s, 1000, done, 2), 1);
	assert_int_equal(r.res, 0);
	source_close(s);
}

static int restore_stdin(void **state)
{
	(void)state;
	if (saved_stdin >= 0)
		dup2(saved_stdin, 0);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(parts_in_order_gaps_and_end,
					  restore_stdin),
		cmocka_unit_test_teardown(quiet_stream_waits_and_cancels,
					  restore_stdin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
