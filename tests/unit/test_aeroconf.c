/*
 * Unit tests: aerospike.conf sizes are read as asd reads them (digits and
 * one K/M/G/T/P suffix in either case, powers of 1024), with asd's
 * bounds, and anything else is one line "FILE:LINE: what".
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../aerospike/aeroconf.h"

static char dir[64], path[128];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/var/tmp/ss-aeroconf.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/aerospike.conf", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

/* A namespace whose device context holds `key value` on line 4. */
static int load_with(const char *key, const char *value, struct aero_conf *c,
		     char *err, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, "namespace ns1 {\n"
		   "\tstorage-engine device {\n"
		   "\t\tfile /data/a.dat /data/a.shadow\n"
		   "\t\t%s %s\n"
		   "\t}\n"
		   "}\n", key, value);
	assert_int_equal(fclose(f), 0);
	err[0] = '\0';
	return aero_conf_load(path, c, err, len);
}

static void sizes_accepted(void **state)
{
	static const struct {
		const char *key, *value;
		uint64_t want;
	} ok[] = {
		{ "filesize", "128M", 128ull << 20 },
		{ "filesize", "128m", 128ull << 20 },
		{ "filesize", "1g", 1ull << 30 },
		{ "filesize", "4G", 4ull << 30 },
		{ "filesize", "2T", 2ull << 40 },
		{ "filesize", "2t", 2ull << 40 },
		{ "filesize", "1048576", 1ull << 20 },
		{ "filesize", "1024K", 1ull << 20 },
		{ "filesize", "1024k", 1ull << 20 },
		{ "filesize", "0000128M", 128ull << 20 },
		{ "write-block-size", "1K", 1024 },
		{ "write-block-size", "128k", 128 << 10 },
		{ "write-block-size", "1M", 1 << 20 },
		{ "write-block-size", "8M", 8 << 20 },
		{ "write-block-size", "8388608", 8 << 20 },
	};
	struct aero_conf c;
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int ret = load_with(ok[i].key, ok[i].value, &c, err, sizeof(err));

		if (ret)
			fail_msg("%s %s: %d %s", ok[i].key, ok[i].value, ret, err);
		assert_int_equal(c.nns, 1);
		if (!strcmp(ok[i].key, "filesize"))
			assert_true(c.ns[0].filesize == ok[i].want);
		else
			assert_true(c.ns[0].write_block_size == ok[i].want);
		aero_conf_release(&c);
	}
}

#define SYNTAX " (digits, then K, M, G, T or P for powers of 1024)"
#define TOO_BIG " (this one does not fit in 64 bits)"
#define FS_RANGE " (from 1M to 2T, as asd requires)"
#define WBS_RANGE " (a power of two from 1K to 8M, as asd requires)"

static void sizes_refused(void **state)
{
	static const struct {
		const char *key, *value, *why;
	} bad[] = {
		{ "filesize", "-1", SYNTAX },
		{ "filesize", "+128M", SYNTAX },
		{ "filesize", "-0", SYNTAX },
		{ "filesize", "1.5G", SYNTAX },
		{ "filesize", "128MB", SYNTAX },
		{ "filesize", "128MiB", SYNTAX },
		{ "filesize", "128Q", SYNTAX },
		{ "filesize", "M", SYNTAX },
		{ "filesize", "0x8000000", SYNTAX },
		{ "filesize", "lots", SYNTAX },
		/* 20 digits: more than 64 bits, once silently UINT64_MAX. */
		{ "filesize", "99999999999999999999", TOO_BIG },
		{ "filesize", "18446744073709551616", TOO_BIG },
		{ "filesize", "20000000000000000T", TOO_BIG },
		{ "filesize", "16384P", TOO_BIG },
		{ "filesize", "18446744073709551615", FS_RANGE },
		{ "filesize", "0", FS_RANGE },
		{ "filesize", "512K", FS_RANGE },
		{ "filesize", "1048575", FS_RANGE },
		{ "filesize", "3T", FS_RANGE },
		{ "filesize", "1P", FS_RANGE },
		/* 4G once became 0 in a uint32_t. */
		{ "write-block-size", "4G", WBS_RANGE },
		{ "write-block-size", "16M", WBS_RANGE },
		{ "write-block-size", "3M", WBS_RANGE },
		{ "write-block-size", "512", WBS_RANGE },
		{ "write-block-size", "0", WBS_RANGE },
		{ "write-block-size", "-1", SYNTAX },
		{ "write-block-size", "99999999999999999999", TOO_BIG },
	};
	struct aero_conf c;
	char err[512], want[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = load_with(bad[i].key, bad[i].value, &c, err, sizeof(err));

		if (ret != -EINVAL)
			fail_msg("%s %s: accepted (%d)", bad[i].key, bad[i].value,
				 ret);
		snprintf(want, sizeof(want), "%s:4: %s '%s': expected a size "
			 "like %s%s", path, bad[i].key, bad[i].value,
			 strcmp(bad[i].key, "filesize") ? "1M" : "128M",
			 bad[i].why);
		assert_string_equal(err, want);
		assert_int_equal(c.nns, 0);	/* released on error */
	}
}

