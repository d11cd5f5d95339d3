/*
 * fetch - test driver for the source layer: download SOURCE into the file
 * OUT through source_open/submit/poll, with parts in flight as restore
 * keeps them, and print one JSON line of what happened (stats, or the
 * error line). Lets the remote backends be tested without restore.
 *
 *   fetch SOURCE OUT [--connections N] [--part-size BYTES]
 *         [--stall-timeout S] [--max-retries N] [--region R]
 *         [--endpoint-url URL] [--cacert FILE] [--max-rps N]
 *         [--cancel-after-ms MS]
 *
 * Exit 0: OUT holds the object; 2: an error (the line on stderr and in
 * the JSON); 3: cancelled as asked (cancel_latency_ms says how fast).
 */
#include "../../source/source.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t cancel;
static struct timespec cancel_at;

static void on_alarm(int sig)
{
	(void)sig;
	clock_gettime(CLOCK_MONOTONIC, &cancel_at);
	cancel = 1;
}

static double secs_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: fetch SOURCE OUT [--connections N] [--part-size B] "
		"[--stall-timeout S] [--max-retries N] [--region R] "
		"[--endpoint-url U] [--cacert F] [--max-rps N] [--cancel-after-ms MS]\n");
	exit(2);
}

struct run {
	struct source_opts o;
	struct source_info info;
	struct source *s;
	struct source_req *reqs;
	unsigned nreq;
	unsigned long inflight, max_inflight;
	uint64_t parts_done;
	int fd;
};

static unsigned long parse(int argc, char **argv, struct source_opts *o)
{
	unsigned long cancel_ms = 0;

	for (int i = 3; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--connections"))
			o->connections = (unsigned)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--part-size"))
			o->part_bytes = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--stall-timeout"))
			o->stall_timeout_s = (unsigned)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--max-retries"))
			o->max_retries = (unsigned)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--region"))
			o->region = v;
		else if (!strcmp(a, "--endpoint-url"))
			o->endpoint_url = v;
		else if (!strcmp(a, "--cacert"))
			o->cacert = v;
		else if (!strcmp(a, "--max-rps"))
			o->max_rps = (unsigned)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--cancel-after-ms"))
			cancel_ms = strtoul(v, NULL, 0);
		else
			usage();
	}
	return cancel_ms;
}

/*
 * A completed part's buffer is freed at once and the next part gets a
 * new one: under ASan a source that wrote into a buffer after handing
 * its part back would be caught (the contract says it never does).
 */
static int take(struct run *r, struct source_req *q)
{
	if (q->res < 0)
		return (int)q->res;
	if (pwrite(r->fd, q->buf, (size_t)q->res, (off_t)q->offset) != q->res)
		return -EIO;
	free(q->buf);
	q->buf = NULL;
	q->len = 0;
	r->parts_done++;
	return 0;
}

/* Keep up to nreq parts asked for, in ascending order, until all came. */
static int download(struct run *r)
{
	struct source_req *done[64];
	uint64_t next = 0, parts;
	int ret = 0;

	parts = (r->info.size_bytes + r->o.part_bytes - 1) / r->o.part_bytes;
	if (ftruncate(r->fd, (off_t)r->info.size_bytes))
		return -errno;
	while (r->parts_done < parts) {
		int n;

		for (unsigned i = 0; i < r->nreq && next < parts; i++) {
			struct source_req *q = &r->reqs[i];

			if (q->len)
				continue;
			if (!q->buf && !(q->buf = malloc(r->o.part_bytes)))
				return -ENOMEM;
			q->offset = next * r->o.part_bytes;
			q->len = r->o.part_bytes;
			ret = source_submit(r->s, q);
			if (ret == -EBUSY) {
				q->len = 0;
				break;
			}
			if (ret)
				return ret;
			next++;
			if (++r->inflight > r->max_inflight)
				r->max_inflight = r->inflight;
		}
		n = source_poll(r->s, 1000, done, 64);
		if (n < 0)
			return n;
		for (int k = 0; k < n; k++) {
			r->inflight--;
			ret = take(r, done[k]);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static void report(const struct run *r, int ret, const char *why,
		   const struct timespec *t0)
{
	json_t *j = json_pack("{s:s, s:i}", "result",
			      !ret ? "ok" : ret == -ECANCELED ? "cancelled" : "error",
			      "errno", -ret);

	if (ret)
		json_object_set_new(j, "error", json_string(why));
	if (ret == -ECANCELED)
		json_object_set_new(j, "cancel_latency_ms",
				    json_real(secs_since(&cancel_at) * 1000));
	if (r->s) {
		const struct source_stats *st = &r->s->stats;

		json_object_set_new(j, "kind", json_string(r->info.kind_name));
		json_object_set_new(j, "display", json_string(r->info.display));
		json_object_set_new(j, "size_bytes", json_integer((json_int_t)r->info.size_bytes));
		json_object_set_new(j, "etag", json_string(r->info.etag));
		json_object_set_new(j, "parts", json_integer((json_int_t)r->parts_done));
		json_object_set_new(j, "max_in_flight", json_integer((json_int_t)r->max_inflight));
		json_object_set_new(j, "requests", json_integer((json_int_t)st->requests));
		json_object_set_new(j, "retries", json_integer((json_int_t)st->retries));
		json_object_set_new(j, "bytes_received", json_integer((json_int_t)st->bytes_received));
		json_object_set_new(j, "connections_opened",
				    json_integer((json_int_t)st->connections_opened));
	}
	json_object_set_new(j, "elapsed_s", json_real(secs_since(t0)));
	json_dumpf(j, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(j);
}

int main(int argc, char **argv)
{
	struct run r = { .o = SOURCE_OPTS_DEFAULT };
	struct timespec t0;
	unsigned long cancel_ms;
	char why[1024] = "";
	int ret;

	if (argc < 3)
		usage();
	cancel_ms = parse(argc, argv, &r.o);
	r.o.cancel = &cancel;
	if (cancel_ms) {
		struct itimerval it = { { 0, 0 },
					{ (time_t)(cancel_ms / 1000),
					  (suseconds_t)(cancel_ms % 1000) * 1000 } };

		signal(SIGALRM, on_alarm);
		setitimer(ITIMER_REAL, &it, NULL);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r.fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (r.fd < 0) {
		perror(argv[2]);
		return 2;
	}
	r.nreq = 2 * r.o.connections;
	r.reqs = calloc(r.nreq, sizeof(*r.reqs));
	ret = r.reqs ? source_open(&r.s, argv[1], &r.o, &r.info, why, sizeof(why))
		     : -ENOMEM;
	if (!ret)
		ret = download(&r);
	if (ret && r.s)
		snprintf(why, sizeof(why), "%s", source_error(r.s));
	report(&r, ret, why, &t0);
	if (ret)
		fprintf(stderr, "fetch: %s\n", why);
	source_close(r.s);	/* parts still out are dropped: then free */
	for (unsigned i = 0; r.reqs && i < r.nreq; i++)
		free(r.reqs[i].buf);
	free(r.reqs);
	close(r.fd);
	return !ret ? 0 : ret == -ECANCELED ? 3 : 2;
}
