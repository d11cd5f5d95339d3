/*
 * outcome.c - the run's exit status, reason and JSON envelope (outcome.h).
 */
#include "outcome.h"
#include "cli.h"
#include "display.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct cli_run cli_run;

int cli_run_begin(const char *command, int argc, char **argv)
{
	int out = 1;
	bool options = true;

	cli_run.command = command;
	for (int i = 1; i < argc; i++) {
		if (options && !strcmp(argv[i], "--")) {
			options = false;
		} else if (options && !strcmp(argv[i], "--json")) {
			cli_run.json = true;
		} else if (options && (!strcmp(argv[i], "--quiet") ||
				       !strcmp(argv[i], "-q"))) {
			cli_run.quiet = true;
			continue;
		}
		argv[out++] = argv[i];
	}
	argv[out] = NULL;
	return out;
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
	if (cli_run.json) {
		json_t *root = cli_run.report ? cli_run.report
					      : error_object(status);

		print_json(root, status);
		json_decref(root);
		cli_run.report = NULL;
	} else if (status == EXIT_DIFFER) {
		printf("exit status 1: %s\n", disp(status_reason(status)));
	}
	json_decref(cli_run.alarms);
	cli_run.alarms = NULL;
	if (cli_flush_stdout() < 0)
		return EXIT_ERROR;
	return status;
}
