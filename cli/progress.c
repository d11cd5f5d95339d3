/*
 * progress.c - the aggregate progress line (progress.h).
 */
#include "progress.h"
#include "cli.h"
#include "outcome.h"
#include "../verify/compare.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

static struct {
	const char *what;
	uint64_t total;
	unsigned pairs;
	atomic_uint_fast64_t done;
	double t0, last;
	bool on, shown, plain;
	pthread_mutex_t lock;
} pr = { .lock = PTHREAD_MUTEX_INITIALIZER };

void progress_start(const char *what, uint64_t total, unsigned pairs)
{
	pr.what = what;
	pr.total = total;
	pr.pairs = pairs;
	atomic_store(&pr.done, 0);
	pr.t0 = compare_now();
	pr.last = 0;
	pr.plain = cli_run.progress == PROGRESS_PLAIN;
	pr.on = pr.plain || (cli_run.progress == PROGRESS_AUTO &&
			     !cli_run.quiet && isatty(STDERR_FILENO));
}

static void draw(bool force)
{
	uint64_t done = atomic_load(&pr.done);
	double now = compare_now(), rate, eta;
	char a[32], b[32], c[32], pairs[32] = "";

	if (!pr.on || pthread_mutex_trylock(&pr.lock))
		return;
	if (!force && now - pr.last < (pr.plain ? cli_run.progress_every : 0.2)) {
		pthread_mutex_unlock(&pr.lock);
		return;
	}
	if (pr.plain && !pr.last) {	/* the first line after one interval */
		pr.last = pr.t0;
		if (now - pr.last < cli_run.progress_every) {
			pthread_mutex_unlock(&pr.lock);
			return;
		}
	}
	pr.last = now;
	rate = now > pr.t0 ? (double)done / (now - pr.t0) : 0;
	eta = rate > 0 && pr.total > done ? (double)(pr.total - done) / rate : 0;
	if (pr.pairs > 1)
		snprintf(pairs, sizeof(pairs), "  (%u pairs)", pr.pairs);
	fprintf(stderr, pr.plain ? "%s: %.0f%%  %s of %s  %s/s  ETA %u:%02u%s\n"
		: "\r%s: %3.0f%%  %s of %s  %s/s  ETA %u:%02u%s\033[K",
		pr.what, pr.total ? 100.0 * (double)done / (double)pr.total : 100.0,
		human_bytes(done, a, sizeof(a)), human_bytes(pr.total, b, sizeof(b)),
		human_bytes((uint64_t)rate, c, sizeof(c)), (unsigned)eta / 60,
		(unsigned)eta % 60, pairs);
	pr.shown = !pr.plain;
	pthread_mutex_unlock(&pr.lock);
}

void progress_add(uint64_t bytes)
{
	atomic_fetch_add(&pr.done, bytes);
	draw(false);
}

void progress_pass(void *ctx, uint64_t done, uint64_t total)
{
	uint64_t *last = ctx;

	(void)total;
	if (done > *last) {
		progress_add(done - *last);
		*last = done;
	}
}

void progress_tick(void)
{
	draw(false);
}

uint64_t progress_done(void)
{
	return atomic_load(&pr.done);
}

void progress_end(void)
{
	pthread_mutex_lock(&pr.lock);
	if (pr.shown)
		fputs("\r\033[K", stderr);
	pr.shown = false;
	pr.on = false;
	pthread_mutex_unlock(&pr.lock);
}
