/*
 * Unit tests: SMD module files are judged as asd 8.1 loads them
 * (shared/AEROSPIKE-SMD.md 3.1: each row of its table, and the module
 * rules of 2.3), and the CE modules' items are read as the modules read
 * them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../aerospike/smd.h"

#define FIXTURES "tests/fixtures/smd-example"	/* run from the top */

/* Parse text as file name; the file is released by the caller. */
static void parse(const char *name, const char *text, struct smd_file *f)
{
	assert_int_equal(smd_parse(name, text, strlen(text), f), 0);
}

/* The first problem with this code, or NULL. */
static const struct smd_problem *problem(const struct smd_file *f,
					 const char *code)
{
	for (size_t i = 0; i < f->nproblems; i++)
		if (!strcmp(f->problems[i].code, code))
			return &f->problems[i];
	return NULL;
}

/* text makes asd start the module empty: one ERROR with that code. */
static void starts_empty(const char *text, const char *code)
{
	struct smd_file f;

	parse("sindex.smd", text, &f);
	if (f.fate != SMD_STARTS_EMPTY || !problem(&f, code) || f.errors != 1)
		fail_msg("'%s': fate %s, %zu errors, first %s", text,
			 smd_fate_name(f.fate), f.errors,
			 f.nproblems ? f.problems[0].code : "none");
	assert_int_equal(problem(&f, code)->severity, SMD_ERROR);
	assert_null(strchr(problem(&f, code)->message, '\n'));
	smd_file_release(&f);
}

#define ITEM(k, v) "{\"key\": " k ", \"value\": " v ", \"generation\": 1, " \
		   "\"timestamp\": 5}"
#define FILE1(items) "[[7, 2], " items "]"

/* 3.1: a JSON parse error or a top level that is no array. */
static void parse_errors_start_empty(void **state)
{
	static const char bom[] = "\xef\xbb\xbf" FILE1(ITEM("\"a\"", "\"b\""));
	static const char badutf8[] = FILE1(ITEM("\"a\xff\"", "\"b\""));

	(void)state;
	starts_empty("", "json");				/* 0 bytes */
	starts_empty("[[7, 2], {\"key\": \"a\", \"va", "json");	/* truncated */
	starts_empty(FILE1(ITEM("\"a\"", "\"b\"")) "x", "json"); /* garbage */
	starts_empty(bom, "json");
	starts_empty("[[7, 2], {\"key\": \"a\", \"key\": \"b\", \"value\": null, "
		     "\"generation\": 1, \"timestamp\": 5}]", "json");
	starts_empty("[[9223372036854775808, 2]]", "json");	/* > INT64_MAX */
	starts_empty(badutf8, "json");
	starts_empty("[[7, 2], " ITEM("\"a\\u0000b\"", "null") "]", "json");
	starts_empty("{\"key\": \"a\"}", "not-array");
	starts_empty("42", "json");				/* a scalar */
}

/* 3.1: an element that is no item makes asd abort (cf_assert). */
static void item_shapes_abort(void **state)
{
	static const char *const bad[] = {
		FILE1("[1, 2]"),
		FILE1("\"item\""),
		FILE1("{\"value\": \"v\", \"generation\": 1, \"timestamp\": 5}"),
		FILE1(ITEM("7", "\"v\"")),
		FILE1("{\"key\": \"k\", \"generation\": 1, \"timestamp\": 5}"),
		FILE1(ITEM("\"k\"", "7")),
		FILE1(ITEM("\"k\"", "[\"v\"]")),
		FILE1("{\"key\": \"k\", \"value\": \"v\", \"timestamp\": 5}"),
		FILE1("{\"key\": \"k\", \"value\": \"v\", \"generation\": 1.0, "
		      "\"timestamp\": 5}"),
		FILE1("{\"key\": \"k\", \"value\": \"v\", \"generation\": \"1\", "
		      "\"timestamp\": 5}"),
		FILE1("{\"key\": \"k\", \"value\": \"v\", \"generation\": 1}"),
		FILE1("{\"key\": \"k\", \"value\": \"v\", \"generation\": 1, "
		      "\"timestamp\": 5e3}"),
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct smd_file f;
		const struct smd_problem *p;

		parse("sindex.smd", bad[i], &f);
		p = problem(&f, "item-shape");
		if (f.fate != SMD_ABORTS || !p || p->item != 0)
			fail_msg("'%s': fate %s", bad[i], smd_fate_name(f.fate));
		assert_int_equal(p->severity, SMD_ERROR);
		assert_int_equal(f.bad_items, 1);
		smd_file_release(&f);
	}
}

