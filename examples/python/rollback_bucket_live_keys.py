"""Buggy twin of rollback_bucket.py: skips keys whose current version is a
delete marker.

The script walks ListObjectsV2, which lists live keys only, and rolls each
back to its version at T. A deleted key is not live, so it is never visited:
after a mass delete this restores nothing.
"""

import sys

import rollback_bucket
import shop


def main(store_key):
    s3 = shop.client("s3")
    bucket = shop.store()[store_key]
    t = shop.restore_to()
    # BUG: only keys that still exist are considered.
    live = {
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for o in page.get("Contents", [])
    }
    done = 0
    for key, entries in rollback_bucket.versions_by_key(s3, bucket).items():
        if key in live:
            rollback_bucket.roll_back_key(s3, bucket, key, entries, t)
            done += 1
    shop.log(f"{bucket}: rolled back {done} live keys")


if __name__ == "__main__":
    main(sys.argv[1])
