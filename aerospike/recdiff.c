/*
 * recdiff.c - the records of a differing write-block, on each copy, as
 * asd's sweep and add_record would treat them (see recdiff.h and
 * shared/AEROSPIKE-RECORDS.md sections 4.2, 4.3).
 */
#include "recdiff.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RBLOCKS (AS_WBLOCK_BYTES / AS_RBLOCK_BYTES)

int as_recdiff_init(struct as_recdiff *x, const struct as_ownership *own,
		    int64_t now_unix)
{
	memset(x, 0, sizeof(*x));
	x->own = own;
	x->now_cl = now_unix - AS_CL_EPOCH_UNIX;
	x->digests = malloc(RBLOCKS / 3 * sizeof(*x->digests));
	x->loadable_at = malloc(RBLOCKS / 8);
	return x->digests && x->loadable_at ? 0 : -ENOMEM;
}

void as_recdiff_release(struct as_recdiff *x)
{
	free(x->digests);
	free(x->loadable_at);
	x->digests = NULL;
	x->loadable_at = NULL;
}

static int cmp_digest(const void *a, const void *b)
{
	return memcmp(*(const unsigned char *const *)a,
		      *(const unsigned char *const *)b, AS_DIGEST_BYTES);
}

/*
 * One record the sweep hands to add_record: checks 1-7. Counts it into
 * v; returns whether asd loads it (subject to the conflict rule), and
 * in *shape_ok whether its size can be trusted.
 */
static bool check_record(const struct as_recdiff *x, struct as_recdiff_view *v,
			 uint64_t offset, const unsigned char *rec,
			 uint32_t size, bool *shape_ok)
{
	struct as_flat f;
	enum as_flat_reason r = as_flat_parse(rec, size, x->now_cl, &f);

	*shape_ok = r == AS_FLAT_OK ||
		    (r == AS_FLAT_VOID_TIME_BAD &&
		     as_flat_parse(rec, size, 0, &f) == AS_FLAT_OK);
	if (!x->own->owned[f.pid])
		return false;			/* 1: silent */
	if (r != AS_FLAT_OK) {			/* 2-6: UNPARSABLE */
		if (!v->unparsable) {
			v->first_unparsable_offset = offset;
			v->first_unparsable_reason = r;
			v->first_unparsable_detail = f.detail;
			memcpy(v->first_unparsable_digest, f.digest,
			       AS_DIGEST_BYTES);
		}
		v->unparsable++;
		v->unparsable_by[r]++;
		return false;
	}
	return f.tree_id == x->own->tree_id[f.pid];	/* 7 */
}

/*
 * Walk copy p of the write-block as the sweep does; other is the other
 * copy. With collect, note the loadable records (the local's).
 * visit, when set, is called for each loadable record (the shadow's).
 */
static void walk(struct as_recdiff *x, struct as_recdiff_view *v,
		 uint64_t offset, const unsigned char *p,
		 const unsigned char *other, bool collect,
		 void (*visit)(struct as_recdiff *x, const unsigned char *p,
			       const unsigned char *other, uint32_t at,
			       uint32_t size))
{
	uint32_t indent = 0;

	if (!as_flat_magic_at(p)) {		/* unused to asd */
		v->hidden_by_magic += as_records_scan_hidden(p, AS_RBLOCK_BYTES,
							     AS_WBLOCK_BYTES);
		return;
	}
	while (indent < AS_WBLOCK_BYTES) {
		uint32_t size;
		bool loadable, shape_ok;

		if (!as_flat_magic_at(p + indent)) {
			indent += AS_RBLOCK_BYTES;
			continue;
		}
		size = as_flat_size(p + indent);
		if (size < AS_RECORD_MIN_BYTES ||
		    size > AS_WBLOCK_BYTES - indent) {
			indent += AS_RBLOCK_BYTES;	/* bad record size */
			continue;
		}
		v->records++;
		if (memcmp(p + indent, other + indent, size))
			v->differing++;
		loadable = check_record(x, v, offset + indent, p + indent,
					size, &shape_ok);
		if (loadable && collect) {
			x->digests[x->ndigests++] = p + indent + 8;
			x->loadable_at[indent / AS_RBLOCK_BYTES / 8] |=
				(unsigned char)(1u << (indent / AS_RBLOCK_BYTES % 8));
		}
		if (loadable && visit)
			visit(x, p, other, indent, size);
		if (!shape_ok)
			v->hidden_by_size += as_records_scan_hidden(
				p, indent + AS_RBLOCK_BYTES, indent + size);
		indent += size;
	}
}

/*
 * A loadable shadow record: does loading the local give it? Yes when
 * the local has a loadable record at the same place with the same
 * bytes, or a loadable record of the same digest elsewhere in the
 * write-block (asd would load that version instead: counted among the
 * differing, not here).
 */
static void shadow_record(struct as_recdiff *x, const unsigned char *p,
			  const unsigned char *local, uint32_t at,
			  uint32_t size)
{
	const unsigned char *key = p + at + 8;
	unsigned r = at / AS_RBLOCK_BYTES;

	if ((x->loadable_at[r / 8] >> (r % 8) & 1) &&
	    !memcmp(p + at, local + at, size))
		return;
	if (!x->sorted) {		/* only when a record is not in place */
		qsort(x->digests, x->ndigests, sizeof(*x->digests),
		      cmp_digest);
		x->sorted = true;
	}
	if (!bsearch(&key, x->digests, x->ndigests, sizeof(*x->digests),
		     cmp_digest))
		x->not_loaded++;
}

void as_recdiff_wblock(struct as_recdiff *x, uint64_t offset,
		       const unsigned char *local, const unsigned char *shadow,
		       bool local_read, bool shadow_read)
{
	x->ndigests = 0;
	x->sorted = false;
	memset(x->loadable_at, 0, RBLOCKS / 8);
	if (local_read) {
		x->local.wblocks++;
		walk(x, &x->local, offset, local, shadow, true, NULL);
	} else {
		x->local.unread_wblocks++;
	}
	if (shadow_read) {
		x->shadow.wblocks++;
		/* A local the sweep does not read gives none of them. */
		walk(x, &x->shadow, offset, shadow, local, false,
		     shadow_record);
	} else {
		x->shadow.unread_wblocks++;
	}
}
