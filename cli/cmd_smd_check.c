/*
 * cmd_smd_check.c - `shadowsync smd check BUNDLE DIR`: does DIR hold
 * exactly the bundle's module files, byte for byte? Differences are
 * files missing, extra (a *.smd or *.smd.save the bundle has not) or
 * changed, with the items that differ in a changed file.
 */
#include "cli.h"
#include "display.h"
#include "outcome.h"
#include "report.h"
#include "smdcli.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Keys listed per kind of item difference; the rest are counted. */
#define KEYS_LISTED 100u

static const char check_usage[] =
	"usage: shadowsync smd check BUNDLE DIR [options]\n"
	"\n"
	"Check that DIR (an SMD directory, or a work directory holding smd/)\n"
	"holds exactly BUNDLE's module files with the same bytes: lists the\n"
	"files missing from DIR, the extra ones (a *.smd or *.smd.save that\n"
	"BUNDLE has not), and the changed ones with their item differences\n"
	"(keys missing, extra or changed, the committed version, the order).\n"
	"A restore into DIR that did not finish (its mark\n"
	"smd/.shadowsync-restore-incomplete) is a difference too. Modes and\n"
	"owners are shown, not compared. A damaged bundle is an error.\n"
	"\n"
	"options:\n"
	HELP_COMMON
	HELP_EXIT("DIR holds exactly the bundle's files",
		  "differences (listed)");

static json_t *keys_json(char **keys, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n && i < KEYS_LISTED; i++)
		json_array_append_new(a, json_str(keys[i]));
	return a;
}

/* The item-level differences of a changed file (a: bundle, b: DIR). */
static json_t *items_json(const struct smd_bundle_file *want,
			  const struct smd_bundle_file *have)
{
	struct smd_file a = { 0 }, b = { 0 };
	struct smd_diff d;
	json_t *o = NULL;

	if (smd_parse(want->name, want->data, want->size, &a) < 0 ||
	    smd_parse(have->name, have->data, have->size, &b) < 0 ||
	    !a.parsed || !b.parsed || smd_diff(&a, &b, &d) < 0) {
		o = json_pack("{s:b,s:b}", "bundle_parsed", a.parsed,
			      "directory_parsed", b.parsed);
		goto out;
	}
	o = json_pack("{s:b,s:b,s:I,s:o,s:I,s:o,s:I,s:o,s:b,s:b}",
		      "bundle_parsed", true, "directory_parsed", true,
		      "missing_items", (json_int_t)d.n_only_a,
		      "missing_keys", keys_json(d.only_a, d.n_only_a),
		      "extra_items", (json_int_t)d.n_only_b,
		      "extra_keys", keys_json(d.only_b, d.n_only_b),
		      "changed_items", (json_int_t)d.n_changed,
		      "changed_keys", keys_json(d.changed, d.n_changed),
		      "version_differs", d.version_differs,
		      "order_differs", d.order_differs);
	smd_diff_release(&d);
out:
	smd_file_release(&a);
	smd_file_release(&b);
	return o;
}

static json_t *side_json(const struct smd_bundle_file *f)
{
	char mode[8];

	if (!f)
		return json_null();
	snprintf(mode, sizeof(mode), "%04o", f->mode);
	return json_pack("{s:I,s:s,s:I,s:I,s:s}", "size_bytes",
			 (json_int_t)f->size, "mode", mode, "uid",
			 (json_int_t)f->uid, "gid", (json_int_t)f->gid,
			 "xxh3_128", f->xxh3);
}

static json_t *entry_json(const char *name, const char *status,
			  const struct smd_bundle_file *want,
			  const struct smd_bundle_file *have)
{
	return json_pack("{s:o,s:s,s:o,s:o,s:o}", "name", json_str(name),
			 "status", status, "bundle", side_json(want),
			 "directory", side_json(have),
			 "items", want && have && strcmp(status, "changed") == 0
				  ? items_json(want, have) : json_null());
}

struct tally {
	size_t same, missing, extra, changed;
};

static json_t *compare(const struct smd_bundle *want,
		       const struct smd_bundle *have, struct tally *t)
{
	json_t *files = json_array();

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < want->nfiles; i++) {
		const struct smd_bundle_file *w = &want->files[i];
		const struct smd_bundle_file *h = smd_bundle_find(have, w->name);
		const char *st = !h ? "missing"
				 : h->size == w->size &&
				   !memcmp(h->data, w->data, w->size) ? "same"
								      : "changed";

		*(!h ? &t->missing : strcmp(st, "same") ? &t->changed
							: &t->same) += 1;
		json_array_append_new(files, entry_json(w->name, st, w, h));
	}
	for (size_t i = 0; i < have->nfiles; i++)
		if (!smd_bundle_find(want, have->files[i].name)) {
			t->extra++;
			json_array_append_new(files, entry_json(
				have->files[i].name, "extra", NULL,
				&have->files[i]));
		}
	/* Leftover .smd.save files and oddly named *.smd: restore removes
	 * them, so they are differences too; its own temporary files are
	 * not SMD names. */
	for (size_t i = 0; i < have->nskipped; i++) {
		const char *n = have->skipped[i].name;

		if (n[0] == '.' && strstr(n, ".shadowsync-tmp"))
			continue;
		t->extra++;
		json_array_append_new(files, entry_json(n, "extra", NULL, NULL));
	}
	return files;
}

