"""The team's runbook for the session store when its region is dark: a new
replication group in the store's (new) region, seeded from the newest RDB
export copied there before the fault.

    python3 team/restore_sessions_in_region.py

Run after region_failover has moved the store to the secondary region
(FIREDRILL_STORE's region is then that region). Lists
s3://<prefix>-cache-exports-dr, takes the newest export whose hour is
before FIREDRILL_RESTORE_TO, creates <group>-dr with SnapshotArns naming it,
waits until it is available and re-points the application at it
(cache_replication_group in FIREDRILL_RECOVERED). Everything written after
that export is lost: ElastiCache has no point-in-time recovery.
"""

import json
import os
import re
import sys
import time
from datetime import datetime, timezone

import boto3

EXPORT = re.compile(r"-hourly-(\d{12})-0001\.rdb$")


def log(message):
    print(message, file=sys.stderr, flush=True)


def main():
    with open(os.environ["FIREDRILL_STORE"]) as f:
        store = json.load(f)
    region = store["region"]
    group = store["cache_replication_group"]
    restore_to = datetime.fromisoformat(os.environ["FIREDRILL_RESTORE_TO"].replace("Z", "+00:00"))
    bucket = f"{store['prefix']}-cache-exports-dr"
    s3 = boto3.client("s3", region_name=region)
    exports = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for o in page.get("Contents", []):
            m = EXPORT.search(o["Key"])
            if m:
                hour = datetime.strptime(m.group(1), "%Y%m%d%H%M").replace(tzinfo=timezone.utc)
                if hour < restore_to:
                    exports.append((hour, o["Key"]))
    if not exports:
        raise SystemExit(f"no export in s3://{bucket} before {restore_to.isoformat()}")
    hour, key = max(exports)
    log(f"newest export before the fault: s3://{bucket}/{key} (taken {hour.isoformat()})")
    restored = f"{group.removesuffix('-dr')}-dr"
    ec = boto3.client("elasticache", region_name=region)
    ec.create_replication_group(
        ReplicationGroupId=restored,
        ReplicationGroupDescription=f"sessions restored in {region} from {key}",
        Engine="redis",
        CacheNodeType="cache.t3.micro",
        NumCacheClusters=1,
        SnapshotRetentionLimit=7,
        SnapshotArns=[f"arn:aws:s3:::{bucket}/{key}"],
    )
    deadline = time.monotonic() + 600
    while True:
        status = ec.describe_replication_groups(ReplicationGroupId=restored)["ReplicationGroups"][0]["Status"]
        if status == "available":
            break
        if status.endswith("failed") or time.monotonic() > deadline:
            raise SystemExit(f"{restored} is {status}")
        time.sleep(0.2)
    log(f"{restored} is available in {region}")
    with open(os.environ["FIREDRILL_RECOVERED"], "w") as f:
        json.dump({"cache_replication_group": restored}, f)


if __name__ == "__main__":
    main()
