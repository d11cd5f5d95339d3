/*
 * stub_remote.c - placeholder until the S3 backend lands: no backend
 * claims s3:// sources yet (source_open says "not built in").
 */
#include "source.h"

#include <stddef.h>

const struct source_ops *const source_s3_ops = NULL;
