/*
 * report.c - JSON and text forms of the verify-family report.
 */
#include "report.h"
#include "cli.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

json_t *report_extents_json(const struct extent_list *l)
{
	json_t *a = json_array();

	for (size_t i = 0; i < l->n; i++) {
		const char *region = extent_region_name(l->v[i].region);
		json_t *e = json_pack("{s:I,s:I}", "offset",
				      (json_int_t)l->v[i].offset, "length",
				      (json_int_t)l->v[i].length);

		if (region)
			json_object_set_new(e, "region", json_string(region));
		json_array_append_new(a, e);
	}
	return a;
}

static json_t *device_json(const char *path, uint64_t size, bool direct,
			   const struct pair_aero *a, const struct as_header *h)
{
	json_t *o = json_pack("{s:s,s:I,s:b}", "path", path, "size_bytes",
			      (json_int_t)size, "direct_io", direct);

	if (a && a->read) {
		json_object_set_new(o, "state",
				    json_string(report_state_name(h->state)));
		json_object_set_new(o, "aerospike", report_header_json(h));
	}
	return o;
}

json_t *report_pair_json(const struct pair_report *p)
{
	const struct compare_result *c = p->cmp;
	const struct pair_aero *a = p->aero;
	static const struct compare_result none;
	uint64_t extra = p->shadow_size > p->local_size && p->local_size
				 ? p->shadow_size - p->local_size
				 : 0;
	json_t *o;

	if (!c)
		c = &none;
	o = json_pack("{s:o,s:o,s:s,s:I,s:I,s:I,s:I,s:o,s:f}",
		      "local", device_json(p->local_path, p->local_size,
					   p->local_direct, a,
					   a ? &a->local : NULL),
		      "shadow", device_json(p->shadow_path, p->shadow_size,
					    p->shadow_direct, a,
					    a ? &a->shadow : NULL),
		      "result", p->result,
		      "bytes_compared", (json_int_t)c->bytes_compared,
		      "differing_blocks", (json_int_t)c->differing_blocks,
		      "differing_bytes", (json_int_t)c->differing_bytes,
		      "shadow_extra_bytes", (json_int_t)extra,
		      "extents", report_extents_json(&c->extents),
		      "elapsed_s", c->elapsed_s);
	json_object_set_new(o, "extents_total",
			    json_integer((json_int_t)c->extents.total));
	json_object_set_new(o, "extents_truncated",
			    json_boolean(extent_list_truncated(&c->extents)));
	if (p->namespace)
		json_object_set_new(o, "namespace", json_string(p->namespace));
	if (p->block_size)
		json_object_set_new(o, "block_size",
				    json_integer((json_int_t)p->block_size));
	if (p->block_size_requested)
		json_object_set_new(o, "block_size_requested",
				    json_integer((json_int_t)p->block_size_requested));
	if (a && a->decided)
		json_object_set_new(o, "cold_start", report_cold_start_json(a));
	else
		json_object_set_new(o, "cold_start",
				    json_pack("{s:s,s:s}", "verdict", "none",
					      "reason", a && a->read ? "not decided: the pair failed"
					      : "not examined: smaller than the 8 MiB header region, or the pair failed"));
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
	if (p->error[0])
		json_object_set_new(o, "error", json_string(p->error));
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

void report_pair_text(FILE *f, const struct pair_report *p)
{
	const struct compare_result *c = p->cmp;
	char a[32], b[32];

	fprintf(f, "  local   %s  %s (%llu bytes)\n", p->local_path,
		human_bytes(p->local_size, a, sizeof(a)),
		(unsigned long long)p->local_size);
	fprintf(f, "  shadow  %s  %s (%llu bytes)\n", p->shadow_path,
		human_bytes(p->shadow_size, a, sizeof(a)),
		(unsigned long long)p->shadow_size);
	if (p->block_size_requested)
		fprintf(f, "  compared in %s blocks, not the %s asked for: on an "
			"Aerospike device a block must not straddle the header "
			"region or a write-block\n",
			human_bytes(p->block_size, a, sizeof(a)),
			human_bytes(p->block_size_requested, b, sizeof(b)));
	if (!c)
		return;
	if (c->elapsed_s > 0)
		fprintf(f, "  compared %s in %.2f s (%s/s)\n",
			human_bytes(c->bytes_compared, a, sizeof(a)),
			c->elapsed_s,
			human_bytes((uint64_t)((double)c->bytes_compared /
					       c->elapsed_s), b, sizeof(b)));
	if (p->shadow_size > p->local_size && p->local_size)
		fprintf(f, "  the shadow is %s larger than local; those "
			"bytes are not compared\n",
			human_bytes(p->shadow_size - p->local_size, a,
				    sizeof(a)));
	if (c->differing_blocks) {
		fprintf(f, "  %llu differing block%s, %s, in %llu extent%s:\n",
			(unsigned long long)c->differing_blocks,
			c->differing_blocks == 1 ? "" : "s",
			human_bytes(c->differing_bytes, a, sizeof(a)),
			(unsigned long long)c->extents.total,
			c->extents.total == 1 ? "" : "s");
		report_extents_text(f, &c->extents, 50);
	}
}

int report_json_emit(json_t *root)
{
	int ret = json_dumpf(root, stdout, JSON_INDENT(2));

	json_decref(root);
	fputc('\n', stdout);
	return ret;
}

static bool progress_shown;

void report_progress(void *ctx, uint64_t done, uint64_t total)
{
	static double last;
	const char *what = ctx;
	char a[32], b[32];
	double now;

	if (!isatty(STDERR_FILENO))
		return;
	now = compare_now();
	if (now - last < 0.2 && done < total)
		return;
	last = now;
	fprintf(stderr, "\r%s: %3.0f%%  %s of %s   ", what ? what : "",
		total ? 100.0 * (double)done / (double)total : 100.0,
		human_bytes(done, a, sizeof(a)), human_bytes(total, b, sizeof(b)));
	progress_shown = true;
}

void report_progress_done(void)
{
	if (progress_shown)
		fputs("\r\033[K", stderr);
	progress_shown = false;
}

void report_pipe_error(char *buf, size_t len, const struct pipe_error *e,
		       const char *engine, const char *const role[],
		       const char *const path[])
{
	const char *what = e->dir == IO_WRITE ? "write" : "read";

	switch (e->source) {
	case PIPE_ENGINE:
		if (e->err == -ENOSYS)
			snprintf(buf, len, "engine '%s' is not built in",
				 engine);
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
