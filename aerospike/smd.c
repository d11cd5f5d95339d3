/*
 * smd.c - SMD module files parsed and judged as asd's loader does
 * (module_restore_from_disk, smd.c:2327-2429 at 8.1.0.0; AEROSPIKE-SMD.md
 * 3.1), and the item-level comparison of two files.
 */
#include "smd_priv.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* g_module_table (smd.c:328-337) and masking from 8.1.1.0 (1.2). */
static const struct smd_module_info modules[] = {
	{ SMD_EVICT, "evict", true },
	{ SMD_ROSTER, "roster", false },
	{ SMD_SECURITY, "security", false },
	{ SMD_SINDEX, "sindex", true },
	{ SMD_TRUNCATE, "truncate", true },
	{ SMD_UDF, "UDF", true },
	{ SMD_XDR, "XDR", false },
	{ SMD_MASKING, "masking", false },
};

#define NMODULES (sizeof(modules) / sizeof(modules[0]))

/* The module named by "NAME.smd", case-sensitively or not. */
static const struct smd_module_info *lookup(const char *file_name,
					     bool any_case)
{
	size_t n = strlen(file_name);

	if (n < 5 || strcmp(file_name + n - 4, ".smd"))
		return NULL;
	for (size_t i = 0; i < NMODULES; i++)
		if (strlen(modules[i].name) == n - 4 &&
		    !(any_case ? strncasecmp : strncmp)(file_name,
							modules[i].name, n - 4))
			return &modules[i];
	return NULL;
}

const struct smd_module_info *smd_module_lookup(const char *file_name)
{
	return lookup(file_name, false);
}

bool smd_file_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n < 5 || n > 128 || name[0] == '.' || strcmp(name + n - 4, ".smd"))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789._-", name[i]))
			return false;
	return true;
}

const char *smd_fate_name(enum smd_fate fate)
{
	static const char *const names[] = { "loads", "starts-empty", "aborts",
					     "not-read" };

	return names[fate];
}

const char *smd_fate_text(enum smd_fate fate)
{
	static const char *const text[] = {
		"asd loads it",
		("asd starts the module empty and overwrites the file at its "
		 "next commit"),
		"asd aborts at startup",
		"asd never reads it",
	};

	return text[fate];
}

