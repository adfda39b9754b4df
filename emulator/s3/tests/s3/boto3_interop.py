"""boto3 against firedrill's S3, as a team's backup code drives it.

Run by the Rust test `boto3::boto3_drives_the_emulator` with the emulator's
endpoint in FIREDRILL_ENDPOINT. Each check prints `ok <name>`; the first
failure raises, so the exit status is non-zero and the traceback says why.
"""

import io
import os
import sys

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError

BUCKET = "boto3-interop"


def client():
    return boto3.client(
        "s3",
        endpoint_url=os.environ["FIREDRILL_ENDPOINT"],
        region_name="us-east-1",
        aws_access_key_id="AKIAFIREDRILLTEST",
        aws_secret_access_key="firedrill-test-secret",
        config=Config(
            s3={"addressing_style": "path"},
            # A stalled connection fails the check instead of waiting out
            # botocore's default 60 s and its retries.
            read_timeout=10,
            connect_timeout=5,
            retries={"max_attempts": 1, "mode": "standard"},
        ),
    )


def ok(name):
    print(f"ok {name}", flush=True)


def error_code(e):
    return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]


def checksums(s3):
    # botocore sends a CRC32 by default (flexible checksums, since 1.36).
    put = s3.put_object(Bucket=BUCKET, Key="crc", Body=b"hello from boto3")
    assert put.get("ChecksumCRC32"), f"PutObject answered no CRC32: {put}"
    got = s3.get_object(Bucket=BUCKET, Key="crc", ChecksumMode="ENABLED")
    # botocore validates the answered checksum against the body it reads.
    assert got["Body"].read() == b"hello from boto3"
    assert got["ChecksumCRC32"] == put["ChecksumCRC32"], got
    assert got.get("ChecksumType") == "FULL_OBJECT", got
    sha = s3.put_object(Bucket=BUCKET, Key="sha", Body=b"x" * 1000, ChecksumAlgorithm="SHA256")
    head = s3.head_object(Bucket=BUCKET, Key="sha", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == sha["ChecksumSHA256"], head
    ok("checksums")


def conditional_put(s3):
    s3.put_object(Bucket=BUCKET, Key="once", Body=b"first", IfNoneMatch="*")
    try:
        s3.put_object(Bucket=BUCKET, Key="once", Body=b"second", IfNoneMatch="*")
    except ClientError as e:
        assert error_code(e) == ("PreconditionFailed", 412), e.response
    else:
        raise AssertionError("a second If-None-Match: * put succeeded")
    assert s3.get_object(Bucket=BUCKET, Key="once")["Body"].read() == b"first"
    ok("conditional put")


def multipart(s3):
    key = "big"
    up = s3.create_multipart_upload(Bucket=BUCKET, Key=key, ChecksumAlgorithm="CRC32")
    uid = up["UploadId"]
    parts = []
    for n, body in [(1, b"a" * (5 * 1024 * 1024)), (2, b"tail")]:
        p = s3.upload_part(
            Bucket=BUCKET, Key=key, UploadId=uid, PartNumber=n, Body=body, ChecksumAlgorithm="CRC32"
        )
        assert p.get("ChecksumCRC32"), f"UploadPart answered no CRC32: {p}"
        parts.append({"PartNumber": n, "ETag": p["ETag"], "ChecksumCRC32": p["ChecksumCRC32"]})
    done = s3.complete_multipart_upload(
        Bucket=BUCKET, Key=key, UploadId=uid, MultipartUpload={"Parts": parts}
    )
    assert done["ETag"].strip('"').endswith("-2"), done
    assert done["ChecksumCRC32"].endswith("-2"), done
    assert done.get("ChecksumType") == "COMPOSITE", done
    head = s3.head_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
    assert head["ContentLength"] == 5 * 1024 * 1024 + 4, head
    assert head["ChecksumCRC32"] == done["ChecksumCRC32"], head
    ok("multipart upload")


def zero_byte_put_then_more(s3):
    # A file-like body makes botocore send `Expect: 100-continue`; the next
    # request reuses the kept-alive connection and must not stall.
    s3.put_object(Bucket=BUCKET, Key="empty", Body=io.BytesIO(b""))
    s3.put_object(Bucket=BUCKET, Key="after-empty", Body=io.BytesIO(b"next"))
    assert s3.get_object(Bucket=BUCKET, Key="empty")["Body"].read() == b""
    assert s3.get_object(Bucket=BUCKET, Key="after-empty")["Body"].read() == b"next"
    ok("zero-byte put on a kept-alive connection")


def version_paging(s3):
    for body in [b"one", b"two", b"three"]:
        s3.put_object(Bucket=BUCKET, Key="paged", Body=body)
    s3.delete_object(Bucket=BUCKET, Key="paged")
    versions, markers, pages = [], [], 0
    paginator = s3.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=BUCKET, Prefix="paged", PaginationConfig={"PageSize": 2}):
        pages += 1
        versions += page.get("Versions", [])
        markers += page.get("DeleteMarkers", [])
    assert (len(versions), len(markers)) == (3, 1), (versions, markers)
    assert pages == 2, pages
    assert [m["IsLatest"] for m in markers] == [True], markers
    assert len({v["VersionId"] for v in versions}) == 3, versions
    ok("list_object_versions paginator")


def delete_objects(s3):
    keys = [f"batch/{n}" for n in range(5)]
    for k in keys:
        s3.put_object(Bucket=BUCKET, Key=k, Body=k.encode())
    out = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": k} for k in keys]})
    assert sorted(d["Key"] for d in out["Deleted"]) == keys, out
    assert all(d.get("DeleteMarker") for d in out["Deleted"]), out
    assert not out.get("Errors"), out
    quiet = s3.delete_objects(
        Bucket=BUCKET, Delete={"Objects": [{"Key": keys[0]}], "Quiet": True}
    )
    assert not quiet.get("Deleted") and not quiet.get("Errors"), quiet
    left = s3.list_objects_v2(Bucket=BUCKET, Prefix="batch/")
    assert left["KeyCount"] == 0, left
    ok("delete_objects")


def main():
    print(f"boto3 {boto3.__version__}, botocore {botocore.__version__}", flush=True)
    s3 = client()
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    checks = [checksums, conditional_put, multipart, zero_byte_put_then_more, version_paging, delete_objects]
    for check in checks:
        check(s3)
    print(f"boto3 interop: {len(checks)} checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
