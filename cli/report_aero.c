/*
 * report_aero.c - the Aerospike parts of reports: decoded headers, the
 * cold-start verdict and the alarms (WARNINGs), as JSON and as short
 * sentences, the fact first, that an operator reads before anything else.
 */
#include "report.h"
#include "cli.h"
#include "display.h"

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
	json_t *o, *flags;

	if (h->state != AS_STATE_AEROSPIKE)
		return json_null();
	flags = json_array();
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (h->flags & bits[i])
			json_array_append_new(flags, json_string(
				as_flags_names(bits[i], names, sizeof(names))));
	snprintf(random, sizeof(random), "%016" PRIx64, h->random);
	o = json_pack("{s:I,s:o,s:I,s:s,s:o,s:I}",
		      "format", (json_int_t)h->format,
		      "namespace", json_str(h->namespace),
		      "n_devices", (json_int_t)h->n_devices,
		      "random", random,
		      "flags", flags,
		      "write_block_size_bytes", (json_int_t)h->write_block_size);
	json_object_set_new(o, "device_id", h->has_unique
			    ? json_integer(h->device_id) : json_null());
	json_object_set_new(o, "pristine_offset_bytes", h->has_unique
			    ? json_integer((json_int_t)h->pristine_offset)
			    : json_null());
	json_object_set_new(o, "partitions_with_pmeta", h->has_unique
			    ? json_integer(h->partitions_with_pmeta)
			    : json_null());
	return o;
}

