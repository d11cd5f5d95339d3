/*
 * inspect_records_smd.c - inspect --config --records and the node's SMD
 * (shared/AEROSPIKE-SMD.md 2.3, 3.1; AEROSPIKE-RECORDS.md 4.3):
 *
 * - truncate.smd: a CE asd does not apply a saved truncation at cold
 *   start (truncate_ce.c stubs), so the records of a truncated set (or
 *   namespace) whose last-update-time is below its threshold and that
 *   are still on the devices are loaded again. Counted per truncation
 *   over the objects the namespace ends with, a WARNING each.
 * - evict.smd: the namespace's evict void-time is what the sweep drops
 *   records below (check 11, EVICTED), except in sets the conf gives
 *   `disable-eviction true`.
 *
 * The SMD read is the conf's work directory's smd/ (service {
 * work-directory }, default /opt/aerospike), or --smd BUNDLE|DIR. No
 * directory, or no truncate.smd / evict.smd, is normal: nothing known.
 * An SMD that cannot be read (a damaged bundle, an I/O error) is an
 * error before any device is read. A module file asd would not load as
 * it is is a WARNING saying what asd does with it; evict.smd then gives
 * no void-time (asd starts the module empty or does not start), while
 * truncate.smd's well-formed items are still counted: they say what the
 * operator truncated, which is what comes back either way.
 */
#include "inspect_records.h"
#include "display.h"
#include "outcome.h"
#include "report.h"
#include "smdcli.h"
#include "../aerospike/smddir.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct smd_file *find_file(const struct rsmd *s, const char *name)
{
	for (size_t i = 0; i < s->b.nfiles; i++)
		if (!strcmp(s->files[i].name, name))
			return &s->files[i];
	return NULL;
}

/* The namespace's truncation of set (NULL: its own), or NULL. */
static struct rtrunc *find_trunc(struct rns *ns, const char *set)
{
	for (size_t i = 0; i < ns->ntrunc; i++)
		if (set ? ns->trunc[i].set && !strcmp(ns->trunc[i].set, set)
			: !ns->trunc[i].set)
			return &ns->trunc[i];
	return NULL;
}

/*
 * The namespace's truncations, its own first, then its sets' in file
 * order; a key given twice keeps the larger threshold (truncate's
 * conflict rule). Its evict void-time: the last live item of its name
 * (the accept callback takes each in turn), from a file asd loads.
 */
static int ns_smd(const struct rsmd *s, struct rns *ns)
{
	struct smd_truncation *t;
	struct smd_evict *e;
	size_t n, ne;
	int ret;

	if (!ns->name)
		return 0;
	ret = smd_truncations(s->truncate, &t, &n);
	if (ret < 0)
		return ret;
	ns->trunc = calloc(n + 1, sizeof(*ns->trunc));
	if (!ns->trunc) {
		smd_truncations_free(t, n);
		return -ENOMEM;
	}
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			struct rtrunc *have;

			if (strcmp(t[i].ns, ns->name) || !t[i].set != !pass)
				continue;
			have = find_trunc(ns, t[i].set);
			if (have) {
				if (t[i].threshold_ms > have->threshold_lut)
					have->threshold_lut = t[i].threshold_ms;
				continue;
			}
			have = &ns->trunc[ns->ntrunc++];
			have->threshold_lut = t[i].threshold_ms;
			have->set_id = -1;
			if (t[i].set && !(have->set = strdup(t[i].set))) {
				smd_truncations_free(t, n);
				return -ENOMEM;
			}
		}
	smd_truncations_free(t, n);
	if (!s->evict || s->evict->fate != SMD_LOADS)
		return 0;
	ret = smd_evict_times(s->evict, &e, &ne);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < ne; i++)
		if (!strcmp(e[i].ns, ns->name))
			ns->evict_void_time = e[i].void_time_s;
	smd_evict_times_free(e, ne);
	return 0;
}

