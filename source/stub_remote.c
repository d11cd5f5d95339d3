/*
 * stub_remote.c - placeholders until the HTTP(S) and S3 backends land:
 * no backend claims those sources yet (source_open says "not built in").
 */
#include "source.h"

#include <stddef.h>

const struct source_ops *const source_http_ops = NULL;
const struct source_ops *const source_s3_ops = NULL;
