#!/usr/bin/env bash
# DynamoDB point-in-time recovery of one table, done right.
#
#     bash restore_table.sh carts_table      (or sessions_table)
#
# 1. Restore the table as it was at FIREDRILL_RESTORE_TO into a new table
#    (from the SYSTEM backup DynamoDB kept when the table itself was deleted).
# 2. Wait until the new table is ACTIVE: until then it answers no reads.
# 3. Turn PITR on for it: a restore does not carry it over, and the next
#    accident would find no continuous backup.
# 4. Re-point the application at it.
source "$(dirname "$0")/shop.sh"
key=$1
source_table=$(store "$key")
target=$source_table$(suffix)

# Starts the restore of $1 as at T into $2.
restore() {
  if aws dynamodb describe-continuous-backups --table-name "$1" >/dev/null 2>&1; then
    aws dynamodb restore-table-to-point-in-time --source-table-name "$1" --target-table-name "$2" \
      --restore-date-time "$FIREDRILL_RESTORE_TO" >/dev/null
    log "restoring $1 as at $FIREDRILL_RESTORE_TO into $2"
    return
  fi
  local backup
  backup=$(aws dynamodb list-backups --table-name "$1" --backup-type SYSTEM \
    --query 'reverse(sort_by(BackupSummaries, &BackupCreationDateTime))[0].BackupArn' --output text)
  if [ -z "$backup" ] || [ "$backup" = None ]; then
    log "$1 was deleted and DynamoDB kept no SYSTEM backup of it"
    exit 1
  fi
  aws dynamodb restore-table-from-backup --target-table-name "$2" --backup-arn "$backup" >/dev/null
  log "$1 is gone: restoring $2 from its SYSTEM backup $backup"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  restore "$source_table" "$target"
  wait_table_active "$target"
  enable_table_pitr "$target"
  repoint "$key" "$target"
fi
