/*
 * iobench.h - one cell of `shadowsync bench`: keep N requests of one size
 * in flight on one file through one engine for a while, and measure what
 * came back (throughput, IOPS, latency percentiles, CPU time).
 *
 * Requests go sequentially through the file, wrapping at its end, each at
 * the next io_size-aligned offset, so every request is a full one. Reads
 * unless write is set (the caller owns the file then).
 */
#ifndef SHADOWSYNC_IOBENCH_H
#define SHADOWSYNC_IOBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct iobench_cell {
	const char *engine;	/* io_uring, libaio, psync */
	unsigned depth;		/* requests in flight */
	size_t io_size;		/* bytes per request: a multiple of 4096 */
	double seconds;		/* how long to keep them in flight */
	bool write;
	bool buffered;		/* fd is not O_DIRECT */
};

struct iobench_result {
	uint64_t bytes;		/* moved by completed requests */
	uint64_t ios;		/* completed requests */
	double elapsed_s;	/* first submission to last completion */
	double cpu_s;		/* user + system time of the process */
	double lat_p50_us;	/* submission to completion */
	double lat_p99_us;
	double lat_max_us;
	int64_t err_offset;	/* the failed request's offset, or -1 */
};

/*
 * iobench_run() - run cell c on fd, a file or device of size bytes (at
 * least c->io_size). Returns 0; -errno when the engine cannot start
 * (-ENOSYS: not built in) or a request failed (r->err_offset says where;
 * a short transfer is -EIO); -ENOMEM.
 */
int iobench_run(int fd, uint64_t size, const struct iobench_cell *c,
		struct iobench_result *r);

#endif
