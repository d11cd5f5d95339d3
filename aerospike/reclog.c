/*
 * reclog.c - the digest index in logged use (see recindex.h): records
 * appended to bucketed logs as they are read, settled bucket by bucket
 * through a small tagged table at each device's end, and the census of
 * the objects kept.
 */
#include "recindex_priv.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

/*
 * Logged use. A bucket's log is a list of chunks of slots, each twice
 * the last up to CHUNK_MAX, so a small namespace holds little and a
 * large one wastes at most a chunk a bucket (never touched: not
 * resident). Its objects are packed into chunks too: settling writes
 * them back into the chunks the bucket's objects and log held (there
 * are never more objects than those held), so memory is only given
 * back, never asked for, and the heap does not fragment.
 */
#define CHUNK_MIN	8u
#define CHUNK_MAX	4096u
#define SETTLE_MIN_BITS	4u

struct as_recchunk {
	struct as_recchunk *next;
	uint32_t n, cap;
	unsigned char e[];	/* cap slots */
};

struct as_recbucket {
	unsigned char *at, *end;	/* free slots of the log's tail */
	struct as_recchunk *head, *tail;	/* the log */
	struct as_recchunk *obj;		/* the objects */
};

static uint64_t chunk_bytes(uint32_t cap)
{
	return sizeof(struct as_recchunk) + (uint64_t)cap * AS_RECINDEX_SLOT_BYTES;
}

static void chunks_free(struct as_recindex *x, struct as_recchunk *c)
{
	for (struct as_recchunk *next; c; c = next) {
		next = c->next;
		x->held_bytes -= chunk_bytes(c->cap);
		free(c);
	}
}

void as_reclog_free(struct as_recindex *x)
{
	if (!x->buckets)
		return;
	for (unsigned k = 0; k < AS_RECINDEX_BUCKETS; k++) {
		chunks_free(x, x->buckets[k].head);
		chunks_free(x, x->buckets[k].obj);
	}
	free(x->buckets);
	x->buckets = NULL;
}

/* Note n more bytes held, within the cap. */
static int hold(struct as_recindex *x, uint64_t n)
{
	if (x->cap_bytes && x->held_bytes + n > x->cap_bytes)
		return -ENOBUFS;
	x->held_bytes += n;
	if (x->held_bytes > x->peak_bytes)
		x->peak_bytes = x->held_bytes;
	return 0;
}

static int log_chunk(struct as_recindex *x, struct as_recbucket *b)
{
	uint32_t cap = b->tail ? b->tail->cap * 2 : CHUNK_MIN;
	struct as_recchunk *c;
	int ret;

	if (cap > CHUNK_MAX)
		cap = CHUNK_MAX;
	ret = hold(x, chunk_bytes(cap));
	if (ret < 0)
		return ret;
	c = malloc(chunk_bytes(cap));
	if (!c) {
		x->held_bytes -= chunk_bytes(cap);
		return -ENOMEM;
	}
	c->next = NULL;
	c->n = 0;
	c->cap = cap;
	if (b->tail) {
		b->tail->n = b->tail->cap;
		b->tail->next = c;
	} else {
		b->head = c;
	}
	b->tail = c;
	b->at = c->e;
	b->end = c->e + (size_t)cap * AS_RECINDEX_SLOT_BYTES;
	return 0;
}

int as_recindex_log(struct as_recindex *x, const unsigned char *digest,
		    const struct as_recver *v)
{
	const unsigned char *key = digest + S_DIGEST_FROM;
	struct as_recbucket *b;
	int ret;

	if (v->generation == 0 || x->sealed)
		return -EINVAL;
	if (!x->buckets) {
		x->buckets = calloc(AS_RECINDEX_BUCKETS, sizeof(*x->buckets));
		if (!x->buckets)
			return -ENOMEM;
	}
	b = &x->buckets[key_hash(key) >> (64 - AS_RECINDEX_BUCKET_BITS)];
	if (b->at == b->end) {
		ret = log_chunk(x, b);
		if (ret < 0)
			return ret;
	}
	slot_set(b->at, key, v);
	b->at += AS_RECINDEX_SLOT_BYTES;
	x->pending++;
	return 0;
}

