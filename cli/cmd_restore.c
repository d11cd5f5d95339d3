/*
 * cmd_restore.c - `shadowsync restore SOURCE TARGET`: write an image onto
 * a device (restore.h), then prove it; the options and the report.
 */
#include "display.h"
#include "outcome.h"
#include "restore.h"
#include "single.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>

static const char restore_usage[] =
	"usage: shadowsync restore SOURCE TARGET [options]\n"
	"\n"
	"Write the image SOURCE onto TARGET and prove it: each block is hashed\n"
	"(XXH3-128) as it arrives and written from the buffer it arrived in;\n"
	"then fdatasync, then every written block is read back from TARGET and\n"
	"its digest checked against what arrived. SOURCE is a file or block\n"
	"device, '-' (a stream on stdin: zstd -dc IMAGE.zst | shadowsync\n"
	"restore - TARGET), an http:// or https:// URL, s3://BUCKET/KEY, or\n"
	"ebs://snap-ID (an EBS snapshot through the EBS direct APIs: only the\n"
	"blocks it lists are fetched, each checked against its x-amz-Checksum,\n"
	"the rest of TARGET zeroed); it is never written. TARGET is a block\n"
	"device (opened O_EXCL) or an existing regular file, at least as large\n"
	"as the image (a snapshot's: its VolumeSize); a stream that runs past\n"
	"its end is an error naming the offset, and one that ends before it is\n"
	"an error unless --manifest says the image is that small (a cut stream\n"
	"looks the same).\n"
	"\n"
	"The header region (first 8 MiB) is written last. Before the first data\n"
	"write TARGET's first 4 KiB become the mark of an unfinished restore\n"
	"(durably), so asd loads nothing from a half-restored device; then the\n"
	"data, window by window, each flushed and read back; then the header\n"
	"region past its first 4 KiB, fdatasync, and last those 4 KiB over the\n"
	"mark, fdatasync. Stopped at any point (kill, power loss, full disk,\n"
	"I/O error), run the same command again: with --manifest it first reads\n"
	"TARGET and writes only the blocks that differ (the source is still\n"
	"checked against the manifest there: a file or stream read whole, a\n"
	"remote source sampled; a manifest of another image is refused naming\n"
	"the block); without one it says so and writes everything again. An image smaller than TARGET: TARGET past\n"
	"its end is zeroed the cheap way and read back before the header\n"
	"region (asd would sweep stale write-blocks there), unless\n"
	"--target-is-zeroed.\n"
	"\n"
	"Refuses (exit 2, nothing written) a TARGET that is mounted (or any\n"
	"partition or holder of it is), the backing file of a loop device, open\n"
	"by another process, locked by another restore, read-only, the same\n"
	"storage as SOURCE, smaller than the image, or holding an Aerospike\n"
	"header of another namespace than the image's (or the image has none)\n"
	"or of another device of it (device_id).\n"
	"\n"
	"options:\n"
	"  --manifest FILE     the image's manifest (from 'shadowsync hash'): each\n"
	"                      block is checked as it arrives, a wrong one fetched\n"
	"                      again once, then an error naming its offset; a\n"
	"                      manifest of another size is refused before writing\n"
	"  --manifest-out FILE also write TARGET's manifest from this pass (the\n"
	"                      image must fill TARGET)\n"
	"  --target-is-zeroed  TARGET reads as zeros (a fresh EBS volume, a new\n"
	"                      sparse file): zero blocks and a file SOURCE's holes\n"
	"                      are not written; otherwise they are zeroed the\n"
	"                      cheap way (BLKZEROOUT, fallocate); refused when\n"
	"                      TARGET's first 8 MiB (or 4 KiB at each of 256\n"
	"                      places past them) are not zeros; over an\n"
	"                      unfinished restore's mark the zeros are read\n"
	"                      on TARGET, and zeroed where they are not\n"
	"  --no-verify         do not read back what was written (the report says\n"
	"                      so)\n"
	"  --force             write even though another process has TARGET open\n"
	"                      (or it cannot tell), or TARGET holds another\n"
	"                      namespace or another device of it; never past a\n"
	"                      mount, an alias, a lock or a read-only device\n"
	"  --block-size SIZE   hash, check and write unit: a multiple of 512 up to\n"
	"                      64M (default: the manifest's, else 1M)\n"
	HELP_ENGINE HELP_QUEUE_DEPTH("32") HELP_IO_SIZE HELP_MEMORY HELP_PROM
	HELP_COMMON
	"remote sources (http://, https://, s3://, ebs://):\n"
	"  --connections N     parts fetched at once (default 16; ebs:// 64)\n"
	"  --part-size SIZE    bytes a request (default 8M; ebs:// 512K, one\n"
	"                      block a request, a part a multiple of it)\n"
	"  --stall-timeout S   a part that delivers under 1 KiB/s over S seconds\n"
	"                      (nothing, or a trickle) is retried (default 30)\n"
	"  --region R          S3 or EBS region (default: AWS_REGION,\n"
	"                      AWS_DEFAULT_REGION)\n"
	"  --endpoint-url URL  an S3-compatible store (path-style requests), or\n"
	"                      the EBS direct endpoint (default\n"
	"                      https://ebs.REGION.amazonaws.com)\n"
	"  --cacert FILE       an extra CA bundle (SSL_CERT_FILE works too)\n"
	"  Their --memory defaults to connections x part size plus 8M (2 x\n"
	"  --io-size if more; none with --no-verify) to read back a window,\n"
	"  64M to 128M.\n"
	"  http(s), s3: every part must carry the first answer's ETag (else\n"
	"  Last-Modified): a change mid-restore is an error; an object with\n"
	"  neither is a WARNING without --manifest (a change cannot be seen).\n"
	"ebs:// sources:\n"
	"  --max-rps N         GetSnapshotBlock and list requests a second at\n"
	"                      most (default 900; AWS allows about 1000 per\n"
	"                      snapshot and per account: give each of several\n"
	"                      restores at once its share); lowered on throttling\n"
	"  --base ebs://snap-A TARGET holds snapshot A already (of the same\n"
	"                      lineage): fetch and write only the blocks that\n"
	"                      changed since (ListChangedBlocks), zero those A has\n"
	"                      and SOURCE has not; checked first (a sample of A's\n"
	"                      blocks against TARGET), refused if TARGET differs\n"
	"  --base-manifest FILE a manifest of snapshot A (from --manifest-out or\n"
	"                      'shadowsync hash' of a restore of it): TARGET is\n"
	"                      checked against a sample of it instead\n"
	HELP_SIZES
	HELP_EXIT("TARGET holds the image (read back and checked, unless\n"
		  "       --no-verify)",
		  "a block read back from TARGET is not what was written (the\n"
		  "       extents say where)");

