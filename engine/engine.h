/*
 * engine.h - the I/O engine contract: one ops table, three backends.
 *
 * A backend moves bytes between memory and file descriptors and knows
 * nothing else. The caller hands it requests (struct io_req) and gets
 * them back completed, with res = bytes moved or -errno. Like liburing,
 * every function here returns 0 or a count on success and -errno on
 * failure; nothing prints, nothing sets errno.
 *
 * Backends: io_uring (liburing, registered buffers and files, batched
 * submission), libaio (kernel AIO, needs O_DIRECT to be asynchronous) and
 * psync (pread/pwrite, one request at a time, always available).
 */
#ifndef SHADOWSYNC_ENGINE_H
#define SHADOWSYNC_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

enum io_dir { IO_READ, IO_WRITE };

struct io_req {
	enum io_dir dir;
	unsigned file;		/* index into the engine's file table */
	void *buf;
	int buf_index;		/* registered buffer holding buf, or -1 */
	uint64_t offset;
	size_t len;
	ssize_t res;		/* on completion: bytes moved, or -errno */
	void *owner;		/* the caller's; the engine never touches it */
};

/* What queueing a request did with it. */
enum engine_q {
	ENGINE_Q_QUEUED,	/* accepted; completes through reap after commit */
	ENGINE_Q_COMPLETED,	/* done already (synchronous backend): res is set */
	ENGINE_Q_BUSY,		/* no room: reap something, then queue again */
};

#define ENGINE_F_ASYNC		(1u << 0)	/* requests overlap in the kernel */
#define ENGINE_F_REG_BUFS	(1u << 1)	/* can pin buffers (read_fixed) */
#define ENGINE_F_REG_FILES	(1u << 2)	/* can pre-register descriptors */
#define ENGINE_F_CANCEL		(1u << 3)	/* can ask the kernel to cancel */

struct engine_setup {
	unsigned depth;			/* most requests in flight at once */
	const int *fds;			/* the file table requests index into */
	unsigned nfds;
	const struct iovec *bufs;	/* memory requests will use, or NULL */
	unsigned nbufs;
	bool buffered;			/* some file is not O_DIRECT */
};

struct engine;

struct engine_ops {
	const char *name;
	unsigned flags;
	/* Set up for s; -errno when this backend cannot run here. */
	int (*init)(struct engine *e, const struct engine_setup *s);
	enum engine_q (*queue)(struct engine *e, struct io_req *r);
	/* Hand queued requests to the kernel. */
	int (*commit)(struct engine *e);
	/*
	 * Hand over what is queued, then wait up to wait_ms for at least
	 * min completions; store up to max in done[]. Returns the count
	 * (fewer than min when the time ran out) or -errno; -EINTR,
	 * -EAGAIN and -EBUSY mean "nothing this time, try again".
	 */
	int (*reap)(struct engine *e, unsigned min, struct io_req **done,
		    unsigned max, unsigned wait_ms);
	/*
	 * Ask the kernel to stop every request in flight; they still come
	 * back through reap, early (often with -ECANCELED) or not at all.
	 * NULL when the backend cannot (no ENGINE_F_CANCEL).
	 */
	int (*cancel)(struct engine *e);
	/*
	 * Release the backend. With e->inflight requests still out it must
	 * not block and must not free what the kernel may still use.
	 */
	void (*cleanup)(struct engine *e);
};

struct engine {
	const struct engine_ops *ops;
	void *priv;
	const int *fds;
	unsigned nfds;
	unsigned depth;
	unsigned inflight;	/* queued and not yet reaped */
	bool bufs_registered;	/* io_uring pinned the buffers */
	bool files_registered;
	uint64_t stuck_since_ms; /* transient failures without a break */
};

/* Names accepted by engine_open, "auto" first; NULL-terminated. */
extern const char *const engine_names[];

/* Is name one of engine_names? */
bool engine_name_valid(const char *name);

/*
 * engine_open() - set up the backend called name for s.
 * "auto" tries io_uring, then libaio, then psync, and takes the first
 * that initialises; with s->buffered it takes psync first, because
 * buffered reads through io_uring and libaio run one copy at a time in
 * worker threads while psync keeps the kernel's read-ahead.
 * Returns 0, -ENOENT for an unknown name, -ENOSYS for a backend not
 * built in, or the backend's -errno.
 */
int engine_open(struct engine *e, const char *name,
		const struct engine_setup *s);

/*
 * engine_close() - release the backend. Requests still in flight
 * (e->inflight: a hung device, a ring that failed) are abandoned: the
 * call never waits for them, and the caller must leave their buffers
 * mapped for the life of the process, since the kernel may still write
 * into them.
 */
void engine_close(struct engine *e);

/* Queue one request; see enum engine_q. */
enum engine_q engine_queue(struct engine *e, struct io_req *r);

/*
 * engine_commit() - submit what is queued. A kernel that is
 * momentarily out of room (EAGAIN, EBUSY, EINTR) is not an error: what
 * it did not take goes out with the next commit or reap.
 * Returns 0 or -errno.
 */
int engine_commit(struct engine *e);

/*
 * engine_reap() - submit what is queued, then wait up to wait_ms for at
 * least min completions (min 0 or wait_ms 0: take what is there) and
 * store up to max of them in done[]. Transient failures are retried
 * with a short backoff within wait_ms. Returns the count, which may be
 * 0 when the time ran out, or -errno when the backend can no longer
 * reap (also after ENGINE_STUCK_MS of nothing but transient failures):
 * then what is in flight will not come back, see engine_close().
 */
int engine_reap(struct engine *e, unsigned min, struct io_req **done,
		unsigned max, unsigned wait_ms);

#define ENGINE_STUCK_MS 30000u

/*
 * engine_cancel() - ask the kernel to cancel every request in flight,
 * when the backend can (ENGINE_F_CANCEL). They still complete through
 * engine_reap; a request the kernel cannot cancel completes when its
 * device answers, or never. Returns 0 or -errno.
 */
int engine_cancel(struct engine *e);

static inline const char *engine_name(const struct engine *e)
{
	return e->ops ? e->ops->name : "none";
}

/*
 * engine_test_ops - a hook for unit tests: engine_open(e, "test", s)
 * opens this backend. Real kernels do not return EAGAIN or EBUSY, fail a
 * ring for good or complete an abandoned request late on demand, so the
 * pipeline's handling of those is tested against a fault-injecting
 * backend in tests/unit that plugs itself in here. NULL in the program
 * ("test" then gives -ENOENT), and not in engine_names: neither the
 * command line nor "auto" can reach it.
 */
extern const struct engine_ops *engine_test_ops;

/* Backends. One whose library was not found at build time is NULL. */
extern const struct engine_ops engine_psync_ops;
#define ENGINE_PSYNC (&engine_psync_ops)
#ifdef HAVE_LIBURING
extern const struct engine_ops engine_uring_ops;
#define ENGINE_URING (&engine_uring_ops)
#else
#define ENGINE_URING ((const struct engine_ops *)NULL)
#endif
#ifdef HAVE_LIBAIO
extern const struct engine_ops engine_aio_ops;
#define ENGINE_AIO (&engine_aio_ops)
#else
#define ENGINE_AIO ((const struct engine_ops *)NULL)
#endif

#endif
