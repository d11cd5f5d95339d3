/*
 * single.c - helpers of the one-device commands.
 */
#include "single.h"
#include "display.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int single_open(const char *path, const char *engine, bool want_header,
		struct device *d, struct as_header *h)
{
	struct pipe_error err;
	unsigned char *region;
	int ret;

	memset(h, 0, sizeof(*h));
	h->state = AS_STATE_NOT_AEROSPIKE;
	ret = device_open(d, path, 0);
	if (ret < 0) {
		cli_error("'%s' %s%s", path, device_open_verb(ret),
			  device_strerror(ret));
		return -1;
	}
	if (!want_header || d->size_bytes < AS_HEADER_REGION_BYTES)
		return 0;
	region = malloc(AS_HEADER_REGION_BYTES);
	if (!region) {
		cli_error("out of memory");
		device_close(d);
		return -1;
	}
	ret = pipe_read_into(engine, (struct pipe_file){ d->fd, d->direct }, 0,
			     AS_HEADER_REGION_BYTES, region, &cli_interrupted,
			     &err);
	if (ret < 0) {
		struct scan_result r = { .error = err };

		single_scan_error(&r, engine, path);
		free(region);
		device_close(d);
		return -1;
	}
	as_header_decode(region, AS_HEADER_REGION_BYTES, h);
	free(region);
	return 0;
}

uint64_t single_block_size(uint64_t given, const struct as_header *h)
{
	if (given)
		return given;
	if (h->state == AS_STATE_AEROSPIKE && block_size_valid(h->write_block_size))
		return h->write_block_size;
	return DEFAULT_BLOCK_SIZE;
}

void single_scan_error(const struct scan_result *r, const char *engine,
		       const char *path)
{
	static const char *const role[] = { "device" };
	const char *const p[] = { path };
	char msg[512];

	report_pipe_error(msg, sizeof(msg), &r->error, engine, role, p);
	cli_error("%s", msg);
}

json_t *single_manifest_json(const char *path, const struct manifest_info *in)
{
	char when[32];
	time_t t = (time_t)in->created;
	struct tm tm;
	struct as_header h;
	json_t *o, *a;

	if (in->has_aerospike)
		single_header_from_manifest(&in->aerospike, &h);
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	o = json_pack("{s:o,s:I,s:s,s:I,s:I,s:I,s:s,s:I,s:o,s:o}",
			 "path", json_str(path), "version", (json_int_t)in->version,
			 "hash", "xxh3-128",
			 "block_size_bytes", (json_int_t)in->block_size,
			 "device_size_bytes", (json_int_t)in->device_size,
			 "blocks", (json_int_t)in->blocks,
			 "created", when, "created_unix", (json_int_t)in->created,
			 "source", json_str(in->source),
			 "aerospike", in->has_aerospike
					      ? report_header_json(&h)
					      : json_null());
	a = json_object_get(o, "aerospike");
	/* Manifests written before the count was kept do not know it. */
	if (json_is_object(a) && !in->has_pmeta_count)
		json_object_set_new(a, "partitions_with_pmeta", json_null());
	return o;
}

const struct manifest_aerospike *
single_manifest_aero(const struct as_header *h, struct manifest_aerospike *out)
{
	if (!h || h->state != AS_STATE_AEROSPIKE)
		return NULL;
	*out = (struct manifest_aerospike){
		.state = MANIFEST_AS_STATE_AEROSPIKE, .format = h->format,
		.n_devices = h->n_devices, .random = h->random,
		.flags = h->flags, .write_block_size = h->write_block_size,
		.has_unique = h->has_unique, .device_id = h->device_id,
		.pristine_offset = h->pristine_offset,
		.partitions_with_pmeta = h->partitions_with_pmeta,
	};
	memcpy(out->namespace, h->namespace, sizeof(out->namespace));
	return out;
}

void single_header_from_manifest(const struct manifest_aerospike *m,
				 struct as_header *h)
{
	*h = (struct as_header){
		.state = AS_STATE_AEROSPIKE, .format = m->format,
		.n_devices = m->n_devices, .random = m->random,
		.flags = m->flags, .write_block_size = m->write_block_size,
		.has_unique = m->has_unique, .device_id = m->device_id,
		.pristine_offset = m->pristine_offset,
		.partitions_with_pmeta = m->partitions_with_pmeta,
	};
	memcpy(h->namespace, m->namespace, sizeof(h->namespace));
}

json_t *single_device_json(const struct device *d)
{
	return report_device_json(d->path, d->size_bytes, d->direct);
}