#define REMOTE_MEMORY_MAX (128u << 20)
#define EBS_DEFAULT_PART (512u << 10)
#define EBS_DEFAULT_CONNECTIONS 64u

enum {
	OPT_MANIFEST = OPT_FIRST_PRIVATE, OPT_MANIFEST_OUT, OPT_ZEROED,
	OPT_NO_VERIFY, OPT_CONNECTIONS, OPT_PART_SIZE,
	OPT_STALL, OPT_REGION, OPT_ENDPOINT, OPT_CACERT, OPT_MAX_RPS,
	OPT_BASE, OPT_BASE_MANIFEST,
};

/* The options of remote sources. 1 ours and valid, 0 not ours, -1 bad. */
static int source_opt(struct restore_args *a, int opt, const char *arg)
{
	uint64_t v;

	switch (opt) {
	case OPT_CONNECTIONS:
		if (parse_uint(arg, 1, 256, &a->src.connections) < 0) {
			cli_error("restore: --connections takes 1 to 256, not "
				  "'%s'", arg);
			return -1;
		}
		return 1;
	case OPT_PART_SIZE:
		if (parse_size(arg, &v) < 0 || v < 4096 || v > (256u << 20)) {
			cli_error("restore: --part-size takes 4K to 256M, not "
				  "'%s'", arg);
			return -1;
		}
		a->src.part_bytes = (size_t)v;
		return 1;
	case OPT_STALL:
		if (parse_uint(arg, 1, 3600, &a->src.stall_timeout_s) < 0) {
			cli_error("restore: --stall-timeout takes 1 to 3600 "
				  "seconds, not '%s'", arg);
			return -1;
		}
		return 1;
	case OPT_REGION:
		a->src.region = arg;
		return 1;
	case OPT_ENDPOINT:
		a->src.endpoint_url = arg;
		return 1;
	case OPT_CACERT:
		a->src.cacert = arg;
		return 1;
	case OPT_MAX_RPS:
		if (parse_uint(arg, 1, 100000, &a->src.max_rps) < 0) {
			cli_error("restore: --max-rps takes 1 to 100000, not "
				  "'%s'", arg);
			return -1;
		}
		return 1;
	case OPT_BASE:
		a->src.base = arg;
		return 1;
	case OPT_BASE_MANIFEST:
		a->base_manifest = arg;
		return 1;
	}
	return 0;
}

