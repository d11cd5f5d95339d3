/*
 * recindex.c - an open-addressing digest table, 24 bytes a slot (see
 * recindex.h). The home slot is the top bits of a multiplicative hash of
 * digest bytes 12-19 (Fibonacci hashing), so slot order is hash order:
 * doubling the table maps slot i near 2i, and the rehash is one
 * sequential pass over both tables instead of a cache miss per digest.
 */
#include "recindex.h"
#include "flat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Slot layout. */
#define S_DIGEST	0	/* digest bytes 8-19 */
#define S_DIGEST_FROM	8u
#define S_KEY_BYTES	12u
#define S_LUT		12	/* 5 bytes */
#define S_GEN		17	/* 2 bytes */
#define S_VOID		19	/* 4 bytes */
#define S_SET		23
#define MIN_BITS	10u
#define HUGE_BYTES	(2u << 20)
#define GOLDEN		0x9E3779B97F4A7C15ull

static uint64_t le64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static uint32_t le32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* From the stored key (slot bytes 0-11 = digest bytes 8-19). */
static uint64_t home_key(const unsigned char *key, unsigned bits)
{
	return le64(key + 4) * GOLDEN >> (64 - bits);
}

static uint64_t home(const unsigned char *digest, unsigned bits)
{
	return home_key(digest + S_DIGEST_FROM, bits);
}

static bool slot_empty(const unsigned char *s)
{
	return s[S_GEN] == 0 && s[S_GEN + 1] == 0;
}

static bool slot_is(const unsigned char *s, const unsigned char *digest)
{
	return le64(s) == le64(digest + S_DIGEST_FROM) &&
	       le32(s + 8) == le32(digest + S_DIGEST_FROM + 8);
}

static void slot_get(const unsigned char *s, struct as_recver *v)
{
	v->lut = 0;
	for (unsigned i = 5; i-- > 0;)
		v->lut = v->lut << 8 | s[S_LUT + i];
	v->generation = (uint16_t)(s[S_GEN] | s[S_GEN + 1] << 8);
	v->void_time = (uint32_t)s[S_VOID] | (uint32_t)s[S_VOID + 1] << 8 |
		       (uint32_t)s[S_VOID + 2] << 16 |
		       (uint32_t)s[S_VOID + 3] << 24;
	v->set_id = s[S_SET];
}

static void slot_set(unsigned char *s, const unsigned char *digest,
		     const struct as_recver *v)
{
	memcpy(s + S_DIGEST, digest + S_DIGEST_FROM, S_KEY_BYTES);
	for (unsigned i = 0; i < 5; i++)
		s[S_LUT + i] = (unsigned char)(v->lut >> (8 * i));
	s[S_GEN] = (unsigned char)v->generation;
	s[S_GEN + 1] = (unsigned char)(v->generation >> 8);
	for (unsigned i = 0; i < 4; i++)
		s[S_VOID + i] = (unsigned char)(v->void_time >> (8 * i));
	s[S_SET] = v->set_id;
}

/* Zeroed memory from mmap: untouched pages cost nothing. */
static unsigned char *table_alloc(uint64_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (bytes >= HUGE_BYTES)
		madvise(p, bytes, MADV_HUGEPAGE);	/* a hint */
	return p;
}

static void table_free(unsigned char *p, uint64_t bytes)
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
	table_free(x->slots, x->nslots * AS_RECINDEX_SLOT_BYTES);
	free(x->set_names);
	memset(x, 0, sizeof(*x));
}

static bool set_is(const struct as_recindex *x, unsigned id,
		   const unsigned char *name, unsigned len)
{
	return x->set_len[id] == len && memcmp(x->set_names[id], name, len) == 0;
}

int as_recindex_set_id(struct as_recindex *x, const unsigned char *name,
		       unsigned len)
{
	/* Records of one set tend to come together. */
	if (x->last_set && set_is(x, x->last_set, name, len))
		return (int)x->last_set;
	for (unsigned i = 1; i <= x->nsets; i++)
		if (set_is(x, i, name, len))
			return (int)(x->last_set = i);
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
	return (int)(x->last_set = x->nsets);
}

