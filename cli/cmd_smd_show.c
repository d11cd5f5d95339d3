/*
 * cmd_smd_show.c - `shadowsync smd show BUNDLE|DIR`: what each module
 * file holds, as asd will read it at startup (the committed version,
 * items, tombstones, the newest change), and what the CE modules mean:
 * secondary indexes, UDFs, truncations, evict void-times.
 */
#include "cli.h"
#include "display.h"
#include "outcome.h"
#include "report.h"
#include "smdcli.h"

#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char show_usage[] =
	"usage: shadowsync smd show BUNDLE|DIR [options]\n"
	"\n"
	"Show an SMD bundle, or an SMD directory (DIR itself, or DIR/smd when\n"
	"DIR is a work directory), as asd will read it at startup: per module\n"
	"file the committed version (cluster key and tid), items, tombstones and\n"
	"the newest change (UTC), and whether asd loads it, starts the module\n"
	"empty or aborts; the secondary indexes by namespace, set and bin with\n"
	"their names; the UDF files and their sizes; the truncations by\n"
	"namespace and set with their thresholds (UTC); the evict void-time of\n"
	"each namespace; and every problem found. A damaged bundle is an error.\n"
	"\n"
	"options:\n"
	HELP_COMMON
	HELP_EXIT("shown; asd will load every file as it is",
		  "a file asd would not load as it is (see the problems), or an\n"
		  "       smd restore into DIR did not finish (its mark is there)");

/* The newest (timestamp) change of f, or -1 when it has no items. */
static int64_t newest(const struct smd_file *f)
{
	int64_t t = -1;

	for (size_t i = 0; i < f->nitems; i++)
		if (f->items[i].timestamp > t)
			t = f->items[i].timestamp;
	return t;
}

static json_t *module_json(const struct smd_bundle_file *bf,
			   const struct smd_file *f)
{
	int64_t t = newest(f);
	char utc[40], hex[24];
	json_t *committed = json_null();

	if (f->parsed && (f->has_header || f->legacy)) {
		snprintf(hex, sizeof(hex), "%" PRIX64, f->cv_key);
		committed = json_pack("{s:I,s:s,s:I}", "cluster_key",
				      (json_int_t)f->cv_key, "cluster_key_hex",
				      hex, "tid", (json_int_t)f->cv_tid);
	}
	return json_pack("{s:s,s:o,s:o,s:I,s:s,s:o,s:b,s:I,s:I,s:o,s:o,s:o}",
			 "file", bf->name,
			 "module", f->module ? json_string(f->module->name)
					     : json_null(),
			 "edition", f->module ? json_string(f->module->ce ? "ce"
								       : "ee")
					      : json_null(),
			 "size_bytes", (json_int_t)bf->size,
			 "asd", smd_fate_name(f->fate),
			 "committed", committed, "legacy", f->legacy,
			 "items", (json_int_t)f->nitems,
			 "tombstones", (json_int_t)f->tombstones,
			 "newest_change_utc", t < 0 ? json_null()
				: json_string(smd_utc((uint64_t)t, true, utc,
						      sizeof(utc))),
			 "newest_change_clepoch_ms", t < 0 ? json_null()
				: json_integer(t),
			 "problems", smd_problems_json(f, 1));
}

static const struct smd_file *find_module(const struct smd_file *f, size_t n,
					  enum smd_module_id id)
{
	for (size_t i = 0; i < n; i++)
		if (f[i].module && f[i].module->id == id)
			return &f[i];
	return NULL;
}

static json_t *sindexes_json(const struct smd_file *f)
{
	json_t *a = json_array();
	struct smd_sindex_def d;
	char why[160];

	for (size_t i = 0; f && i < f->nitems; i++) {
		const struct smd_item *it = &f->items[i];
		char *ctx = NULL, *exp = NULL;

		if (!it->value || smd_sindex_parse(it->key, &d, why, sizeof(why)))
			continue;
		if (d.ctx_b64)
			ctx = strndup(d.ctx_b64, d.ctx_len);
		if (d.exp_b64)
			exp = strndup(d.exp_b64, d.exp_len);
		json_array_append_new(a, json_pack(
			"{s:o,s:o,s:o,s:s,s:s,s:o,s:o,s:o}",
			"namespace", json_str(d.ns),
			"set", d.set[0] ? json_str(d.set) : json_null(),
			"bin", d.bin[0] ? json_str(d.bin) : json_null(),
			"index_type", smd_sindex_itype_name(d.itype),
			"key_type", smd_sindex_ktype_name(d.ktype),
			"context_b64", json_str(ctx), "expression_b64",
			json_str(exp), "name", json_str(it->value)));
		free(ctx);
		free(exp);
	}
	return a;
}

