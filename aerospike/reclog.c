/*
 * reclog.c - the digest index in logged use (see recindex.h): records
 * appended to bucketed logs as they are read, settled bucket by bucket
 * through a small tagged table at each device's end, and the census of
 * the objects kept.
 */
#include "recindex_priv.h"

#include <errno.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * Logged use. A bucket's log is a list of chunks of slots, each twice
 * the last up to CHUNK_MAX, so a small namespace holds little and a
 * large one wastes at most a chunk a bucket. Its objects are chunks
 * too, each slot with its print (key_print) after the slots: settling
 * writes the new objects into the room after the last one and then into
 * the chunks the log held, linked on, and frees the log's chunks left
 * over, so settling never asks for memory. An object dropped later (a
 * newer version expired or evicted) is left in place with generation 0;
 * the objects are read only by settling and the census, which pass over
 * it.
 *
 * Settling a log costs the log, plus 2 bytes an object of the bucket
 * (their prints) and the few objects the prints let through, so it is
 * done in rounds while records are still logged: the round thread
 * settles the logs frozen at the round's start (as_recindex_round_check)
 * while the logging thread starts new ones, and the device's end has
 * only those to settle, and what the round in progress had not reached.
 */
#define CHUNK_MIN	8u
#define CHUNK_MAX	1024u
#define SETTLE_MIN_BITS	4u
#define ROUND_MIN	(1u << 16)	/* records logged before a round */

struct as_recchunk {
	struct as_recchunk *next;
	uint32_t n, cap;
	unsigned char e[];	/* cap slots, then (objects) cap prints */
};

/* An objects' chunk's prints (key_print), after its slots. */
static uint16_t *chunk_prints(const struct as_recchunk *c)
{
	return (uint16_t *)(void *)(c->e + (size_t)c->cap *
				    AS_RECINDEX_SLOT_BYTES);
}

struct as_recbucket {
	unsigned char *at, *end;	/* free slots of the log's tail */
	struct as_recchunk *head, *tail;	/* the log */
	uint32_t next_cap;			/* the log's next chunk */
	struct as_recchunk *frozen;	/* a log handed to a round */
	struct as_recchunk *obj, *obj_tail;	/* the objects */
	uint64_t nobj;				/* in them, dropped ones too */
	uint64_t ndead;				/* the dropped ones */
	/*
	 * Chunks settling gave back, for the log to use again rather than
	 * freed: settling (a round) puts them in given, the logging thread
	 * takes them from spare, and a round's start moves the one list to
	 * the other (no round running). free() on the rounds' thread of
	 * chunks the logging thread's malloc() was carving from the same
	 * heap had both threads on the heap's lock and the heap shrinking
	 * and growing again: 139,000 futex and 80,000 mprotect calls a run.
	 */
	struct as_recchunk *given, *spare;
};

/*
 * The round thread: it settles the frozen logs into the objects while
 * the logging thread goes on with fresh logs. t is its scratch: table,
 * outcome counts, and the changes to used, set_objects and held_bytes,
 * added to the index at the device's end (as_recindex_settle).
 */
struct as_recround {
	struct as_recindex *x;
	struct as_recindex t;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool busy, stop, quit;
	bool idle;		/* rounds at SCHED_IDLE (round_can_idle) */
	int64_t now_cl;
	uint64_t evict_void_time;
	bool no_evict[256];
	uint64_t out[5];
	int ret;
	uint64_t logged, mark;	/* records logged; at the last freeze */
};

static uint64_t chunk_bytes(uint32_t cap)
{
	return sizeof(struct as_recchunk) +
	       (uint64_t)cap * (AS_RECINDEX_SLOT_BYTES + sizeof(uint16_t));
}

/* held_bytes changes on two threads while a round runs. */
static void held_add(struct as_recindex *x, uint64_t n)
{
	__atomic_add_fetch(&x->held_bytes, n, __ATOMIC_RELAXED);
}

/*
 * Chunks are carved from slabs of SLAB_BYTES mapped for the index (by
 * the logging thread only), never freed one by one: what settling gives
 * back goes to the bucket's spares, and the slabs are unmapped when the
 * index is freed. From malloc(), each chunk grew the heap by itself (an
 * mprotect a chunk: 70,000 a run), and free() on other threads had them
 * wait for the heap's lock.
 */
