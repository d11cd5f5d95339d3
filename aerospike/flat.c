/*
 * flat.c - checking one on-device record as CE 8.1's cold start does.
 * The order of the checks and the first message each gives follow
 * flat.c, flat_ce.c, particle*.c and drv_ssd.c at 8.1.0.0 (see
 * shared/AEROSPIKE-RECORDS.md, section 3 and 4.3).
 */
#include "flat.h"

#include <endian.h>
#include <stdio.h>
#include <string.h>

/* Little-endian loads of 4 or 8 bytes (n), or of 7 (the LUT word). */
static uint64_t le(const unsigned char *p, unsigned n)
{
	uint64_t v = 0;
	uint32_t w;

	if (n == 4) {
		memcpy(&w, p, 4);
		return le32toh(w);
	}
	if (n == 8) {
		memcpy(&v, p, 8);
		return le64toh(v);
	}
	for (unsigned i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

/* wyhash's mum: the 128-bit product, low half XOR high half. */
static uint64_t wymix(uint64_t a, uint64_t b)
{
	unsigned __int128 r = (unsigned __int128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

uint64_t as_wyhash64(const void *key, size_t len)
{
	static const uint64_t s[4] = {
		0xa0761d6478bd642full, 0xe7037ed1a0b428dbull,
		0x8ebc6af09c88c6e3ull, 0x589965cc75374cc3ull,
	};
	const unsigned char *p = key;
	uint64_t seed = 0x29FBB14cc886full ^ s[0], a, b;

	if (len <= 16) {
		if (len >= 4) {
			size_t k = (len >> 3) << 2;

			a = le(p, 4) << 32 | le(p + k, 4);
			b = le(p + len - 4, 4) << 32 | le(p + len - 4 - k, 4);
		} else if (len > 0) {
			a = (uint64_t)p[0] << 16 | (uint64_t)p[len >> 1] << 8 |
			    p[len - 1];
			b = 0;
		} else {
			a = b = 0;
		}
	} else {
		size_t i = len;

		if (i > 48) {
			uint64_t see1 = seed, see2 = seed;

			do {
				seed = wymix(le(p, 8) ^ s[1], le(p + 8, 8) ^ seed);
				see1 = wymix(le(p + 16, 8) ^ s[2],
					     le(p + 24, 8) ^ see1);
				see2 = wymix(le(p + 32, 8) ^ s[3],
					     le(p + 40, 8) ^ see2);
				p += 48;
				i -= 48;
			} while (i > 48);
			seed ^= see1 ^ see2;
		}
		while (i > 16) {
			seed = wymix(le(p, 8) ^ s[1], le(p + 8, 8) ^ seed);
			i -= 16;
			p += 16;
		}
		a = le(p + i - 16, 8);
		b = le(p + i - 8, 8);
	}
	return wymix(s[1] ^ len, wymix(a ^ s[1], b ^ seed));
}

uint32_t as_flat_end_mark(const unsigned char *rec)
{
	/* The digest and the 5 LUT bytes; bit 31 is left clear. */
	return (uint32_t)as_wyhash64(rec + 8, 25) & 0x7FFFFFFFu;
}

bool as_flat_magic_at(const unsigned char *p)
{
	return le(p, 4) == AS_FLAT_MAGIC;
}

uint32_t as_flat_size(const unsigned char *p)
{
	return ((uint32_t)le(p + 4, 4) & 0x7FFFFu) * 16u + 16u;
}

/*
 * uintvar_parse (bits.h): big-endian base 128, bit 7 on every byte but
 * the last; a leading 0x80 or a value past 32 bits gives 0, as does
 * running into end.
 */
static uint32_t uintvar(const unsigned char *rec, size_t *at, size_t end)
{
	uint64_t v = 0;
	size_t i = *at;

	if (i >= end || rec[i] == 0x80)
		return 0;
	while (i < end) {
		unsigned char c = rec[i++];

		v = v << 7 | (c & 0x7Fu);
		if (v > UINT32_MAX)
			return 0;
		if (!(c & 0x80)) {
			*at = i;
			return (uint32_t)v;
		}
	}
	return 0;
}

/* Particle types CE 8.1 knows on device (safe_particle_type). */
static bool particle_type_valid(unsigned t)
{
	return t == 1 || t == 2 || t == 3 || t == 4 || (t >= 7 && t <= 12) ||
	       t == 16 || t == 17 || t == 18 || t == 19 || t == 20 || t == 23;
}

/*
 * as_flat_check_packed_bins: positions are offsets into the record (64
 * bits: a blob's u32 size cannot wrap them). Returns 0 with *exact set,
 * or the reason.
 */
static enum as_flat_reason check_bins(const unsigned char *rec, size_t at,
				      size_t end, struct as_flat *f,
				      uint64_t *exact)
{
	uint64_t pos = at;

	for (uint32_t i = 0; i < f->n_bins; i++) {
		unsigned name_len, type;

		if (pos >= end)
			return AS_FLAT_BIN_INCOMPLETE;
		name_len = rec[pos++];
		if (name_len >= 16)
			return AS_FLAT_BIN_NAME_BAD;
		pos += name_len;
		/*
		 * asd peeks at the byte after the name for the bin-meta bit
		 * without a bound check; past end every path gives
		 * "incomplete flat particle", so the byte need not be read.
		 */
		if (pos < end && (rec[pos] & 0x80)) {
			if (rec[pos++] & 0x01)
				pos += 5;	/* the bin's LUT */
		}
		if (pos >= end)
			return AS_FLAT_PARTICLE_INCOMPLETE;
		type = rec[pos];
		if (!particle_type_valid(type)) {
			f->detail = type;
			return AS_FLAT_PARTICLE_TYPE_BAD;
		}
		switch (type) {
		case 1:		/* integer: type, size, size bytes */
			if (pos + 2 > end)
				return AS_FLAT_INTEGER_INCOMPLETE;
			pos += 2 + rec[pos + 1];
			break;
		case 2:		/* float: type, 8 bytes; checked later */
			pos += 9;
			break;
		case 17:	/* bool: type, 1 byte */
			pos += 2;
			break;
		default:	/* type, u32 size, size bytes */
			if (pos + 5 > end)
				return AS_FLAT_BLOB_INCOMPLETE;
			pos += 5 + le(rec + pos + 1, 4);
			break;
		}
	}
	if (pos > end)
		return AS_FLAT_RECORD_INCOMPLETE;
	if (pos + AS_RBLOCK_BYTES <= end)
		return AS_FLAT_EXTRA_RBLOCKS;
	*exact = pos;
	return AS_FLAT_OK;
}

/* as_flat_unpack_record_meta, CE. */
static enum as_flat_reason unpack_meta(const unsigned char *rec, size_t end,
				       uint32_t flags, struct as_flat *f,
				       size_t *at_out)
{
	size_t at = AS_FLAT_FIXED_BYTES;
	uint64_t pos;

	if (f->generation == 0)
		return AS_FLAT_GENERATION_0;
	if (flags & (1u << 25)) {		/* has_extra_flags */
		if (at + 1 > end)
			return AS_FLAT_EXTRA_FLAGS_INCOMPLETE;
		if (rec[at] & 0xE0)
			return AS_FLAT_EXTRA_FLAGS_UNSUPPORTED;
		at++;
	}
	if (flags & (1u << 19)) {		/* has_void_time */
		if (at + 4 > end)
			return AS_FLAT_VOID_TIME_INCOMPLETE;
		f->void_time = (uint32_t)le(rec + at, 4);
		at += 4;
	}
	pos = at;
	if (flags & (1u << 20)) {		/* has_set */
		if (pos >= end)
			return AS_FLAT_SET_LEN_INCOMPLETE;
		f->set_len = rec[pos++];
		if (f->set_len == 0 || f->set_len > AS_SET_NAME_MAX) {
			f->detail = f->set_len;
			return AS_FLAT_SET_LEN_BAD;
		}
		f->set = rec + pos;
		pos += f->set_len;
	}
	if (flags & (1u << 21)) {		/* has_key */
		size_t k = pos < end ? (size_t)pos : end;
		uint32_t key_size = uintvar(rec, &k, end);

		if (key_size == 0)
			return AS_FLAT_KEY_SIZE_BAD;
		pos = (uint64_t)k + key_size;
	}
	if (f->has_bins) {
		size_t k = pos < end ? (size_t)pos : end;

		f->n_bins = uintvar(rec, &k, end);
		if (f->n_bins == 0 || f->n_bins > AS_MAX_BINS) {
			f->detail = f->n_bins;
			return AS_FLAT_N_BINS_BAD;
		}
		pos = k;
	}
	if (flags & (1u << 23))			/* is_compressed: CE skips it */
		return AS_FLAT_COMPRESSED;
	if (pos > end)
		return AS_FLAT_METADATA_INCOMPLETE;
	*at_out = (size_t)pos;
	return AS_FLAT_OK;
}

enum as_flat_reason as_flat_parse(const unsigned char *rec, uint32_t size,
				  int64_t now_cl, struct as_flat *f)
{
	uint32_t flags = (uint32_t)le(rec + 4, 4);
	size_t end = size - 4, at = 0;	/* end: may include padding */
	uint64_t lg = le(rec + 28, 7), exact = 0;
	enum as_flat_reason r;

	memset(f, 0, sizeof(*f));
	f->size = size;
	f->digest = rec + 8;
	f->lut = lg & ((1ull << 40) - 1);
	f->generation = (uint16_t)(lg >> 40);
	f->tree_id = flags >> 26;
	f->has_bins = flags & (1u << 22);
	f->pid = (unsigned)le(rec + 8, 4) & 0xFFFu;
	r = unpack_meta(rec, end, flags, f, &at);
	if (r != AS_FLAT_OK)
		return r;
	if (now_cl > 0 && f->void_time > (uint64_t)now_cl + AS_VOID_TIME_CAP_S)
		return AS_FLAT_VOID_TIME_BAD;
	r = check_bins(rec, at, end, f, &exact);
	if (r != AS_FLAT_OK)
		return r;
	f->exact = (uint32_t)exact;
	if (le(rec + exact, 4) != as_flat_end_mark(rec))
		return AS_FLAT_END_MARK_BAD;
	return AS_FLAT_OK;
}

static const struct {
	const char *name;	/* for reports */
	const char *flat;	/* asd's flat/particle line, or NULL */
	const char *drv;	/* asd's drv_ssd line */
} reasons[AS_FLAT_NREASONS] = {
	[AS_FLAT_OK] = { "ok", NULL, "" },
	[AS_FLAT_GENERATION_0] = { "generation-0", "generation 0",
				   "bad metadata for" },
	[AS_FLAT_EXTRA_FLAGS_INCOMPLETE] = { "incomplete-extra-flags",
		"incomplete extra flags", "bad metadata for" },
	[AS_FLAT_EXTRA_FLAGS_UNSUPPORTED] = { "unsupported-extra-flags",
		"unsupported extra storage fields", "bad metadata for" },
	[AS_FLAT_VOID_TIME_INCOMPLETE] = { "incomplete-void-time",
		"incomplete void-time", "bad metadata for" },
	[AS_FLAT_SET_LEN_INCOMPLETE] = { "incomplete-set-name-len",
		"incomplete set name len", "bad metadata for" },
	[AS_FLAT_SET_LEN_BAD] = { "bad-set-name-len", "bad set name len N",
				  "bad metadata for" },
	[AS_FLAT_KEY_SIZE_BAD] = { "bad-key-size", "bad key size",
				   "bad metadata for" },
	[AS_FLAT_N_BINS_BAD] = { "bad-n-bins", "bad n-bins N",
				 "bad metadata for" },
	[AS_FLAT_COMPRESSED] = { "compressed",
		"community edition skipped compressed record",
		"bad metadata for" },
	[AS_FLAT_METADATA_INCOMPLETE] = { "incomplete-metadata",
		"incomplete record metadata", "bad metadata for" },
	[AS_FLAT_VOID_TIME_BAD] = { "bad-void-time", NULL,
				    "bad void-time for" },
	[AS_FLAT_BIN_INCOMPLETE] = { "incomplete-bin", "incomplete flat bin",
				     "bad flat record" },
	[AS_FLAT_BIN_NAME_BAD] = { "bad-bin-name", "bad flat bin name",
				   "bad flat record" },
	[AS_FLAT_PARTICLE_INCOMPLETE] = { "incomplete-particle",
		"incomplete flat particle", "bad flat record" },
	[AS_FLAT_PARTICLE_TYPE_BAD] = { "bad-particle-type",
		"encountered bad particle type N", "bad flat record" },
	[AS_FLAT_INTEGER_INCOMPLETE] = { "incomplete-integer",
		"incomplete flat integer", "bad flat record" },
	[AS_FLAT_BLOB_INCOMPLETE] = { "incomplete-blob",
		"incomplete flat blob/string", "bad flat record" },
	[AS_FLAT_RECORD_INCOMPLETE] = { "incomplete-record",
		"incomplete flat record", "bad flat record" },
	[AS_FLAT_EXTRA_RBLOCKS] = { "extra-rblocks",
		"extra rblocks follow flat record", "bad flat record" },
	[AS_FLAT_END_MARK_BAD] = { "bad-end-marker", NULL,
				   "bad end marker for" },
};

const char *as_flat_reason_name(enum as_flat_reason r)
{
	return (unsigned)r < AS_FLAT_NREASONS ? reasons[r].name : "?";
}

void as_digest_hex(const unsigned char *digest, char out[41])
{
	static const char hex[] = "0123456789abcdef";

	for (unsigned i = 0; i < AS_DIGEST_BYTES; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	out[40] = '\0';
}

const char *as_flat_reason_text(enum as_flat_reason r, uint32_t detail,
				const unsigned char *digest, char *buf,
				size_t len)
{
	char d[41] = "<digest>", first[160] = "";

	if ((unsigned)r >= AS_FLAT_NREASONS || r == AS_FLAT_OK) {
		snprintf(buf, len, "%s", as_flat_reason_name(r));
		return buf;
	}
	if (digest)
		as_digest_hex(digest, d);
	if (reasons[r].flat) {
		switch (r) {	/* literal formats: -Wformat-nonliteral */
		case AS_FLAT_SET_LEN_BAD:
			snprintf(first, sizeof(first), "bad set name len %u",
				 detail);
			break;
		case AS_FLAT_N_BINS_BAD:
			snprintf(first, sizeof(first), "bad n-bins %u", detail);
			break;
		case AS_FLAT_PARTICLE_TYPE_BAD:
			snprintf(first, sizeof(first),
				 "encountered bad particle type %u", detail);
			break;
		case AS_FLAT_COMPRESSED:
			snprintf(first, sizeof(first), "community edition "
				 "skipped compressed record %s", d);
			break;
		default:
			snprintf(first, sizeof(first), "%s", reasons[r].flat);
			break;
		}
		snprintf(buf, len, "%s; %s %s", first, reasons[r].drv, d);
	} else {
		snprintf(buf, len, "%s %s", reasons[r].drv, d);
	}
	return buf;
}
