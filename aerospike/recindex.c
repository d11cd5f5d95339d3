/*
 * recindex.c - an open-addressing digest table, 32 bytes a slot.
 * Digests are RIPEMD-160 output: any 8 of their bytes are a good hash.
 * Bytes 0-3 pick the partition and 8-11 the device, so the slot comes
 * from bytes 12-19, which neither choice biases.
 */
#include "recindex.h"
#include "flat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Slot layout. */
#define S_DIGEST	0
#define S_LUT		20	/* 5 bytes */
#define S_GEN		25	/* 2 bytes */
#define S_VOID		27	/* 4 bytes */
#define S_SET		31
#define MIN_SLOTS	1024u

static uint64_t home(const unsigned char *digest, uint64_t mask)
{
	uint64_t h;

	memcpy(&h, digest + 12, 8);
	return (h * 0x9E3779B97F4A7C15ull >> 17) & mask;
}

static bool slot_empty(const unsigned char *s)
{
	return s[S_GEN] == 0 && s[S_GEN + 1] == 0;
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
	memcpy(s + S_DIGEST, digest, AS_DIGEST_BYTES);
	for (unsigned i = 0; i < 5; i++)
		s[S_LUT + i] = (unsigned char)(v->lut >> (8 * i));
	s[S_GEN] = (unsigned char)v->generation;
	s[S_GEN + 1] = (unsigned char)(v->generation >> 8);
	for (unsigned i = 0; i < 4; i++)
		s[S_VOID + i] = (unsigned char)(v->void_time >> (8 * i));
	s[S_SET] = v->set_id;
}

void as_recindex_init(struct as_recindex *x)
{
	memset(x, 0, sizeof(*x));
}

void as_recindex_release(struct as_recindex *x)
{
	free(x->slots);
	free(x->set_names);
	memset(x, 0, sizeof(*x));
}

int as_recindex_set_id(struct as_recindex *x, const unsigned char *name,
		       unsigned len)
{
	for (unsigned i = 1; i <= x->nsets; i++)
		if (strlen(x->set_names[i]) == len &&
		    memcmp(x->set_names[i], name, len) == 0)
			return (int)i;
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
	return (int)x->nsets;
}

/* The slot holding digest, or the empty slot where it would go. */
static unsigned char *probe(const struct as_recindex *x,
			    const unsigned char *digest)
{
	uint64_t mask = x->nslots - 1, i = home(digest, mask);

	for (;;) {
		unsigned char *s = x->slots + i * AS_RECINDEX_SLOT_BYTES;

		if (slot_empty(s) ||
		    memcmp(s + S_DIGEST, digest, AS_DIGEST_BYTES) == 0)
			return s;
		i = (i + 1) & mask;
	}
}

static int grow(struct as_recindex *x)
{
	uint64_t n = x->nslots ? x->nslots * 2 : MIN_SLOTS;
	unsigned char *old = x->slots, *slots;
	uint64_t oldn = x->nslots;

	slots = calloc(n, AS_RECINDEX_SLOT_BYTES);
	if (!slots)
		return -ENOMEM;
	x->slots = slots;
	x->nslots = n;
	for (uint64_t i = 0; i < oldn; i++) {
		unsigned char *s = old + i * AS_RECINDEX_SLOT_BYTES;

		if (!slot_empty(s))
			memcpy(probe(x, s + S_DIGEST), s,
			       AS_RECINDEX_SLOT_BYTES);
	}
	free(old);
	if (n * AS_RECINDEX_SLOT_BYTES > x->peak_bytes)
		x->peak_bytes = n * AS_RECINDEX_SLOT_BYTES;
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

int as_recindex_put(struct as_recindex *x, const unsigned char *digest,
		    const struct as_recver *v)
{
	unsigned char *s;
	int ret;

	if (v->generation == 0)
		return -EINVAL;		/* would read as an empty slot */
	if ((x->used + 1) * 4 > x->nslots * 3) {
		ret = grow(x);
		if (ret < 0)
			return ret;
	}
	s = probe(x, digest);
	if (slot_empty(s))
		x->used++;
	slot_set(s, digest, v);
	return 0;
}

/* Linear probing's deletion: shift later members of the run back. */
void as_recindex_drop(struct as_recindex *x, const unsigned char *digest)
{
	uint64_t mask, i, j;
	unsigned char *s;

	if (!x->nslots)
		return;
	mask = x->nslots - 1;
	s = probe(x, digest);
	if (slot_empty(s))
		return;
	i = (uint64_t)(s - x->slots) / AS_RECINDEX_SLOT_BYTES;
	for (j = (i + 1) & mask;; j = (j + 1) & mask) {
		unsigned char *t = x->slots + j * AS_RECINDEX_SLOT_BYTES;
		uint64_t h;

		if (slot_empty(t))
			break;
		h = home(t + S_DIGEST, mask);
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