#define SLAB_BYTES	(4u << 20)

struct as_recslab {
	struct as_recslab *next;
	size_t bytes;
};

static void *chunk_carve(struct as_recindex *x, uint64_t bytes)
{
	unsigned char *p;

	bytes = (bytes + 15) & ~(uint64_t)15;
	if ((uint64_t)(x->slab_end - x->slab_at) < bytes) {
		size_t size = SLAB_BYTES;
		struct as_recslab *s;

		if (bytes + 64 > size)
			size = (bytes + 64 + 4095) & ~(size_t)4095;
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
		s = (struct as_recslab *)(void *)p;
		s->next = x->slabs;
		s->bytes = size;
		x->slabs = s;
		x->slab_at = p + 64;
		x->slab_end = p + size;
	}
	p = x->slab_at;
	x->slab_at += bytes;
	return p;
}

static void slabs_free(struct as_recindex *x)
{
	for (struct as_recslab *s = x->slabs, *next; s; s = next) {
		next = s->next;
		munmap(s, s->bytes);
	}
	x->slabs = NULL;
	x->slab_at = x->slab_end = NULL;
}

/* The chunks of list c no longer held (their memory: the slabs'). */
static void chunks_free(struct as_recindex *x, struct as_recchunk *c)
{
	for (; c; c = c->next)
		held_add(x, -chunk_bytes(c->cap));
}

static void rounds_stop(struct as_recindex *x);

/* b's chunks given back (not held) forgotten: the slabs' until freed. */
static void spares_free(struct as_recbucket *b)
{
	b->given = b->spare = NULL;
}

/* The chunks given back to b for its log to use (no round running). */
static void spares_take(struct as_recbucket *b)
{
	while (b->given) {
		struct as_recchunk *c = b->given;

		b->given = c->next;
		c->next = b->spare;
		b->spare = c;
	}
}

/* The chunks of list c given back to b, for its log (not held). */
static void chunks_give(struct as_recindex *x, struct as_recbucket *b,
			struct as_recchunk *c)
{
	for (struct as_recchunk *next; c; c = next) {
		next = c->next;
		held_add(x, -chunk_bytes(c->cap));
		c->next = b->given;
		b->given = c;
	}
}


void as_reclog_free(struct as_recindex *x)
{
	rounds_stop(x);
	if (!x->buckets)
		return;
	for (unsigned k = 0; k < AS_RECINDEX_BUCKETS; k++) {
		chunks_free(x, x->buckets[k].head);
		chunks_free(x, x->buckets[k].frozen);
		chunks_free(x, x->buckets[k].obj);
		spares_free(&x->buckets[k]);
	}
	free(x->buckets);
	x->buckets = NULL;
	slabs_free(x);
}

static int log_chunk(struct as_recindex *x, struct as_recbucket *b)
{
	uint32_t cap = b->next_cap ? b->next_cap : CHUNK_MIN;
	struct as_recchunk *c = b->spare;

	if (c) {		/* one settling gave back, whatever its size */
		b->spare = c->next;
		cap = c->cap;
	} else {
		c = chunk_carve(x, chunk_bytes(cap));
		if (!c)
			return -ENOMEM;
	}
	held_add(x, chunk_bytes(cap));
	b->next_cap = cap < CHUNK_MAX ? cap * 2 : CHUNK_MAX;
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
	uint64_t size;
	int ret;

	if (v->generation == 0 || x->sealed)
		return -EINVAL;
	/*
	 * The index's size by its own measure, the same whenever rounds
	 * run: each record not yet settled at a device's end and each
	 * object as of the last one, AS_RECINDEX_HELD_BYTES each.
	 */
	size = (x->used + x->pending + 1) * AS_RECINDEX_HELD_BYTES;
	if (x->cap_bytes && size > x->cap_bytes)
		return -ENOBUFS;
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
	if (size > x->peak_bytes)
		x->peak_bytes = size;
	return 0;
}

