/*
 * cmd_bench.c - `shadowsync bench TARGET`: what this host's storage and
 * CPU can do, for sizing instances and planning restore windows. A sweep
 * of engines x queue depths x request sizes over TARGET, read-only (a
 * regular file bench creates itself with --write is also written), and
 * the XXH3-128 speed of this CPU after a known-answer check.
 */
#include "cli.h"
#include "display.h"
#include "outcome.h"
#include "report.h"
#include "single.h"
#include "../engine/device.h"
#include "../engine/engine.h"
#include "../engine/iobench.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

static const char bench_usage[] =
	"usage: shadowsync bench TARGET [options]\n"
	"\n"
	"Measure reads of TARGET (a block device or file) for every combination\n"
	"of engine, queue depth and request size: throughput, IOPS, p50/p99\n"
	"latency and CPU seconds per GiB; then the best combination, and the\n"
	"XXH3-128 speed of this CPU after a known-answer self-check. O_DIRECT\n"
	"(said when the file system needs buffered reads). TARGET is never\n"
	"written, unless --write: then bench creates TARGET, a regular file that\n"
	"must not exist, measures writes to it too, and removes it. The total\n"
	"time is announced before starting.\n"
	"\n"
	"options:\n"
	"  --engines LIST      default io_uring,libaio,psync (those built in)\n"
	"  --queue-depths LIST default 1,4,16,32,64,128 (psync: 1 only)\n"
	"  --io-sizes LIST     default 128K,1M,8M\n"
	"  --seconds N         per combination (default 2; fractions allowed)\n"
	"  --write             create TARGET, also measure writes, remove it\n"
	"  --size SIZE         --write: TARGET's size (default 1G)\n"
	"  --memory SIZE       skip combinations needing more buffers (queue\n"
	"                      depth x request size) than this (default 256M)\n"
	HELP_COMMON HELP_SIZES
	HELP_EXIT("measured", "(not used)");

enum {
	OPT_ENGINES = OPT_FIRST_PRIVATE, OPT_DEPTHS, OPT_SIZES, OPT_SECONDS,
	OPT_WRITE, OPT_SIZE,
};

#define MAX_LIST 16

struct bench_args {
	const char *target;
	const char *engines[MAX_LIST];
	unsigned nengines;
	unsigned depths[MAX_LIST];
	unsigned ndepths;
	uint64_t sizes[MAX_LIST];
	unsigned nsizes;
	double seconds;
	bool write, json;
	uint64_t size, memory;
};

struct cell_out {
	struct iobench_cell c;
	struct iobench_result r;
	const char *skipped;	/* why it did not run, or NULL */
	int err;
};

/* Split a comma list into at most MAX_LIST items; each checked by fn. */
static int parse_list(const char *opt, const char *arg, unsigned *n,
		      int (*fn)(const char *item, unsigned i, void *ctx),
		      void *ctx)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	int ret = 0;

	if (!copy)
		return -1;
	*n = 0;
	for (tok = strtok_r(copy, ",", &save); tok && !ret;
	     tok = strtok_r(NULL, ",", &save)) {
		if (*n == MAX_LIST) {
			cli_error("--%s: at most %d items", opt, MAX_LIST);
			ret = -1;
		} else if (fn(tok, *n, ctx) < 0) {
			ret = -1;
		} else {
			(*n)++;
		}
	}
	if (!ret && !*n) {
		cli_error("--%s '%s': an empty list", opt, arg);
		ret = -1;
	}
	free(copy);
	return ret;
}

static int engine_item(const char *s, unsigned i, void *ctx)
{
	struct bench_args *a = ctx;
	static const char *const names[] = { "io_uring", "libaio", "psync" };

	for (unsigned k = 0; k < 3; k++)
		if (!strcmp(s, names[k])) {
			a->engines[i] = names[k];
			return 0;
		}
	cli_error("--engines: '%s' is not io_uring, libaio or psync", disp(s));
	return -1;
}

