/*
 * Unit tests of the record walker (aerospike/flat.c, recindex.c,
 * records.c): the real 8.1 fixtures give exactly the figures of
 * shared/AEROSPIKE-RECORDS.md section 6 (every record passes, asd's
 * `read complete` lines), each planted damage gives asd's reason, and
 * built records exercise the void-time cap, expiry and the conflict rule.
 * The fixtures are decompressed with zstd(1) into memory.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "../../aerospike/aerohdr.h"
#include "../../aerospike/flat.h"
#include "../../aerospike/recdiff.h"
#include "../../aerospike/recindex.h"
#include "../../aerospike/records.h"

#define W AS_WBLOCK_BYTES
#define FX "tests/fixtures/aerospike-8.1-clean/"
#define FX_BYTES (128u << 20)

static unsigned char *fx[4];	/* a.dat, a.shadow, b.dat, b.shadow */
static const char *const fx_name[4] = { "ns1-a.dat", "ns1-a.shadow",
					"ns1-b.dat", "ns1-b.shadow" };

static int load_fixtures(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		char cmd[256];
		FILE *f;
		size_t n;

		snprintf(cmd, sizeof(cmd), "zstd -q -dc " FX "%s.zst",
			 fx_name[i]);
		f = popen(cmd, "r");
		fx[i] = malloc(FX_BYTES);
		if (!f || !fx[i])
			return -1;
		n = fread(fx[i], 1, FX_BYTES, f);
		if (pclose(f) != 0 || n != FX_BYTES) {
			fprintf(stderr, "cannot decompress %s with zstd\n",
				fx_name[i]);
			return -1;
		}
	}
	return 0;
}

static int free_fixtures(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 4; i++)
		free(fx[i]);
	return 0;
}

/* Sweep one device image as one namespace of its own. */
struct walk {
	struct as_ownership own;
	struct as_records w;
	struct as_dev_records d;
};

static void walk_dev(struct walk *k, const unsigned char *img, size_t size,
		     int64_t now)
{
	struct as_header h;

	assert_int_equal(as_header_decode(img, AS_HEADER_REGION_BYTES, &h), 0);
	as_ownership_from_region(img, AS_HEADER_REGION_BYTES, &h, &k->own);
	as_records_init(&k->w, &k->own, now);
	as_records_begin(&k->w, &k->d, size);
	/* Chunks of 3 write-blocks, as a pipeline would hand them. */
	for (size_t off = 0; off < size; off += 3 * W) {
		size_t len = size - off < 3 * W ? size - off : 3 * W;

		assert_int_equal(as_records_feed(&k->w, off, img + off, len), 0);
	}
	as_records_end(&k->w);
}

static void known_answers(void **state)
{
	/* cf_wyhash64 of the bytes 1, 2, ..., n (golden values pinned to
	 * the server's function by another implementation's tests). */
	static const struct { size_t n; uint64_t h; } ka[] = {
		{ 0, 0xda3421757d70ae2dull }, { 1, 0x9c0aff191d7c3766ull },
		{ 4, 0x038571adfbb334deull }, { 16, 0x3c7a010b466e670bull },
		{ 25, 0xa6cf3de1fb1b7f86ull }, { 100, 0xd43f79c77a71bc77ull },
	};
	unsigned char key[100];
	char text[200];

	(void)state;
	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)(i + 1);
	for (unsigned i = 0; i < sizeof(ka) / sizeof(ka[0]); i++)
		assert_true(as_wyhash64(key, ka[i].n) == ka[i].h);
	/* The worked example: the first record of ns1-a.dat. */
	assert_true(as_flat_end_mark(fx[0] + W) == 0x5ee6a876u);
	assert_string_equal(as_flat_reason_text(AS_FLAT_GENERATION_0, 0, NULL,
						text, sizeof(text)),
			    "generation 0; bad metadata for <digest>");
}

