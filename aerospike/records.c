/*
 * records.c - asd's cold-start sweep and record checks (CE 8.1.0.0,
 * drv_ssd.c:2666-2967), replayed over streamed write-blocks; see
 * records.h and shared/AEROSPIKE-RECORDS.md (sections 4.2 and 4.3).
 */
#include "records.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

int as_records_init(struct as_records *w, const struct as_ownership *own,
		    int64_t now_unix)
{
	memset(w, 0, sizeof(*w));
	w->own = own;
	w->now_cl = now_unix - AS_CL_EPOCH_UNIX;
	as_recindex_init(&w->index);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->batch = malloc(AS_RECORDS_QUEUE * sizeof(*w->batch));
	if (!w->batch)
		return -ENOMEM;
	for (unsigned i = 0; i < AS_RECORDS_QUEUE; i++)
		w->batch[i].n = 0;
	return 0;
}

int as_records_set_rules(struct as_records *w, uint64_t evict_void_time,
			 uint64_t ns_truncate_lut,
			 const struct as_set_rule *v, size_t n)
{
	w->evict_void_time = evict_void_time;
	w->ns_truncate_lut = ns_truncate_lut;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(v[i].name);
		int id;

		if (!len || len > AS_SET_NAME_MAX)
			continue;	/* no record carries such a set */
		id = as_recindex_set_id(&w->index,
					(const unsigned char *)v[i].name,
					(unsigned)len);
		if (id < 0)
			return id;
		if (id == AS_RECINDEX_SET_OTHER)
			return -E2BIG;
		if (v[i].truncate_lut > w->set_truncate_lut[id])
			w->set_truncate_lut[id] = v[i].truncate_lut;
		w->no_evict[id] |= v[i].no_evict;
	}
	return 0;
}

void as_records_census(const struct as_records *w, struct as_census *c)
{
	as_recindex_census(&w->index, w->ns_truncate_lut, w->set_truncate_lut,
			   c);
}

/*
 * A batch into the index's logs, in order (checks 9-12 wait for the
 * device's end: as_recindex_settle). Appending is a sequential write a
 * record; probing a table of a GiB here was a cache and TLB miss each.
 */
static int index_batch(struct as_records *w, const struct as_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct as_pending *e = &b->e[i];
		struct as_recver v = {
			.lut = e->lut_gen_set & 0xFFFFFFFFFFull,
			.generation = (uint16_t)(e->lut_gen_set >> 40),
			.void_time = e->void_time,
			.set_id = (uint8_t)(e->lut_gen_set >> 56),
		};
		int ret = as_recindex_log(&w->index, e->digest, &v);

		if (ret < 0)
			return ret;
	}
	as_recindex_round_check(&w->index);
	return 0;
}