/*
 * ebs:// sources: a part is one 512 KiB block unless --part-size says
 * otherwise, and enough connections for ~1000 requests/s at the
 * service's latency; --base goes with ebs:// only, and not with a
 * zeroed target (it holds the base).
 */
static int ebs_defaults(struct restore_args *a, bool part_given,
			bool conns_given)
{
	bool ebs = !strncmp(a->source, "ebs://", 6);

	if (!ebs && (a->src.base || a->base_manifest || a->src.max_rps)) {
		cli_error("restore: %s goes with an ebs:// SOURCE only",
			  a->src.base ? "--base" : a->base_manifest
			  ? "--base-manifest" : "--max-rps");
		return -1;
	}
	if (a->base_manifest && !a->src.base) {
		cli_error("restore: --base-manifest goes with --base");
		return -1;
	}
	if (a->src.base && a->manifest_out) {
		cli_error("restore: --base leaves the unchanged blocks unread, so "
			  "this pass cannot make TARGET's manifest (use "
			  "'shadowsync hash')");
		return -1;
	}
	if (a->src.base && a->target_zeroed) {
		cli_error("restore: --base says TARGET holds the base snapshot; "
			  "it does not go with --target-is-zeroed");
		return -1;
	}
	if (!ebs)
		return 0;
	if (!part_given)
		a->src.part_bytes = EBS_DEFAULT_PART;
	if (!conns_given)
		a->src.connections = EBS_DEFAULT_CONNECTIONS;
	return 0;
}

/*
 * A remote source's buffers, unless --memory says otherwise: a part for
 * every connection (fewer and the connections wait on memory) and the
 * share of the window read back while the next is fetched (extra, which
 * comes out of --memory), within REMOTE_MEMORY_MAX so peak RSS stays
 * under 160 MiB.
 */
static uint64_t remote_memory(const struct source_opts *o, uint64_t extra)
{
	uint64_t want = (uint64_t)o->connections * o->part_bytes + extra;

	return want < DEFAULT_MEMORY ? DEFAULT_MEMORY
	       : want > REMOTE_MEMORY_MAX ? REMOTE_MEMORY_MAX : want;
}

static int parse_args(struct restore_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		IO_LONG_OPTIONS,
		{ "manifest", required_argument, NULL, OPT_MANIFEST },
		{ "manifest-out", required_argument, NULL, OPT_MANIFEST_OUT },
		{ "target-is-zeroed", no_argument, NULL, OPT_ZEROED },
		{ "no-verify", no_argument, NULL, OPT_NO_VERIFY },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "connections", required_argument, NULL, OPT_CONNECTIONS },
		{ "part-size", required_argument, NULL, OPT_PART_SIZE },
		{ "stall-timeout", required_argument, NULL, OPT_STALL },
		{ "region", required_argument, NULL, OPT_REGION },
		{ "endpoint-url", required_argument, NULL, OPT_ENDPOINT },
		{ "cacert", required_argument, NULL, OPT_CACERT },
		{ "max-rps", required_argument, NULL, OPT_MAX_RPS },
		{ "base", required_argument, NULL, OPT_BASE },
		{ "base-manifest", required_argument, NULL, OPT_BASE_MANIFEST },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_getopt g = { .cmd = "restore", .usage = restore_usage,
				.longopts = longopts, .io = &a->io,
				.force = &a->force };
	bool part_given = false, conns_given = false, remote;
	int opt;

	while ((opt = cli_getopt(&g, argc, argv)) > 0) {
		switch (opt) {
		case OPT_MANIFEST:
			a->manifest = optarg;
			continue;
		case OPT_MANIFEST_OUT:
			a->manifest_out = optarg;
			continue;
		case OPT_ZEROED:
			a->target_zeroed = true;
			continue;
		case OPT_NO_VERIFY:
			a->no_verify = true;
			continue;
		}
		part_given |= opt == OPT_PART_SIZE;
		conns_given |= opt == OPT_CONNECTIONS;
		if (source_opt(a, opt, optarg) < 0)
			return -1;
	}
	if (opt != CLI_GETOPT_END)
		return opt == CLI_GETOPT_HELP ? 1 : -1;
	if (argc - optind != 2) {
		cli_error("restore: expected SOURCE and TARGET, got %d argument%s "
			  "(see 'shadowsync restore --help')", argc - optind,
			  argc - optind == 1 ? "" : "s");
		return -1;
	}
	a->source = argv[optind];
	a->target = argv[optind + 1];
	a->src.cancel = &cli_interrupted;
	if (ebs_defaults(a, part_given, conns_given) < 0)
		return -1;
	remote = !a->io.memory_bytes && source_claims(a->source) &&
		 strcmp(a->source, "-");
	io_opts_finish(&a->io);
	if (remote)
		a->io.memory_bytes = remote_memory(&a->src, a->no_verify ? 0
				: restore_bg_share(a->io.io_size));
	a->memory_default = remote;
	return 0;
}