static json_t *udfs_json(const struct smd_file *f)
{
	json_t *a = json_array();
	char why[256];
	uint64_t size;
	bool abort_asd;

	for (size_t i = 0; f && i < f->nitems; i++)
		if (f->items[i].value &&
		    !smd_udf_decode(f->items[i].value, &size, &abort_asd, why,
				    sizeof(why)))
			json_array_append_new(a, json_pack(
				"{s:o,s:I}", "name", json_str(f->items[i].key),
				"size_bytes", (json_int_t)size));
	return a;
}

static json_t *truncations_json(const struct smd_file *f)
{
	struct smd_truncation *v;
	json_t *a = json_array();
	char utc[40];
	size_t n;

	if (smd_truncations(f, &v, &n) < 0)
		return NULL;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack(
			"{s:o,s:o,s:I,s:s}", "namespace", json_str(v[i].ns),
			"set", json_str(v[i].set),
			"threshold_clepoch_ms", (json_int_t)v[i].threshold_ms,
			"threshold_utc", smd_utc(v[i].threshold_ms, true, utc,
						 sizeof(utc))));
	smd_truncations_free(v, n);
	return a;
}

static json_t *evict_json(const struct smd_file *f)
{
	struct smd_evict *v;
	json_t *a = json_array();
	char utc[40];
	size_t n;

	if (smd_evict_times(f, &v, &n) < 0)
		return NULL;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack(
			"{s:o,s:I,s:s}", "namespace", json_str(v[i].ns),
			"void_time_clepoch_s", (json_int_t)v[i].void_time_s,
			"void_time_utc", smd_utc(v[i].void_time_s, false, utc,
						 sizeof(utc))));
	smd_evict_times_free(v, n);
	return a;
}

static json_t *show_json(const char *path, bool is_dir,
			 const struct smd_bundle *b, const struct smd_file *f,
			 const char *mark)
{
	json_t *modules = json_array();
	size_t errors = smd_errors(f, b->nfiles);

	for (size_t i = 0; i < b->nfiles; i++)
		json_array_append_new(modules, module_json(&b->files[i], &f[i]));
	return json_pack("{s:s,s:s,s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:I,"
			 "s:o}",
			 "command", "smd show", "result", errors || mark
			 ? "problems" : "ok",
			 "source", json_str(path), "kind", is_dir ? "directory"
								  : "bundle",
			 "bundle", is_dir ? json_null()
					  : smd_bundle_info_json(path, b),
			 "modules", modules,
			 "sindexes", sindexes_json(find_module(f, b->nfiles,
							       SMD_SINDEX)),
			 "udfs", udfs_json(find_module(f, b->nfiles, SMD_UDF)),
			 "truncations", truncations_json(find_module(
				 f, b->nfiles, SMD_TRUNCATE)),
			 "evict", evict_json(find_module(f, b->nfiles,
							 SMD_EVICT)),
			 "skipped", smd_skipped_json(b),
			 "errors", (json_int_t)errors,
			 "warnings", (json_int_t)smd_warnings(f, b->nfiles),
			 "restore_incomplete", json_str(mark));
}

