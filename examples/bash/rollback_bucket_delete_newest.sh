#!/usr/bin/env bash
# Buggy twin of rollback_bucket.sh: deletes the newest version, not the marker.
#
# "Undelete means delete the latest version" is true only when the latest
# entry is a delete marker. This script looks at the Versions list alone,
# where the newest entry of a deleted key is its last real content, and
# deletes that permanently: the marker stays, the key stays missing, and its
# content is gone for good.
source "$(dirname "$0")/shop.sh"
bucket=$(store "$1")

# BUG: the DeleteMarkers list is never read.
newest=$(aws s3api list-object-versions --bucket "$bucket" --output json \
  | jq -c '[(.Versions // []) | group_by(.Key)[] | max_by(.LastModified)
            | select(.IsLatest | not) | {Key, VersionId}]')
if [ "$(jq length <<<"$newest")" -gt 0 ]; then
  aws s3api delete-objects --bucket "$bucket" --delete "{\"Objects\": $newest, \"Quiet\": true}" >/dev/null
fi
log "$bucket: deleted the newest version of $(jq length <<<"$newest") keys"