static int depth_item(const char *s, unsigned i, void *ctx)
{
	struct bench_args *a = ctx;

	if (parse_uint(s, 1, 1024, &a->depths[i]) < 0) {
		cli_error("--queue-depths: '%s' is not 1 to 1024", disp(s));
		return -1;
	}
	return 0;
}

static int size_item(const char *s, unsigned i, void *ctx)
{
	struct bench_args *a = ctx;

	if (parse_size(s, &a->sizes[i]) < 0 || !a->sizes[i] ||
	    a->sizes[i] % 4096 || a->sizes[i] > (64u << 20)) {
		cli_error("--io-sizes: '%s' is not a multiple of 4K from 4K to "
			  "64M", disp(s));
		return -1;
	}
	return 0;
}

static int parse_seconds(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || !(*out >= 0.01) || *out > 3600) {
		cli_error("--seconds '%s': a number of seconds, 0.01 to 3600",
			  disp(s));
		return -1;
	}
	return 0;
}

static int parse_args(struct bench_args *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "engines", required_argument, NULL, OPT_ENGINES },
		{ "queue-depths", required_argument, NULL, OPT_DEPTHS },
		{ "io-sizes", required_argument, NULL, OPT_SIZES },
		{ "seconds", required_argument, NULL, OPT_SECONDS },
		{ "write", no_argument, NULL, OPT_WRITE },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "memory", required_argument, NULL, OPT_MEMORY },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	int opt;

	a->seconds = 2;
	a->size = 1ull << 30;
	a->memory = 256u << 20;
	parse_list("engines", "io_uring,libaio,psync", &a->nengines,
		   engine_item, a);
	parse_list("queue-depths", "1,4,16,32,64,128", &a->ndepths,
		   depth_item, a);
	parse_list("io-sizes", "128K,1M,8M", &a->nsizes, size_item, a);
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		int ret = 0;

		switch (opt) {
		case OPT_ENGINES:
			ret = parse_list("engines", optarg, &a->nengines,
					 engine_item, a);
			break;
		case OPT_DEPTHS:
			ret = parse_list("queue-depths", optarg, &a->ndepths,
					 depth_item, a);
			break;
		case OPT_SIZES:
			ret = parse_list("io-sizes", optarg, &a->nsizes,
					 size_item, a);
			break;
		case OPT_SECONDS:
			ret = parse_seconds(optarg, &a->seconds);
			break;
		case OPT_WRITE:
			a->write = true;
			break;
		case OPT_SIZE:
			if (parse_size(optarg, &a->size) < 0 ||
			    a->size < (1u << 20) || a->size % 4096) {
				cli_error("--size '%s': a multiple of 4K, at "
					  "least 1M", disp(optarg));
				ret = -1;
			}
			break;
		case OPT_MEMORY:
			if (parse_size(optarg, &a->memory) < 0 ||
			    a->memory < (1u << 20)) {
				cli_error("--memory '%s': at least 1M",
					  disp(optarg));
				ret = -1;
			}
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case 'h':
		case OPT_HELP:
			fputs(bench_usage, stdout);
			return 1;
		default:
			cli_option_error("bench", opt, argv);
			return -1;
		}
		if (ret < 0)
			return -1;
	}
	if (optind != argc - 1) {
		cli_error("bench: expected one TARGET (see 'shadowsync bench "
			  "--help')");
		return -1;
	}
	a->target = argv[optind];
	return 0;
}

/* The known answers: xxhsum -H2 of "" and of 1 MiB of (i*131+7) & 255. */
static bool hash_self_check(void)
{
	static const XXH128_hash_t empty = { 0x6001c324468d497full,
					      0x99aa06d3014798d8ull };
	static const XXH128_hash_t pattern = { 0x6f7c82505ffbc516ull,
					       0x693782642cdfa231ull };
	unsigned char *buf = malloc(1u << 20);
	XXH128_hash_t h;
	bool ok;

	if (!buf)
		return false;
	for (size_t i = 0; i < (1u << 20); i++)
		buf[i] = (unsigned char)((i * 131 + 7) & 255);
	h = XXH3_128bits("", 0);
	ok = XXH128_isEqual(h, empty);
	h = XXH3_128bits(buf, 1u << 20);
	ok = ok && XXH128_isEqual(h, pattern);
	free(buf);
	return ok;
}