/* The text form, from the JSON tree (one source of the facts). */
static void show_text(json_t *r)
{
	json_t *v, *m;
	size_t i;

	printf("smd show: %s (%s)\n", disp(json_string_value(json_object_get(
		       r, "source"))), json_string_value(json_object_get(r, "kind")));
	if ((v = json_object_get(r, "bundle")) && json_is_object(v))
		printf("  saved on %s at %s from %s\n",
		       disp(json_string_value(json_object_get(v, "host"))),
		       json_string_value(json_object_get(v, "created_utc")),
		       disp(json_string_value(json_object_get(v, "smd_directory"))));
	if (cli_run.quiet)
		return;	/* the problems follow */
	json_array_foreach(json_object_get(r, "modules"), i, m) {
		json_t *c = json_object_get(m, "committed");

		printf("  %-14s ", json_string_value(json_object_get(m, "file")));
		if (json_is_object(c))
			printf("version %s/%lld, ", json_string_value(
				       json_object_get(c, "cluster_key_hex")),
			       (long long)json_integer_value(json_object_get(c, "tid")));
		printf("%lld items (%lld tombstones), newest change %s; %s\n",
		       (long long)json_integer_value(json_object_get(m, "items")),
		       (long long)json_integer_value(json_object_get(m, "tombstones")),
		       json_is_string(json_object_get(m, "newest_change_utc"))
		       ? json_string_value(json_object_get(m, "newest_change_utc"))
		       : "none", json_string_value(json_object_get(m, "asd")));
	}
	json_array_foreach(json_object_get(r, "sindexes"), i, m)
		printf("  sindex      %s set %s bin %s (%s, %s): %s\n",
		       disp(json_string_value(json_object_get(m, "namespace"))),
		       json_is_string(json_object_get(m, "set"))
		       ? disp(json_string_value(json_object_get(m, "set"))) : "(any)",
		       json_is_string(json_object_get(m, "bin"))
		       ? disp(json_string_value(json_object_get(m, "bin"))) : "(expression)",
		       json_string_value(json_object_get(m, "index_type")),
		       json_string_value(json_object_get(m, "key_type")),
		       disp(json_string_value(json_object_get(m, "name"))));
	json_array_foreach(json_object_get(r, "udfs"), i, m)
		printf("  udf         %s  %lld bytes\n",
		       disp(json_string_value(json_object_get(m, "name"))),
		       (long long)json_integer_value(json_object_get(m, "size_bytes")));
	json_array_foreach(json_object_get(r, "truncations"), i, m)
		printf("  truncate    %s set %s before %s\n",
		       disp(json_string_value(json_object_get(m, "namespace"))),
		       json_is_string(json_object_get(m, "set"))
		       ? disp(json_string_value(json_object_get(m, "set"))) : "(all)",
		       json_string_value(json_object_get(m, "threshold_utc")));
	json_array_foreach(json_object_get(r, "evict"), i, m)
		printf("  evict       %s void-time %s\n",
		       disp(json_string_value(json_object_get(m, "namespace"))),
		       json_string_value(json_object_get(m, "void_time_utc")));
	json_array_foreach(json_object_get(r, "skipped"), i, m)
		printf("  not taken   %s (%s)\n",
		       disp(json_string_value(json_object_get(m, "name"))),
		       disp(json_string_value(json_object_get(m, "reason"))));
}

int cmd_smd_show(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	char dir[PATH_MAX], reason[1536], mark[512], words[PATH_MAX + 768];
	struct smd_bundle b;
	struct smd_file *f = NULL;
	bool is_dir;
	json_t *r;
	int opt, marked, status = EXIT_ERROR;
	size_t errors;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (opt == 'h' || opt == OPT_HELP) {
			fputs(show_usage, stdout);
			return EXIT_MATCH;
		}
		if (opt != OPT_JSON) {
			cli_option_error("smd show", opt, argv);
			return EXIT_ERROR;
		}
	}
	if (argc - optind != 1) {
		cli_error("smd show: expected one BUNDLE or DIR, got %d (see "
			  "'shadowsync smd show --help')", argc - optind);
		return EXIT_ERROR;
	}
	if (smd_open_source(argv[optind], &b, &is_dir, dir, sizeof(dir)) < 0)
		return EXIT_ERROR;
	if (smd_parse_all(&b, &f) < 0)
		goto out;
	marked = smd_restore_mark(is_dir ? dir : NULL, mark, sizeof(mark));
	if (marked < 0)
		goto out;
	errors = smd_errors(f, b.nfiles);
	r = show_json(is_dir ? dir : argv[optind], is_dir, &b, f,
		      marked ? mark : NULL);
	if (!r) {
		cli_error("out of memory");
		goto out;
	}
	if (marked)
		smd_restore_mark_words(dir, mark, words, sizeof(words));
	if (errors)
		cli_exit_reason("%s", smd_errors_reason(f, b.nfiles, reason,
							sizeof(reason)));
	else if (marked)
		cli_exit_reason("%s", words);
	if (!cli_run.json) {
		show_text(r);
		smd_problems_text(stdout, f, b.nfiles);
		if (marked)
			printf("WARNING: %s\n", disp(words));
		json_decref(r);
	} else {
		report_json_emit(r);
	}
	status = errors || marked ? EXIT_DIFFER : EXIT_MATCH;
out:
	smd_files_release(f, b.nfiles);
	smd_bundle_release(&b);
	return status;
}
