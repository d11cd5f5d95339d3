/*
 * Unit tests: SigV4 canonical requests and signatures against known
 * vectors, URL splitting, encoding and display (no query string, no
 * userinfo ever shown).
 *
 * Vectors: "get-vanilla" and "get-vanilla-query-order-key-case" from
 * AWS's published SigV4 test suite; the S3 "GET Object" example of the
 * S3 API reference (header-based auth); four more computed by Debian's
 * python3-botocore 1.29 (SigV4Auth / S3SigV4Auth: canonical_request,
 * string_to_sign, signature) for what the published ones miss: a session
 * token, a query whose values hold encoded '+', '/' and '=' (EBS tokens),
 * an S3 key with reserved characters on a host with a port, If-Match,
 * a bare query name, repeated names and headers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../source/sigv4.h"
#include "../../source/url.h"

#define EMPTY SIGV4_EMPTY_SHA256

static const struct sigv4_creds suite_creds = {
	"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL
};

static const struct sigv4_creds token_creds = {
	"ASIAEXAMPLEKEY", "secret/with+chars=", "FQoGZXIvYXdzE//token+with/slash=="
};

static void check(const struct sigv4_request *r, const struct sigv4_creds *c,
		  const char *want_creq, const char *want_authz)
{
	char creq[8192], authz[2048];

	assert_true(sigv4_canonical_request(r, c, creq, sizeof(creq), NULL, 0) > 0);
	assert_string_equal(creq, want_creq);
	assert_int_equal(sigv4_authorization(r, c, authz, sizeof(authz)), 0);
	assert_string_equal(authz, want_authz);
}

static void suite_get_vanilla(void **state)
{
	struct sigv4_request r = {
		.method = "GET", .host = "example.amazonaws.com", .path = "/",
		.payload_sha256 = EMPTY, .amz_date = "20150830T123600Z",
		.region = "us-east-1", .service = "service",
	};

	(void)state;
	check(&r, &suite_creds,
	      "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
	      "host;x-amz-date\n" EMPTY,
	      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
	      "aws4_request, SignedHeaders=host;x-amz-date, Signature="
	      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

static void suite_query_order(void **state)
{
	struct sigv4_request r = {
		.method = "GET", .host = "example.amazonaws.com", .path = "/",
		.query = "Param2=value2&Param1=value1",
		.payload_sha256 = EMPTY, .amz_date = "20150830T123600Z",
		.region = "us-east-1", .service = "service",
	};

	(void)state;
	check(&r, &suite_creds,
	      "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\n"
	      "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" EMPTY,
	      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
	      "aws4_request, SignedHeaders=host;x-amz-date, Signature="
	      "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

static void s3_get_object_example(void **state)
{
	static const struct sigv4_creds c = {
		"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""
	};
	struct sigv4_header h[] = { { "Range", "bytes=0-9" } };
	struct sigv4_request r = {
		.method = "GET", .host = "examplebucket.s3.amazonaws.com",
		.path = "/test.txt", .headers = h, .nheaders = 1,
		.payload_sha256 = EMPTY, .content_sha256_header = true,
		.amz_date = "20130524T000000Z", .region = "us-east-1",
		.service = "s3",
	};

	(void)state;
	check(&r, &c,
	      "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\n"
	      "range:bytes=0-9\nx-amz-content-sha256:" EMPTY "\n"
	      "x-amz-date:20130524T000000Z\n\n"
	      "host;range;x-amz-content-sha256;x-amz-date\n" EMPTY,
	      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/"
	      "s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;"
	      "x-amz-date, Signature="
	      "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

static void botocore_ebs_token_query(void **state)
{
	struct sigv4_request r = {
		.method = "GET", .host = "ebs.eu-west-1.amazonaws.com",
		.path = "/snapshots/snap-0123/blocks",
		.query = "pageToken=AbC%2Bd%2Fe%3D%3D&maxResults=100&startingBlockIndex=0",
		.payload_sha256 = EMPTY, .content_sha256_header = true,
		.amz_date = "20240229T235959Z", .region = "eu-west-1",
		.service = "ebs",
	};

	(void)state;
	check(&r, &token_creds,
	      "GET\n/snapshots/snap-0123/blocks\n"
	      "maxResults=100&pageToken=AbC%2Bd%2Fe%3D%3D&startingBlockIndex=0\n"
	      "host:ebs.eu-west-1.amazonaws.com\nx-amz-content-sha256:" EMPTY "\n"
	      "x-amz-date:20240229T235959Z\n"
	      "x-amz-security-token:FQoGZXIvYXdzE//token+with/slash==\n\n"
	      "host;x-amz-content-sha256;x-amz-date;x-amz-security-token\n" EMPTY,
	      "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLEKEY/20240229/eu-west-1/ebs/"
	      "aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;"
	      "x-amz-security-token, Signature="
	      "7d06bfa43b0dd8074f5748581a64eb4a272f08fcd44dc00b13d9bcc80cc651a8");
}

static void botocore_s3_odd_key(void **state)
{
	char path[256];
	const char *key = "dir/img+1 (copy).bin";
	struct sigv4_header h[] = {
		{ "Range", "bytes=8388608-16777215" },
		{ "If-Match", "  \"9b2cf535f27731c974343645a3985328\" " },
	};
	struct sigv4_request r = {
		.method = "GET", .host = "127.0.0.1:9000", .path = path,
		.headers = h, .nheaders = 2, .payload_sha256 = EMPTY,
		.content_sha256_header = true, .amz_date = "20240101T000000Z",
		.region = "us-east-1", .service = "s3",
	};

	(void)state;
	strcpy(path, "/bkt/");
	uri_encode(key, strlen(key), true, path + 5, sizeof(path) - 5);
	assert_string_equal(path, "/bkt/dir/img%2B1%20%28copy%29.bin");
	check(&r, &token_creds,
	      "GET\n/bkt/dir/img%2B1%20%28copy%29.bin\n\nhost:127.0.0.1:9000\n"
	      "if-match:\"9b2cf535f27731c974343645a3985328\"\n"
	      "range:bytes=8388608-16777215\nx-amz-content-sha256:" EMPTY "\n"
	      "x-amz-date:20240101T000000Z\n"
	      "x-amz-security-token:FQoGZXIvYXdzE//token+with/slash==\n\n"
	      "host;if-match;range;x-amz-content-sha256;x-amz-date;"
	      "x-amz-security-token\n" EMPTY,
	      "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLEKEY/20240101/us-east-1/s3/"
	      "aws4_request, SignedHeaders=host;if-match;range;"
	      "x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature="
	      "c58b51f14eb2c1c85188dde73f434817b4872f3853b73bd16376f50683bf64d9");
}

/* A bare name, repeated names ordered by value, a repeated header. */
static void botocore_repeats(void **state)
{
	struct sigv4_header h[] = {
		{ "X-Amz-Meta-Dup", "one" }, { "x-amz-meta-dup", "two" },
	};
	struct sigv4_request r = {
		.method = "GET", .host = "example.amazonaws.com", .path = "/p",
		.query = "b=2&acl&b=10&b=1", .headers = h, .nheaders = 2,
		.payload_sha256 = EMPTY, .amz_date = "20150830T123600Z",
		.region = "us-east-1", .service = "service",
	};

	(void)state;
	check(&r, &suite_creds,
	      "GET\n/p\nacl=&b=1&b=10&b=2\nhost:example.amazonaws.com\n"
	      "x-amz-date:20150830T123600Z\nx-amz-meta-dup:one,two\n\n"
	      "host;x-amz-date;x-amz-meta-dup\n" EMPTY,
	      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
	      "aws4_request, SignedHeaders=host;x-amz-date;x-amz-meta-dup, Signature="
	      "c469581774f2dc370127df07dd1d0616bfc3c2296365640ace6e47c98514f74f");
}

