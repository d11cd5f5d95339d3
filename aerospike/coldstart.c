/*
 * coldstart.c - the cold-start verdict. The order of the checks is the
 * server's: the first one asd would crash on is the one reported.
 */
#include "coldstart.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int as_server_parse(const char *s, uint32_t conf_wbs, struct as_server *srv)
{
	char *end;
	unsigned long major, minor = 0;

	major = strtoul(s, &end, 10);
	if (end == s || major == 0 || major > 99)
		return -EINVAL;
	if (*end == '.') {
		const char *m = end + 1;

		minor = strtoul(m, &end, 10);
		if (end == m || minor > 99)
			return -EINVAL;
	}
	/* Patch and build numbers do not change cold start: ignore them. */
	while (*end == '.' || (*end >= '0' && *end <= '9'))
		end++;
	if (*end)
		return -EINVAL;
	srv->major = (unsigned)major;
	srv->minor = (unsigned)minor;
	srv->wblock_bytes = as_server_at_least(srv, 7, 1) ? 8u << 20 : conf_wbs;
	return 0;
}

uint32_t as_server_wblock(const struct as_server *srv,
			  const struct as_header *shadow)
{
	if (srv->wblock_bytes)
		return srv->wblock_bytes;
	if (shadow->state == AS_STATE_AEROSPIKE && shadow->write_block_size)
		return shadow->write_block_size;
	return 1u << 20;
}

bool as_server_at_least(const struct as_server *srv, unsigned major,
			unsigned minor)
{
	return srv->major > major ||
	       (srv->major == major && srv->minor >= minor);
}

void as_sweep_init(struct as_sweep *s, uint32_t wblock_bytes,
		   uint64_t device_bytes)
{
	memset(s, 0, sizeof(*s));
	s->wblock_bytes = wblock_bytes;
	s->next = AS_HEADER_REGION_BYTES;
	/* asd rounds the usable size down to header + whole write-blocks. */
	s->end = device_bytes > AS_HEADER_REGION_BYTES
			 ? device_bytes - (device_bytes - AS_HEADER_REGION_BYTES) %
						  wblock_bytes
			 : AS_HEADER_REGION_BYTES;
	s->stopped = s->next >= s->end;
}

void as_sweep_feed(struct as_sweep *s, uint64_t offset, const unsigned char *p,
		   size_t len)
{
	while (!s->stopped && s->next >= offset && s->next + 4 <= offset + len) {
		s->swept++;
		if (p && as_wblock_used(p + (s->next - offset))) {
			s->used++;
			s->unused_run = 0;
		} else {
			s->unused_run++;
		}
		s->next += s->wblock_bytes;
		if (s->unused_run >= 10 || s->next >= s->end)
			s->stopped = true;
	}
}

bool as_sweep_complete(const struct as_sweep *s)
{
	return s->stopped;
}

const char *cs_verdict_name(enum cs_verdict v)
{
	switch (v) {
	case CS_LOAD_LOCAL:
		return "load-local";
	case CS_COPY_FROM_SHADOW:
		return "copy-from-shadow";
	case CS_REINIT_FROM_SHADOW:
		return "reinit-from-shadow";
	case CS_CRASH:
		return "crash";
	default:
		return "none";
	}
}

static void crash(struct cs_result *r, const char *device, const char *fmt,
		  ...) __attribute__((format(printf, 3, 4)));

static void crash(struct cs_result *r, const char *device, const char *fmt,
		  ...)
{
	va_list ap;

	r->verdict = CS_CRASH;
	r->device = device;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
	snprintf(r->reason, sizeof(r->reason),
		 "asd will stop at startup before writing anything");
}

/* The per-device checks of ssd_read_header, on the shadow's header. */
static bool header_crashes(const struct as_server *srv, const struct cs_pair *p,
			   struct cs_result *r)
{
	const struct as_header *h = p->shadow;
	const char *dev = p->shadow_path;
	unsigned want = as_server_at_least(srv, 6, 0) ? 4 :
			as_server_at_least(srv, 4, 2) ? 3 : 2;

