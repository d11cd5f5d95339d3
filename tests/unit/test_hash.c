/* Unit tests: XXH3-128 known answers (from xxhsum -H2) and canonical form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../verify/hash.h"

static void known_answers(void **state)
{
	char hex[BLOCK_HASH_HEX_LEN + 1];

	(void)state;
	assert_true(block_hash_selftest());
	block_hash_hex(block_hash_of("abc", 3), hex);
	assert_string_equal(hex, "06b05ab6733a618578af5f94892f3950");
}

static void canonical_round_trip(void **state)
{
	unsigned char c[16];
	block_hash h = block_hash_of("shadowsync", 10), back;
	char hex[BLOCK_HASH_HEX_LEN + 1], hex2[3];

	(void)state;
	block_hash_to_canonical(h, c);
	back = block_hash_from_canonical(c);
	assert_true(block_hash_equal(h, back));
	/* Big-endian: the first canonical byte is the top of high64. */
	assert_int_equal(c[0], (unsigned)(h.high64 >> 56));
	assert_int_equal(c[15], (unsigned)(h.low64 & 0xff));
	block_hash_hex(h, hex);
	snprintf(hex2, sizeof(hex2), "%02x", c[0]);
	assert_memory_equal(hex, hex2, 2);
}

static void one_bit_changes_it(void **state)
{
	unsigned char buf[4096] = { 0 };
	block_hash a = block_hash_of(buf, sizeof(buf)), b;

	(void)state;
	buf[4095] ^= 1;
	b = block_hash_of(buf, sizeof(buf));
	assert_false(block_hash_equal(a, b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_answers),
		cmocka_unit_test(canonical_round_trip),
		cmocka_unit_test(one_bit_changes_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