static const char *result_of(const struct restore_job *j, int ret)
{
	if (ret == -ECANCELED || cli_interrupt_status())
		return "interrupted";
	if (ret < 0)
		return "error";
	return j->mismatch.total ? "mismatch" : "restored";
}

static json_t *source_json(const struct restore_job *j)
{
	return json_pack("{s:s,s:o,s:o,s:o,s:o}", "kind", j->kind,
			 "name", json_str(j->display),
			 "size_bytes", j->size_known
			 ? json_integer((json_int_t)j->end) : json_null(),
			 "etag", j->rs && j->info.etag[0]
			 ? json_str(j->info.etag) : json_null(),
			 "validator", j->rs && j->info.validator
			 ? json_string(j->info.validator) : json_null());
}

/*
 * A remote object without ETag or Last-Modified: a change during the
 * restore cannot be seen, parts of two versions could be mixed. Only a
 * manifest (every block checked) covers that.
 */
static bool unversioned(const struct restore_job *j)
{
	return j->rs && j->info.validator &&
	       !strcmp(j->info.validator, "none") && !j->a->manifest;
}

static void warn_unversioned(const struct restore_job *j, FILE *f)
{
	fprintf(f, "WARNING: '%s' has neither an ETag nor a Last-Modified: "
		"a change of it during the restore cannot be detected; give "
		"--manifest (the image's, from 'shadowsync hash') to check "
		"every block\n", disp(j->display));
}

static json_t *target_json(const struct restore_job *j)
{
	json_t *o = report_device_json(j->a->target, j->tgt.size_bytes,
				       j->tgt.direct);

	json_object_set_new(o, "state_before",
			    json_string(j->tgt_was_marked ? "unfinished-restore"
					: report_state_name(j->tgt_hdr.state)));
	json_object_set_new(o, "aerospike_before",
			    report_header_json(&j->tgt_hdr));
	return o;
}

#define JINT(v) json_integer((json_int_t)(v))

/* Blocks of the snapshot (its own size, 512 KiB) in n bytes. */
static uint64_t ebs_blocks(const struct restore_job *j, uint64_t n)
{
	return n / j->info.block_bytes;
}

static double per_s(const struct restore_job *j, uint64_t n)
{
	return j->elapsed_s > 0 ? (double)n / j->elapsed_s : 0;
}

