/*
 * inspect_records_report.c - inspect --records' report: per device the
 * sweep, the records by outcome, what asd cannot see, sets, times and
 * the line asd will log; per namespace (--config) the objects after
 * dedup and whether the set of snapshots is in step. WARNINGs first, on
 * stdout and stderr (or stderr alone with --json), as verify does.
 */
#include "inspect_records.h"
#include "display.h"
#include "outcome.h"
#include "commit.h"
#include "report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool same_output(void)
{
	struct stat a, b;

	return !fstat(STDOUT_FILENO, &a) && !fstat(STDERR_FILENO, &b) &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino &&
	       a.st_rdev == b.st_rdev;
}

static void next_for(const struct rrun *r, const struct rtarget *t,
		     char *buf, size_t len)
{
	if (r->a->config)
		snprintf(buf, len, "shadowsync verify --config %s",
			 r->a->config);
	else
		snprintf(buf, len, "shadowsync verify %s SHADOW", t->name);
}

void rrun_warn(struct rrun *r, const char *code, const char *message,
	       const char *next, const struct rtarget *t)
{
	json_t *al = json_pack("{s:s,s:o,s:o}", "code", code, "message",
			       json_str(message), "next_command",
			       json_str(next));

	if (t && t->local)
		json_object_set_new(al, "local", json_str(t->local));
	if (t && t->shadow)
		json_object_set_new(al, "shadow", json_str(t->shadow));
	if (t && !t->local)
		json_object_set_new(al, "local", json_str(t->name));
	cli_alarm(al);
	if (!r->alarms++)
		cli_exit_reason("%s", message);
	if (!cli_run.json)
		printf("WARNING: %s; next: %s\n", disp(message), disp(next));
	if (cli_run.json || r->both)
		fprintf(stderr, "WARNING: %s; next: %s\n", disp(message),
			disp(next));
}

static void device_alarms(struct rrun *r, const struct rtarget *t)
{
	const struct as_dev_records *d = &t->rec;
	char msg[1024], next[600], why[256];

	next_for(r, t, next, sizeof(next));
	if (d->beyond_used_wblocks) {
		snprintf(msg, sizeof(msg), "asd will never read %llu used "
			 "write-blocks of '%s' from write-block %llu on (its "
			 "sweep stops after 10 unused in a row, at write-block "
			 "%llu): their %llu records are lost at cold start",
			 (unsigned long long)d->beyond_used_wblocks,
			 t->read_path,
			 (unsigned long long)d->beyond_first_wblock,
			 (unsigned long long)d->stop_wblock,
			 (unsigned long long)d->beyond_records);
		rrun_warn(r, "records-lost", msg, next, t);
	}
	if (d->unparsable) {
		as_flat_reason_text(d->first_unparsable_reason,
				    d->first_unparsable_detail,
				    d->first_unparsable_digest, why,
				    sizeof(why));
		snprintf(msg, sizeof(msg), "asd will skip %llu records of "
			 "'%s' as unparsable (the first at offset %llu: %s)",
			 (unsigned long long)d->unparsable, t->read_path,
			 (unsigned long long)d->first_unparsable_offset, why);
		rrun_warn(r, "records-unparsable", msg, next, t);
	}
	/* asd logs each and skips 16 bytes on: the record there is lost. */
	if (d->bad_size_warnings) {
		snprintf(msg, sizeof(msg), "asd will log 'bad record size' %llu "
			 "times for '%s', each time losing the record that "
			 "starts there (the first at offset %llu: bad record "
			 "size %lu)",
			 (unsigned long long)d->bad_size_warnings, t->read_path,
			 (unsigned long long)d->first_bad_size_offset,
			 (unsigned long)d->first_bad_size);
		rrun_warn(r, "records-bad-size", msg, next, t);
	}
	if (d->hidden_by_size || d->hidden_by_magic) {
		snprintf(msg, sizeof(msg), "%llu well-formed records of '%s' "
			 "are hidden from asd: %llu behind a damaged record "
			 "size, %llu in %llu write-blocks whose first record's "
			 "magic is damaged",
			 (unsigned long long)(d->hidden_by_size +
					      d->hidden_by_magic),
			 t->read_path, (unsigned long long)d->hidden_by_size,
			 (unsigned long long)d->hidden_by_magic,
			 (unsigned long long)d->hidden_by_magic_wblocks);
		rrun_warn(r, "records-hidden", msg, next, t);
	}
}

