/*
 * smdcli.c - shared by the smd subcommands (smdcli.h).
 */
#include "smdcli.h"
#include "cli.h"
#include "display.h"
#include "../aerospike/smddir.h"
#include "../aerospike/aeroconf.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char *path_join(const char *a, const char *b)
{
	char *s;

	if (asprintf(&s, "%s%s%s", a, a[0] && a[strlen(a) - 1] == '/' ? "" : "/",
		     b) < 0)
		return NULL;
	return s;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int smd_conf_path_absolute(const char *config, const char *what,
			   const char *path)
{
	if (!path || !path[0] || path[0] == '/')
		return 0;
	cli_error("smd: '%s': %s '%s' is a relative path: asd resolves it "
		  "against its own working directory (/ under systemd), which "
		  "shadowsync cannot know; make it absolute in the conf%s",
		  config, what, path, strcmp(what, "service { work-directory }")
		  ? "" : ", or give --work-dir instead of --config");
	return -1;
}

int smd_where_resolve(struct smd_where *w, const char *work_dir,
		      const char *config)
{
	struct aero_conf conf;
	char err[1024];

	memset(w, 0, sizeof(*w));
	w->config = config;
	if (work_dir && config) {
		cli_error("smd: give --work-dir or --config, not both");
		return -1;
	}
	if (config) {
		if (aero_conf_load(config, &conf, err, sizeof(err)) < 0) {
			cli_error("%s", err);
			return -1;
		}
		if (smd_conf_path_absolute(config, "service { work-directory }",
					   conf.service.work_directory) < 0) {
			aero_conf_release(&conf);
			return -1;
		}
		w->work_directory = strdup(conf.service.work_directory
					   ? conf.service.work_directory
					   : SMD_DEFAULT_WORK_DIR);
		w->lua_user_path = strdup(conf.service.lua_user_path
					  ? conf.service.lua_user_path
					  : SMD_DEFAULT_LUA_PATH);
		w->pidfile = dup_or_null(conf.service.pidfile);
		w->user = dup_or_null(conf.service.user);
		w->group = dup_or_null(conf.service.group);
		w->os_group_perms = conf.service.os_group_perms;
		aero_conf_release(&conf);
	} else {
		/* Without a conf asd's defaults; with --work-dir alone the
		 * Lua user-path is not derived from it (4), so unknown. */
		w->work_directory = strdup(work_dir ? work_dir
					   : SMD_DEFAULT_WORK_DIR);
		w->lua_user_path = work_dir ? NULL : strdup(SMD_DEFAULT_LUA_PATH);
	}
	if (w->work_directory && !w->work_directory[0]) {
		cli_error("smd: the work directory is an empty path");
		smd_where_release(w);
		return -1;
	}
	w->smd_directory = w->work_directory ? path_join(w->work_directory, "smd")
					     : NULL;
	if (!w->smd_directory || (!w->lua_user_path && !work_dir)) {
		cli_error("out of memory");
		smd_where_release(w);
		return -1;
	}
	return 0;
}

void smd_where_release(struct smd_where *w)
{
	free(w->work_directory);
	free(w->smd_directory);
	free(w->lua_user_path);
	free(w->pidfile);
	free(w->user);
	free(w->group);
	memset(w, 0, sizeof(*w));
}

int smd_parse_all(const struct smd_bundle *b, struct smd_file **out)
{
	struct smd_file *f = calloc(b->nfiles + 1, sizeof(*f));

	*out = f;
	if (!f) {
		cli_error("out of memory");
		return -1;
	}
	for (size_t i = 0; i < b->nfiles; i++)
		if (smd_parse(b->files[i].name, b->files[i].data,
			      b->files[i].size, &f[i]) < 0) {
			cli_error("out of memory");
			return -1;
		}
	return 0;
}

void smd_files_release(struct smd_file *f, size_t n)
{
	if (!f)
		return;
	for (size_t i = 0; i < n; i++)
		smd_file_release(&f[i]);
	free(f);
}

size_t smd_errors(const struct smd_file *f, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += f[i].errors;
	return k;
}

size_t smd_warnings(const struct smd_file *f, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += f[i].warnings;
	return k;
}

const char *smd_errors_reason(const struct smd_file *f, size_t n, char *buf,
			      size_t len)
{
	const struct smd_file *first = NULL;
	const struct smd_problem *p = NULL;
	size_t o, bad = 0, errors = smd_errors(f, n);
	char words[1024];

	o = (size_t)snprintf(buf, len, "asd would not load ");
	for (size_t i = 0; i < n; i++) {
		if (!f[i].errors)
			continue;
		if (o < len)
			o += (size_t)snprintf(buf + o, len - o, "%s%s",
					      bad++ ? ", " : "", f[i].name);
		for (size_t k = 0; !first && k < f[i].nproblems; k++)
			if (f[i].problems[k].severity == SMD_ERROR) {
				first = &f[i];
				p = &f[i].problems[k];
			}
	}
	if (o < len)
		o += (size_t)snprintf(buf + o, len - o, " as %s: %zu error%s",
				      bad == 1 ? "it is" : "they are", errors,
				      errors == 1 ? "" : "s");
	if (p && o < len)
		snprintf(buf + o, len - o, "%s%s", errors == 1 ? ": " :
			 ", the first: ", smd_problem_words(first, p, words,
							    sizeof(words)));
	return buf;
}

json_t *smd_problem_json(const struct smd_file *f, const struct smd_problem *p)
{
	return json_pack("{s:s,s:o,s:o,s:s,s:s,s:o}", "file", f->name,
			 "item", p->item < 0 ? json_null() : json_integer(p->item),
			 "key", json_str(p->key),
			 "severity", p->severity == SMD_ERROR ? "error" : "warning",
			 "code", p->code, "message", json_str(p->message));
}

json_t *smd_problems_json(const struct smd_file *f, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < f[i].nproblems; k++)
			json_array_append_new(a, smd_problem_json(
				&f[i], &f[i].problems[k]));
	return a;
}

