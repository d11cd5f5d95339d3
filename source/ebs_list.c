/*
 * ebs_list.c - the listings of ebs:// sources (see ebs.h): pages of
 * ListSnapshotBlocks or ListChangedBlocks asked for ahead of the parts,
 * one at a time a listing, NextToken while it is young and
 * startingBlockIndex otherwise (or once a token has expired), and the
 * blocks far behind forgotten.
 *
 * Coverage is one run of block indices [cov_lo, cov_hi) whose listed
 * blocks are all known (past cov_hi too once the listing has ended). A
 * block asked for outside it, or whose token has expired, makes the
 * listing start again at that block.
 */
#include "ebs.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ebs_lister_init(struct ebs_lister *l, struct ebs *e,
		     enum ebs_list_mode mode, const char *snap,
		     const char *first, uint64_t end_index)
{
	memset(l, 0, sizeof(*l));
	l->e = e;
	l->mode = mode;
	l->snap = snap;
	l->first = first;
	l->end_index = end_index;
	l->max_results = EBS_LIST_MAX;
	l->job.kind = EJ_LIST;
	l->job.ls = l;
}

static void blk_free(struct ebs_blk *b)
{
	free(b->token);
	free(b->first_token);
	b->token = b->first_token = NULL;
}

static void drop_all(struct ebs_lister *l)
{
	for (size_t i = l->head; i < l->n; i++)
		blk_free(&l->v[i]);
	l->head = l->n = 0;
}

void ebs_lister_release(struct ebs_lister *l)
{
	drop_all(l);
	free(l->v);
	free(l->buf);
	l->v = NULL;
	l->buf = NULL;
}

bool ebs_covered(const struct ebs_lister *l, uint64_t index)
{
	if (l->restart && index >= l->restart_at)
		return false;
	return index >= l->cov_lo && (index < l->cov_hi || l->at_end);
}

const struct ebs_blk *ebs_lookup_from(const struct ebs_lister *l,
				      uint64_t index)
{
	size_t lo = l->head, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->v[mid].index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < l->n ? &l->v[lo] : NULL;
}

void ebs_relist(struct ebs_lister *l, uint64_t index)
{
	if (l->restart && l->restart_at <= index)
		return;
	if (!l->restart)
		l->e->relists++;
	l->restart = true;
	l->restart_at = index;
}

/* Forget the blocks far below what is wanted now. */
static void trim(struct ebs_lister *l)
{
	if (l->want <= EBS_KEEP_BEHIND)
		return;
	while (l->head < l->n && l->v[l->head].index + EBS_KEEP_BEHIND < l->want)
		blk_free(&l->v[l->head++]);
	if (l->cov_lo < l->want - EBS_KEEP_BEHIND) {
		l->cov_lo = l->want - EBS_KEEP_BEHIND;
		if (l->cov_hi < l->cov_lo && !l->at_end)
			ebs_relist(l, l->cov_lo);
	}
	if (l->head == l->n)
		l->head = l->n = 0;
}

void ebs_want(struct ebs_lister *l, uint64_t index)
{
	if (index > l->want) {
		l->want = index;
		trim(l);
	}
}

void ebs_need(struct ebs_lister *l, uint64_t index)
{
	if (index < l->cov_lo ||
	    (!l->at_end && index >= l->cov_hi + EBS_JUMP))
		ebs_relist(l, index);
	ebs_want(l, index + 1);
}

static void apply_restart(struct ebs_lister *l)
{
	drop_all(l);
	l->cov_lo = l->cov_hi = l->restart_at;
	l->at_end = l->end_index && l->cov_hi >= l->end_index;
	l->page_token[0] = '\0';
	l->restart = false;
}