static void ns_alarms(struct rrun *r, const struct rns *ns)
{
	const struct rtarget *a = &r->t[ns->oldest], *b = &r->t[ns->newest];
	char msg[1400], next[600], t1[48], t2[48];

	if (!ns->out_of_step)
		return;
	next_for(r, a, next, sizeof(next));
	snprintf(msg, sizeof(msg), "the snapshots of namespace %s are out of "
		 "step: the newest write on '%s' (%s) is %.3f s older than on "
		 "'%s' (%s), more than --max-skew %g s",
		 ns->name ? ns->name : "?", a->read_path,
		 rrun_utc(as_lut_unix(a->rec.lut_max), t1, sizeof(t1)),
		 ns->skew_s, b->read_path,
		 rrun_utc(as_lut_unix(b->rec.lut_max), t2, sizeof(t2)),
		 r->a->max_skew_s);
	rrun_warn(r, "snapshots-out-of-step", msg, next, NULL);
}

static json_t *juint(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *time_json(double unix_s)
{
	char b[48];

	return json_string(rrun_utc(unix_s, b, sizeof(b)));
}

/* [{name, KEY: count}] by set id; with back, each its records_back. */
static json_t *sets_json(const uint64_t *counts, char (*names)[64],
			 const char *key, const uint64_t *back)
{
	json_t *a = json_array();

	for (unsigned id = 0; id < 256; id++) {
		json_t *o;

		if (!counts[id])
			continue;
		o = json_pack("{s:o,s:o}", "name",
			      id ? json_str(names[id]) : json_null(), key,
			      juint(counts[id]));
		if (back)
			json_object_set_new(o, "records_back", juint(back[id]));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *records_json(const struct rtarget *t, char (*names)[64])
{
	const struct as_dev_records *d = &t->rec;
	json_t *by = json_object(), *o, *first = json_null();
	char line[512], why[256];

	for (unsigned k = 1; k < AS_FLAT_NREASONS; k++)
		if (d->unparsable_by[k])
			json_object_set_new(by, as_flat_reason_name(k),
					    juint(d->unparsable_by[k]));
	if (d->unparsable)
		first = json_pack("{s:o,s:s,s:o}", "offset_bytes",
			juint(d->first_unparsable_offset), "reason",
			as_flat_reason_name(d->first_unparsable_reason),
			"message", json_str(as_flat_reason_text(
				d->first_unparsable_reason,
				d->first_unparsable_detail,
				d->first_unparsable_digest, why, sizeof(why))));
	o = json_pack("{s:{s:o,s:o,s:o,s:o,s:s,s:o,s:o,s:o,s:o},"
		      "s:{s:o,s:o,s:o},s:o,"
		      "s:{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o},s:o,s:o,"
		      "s:{s:o,s:o,s:o}}",
		"sweep", "read_wblocks", juint(d->wblocks_read),
		"used_wblocks", juint(d->wblocks_used),
		"stop_wblock", juint(d->stop_wblock),
		"stop_offset_bytes", juint(d->stop_wblock * AS_WBLOCK_BYTES),
		"stopped_by", d->stopped_unused ? "10-unused" : "end",
		"pristine_offset_bytes",
		juint(d->pristine_wblock * AS_WBLOCK_BYTES),
		"found_used_after_unused", juint(d->found_after_unused),
		"bad_size_warnings", juint(d->bad_size_warnings),
		"usable_bytes", juint(d->usable_bytes),
		"beyond_stop", "used_wblocks", juint(d->beyond_used_wblocks),
		"first_wblock", d->beyond_used_wblocks ?
			juint(d->beyond_first_wblock) : json_null(),
		"records", juint(d->beyond_records),
		"records_seen", juint(d->records_seen),
		"outcomes", "unique", juint(d->unique),
		"replaced", juint(d->replaced), "older", juint(d->older),
		"expired", juint(d->expired), "evicted", juint(d->evicted),
		"unparsable", juint(d->unparsable),
		"unowned", juint(d->unowned),
		"dropped_tree", juint(d->dropped_tree),
		"unparsable_by", by, "first_unparsable", first,
		"hidden", "by_bad_size", juint(d->hidden_by_size),
		"by_bad_first_magic", juint(d->hidden_by_magic),
		"wblocks_bad_first_magic", juint(d->hidden_by_magic_wblocks));
	json_object_set_new(o, "sets", sets_json(d->per_set, names, "records", NULL));
	json_object_set_new(o, "last_update", d->lut_max ? json_pack(
		"{s:o,s:o,s:o,s:o}", "oldest_lut", juint(d->lut_min),
		"newest_lut", juint(d->lut_max),
		"oldest_utc", time_json(as_lut_unix(d->lut_min)),
		"newest_utc", time_json(as_lut_unix(d->lut_max))) : json_null());
	json_object_set_new(o, "void_time", d->with_void_time ? json_pack(
		"{s:o,s:o,s:o,s:o,s:o}", "records", juint(d->with_void_time),
		"earliest_void_time", juint(d->void_min),
		"latest_void_time", juint(d->void_max),
		"earliest_utc", time_json((double)as_void_unix(d->void_min)),
		"latest_utc", time_json((double)as_void_unix(d->void_max)))
		: json_null());
	json_object_set_new(o, "read_complete", json_str(
		as_records_complete_line(t->name, d, line, sizeof(line))));
	return o;
}

static json_t *target_json(const struct rtarget *t, char (*names)[64])
{
	json_t *o = json_pack("{s:o,s:o,s:s}", "name", json_str(t->name),
			      "path", json_str(t->read_path), "read",
			      t->read_role);

	json_object_set_new(o, "device", t->open || t->swept ?
		report_device_json(t->read_path, t->d.size_bytes, t->d.direct)
		: json_null());
	json_object_set_new(o, "state", !t->region ? json_null()
		: header_is_restore_mark(t->region, AS_HEADER_STRUCT_BYTES)
		? json_string("unfinished-restore")
		: json_string(report_state_name(t->h.state)));
	json_object_set_new(o, "cold_start", t->has_verdict ? json_pack(
		"{s:s,s:o}", "verdict", cs_verdict_name(t->verdict.verdict),
		"reason", json_str(t->verdict.reason)) : json_null());
	json_object_set_new(o, "records", t->swept ? records_json(t, names)
						  : json_null());
	json_object_set_new(o, "engine", t->engine ? json_string(t->engine)
						   : json_null());
	json_object_set_new(o, "elapsed_s", t->swept ?
		json_seconds(t->elapsed_s) : json_null());
	json_object_set_new(o, "error", t->error[0] ? json_str(t->error)
						    : json_null());
	return o;
}

static json_t *ns_json(const struct rrun *r, const struct rns *ns)
{
	json_t *devs = json_array(), *newest = json_array();

	for (size_t i = ns->first; i < ns->first + ns->n; i++) {
		const struct rtarget *t = &r->t[i];

		json_array_append_new(devs, json_str(t->name));
		if (t->swept && t->rec.lut_max)
			json_array_append_new(newest, json_pack("{s:o,s:o,s:o}",
				"device", json_str(t->read_path), "newest_lut",
				juint(t->rec.lut_max), "newest_utc",
				time_json(as_lut_unix(t->rec.lut_max))));
	}
	json_t *o;

	o = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:{s:o,s:o,s:o,s:b}}",
		"name", json_str(ns->name), "devices", devs,
		"crash", ns->crash ? json_str(ns->crash_r.message) : json_null(),
		"objects", ns->walked ? juint(ns->objects) : json_null(),
		"sets", sets_json(ns->sets, ns->set_names, "objects",
				  ns->sets_back),
		"index_bytes", juint(ns->index_bytes),
		"index_bytes_per_object", ns->objects ? json_real(
			(double)ns->index_bytes / (double)ns->objects)
			: json_null(),
		"consistency", "newest_writes", newest,
		"skew_s", json_seconds(ns->skew_s),
		"max_skew_s", json_real(r->a->max_skew_s),
		"in_step", !ns->out_of_step);
	rrun_ns_smd_json(r, ns, o);
	return o;
}

static void print_device(const struct rrun *r, const struct rtarget *t,
			 char (*names)[64])
{
	const struct as_dev_records *d = &t->rec;
	char b[32], t1[48], t2[48], line[512], why[256];
	bool any = false;

	printf("records: %s", disp(t->read_path));
	if (t->local && strcmp(t->read_path, t->name))
		printf("  (shadow of %s", disp(t->name));
	else if (t->shadow)
		printf("  (local, shadow %s", disp(t->shadow));
	else
		printf("  (");
	if (t->has_verdict)
		printf("%sverdict %s)\n", t->shadow ? ", " : "",
		       cs_verdict_name(t->verdict.verdict));
	else
		printf("%s)\n", t->local ? "no shadow" : "as asd would sweep it");
	if (t->error[0]) {
		printf("  error          %s\n", disp(t->error));
		return;
	}
	if (!t->swept) {
		printf("  not swept      %s\n", t->has_verdict ?
		       disp(t->verdict.reason) : "");
		return;
	}
	printf("  write-blocks   %llu read by the sweep (%llu used); %s, "
	       "before write-block %llu; pristine from %s\n",
	       (unsigned long long)d->wblocks_read,
	       (unsigned long long)d->wblocks_used,
	       d->stopped_unused ? "it stops after 10 unused in a row"
				 : "it reads to the end",
	       (unsigned long long)d->stop_wblock,
	       human_bytes(d->pristine_wblock * AS_WBLOCK_BYTES, b, sizeof(b)));
	printf("  records        %llu read: UNIQUE %llu, REPLACED %llu, OLDER "
	       "%llu, EXPIRED %llu, EVICTED %llu, UNPARSABLE %llu; unowned "
	       "%llu, dropped tree %llu\n",
	       (unsigned long long)d->records_seen,
	       (unsigned long long)d->unique, (unsigned long long)d->replaced,
	       (unsigned long long)d->older, (unsigned long long)d->expired,
	       (unsigned long long)d->evicted,
	       (unsigned long long)d->unparsable,
	       (unsigned long long)d->unowned,
	       (unsigned long long)d->dropped_tree);
	if (d->unparsable) {
		printf("  unparsable    ");
		for (unsigned k = 1; k < AS_FLAT_NREASONS; k++)
			if (d->unparsable_by[k])
				printf(" %s %llu", as_flat_reason_name(k),
				       (unsigned long long)d->unparsable_by[k]);
		printf("; first at offset %llu: %s\n",
		       (unsigned long long)d->first_unparsable_offset,
		       as_flat_reason_text(d->first_unparsable_reason,
					   d->first_unparsable_detail,
					   d->first_unparsable_digest, why,
					   sizeof(why)));
	}
	printf("  hidden         %llu behind a bad record size, %llu behind a "
	       "bad first magic\n", (unsigned long long)d->hidden_by_size,
	       (unsigned long long)d->hidden_by_magic);
	printf("  beyond stop    %llu used write-blocks, %llu records (never "
	       "read)\n", (unsigned long long)d->beyond_used_wblocks,
	       (unsigned long long)d->beyond_records);
	printf("  sets          ");
	for (unsigned id = 0; id < 256; id++)
		if (d->per_set[id]) {
			printf(" %s %llu", id ? disp(names[id]) : "(no set)",
			       (unsigned long long)d->per_set[id]);
			any = true;
		}
	printf("%s\n", any ? "" : " (no records)");
	if (d->lut_max)
		printf("  last update    %s to %s (the newest: what this copy "
		       "holds)\n", rrun_utc(as_lut_unix(d->lut_min), t1, 48),
		       rrun_utc(as_lut_unix(d->lut_max), t2, 48));
	if (d->with_void_time)
		printf("  void-time      %llu records expire, %s to %s\n",
		       (unsigned long long)d->with_void_time,
		       rrun_utc((double)as_void_unix(d->void_min), t1, 48),
		       rrun_utc((double)as_void_unix(d->void_max), t2, 48));
	else
		printf("  void-time      none set\n");
	printf("  asd will log   %s\n",
	       disp(as_records_complete_line(t->name, d, line, sizeof(line))));
	(void)r;
}

static void print_ns(const struct rrun *r, const struct rns *ns)
{
	char b[32], t1[48];

	printf("namespace %s: ", disp(ns->name ? ns->name : "?"));
	if (ns->crash) {
		printf("asd crashes before it reads a record: %s\n",
		       disp(ns->crash_r.message));
		return;
	}
	if (ns->incomplete)
		printf("objects after dedup not known: the records of %s were "
		       "not all read (its error above)\n",
		       disp(ns->incomplete));
	else
		printf("%llu objects after dedup across %zu devices (index %s, "
		       "%.0f bytes an object)\n", (unsigned long long)ns->objects,
		       ns->n, human_bytes(ns->index_bytes, b, sizeof(b)),
		       ns->objects ? (double)ns->index_bytes /
				     (double)ns->objects : 0);
	for (unsigned id = 0; id < 256; id++) {
		if (!ns->sets[id])
			continue;
		printf("  set %-12s %llu objects",
		       id ? disp(ns->set_names[id]) : "(none)",
		       (unsigned long long)ns->sets[id]);
		if (ns->sets_back[id])
			printf(" (%llu older than a truncation: they come "
			       "back)", (unsigned long long)ns->sets_back[id]);
		printf("\n");
	}
	rrun_print_ns_smd(r, ns);
	for (size_t i = ns->first; i < ns->first + ns->n; i++)
		if (r->t[i].swept && r->t[i].rec.lut_max)
			printf("  newest write   %s  %s\n",
			       rrun_utc(as_lut_unix(r->t[i].rec.lut_max), t1, 48),
			       disp(r->t[i].read_path));
	printf("  consistency    skew %.3f s (--max-skew %g s): %s\n",
	       ns->skew_s, r->a->max_skew_s,
	       ns->out_of_step ? "OUT OF STEP" : "in step");
}

int rrun_report(struct rrun *r)
{
	bool error = false;
	int status;

	r->both = !cli_run.json && !same_output();
	for (size_t i = 0; i < r->nt; i++) {
		if (r->t[i].error[0]) {
			cli_error("%s", r->t[i].error);
			error = true;
		}
		if (r->t[i].swept)
			device_alarms(r, &r->t[i]);
	}
	for (size_t k = 0; k < r->nns; k++) {
		if (r->ns[k].crash) {
			char next[600];

			next_for(r, &r->t[r->ns[k].first], next, sizeof(next));
			rrun_warn(r, "crash", r->ns[k].crash_r.message, next, NULL);
		}
		if (r->a->config)
			ns_alarms(r, &r->ns[k]);
	}
	rrun_smd_alarms(r);
	status = error ? EXIT_ERROR : r->alarms ? EXIT_DIFFER : EXIT_MATCH;
	if (cli_run.json) {
		json_t *devs = json_array(), *nss = json_array();

		for (size_t k = 0; k < r->nns; k++) {
			const struct rns *ns = &r->ns[k];

			for (size_t i = ns->first; i < ns->first + ns->n; i++)
				json_array_append_new(devs, target_json(
					&r->t[i], ns->set_names));
			if (r->a->config)
				json_array_append_new(nss, ns_json(r, ns));
		}
		report_json_emit(json_pack("{s:s,s:s,s:o,s:o,s:o,s:f,s:o}",
			"command", "inspect", "result",
			error ? "error" : r->alarms ? "warning" : "ok",
			"config", r->a->config ? json_str(r->a->config)
					       : json_null(),
			"devices", devs,
			"namespaces", r->a->config ? nss
				: (json_decref(nss), json_null()),
			"max_skew_s", r->a->max_skew_s,
			"smd", rrun_smd_json(r)));
		return status;
	}
	rrun_print_smd(r);
	for (size_t k = 0; k < r->nns; k++) {
		const struct rns *ns = &r->ns[k];

		for (size_t i = ns->first; i < ns->first + ns->n; i++)
			print_device(r, &r->t[i], ns->set_names);
		if (r->a->config)
			print_ns(r, ns);
	}
	return status;
}
