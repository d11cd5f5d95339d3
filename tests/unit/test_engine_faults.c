/*
 * Unit tests: the pipeline against a fault-injecting engine backend, on
 * real files in /var/tmp. Real kernels do not return EAGAIN or EBUSY,
 * fail a ring for good or complete an abandoned request late on demand;
 * the fake backend (fake_engine.c, plugged in through engine_test_ops)
 * does, and moves the bytes itself with pread/pwrite on the real
 * descriptors, late and out of order, as the kernel would.
 *
 * What is proved: transient EAGAIN/EBUSY are retried and the run
 * completes; a ring that fails for good ends the run promptly with the
 * requests left in flight abandoned and their memory still mapped (the
 * fake engine writes into it after pipe_run returned); no buffer is
 * handed out again, in the same run or the next, while a request into or
 * from it is in flight; locate_bad_read writes nowhere but its own
 * memory, even after a resumed short read.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
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

#include "fake_engine.c"	/* static: the fake backend, fake_ops */

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

static struct fixture *files;	/* for on_alarm */

/* A run that hangs fails here, and still leaves /var/tmp clean. */
static void on_alarm(int sig)
{
	static const char msg[] = "FAIL: pipe_run did not return in time\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	unlink(files->a_path);
	unlink(files->b_path);
	unlink(files->dst_path);
	rmdir(files->dir);
	_exit(1);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/var/tmp/ss-faults.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	/* Not a multiple of 4096 nor of 512: the short tail is the point. */
	f->size = (5u << 20) + 1234;
	f->a = malloc(f->size);
	f->b = malloc(f->size);
	if (!f->a || !f->b)
		return -1;
	for (size_t i = 0; i < f->size; i++) {
		f->a[i] = (unsigned char)(i * 7 + i / 4096);
		f->b[i] = (unsigned char)(i * 13 + 1);
	}
	snprintf(f->a_path, sizeof(f->a_path), "%s/a", f->dir);
	snprintf(f->b_path, sizeof(f->b_path), "%s/b", f->dir);
	snprintf(f->dst_path, sizeof(f->dst_path), "%s/dst", f->dir);
	write_file(f->a_path, f->a, f->size);
	write_file(f->b_path, f->b, f->size);
	engine_test_ops = &fake_ops;
	files = f;
	signal(SIGALRM, on_alarm);
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

static int open_direct(const char *path, int flags)
{
	int fd = open(path, flags | O_DIRECT);

	assert_true(fd >= 0);	/* /var/tmp is a disk file system */
	return fd;
}

/* What the consumer saw. Counted, not asserted: pipe_run must return. */
struct seen {
	const unsigned char *want[PIPE_MAX_SOURCES];
	unsigned nsrc;
	uint64_t next;		/* expected offset of the next chunk */
	uint64_t bytes;
	unsigned chunks;
	unsigned bad;		/* out of order, or wrong bytes */
	unsigned in_flight;	/* chunks whose memory a request held */
	size_t block;		/* write every write_every-th block of */
	unsigned write_every;	/* the last source (0: none) */
	unsigned orphans_at;	/* at this chunk, the kernel completes the
				 * abandoned requests of an earlier run */
};

static int consume(void *ctx, struct pipe *p, const struct pipe_chunk *c)
{
	struct seen *s = ctx;
	unsigned last = s->nsrc - 1;

	s->chunks++;
	if (s->orphans_at && s->chunks == s->orphans_at)
		fake_complete_orphans();
	for (unsigned src = 0; src < s->nsrc; src++) {
		s->in_flight += fake_in_flight(c->buf[src], c->len);
		if (memcmp(c->buf[src], s->want[src] + c->offset, c->len))
			s->bad++;
	}
	if (c->offset != s->next)
		s->bad++;
	s->next = c->offset + c->len;
	s->bytes += c->len;
	for (size_t at = 0; s->write_every && at < c->len; at += s->block) {
		uint64_t off = c->offset + at;
		size_t n = c->len - at < s->block ? c->len - at : s->block;
		int ret;

		if ((off / s->block) % s->write_every)
			continue;
		ret = pipe_write(p, c, last, off, n);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Is dst what consume wrote over zeros? Returns the bytes written. */
static uint64_t check_dst(const struct fixture *f, const struct seen *s,
			  const unsigned char *src)
{
	unsigned char *got = malloc(f->size);
	uint64_t written = 0;
	int fd = open(f->dst_path, O_RDONLY);

	assert_non_null(got);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, got, f->size), (ssize_t)f->size);
	close(fd);
	for (size_t at = 0; at < f->size; at += s->block) {
		size_t n = f->size - at < s->block ? f->size - at : s->block;
		bool w = (at / s->block) % s->write_every == 0;

		for (size_t k = 0; k < n; k++)
			assert_int_equal(got[at + k], w ? src[at + k] : 0);
		written += w ? n : 0;
	}
	free(got);
	return written;
}

struct run {
	struct pipe_config cfg;
	struct pipe_range range;
	struct seen seen;
	int fds[4];		/* src0, src1, dst direct, dst buffered */
};

/* A run of nsrc sources (a, then b) through the fake engine. */
static void run_init(struct run *r, const struct fixture *f, unsigned nsrc,
		     size_t block, unsigned write_every)
{
	unsigned char *zero;

	memset(r, 0, sizeof(*r));
	r->range = (struct pipe_range){ 0, f->size };
	r->fds[0] = open_direct(f->a_path, O_RDONLY);
	r->fds[1] = nsrc > 1 ? open_direct(f->b_path, O_RDONLY) : -1;
	r->fds[2] = r->fds[3] = -1;
	r->seen = (struct seen){ .want = { f->a, f->b }, .nsrc = nsrc,
				 .block = block, .write_every = write_every };
	r->cfg = (struct pipe_config){
		.engine = "test", .chunk_align = block, .io_size = 65536,
		.queue_depth = 8, .ranges = &r->range, .nranges = 1,
		.src = { { r->fds[0], true }, { r->fds[1], true } },
		.nsrc = nsrc, .dst = { -1, false }, .dst_fd_buffered = -1,
		.consume = consume, .ctx = &r->seen,
	};
	if (!write_every)
		return;
	zero = calloc(1, f->size);
	assert_non_null(zero);
	write_file(f->dst_path, zero, f->size);
	free(zero);
	r->fds[2] = open_direct(f->dst_path, O_WRONLY);
	r->fds[3] = open(f->dst_path, O_WRONLY);
	assert_true(r->fds[3] >= 0);
	r->cfg.dst = (struct pipe_file){ r->fds[2], true };
	r->cfg.dst_fd_buffered = r->fds[3];
}

static void run_close(struct run *r)
{
	for (int i = 0; i < 4; i++)
		if (r->fds[i] >= 0)
			close(r->fds[i]);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * EAGAIN and EBUSY from commit and from reap, "no room" from queue,
 * short transfers, completions late and out of order: the run completes,
 * every chunk arrives in order with the right bytes, the writes land.
 * Blocks of 64 KiB write through the O_DIRECT descriptor, of 1536 bytes
 * through the buffered one.
 */
static void transient_faults_retried(void **state)
{
	static const size_t blocks[] = { 65536, 1536 };
	struct fixture *f = *state;

	for (int k = 0; k < 2; k++) {
		struct run r;
		struct pipe_stats st;
		struct pipe_error err;
		int ret;

		fake_reset(1 + (uint64_t)k);
		fault.commit_eagain = fault.commit_ebusy = 10;
		fault.reap_eagain = fault.reap_ebusy = 10;
		fault.queue_busy = 10;
		fault.short_1_in = 4;
		fault.max_hold = 3;
		run_init(&r, f, 2, blocks[k], 3);
		alarm(60);
		ret = pipe_run(&r.cfg, &st, &err);
		alarm(0);
		run_close(&r);
		print_message("block %zu: pipe_run %d, %u shorts, %u commit, "
			      "%u reap and %u queue failures injected\n",
			      blocks[k], ret, fault.shorts,
			      fault.injected_commit, fault.injected_reap,
			      fault.injected_busy);
		assert_int_equal(ret, 0);
		assert_true(st.bytes_consumed == f->size);
		assert_true(r.seen.bytes == f->size);
		assert_int_equal(r.seen.bad, 0);
		/* It tested what it says: every fault was returned. */
		assert_int_equal(fault.injected_commit, 20);
		assert_int_equal(fault.injected_reap, 20);
		assert_int_equal(fault.injected_busy, 10);
		assert_true(fault.shorts > 10);
		assert_true(check_dst(f, &r.seen, f->b) == st.bytes_written);
		assert_true(st.bytes_written > 0);
	}
}

/*
 * The ring fails for good (reap: EIO for ever) with reads and writes in
 * flight. pipe_run returns promptly with the engine's error and counts
 * them abandoned; then the "kernel" completes them, into and from the
 * arena, which must still be mapped: no EFAULT, the bytes land.
 */
static void ring_dies_in_flight(void **state)
{
	struct fixture *f = *state;
	struct run r;
	struct pipe_stats st;
	struct pipe_error err;
	double t0, secs;
	int ret;

	fake_reset(3);
	fault.max_hold = 6;
	fault.die_after = 40;
	run_init(&r, f, 2, 16384, 2);
	alarm(10);	/* a pipeline that waited for them would hang */
	t0 = now_s();
	ret = pipe_run(&r.cfg, &st, &err);
	secs = now_s() - t0;
	alarm(0);
	assert_true(secs < 2.0);
	print_message("pipe_run %d after %u completions: %u requests held "
		      "by the engine, %u of them submitted\n", ret,
		      fault.completions, fault.cleanup_held, fault.orphans);
	assert_int_equal(ret, -EIO);
	assert_int_equal(err.source, PIPE_ENGINE);
	assert_true(st.bytes_consumed < f->size);
	assert_true(fault.orphans > 0);

	fake_complete_orphans();
	print_message("late completions: %u landed, %u EFAULT, %u wrong\n",
		      fault.late_ok, fault.late_efault, fault.late_bad);
	assert_int_equal(fault.late_efault, 0);
	assert_int_equal(fault.late_bad, 0);
	assert_int_equal(fault.late_ok, fault.orphans);
	/* The pipeline's count of what is out agrees with the engine's. */
	assert_int_equal(fault.cleanup_inflight, fault.cleanup_held);
	assert_int_equal(st.abandoned, fault.cleanup_held);
	run_close(&r);
}

/*
 * No memory is handed out again while a request into or from it is in
 * flight: not to a new read or write (checked by the engine as each is
 * queued), not to the consumer (checked there). Two slots, completions
 * late and out of order, short transfers, a write for every block (16
 * KiB through O_DIRECT, 1536 bytes through the buffered descriptor): a
 * slot is refilled only once its writes are back.
 */
static void no_reuse_within_run(void **state)
{
	struct fixture *f = *state;
	unsigned checks_with_writes = 0;

	for (uint64_t seed = 10; seed < 14; seed++) {
		struct run r;
		struct pipe_stats st;
		struct pipe_error err;

		fake_reset(seed);
		fault.max_hold = 12;
		fault.short_1_in = 5;
		run_init(&r, f, 2, seed % 2 ? 16384 : 1536, 1);
		r.cfg.queue_depth = 2;
		r.cfg.memory_bytes = 2 * 2 * 65536;	/* two slots */
		assert_int_equal(pipe_run(&r.cfg, &st, &err), 0);
		run_close(&r);
		assert_int_equal(st.slots, 2);
		assert_true(r.seen.bytes == f->size);
		assert_int_equal(r.seen.bad, 0);
		assert_int_equal(r.seen.in_flight, 0);
		assert_int_equal(fault.overlaps, 0);
		assert_true(check_dst(f, &r.seen, f->b) == f->size);
		checks_with_writes += fault.checks_with_writes;
	}
	/* The checks ran while writes were out, when reuse would hurt. */
	print_message("%u checks made with writes in flight\n",
		      checks_with_writes);
	assert_true(checks_with_writes > 1000);
}

/*
 * Across runs: a run on b dies with reads in flight; the next run, on
 * a, of the same size, must get other memory, and the "kernel"
 * finishing the old reads in the middle of it changes nothing it sees.
 */
static void no_reuse_across_runs(void **state)
{
	struct fixture *f = *state;
	struct pipe_stats st;
	struct pipe_error err;
	struct run r, r2;
	unsigned orphans;

	fake_reset(20);
	fault.max_hold = 6;
	fault.die_after = 10;
	run_init(&r, f, 1, 65536, 0);
	r.seen.want[0] = f->b;
	close(r.fds[0]);
	r.fds[0] = open_direct(f->b_path, O_RDONLY);
	r.cfg.src[0].fd = r.fds[0];
	assert_int_equal(pipe_run(&r.cfg, &st, &err), -EIO);
	orphans = fault.orphans;
	assert_true(orphans > 0);

	fault.dead = false;
	fault.die_after = 0;
	run_init(&r2, f, 1, 65536, 0);
	r2.seen.orphans_at = 3;
	assert_int_equal(pipe_run(&r2.cfg, &st, &err), 0);
	print_message("next run: %u requests into memory still in flight, "
		      "%u chunks in such memory, %u bad; %u of %u late "
		      "completions landed, %u EFAULT\n", fault.overlaps,
		      r2.seen.in_flight, r2.seen.bad, fault.late_ok, orphans,
		      fault.late_efault);
	assert_int_equal(fault.overlaps, 0);
	assert_int_equal(r2.seen.in_flight, 0);
	assert_int_equal(r2.seen.bad, 0);
	assert_true(r2.seen.bytes == f->size);
	assert_int_equal(fault.late_efault, 0);
	assert_int_equal(fault.late_ok, orphans);
	run_close(&r2);
	run_close(&r);
}

/*
 * locate_bad_read writes only into its own memory. A buffered source
 * whose range starts off a page, so a slot holds two reads, back to
 * back: the first comes back short (40000 bytes, off a page), its
 * resumption with EIO while the second is still in flight. The pread
 * scan that looks for the bad 4 KiB then runs on the real file (which
 * reads fine, so it goes to the end of the request: the case where a
 * scan in whole pages from an unaligned start would overrun). Every
 * read still in flight at the EIO carries a canary, checked at each
 * later call into the engine and before it completes: nothing but the
 * "kernel" may write there. (ASan cannot see this: the arena is mmap'd.)
 */
static void locate_stays_in_buffer(void **state)
{
	struct fixture *f = *state;
	struct run r;
	struct pipe_stats st;
	struct pipe_error err;
	int ret;

	/*
	 * The third chunk, at 1536 + 128 KiB, is read as [128, 192) KiB and
	 * [192, 196) KiB, into one slot.
	 */
	fake_reset(30);
	fault.eio_at = 2 * 65536;
	fault.eio_short = 40000;
	fault.hold_from = 3 * 65536;
	run_init(&r, f, 1, 512, 0);
	close(r.fds[0]);
	r.fds[0] = open(f->a_path, O_RDONLY);
	assert_true(r.fds[0] >= 0);
	r.cfg.src[0] = (struct pipe_file){ r.fds[0], false };
	r.range = (struct pipe_range){ 1536, f->size - 1536 };
	r.seen.next = 1536;
	r.cfg.queue_depth = 4;
	alarm(10);
	ret = pipe_run(&r.cfg, &st, &err);
	alarm(0);
	run_close(&r);
	print_message("pipe_run %d at %llu; scenario phase %d; %u buffers "
		      "guarded, %u written by someone other than the kernel\n",
		      ret, (unsigned long long)err.offset, fault.phase,
		      fault.armed, fault.canary_broken);
	assert_int_equal(fault.phase, 2);
	assert_true(fault.armed > 0);
	assert_int_equal(fault.canary_broken, 0);
	assert_int_equal(ret, -EIO);
	assert_int_equal(err.source, 0);
	assert_int_equal(err.dir, IO_READ);
	assert_true(err.offset == fault.eio_at + fault.eio_short);
	assert_int_equal(r.seen.bad, 0);
}

/* "test" is no backend at all until a test plugs one in. */
static void hook_is_test_only(void **state)
{
	const struct engine_ops *saved = engine_test_ops;
	int fds[1] = { 0 };
	struct engine_setup s = { .depth = 1, .fds = fds, .nfds = 1 };
	struct engine e;

	(void)state;
	assert_false(engine_name_valid("test"));
	engine_test_ops = NULL;
	assert_int_equal(engine_open(&e, "test", &s), -ENOENT);
	engine_test_ops = saved;
	assert_int_equal(engine_open(&e, "test", &s), 0);
	assert_string_equal(engine_name(&e), "test");
	engine_close(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hook_is_test_only),
		cmocka_unit_test(transient_faults_retried),
		cmocka_unit_test(ring_dies_in_flight),
		cmocka_unit_test(no_reuse_within_run),
		cmocka_unit_test(no_reuse_across_runs),
		cmocka_unit_test(locate_stays_in_buffer),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
