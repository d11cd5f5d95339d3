/*
 * smdrestore.c - the safety checks and the run of `smd restore`
 * (smdrestore.h).
 */
#include "smdrestore.h"
#include "cli.h"
#include "display.h"
#include "outcome.h"
#include "outpath.h"
#include "report.h"
#include "../engine/outfile.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* /proc/PID/comm without its newline; "" when it cannot be read. */
static void proc_comm(long pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* The pid of a process named asd, 0 if none, -errno if /proc fails. */
static long find_asd(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	long found = 0;

	if (!d)
		return -errno;
	while (!found && (e = readdir(d))) {
		char comm[64];
		long pid;

		if (!all_digits(e->d_name))
			continue;
		pid = strtol(e->d_name, NULL, 10);
		if (pid == (long)getpid())
			continue;
		proc_comm(pid, comm, sizeof(comm));
		if (!strcmp(comm, "asd"))
			found = pid;
	}
	closedir(d);
	return found;
}

/* The state letter of /proc/PID/stat ('R', 'S', 'Z', ...), or '?'. */
static char proc_state(long pid)
{
	char path[64], buf[512], *paren;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "PID (COMM) S ...": COMM may hold ") ", so the last ')'. */
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' && paren[2] ? paren[2] : '?';
}

/*
 * A pid as a pidfile may hold it: asd writes "%u\n"; what a shell or
 * strtol reads as a number is taken too (leading white space, a '+'),
 * with nothing but white space after it. 0 with *pid, or -1.
 */
static int parse_pid(const char *s, long *pid)
{
	const long max = 4194304;	/* PID_MAX_LIMIT */
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '+')
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*pid = strtol(s, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	return errno || *end || *pid <= 0 || *pid > max ? -1 : 0;
}

/*
 * What the conf's pidfile says: 0 with *pid 0 (no pidfile configured,
 * none there, or its process is gone), 0 with *pid > 0 (a process that
 * exists, maybe a zombie), or -1 with why: it cannot tell (the file
 * cannot be read, is no regular file, holds no pid, is a relative path).
 */
static int pidfile_pid(const char *pidfile, long *pid, char *why, size_t len)
{
	char buf[64], shown[40];
	struct stat st;
	ssize_t n;
	int fd;

	*pid = 0;
	if (!pidfile)
		return 0;
	if (pidfile[0] != '/') {
		snprintf(why, len, "is a relative path: asd opens it from its own "
			 "working directory (/ under systemd), which shadowsync "
			 "cannot know; give the conf an absolute pidfile");
		return -1;
	}
	fd = open(pidfile, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(why, len, "cannot be read: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(why, len, "is %s, not a file holding a pid: remove it "
			 "if it is stale", S_ISDIR(st.st_mode) ? "a directory"
			 : S_ISFIFO(st.st_mode) ? "a FIFO" : "no regular file");
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		snprintf(why, len, "cannot be read: %s", strerror(errno));
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	if (n == 0 || (size_t)n != strlen(buf) || parse_pid(buf, pid) < 0) {
		*pid = 0;
		snprintf(shown, sizeof(shown), "%.*s", (int)strcspn(buf, "\n"),
			 buf);
		snprintf(why, len, "%s%s%s: remove it if it is stale",
			 n ? "holds no process id ('" : "is empty",
			 n ? disp(shown) : "", n ? "')" : "");
		return -1;
	}
	if (*pid == (long)getpid()) {
		*pid = 0;	/* this run: a pid reused since asd stopped */
		return 0;
	}
	if (kill((pid_t)*pid, 0) == 0 || errno == EPERM)
		return 0;
	if (errno == ESRCH) {
		*pid = 0;	/* stale: asd stopped without removing it */
		return 0;
	}
	snprintf(why, len, "names process %ld, which cannot be checked: %s",
		 *pid, strerror(errno));
	return -1;
}

int smd_refuse_if_asd_runs(const struct smd_where *w)
{
	long pid = find_asd();
	char comm[64], why[PATH_MAX + 160];

	if (pid < 0) {
		cli_error("smd restore: cannot tell whether asd runs: cannot read "
			  "/proc: %s", strerror((int)-pid));
		return -1;
	}
	if (pid > 0) {
		cli_error("smd restore: asd is running on this node (pid %ld): "
			  "stop it first (asd reads SMD only at startup and "
			  "overwrites it at its next commit)", pid);
		return -1;
	}
	if (pidfile_pid(w->pidfile, &pid, why, sizeof(why)) < 0) {
		cli_error("smd restore: cannot tell whether asd runs: the conf's "
			  "pidfile '%s' %s", w->pidfile, why);
		return -1;
	}
	if (pid == 0)
		return 0;
	proc_comm(pid, comm, sizeof(comm));
	if (proc_state(pid) == 'Z')
		cli_error("smd restore: the pidfile '%s' names process %ld (%s), "
			  "a zombie: it has exited but its parent has not reaped "
			  "it; wait for that (asd may be stopping), or remove the "
			  "pidfile if it is stale", w->pidfile, pid,
			  comm[0] ? comm : "?");
	else
		cli_error("smd restore: the pidfile '%s' names a live process, "
			  "%ld (%s): stop asd first, or remove the pidfile if it "
			  "is stale", w->pidfile, pid, comm[0] ? comm : "?");
	return -1;
}

static int add_string(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv || !(nv[*n] = strdup(s))) {
		if (nv)
			*v = nv;
		return -ENOMEM;
	}
	*v = nv;
	(*n)++;
	return 0;
}

/* One missing directory: made, noted, owned (the leaf), durable. */
static int make_one(struct smd_restore *r, const char *p, bool leaf)
{
	int ret;

	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		return -errno;
	ret = add_string(&r->created, &r->ncreated, p);
	if (!ret && leaf && r->owner.set &&
	    chown(p, r->owner.uid, r->owner.gid) < 0)
		ret = -errno;
	return ret ? ret : outfile_fsync_parent(p);
}

/*
 * Is p a symbolic link to nothing? Then say so: asd would follow it to
 * nowhere, and making its target here would put SMD where nobody asked
 * (the link may name a volume not mounted yet).
 */
static bool dangling_link(const char *p)
{
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (lstat(p, &st) < 0 || !S_ISLNK(st.st_mode))
		return false;
	n = readlink(p, target, sizeof(target) - 1);
	target[n < 0 ? 0 : n] = '\0';
	cli_error("smd restore: '%s' is a dangling symbolic link to '%s': "
		  "make its target, or remove the link, and run again", p,
		  disp(target));
	return true;
}

/*
 * path as a directory, made with its missing parents (0755); the leaf,
 * when made here, is given the owner (asd writes into it). Prints the
 * error line.
 */
static int make_dir(struct smd_restore *r, const char *path)
{
	char *p = strdup(path);
	struct stat st;
	int ret = 0;

	if (!p) {
		cli_error("out of memory");
		return -1;
	}
	for (char *s = p + 1;; s++) {
		bool leaf = !*s;

		if (!leaf && *s != '/')
			continue;
		*s = '\0';
		if (stat(p, &st) == 0)
			ret = S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
		else if (errno == ENOENT && dangling_link(p))
			ret = -ELOOP;	/* said by dangling_link */
		else
			ret = errno == ENOENT ? make_one(r, p, leaf) : -errno;
		if (ret < 0 || leaf)
			break;
		*s = '/';
	}
	if (ret == -ENOTDIR)
		cli_error("smd restore: cannot make directory '%s': it exists and "
			  "is not a directory", p);
	else if (ret < 0 && ret != -ELOOP)
		cli_error("smd restore: cannot make directory '%s': %s", p,
			  strerror(-ret));
	free(p);
	return ret < 0 ? -1 : 0;
}

/* asd's later commits fail, with warnings only, in a smd/ it cannot
 * write (2.4, 5.6): say so. */
static void check_writable(struct smd_restore *r)
{
	struct stat st;
	bool ok;
	char msg[PATH_MAX + 160];

	if (!r->owner.set || r->owner.uid == 0 ||
	    fstat(r->dirfd, &st) < 0)
		return;
	ok = (st.st_uid == r->owner.uid && (st.st_mode & S_IWUSR)) ||
	     (st.st_gid == r->owner.gid && (st.st_mode & S_IWGRP)) ||
	     (st.st_mode & S_IWOTH);
	if (ok)
		return;
	snprintf(msg, sizeof(msg), "'%s' is not writable by uid %u: asd's "
		 "later commits would fail with warnings only",
		 r->where->smd_directory, (unsigned)r->owner.uid);
	add_string(&r->warnings, &r->nwarnings, msg);
}

static int open_and_lock(struct smd_restore *r)
{
	r->dirfd = open(r->where->smd_directory,
			O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->dirfd < 0) {
		cli_error("smd restore: cannot open '%s': %s",
			  r->where->smd_directory, strerror(errno));
		return -1;
	}
	r->dir_open = true;
	if (flock(r->dirfd, LOCK_EX | LOCK_NB) < 0) {
		cli_error("smd restore: '%s' is locked by another shadowsync smd "
			  "restore (%s)", r->where->smd_directory,
			  strerror(errno));
		return -1;
	}
	return 0;
}

/* Read smd/ as it is, plan, and refuse a replacement without --force. */
static int prepare(struct smd_restore *r)
{
	char why[PATH_MAX + 256], names[512] = "";
	size_t replaced = 0;
	int ret;

	if (open_and_lock(r) < 0)
		return -1;
	ret = smd_restore_mark_read(r->where->smd_directory, r->mark_note,
				    sizeof(r->mark_note));
	if (ret < 0) {
		cli_error("smd restore: cannot read '%s/%s': %s",
			  r->where->smd_directory, SMD_RESTORE_MARK,
			  strerror(-ret));
		return -1;
	}
	r->had_mark = ret > 0;
	check_writable(r);
	if (smd_dir_read(r->where->smd_directory, &r->have, &r->extra, why,
			 sizeof(why)) < 0 ||
	    smd_plan(r->where->smd_directory, &r->want, &r->have, &r->extra,
		     r->mode, &r->owner, &r->steps, &r->nsteps, why,
		     sizeof(why)) < 0) {
		cli_error("smd restore: %s", why);
		return -1;
	}
	for (size_t i = 0; i < r->nsteps; i++) {
		const struct smd_step *st = &r->steps[i];

		if (!st->replaces_content)
			continue;
		if (replaced++ < 4)
			snprintf(names + strlen(names), sizeof(names) - strlen(names),
				 "%s%s %s", replaced > 1 ? ", " : "", st->name,
				 st->action == SMD_REMOVE ? "removed" : "replaced");
	}
	if (replaced && !r->force) {
		cli_error("smd restore: '%s' holds SMD that differs from the bundle "
			  "(%s%s); give --force to replace it (it is saved beside "
			  "smd/ as a bundle first)%s%s%s", r->where->smd_directory,
			  names, replaced > 4 ? ", ..." : "", r->had_mark
			  ? "; an earlier restore into it did not finish, so it "
			    "may hold a mix (" : "", r->had_mark
			  ? disp(r->mark_note) : "", r->had_mark ? ")" : "");
		return -1;
	}
	return 0;
}

/* The SMD about to be replaced, saved beside smd/ before any change. */
static int save_replaced(struct smd_restore *r)
{
	char stamp[32], path[PATH_MAX], why[PATH_MAX + 128];
	time_t now = time(NULL);
	struct stat st;
	struct tm tm;
	int ret;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (unsigned k = 0; k < 100; k++) {
		snprintf(path, sizeof(path), "%s/smd-replaced-%s%s%.0u.tar",
			 r->where->work_directory, stamp, k ? "-" : "", k);
		if (lstat(path, &st) < 0 && errno == ENOENT)
			break;
	}
	if (output_path_check(path, (const char *const[]){ r->bundle_path,
			      r->where->config }, r->where->config ? 2 : 1,
			      why, sizeof(why)) < 0) {
		cli_error("smd restore: cannot save the replaced SMD to '%s': %s",
			  path, why);
		return -1;
	}
	if (smd_bundle_stamp(&r->have, r->where) < 0)
		return -1;
	ret = smd_bundle_write(path, &r->have, why, sizeof(why));
	if (ret < 0) {
		cli_error("smd restore: cannot save the replaced SMD to '%s': %s",
			  path, why);
		return -1;
	}
	r->backup = strdup(path);
	return 0;
}

static bool writes(const struct smd_step *st)
{
	return st->action == SMD_INSTALL || st->action == SMD_REPLACE ||
	       st->copy;
}

static void unstage_from(struct smd_restore *r, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (writes(&r->steps[i]))
			smd_unstage(r->dirfd, r->steps[i].name);
}

/*
 * Mark smd/ as being restored, durably (smd_write_atomic fsyncs the mark
 * and the directory), before the first name changes: a kill or a power
 * cut from here on leaves the mark beside the mix of old and new files.
 */
static int mark_begin(struct smd_restore *r)
{
	char note[PATH_MAX + 320], utc[32], began[32];
	int ret;

	/* Line 1 is what smd show, check and save quote. */
	snprintf(note, sizeof(note), "'%s' (saved on %s at %s), begun at %s by "
		 "pid %ld\nshadowsync smd restore: until this file is gone, this "
		 "directory may hold some files from before the restore and some "
		 "from the bundle; run the restore again\n", r->bundle_path,
		 r->want.host ? r->want.host : "?",
		 smd_unix_utc(r->want.created, utc, sizeof(utc)),
		 smd_unix_utc((int64_t)time(NULL), began, sizeof(began)),
		 (long)getpid());
	ret = smd_write_atomic(r->dirfd, SMD_RESTORE_MARK, note, strlen(note),
			       0600, NULL);
	if (ret < 0)
		cli_error("smd restore: cannot write '%s/%s': %s (%s); nothing "
			  "changed", r->where->smd_directory, SMD_RESTORE_MARK,
			  strerror(-ret), errno_name(ret));
	r->marked = ret == 0;
	return ret;
}

/* Every name is right and the directory fsynced: the mark goes. */
static int mark_end(struct smd_restore *r)
{
	int ret = 0;

	if (!r->marked && !r->had_mark)
		return 0;
	if ((unlinkat(r->dirfd, SMD_RESTORE_MARK, 0) < 0 && errno != ENOENT) ||
	    fsync(r->dirfd) < 0)
		ret = -errno;
	if (ret < 0)
		cli_error("smd restore: every file is in place, but '%s/%s' cannot "
			  "be removed: %s (%s)", r->where->smd_directory,
			  SMD_RESTORE_MARK, strerror(-ret), errno_name(ret));
	r->mark_cleared = !ret && r->had_mark;
	return ret;
}

/*
 * Carry the plan out. Every file to write is staged first (written and
 * fsynced under its temporary name), so a full disk, an I/O error or a
 * signal until then changes no name; then the renames, mode and owner
 * fixes and removals, and an fsync of the directory. A kill at any
 * moment leaves every name holding a whole file, the old or the new,
 * and a second run finishes the job.
 */
static int apply(struct smd_restore *r)
{
	bool changing = false;
	size_t i;
	int ret = 0;

	for (i = 0; i < r->nsteps && !ret; i++) {
		const struct smd_step *st = &r->steps[i];

		if (cli_interrupted)
			ret = -ECANCELED;
		else if (writes(st) &&
			 (ret = smd_stage(r->dirfd, st->name, st->file->data,
					  st->file->size, r->mode, &r->owner)) < 0)
			cli_error("smd restore: cannot write '%s/%s': %s (%s); "
				  "nothing changed", r->where->smd_directory,
				  st->name, strerror(-ret), errno_name(ret));
	}
	if (ret < 0) {
		unstage_from(r, 0, i);
		return ret;
	}
	for (i = 0; i < r->nsteps && !changing; i++)
		changing = r->steps[i].action != SMD_KEEP;
	if (changing && (ret = mark_begin(r)) < 0) {
		unstage_from(r, 0, r->nsteps);
		return ret;
	}
	for (i = 0; i < r->nsteps; i++) {
		const struct smd_step *st = &r->steps[i];

		if (st->action == SMD_FIX && !st->copy)
			ret = smd_set_attrs(r->dirfd, st->name, r->mode, &r->owner);
		else if (writes(st))
			ret = smd_commit(r->dirfd, st->name);
		else if (st->action == SMD_REMOVE &&
			 unlinkat(r->dirfd, st->name, st->rmdir ? AT_REMOVEDIR
							       : 0) < 0 &&
			 errno != ENOENT)
			ret = -errno;
		if (ret < 0) {
			cli_error("smd restore: cannot %s '%s/%s': %s (%s)",
				  st->action == SMD_REMOVE ? "remove" : "write",
				  r->where->smd_directory, st->name,
				  strerror(-ret), errno_name(ret));
			unstage_from(r, i, r->nsteps);
			return ret;
		}
		r->done = i + 1;
	}
	if (fsync(r->dirfd) < 0) {
		ret = -errno;
		cli_error("smd restore: cannot fsync '%s': %s (%s)",
			  r->where->smd_directory, strerror(-ret),
			  errno_name(ret));
		return ret;
	}
	return mark_end(r);
}

static size_t changes(const struct smd_restore *r)
{
	size_t n = r->ncreated + r->mark_cleared;

	for (size_t i = 0; i < r->done; i++)
		n += r->steps[i].action != SMD_KEEP;
	return n;
}

static json_t *strings_json(char **v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_str(v[i]));
	return a;
}

