/*
 * cmd_inspect.c - `shadowsync inspect DEVICE`: decode the Aerospike
 * device header in the first 8 MiB; with --records, read every record
 * as asd's cold start will (inspect_records.c).
 */
#include "cli.h"
#include "inspect_records.h"
#include "display.h"
#include "commit.h"
#include "report.h"
#include "../engine/device.h"
#include "../engine/pipeline.h"
#include "../aerospike/aerohdr.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char inspect_usage[] =
	"usage: shadowsync inspect DEVICE [options]\n"
	"       shadowsync inspect DEVICE... --records [options]\n"
	"       shadowsync inspect --config FILE --records [options]\n"
	"\n"
	"Decode the Aerospike device header (first 8 MiB): format version,\n"
	"namespace, n_devices, device_id, random, flags, write-block size,\n"
	"pristine_offset, and how many partitions have metadata. A device\n"
	"without the header magic is reported as zeroed (first 8 MiB all zero),\n"
	"unfinished-restore (the mark 'shadowsync restore' puts on a device it\n"
	"writes: run that restore again to finish) or not-aerospike. Reads\n"
	"only; a device shorter than 8 MiB is an error.\n"
	"\n"
	"--records reads every byte once and replays asd 8.1's cold start on\n"
	"it: the write-blocks its sweep reads and where it stops (used ones\n"
	"beyond are lost), the records by outcome (UNIQUE, REPLACED, OLDER,\n"
	"EXPIRED, UNPARSABLE with asd's reason, unowned, dropped tree), records\n"
	"hidden by a bad size or a bad first magic, sets, the last-update and\n"
	"void-time ranges (UTC) and the 'read complete' line asd will log.\n"
	"With --config, every device of the conf, the copy asd will read (the\n"
	"local for load-local, else the shadow), and per namespace the objects\n"
	"after dedup and whether the devices' newest writes are in step, and\n"
	"what the node's SMD changes (the conf's work-directory's smd/, or\n"
	"--smd): records older than a set's or the namespace's truncation\n"
	"(truncate.smd) come back, as a CE asd does not apply a saved\n"
	"truncation at cold start (a WARNING each); records whose void-time is\n"
	"below the namespace's evict void-time (evict.smd) are EVICTED, except\n"
	"in sets the conf gives disable-eviction true. No smd/ or no such file\n"
	"is normal; an SMD that cannot be read is an error; a file asd would\n"
	"not load as it is, a WARNING.\n"
	"\n"
	"options:\n"
	"  --records           read the records (the whole device)\n"
	"  --config FILE       with --records: every device of aerospike.conf\n"
	"  --smd BUNDLE|DIR    with --config: the SMD to read (a bundle of\n"
	"                      'smd save', or an smd/ or work directory)\n"
	"                      instead of the work directory's\n"
	"  --max-skew SECONDS  newest writes further apart than this across a\n"
	"                      namespace's devices are a WARNING (default 1)\n"
	"  --memory-index SIZE cap on the digest index a namespace's dedup\n"
	"                      needs, 26 bytes a record not yet settled\n"
	"                      and 26 an object; past it, an error\n"
	"                      (default 4G)\n"
	HELP_ENGINE HELP_QUEUE_DEPTH("64") HELP_IO_SIZE HELP_MEMORY
	HELP_COMMON HELP_SIZES
	HELP_EXIT("decoded (--records: no WARNING)",
		  "--records: a WARNING: records asd will skip, hide or lose,\n"
		  "       records that come back, or snapshots out of step");

enum { OPT_RECORDS = OPT_FIRST_PRIVATE, OPT_CONFIG, OPT_MAX_SKEW,
       OPT_MEMORY_INDEX, OPT_SMD };

static void print_text(const struct device *d, const struct as_header *h,
		       bool marked)
{
	char b[32], flags[96];

	printf("inspect: %s  %s (%llu bytes)\n", disp(d->path),
	       human_bytes(d->size_bytes, b, sizeof(b)),
	       (unsigned long long)d->size_bytes);
	printf("  state             %s\n", marked ? "unfinished-restore"
	       : report_state_name(h->state));
	if (marked)
		printf("  a restore of this device did not finish: asd loads "
		       "nothing from it; run the same 'shadowsync restore' "
		       "again\n");
	if (h->state != AS_STATE_AEROSPIKE)
		return;
	printf("  format            %u\n", h->format);
	printf("  namespace         %s\n", disp(h->namespace));
	printf("  n_devices         %u\n", h->n_devices);
	if (h->has_unique)
		printf("  device_id         %u\n", h->device_id);
	printf("  random            %016" PRIx64 "\n", h->random);
	printf("  flags             %s\n",
	       h->flags ? as_flags_names(h->flags, flags, sizeof(flags))
			: "(none: not a clean shutdown)");
	printf("  write_block_size  %s (%u bytes)\n",
	       human_bytes(h->write_block_size, b, sizeof(b)),
	       h->write_block_size);
	if (!h->has_unique)
		return;
	printf("  pristine_offset   %llu\n",
	       (unsigned long long)h->pristine_offset);
	printf("  partitions with metadata  %u of %u\n",
	       h->partitions_with_pmeta, AS_PARTITIONS);
}

