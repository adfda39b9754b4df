#!/usr/bin/env bash
# Buggy twin of rollback_bucket.sh: skips keys whose current version is a
# delete marker.
#
# The script walks list-objects-v2, which lists live keys only, and rolls
# each back to its version at T. A deleted key is not live, so it is never
# visited: after a mass delete this restores nothing.
source "$(dirname "$0")/rollback_bucket.sh"

# BUG: only keys that still exist are considered.
live=$(aws s3api list-objects-v2 --bucket "$bucket" --query 'Contents[].Key' --output json | jq -c '. // []')
versions_by_key | jq -c --argjson live "$live" 'select(.key as $k | $live | index($k))' | plan | apply_plan
