/*
 * args.c - parsing and formatting shared by the subcommands.
 */
#include "cli.h"
#include "display.h"
#include "outcome.h"
#include "../engine/engine.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t cli_interrupted;

/*
 * Interrupts. SIGINT and SIGTERM are blocked in every thread but one, the
 * watchdog, so they reach it even while the thread doing I/O sits in a
 * syscall that no signal gets it out of (a read of a hung FUSE file or
 * disk). The handler runs on the watchdog thread: it sets cli_interrupted,
 * which the pipelines look at every PIPE_TICK_MS, and wakes the watchdog
 * through a pipe. If the command has not returned WATCHDOG_MS after the
 * first signal, or at a second one, the watchdog reports the interruption
 * itself and ends the process.
 */
#define WATCHDOG_MS		800
#define WATCHDOG_REPORT_MS	500	/* for a report the command began */

static volatile sig_atomic_t first_signal;
static int wake_fd[2] = { -1, -1 };

static void on_signal(int sig)
{
	int saved = errno;

	if (!first_signal)
		first_signal = sig;
	cli_interrupted = 1;
	if (write(wake_fd[1], "", 1) < 0) {
		/* a full pipe: the watchdog is awake already */
	}
	errno = saved;
}

/* What the watchdog says for this run (cli_watch). */
static struct {
	pthread_mutex_t lock;
	const char *command;
	bool json;
	uint64_t (*bytes_done)(void);
	bool finished;		/* the command returned */
	const char *flag_key, *flag_said;
	const volatile sig_atomic_t *flag;
} watch = { PTHREAD_MUTEX_INITIALIZER, NULL, false, NULL, false, NULL, NULL,
	    NULL };

/* Who has said on stderr that the run was interrupted. */
enum { LINE_OPEN, LINE_COMMAND, LINE_WATCHDOG };
static _Atomic int line_owner = LINE_OPEN;

void cli_watch(const char *command, bool json, uint64_t (*bytes_done)(void))
{
	pthread_mutex_lock(&watch.lock);
	watch.command = command;
	watch.json = json;
	watch.bytes_done = bytes_done;
	pthread_mutex_unlock(&watch.lock);
}

void cli_watch_flag(const char *key, const volatile sig_atomic_t *flag,
		    const char *said_when_set)
{
	pthread_mutex_lock(&watch.lock);
	watch.flag_key = key;
	watch.flag = flag;
	watch.flag_said = said_when_set;
	pthread_mutex_unlock(&watch.lock);
}

bool cli_report_claim(void)
{
	int owner = LINE_OPEN;

	return atomic_compare_exchange_strong(&line_owner, &owner,
					      LINE_COMMAND) ||
	       owner == LINE_COMMAND;
}

int cli_interrupt_status(void)
{
	return first_signal ? EXIT_INTERRUPTED_BASE + first_signal : 0;
}

int cli_finish(int status)
{
	pthread_mutex_lock(&watch.lock);
	watch.finished = true;
	pthread_mutex_unlock(&watch.lock);
	return status == EXIT_ERROR && cli_interrupted ? cli_interrupt_status()
						       : status;
}

static const char *signal_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "signal";
}

static void write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t k = write(fd, s, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return;
		s += k;
		n -= (size_t)k;
	}
}

/*
 * The line on stderr (unless the command said it already) and with
 * --json the error report on stdout (outcome.h: the command's own would
 * have been printed by main, which it never reached). Plain write(2):
 * the thread stuck in I/O may hold stdio's locks.
 */
static void watchdog_report(bool line)
{
	const char *sig = signal_name(first_signal);
	const char *cmd = watch.command ? watch.command : "the command";
	bool flag = watch.flag && *watch.flag;
	char done[40] = "", said[96] = "", fact[96] = "", msg[256], out[1024];
	int n;

	if (watch.bytes_done)
		snprintf(done, sizeof(done), "%llu bytes done; ",
			 (unsigned long long)watch.bytes_done());
	if (flag && watch.flag_said)
		snprintf(said, sizeof(said), "%s; ", watch.flag_said);
	if (watch.flag_key)
		snprintf(fact, sizeof(fact), "  \"%s\": %s,\n", watch.flag_key,
			 flag ? "true" : "false");
	snprintf(msg, sizeof(msg), "interrupted (%s) while waiting for I/O "
		 "that does not complete; %s%srun %s again", sig, done, said,
		 cmd);
	if (line) {
		n = snprintf(out, sizeof(out), "%sshadowsync: %s\n",
			     isatty(STDERR_FILENO) ? "\r\033[K" : "", msg);
		write_all(STDERR_FILENO, out, (size_t)n);
	}
	if (!watch.json)
		return;
	n = snprintf(out, sizeof(out),
		     "{\n  \"command\": \"%s\",\n  \"version\": \"%s\",\n"
		     "  \"result\": \"interrupted\",\n  \"exit_status\": %d,\n"
		     "  \"exit_reason\": \"interrupted by %s\",\n"
		     "  \"alarms\": [],\n  \"error\": \"%s\",\n%s"
		     "  \"signal\": \"%s\"\n}\n", cmd, SHADOWSYNC_VERSION,
		     cli_interrupt_status(), sig, msg, fact, sig);
	write_all(STDOUT_FILENO, out, (size_t)n);
}

