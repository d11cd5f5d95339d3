/*
 * recindex.c - the digest table in direct use, 24 bytes a slot, and the
 * set ids (see recindex.h; the logs and their settling are reclog.c).
 * The home slot is the top bits of a multiplicative hash of digest bytes
 * 12-19 (Fibonacci hashing) after the skip bits (a bucket's, in logged
 * use), so slot order is hash order: doubling the table maps slot i near
 * 2i, and the rehash is one sequential pass over both tables instead of
 * a cache miss per digest.
 */
#include "recindex_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Zeroed memory from mmap: untouched pages cost nothing. */
unsigned char *as_recindex_table_alloc(uint64_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (bytes >= HUGE_BYTES)
		madvise(p, bytes, MADV_HUGEPAGE);	/* a hint */
	return p;
}

void as_recindex_table_free(unsigned char *p, uint64_t bytes)
{
	if (p)
		munmap(p, bytes);
}


void as_recindex_init(struct as_recindex *x)
{
	memset(x, 0, sizeof(*x));
}

void as_recindex_release(struct as_recindex *x)
{
	as_recindex_table_free(x->slots, x->table_bytes);
	as_reclog_free(x);
	free(x->set_names);
	memset(x, 0, sizeof(*x));
}

static bool set_is(const struct as_recindex *x, unsigned id,
		   const unsigned char *name, unsigned len)
{
	return x->set_len[id] == len && memcmp(x->set_names[id], name, len) == 0;
}

/* A name of up to 8 bytes as one word (its bytes little-endian). */
static uint64_t name_word(const unsigned char *name, unsigned len)
{
	uint64_t w = 0;

	for (unsigned i = len; i-- > 0;)
		w = w << 8 | name[i];
	return w;
}

/* A few bits from a set name, for set_hint. */
static unsigned name_hint(const unsigned char *name, unsigned len)
{
	uint64_t a = len, b = 0;

	if (len > 8) {
		a ^= le64(name);
		b = le64(name + len - 8);
	} else {
		b = name_word(name, len);
	}
	return (unsigned)(((a + b * GOLDEN) * GOLDEN) >> 58);
}

int as_recindex_set_id(struct as_recindex *x, const unsigned char *name,
		       unsigned len)
{
	unsigned h, id;

	/*
	 * A name of 8 bytes or less is a word: the id its hint gave last is
	 * checked with two compares, no call (a set name a record).
	 */
	if (len <= 8) {
		uint64_t w = name_word(name, len);

		h = (unsigned)((((uint64_t)len + w * GOLDEN) * GOLDEN) >> 58);
		id = x->set_hint[h];
		if (id && x->set_len[id] == len && x->set_word[id] == w)
			return (int)id;
	} else {
		h = name_hint(name, len);
		id = x->set_hint[h];
		if (id && set_is(x, id, name, len))
			return (int)id;
	}
	for (unsigned i = 1; i <= x->nsets; i++)
		if (set_is(x, i, name, len))
			return (int)(x->set_hint[h] = (unsigned char)i);
	if (x->nsets + 1 >= AS_RECINDEX_SET_OTHER)
		return AS_RECINDEX_SET_OTHER;
	if (!x->set_names) {
		x->set_names = calloc(AS_RECINDEX_MAX_SETS + 1,
				      sizeof(*x->set_names));
		if (!x->set_names)
			return -ENOMEM;
		strcpy(x->set_names[AS_RECINDEX_SET_OTHER], "(other sets)");
	}
	x->nsets++;
	memcpy(x->set_names[x->nsets], name, len);
	x->set_names[x->nsets][len] = '\0';
	x->set_len[x->nsets] = (unsigned char)len;
	x->set_word[x->nsets] = len <= 8 ? name_word(name, len) : 0;
	x->set_hint[h] = (unsigned char)x->nsets;
	return (int)x->nsets;
}

/* The slot holding key, or the empty slot where it would go. */
static unsigned char *probe(const struct as_recindex *x,
			    const unsigned char *key)
{
	uint64_t mask = x->nslots - 1, i = home_key(x, key, x->bits);

	for (;;) {
		unsigned char *s = x->slots + i * AS_RECINDEX_SLOT_BYTES;

		if (slot_empty(s) || slot_is(s, key))
			return s;
		i = (i + 1) & mask;
	}
}

/*
 * Double the table. The old one is passed once in slot order, from an
 * empty slot (no run of full slots crosses it) round to it; each entry
 * lands near twice its old place, so both tables are walked forward.
 * The old table's pages go back to the kernel as they are passed.
 */
static int grow(struct as_recindex *x)
{
	unsigned bits = x->nslots ? x->bits + 1 : MIN_BITS;
	uint64_t n = 1ull << bits, bytes = n * AS_RECINDEX_SLOT_BYTES;
	uint64_t oldn = x->nslots, start = 0, from;
	unsigned char *old = x->slots, *slots;
	const uint64_t chunk = HUGE_BYTES;

	if (x->cap_bytes && bytes > x->cap_bytes)
		return -ENOBUFS;
	slots = as_recindex_table_alloc(bytes);
	if (!slots)
		return -ENOMEM;
	x->slots = slots;
	x->nslots = n;
	x->bits = bits;
	x->table_bytes = bytes;
	while (start < oldn && !slot_empty(old + start * AS_RECINDEX_SLOT_BYTES))
		start++;
	from = (start * AS_RECINDEX_SLOT_BYTES + chunk - 1) / chunk * chunk;
	for (uint64_t k = 0; k < oldn; k++) {
		uint64_t i = start + k < oldn ? start + k : start + k - oldn;
		unsigned char *s = old + i * AS_RECINDEX_SLOT_BYTES;

		if (!slot_empty(s)) {
			uint64_t j = home_key(x, s + S_DIGEST, bits);

			while (!slot_empty(slots + j * AS_RECINDEX_SLOT_BYTES))
				j = (j + 1) & (n - 1);
			memcpy(slots + j * AS_RECINDEX_SLOT_BYTES, s,
			       AS_RECINDEX_SLOT_BYTES);
		}
		if (i >= start && (i + 1) * AS_RECINDEX_SLOT_BYTES >=
				  from + chunk) {
			madvise(old + from, chunk, MADV_DONTNEED);
			from += chunk;
		}
	}
	as_recindex_table_free(old, oldn * AS_RECINDEX_SLOT_BYTES);
	if (bytes > x->peak_bytes)
		x->peak_bytes = bytes;
	return 0;
}

