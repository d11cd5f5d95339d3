/*
 * Unit tests: header decoding of synthetic buffers, asd's cold-start
 * sweep fed in chunks of every size, and the order of the verdict checks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../aerospike/aerohdr.h"
#include "../../aerospike/coldstart.h"

#define W (8u << 20)

static void put(unsigned char *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static unsigned char *region_v4(uint32_t flags, uint64_t pristine)
{
	unsigned char *h = calloc(1, AS_HEADER_REGION_BYTES);

	put(h, AS_MAGIC, 8);
	put(h + 8, 4, 4);
	memcpy(h + 12, "ns1", 3);
	put(h + 44, 2, 4);
	put(h + 48, 0x12f524141f699685ull, 8);
	put(h + 56, flags, 4);
	put(h + 60, W, 4);
	put(h + AS_OFF_PMETA + 16 * 7, 1, 1);
	put(h + AS_OFF_DEVICE_ID, 1, 4);
	put(h + AS_OFF_PRISTINE, pristine, 8);
	return h;
}

static void decodes_v4(void **state)
{
	unsigned char *b = region_v4(AS_FLAG_TRUSTED | AS_FLAG_CP, 16u << 20);
	struct as_header h;
	char names[64];

	(void)state;
	assert_int_equal(as_header_decode(b, AS_HEADER_REGION_BYTES, &h), 0);
	assert_int_equal(h.state, AS_STATE_AEROSPIKE);
	assert_int_equal(h.format, 4);
	assert_string_equal(h.namespace, "ns1");
	assert_int_equal(h.n_devices, 2);
	assert_true(h.random == 0x12f524141f699685ull);
	assert_int_equal(h.write_block_size, W);
	assert_int_equal(h.device_id, 1);
	assert_true(h.pristine_offset == 16u << 20);
	assert_int_equal(h.partitions_with_pmeta, 1);
	assert_string_equal(as_flags_names(h.flags, names, sizeof(names)),
			    "TRUSTED CP");
	/* Too short a buffer is refused, never over-read. */
	assert_int_equal(as_header_decode(b, AS_HEADER_REGION_BYTES - 1, &h),
			 -EINVAL);
	free(b);
}

static void decodes_v2_flags(void **state)
{
	unsigned char *b = calloc(1, AS_HEADER_REGION_BYTES);
	struct as_header h;

	(void)state;
	put(b, AS_MAGIC_V2, 8);
	put(b + 8, 77, 8);
	put(b + 16, 1u << 20, 4);
	b[24] = 2;
	b[25] = 1 | 4;	/* format 2: ENCRYPTED 1, CP 2, TRUSTED 4 */
	put(b + 26, 3, 2);
	memcpy(b + 32, "old", 3);
	as_header_decode(b, AS_HEADER_REGION_BYTES, &h);
	assert_int_equal(h.format, 2);
	assert_int_equal(h.flags, AS_FLAG_ENCRYPTED | AS_FLAG_TRUSTED);
	assert_int_equal(h.n_devices, 3);
	assert_false(h.has_unique);
	assert_string_equal(h.namespace, "old");
	memset(b, 0, AS_HEADER_REGION_BYTES);
	as_header_decode(b, AS_HEADER_REGION_BYTES, &h);
	assert_int_equal(h.state, AS_STATE_ZEROED);
	b[AS_HEADER_REGION_BYTES - 1] = 1;
	as_header_decode(b, AS_HEADER_REGION_BYTES, &h);
	assert_int_equal(h.state, AS_STATE_NOT_AEROSPIKE);
	assert_true(h.struct_zero);
	free(b);
}

static void struct_equal_ignores_pristine(void **state)
{
	unsigned char *a = region_v4(1, 16u << 20), *b = region_v4(1, 0);

	(void)state;
	assert_true(as_header_struct_equal(a, b));
	b[AS_OFF_PRISTINE - 1] ^= 1;
	assert_false(as_header_struct_equal(a, b));
	b[AS_OFF_PRISTINE - 1] ^= 1;
	b[AS_HEADER_STRUCT_BYTES - 1] ^= 1;
	assert_false(as_header_struct_equal(a, b));
	b[AS_HEADER_STRUCT_BYTES - 1] ^= 1;
	b[AS_HEADER_STRUCT_BYTES] ^= 1;	/* past the struct: not compared */
	assert_true(as_header_struct_equal(a, b));
	free(a);
	free(b);
}

/* A 128 MiB device image with used write-blocks at the given indexes. */
static unsigned char *device(const int *used, size_t n)
{
	unsigned char *d = calloc(1, 128u << 20);

	for (size_t i = 0; i < n; i++)
		put(d + AS_HEADER_REGION_BYTES + (size_t)used[i] * W,
		    AS_RECORD_MAGIC, 4);
	return d;
}

