/*
 * aeroconf.h - the parts of aerospike.conf that name device pairs: every
 * `storage-engine device { device LOCAL SHADOW | file LOCAL SHADOW }` of
 * every namespace, with filesize and write-block-size, and its sets'
 * `disable-eviction`; and what restoring
 * SMD needs from the top-level `service { }` and `mod-lua { }` contexts.
 * Everything else is skipped, not judged.
 */
#ifndef SHADOWSYNC_AEROCONF_H
#define SHADOWSYNC_AEROCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf_device {
	char *local;
	char *shadow;		/* NULL: no shadow */
	bool is_file;		/* `file` rather than `device` */
	unsigned line;
};

/* `set NAME { ... }` inside a namespace: what the cold start reads. */
struct conf_set {
	char *name;
	bool disable_eviction;	/* `disable-eviction true`: its records
				 * are never evicted (drv_is_set_evictable) */
};

struct conf_namespace {
	char *name;
	unsigned line;
	struct conf_device *dev;
	size_t ndev;
	uint64_t filesize;		/* 0: not set */
	uint32_t write_block_size;	/* 0: not set (servers before 7.1) */
	struct conf_set *sets;		/* each name once, conf order */
	size_t nsets;
};

/*
 * From `service { work-directory, pidfile, user, group, os-group-perms }`
 * and `mod-lua { user-path }`. NULL (false) when the conf does not say:
 * asd's defaults then apply (work-directory /opt/aerospike, user-path
 * /opt/aerospike/usr/udf/lua, no pidfile, root, files 0600).
 */
struct conf_service {
	char *work_directory;
	char *pidfile;
	char *user;
	char *group;
	bool os_group_perms;	/* `os-group-perms true`: files 0660 */
	char *lua_user_path;
};

struct aero_conf {
	struct conf_namespace *ns;
	size_t nns;
	struct conf_service service;
};

/* Bounds of what is read as an aerospike.conf (real ones are a few KiB). */
#define AERO_CONF_MAX_BYTES	(1u << 20)
#define AERO_CONF_MAX_LINE	4096u

/*
 * aero_conf_load() - parse path: a regular file of at most
 * AERO_CONF_MAX_BYTES, lines of at most AERO_CONF_MAX_LINE bytes, no NUL. On a malformed file, or a namespace
 * that gives shadows to some devices and not others, returns -EINVAL
 * with one line in err: "FILE:LINE: what was expected". Other -errno:
 * the file could not be read (err says so too).
 */
int aero_conf_load(const char *path, struct aero_conf *c, char *err,
		   size_t errlen);

void aero_conf_release(struct aero_conf *c);

#endif