/*
 * An empty table of at least 4/3 n slots for one bucket, and its tags (2
 * bytes a slot, after the slots); the mapping is kept from bucket to
 * bucket and only the tags in use are cleared (a slot whose tag is 0 is
 * empty whatever it holds), so it stays in the cache.
 */
static int settle_table(struct as_recindex *x, uint64_t n)
{
	unsigned bits = SETTLE_MIN_BITS;
	uint64_t bytes;

	while ((1ull << bits) * 3 < n * 4)
		bits++;
	bytes = (1ull << bits) * (AS_RECINDEX_SLOT_BYTES + sizeof(uint16_t));
	if (bytes > x->table_bytes) {
		unsigned char *slots = as_recindex_table_alloc(bytes);

		if (!slots)
			return -ENOMEM;
		as_recindex_table_free(x->slots, x->table_bytes);
		x->slots = slots;
		x->table_bytes = bytes;
	}
	x->skip = AS_RECINDEX_BUCKET_BITS;
	x->bits = bits;
	x->nslots = 1ull << bits;
	x->tags = (uint16_t *)(void *)(x->slots + x->nslots *
				       AS_RECINDEX_SLOT_BYTES);
	memset(x->tags, 0, x->nslots * sizeof(uint16_t));
	x->table_used = 0;
	return 0;
}

/*
 * A key's tag: 15 bits of its hash that the home slot does not use
 * (bits 16-30 of the product), never 0. Probing compares tags, 2 bytes a
 * slot (64 KiB for 32K slots: in the first-level cache), and reads a
 * slot's 24 bytes only when its tag matches.
 */
static uint16_t key_tag(const unsigned char *key)
{
	return (uint16_t)(key_hash(key) >> 16) | 1u;
}

/* The slot index holding key, or of the empty slot where it would go. */
static uint64_t tag_probe(const struct as_recindex *x, const unsigned char *key,
			  uint16_t tag)
{
	uint64_t mask = x->nslots - 1, i = home_key(x, key, x->bits);

	for (;; i = (i + 1) & mask) {
		uint16_t t = x->tags[i];

		if (!t)
			return i;
		if (t == tag && slot_is(x->slots + i * AS_RECINDEX_SLOT_BYTES,
					key))
			return i;
	}
}

/* drop_slot for the tagged table: later members of the run shift back. */
static void tag_drop(struct as_recindex *x, uint64_t i)
{
	uint64_t mask = x->nslots - 1, j;

	for (j = (i + 1) & mask; x->tags[j]; j = (j + 1) & mask) {
		unsigned char *t = x->slots + j * AS_RECINDEX_SLOT_BYTES;
		uint64_t h = home_key(x, t + S_DIGEST, x->bits);

		/* j may move to i when its home is not in (i, j]. */
		if ((j > i && (h <= i || h > j)) || (j < i && h <= i && h > j)) {
			memcpy(x->slots + i * AS_RECINDEX_SLOT_BYTES, t,
			       AS_RECINDEX_SLOT_BYTES);
			x->tags[i] = x->tags[j];
			i = j;
		}
	}
	x->tags[i] = 0;
	x->table_used--;
}

/*
 * Checks 9-12 (as table_add) for a log entry e (a slot's 24 bytes)
 * against the tagged table. With sets (not NULL), the table's objects by
 * set id are kept current: one object more or less, or one moved from
 * the old version's set to the new one's.
 */
