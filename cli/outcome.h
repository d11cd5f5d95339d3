/*
 * outcome.h - one exit-status and JSON contract for every command.
 *
 * Exit status: 0 fine; 1 differences found or an alarming verdict; 2
 * error, bad input or refused; 130 / 143 interrupted by SIGINT / SIGTERM.
 * Every non-zero exit carries its reason: in JSON as "exit_reason" (and
 * "alarms" for the warnings behind a 1), in text as the last line of
 * stdout ("exit status 1: ...") or the error line on stderr.
 *
 * With --json, stdout is exactly one JSON object whatever happens: a
 * command hands its report to report_json_emit(), and main() adds the
 * common fields ("version", "exit_status", "exit_reason", "alarms") once
 * the status is known, or prints a minimal error object when the command
 * stopped before it had a report (bad arguments, a refusal).
 */
#ifndef SHADOWSYNC_OUTCOME_H
#define SHADOWSYNC_OUTCOME_H

#include <jansson.h>
#include <stdbool.h>

struct cli_run {
	const char *command;	/* "verify", ... */
	bool json;		/* --json was given */
	bool quiet;		/* --quiet: errors and the result line only */
	const char *prom;	/* --prom FILE: the metrics file, or NULL */
	int progress;		/* --progress: PROGRESS_AUTO, _PLAIN, _NONE */
	unsigned progress_every; /* --progress-interval: seconds (plain) */
	double started;		/* CLOCK_MONOTONIC at cli_run_begin */
	json_t *report;		/* the command's report, printed by main */
	json_t *alarms;		/* [{code, message, next_command, ...}] */
	char reason[1024];	/* why the exit status is not 0 */
	char first_error[2048];	/* the first error line printed */
};

enum { PROGRESS_AUTO, PROGRESS_PLAIN, PROGRESS_NONE };

extern struct cli_run cli_run;

/*
 * cli_run_begin() - note the command and the global options: --json is
 * looked for in argv (before a "--"); --quiet / -q, --prom FILE,
 * --progress=MODE and --progress-interval SECONDS anywhere before "--"
 * are taken out of argv. Returns the new argc, or -1 after an error line
 * (a bad value, --prom on a command without metrics or over an input).
 */
int cli_run_begin(const char *command, int argc, char **argv);

/* Why this run exits non-zero (printf-style; the first call wins). */
void cli_exit_reason(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Add one alarm (a WARNING) to the report's "alarms"; takes a reference. */
void cli_alarm(json_t *alarm);

/*
 * cli_run_finish() - write the --prom file, print what the command left
 * to main (the JSON report, or the error object, or the text "exit
 * status" line), flush stdout. Returns the status to exit with (2 when
 * stdout or the metrics file failed).
 */

/* Must the command build its JSON report (--json or --prom)? */
bool cli_run_wants_report(void);
int cli_run_finish(int status);

#endif