/* An ebs:// source: what the snapshot held and how the service was used. */
static json_t *ebs_json(const struct restore_job *j)
{
	const struct source_stats *st = &j->src_stats;
	const struct restore_counts *n = &j->n;

	if (!j->rs || j->info.kind != SOURCE_EBS)
		return json_null();
	return json_pack("{s:s,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
			 "s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:o}",
		"snapshot_id", j->info.snapshot,
		"base_snapshot_id", j->info.base_snapshot[0]
		? json_string(j->info.base_snapshot) : json_null(),
		"volume_size_bytes", (json_int_t)j->info.size_bytes,
		"block_size_bytes", (json_int_t)j->info.block_bytes,
		"blocks_listed", (json_int_t)st->blocks_listed,
		"blocks_fetched", (json_int_t)st->blocks_fetched,
		"blocks_written", (json_int_t)ebs_blocks(j, n->bytes_written),
		"blocks_zeroed", (json_int_t)ebs_blocks(j, n->bytes_zeroed),
		"blocks_skipped", (json_int_t)ebs_blocks(j, n->bytes_skipped_zero +
					  n->bytes_skipped_matching +
					  n->bytes_unchanged),
		"blocks_unchanged", (json_int_t)ebs_blocks(j, n->bytes_unchanged),
		"list_requests", (json_int_t)st->list_requests,
		"requests", (json_int_t)st->requests,
		"retries", (json_int_t)st->retries,
		"throttled", (json_int_t)st->throttled,
		"relists", (json_int_t)st->relists,
		"checksum_retries", (json_int_t)st->checksum_retries,
		"max_rps", (json_int_t)(j->a->src.max_rps ? j->a->src.max_rps
					: SOURCE_EBS_DEFAULT_RPS),
		"rate_cap_at_end_rps", json_integer((json_int_t)st->rate_rps),
		"requests_per_s", json_rate(per_s(j, st->requests)),
		"bytes_per_s", json_rate(per_s(j, st->bytes_received)));
}

static void report_json(const struct restore_job *j, int ret,
			const struct manifest_info *mi)
{
	const struct restore_counts *n = &j->n;
	json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:o,s:o}",
		"command", "restore", "result", result_of(j, ret),
		"engine", j->engine ? j->engine : j->a->io.engine,
		"block_size_bytes", (json_int_t)j->block,
		"source", source_json(j), "target", target_json(j));

	json_object_set_new(o, "ebs", ebs_json(j));
	json_object_set_new(o, "image_aerospike", j->img_hdr_known
			    ? report_header_json(&j->img_hdr) : json_null());
	/* the namespace label of --prom's series (prom.c looks here) */
	json_object_set_new(o, "namespace", j->img_hdr_known &&
			    j->img_hdr.state == AS_STATE_AEROSPIKE
			    ? json_str(j->img_hdr.namespace) : json_null());
	json_object_set_new(o, "manifest", json_str(j->a->manifest));
	json_object_set_new(o, "manifest_out", mi
			    ? single_manifest_json(j->a->manifest_out, mi)
			    : json_null());
	json_object_set_new(o, "target_is_zeroed",
			    json_boolean(j->a->target_zeroed));
	json_object_set_new(o, "resumed", json_boolean(j->resume));
	json_object_set_new(o, "bytes_read", JINT(n->bytes_read));
	json_object_set_new(o, "bytes_written", JINT(n->bytes_written));
	json_object_set_new(o, "bytes_zeroed", JINT(n->bytes_zeroed));
	json_object_set_new(o, "bytes_zeroed_past_image",
			    JINT(n->bytes_zeroed_past_image));
	json_object_set_new(o, "bytes_skipped_zero", JINT(n->bytes_skipped_zero));
	json_object_set_new(o, "bytes_skipped_matching",
			    JINT(n->bytes_skipped_matching));
	json_object_set_new(o, "bytes_matching_checked",
			    JINT(n->bytes_matching_checked));
	json_object_set_new(o, "bytes_scanned", JINT(n->bytes_scanned));
	json_object_set_new(o, "bytes_verified", JINT(n->bytes_verified));
	json_object_set_new(o, "requests", JINT(n->requests));
	json_object_set_new(o, "retries", JINT(n->retries));
	json_object_set_new(o, "blocks_refetched", JINT(n->blocks_refetched));
	json_object_set_new(o, "restore_mark", json_boolean(j->marked));
	json_object_set_new(o, "header_region_written",
			    json_boolean(j->header_written));
	json_object_set_new(o, "verified", json_boolean(j->verified));
	json_object_set_new(o, "verify_result", json_string(j->verify_result));
	json_object_set_new(o, "mismatch_extents",
			    report_extents_json(&j->mismatch));
	json_object_set_new(o, "mismatch_extents_total",
			    JINT(j->mismatch.total));
	json_object_set_new(o, "mismatch_extents_truncated",
			    json_boolean(extent_list_truncated(&j->mismatch)));
	json_object_set_new(o, "elapsed_s", json_seconds(j->elapsed_s));
	json_object_set_new(o, "throughput_bytes_per_s",
			    json_rate(j->elapsed_s > 0 ? (double)j->end /
						  j->elapsed_s : 0));
	json_object_set_new(o, "error", j->error[0] ? json_str(j->error)
						    : json_null());
	report_json_emit(o);
}

