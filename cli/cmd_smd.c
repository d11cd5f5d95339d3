/*
 * cmd_smd.c - `shadowsync smd save|show|check|restore`: Aerospike's
 * System Metadata, which EBS snapshots of the data devices do not hold.
 * This file dispatches and does `smd save`; the others have a file each.
 */
#include "cli.h"
#include "display.h"
#include "outcome.h"
#include "outpath.h"
#include "progress.h"
#include "report.h"
#include "smdcli.h"
#include "../aerospike/smddir.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char smd_usage[] =
	"usage: shadowsync smd save [--work-dir DIR | --config FILE] -o BUNDLE\n"
	"       shadowsync smd show BUNDLE|DIR\n"
	"       shadowsync smd check BUNDLE DIR\n"
	"       shadowsync smd restore BUNDLE [--work-dir DIR | --config FILE]\n"
	"                              [--owner USER[:GROUP]] [--force]\n"
	"\n"
	"Aerospike's System Metadata (secondary indexes, UDFs, truncations,\n"
	"evict times; on EE roster, security, XDR) lives in <work-directory>/smd,\n"
	"not on the data devices: snapshots of the devices do not hold it.\n"
	"  save     take every *.smd of this node into a bundle (a POSIX tar)\n"
	"  show     what a bundle or an SMD directory holds, as asd will read it\n"
	"  check    does a directory hold exactly a bundle's files?\n"
	"  restore  make this node's SMD directory hold exactly a bundle's files\n"
	"\n"
	"'shadowsync smd COMMAND --help' gives a command's options.\n"
	HELP_EXIT("fine", "problems or differences found");

static const char save_usage[] =
	"usage: shadowsync smd save [--work-dir DIR | --config FILE] -o BUNDLE\n"
	"                           [options]\n"
	"\n"
	"Take every module file of this node's SMD directory (<work-directory>/smd:\n"
	"evict.smd, sindex.smd, truncate.smd, UDF.smd, EE's roster.smd,\n"
	"security.smd, XDR.smd, masking.smd, any other *.smd) into BUNDLE, a POSIX\n"
	"tar (pax) with a manifest of each file's size, mode, owner and XXH3-128,\n"
	"the host, the work directory and the time. Each file is read with one\n"
	"open and one read: asd replaces them by rename, so that is a whole file,\n"
	"even while asd runs; a symbolic link is followed, as asd follows it, and\n"
	"reported. Each is checked as asd will read it at startup (what it\n"
	"aborts on, starts empty from, or misreads: a negative timestamp, an\n"
	"evict or truncate value its strtoul reads as another number); a\n"
	"problem is reported and the bundle written all the same. Leftover\n"
	"*.smd.save files are named in the report, not taken. BUNDLE (mode 0600:\n"
	"EE SMD holds credentials) is written to a temporary file, fsynced and\n"
	"renamed; it may not be '-', a device node, an input (a module file, or\n"
	"the --config file) or inside the SMD directory.\n"
	"\n"
	"options:\n"
	"  --work-dir DIR      the work directory (default: the conf's\n"
	"                      service { work-directory }, else /opt/aerospike)\n"
	"  --config FILE       aerospike.conf to read the work directory from\n"
	"  -o, --output FILE   the bundle to write (required)\n"
	HELP_COMMON
	HELP_EXIT("saved; asd will load every file as it is",
		  "saved, but a file asd would not load as it is, or an smd\n"
		  "       restore into the directory did not finish (see the report)");

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *full;	/* the report's "command" */
} subcommands[] = {
	{ "save", cmd_smd_save, "smd save" },
	{ "show", cmd_smd_show, "smd show" },
	{ "check", cmd_smd_check, "smd check" },
	{ "restore", cmd_smd_restore, "smd restore" },
};

int cmd_smd(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (sub && (!strcmp(sub, "-h") || !strcmp(sub, "--help"))) {
		fputs(smd_usage, stdout);
		return EXIT_MATCH;
	}
	for (size_t i = 0; sub && i < sizeof(subcommands) / sizeof(*subcommands);
	     i++) {
		if (strcmp(sub, subcommands[i].name))
			continue;
		cli_run.command = subcommands[i].full;
		cli_watch(subcommands[i].full, cli_run.json, progress_done);
		return subcommands[i].run(argc - 1, argv + 1);
	}
	if (sub)
		cli_error("smd: unknown command '%s': expected save, show, check "
			  "or restore (see 'shadowsync smd --help')", sub);
	else
		cli_error("smd: expected a command: save, show, check or restore "
			  "(see 'shadowsync smd --help')");
	return EXIT_ERROR;
}

