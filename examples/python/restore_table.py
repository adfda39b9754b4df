"""DynamoDB point-in-time recovery of one table, done right.

    python3 restore_table.py carts_table      (or sessions_table)

1. Restore the table as it was at FIREDRILL_RESTORE_TO into a new table (from
   the SYSTEM backup DynamoDB kept when the table itself was deleted).
2. Wait until the new table is ACTIVE: until then it answers no reads.
3. Turn PITR on for it: a restore does not carry it over, and the next
   accident would find no continuous backup.
4. Re-point the application at it.
"""

import sys

import shop


def restore(ddb, source, target):
    """Starts the restore of source as at T into target."""
    try:
        ddb.describe_continuous_backups(TableName=source)
    except ddb.exceptions.TableNotFoundException:
        backups = ddb.list_backups(TableName=source, BackupType="SYSTEM")["BackupSummaries"]
        if not backups:
            raise SystemExit(f"{source} was deleted and DynamoDB kept no SYSTEM backup of it")
        newest = max(backups, key=lambda b: b["BackupCreationDateTime"])
        ddb.restore_table_from_backup(TargetTableName=target, BackupArn=newest["BackupArn"])
        shop.log(f"{source} is gone: restoring {target} from its SYSTEM backup {newest['BackupArn']}")
        return
    ddb.restore_table_to_point_in_time(
        SourceTableName=source, TargetTableName=target, RestoreDateTime=shop.restore_to()
    )
    shop.log(f"restoring {source} as at {shop.restore_to().isoformat()} into {target}")


def main(key):
    ddb = shop.client("dynamodb")
    source = shop.store()[key]
    target = source + shop.suffix()
    restore(ddb, source, target)
    shop.wait_table_active(ddb, target)
    shop.enable_table_pitr(ddb, target)
    shop.repoint({key: target})


if __name__ == "__main__":
    main(sys.argv[1])