/* Read the SMD directory or bundle; "" mark when no restore is unfinished. */
static int read_source(struct rrun *r, struct rsmd *s)
{
	char why[PATH_MAX + 512], dir[PATH_MAX] = "";
	bool is_dir = false;
	int ret;

	if (r->a->smd) {
		ret = smd_source_read(r->a->smd, &s->b, &is_dir, dir,
				      sizeof(dir), why, sizeof(why));
		if (ret < 0) {
			cli_error("inspect: --smd: %s", why);
			return -1;
		}
		s->bundle = !is_dir;
		s->source = strdup(is_dir ? dir : r->a->smd);
	} else {
		const char *wd = r->conf.service.work_directory
				 ? r->conf.service.work_directory
				 : SMD_DEFAULT_WORK_DIR;

		if (smd_conf_path_absolute(r->a->config,
					   "service { work-directory }", wd) < 0)
			return -1;
		if (asprintf(&s->source, "%s%ssmd", wd,
			     wd[strlen(wd) - 1] == '/' ? "" : "/") < 0)
			s->source = NULL;
		if (!s->source)
			goto oom;
		is_dir = true;
		ret = smd_dir_read(s->source, &s->b, NULL, why, sizeof(why));
		if (ret == -ENOENT) {
			smd_bundle_release(&s->b);
			memset(&s->b, 0, sizeof(s->b));
			return 0;	/* found stays false */
		}
		if (ret < 0) {
			cli_error("inspect: the SMD of '%s': %s", r->a->config,
				  why);
			return -1;
		}
	}
	if (!s->source)
		goto oom;
	s->found = true;
	if (is_dir) {
		ret = smd_restore_mark(s->source, s->mark, sizeof(s->mark));
		if (ret < 0)
			return -1;
		if (ret > 0 && !s->mark[0])
			snprintf(s->mark, sizeof(s->mark), "an unknown bundle");
	}
	return 0;
oom:
	cli_error("out of memory");
	return -1;
}

int rrun_setup_smd(struct rrun *r)
{
	struct rsmd *s = &r->smd;

	if (!r->a->config)
		return EXIT_MATCH;
	s->used = true;
	if (read_source(r, s) < 0)
		return EXIT_ERROR;
	if (smd_parse_all(&s->b, &s->files) < 0)
		return EXIT_ERROR;
	s->truncate = find_file(s, "truncate.smd");
	s->evict = find_file(s, "evict.smd");
	for (size_t k = 0; k < r->nns; k++)
		if (ns_smd(s, &r->ns[k]) < 0) {
			cli_error("out of memory");
			return EXIT_ERROR;
		}
	return EXIT_MATCH;
}

int rrun_ns_rules(struct rrun *r, struct rns *ns)
{
	const struct conf_namespace *cn = r->a->config ?
		&r->conf.ns[ns - r->ns] : NULL;
	size_t n = 0, nsets = cn ? cn->nsets : 0;
	struct as_set_rule *v = calloc(ns->ntrunc + nsets + 1, sizeof(*v));
	const struct rtrunc *own = find_trunc(ns, NULL);
	int ret;

	if (!v) {
		cli_error("out of memory");
		return -1;
	}
	for (size_t i = 0; i < ns->ntrunc; i++)
		if (ns->trunc[i].set)
			v[n++] = (struct as_set_rule){
				.name = ns->trunc[i].set,
				.truncate_lut = ns->trunc[i].threshold_lut };
	for (size_t i = 0; i < nsets; i++)
		if (cn->sets[i].disable_eviction)
			v[n++] = (struct as_set_rule){ .name = cn->sets[i].name,
						       .no_evict = true };
	ret = as_records_set_rules(&ns->walk, ns->evict_void_time,
				   own ? own->threshold_lut : 0, v, n);
	free(v);
	if (ret == -E2BIG)
		cli_error("inspect: namespace '%s': more than 254 sets have a "
			  "truncation or disable-eviction: not supported",
			  ns->name);
	else if (ret < 0)
		cli_error("out of memory");
	if (ret < 0)
		return -1;
	for (size_t i = 0; i < ns->ntrunc; i++) {
		struct rtrunc *t = &ns->trunc[i];
		size_t len = t->set ? strlen(t->set) : 0;

		/* Registered above: a look-up that adds nothing. */
		if (len && len <= AS_SET_NAME_MAX)
			t->set_id = as_recindex_set_id(&ns->walk.index,
				(const unsigned char *)t->set, (unsigned)len);
	}
	return 0;
}

