/*
 * fuzz_httpresp.c - libFuzzer target: any bytes as the head of an HTTP
 * response the remote sources read (source/fetch_resp.c): the first line
 * is the status line, each further one a header (CRLF or LF, a line may
 * hold NULs) up to an empty line; what follows is the body, an S3 error
 * document whose Code and Region go into messages. Whatever arrives, every string field stays terminated
 * within its array, the lengths keep their meaning (Content-Length and
 * x-amz-Data-Length: -1 absent, -2 malformed, else what was sent: a
 * "-5" is never taken for a length), a Content-Range taken is the last
 * one sent (a malformed second one does not leave the first one's
 * numbers standing), the status words fit the buffer given, and an
 * error document's texts are terminated and hold no control byte (one
 * line on stderr, whatever the server sends). Built by `make fuzz`; test_fuzz_corpus
 * replays tests/fuzz/corpus/httpresp (FUZZ_REPLAY).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../source/fetch.h"

#define FUZZ_HTTPRESP_ASSERT(c)                                            \
	do {                                                               \
		if (!(c)) {                                                \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); \
			abort();                                           \
		}                                                          \
	} while (0)

#define FUZZ_HTTPRESP_TERMINATED(a) \
	FUZZ_HTTPRESP_ASSERT(memchr((a), '\0', sizeof(a)) != NULL)

static int fuzz_httpresp_one(const uint8_t *data, size_t size)
{
	struct fetch_resp r;
	const char *p = (const char *)data, *end = p + size;
	char words[24], code[64], region[16];
	bool first = true;

	memset(&r, 0xa5, sizeof(r));	/* begin must clear it all */
	while (p < end || first) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		/* a copy of exactly the line: reads past it are caught */
		char *line = malloc(n ? n : 1);

		FUZZ_HTTPRESP_ASSERT(line != NULL);
		memcpy(line, p, n);
		if (n && line[n - 1] == '\r')
			n--;
		if (!n && !first) {	/* the head ends: the body */
			free(line);
			p = nl ? nl + 1 : end;
			break;
		}
		if (first)
			fetch_resp_begin(&r, line, n);
		else
			fetch_resp_header(&r, line, n);
		free(line);
		first = false;
		p = nl ? nl + 1 : end;
	}
	FUZZ_HTTPRESP_TERMINATED(r.reason);
	FUZZ_HTTPRESP_TERMINATED(r.content_range);
	FUZZ_HTTPRESP_TERMINATED(r.etag);
	FUZZ_HTTPRESP_TERMINATED(r.last_modified);
	FUZZ_HTTPRESP_TERMINATED(r.bucket_region);
	FUZZ_HTTPRESP_TERMINATED(r.amz_checksum);
	FUZZ_HTTPRESP_TERMINATED(r.amz_checksum_alg);
	FUZZ_HTTPRESP_TERMINATED(r.amzn_error_type);
	FUZZ_HTTPRESP_ASSERT(r.body_len <= sizeof(r.body));
	FUZZ_HTTPRESP_ASSERT(r.content_length >= -2);
	FUZZ_HTTPRESP_ASSERT(r.amz_data_length >= -2);
	if (r.has_content_range)	/* the numbers are the text's */
		FUZZ_HTTPRESP_ASSERT(!strncasecmp(r.content_range, "bytes ", 6));
	fetch_status_words(&r, words, sizeof(words));
	FUZZ_HTTPRESP_TERMINATED(words);
	/* the body as fetch.c keeps it: its start, terminated */
	r.body_len = (size_t)(end - p) < sizeof(r.body) - 1
		     ? (size_t)(end - p) : sizeof(r.body) - 1;
	memcpy(r.body, p, r.body_len);
	r.body[r.body_len] = '\0';
	fetch_xml_text(r.body, "Code", code, sizeof(code));
	fetch_xml_text(r.body, "Region", region, sizeof(region));
	FUZZ_HTTPRESP_TERMINATED(code);
	FUZZ_HTTPRESP_TERMINATED(region);
	for (const char *q = code; *q; q++)
		FUZZ_HTTPRESP_ASSERT((unsigned char)*q >= 0x20 && *q != 0x7f);
	for (const char *q = region; *q; q++)
		FUZZ_HTTPRESP_ASSERT((unsigned char)*q >= 0x20 && *q != 0x7f);
	return 0;
}

#ifndef FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_httpresp_one(data, size);
}
#endif
