/*
 * prom.h - `--prom FILE`: a run's result as a Prometheus textfile-collector
 * file (node_exporter --collector.textfile.directory), replaced whole by a
 * rename so the collector never reads half a file.
 *
 * The metrics (all gauges; names and meaning in the man page, METRICS):
 *   shadowsync_last_run_timestamp_seconds{command}
 *   shadowsync_last_run_duration_seconds{command}
 *   shadowsync_last_run_exit_status{command}
 *   shadowsync_last_run_success{command}               1 when exit 0
 * and for each pair (verify, sync) or device (warm, check, restore), with
 * labels command, local, shadow, namespace (empty when there is none):
 *   shadowsync_result{...,result}                      1
 *   shadowsync_bytes_compared / _bytes_differing / _bytes_written /
 *   shadowsync_bytes_read                              when the command has them
 *   shadowsync_elapsed_seconds, shadowsync_throughput_bytes_per_second
 *   shadowsync_cold_start_verdict{...,verdict}         1 (verify, sync)
 */
#ifndef SHADOWSYNC_PROM_H
#define SHADOWSYNC_PROM_H

#include <jansson.h>

/* Does command take --prom? */
int prom_command_ok(const char *command);

/*
 * prom_begin() - open the file for path now, unnamed in its directory
 * (engine/outfile.h), so a directory that cannot take it is an error
 * before the command does anything. Returns 0, or -errno after printing
 * one error line.
 */
int prom_begin(const char *path);

/*
 * prom_write() - write the file from the run's report (NULL when the
 * command stopped before it had one), its exit status and wall time, and
 * give it its name. Returns 0, or -errno after printing one line (a
 * WARNING: the run's result and exit status stand; the old file, if any,
 * is left as it was).
 */
int prom_write(const char *command, const json_t *report, int status,
	       double started, double ended);

/* prom_abort() - drop the unnamed file (a refused run writes nothing). */
void prom_abort(void);

#endif