/* The slot holding digest, or the empty slot where it would go. */
static unsigned char *probe(const struct as_recindex *x,
			    const unsigned char *digest)
{
	uint64_t mask = x->nslots - 1, i = home(digest, x->bits);

	for (;;) {
		unsigned char *s = x->slots + i * AS_RECINDEX_SLOT_BYTES;

		if (slot_empty(s) || slot_is(s, digest))
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
	slots = table_alloc(bytes);
	if (!slots)
		return -ENOMEM;
	x->slots = slots;
	x->nslots = n;
	x->bits = bits;
	while (start < oldn && !slot_empty(old + start * AS_RECINDEX_SLOT_BYTES))
		start++;
	from = (start * AS_RECINDEX_SLOT_BYTES + chunk - 1) / chunk * chunk;
	for (uint64_t k = 0; k < oldn; k++) {
		uint64_t i = start + k < oldn ? start + k : start + k - oldn;
		unsigned char *s = old + i * AS_RECINDEX_SLOT_BYTES;

		if (!slot_empty(s)) {
			uint64_t j = home_key(s + S_DIGEST, bits);

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
	table_free(old, oldn * AS_RECINDEX_SLOT_BYTES);
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
	s = probe(x, digest);
	if (slot_empty(s))
		return false;
	slot_get(s, v);
	return true;
}

/* Room for one more entry (grow at 3/4 full). */
static int make_room(struct as_recindex *x)
{
	if ((x->used + 1) * 4 > x->nslots * 3)
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
	s = probe(x, digest);
	if (slot_empty(s))
		x->used++;
	slot_set(s, digest, v);
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
		h = home_key(t + S_DIGEST, x->bits);
		/* t may move to i when its home is not in (i, j]. */
		if ((j > i && (h <= i || h > j)) || (j < i && h <= i && h > j)) {
			memcpy(x->slots + i * AS_RECINDEX_SLOT_BYTES, t,
			       AS_RECINDEX_SLOT_BYTES);
			i = j;
		}
	}
	memset(x->slots + i * AS_RECINDEX_SLOT_BYTES, 0,
	       AS_RECINDEX_SLOT_BYTES);
	x->used--;
}

void as_recindex_drop(struct as_recindex *x, const unsigned char *digest)
{
	unsigned char *s;

	if (!x->nslots)
		return;
	s = probe(x, digest);
	if (!slot_empty(s))
		drop_slot(x, s);
}

int as_recindex_add(struct as_recindex *x, const unsigned char *digest,
		    const struct as_recver *v, int64_t now_cl,
		    uint64_t evict_void_time)
{
	struct as_recver old;
	unsigned char *s;
	bool exists;
	int ret;

	if (v->generation == 0)
		return -EINVAL;
	ret = make_room(x);
	if (ret < 0)
		return ret;
	s = probe(x, digest);
	exists = !slot_empty(s);
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
		x->used++;
	slot_set(s, digest, v);
	return exists ? AS_OUT_REPLACED : AS_OUT_UNIQUE;
}

void as_recindex_prefetch(const struct as_recindex *x,
			  const unsigned char *digest)
{
	const unsigned char *s;

	if (!x->nslots)
		return;
	s = x->slots + home(digest, x->bits) * AS_RECINDEX_SLOT_BYTES;
	__builtin_prefetch(s, 1, 3);
	__builtin_prefetch(s + AS_RECINDEX_SLOT_BYTES - 1, 1, 3);
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
	memset(counts, 0, 256 * sizeof(counts[0]));
	for (uint64_t i = 0; i < x->nslots; i++) {
		const unsigned char *s = x->slots + i * AS_RECINDEX_SLOT_BYTES;

		if (!slot_empty(s))
			counts[s[S_SET]]++;
	}
}

/* Is a record of last-update-time lut gone after a truncation at thr? */
static bool truncated(uint64_t lut, uint64_t thr)
{
	return lut < thr;
}

void as_recindex_census(const struct as_recindex *x, uint64_t ns_lut,
			const uint64_t set_lut[256], struct as_census *c)
{
	memset(c, 0, sizeof(*c));
	for (uint64_t i = 0; i < x->nslots; i++) {
		const unsigned char *s = x->slots + i * AS_RECINDEX_SLOT_BYTES;
		struct as_recver v;
		bool by_ns, by_set;

		if (slot_empty(s))
			continue;
		slot_get(s, &v);
		by_ns = truncated(v.lut, ns_lut);
		by_set = truncated(v.lut, set_lut[v.set_id]);
		c->objects[v.set_id]++;
		c->back[v.set_id] += by_ns || by_set;
		c->back_ns[v.set_id] += by_ns;
		c->back_set[v.set_id] += by_set;
	}
}