static int tag_add(struct as_recindex *x, const unsigned char *e,
		   int64_t now_cl, uint64_t evict_void_time,
		   const bool *no_evict, uint64_t *sets)
{
	uint16_t tag = key_tag(e + S_DIGEST);
	uint64_t i = tag_probe(x, e + S_DIGEST, tag);
	unsigned char *s = x->slots + i * AS_RECINDEX_SLOT_BYTES;
	bool exists = x->tags[i] != 0;
	struct as_recver v;

	slot_get(e, &v);
	if (no_evict && no_evict[v.set_id])
		evict_void_time = 0;
	if (exists) {
		struct as_recver old;

		slot_get(s, &old);
		if (as_recver_prefer_existing(&old, &v))	/* 9 */
			return AS_OUT_OLDER;
	}
	if (v.void_time && now_cl > (int64_t)v.void_time) {	/* 10 */
		if (exists) {
			if (sets)
				sets[s[S_SET]]--;
			tag_drop(x, i);
		}
		return AS_OUT_EXPIRED;
	}
	if (v.void_time && evict_void_time > v.void_time) {	/* 11 */
		if (exists) {
			if (sets)
				sets[s[S_SET]]--;
			tag_drop(x, i);
		}
		return AS_OUT_EVICTED;
	}
	if (sets) {
		if (exists)
			sets[s[S_SET]]--;
		sets[e[S_SET]]++;
	}
	memcpy(s, e, AS_RECINDEX_SLOT_BYTES);			/* 12 */
	if (exists)
		return AS_OUT_REPLACED;
	x->tags[i] = tag;
	x->table_used++;
	return AS_OUT_UNIQUE;
}

/*
 * Load a list of chunks' slots (distinct keys) into the table; with sets
 * (not NULL), count them by set id.
 */
static void settle_load(struct as_recindex *x, const struct as_recchunk *c,
			uint64_t *sets)
{
	uint64_t mask = x->nslots - 1;

	for (; c; c = c->next) {
		for (uint32_t k = 0; k < c->n; k++) {
			const unsigned char *o = c->e + (size_t)k *
						 AS_RECINDEX_SLOT_BYTES;
			uint64_t i = home_key(x, o + S_DIGEST, x->bits);

			while (x->tags[i])
				i = (i + 1) & mask;
			memcpy(x->slots + i * AS_RECINDEX_SLOT_BYTES, o,
			       AS_RECINDEX_SLOT_BYTES);
			x->tags[i] = key_tag(o + S_DIGEST);
			x->table_used++;
			if (sets)
				sets[o[S_SET]]++;
		}
	}
}

static void census_slot(const unsigned char *s, uint64_t ns_lut,
			const uint64_t set_lut[256], struct as_census *c);

/*
 * The table's entries into the chunks of list (enough of them); those
 * left over are freed. Returns the list of chunks holding them.
 */
static struct as_recchunk *settle_store(struct as_recindex *x,
					struct as_recchunk *list)
{
	struct as_recchunk *c = list, *last = NULL;

	if (c)
		c->n = 0;
	for (uint64_t i = 0; i < x->nslots; i++) {
		const unsigned char *s = x->slots + i * AS_RECINDEX_SLOT_BYTES;

		if (!x->tags[i])
			continue;
		if (c->n == c->cap) {
			c = c->next;
			c->n = 0;
		}
		memcpy(c->e + (size_t)c->n++ * AS_RECINDEX_SLOT_BYTES, s,
		       AS_RECINDEX_SLOT_BYTES);
		x->set_objects[s[S_SET]]++;
		if (x->census_on)
			census_slot(s, x->census_ns_lut, x->census_set_lut,
				    &x->census);
		last = c;
	}
	if (!last) {
		chunks_free(x, list);
		return NULL;
	}
	chunks_free(x, last->next);
	last->next = NULL;
	return list;
}

/*
 * The last settle: the table's entries counted, not written back (half
 * the memory traffic of settling), and the chunks of list freed here, on
 * the settling threads, rather than all on one at the end. With no
 * census to count, the objects by set were kept current as the table
 * was filled (settle_bucket), and the table is not passed again.
 */
static void settle_count(struct as_recindex *x, struct as_recchunk *list)
{
	if (!x->census_on) {
		chunks_free(x, list);
		return;
	}
	for (uint64_t i = 0; i < x->nslots; i++) {
		const unsigned char *s = x->slots + i * AS_RECINDEX_SLOT_BYTES;

		if (!x->tags[i])
			continue;
		x->set_objects[s[S_SET]]++;
		if (x->census_on)
			census_slot(s, x->census_ns_lut, x->census_set_lut,
				    &x->census);
	}
	chunks_free(x, list);
}

