#!/usr/bin/env bash
# S3 rollback of one versioned bucket to FIREDRILL_RESTORE_TO, key by key.
#
#     bash rollback_bucket.sh invoices_bucket
#
# For every key, the entry current at T is the newest version or delete
# marker written at or before T. If everything written after it is delete
# markers, remove those markers (the old version becomes current again,
# untouched); if a newer version overwrote it, copy the version at T over the
# key; a key that did not exist at T is deleted. Nothing is ever deleted
# permanently except delete markers.
source "$(dirname "$0")/shop.sh"
bucket=$(store "$1")
t=$(printf '%s' "$FIREDRILL_RESTORE_TO" | sed 's/Z$/.000Z/')

# Every version and delete marker, one JSON object per key, oldest first,
# with times in one fixed-width form so that they compare as strings.
versions_by_key() {
  aws s3api list-object-versions --bucket "$bucket" --output json | jq -c '
    def ms: sub("\\+00:00$"; "Z")
      | if test("\\.") then capture("^(?<s>[^.]*)\\.(?<f>[0-9]*)Z$") | .s + "." + ((.f + "000")[0:3]) + "Z"
        else sub("Z$"; ".000Z") end;
    [(.Versions // [])[] | {Key, VersionId, IsLatest, at: (.LastModified | ms), marker: false}]
    + [(.DeleteMarkers // [])[] | {Key, VersionId, IsLatest, at: (.LastModified | ms), marker: true}]
    | group_by(.Key)[] | {key: .[0].Key, entries: sort_by(.at, .IsLatest)}'
}

# The plan for each key line on stdin: {key, action, versions}, where action
# is unchanged, delete (the key did not exist at T), undelete (remove the
# delete markers in versions) or copy (the version at T over the key).
plan() {
  jq -c --arg t "$t" '
    .entries as $e | ($e | last) as $current
    | ([$e | to_entries[] | select(.value.at <= $t)] | last) as $at
    | {key}
    + if $at == null or $at.value.marker then
        {action: (if $current.marker then "unchanged" else "delete" end), versions: []}
      elif $at.value.VersionId == $current.VersionId then {action: "unchanged", versions: []}
      elif ($e[$at.key + 1:] | all(.marker)) then {action: "undelete", versions: [$e[$at.key + 1:][].VersionId]}
      else {action: "copy", versions: [$at.value.VersionId]} end'
}

# Carries out plan lines (stdin): one DeleteObjects call per 1000 deletes.
apply_plan() {
  local steps deletes
  steps=$(cat)
  deletes=$(jq -c 'select(.action == "undelete" or .action == "delete")
    | if .action == "delete" then {Key: .key} else {Key: .key, VersionId: .versions[]} end' <<<"$steps")
  if [ -n "$deletes" ]; then
    jq -sc '_nwise(1000) | {Objects: ., Quiet: true}' <<<"$deletes" | while read -r batch; do
      errors=$(aws s3api delete-objects --bucket "$bucket" --delete "$batch" --query 'length(Errors || `[]`)' --output text)
      if [ "$errors" != 0 ]; then
        log "DeleteObjects refused $errors deletes in $bucket"
        return 1
      fi
    done
  fi
  jq -r 'select(.action == "copy") | [.key, .versions[0]] | @tsv' <<<"$steps" | while IFS=$'\t' read -r key version; do
    aws s3api copy-object --bucket "$bucket" --key "$key" --copy-source "$bucket/$key?versionId=$version" >/dev/null
  done
  log "$bucket rolled back to $FIREDRILL_RESTORE_TO: $(jq -r .action <<<"$steps" | sort | uniq -c | tr -s ' \n' ' ')"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  status=$(aws s3api get-bucket-versioning --bucket "$bucket" --query Status --output text)
  if [ "$status" != Enabled ]; then
    log "versioning is not enabled on $bucket: there is nothing to roll back to"
    exit 1
  fi
  versions_by_key | plan | apply_plan
fi