/*
 * The log taken from b (its tail's count set), or NULL. The next log
 * starts with a chunk of about the size this one reached, within
 * CHUNK_MIN..CHUNK_MAX: records come at a steady rate, and a round's
 * log that restarted at CHUNK_MAX would hold that much a bucket however
 * few records each round brings.
 */
static struct as_recchunk *log_take(struct as_recbucket *b)
{
	struct as_recchunk *log = b->head;
	uint64_t n = 0;

	if (b->tail)	/* a full chunk's n is set as the next one starts */
		b->tail->n = (uint32_t)((size_t)(b->at - b->tail->e) /
					AS_RECINDEX_SLOT_BYTES);
	for (const struct as_recchunk *c = log; c; c = c->next)
		n += c->n;
	b->next_cap = CHUNK_MIN;
	while (b->next_cap < CHUNK_MAX && b->next_cap * 2 <= n)
		b->next_cap *= 2;
	b->head = b->tail = NULL;
	b->at = b->end = NULL;
	return log;
}

/*
 * An empty table of at least 4/3 n slots for one bucket, with a tag (2
 * bytes) and a where (the object's address, or NULL) a slot after the
 * slots; the mapping is kept from bucket to bucket and only the tags in
 * use are cleared (a slot whose tag is 0 is empty whatever it holds), so
 * it stays in the cache.
 */
static int settle_table(struct as_recindex *x, uint64_t n)
{
	const uint64_t per = AS_RECINDEX_SLOT_BYTES + sizeof(uint16_t) +
			     sizeof(unsigned char *);
	unsigned bits = SETTLE_MIN_BITS;
	uint64_t bytes;

	while ((1ull << bits) * 3 < n * 4)
		bits++;
	bytes = (1ull << bits) * per;
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
	/* 26 bytes a slot, at least 16 slots: aligned for a pointer */
	x->where = (unsigned char **)(void *)(x->tags + x->nslots);
	memset(x->tags, 0, x->nslots * sizeof(uint16_t));
	x->table_used = 0;
	return 0;
}

/*
 * A key's tag: 15 bits of its hash h that the home slot does not use
 * (bits 16-30 of the product), never 0. Probing compares tags, 2 bytes a
 * slot (in the first-level cache), and reads a slot's 24 bytes only when
 * its tag matches.
 */
static uint16_t hash_tag(uint64_t h)
{
	return (uint16_t)(h >> 16) | 1u;
}

/* The slot holding key (hash h), or the empty slot where it would go. */
static uint64_t tag_probe(const struct as_recindex *x, const unsigned char *key,
			  uint64_t h)
{
	uint64_t mask = x->nslots - 1, i = h << x->skip >> (64 - x->bits);
	uint16_t tag = hash_tag(h);

	for (;; i = (i + 1) & mask) {
		uint16_t t = x->tags[i];

		if (!t)
			return i;
		if (t == tag && slot_is(x->slots + i * AS_RECINDEX_SLOT_BYTES,
					key))
			return i;
	}
}

/*
 * The pass over the objects reads 2 bytes an object, not 24: each
 * bucket keeps a print of each object's key (16 bits of its hash after
 * the bucket's, in the objects' order) and the log's keys are a filter
 * of 2^16 bits (8 KiB, in the first-level cache): only an object whose
 * print is set there is read and taken into the table, those the log
 * names and about n / 65,536 of the others.
 */
#define PRINT_BITS	16u

static uint16_t key_print(uint64_t h)
{
	return (uint16_t)(h << AS_RECINDEX_BUCKET_BITS >> (64 - PRINT_BITS));
}

static int filter_fill(struct as_recindex *x, const struct as_recchunk *log)
{
	const uint64_t words = (1u << PRINT_BITS) / 64;

	if (!x->filter) {
		x->filter = malloc(words * sizeof(*x->filter));
		if (!x->filter)
			return -ENOMEM;
	}
	memset(x->filter, 0, words * sizeof(*x->filter));
	for (const struct as_recchunk *c = log; c; c = c->next)
		for (uint32_t k = 0; k < c->n; k++) {
			uint16_t f = key_print(key_hash(c->e + (size_t)k *
						AS_RECINDEX_SLOT_BYTES +
						S_DIGEST));

			x->filter[f / 64] |= 1ull << (f % 64);
		}
	return 0;
}

