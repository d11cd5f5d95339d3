/*
 * report_aero.c - the Aerospike parts of reports: decoded headers and the
 * cold-start verdict, as JSON and as sentences an operator reads first.
 */
#include "report.h"
#include "cli.h"

#include <inttypes.h>
#include <string.h>

const char *report_state_name(enum as_state s)
{
	switch (s) {
	case AS_STATE_AEROSPIKE:
		return "aerospike";
	case AS_STATE_ZEROED:
		return "zeroed";
	default:
		return "not-aerospike";
	}
}

json_t *report_header_json(const struct as_header *h)
{
	static const uint32_t bits[] = { AS_FLAG_TRUSTED, AS_FLAG_SINGLE_BIN,
					 AS_FLAG_ENCRYPTED, AS_FLAG_CP,
					 AS_FLAG_COMMIT_TO_DEVICE };
	char random[17], names[96];
	json_t *o, *flags = json_array();

	if (h->state != AS_STATE_AEROSPIKE) {
		json_decref(flags);
		return json_null();
	}
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (h->flags & bits[i])
			json_array_append_new(flags, json_string(
				as_flags_names(bits[i], names, sizeof(names))));
	snprintf(random, sizeof(random), "%016" PRIx64, h->random);
	o = json_pack("{s:I,s:s,s:I,s:s,s:o,s:I}",
		      "format", (json_int_t)h->format,
		      "namespace", h->namespace,
		      "n_devices", (json_int_t)h->n_devices,
		      "random", random,
		      "flags", flags,
		      "write_block_size", (json_int_t)h->write_block_size);
	if (h->has_unique) {
		json_object_set_new(o, "device_id",
				    json_integer(h->device_id));
		json_object_set_new(o, "pristine_offset",
				    json_integer((json_int_t)h->pristine_offset));
		json_object_set_new(o, "partitions_with_pmeta",
				    json_integer(h->partitions_with_pmeta));
	} else {
		json_object_set_new(o, "device_id", json_null());
		json_object_set_new(o, "pristine_offset", json_null());
		json_object_set_new(o, "partitions_with_pmeta", json_null());
	}
	return o;
}

/* Can the shadow's write-block use be read (not encrypted)? */
static bool sweep_readable(const struct pair_aero *a)
{
	return !(a->shadow.flags & AS_FLAG_ENCRYPTED) &&
	       as_sweep_complete(&a->shadow_sweep);
}

static uint64_t copy_bytes(const struct pair_aero *a)
{
	return a->shadow_sweep.swept * (uint64_t)a->shadow_sweep.wblock_bytes;
}

static double copy_seconds(const struct pair_aero *a)
{
	return a->shadow_bytes_per_s > 0
		       ? (double)copy_bytes(a) / a->shadow_bytes_per_s
		       : 0;
}

bool report_cold_start_alarming(const struct pair_aero *a)
{
	return a && a->decided &&
	       (a->verdict.verdict == CS_CRASH || a->local_data_dropped ||
		a->likely_swap ||
		(a->verdict.verdict == CS_LOAD_LOCAL &&
		 a->data_differing_bytes));
}

json_t *report_cold_start_json(const struct pair_aero *a)
{
	const struct cs_result *v = &a->verdict;
	json_t *o = json_pack("{s:s,s:s,s:s}", "verdict",
			      cs_verdict_name(v->verdict), "server_version",
			      a->server_version, "reason", v->reason);

	switch (v->verdict) {
	case CS_CRASH:
		json_object_set_new(o, "message", json_string(v->message));
		json_object_set_new(o, "device", json_string(v->device));
		break;
	case CS_LOAD_LOCAL:
		json_object_set_new(o, "data_matches",
				    json_boolean(!a->data_differing_bytes));
		json_object_set_new(o, "data_differing_bytes",
				    json_integer((json_int_t)a->data_differing_bytes));
		break;
	case CS_COPY_FROM_SHADOW:
	case CS_REINIT_FROM_SHADOW:
		if (!sweep_readable(a)) {
			json_object_set_new(o, "copy_bytes", json_null());
			break;
		}
		json_object_set_new(o, "copy_wblocks",
				    json_integer((json_int_t)a->shadow_sweep.swept));
		json_object_set_new(o, "used_wblocks",
				    json_integer((json_int_t)a->shadow_sweep.used));
		json_object_set_new(o, "wblock_bytes",
				    json_integer(a->shadow_sweep.wblock_bytes));
		json_object_set_new(o, "copy_bytes",
				    json_integer((json_int_t)copy_bytes(a)));
		json_object_set_new(o, "read_bytes_per_s",
				    json_real(a->shadow_bytes_per_s));
		json_object_set_new(o, "copy_estimate_s",
				    json_real(copy_seconds(a)));
		if (v->verdict == CS_REINIT_FROM_SHADOW) {
			json_object_set_new(o, "local_used_wblocks",
					    json_integer((json_int_t)a->local_sweep.used));
			json_object_set_new(o, "local_data_dropped",
					    json_boolean(a->local_data_dropped));
		}
		break;
	default:
		break;
	}
	return o;
}