/* Section 6 of the shared document, file by file. */
static void clean_fixtures(void **state)
{
	static const struct { uint64_t seen, unique, replaced; } want[4] = {
		{ 10063, 10060, 3 }, { 10063, 10060, 3 },
		{ 9947, 9940, 7 }, { 9947, 9940, 7 },
	};
	static struct walk k;
	char line[256], want_line[256];

	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		walk_dev(&k, fx[i], FX_BYTES, time(NULL));
		assert_int_equal(k.own.owned_count, 4096);
		assert_true(k.d.records_seen == want[i].seen);
		assert_true(k.d.unique == want[i].unique);
		assert_true(k.d.replaced == want[i].replaced);
		assert_true(k.d.older == 0 && k.d.expired == 0 &&
			    k.d.evicted == 0 && k.d.unparsable == 0);
		assert_true(k.d.unowned == 0 && k.d.dropped_tree == 0);
		assert_true(k.d.wblocks_read == 11 && k.d.wblocks_used == 1);
		assert_true(k.d.stopped_unused && k.d.stop_wblock == 12);
		assert_true(k.d.pristine_wblock == 2);	/* = 16 MiB */
		assert_true(k.d.bad_size_warnings == 0);
		assert_true(k.d.hidden_by_size == 0 && k.d.hidden_by_magic == 0);
		assert_true(k.d.beyond_used_wblocks == 0 &&
			    k.d.beyond_records == 0);
		assert_true(k.d.lut_min == 533459692347ull);
		assert_true(k.d.lut_max == 533459694120ull);
		assert_true(k.d.with_void_time == 0);
		assert_int_equal(k.w.index.nsets, 1);
		assert_string_equal(k.w.index.set_names[1], "s1");
		assert_true(k.d.per_set[1] == want[i].seen);
		snprintf(want_line, sizeof(want_line), "device %s: read complete: "
			 "UNIQUE %llu (REPLACED %llu) (OLDER 0) (EXPIRED 0) "
			 "(EVICTED 0) (UNPARSABLE 0) records", fx_name[i],
			 (unsigned long long)want[i].unique,
			 (unsigned long long)want[i].replaced);
		assert_string_equal(as_records_complete_line(fx_name[i], &k.d,
							     line, sizeof(line)),
				    want_line);
		as_records_release(&k.w);
	}
	/* 2026-11-27 07:14:52 UTC */
	assert_true((int64_t)as_lut_unix(533459692347ull) == 1795763692);
}

/*
 * The namespace: both locals through one index, 20,000 objects; the
 * same figures with the index on its own thread.
 */
static void clean_namespace(void **state)
{
	static struct as_dev_records d[2];
	static struct as_ownership own;
	struct as_records w;
	struct as_header h;
	uint64_t sets[256];

	(void)state;
	as_header_decode(fx[0], AS_HEADER_REGION_BYTES, &h);
	as_ownership_from_region(fx[0], AS_HEADER_REGION_BYTES, &h, &own);
	for (unsigned threaded = 0; threaded < 2; threaded++) {
		assert_int_equal(as_records_init(&w, &own, time(NULL)), 0);
		if (threaded)
			assert_int_equal(as_records_start_thread(&w), 0);
		for (unsigned i = 0; i < 2; i++) {
			const unsigned char *img = fx[2 * i];

			as_records_begin(&w, &d[i], FX_BYTES);
			assert_int_equal(as_records_feed(&w, 0, img,
							 FX_BYTES), 0);
			assert_int_equal(as_records_end(&w), 0);
		}
		assert_true(w.index.used == 20000);
		assert_true(d[0].unique == 10060 && d[0].replaced == 3);
		assert_true(d[1].unique == 9940 && d[1].replaced == 7);
		as_recindex_count_sets(&w.index, sets);
		assert_true(sets[1] == 20000);
		/* Fed twice, every record of the second pass is an identical
		 * copy: OLDER (what defrag copies give). */
		as_records_begin(&w, &d[0], FX_BYTES);
		assert_int_equal(as_records_feed(&w, 0, fx[1], FX_BYTES), 0);
		assert_int_equal(as_records_end(&w), 0);
		assert_true(d[0].older == 10063 && d[0].unique == 0);
		as_records_release(&w);
	}
}

