/*
 * fake_engine.c - a fault-injecting engine backend for unit tests,
 * #included by the test that uses it (like tests/fuzz/ by
 * test_fuzz_corpus) and plugged in through engine_test_ops (engine.h).
 *
 * It behaves as the kernel does behind io_uring or libaio: it copies a
 * request when it is queued, moves the bytes itself with pread/pwrite on
 * the real descriptors when it completes it, and keeps what was
 * submitted when the engine is closed under it (an orphan), to complete
 * later into memory the caller must have left mapped. On demand it
 * returns EAGAIN/EBUSY from commit and reap, "no room" from queue, short
 * transfers, completions late and out of order; fails reap for good; or
 * plays the locate scenario (a short read, then EIO on its resumption).
 * It checks as it goes that no request is queued into memory another
 * one still holds, and that nobody writes into a buffer it guards.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../engine/device.h"
#include "../../engine/engine.h"

#define ALIGN DEVICE_DIO_ALIGN

#define FAKE_MAX 2048		/* requests held at once, all runs */
#define HELD (1u << 30)		/* hold: until the scenario lets it go */
#define CANARY 0xa5

enum fr_state { FR_FREE, FR_QUEUED, FR_SUBMITTED };

struct fake_req {
	enum fr_state state;
	unsigned gen;		/* the engine instance that took it */
	struct io_req *req;	/* NULL once abandoned (it may be freed) */
	int fd;
	bool direct;
	enum io_dir dir;
	unsigned char *buf;	/* copied at queue time, as an SQE is */
	size_t len;
	uint64_t offset;
	unsigned hold;		/* reaps to wait before it may complete */
	bool canary;		/* its buffer holds CANARY until it completes */
};

struct faults {
	/* Set by a test before pipe_run. */
	unsigned commit_eagain, commit_ebusy;	/* transient failures */
	unsigned reap_eagain, reap_ebusy;
	unsigned queue_busy;		/* "no room" from queue */
	unsigned short_1_in;		/* short transfers, 1 in n (0: none) */
	unsigned max_hold;		/* completions 0..max_hold reaps late */
	unsigned die_after;		/* reap fails for good after this many
					 * completions (0: never) */
	uint64_t eio_at;		/* the read here returns eio_short bytes,
					 * its resumption EIO (0: no) */
	size_t eio_short;
	uint64_t hold_from;		/* reads from here wait for the EIO */
	/* What happened. */
	unsigned injected_commit, injected_reap, injected_busy, shorts;
	unsigned completions;
	bool dead;
	int phase;			/* eio_at: 1 short done, 2 EIO done */
	unsigned armed;			/* buffers given a canary */
	unsigned canary_broken;		/* ... written by someone else */
	unsigned overlaps;		/* requests into busy memory */
	unsigned checks_with_writes;	/* overlap checks with writes out */
	unsigned cleanup_inflight;	/* e->inflight at cleanup */
	unsigned cleanup_held;		/* what the engine still held */
	unsigned orphans;		/* submitted, never reaped */
	unsigned late_ok, late_efault, late_bad;
	unsigned calls;
	uint64_t rnd;
};

static struct fake_req table[FAKE_MAX];
static unsigned table_used;	/* entries below this may be in use */
static struct faults fault;
static unsigned fake_gen;

struct fake_engine {
	unsigned gen;
};

static unsigned rnd(void)
{
	fault.rnd ^= fault.rnd << 13;
	fault.rnd ^= fault.rnd >> 7;
	fault.rnd ^= fault.rnd << 17;
	return (unsigned)(fault.rnd >> 11);
}

/* Forget every request and fault: each test starts from nothing. */
static void fake_reset(uint64_t seed)
{
	memset(table, 0, sizeof(table));
	table_used = 0;
	memset(&fault, 0, sizeof(fault));
	fault.rnd = seed * 0x9e3779b97f4a7c15ull + 1;
}

