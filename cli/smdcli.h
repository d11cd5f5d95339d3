/*
 * smdcli.h - what the `shadowsync smd` subcommands share: where this
 * node's SMD is, parsing a bundle's files, and the words and JSON for
 * problems and bundles.
 */
#ifndef SHADOWSYNC_SMDCLI_H
#define SHADOWSYNC_SMDCLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "../aerospike/smd.h"
#include "../aerospike/smdbundle.h"

#define SMD_DEFAULT_WORK_DIR	"/opt/aerospike"
#define SMD_DEFAULT_LUA_PATH	"/opt/aerospike/usr/udf/lua"

/* The subcommands (cmd_smd.c dispatches). */
int cmd_smd_save(int argc, char **argv);
int cmd_smd_show(int argc, char **argv);
int cmd_smd_check(int argc, char **argv);
int cmd_smd_restore(int argc, char **argv);

/* Where this node's SMD is, and what asd's conf says about its files. */
struct smd_where {
	const char *config;	/* --config, or NULL */
	char *work_directory;
	char *smd_directory;	/* work_directory/smd */
	char *lua_user_path;	/* NULL: not known (--work-dir alone) */
	char *pidfile;		/* the conf's, or NULL */
	char *user;		/* the conf's service { user, group } */
	char *group;
	bool os_group_perms;
};

/*
 * smd_where_resolve() - --work-dir DIR, or --config FILE's service {
 * work-directory } and mod-lua { user-path }, or asd's defaults. Prints
 * the error line; returns 0 or -1.
 */
int smd_where_resolve(struct smd_where *w, const char *work_dir,
		      const char *config);

/*
 * smd_conf_path_absolute() - is path (the conf's "what"; NULL: not set)
 * absolute? A relative one is resolved by asd against its own working
 * directory (/ under systemd; asd never changes it, not even when it
 * daemonizes), which shadowsync cannot know: it is refused rather than
 * resolved against this shell's. smd_where_resolve() checks the
 * work-directory; restore, which makes the Lua user-path, checks that.
 * Prints the error line; returns 0 or -1.
 */
int smd_conf_path_absolute(const char *config, const char *what,
			   const char *path);
void smd_where_release(struct smd_where *w);

/*
 * smd_parse_all() - parse every file of b into (*out)[i]. Prints the
 * error line (out of memory); returns 0 or -1.
 */
int smd_parse_all(const struct smd_bundle *b, struct smd_file **out);
void smd_files_release(struct smd_file *f, size_t n);

/* Errors and warnings over n files. */
size_t smd_errors(const struct smd_file *f, size_t n);
size_t smd_warnings(const struct smd_file *f, size_t n);

/*
 * smd_errors_reason() - "asd would not load sindex.smd as it is: 3
 * errors, the first: sindex.smd item 2 (key 'k'): ..." for the n files
 * (some with errors) into buf. Returns buf.
 */
const char *smd_errors_reason(const struct smd_file *f, size_t n, char *buf,
			      size_t len);

/* {"file","item","key","severity","code","message"} */
json_t *smd_problem_json(const struct smd_file *f, const struct smd_problem *p);

/* [every problem of the n files] */
json_t *smd_problems_json(const struct smd_file *f, size_t n);

/* "sindex.smd item 3 (key 'ns1|s1|b|.|B'): message" into buf. */
const char *smd_problem_words(const struct smd_file *f,
			      const struct smd_problem *p, char *buf,
			      size_t len);

/* Every problem as a text line ("  ERROR sindex.smd item 3 ..."). */
void smd_problems_text(FILE *out, const struct smd_file *f, size_t n);

/* {"path","host","work_directory","created_utc","created_unix_s",...} */
json_t *smd_bundle_info_json(const char *path, const struct smd_bundle *b);

/* [{"name","reason"}] of what was left out */
json_t *smd_skipped_json(const struct smd_bundle *b);

/* "2025-09-10T12:34:56Z" for Unix seconds. */
const char *smd_unix_utc(int64_t t, char *buf, size_t len);

/*
 * smd_open_source() - a bundle file, or an SMD directory (DIR itself,
 * or DIR/smd when DIR is a work directory), read into b. *is_dir and
 * dir_used (the directory read, len bytes) say which. Prints the error
 * line; returns 0 or -1.
 */
int smd_open_source(const char *path, struct smd_bundle *b, bool *is_dir,
		    char *dir_used, size_t len);

/*
 * smd_restore_mark() - is an smd restore into the SMD directory dir
 * unfinished (its SMD_RESTORE_MARK there)? 1 with the mark's line in
 * note, 0 when not (dir NULL: a bundle, never), -1 with the error line
 * printed when it cannot tell.
 */
int smd_restore_mark(const char *dir, char *note, size_t len);

/* The words for it: "an smd restore into DIR did not finish (NOTE): ...". */
const char *smd_restore_mark_words(const char *dir, const char *note,
				   char *buf, size_t len);

/*
 * smd_bundle_stamp() - b's host (this node), work and SMD directories
 * (w's), creator and creation time (now). Prints the error line; returns
 * 0 or -1.
 */
int smd_bundle_stamp(struct smd_bundle *b, const struct smd_where *w);

#endif