/*
 * Objects let through into the table: their keys are distinct (no
 * compare). False when the table would then have no room for the
 * log's n keys. Those passed over by the prints are not in the cache:
 * they are prefetched a batch at a time, their misses overlapped.
 */
#define FIND_BATCH	32u

static bool find_take(struct as_recindex *x, unsigned char *const *o,
		      unsigned k, uint64_t n)
{
	uint64_t mask = x->nslots - 1, room = x->nslots / 4 * 3;

	for (unsigned j = 0; j < k; j++) {
		uint64_t h, i;

		if (slot_empty(o[j]))
			continue;	/* dropped */
		if (x->table_used + n > room)
			return false;
		h = key_hash(o[j] + S_DIGEST);
		i = h << x->skip >> (64 - x->bits);
		while (x->tags[i])
			i = (i + 1) & mask;
		memcpy(x->slots + i * AS_RECINDEX_SLOT_BYTES, o[j],
		       AS_RECINDEX_SLOT_BYTES);
		x->tags[i] = hash_tag(h);
		x->where[i] = o[j];
		x->table_used++;
	}
	return true;
}

/*
 * One pass over the objects' prints: those the filter lets through go
 * into the table with where they live (find_take). False as find_take.
 */
static bool settle_find(struct as_recindex *x, const struct as_recbucket *b,
			uint64_t n)
{
	const uint64_t *filter = x->filter;
	unsigned char *batch[FIND_BATCH];
	unsigned k = 0;

	for (struct as_recchunk *c = b->obj; c; c = c->next) {
		const uint16_t *print = chunk_prints(c);

		__builtin_prefetch(c->next);
		for (uint32_t i = 0; i < c->n; i++) {
			if (!(filter[print[i] / 64] >> (print[i] % 64) & 1))
				continue;
			batch[k] = c->e + (size_t)i * AS_RECINDEX_SLOT_BYTES;
			__builtin_prefetch(batch[k]);
			if (++k == FIND_BATCH) {
				if (!find_take(x, batch, k, n))
					return false;
				k = 0;
			}
		}
	}
	return find_take(x, batch, k, n);
}

/*
 * Room for the slots settling changes, n at most: the new objects in
 * the order they came (from the front), and the objects of the bucket
 * changed (from the back; their where marked with bit 0).
 */
static int order_size(struct as_recindex *x, uint64_t n)
{
	if (n > x->order_cap) {
		uint32_t *o = malloc(n * sizeof(*o));

		if (!o)
			return -ENOMEM;
		free(x->order);
		x->order = o;
		x->order_cap = n;
	}
	x->nnew = 0;
	x->ndirty = 0;
	return 0;
}

/* The version in slot s goes: one object less. */
static void slot_drop(struct as_recindex *x, unsigned char *s)
{
	x->set_objects[s[S_SET]]--;
	x->used--;
	s[S_GEN] = s[S_GEN + 1] = 0;
}

/*
 * Checks 9-12 (as table_add) for a log entry e (a slot's 24 bytes)
 * against the table; used and the objects by set id are kept current
 * (as changes: x is a settling thread's scratch).
 */
static int settle_add(struct as_recindex *x, const unsigned char *e,
		      int64_t now_cl, uint64_t evict_void_time,
		      const bool *no_evict)
{
	uint64_t h = key_hash(e + S_DIGEST);
	uint64_t i = tag_probe(x, e + S_DIGEST, h);
	unsigned char *s = x->slots + i * AS_RECINDEX_SLOT_BYTES;
	bool exists = x->tags[i] && !slot_empty(s);
	struct as_recver v;
	int out;

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
		out = AS_OUT_EXPIRED;
		if (!exists)
			return out;
		slot_drop(x, s);
	} else if (v.void_time && evict_void_time > v.void_time) {	/* 11 */
		out = AS_OUT_EVICTED;
		if (!exists)
			return out;
		slot_drop(x, s);
	} else {
		out = exists ? AS_OUT_REPLACED : AS_OUT_UNIQUE;
		if (exists)
			x->set_objects[s[S_SET]]--;
		else
			x->used++;
		x->set_objects[e[S_SET]]++;
		memcpy(s, e, AS_RECINDEX_SLOT_BYTES);		/* 12 */
		if (!x->tags[i]) {	/* a new object */
			x->tags[i] = hash_tag(h);
			x->where[i] = NULL;
			x->table_used++;
			x->order[x->nnew++] = (uint32_t)i;
			return out;
		}
	}
	/* An object of the bucket's changed: to be written back. */
	if (x->where[i] && !((uintptr_t)x->where[i] & 1)) {
		x->where[i] = (unsigned char *)((uintptr_t)x->where[i] | 1);
		x->order[x->order_cap - ++x->ndirty] = (uint32_t)i;
	}
	return out;
}