/*
 * Truncations against the real fixture (20,000 objects of set s1, LUTs
 * 533459692347 to 533459694120): older means strictly below a
 * threshold, the namespace's applies to every set, a set's to its own;
 * the rules' sets get their ids before any record is fed; more named
 * sets than ids is -E2BIG.
 */
static void truncation_census(void **state)
{
	static struct as_dev_records d[2];
	static struct as_ownership own;
	static struct as_set_rule many[300];
	static char names[300][8];
	const uint64_t lo = 533459692347ull, hi = 533459694120ull;
	const struct as_set_rule r[] = {
		{ .name = "other", .truncate_lut = hi + 1 },
		{ .name = "s1", .truncate_lut = lo },
		{ .name = "s1", .truncate_lut = hi },	/* larger wins */
	};
	struct as_census c;
	struct as_records w;
	struct as_header h;

	(void)state;
	as_header_decode(fx[0], AS_HEADER_REGION_BYTES, &h);
	as_ownership_from_region(fx[0], AS_HEADER_REGION_BYTES, &h, &own);
	for (unsigned ns_wide = 0; ns_wide < 2; ns_wide++) {
		assert_int_equal(as_records_init(&w, &own, time(NULL)), 0);
		assert_int_equal(as_records_set_rules(&w, 0, ns_wide ? hi + 1 : 0,
						      r, 3), 0);
		assert_int_equal(w.index.nsets, 2);	/* other 1, s1 2 */
		for (unsigned i = 0; i < 2; i++) {
			as_records_begin(&w, &d[i], FX_BYTES);
			assert_int_equal(as_records_feed(&w, 0, fx[2 * i],
							 FX_BYTES), 0);
			assert_int_equal(as_records_end(&w), 0);
		}
		as_records_census(&w, &c);
		assert_true(c.objects[2] == 20000 && c.objects[1] == 0);
		/* s1 at hi: all but the newest, written at hi exactly. */
		assert_true(c.back_set[2] > 19000 && c.back_set[2] < 20000);
		assert_true(c.back_ns[2] == (ns_wide ? 20000 : 0));
		assert_true(c.back[2] == (ns_wide ? 20000 : c.back_set[2]));
		as_records_release(&w);
	}
	/* At lo: nothing is below it. */
	assert_int_equal(as_records_init(&w, &own, time(NULL)), 0);
	assert_int_equal(as_records_set_rules(&w, 0, lo, r + 1, 1), 0);
	as_records_begin(&w, &d[0], FX_BYTES);
	assert_int_equal(as_records_feed(&w, 0, fx[0], FX_BYTES), 0);
	assert_int_equal(as_records_end(&w), 0);
	as_records_census(&w, &c);
	assert_true(c.back[1] == 0 && c.objects[1] == 10060);
	as_records_release(&w);
	/* 300 named sets do not fit in 254 ids. */
	for (unsigned i = 0; i < 300; i++) {
		snprintf(names[i], sizeof(names[i]), "s%u", i);
		many[i] = (struct as_set_rule){ .name = names[i], .no_evict = true };
	}
	assert_int_equal(as_records_init(&w, &own, time(NULL)), 0);
	assert_int_equal(as_records_set_rules(&w, 0, 0, many, 300), -E2BIG);
	as_records_release(&w);
}

/*
 * A cap on the index: the 10,063 records of a.dat count 26 bytes each
 * by the index's own measure (AS_RECINDEX_HELD_BYTES: 262 KB in all,
 * the same with rounds or without); under a 200 KiB cap the walk fails
 * with -ENOBUFS, on one thread or two, the records read before are
 * still counted and no object count is given as if complete.
 */