/* 3.1: what asd loads: [], headers, legacy files, extra fields. */
static void loads(void **state)
{
	struct smd_file f;

	(void)state;
	parse("truncate.smd", "[]", &f);
	assert_int_equal(f.fate, SMD_LOADS);
	assert_int_equal(f.nproblems, 0);
	assert_true(f.cv_key == 0 && f.cv_tid == 0 && f.nitems == 0);
	smd_file_release(&f);

	/* Extra fields are ignored; empty values kept; tombstones counted. */
	parse("sindex.smd", FILE1("{\"key\": \"ns|s|b|.|S\", \"value\": \"i\", "
				  "\"generation\": 3, \"timestamp\": 9, \"x\": 1}, "
				  ITEM("\"ns|s|c|.|S\"", "null")), &f);
	assert_int_equal(f.fate, SMD_LOADS);
	assert_int_equal(f.nproblems, 0);
	assert_true(f.cv_key == 7 && f.cv_tid == 2);
	assert_int_equal(f.nitems, 2);
	assert_int_equal(f.tombstones, 1);
	assert_true(f.items[0].generation == 3 && f.items[0].timestamp == 9);
	smd_file_release(&f);

	/* No header: an old server's file, version 0/1, all items. */
	parse("evict.smd", "[" ITEM("\"ns1\"", "\"100\"") "]", &f);
	assert_int_equal(f.fate, SMD_LOADS);
	assert_true(f.legacy && f.cv_key == 0 && f.cv_tid == 1);
	assert_int_equal(f.nitems, 1);
	assert_int_equal(problem(&f, "no-header")->severity, SMD_WARNING);
	assert_int_equal(f.errors, 0);
	smd_file_release(&f);

	parse("evict.smd", FILE1(ITEM("\"ns1\"", "\"\"")), &f);
	assert_int_equal(f.nitems, 1);
	assert_string_equal(f.items[0].value, "");
	smd_file_release(&f);
}

/* 3.1 header rows and 5.4's "optional [int,int] header". */
static void headers(void **state)
{
	struct smd_file f;

	(void)state;
	parse("evict.smd", "[[7]]", &f);	/* asd: version 0/0 */
	assert_true(f.cv_key == 0 && f.cv_tid == 0);
	assert_int_equal(problem(&f, "header")->severity, SMD_ERROR);
	smd_file_release(&f);
	parse("evict.smd", "[[\"a\", 4]]", &f);	/* asd reads 0 */
	assert_true(f.cv_key == 0 && f.cv_tid == 4);
	assert_int_equal(problem(&f, "header")->severity, SMD_ERROR);
	smd_file_release(&f);
	/* More than two entries: asd ignores the rest, never writes them. */
	parse("evict.smd", "[[7, 2, 9]]", &f);
	assert_int_equal(problem(&f, "header")->severity, SMD_ERROR);
	assert_int_equal(f.fate, SMD_LOADS);
	smd_file_release(&f);
	parse("evict.smd", "[[281474976710656, 2]]", &f);	/* 2^48 */
	assert_int_equal(problem(&f, "header")->severity, SMD_WARNING);
	smd_file_release(&f);
	/* Negative: asd's uint64_t misreads it. */
	parse("evict.smd", "[[-1, 2]]", &f);
	assert_true(f.cv_key == UINT64_MAX);
	assert_int_equal(problem(&f, "header")->severity, SMD_ERROR);
	smd_file_release(&f);
	parse("evict.smd", "[[1, -2]]", &f);
	assert_int_equal(problem(&f, "header")->severity, SMD_ERROR);
	smd_file_release(&f);
}

/* 3.1 "two items with the same key": loaded twice, never produce it. */
static void duplicate_keys(void **state)
{
	struct smd_file f;
	const struct smd_problem *p;

	(void)state;
	parse("evict.smd", FILE1(ITEM("\"ns1\"", "\"1\"") ", "
				 ITEM("\"ns2\"", "\"1\"") ", "
				 ITEM("\"ns1\"", "null")), &f);
	p = problem(&f, "duplicate-key");
	assert_non_null(p);
	assert_int_equal(p->severity, SMD_ERROR);
	assert_int_equal(p->item, 2);
	assert_string_equal(p->key, "ns1");
	assert_int_equal(f.fate, SMD_LOADS);
	smd_file_release(&f);
}