/* Bytes per second of XXH3-128 over 1 MiB blocks (as verify hashes). */
static double hash_speed(double seconds)
{
	size_t len = 16u << 20, block = 1u << 20;
	unsigned char *buf = malloc(len);
	uint64_t bytes = 0, sink = 0;
	struct timespec t0, t;
	double el = 0;

	if (!buf)
		return 0;
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)(i * 2654435761u >> 13);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (size_t o = 0; o < len; o += block)
			sink ^= XXH3_128bits(buf + o, block).low64;
		bytes += len;
		clock_gettime(CLOCK_MONOTONIC, &t);
		el = (double)(t.tv_sec - t0.tv_sec) +
		     (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
	} while (el < seconds && !cli_interrupted);
	free(buf);
	if (sink == 0x42)	/* keep the work */
		bytes++;
	return el > 0 ? (double)bytes / el : 0;
}

/* The cells to run, with those that cannot run marked. */
static size_t plan(const struct bench_args *a, uint64_t size, bool write,
		   bool buffered, struct cell_out *out)
{
	size_t n = 0;

	for (unsigned e = 0; e < a->nengines; e++)
		for (unsigned d = 0; d < a->ndepths; d++)
			for (unsigned s = 0; s < a->nsizes; s++) {
				struct cell_out *o = &out[n++];

				*o = (struct cell_out){ .c = {
					a->engines[e], a->depths[d], a->sizes[s],
					a->seconds, write, buffered } };
				if (!strcmp(a->engines[e], "psync") &&
				    a->depths[d] > 1)
					o->skipped = "psync keeps one request in flight";
				else if ((uint64_t)a->depths[d] * a->sizes[s] > a->memory)
					o->skipped = "needs more buffers than --memory";
				else if (a->sizes[s] > size)
					o->skipped = "larger than the target";
			}
	return n;
}

static double rate_of(const struct cell_out *o)
{
	return o->r.elapsed_s > 0 ? (double)o->r.bytes / o->r.elapsed_s : 0;
}

static double cpu_per_gib(const struct cell_out *o)
{
	return o->r.bytes ? o->r.cpu_s / ((double)o->r.bytes / (1u << 30)) : 0;
}

static const struct cell_out *best_of(const struct cell_out *v, size_t n,
				      bool write)
{
	const struct cell_out *best = NULL;

	for (size_t i = 0; i < n; i++)
		if (!v[i].skipped && !v[i].err && v[i].c.write == write &&
		    (!best || rate_of(&v[i]) > rate_of(best)))
			best = &v[i];
	return best;
}

static json_t *cell_json(const struct cell_out *o)
{
	json_t *j = json_pack("{s:s,s:s,s:I,s:I}", "engine", o->c.engine,
			      "direction", o->c.write ? "write" : "read",
			      "queue_depth", (json_int_t)o->c.depth,
			      "io_size_bytes", (json_int_t)o->c.io_size);

	if (o->skipped || o->err) {
		json_object_set_new(j, "skipped", json_string(o->skipped
				    ? o->skipped : strerror(-o->err)));
		return j;
	}
	json_object_set_new(j, "skipped", json_null());
	json_object_set_new(j, "bytes", json_integer((json_int_t)o->r.bytes));
	json_object_set_new(j, "ios", json_integer((json_int_t)o->r.ios));
	json_object_set_new(j, "elapsed_s", json_real(o->r.elapsed_s));
	json_object_set_new(j, "throughput_bytes_per_s",
			    json_integer((json_int_t)rate_of(o)));
	json_object_set_new(j, "iops", json_real(o->r.elapsed_s > 0
			    ? (double)o->r.ios / o->r.elapsed_s : 0));
	json_object_set_new(j, "latency_p50_us", json_real(o->r.lat_p50_us));
	json_object_set_new(j, "latency_p99_us", json_real(o->r.lat_p99_us));
	json_object_set_new(j, "cpu_s_per_gib", json_real(cpu_per_gib(o)));
	return j;
}

