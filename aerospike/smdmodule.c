/*
 * smdmodule.c - what the CE modules make of their items at startup
 * (AEROSPIKE-SMD.md 2.3 and 3.1): the sindex key grammar, the UDF value,
 * the truncate and evict numbers; and times as UTC.
 */
#include "smd_priv.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Bounds from sindex.h, datamodel.h (2.3). */
#define SINDEX_INAME_MAX	64	/* INAME_MAX_SZ: name shorter than */
#define SINDEX_SET_MAX		64	/* set name below 64 bytes */
#define SINDEX_BIN_MAX		16	/* bin name below 16 bytes */
#define SINDEX_CTX_MAX		2048	/* ctx below 2048 bytes */
#define SINDEX_EXP_MAX		(16 << 10)	/* expression below 16 KiB */
#define SINDEX_NS_MAX		32	/* AS_ID_NAMESPACE_SZ */
#define UDF_NAME_MAX		128	/* MAX_FILE_NAME_SZ: shorter than */
#define UDF_CONTENT_MAX		(1u << 20)	/* MAX_UDF_CONTENT_LENGTH */
#define TRUNCATE_DIGITS		13	/* 40-bit ms, truncate.c:197 */

const char *smd_sindex_itype_name(char itype)
{
	switch (itype) {
	case '.': return "default";
	case 'L': return "list";
	case 'K': return "mapkeys";
	case 'V': return "mapvalues";
	default: return "?";
	}
}

const char *smd_sindex_ktype_name(char ktype)
{
	switch (ktype) {
	case 'I': return "numeric";
	case 'S': return "string";
	case 'B': return "blob";
	case 'G': return "geo2dsphere";
	default: return "?";
	}
}

/* Copy field [s, s+n) into out (cap bytes with the NUL) or fail. */
static int field(char *out, size_t cap, const char *s, size_t n,
		 const char *what, char *why, size_t len)
{
	if (n >= cap) {
		snprintf(why, len, "the %s is %zu bytes, asd takes fewer than %zu",
			 what, n, cap);
		return -EINVAL;
	}
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

/* The last two fields: itype and ktype, one character each. */
static int sindex_types(const char *it, size_t itn, const char *kt,
			size_t ktn, struct smd_sindex_def *d, char *why,
			size_t len)
{
	if (itn != 1 || !strchr(".LKV", it[0])) {
		snprintf(why, len, "the index type is not one of . L K V");
		return -EINVAL;
	}
	if (ktn != 1 || !strchr("ISBG", kt[0])) {
		snprintf(why, len, "the key type is not one of I S B G");
		return -EINVAL;
	}
	d->itype = it[0];
	d->ktype = kt[0];
	return 0;
}

int smd_sindex_parse(const char *key, struct smd_sindex_def *d, char *why,
		     size_t len)
{
	const char *f[7];
	size_t fl[7], n = 0;
	const char *p = key;
	int ret;

	memset(d, 0, sizeof(*d));
	for (;;) {
		const char *bar = strchr(p, '|');

		if (n == 7)
			break;
		f[n] = p;
		fl[n++] = bar ? (size_t)(bar - p) : strlen(p);
		if (!bar)
			break;
		p = bar + 1;
	}
	if (n != 5 && n != 6) {
		snprintf(why, len, "expected ns|set|bin|itype|ktype (or a ctx "
			 "or expression field before itype), got %s%zu fields",
			 n == 7 ? "more than " : "", n == 7 ? (size_t)6 : n);
		return -EINVAL;
	}
	if (!fl[0]) {
		snprintf(why, len, "the namespace is empty");
		return -EINVAL;
	}
	if ((ret = field(d->ns, SINDEX_NS_MAX, f[0], fl[0], "namespace", why, len)) ||
	    (ret = field(d->set, SINDEX_SET_MAX, f[1], fl[1], "set name", why, len)) ||
	    (ret = field(d->bin, SINDEX_BIN_MAX, f[2], fl[2], "bin name", why, len)))
		return ret;
	if (n == 6) {
		bool exp = f[3][0] == 'e';

		if (fl[3] < 2 || (f[3][0] != 'c' && !exp)) {
			snprintf(why, len, "the fourth of six fields is neither "
				 "c<context> nor e<expression>");
			return -EINVAL;
		}
		if (fl[3] - 1 >= (exp ? SINDEX_EXP_MAX : SINDEX_CTX_MAX)) {
			snprintf(why, len, "the %s is %zu bytes, asd takes fewer "
				 "than %d", exp ? "expression" : "context",
				 fl[3] - 1, exp ? SINDEX_EXP_MAX : SINDEX_CTX_MAX);
			return -EINVAL;
		}
		if (exp && fl[2]) {
			snprintf(why, len, "an expression index names no bin");
			return -EINVAL;
		}
		*(exp ? &d->exp_b64 : &d->ctx_b64) = f[3] + 1;
		*(exp ? &d->exp_len : &d->ctx_len) = fl[3] - 1;
	}
	if (!fl[2] && !d->exp_b64) {
		snprintf(why, len, "the bin name is empty");
		return -EINVAL;
	}
	return sindex_types(f[n - 2], fl[n - 2], f[n - 1], fl[n - 1], d, why,
			    len);
}

/* Standard base64, padded (cf_b64_validate_and_decode); decoded size. */
static int base64_size(const char *s, uint64_t *size)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
				       "klmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s), pad = 0;

	if (n % 4)
		return -EINVAL;
	if (n && s[n - 1] == '=')
		pad = n > 1 && s[n - 2] == '=' ? 2 : 1;
	for (size_t i = 0; i < n - pad; i++)
		if (!strchr(alphabet, s[i]) || !s[i])
			return -EINVAL;
	*size = n / 4 * 3 - pad;
	return 0;
}

