/*
 * outcome.c - the run's exit status, reason and JSON envelope (outcome.h).
 */
#include "outcome.h"
#include "cli.h"
#include "display.h"
#include "outpath.h"
#include "prom.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct cli_run cli_run;

static double monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * A global option with a value at argv[*i]: "--name VALUE" or
 * "--name=VALUE". Returns the value (moving *i past it), NULL when
 * argv[*i] is not this option; *missing set when the value is missing.
 */
static const char *option_value(const char *name, int argc, char **argv,
				int *i, bool *missing)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n))
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n])
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

/* --prom FILE: a command with metrics, a path that is no input. */
static int prom_check(const char *command, const char *path, int argc,
		      char **argv)
{
	char msg[1024];

	if (!prom_command_ok(command)) {
		cli_error("--prom: '%s' writes no metrics (verify, sync, restore, "
			  "warm and check do)", command);
		return -1;
	}
	if (!*path) {
		cli_error("--prom: an empty file name");
		return -1;
	}
	if (output_path_check(path, (const char *const *)argv + 1,
			      (size_t)argc - 1, msg, sizeof(msg)) < 0) {
		cli_error("cannot write metrics '%s': %s", disp(path), msg);
		return -1;
	}
	return 0;
}

int cli_run_begin(const char *command, int argc, char **argv)
{
	const char *v;
	bool options = true, missing = false;
	int out = 1;

	cli_run.command = command;
	cli_run.started = monotonic_now();
	cli_run.progress_every = 5;
	/* --json anywhere: an error in an option before it is JSON too. */
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--json"))
			cli_run.json = true;
	for (int i = 1; i < argc; i++) {
		if (options && !strcmp(argv[i], "--")) {
			options = false;
		} else if (options && !strcmp(argv[i], "--json")) {
			cli_run.json = true;
		} else if (options && (!strcmp(argv[i], "--quiet") ||
				       !strcmp(argv[i], "-q"))) {
			cli_run.quiet = true;
			continue;
		} else if (options && (v = option_value("--prom", argc, argv, &i,
							&missing))) {
			cli_run.prom = v;
			continue;
		} else if (options && (v = option_value("--progress", argc, argv,
							&i, &missing))) {
			if (!strcmp(v, "auto") || !strcmp(v, "tty"))
				cli_run.progress = PROGRESS_AUTO;
			else if (!strcmp(v, "plain"))
				cli_run.progress = PROGRESS_PLAIN;
			else if (!strcmp(v, "none"))
				cli_run.progress = PROGRESS_NONE;
			else {
				cli_error("--progress '%s': auto, plain or none",
					  disp(v));
				cli_run.prom = NULL;
				return -1;
			}
			continue;
		} else if (options && (v = option_value("--progress-interval",
							argc, argv, &i, &missing))) {
			if (parse_uint(v, 1, 86400, &cli_run.progress_every)) {
				cli_error("--progress-interval '%s': seconds, 1 to "
					  "86400", disp(v));
				cli_run.prom = NULL;
				return -1;
			}
			continue;
		}
		if (missing) {
			cli_error("option '%s' requires a value", argv[i]);
			cli_run.prom = NULL;
			return -1;
		}
		argv[out++] = argv[i];
	}
	argv[out] = NULL;
	if (cli_run.prom && (prom_check(command, cli_run.prom, out, argv) < 0 ||
			     prom_begin(cli_run.prom) < 0)) {
		cli_run.prom = NULL;	/* refused: nothing is written */
		return -1;
	}
	return out;
}

bool cli_run_wants_report(void)
{
	return cli_run.json || cli_run.prom;
}

void cli_exit_reason(const char *fmt, ...)
{
	va_list ap;

	if (cli_run.reason[0])
		return;
	va_start(ap, fmt);
	vsnprintf(cli_run.reason, sizeof(cli_run.reason), fmt, ap);
	va_end(ap);
}

void cli_alarm(json_t *alarm)
{
	if (!cli_run.alarms)
		cli_run.alarms = json_array();
	json_array_append_new(cli_run.alarms, alarm);
}

static const char *status_reason(int status)
{
	if (cli_run.reason[0])
		return cli_run.reason;
	if (status == EXIT_ERROR && cli_run.first_error[0])
		return cli_run.first_error;
	if (status == 130)
		return "interrupted by SIGINT";
	if (status == 143)
		return "interrupted by SIGTERM";
	return status ? "see the report" : NULL;
}

/* A command that stopped before its report: the minimal object. */
static json_t *error_object(int status)
{
	return json_pack("{s:s,s:s,s:o}", "command",
			 cli_run.command ? cli_run.command : "shadowsync",
			 "result", status >= 128 ? "interrupted" : "error",
			 "error", json_str(cli_run.first_error[0]
						   ? cli_run.first_error
						   : status_reason(status)));
}

/* The common fields first, then the command's own, in their order. */
static void print_json(json_t *report, int status)
{
	const char *reason = status ? status_reason(status) : NULL;
	json_t *root = json_object(), *v;
	const char *key;

	json_object_set(root, "command", json_object_get(report, "command"));
	json_object_set_new(root, "version", json_string(SHADOWSYNC_VERSION));
	json_object_set(root, "result", json_object_get(report, "result"));
	json_object_set_new(root, "exit_status", json_integer(status));
	json_object_set_new(root, "exit_reason", json_str(reason));
	json_object_set_new(root, "alarms", cli_run.alarms ? json_incref(
				    cli_run.alarms) : json_array());
	json_object_foreach(report, key, v)
		if (!json_object_get(root, key))
			json_object_set(root, key, v);
	json_dumpf(root, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
	fputc('\n', stdout);
	json_decref(root);
}

int cli_run_finish(int status)
{
	if (cli_run.prom)	/* a failure is a WARNING: the status stands */
		prom_write(cli_run.command, cli_run.report, status,
			   cli_run.started, monotonic_now());
	if (cli_run.json) {
		json_t *root = cli_run.report ? cli_run.report
					      : error_object(status);

		print_json(root, status);
		json_decref(root);
		cli_run.report = NULL;
	} else if (status == EXIT_DIFFER) {
		printf("exit status 1: %s\n", disp(status_reason(status)));
	}
	json_decref(cli_run.report);
	cli_run.report = NULL;
	json_decref(cli_run.alarms);
	cli_run.alarms = NULL;
	if (cli_flush_stdout() < 0)
		return EXIT_ERROR;
	return status;
}