static void sweep_any_chunking(void **state)
{
	static const int used[] = { 0, 1, 2, 12 };
	static const size_t chunks[] = { 512, 4096, 1u << 20, 3u << 20,
					 8u << 20, 24u << 20, 128u << 20 };
	unsigned char *d = device(used, 4);

	(void)state;
	for (size_t k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
		struct as_sweep s;

		as_sweep_init(&s, W, 128u << 20);
		for (size_t at = 0; at < (128u << 20); at += chunks[k])
			as_sweep_feed(&s, at, d + at, chunks[k]);
		assert_true(as_sweep_complete(&s));
		/* 3 used, then 9 unused, used #12 restarts, then 2 to end. */
		assert_int_equal(s.swept, 15);
		assert_int_equal(s.used, 4);
	}
	free(d);
}

static void sweep_stops_after_ten(void **state)
{
	static const int used[] = { 0, 11 };
	unsigned char *d = device(used, 2);
	struct as_sweep s;

	(void)state;
	as_sweep_init(&s, W, 128u << 20);
	as_sweep_feed(&s, 0, d, 128u << 20);
	assert_int_equal(s.swept, 11);	/* #11 is never reached */
	assert_int_equal(s.used, 1);
	/* A size not a whole number of write-blocks: the tail is not swept. */
	as_sweep_init(&s, W, (128u << 20) - 1);
	assert_true(s.end == (120u << 20));
	free(d);
}

static void verdict_order(void **state)
{
	unsigned char *l = region_v4(1, 16u << 20), *s = region_v4(1, 0);
	struct as_header lh, sh;
	struct as_server srv;
	struct cs_result r;
	struct cs_pair p = { "L", "S", &lh, &sh, l, s, 128u << 20, NULL };

	(void)state;
	assert_int_equal(as_server_parse("8.1", 0, &srv), 0);
	assert_int_equal(srv.wblock_bytes, W);
	as_header_decode(l, AS_HEADER_REGION_BYTES, &lh);
	as_header_decode(s, AS_HEADER_REGION_BYTES, &sh);
	cs_decide(&srv, &p, &r);
	assert_int_equal(r.verdict, CS_LOAD_LOCAL);

	/* Namespace first, then n-devices: the first failing check wins. */
	p.config_namespace = "other";
	sh.n_devices = 300;
	cs_decide(&srv, &p, &r);
	assert_int_equal(r.verdict, CS_CRASH);
	assert_string_equal(r.message, "S: previous namespace ns1 now other - "
				       "check config or erase device");
	p.config_namespace = "ns1";
	cs_decide(&srv, &p, &r);
	assert_string_equal(r.message, "S: bad n-devices 300");
	sh.n_devices = 2;

	sh.flags = 0;
	cs_decide(&srv, &p, &r);
	assert_int_equal(r.verdict, CS_COPY_FROM_SHADOW);
	sh.flags = 1;

	assert_int_equal(as_server_parse("6.3.1", 0, &srv), 0);
	cs_decide(&srv, &p, &r);
	assert_int_equal(r.verdict, CS_COPY_FROM_SHADOW);
	assert_int_equal(as_server_parse("x", 0, &srv), -EINVAL);
	assert_int_equal(as_server_parse("8.1z", 0, &srv), -EINVAL);
	free(l);
	free(s);
}

static void set_check(void **state)
{
	struct as_header h[3] = { 0 };
	struct cs_pair p[3] = {
		{ "l0", "s0", NULL, &h[0], NULL, NULL, 0, "ns" },
		{ "l1", "s1", NULL, &h[1], NULL, NULL, 0, "ns" },
		{ "l2", "s2", NULL, &h[2], NULL, NULL, 0, "ns" },
	};
	struct cs_result r;

	(void)state;
	for (int i = 0; i < 3; i++) {
		h[i].state = AS_STATE_AEROSPIKE;
		h[i].random = 5;
		h[i].n_devices = 3;
	}
	assert_int_equal(cs_check_set(p, 3, "ns", &r), -1);
	h[0].random = 0;	/* fresh: skipped */
	h[2].random = 6;
	assert_int_equal(cs_check_set(p, 3, "ns", &r), 2);
	assert_string_equal(r.message, "{ns} drive set with unmatched headers "
				       "- devices l1 & l2 have different "
				       "signatures");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decodes_v4),
		cmocka_unit_test(decodes_v2_flags),
		cmocka_unit_test(struct_equal_ignores_pristine),
		cmocka_unit_test(sweep_any_chunking),
		cmocka_unit_test(sweep_stops_after_ten),
		cmocka_unit_test(verdict_order),
		cmocka_unit_test(set_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