static void small_buffers(void **state)
{
	struct sigv4_request r = {
		.method = "GET", .host = "h", .path = "/", .payload_sha256 = EMPTY,
		.amz_date = "20150830T123600Z", .region = "r", .service = "s",
	};
	char out[32];

	(void)state;
	assert_int_equal(sigv4_canonical_request(&r, &suite_creds, out,
						 sizeof(out), NULL, 0), -ENOSPC);
	assert_int_equal(sigv4_authorization(&r, &suite_creds, out, sizeof(out)),
			 -ENOSPC);
	r.amz_date = "2015";
	assert_int_equal(sigv4_authorization(&r, &suite_creds, out, sizeof(out)),
			 -EINVAL);
}

static void amz_date(void **state)
{
	char d[17];

	(void)state;
	sigv4_amz_date(1440938160, d);
	assert_string_equal(d, "20150830T123600Z");
}

static void encode(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(uri_encode("a b/c~d", 7, false, out, sizeof(out)), 11);
	assert_string_equal(out, "a%20b%2Fc~d");
	assert_int_equal(uri_encode("\xc3\xa9/x", 4, true, out, sizeof(out)), 8);
	assert_string_equal(out, "%C3%A9/x");
	/* too small: a prefix that stops before the piece that did not fit */
	assert_int_equal(uri_encode("ab cd", 5, false, out, 4), 7);
	assert_string_equal(out, "ab");
}

