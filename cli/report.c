/*
 * report.c - JSON and text forms of the verify-family report.
 */
#include "report.h"
#include "cli.h"
#include "display.h"
#include "outcome.h"
#include "progress.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

json_t *json_seconds(double s)
{
	return json_real(round(s * 1000) / 1000);
}

json_t *json_rate(double bytes_per_s)
{
	return json_integer((json_int_t)llround(bytes_per_s));
}

json_t *report_extents_json(const struct extent_list *l)
{
	json_t *a = json_array();

	for (size_t i = 0; i < l->n; i++) {
		const char *region = extent_region_name(l->v[i].region);
		json_t *e = json_pack("{s:I,s:I}", "offset_bytes",
				      (json_int_t)l->v[i].offset, "length_bytes",
				      (json_int_t)l->v[i].length);

		if (region)
			json_object_set_new(e, "region", json_string(region));
		json_array_append_new(a, e);
	}
	return a;
}

json_t *report_device_json(const char *path, uint64_t size, bool direct)
{
	return json_pack("{s:o,s:I,s:b}", "path", json_str(path),
			 "size_bytes", (json_int_t)size, "direct_io", direct);
}

static json_t *side_json(const char *path, uint64_t size, bool direct,
			 const struct pair_aero *a, const struct as_header *h)
{
	json_t *o = report_device_json(path, size, direct);

	json_object_set_new(o, "state", a && a->read
			    ? json_string(report_state_name(h->state))
			    : json_null());
	json_object_set_new(o, "aerospike", a && a->read
			    ? report_header_json(h) : json_null());
	return o;
}

/* The facts of the comparison, in every pair object. */
static void set_compare_json(json_t *o, const struct compare_result *c,
			     const struct pair_report *p)
{
	uint64_t extra = p->shadow_size > p->local_size && p->local_size
				 ? p->shadow_size - p->local_size
				 : 0;

	json_object_set_new(o, "engine", json_string(c->engine ? c->engine
							       : p->engine));
	json_object_set_new(o, "block_size_bytes",
			    json_integer((json_int_t)p->block_size));
	json_object_set_new(o, "block_size_requested_bytes",
			    p->block_size_requested
			    ? json_integer((json_int_t)p->block_size_requested)
			    : json_null());
	json_object_set_new(o, "bytes_compared",
			    json_integer((json_int_t)c->bytes_compared));
	json_object_set_new(o, "differing_blocks",
			    json_integer((json_int_t)c->differing_blocks));
	json_object_set_new(o, "differing_bytes",
			    json_integer((json_int_t)c->differing_bytes));
	json_object_set_new(o, "shadow_extra_bytes",
			    json_integer((json_int_t)extra));
	json_object_set_new(o, "extents", report_extents_json(&c->extents));
	json_object_set_new(o, "extents_total",
			    json_integer((json_int_t)c->extents.total));
	json_object_set_new(o, "extents_truncated",
			    json_boolean(extent_list_truncated(&c->extents)));
	json_object_set_new(o, "elapsed_s", json_seconds(c->elapsed_s));
}

json_t *report_pair_json(const struct pair_report *p)
{
	static const struct compare_result none;
	const struct compare_result *c = p->cmp ? p->cmp : &none;
	const struct pair_aero *a = p->aero;
	json_t *o;

	o = json_pack("{s:o,s:o,s:o,s:s}",
		      "local", side_json(p->local_path, p->local_size,
					 p->local_direct, a, a ? &a->local : NULL),
		      "shadow", side_json(p->shadow_path, p->shadow_size,
					  p->shadow_direct, a,
					  a ? &a->shadow : NULL),
		      "namespace", json_str(p->namespace),
		      "result", p->result);
	set_compare_json(o, c, p);
	if (a && a->decided)
		json_object_set_new(o, "cold_start", report_cold_start_json(a));
	else
		json_object_set_new(o, "cold_start",
				    json_pack("{s:s,s:s}", "verdict", "none",
					      "reason", a && a->read
					      ? "not decided: the pair failed"
					      : "not examined: smaller than the 8 MiB "
						"header region, or the pair failed"));
	json_object_set_new(o, "records", report_records_json(a));
	if (p->is_sync) {
		static const struct extent_list no_extents;

		json_object_set_new(o, "bytes_written",
				    json_integer((json_int_t)c->bytes_written));
		json_object_set_new(o, "extents_written",
				    report_extents_json(p->wrote ? &c->extents
								 : &no_extents));
		json_object_set_new(o, "verified", json_boolean(p->verified));
		json_object_set_new(o, "header_guard",
				    json_boolean(p->header_guard));
	}
	json_object_set_new(o, "error", p->error[0] ? json_str(p->error)
						    : json_null());
	return o;
}

void report_extents_text(FILE *f, const struct extent_list *l, size_t max)
{
	char a[32], b[32];

	for (size_t i = 0; i < l->n && i < max; i++) {
		const struct extent *e = &l->v[i];
		const char *region = extent_region_name(e->region);

		fprintf(f, "    bytes %llu-%llu  (%s at %s)%s%s\n",
			(unsigned long long)e->offset,
			(unsigned long long)(e->offset + e->length - 1),
			human_bytes(e->length, a, sizeof(a)),
			human_bytes(e->offset, b, sizeof(b)),
			region ? "  " : "", region ? region : "");
	}
	if (l->total > max || l->total > l->n)
		fprintf(f, "    ... and %llu more extents (--json lists %s)\n",
			(unsigned long long)(l->total - (l->n < max ? l->n : max)),
			extent_list_truncated(l) ? "the first 100000" : "all");
}