	if (h->format != want) {
		if (h->format == 3 && want == 4)
			crash(r, dev, "%s: Aerospike device has old format - "
			      "must erase device to upgrade", dev);
		else
			crash(r, dev, "%s: unknown version %u", dev, h->format);
		return true;
	}
	if (p->config_namespace && strcmp(h->namespace, p->config_namespace)) {
		crash(r, dev, "%s: previous namespace %s now %s - check config "
		      "or erase device", dev, h->namespace,
		      p->config_namespace);
		return true;
	}
	if (h->n_devices > AS_MAX_DEVICES) {
		crash(r, dev, "%s: bad n-devices %u", dev, h->n_devices);
		return true;
	}
	if (h->random == 0) {
		crash(r, dev, "%s: random signature is 0", dev);
		return true;
	}
	if (!h->write_block_size ||
	    as_server_wblock(srv, h) % h->write_block_size) {
		crash(r, dev, "%s: can't change write-block-size from %u to %u",
		      dev, h->write_block_size, as_server_wblock(srv, h));
		return true;
	}
	if (h->device_id >= AS_MAX_DEVICES) {
		crash(r, dev, "%s: bad device-id %u", dev, h->device_id);
		return true;
	}
	if (h->pristine_offset &&
	    (h->pristine_offset < AS_HEADER_REGION_BYTES ||
	     h->pristine_offset > p->device_bytes)) {
		crash(r, dev, "%s: bad pristine offset %llu", dev,
		      (unsigned long long)h->pristine_offset);
		return true;
	}
	return false;
}

void cs_decide(const struct as_server *srv, const struct cs_pair *p,
	       struct cs_result *r)
{
	const struct as_header *s = p->shadow, *l = p->local;
	/* Servers before 4.2 know only format 2's magic, later ones only
	 * that of formats 3 and 4. */
	bool old_server = !as_server_at_least(srv, 4, 2);
	bool known_magic = s->state == AS_STATE_AEROSPIKE &&
			   (s->format == 2) == old_server;

	memset(r, 0, sizeof(*r));
	if (!p->config_namespace && s->state != AS_STATE_AEROSPIKE &&
	    l->state != AS_STATE_AEROSPIKE) {
		snprintf(r->reason, sizeof(r->reason),
			 "neither device carries an Aerospike header");
		return;
	}
	/* asd reads only the header struct to tell a fresh device. */
	if (!known_magic && s->struct_zero) {
		r->verdict = CS_REINIT_FROM_SHADOW;
		snprintf(r->reason, sizeof(r->reason),
			 "the shadow's header is all zero (asd: \"device is "
			 "empty\"): new headers on both, the shadow's data "
			 "region swept into local");
		return;
	}
	if (!known_magic) {
		crash(r, p->shadow_path, "%s: not an Aerospike device but not "
		      "erased - check config or erase device", p->shadow_path);
		return;
	}
	if (header_crashes(srv, p, r))
		return;
	r->verdict = CS_COPY_FROM_SHADOW;
	if (!as_server_at_least(srv, 6, 4)) {
		snprintf(r->reason, sizeof(r->reason),
			 "server %u.%u always reads the shadow at cold start",
			 srv->major, srv->minor);
		return;
	}
	if (!(s->flags & AS_FLAG_TRUSTED)) {
		snprintf(r->reason, sizeof(r->reason),
			 "the shadow is not TRUSTED (prior shutdown not clean)");
		return;
	}
	if (l->state != AS_STATE_AEROSPIKE || l->format != s->format ||
	    !as_header_struct_equal(p->local_raw, p->shadow_raw)) {
		snprintf(r->reason, sizeof(r->reason),
			 "the shadow is TRUSTED, the local header differs from "
			 "it");
		return;
	}
	r->verdict = CS_LOAD_LOCAL;
	snprintf(r->reason, sizeof(r->reason),
		 "the shadow is TRUSTED and the local header matches it: asd "
		 "never reads the shadow's data");
}

long cs_check_set(const struct cs_pair *pairs, size_t n, const char *ns,
		  struct cs_result *r)
{
	long first = -1;

	for (size_t i = 0; i < n; i++) {
		const struct as_header *h = pairs[i].shadow;

		if (h->state != AS_STATE_AEROSPIKE || h->random == 0)
			continue;	/* fresh: "device is empty" */
		if (first < 0) {
			first = (long)i;
			continue;
		}
		if (h->random != pairs[first].shadow->random) {
			crash(r, pairs[i].shadow_path, "{%s} drive set with "
			      "unmatched headers - devices %s & %s have "
			      "different signatures", ns,
			      pairs[first].local_path, pairs[i].local_path);
			return (long)i;
		}
		if (h->n_devices != pairs[first].shadow->n_devices) {
			crash(r, pairs[i].shadow_path, "{%s} drive set with "
			      "unmatched headers - devices %s & %s have "
			      "different device counts", ns,
			      pairs[first].local_path, pairs[i].local_path);
			return (long)i;
		}
	}
	return -1;
}
