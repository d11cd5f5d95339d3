/*
 * main.c - the subcommand table and dispatch. Adding a command touches
 * this table and one file of its own.
 */
#include "cli.h"
#include "outcome.h"
#include "progress.h"
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
	{ "restore", cmd_restore,
	  "write an image (file, stdin, URL) onto a device, header last, "
	  "and verify it" },
	{ "inspect", cmd_inspect, "decode an Aerospike device header" },
	{ "bench", cmd_bench,
	  "what this host's storage and CPU can do (engines x queue depths)" },
	{ "smd", cmd_smd,
	  "save, show, check, restore Aerospike's system metadata (SMD)" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fputs("usage: shadowsync COMMAND [ARGS] [--json] [--quiet]\n"
	      "       shadowsync -V | --version\n"
	      "\n"
	      "Keeps Aerospike local devices and their shadow devices honest.\n"
	      "\n"
	      "commands:\n", f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fputs("\n'shadowsync COMMAND --help' gives a command's options.\n"
	      HELP_EXIT("fine: identical, matching, done",
			"differences found, or an alarming cold-start verdict"),
	      f);
}

/* Edit distance of two short words (commands), for "did you mean". */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[32];

	if (la >= 31 || lb >= 31)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* The closest command to a mistyped one, or NULL when none is close. */
static const char *closest_command(const char *name)
{
	const char *best = NULL;
	size_t best_d = 3;

	for (size_t i = 0; i < NCOMMANDS; i++) {
		size_t d = distance(name, commands[i].name);

		if (d < best_d || (strlen(name) >= 3 &&
				   !strncmp(name, commands[i].name,
					    strlen(name)) && d < 99)) {
			best_d = d < best_d ? d : best_d;
			best = commands[i].name;
		}
	}
	return best;
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
	if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
		return cli_version(argc - 1, argv + 1);
	}
	for (size_t i = 0; i < NCOMMANDS; i++) {
		int sub_argc;

		if (strcmp(name, commands[i].name))
			continue;
		cli_catch_signals();
		sub_argc = cli_run_begin(name, argc - 1, argv + 1);
		if (sub_argc < 0)
			return cli_run_finish(EXIT_ERROR);
		cli_watch(name, cli_run.json, progress_done);
		return cli_run_finish(cli_finish(commands[i].run(sub_argc,
								 argv + 1)));
	}
	if (closest_command(name))
		cli_error("unknown command '%s'; did you mean '%s'? (see "
			  "'shadowsync --help')", name, closest_command(name));
	else
		cli_error("unknown command '%s' (see 'shadowsync --help')",
			  name);
	return EXIT_ERROR;
}