static void ebs_text(const struct restore_job *j)
{
	const struct source_stats *st = &j->src_stats;
	const struct restore_counts *n = &j->n;
	char a[32], b[32];

	printf("  snapshot %s%s%s: volume %s, blocks of %s\n",
	       j->info.snapshot, j->info.base_snapshot[0] ? ", changes since "
	       : "", j->info.base_snapshot,
	       human_bytes(j->info.size_bytes, a, sizeof(a)),
	       human_bytes(j->info.block_bytes, b, sizeof(b)));
	printf("  blocks: %llu listed, %llu fetched, %llu written, %llu "
	       "zeroed, %llu skipped%s\n",
	       (unsigned long long)st->blocks_listed,
	       (unsigned long long)st->blocks_fetched,
	       (unsigned long long)ebs_blocks(j, n->bytes_written),
	       (unsigned long long)ebs_blocks(j, n->bytes_zeroed),
	       (unsigned long long)ebs_blocks(j, n->bytes_skipped_zero +
					      n->bytes_skipped_matching +
					      n->bytes_unchanged),
	       n->bytes_unchanged ? " (unchanged since the base among them)" : "");
	printf("  %llu requests (%llu listings), %llu retries, %llu throttled, "
	       "%llu ranges listed again, %.0f requests/s, %s/s (rate cap "
	       "%u/s at the end)\n",
	       (unsigned long long)st->requests,
	       (unsigned long long)st->list_requests,
	       (unsigned long long)st->retries,
	       (unsigned long long)st->throttled,
	       (unsigned long long)st->relists, per_s(j, st->requests),
	       human_bytes((uint64_t)per_s(j, st->bytes_received), a, sizeof(a)),
	       st->rate_rps);
}

