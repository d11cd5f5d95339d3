/*
 * prom.c - the Prometheus textfile of a run (prom.h).
 */
#include "prom.h"
#include "cli.h"
#include "display.h"
#include "../engine/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const prom_commands[] = {
	"verify", "sync", "restore", "warm", "check",
};

int prom_command_ok(const char *command)
{
	for (size_t i = 0; i < sizeof(prom_commands) / sizeof(*prom_commands); i++)
		if (!strcmp(command, prom_commands[i]))
			return 1;
	return 0;
}

/* A label value: display-escaped (one line, UTF-8), then the exposition
 * format's own escapes of backslash, quote and newline. */
static void put_label(FILE *f, const char *name, const char *value, int first)
{
	const char *s = disp(value ? value : "");

	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

struct target_labels {
	const char *command, *local, *shadow, *namespace;
};

static void put_target(FILE *f, const struct target_labels *t)
{
	put_label(f, "command", t->command, 1);
	put_label(f, "local", t->local, 0);
	put_label(f, "shadow", t->shadow, 0);
	put_label(f, "namespace", t->namespace, 0);
}

/* One sample of a per-target metric, from a JSON number when present. */
static void put_number(FILE *f, const char *metric, const struct target_labels *t,
		       const json_t *v)
{
	if (!json_is_number(v))
		return;
	fprintf(f, "%s{", metric);
	put_target(f, t);
	fprintf(f, "} %.10g\n", json_number_value(v));
}

/* A string member, or the "path" (else "url") of an object member. */
static const char *str_or_path(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (json_is_object(v)) {
		const json_t *p = json_object_get(v, "path");

		if (!json_is_string(p))
			p = json_object_get(v, "url");
		if (!json_is_string(p))	/* restore's source: path or URL */
			p = json_object_get(v, "name");
		v = p;
	}
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* What one pair or device reports: each sample type-annotated once, so
 * the families are written family by family (the format wants a
 * family's samples together). */
struct sample_src {
	struct target_labels t;
	const json_t *o;	/* the pair, or the report itself */
};

static const struct {
	const char *metric, *key, *help;
} numbers[] = {
	{ "shadowsync_bytes_compared", "bytes_compared",
	  "Bytes compared (verify, sync, check)." },
	{ "shadowsync_bytes_differing", "differing_bytes",
	  "Bytes in blocks that differ (verify, sync, check)." },
	{ "shadowsync_bytes_written", "bytes_written",
	  "Bytes written to local or target (sync, restore)." },
	{ "shadowsync_bytes_read", "bytes_read",
	  "Bytes read from the device or source (warm, restore)." },
	{ "shadowsync_elapsed_seconds", "elapsed_s",
	  "Seconds the pair's or device's job took." },
	{ "shadowsync_throughput_bytes_per_second", "throughput_bytes_per_s",
	  "Bytes per second over the job." },
};

static void put_families(FILE *f, const struct sample_src *src, size_t n)
{
	for (size_t k = 0; k < sizeof(numbers) / sizeof(*numbers); k++) {
		int any = 0;

		for (size_t i = 0; i < n; i++)
			any |= json_is_number(json_object_get(src[i].o, numbers[k].key));
		if (!any && strcmp(numbers[k].key, "throughput_bytes_per_s"))
			continue;
		if (!any) {
			/* verify and sync: bytes compared over the pair's time */
			int pairs = 0;

			for (size_t i = 0; i < n; i++)
				pairs |= json_is_number(json_object_get(src[i].o,
							"bytes_compared"));
			if (!pairs)
				continue;
		}
		fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", numbers[k].metric,
			numbers[k].help, numbers[k].metric);
		for (size_t i = 0; i < n; i++) {
			const json_t *v = json_object_get(src[i].o, numbers[k].key);
			json_t *rate = NULL;

			if (!v && !strcmp(numbers[k].key, "throughput_bytes_per_s")) {
				double b = json_number_value(json_object_get(
						src[i].o, "bytes_compared"));
				double s = json_number_value(json_object_get(
						src[i].o, "elapsed_s"));

				rate = json_real(s > 0 ? b / s : 0);
				v = rate;
			}
			put_number(f, numbers[k].metric, &src[i].t, v);
			json_decref(rate);
		}
	}
	fputs("# HELP shadowsync_result The result of the pair's or device's job "
	      "(label result).\n# TYPE shadowsync_result gauge\n", f);
	for (size_t i = 0; i < n; i++) {
		fputs("shadowsync_result{", f);
		put_target(f, &src[i].t);
		put_label(f, "result", str_or_path(src[i].o, "result"), 0);
		fputs("} 1\n", f);
	}
	for (size_t i = 0, head = 0; i < n; i++) {
		const char *v = str_or_path(json_object_get(src[i].o, "cold_start"),
					    "verdict");

		if (!v)
			continue;
		if (!head++)
			fputs("# HELP shadowsync_cold_start_verdict What asd will do "
			      "at cold start (label verdict).\n"
			      "# TYPE shadowsync_cold_start_verdict gauge\n", f);
		fputs("shadowsync_cold_start_verdict{", f);
		put_target(f, &src[i].t);
		put_label(f, "verdict", v, 0);
		fputs("} 1\n", f);
	}
}

static void put_run(FILE *f, const char *command, const char *metric,
		    const char *help, double value)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n%s{", metric, help, metric,
		metric);
	put_label(f, "command", command, 1);
	fprintf(f, "} %.15g\n", value);
}

static void put_all(FILE *f, const char *command, const json_t *report,
		    int status, double started, double ended)
{
	struct sample_src one, *src = &one;
	const json_t *pairs = json_object_get(report, "pairs");
	size_t n = 0;

	put_run(f, command, "shadowsync_last_run_timestamp_seconds",
		"Unix time the last run ended.", (double)time(NULL));
	put_run(f, command, "shadowsync_last_run_duration_seconds",
		"Wall seconds of the last run.", ended - started);
	put_run(f, command, "shadowsync_last_run_exit_status",
		"Exit status of the last run (0 fine, 1 differs or alarming, "
		"2 error, 130/143 interrupted).", status);
	put_run(f, command, "shadowsync_last_run_success",
		"1 when the last run exited 0.", status == 0);
	if (!report)
		return;
	if (json_is_array(pairs) && json_array_size(pairs)) {
		src = calloc(json_array_size(pairs), sizeof(*src));
		if (!src)
			return;
		for (; n < json_array_size(pairs); n++) {
			const json_t *p = json_array_get(pairs, n);

			src[n] = (struct sample_src){
				{ command, str_or_path(p, "local"),
				  str_or_path(p, "shadow"),
				  str_or_path(p, "namespace") }, p };
		}
	} else if (!json_is_array(pairs)) {
		const char *local = str_or_path(report, "device");
		const char *shadow = NULL;

		if (!local) {	/* restore: TARGET from SOURCE */
			local = str_or_path(report, "target");
			shadow = str_or_path(report, "source");
		}
		if (local) {
			one = (struct sample_src){
				{ command, local, shadow,
				  str_or_path(report, "namespace") }, report };
			n = 1;
		}
	}
	put_families(f, src, n);
	if (src != &one)
		free(src);
}

static struct outfile prom_out = { .fd = -1 };

int prom_begin(const char *path)
{
	int ret = outfile_open(&prom_out, path);

	if (ret < 0)
		cli_error("cannot write metrics '%s': %s", disp(path),
			  strerror(-ret));
	return ret;
}

void prom_abort(void)
{
	if (prom_out.path)
		outfile_abort(&prom_out);
}

int prom_write(const char *command, const json_t *report, int status,
	       double started, double ended)
{
	char *path = prom_out.path ? strdup(prom_out.path) : NULL;
	FILE *f;
	int ret = 0, fd;

	if (!path)
		return -ENOMEM;
	fd = dup(prom_out.fd);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		if (fd >= 0)
			close(fd);
	} else {
		put_all(f, command, report, status, started, ended);
		if (fflush(f) || ferror(f))
			ret = -(errno ? errno : EIO);
		if (fclose(f) && !ret)
			ret = -errno;
	}
	if (!ret)
		ret = outfile_commit(&prom_out);
	else
		outfile_abort(&prom_out);
	if (ret)
		fprintf(stderr, "shadowsync: WARNING: cannot write metrics "
			"'%s': %s; the run's result stands, the old file (if "
			"any) is as it was\n", disp(path), strerror(-ret));
	free(path);
	return ret;
}
