/*
 * stub_stdin.c - placeholder until the stdin backend lands.
 */
#include "source.h"

#include <errno.h>
#include <string.h>

static bool stdin_claims(const char *spec)
{
	return !strcmp(spec, "-");
}

static int stdin_open(struct source *s, const char *spec,
		      const struct source_opts *o, struct source_info *info)
{
	(void)s;
	(void)spec;
	(void)o;
	(void)info;
	return -ENOSYS;
}

const struct source_ops source_stdin_ops = {
	.name = "stdin",
	.claims = stdin_claims,
	.open = stdin_open,
};
