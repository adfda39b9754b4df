"""The team's hourly cron job for the session store (ElastiCache for Redis).

    python3 team/snapshot_sessions.py [--export]

Takes a manual snapshot of the store's replication group named after the
hour cron fired (FIREDRILL_SCHEDULED_AT), waits until it is available and
deletes the job's snapshots older than a day. ElastiCache has no
point-in-time recovery: these snapshots are all a restore can bring back,
so the loss window is the hour between two of them.

With --export, the snapshot's RDB file is also exported to S3 (CopySnapshot
with TargetBucket, into <prefix>-cache-exports, which must be in the
snapshot's region) and copied into <prefix>-cache-exports-dr in the
secondary region (FIREDRILL_SECONDARY_REGION). ElastiCache cannot copy a
snapshot to another region itself; an RDB file in a bucket of that region
can seed a new cluster there (SnapshotArns) while this region is dark.
"""

import json
import os
import sys
import time
from datetime import datetime, timedelta, timezone

import boto3

KEEP = timedelta(days=1)


def log(message):
    print(message, file=sys.stderr, flush=True)


def wait_available(ec, name):
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        status = ec.describe_snapshots(SnapshotName=name)["Snapshots"][0]["SnapshotStatus"]
        if status == "available":
            return
        if status == "failed":
            raise SystemExit(f"snapshot {name} failed")
        time.sleep(0.1)
    raise SystemExit(f"snapshot {name} is not available after 300 s")


def export(ec, store, name):
    region = store["region"]
    dr_region = os.environ.get("FIREDRILL_SECONDARY_REGION")
    if not dr_region:
        raise SystemExit("--export needs a secondary region (FIREDRILL_SECONDARY_REGION)")
    bucket = f"{store['prefix']}-cache-exports"
    key = f"{name}-0001.rdb"
    ec.copy_snapshot(SourceSnapshotName=name, TargetSnapshotName=name, TargetBucket=bucket)
    s3 = boto3.client("s3", region_name=region)
    deadline = time.monotonic() + 300
    while True:
        try:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            break
        except s3.exceptions.NoSuchKey:
            if time.monotonic() > deadline:
                raise SystemExit(f"the export s3://{bucket}/{key} never appeared")
            time.sleep(0.1)
    dr_bucket = f"{bucket}-dr"
    boto3.client("s3", region_name=dr_region).put_object(Bucket=dr_bucket, Key=key, Body=body)
    log(f"exported to s3://{bucket}/{key} and copied to s3://{dr_bucket}/{key} ({dr_region})")


def main():
    with open(os.environ["FIREDRILL_STORE"]) as f:
        store = json.load(f)
    group = store["cache_replication_group"]
    if not group:
        raise SystemExit("the store keeps nothing in ElastiCache")
    fired = datetime.fromisoformat(os.environ["FIREDRILL_SCHEDULED_AT"].replace("Z", "+00:00"))
    prefix = f"{group}-hourly-"
    name = prefix + fired.astimezone(timezone.utc).strftime("%Y%m%d%H%M")
    ec = boto3.client("elasticache", region_name=store["region"])
    ec.create_snapshot(ReplicationGroupId=group, SnapshotName=name)
    wait_available(ec, name)
    log(f"snapshot {name} of {group} is available")
    if "--export" in sys.argv[1:]:
        export(ec, store, name)
    for s in ec.describe_snapshots(ReplicationGroupId=group, SnapshotSource="user")["Snapshots"]:
        created = s["NodeSnapshots"][0]["SnapshotCreateTime"]
        if s["SnapshotName"].startswith(prefix) and created < fired - KEEP:
            ec.delete_snapshot(SnapshotName=s["SnapshotName"])
            log(f"deleted {s['SnapshotName']} (older than {KEEP})")


if __name__ == "__main__":
    main()
