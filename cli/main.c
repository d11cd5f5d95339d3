/*
 * main.c - the subcommand table and dispatch. Adding a command touches
 * this table and one file of its own.
 */
#include "cli.h"
#include "../verify/hash.h"

#include <stdlib.h>
#include <string.h>

static const struct cmd commands[] = {
	{ "verify", cmd_verify,
	  "is each local device identical to its shadow? which ranges differ?" },
	{ "sync", cmd_sync,
	  "make local identical to its shadow, writing only what differs" },
	{ "hash", cmd_hash,
	  "write a manifest of every block's checksum of a device" },
	{ "check", cmd_check, "check a device against a manifest" },
	{ "manifest", cmd_manifest, "show a manifest ('manifest show FILE')" },
	{ "warm", cmd_warm,
	  "read every block once (EBS snapshot volumes), optionally hashing" },
	{ "inspect", cmd_inspect, "decode an Aerospike device header" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fputs("usage: shadowsync COMMAND [ARGS] [--json]\n"
	      "\n"
	      "Keeps Aerospike local devices and their shadow devices honest.\n"
	      "\n"
	      "commands:\n", f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fputs("\n'shadowsync COMMAND --help' gives a command's options.\n"
	      "exit status: 0 ok/identical, 1 differences found, 2 error\n",
	      f);
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : NULL;

	if (!name) {
		usage(stderr);
		return EXIT_ERROR;
	}
	if (!strcmp(name, "-h") || !strcmp(name, "--help") ||
	    !strcmp(name, "help")) {
		if (argc > 2 && strcmp(name, "help") == 0) {
			char *help_argv[] = { argv[2], "--help", NULL };

			for (size_t i = 0; i < NCOMMANDS; i++)
				if (!strcmp(argv[2], commands[i].name))
					return commands[i].run(2, help_argv);
		}
		usage(stdout);
		return cli_flush_stdout() < 0 ? EXIT_ERROR : EXIT_MATCH;
	}
	if (!strcmp(name, "--version")) {
		printf("shadowsync %s (xxHash %u)\n", SHADOWSYNC_VERSION,
		       XXH_versionNumber());
		return cli_flush_stdout() < 0 ? EXIT_ERROR : EXIT_MATCH;
	}
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(name, commands[i].name))
			continue;
		cli_catch_signals();
		return commands[i].run(argc - 1, argv + 1);
	}
	cli_error("unknown command '%s' (see 'shadowsync --help')", name);
	return EXIT_ERROR;
}
