/*
 * Unit tests: what the fetch scheduler reads of a response (status line,
 * Content-Range in its three forms and malformed ones, Content-Length,
 * ETag, Last-Modified, Retry-After, x-amz-bucket-region) and how a
 * status is worded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../source/fetch.h"

static void begin(struct fetch_resp *r, const char *line)
{
	fetch_resp_begin(r, line, strlen(line));
}

static void header(struct fetch_resp *r, const char *line)
{
	fetch_resp_header(r, line, strlen(line));
}

static void status_line(void **state)
{
	struct fetch_resp r;

	(void)state;
	begin(&r, "HTTP/1.1 206 Partial Content");
	assert_int_equal(r.status, 206);
	assert_string_equal(r.reason, "Partial Content");
	assert_int_equal(r.content_length, -1);
	begin(&r, "HTTP/2 404");
	assert_int_equal(r.status, 404);
	assert_string_equal(r.reason, "");
	/* a new response forgets the last one's headers */
	header(&r, "ETag: \"a\"");
	begin(&r, "HTTP/1.1 200 OK");
	assert_string_equal(r.etag, "");
}

static void content_range(void **state)
{
	struct fetch_resp r;

	(void)state;
	begin(&r, "HTTP/1.1 206 Partial Content");
	header(&r, "content-range:   bytes 8388608-16777215/67108864  ");
	assert_true(r.has_content_range && r.total_known && !r.range_unsatisfied);
	assert_true(r.range_first == 8388608 && r.range_last == 16777215);
	assert_true(r.range_total == 67108864);

	begin(&r, "HTTP/1.1 416 Range Not Satisfiable");
	header(&r, "Content-Range: bytes */0");
	assert_true(r.has_content_range && r.range_unsatisfied && r.total_known);
	assert_true(r.range_total == 0);

	begin(&r, "HTTP/1.1 206 Partial Content");
	header(&r, "Content-Range: bytes 0-0/*");
	assert_true(r.has_content_range && !r.total_known);

	begin(&r, "HTTP/1.1 206 Partial Content");
	header(&r, "Content-Range: bytes 0-/100");
	assert_false(r.has_content_range);
	header(&r, "Content-Range: items 0-1/100");
	assert_false(r.has_content_range);
	header(&r, "Content-Range: bytes 0-1");
	assert_false(r.has_content_range);
	header(&r, "Content-Range-X: bytes 0-1/2");
	assert_false(r.has_content_range);

	/* past 2^64 - 1: flagged, never saturated into a size */
	begin(&r, "HTTP/1.1 206 Partial Content");
	header(&r, "Content-Range: bytes 0-0/18446744073709551615");
	assert_true(r.has_content_range && r.total_known && !r.range_overflow);
	assert_true(r.range_total == UINT64_MAX);
	begin(&r, "HTTP/1.1 206 Partial Content");
	header(&r, "Content-Range: bytes 0-0/18446744073709551616");
	assert_true(r.has_content_range && r.range_overflow);
	assert_string_equal(r.content_range, "bytes 0-0/18446744073709551616");
	begin(&r, "HTTP/1.1 206 Partial Content");
	header(&r, "Content-Range: bytes 99999999999999999999999-0/5");
	assert_true(r.range_overflow);
	begin(&r, "HTTP/1.1 206 Partial Content");
	header(&r, "Content-Range: bytes -1-0/5");
	assert_false(r.has_content_range);
}

static void other_headers(void **state)
{
	struct fetch_resp r;
	char words[64];

	(void)state;
	begin(&r, "HTTP/1.1 503 Slow Down");
	header(&r, "Content-Length: 1234");
	header(&r, "ETAG: \"9b2cf535f27731c974343645a3985328\"");
	header(&r, "Last-Modified: Wed, 21 Oct 2015 07:28:00 GMT");
	header(&r, "Retry-After: 7");
	header(&r, "x-amz-bucket-region: eu-west-3");
	header(&r, "X-Other: ignored");
	assert_int_equal(r.content_length, 1234);
	assert_string_equal(r.etag, "\"9b2cf535f27731c974343645a3985328\"");
	assert_string_equal(r.last_modified, "Wed, 21 Oct 2015 07:28:00 GMT");
	assert_int_equal(r.retry_after_s, 7);
	assert_string_equal(r.bucket_region, "eu-west-3");
	fetch_status_words(&r, words, sizeof(words));
	assert_string_equal(words, "503 Slow Down");
	/* a date is left to the backoff */
	header(&r, "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT");
	assert_int_equal(r.retry_after_s, 7);
	/* an over-long value is cut, not overrun */
	{
		char line[400];

		memset(line, 'x', sizeof(line));
		memcpy(line, "ETag: ", 6);
		line[sizeof(line) - 1] = '\0';
		header(&r, line);
		assert_int_equal(strlen(r.etag), sizeof(r.etag) - 1);
	}
}

static void words(void **state)
{
	struct fetch_resp r;
	char out[64];

	(void)state;
	begin(&r, "HTTP/2 412");
	fetch_status_words(&r, out, sizeof(out));
	assert_string_equal(out, "412 Precondition Failed");
	begin(&r, "HTTP/2 418");
	fetch_status_words(&r, out, sizeof(out));
	assert_string_equal(out, "418");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(status_line),
		cmocka_unit_test(content_range),
		cmocka_unit_test(other_headers),
		cmocka_unit_test(words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
