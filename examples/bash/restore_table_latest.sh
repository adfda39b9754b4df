#!/usr/bin/env bash
# Buggy twin of restore_table.sh: restores to the latest restorable time.
#
# --use-latest-restorable-time looks like the safe default, but the latest
# restorable time is *after* the accident: the restored table faithfully
# holds the deletes. The drill finds every deleted record still missing.
source "$(dirname "$0")/shop.sh"
key=$1
source_table=$(store "$key")
target=$source_table$(suffix)

# BUG: should be --restore-date-time "$FIREDRILL_RESTORE_TO".
aws dynamodb restore-table-to-point-in-time --source-table-name "$source_table" \
  --target-table-name "$target" --use-latest-restorable-time >/dev/null
wait_table_active "$target"
enable_table_pitr "$target"
repoint "$key" "$target"
