/*
 * report_records.c - the "records" of a verify or sync pair: what asd
 * will do with the records of the write-blocks whose copies differ, on
 * the copy it reads (aerospike/recdiff.h), as JSON and in two lines.
 */
#include "report.h"
#include "display.h"

#include <stdio.h>

static json_t *jcount(uint64_t v)
{
	return json_integer((json_int_t)v);
}

/* The view of the copy asd reads, or NULL when there is none. */
static const struct as_recdiff_view *view_of(const struct pair_aero *a)
{
	const struct pair_records *pr = a ? a->records : NULL;

	if (!pr || !pr->copy)
		return NULL;
	return pr->load_local ? &pr->diff.local : &pr->diff.shadow;
}

json_t *report_records_json(const struct pair_aero *a)
{
	const struct as_recdiff_view *v = view_of(a);
	const struct pair_records *pr;
	json_t *by, *first = json_null(), *o;
	char why[256];

	if (!v)
		return json_null();
	pr = a->records;
	by = json_object();
	for (unsigned k = 1; k < AS_FLAT_NREASONS; k++)
		if (v->unparsable_by[k])
			json_object_set_new(by, as_flat_reason_name(k),
					    jcount(v->unparsable_by[k]));
	if (v->unparsable)
		first = json_pack("{s:o,s:s,s:o}", "offset_bytes",
			jcount(v->first_unparsable_offset), "reason",
			as_flat_reason_name(v->first_unparsable_reason),
			"message", json_str(as_flat_reason_text(
				v->first_unparsable_reason,
				v->first_unparsable_detail,
				v->first_unparsable_digest, why, sizeof(why))));
	o = json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:{s:o,s:o}}",
		      "copy", pr->copy, "wblocks", jcount(v->wblocks),
		      "unread_wblocks", jcount(v->unread_wblocks),
		      "records", jcount(v->records),
		      "differing", jcount(v->differing),
		      "unparsable", jcount(v->unparsable),
		      "unparsable_by", by, "first_unparsable", first,
		      "hidden", "by_bad_size", jcount(v->hidden_by_size),
		      "by_bad_first_magic", jcount(v->hidden_by_magic));
	json_object_set_new(o, "not_loaded_from_local", pr->load_local ?
			    jcount(pr->diff.not_loaded) : json_null());
	return o;
}

void report_records_text(FILE *f, const struct pair_report *p)
{
	const struct as_recdiff_view *v = view_of(p->aero);
	const struct pair_records *pr;
	char why[256];

	if (!v)
		return;
	pr = p->aero->records;
	fprintf(f, "  records: in the %llu differing write-block%s asd reads "
		"on %s, %llu of %llu records differ from the %s's, %llu "
		"unparsable, %llu hidden (%llu behind a bad size, %llu behind a "
		"bad first magic)%s\n", (unsigned long long)v->wblocks,
		v->wblocks == 1 ? "" : "s", pr->copy,
		(unsigned long long)v->differing,
		(unsigned long long)v->records,
		pr->load_local ? "shadow" : "local",
		(unsigned long long)v->unparsable,
		(unsigned long long)(v->hidden_by_size + v->hidden_by_magic),
		(unsigned long long)v->hidden_by_size,
		(unsigned long long)v->hidden_by_magic,
		v->unread_wblocks ? "; more past the sweep's stop" : "");
	if (!v->unparsable && !pr->load_local)
		return;
	fprintf(f, "    ");
	if (pr->load_local)
		fprintf(f, "%llu records on the shadow will not be loaded from "
			"local%s", (unsigned long long)pr->diff.not_loaded,
			v->unparsable ? "; " : "");
	if (v->unparsable) {
		fprintf(f, "unparsable:");
		for (unsigned k = 1; k < AS_FLAT_NREASONS; k++)
			if (v->unparsable_by[k])
				fprintf(f, " %s %llu", as_flat_reason_name(k),
					(unsigned long long)v->unparsable_by[k]);
		fprintf(f, " (the first at offset %llu: %s)",
			(unsigned long long)v->first_unparsable_offset,
			as_flat_reason_text(v->first_unparsable_reason,
					    v->first_unparsable_detail,
					    v->first_unparsable_digest, why,
					    sizeof(why)));
	}
	fprintf(f, "\n");
}