int smd_udf_decode(const char *value, uint64_t *size, bool *abort_asd,
		   char *why, size_t len)
{
	json_error_t jerr;
	const char *c64;
	json_t *o;
	int ret = 0;

	*abort_asd = false;
	/* udf_cask_smd_accept_cb: json_loads(value, 0), then
	 * strlen(json_string_value(content64)) (udf_cask.c:488-511). */
	o = json_loads(value, 0, &jerr);
	if (!o) {
		snprintf(why, len, "the value is not JSON (%s): asd logs a "
			 "warning and skips the UDF", jerr.text);
		return -EINVAL;
	}
	c64 = json_string_value(json_object_get(o, "content64"));
	if (!c64) {
		*abort_asd = true;
		snprintf(why, len, "the value has no string \"content64\": asd "
			 "crashes on it at startup (strlen(NULL), "
			 "udf_cask.c:498-501)");
		ret = -EINVAL;
	} else if (base64_size(c64, size) < 0) {
		snprintf(why, len, "\"content64\" is not valid base64: asd logs a "
			 "warning and skips the UDF");
		ret = -EINVAL;
	}
	json_decref(o);
	return ret;
}

int smd_decimal(const char *s, unsigned max_digits, uint64_t max,
		uint64_t *out)
{
	size_t n = strlen(s);
	uint64_t v = 0;

	if (!n || n > max_digits)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

char *smd_utc(uint64_t clepoch, bool with_ms, char *buf, size_t len)
{
	uint64_t secs = with_ms ? clepoch / 1000 : clepoch;
	time_t t;
	struct tm tm;

	/* Past 9999-12-31 gmtime's year has more than four digits. */
	if (secs > 253402300799ull - SMD_CLEPOCH_UNIX_S) {
		snprintf(buf, len, "out-of-range");
		return buf;
	}
	t = (time_t)(secs + (uint64_t)SMD_CLEPOCH_UNIX_S);
	gmtime_r(&t, &tm);
	if (with_ms)
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (unsigned)(clepoch % 1000));
	else
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
	return buf;
}