/* "aerospike ns1, format 4, TRUSTED" / "zeroed" for text reports. */
const char *report_state_text(const struct as_header *h, char *buf, size_t len)
{
	char flags[96];

	if (h->state != AS_STATE_AEROSPIKE)
		return report_state_name(h->state);
	snprintf(buf, len, "aerospike namespace %s, format %u, %s", disp(h->namespace),
		 h->format, h->flags & AS_FLAG_TRUSTED ? "TRUSTED" :
		 h->flags ? as_flags_names(h->flags, flags, sizeof(flags))
			  : "not TRUSTED");
	return buf;
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

static bool serves_damage(const struct pair_aero *a)
{
	return a->verdict.verdict == CS_LOAD_LOCAL && a->data_differing_bytes;
}

bool report_cold_start_alarming(const struct pair_aero *a)
{
	return a && a->decided &&
	       (a->verdict.verdict == CS_CRASH || a->local_data_dropped ||
		a->likely_swap || serves_damage(a) ||
		a->shadow_used_past_local);
}

json_t *report_cold_start_json(const struct pair_aero *a)
{
	const struct cs_result *v = &a->verdict;
	json_t *o = json_pack("{s:s,s:s,s:o,s:b}", "verdict",
			      cs_verdict_name(v->verdict), "server_version",
			      a->server_version, "reason", json_str(v->reason),
			      "likely_swap", a->likely_swap);

	switch (v->verdict) {
	case CS_CRASH:
		json_object_set_new(o, "message", json_str(v->message));
		json_object_set_new(o, "device", json_str(v->device));
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
		json_object_set_new(o, "throughput_bytes_per_s",
				    json_rate(a->shadow_bytes_per_s));
		json_object_set_new(o, "copy_estimate_s",
				    json_seconds(copy_seconds(a)));
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

/* A path quoted for a shell when it needs it, for next commands. */
static const char *shq(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	if (!s[strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		       "0123456789/._-+:=,@")] && *s)
		return disp(s);
	s = disp(s);
	buf[o++] = '\'';
	for (; *s && o + 5 < len; s++) {
		if (*s == '\'') {
			memcpy(buf + o, "'\\''", 4);
			o += 4;
		} else {
			buf[o++] = *s;
		}
	}
	buf[o++] = '\'';
	buf[o] = '\0';
	return buf;
}

static void next_sync(const struct pair_report *p, struct report_alarm *al)
{
	char q1[1024], q2[1024];

	if (p->config)
		snprintf(al->next, sizeof(al->next), "shadowsync sync --config %s",
			 shq(p->config, q1, sizeof(q1)));
	else
		snprintf(al->next, sizeof(al->next), "shadowsync sync %s %s",
			 shq(p->local_path, q1, sizeof(q1)),
			 shq(p->shadow_path, q2, sizeof(q2)));
}

bool report_pair_alarm(const struct pair_report *p, struct report_alarm *al)
{
	const struct pair_aero *a = p->aero;
	const struct cs_result *v;
	char b[32], q[1024], q2[1024];

	memset(al, 0, sizeof(*al));
	if (!report_cold_start_alarming(a))
		return false;
	v = &a->verdict;
	if (a->likely_swap) {
		al->code = "likely-swap";
		snprintf(al->message, sizeof(al->message), "'%s' and '%s' look "
			 "swapped: the shadow has pristine_offset set, which asd "
			 "writes to the local device only, and local has none",
			 disp(p->local_path), disp(p->shadow_path));
		if (p->config)
			snprintf(al->next, sizeof(al->next), "check the order "
				 "LOCAL SHADOW of the device lines in %s",
				 shq(p->config, q, sizeof(q)));
		else
			snprintf(al->next, sizeof(al->next), "shadowsync verify "
				 "%s %s", shq(p->shadow_path, q, sizeof(q)),
				 shq(p->local_path, q2, sizeof(q2)));
	} else if (v->verdict == CS_CRASH) {
		al->code = "crash";
		snprintf(al->message, sizeof(al->message), "asd will not start "
			 "with '%s': \"%s\" (caused by '%s')",
			 disp(p->local_path), disp(v->message), disp(v->device));
		snprintf(al->next, sizeof(al->next), "shadowsync inspect %s",
			 shq(v->device, q, sizeof(q)));
	} else if (a->shadow_used_past_local) {
		al->code = "shadow-data-past-local";
		snprintf(al->message, sizeof(al->message), "the shadow '%s' "
			 "holds %llu used write-blocks past the end of local "
			 "'%s' (the first at offset %llu): asd sizes the device "
			 "by local and never reads them; their records are lost "
			 "at cold start", disp(p->shadow_path),
			 (unsigned long long)a->shadow_used_past_local,
			 disp(p->local_path),
			 (unsigned long long)a->shadow_first_past_local);
		snprintf(al->next, sizeof(al->next), "do not start asd; give "
			 "local at least the shadow's %llu bytes (a larger "
			 "volume or instance), then shadowsync sync",
			 (unsigned long long)p->shadow_size);
	} else if (serves_damage(a)) {
		al->code = "serves-damaged-data";
		snprintf(al->message, sizeof(al->message), "asd will load '%s' "
			 "as it is and serve its %s of data that differ from the "
			 "shadow; the shadow's good copy is never read",
			 disp(p->local_path),
			 human_bytes(a->data_differing_bytes, b, sizeof(b)));
		next_sync(p, al);
	} else {
		al->code = "drops-local-data";
		snprintf(al->message, sizeof(al->message), "the shadow '%s' is "
			 "blank (no header, no used write-block): asd will "
			 "reinitialise the pair and drop the %llu used "
			 "write-blocks of '%s'", disp(p->shadow_path),
			 (unsigned long long)a->local_sweep.used,
			 disp(p->local_path));
		snprintf(al->next, sizeof(al->next), "do not start asd; find the "
			 "right shadow volume: shadowsync inspect %s",
			 shq(p->shadow_path, q, sizeof(q)));
	}
	return true;
}

json_t *report_alarm_json(const struct pair_report *p,
			  const struct report_alarm *al)
{
	return json_pack("{s:s,s:o,s:o,s:o,s:o}", "code", al->code,
			 "message", json_str(al->message),
			 "next_command", json_str(al->next),
			 "local", json_str(p->local_path),
			 "shadow", json_str(p->shadow_path));
}

static void copy_sentence(FILE *f, const struct pair_aero *a)
{
	char b1[32], b2[32];

	if (!sweep_readable(a)) {
		fprintf(f, "    the shadow is encrypted: how much asd copies "
			"cannot be read from it\n");
		return;
	}
	fprintf(f, "    asd copies %llu write-blocks (%s: %llu used, then the "
		"10 unused it stops after), about %.1f s at %s/s, one "
		"write-block at a time\n",
		(unsigned long long)a->shadow_sweep.swept,
		human_bytes(copy_bytes(a), b1, sizeof(b1)),
		(unsigned long long)a->shadow_sweep.used, copy_seconds(a),
		human_bytes((uint64_t)a->shadow_bytes_per_s, b2, sizeof(b2)));
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
		fprintf(f, "  cold start (asd %s): crash: \"%s\" (caused by "
			"'%s')\n", a->server_version, disp(v->message),
			disp(v->device));
		break;
	case CS_LOAD_LOCAL:
		fprintf(f, "  cold start (asd %s): load-local; local's data %s\n",
			a->server_version, a->data_differing_bytes
			? "DIFFERS from the shadow's and will be served as it is"
			: "matches the shadow's");
		break;
	case CS_REINIT_FROM_SHADOW:
		fprintf(f, "  cold start (asd %s): reinit-from-shadow%s\n",
			a->server_version, a->local_data_dropped
			? "; local's data will be DROPPED" : "");
		if (!a->local_data_dropped)
			copy_sentence(f, a);
		break;
	case CS_COPY_FROM_SHADOW:
		fprintf(f, "  cold start (asd %s): copy-from-shadow\n",
			a->server_version);
		copy_sentence(f, a);
		break;
	default:
		break;
	}
	fprintf(f, "    why: %s\n", disp(v->reason));
}
