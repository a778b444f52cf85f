"""moto_server for the AWS suites, with one correction to its S3 signature check.

S3 signs the request path URI-encoded once: every byte outside A-Z a-z 0-9 - _ . ~ and '/'
is %XX (the SigV4 "UriEncode" rule, with S3's exception of no double encoding). moto 5.x
rebuilds the canonical request from werkzeug's re-quoted URL, which leaves ':', '=', '@',
'*' and friends bare, so it answers SignatureDoesNotMatch to every correctly signed request
for such a key -- the aws CLI's own included (`aws s3api put-object --key a:b` fails the
same way). Resource Data Sync keys hold ':' and '=' (AWS:Application/accountid=...).

The correction re-encodes the path of the request moto verifies the way S3 does, then lets
moto compute and compare the signature and evaluate the IAM policy exactly as before.
Usage: python3 moto_server_s3path.py [moto_server arguments]
"""
import sys
from urllib.parse import quote, unquote

from moto.iam import access_control
from moto.server import main

_create_aws_request = access_control.S3IAMRequest._create_aws_request


def _create_aws_request_s3_path(self):
    request = _create_aws_request(self)
    path, sep, query = request.url.partition("?")
    request.url = quote(unquote(path), safe="/~") + sep + query
    return request


access_control.S3IAMRequest._create_aws_request = _create_aws_request_s3_path

if __name__ == "__main__":
    main(sys.argv[1:])
