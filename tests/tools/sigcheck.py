"""sigcheck.py - the SigV4 check of the botocore-checked test servers
(ebs_server.py, s3sig_server.py): the Authorization header's form, the
key, the scope, the date, which headers are signed, the session token,
and the signature that Debian's python3-botocore computes for the request
(so that signing is judged by code that is not shadowsync's). Each server
words the answer its own service gives to each reason.
"""
import datetime
import re
import time

from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AUTH_RE = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                     r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$")


def expected_signature(auth_class, service, method, raw_path, signed, amz_date, akid, k,
                       region):
    """botocore's signature for the headers the client says it signed."""
    headers = {name: value for name, value in signed}
    req = AWSRequest(method=method, url="http://" + headers.get("host", "") + raw_path,
                     headers=headers, data=b"")
    req.context["timestamp"] = amz_date
    auth = auth_class(Credentials(akid, k["secret"], k["token"]), service, region)
    auth._modify_request_before_signing(req)
    creq = auth.canonical_request(req)
    sig = auth.signature(auth.string_to_sign(req, creq), req)
    return sig, auth.signed_headers(auth.headers_to_sign(req))


class Check:
    """The verdict on one request: reason is None when it is signed right,
    else "malformed", "unknown-key", "scope" (region, service), "date",
    "skew", "unsigned", "token", "signature", or what a hook said. akid
    and signed_headers are the client's (None when malformed), region
    the scope's."""

    def __init__(self, reason, akid=None, signed_headers=None, region=None):
        self.reason = reason
        self.akid = akid
        self.signed_headers = signed_headers
        self.region = region


def check(headers, method, raw_path, keys, lock, region, service, auth_class, need,
          after_date=None, before_signature=None):
    """Check a request's SigV4 signature. headers: the request's (any
    case); keys: akid -> {"secret", "token", ...}, read under lock; need:
    the headers that must be signed besides every x-amz-* one sent;
    after_date() and before_signature(k): a service's own checks at those
    points, each returning a reason or None."""
    m = AUTH_RE.match(headers.get("Authorization", ""))
    if not m:
        return Check("malformed")
    akid, date, scope_region, scope_service, signed_names, sig = m.groups()

    def verdict(reason):
        return Check(reason, akid, signed_names, scope_region)
    with lock:
        k = keys.get(akid)
    if not k:
        return verdict("unknown-key")
    if scope_region != region or scope_service != service:
        return verdict("scope")
    names = signed_names.split(";")
    amz_date = headers.get("x-amz-date", "")
    if not amz_date.startswith(date):
        return verdict("date")
    skew = abs(time.time() - datetime.datetime.strptime(
        amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc).timestamp())
    if skew > 900:
        return verdict("skew")
    reason = after_date() if after_date else None
    if reason:
        return verdict(reason)
    need = list(need) + [h.lower() for h in headers.keys() if h.lower().startswith("x-amz-")]
    if any(n not in names for n in need) or names != sorted(names):
        return verdict("unsigned")
    if k["token"] and headers.get("x-amz-security-token") != k["token"]:
        return verdict("token")
    reason = before_signature(k) if before_signature else None
    if reason:
        return verdict(reason)
    signed = [(n, headers.get(n, "")) for n in names]
    want, want_names = expected_signature(auth_class, service, method, raw_path, signed,
                                          amz_date, akid, k, region)
    if want != sig or want_names != signed_names:
        return verdict("signature")
    return verdict(None)