#define UDF_ITEM(v) FILE1(ITEM("\"f.lua\"", v))

/* 3.1 UDF hazards: no string content64 crashes asd; the rest warn. */
static void udf_values(void **state)
{
	struct smd_file f;

	(void)state;
	parse("UDF.smd", UDF_ITEM("\"{\\\"type\\\": \\\"LUA\\\"}\""), &f);
	assert_int_equal(f.fate, SMD_ABORTS);
	assert_int_equal(problem(&f, "udf-value")->severity, SMD_ERROR);
	smd_file_release(&f);
	parse("UDF.smd", UDF_ITEM("\"[1]\""), &f);	/* an array: same */
	assert_int_equal(f.fate, SMD_ABORTS);
	smd_file_release(&f);
	parse("UDF.smd", UDF_ITEM("\"{\\\"content64\\\": 5}\""), &f);
	assert_int_equal(f.fate, SMD_ABORTS);
	smd_file_release(&f);
	parse("UDF.smd", UDF_ITEM("\"not json\""), &f);
	assert_int_equal(f.fate, SMD_LOADS);
	assert_int_equal(problem(&f, "udf-value")->severity, SMD_WARNING);
	smd_file_release(&f);
	parse("UDF.smd", UDF_ITEM("\"{\\\"content64\\\": \\\"a$==\\\"}\""), &f);
	assert_int_equal(problem(&f, "udf-value")->severity, SMD_WARNING);
	smd_file_release(&f);
	/* A tombstone never reaches the module at startup. */
	parse("UDF.smd", UDF_ITEM("null"), &f);
	assert_int_equal(f.nproblems, 0);
	smd_file_release(&f);
	parse("UDF.smd", FILE1(ITEM("\"noext\"", "\"{\\\"content64\\\": "
				    "\\\"YQ==\\\"}\"")), &f);
	assert_int_equal(problem(&f, "udf-name")->severity, SMD_WARNING);
	smd_file_release(&f);
}

static void module_rules(void **state)
{
	struct smd_file f;

	(void)state;
	parse("sindex.smd", FILE1(ITEM("\"ns|set|bin|X|S\"", "\"i\"")), &f);
	assert_int_equal(problem(&f, "sindex-key")->severity, SMD_WARNING);
	assert_int_equal(f.errors, 0);
	smd_file_release(&f);
	/* Values asd's strtoul misreads, or keeps in fewer bits: errors. */
	parse("truncate.smd", FILE1(ITEM("\"ns|s\"", "\"12345678901234\"")), &f);
	assert_int_equal(problem(&f, "truncate-value")->severity, SMD_ERROR);
	smd_file_release(&f);
	parse("truncate.smd", FILE1(ITEM("\"ns|s\"", "\"12x\"")), &f);
	assert_int_equal(problem(&f, "truncate-value")->severity, SMD_ERROR);
	assert_non_null(strstr(problem(&f, "truncate-value")->message,
			       "strtoul reads 12"));
	smd_file_release(&f);
	parse("evict.smd", FILE1(ITEM("\"ns\"", "\"4294967296\"")), &f);
	assert_int_equal(problem(&f, "evict-value")->severity, SMD_ERROR);
	assert_non_null(strstr(problem(&f, "evict-value")->message, "keeps 0"));
	smd_file_release(&f);
	parse("evict.smd", FILE1(ITEM("\"ns\"", "\"notanumber\"")), &f);
	assert_int_equal(problem(&f, "evict-value")->severity, SMD_ERROR);
	assert_non_null(strstr(problem(&f, "evict-value")->message,
			       "strtoul reads 0"));
	smd_file_release(&f);
	parse("evict.smd", FILE1(ITEM("\"ns\"", "\"\"")), &f);
	assert_int_equal(problem(&f, "evict-value")->severity, SMD_ERROR);
	smd_file_release(&f);
	parse("evict.smd", FILE1(ITEM("\"ns\"", "\"4294967295\"")), &f);
	assert_int_equal(f.nproblems, 0);
	smd_file_release(&f);
	/* Item numbers asd keeps in unsigned fields: a negative or too wide
	 * one is misread, and decides merges. */
	parse("sindex.smd", "[[1, 1], {\"key\": \"ns|s|b|.|S\", \"value\": "
	      "\"i\", \"generation\": 1, \"timestamp\": -5}]", &f);
	assert_int_equal(problem(&f, "timestamp")->severity, SMD_ERROR);
	assert_int_equal(problem(&f, "timestamp")->item, 0);
	smd_file_release(&f);
	parse("sindex.smd", "[[1, 1], {\"key\": \"ns|s|b|.|S\", \"value\": "
	      "\"i\", \"generation\": 4294967296, \"timestamp\": 5}]", &f);
	assert_int_equal(problem(&f, "generation")->severity, SMD_ERROR);
	smd_file_release(&f);
	/* EE values are not judged. */
	parse("roster.smd", FILE1(ITEM("\"ns\"", "\"anything\"")), &f);
	assert_int_equal(f.nproblems, 0);
	assert_false(f.module->ce);
	smd_file_release(&f);
}

