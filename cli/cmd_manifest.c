/*
 * cmd_manifest.c - `shadowsync manifest show MANIFEST`: print a manifest,
 * digests as canonical big-endian hex (as xxhsum -H2 prints them).
 */
#include "single.h"
#include "display.h"
#include "outcome.h"

#include <getopt.h>
#include <inttypes.h>
#include <string.h>

static const char manifest_usage[] =
	"usage: shadowsync manifest show MANIFEST [options]\n"
	"\n"
	"Print a manifest's header (block size, device size, creation time,\n"
	"source, Aerospike header summary with its partitions with metadata)\n"
	"and every block's XXH3-128 digest as big-endian hex (xxhsum -H2 of the\n"
	"block). A damaged, truncated or forged manifest is an error.\n"
	"\n"
	"options:\n"
	HELP_COMMON
	HELP_EXIT("shown", "(not used)");

static void print_text(const char *path, const struct manifest *m)
{
	const struct manifest_info *in = &m->info;
	char hex[BLOCK_HASH_HEX_LEN + 1], b[32];
	json_t *j = single_manifest_json(path, in);

	printf("manifest %s\n", disp(path));
	printf("  version      %u, hash xxh3-128\n", in->version);
	printf("  device       %s (%llu bytes), from %s\n",
	       human_bytes(in->device_size, b, sizeof(b)),
	       (unsigned long long)in->device_size, disp(in->source));
	printf("  blocks       %llu of %llu bytes\n",
	       (unsigned long long)in->blocks,
	       (unsigned long long)in->block_size);
	printf("  created      %s\n", json_string_value(json_object_get(j, "created")));
	json_decref(j);
	if (in->has_aerospike)
		printf("  aerospike    namespace %s, format %u, device_id %u of "
		       "%u, random %016" PRIx64 "\n",
		       disp(in->aerospike.namespace), in->aerospike.format,
		       in->aerospike.device_id, in->aerospike.n_devices,
		       in->aerospike.random);
	if (in->has_pmeta_count)
		printf("  partitions with metadata  %u of %u\n",
		       in->aerospike.partitions_with_pmeta, AS_PARTITIONS);
	if (cli_run.quiet)
		return;
	for (uint64_t i = 0; i < in->blocks; i++) {
		block_hash_hex(manifest_digest(m, i), hex);
		printf("%s  block %llu offset %llu\n", hex,
		       (unsigned long long)i,
		       (unsigned long long)(i * in->block_size));
	}
}

static int show(const char *path, bool json)
{
	char why[160], hex[BLOCK_HASH_HEX_LEN + 1];
	struct manifest m;

	if (manifest_load(&m, path, why, sizeof(why)) < 0) {
		cli_error("manifest '%s' is unusable: %s", path, why);
		return EXIT_ERROR;
	}
	if (json) {
		json_t *digests = json_array();

		for (uint64_t i = 0; i < m.info.blocks; i++) {
			block_hash_hex(manifest_digest(&m, i), hex);
			json_array_append_new(digests, json_string(hex));
		}
		report_json_emit(json_pack("{s:s,s:s,s:o,s:o}", "command",
					   "manifest show", "result", "ok",
					   "manifest",
					   single_manifest_json(path, &m.info),
					   "hashes", digests));
	} else {
		print_text(path, &m);
	}
	manifest_release(&m);
	return EXIT_MATCH;
}

int cmd_manifest(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false;
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (opt == 'h' || opt == OPT_HELP) {
			fputs(manifest_usage, stdout);
			return EXIT_MATCH;
		}
		if (opt == OPT_JSON) {
			json = true;
			continue;
		}
		cli_option_error("manifest", opt, argv);
		return EXIT_ERROR;
	}
	if (argc - optind != 2 || strcmp(argv[optind], "show")) {
		cli_error("manifest: expected 'show MANIFEST' (see 'shadowsync "
			  "manifest --help')");
		return EXIT_ERROR;
	}
	return show(argv[optind + 1], json);
}