static void index_cap(void **state)
{
	static struct as_dev_records d;
	static struct as_ownership own;
	struct as_records w;
	struct as_header h;

	(void)state;
	as_header_decode(fx[0], AS_HEADER_REGION_BYTES, &h);
	as_ownership_from_region(fx[0], AS_HEADER_REGION_BYTES, &h, &own);
	for (unsigned threaded = 0; threaded < 2; threaded++) {
		int ret;

		assert_int_equal(as_records_init(&w, &own, time(NULL)), 0);
		w.index.cap_bytes = 200u << 10;
		if (threaded)
			assert_int_equal(as_records_start_thread(&w), 0);
		as_records_begin(&w, &d, FX_BYTES);
		ret = as_records_feed(&w, 0, fx[0], FX_BYTES);
		assert_true(ret == 0 || ret == -ENOBUFS);
		assert_int_equal(as_records_end(&w), -ENOBUFS);
		assert_true(w.index.peak_bytes <= 200u << 10);
		assert_true(w.index.used == 0);
		assert_true(d.unique == 0);
		assert_true(d.records_seen == 10063);
		as_records_release(&w);
	}
	/* 1 MiB fits; the size the cap bounds is 26 bytes a record. */
	assert_int_equal(as_records_init(&w, &own, time(NULL)), 0);
	w.index.cap_bytes = 1u << 20;
	as_records_begin(&w, &d, FX_BYTES);
	assert_int_equal(as_records_feed(&w, 0, fx[0], FX_BYTES), 0);
	assert_int_equal(as_records_end(&w), 0);
	assert_true(w.index.used == 10060);
	assert_true(w.index.peak_bytes <= 1u << 20);
	assert_true(w.index.peak_bytes ==
		    w.index.pending_total * AS_RECINDEX_HELD_BYTES);
	assert_true(w.index.pending_total >= 10060);
	as_records_release(&w);
	/* The direct table's cap: 2,048 slots fit 64 KiB, 4,096 do not. */
	{
		struct as_recindex x;
		struct as_recver v = { .lut = 1, .generation = 1 };
		unsigned char dig[20] = { 0 };
		int ret = 0;

		as_recindex_init(&x);
		x.cap_bytes = 64u << 10;
		for (unsigned i = 0; i < 2000 && ret == 0; i++) {
			memcpy(dig + 12, &i, sizeof(i));
			ret = as_recindex_put(&x, dig, &v);
		}
		assert_int_equal(ret, -ENOBUFS);
		assert_true(x.used == 2048 * 3 / 4);
		assert_true(x.peak_bytes <= 64u << 10);
		as_recindex_release(&x);
	}
}

/* Record k of a fixture's first write-block, and the offsets of all. */
static uint32_t offs[12000];
static unsigned noffs;

static void index_records(const unsigned char *img)
{
	uint32_t at = 0;

	noffs = 0;
	while (at < W && as_flat_magic_at(img + W + at)) {
		offs[noffs++] = at;
		at += as_flat_size(img + W + at);
	}
}

/* A record of generation 1 whose digest is nowhere else. */
static unsigned pick_lone_record(const unsigned char *img, unsigned from)
{
	for (unsigned k = from; k < noffs; k++) {
		const unsigned char *r = img + W + offs[k];
		bool twin = false;

		if (r[33] != 1 || r[34] != 0)
			continue;
		for (unsigned j = 0; j < noffs && !twin; j++)
			twin = j != k && !memcmp(img + W + offs[j] + 8, r + 8, 20);
		if (!twin)
			return k;
	}
	fail();
	return 0;
}

struct damage {
	const char *what;
	unsigned at;		/* offset in the record (or the header) */
	unsigned char byte;
	bool in_header;		/* at: in pmeta[pid] of the record */
};

static unsigned char saved[16];

/* Plant bytes at img + pos, walk, undo. */
static void walk_planted(struct walk *k, unsigned char *img, size_t pos,
			 const unsigned char *bytes, size_t n)
{
	memcpy(saved, img + pos, n);
	memcpy(img + pos, bytes, n);
	walk_dev(k, img, FX_BYTES, time(NULL));
	memcpy(img + pos, saved, n);
}