/* A file asd never opens: ignored, so problems are only warnings. */
static void unknown_names(void **state)
{
	struct smd_file f;

	(void)state;
	parse("udf.smd", "garbage", &f);
	assert_int_equal(f.fate, SMD_NOT_READ);
	assert_int_equal(f.errors, 0);
	assert_non_null(strstr(problem(&f, "not-a-module")->message, "UDF.smd"));
	smd_file_release(&f);
	assert_null(smd_module_lookup("Evict.smd"));
	assert_non_null(smd_module_lookup("XDR.smd"));
	assert_non_null(smd_module_lookup("masking.smd"));
	assert_true(smd_file_name_valid("UDF.smd"));
	assert_false(smd_file_name_valid(".UDF.smd"));
	assert_false(smd_file_name_valid("a/b.smd"));
	assert_false(smd_file_name_valid("UDF.smd.save"));
	assert_false(smd_file_name_valid("a b.smd"));
}

static void sindex_keys(void **state)
{
	struct smd_sindex_def d;
	char why[160];

	(void)state;
	assert_int_equal(smd_sindex_parse("ns1||tags|L|S", &d, why, sizeof(why)), 0);
	assert_string_equal(d.ns, "ns1");
	assert_string_equal(d.set, "");
	assert_string_equal(d.bin, "tags");
	assert_true(d.itype == 'L' && d.ktype == 'S');
	assert_int_equal(smd_sindex_parse("n|s|b|cAAE=|.|I", &d, why,
					  sizeof(why)), 0);
	assert_int_equal(d.ctx_len, 4);
	assert_int_equal(memcmp(d.ctx_b64, "AAE=", 4), 0);
	assert_int_equal(smd_sindex_parse("n|s||eAAE=|.|I", &d, why, sizeof(why)),
			 0);
	assert_int_equal(d.exp_len, 4);
	assert_int_equal(smd_sindex_parse("n|s|b|eAAE=|.|I", &d, why, sizeof(why)),
			 -EINVAL);	/* an expression names no bin */
	assert_int_equal(smd_sindex_parse("n|s||.|I", &d, why, sizeof(why)),
			 -EINVAL);
	assert_int_equal(smd_sindex_parse("n|s|b|.|X", &d, why, sizeof(why)),
			 -EINVAL);
	assert_int_equal(smd_sindex_parse("n|s|b|.", &d, why, sizeof(why)),
			 -EINVAL);
	assert_int_equal(smd_sindex_parse("n|s|0123456789abcdef|.|I", &d, why,
					  sizeof(why)), -EINVAL);	/* bin 16 */
	assert_int_equal(smd_sindex_parse("n|s|0123456789abcde|.|I", &d, why,
					  sizeof(why)), 0);
}

static void times(void **state)
{
	char b[40];

	(void)state;
	assert_string_equal(smd_utc(0, true, b, sizeof(b)),
			    "2010-01-01T00:00:00.000Z");
	assert_string_equal(smd_utc(495209000000ull, true, b, sizeof(b)),
			    "2025-09-10T14:03:20.000Z");
	assert_string_equal(smd_utc(495720000ull, false, b, sizeof(b)),
			    "2025-09-16T12:00:00Z");
	assert_string_equal(smd_utc(UINT64_MAX, true, b, sizeof(b)),
			    "out-of-range");
}

