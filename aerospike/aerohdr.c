/*
 * aerohdr.c - decoding Aerospike device headers, formats 2, 3 and 4.
 * All fields little-endian, read byte by byte: no alignment assumed.
 */
#include "aerohdr.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static uint64_t le(const unsigned char *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = n; i-- > 0;)
		v = (v << 8) | p[i];
	return v;
}

static bool all_zero(const unsigned char *p, size_t n)
{
	/* Compare against itself shifted: one pass, no zero buffer. */
	return !n || (p[0] == 0 && !memcmp(p, p + 1, n - 1));
}

static void copy_name(char out[33], const unsigned char *p)
{
	memcpy(out, p, 32);
	out[32] = '\0';
}

static void decode_v34(const unsigned char *b, struct as_header *h)
{
	h->format = (unsigned)le(b + 8, 4);
	copy_name(h->namespace, b + 12);
	h->n_devices = (uint32_t)le(b + 44, 4);
	h->random = le(b + 48, 8);
	h->flags = (uint32_t)le(b + 56, 4);
	h->write_block_size = (uint32_t)le(b + 60, 4);
	h->has_unique = true;
	h->device_id = (uint32_t)le(b + AS_OFF_DEVICE_ID, 4);
	h->pristine_offset = le(b + AS_OFF_PRISTINE, 8);
	for (unsigned i = 0; i < AS_PARTITIONS; i++)
		if (!all_zero(b + AS_OFF_PMETA + i * AS_PMETA_BYTES,
			      AS_PMETA_BYTES))
			h->partitions_with_pmeta++;
}

/* Format 2 is packed and has its own flag bits: map them. */
static void decode_v2(const unsigned char *b, struct as_header *h)
{
	unsigned f = b[25];

	h->format = 2;
	h->random = le(b + 8, 8);
	h->write_block_size = (uint32_t)le(b + 16, 4);
	h->n_devices = (uint32_t)le(b + 26, 2);
	copy_name(h->namespace, b + 32);
	h->flags = ((f & 1) ? AS_FLAG_ENCRYPTED : 0) |
		   ((f & 2) ? AS_FLAG_CP : 0) | ((f & 4) ? AS_FLAG_TRUSTED : 0);
}

int as_header_decode(const unsigned char *buf, size_t len,
		     struct as_header *h)
{
	uint64_t magic;

	memset(h, 0, sizeof(*h));
	if (len < AS_HEADER_REGION_BYTES)
		return -EINVAL;
	magic = le(buf, 8);
	h->struct_zero = all_zero(buf, AS_HEADER_STRUCT_BYTES);
	if (magic == AS_MAGIC) {
		h->state = AS_STATE_AEROSPIKE;
		decode_v34(buf, h);
	} else if (magic == AS_MAGIC_V2) {
		h->state = AS_STATE_AEROSPIKE;
		decode_v2(buf, h);
	} else if (all_zero(buf, AS_HEADER_REGION_BYTES)) {
		h->state = AS_STATE_ZEROED;
	} else {
		h->state = AS_STATE_NOT_AEROSPIKE;
	}
	return 0;
}

bool as_header_struct_equal(const unsigned char *a, const unsigned char *b)
{
	size_t p = AS_OFF_PRISTINE, q = AS_OFF_PRISTINE + AS_PRISTINE_BYTES;

	return !memcmp(a, b, p) &&
	       !memcmp(a + q, b + q, AS_HEADER_STRUCT_BYTES - q);
}

bool as_header_clear_trusted(unsigned char *buf, size_t len)
{
	uint64_t magic;

	if (len < 64)
		return false;
	magic = le(buf, 8);
	if (magic == AS_MAGIC) {
		buf[56] &= (unsigned char)~AS_FLAG_TRUSTED;	/* flags u32 LE */
		return true;
	}
	if (magic == AS_MAGIC_V2) {
		buf[25] &= (unsigned char)~4u;		/* format 2 TRUSTED */
		return true;
	}
	return false;
}

const char *as_flags_names(uint32_t flags, char *out, size_t len)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{ AS_FLAG_TRUSTED, "TRUSTED" },
		{ AS_FLAG_SINGLE_BIN, "SINGLE_BIN" },
		{ AS_FLAG_ENCRYPTED, "ENCRYPTED" },
		{ AS_FLAG_CP, "CP" },
		{ AS_FLAG_COMMIT_TO_DEVICE, "COMMIT_TO_DEVICE" },
	};
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(flags & names[i].bit))
			continue;
		used += (size_t)snprintf(out + used, used < len ? len - used : 0,
					 "%s%s", used ? " " : "", names[i].name);
	}
	return out;
}

bool as_wblock_used(const unsigned char *p)
{
	return le(p, 4) == AS_RECORD_MAGIC;
}