static void planted_damage(void **state)
{
	static struct walk k;
	unsigned char *img = fx[0];
	unsigned r, pid, in_pid = 0;
	size_t rec;
	char text[256], hex[41];

	(void)state;
	index_records(img);
	assert_int_equal(noffs, 10063);
	r = pick_lone_record(img, 100);
	rec = W + offs[r];
	pid = (img[rec + 8] | img[rec + 9] << 8) & 0xFFF;
	for (unsigned j = 0; j < noffs; j++)
		in_pid += ((img[W + offs[j] + 8] | img[W + offs[j] + 9] << 8) &
			   0xFFF) == pid;

	/* A flipped LUT byte: the end mark no longer matches. */
	walk_planted(&k, img, rec + 28, (unsigned char[]){ img[rec + 28] ^ 1 }, 1);
	assert_true(k.d.unparsable == 1 && k.d.unique == 10059);
	assert_true(k.d.unparsable_by[AS_FLAT_END_MARK_BAD] == 1);
	assert_true(k.d.first_unparsable_offset == rec);
	as_digest_hex(img + rec + 8, hex);
	snprintf(text, sizeof(text), "bad end marker for %s", hex);
	assert_string_equal(as_flat_reason_text(k.d.first_unparsable_reason,
						k.d.first_unparsable_detail,
						k.d.first_unparsable_digest,
						(char[256]){ 0 }, 256), text);
	assert_true(k.d.hidden_by_size == 0);
	as_records_release(&k.w);

	/* Generation 0. */
	walk_planted(&k, img, rec + 33, (unsigned char[]){ 0, 0 }, 2);
	assert_true(k.d.unparsable_by[AS_FLAT_GENERATION_0] == 1 &&
		    k.d.unparsable == 1 && k.d.unique == 10059);
	as_records_release(&k.w);

	/* n_rblocks 0x7FFFF: "bad record size 8388608", 16 bytes on. */
	walk_planted(&k, img, rec + 4,
		     (unsigned char[]){ 0xFF, 0xFF, img[rec + 6] | 0x07 }, 3);
	assert_true(k.d.bad_size_warnings == 1 && k.d.first_bad_size == W);
	assert_true(k.d.records_seen == 10062 && k.d.unique == 10059 &&
		    k.d.unparsable == 0);
	as_records_release(&k.w);

	/* A size too large that fits: the records it spans are hidden. */
	{
		uint32_t size = as_flat_size(img + rec), big = size + 40 * 16;
		uint32_t n = big / 16 - 1, hidden = 0;

		for (unsigned j = r + 1; j < noffs; j++)
			hidden += offs[j] > offs[r] && offs[j] < offs[r] + big;
		assert_true(hidden >= 2);
		walk_planted(&k, img, rec + 4,
			     (unsigned char[]){ n & 0xFF, (n >> 8) & 0xFF,
						(img[rec + 6] & 0xF8) | (n >> 16) },
			     3);
		assert_true(k.d.unparsable_by[AS_FLAT_EXTRA_RBLOCKS] == 1);
		assert_true(k.d.hidden_by_size == hidden);
		assert_true(k.d.records_seen == 10063 - hidden);
		as_records_release(&k.w);
	}

	/* A damaged first magic: write-block 1 reads as unused. */
	walk_planted(&k, img, W, (unsigned char[]){ 0 }, 1);
	assert_true(k.d.records_seen == 0 && k.d.wblocks_used == 0);
	assert_true(k.d.hidden_by_magic == 10062 &&
		    k.d.hidden_by_magic_wblocks == 1);
	assert_true(k.d.wblocks_read == 10 && k.d.stop_wblock == 11 &&
		    k.d.pristine_wblock == 1);
	as_records_release(&k.w);

	/* An unowned partition (ckey 0), then a dropped tree. */
	walk_planted(&k, img, AS_OFF_PMETA + 16 * pid,
		     (unsigned char[6]){ 0 }, 6);
	assert_true(k.d.unowned == in_pid && in_pid >= 1);
	assert_true(k.d.unique + k.d.replaced == 10063 - in_pid);
	as_records_release(&k.w);
	walk_planted(&k, img, AS_OFF_PMETA + 16 * pid + 8,
		     (unsigned char[]){ 2 }, 1);
	assert_true(k.d.dropped_tree == in_pid && k.d.unowned == 0);
	as_records_release(&k.w);

	/* A damaged bin type: the first bin's particle type 1 -> 0. */
	assert_int_equal(img[rec + 41], 1);
	walk_planted(&k, img, rec + 41, (unsigned char[]){ 0 }, 1);
	assert_true(k.d.unparsable_by[AS_FLAT_PARTICLE_TYPE_BAD] == 1);
	assert_true(k.d.first_unparsable_detail == 0);
	snprintf(text, sizeof(text), "encountered bad particle type 0; bad "
		 "flat record %s", hex);
	assert_string_equal(as_flat_reason_text(k.d.first_unparsable_reason,
						k.d.first_unparsable_detail,
						k.d.first_unparsable_digest,
						(char[256]){ 0 }, 256), text);
	as_records_release(&k.w);

	/* A used write-block beyond the stop: lost. */
	memcpy(img + 13ull * W, img + W, W);
	walk_dev(&k, img, FX_BYTES, time(NULL));
	memset(img + 13ull * W, 0, W);
	assert_true(k.d.beyond_used_wblocks == 1 && k.d.beyond_first_wblock == 13);
	assert_true(k.d.beyond_records == 10063 && k.d.unique == 10060);
	as_records_release(&k.w);
}