const char *smd_problem_words(const struct smd_file *f,
			      const struct smd_problem *p, char *buf,
			      size_t len)
{
	char item[64] = "";

	if (p->item >= 0)
		snprintf(item, sizeof(item), " item %ld", p->item);
	snprintf(buf, len, "%s%s%s%s%s: %s", f->name, item,
		 p->key ? " (key '" : "", p->key ? p->key : "",
		 p->key ? "')" : "", p->message);
	return buf;
}

void smd_problems_text(FILE *out, const struct smd_file *f, size_t n)
{
	char line[2048];

	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < f[i].nproblems; k++)
			fprintf(out, "  %-7s %s\n",
				f[i].problems[k].severity == SMD_ERROR ? "ERROR"
								       : "warning",
				disp(smd_problem_words(&f[i], &f[i].problems[k],
						       line, sizeof(line))));
		if (f[i].problems_total > f[i].nproblems)
			fprintf(out, "  ... and %zu more problems in %s\n",
				f[i].problems_total - f[i].nproblems, f[i].name);
	}
}

const char *smd_unix_utc(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t < 0 || t > 253402300799ll || !gmtime_r(&tt, &tm))
		snprintf(buf, len, "out-of-range");
	else
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

json_t *smd_bundle_info_json(const char *path, const struct smd_bundle *b)
{
	char utc[32];

	return json_pack("{s:o,s:o,s:o,s:o,s:s,s:I,s:o}",
			 "path", json_str(path), "host", json_str(b->host),
			 "work_directory", json_str(b->work_directory),
			 "smd_directory", json_str(b->smd_directory),
			 "created_utc", smd_unix_utc(b->created, utc, sizeof(utc)),
			 "created_unix_s", (json_int_t)b->created,
			 "created_by", json_str(b->created_by));
}

json_t *smd_skipped_json(const struct smd_bundle *b)
{
	json_t *a = json_array();

	for (size_t i = 0; i < b->nskipped; i++)
		json_array_append_new(a, json_pack(
			"{s:o,s:o}", "name", json_str(b->skipped[i].name),
			"reason", json_str(b->skipped[i].reason)));
	return a;
}

int smd_open_source(const char *path, struct smd_bundle *b, bool *is_dir,
		   char *dir_used, size_t len)
{
	char why[PATH_MAX + 256];
	int ret = smd_source_read(path, b, is_dir, dir_used, len, why,
				  sizeof(why));

	if (ret < 0)
		cli_error("%s", why);
	return ret < 0 ? -1 : 0;
}

int smd_restore_mark(const char *dir, char *note, size_t len)
{
	int ret;

	note[0] = '\0';
	if (!dir)
		return 0;
	ret = smd_restore_mark_read(dir, note, len);
	if (ret < 0) {
		cli_error("cannot tell whether a restore into '%s' finished: "
			  "cannot read '%s/%s': %s", dir, dir, SMD_RESTORE_MARK,
			  strerror(-ret));
		return -1;
	}
	return ret;
}

const char *smd_restore_mark_words(const char *dir, const char *note,
				   char *buf, size_t len)
{
	snprintf(buf, len, "an smd restore into '%s' did not finish (the restore "
		 "of %s): it may hold some files from before it and some from "
		 "its bundle; run that restore again", dir, note);
	return buf;
}

int smd_bundle_stamp(struct smd_bundle *b, const struct smd_where *w)
{
	char host[256] = "";

	free(b->host);
	free(b->work_directory);
	free(b->smd_directory);
	free(b->created_by);
	if (gethostname(host, sizeof(host) - 1) < 0)
		snprintf(host, sizeof(host), "unknown");
	b->host = strdup(host);
	/* As this node names them (a relative --work-dir made absolute). */
	b->work_directory = realpath(w->work_directory, NULL);
	if (!b->work_directory)
		b->work_directory = strdup(w->work_directory);
	b->smd_directory = realpath(w->smd_directory, NULL);
	if (!b->smd_directory)
		b->smd_directory = strdup(w->smd_directory);
	b->created_by = strdup("shadowsync " SHADOWSYNC_VERSION);
	b->created = (int64_t)time(NULL);
	if (!b->host || !b->work_directory || !b->smd_directory ||
	    !b->created_by) {
		cli_error("out of memory");
		return -1;
	}
	return 0;
}