static json_t *steps_json(const struct smd_restore *r)
{
	json_t *a = json_array();

	for (size_t i = 0; i < r->nsteps; i++) {
		const struct smd_step *st = &r->steps[i];
		const struct smd_bundle_file *f = smd_bundle_find(&r->want,
								  st->name);

		json_array_append_new(a, json_pack(
			"{s:o,s:s,s:b,s:o,s:o}", "name", json_str(st->name),
			"action", smd_action_name(st->action), "done", i < r->done,
			"size_bytes", f ? json_integer((json_int_t)f->size)
					: json_null(),
			"previous_size_bytes",
			st->action == SMD_INSTALL ? json_null()
			: st->action == SMD_REMOVE || st->action == SMD_REPLACE
			? json_integer((json_int_t)st->old_size_bytes)
			: json_integer((json_int_t)(f ? f->size : 0))));
	}
	return a;
}

static void report_text(const struct smd_restore *r, const char *result)
{
	const struct smd_where *w = r->where;

	printf("smd restore: %s -> %s (owner %u:%u, mode %04o)\n",
	       disp(r->bundle_path), disp(w->smd_directory),
	       (unsigned)r->owner.uid, (unsigned)r->owner.gid,
	       (unsigned)r->mode);
	for (size_t i = 0; !cli_run.quiet && i < r->ncreated; i++)
		printf("  created          %s\n", disp(r->created[i]));
	for (size_t i = 0; !cli_run.quiet && i < r->nsteps; i++)
		printf("  %-16s %s%s%s\n", smd_action_name(r->steps[i].action),
		       disp(r->steps[i].name), r->steps[i].copy
		       ? "  (on a copy: the file has other hard links, left "
			 "as they were)" : "", i < r->done ? "" : "  (not done)");
	if (!w->lua_user_path)
		printf("  the Lua user-path is not known with --work-dir: give "
		       "--config to have it made\n");
	if (r->had_mark)
		printf("  an earlier restore into %s did not finish (%s): %s\n",
		       disp(w->smd_directory), disp(r->mark_note),
		       r->mark_cleared ? "finished now, its mark removed"
				       : "its mark is still there");
	if (r->backup)
		printf("  the replaced SMD is saved in %s\n", disp(r->backup));
	for (size_t i = 0; i < r->nwarnings; i++)
		printf("WARNING: %s\n", disp(r->warnings[i]));
	printf("%s: %zu change%s\n", result, changes(r),
	       changes(r) == 1 ? "" : "s");
}

