/*
 * cmd_smd_restore.c - `shadowsync smd restore BUNDLE`: make this node's
 * SMD directory hold exactly the bundle's files, as a restore must
 * (AEROSPIKE-SMD.md 5): only while asd is stopped, every file valid for
 * asd first, the directories asd checks for at startup created, each
 * file written unchanged and durably (temporary file, fsync, rename,
 * fsync of the directory) with asd's mode and owner, extra *.smd and
 * *.smd.save removed, and SMD that differs replaced only with --force
 * after it is saved beside smd/ as a bundle.
 */
#include "cli.h"
#include "display.h"
#include "outcome.h"
#include "report.h"
#include "smdcli.h"
#include "smdrestore.h"
#include "../aerospike/smddir.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char restore_usage[] =
	"usage: shadowsync smd restore BUNDLE [--work-dir DIR | --config FILE]\n"
	"                              [--owner USER[:GROUP]] [--force] [options]\n"
	"\n"
	"Make this node's SMD directory (<work-directory>/smd) hold exactly\n"
	"BUNDLE's files. Refused while asd runs on this node (a process named\n"
	"asd, or the conf's pidfile naming a process that exists, a zombie\n"
	"too), and when it cannot tell (a pidfile that cannot be read, is a\n"
	"directory, holds no pid, or is a relative path): asd reads SMD only\n"
	"at startup and overwrites it later. Every file of BUNDLE is checked\n"
	"first: a bundle with a file asd would abort on, start empty from, or\n"
	"misread is refused, naming the file and item. Creates the work\n"
	"directory, smd/ and the Lua user-path when missing (asd refuses to\n"
	"start without them; a dangling link in the way is refused, naming\n"
	"its target). Existing non-empty SMD that differs is replaced\n"
	"only with --force, after it is saved beside smd/ as a bundle; what a\n"
	"bundle cannot hold is never removed: a *.smd that is no regular file,\n"
	"or a non-empty one under a name no bundle takes (a space, non-ASCII, a\n"
	"leading dot, over 128 bytes), is refused, to be moved by hand. Every\n"
	"file is first staged unchanged under a temporary name, with mode 0600\n"
	"(0660 with the conf's os-group-perms true) and the owner asd runs as,\n"
	"and fsynced; then each is renamed into place, every other *.smd and\n"
	"*.smd.save removed, symbolic links replaced by regular files (never\n"
	"written through), owner and mode fixed on a copy when the file has\n"
	"other hard links (never through them), and the directory fsynced. A\n"
	"full disk while staging changes nothing; after a kill every name\n"
	"holds its old or its new file and a second run finishes. From before\n"
	"the first rename until after the last fsync, the mark\n"
	"smd/.shadowsync-restore-incomplete says the restore is under way\n"
	"(smd check, show and save, and verify --gate --config report it).\n"
	"Run twice, the second run changes nothing.\n"
	"\n"
	"options:\n"
	"  --work-dir DIR      the work directory (default: the conf's\n"
	"                      service { work-directory }, else /opt/aerospike);\n"
	"                      the Lua user-path is then not known, not created\n"
	"  --config FILE       aerospike.conf: work-directory, mod-lua user-path,\n"
	"                      pidfile (absolute paths: asd resolves relative\n"
	"                      ones from its own working directory), user,\n"
	"                      group, os-group-perms\n"
	"  --owner USER[:GROUP]  who asd runs as (default: the conf's user and\n"
	"                      group, else root); a name, or decimal digits\n"
	"                      below 4294967295 (an id with no name here is\n"
	"                      taken, with a warning; a uid with no user needs\n"
	"                      its :GROUP)\n"
	"  --force             replace existing SMD that differs (saved first)\n"
	HELP_COMMON
	HELP_EXIT("restored, or nothing to change", "(not used: restore succeeds or fails)");

/*
 * A numeric id as chown(1) takes one: decimal digits only (no blank, no
 * sign), below 4294967295, which is (uid_t)-1: "leave unchanged" to
 * chown(2). An id no user or group has here is taken: asd may run as one
 * (a container's uid), and chown takes it too. 0 with *id, or -1.
 */
static int numeric_id(const char *s, uint32_t *id)
{
	unsigned long long n = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		n = n * 10 + (unsigned long long)(*s - '0');
		if (n >= UINT32_MAX)
			return -1;
	}
	*id = (uint32_t)n;
	return 0;
}

/* --owner, else the conf's user/group, else root (2.4). */
static int resolve_owner(const char *spec, const struct smd_where *w,
			 struct smd_owner *o, char *note, size_t len)
{
	char user[256] = "", group[256] = "", buf[4096];
	const char *colon, *from = spec ? " (--owner)" : " (the conf's service "
						       "{ user })";
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	uint32_t id;