/* Is out's directory the SMD directory itself (asd's own files there)? */
static bool inside_smd_dir(const char *out, const char *smd_dir)
{
	char *copy = strdup(out);
	struct stat a, b;
	bool inside;

	if (!copy)
		return false;
	inside = stat(dirname(copy), &a) == 0 && stat(smd_dir, &b) == 0 &&
		 a.st_dev == b.st_dev && a.st_ino == b.st_ino;
	free(copy);
	return inside;
}

/*
 * May the bundle be written at out? Prints why not. Every file read is an
 * input: the module files (a link's target too: the check follows links)
 * and the conf, which `-o aerospike.conf` would otherwise overwrite.
 */
static int check_output(const char *out, const struct smd_where *w,
			const struct smd_bundle *b)
{
	const char **inputs = calloc(b->nfiles + 2, sizeof(*inputs));
	char why[PATH_MAX + 128], **paths = calloc(b->nfiles + 1, sizeof(char *));
	size_t ninputs = b->nfiles;
	int ret = 0;

	if (!inputs || !paths) {
		cli_error("out of memory");
		ret = -1;
	} else if (!strcmp(out, "-")) {
		cli_error("cannot create bundle '-': stdout is not supported "
			  "(give a file path)");
		ret = -1;
	} else if (inside_smd_dir(out, w->smd_directory)) {
		cli_error("cannot create bundle '%s': it is inside the SMD "
			  "directory '%s'", out, w->smd_directory);
		ret = -1;
	}
	for (size_t i = 0; !ret && i < b->nfiles; i++) {
		if (asprintf(&paths[i], "%s/%s", w->smd_directory,
			     b->files[i].name) < 0) {
			paths[i] = NULL;
			cli_error("out of memory");
			ret = -1;
		}
		inputs[i] = paths[i];
	}
	if (!ret && w->config)
		inputs[ninputs++] = w->config;
	if (!ret && output_path_check(out, inputs, ninputs, why,
				      sizeof(why)) < 0) {
		cli_error("cannot create bundle '%s': %s", out, why);
		ret = -1;
	}
	for (size_t i = 0; paths && i < b->nfiles; i++)
		free(paths[i]);
	free(paths);
	free(inputs);
	return ret;
}

static json_t *saved_file_json(const struct smd_bundle_file *bf,
			       const struct smd_file *f)
{
	char mode[8];

	snprintf(mode, sizeof(mode), "%04o", bf->mode);
	return json_pack("{s:s,s:o,s:o,s:I,s:s,s:I,s:I,s:o,s:o,s:s,s:s,s:I,s:I,"
			 "s:I}", "name", bf->name,
			 "link_target", json_str(bf->link_target),
			 "module", f->module ? json_string(f->module->name)
					     : json_null(),
			 "size_bytes", (json_int_t)bf->size, "mode", mode,
			 "uid", (json_int_t)bf->uid, "gid", (json_int_t)bf->gid,
			 "owner", json_str(bf->owner), "group", json_str(bf->group),
			 "xxh3_128", bf->xxh3, "asd", smd_fate_name(f->fate),
			 "items", (json_int_t)f->nitems,
			 "errors", (json_int_t)f->errors,
			 "warnings", (json_int_t)f->warnings);
}