static json_t *best_json(const struct cell_out *b)
{
	return b ? cell_json(b) : json_null();
}

static const char *size_word(uint64_t n, char *buf, size_t len)
{
	if (n % (1u << 20) == 0)
		snprintf(buf, len, "%lluM", (unsigned long long)(n >> 20));
	else
		snprintf(buf, len, "%lluK", (unsigned long long)(n >> 10));
	return buf;
}

static void print_text(const struct device *d, const struct cell_out *v,
		       size_t n, double hash_bps)
{
	char b1[32], b2[32];

	printf("%-5s %-8s %4s %7s %10s %9s %9s %9s %10s\n", "dir", "engine",
	       "qd", "io size", "MiB/s", "IOPS", "p50 us", "p99 us",
	       "CPU s/GiB");
	for (size_t i = 0; i < n; i++) {
		const struct cell_out *o = &v[i];

		if (o->skipped)
			continue;
		if (o->err) {
			printf("%-5s %-8s %4u %7s  failed: %s\n",
			       o->c.write ? "write" : "read", o->c.engine,
			       o->c.depth, size_word(o->c.io_size, b1, sizeof(b1)),
			       strerror(-o->err));
			continue;
		}
		printf("%-5s %-8s %4u %7s %10.1f %9.0f %9.0f %9.0f %10.3f\n",
		       o->c.write ? "write" : "read", o->c.engine, o->c.depth,
		       size_word(o->c.io_size, b1, sizeof(b1)),
		       rate_of(o) / (1u << 20),
		       o->r.elapsed_s > 0 ? (double)o->r.ios / o->r.elapsed_s : 0,
		       o->r.lat_p50_us, o->r.lat_p99_us, cpu_per_gib(o));
	}
	for (int w = 0; w < 2; w++) {
		const struct cell_out *b = best_of(v, n, w);

		if (b)
			printf("best %s: %s, queue depth %u, %s requests: %s/s\n",
			       w ? "write" : "read", b->c.engine, b->c.depth,
			       size_word(b->c.io_size, b1, sizeof(b1)),
			       human_bytes((uint64_t)rate_of(b), b2, sizeof(b2)));
	}
	printf("XXH3-128 on this CPU: %s/s over 1 MiB blocks (self-check "
	       "passed)\n", human_bytes((uint64_t)hash_bps, b1, sizeof(b1)));
	(void)d;
}

/* --write: create TARGET (it must not exist) at its size. */
static int create_target(const struct bench_args *a)
{
	int fd = open(a->target, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0) {
		cli_error(errno == EEXIST
			  ? "bench --write: '%s' exists; --write creates its "
			    "own file and never writes one that is there"
			  : "bench --write: cannot create '%s': %s",
			  disp(a->target), strerror(errno));
		return -1;
	}
	if (posix_fallocate(fd, 0, (off_t)a->size) &&
	    ftruncate(fd, (off_t)a->size) < 0) {
		cli_error("bench --write: cannot size '%s': %s",
			  disp(a->target), strerror(errno));
		close(fd);
		unlink(a->target);
		return -1;
	}
	close(fd);
	return 0;
}

