"""RDS point-in-time recovery of the orders database into a new instance.

1. Wait until the instance's LatestRestorableTime has reached
   FIREDRILL_RESTORE_TO (transaction logs are archived every few minutes).
2. RestoreDBInstanceToPointInTime to exactly that instant, keeping automated
   backups on the new instance (14 days, as on the original).
3. Wait until the new instance is available, then re-point the application.
"""

import shop


def main():
    rds = shop.client("rds")
    source = shop.store()["db_instance"]
    target = f"{source}-pitr{shop.suffix()}"
    t = shop.restore_to()

    def restorable():
        db = rds.describe_db_instances(DBInstanceIdentifier=source)["DBInstances"][0]
        if db["BackupRetentionPeriod"] == 0:
            raise SystemExit(f"automated backups are off on {source}: no point-in-time restore")
        latest = db.get("LatestRestorableTime")
        return (latest if latest and latest >= t else None), latest

    shop.wait_until(f"{source}'s LatestRestorableTime to reach {t.isoformat()}", restorable)
    rds.restore_db_instance_to_point_in_time(
        SourceDBInstanceIdentifier=source,
        TargetDBInstanceIdentifier=target,
        RestoreTime=t,
        BackupRetentionPeriod=14,
    )
    shop.log(f"restoring {source} as at {t.isoformat()} into {target}")
    shop.wait_db_available(rds, target)
    # firedrill reads the new instance's endpoint itself.
    shop.repoint({"db_instance": target})


if __name__ == "__main__":
    main()