/*
 * The table written back: an object of the bucket's that changed in
 * place (dropped: generation 0), the new ones after the last (into its
 * room, then the log's chunks, linked on); the log's chunks left over
 * are freed.
 */
static void settle_store(struct as_recindex *x, struct as_recbucket *b,
			struct as_recchunk *log)
{
	struct as_recchunk *c = b->obj_tail, *spare = log;

	for (uint64_t k = 0; k < x->ndirty; k++) {
		uint64_t i = x->order[x->order_cap - 1 - k];
		const unsigned char *s = x->slots + i * AS_RECINDEX_SLOT_BYTES;

		memcpy((void *)((uintptr_t)x->where[i] & ~(uintptr_t)1), s,
		       AS_RECINDEX_SLOT_BYTES);
		b->ndead += slot_empty(s);	/* it was not (find_take) */
	}
	for (uint64_t k = 0; k < x->nnew; k++) {
		const unsigned char *s = x->slots + (uint64_t)x->order[k] *
					 AS_RECINDEX_SLOT_BYTES;

		if (slot_empty(s))
			continue;	/* dropped since */
		if (!c || c->n == c->cap) {	/* the log's next chunk */
			struct as_recchunk *next = spare;

			spare = next->next;
			next->next = NULL;
			next->n = 0;
			if (c)
				c->next = next;
			else
				b->obj = next;
			c = b->obj_tail = next;
		}
		chunk_prints(c)[c->n] = key_print(key_hash(s + S_DIGEST));
		b->nobj++;
		memcpy(c->e + (size_t)c->n++ * AS_RECINDEX_SLOT_BYTES, s,
		       AS_RECINDEX_SLOT_BYTES);
	}
	chunks_give(x, b, spare);
}

/*
 * b's objects packed, the dropped ones left out (once they are half of
 * them: each is moved over once), in the chunks they held; the chunks
 * left empty are freed. Without it a digest dropped stays 26 bytes held
 * (and a print passed over) until the last settle, device after device.
 */
static void objects_pack(struct as_recindex *x, struct as_recbucket *b)
{
	struct as_recchunk *w = b->obj, *rest;
	uint32_t wi = 0;

	if (b->ndead == b->nobj) {
		chunks_give(x, b, b->obj);
		b->obj = b->obj_tail = NULL;
		b->nobj = b->ndead = 0;
		return;
	}
	for (struct as_recchunk *c = b->obj; c; c = c->next) {
		const uint16_t *print = chunk_prints(c);

		for (uint32_t i = 0; i < c->n; i++) {
			const unsigned char *o = c->e + (size_t)i *
						 AS_RECINDEX_SLOT_BYTES;
			uint16_t f = print[i];

			if (slot_empty(o))
				continue;
			if (wi == w->cap) {	/* never past c */
				w->n = wi;
				w = w->next;
				wi = 0;
			}
			memmove(w->e + (size_t)wi * AS_RECINDEX_SLOT_BYTES, o,
				AS_RECINDEX_SLOT_BYTES);
			chunk_prints(w)[wi++] = f;
		}
	}
	w->n = wi;
	rest = w->next;
	w->next = NULL;
	b->obj_tail = w;
	chunks_give(x, b, rest);
	b->nobj -= b->ndead;
	b->ndead = 0;
}

static void census_slot(const unsigned char *s, uint64_t ns_lut,
			const uint64_t set_lut[256], struct as_census *c);

