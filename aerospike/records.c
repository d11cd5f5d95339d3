/*
 * records.c - asd's cold-start sweep and record checks (CE 8.1.0.0,
 * drv_ssd.c:2666-2967), replayed over streamed write-blocks; see
 * records.h and shared/AEROSPIKE-RECORDS.md (sections 4.2 and 4.3).
 */
#include "records.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void as_ownership_from_region(const unsigned char *region, size_t len,
			      const struct as_header *h, struct as_ownership *o)
{
	memset(o, 0, sizeof(*o));
	if (h->state != AS_STATE_AEROSPIKE || !h->has_unique ||
	    len < AS_OFF_PMETA + AS_PARTITIONS * AS_PMETA_BYTES)
		return;
	for (unsigned pid = 0; pid < AS_PARTITIONS; pid++) {
		const unsigned char *e = region + AS_OFF_PMETA +
					 pid * AS_PMETA_BYTES;
		uint64_t ckey = 0;

		for (unsigned i = 6; i-- > 0;)
			ckey = ckey << 8 | e[i];
		o->owned[pid] = ckey != 0;
		o->tree_id[pid] = e[8];
		o->owned_count += o->owned[pid];
	}
}

void as_records_init(struct as_records *w, const struct as_ownership *own,
		     int64_t now_unix)
{
	memset(w, 0, sizeof(*w));
	w->own = own;
	w->now_cl = now_unix - AS_CL_EPOCH_UNIX;
	as_recindex_init(&w->index);
}

void as_records_release(struct as_records *w)
{
	as_recindex_release(&w->index);
}

void as_records_begin(struct as_records *w, struct as_dev_records *d,
		      uint64_t device_bytes)
{
	uint64_t usable = device_bytes;

	memset(d, 0, sizeof(*d));
	/* check_file_size: whole write-blocks after the header, 2 TiB. */
	if (usable > AS_MAX_USABLE_BYTES)
		usable = AS_MAX_USABLE_BYTES;
	if (usable >= AS_HEADER_REGION_BYTES)
		usable -= (usable - AS_HEADER_REGION_BYTES) % AS_WBLOCK_BYTES;
	else
		usable = 0;
	d->usable_bytes = usable;
	d->wblocks = usable / AS_WBLOCK_BYTES;
	d->stop_wblock = 1;
	d->pristine_wblock = 1;
	w->dev = d;
	w->next = 0;
	w->unused_run = 0;
	w->stopped = usable <= AS_HEADER_REGION_BYTES;
}

/* Is the record at rec (size bytes, within its wblock) well-formed? */
static bool well_formed(const unsigned char *rec, uint32_t size)
{
	struct as_flat f;

	return as_flat_parse(rec, size, 0, &f) == AS_FLAT_OK;
}

/*
 * Well-formed records whose starts lie in [from, to) of the write-block
 * p, found as asd would find them if it looked there: magic on a 16-byte
 * boundary, a size that fits, every check of the record's shape.
 */
static uint64_t scan_hidden(const unsigned char *p, uint32_t from, uint32_t to)
{
	uint64_t n = 0;
	uint32_t q = from;

	while (q < to) {
		const unsigned char *hit = memchr(p + q, 0x01, to - q);
		uint32_t size;

		if (!hit)
			break;
		q = (uint32_t)(hit - p);
		if (q % AS_RBLOCK_BYTES) {
			q += AS_RBLOCK_BYTES - q % AS_RBLOCK_BYTES;
			continue;
		}
		if (q + 8 > AS_WBLOCK_BYTES || !as_flat_magic_at(p + q)) {
			q += AS_RBLOCK_BYTES;
			continue;
		}
		size = as_flat_size(p + q);
		if (size >= AS_RECORD_MIN_BYTES &&
		    size <= AS_WBLOCK_BYTES - q && well_formed(p + q, size)) {
			n++;
			q += size;
		} else {
			q += AS_RBLOCK_BYTES;
		}
	}
	return n;
}

static void note_read(struct as_dev_records *d, const struct as_flat *f,
		      unsigned set_id)
{
	d->per_set[set_id]++;
	if (!d->lut_max || f->lut < d->lut_min)
		d->lut_min = f->lut;
	if (f->lut > d->lut_max)
		d->lut_max = f->lut;
	if (f->void_time) {
		if (!d->with_void_time || f->void_time < d->void_min)
			d->void_min = f->void_time;
		if (f->void_time > d->void_max)
			d->void_max = f->void_time;
		d->with_void_time++;
	}
}

/*
 * ssd_cold_start_add_record. Returns 1 when the record is well-formed
 * (its size can be trusted), 0 when not, or -ENOMEM.
 */