/* udf_cask_smd_accept_cb's view of one live UDF item. */
static int check_udf(struct smd_file *f, long i, const struct smd_item *it)
{
	char why[256];
	uint64_t size;
	bool abort_asd;

	if (strlen(it->key) >= UDF_NAME_MAX)
		return smd_problem_add(f, SMD_WARNING, "udf-name", i, it->key,
				       "the file name is %zu bytes, asd takes "
				       "fewer than %d: it skips the UDF",
				       strlen(it->key), UDF_NAME_MAX);
	if (strchr(it->key, '/') || it->key[0] == '.')
		return smd_problem_add(f, SMD_WARNING, "udf-name", i, it->key,
				       "the file name has a '/' or a leading "
				       "'.': asd writes the Lua file at "
				       "user-path/NAME");
	if (!strchr(it->key, '.') || it->key[strlen(it->key) - 1] == '.')
		return smd_problem_add(f, SMD_WARNING, "udf-name", i, it->key,
				       "the file name has no extension (udf-put "
				       "refuses such names)");
	if (smd_udf_decode(it->value, &size, &abort_asd, why, sizeof(why)) < 0) {
		if (abort_asd)
			f->fate = SMD_ABORTS;
		return smd_problem_add(f, abort_asd ? SMD_ERROR : SMD_WARNING,
				       "udf-value", i, it->key, "%s", why);
	}
	if (size > UDF_CONTENT_MAX)
		return smd_problem_add(f, SMD_WARNING, "udf-size", i, it->key,
				       "the Lua source is %llu bytes, more than "
				       "the 1 MiB udf-put takes",
				       (unsigned long long)size);
	return 0;
}

static int check_sindex(struct smd_file *f, long i, const struct smd_item *it)
{
	struct smd_sindex_def d;
	char why[160];

	if (smd_sindex_parse(it->key, &d, why, sizeof(why)) < 0)
		return smd_problem_add(f, SMD_WARNING, "sindex-key", i, it->key,
				       "not a secondary-index key: %s; asd logs "
				       "a warning and skips it (sindex.c:746-748)",
				       why);
	if (strlen(it->value) >= SINDEX_INAME_MAX || !it->value[0])
		return smd_problem_add(f, SMD_WARNING, "sindex-name", i, it->key,
				       "the index name is %zu bytes, asd takes 1 "
				       "to %d: it skips the index",
				       strlen(it->value), SINDEX_INAME_MAX - 1);
	return 0;
}

/*
 * A value that is not asd's own decimal: what the module's strtoul(value,
 * NULL, 10) makes of it (nsup.c:180-183, truncate.c lut_from_smd), which
 * is not what the file says. An error: restore would install a number
 * nobody wrote.
 */
static int misread_number(struct smd_file *f, long i, const struct smd_item *it,
			  bool trunc)
{
	unsigned long long v = strtoull(it->value, NULL, 10);
	size_t n = strspn(it->value, "0123456789");

	if (n && !it->value[n] && !trunc)	/* digits: too wide for uint32_t */
		return smd_problem_add(f, SMD_ERROR, "evict-value", i, it->key,
				       "the void-time %s does not fit asd's 32 "
				       "bits: it keeps %u", it->value,
				       (unsigned)v);
	if (!it->value[n] && n)
		return smd_problem_add(f, SMD_ERROR, "truncate-value", i, it->key,
				       "the threshold %s has more than %d digits, "
				       "more than the 40-bit time asd writes",
				       it->value, TRUNCATE_DIGITS);
	return smd_problem_add(f, SMD_ERROR, trunc ? "truncate-value"
						   : "evict-value", i, it->key,
			       "the %s '%s' is not the decimal asd writes: its "
			       "strtoul reads %llu%s", trunc ? "threshold"
			       : "void-time", it->value, v, trunc ? ""
			       : v > UINT32_MAX ? ", kept as a 32-bit number"
			       : "");
}

