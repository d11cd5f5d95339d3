/*
 * mkrecords.c - test helper: fill an Aerospike device image (made by
 * mkaero, format 4, 8 MiB write-blocks) with well-formed CE 8.1 records,
 * packed from offset 0 of each write-block as asd writes them, each with
 * its real end mark (cf_wyhash64 of the digest and LUT, bit 31 clear; an
 * implementation of its own, apart from aerospike/flat.c). Each record's
 * tree id is its partition's in the image's pmeta.
 *
 * usage: mkrecords IMAGE --records N [--first-key K] [--lut MS]
 *        [--gen G] [--sets S] [--expire-every E] [--expired-every X]
 *        [--start-wblock W] [--seed N] [--void-time V]
 *
 * Key k (from --first-key on) has a digest that depends on k alone (and
 * --seed), so two images with overlapping keys hold the same records;
 * LUT = --lut (ms since 2010, default 500000000000) + k % 500; set
 * "set<k % S>" when --sets S; a void-time 30 days ahead when k % E == 0,
 * one day ago (expired) when k % X == 0 (X wins); --void-time V puts V
 * (s since 2010) in place of the 30 days ahead; bins: an integer "i"
 * and a blob "b" of 16 to 200 bytes. Prints the last write-block used.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define W (8u << 20)
#define CL_EPOCH 1262304000ll

static uint64_t rd(const unsigned char *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static void wr(unsigned char *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t mum(uint64_t a, uint64_t b)
{
	unsigned __int128 r = (unsigned __int128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* cf_wyhash64 for a 25-byte key (the only length an end mark needs). */
static uint64_t wyhash25(const unsigned char *p)
{
	const uint64_t s0 = 0xa0761d6478bd642full, s1 = 0xe7037ed1a0b428dbull;
	uint64_t seed = 0x29FBB14cc886full ^ s0;

	seed = mum(rd(p, 8) ^ s1, rd(p + 8, 8) ^ seed);
	return mum(s1 ^ 25, mum(rd(p + 9, 8) ^ s1, rd(p + 17, 8) ^ seed));
}

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

struct opt {
	uint64_t records, first_key, lut, seed, start, void_time;
	unsigned gen, sets, expire_every, expired_every;
};

/* Record k into p; returns its size (a multiple of 16). */
static uint32_t build(const struct opt *o, const unsigned char *pmeta,
		      uint64_t k, int64_t now_cl, unsigned char *p)
{
	uint64_t x = k * 0x100000001B3ull ^ o->seed;
	uint32_t at = 35, flags = 1u << 22, blob, size, pid, void_time = 0;
	char set[16];

	memset(p, 0, 35);
	wr(p, 0x037AF201u, 4);
	for (unsigned i = 0; i < 20; i += 8) {
		uint64_t v = splitmix(&x);

		memcpy(p + 8 + i, &v, i + 8 <= 20 ? 8 : 4);
	}
	pid = (uint32_t)rd(p + 8, 4) & 0xFFF;
	wr(p + 28, o->lut + k % 500, 5);
	wr(p + 33, o->gen, 2);
	if (o->expire_every && k % o->expire_every == 0)
		void_time = o->void_time ? (uint32_t)o->void_time
					 : (uint32_t)(now_cl + 30 * 86400);
	if (o->expired_every && k % o->expired_every == 0)
		void_time = (uint32_t)(now_cl - 86400);
	if (void_time) {
		flags |= 1u << 19;
		wr(p + at, void_time, 4);
		at += 4;
	}
	if (o->sets) {
		int n = snprintf(set, sizeof(set), "set%u",
				 (unsigned)(k % o->sets));

		flags |= 1u << 20;
		p[at++] = (unsigned char)n;
		memcpy(p + at, set, (size_t)n);
		at += (uint32_t)n;
	}
	p[at++] = 2;					/* n_bins */
	memcpy(p + at, "\x01i\x01\x08", 4);		/* int, 8 bytes */
	wr(p + at + 4, k, 8);
	at += 12;
	blob = 16 + (uint32_t)(splitmix(&x) % 185);
	memcpy(p + at, "\x01" "b" "\x04", 3);		/* blob */
	wr(p + at + 3, blob, 4);
	at += 7;
	for (uint32_t i = 0; i < blob; i++)
		p[at + i] = (unsigned char)(k + i);
	at += blob;
	wr(p + at, wyhash25(p + 8) & 0x7FFFFFFFu, 4);
	size = (at + 4 + 15) / 16 * 16;
	memset(p + at + 4, 0, size - at - 4);
	flags |= (size / 16 - 1) | (uint32_t)(pmeta[16 * pid + 8] & 63) << 26;
	wr(p + 4, flags, 4);
	return size;
}

int main(int argc, char **argv)
{
	struct opt o = { .lut = 500000000000ull, .gen = 1, .start = 1 };
	unsigned char *buf = malloc(W), *pmeta = malloc(65536);
	int64_t now_cl = (int64_t)time(NULL) - CL_EPOCH;
	uint64_t wb, k;
	uint32_t pos = 0;
	int fd;

	if (argc < 2 || !buf || !pmeta) {
		fprintf(stderr, "usage: mkrecords IMAGE --records N [...]\n");
		return 2;
	}
	for (int i = 2; i + 1 < argc; i += 2) {
		const char *a = argv[i];
		uint64_t v = strtoull(argv[i + 1], NULL, 0);

		if (!strcmp(a, "--records")) o.records = v;
		else if (!strcmp(a, "--first-key")) o.first_key = v;
		else if (!strcmp(a, "--lut")) o.lut = v;
		else if (!strcmp(a, "--gen")) o.gen = (unsigned)v;
		else if (!strcmp(a, "--sets")) o.sets = (unsigned)v;
		else if (!strcmp(a, "--expire-every")) o.expire_every = (unsigned)v;
		else if (!strcmp(a, "--expired-every")) o.expired_every = (unsigned)v;
		else if (!strcmp(a, "--start-wblock")) o.start = v;
		else if (!strcmp(a, "--seed")) o.seed = v;
		else if (!strcmp(a, "--void-time")) o.void_time = v;
		else {
			fprintf(stderr, "mkrecords: unknown option '%s'\n", a);
			return 2;
		}
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0 || pread(fd, pmeta, 65536, 4096) != 65536) {
		perror(argv[1]);
		return 2;
	}
	wb = o.start;
	memset(buf, 0, W);
	for (k = o.first_key; k < o.first_key + o.records; k++) {
		unsigned char rec[512];
		uint32_t size = build(&o, pmeta, k, now_cl, rec);

		if (size > W - pos) {
			if (pwrite(fd, buf, W, (off_t)(wb * W)) != W) {
				perror("mkrecords: write");
				return 2;
			}
			wb++;
			pos = 0;
			memset(buf, 0, W);
		}
		memcpy(buf + pos, rec, size);
		pos += size;
	}
	if (pos && pwrite(fd, buf, W, (off_t)(wb * W)) != W) {
		perror("mkrecords: write");
		return 2;
	}
	printf("%llu\n", (unsigned long long)wb);
	return close(fd) ? 2 : 0;
}
