/*
 * progress.h - the progress line on stderr, when stderr is a terminal.
 *
 * One line, rewritten in place at most five times a second:
 *   verify: 42%  1.2 GiB of 2.9 GiB  812.0 MiB/s  ETA 0:02  (3 pairs)
 * For a run of many pairs it is the sum over all of them (every thread
 * adds its bytes). Nothing is printed when stderr is not a terminal, and
 * the line is erased before the report. --progress=plain prints the same
 * words as a whole line every --progress-interval seconds (default 5),
 * for logs and the journal, terminal or not; --progress=none and --quiet
 * print no progress (an explicit --progress=plain still does).
 */
#ifndef SHADOWSYNC_PROGRESS_H
#define SHADOWSYNC_PROGRESS_H

#include <stdint.h>

/* Start the run's line: what ("verify"), total bytes, pairs (0: one). */
void progress_start(const char *what, uint64_t total, unsigned pairs);

/* A pipe_progress_fn for one of the run's passes: ctx is a uint64_t
 * holding what this pass reported last (start it at 0). */
void progress_pass(void *ctx, uint64_t done, uint64_t total);

/* Add bytes done outside a pass (thread-safe). */
void progress_add(uint64_t bytes);

/*
 * Redraw if it is time, though nothing was done: a pass waiting on a
 * slow source (a trickling server) still says where it is.
 */
void progress_tick(void);

/* Bytes done so far in the run (any thread; for cli_watch). */
uint64_t progress_done(void);

/* Erase the line (before printing the report). */
void progress_end(void);

#endif
