/*
 * awscred.h - AWS credentials and region, found where the AWS SDKs and
 * CLI look on EC2:
 *   1. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 *      AWS_SESSION_TOKEN;
 *   2. the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, default
 *      ~/.aws/credentials), then the config file (AWS_CONFIG_FILE,
 *      default ~/.aws/config), profile AWS_PROFILE or "default";
 *   3. the instance role through IMDSv2: PUT /latest/api/token, then
 *      /latest/meta-data/iam/security-credentials/[ROLE], at
 *      AWS_EC2_METADATA_SERVICE_ENDPOINT or http://169.254.169.254
 *      (AWS_EC2_METADATA_DISABLED=true skips it). Such credentials
 *      expire: awscred_get() fetches new ones in the last 5 minutes,
 *      which is when EC2 has rotated them.
 * A named profile that is missing, or a key id without its secret, is an
 * error, as in the SDKs, not a reason to try the next place.
 *
 * Credentials are never printed: messages name where they came from
 * (awscred_origin), never what they are. Nothing here prints.
 */
#ifndef SHADOWSYNC_AWSCRED_H
#define SHADOWSYNC_AWSCRED_H

#include <stdbool.h>
#include <stddef.h>

#include "sigv4.h"

/* Refresh credentials that expire within this many seconds. */
#define AWSCRED_REFRESH_S 300

struct awscred;

/*
 * awscred_open() - find credentials now, along the chain above. Returns
 * 0, -ENOKEY when there are none anywhere, -ENOENT for a missing named
 * profile, -EINVAL for half a key; why says which, in one line.
 */
int awscred_open(struct awscred **out, char *why, size_t whylen);

/*
 * awscred_get() - the credentials to sign with now, refreshed first when
 * they expire soon (a blocking IMDS call of a few milliseconds, once
 * every few hours). The strings stay valid until the next awscred_get()
 * or awscred_close(). Returns 0 or -errno with why (credentials that
 * expired and cannot be renewed).
 */
int awscred_get(struct awscred *c, struct sigv4_creds *out, char *why,
		size_t whylen);

/*
 * awscred_expired() - a server said the token has expired: refresh now
 * if the credentials can be refreshed. Returns true when new ones were
 * fetched (worth another attempt).
 */
bool awscred_expired(struct awscred *c);

/* "the environment", "profile 'x' of /root/.aws/credentials", ... */
const char *awscred_origin(const struct awscred *c);

void awscred_close(struct awscred *c);

/*
 * aws_region() - the region to sign for: opt (--region) when given, else
 * AWS_REGION, AWS_DEFAULT_REGION, the profile's "region" in the config
 * file, then (when use_imds) the instance's region from IMDS. Returns 0,
 * or -ENOENT with why when none is found.
 */
int aws_region(const char *opt, bool use_imds, char *out, size_t outlen,
	       char *why, size_t whylen);

/*
 * aws_endpoint() - where a service is reached instead of AWS: opt
 * (--endpoint-url) when given, else the environment's service_env
 * ("AWS_ENDPOINT_URL_S3"), else AWS_ENDPOINT_URL; NULL for AWS itself.
 */
const char *aws_endpoint(const char *opt, const char *service_env);

/*
 * aws_signing_region() - aws_region(), asking IMDS only for AWS itself
 * (endpoint NULL); with an endpoint and no region found, "us-east-1",
 * which S3-compatible stores take, as the AWS CLI sends. Returns 0 or
 * -ENOENT with why.
 */
int aws_signing_region(const char *opt, const char *endpoint, char *out,
		       size_t outlen, char *why, size_t whylen);

/* The CA file to trust: opt (--cacert), else AWS_CA_BUNDLE, else
 * SSL_CERT_FILE; NULL: the system's. */
const char *aws_ca_bundle(const char *opt);

#endif