static void report(const struct smd_restore *r, const char *result)
{
	const struct smd_where *w = r->where;
	char mode[8];

	if (!cli_run.json) {
		report_text(r, result);
		return;
	}
	snprintf(mode, sizeof(mode), "%04o", (unsigned)r->mode);
	report_json_emit(json_pack(
		"{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:{s:I,s:I},s:s,s:o,s:o,s:o,s:I,s:o,"
		"s:b}",
		"command", "smd restore", "result", result,
		"bundle", smd_bundle_info_json(r->bundle_path, &r->want),
		"config", json_str(w->config),
		"work_directory", json_str(w->work_directory),
		"smd_directory", json_str(w->smd_directory),
		"lua_user_path", json_str(w->lua_user_path),
		"owner", "uid", (json_int_t)r->owner.uid, "gid",
		(json_int_t)r->owner.gid, "mode", mode,
		"created_directories", strings_json(r->created, r->ncreated),
		"files", steps_json(r), "backup", json_str(r->backup),
		"changes", (json_int_t)changes(r),
		"warnings", strings_json(r->warnings, r->nwarnings),
		"earlier_restore_incomplete", r->had_mark));
}

int smd_restore_run(struct smd_restore *r)
{
	const struct smd_where *w = r->where;
	struct stat st;
	bool existed = stat(w->smd_directory, &st) == 0;
	bool replaces = false;
	int ret;

	/* Refusals first: nothing is made before they are known. */
	if (existed && prepare(r) < 0)
		return EXIT_ERROR;
	if (make_dir(r, w->work_directory) < 0 ||
	    make_dir(r, w->smd_directory) < 0 ||
	    (w->lua_user_path && make_dir(r, w->lua_user_path) < 0))
		return EXIT_ERROR;
	if (!existed && prepare(r) < 0)
		return EXIT_ERROR;
	for (size_t i = 0; i < r->nsteps; i++)
		replaces |= r->steps[i].replaces_content;
	if (replaces && save_replaced(r) < 0)
		return EXIT_ERROR;
	ret = apply(r);
	if (ret == -ECANCELED) {
		cli_error("smd restore: interrupted before any file of '%s' was "
			  "changed; run it again", w->smd_directory);
		report(r, "interrupted");
		return EXIT_ERROR;
	}
	if (ret < 0) {
		report(r, "failed");
		return EXIT_ERROR;
	}
	report(r, changes(r) ? "restored" : "unchanged");
	return EXIT_MATCH;
}

int smd_restore_warn(struct smd_restore *r, const char *msg)
{
	return add_string(&r->warnings, &r->nwarnings, msg);
}

void smd_restore_release(struct smd_restore *r)
{
	if (r->dir_open)
		close(r->dirfd);
	smd_bundle_release(&r->want);
	smd_bundle_release(&r->have);
	smd_dir_extra_release(&r->extra);
	free(r->steps);
	for (size_t i = 0; i < r->ncreated; i++)
		free(r->created[i]);
	free(r->created);
	for (size_t i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	free(r->warnings);
	free(r->backup);
	memset(r, 0, sizeof(*r));
}