/* Build a record: set, void-time, n int bins; returns its size. */
static uint32_t build(unsigned char *p, unsigned char id, uint64_t lut,
		      uint16_t gen, uint32_t void_time, const char *set)
{
	uint32_t at = 35, flags = (1u << 22) | (1u << 26);
	unsigned char digest[20];

	memset(digest, id, sizeof(digest));
	digest[0] = 7;	/* partition 7 */
	digest[1] = 0;
	memcpy(p, "\x01\xf2\x7a\x03", 4);
	memcpy(p + 8, digest, 20);
	for (unsigned i = 0; i < 5; i++)
		p[28 + i] = (unsigned char)(lut >> (8 * i));
	p[33] = (unsigned char)gen;
	p[34] = (unsigned char)(gen >> 8);
	if (void_time) {
		flags |= 1u << 19;
		memcpy(p + at, &void_time, 4);
		at += 4;
	}
	if (set) {
		flags |= 1u << 20;
		p[at++] = (unsigned char)strlen(set);
		memcpy(p + at, set, strlen(set));
		at += (uint32_t)strlen(set);
	}
	p[at++] = 1;				/* n_bins */
	memcpy(p + at, "\x01x\x01\x01\x2a", 5);	/* x = int 42 */
	at += 5;
	{
		uint32_t mark = as_flat_end_mark(p), size = (at + 4 + 15) / 16 * 16;

		memcpy(p + at, &mark, 4);
		flags |= size / 16 - 1;
		memcpy(p + 4, &flags, 4);
		return size;
	}
}