static void side_text(FILE *f, const char *role, const char *path,
		      uint64_t size, const struct pair_aero *a,
		      const struct as_header *h)
{
	char b[32], st[160];

	fprintf(f, "  %-7s %s  %s (%llu bytes)%s%s\n", role, disp(path),
		human_bytes(size, b, sizeof(b)), (unsigned long long)size,
		a && a->read ? ", " : "",
		a && a->read ? report_state_text(h, st, sizeof(st)) : "");
}

void report_pair_text(FILE *f, const struct pair_report *p)
{
	const struct compare_result *c = p->cmp;
	const struct pair_aero *a = p->aero;
	char x[32], y[32], z[32];

	side_text(f, "local", p->local_path, p->local_size, a,
		  a ? &a->local : NULL);
	side_text(f, "shadow", p->shadow_path, p->shadow_size, a,
		  a ? &a->shadow : NULL);
	if (p->block_size_requested)
		fprintf(f, "  compared in %s blocks, not the %s asked for: on an "
			"Aerospike device a block must not straddle the header "
			"region or a write-block\n",
			human_bytes(p->block_size, x, sizeof(x)),
			human_bytes(p->block_size_requested, y, sizeof(y)));
	if (!c)
		return;
	if (c->elapsed_s > 0)
		fprintf(f, "  compared %s in %.2f s (%s/s), %s blocks, engine "
			"%s\n", human_bytes(c->bytes_compared, x, sizeof(x)),
			c->elapsed_s,
			human_bytes((uint64_t)((double)c->bytes_compared /
					       c->elapsed_s), y, sizeof(y)),
			human_bytes(p->block_size, z, sizeof(z)),
			c->engine ? c->engine : p->engine);
	if (p->shadow_size > p->local_size && p->local_size)
		fprintf(f, "  the shadow is %s larger than local; those "
			"bytes are not compared\n",
			human_bytes(p->shadow_size - p->local_size, x,
				    sizeof(x)));
	if (c->differing_blocks) {
		fprintf(f, "  %llu differing block%s, %s, in %llu extent%s:\n",
			(unsigned long long)c->differing_blocks,
			c->differing_blocks == 1 ? "" : "s",
			human_bytes(c->differing_bytes, x, sizeof(x)),
			(unsigned long long)c->extents.total,
			c->extents.total == 1 ? "" : "s");
		report_extents_text(f, &c->extents, 50);
	}
}

int report_json_emit(json_t *root)
{
	if (!root)
		return -1;
	json_decref(cli_run.report);
	cli_run.report = root;	/* main prints it, with the exit status */
	return 0;
}

/* The one-device commands' progress: the run's line, started lazily. */
void report_progress(void *ctx, uint64_t done, uint64_t total)
{
	static uint64_t last;
	static bool started;

	if (!started || !done || done < last) {
		progress_start(ctx, total, 0);
		started = true;
		last = 0;
	}
	progress_pass(&last, done, total);
}

void report_progress_done(void)
{
	progress_end();
}

/* "16M" for whole MiB, else the bytes: as --memory takes them. */
static const char *mib_or_bytes(size_t n, char *buf, size_t len)
{
	if (n && n % (1u << 20) == 0)
		snprintf(buf, len, "%zuM", n >> 20);
	else
		snprintf(buf, len, "%zu", n);
	return buf;
}

void report_pipe_error(char *buf, size_t len, const struct pipe_error *e,
		       const char *engine, const char *const role[],
		       const char *const path[])
{
	const char *what = e->dir == IO_WRITE ? "write" : "read";
	char a[32];

	switch (e->source) {
	case PIPE_ENGINE:
		if (e->err == -ENOSYS)
			snprintf(buf, len, "engine '%s' is not built in",
				 engine);
		else if (e->err == -E2BIG)
			snprintf(buf, len, "blocks of %zu bytes need at least "
				 "%zuM of buffers, more than --memory %s; raise "
				 "--memory or use a smaller --block-size",
				 e->block_bytes,
				 (e->memory_needed + (1u << 20) - 1) >> 20,
				 mib_or_bytes(e->memory_bytes, a, sizeof(a)));
		else
			snprintf(buf, len, "cannot run engine '%s': %s (%s)",
				 engine, strerror(-e->err), errno_name(e->err));
		return;
	case PIPE_CONSUMER:
		if (e->err == -ECANCELED)
			snprintf(buf, len, "interrupted at offset %llu",
				 (unsigned long long)e->offset);
		else
			snprintf(buf, len, "stopped at offset %llu: %s (%s)",
				 (unsigned long long)e->offset,
				 strerror(-e->err), errno_name(e->err));
		return;
	case PIPE_DST:
		snprintf(buf, len, "%s error on %s '%s' at offset %llu: %s (%s)",
			 what, role[0], path[0], (unsigned long long)e->offset,
			 strerror(-e->err), errno_name(e->err));
		return;
	default:
		snprintf(buf, len, "%s error on %s '%s' at offset %llu: %s (%s)",
			 what, role[e->source], path[e->source],
			 (unsigned long long)e->offset, strerror(-e->err),
			 errno_name(e->err));
	}
}
