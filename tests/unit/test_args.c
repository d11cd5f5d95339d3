/* Unit tests: size and number parsing of the command line. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../cli/cli.h"

static void sizes_with_suffixes(void **state)
{
	static const struct {
		const char *in;
		uint64_t want;
	} ok[] = {
		{ "0", 0 }, { "512", 512 }, { "4K", 4096 }, { "4k", 4096 },
		{ "4KiB", 4096 }, { "1M", 1048576 }, { "8MiB", 8388608 },
		{ "1G", 1073741824 }, { "2GiB", 2147483648ull },
		{ "1T", 1099511627776ull }, { "1MB", 1000000 },
		{ "4kB", 4000 }, { "18446744073709551615", UINT64_MAX },
		/* Either case of the letter: powers of 1024. */
		{ "1m", 1048576 }, { "1g", 1073741824 },
		{ "1t", 1099511627776ull }, { "16T", 16ull << 40 },
		/* KiB in any case: powers of 1024. */
		{ "4kib", 4096 }, { "4KIB", 4096 }, { "4Kib", 4096 },
		{ "4kiB", 4096 }, { "2mib", 2097152 }, { "1gib", 1073741824 },
		{ "1TiB", 1099511627776ull }, { "1Mib", 1048576 },
		{ "1MIb", 1048576 },
		/* The letter, either case, then B: powers of 1000 (dd). */
		{ "4KB", 4000 }, { "1mB", 1000000 }, { "1GB", 1000000000 },
		{ "1gB", 1000000000 }, { "2TB", 2000000000000ull },
		{ "0K", 0 }, { "007M", 7340032 },
		{ "16777215T", 16777215ull << 40 },
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(parse_size(ok[i].in, &v), 0);
		assert_true(v == ok[i].want);
	}
}

static void sizes_rejected(void **state)
{
	static const char *const bad[] = { "", "K", "-1", "1.5M", "1 M",
					   "1Q", "M1", "0x10", "1MiBs", " 1",
					   /* b: bits? bytes? dd's 512? */
					   "1kb", "1mb", "1Kb", "1gb", "1TBs",
					   "1B", "1b", "1i", "1Ki", "1KI",
					   "1iB", "1KiB ", "1M ", "1MBB", "1P",
					   "1PiB", "+1", "1e6", "1K1" };
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_size(bad[i], &v), -EINVAL);
	assert_int_equal(parse_size("18446744073709551616", &v), -ERANGE);
	assert_int_equal(parse_size("20000000000000000T", &v), -ERANGE);
	assert_int_equal(parse_size("16777216T", &v), -ERANGE);
	assert_int_equal(parse_size("18446744073709551615K", &v), -ERANGE);
	assert_int_equal(parse_size("18446744073709552TB", &v), -ERANGE);
	assert_int_equal(parse_size("99999999999999999999k", &v), -ERANGE);
}

static void uints(void **state)
{
	unsigned v;

	(void)state;
	assert_int_equal(parse_uint("32", 1, 1024, &v), 0);
	assert_int_equal(v, 32);
	assert_int_equal(parse_uint("0", 1, 1024, &v), -ERANGE);
	assert_int_equal(parse_uint("1025", 1, 1024, &v), -ERANGE);
	assert_int_equal(parse_uint("99999999999999", 1, 1024, &v), -ERANGE);
	assert_int_equal(parse_uint("3x", 1, 1024, &v), -EINVAL);
	assert_int_equal(parse_uint("", 1, 1024, &v), -EINVAL);
	assert_int_equal(parse_uint("-3", 1, 1024, &v), -EINVAL);
}

static void block_sizes(void **state)
{
	(void)state;
	assert_false(block_size_valid(0));
	assert_false(block_size_valid(1000));
	assert_true(block_size_valid(512));
	assert_true(block_size_valid(1536));
	assert_true(block_size_valid(64u << 20));
	assert_false(block_size_valid((64u << 20) + 512));
}

static void human(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(human_bytes(0, b, sizeof(b)), "0 B");
	assert_string_equal(human_bytes(1023, b, sizeof(b)), "1023 B");
	assert_string_equal(human_bytes(1536, b, sizeof(b)), "1.5 KiB");
	assert_string_equal(human_bytes(4ull << 30, b, sizeof(b)), "4.0 GiB");
	assert_string_equal(errno_name(-EIO), "EIO");
	assert_string_equal(errno_name(ENOSPC), "ENOSPC");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sizes_with_suffixes),
		cmocka_unit_test(sizes_rejected),
		cmocka_unit_test(uints),
		cmocka_unit_test(block_sizes),
		cmocka_unit_test(human),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
