/*
 * ebs_hash.c - the SHA-256 of each block's body, in a worker thread
 * (see ebs.h): the thread that runs the transfers hands a block over as
 * soon as its body is in, and goes on receiving while it is hashed; it
 * takes the verdicts back (ebs_hash_take) and only then does the block
 * count as set. A part completes (and its buffer goes to be written)
 * only when every block of it has its verdict: nothing is written
 * before its checksum is checked.
 *
 * SHA-256 of a 512 KiB block costs ~0.25 ms with SHA-NI, ~0.5 CPU
 * seconds a GiB: on the transfers' thread it held every connection's
 * next read back by that much. The worker is started with the first
 * block (a warm --snapshot, which only lists, never starts it); when it
 * cannot start, blocks are hashed in place as before.
 */
#include "ebs.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct ebs_hasher {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t work;		/* the worker: something in `in` */
	pthread_cond_t ready;		/* the caller: something in `out` */
	struct ebs_job *in, *in_tail;	/* to hash, in order */
	struct ebs_job *out, *out_tail;	/* hashed, verdicts not taken */
	bool stop;
	struct fetch *f;		/* woken at each verdict */
};

static void hash_one(struct ebs_job *ej)
{
	ej->sum[0] = '\0';
	ej->sum_ret = ebs_sha256_b64(ej->job.buf, ej->job.got, ej->sum);
}

static void *worker(void *arg)
{
	struct ebs_hasher *h = arg;

	pthread_mutex_lock(&h->mu);
	for (;;) {
		struct ebs_job *ej = h->in;

		if (h->stop)
			break;
		if (!ej) {
			pthread_cond_wait(&h->work, &h->mu);
			continue;
		}
		h->in = ej->hnext;
		if (!h->in)
			h->in_tail = NULL;
		pthread_mutex_unlock(&h->mu);
		hash_one(ej);
		pthread_mutex_lock(&h->mu);
		ej->hnext = NULL;
		if (h->out_tail)
			h->out_tail->hnext = ej;
		else
			h->out = ej;
		h->out_tail = ej;
		pthread_cond_signal(&h->ready);
		pthread_mutex_unlock(&h->mu);
		fetch_wakeup(h->f);
		pthread_mutex_lock(&h->mu);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

static struct ebs_hasher *hasher_start(struct ebs *e)
{
	struct ebs_hasher *h = calloc(1, sizeof(*h));
	pthread_condattr_t ca;

	if (!h)
		return NULL;
	h->f = e->f;
	pthread_mutex_init(&h->mu, NULL);
	pthread_condattr_init(&ca);
	/* the verdict wait is timed: a clock change must not stretch it */
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->work, NULL);
	pthread_cond_init(&h->ready, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&h->thread, NULL, worker, h)) {
		pthread_cond_destroy(&h->ready);
		pthread_cond_destroy(&h->work);
		pthread_mutex_destroy(&h->mu);
		free(h);
		return NULL;
	}
	return h;
}

void ebs_hash_submit(struct ebs *e, struct ebs_job *ej)
{
	struct ebs_hasher *h;

	if (!e->hasher && !e->hasher_failed) {
		e->hasher = hasher_start(e);
		e->hasher_failed = !e->hasher;
	}
	h = e->hasher;
	ej->hnext = NULL;
	e->hashing++;
	if (!h) {	/* no thread: hashed here, taken at the next take */
		hash_one(ej);
		ej->hnext = e->hashed_inline;
		e->hashed_inline = ej;
		return;
	}
	pthread_mutex_lock(&h->mu);
	if (h->in_tail)
		h->in_tail->hnext = ej;
	else
		h->in = ej;
	h->in_tail = ej;
	pthread_cond_signal(&h->work);
	pthread_mutex_unlock(&h->mu);
}

struct ebs_job *ebs_hash_take(struct ebs *e, unsigned wait_ms)
{
	struct ebs_hasher *h = e->hasher;
	struct ebs_job *list = e->hashed_inline;
	unsigned n = 0;

	e->hashed_inline = NULL;
	if (h && e->hashing) {
		pthread_mutex_lock(&h->mu);
		if (!h->out && !list && wait_ms) {
			struct timespec ts;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += wait_ms / 1000;
			ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			while (!h->out)
				if (pthread_cond_timedwait(&h->ready, &h->mu,
							   &ts) == ETIMEDOUT)
					break;
		}
		if (h->out) {
			h->out_tail->hnext = list;
			list = h->out;
			h->out = h->out_tail = NULL;
		}
		pthread_mutex_unlock(&h->mu);
	}
	for (struct ebs_job *ej = list; ej; ej = ej->hnext)
		n++;
	e->hashing -= n;
	return list;
}

void ebs_hash_stop(struct ebs *e)
{
	struct ebs_hasher *h = e->hasher;

	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	h->stop = true;
	pthread_cond_signal(&h->work);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->thread, NULL);	/* no buffer is read after this */
	pthread_cond_destroy(&h->ready);
	pthread_cond_destroy(&h->work);
	pthread_mutex_destroy(&h->mu);
	free(h);
	e->hasher = NULL;
	e->hashing = 0;
	e->hashed_inline = NULL;
}