/* One bucket: its objects, then its log in order, through the table. */
static int settle_bucket(struct as_recindex *x, struct as_recbucket *b,
			 int64_t now_cl, uint64_t evict_void_time,
			 const bool *no_evict, uint64_t out[5])
{
	/* The last settle without a census counts the sets on the way. */
	uint64_t *sets = x->last_settle && !x->census_on ? x->set_objects
							 : NULL;
	struct as_recchunk *all;
	uint64_t n = 0;
	int ret;

	if (b->tail)	/* a full chunk's n is set as the next one starts */
		b->tail->n = (uint32_t)((size_t)(b->at - b->tail->e) /
					AS_RECINDEX_SLOT_BYTES);
	for (const struct as_recchunk *c = b->obj; c; c = c->next)
		n += c->n;
	for (const struct as_recchunk *c = b->head; c; c = c->next)
		n += c->n;
	if (!n)
		return 0;
	ret = settle_table(x, n);
	if (ret < 0)
		return ret;
	settle_load(x, b->obj, sets);
	for (const struct as_recchunk *c = b->head; c; c = c->next)
		for (uint32_t i = 0; i < c->n; i++)
			out[tag_add(x, c->e + (size_t)i *
				    AS_RECINDEX_SLOT_BYTES, now_cl,
				    evict_void_time, no_evict, sets)]++;
	/* The objects' chunks, then the log's. */
	all = b->obj;
	if (all) {
		struct as_recchunk *c = all;

		while (c->next)
			c = c->next;
		c->next = b->head;
	} else {
		all = b->head;
	}
	b->head = b->tail = NULL;
	b->at = b->end = NULL;
	if (x->last_settle) {
		settle_count(x, all);
		b->obj = NULL;
	} else {
		b->obj = settle_store(x, all);
	}
	x->used += x->table_used;
	return 0;
}

/*
 * Settling runs on a thread for each CPU this process may use (at least
 * two, at most SETTLE_THREADS), each over its share of the buckets with
 * a table and figures of its own (a struct as_recindex used as scratch:
 * its held_bytes goes below 0 modulo 2^64 as chunks are freed), summed
 * when all are done. Buckets share nothing.
 */
#define SETTLE_THREADS	16u

struct settle_job {
	struct as_recindex *x, t;
	unsigned first, step;	/* buckets first, first + step, ... */
	int64_t now_cl;
	uint64_t evict_void_time;
	const bool *no_evict;
	uint64_t out[5];
	int ret;
};

static void *settle_share(void *arg)
{
	struct settle_job *j = arg;

	for (unsigned k = j->first; k < AS_RECINDEX_BUCKETS && !j->ret;
	     k += j->step)
		j->ret = settle_bucket(&j->t, &j->x->buckets[k], j->now_cl,
				       j->evict_void_time, j->no_evict, j->out);
	return NULL;
}

/* The CPUs this process may run on, within 2..SETTLE_THREADS. */
static unsigned settle_threads(void)
{
	cpu_set_t set;
	int n = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set)
								: 2;

	return n < 2 ? 2 : n > (int)SETTLE_THREADS ? SETTLE_THREADS
						    : (unsigned)n;
}