static int add_record(struct as_records *w, uint64_t offset,
		      const unsigned char *rec, uint32_t size)
{
	struct as_dev_records *d = w->dev;
	struct as_recver v, old;
	enum as_flat_reason r;
	struct as_flat f;
	bool exists, shape_ok;
	int set_id = 0, ret;

	d->records_seen++;
	r = as_flat_parse(rec, size, w->now_cl, &f);
	shape_ok = r == AS_FLAT_OK ||
		   (r == AS_FLAT_VOID_TIME_BAD && well_formed(rec, size));
	if (!w->own->owned[f.pid]) {		/* 1: silent */
		d->unowned++;
		return shape_ok;
	}
	if (r != AS_FLAT_OK) {			/* 2-6: UNPARSABLE */
		if (!d->unparsable) {
			d->first_unparsable_offset = offset;
			d->first_unparsable_reason = r;
			d->first_unparsable_detail = f.detail;
			memcpy(d->first_unparsable_digest, f.digest,
			       AS_DIGEST_BYTES);
		}
		d->unparsable++;
		d->unparsable_by[r]++;
		return shape_ok;
	}
	if (f.tree_id != w->own->tree_id[f.pid]) {	/* 7: silent */
		d->dropped_tree++;
		return 1;
	}
	/* 8: truncation is never true in CE. */
	if (f.set) {
		set_id = as_recindex_set_id(&w->index, f.set, f.set_len);
		if (set_id < 0)
			return set_id;
	}
	note_read(d, &f, (unsigned)set_id);
	v = (struct as_recver){ .lut = f.lut, .generation = f.generation,
				.void_time = f.void_time,
				.set_id = (uint8_t)set_id };
	exists = as_recindex_find(&w->index, f.digest, &old);
	if (exists && as_recver_prefer_existing(&old, &v)) {	/* 9 */
		d->older++;
		return 1;
	}
	if (v.void_time && w->now_cl > (int64_t)v.void_time) {	/* 10 */
		as_recindex_drop(&w->index, f.digest);
		d->expired++;
		return 1;
	}
	if (v.void_time && w->evict_void_time > v.void_time) {	/* 11 */
		as_recindex_drop(&w->index, f.digest);
		d->evicted++;
		return 1;
	}
	ret = as_recindex_put(&w->index, f.digest, &v);		/* 12 */
	if (ret < 0)
		return ret;
	if (exists)
		d->replaced++;
	else
		d->unique++;
	return 1;
}

/* One write-block the sweep reads (ssd_cold_start_sweep's loop body). */
static int sweep_wblock(struct as_records *w, uint64_t offset,
			const unsigned char *p)
{
	struct as_dev_records *d = w->dev;
	uint32_t indent = 0;

	d->wblocks_read++;
	if (!as_flat_magic_at(p)) {
		uint64_t n = scan_hidden(p, AS_RBLOCK_BYTES, AS_WBLOCK_BYTES);

		d->hidden_by_magic += n;
		d->hidden_by_magic_wblocks += n > 0;
		w->unused_run++;
		return 0;
	}
	d->wblocks_used++;
	while (indent < AS_WBLOCK_BYTES) {
		uint32_t size;
		int ret;

		if (!as_flat_magic_at(p + indent)) {
			indent += AS_RBLOCK_BYTES;
			continue;
		}
		if (w->unused_run) {
			d->found_after_unused++;
			w->unused_run = 0;
		}
		size = as_flat_size(p + indent);
		if (size < AS_RECORD_MIN_BYTES ||
		    size > AS_WBLOCK_BYTES - indent) {
			if (!d->bad_size_warnings++)
				d->first_bad_size = size;
			indent += AS_RBLOCK_BYTES;
			continue;
		}
		ret = add_record(w, offset + indent, p + indent, size);
		if (ret < 0)
			return ret;
		/* The sweep jumps by the size whether or not it parsed. */
		if (ret == 0)
			d->hidden_by_size += scan_hidden(p, indent +
							 AS_RBLOCK_BYTES,
							 indent + size);
		indent += size;
	}
	return 0;
}

/* A write-block past the stop: never read by asd. */
static void beyond_wblock(struct as_records *w, uint64_t id,
			  const unsigned char *p)
{
	struct as_dev_records *d = w->dev;

	if (as_flat_magic_at(p)) {
		if (!d->beyond_used_wblocks++)
			d->beyond_first_wblock = id;
	}
	d->beyond_records += scan_hidden(p, 0, AS_WBLOCK_BYTES);
}

int as_records_feed(struct as_records *w, uint64_t offset,
		    const unsigned char *p, size_t len)
{
	struct as_dev_records *d = w->dev;

	/* From 0, or from the end of the header region (read apart). */
	if (w->next == 0 && offset == AS_HEADER_REGION_BYTES)
		w->next = offset;
	if (offset != w->next || offset % AS_WBLOCK_BYTES)
		return -EINVAL;
	w->next = offset + len;
	for (size_t at = 0; at < len; at += AS_WBLOCK_BYTES) {
		uint64_t off = offset + at, id = off / AS_WBLOCK_BYTES;
		int ret;

		if (off < AS_HEADER_REGION_BYTES)
			continue;
		if (len - at < AS_WBLOCK_BYTES || off >= d->usable_bytes)
			break;		/* the tail asd does not use */
		if (w->stopped) {
			beyond_wblock(w, id, p + at);
			continue;
		}
		ret = sweep_wblock(w, off, p + at);
		if (ret < 0)
			return ret;
		d->stop_wblock = id + 1;
		if (w->unused_run >= AS_SWEEP_UNUSED_STOP) {
			w->stopped = true;
			d->stopped_unused = true;
		}
	}
	return 0;
}

void as_records_end(struct as_records *w)
{
	struct as_dev_records *d = w->dev;

	d->pristine_wblock = d->stop_wblock - w->unused_run;
	if (d->pristine_wblock < 1)
		d->pristine_wblock = 1;
	w->dev = NULL;
}

const char *as_records_complete_line(const char *name,
				     const struct as_dev_records *d,
				     char *buf, size_t len)
{
	snprintf(buf, len, "device %s: read complete: UNIQUE %llu (REPLACED "
		 "%llu) (OLDER %llu) (EXPIRED %llu) (EVICTED %llu) "
		 "(UNPARSABLE %llu) records", name,
		 (unsigned long long)d->unique, (unsigned long long)d->replaced,
		 (unsigned long long)d->older, (unsigned long long)d->expired,
		 (unsigned long long)d->evicted,
		 (unsigned long long)d->unparsable);
	return buf;
}

double as_lut_unix(uint64_t lut_ms)
{
	return (double)AS_CL_EPOCH_UNIX + (double)lut_ms / 1000.0;
}

int64_t as_void_unix(uint64_t void_time)
{
	return AS_CL_EPOCH_UNIX + (int64_t)void_time;
}