	note[0] = '\0';
	if (spec) {
		colon = strchr(spec, ':');
		snprintf(user, sizeof(user), "%.*s", colon ? (int)(colon - spec)
			 : (int)strlen(spec), spec);
		if (colon)
			snprintf(group, sizeof(group), "%s", colon + 1);
	} else {
		snprintf(user, sizeof(user), "%s", w->user ? w->user : "root");
		snprintf(group, sizeof(group), "%s", w->group ? w->group : "");
	}
	o->set = true;
	if (!getpwnam_r(user, &pw, buf, sizeof(buf), &pwp) && pwp) {
		o->uid = pwp->pw_uid;
		o->gid = pwp->pw_gid;
	} else if (numeric_id(user, &id) < 0) {
		cli_error("smd restore: no user '%s' on this node%s, and it is "
			  "no uid (decimal digits, below 4294967295)", disp(user),
			  from);
		return -1;
	} else {
		o->uid = id;
		if (!getpwuid_r(id, &pw, buf, sizeof(buf), &pwp) && pwp) {
			o->gid = pwp->pw_gid;
		} else if (!group[0]) {
			cli_error("smd restore: uid %u has no user on this node, "
				  "so no primary group: give one (--owner "
				  "%u:GROUP)", id, id);
			return -1;
		} else {
			snprintf(note, len, "uid %u has no user on this node", id);
		}
	}
	if (!group[0])
		return 0;
	if (!getgrnam_r(group, &gr, buf, sizeof(buf), &grp) && grp) {
		o->gid = grp->gr_gid;
	} else if (numeric_id(group, &id) < 0) {
		cli_error("smd restore: no group '%s' on this node, and it is no "
			  "gid (decimal digits, below 4294967295)", disp(group));
		return -1;
	} else {
		o->gid = id;
		if (getgrgid_r(id, &gr, buf, sizeof(buf), &grp) || !grp)
			snprintf(note + strlen(note), len - strlen(note),
				 "%sgid %u has no group on this node",
				 note[0] ? ", " : "", id);
	}
	return 0;
}

/* Refused, with every problem that makes the bundle unsafe to restore. */
static int refuse_invalid(const char *path, const struct smd_bundle *b,
			  const struct smd_file *f)
{
	char words[2048];
	size_t errors = smd_errors(f, b->nfiles);

	for (size_t i = 0; i < b->nfiles; i++)
		for (size_t k = 0; k < f[i].nproblems; k++) {
			if (f[i].problems[k].severity != SMD_ERROR)
				continue;
			cli_error("bundle '%s' is refused: %s%s", path,
				  smd_problem_words(&f[i], &f[i].problems[k],
						    words, sizeof(words)),
				  errors > 1 ? " (and more: see 'shadowsync smd "
					       "show')" : "");
			cli_exit_reason("bundle '%s' is refused: %zu error%s (%s)",
					path, errors, errors == 1 ? "" : "s",
					words);
			i = b->nfiles;
			break;
		}
	if (cli_run.json)
		report_json_emit(json_pack(
			"{s:s,s:s,s:o,s:o,s:I}", "command", "smd restore",
			"result", "refused", "bundle",
			smd_bundle_info_json(path, b), "problems",
			smd_problems_json(f, b->nfiles), "errors",
			(json_int_t)errors));
	else
		smd_problems_text(stdout, f, b->nfiles);
	return EXIT_ERROR;
}

static int restore(const char *path, const struct smd_where *w,
		   const struct smd_owner *owner, const char *owner_note,
		   bool force)
{
	struct smd_restore r = { .bundle_path = path, .where = w,
				 .owner = *owner, .force = force,
				 .mode = w->os_group_perms ? 0660 : 0600 };
	struct smd_file *f = NULL;
	char why[PATH_MAX + 256], dir[PATH_MAX];
	int status = EXIT_ERROR;
	bool is_dir;

	if (smd_refuse_if_asd_runs(w) < 0)
		return EXIT_ERROR;
	if (owner_note[0] && smd_restore_warn(&r, owner_note) < 0) {
		cli_error("out of memory");
		goto out;
	}
	if (smd_source_read(path, &r.want, &is_dir, dir, sizeof(dir), why,
			    sizeof(why)) < 0) {
		cli_error("%s", why);
		goto out;
	}
	if (is_dir) {
		cli_error("smd restore: '%s' is a directory, not a bundle (make "
			  "one with 'shadowsync smd save')", path);
		goto out;
	}
	if (smd_parse_all(&r.want, &f) < 0)
		goto out;
	if (smd_errors(f, r.want.nfiles)) {
		status = refuse_invalid(path, &r.want, f);
		goto out;
	}
	status = smd_restore_run(&r);
out:
	smd_files_release(f, r.want.nfiles);
	smd_restore_release(&r);
	return status;
}

enum { OPT_WORK_DIR = OPT_FIRST_PRIVATE, OPT_CONFIG, OPT_OWNER };

int cmd_smd_restore(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "work-dir", required_argument, NULL, OPT_WORK_DIR },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "owner", required_argument, NULL, OPT_OWNER },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const char *work_dir = NULL, *config = NULL, *owner_spec = NULL;
	char owner_note[160];
	struct smd_owner owner;
	struct smd_where w;
	bool force = false;
	int opt, status;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (opt == 'h' || opt == OPT_HELP) {
			fputs(restore_usage, stdout);
			return EXIT_MATCH;
		}
		if (opt == '?' || opt == ':') {
			cli_option_error("smd restore", opt, argv);
			return EXIT_ERROR;
		}
		if (opt == OPT_WORK_DIR)
			work_dir = optarg;
		else if (opt == OPT_CONFIG)
			config = optarg;
		else if (opt == OPT_OWNER)
			owner_spec = optarg;
		else if (opt == OPT_FORCE)
			force = true;
	}
	if (argc - optind != 1) {
		cli_error("smd restore: expected one BUNDLE, got %d (see "
			  "'shadowsync smd restore --help')", argc - optind);
		return EXIT_ERROR;
	}
	if (smd_where_resolve(&w, work_dir, config) < 0)
		return EXIT_ERROR;
	if (config && smd_conf_path_absolute(config, "mod-lua { user-path }",
					     w.lua_user_path) < 0) {
		smd_where_release(&w);
		return EXIT_ERROR;
	}
	status = resolve_owner(owner_spec, &w, &owner, owner_note,
			       sizeof(owner_note)) < 0
		 ? EXIT_ERROR : restore(argv[optind], &w, &owner, owner_note,
					force);
	smd_where_release(&w);
	return status;
}