static void *index_thread(void *arg)
{
	struct as_records *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		const struct as_batch *b;
		int ret = 0;

		while (!w->count && !w->quit)
			pthread_cond_wait(&w->cond, &w->lock);
		if (!w->count)
			break;
		b = &w->batch[w->head];
		if (!w->err) {
			pthread_mutex_unlock(&w->lock);
			ret = index_batch(w, b);
			pthread_mutex_lock(&w->lock);
			if (ret < 0 && !w->err)
				w->err = ret;
		}
		w->head = (w->head + 1) % AS_RECORDS_QUEUE;
		w->count--;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int as_records_start_thread(struct as_records *w)
{
	int ret;

	if (w->threaded)
		return 0;
	ret = pthread_create(&w->thread, NULL, index_thread, w);
	if (ret)
		return -ret;
	w->threaded = true;
	/* Without it, settling is all at the devices' ends: slower. */
	as_recindex_rounds_start(&w->index, w->now_cl, w->evict_void_time,
				 w->no_evict);
	return 0;
}

/*
 * Hand the batch being filled to the index, and make the next one
 * ready: with the thread, wait while every batch is queued. Returns 0
 * or the index's first error.
 */
static int publish(struct as_records *w)
{
	struct as_batch *b = &w->batch[w->fill];
	int err;

	if (!b->n)
		return w->threaded ? 0 : w->err;
	if (!w->threaded) {
		int ret = w->err ? 0 : index_batch(w, b);

		if (ret < 0)
			w->err = ret;
		b->n = 0;
		return w->err;
	}
	pthread_mutex_lock(&w->lock);
	w->count++;
	w->fill = (w->fill + 1) % AS_RECORDS_QUEUE;
	pthread_cond_broadcast(&w->cond);
	while (w->count == AS_RECORDS_QUEUE)
		pthread_cond_wait(&w->cond, &w->lock);
	err = w->err;
	pthread_mutex_unlock(&w->lock);
	w->batch[w->fill].n = 0;	/* not queued: count < QUEUE */
	return err;
}

/* Every queued batch indexed. Returns the index's first error. */
static int drain(struct as_records *w)
{
	int err = publish(w);

	if (!w->threaded)
		return err;
	pthread_mutex_lock(&w->lock);
	while (w->count)
		pthread_cond_wait(&w->cond, &w->lock);
	err = w->err;
	pthread_mutex_unlock(&w->lock);
	return err;
}

void as_records_release(struct as_records *w)
{
	if (w->threaded) {
		pthread_mutex_lock(&w->lock);
		w->quit = true;
		pthread_cond_broadcast(&w->cond);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
		w->threaded = false;
	}
	free(w->batch);
	w->batch = NULL;
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	as_recindex_release(&w->index);
}

/* Queue a record that passed checks 1-8 for checks 9-12. */
static int queue_record(struct as_records *w, const struct as_flat *f,
			unsigned set_id)
{
	struct as_batch *b = &w->batch[w->fill];
	struct as_pending *e;

	if (b->n == AS_RECORDS_BATCH) {
		int ret = publish(w);

		if (ret < 0)
			return ret;
		b = &w->batch[w->fill];
	}
	e = &b->e[b->n++];
	memcpy(e->digest, f->digest, AS_DIGEST_BYTES);
	e->void_time = f->void_time;
	e->lut_gen_set = (f->lut & 0xFFFFFFFFFFull) |
			 (uint64_t)f->generation << 40 |
			 (uint64_t)set_id << 56;
	return 0;
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
uint64_t as_records_scan_hidden(const unsigned char *p, uint32_t from,
				uint32_t to)
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
 * ssd_cold_start_add_record, checks 1-8 (9-12 are queued). Returns 1
 * when the record is well-formed (its size can be trusted), 0 when not,
 * or -errno.
 */
static int add_record(struct as_records *w, uint64_t offset,
		      const unsigned char *rec, uint32_t size)
{
	struct as_dev_records *d = w->dev;
	enum as_flat_reason r;
	struct as_flat f;
	bool shape_ok;
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
	ret = queue_record(w, &f, (unsigned)set_id);
	return ret < 0 ? ret : 1;
}

/* One write-block the sweep reads (ssd_cold_start_sweep's loop body). */
static int sweep_wblock(struct as_records *w, uint64_t offset,
			const unsigned char *p)
{
	struct as_dev_records *d = w->dev;
	uint32_t indent = 0;

	d->wblocks_read++;
	if (!as_flat_magic_at(p)) {
		uint64_t n = as_records_scan_hidden(p, AS_RBLOCK_BYTES,
						    AS_WBLOCK_BYTES);

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
			if (!d->bad_size_warnings++) {
				d->first_bad_size = size;
				d->first_bad_size_offset = offset + indent;
			}
			indent += AS_RBLOCK_BYTES;
			continue;
		}
		ret = add_record(w, offset + indent, p + indent, size);
		if (ret < 0)
			return ret;
		/* The sweep jumps by the size whether or not it parsed. */
		if (ret == 0)
			d->hidden_by_size += as_records_scan_hidden(p, indent +
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
	d->beyond_records += as_records_scan_hidden(p, 0, AS_WBLOCK_BYTES);
}

int as_records_feed(struct as_records *w, uint64_t offset,
		    const unsigned char *p, size_t len)
{
	struct as_dev_records *d = w->dev;

	if (!w->batch)
		return -ENOMEM;
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

int as_records_end(struct as_records *w)
{
	struct as_dev_records *d = w->dev;
	int err = w->batch ? drain(w) : -ENOMEM;
	uint64_t out[5] = { 0 };

	if (!err) {
		as_recindex_census_rules(&w->index, w->ns_truncate_lut,
					 w->set_truncate_lut);
		w->index.last_settle = w->last_device;
		err = as_recindex_settle(&w->index, w->now_cl,
					 w->evict_void_time, w->no_evict, out);
		d->unique += out[AS_OUT_UNIQUE];
		d->replaced += out[AS_OUT_REPLACED];
		d->older += out[AS_OUT_OLDER];
		d->expired += out[AS_OUT_EXPIRED];
		d->evicted += out[AS_OUT_EVICTED];
	}

	d->pristine_wblock = d->stop_wblock - w->unused_run;
	if (d->pristine_wblock < 1)
		d->pristine_wblock = 1;
	w->dev = NULL;
	return err;
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