static void save_report(const char *out, const struct smd_where *w,
			const struct smd_bundle *b, const struct smd_file *f,
			const char *mark, bool json)
{
	size_t errors = smd_errors(f, b->nfiles);
	char utc[32], reason[1536], words[PATH_MAX + 768] = "";

	if (mark)
		smd_restore_mark_words(w->smd_directory, mark, words,
				       sizeof(words));
	if (errors)
		cli_exit_reason("saved '%s', but %s", out,
				smd_errors_reason(f, b->nfiles, reason,
						  sizeof(reason)));
	else if (mark)
		cli_exit_reason("saved '%s', but %s", out, words);
	if (json) {
		json_t *files = json_array();

		for (size_t i = 0; i < b->nfiles; i++)
			json_array_append_new(files, saved_file_json(&b->files[i],
								     &f[i]));
		report_json_emit(json_pack(
			"{s:s,s:s,s:o,s:o,s:o,s:o,s:s,s:I,s:o,s:o,s:o,s:I,s:I,"
			"s:o}", "command", "smd save",
			"result", errors || mark ? "saved-with-problems"
						 : "saved",
			"bundle", json_str(out), "config", json_str(w->config),
			"work_directory", json_str(w->work_directory),
			"smd_directory", json_str(w->smd_directory),
			"created_utc", smd_unix_utc(b->created, utc, sizeof(utc)),
			"created_unix_s", (json_int_t)b->created,
			"files", files, "skipped", smd_skipped_json(b),
			"problems", smd_problems_json(f, b->nfiles),
			"errors", (json_int_t)errors,
			"warnings", (json_int_t)smd_warnings(f, b->nfiles),
			"restore_incomplete", json_str(mark)));
		return;
	}
	printf("smd save: %s  from %s (%zu file%s)\n", disp(out),
	       disp(w->smd_directory), b->nfiles, b->nfiles == 1 ? "" : "s");
	for (size_t i = 0; !cli_run.quiet && i < b->nfiles; i++) {
		printf("  %-14s %8zu bytes  %04o %s:%s  %zu items  %s\n",
		       b->files[i].name, b->files[i].size, b->files[i].mode,
		       disp(b->files[i].owner ? b->files[i].owner : "?"),
		       disp(b->files[i].group ? b->files[i].group : "?"),
		       f[i].nitems, smd_fate_text(f[i].fate));
		if (b->files[i].link_target)
			printf("  %-14s a symbolic link to %s: its target's bytes "
			       "were taken, as asd reads them\n", "",
			       disp(b->files[i].link_target));
	}
	for (size_t i = 0; !cli_run.quiet && i < b->nskipped; i++)
		printf("  not taken: %s (%s)\n", disp(b->skipped[i].name),
		       b->skipped[i].reason);
	smd_problems_text(stdout, f, b->nfiles);
	if (mark)
		printf("WARNING: the bundle holds smd/ as it is, and %s\n",
		       disp(words));
}

static int save(const char *out, const struct smd_where *w, bool json)
{
	struct smd_bundle b = { 0 };
	struct smd_file *f = NULL;
	char why[PATH_MAX + 256], mark[512];
	int ret, marked = 0, status = EXIT_ERROR;

	ret = smd_dir_read(w->smd_directory, &b, NULL, why, sizeof(why));
	if (ret == -ENOENT && !strncmp(why, "cannot open directory", 21))
		cli_error("no SMD directory '%s' (asd refuses to start without "
			  "one; is the work directory right? see --work-dir, "
			  "--config)", w->smd_directory);
	else if (ret < 0)
		cli_error("%s", why);
	if (ret < 0 || smd_bundle_stamp(&b, w) < 0 || smd_parse_all(&b, &f) < 0 ||
	    check_output(out, w, &b) < 0 ||
	    (marked = smd_restore_mark(w->smd_directory, mark, sizeof(mark))) < 0)
		goto out;
	if (cli_interrupted)
		goto out;	/* nothing written: the run ends as interrupted */
	ret = smd_bundle_write(out, &b, why, sizeof(why));
	if (ret < 0) {
		cli_error("cannot write bundle '%s': %s", out, why);
		goto out;
	}
	save_report(out, w, &b, f, marked ? mark : NULL, json);
	status = smd_errors(f, b.nfiles) || marked ? EXIT_DIFFER : EXIT_MATCH;
out:
	smd_files_release(f, b.nfiles);
	smd_bundle_release(&b);
	return status;
}

enum { OPT_WORK_DIR = OPT_FIRST_PRIVATE, OPT_CONFIG };

int cmd_smd_save(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "work-dir", required_argument, NULL, OPT_WORK_DIR },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const char *work_dir = NULL, *config = NULL, *out = NULL;
	struct smd_where w;
	int opt, status;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
		if (opt == 'h' || opt == OPT_HELP) {
			fputs(save_usage, stdout);
			return EXIT_MATCH;
		}
		if (opt == '?' || opt == ':') {
			cli_option_error("smd save", opt, argv);
			return EXIT_ERROR;
		}
		if (opt == OPT_WORK_DIR)
			work_dir = optarg;
		else if (opt == OPT_CONFIG)
			config = optarg;
		else if (opt == 'o')
			out = optarg;
	}
	if (argc != optind) {
		cli_error("smd save: unexpected argument '%s' (see 'shadowsync "
			  "smd save --help')", argv[optind]);
		return EXIT_ERROR;
	}
	if (!out) {
		cli_error("smd save: -o BUNDLE is required");
		return EXIT_ERROR;
	}
	if (smd_where_resolve(&w, work_dir, config) < 0)
		return EXIT_ERROR;
	status = save(out, &w, cli_run.json);
	smd_where_release(&w);
	return status;
}