void rrun_ns_census(struct rns *ns)
{
	struct as_census c;
	uint64_t back_ns = 0;

	as_records_census(&ns->walk, &c);
	memcpy(ns->sets, c.objects, sizeof(ns->sets));
	memcpy(ns->sets_back, c.back, sizeof(ns->sets_back));
	ns->back = 0;
	for (unsigned id = 0; id < 256; id++) {
		ns->back += c.back[id];
		back_ns += c.back_ns[id];
	}
	for (size_t i = 0; i < ns->ntrunc; i++) {
		struct rtrunc *t = &ns->trunc[i];

		t->back = !t->set ? back_ns
			: t->set_id > 0 ? c.back_set[t->set_id] : 0;
	}
}

/* Unix nanoseconds of a LUT (what asinfo's truncate takes as lut=). */
static unsigned long long lut_unix_ns(uint64_t lut)
{
	return ((unsigned long long)lut +
		(unsigned long long)AS_CL_EPOCH_UNIX * 1000ull) * 1000000ull;
}

static void file_alarm(struct rrun *r, const struct smd_file *f,
		       const char *next)
{
	char msg[2048], why[1200];

	if (!f || f->fate == SMD_LOADS || f->fate == SMD_NOT_READ)
		return;
	snprintf(msg, sizeof(msg), "%s (in '%s'): %s; %s",
		 smd_errors_reason(f, 1, why, sizeof(why)), r->smd.source,
		 smd_fate_text(f->fate), f == r->smd.evict
		 ? "the prediction takes no evict void-time from it"
		 : "its well-formed truncations are still counted");
	rrun_warn(r, "smd-unloadable", msg, next, NULL);
}

void rrun_smd_alarms(struct rrun *r)
{
	const struct rsmd *s = &r->smd;
	char msg[1400], next[PATH_MAX + 200], t1[48];

	if (!s->used)
		return;
	snprintf(next, sizeof(next), "shadowsync smd show %s", s->source);
	if (s->mark[0]) {
		smd_restore_mark_words(s->source, s->mark, msg, sizeof(msg));
		rrun_warn(r, "smd-restore-unfinished", msg,
			  "run that smd restore again", NULL);
	}
	file_alarm(r, s->truncate, next);
	file_alarm(r, s->evict, next);
	for (size_t k = 0; k < r->nns; k++) {
		const struct rns *ns = &r->ns[k];

		for (size_t i = 0; ns->walked && i < ns->ntrunc; i++) {
			const struct rtrunc *t = &ns->trunc[i];
			char what[200];

			if (!t->back)
				continue;
			if (t->set)
				snprintf(what, sizeof(what), "of set %s in "
					 "namespace %s", t->set, ns->name);
			else
				snprintf(what, sizeof(what), "of namespace %s",
					 ns->name);
			snprintf(msg, sizeof(msg), "%llu objects %s on the "
				 "devices are older than its truncation (last "
				 "update before %s) and come back at cold start: "
				 "a CE asd does not apply a saved truncation when "
				 "it loads records", (unsigned long long)t->back,
				 what, rrun_utc(as_lut_unix(t->threshold_lut),
						t1, sizeof(t1)));
			if (t->set)
				snprintf(next, sizeof(next), "once asd is up, "
					 "truncate again at the same threshold: "
					 "asinfo -v 'truncate:namespace=%s;set=%s;"
					 "lut=%llu'", ns->name, t->set,
					 lut_unix_ns(t->threshold_lut));
			else
				snprintf(next, sizeof(next), "once asd is up, "
					 "truncate again at the same threshold: "
					 "asinfo -v 'truncate-namespace:namespace="
					 "%s;lut=%llu'", ns->name,
					 lut_unix_ns(t->threshold_lut));
			rrun_warn(r, "records-come-back", msg, next, NULL);
		}
	}
}