/* Wait up to ms for a (further) signal; true if one came. */
static bool wait_signal(int ms)
{
	struct pollfd p = { .fd = wake_fd[0], .events = POLLIN };
	struct timespec t0, t;
	char c;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int left;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = ms - (int)((t.tv_sec - t0.tv_sec) * 1000 +
				  (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return false;
		if (poll(&p, 1, left) > 0 && read(wake_fd[0], &c, 1) == 1)
			return true;
	}
}

/*
 * The command has not returned: report and exit. If it has already said
 * on stderr that it was interrupted, it is likely returning: give it
 * WATCHDOG_REPORT_MS (not after a second signal) to print its own report.
 */
static void watchdog_fire(bool second)
{
	int owner = LINE_OPEN;
	bool line;

	pthread_mutex_lock(&watch.lock);
	if (watch.finished) {
		pthread_mutex_unlock(&watch.lock);
		return;
	}
	line = atomic_compare_exchange_strong(&line_owner, &owner,
					      LINE_WATCHDOG);
	if (line || second) {
		watchdog_report(line);
		_exit(cli_interrupt_status());
	}
	pthread_mutex_unlock(&watch.lock);
	wait_signal(WATCHDOG_REPORT_MS);
	pthread_mutex_lock(&watch.lock);
	if (!watch.finished) {
		watchdog_report(false);
		_exit(cli_interrupt_status());
	}
	pthread_mutex_unlock(&watch.lock);
}

/* Wait for a signal, then for the command, WATCHDOG_MS at most. */
static void *watchdog(void *arg)
{
	sigset_t mine;
	char c;

	(void)arg;
	sigemptyset(&mine);
	sigaddset(&mine, SIGINT);
	sigaddset(&mine, SIGTERM);
	pthread_sigmask(SIG_UNBLOCK, &mine, NULL);
	while (read(wake_fd[0], &c, 1) != 1)
		;
	watchdog_fire(wait_signal(WATCHDOG_MS));
	return NULL;
}

void cli_catch_signals(void)
{
	struct sigaction sa = { 0 };
	pthread_attr_t attr;
	pthread_t tid;
	sigset_t block;
	bool started;

	if (pipe2(wake_fd, O_CLOEXEC | O_NONBLOCK) < 0)
		return;
	/* Only the write end must not block (the handler); reads wait. */
	fcntl(wake_fd[0], F_SETFL, 0);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	started = !pthread_create(&tid, &attr, watchdog, NULL);
	pthread_attr_destroy(&attr);
	if (!started)	/* no watchdog: signals go to whoever runs */
		pthread_sigmask(SIG_UNBLOCK, &block, NULL);
}

void cli_error(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!cli_run.first_error[0])
		snprintf(cli_run.first_error, sizeof(cli_run.first_error), "%s",
			 msg);
	/* After an interrupt the watchdog may be the one reporting. */
	if (cli_interrupted && !cli_report_claim())
		return;
	fflush(stdout);
	/* One line, whatever bytes a path put into it. */
	fprintf(stderr, "shadowsync: %s\n", disp(msg));
}

int parse_size(const char *s, uint64_t *out)
{
	static const char letters[] = "KMGT";
	const char *p = s, *unit;
	uint64_t v = 0, base = 1024, mult = 1;
	bool overflow = false;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	/* The whole word is checked before a value is "too large". */
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			overflow = true;
		else
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
	if (overflow || (v && mult > UINT64_MAX / v))
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

int cli_getopt(struct cli_getopt *g, int argc, char **argv)
{
	int opt;

	if (!g->started) {
		optind = 1;
		opterr = 0;
		g->started = true;
	}
	while ((opt = getopt_long(argc, argv, ":h", g->longopts, NULL)) != -1) {
		int ret = 0;

		switch (opt) {
		case 'h':
		case OPT_HELP:
			fputs(g->usage, stdout);
			return CLI_GETOPT_HELP;
		case '?':
		case ':':
			cli_option_error(g->cmd, opt, argv);
			return CLI_GETOPT_ERROR;
		case OPT_FORCE:
			if (!g->force)
				return opt;
			*g->force = true;
			continue;
		}
		if (g->io)
			ret = io_opts_parse(g->io, opt, optarg);
		if (ret < 0)
			return CLI_GETOPT_ERROR;
		if (!ret)
			return opt;
	}
	return CLI_GETOPT_END;
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