static int check_number(struct smd_file *f, long i, const struct smd_item *it)
{
	bool trunc = f->module->id == SMD_TRUNCATE;
	uint64_t v;

	if (!it->key[0] || it->key[0] == '|')
		return smd_problem_add(f, SMD_WARNING, trunc ? "truncate-key"
							     : "evict-key",
				       i, it->key, "the key names no namespace: "
				       "asd skips the item");
	if (!trunc && strchr(it->key, '|'))
		return smd_problem_add(f, SMD_WARNING, "evict-key", i, it->key,
				       "an evict key is a namespace name, without "
				       "'|': asd finds no such namespace");
	if (smd_decimal(it->value, trunc ? TRUNCATE_DIGITS : 10,
			trunc ? UINT64_MAX : UINT32_MAX, &v) < 0)
		return misread_number(f, i, it, trunc);
	return 0;
}

int smd_module_checks(struct smd_file *f)
{
	int ret = 0;

	if (!f->module)
		return 0;
	/* At startup only live items reach the module (smd.c:2096-2115). */
	for (size_t i = 0; i < f->nitems && !ret; i++) {
		const struct smd_item *it = &f->items[i];

		if (!it->value)
			continue;
		switch (f->module->id) {
		case SMD_UDF:
			ret = check_udf(f, it->index, it);
			break;
		case SMD_SINDEX:
			ret = check_sindex(f, it->index, it);
			break;
		case SMD_TRUNCATE:
		case SMD_EVICT:
			ret = check_number(f, it->index, it);
			break;
		default:
			break;	/* EE value formats are not in the CE source */
		}
	}
	return ret;
}

/* The namespace and set of a truncate or evict key: "ns" or "ns|set". */
static int split_key(const char *key, char **ns, char **set)
{
	const char *bar = strchr(key, '|');

	*ns = strndup(key, bar ? (size_t)(bar - key) : strlen(key));
	*set = bar ? strdup(bar + 1) : NULL;
	if (!*ns || (bar && !*set)) {
		free(*ns);
		free(*set);
		return -ENOMEM;
	}
	return 0;
}

int smd_truncations(const struct smd_file *f, struct smd_truncation **v,
		    size_t *n)
{
	*v = NULL;
	*n = 0;
	if (!f)
		return 0;
	*v = calloc(f->nitems + 1, sizeof(**v));
	if (!*v)
		return -ENOMEM;
	for (size_t i = 0; i < f->nitems; i++) {
		const struct smd_item *it = &f->items[i];
		struct smd_truncation *t = &(*v)[*n];

		if (!it->value || !it->key[0] || it->key[0] == '|' ||
		    smd_decimal(it->value, TRUNCATE_DIGITS, UINT64_MAX,
				&t->threshold_ms) < 0)
			continue;
		if (split_key(it->key, &t->ns, &t->set) < 0) {
			smd_truncations_free(*v, *n);
			*v = NULL;
			*n = 0;
			return -ENOMEM;
		}
		(*n)++;
	}
	return 0;
}

void smd_truncations_free(struct smd_truncation *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].ns);
		free(v[i].set);
	}
	free(v);
}

int smd_evict_times(const struct smd_file *f, struct smd_evict **v,
		    size_t *n)
{
	*v = NULL;
	*n = 0;
	if (!f)
		return 0;
	*v = calloc(f->nitems + 1, sizeof(**v));
	if (!*v)
		return -ENOMEM;
	for (size_t i = 0; i < f->nitems; i++) {
		const struct smd_item *it = &f->items[i];
		uint64_t t;

		if (!it->value || !it->key[0] || strchr(it->key, '|') ||
		    smd_decimal(it->value, 10, UINT32_MAX, &t) < 0)
			continue;
		(*v)[*n].void_time_s = (uint32_t)t;
		if (!((*v)[*n].ns = strdup(it->key))) {
			smd_evict_times_free(*v, *n);
			*v = NULL;
			*n = 0;
			return -ENOMEM;
		}
		(*n)++;
	}
	return 0;
}

void smd_evict_times_free(struct smd_evict *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].ns);
	free(v);
}