int ebs_list_pump(struct ebs_lister *l)
{
	struct ebs *e = l->e;
	int ret;

	if (l->busy)
		return 0;
	if (l->restart)
		apply_restart(l);
	if (l->at_end || l->cov_hi >= l->want + EBS_LIST_AHEAD)
		return 0;
	if (l->page_token[0] &&
	    ebs_now_ms() - l->page_token_ms > EBS_PAGE_TOKEN_MAX_AGE_MS)
		l->page_token[0] = '\0';	/* startingBlockIndex instead */
	if (!l->buf && !(l->buf = malloc(EBS_LIST_BUF)))
		return -ENOMEM;
	l->job.job.buf = l->buf;
	l->job.job.len = EBS_LIST_BUF - 1;
	l->job.job.got = 0;
	l->job.job.whole = true;
	l->job.job.to_end = true;
	ret = fetch_queue(e->f, &l->job.job);
	if (ret == -EBUSY)
		return 0;
	if (ret)
		return ret;
	l->busy = true;
	e->list_requests++;
	return 0;
}

static int list_fail(struct ebs_lister *l, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int list_fail(struct ebs_lister *l, int err, const char *fmt, ...)
{
	struct ebs *e = l->e;
	char why[FETCH_WHY + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(e->fatal, sizeof(e->fatal), "%s", why);
	e->fatal_err = err;
	return err;
}

static int geometry(struct ebs_lister *l, json_t *o)
{
	struct ebs *e = l->e;
	json_t *bs = json_object_get(o, "BlockSize");
	json_t *vs = json_object_get(o, "VolumeSize");
	json_int_t b, v;

	if (!json_is_integer(bs) || !json_is_integer(vs))
		return list_fail(l, -EPROTO, "the listing has no BlockSize or "
				 "VolumeSize");
	b = json_integer_value(bs);
	v = json_integer_value(vs);
	if (b < 4096 || b > (64 << 20) || b % 4096 || v <= 0 || v > (1 << 20))
		return list_fail(l, -EPROTO, "the listing gives a block size "
				 "of %" JSON_INTEGER_FORMAT " bytes and a volume "
				 "of %" JSON_INTEGER_FORMAT " GiB", b, v);
	if (e->geometry_known && ((uint64_t)b != e->block ||
				  (uint64_t)v != e->volume_gib))
		return list_fail(l, -EPROTO, "the listings disagree on the "
				 "block size or the volume size (%" PRIu32
				 " bytes, %" PRIu64 " GiB, then %"
				 JSON_INTEGER_FORMAT ", %" JSON_INTEGER_FORMAT
				 ")", e->block, e->volume_gib, b, v);
	e->block = (uint32_t)b;
	e->volume_gib = (uint64_t)v;
	e->nblocks = ((uint64_t)v << 30) / (uint64_t)b;
	e->geometry_known = true;
	return 0;
}

static int append(struct ebs_lister *l, uint64_t index, const char *token,
		  const char *first, uint64_t expiry_ms)
{
	struct ebs_blk *b;

	if (l->head && l->n == l->cap) {	/* slide down first */
		memmove(l->v, l->v + l->head, (l->n - l->head) * sizeof(*l->v));
		l->n -= l->head;
		l->head = 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 1024;
		struct ebs_blk *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	b = &l->v[l->n];
	b->index = index;
	b->expiry_ms = expiry_ms;
	b->listed_ms = ebs_wall_ms();
	b->token = token ? strdup(token) : NULL;
	b->first_token = first ? strdup(first) : NULL;
	if ((token && !b->token) || (first && !b->first_token)) {
		blk_free(b);
		return -ENOMEM;
	}
	l->n++;
	return 0;
}

/* A token as the API defines them: 1-256 of A-Za-z0-9+/= */
static bool token_ok(const char *t)
{
	size_t n = t ? strlen(t) : 0;

	return n && n <= 256 && strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
				       "klmnopqrstuvwxyz0123456789+/=") == n;
}

static int take_blocks(struct ebs_lister *l, json_t *arr, uint64_t expiry_ms,
		       uint64_t *last)
{
	struct ebs *e = l->e;
	bool changed = l->mode == EBS_LIST_CHANGED;
	json_t *b;
	size_t i;
	int ret;

	json_array_foreach(arr, i, b) {
		json_t *ji = json_object_get(b, "BlockIndex");
		const char *tok = json_string_value(json_object_get(b,
				changed ? "SecondBlockToken" : "BlockToken"));
		const char *first = changed ? json_string_value(
				json_object_get(b, "FirstBlockToken")) : NULL;
		json_int_t idx = json_is_integer(ji) ? json_integer_value(ji) : -1;

		if (idx < 0 || (uint64_t)idx >= e->nblocks)
			return list_fail(l, -EPROTO, "the listing gives block "
					 "index %" JSON_INTEGER_FORMAT ", not one "
					 "of the volume's %" PRIu64, idx,
					 e->nblocks);
		if ((!changed && !token_ok(tok)) || (tok && !token_ok(tok)) ||
		    (first && !token_ok(first)) || (changed && !tok && !first))
			return list_fail(l, -EPROTO, "the listing gives block %"
					 JSON_INTEGER_FORMAT " without a valid "
					 "block token", idx);
		if (*last != UINT64_MAX && (uint64_t)idx <= *last)
			return list_fail(l, -EPROTO, "the listing is not in "
					 "ascending order (block %"
					 JSON_INTEGER_FORMAT " after %" PRIu64 ")",
					 idx, *last);
		*last = (uint64_t)idx;
		if ((uint64_t)idx < l->cov_hi)
			continue;	/* listed already */
		if (l->end_index && (uint64_t)idx >= l->end_index)
			break;
		ret = append(l, (uint64_t)idx, tok, first, expiry_ms);
		if (ret)
			return list_fail(l, ret, "out of memory");
		e->blocks_listed++;
	}
	return 0;
}

static int take_page(struct ebs_lister *l)
{
	json_t *o, *arr, *exp;
	const char *next;
	uint64_t expiry_ms = UINT64_MAX, last = UINT64_MAX;
	json_error_t jerr;
	int ret;

	l->buf[l->job.job.got] = '\0';
	o = json_loadb(l->buf, l->job.job.got, 0, &jerr);
	if (!json_is_object(o)) {
		json_decref(o);
		return list_fail(l, -EPROTO, "the listing is not a JSON object "
				 "(%s)", jerr.text);
	}
	ret = geometry(l, o);
	arr = json_object_get(o, l->mode == EBS_LIST_CHANGED ? "ChangedBlocks"
							      : "Blocks");
	exp = json_object_get(o, "ExpiryTime");
	if (json_is_number(exp) && json_number_value(exp) > 0)
		expiry_ms = (uint64_t)(json_number_value(exp) * 1000.0);
	if (!ret && arr && !json_is_array(arr))
		ret = list_fail(l, -EPROTO, "the listing's blocks are not an "
				"array");
	if (!ret && arr)
		ret = take_blocks(l, arr, expiry_ms, &last);
	next = json_string_value(json_object_get(o, "NextToken"));
	if (!ret && next && !token_ok(next))
		ret = list_fail(l, -EPROTO, "the listing's NextToken is not "
				"a token");
	if (!ret) {
		if (last != UINT64_MAX && last + 1 > l->cov_hi)
			l->cov_hi = last + 1;
		if (next && next[0]) {
			snprintf(l->page_token, sizeof(l->page_token), "%s", next);
			l->page_token_ms = ebs_now_ms();
		} else {
			l->page_token[0] = '\0';
			l->at_end = true;
		}
		if (l->end_index && l->cov_hi >= l->end_index)
			l->at_end = true;
		l->pages++;
		trim(l);
	}
	json_decref(o);
	return ret;
}

int ebs_list_done(struct ebs_lister *l)
{
	struct fetch_job *j = &l->job.job;

	l->busy = false;
	if (j->res == -EKEYEXPIRED) {
		/* an expired NextToken: on from the block it stood for */
		if (++l->expired_in_row > EBS_RELIST_TRIES)
			return list_fail(l, -EKEYEXPIRED, "cannot list '%s': "
					 "%s, %u times in a row",
					 l->e->spec_display, j->why,
					 l->expired_in_row);
		l->page_token[0] = '\0';
		l->e->relists++;
		return 0;
	}
	if (l->restart)
		return 0;	/* stale: listed again from restart_at */
	if (j->res < 0)
		return list_fail(l, j->res, "cannot read '%s': %s",
				 l->e->spec_display, j->why);
	l->expired_in_row = 0;
	return take_page(l);
}