static void census_objects(struct as_recindex *x, const struct as_recchunk *c)
{
	for (; c; c = c->next)
		for (uint32_t k = 0; k < c->n; k++) {
			const unsigned char *o = c->e + (size_t)k *
						 AS_RECINDEX_SLOT_BYTES;

			if (!slot_empty(o))
				census_slot(o, x->census_ns_lut,
					    x->census_set_lut, &x->census);
		}
}

/*
 * Settle log (in order) into b's objects, on the scratch x. The last
 * settle (x->last_settle) only counts: the objects are freed after,
 * and written back first only for the census.
 */
static int settle_log(struct as_recindex *x, struct as_recbucket *b,
		      struct as_recchunk *log, int64_t now_cl,
		      uint64_t evict_void_time, const bool *no_evict,
		      uint64_t out[5])
{
	uint64_t n = 0;
	int ret = 0;

	for (const struct as_recchunk *c = log; c; c = c->next)
		n += c->n;
	if (n) {
		/* The log's keys, the objects it may name, and those let
		 * through that it does not (n / 65,536 of them). */
		ret = settle_table(x, b->obj ? n + n + b->nobj / 16 : n);
		if (ret == 0 && b->obj) {
			ret = filter_fill(x, log);
			if (ret == 0 && !settle_find(x, b, n)) {
				/* Far more let through than n / 65,536: a
				 * table with room for all cannot run out. */
				ret = settle_table(x, n + b->nobj);
				if (ret == 0)
					settle_find(x, b, n);
			}
		}
		if (ret == 0)
			ret = order_size(x, n);
		if (ret < 0) {
			chunks_give(x, b, log);
			return ret;
		}
		for (const struct as_recchunk *c = log; c; c = c->next)
			for (uint32_t i = 0; i < c->n; i++)
				out[settle_add(x, c->e + (size_t)i *
					       AS_RECINDEX_SLOT_BYTES, now_cl,
					       evict_void_time, no_evict)]++;
		if (x->last_settle && !x->census_on)
			chunks_give(x, b, log);
		else
			settle_store(x, b, log);
		if (!x->last_settle && b->ndead * 2 > b->nobj)
			objects_pack(x, b);
	} else {
		chunks_give(x, b, log);
	}
	if (x->census_on)
		census_objects(x, b->obj);
	if (x->last_settle) {
		chunks_free(x, b->obj);
		spares_free(b);
		b->obj = b->obj_tail = NULL;
		b->nobj = b->ndead = 0;
	}
	return ret;
}

/* A bucket at the device's end: its frozen log, then its log. */
static int settle_bucket(struct as_recindex *x, struct as_recbucket *b,
			 int64_t now_cl, uint64_t evict_void_time,
			 const bool *no_evict, uint64_t out[5])
{
	struct as_recchunk *log = log_take(b), *all = b->frozen;
	int ret;

	b->frozen = NULL;
	if (all) {
		struct as_recchunk *c = all;

		while (c->next)
			c = c->next;
		c->next = log;
	} else {
		all = log;
	}
	ret = settle_log(x, b, all, now_cl, evict_void_time, no_evict, out);
	spares_take(b);		/* nothing is logged now */
	return ret;
}

/*
 * Rounds take only the CPU nothing else wants (SCHED_IDLE): the thread
 * that parses what is read keeps the reads going, and what a round does
 * not get done is left to the device's end. Halting a round gives the
 * thread its share back first, so that it gets to its next bucket at
 * once however busy the machine; the logging thread never waits for
 * the lock it may hold (as_recindex_round_check only tries it). The
 * thread's priority is set by the others, under the lock: lowered as a
 * round is handed to it, raised by a halt; it never lowers itself (it
 * would then, woken for a round a halt had already raised it for, run
 * at idle priority while the device's end waits for it).
 */
static void round_priority(pthread_t t, int policy)
{
	struct sched_param p = { 0 };

	pthread_setschedparam(t, policy, &p);	/* a hint */
}

/*
 * Can a thread of ours be taken back from SCHED_IDLE? The kernel lets
 * it only with CAP_SYS_NICE or an RLIMIT_NICE that allows the thread's
 * nice value (sched_setscheduler(2)); without, a halted round would
 * stay at idle priority while the device's end waits for it: rounds
 * then run at normal priority.
 */