static void report_text(const struct restore_job *j,
			const struct manifest_info *mi)
{
	const struct restore_counts *n = &j->n;
	bool stream = j->rs && j->info.kind == SOURCE_STDIN;
	char a[32], b[32], c[32], d[32];

	if (j->mismatch.total)
		printf("restore: MISMATCH, %llu extent%s of '%s' did not read back "
		       "as written\n", (unsigned long long)j->mismatch.total,
		       j->mismatch.total == 1 ? "" : "s", disp(j->a->target));
	else
		printf("restore: RESTORED '%s' onto '%s': %s in %.2f s (%s/s), "
		       "%s\n", disp(j->display), disp(j->a->target),
		       human_bytes(j->end, a, sizeof(a)), j->elapsed_s,
		       human_bytes(j->elapsed_s > 0 ? (uint64_t)((double)j->end /
				   j->elapsed_s) : 0, b, sizeof(b)),
		       j->a->no_verify ? "NOT read back (--no-verify)"
				       : "read back and checked");
	if (unversioned(j))
		warn_unversioned(j, stdout);
	if (cli_run.quiet)
		return;
	if (j->mismatch.total)
		report_extents_text(stdout, &j->mismatch, 50);
	if (stream)
		printf("  source  stdin, %s (%llu bytes)\n",
		       human_bytes(j->end, a, sizeof(a)),
		       (unsigned long long)j->end);
	else
		printf("  source  %s '%s', %s (%llu bytes)%s%s\n", j->kind,
		       disp(j->display), human_bytes(j->end, a, sizeof(a)),
		       (unsigned long long)j->end, j->rs && j->info.etag[0]
		       ? ", ETag " : "", j->rs ? disp(j->info.etag) : "");
	printf("  target  '%s', %s, engine %s, blocks of %s\n",
	       disp(j->a->target), human_bytes(j->tgt.size_bytes, a, sizeof(a)),
	       j->engine ? j->engine : j->a->io.engine,
	       human_bytes(j->block, b, sizeof(b)));
	if (j->tgt_was_marked && !j->resume)
		printf("  the target held an unfinished restore; without "
		       "--manifest every block was fetched and written again\n");
	if (restore_zeroed_unproven(j))
		printf("  --target-is-zeroed over an unfinished restore: the "
		       "zeros not written were read on the target, and zeroed "
		       "where they were not zeros\n");
	if (j->resume)
		printf("  resumed: read %s of the target first; %s already "
		       "matched manifest '%s' and was not written; %s of it "
		       "%s from the source and checked against the manifest%s\n",
		       human_bytes(n->bytes_scanned, a, sizeof(a)),
		       human_bytes(n->bytes_skipped_matching, b, sizeof(b)),
		       disp(j->a->manifest),
		       human_bytes(n->bytes_matching_checked, c, sizeof(c)),
		       j->src_is_path || stream ? "read" : "fetched (a sample)",
		       n->bytes_matching_checked < n->bytes_skipped_matching
		       ? ", the rest not fetched" : "");
	if (j->rs && j->info.kind == SOURCE_EBS)
		ebs_text(j);
	printf("  read %s from the source in %llu requests (%llu retries), "
	       "%llu block%s fetched again\n",
	       human_bytes(n->bytes_read, a, sizeof(a)),
	       (unsigned long long)n->requests, (unsigned long long)n->retries,
	       (unsigned long long)n->blocks_refetched,
	       n->blocks_refetched == 1 ? "" : "s");
	printf("  wrote %s, zeroed %s, skipped %s of zeros%s and %s already "
	       "there\n", human_bytes(n->bytes_written, a, sizeof(a)),
	       human_bytes(n->bytes_zeroed, b, sizeof(b)),
	       human_bytes(n->bytes_skipped_zero, c, sizeof(c)),
	       j->a->target_zeroed ? " (--target-is-zeroed)" : "",
	       human_bytes(n->bytes_skipped_matching, d, sizeof(d)));
	if (n->bytes_zeroed_past_image)
		printf("  zeroed the target's last %s, past the image's end (of "
		       "the %s above; asd would sweep stale write-blocks "
		       "there)\n", human_bytes(n->bytes_zeroed_past_image, a,
						sizeof(a)),
		       human_bytes(n->bytes_zeroed, b, sizeof(b)));
	else if (j->end < j->tgt.size_bytes && j->a->target_zeroed &&
		 j->size_known)
		printf("  the target's last %s, past the image's end, not "
		       "zeroed (--target-is-zeroed)\n",
		       human_bytes(j->tgt.size_bytes - j->end, a, sizeof(a)));
	if (j->header_written)
		printf("  header region written last, after the data was "
		       "durable\n");
	if (!j->a->no_verify)
		printf("  read back %s and checked every digest: %s\n",
		       human_bytes(n->bytes_verified, a, sizeof(a)),
		       j->verify_result);
	if (mi)
		printf("  manifest '%s': %llu blocks of %llu bytes\n",
		       disp(j->a->manifest_out), (unsigned long long)mi->blocks,
		       (unsigned long long)mi->block_size);
}

int cmd_restore(int argc, char **argv)
{
	struct restore_args a = { .io = IO_OPTS_DEFAULT,
				  .src = SOURCE_OPTS_DEFAULT };
	struct manifest_info mi, *mip = NULL;
	struct restore_job j;
	int ret, status;

	ret = parse_args(&a, argc, argv);
	if (ret)
		return ret > 0 ? EXIT_MATCH : EXIT_ERROR;
	cli_watch_flag("header_region_written", &restore_header_written,
		       "the header region was written");
	ret = restore_open(&j, &a);
	if (ret < 0) {
		cli_error("%s", j.error);
		restore_release(&j);
		return EXIT_ERROR;
	}
	if (unversioned(&j) && a.io.json)	/* text: in the report */
		warn_unversioned(&j, stderr);
	ret = restore_run(&j);
	if (j.manifest_written) {
		mi = j.mw.info;
		mip = &mi;
	}
	status = ret < 0 ? EXIT_ERROR : j.mismatch.total ? EXIT_DIFFER
							 : EXIT_MATCH;
	if (ret < 0)
		cli_error("%s", j.error);
	if (status == EXIT_DIFFER)
		cli_exit_reason("%llu bytes of target '%s' did not read back as "
				"written, in %llu extents (the first at offset "
				"%llu)", (unsigned long long)
				extent_list_bytes(&j.mismatch), a.target,
				(unsigned long long)j.mismatch.total,
				(unsigned long long)(j.mismatch.n
						     ? j.mismatch.v[0].offset : 0));
	if (cli_run_wants_report())
		report_json(&j, ret, mip);
	if (!a.io.json && status != EXIT_ERROR)
		report_text(&j, mip);
	restore_release(&j);
	return status;
}