int cmd_bench(int argc, char **argv)
{
	struct bench_args a = { 0 };
	struct cell_out *cells = NULL;
	struct device d = { .fd = -1 };
	size_t n = 0, total_cells;
	double hash_bps, total_s;
	int ret, status = EXIT_MATCH;
	bool created = false;

	ret = parse_args(&a, argc, argv);
	if (ret)
		return ret > 0 ? EXIT_MATCH : EXIT_ERROR;
	if (!hash_self_check()) {
		cli_error("bench: XXH3-128 gives wrong answers on this CPU (known-"
			  "answer self-check failed): do not trust its digests");
		return EXIT_ERROR;
	}
	if (a.write) {
		if (create_target(&a) < 0)
			return EXIT_ERROR;
		created = true;
	}
	ret = device_open(&d, a.target, a.write ? DEVICE_WRITE : 0);
	if (ret < 0) {
		cli_error("bench: cannot open '%s': %s", disp(a.target),
			  device_strerror(ret));
		status = EXIT_ERROR;
		goto out;
	}
	total_cells = (size_t)a.nengines * a.ndepths * a.nsizes * (a.write ? 2 : 1);
	cells = calloc(total_cells, sizeof(*cells));
	if (!cells) {
		cli_error("bench: out of memory");
		status = EXIT_ERROR;
		goto out;
	}
	if (a.write)
		n += plan(&a, d.size_bytes, true, !d.direct, cells);
	n += plan(&a, d.size_bytes, false, !d.direct, cells + n);
	total_s = 0;
	for (size_t i = 0; i < n; i++)
		total_s += cells[i].skipped ? 0 : a.seconds;
	if (!cli_run.quiet) {
		size_t runs = 0;

		for (size_t i = 0; i < n; i++)
			runs += !cells[i].skipped;
		fprintf(stderr, "bench: %zu combinations x %.2g s = about %.0f s "
			"on '%s'%s, then %.2g s of hashing\n", runs, a.seconds,
			ceil(total_s), disp(a.target),
			d.direct ? "" : " (buffered: this file system refuses "
			"O_DIRECT, so reads may come from the page cache)",
			a.seconds < 1 ? a.seconds : 1.0);
	}
	for (size_t i = 0; i < n && !cli_interrupted; i++) {
		if (cells[i].skipped)
			continue;
		cells[i].err = iobench_run(d.fd, d.size_bytes, &cells[i].c,
					   &cells[i].r);
		if (cells[i].err == -ENOSYS)
			cells[i].skipped = "engine not built in";
		else if (cells[i].err == -EPERM || cells[i].err == -EINVAL ||
			 cells[i].err == -EOPNOTSUPP)
			cells[i].skipped = "engine not available on this host "
					   "(shadowsync --version says why)";
		else if (cells[i].err && cells[i].r.err_offset >= 0) {
			cli_error("bench: %s error on '%s' at offset %lld: %s",
				  cells[i].c.write ? "write" : "read",
				  disp(a.target),
				  (long long)cells[i].r.err_offset,
				  strerror(-cells[i].err));
			status = EXIT_ERROR;
			break;
		}
		if (cells[i].skipped)
			cells[i].err = 0;
	}
	if (cli_interrupted) {
		status = EXIT_ERROR;	/* cli_finish makes it 130 / 143 */
		goto out;
	}
	hash_bps = hash_speed(1.0 < a.seconds ? 1.0 : a.seconds);
	if (!best_of(cells, n, false) && status == EXIT_MATCH) {
		cli_error("bench: no combination could run on '%s'",
			  disp(a.target));
		status = EXIT_ERROR;
	}
	if (cli_run_wants_report()) {
		json_t *arr = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, cell_json(&cells[i]));
		report_json_emit(json_pack(
			"{s:s,s:s,s:o,s:b,s:f,s:o,s:o,s:o,s:{s:s,s:b,s:I}}",
			"command", "bench",
			"result", status == EXIT_MATCH ? "ok" : "error",
			"target", single_device_json(&d),
			"created", created,
			"seconds_per_cell", a.seconds,
			"cells", arr,
			"best_read", best_json(best_of(cells, n, false)),
			"best_write", best_json(best_of(cells, n, true)),
			"hash", "algorithm", "XXH3-128", "self_check", true,
			"throughput_bytes_per_s", (json_int_t)hash_bps));
	}
	if (!a.json && status == EXIT_MATCH)
		print_text(&d, cells, n, hash_bps);
out:
	if (d.fd >= 0)
		device_close(&d);
	if (created && unlink(a.target) < 0) {
		cli_error("bench: cannot remove '%s': %s", disp(a.target),
			  strerror(errno));
		status = EXIT_ERROR;
	}
	free(cells);
	return status;
}