static bool ranges_meet(const unsigned char *a, size_t alen,
			const unsigned char *b, size_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Is any byte of [b, b + len) memory a request in flight is using? */
static bool fake_in_flight(const unsigned char *b, size_t len)
{
	bool writes = false, hit = false;

	for (unsigned i = 0; i < table_used; i++) {
		const struct fake_req *fr = &table[i];

		if (fr->state == FR_FREE)
			continue;
		writes |= fr->dir == IO_WRITE;
		hit |= ranges_meet(fr->buf, fr->len, b, len);
	}
	fault.checks_with_writes += writes;
	return hit;
}

/* Nobody but the "kernel" may touch a buffer it holds. */
static void check_canaries(void)
{
	for (unsigned i = 0; i < table_used; i++) {
		struct fake_req *fr = &table[i];

		if (fr->state == FR_FREE || !fr->canary)
			continue;
		for (size_t k = 0; k < fr->len; k++) {
			if (fr->buf[k] != CANARY) {
				fault.canary_broken++;
				fr->canary = false;
				break;
			}
		}
	}
}

static void arm_canaries(const struct fake_req *except)
{
	for (unsigned i = 0; i < table_used; i++) {
		struct fake_req *fr = &table[i];

		if (fr == except || fr->state == FR_FREE || fr->dir != IO_READ)
			continue;
		memset(fr->buf, CANARY, fr->len);
		fr->canary = true;
		fault.armed++;
	}
}

static ssize_t transfer(const struct fake_req *fr, size_t n)
{
	ssize_t got;

	do {
		if (fr->dir == IO_READ)
			got = pread(fr->fd, fr->buf, n, (off_t)fr->offset);
		else
			got = pwrite(fr->fd, fr->buf, n, (off_t)fr->offset);
	} while (got < 0 && errno == EINTR);
	return got < 0 ? -errno : got;
}

/*
 * A short transfer: how many bytes to move and how many to report. With
 * O_DIRECT the move stays aligned and the report may end off a page (the
 * pipeline resumes from the page below); at least one page more than
 * the start, or the pipeline rightly calls it no progress.
 */
static bool pick_short(const struct fake_req *fr, size_t *move,
		       size_t *report)
{
	if (fr->direct) {
		size_t pages = fr->len / ALIGN;

		if (pages < 3)
			return false;
		*move = ALIGN * (2 + rnd() % (pages - 2));
		*report = *move - rnd() % ALIGN;
		return true;
	}
	if (fr->len < 2)
		return false;
	*move = *report = 1 + rnd() % (fr->len - 1);
	return true;
}

/* Do the request's I/O now; its result. */
static ssize_t complete(struct fake_req *fr)
{
	size_t move = fr->len, report = fr->len;
	ssize_t res;

	if (fr->canary) {
		check_canaries();
		fr->canary = false;
	}
	if (fault.eio_at && fr->dir == IO_READ) {
		if (fault.phase == 0 && fr->offset == fault.eio_at &&
		    fr->len > fault.eio_short) {
			move = report = fault.eio_short;
			fault.phase = 1;
		} else if (fault.phase == 1 &&
			   fr->offset == fault.eio_at + fault.eio_short) {
			/* Everything else still out is the kernel's. */
			arm_canaries(fr);
			fault.phase = 2;
			for (unsigned i = 0; i < table_used; i++)
				if (table[i].hold == HELD)
					table[i].hold = 0;
			return -EIO;
		}
	} else if (fault.short_1_in && rnd() % fault.short_1_in == 0 &&
		   pick_short(fr, &move, &report)) {
		fault.shorts++;
	}
	res = transfer(fr, move);
	if (res > (ssize_t)report)
		res = (ssize_t)report;
	return res;
}

/* A transient failure to return now, or 0: every other call. */
static int transient(unsigned *eagain, unsigned *ebusy, unsigned *count)
{
	if ((!*eagain && !*ebusy) || fault.calls % 2)
		return 0;
	(*count)++;
	if (*eagain && *eagain >= *ebusy) {
		(*eagain)--;
		return -EAGAIN;
	}
	(*ebusy)--;
	return -EBUSY;
}

static int fake_init(struct engine *e, const struct engine_setup *s)
{
	struct fake_engine *fe = calloc(1, sizeof(*fe));

	(void)s;
	if (!fe)
		return -ENOMEM;
	fe->gen = ++fake_gen;
	e->priv = fe;
	return 0;
}

static enum engine_q fake_queue(struct engine *e, struct io_req *r)
{
	struct fake_engine *fe = e->priv;
	struct fake_req *fr = NULL;

	fault.calls++;
	check_canaries();
	if (fault.queue_busy && fault.calls % 2 == 0) {
		fault.queue_busy--;
		fault.injected_busy++;
		return ENGINE_Q_BUSY;
	}
	for (unsigned i = 0; i < FAKE_MAX && !fr; i++)
		if (table[i].state == FR_FREE)
			fr = &table[i];
	if (!fr)
		return ENGINE_Q_BUSY;
	if (fr - table >= (ptrdiff_t)table_used)
		table_used = (unsigned)(fr - table) + 1;
	if (fake_in_flight(r->buf, r->len))
		fault.overlaps++;
	*fr = (struct fake_req){
		.state = FR_QUEUED, .gen = fe->gen, .req = r,
		.fd = e->fds[r->file], .dir = r->dir, .buf = r->buf,
		.len = r->len, .offset = r->offset,
	};
	fr->direct = fcntl(fr->fd, F_GETFL) & O_DIRECT;
	if (fault.max_hold)
		fr->hold = rnd() % (fault.max_hold + 1);
	if (fault.hold_from && r->dir == IO_READ &&
	    r->offset >= fault.hold_from && fault.phase < 2)
		fr->hold = HELD;
	return ENGINE_Q_QUEUED;
}

/* Hand queued requests to the "kernel": all, or about half. */
static void submit_queued(const struct fake_engine *fe, bool some)
{
	for (unsigned i = 0; i < table_used; i++) {
		struct fake_req *fr = &table[i];

		if (fr->state == FR_QUEUED && fr->gen == fe->gen &&
		    (!some || rnd() % 2))
			fr->state = FR_SUBMITTED;
	}
}

static int fake_commit(struct engine *e)
{
	int err;

	fault.calls++;
	check_canaries();
	err = transient(&fault.commit_eagain, &fault.commit_ebusy,
			&fault.injected_commit);
	submit_queued(e->priv, err < 0);
	return err;
}

static bool completable(const struct fake_req *fr, unsigned gen)
{
	return fr->state == FR_SUBMITTED && fr->gen == gen && fr->req;
}

/* Complete fr now and hand it back in done[*n]. */
static void finish(struct fake_req *fr, struct io_req **done, int *n)
{
	fr->req->res = complete(fr);
	done[(*n)++] = fr->req;
	fr->state = FR_FREE;
	fault.completions++;
}

/*
 * Completions come in a shuffled order, each after its hold has run out;
 * when fewer than min are due, the least held go early (a kernel does
 * not wait for ever either). The wait itself is not modelled.
 */
static int fake_reap(struct engine *e, unsigned min, struct io_req **done,
		     unsigned max, unsigned wait_ms)
{
	struct fake_engine *fe = e->priv;
	unsigned due[FAKE_MAX], ndue = 0;
	int n = 0, err;

	(void)wait_ms;
	fault.calls++;
	check_canaries();
	if (fault.dead)
		return -EIO;
	err = transient(&fault.reap_eagain, &fault.reap_ebusy,
			&fault.injected_reap);
	if (err < 0)
		return err;
	submit_queued(fe, false);
	for (unsigned i = 0; i < table_used; i++) {
		struct fake_req *fr = &table[i];

		if (!completable(fr, fe->gen))
			continue;
		if (fr->hold && fr->hold != HELD)
			fr->hold--;
		if (!fr->hold)
			due[ndue++] = i;
	}
	for (unsigned i = ndue; i > 1; i--) {
		unsigned j = rnd() % i, t = due[i - 1];

		due[i - 1] = due[j];
		due[j] = t;
	}
	for (unsigned i = 0; i < ndue && (unsigned)n < max; i++)
		finish(&table[due[i]], done, &n);
	while ((unsigned)n < min && (unsigned)n < max) {
		struct fake_req *least = NULL;

		for (unsigned i = 0; i < table_used; i++)
			if (completable(&table[i], fe->gen) &&
			    (!least || table[i].hold < least->hold))
				least = &table[i];
		if (!least)
			break;
		finish(least, done, &n);
	}
	if (fault.die_after && fault.completions >= fault.die_after)
		fault.dead = true;
	return n;
}

/*
 * The pipeline lets go of the engine. Requests never submitted go with
 * it (io_uring drops unsubmitted SQEs, libaio never saw the iocbs);
 * submitted ones stay with the "kernel", which may complete them later
 * (fake_complete_orphans), into memory the pipeline must leave mapped.
 */
static void fake_cleanup(struct engine *e)
{
	struct fake_engine *fe = e->priv;

	fault.calls++;
	check_canaries();
	fault.cleanup_inflight = e->inflight;
	for (unsigned i = 0; i < table_used; i++) {
		struct fake_req *fr = &table[i];

		if (fr->state == FR_FREE || fr->gen != fe->gen)
			continue;
		fault.cleanup_held++;
		fr->req = NULL;
		if (fr->state == FR_QUEUED) {
			fr->state = FR_FREE;
			continue;
		}
		fr->hold = 0;
		fault.orphans++;
	}
	free(fe);
	e->priv = NULL;
}

static const struct engine_ops fake_ops = {
	.name = "test",
	.flags = ENGINE_F_ASYNC,
	.init = fake_init,
	.queue = fake_queue,
	.commit = fake_commit,
	.reap = fake_reap,
	.cleanup = fake_cleanup,
};

/*
 * What the kernel does with abandoned requests: completes them, reading
 * into (or writing from) their buffers, after pipe_run has returned. A
 * read's bytes are checked against the file, through the buffer itself.
 */
static void fake_complete_orphans(void)
{
	for (unsigned i = 0; i < table_used; i++) {
		struct fake_req *fr = &table[i];
		ssize_t res;

		if (fr->state == FR_FREE || fr->req)
			continue;
		res = transfer(fr, fr->len);
		fr->state = FR_FREE;
		if (res == -EFAULT) {
			fault.late_efault++;
			continue;
		}
		if (res <= 0) {
			fault.late_bad++;
			continue;
		}
		if (fr->dir == IO_READ) {
			size_t n = ((size_t)res + ALIGN - 1) / ALIGN * ALIGN;
			unsigned char *want;

			/* Aligned: the descriptor may be O_DIRECT. */
			assert_int_equal(posix_memalign((void **)&want, ALIGN,
							n), 0);
			assert_true(pread(fr->fd, want, n, (off_t)fr->offset) >=
				    res);
			if (memcmp(fr->buf, want, (size_t)res))
				fault.late_bad++;
			free(want);
		}
		fault.late_ok++;
	}
}
