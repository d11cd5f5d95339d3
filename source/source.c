/*
 * source.c - picks the backend that claims a source and forwards to it.
 */
#include "source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct source_ops *backends(unsigned i)
{
	const struct source_ops *all[] = { &source_stdin_ops, source_http_ops,
					   source_s3_ops, source_ebs_ops };

	return i < sizeof(all) / sizeof(all[0]) ? all[i] : NULL;
}

/* Schemes are case-insensitive (RFC 3986): HTTP:// is http://. */
static bool scheme_is(const char *spec, const char *scheme)
{
	return !strncasecmp(spec, scheme, strlen(scheme));
}

bool source_claims(const char *spec)
{
	return !strcmp(spec, "-") || scheme_is(spec, "http://") ||
	       scheme_is(spec, "https://") || scheme_is(spec, "s3://") ||
	       scheme_is(spec, "ebs://");
}

int source_open(struct source **out, const char *spec,
		const struct source_opts *o, struct source_info *info,
		char *why, size_t whylen)
{
	const struct source_ops *ops = NULL;
	struct source *s;
	int ret;

	*out = NULL;
	memset(info, 0, sizeof(*info));
	for (unsigned i = 0; i < 8 && !ops; i++) {
		const struct source_ops *b = backends(i);

		if (b && b->claims(spec))
			ops = b;
	}
	if (!ops) {
		snprintf(why, whylen, "%s", source_claims(spec)
			 ? "this kind of source is not built in"
			 : "not a source shadowsync can read");
		return source_claims(spec) ? -ENOSYS : -ENOENT;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->ops = ops;
	s->opts = *o;
	ret = ops->open(s, spec, o, info);
	if (ret < 0) {
		snprintf(why, whylen, "%s", s->error[0] ? s->error
						       : strerror(-ret));
		free(s);
		return ret;
	}
	*out = s;
	return 0;
}

int source_submit(struct source *s, struct source_req *r)
{
	return s->ops->submit(s, r);
}

int source_poll(struct source *s, unsigned wait_ms, struct source_req **done,
		unsigned max)
{
	return s->ops->poll(s, wait_ms, done, max);
}

const char *source_error(const struct source *s)
{
	return s->error;
}

void source_close(struct source *s)
{
	if (!s)
		return;
	s->ops->close(s);
	free(s);
}

int source_next_data(struct source *s, uint64_t at, uint64_t limit,
		     uint64_t *start, uint64_t *end)
{
	if (!s->ops->next_data)
		return -EOPNOTSUPP;
	return s->ops->next_data(s, at, limit, start, end);
}

int source_base_sample(struct source *s, uint64_t first_offset, unsigned max,
		       uint64_t *off, char (*sum)[48])
{
	if (!s->ops->base_sample)
		return -EOPNOTSUPP;
	return s->ops->base_sample(s, first_offset, max, off, sum);
}