static void record_rules(void **state)
{
	static unsigned char img[13u * W];
	static struct walk k;
	int64_t now = time(NULL), now_cl = now - AS_CL_EPOCH_UNIX;
	uint32_t at = W, year = 365u * 24 * 3600;
	unsigned char *h = img;

	(void)state;
	memset(img, 0, sizeof(img));
	memcpy(h, "\x22\x03\x73\x75\x72\x74\x49\x43", 8);	/* AS_MAGIC */
	h[8] = 4;
	memcpy(h + 12, "ns", 2);
	h[44] = 1;
	h[48] = 1;
	memcpy(h + 60, "\x00\x00\x80\x00", 4);
	h[AS_OFF_PMETA + 16 * 7] = 1;		/* partition 7: ckey 1 */
	h[AS_OFF_PMETA + 16 * 7 + 8] = 1;	/* tree 1 */
	/* 1: void-time 11 years ahead: "bad void-time". */
	at += build(img + at, 1, 1000, 1, (uint32_t)now_cl + 11 * year, "a");
	/* 2: expired; 3: live for a year. */
	at += build(img + at, 2, 1000, 1, (uint32_t)now_cl - 100, "a");
	at += build(img + at, 3, 1000, 1, (uint32_t)now_cl + year, "b");
	/* 4: LUT 2000 then 1000 (OLDER), then 3000 (REPLACED). */
	at += build(img + at, 4, 2000, 1, 0, NULL);
	at += build(img + at, 4, 1000, 9, 0, NULL);
	at += build(img + at, 4, 3000, 1, 0, NULL);
	/* 5: equal LUTs, generation 65535 then 1: wraps, 1 is newer. */
	at += build(img + at, 5, 1000, 65535, 0, NULL);
	at += build(img + at, 5, 1000, 1, 0, NULL);
	/* 6: all equal, the existing (void 0) is kept: OLDER. */
	at += build(img + at, 6, 1000, 1, 0, NULL);
	at += build(img + at, 6, 1000, 1, (uint32_t)now_cl + year, NULL);
	/* 7: live, then a newer expired version drops both. */
	at += build(img + at, 7, 1000, 1, 0, NULL);
	at += build(img + at, 7, 2000, 1, (uint32_t)now_cl - 1, NULL);
	walk_dev(&k, img, sizeof(img), now);
	assert_true(k.d.records_seen == 12);
	assert_true(k.d.unparsable == 1 &&
		    k.d.unparsable_by[AS_FLAT_VOID_TIME_BAD] == 1);
	assert_true(k.d.expired == 2);
	assert_true(k.d.older == 2);
	assert_true(k.d.replaced == 2);
	assert_true(k.d.unique == 5);	/* 3, 4, 5, 6, 7 */
	assert_true(k.w.index.used == 4);	/* 3, 4, 5, 6 */
	assert_true(k.d.with_void_time == 4);	/* the cap's is not read */
	assert_true(k.d.void_min == (uint64_t)now_cl - 100);
	assert_true(k.d.per_set[1] == 1 && k.d.per_set[2] == 1);
	assert_string_equal(k.w.index.set_names[2], "b");
	assert_true(k.d.lut_min == 1000 && k.d.lut_max == 3000);
	as_records_release(&k.w);
}

/*
 * recdiff: write-block 1 of ns1-a.dat against its shadow with damage
 * planted on the local copy. The expected figures come from the
 * record offsets read here with plain byte arithmetic (magic bytes,
 * (n_rblocks + 1) * 16), not from the walker.
 */
static unsigned plain_offsets(const unsigned char *wb, uint32_t *o)
{
	unsigned n = 0;
	uint32_t at = 0;

	while (at < W && !memcmp(wb + at, "\x01\xf2\x7a\x03", 4)) {
		uint32_t flags = (uint32_t)wb[at + 4] | (uint32_t)wb[at + 5] << 8 |
				 (uint32_t)wb[at + 6] << 16;

		o[n++] = at;
		at += ((flags & 0x7FFFF) + 1) * 16;
	}
	return n;
}

/* Shadow records k in [from, to] whose digest no other record has. */
static unsigned lone_in(const unsigned char *wb, const uint32_t *o,
			unsigned n, unsigned from, unsigned to)
{
	unsigned lone = 0;

	for (unsigned k = from; k <= to; k++) {
		bool elsewhere = false;

		for (unsigned j = 0; j < n && !elsewhere; j++)
			elsewhere = (j < from || j > to) &&
				    !memcmp(wb + o[j] + 8, wb + o[k] + 8, 20);
		lone += !elsewhere;
	}
	return lone;
}

