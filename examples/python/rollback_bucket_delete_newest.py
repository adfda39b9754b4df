"""Buggy twin of rollback_bucket.py: deletes the newest version, not the marker.

"Undelete means delete the latest version" is true only when the latest
entry is a delete marker. This script looks at the Versions list alone,
where the newest entry of a deleted key is its last real content, and
deletes that permanently: the marker stays, the key stays missing, and its
content is gone for good.
"""

import sys

import shop


def main(store_key):
    s3 = shop.client("s3")
    bucket = shop.store()[store_key]
    newest = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        # BUG: the DeleteMarkers list is never read.
        for v in page.get("Versions", []):
            if v["Key"] not in newest or v["LastModified"] > newest[v["Key"]]["LastModified"]:
                newest[v["Key"]] = v
    for key, v in newest.items():
        if not v["IsLatest"]:
            s3.delete_object(Bucket=bucket, Key=key, VersionId=v["VersionId"])
    shop.log(f"{bucket}: deleted the newest version of {sum(not v['IsLatest'] for v in newest.values())} keys")


if __name__ == "__main__":
    main(sys.argv[1])