static void display(void **state)
{
	char out[256];

	(void)state;
	url_display("https://u:pw@Host.example:8443/a/b.img?X-Amz-Signature=s3cr3t&t=1#f",
		    out, sizeof(out));
	assert_string_equal(out, "https://Host.example:8443/a/b.img");
	url_display("http://h/p#frag?x", out, sizeof(out));
	assert_string_equal(out, "http://h/p");
	url_display("http://h?sig=1", out, sizeof(out));
	assert_string_equal(out, "http://h");
	url_display("s3://bkt/key%20x", out, sizeof(out));
	assert_string_equal(out, "s3://bkt/key%20x");
	url_display("not a url?secret", out, sizeof(out));
	assert_string_equal(out, "not a url");
	url_display("http://h/p?q", out, 5);
	assert_string_equal(out, "http");
	/* a password holding '/', '?' or '#' ends the authority early */
	url_display("http://user:se/cretLEAK@127.0.0.1:8080/img", out, sizeof(out));
	assert_string_equal(out, "http://***@127.0.0.1:8080/img");
	url_display("http://user:se?cretLEAK@h:1/img?q=LEAK", out, sizeof(out));
	assert_string_equal(out, "http://***@h:1/img");
	url_display("http://user:se#cretLEAK@h/img", out, sizeof(out));
	assert_string_equal(out, "http://***@h/img");
	url_display("http://user:123/LEAK@h/img", out, sizeof(out));
	assert_string_equal(out, "http://***@h/img");
	url_display("http://user:LEAK", out, sizeof(out));
	assert_string_equal(out, "http://user:***");
	url_display("HTTP://u:LEAK@H/img?LEAK", out, sizeof(out));
	assert_string_equal(out, "HTTP://H/img");
	/* no port, an '@' in the path: an ordinary path */
	url_display("http://h/a@b.img?x", out, sizeof(out));
	assert_string_equal(out, "http://h/a@b.img");
	url_display("http://[::1]:8080/img", out, sizeof(out));
	assert_string_equal(out, "http://[::1]:8080/img");
	assert_int_equal(url_check("http://u:p@h:80/x"), 0);
	assert_int_equal(url_check("http://[::1]/x"), 0);
	assert_int_equal(url_check("http://user:se/cret@h/x"), -EINVAL);
	assert_int_equal(url_check("http://user:se?cret@h/x"), -EINVAL);
	assert_int_equal(url_check("http:///x"), -EINVAL);
	assert_true(url_has_scheme("HTTP://h"));
	assert_true(url_has_scheme("ftp://h"));
	assert_false(url_has_scheme("/dev/sda"));
	assert_false(url_has_scheme("-"));
}

static void scrub(void **state)
{
	char msg[256] = "Failed to get 'https://a:b@h/x?X-Amz-Signature=zz' and "
			"http://h2/y?t=1 then ftp://z";

	(void)state;
	url_scrub(msg);
	assert_string_equal(msg, "Failed to get 'https://h/x' and http://h2/y then ftp://z");
	assert_null(strstr(msg, "zz"));
}

static void split(void **state)
{
	struct url_parts p;

	(void)state;
	assert_int_equal(url_split("HTTPS://User@EX.com:443/a%20b?x=1&y#f", &p), 0);
	assert_string_equal(p.scheme, "https");
	assert_string_equal(p.host, "ex.com");
	assert_string_equal(p.path, "/a%20b");
	assert_string_equal(p.query, "x=1&y");
	assert_true(p.has_userinfo);
	assert_int_equal(url_split("http://127.0.0.1:8080", &p), 0);
	assert_string_equal(p.host, "127.0.0.1:8080");
	assert_string_equal(p.path, "/");
	assert_int_equal(url_split("http://[::1]:80/x", &p), 0);
	assert_string_equal(p.host, "[::1]");
	assert_int_equal(url_split("http://[::1]/x", &p), 0);
	assert_string_equal(p.host, "[::1]");
	assert_int_equal(url_split("/just/a/path", &p), -EINVAL);
	assert_int_equal(url_split("http:///nohost", &p), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(suite_get_vanilla),
		cmocka_unit_test(suite_query_order),
		cmocka_unit_test(s3_get_object_example),
		cmocka_unit_test(botocore_ebs_token_query),
		cmocka_unit_test(botocore_s3_odd_key),
		cmocka_unit_test(botocore_repeats),
		cmocka_unit_test(small_buffers),
		cmocka_unit_test(amz_date),
		cmocka_unit_test(encode),
		cmocka_unit_test(display),
		cmocka_unit_test(scrub),
		cmocka_unit_test(split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