static int inspect(const char *path, const char *engine, bool json)
{
	struct pipe_error err;
	struct as_header h;
	struct device d;
	unsigned char *region;
	bool marked;
	int ret;

	ret = device_open(&d, path, 0);
	if (ret < 0) {
		cli_error("'%s' %s%s", path, device_open_verb(ret),
			  device_strerror(ret));
		return EXIT_ERROR;
	}
	if (d.size_bytes < AS_HEADER_REGION_BYTES) {
		cli_error("'%s' is %llu bytes, shorter than the 8 MiB Aerospike "
			  "header region", path,
			  (unsigned long long)d.size_bytes);
		device_close(&d);
		return EXIT_ERROR;
	}
	region = malloc(AS_HEADER_REGION_BYTES);
	if (!region) {
		cli_error("out of memory");
		device_close(&d);
		return EXIT_ERROR;
	}
	ret = pipe_read_into(engine, (struct pipe_file){ d.fd, d.direct }, 0,
			     AS_HEADER_REGION_BYTES, region, &cli_interrupted,
			     &err);
	if (ret < 0) {
		char msg[512];
		static const char *const role[] = { "device" };
		const char *const p[] = { path };

		report_pipe_error(msg, sizeof(msg), &err, engine, role, p);
		cli_error("%s", msg);
		free(region);
		device_close(&d);
		return EXIT_ERROR;
	}
	as_header_decode(region, AS_HEADER_REGION_BYTES, &h);
	marked = header_is_restore_mark(region, AS_HEADER_REGION_BYTES);
	free(region);
	if (json) {
		json_t *root = json_pack(
			"{s:s,s:s,s:o,s:s,s:o}", "command", "inspect",
			"result", "ok", "device",
			report_device_json(path, d.size_bytes, d.direct),
			"state", marked ? "unfinished-restore"
			: report_state_name(h.state), "aerospike",
			report_header_json(&h));

		report_json_emit(root);
	} else {
		print_text(&d, &h, marked);
	}
	device_close(&d);
	return EXIT_MATCH;
}

static int parse_skew(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || v > 1e9) {
		cli_error("inspect: --max-skew '%s': expected seconds, 0 or "
			  "more", s);
		return -1;
	}
	*out = v;
	return 0;
}

int cmd_inspect(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "engine", required_argument, NULL, OPT_ENGINE },
		{ "queue-depth", required_argument, NULL, OPT_QUEUE_DEPTH },
		{ "io-size", required_argument, NULL, OPT_IO_SIZE },
		{ "memory", required_argument, NULL, OPT_MEMORY },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "records", no_argument, NULL, OPT_RECORDS },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "max-skew", required_argument, NULL, OPT_MAX_SKEW },
		{ "memory-index", required_argument, NULL, OPT_MEMORY_INDEX },
		{ "smd", required_argument, NULL, OPT_SMD },
		{ NULL, 0, NULL, 0 },
	};
	struct records_args ra = { .io = IO_OPTS_DEFAULT, .max_skew_s = 1,
				   .index_cap = 4ull << 30 };
	bool records = false, io_given = false;
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (opt == 'h' || opt == OPT_HELP) {
			fputs(inspect_usage, stdout);
			return EXIT_MATCH;
		}
		if (opt == OPT_RECORDS) {
			records = true;
			continue;
		}
		if (opt == OPT_CONFIG) {
			ra.config = optarg;
			continue;
		}
		if (opt == OPT_SMD) {
			ra.smd = optarg;
			continue;
		}
		if (opt == OPT_MAX_SKEW) {
			if (parse_skew(optarg, &ra.max_skew_s) < 0)
				return EXIT_ERROR;
			continue;
		}
		if (opt == OPT_MEMORY_INDEX) {
			int ret = parse_size(optarg, &ra.index_cap);

			if (ret < 0 || ra.index_cap < (1u << 20)) {
				cli_error("inspect: --memory-index '%s': %s",
					  optarg, ret == -ERANGE ? "too large" :
					  ret < 0 ? "not a size (examples: 512M, "
					  "4G)" : "below 1M");
				return EXIT_ERROR;
			}
			io_given = true;
			continue;
		}
		if (opt == '?' || opt == ':') {
			cli_option_error("inspect", opt, argv);
			return EXIT_ERROR;
		}
		io_given |= opt == OPT_QUEUE_DEPTH || opt == OPT_IO_SIZE ||
			    opt == OPT_MEMORY;
		if (io_opts_parse(&ra.io, opt, optarg) < 0)
			return EXIT_ERROR;
	}
	if (!records) {
		if (ra.config || ra.smd || io_given) {
			cli_error("inspect: --config, --smd, --queue-depth, "
				  "--io-size, --memory and --memory-index go with "
				  "--records");
			return EXIT_ERROR;
		}
		if (argc - optind != 1) {
			cli_error("inspect: expected one DEVICE, got %d (see "
				  "'shadowsync inspect --help')", argc - optind);
			return EXIT_ERROR;
		}
		return inspect(argv[optind], ra.io.engine, ra.io.json);
	}
	if (ra.config ? argc != optind : argc == optind) {
		cli_error("inspect: --records takes DEVICE... or --config FILE, "
			  "not both (see 'shadowsync inspect --help')");
		return EXIT_ERROR;
	}
	if (ra.smd && !ra.config) {
		cli_error("inspect: --smd goes with --config (the namespaces "
			  "its truncations and evict void-times are for)");
		return EXIT_ERROR;
	}
	ra.devices = argv + optind;
	ra.ndevices = (size_t)(argc - optind);
	if (!ra.io.queue_depth)
		ra.io.queue_depth = 64;	/* as warm: every byte read once */
	io_opts_finish(&ra.io);
	return inspect_records(&ra);
}
