/*
 * single.h - what the one-device commands (hash, check, warm) share:
 * opening the device and reading its Aerospike header, reporting a scan's
 * failure, describing a manifest.
 */
#ifndef SHADOWSYNC_SINGLE_H
#define SHADOWSYNC_SINGLE_H

#include "cli.h"
#include "report.h"
#include "../engine/device.h"
#include "../aerospike/aerohdr.h"
#include "../verify/manifest.h"
#include "../verify/scan.h"

/*
 * single_open() - open path read-only and, with want_header and when it
 * is at least 8 MiB, decode its header region; otherwise h is zeroed
 * with h->state AS_STATE_NOT_AEROSPIKE. Prints one error line; returns
 * 0 or -1.
 */
int single_open(const char *path, const char *engine, bool want_header,
		struct device *d, struct as_header *h);

/* Block size: given, else the header's write-block size, else 1 MiB. */
uint64_t single_block_size(uint64_t given, const struct as_header *h);

/* Print the error line for a failed scan of path. */
void single_scan_error(const struct scan_result *r, const char *engine,
		       const char *path);

/* {"path":..,"version":..,"block_size":..} and the rest of the header. */
json_t *single_manifest_json(const char *path, const struct manifest_info *in);

/*
 * The manifest's copy of an Aerospike header: single_manifest_aero()
 * fills out from h and returns it, or returns NULL when h is NULL or
 * holds no Aerospike header (the manifest then says none);
 * single_header_from_manifest() is the way back, for reports.
 */
const struct manifest_aerospike *
single_manifest_aero(const struct as_header *h, struct manifest_aerospike *out);
void single_header_from_manifest(const struct manifest_aerospike *m,
				 struct as_header *h);

/* A device's {"path","size_bytes","direct_io"}. */
json_t *single_device_json(const struct device *d);

/* Text progress label, only when stderr is a terminal. */
#define SINGLE_PROGRESS(what) report_progress, (void *)(what)

#endif