static void copy_sentence(FILE *f, const struct pair_aero *a)
{
	char b1[32], b2[32];

	if (!sweep_readable(a)) {
		fprintf(f, "  the shadow is encrypted: how much asd copies "
			"cannot be read from it\n");
		return;
	}
	fprintf(f, "  asd will copy %llu write-blocks (%s: %llu used, then "
		"the 10 unused it stops after) from the shadow to local, "
		"about %.1f s at this run's read speed (%s/s); asd reads "
		"and writes one write-block at a time, so expect longer\n",
		(unsigned long long)a->shadow_sweep.swept,
		human_bytes(copy_bytes(a), b1, sizeof(b1)),
		(unsigned long long)a->shadow_sweep.used, copy_seconds(a),
		human_bytes((uint64_t)a->shadow_bytes_per_s, b2, sizeof(b2)));
}

void report_cold_start_warning(FILE *f, const struct pair_report *p)
{
	const struct pair_aero *a = p->aero;
	const struct cs_result *v;
	char b[32];

	if (!report_cold_start_alarming(a))
		return;
	v = &a->verdict;
	if (a->likely_swap)
		fprintf(f, "WARNING: '%s' and '%s' look swapped: the shadow has "
			"pristine_offset set, which asd writes to the local "
			"device only, and local has none. Check the order "
			"(LOCAL SHADOW; 'device LOCAL SHADOW' in aerospike.conf) "
			"before running sync or starting asd\n",
			p->local_path, p->shadow_path);
	if (a->likely_swap && !(v->verdict == CS_CRASH ||
				a->local_data_dropped ||
				(v->verdict == CS_LOAD_LOCAL &&
				 a->data_differing_bytes)))
		return;
	if (v->verdict == CS_CRASH)
		fprintf(f, "WARNING: asd will not start with '%s': \"%s\" "
			"(caused by '%s')\n", p->local_path, v->message,
			v->device);
	else if (v->verdict == CS_LOAD_LOCAL)
		fprintf(f, "WARNING: asd will load '%s' as it is and serve its "
			"%s of data that differ from the shadow; the shadow's "
			"good copy is never read. Run 'shadowsync sync' before "
			"starting asd\n", p->local_path,
			human_bytes(a->data_differing_bytes, b, sizeof(b)));
	else
		fprintf(f, "WARNING: the shadow '%s' has an empty header and no "
			"used write-block: asd will reinitialise the pair and "
			"drop the %llu used write-blocks of '%s'\n",
			p->shadow_path, (unsigned long long)a->local_sweep.used,
			p->local_path);
}

void report_cold_start_text(FILE *f, const struct pair_report *p)
{
	const struct pair_aero *a = p->aero;
	const struct cs_result *v;

	if (!a || !a->decided || a->verdict.verdict == CS_NONE)
		return;
	v = &a->verdict;
	switch (v->verdict) {
	case CS_CRASH:
		fprintf(f, "  cold start: crash: \"%s\" (caused by '%s'); %s\n",
			v->message, v->device, v->reason);
		break;
	case CS_LOAD_LOCAL:
		fprintf(f, "  cold start: load-local: %s; local's data %s\n",
			v->reason, a->data_differing_bytes ? "DIFFERS from the "
			"shadow's and will be served as it is" : "matches the "
			"shadow's");
		break;
	case CS_REINIT_FROM_SHADOW:
		fprintf(f, "  cold start: reinit-from-shadow: %s\n", v->reason);
		if (a->local_data_dropped)
			fprintf(f, "  the shadow has no used write-block: local's "
				"%llu used write-blocks will be dropped\n",
				(unsigned long long)a->local_sweep.used);
		else
			copy_sentence(f, a);
		break;
	case CS_COPY_FROM_SHADOW:
		fprintf(f, "  cold start: copy-from-shadow: %s\n", v->reason);
		copy_sentence(f, a);
		break;
	default:
		break;
	}
	fprintf(f, "  (prediction for server %s; --server-version to change)\n",
		a->server_version);
}
