/*
 * mksmd.c - write SMD module files as asd 8.1 writes them: jansson's
 * json_dump_file with JSON_INDENT(3) | JSON_ENSURE_ASCII |
 * JSON_PRESERVE_ORDER (smd.c:2487), so non-ASCII text is escaped the
 * way asd escapes it (\uXXXX, upper-case hex, surrogate pairs), and no
 * newline after the last ']'.
 *
 *   mksmd OUT --module M [--items N] [--tombstones EVERY] [--seed S]
 *             [--non-ascii] [--key K] [--tid T]
 *       M: evict, sindex, truncate, UDF (values as those modules make
 *       them) or generic (any key and value, as an EE module's)
 *   mksmd --rewrite IN OUT
 *       IN parsed (JSON_REJECT_DUPLICATES, as asd) and written again:
 *       asd's own output comes back byte for byte
 *
 * Exit 0, or 1 with a message on stderr. A test tool: it links jansson
 * and nothing of shadowsync's, so what it writes is not shadowsync's
 * opinion of the format.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ASD_FLAGS (JSON_INDENT(3) | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER)

static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int die(const char *msg)
{
	fprintf(stderr, "mksmd: %s\n", msg);
	return 1;
}

static int rewrite(const char *in, const char *out)
{
	json_error_t err;
	json_t *j = json_load_file(in, JSON_REJECT_DUPLICATES, &err);

	if (!j) {
		fprintf(stderr, "mksmd: %s: %s\n", in, err.text);
		return 1;
	}
	if (json_dump_file(j, out, ASD_FLAGS) != 0)
		return die("cannot write the output");
	json_decref(j);
	return 0;
}

static const char base64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *b64(const unsigned char *p, size_t n)
{
	char *out = malloc(n / 3 * 4 + 8), *o = out;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		v |= i + 1 < n ? (unsigned)p[i + 1] << 8 : 0;
		v |= i + 2 < n ? p[i + 2] : 0;
		*o++ = base64[v >> 18 & 63];
		*o++ = base64[v >> 12 & 63];
		*o++ = i + 1 < n ? base64[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? base64[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* A UDF value as udf_cask.c makes it: json_dumps(obj, 0). */
static char *udf_value(const char *name, size_t i, int non_ascii)
{
	char src[512];
	json_t *o;
	char *c64, *s;

	snprintf(src, sizeof(src), "-- %s%s\nfunction f%zu(rec)\n  return %zu\n"
		 "end\n", name, non_ascii ? " (caf\xc3\xa9, \xe6\x97\xa5\xe6\x9c"
		 "\xac, \xf0\x9f\x98\x80)" : "", i, i);
	c64 = b64((const unsigned char *)src, strlen(src));
	o = json_pack("{s:s,s:s,s:s}", "content64", c64, "type", "LUA", "name",
		      name);
	s = json_dumps(o, 0);
	json_decref(o);
	free(c64);
	return s;
}

static void item(json_t *file, const char *key, const char *value,
		 int64_t gen, int64_t ts)
{
	json_array_append_new(file, json_pack(
		"{s:s,s:o,s:I,s:I}", "key", key, "value",
		value ? json_string(value) : json_null(), "generation",
		(json_int_t)gen, "timestamp", (json_int_t)ts));
}

/* Key and value of item i of module m. */
static void make(const char *m, size_t i, int non_ascii, char *key,
		 size_t klen, char **value)
{
	static const char *const accents[] = {
		"caf\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac", "\xf0\x9f\x98\x80",
		"na\xc3\xafve",
	};
	const char *extra = non_ascii ? accents[i % 4] : "";
	char v[256];

	if (!strcmp(m, "evict")) {
		snprintf(key, klen, "ns%zu", i);
		snprintf(v, sizeof(v), "%llu", 490000000ull + next() % 10000000);
	} else if (!strcmp(m, "truncate")) {
		if (i % 3)
			snprintf(key, klen, "ns%zu|set%zu", i % 7, i);
		else
			snprintf(key, klen, "ns%zu", i);	/* unique */
		snprintf(v, sizeof(v), "%llu", 490000000000ull +
			 next() % 10000000000ull);
	} else if (!strcmp(m, "sindex")) {
		static const char it[] = ".LKV", kt[] = "ISBG";

		snprintf(key, klen, "ns%zu|s%s%zu|b%zu|%c|%c", i % 3, extra, i,
			 i % 15, it[i % 4], kt[(i / 4) % 4]);
		snprintf(v, sizeof(v), "idx_%s%zu", extra, i);
	} else if (!strcmp(m, "UDF")) {
		snprintf(key, klen, "mod%zu.lua", i);
		*value = udf_value(key, i, non_ascii);
		return;
	} else {
		snprintf(key, klen, "key-%s%zu", extra, i);
		snprintf(v, sizeof(v), "{\"v\": \"%s%llu\", \"tab\": \"\t\"}",
			 extra, (unsigned long long)next());
	}
	*value = strdup(v);
}

int main(int argc, char **argv)
{
	const char *out = NULL, *module = NULL;
	size_t items = 10, every = 0;
	long long key = 69452243785700ll, tid = 3;
	int non_ascii = 0;
	json_t *file;

	if (argc == 4 && !strcmp(argv[1], "--rewrite"))
		return rewrite(argv[2], argv[3]);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--non-ascii"))
			non_ascii = 1;
		else if (a[0] != '-' && !out)
			out = a;
		else if (!v)
			return die("an option needs a value");
		else if (!strcmp(a, "--module") && ++i)
			module = v;
		else if (!strcmp(a, "--items") && ++i)
			items = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--tombstones") && ++i)
			every = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--seed") && ++i)
			rng ^= strtoull(v, NULL, 10) * 0x9E3779B97F4A7C15ull + 1;
		else if (!strcmp(a, "--key") && ++i)
			key = strtoll(v, NULL, 10);
		else if (!strcmp(a, "--tid") && ++i)
			tid = strtoll(v, NULL, 10);
		else
			return die("usage: mksmd OUT --module M [--items N] "
				   "[--tombstones EVERY] [--seed S] [--non-ascii] "
				   "[--key K] [--tid T] | --rewrite IN OUT");
	}
	if (!out || !module)
		return die("OUT and --module are required");
	file = json_pack("[[I,I]]", (json_int_t)key, (json_int_t)tid);
	for (size_t i = 0; i < items; i++) {
		char k[256], *v = NULL;
		int tomb = every && i % every == every - 1;

		make(module, i, non_ascii, k, sizeof(k), &v);
		item(file, k, tomb ? NULL : v, tomb ? 2 : 1,
		     495000000000ll + (int64_t)i * 1000 + (int64_t)(next() % 997));
		free(v);
	}
	if (json_dump_file(file, out, ASD_FLAGS) != 0)
		return die("cannot write the output");
	json_decref(file);
	return 0;
}
