/* Unit tests: extent lists coalesce, keep regions apart, refuse disorder. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../verify/extent.h"

static void coalesces_adjacent(void **state)
{
	struct extent_list l = { 0 };

	(void)state;
	assert_int_equal(extent_list_add(&l, 0, 4096, REGION_NONE), 0);
	assert_int_equal(extent_list_add(&l, 4096, 4096, REGION_NONE), 0);
	assert_int_equal(extent_list_add(&l, 16384, 100, REGION_NONE), 0);
	assert_int_equal(l.n, 2);
	assert_true(l.v[0].offset == 0 && l.v[0].length == 8192);
	assert_true(l.v[1].offset == 16384 && l.v[1].length == 100);
	assert_true(extent_list_bytes(&l) == 8292);
	extent_list_release(&l);
	assert_int_equal(l.n, 0);
}

static void regions_not_merged(void **state)
{
	struct extent_list l = { 0 };

	(void)state;
	assert_int_equal(extent_list_add(&l, 0, 8 << 20, REGION_HEADER), 0);
	assert_int_equal(extent_list_add(&l, 8 << 20, 1 << 20, REGION_DATA), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(extent_region_name(l.v[0].region), "header");
	assert_string_equal(extent_region_name(l.v[1].region), "data");
	assert_null(extent_region_name(REGION_NONE));
	extent_list_release(&l);
}

static void refuses_disorder(void **state)
{
	struct extent_list l = { 0 };

	(void)state;
	assert_int_equal(extent_list_add(&l, 8192, 4096, REGION_NONE), 0);
	assert_int_equal(extent_list_add(&l, 4096, 4096, REGION_NONE), -EINVAL);
	assert_int_equal(extent_list_add(&l, 10000, 10, REGION_NONE), -EINVAL);
	assert_int_equal(extent_list_add(&l, 20000, 0, REGION_NONE), -EINVAL);
	assert_int_equal(extent_list_add(&l, UINT64_MAX - 1, 10, REGION_NONE),
			 -EINVAL);
	assert_int_equal(l.n, 1);
	extent_list_release(&l);
}

static void grows(void **state)
{
	struct extent_list l = { 0 };

	(void)state;
	for (uint64_t i = 0; i < 10000; i++)
		assert_int_equal(extent_list_add(&l, i * 2, 1, REGION_NONE), 0);
	assert_int_equal(l.n, 10000);
	assert_true(l.v[9999].offset == 19998);
	extent_list_release(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(coalesces_adjacent),
		cmocka_unit_test(regions_not_merged),
		cmocka_unit_test(refuses_disorder),
		cmocka_unit_test(grows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
