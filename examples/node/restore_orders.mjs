// RDS point-in-time recovery of the orders database into a new instance.
//
// 1. Wait until the instance's LatestRestorableTime has reached
//    FIREDRILL_RESTORE_TO (transaction logs are archived every few minutes).
// 2. RestoreDBInstanceToPointInTime to exactly that instant, keeping
//    automated backups on the new instance (14 days, as on the original).
// 3. Wait until the new instance is available, then re-point the application.

import {
  DescribeDBInstancesCommand,
  RestoreDBInstanceToPointInTimeCommand,
} from "@aws-sdk/client-rds";
import * as shop from "./shop.mjs";

shop.run(async () => {
  const { rds } = shop.clients();
  const source = shop.store().db_instance;
  const target = `${source}-pitr${shop.suffix()}`;
  const t = shop.restoreTo();

  await shop.waitUntil(`${source}'s LatestRestorableTime to reach ${t.toISOString()}`, async () => {
    const { DBInstances } = await rds.send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: source }),
    );
    const db = DBInstances[0];
    if (db.BackupRetentionPeriod === 0) {
      throw new Error(`automated backups are off on ${source}: no point-in-time restore`);
    }
    const latest = db.LatestRestorableTime;
    return [latest && latest >= t ? latest : undefined, latest?.toISOString()];
  });
  await rds.send(
    new RestoreDBInstanceToPointInTimeCommand({
      SourceDBInstanceIdentifier: source,
      TargetDBInstanceIdentifier: target,
      RestoreTime: t,
      BackupRetentionPeriod: 14,
    }),
  );
  shop.log(`restoring ${source} as at ${t.toISOString()} into ${target}`);
  await shop.waitDbAvailable(rds, target);
  // firedrill reads the new instance's endpoint itself.
  shop.repoint({ db_instance: target });
});
