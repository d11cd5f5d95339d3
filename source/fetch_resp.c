/*
 * fetch_resp.c - what the scheduler reads of an HTTP response: the status
 * line and the few headers the remote sources act on (see fetch.h).
 * Lines come from libcurl's header callback, without their CRLF.
 */
#include "fetch.h"
#include "../verify/utf8.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool header_is(const char *line, size_t n, const char *name,
		      const char **value, size_t *vlen)
{
	size_t nl = strlen(name);

	if (n <= nl || strncasecmp(line, name, nl) || line[nl] != ':')
		return false;
	*value = line + nl + 1;
	*vlen = n - nl - 1;
	while (*vlen && (**value == ' ' || **value == '\t')) {
		(*value)++;
		(*vlen)--;
	}
	while (*vlen && isspace((unsigned char)(*value)[*vlen - 1]))
		(*vlen)--;
	return true;
}

static void copy_value(char *dst, size_t dstlen, const char *v, size_t n)
{
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

/*
 * Decimal digits at *p into *v, *p moved past them: false when there are
 * none. A number past 2^64 - 1 sets r->range_overflow (strtoull would
 * saturate it, and an impossible size would pass for the largest one).
 */
static bool parse_u64(struct fetch_resp *r, char **p, uint64_t *v)
{
	char *s = *p;

	*v = 0;
	if (!isdigit((unsigned char)*s))
		return false;
	for (; isdigit((unsigned char)*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		if (*v > (UINT64_MAX - d) / 10)
			r->range_overflow = true;
		*v = *v * 10 + d;
	}
	*p = s;
	return true;
}

static void parse_content_range(struct fetch_resp *r, const char *v, size_t n)
{
	char buf[128], *p;

	/* a second Content-Range replaces the first, whole */
	r->has_content_range = r->range_unsatisfied = false;
	r->total_known = r->range_overflow = false;
	r->range_first = r->range_last = r->range_total = 0;
	copy_value(buf, sizeof(buf), v, n);
	copy_value(r->content_range, sizeof(r->content_range), v, n);
	if (strncasecmp(buf, "bytes ", 6))
		return;
	p = buf + 6;
	if (*p == '*') {
		r->range_unsatisfied = true;
		p++;
	} else {
		if (!parse_u64(r, &p, &r->range_first) || *p != '-')
			return;
		p++;
		if (!parse_u64(r, &p, &r->range_last))
			return;
	}
	if (*p != '/')
		return;
	p++;
	if (*p != '*') {
		if (!parse_u64(r, &p, &r->range_total))
			return;
		r->total_known = true;
	}
	r->has_content_range = true;
}

void fetch_resp_header(struct fetch_resp *r, const char *line, size_t n)
{
	const char *v;
	size_t vl;

	if (header_is(line, n, "Content-Range", &v, &vl)) {
		parse_content_range(r, v, vl);
	} else if (header_is(line, n, "Content-Length", &v, &vl)) {
		char buf[32];

		copy_value(buf, sizeof(buf), v, vl);
		/* "-5" is no length: -2, as a malformed x-amz-Data-Length */
		r->content_length = isdigit((unsigned char)buf[0])
				    ? strtoll(buf, NULL, 10) : -2;
	} else if (header_is(line, n, "ETag", &v, &vl)) {
		copy_value(r->etag, sizeof(r->etag), v, vl);
	} else if (header_is(line, n, "Last-Modified", &v, &vl)) {
		copy_value(r->last_modified, sizeof(r->last_modified), v, vl);
	} else if (header_is(line, n, "Retry-After", &v, &vl)) {
		char buf[16];

		copy_value(buf, sizeof(buf), v, vl);
		/* seconds only; an HTTP date is left to our own backoff */
		if (isdigit((unsigned char)buf[0]))
			r->retry_after_s = (unsigned)strtoul(buf, NULL, 10);
	} else if (header_is(line, n, "x-amz-bucket-region", &v, &vl)) {
		copy_value(r->bucket_region, sizeof(r->bucket_region), v, vl);
	} else if (header_is(line, n, "x-amz-Checksum", &v, &vl)) {
		copy_value(r->amz_checksum, sizeof(r->amz_checksum), v, vl);
	} else if (header_is(line, n, "x-amz-Checksum-Algorithm", &v, &vl)) {
		copy_value(r->amz_checksum_alg, sizeof(r->amz_checksum_alg), v, vl);
	} else if (header_is(line, n, "x-amz-Data-Length", &v, &vl)) {
		char buf[32];

		copy_value(buf, sizeof(buf), v, vl);
		r->amz_data_length = isdigit((unsigned char)buf[0])
				     ? strtoll(buf, NULL, 10) : -2;
	} else if (header_is(line, n, "x-amzn-ErrorType", &v, &vl)) {
		copy_value(r->amzn_error_type, sizeof(r->amzn_error_type), v, vl);
	}
}

void fetch_resp_begin(struct fetch_resp *r, const char *line, size_t n)
{
	const char *p = memchr(line, ' ', n), *end = line + n;
	char code[8];

	memset(r, 0, sizeof(*r));
	r->content_length = -1;
	r->amz_data_length = -1;
	if (!p)
		return;
	/* the line is n bytes, not a string: curl's headers end in no NUL */
	copy_value(code, sizeof(code), p + 1, (size_t)(end - p - 1));
	r->status = strtol(code, NULL, 10);
	p = memchr(p + 1, ' ', (size_t)(end - p - 1));
	if (p) {
		size_t len = (size_t)(end - p - 1);

		while (len && isspace((unsigned char)p[1 + len - 1]))
			len--;
		copy_value(r->reason, sizeof(r->reason), p + 1, len);
	}
}

void fetch_status_words(const struct fetch_resp *r, char *out, size_t outlen)
{
	static const struct { long status; const char *words; } known[] = {
		{ 400, "Bad Request" }, { 403, "Forbidden" }, { 404, "Not Found" },
		{ 408, "Request Timeout" }, { 412, "Precondition Failed" },
		{ 416, "Range Not Satisfiable" }, { 429, "Too Many Requests" },
		{ 500, "Internal Server Error" }, { 502, "Bad Gateway" },
		{ 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
	};
	const char *words = r->reason;

	for (unsigned i = 0; !words[0] && i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i].status == r->status)
			words = known[i].words;
	snprintf(out, outlen, "%ld%s%s", r->status, words[0] ? " " : "", words);
}


void fetch_xml_text(const char *body, const char *tag, char *out,
		    size_t outlen)
{
	char open[64], close[64];
	const char *a, *z;
	size_t n;

	out[0] = '\0';
	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	a = strstr(body, open);
	if (!a)
		return;
	a += strlen(open);
	z = strstr(a, close);
	if (!z)
		return;
	n = (size_t)(z - a);
	copy_value(out, outlen, a, n);
	text_one_line(out);	/* it goes into one-line messages */
}