bool as_recindex_find(const struct as_recindex *x, const unsigned char *digest,
		      struct as_recver *v)
{
	const unsigned char *s;

	if (!x->nslots)
		return false;
	s = probe(x, digest + S_DIGEST_FROM);
	if (slot_empty(s))
		return false;
	slot_get(s, v);
	return true;
}

/* Room for one more entry (grow at 3/4 full). */
static int make_room(struct as_recindex *x)
{
	if ((x->table_used + 1) * 4 > x->nslots * 3)
		return grow(x);
	return 0;
}

int as_recindex_put(struct as_recindex *x, const unsigned char *digest,
		    const struct as_recver *v)
{
	unsigned char *s;
	int ret;

	if (v->generation == 0)
		return -EINVAL;		/* would read as an empty slot */
	ret = make_room(x);
	if (ret < 0)
		return ret;
	s = probe(x, digest + S_DIGEST_FROM);
	if (slot_empty(s))
		x->used = ++x->table_used;
	slot_set(s, digest + S_DIGEST_FROM, v);
	return 0;
}

/* Linear probing's deletion of slot s: shift later members back. */
static void drop_slot(struct as_recindex *x, unsigned char *s)
{
	uint64_t mask = x->nslots - 1, i, j;

	i = (uint64_t)(s - x->slots) / AS_RECINDEX_SLOT_BYTES;
	for (j = (i + 1) & mask;; j = (j + 1) & mask) {
		unsigned char *t = x->slots + j * AS_RECINDEX_SLOT_BYTES;
		uint64_t h;

		if (slot_empty(t))
			break;
		h = home_key(x, t + S_DIGEST, x->bits);
		/* t may move to i when its home is not in (i, j]. */
		if ((j > i && (h <= i || h > j)) || (j < i && h <= i && h > j)) {
			memcpy(x->slots + i * AS_RECINDEX_SLOT_BYTES, t,
			       AS_RECINDEX_SLOT_BYTES);
			i = j;
		}
	}
	memset(x->slots + i * AS_RECINDEX_SLOT_BYTES, 0,
	       AS_RECINDEX_SLOT_BYTES);
	x->table_used--;
}

void as_recindex_drop(struct as_recindex *x, const unsigned char *digest)
{
	unsigned char *s;

	if (!x->nslots)
		return;
	s = probe(x, digest + S_DIGEST_FROM);
	if (!slot_empty(s))
		drop_slot(x, s);
	x->used = x->table_used;
}

/* Checks 9-12 for key against the table, which has room for it. */
static int table_add(struct as_recindex *x, const unsigned char *key,
		     const struct as_recver *v, int64_t now_cl,
		     uint64_t evict_void_time)
{
	struct as_recver old;
	unsigned char *s = probe(x, key);
	bool exists = !slot_empty(s);

	if (exists) {
		slot_get(s, &old);
		if (as_recver_prefer_existing(&old, v))		/* 9 */
			return AS_OUT_OLDER;
	}
	if (v->void_time && now_cl > (int64_t)v->void_time) {	/* 10 */
		if (exists)
			drop_slot(x, s);
		return AS_OUT_EXPIRED;
	}
	if (v->void_time && evict_void_time > v->void_time) {	/* 11 */
		if (exists)
			drop_slot(x, s);
		return AS_OUT_EVICTED;
	}
	if (!exists)						/* 12 */
		x->table_used++;
	slot_set(s, key, v);
	return exists ? AS_OUT_REPLACED : AS_OUT_UNIQUE;
}

int as_recindex_add(struct as_recindex *x, const unsigned char *digest,
		    const struct as_recver *v, int64_t now_cl,
		    uint64_t evict_void_time)
{
	int ret;

	if (v->generation == 0)
		return -EINVAL;
	ret = make_room(x);
	if (ret < 0)
		return ret;
	ret = table_add(x, digest + S_DIGEST_FROM, v, now_cl, evict_void_time);
	x->used = x->table_used;
	return ret;
}

bool as_recver_prefer_existing(const struct as_recver *old,
			       const struct as_recver *new_)
{
	if (old->lut != new_->lut)
		return old->lut > new_->lut;
	if (old->generation != new_->generation)
		/* as_gen_less_than: wrapped difference below 2^15 */
		return (uint16_t)(old->generation - new_->generation) < 32768u;
	return old->void_time == 0 ||
	       (new_->void_time != 0 && new_->void_time <= old->void_time);
}

void as_recindex_count_sets(const struct as_recindex *x, uint64_t counts[256])
{
	if (x->buckets) {
		memcpy(counts, x->set_objects, 256 * sizeof(counts[0]));
		return;
	}
	memset(counts, 0, 256 * sizeof(counts[0]));
	for (uint64_t i = 0; i < x->nslots; i++) {
		const unsigned char *s = x->slots + i * AS_RECINDEX_SLOT_BYTES;

		if (!slot_empty(s))
			counts[s[S_SET]]++;
	}
}