int as_recindex_settle(struct as_recindex *x, int64_t now_cl,
		       uint64_t evict_void_time, const bool no_evict[256],
		       uint64_t out[5])
{
	struct settle_job *j;	/* 15 KiB each: not on the stack */
	bool threaded[SETTLE_THREADS] = { false };
	pthread_t th[SETTLE_THREADS];
	unsigned nj = settle_threads();
	uint64_t tables = 0;
	int ret = 0;

	if (x->sealed)
		return -EINVAL;
	if (!x->buckets) {
		x->sealed = x->last_settle;
		return 0;
	}
	j = calloc(nj, sizeof(*j));
	if (!j)
		return -ENOMEM;
	for (unsigned i = 0; i < nj; i++) {
		j[i].x = x;
		j[i].first = i;
		j[i].step = nj;
		j[i].now_cl = now_cl;
		j[i].evict_void_time = evict_void_time;
		j[i].no_evict = no_evict;
		j[i].t.last_settle = x->last_settle;
		j[i].t.census_on = x->census_on;
		j[i].t.census_ns_lut = x->census_ns_lut;
		memcpy(j[i].t.census_set_lut, x->census_set_lut,
		       sizeof(x->census_set_lut));
	}
	for (unsigned i = 1; i < nj; i++)
		threaded[i] = pthread_create(&th[i], NULL, settle_share,
					     &j[i]) == 0;
	settle_share(&j[0]);
	for (unsigned i = 1; i < nj; i++) {	/* one not started: here */
		if (threaded[i])
			pthread_join(th[i], NULL);
		else
			settle_share(&j[i]);
	}
	x->used = 0;
	memset(x->set_objects, 0, sizeof(x->set_objects));
	memset(&x->census, 0, sizeof(x->census));
	for (unsigned i = 0; i < nj; i++) {
		const struct as_census *tc = &j[i].t.census;

		for (unsigned k = 0; k < 5; k++)
			out[k] += j[i].out[k];
		for (unsigned k = 0; k < 256; k++) {
			x->set_objects[k] += j[i].t.set_objects[k];
			x->census.objects[k] += tc->objects[k];
			x->census.back[k] += tc->back[k];
			x->census.back_ns[k] += tc->back_ns[k];
			x->census.back_set[k] += tc->back_set[k];
		}
		x->used += j[i].t.used;
		tables += j[i].t.table_bytes;
		if (x->held_bytes + tables > x->peak_bytes)
			x->peak_bytes = x->held_bytes + tables;
		x->held_bytes += j[i].t.held_bytes;
		as_recindex_table_free(j[i].t.slots, j[i].t.table_bytes);
		if (j[i].ret && !ret)
			ret = j[i].ret;
	}
	free(j);
	x->pending = 0;
	x->sealed = x->last_settle;
	return ret;
}

/* Is a record of last-update-time lut gone after a truncation at thr? */
static bool truncated(uint64_t lut, uint64_t thr)
{
	return lut < thr;
}

static void census_slot(const unsigned char *s, uint64_t ns_lut,
			const uint64_t set_lut[256], struct as_census *c)
{
	struct as_recver v;
	bool by_ns, by_set;

	slot_get(s, &v);
	by_ns = truncated(v.lut, ns_lut);
	by_set = truncated(v.lut, set_lut[v.set_id]);
	c->objects[v.set_id]++;
	c->back[v.set_id] += by_ns || by_set;
	c->back_ns[v.set_id] += by_ns;
	c->back_set[v.set_id] += by_set;
}

void as_recindex_census_rules(struct as_recindex *x, uint64_t ns_lut,
			      const uint64_t set_lut[256])
{
	bool any = ns_lut != 0;

	for (unsigned k = 0; k < 256 && !any; k++)
		any = set_lut[k] != 0;
	/* No threshold: nothing comes back, the objects are set_objects. */
	x->census_on = any;
	x->census_ns_lut = ns_lut;
	memcpy(x->census_set_lut, set_lut, sizeof(x->census_set_lut));
}

/*
 * As counted while settling, for those thresholds; else over the objects:
 * the settled buckets' (logged use), or the table's.
 */
void as_recindex_census(const struct as_recindex *x, uint64_t ns_lut,
			const uint64_t set_lut[256], struct as_census *c)
{
	bool any = ns_lut != 0;

	for (unsigned k = 0; k < 256 && !any; k++)
		any = set_lut[k] != 0;
	if (x->buckets && !any) {
		memset(c, 0, sizeof(*c));
		memcpy(c->objects, x->set_objects, sizeof(c->objects));
		return;
	}
	if (x->buckets && x->census_on && ns_lut == x->census_ns_lut &&
	    !memcmp(set_lut, x->census_set_lut, sizeof(x->census_set_lut))) {
		*c = x->census;
		return;
	}
	memset(c, 0, sizeof(*c));
	if (x->buckets) {
		for (unsigned k = 0; k < AS_RECINDEX_BUCKETS; k++)
			for (const struct as_recchunk *ch = x->buckets[k].obj;
			     ch; ch = ch->next)
				for (uint32_t i = 0; i < ch->n; i++)
					census_slot(ch->e + (size_t)i *
						    AS_RECINDEX_SLOT_BYTES,
						    ns_lut, set_lut, c);
		return;
	}
	for (uint64_t i = 0; i < x->nslots; i++) {
		const unsigned char *s = x->slots + i * AS_RECINDEX_SLOT_BYTES;

		if (!slot_empty(s))
			census_slot(s, ns_lut, set_lut, c);
	}
}