static json_t *juint(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *utc_json(double unix_s)
{
	char b[48];

	return json_string(rrun_utc(unix_s, b, sizeof(b)));
}

json_t *rrun_smd_json(const struct rrun *r)
{
	const struct rsmd *s = &r->smd;
	const struct smd_file *f[] = { s->truncate, s->evict };
	json_t *files = json_array();

	if (!s->used) {
		json_decref(files);
		return json_null();
	}
	for (size_t i = 0; i < 2; i++)
		if (f[i])
			json_array_append_new(files, json_pack(
				"{s:s,s:s,s:o,s:o}", "name", f[i]->name,
				"fate", smd_fate_name(f[i]->fate), "errors",
				juint(f[i]->errors), "warnings",
				juint(f[i]->warnings)));
	return json_pack("{s:o,s:s,s:b,s:b,s:o}", "source", json_str(s->source),
			 "kind", s->bundle ? "bundle" : "directory", "found",
			 s->found, "restore_unfinished", s->mark[0] != 0,
			 "files", files);
}

void rrun_ns_smd_json(const struct rrun *r, const struct rns *ns, json_t *o)
{
	json_t *a = json_array();
	uint64_t evicted = 0;

	for (size_t i = 0; i < ns->ntrunc; i++) {
		const struct rtrunc *t = &ns->trunc[i];

		json_array_append_new(a, json_pack("{s:o,s:o,s:o,s:o}", "set",
			t->set ? json_str(t->set) : json_null(),
			"threshold_lut", juint(t->threshold_lut),
			"threshold_utc", utc_json(as_lut_unix(t->threshold_lut)),
			"records_back", ns->walked ? juint(t->back)
						   : json_null()));
	}
	for (size_t i = ns->first; i < ns->first + ns->n; i++)
		if (r->t[i].swept)
			evicted += r->t[i].rec.evicted;
	json_object_set_new(o, "truncations", a);
	json_object_set_new(o, "records_back", ns->walked ? juint(ns->back)
							  : json_null());
	json_object_set_new(o, "evict_void_time", ns->evict_void_time
			    ? juint(ns->evict_void_time) : json_null());
	json_object_set_new(o, "evict_void_time_utc", ns->evict_void_time
			    ? utc_json((double)as_void_unix(ns->evict_void_time))
			    : json_null());
	json_object_set_new(o, "evicted", ns->walked ? juint(evicted)
						     : json_null());
}

static void print_file(const struct smd_file *f, const char *name,
		       size_t n, const char *what)
{
	if (!f) {
		printf("no %s", name);
		return;
	}
	printf("%s (%zu %s%s for the conf's namespaces", name, n, what,
	       n == 1 ? "" : "s");
	if (f->fate != SMD_LOADS)
		printf("; %s", smd_fate_text(f->fate));
	printf(")");
}

void rrun_print_smd(const struct rrun *r)
{
	const struct rsmd *s = &r->smd;
	size_t nt = 0, ne = 0;

	if (!s->used)
		return;
	printf("smd: %s (%s): ", disp(s->source), r->a->smd ? (s->bundle ?
	       "--smd, a bundle" : "--smd") : "the conf's work directory");
	if (!s->found) {
		printf("no such directory: no truncation or evict void-time is "
		       "known\n");
		return;
	}
	for (size_t k = 0; k < r->nns; k++) {
		nt += r->ns[k].ntrunc;
		ne += r->ns[k].evict_void_time != 0;
	}
	print_file(s->truncate, "truncate.smd", nt, "truncation");
	printf(", ");
	print_file(s->evict, "evict.smd", ne, "evict void-time");
	printf("\n");
}

void rrun_print_ns_smd(const struct rrun *r, const struct rns *ns)
{
	char t1[48];
	uint64_t evicted = 0;

	if (!r->smd.used)
		return;
	for (size_t i = ns->first; i < ns->first + ns->n; i++)
		if (r->t[i].swept)
			evicted += r->t[i].rec.evicted;
	if (ns->evict_void_time)
		printf("  evict          void-time %s (evict.smd): %llu records "
		       "EVICTED at cold start\n",
		       rrun_utc((double)as_void_unix(ns->evict_void_time), t1,
				sizeof(t1)), (unsigned long long)evicted);
	for (size_t i = 0; i < ns->ntrunc; i++) {
		const struct rtrunc *t = &ns->trunc[i];

		printf("  truncated      %s%s, last update before %s: ",
		       t->set ? "set " : "the whole namespace",
		       t->set ? disp(t->set) : "",
		       rrun_utc(as_lut_unix(t->threshold_lut), t1, sizeof(t1)));
		if (ns->walked)
			printf("%llu objects older come back\n",
			       (unsigned long long)t->back);
		else
			printf("the objects older that come back not known\n");
	}
}

void rrun_smd_release(struct rrun *r)
{
	struct rsmd *s = &r->smd;

	for (size_t k = 0; k < r->nns; k++) {
		for (size_t i = 0; i < r->ns[k].ntrunc; i++)
			free(r->ns[k].trunc[i].set);
		free(r->ns[k].trunc);
	}
	smd_files_release(s->files, s->b.nfiles);
	smd_bundle_release(&s->b);
	free(s->source);
	memset(s, 0, sizeof(*s));
}
