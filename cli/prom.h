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
 * prom_write() - write path from the run's report (NULL when the command
 * stopped before it had one), its exit status and wall time. Returns 0,
 * or -errno after printing one error line.
 */
int prom_write(const char *path, const char *command, const json_t *report,
	       int status, double started, double ended);

#endif
