#!/usr/bin/env bash
# The team's backup configuration, with the AWS CLI: firedrill created the
# shop's resources bare ([policy] base = "none") and runs this once before
# traffic.
#  - DynamoDB point-in-time recovery on both tables;
#  - S3 versioning on the three buckets;
#  - RDS automated backups kept 14 days (which is what makes PITR possible).
# (The Python and Node examples also create an AWS Backup vault and plan.)
source "$(dirname "$0")/shop.sh"
RETENTION_DAYS=14

for key in carts_table sessions_table; do
  enable_table_pitr "$(store "$key")"
done

for key in images_bucket invoices_bucket templates_bucket; do
  bucket=$(store "$key")
  aws s3api put-bucket-versioning --bucket "$bucket" --versioning-configuration Status=Enabled
  log "versioning enabled on $bucket"
done

db=$(store db_instance)
rds modify-db-instance --db-instance-identifier "$db" \
  --backup-retention-period "$RETENTION_DAYS" --apply-immediately >/dev/null
wait_db_available "$db"
kept=$(rds describe-db-instances --db-instance-identifier "$db" --query 'DBInstances[0].BackupRetentionPeriod' --output text)
if [ "$kept" != "$RETENTION_DAYS" ]; then
  log "$db kept retention $kept"
  exit 1
fi
log "$db: automated backups kept $RETENTION_DAYS days"

