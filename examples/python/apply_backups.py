"""The team's backup configuration, in boto3: firedrill created the shop's
resources bare ([policy] base = "none") and runs this once before traffic.

- DynamoDB point-in-time recovery on both tables;
- S3 versioning on the three buckets;
- RDS automated backups kept 14 days (which is what makes PITR possible);
- an AWS Backup vault and a daily plan over all six resources.
"""

import shop

RETENTION_DAYS = 14


def main():
    names = shop.store()
    ddb, s3, rds, backup = (shop.client(s) for s in ("dynamodb", "s3", "rds", "backup"))

    for table in (names["carts_table"], names["sessions_table"]):
        shop.enable_table_pitr(ddb, table)

    for bucket in (names["images_bucket"], names["invoices_bucket"], names["templates_bucket"]):
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        shop.log(f"versioning enabled on {bucket}")

    rds.modify_db_instance(
        DBInstanceIdentifier=names["db_instance"],
        BackupRetentionPeriod=RETENTION_DAYS,
        ApplyImmediately=True,
    )
    db = shop.wait_db_available(rds, names["db_instance"])
    if db["BackupRetentionPeriod"] != RETENTION_DAYS:
        raise SystemExit(f"{names['db_instance']} kept retention {db['BackupRetentionPeriod']}")
    shop.log(f"{names['db_instance']}: automated backups kept {RETENTION_DAYS} days")

    vaults = {v["BackupVaultName"] for v in backup.list_backup_vaults()["BackupVaultList"]}
    if names["backup_vault"] not in vaults:
        backup.create_backup_vault(BackupVaultName=names["backup_vault"])
    plans = {p["BackupPlanName"] for p in backup.list_backup_plans()["BackupPlansList"]}
    if names["backup_plan"] in plans:
        return
    plan = backup.create_backup_plan(
        BackupPlan={
            "BackupPlanName": names["backup_plan"],
            "Rules": [
                {
                    "RuleName": "daily",
                    "TargetBackupVaultName": names["backup_vault"],
                    "ScheduleExpression": "cron(0 3 * * ? *)",
                    "Lifecycle": {"DeleteAfterDays": 35},
                }
            ],
        }
    )
    account = db["DBInstanceArn"].split(":")[4]
    resources = [db["DBInstanceArn"]]
    for table in (names["carts_table"], names["sessions_table"]):
        resources.append(ddb.describe_table(TableName=table)["Table"]["TableArn"])
    for bucket in (names["images_bucket"], names["invoices_bucket"], names["templates_bucket"]):
        resources.append(f"arn:aws:s3:::{bucket}")
    backup.create_backup_selection(
        BackupPlanId=plan["BackupPlanId"],
        BackupSelection={
            "SelectionName": "shop-all",
            "IamRoleArn": f"arn:aws:iam::{account}:role/service-role/AWSBackupDefaultServiceRole",
            "Resources": resources,
        },
    )
    shop.log(f"backup plan {names['backup_plan']} covers {len(resources)} resources, into {names['backup_vault']}")

if __name__ == "__main__":
    main()
