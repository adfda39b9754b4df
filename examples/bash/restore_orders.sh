#!/usr/bin/env bash
# RDS point-in-time recovery of the orders database into a new instance.
#
# 1. Wait until the instance's LatestRestorableTime has reached
#    FIREDRILL_RESTORE_TO (transaction logs are archived every few minutes).
# 2. restore-db-instance-to-point-in-time to exactly that instant, keeping
#    automated backups on the new instance (14 days, as on the original).
# 3. Wait until the new instance is available, then re-point the application.
source "$(dirname "$0")/shop.sh"
source_db=$(store db_instance)
target=$source_db-pitr$(suffix)

retention=$(rds describe-db-instances --db-instance-identifier "$source_db" \
  --query 'DBInstances[0].BackupRetentionPeriod' --output text)
if [ "$retention" = 0 ]; then
  log "automated backups are off on $source_db: no point-in-time restore"
  exit 1
fi

# Prints "reached" once LatestRestorableTime >= T, else what it is.
restorable() {
  local latest
  latest=$(rds describe-db-instances --db-instance-identifier "$source_db" \
    --query 'DBInstances[0].LatestRestorableTime' --output text)
  if [ "$latest" != None ] && [ "$(date -u -d "$latest" +%s)" -ge "$(date -u -d "$FIREDRILL_RESTORE_TO" +%s)" ]; then
    echo reached
  else
    echo "$latest"
  fi
}

wait_for "$source_db's LatestRestorableTime to reach $FIREDRILL_RESTORE_TO" reached restorable
rds restore-db-instance-to-point-in-time --source-db-instance-identifier "$source_db" \
  --target-db-instance-identifier "$target" --restore-time "$FIREDRILL_RESTORE_TO" \
  --backup-retention-period 14 >/dev/null
log "restoring $source_db as at $FIREDRILL_RESTORE_TO into $target"
wait_db_available "$target"
# firedrill reads the new instance's endpoint itself.
repoint db_instance "$target"