static void check_text(json_t *files, const char *bundle, const char *dir)
{
	json_t *e;
	size_t i;

	printf("smd check: %s against %s\n", disp(bundle), disp(dir));
	json_array_foreach(files, i, e) {
		json_t *it = json_object_get(e, "items");

		if (cli_run.quiet && !strcmp(json_string_value(json_object_get(
						     e, "status")), "same"))
			continue;

		printf("  %-8s %s", json_string_value(json_object_get(e, "status")),
		       disp(json_string_value(json_object_get(e, "name"))));
		if (json_is_object(it) &&
		    json_is_true(json_object_get(it, "bundle_parsed")) &&
		    json_is_true(json_object_get(it, "directory_parsed")))
			printf(": %lld items missing, %lld extra, %lld changed%s%s",
			       (long long)json_integer_value(json_object_get(it, "missing_items")),
			       (long long)json_integer_value(json_object_get(it, "extra_items")),
			       (long long)json_integer_value(json_object_get(it, "changed_items")),
			       json_is_true(json_object_get(it, "version_differs"))
			       ? ", another committed version" : "",
			       json_is_true(json_object_get(it, "order_differs"))
			       ? ", items in another order" : "");
		else if (json_is_object(it))
			printf(": one side is not valid SMD (see smd show)");
		putchar('\n');
		if (!json_is_object(it))
			continue;
		for (size_t k = 0; k < 3; k++) {
			static const char *const kinds[] = {
				"missing_keys", "extra_keys", "changed_keys" };
			json_t *key;
			size_t j;

			json_array_foreach(json_object_get(it, kinds[k]), j, key)
				printf("      %.*s %s\n", (int)strcspn(kinds[k], "_"),
				       kinds[k], disp(json_string_value(key)));
		}
	}
}

int cmd_smd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct smd_bundle want = { 0 }, have = { 0 };
	char dir[PATH_MAX], mark[512], words[PATH_MAX + 768];
	struct tally t;
	json_t *files;
	bool is_dir, differ;
	int opt, marked;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (opt == 'h' || opt == OPT_HELP) {
			fputs(check_usage, stdout);
			return EXIT_MATCH;
		}
		if (opt != OPT_JSON) {
			cli_option_error("smd check", opt, argv);
			return EXIT_ERROR;
		}
	}
	if (argc - optind != 2) {
		cli_error("smd check: expected BUNDLE and DIR, got %d argument%s "
			  "(see 'shadowsync smd check --help')", argc - optind,
			  argc - optind == 1 ? "" : "s");
		return EXIT_ERROR;
	}
	if (smd_open_source(argv[optind], &want, &is_dir, dir, sizeof(dir)) < 0)
		return EXIT_ERROR;
	if (is_dir) {
		cli_error("smd check: '%s' is a directory, not a bundle",
			  argv[optind]);
		smd_bundle_release(&want);
		return EXIT_ERROR;
	}
	opt = smd_open_source(argv[optind + 1], &have, &is_dir, dir, sizeof(dir));
	if (opt < 0 || !is_dir) {
		if (opt == 0)
			cli_error("smd check: '%s' is not a directory",
				  argv[optind + 1]);
		smd_bundle_release(&want);
		smd_bundle_release(&have);
		return EXIT_ERROR;
	}
	marked = smd_restore_mark(dir, mark, sizeof(mark));
	if (marked < 0) {
		smd_bundle_release(&want);
		smd_bundle_release(&have);
		return EXIT_ERROR;
	}
	/* A restore that did not finish is a difference even when every
	 * file is right: its directory fsync may not have happened. */
	if (marked)
		smd_restore_mark_words(dir, mark, words, sizeof(words));
	files = compare(&want, &have, &t);
	differ = t.missing + t.extra + t.changed || marked;
	if (t.missing + t.extra + t.changed)
		cli_exit_reason("'%s' differs from the bundle: %zu missing, %zu "
				"extra, %zu changed%s%s", dir, t.missing, t.extra,
				t.changed, marked ? "; " : "", marked ? words : "");
	else if (marked)
		cli_exit_reason("%s", words);
	if (cli_run.json)
		report_json_emit(json_pack(
			"{s:s,s:s,s:o,s:o,s:o,s:I,s:I,s:I,s:I,s:o}", "command",
			"smd check", "result", differ ? "differ" : "match",
			"bundle", smd_bundle_info_json(argv[optind], &want),
			"directory", json_str(dir), "files", files,
			"same", (json_int_t)t.same,
			"missing", (json_int_t)t.missing, "extra",
			(json_int_t)t.extra, "changed", (json_int_t)t.changed,
			"restore_incomplete", json_str(marked ? mark : NULL)));
	else {
		check_text(files, argv[optind], dir);
		if (marked)
			printf("  incomplete %s\n", disp(words));
		json_decref(files);
	}
	smd_bundle_release(&want);
	smd_bundle_release(&have);
	return differ ? EXIT_DIFFER : EXIT_MATCH;
}