static void diff_planted(void **state)
{
	static uint32_t o[12000];
	static struct as_ownership own;
	unsigned char *local = fx[0] + W, *shadow = fx[1] + W, save[4];
	struct as_recdiff x;
	struct as_header h;
	unsigned n, k, m = 5;
	uint32_t size;

	(void)state;
	n = plain_offsets(shadow, o);
	assert_int_equal(n, 10063);
	as_header_decode(fx[1], AS_HEADER_REGION_BYTES, &h);
	as_ownership_from_region(fx[1], AS_HEADER_REGION_BYTES, &h, &own);
	index_records(fx[0]);
	k = pick_lone_record(fx[0], 100);

	/* A LUT byte: one bad end marker; its only copy is lost. */
	assert_int_equal(as_recdiff_init(&x, &own, time(NULL)), 0);
	local[o[k] + 30] ^= 0xFF;
	as_recdiff_wblock(&x, W, local, shadow, true, true);
	local[o[k] + 30] ^= 0xFF;
	assert_true(x.local.wblocks == 1 && x.local.records == n);
	assert_true(x.local.differing == 1 && x.local.unparsable == 1);
	assert_true(x.local.unparsable_by[AS_FLAT_END_MARK_BAD] == 1);
	assert_true(x.local.first_unparsable_offset == W + o[k]);
	assert_true(x.local.hidden_by_size == 0 && x.not_loaded == 1);
	assert_true(x.shadow.records == n && x.shadow.differing == 1 &&
		    x.shadow.unparsable == 0);
	as_recdiff_release(&x);

	/* n_rblocks of record k spans k+1..k+m: those are hidden, k is
	 * unparsable (extra rblocks), the lone ones among k..k+m lost. */
	assert_int_equal(as_recdiff_init(&x, &own, time(NULL)), 0);
	memcpy(save, local + o[k] + 4, 4);
	size = o[k + m + 1] - o[k];
	local[o[k] + 4] = (unsigned char)(size / 16 - 1);
	local[o[k] + 5] = (unsigned char)((size / 16 - 1) >> 8);
	local[o[k] + 6] = (unsigned char)((local[o[k] + 6] & 0xF8) |
					  ((size / 16 - 1) >> 16));
	as_recdiff_wblock(&x, W, local, shadow, true, true);
	memcpy(local + o[k] + 4, save, 4);
	assert_true(x.local.records == n - m);
	assert_true(x.local.differing == 1 && x.local.unparsable == 1);
	assert_true(x.local.unparsable_by[AS_FLAT_EXTRA_RBLOCKS] == 1);
	assert_true(x.local.hidden_by_size == m);
	assert_int_equal(x.not_loaded, lone_in(shadow, o, n, k, k + m));
	as_recdiff_release(&x);

	/* The first record's magic: the write-block reads as unused. */
	assert_int_equal(as_recdiff_init(&x, &own, time(NULL)), 0);
	local[0] ^= 0xFF;
	as_recdiff_wblock(&x, W, local, shadow, true, true);
	local[0] ^= 0xFF;
	assert_true(x.local.records == 0 && x.local.hidden_by_magic == n - 1);
	assert_true(x.not_loaded == n && x.shadow.differing == 1);
	as_recdiff_release(&x);

	/* Past the local sweep's stop: none of the shadow's is loaded. */
	assert_int_equal(as_recdiff_init(&x, &own, time(NULL)), 0);
	as_recdiff_wblock(&x, W, local, shadow, false, true);
	assert_true(x.local.unread_wblocks == 1 && x.local.wblocks == 0);
	assert_true(x.not_loaded == n && x.shadow.differing == 0);
	as_recdiff_release(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_answers),
		cmocka_unit_test(clean_fixtures),
		cmocka_unit_test(clean_namespace),
		cmocka_unit_test(index_cap),
		cmocka_unit_test(truncation_census),
		cmocka_unit_test(diff_planted),
		cmocka_unit_test(planted_damage),
		cmocka_unit_test(record_rules),
	};

	return cmocka_run_group_tests(tests, load_fixtures, free_fixtures);
}
