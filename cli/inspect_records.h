/*
 * inspect_records.h - `shadowsync inspect DEVICE... --records` and
 * `inspect --config CONF --records`: what asd's cold start will load,
 * skip and lose on each device, and with --config each namespace's view
 * (objects after dedup, the consistency of the set of snapshots).
 */
#ifndef SHADOWSYNC_INSPECT_RECORDS_H
#define SHADOWSYNC_INSPECT_RECORDS_H

#include "cli.h"
#include "../engine/device.h"
#include "../aerospike/aeroconf.h"
#include "../aerospike/coldstart.h"
#include "../aerospike/records.h"
#include "../aerospike/smd.h"
#include "../aerospike/smdbundle.h"

struct records_args {
	struct io_opts io;
	const char *config;		/* NULL: the DEVICEs */
	char **devices;
	size_t ndevices;
	double max_skew_s;		/* --max-skew */
	uint64_t index_cap;		/* --memory-index: digest table */
	const char *smd;		/* --smd BUNDLE|DIR, or NULL: the
					 * conf's work directory's smd/ */
};

/* Run it; returns the exit status (0, 1 on a WARNING, 2). */
int inspect_records(const struct records_args *a);

/* Private to inspect_records*.c: the run, its devices and namespaces. */
struct rtarget {
	const char *name;		/* as asd names it: DEVICE, conf local */
	const char *local, *shadow;	/* --config: the pair (shadow may be
					 * NULL) */
	const char *read_path;		/* the copy swept */
	const char *read_role;		/* "device", "local", "shadow" */
	struct device d;		/* read_path */
	bool open;
	unsigned char *region;		/* read_path's header region */
	struct as_header h;		/* decoded */
	const struct as_header *asd_h;	/* the header asd reads */
	unsigned char *asd_region;
	struct as_header other_h;	/* --config: the other side */
	unsigned char *other_region;
	struct cs_result verdict;
	bool has_verdict;
	bool swept;
	struct as_dev_records rec;
	const char *engine;
	double elapsed_s;
	char error[700];
};

/* A truncation of a namespace (truncate.smd), and what comes back. */
struct rtrunc {
	char *set;			/* NULL: the whole namespace */
	uint64_t threshold_lut;		/* ms since 2010 */
	int set_id;			/* in the walk's index; -1: none */
	uint64_t back;			/* objects older than it */
};

/* The SMD read with --config: the work directory's smd/, or --smd. */
struct rsmd {
	bool used;			/* looked for (--config) */
	char *source;			/* the directory or bundle */
	bool bundle;
	bool found;			/* false: no such directory */
	char mark[512];			/* an unfinished smd restore, or "" */
	struct smd_bundle b;
	struct smd_file *files;		/* b's, parsed */
	const struct smd_file *truncate, *evict;	/* NULL: no file */
};

struct rns {
	const char *name;
	size_t first, n;		/* its targets */
	struct as_ownership own;
	struct as_records walk;
	bool walked;		/* false again when a device failed */
	const char *incomplete;	/* the device whose records were not all
				 * read, or NULL */
	bool crash;
	struct cs_result crash_r;
	uint64_t objects;
	uint64_t index_bytes;
	uint64_t sets[256];
	char (*set_names)[64];		/* owned copy of the walk's names */
	unsigned nsets;
	double skew_s;			/* newest LUTs apart */
	size_t newest, oldest;		/* targets with the max / min newest */
	bool out_of_step;
	/* From SMD (--config). */
	uint32_t evict_void_time;	/* s since 2010; 0: none */
	struct rtrunc *trunc;		/* the namespace's own first */
	size_t ntrunc;
	uint64_t back;			/* objects older than a truncation */
	uint64_t sets_back[256];	/* the same by set id */
};

struct rrun {
	const struct records_args *a;
	struct rtarget *t;
	size_t nt;
	struct rns *ns;
	size_t nns;
	struct aero_conf conf;
	int64_t now;
	size_t alarms;
	bool both;			/* WARNINGs to stdout and stderr */
	struct rsmd smd;
};


/* inspect_records_setup.c: open every device and read its header. */
int rrun_setup_devices(struct rrun *r);
int rrun_setup_config(struct rrun *r);
void rrun_release(struct rrun *r);
/* inspect_records_report.c: text or JSON, WARNINGs; the exit status. */
int rrun_report(struct rrun *r);
void rrun_warn(struct rrun *r, const char *code, const char *message,
	       const char *next, const struct rtarget *t);
/* inspect_records_smd.c: SMD's truncations and evict void-times. */
int rrun_setup_smd(struct rrun *r);
int rrun_ns_rules(struct rrun *r, struct rns *ns);
void rrun_ns_census(struct rns *ns);
void rrun_smd_alarms(struct rrun *r);
json_t *rrun_smd_json(const struct rrun *r);
void rrun_ns_smd_json(const struct rrun *r, const struct rns *ns, json_t *o);
void rrun_print_smd(const struct rrun *r);
void rrun_print_ns_smd(const struct rrun *r, const struct rns *ns);
void rrun_smd_release(struct rrun *r);
/* inspect_records.c */
int rrun_read_header(struct rtarget *t, const char *path, const char *engine,
		     struct device *d, unsigned char **region,
		     struct as_header *h);
bool rrun_records_readable(struct rtarget *t, const struct as_header *h);
const char *rrun_utc(double unix_s, char *buf, size_t len);

#endif
