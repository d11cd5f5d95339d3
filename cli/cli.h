/*
 * cli.h - what the subcommands share: the dispatch entry, argument
 * parsing helpers, error output. Only main() exits.
 */
#ifndef SHADOWSYNC_CLI_H
#define SHADOWSYNC_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define EXIT_MATCH	0	/* identical, checks passed */
#define EXIT_DIFFER	1	/* differences or failed checks found */
#define EXIT_ERROR	2	/* bad arguments, I/O error, refused */
#define EXIT_INTERRUPTED_BASE 128 /* + the signal: 130 SIGINT, 143 SIGTERM */

#define SHADOWSYNC_VERSION "0.1.0"

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* Subcommands, one file each. */
int cmd_verify(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_hash(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_manifest(int argc, char **argv);
int cmd_warm(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_smd(int argc, char **argv);
int cmd_restore(int argc, char **argv);

/* shadowsync --version [PATH] (version.c); argv[0] is "--version". */
int cli_version(int argc, char **argv);

/* Set by SIGINT/SIGTERM; long jobs stop cleanly when they see it. */
extern volatile sig_atomic_t cli_interrupted;

/*
 * cli_catch_signals() - from now on SIGINT and SIGTERM set
 * cli_interrupted, and a watchdog thread ends the process if the command
 * has not returned 0.8 s after the first of them (at once after a
 * second): one line on stderr, one JSON object on stdout with --json (see
 * cli_watch), exit status cli_interrupt_status(). Call before starting
 * threads: they inherit the signals blocked, so only the watchdog takes
 * them, even while a thread is stuck in a read of a hung device.
 */
void cli_catch_signals(void);

/*
 * cli_watch() - what the watchdog reports if it has to end this run:
 * command's name (a string that lives on), json (print the error report
 * on stdout too, outcome.h), and bytes_done, which returns the bytes
 * processed so far (called from the watchdog thread), or NULL. main()
 * calls it once the command is known.
 */
void cli_watch(const char *command, bool json, uint64_t (*bytes_done)(void));

/*
 * cli_watch_flag() - a fact of the run that the watchdog's report adds,
 * should it end the run: "key": true/false in the JSON, and when *flag
 * is set, said_when_set in the line ("the header region was written").
 * *flag is set by the command's thread and read by the watchdog's; key
 * and said_when_set live on. restore: header_region_written, which a
 * SIGINT landing during the header commit must report as it is.
 */
void cli_watch_flag(const char *key, const volatile sig_atomic_t *flag,
		    const char *said_when_set);

/*
 * cli_report_claim() - the command is about to print the error line of
 * an interrupted run. false when the watchdog has printed its own: print
 * nothing, the process is ending. cli_error calls it; commands need not.
 */
bool cli_report_claim(void);

/* 128 + the first SIGINT/SIGTERM received (130, 143), or 0. */
int cli_interrupt_status(void);

/*
 * cli_finish() - the command returned status: the watchdog stands down.
 * Returns the status to report: a run that ends in an error (EXIT_ERROR)
 * after SIGINT or SIGTERM (pipelines stop with -ECANCELED) exits with
 * cli_interrupt_status() instead.
 */
int cli_finish(int status);

/* "shadowsync: " + message + newline on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Parse a size: decimal digits and an optional suffix, nothing else (no
 * sign, space or fraction). The rule:
 *   K M G T, in either case (4k, 1m, 1g, 1t)       powers of 1024
 *   KiB MiB GiB TiB, any case of each letter (kib)  powers of 1024
 *   the letter, either case, then a capital B       powers of 1000, as dd
 *     (kB, KB, MB, mB, GB, TB)
 * A lower-case b after the letter (kb, mb) is refused: bits or bytes,
 * and dd's b is 512. Returns 0, or -EINVAL for anything else, -ERANGE
 * when the value does not fit in 64 bits.
 */
int parse_size(const char *s, uint64_t *out);

/* Parse a decimal unsigned in [min, max]. Returns 0 or -EINVAL/-ERANGE. */
int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out);

/* Options every I/O command takes. */
struct io_opts {
	const char *engine;
	uint64_t block_size;	/* 0: not given */
	uint64_t io_size;
	unsigned queue_depth;
	uint64_t memory_bytes;
	bool json;
};

#define IO_OPTS_DEFAULT { "auto", 0, 0, 0, 0, false }

/* Defaults measured on this project's disk (bench/RESULTS.md). */
#define DEFAULT_BLOCK_SIZE	(1u << 20)
#define DEFAULT_IO_SIZE		(1u << 20)
#define DEFAULT_QUEUE_DEPTH	32u
#define DEFAULT_MEMORY		(64u << 20)
#define MAX_BLOCK_SIZE		(64u << 20)

/* getopt_long codes of the shared options. */
enum {
	OPT_BLOCK_SIZE = 0x100,
	OPT_ENGINE,
	OPT_QUEUE_DEPTH,
	OPT_IO_SIZE,
	OPT_MEMORY,
	OPT_JSON,
	OPT_HELP,
	OPT_FORCE,		/* the commands that write: cli_getopt's force */
	OPT_FIRST_PRIVATE,	/* commands number their own from here */
};

/* The shared entries of a struct option table. */
#define IO_LONG_OPTIONS                                                     \
	{ "block-size", required_argument, NULL, OPT_BLOCK_SIZE },          \
	{ "engine", required_argument, NULL, OPT_ENGINE },                  \
	{ "queue-depth", required_argument, NULL, OPT_QUEUE_DEPTH },        \
	{ "io-size", required_argument, NULL, OPT_IO_SIZE },                \
	{ "memory", required_argument, NULL, OPT_MEMORY },                  \
	{ "json", no_argument, NULL, OPT_JSON },                            \
	{ "help", no_argument, NULL, OPT_HELP }

/*
 * Help lines, the same words in every command (and in the man page,
 * which tests/e2e/docs_agree.sh holds to them).
 */
#define HELP_BLOCK_SIZE                                                         \
	"  --block-size SIZE   comparison block: a multiple of 512 up to 64M\n"     \
	"                      (default: the Aerospike write-block size when the\n" \
	"                      device carries a header, else 1M)\n"
#define HELP_ENGINE                                                             \
	"  --engine E          auto (default: io_uring, else libaio, else psync),\n" \
	"                      io_uring, libaio or psync\n"
#define HELP_QUEUE_DEPTH(dflt)                                                  \
	"  --queue-depth N     reads in flight per device (default " dflt ")\n"
#define HELP_IO_SIZE                                                            \
	"  --io-size SIZE      bytes per read request (default 1M)\n"
#define HELP_MEMORY                                                             \
	"  --memory SIZE       cap on I/O buffers, refused when too small for\n"   \
	"                      one block of each device (default 64M)\n"
#define HELP_COMMON                                                             \
	"  --json              one JSON object on stdout, whatever happens\n"       \
	"  -q, --quiet         only errors, warnings and the result line\n"        \
	"  --progress MODE     auto (default: a line on a terminal), plain (a\n"   \
	"                      whole line every --progress-interval seconds, for\n" \
	"                      logs and the journal) or none\n"                     \
	"  --progress-interval SECONDS  between plain lines (default 5)\n"         \
	"  -h, --help          this text\n"
/* --prom, for the commands that write metrics (prom.h). */
#define HELP_PROM                                                               \
	"  --prom FILE         also write the run's metrics to FILE for\n"         \
	"                      Prometheus' textfile collector (replaced whole)\n"
#define HELP_SIZES                                                              \
	"sizes: 4096, 4K or 4k, 1M, 1MiB, 1G (powers of 1024); 1MB, 1GB (powers\n" \
	"of 1000, as dd)\n"

/* Every I/O option, for the commands that take them all. */
#define IO_OPTIONS_HELP_QD(dflt)                                                \
	HELP_BLOCK_SIZE HELP_ENGINE HELP_QUEUE_DEPTH(dflt) HELP_IO_SIZE         \
	HELP_MEMORY HELP_COMMON HELP_SIZES
#define IO_OPTIONS_HELP IO_OPTIONS_HELP_QD("32")

/* The end of every command's help: how to read its exit status. */
#define HELP_EXIT(zero, one)                                                    \
	"\nexit status:\n"                                                          \
	"  0    " zero "\n"                                                         \
	"  1    " one "\n"                                                          \
	"  2    error, bad input or refused\n"                                      \
	"  130  interrupted by SIGINT (143: by SIGTERM)\n"                          \
	"A non-zero status says why: on stderr, as the last line of stdout\n"     \
	"(\"exit status 1: ...\"), or in JSON (exit_reason).\n"

/*
 * Handle a shared option code with its argument. Returns 1 when opt was
 * one of them and its value valid, 0 when opt is not one of them, -1
 * after printing an error.
 */
int io_opts_parse(struct io_opts *o, int opt, const char *arg);

/*
 * One command's options, read by cli_getopt(): getopt_long over longopts
 * (optstring ":h"), with what the commands share done there.
 */
struct cli_getopt {
	const char *cmd;		/* "sync": in messages */
	const char *usage;		/* what -h and --help print */
	const struct option *longopts;
	struct io_opts *io;		/* IO_LONG_OPTIONS go here; or NULL */
	bool *force;			/* --force (OPT_FORCE) sets it; or NULL */
	bool started;			/* false before the first call */
};

#define CLI_GETOPT_END		0	/* optind is at the first operand */
#define CLI_GETOPT_HELP		(-2)	/* the usage was printed: exit 0 */
#define CLI_GETOPT_ERROR	(-1)	/* an error was printed: exit 2 */

/*
 * cli_getopt() - the next option of argv that is the command's own (its
 * code, > 0, with optarg), or CLI_GETOPT_END, CLI_GETOPT_HELP or
 * CLI_GETOPT_ERROR. Handled here: -h and --help, an unknown option or a
 * missing value (worded for g->cmd), the I/O options into g->io, --force
 * into g->force. The first call starts over at argv[1].
 */
int cli_getopt(struct cli_getopt *g, int argc, char **argv);

/*
 * Word a getopt_long failure (it returned '?' or ':' with optstring
 * starting with ':') for command cmd.
 */
void cli_option_error(const char *cmd, int ret, char **argv);

/* Fill in what was not given: defaults. */
void io_opts_finish(struct io_opts *o);

/* Check --block-size: not 0, a multiple of 512, at most 64 MiB. */
bool block_size_valid(uint64_t bs);

/* Print "%.1f GiB"-style sizes into buf. */
const char *human_bytes(uint64_t n, char *buf, size_t len);

/* The errno's symbolic name ("EIO") or its number. */
const char *errno_name(int err);

/* Flush stdout and report a failed write (full disk, closed pipe). */
int cli_flush_stdout(void);

#endif
