/*
 * args.c - parsing and formatting shared by the subcommands.
 */
#include "cli.h"
#include "../engine/engine.h"

#include <ctype.h>
#include <getopt.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

volatile sig_atomic_t cli_interrupted;

static void on_signal(int sig)
{
	(void)sig;
	cli_interrupted = 1;
}

void cli_catch_signals(void)
{
	struct sigaction sa = { 0 };

	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("shadowsync: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int parse_size(const char *s, uint64_t *out)
{
	static const char letters[] = "KMGT";
	const char *p = s, *unit;
	uint64_t v = 0, base = 1024, mult = 1;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (*p) {
		unit = strchr(letters, toupper((unsigned char)*p));
		if (!unit)
			return -EINVAL;
		if (p[1] == 'B' && !p[2])
			base = 1000;		/* kB, KB, MB: as dd */
		else if (p[1] && (tolower((unsigned char)p[1]) != 'i' ||
				  tolower((unsigned char)p[2]) != 'b' || p[3]))
			return -EINVAL;		/* K alone, or KiB in any case */
		for (long i = 0; i <= unit - letters; i++)
			mult *= base;
	}
	if (v && mult > UINT64_MAX / v)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	uint64_t v = 0;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return -ERANGE;
	}
	if (*s)
		return -EINVAL;
	if (v < min)
		return -ERANGE;
	*out = (unsigned)v;
	return 0;
}

bool block_size_valid(uint64_t bs)
{
	return bs && bs % 512 == 0 && bs <= MAX_BLOCK_SIZE;
}

static int size_option(const char *name, const char *arg, uint64_t *out)
{
	int ret = parse_size(arg, out);

	if (ret == -ERANGE)
		cli_error("--%s '%s': too large", name, arg);
	else if (ret < 0)
		cli_error("--%s '%s': not a size (examples: 4096, 4K, 1M, 8MiB)",
			  name, arg);
	return ret < 0 ? -1 : 1;
}

int io_opts_parse(struct io_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case OPT_BLOCK_SIZE:
		if (size_option("block-size", arg, &o->block_size) < 0)
			return -1;
		if (!block_size_valid(o->block_size)) {
			cli_error("--block-size '%s': must be a multiple of 512 "
				  "bytes, from 512 to 64M", arg);
			return -1;
		}
		return 1;
	case OPT_IO_SIZE:
		if (size_option("io-size", arg, &o->io_size) < 0)
			return -1;
		if (!o->io_size || o->io_size % 4096 ||
		    o->io_size > (64u << 20)) {
			cli_error("--io-size '%s': must be a multiple of 4K, "
				  "from 4K to 64M", arg);
			return -1;
		}
		return 1;
	case OPT_MEMORY:
		if (size_option("memory", arg, &o->memory_bytes) < 0)
			return -1;
		if (o->memory_bytes < (1u << 20)) {
			cli_error("--memory '%s': at least 1M", arg);
			return -1;
		}
		return 1;
	case OPT_QUEUE_DEPTH:
		if (parse_uint(arg, 1, 1024, &o->queue_depth) < 0) {
			cli_error("--queue-depth '%s': expected 1 to 1024", arg);
			return -1;
		}
		return 1;
	case OPT_ENGINE:
		if (!engine_name_valid(arg)) {
			cli_error("--engine '%s': expected auto, io_uring, "
				  "libaio or psync", arg);
			return -1;
		}
		o->engine = arg;
		return 1;
	case OPT_JSON:
		o->json = true;
		return 1;
	default:
		return 0;
	}
}

void cli_option_error(const char *cmd, int ret, char **argv)
{
	const char *arg = argv[optind - 1];

	if (ret == ':')
		cli_error("%s: option '%s' needs a value (see 'shadowsync %s "
			  "--help')", cmd, arg, cmd);
	else if (optopt > 0 && optopt < 0x80)
		cli_error("%s: unknown option '-%c' (see 'shadowsync %s "
			  "--help')", cmd, optopt, cmd);
	else
		cli_error("%s: unknown option '%s' (see 'shadowsync %s "
			  "--help')", cmd, arg, cmd);
}

void io_opts_finish(struct io_opts *o)
{
	if (!o->io_size)
		o->io_size = DEFAULT_IO_SIZE;
	if (!o->queue_depth)
		o->queue_depth = DEFAULT_QUEUE_DEPTH;
	if (!o->memory_bytes)
		o->memory_bytes = DEFAULT_MEMORY;
}

const char *human_bytes(uint64_t n, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB",
					    "PiB" };
	double v = (double)n;
	unsigned u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)n);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
	return buf;
}

const char *errno_name(int err)
{
	static _Thread_local char num[16];
	const char *name;

	if (err < 0)
		err = -err;
	name = strerrorname_np(err);
	if (name)
		return name;
	snprintf(num, sizeof(num), "%d", err);
	return num;
}

int cli_flush_stdout(void)
{
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "shadowsync: cannot write the report: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}
