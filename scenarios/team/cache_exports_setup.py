"""The team's backup configuration for cross-region cache recovery: the two
buckets the hourly export (snapshot_sessions.py --export) writes to.

    python3 team/cache_exports_setup.py

<prefix>-cache-exports in the store's region (ElastiCache exports only into
a bucket of the snapshot's own region) and <prefix>-cache-exports-dr in the
secondary region, where a new cluster can be seeded from the copied RDB
files (SnapshotArns) when the primary region is dark.
"""

import json
import os
import sys

import boto3


def create(region, bucket):
    s3 = boto3.client("s3", region_name=region)
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    print(f"created s3://{bucket} in {region}", file=sys.stderr, flush=True)


def main():
    with open(os.environ["FIREDRILL_STORE"]) as f:
        store = json.load(f)
    dr_region = os.environ.get("FIREDRILL_SECONDARY_REGION")
    if not dr_region:
        raise SystemExit("no secondary region (FIREDRILL_SECONDARY_REGION) to keep the exports in")
    bucket = f"{store['prefix']}-cache-exports"
    create(store["region"], bucket)
    create(dr_region, f"{bucket}-dr")


if __name__ == "__main__":
    main()
