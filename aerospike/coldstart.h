/*
 * coldstart.h - what asd will do with a local/shadow pair at cold start,
 * predicted from the headers and the shadow's write-blocks, following
 * the server's own checks (ssd_read_header, ssd_init_synchronous and
 * ssd_cold_start_sweep in CE 6.4-8.1).
 */
#ifndef SHADOWSYNC_COLDSTART_H
#define SHADOWSYNC_COLDSTART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerohdr.h"

struct as_server {
	unsigned major, minor;
	uint32_t wblock_bytes;	/* write-block size the server runs with;
				 * 0: unknown (before 7.1, no conf) */
};

/*
 * as_server_parse() - "8.1", "6.0", "7.0.0.5" into srv, with the
 * write-block size the server uses: 8 MiB from 7.1, else conf_wbs (the
 * conf's write-block-size, or 0 when there is no conf to tell).
 * Returns 0 or -EINVAL.
 */
int as_server_parse(const char *s, uint32_t conf_wbs, struct as_server *srv);

/*
 * The write-block size asd will run with for this shadow: the server's,
 * or when unknown, the shadow header's own (the conf is assumed to
 * match the device), else 1 MiB.
 */
uint32_t as_server_wblock(const struct as_server *srv,
			  const struct as_header *shadow);

/* Is srv at least major.minor? */
bool as_server_at_least(const struct as_server *srv, unsigned major,
			unsigned minor);

/*
 * The cold-start sweep replayed over a device's bytes as they stream by:
 * from 8 MiB, write-block by write-block, until 10 consecutive unused
 * ones or the end of the usable size. A write-block is used when a record
 * magic sits at its offset 0.
 */
struct as_sweep {
	uint32_t wblock_bytes;
	uint64_t end;		/* usable size: header + whole write-blocks */
	uint64_t next;		/* offset of the next write-block to look at */
	unsigned unused_run;
	bool stopped;
	uint64_t swept;		/* write-blocks asd reads (and copies) */
	uint64_t used;		/* of those, used */
};

void as_sweep_init(struct as_sweep *s, uint32_t wblock_bytes,
		   uint64_t device_bytes);

/* Feed [offset, offset + len) of the device, in ascending order; p NULL:
 * those bytes are zeros (a hole). */
void as_sweep_feed(struct as_sweep *s, uint64_t offset, const unsigned char *p,
		   size_t len);

/* Did the sweep see everything it needed (stopped, or reached the end)? */
bool as_sweep_complete(const struct as_sweep *s);

enum cs_verdict {
	CS_NONE,		/* not an Aerospike pair: no prediction */
	CS_LOAD_LOCAL,
	CS_COPY_FROM_SHADOW,
	CS_REINIT_FROM_SHADOW,
	CS_CRASH,
};

const char *cs_verdict_name(enum cs_verdict v);

struct cs_pair {
	const char *local_path;
	const char *shadow_path;
	const struct as_header *local;
	const struct as_header *shadow;
	const unsigned char *local_raw;		/* AS_HEADER_STRUCT_BYTES */
	const unsigned char *shadow_raw;
	uint64_t device_bytes;			/* local's size */
	const char *config_namespace;		/* NULL without a conf */
};

struct cs_result {
	enum cs_verdict verdict;
	char reason[320];	/* why, for a person */
	char message[320];	/* crash: asd's own words */
	const char *device;	/* crash: the device asd names */
};

/* Decide the verdict for one pair from its headers alone. */
void cs_decide(const struct as_server *srv, const struct cs_pair *p,
	       struct cs_result *r);

/*
 * cs_check_set() - asd's drive-set check over the pairs of one namespace
 * (in conf order): every non-fresh shadow must share random and
 * n_devices. Returns the index of the pair that breaks it, with *r filled
 * (crash, naming the local devices as asd does), or -1.
 */
long cs_check_set(const struct cs_pair *pairs, size_t n, const char *ns,
		  struct cs_result *r);

#endif