int smd_problem_add(struct smd_file *f, enum smd_severity sev,
		    const char *code, long item, const char *key,
		    const char *fmt, ...)
{
	struct smd_problem *p, *v;
	va_list ap;
	int n;

	f->problems_total++;
	if (sev == SMD_ERROR)
		f->errors++;
	else
		f->warnings++;
	if (f->nproblems == SMD_PROBLEMS_MAX)
		return 0;
	v = realloc(f->problems, (f->nproblems + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	f->problems = v;
	p = &v[f->nproblems];
	memset(p, 0, sizeof(*p));
	p->severity = sev;
	p->code = code;
	p->item = item;
	va_start(ap, fmt);
	n = vasprintf(&p->message, fmt, ap);
	va_end(ap);
	if (n < 0) {
		p->message = NULL;
		return -ENOMEM;
	}
	/* One line: jansson's error text quotes the bytes it stopped at. */
	for (char *c = p->message; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	if (key && !(p->key = strdup(key))) {
		free(p->message);
		return -ENOMEM;
	}
	f->nproblems++;
	return 0;
}

#define ADD(f, sev, code, item, key, ...)                                   \
	smd_problem_add(f, sev, code, item, key, __VA_ARGS__)

/* Element 0 is an array: asd takes [0] and [1] as the version. */
static int judge_header(struct smd_file *f, json_t *hdr)
{
	json_t *ck = json_array_get(hdr, 0), *tid = json_array_get(hdr, 1);
	int ret = 0;

	f->has_header = true;
	if (!ck || !tid)
		return ADD(f, SMD_ERROR, "header", -1, NULL,
			   "the committed-version header has %zu entr%s, not 2: "
			   "asd takes version 0/0, and a node at 0/0 replaces its "
			   "items with the principal's", json_array_size(hdr),
			   json_array_size(hdr) == 1 ? "y" : "ies");
	/* (uint64_t)json_integer_value(), as asd: 0 for a non-integer. */
	f->cv_key = (uint64_t)json_integer_value(ck);
	f->cv_tid = (uint64_t)json_integer_value(tid);
	if (!json_is_integer(ck) || !json_is_integer(tid))
		return ADD(f, SMD_ERROR, "header", -1, NULL,
			   "the committed-version header is not two integers: "
			   "asd reads %s as 0", !json_is_integer(ck)
			   ? "the cluster key" : "the tid");
	/* asd stores both as uint64_t: a negative number is misread. */
	if (json_integer_value(ck) < 0 || json_integer_value(tid) < 0)
		ret = ADD(f, SMD_ERROR, "header", -1, NULL,
			  "the committed-version header holds a negative number "
			  "(%lld/%lld): asd keeps it as %llu/%llu",
			  (long long)json_integer_value(ck),
			  (long long)json_integer_value(tid),
			  (unsigned long long)f->cv_key,
			  (unsigned long long)f->cv_tid);
	else if (f->cv_key >> 48)
		ret = ADD(f, SMD_WARNING, "header", -1, NULL,
			  "the cluster key %llu is wider than the 48 bits asd "
			  "makes cluster keys with",
			  (unsigned long long)f->cv_key);
	if (!ret && json_array_size(hdr) > 2)
		ret = ADD(f, SMD_ERROR, "header", -1, NULL,
			  "the committed-version header has %zu entries, not 2: "
			  "asd ignores all but the first two, and never writes "
			  "more", json_array_size(hdr));
	return ret;
}

/* Why element j is not an item asd takes (cf_assert), or NULL. */
static const char *item_shape(json_t *e)
{
	json_t *v;

	if (!json_is_object(e))
		return "is not a JSON object";
	if (!json_is_string(json_object_get(e, "key")))
		return json_object_get(e, "key") ? "has a \"key\" that is not a "
						    "string"
						  : "has no \"key\"";
	v = json_object_get(e, "value");
	if (!v)
		return "has no \"value\"";
	if (!json_is_string(v) && !json_is_null(v))
		return "has a \"value\" that is neither a string nor null";
	if (!json_is_integer(json_object_get(e, "generation")))
		return json_object_get(e, "generation")
			       ? "has a \"generation\" that is not an integer"
			       : "has no \"generation\"";
	if (!json_is_integer(json_object_get(e, "timestamp")))
		return json_object_get(e, "timestamp")
			       ? "has a \"timestamp\" that is not an integer"
			       : "has no \"timestamp\"";
	return NULL;
}

static int take_item(struct smd_file *f, json_t *e, long idx)
{
	const char *key = json_string_value(json_object_get(e, "key"));
	const char *value = json_string_value(json_object_get(e, "value"));
	struct smd_item *it;
	int ret = 0;

	it = &f->items[f->nitems];
	it->index = idx;
	it->key = strdup(key);
	it->value = value ? strdup(value) : NULL;
	it->generation = json_integer_value(json_object_get(e, "generation"));
	it->timestamp = json_integer_value(json_object_get(e, "timestamp"));
	if (!it->key || (value && !it->value)) {
		free(it->key);
		free(it->value);
		return -ENOMEM;
	}
	f->nitems++;
	f->tombstones += !value;
	/* asd keeps generation as uint32_t and timestamp as uint64_t
	 * (smd.h:56-57): what does not fit is misread, and decides merges
	 * (the newer timestamp, then the higher generation, wins). */
	if (it->generation < 0 || it->generation > UINT32_MAX)
		ret = ADD(f, SMD_ERROR, "generation", idx, key,
			  "generation %lld does not fit asd's 32-bit counter: it "
			  "keeps %u", (long long)it->generation,
			  (unsigned)it->generation);
	if (!ret && it->timestamp < 0)
		ret = ADD(f, SMD_ERROR, "timestamp", idx, key,
			  "negative timestamp %lld: asd keeps it as %llu ms, so "
			  "the item wins every merge against other copies",
			  (long long)it->timestamp,
			  (unsigned long long)it->timestamp);
	return ret;
}

/* The items from element start on; a bad one makes asd abort. */
static int take_items(struct smd_file *f, json_t *root, size_t start)
{
	size_t n = json_array_size(root);
	int ret = 0;

	f->items = calloc(n - start + 1, sizeof(*f->items));
	if (!f->items)
		return -ENOMEM;
	for (size_t j = start; j < n && !ret; j++) {
		json_t *e = json_array_get(root, j);
		const char *why = item_shape(e);

		if (!why) {
			ret = take_item(f, e, (long)(j - start));
			continue;
		}
		f->bad_items++;
		f->fate = SMD_ABORTS;
		ret = ADD(f, SMD_ERROR, "item-shape", (long)(j - start),
			  json_string_value(json_object_get(e, "key")),
			  "item %s: asd aborts at startup (cf_assert, "
			  "smd.c:2401-2419)", why);
	}
	return ret;
}

static int cmp_key_index(const void *a, const void *b, void *items)
{
	const struct smd_item *v = items;
	size_t i = *(const size_t *)a, k = *(const size_t *)b;
	int c = strcmp(v[i].key, v[k].key);

	return c ? c : (i > k) - (i < k);
}

/* Item indexes of f sorted by key, then by position. */
static size_t *sorted_keys(const struct smd_file *f)
{
	size_t *ix = malloc((f->nitems + 1) * sizeof(*ix));

	if (!ix)
		return NULL;
	for (size_t i = 0; i < f->nitems; i++)
		ix[i] = i;
	qsort_r(ix, f->nitems, sizeof(*ix), cmp_key_index, f->items);
	return ix;
}

/* Two items with one key: asd loads both, look-ups are ambiguous. */
static int judge_duplicates(struct smd_file *f)
{
	size_t *ix = sorted_keys(f);
	int ret = 0;

	if (!ix)
		return -ENOMEM;
	for (size_t i = 1; i < f->nitems && !ret; i++)
		if (!strcmp(f->items[ix[i]].key, f->items[ix[i - 1]].key))
			ret = ADD(f, SMD_ERROR, "duplicate-key",
				  f->items[ix[i]].index, f->items[ix[i]].key,
				  "the key of item %ld again: asd loads both and "
				  "its look-ups of the key become ambiguous "
				  "(smd.c:2563-2573)", f->items[ix[i - 1]].index);
	free(ix);
	return ret;
}

/* What a file asd never opens is: any problem is only a warning. */
static int judge_unknown(struct smd_file *f)
{
	const struct smd_module_info *like = lookup(f->name, true);

	for (size_t i = 0; i < f->nproblems; i++)
		f->problems[i].severity = SMD_WARNING;
	f->warnings += f->errors;
	f->errors = 0;
	f->fate = SMD_NOT_READ;
	if (like)
		return ADD(f, SMD_WARNING, "not-a-module", -1, NULL,
			   "asd opens '%s.smd', not this name (names are "
			   "case-sensitive): this file is ignored", like->name);
	return ADD(f, SMD_WARNING, "not-a-module", -1, NULL,
		   "no module of asd has this name: the file is ignored");
}

static int judge(struct smd_file *f, json_t *root)
{
	size_t start = 0;
	int ret = 0;

	if (json_array_size(root) > 0) {
		json_t *first = json_array_get(root, 0);

		if (json_is_array(first)) {
			start = 1;
			ret = judge_header(f, first);
		} else {
			f->legacy = true;
			f->cv_tid = 1;	/* "old SMD db with entries > 0" */
			ret = ADD(f, SMD_WARNING, "no-header", -1, NULL,
				  "no committed-version header (a file of an old "
				  "server): asd takes version 0/1");
		}
	}
	if (!ret)
		ret = take_items(f, root, start);
	if (!ret)
		ret = judge_duplicates(f);
	if (!ret)
		ret = smd_module_checks(f);
	return ret;
}

int smd_parse(const char *name, const void *data, size_t len,
	      struct smd_file *f)
{
	const unsigned char *p = data;
	json_error_t jerr;
	json_t *root;
	int ret = 0;

	memset(f, 0, sizeof(*f));
	f->name = strdup(name);
	if (!f->name)
		return -ENOMEM;
	f->module = smd_module_lookup(name);
	f->ascii_only = true;
	for (size_t i = 0; i < len && f->ascii_only; i++)
		f->ascii_only = p[i] < 0x80;
	/* asd: json_load_file(path, JSON_REJECT_DUPLICATES) (smd.c:2351). */
	root = json_loadb(len ? data : "", len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		f->fate = SMD_STARTS_EMPTY;
		ret = ADD(f, SMD_ERROR, "json", -1, NULL,
			  "not valid JSON for asd (line %d, column %d): %s; asd "
			  "starts the module empty and overwrites the file at its "
			  "next commit", jerr.line, jerr.column, jerr.text);
	} else if (!json_is_array(root)) {
		f->fate = SMD_STARTS_EMPTY;
		ret = ADD(f, SMD_ERROR, "not-array", -1, NULL,
			  "the top level is a JSON object, not an array: asd "
			  "starts the module empty and overwrites the file at its "
			  "next commit");
	} else {
		f->parsed = true;
		ret = judge(f, root);
	}
	json_decref(root);
	if (!ret && !f->module)
		ret = judge_unknown(f);
	return ret;
}

void smd_file_release(struct smd_file *f)
{
	for (size_t i = 0; i < f->nitems; i++) {
		free(f->items[i].key);
		free(f->items[i].value);
	}
	free(f->items);
	for (size_t i = 0; i < f->nproblems; i++) {
		free(f->problems[i].key);
		free(f->problems[i].message);
	}
	free(f->problems);
	free(f->name);
	memset(f, 0, sizeof(*f));
}

static bool same_item(const struct smd_item *a, const struct smd_item *b)
{
	if (a->generation != b->generation || a->timestamp != b->timestamp)
		return false;
	if (!a->value || !b->value)
		return a->value == b->value;
	return !strcmp(a->value, b->value);
}

static int push_key(char ***v, size_t *n, char *key)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	nv[(*n)++] = key;
	*v = nv;
	return 0;
}

/* Merge the two key-sorted lists (repeated keys: the first counts). */
static int diff_merge(const struct smd_file *a, const size_t *ia,
		      const struct smd_file *b, const size_t *ib,
		      struct smd_diff *d)
{
	size_t i = 0, k = 0;
	int ret = 0;

	while (!ret && (i < a->nitems || k < b->nitems)) {
		const struct smd_item *x = i < a->nitems ? &a->items[ia[i]] : NULL;
		const struct smd_item *y = k < b->nitems ? &b->items[ib[k]] : NULL;
		int c = !x ? 1 : !y ? -1 : strcmp(x->key, y->key);

		if (c < 0)
			ret = push_key(&d->only_a, &d->n_only_a, x->key);
		else if (c > 0)
			ret = push_key(&d->only_b, &d->n_only_b, y->key);
		else if (!same_item(x, y))
			ret = push_key(&d->changed, &d->n_changed, x->key);
		if (c <= 0)
			for (i++; i < a->nitems &&
			     !strcmp(a->items[ia[i]].key, x->key); i++)
				;
		if (c >= 0)
			for (k++; k < b->nitems &&
			     !strcmp(b->items[ib[k]].key, y->key); k++)
				;
	}
	return ret;
}

int smd_diff(const struct smd_file *a, const struct smd_file *b,
	     struct smd_diff *d)
{
	size_t *ia = sorted_keys(a), *ib = sorted_keys(b);
	int ret = -ENOMEM;

	memset(d, 0, sizeof(*d));
	if (ia && ib)
		ret = diff_merge(a, ia, b, ib, d);
	free(ia);
	free(ib);
	if (ret < 0) {
		smd_diff_release(d);
		return ret;
	}
	d->version_differs = a->cv_key != b->cv_key || a->cv_tid != b->cv_tid ||
			     a->has_header != b->has_header;
	if (!d->n_only_a && !d->n_only_b && !d->n_changed &&
	    a->nitems == b->nitems)
		for (size_t i = 0; i < a->nitems && !d->order_differs; i++)
			d->order_differs = strcmp(a->items[i].key, b->items[i].key);
	return 0;
}

void smd_diff_release(struct smd_diff *d)
{
	free(d->only_a);
	free(d->only_b);
	free(d->changed);
	memset(d, 0, sizeof(*d));
}