static bool round_can_idle(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = { { 0 } };
	struct rlimit rl;
	int nice;

	if (syscall(SYS_capget, &h, d) == 0 &&
	    (d[CAP_SYS_NICE / 32].effective >> (CAP_SYS_NICE % 32) & 1))
		return true;
	errno = 0;
	nice = getpriority(PRIO_PROCESS, 0);
	return errno == 0 && getrlimit(RLIMIT_NICE, &rl) == 0 &&
	       (rl.rlim_cur == RLIM_INFINITY ||
		(rlim_t)(20 - nice) <= rl.rlim_cur);
}

static void *round_thread(void *arg)
{
	struct as_recround *r = arg;
	struct as_recindex *x = r->x;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (!r->busy && !r->quit)
			pthread_cond_wait(&r->cond, &r->lock);
		if (r->quit)
			break;
		pthread_mutex_unlock(&r->lock);
		for (unsigned k = 0; k < AS_RECINDEX_BUCKETS && !r->ret; k++) {
			struct as_recbucket *b = &x->buckets[k];
			struct as_recchunk *log = b->frozen;

			if (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
				break;
			if (!log)
				continue;
			b->frozen = NULL;
			r->ret = settle_log(&r->t, b, log, r->now_cl,
					    r->evict_void_time, r->no_evict,
					    r->out);
		}
		held_add(x, r->t.held_bytes);
		r->t.held_bytes = 0;
		pthread_mutex_lock(&r->lock);
		r->busy = false;
		pthread_cond_broadcast(&r->cond);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

int as_recindex_rounds_start(struct as_recindex *x, int64_t now_cl,
			     uint64_t evict_void_time,
			     const bool no_evict[256])
{
	struct as_recround *r;

	if (x->round || x->sealed)
		return 0;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->x = x;
	r->idle = round_can_idle();
	r->now_cl = now_cl;
	r->evict_void_time = evict_void_time;
	if (no_evict)
		memcpy(r->no_evict, no_evict, sizeof(r->no_evict));
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	if (pthread_create(&r->thread, NULL, round_thread, r)) {
		pthread_cond_destroy(&r->cond);
		pthread_mutex_destroy(&r->lock);
		free(r);
		return -EAGAIN;
	}
	x->round = r;
	return 0;
}

void as_recindex_round_check(struct as_recindex *x)
{
	struct as_recround *r = x->round;
	uint64_t since, min = x->round_min ? x->round_min : ROUND_MIN;

	if (!r || !x->buckets || x->sealed)
		return;
	r->logged = x->pending_total + x->pending;
	since = r->logged - r->mark;
	if (since < min || pthread_mutex_trylock(&r->lock))
		return;
	if (!r->busy && !r->stop && !r->ret) {
		/* Idle: every frozen log is settled. */
		for (unsigned k = 0; k < AS_RECINDEX_BUCKETS; k++) {
			struct as_recbucket *b = &x->buckets[k];

			b->frozen = log_take(b);
			spares_take(b);
		}
		r->mark = r->logged;
		if (r->idle)
			round_priority(r->thread, SCHED_IDLE);
		r->busy = true;
		x->rounds++;
		pthread_cond_broadcast(&r->cond);
	}
	pthread_mutex_unlock(&r->lock);
}

/* Stop the round in progress (at its next bucket) and wait for it. */
static void round_halt(struct as_recround *r)
{
	pthread_mutex_lock(&r->lock);
	__atomic_store_n(&r->stop, true, __ATOMIC_RELEASE);
	round_priority(r->thread, SCHED_OTHER);
	while (r->busy)
		pthread_cond_wait(&r->cond, &r->lock);
	pthread_mutex_unlock(&r->lock);
}

static void rounds_stop(struct as_recindex *x)
{
	struct as_recround *r = x->round;

	if (!r)
		return;
	round_halt(r);
	pthread_mutex_lock(&r->lock);
	r->quit = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	as_recindex_table_free(r->t.slots, r->t.table_bytes);
	free(r->t.filter);
	free(r->t.order);
	free(r);
	x->round = NULL;
}

/*
 * Settling runs on a thread for each CPU this process may use (at least
 * two, at most SETTLE_THREADS), each over its share of the buckets with
 * a table and figures of its own (a struct as_recindex used as scratch:
 * its used, set_objects and held_bytes are changes, modulo 2^64), summed
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

/* A scratch's changes into x. */
static void settle_sum(struct as_recindex *x, struct as_recindex *t)
{
	for (unsigned k = 0; k < 256; k++)
		x->set_objects[k] += t->set_objects[k];
	x->used += t->used;
	held_add(x, t->held_bytes);
	memset(t->set_objects, 0, sizeof(t->set_objects));
	t->used = 0;
	t->held_bytes = 0;
}

/* The rounds' work so far into x and out; their first error, or 0. */
static int rounds_collect(struct as_recindex *x, uint64_t out[5])
{
	struct as_recround *r = x->round;

	if (!r)
		return 0;
	round_halt(r);
	for (unsigned k = 0; k < 5; k++)
		out[k] += r->out[k];
	memset(r->out, 0, sizeof(r->out));
	settle_sum(x, &r->t);
	return r->ret;
}

int as_recindex_settle(struct as_recindex *x, int64_t now_cl,
		       uint64_t evict_void_time, const bool no_evict[256],
		       uint64_t out[5])
{
	struct settle_job *j;	/* 15 KiB each: not on the stack */
	bool threaded[SETTLE_THREADS] = { false };
	pthread_t th[SETTLE_THREADS];
	unsigned nj = settle_threads();
	int ret = 0;

	if (x->sealed)
		return -EINVAL;
	ret = rounds_collect(x, out);
	if (!x->buckets || ret) {
		x->sealed = x->last_settle;
		if (x->sealed)
			rounds_stop(x);
		else if (x->round)
			__atomic_store_n(&x->round->stop, false,
					 __ATOMIC_RELEASE);
		return ret;
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
	memset(&x->census, 0, sizeof(x->census));
	for (unsigned i = 0; i < nj; i++) {
		const struct as_census *tc = &j[i].t.census;

		for (unsigned k = 0; k < 5; k++)
			out[k] += j[i].out[k];
		for (unsigned k = 0; k < 256; k++) {
			x->census.objects[k] += tc->objects[k];
			x->census.back[k] += tc->back[k];
			x->census.back_ns[k] += tc->back_ns[k];
			x->census.back_set[k] += tc->back_set[k];
		}
		settle_sum(x, &j[i].t);
		as_recindex_table_free(j[i].t.slots, j[i].t.table_bytes);
		free(j[i].t.filter);
		free(j[i].t.order);
		if (j[i].ret && !ret)
			ret = j[i].ret;
	}
	free(j);
	x->pending_total += x->pending;
	x->pending = 0;
	x->sealed = x->last_settle;
	if (x->sealed)
		rounds_stop(x);
	else if (x->round)
		__atomic_store_n(&x->round->stop, false, __ATOMIC_RELEASE);
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
 * the settled buckets' (logged use: call it after a settle, before any
 * more records are logged, as rounds settle them into the objects), or
 * the table's.
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
	/* No record settled yet: no object as of the last settle (a
	 * round's objects are not, and a round may be writing them). */
	if (x->buckets && !x->pending_total)
		return;
	if (x->buckets) {
		for (unsigned k = 0; k < AS_RECINDEX_BUCKETS; k++)
			for (const struct as_recchunk *ch = x->buckets[k].obj;
			     ch; ch = ch->next)
				for (uint32_t i = 0; i < ch->n; i++) {
					const unsigned char *o = ch->e +
						(size_t)i * AS_RECINDEX_SLOT_BYTES;

					if (!slot_empty(o))
						census_slot(o, ns_lut, set_lut,
							    c);
				}
		return;
	}
	for (uint64_t i = 0; i < x->nslots; i++) {
		const unsigned char *s = x->slots + i * AS_RECINDEX_SLOT_BYTES;

		if (!slot_empty(s))
			census_slot(s, ns_lut, set_lut, c);
	}
}
