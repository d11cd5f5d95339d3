/*
 * cmd_inspect.c - `shadowsync inspect DEVICE`: decode the Aerospike
 * device header in the first 8 MiB.
 */
#include "cli.h"
#include "display.h"
#include "report.h"
#include "../engine/device.h"
#include "../engine/pipeline.h"
#include "../verify/aerohdr.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char inspect_usage[] =
	"usage: shadowsync inspect DEVICE [options]\n"
	"\n"
	"Decode the Aerospike device header (first 8 MiB): format version,\n"
	"namespace, n_devices, device_id, random, flags, write-block size,\n"
	"pristine_offset, and how many partitions have metadata. A device\n"
	"without the header magic is reported as zeroed (first 8 MiB all zero)\n"
	"or not-aerospike. Reads only; a device shorter than 8 MiB is an error.\n"
	"\n"
	"options:\n"
	HELP_ENGINE HELP_COMMON
	HELP_EXIT("decoded, whatever the state", "(not used)");

static void print_text(const struct device *d, const struct as_header *h)
{
	char b[32], flags[96];

	printf("inspect: %s  %s (%llu bytes)\n", disp(d->path),
	       human_bytes(d->size_bytes, b, sizeof(b)),
	       (unsigned long long)d->size_bytes);
	printf("  state             %s\n", report_state_name(h->state));
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
	free(region);
	if (json) {
		json_t *root = json_pack(
			"{s:s,s:s,s:o,s:s,s:o}", "command", "inspect",
			"result", "ok", "device",
			report_device_json(path, d.size_bytes, d.direct),
			"state", report_state_name(h.state), "aerospike",
			report_header_json(&h));

		report_json_emit(root);
	} else {
		print_text(&d, &h);
	}
	device_close(&d);
	return EXIT_MATCH;
}

int cmd_inspect(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "engine", required_argument, NULL, OPT_ENGINE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct io_opts io = IO_OPTS_DEFAULT;
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (opt == 'h' || opt == OPT_HELP) {
			fputs(inspect_usage, stdout);
			return EXIT_MATCH;
		}
		if (opt == '?' || opt == ':') {
			cli_option_error("inspect", opt, argv);
			return EXIT_ERROR;
		}
		if (io_opts_parse(&io, opt, optarg) < 0)
			return EXIT_ERROR;
	}
	if (argc - optind != 1) {
		cli_error("inspect: expected one DEVICE, got %d (see "
			  "'shadowsync inspect --help')", argc - optind);
		return EXIT_ERROR;
	}
	return inspect(argv[optind], io.engine, io.json);
}