/* The shared example files: asd loads each, with these versions. */
static void example_files(void **state)
{
	static const struct {
		const char *name;
		uint64_t tid;
		size_t items, tombstones;
	} want[] = {
		{ "UDF.smd", 5, 2, 1 }, { "evict.smd", 4, 1, 0 },
		{ "sindex.smd", 6, 4, 1 }, { "truncate.smd", 5, 3, 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
		char path[256], buf[4096];
		struct smd_file f;
		size_t n;
		FILE *fp;

		snprintf(path, sizeof(path), FIXTURES "/%s", want[i].name);
		fp = fopen(path, "rb");
		assert_non_null(fp);
		n = fread(buf, 1, sizeof(buf), fp);
		fclose(fp);
		assert_int_equal(smd_parse(want[i].name, buf, n, &f), 0);
		if (f.nproblems)
			fail_msg("%s: %s", want[i].name, f.problems[0].message);
		assert_int_equal(f.fate, SMD_LOADS);
		assert_true(f.cv_key == 69452243785700ull && f.cv_tid == want[i].tid);
		assert_int_equal(f.nitems, want[i].items);
		assert_int_equal(f.tombstones, want[i].tombstones);
		assert_true(f.ascii_only);
		smd_file_release(&f);
	}
}

static void diffs(void **state)
{
	struct smd_file a, b;
	struct smd_diff d;

	(void)state;
	parse("evict.smd", FILE1(ITEM("\"a\"", "\"1\"") ", " ITEM("\"b\"", "\"1\"")
				 ", " ITEM("\"c\"", "\"1\"")), &a);
	parse("evict.smd", "[[7, 3], " ITEM("\"c\"", "\"2\"") ", "
	      ITEM("\"a\"", "\"1\"") ", " ITEM("\"d\"", "\"1\"") "]", &b);
	assert_int_equal(smd_diff(&a, &b, &d), 0);
	assert_true(d.n_only_a == 1 && !strcmp(d.only_a[0], "b"));
	assert_true(d.n_only_b == 1 && !strcmp(d.only_b[0], "d"));
	assert_true(d.n_changed == 1 && !strcmp(d.changed[0], "c"));
	assert_true(d.version_differs);
	smd_diff_release(&d);
	smd_file_release(&b);
	parse("evict.smd", FILE1(ITEM("\"c\"", "\"1\"") ", " ITEM("\"b\"", "\"1\"")
				 ", " ITEM("\"a\"", "\"1\"")), &b);
	assert_int_equal(smd_diff(&a, &b, &d), 0);
	assert_true(!d.n_only_a && !d.n_only_b && !d.n_changed);
	assert_true(d.order_differs && !d.version_differs);
	smd_diff_release(&d);
	smd_file_release(&a);
	smd_file_release(&b);
}

/* What the record walker (issue 11) will take: live, readable items. */
static void truncations_and_evict(void **state)
{
	struct smd_truncation *t;
	struct smd_evict *e;
	struct smd_file f;
	size_t n;

	(void)state;
	parse("truncate.smd", FILE1(ITEM("\"ns1\"", "\"495209000000\"") ", "
				    ITEM("\"ns1|s2\"", "\"495633600000\"") ", "
				    ITEM("\"ns1|undone\"", "null") ", "
				    ITEM("\"ns2\"", "\"12x\"")), &f);
	assert_int_equal(smd_truncations(&f, &t, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(t[0].ns, "ns1");
	assert_null(t[0].set);
	assert_true(t[0].threshold_ms == 495209000000ull);
	assert_string_equal(t[1].ns, "ns1");
	assert_string_equal(t[1].set, "s2");
	assert_true(t[1].threshold_ms == 495633600000ull);
	smd_truncations_free(t, n);
	smd_file_release(&f);
	parse("evict.smd", FILE1(ITEM("\"ns1\"", "\"495720000\"") ", "
				 ITEM("\"ns2\"", "\"4294967296\"") ", "
				 ITEM("\"ns3\"", "null")), &f);
	assert_int_equal(smd_evict_times(&f, &e, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].ns, "ns1");
	assert_int_equal(e[0].void_time_s, 495720000u);
	smd_evict_times_free(e, n);
	smd_file_release(&f);
	assert_int_equal(smd_truncations(NULL, &t, &n), 0);
	assert_int_equal(n, 0);
	smd_truncations_free(t, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_errors_start_empty),
		cmocka_unit_test(item_shapes_abort),
		cmocka_unit_test(loads),
		cmocka_unit_test(headers),
		cmocka_unit_test(duplicate_keys),
		cmocka_unit_test(udf_values),
		cmocka_unit_test(module_rules),
		cmocka_unit_test(unknown_names),
		cmocka_unit_test(sindex_keys),
		cmocka_unit_test(times),
		cmocka_unit_test(example_files),
		cmocka_unit_test(diffs),
		cmocka_unit_test(truncations_and_evict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
