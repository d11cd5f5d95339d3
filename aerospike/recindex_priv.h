/*
 * recindex_priv.h - what recindex.c (the direct table, set ids) and
 * reclog.c (the logs and their settling) share: the slot layout and its
 * accessors. Not for use outside aerospike/recindex*.c and reclog.c.
 */
#ifndef SHADOWSYNC_RECINDEX_PRIV_H
#define SHADOWSYNC_RECINDEX_PRIV_H

#include "recindex.h"

#include <endian.h>
#include <string.h>

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

static inline uint64_t le64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static inline uint32_t le32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static inline uint64_t key_hash(const unsigned char *key)
{
	return le64(key + 4) * GOLDEN;
}

/* From the stored key (slot bytes 0-11 = digest bytes 8-19). */
static inline uint64_t home_key(const struct as_recindex *x, const unsigned char *key,
			 unsigned bits)
{
	return key_hash(key) << x->skip >> (64 - bits);
}

static inline bool slot_empty(const unsigned char *s)
{
	return s[S_GEN] == 0 && s[S_GEN + 1] == 0;
}

static inline bool slot_is(const unsigned char *s, const unsigned char *key)
{
	return le64(s) == le64(key) && le32(s + 8) == le32(key + 8);
}

/*
 * A slot is three little-endian words: key bytes 0-7; key bytes 8-11 and
 * LUT bits 0-31; LUT bits 32-39, generation, void-time, set id.
 */
static inline void slot_get(const unsigned char *s, struct as_recver *v)
{
	uint64_t w1 = le64toh(le64(s + 8)), w2 = le64toh(le64(s + 16));

	v->lut = w1 >> 32 | (w2 & 0xFF) << 32;
	v->generation = (uint16_t)(w2 >> 8);
	v->void_time = (uint32_t)(w2 >> 24);
	v->set_id = (uint8_t)(w2 >> 56);
}

static inline void slot_set(unsigned char *s, const unsigned char *key,
		     const struct as_recver *v)
{
	uint64_t w1 = le32toh(le32(key + 8)) | (v->lut & 0xFFFFFFFFull) << 32;
	uint64_t w2 = (v->lut >> 32 & 0xFF) | (uint64_t)v->generation << 8 |
		      (uint64_t)v->void_time << 24 | (uint64_t)v->set_id << 56;

	memcpy(s, key, 8);
	w1 = htole64(w1);
	w2 = htole64(w2);
	memcpy(s + 8, &w1, 8);
	memcpy(s + 16, &w2, 8);
}

/* Zeroed memory from mmap (huge pages asked for from 2 MiB), or NULL. */
unsigned char *as_recindex_table_alloc(uint64_t bytes);
void as_recindex_table_free(unsigned char *p, uint64_t bytes);

/* Logged use (reclog.c): free the logs and objects, if any. */
void as_reclog_free(struct as_recindex *x);

#endif