static void size_value_count(void **state)
{
	struct aero_conf c;
	char err[512], want[512];

	(void)state;
	assert_int_equal(load_with("filesize", "128 M", &c, err, sizeof(err)),
			 -EINVAL);
	snprintf(want, sizeof(want), "%s:4: filesize: expected one size like "
		 "128M, got 2 values", path);
	assert_string_equal(err, want);
	assert_int_equal(load_with("write-block-size", "", &c, err, sizeof(err)),
			 -EINVAL);
	snprintf(want, sizeof(want), "%s:4: write-block-size: expected one size "
		 "like 1M, got 0 values", path);
	assert_string_equal(err, want);
}

/* Sizes outside a device context are someone else's: skipped. */
static void sizes_elsewhere_skipped(void **state)
{
	FILE *f = fopen(path, "w");
	struct aero_conf c;
	char err[512];

	(void)state;
	assert_non_null(f);
	fputs("namespace ns1 {\n\tmemory-size -1\n\tstorage-engine device {\n"
	      "\t\tdevice /dev/a /dev/b\n\t\tflush-size 4G\n\t}\n}\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(aero_conf_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.ns[0].ndev, 1);
	assert_true(c.ns[0].filesize == 0 && c.ns[0].write_block_size == 0);
	aero_conf_release(&c);
}

static int load_text(const char *text, struct aero_conf *c, char *err,
		     size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	err[0] = '\0';
	return aero_conf_load(path, c, err, len);
}

/* What smd restore needs: service { } and mod-lua { } at the top level
 * only (network { service { } } is another context). */
static void service_context(void **state)
{
	struct aero_conf c;
	char err[512];

	(void)state;
	assert_int_equal(load_text(
		"service {\n\tproto-fd-max 1024\n\twork-directory /srv/as\n"
		"\tpidfile /run/asd.pid\n\tuser aerospike\n\tgroup daemon\n"
		"\tos-group-perms true\n}\nmod-lua {\n\tuser-path /srv/lua\n}\n"
		"network {\n\tservice {\n\t\twork-directory /wrong\n"
		"\t\tport 3000\n\t}\n}\n", &c, err, sizeof(err)), 0);
	assert_string_equal(c.service.work_directory, "/srv/as");
	assert_string_equal(c.service.pidfile, "/run/asd.pid");
	assert_string_equal(c.service.user, "aerospike");
	assert_string_equal(c.service.group, "daemon");
	assert_true(c.service.os_group_perms);
	assert_string_equal(c.service.lua_user_path, "/srv/lua");
	aero_conf_release(&c);
	assert_null(c.service.work_directory);

	/* Not set: NULL, the defaults are the caller's. */
	assert_int_equal(load_text("service {\n\tcluster-name x\n}\n", &c, err,
				   sizeof(err)), 0);
	assert_null(c.service.work_directory);
	assert_null(c.service.lua_user_path);
	assert_false(c.service.os_group_perms);
	aero_conf_release(&c);

	assert_int_equal(load_text("service {\n\twork-directory /a /b\n}\n",
				   &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":2: expected 'work-directory VALUE'"));
	assert_null(c.service.work_directory);
	assert_int_equal(load_text("service {\n\tos-group-perms yes\n}\n",
				   &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":2: expected 'os-group-perms true'"));
}

/*
 * A namespace's `set NAME { disable-eviction ... }`, read as asd's
 * cfg_bool (true/yes, false/no, any case; the last one wins; a set
 * named twice is one entry); a set context elsewhere is not a set's.
 */
static void set_contexts(void **state)
{
	struct aero_conf c;
	char err[512];

	(void)state;
	assert_int_equal(load_text(
		"namespace ns1 {\n\tset s1 {\n\t\tdisable-eviction TRUE\n"
		"\t\tstop-writes-count 10\n\t}\n\tset s2 { disable-eviction no }\n"
		"\tset s3 {\n\t\tdisable-eviction yes\n\t}\n"
		"\tset s3 {\n\t\tdisable-eviction false\n\t}\n"
		"\tstorage-engine device {\n\t\tfile /data/a\n\t}\n}\n"
		"xdr {\n\tset s9 {\n\t\tdisable-eviction true\n\t}\n}\n",
		&c, err, sizeof(err)), 0);
	assert_int_equal(c.nns, 1);
	assert_int_equal(c.ns[0].nsets, 3);
	assert_string_equal(c.ns[0].sets[0].name, "s1");
	assert_true(c.ns[0].sets[0].disable_eviction);
	assert_string_equal(c.ns[0].sets[1].name, "s2");
	assert_false(c.ns[0].sets[1].disable_eviction);
	assert_string_equal(c.ns[0].sets[2].name, "s3");
	assert_false(c.ns[0].sets[2].disable_eviction);
	assert_int_equal(c.ns[0].ndev, 1);
	aero_conf_release(&c);

	assert_int_equal(load_text("namespace ns1 {\n\tset s1 {\n"
				   "\t\tdisable-eviction\n\t}\n}\n", &c, err,
				   sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":3: expected 'disable-eviction true'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sizes_accepted),
		cmocka_unit_test(sizes_refused),
		cmocka_unit_test(size_value_count),
		cmocka_unit_test(sizes_elsewhere_skipped),
		cmocka_unit_test(service_context),
		cmocka_unit_test(set_contexts),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
