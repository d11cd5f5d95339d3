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

int main(int argc, char **argv)
{
	struct source_opts o = SOURCE_OPTS_DEFAULT;
	struct source_info info;
	struct source *s = NULL;
	struct source_req *reqs, *done[64];
	struct timespec t0;
	unsigned long cancel_ms = 0, inflight = 0, max_inflight = 0;
	uint64_t next = 0, parts = 0, parts_done = 0;
	const char *spec, *out;
	char why[1024] = "";
	json_t *j;
	int fd, ret = 0, rc = 0;
	unsigned nreq;

	if (argc < 3)
		usage();
	spec = argv[1];
	out = argv[2];
	for (int i = 3; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--connections"))
			o.connections = (unsigned)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--part-size"))
			o.part_bytes = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--stall-timeout"))
			o.stall_timeout_s = (unsigned)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--max-retries"))
			o.max_retries = (unsigned)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--region"))
			o.region = v;
		else if (!strcmp(a, "--endpoint-url"))
			o.endpoint_url = v;
		else if (!strcmp(a, "--cacert"))
			o.cacert = v;
		else if (!strcmp(a, "--max-rps"))
			o.max_rps = (unsigned)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--cancel-after-ms"))
			cancel_ms = strtoul(v, NULL, 0);
		else
			usage();
	}
	o.cancel = &cancel;
	if (cancel_ms) {
		struct itimerval it = { { 0, 0 },
					{ (time_t)(cancel_ms / 1000),
					  (suseconds_t)(cancel_ms % 1000) * 1000 } };

		signal(SIGALRM, on_alarm);
		setitimer(ITIMER_REAL, &it, NULL);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(out);
		return 2;
	}
	ret = source_open(&s, spec, &o, &info, why, sizeof(why));
	nreq = 2 * o.connections;
	reqs = calloc(nreq, sizeof(*reqs));
	for (unsigned i = 0; !ret && i < nreq; i++) {
		reqs[i].buf = malloc(o.part_bytes);
		reqs[i].len = 0;	/* free */
		if (!reqs[i].buf)
			ret = -ENOMEM;
	}
	if (!ret) {
		parts = (info.size_bytes + o.part_bytes - 1) / o.part_bytes;
		if (ftruncate(fd, (off_t)info.size_bytes))
			ret = -errno;
	}
	while (!ret && parts_done < parts) {
		int n;

		for (unsigned i = 0; i < nreq && next < parts; i++) {
			if (reqs[i].len)
				continue;
			reqs[i].offset = next * o.part_bytes;
			reqs[i].len = o.part_bytes;
			ret = source_submit(s, &reqs[i]);
			if (ret == -EBUSY) {
				reqs[i].len = 0;
				ret = 0;
				break;
			}
			if (ret)
				break;
			next++;
			if (++inflight > max_inflight)
				max_inflight = inflight;
		}
		if (ret)
			break;
		n = source_poll(s, 1000, done, 64);
		if (n < 0) {
			ret = n;
			break;
		}
		for (int k = 0; k < n; k++) {
			struct source_req *r = done[k];

			inflight--;
			if (r->res < 0) {
				ret = (int)r->res;
				break;
			}
			if (pwrite(fd, r->buf, (size_t)r->res, (off_t)r->offset) !=
			    r->res) {
				ret = -EIO;
				break;
			}
			r->len = 0;
			parts_done++;
		}
	}
	if (ret && s)
		snprintf(why, sizeof(why), "%s", source_error(s));
	j = json_pack("{s:s, s:i}", "result",
		      !ret ? "ok" : ret == -ECANCELED ? "cancelled" : "error",
		      "errno", -ret);
	if (ret)
		json_object_set_new(j, "error", json_string(why));
	if (ret == -ECANCELED)
		json_object_set_new(j, "cancel_latency_ms",
				    json_real(secs_since(&cancel_at) * 1000));
	if (s) {
		json_object_set_new(j, "kind", json_string(info.kind_name));
		json_object_set_new(j, "display", json_string(info.display));
		json_object_set_new(j, "size_bytes", json_integer((json_int_t)info.size_bytes));
		json_object_set_new(j, "etag", json_string(info.etag));
		json_object_set_new(j, "parts", json_integer((json_int_t)parts_done));
		json_object_set_new(j, "max_in_flight", json_integer((json_int_t)max_inflight));
		json_object_set_new(j, "requests", json_integer((json_int_t)s->stats.requests));
		json_object_set_new(j, "retries", json_integer((json_int_t)s->stats.retries));
		json_object_set_new(j, "bytes_received",
				    json_integer((json_int_t)s->stats.bytes_received));
		json_object_set_new(j, "connections_opened",
				    json_integer((json_int_t)s->stats.connections_opened));
	}
	json_object_set_new(j, "elapsed_s", json_real(secs_since(&t0)));
	json_dumpf(j, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(j);
	if (ret) {
		fprintf(stderr, "fetch: %s\n", why);
		rc = ret == -ECANCELED ? 3 : 2;
	}
	source_close(s);
	for (unsigned i = 0; reqs && i < nreq; i++)
		free(reqs[i].buf);
	free(reqs);
	close(fd);
	return rc;
}
