"""S3 rollback of one versioned bucket to FIREDRILL_RESTORE_TO, key by key.

    python3 rollback_bucket.py invoices_bucket

For every key, the entry current at T is the newest version or delete marker
written at or before T. If everything written after it is delete markers,
remove those markers (the old version becomes current again, untouched);
if a newer version overwrote it, copy the version at T over the key; a key
that did not exist at T is deleted. Nothing is ever deleted permanently
except delete markers.
"""

import sys
from collections import defaultdict

import shop


def versions_by_key(s3, bucket):
    """Every version and delete marker of the bucket, grouped by key, oldest first."""
    keys = defaultdict(list)
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for v in page.get("Versions", []):
            keys[v["Key"]].append({**v, "marker": False})
        for m in page.get("DeleteMarkers", []):
            keys[m["Key"]].append({**m, "marker": True})
    for entries in keys.values():
        entries.sort(key=lambda e: (e["LastModified"], e["IsLatest"]))
    return keys


def roll_back_key(s3, bucket, key, entries, t):
    """Brings one key back to its state at t; returns what it did."""
    current = entries[-1]
    before = [e for e in entries if e["LastModified"] <= t]
    at_t = before[-1] if before else None
    if at_t is None or at_t["marker"]:
        if current["marker"]:
            return "unchanged"
        s3.delete_object(Bucket=bucket, Key=key)
        return "deleted"
    if at_t is current:
        return "unchanged"
    newer = entries[entries.index(at_t) + 1 :]
    if all(e["marker"] for e in newer):
        for marker in reversed(newer):
            s3.delete_object(Bucket=bucket, Key=key, VersionId=marker["VersionId"])
        return "undeleted"
    s3.copy_object(
        Bucket=bucket,
        Key=key,
        CopySource={"Bucket": bucket, "Key": key, "VersionId": at_t["VersionId"]},
    )
    return "copied"


def main(store_key):
    s3 = shop.client("s3")
    bucket = shop.store()[store_key]
    t = shop.restore_to()
    if s3.get_bucket_versioning(Bucket=bucket).get("Status") != "Enabled":
        raise SystemExit(f"versioning is not enabled on {bucket}: there is nothing to roll back to")
    counts = defaultdict(int)
    for key, entries in versions_by_key(s3, bucket).items():
        counts[roll_back_key(s3, bucket, key, entries, t)] += 1
    shop.log(f"{bucket} rolled back to {t.isoformat()}: {dict(counts)}")


if __name__ == "__main__":
    main(sys.argv[1])
