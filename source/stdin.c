/*
 * stdin.c - a stream on fd 0 (`zstd -dc nvme1.img.zst | shadowsync
 * restore - /dev/nvme1n1`). Its size is not known until it ends.
 *
 * submit() only queues; poll() does the reading, with read(2) loops into
 * the part at the head of the queue, waiting in poll(2) at most wait_ms
 * for the stream to have something, so a caller that must stop (or
 * look at its other requests) is never stuck in a read of a pipe whose
 * writer has gone quiet. Parts complete in order, one at a time.
 *
 * Parts must be asked for in ascending offsets, without overlap; a gap
 * between two is read and thrown away (a resumed restore skips what its
 * target already holds). At the end of the stream the part holding it
 * completes short (res < len) and every later one with 0. A read error
 * fails the part being read and every later one.
 */
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STDIN_QUEUE	1024u		/* parts queued at most */
#define DISCARD_BYTES	(64u << 10)	/* a gap is read this much a time */
#define PIPE_BYTES	(1u << 20)	/* asked of a pipe: fewer reads */

struct stdin_priv {
	int fd;
	uint64_t pos;			/* bytes read from the stream */
	bool eof;
	int err;			/* -errno of a failed read, or 0 */
	struct source_req *q[STDIN_QUEUE];
	unsigned head, n;		/* ring of queued parts */
	size_t filled;			/* bytes of the head part so far */
	uint64_t last_end;		/* end of the last part queued */
	unsigned char *discard;
};

static bool stdin_claims(const char *spec)
{
	return !strcmp(spec, "-");
}

static int stdin_open(struct source *s, const char *spec,
		      const struct source_opts *o, struct source_info *info)
{
	struct stdin_priv *p;
	struct stat st;

	(void)spec;
	(void)o;
	if (fstat(STDIN_FILENO, &st) < 0) {
		snprintf(s->error, sizeof(s->error), "stdin is not open: %s",
			 strerror(errno));
		return -EBADF;
	}
	if (isatty(STDIN_FILENO)) {
		snprintf(s->error, sizeof(s->error), "stdin is a terminal, not "
			 "an image: pipe one in (zstd -dc IMAGE.zst | "
			 "shadowsync restore - TARGET)");
		return -ENOTTY;
	}
	p = calloc(1, sizeof(*p));
	if (!p || !(p->discard = malloc(DISCARD_BYTES))) {
		free(p);
		return -ENOMEM;
	}
	p->fd = STDIN_FILENO;
	/* Larger pipe buffer, fewer reads; a pipe that refuses is fine. */
	if (S_ISFIFO(st.st_mode))
		(void)fcntl(p->fd, F_SETPIPE_SZ, PIPE_BYTES);
	s->priv = p;
	info->kind = SOURCE_STDIN;
	info->kind_name = "stdin";
	snprintf(info->display, sizeof(info->display), "stdin");
	info->size_known = false;
	info->in_order = true;
	info->etag[0] = '\0';
	return 0;
}

static int stdin_submit(struct source *s, struct source_req *r)
{
	struct stdin_priv *p = s->priv;

	if (p->n == STDIN_QUEUE)
		return -EBUSY;
	if (r->offset < p->last_end || !r->len)
		return -EINVAL;	/* a stream does not go back */
	p->q[(p->head + p->n) % STDIN_QUEUE] = r;
	p->n++;
	p->last_end = r->offset + r->len;
	s->stats.requests++;
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait up to ms for the stream to have bytes (or its end). */
static bool readable(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ret;

	do {
		ret = poll(&pfd, 1, ms);
	} while (ret < 0 && errno == EINTR);
	return ret != 0;	/* an error: let read(2) say which */
}

/* One read(2) toward the head part r (or through the gap before it). */
static void read_some(struct source *s, struct stdin_priv *p,
		      struct source_req *r)
{
	bool gap = p->pos < r->offset;
	size_t want = gap ? (r->offset - p->pos < DISCARD_BYTES
			     ? (size_t)(r->offset - p->pos) : DISCARD_BYTES)
			  : r->len - p->filled;
	void *into = gap ? p->discard : (unsigned char *)r->buf + p->filled;
	ssize_t got = read(p->fd, into, want);

	if (got < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		p->err = -errno;
		snprintf(s->error, sizeof(s->error), "read error on stdin at "
			 "offset %llu: %s", (unsigned long long)p->pos,
			 strerror(errno));
		return;
	}
	if (!got) {
		p->eof = true;
		return;
	}
	p->pos += (uint64_t)got;
	s->stats.bytes_received += (uint64_t)got;
	if (!gap)
		p->filled += (size_t)got;
}

static int stdin_poll(struct source *s, unsigned wait_ms,
		      struct source_req **done, unsigned max)
{
	struct stdin_priv *p = s->priv;
	uint64_t deadline = now_ms() + wait_ms;
	unsigned n = 0;

	while (n < max && p->n) {
		struct source_req *r = p->q[p->head];
		bool finished = p->err || p->eof || p->filled == r->len;

		if (!finished) {
			uint64_t now = now_ms();
			int ms = n || now >= deadline ? 0
						      : (int)(deadline - now);

			if (s->opts.cancel && *s->opts.cancel)
				break;
			if (!readable(p->fd, ms))
				break;	/* the time ran out */
			read_some(s, p, r);
			continue;
		}
		r->res = p->err ? p->err : (ssize_t)p->filled;
		p->filled = 0;
		p->head = (p->head + 1) % STDIN_QUEUE;
		p->n--;
		done[n++] = r;
	}
	return (int)n;
}

static void stdin_close(struct source *s)
{
	struct stdin_priv *p = s->priv;

	if (p)
		free(p->discard);
	free(p);
	s->priv = NULL;
}

const struct source_ops source_stdin_ops = {
	.name = "stdin",
	.claims = stdin_claims,
	.open = stdin_open,
	.submit = stdin_submit,
	.poll = stdin_poll,
	.close = stdin_close,
};
