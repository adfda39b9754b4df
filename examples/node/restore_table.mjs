// DynamoDB point-in-time recovery of one table, done right.
//
//     node restore_table.mjs carts_table      (or sessions_table)
//
// 1. Restore the table as it was at FIREDRILL_RESTORE_TO into a new table
//    (from the SYSTEM backup DynamoDB kept when the table itself was deleted).
// 2. Wait until the new table is ACTIVE: until then it answers no reads.
// 3. Turn PITR on for it: a restore does not carry it over, and the next
//    accident would find no continuous backup.
// 4. Re-point the application at it.

import { pathToFileURL } from "node:url";
import {
  DescribeContinuousBackupsCommand,
  ListBackupsCommand,
  RestoreTableFromBackupCommand,
  RestoreTableToPointInTimeCommand,
} from "@aws-sdk/client-dynamodb";
import * as shop from "./shop.mjs";

/** Starts the restore of source as at T into target. */
export async function restore(ddb, source, target) {
  try {
    await ddb.send(new DescribeContinuousBackupsCommand({ TableName: source }));
  } catch (e) {
    if (e.name !== "TableNotFoundException") throw e;
    const { BackupSummaries } = await ddb.send(
      new ListBackupsCommand({ TableName: source, BackupType: "SYSTEM" }),
    );
    if (!BackupSummaries.length) {
      throw new Error(`${source} was deleted and DynamoDB kept no SYSTEM backup of it`);
    }
    const newest = BackupSummaries.reduce((a, b) =>
      a.BackupCreationDateTime >= b.BackupCreationDateTime ? a : b,
    );
    await ddb.send(
      new RestoreTableFromBackupCommand({ TargetTableName: target, BackupArn: newest.BackupArn }),
    );
    shop.log(`${source} is gone: restoring ${target} from its SYSTEM backup ${newest.BackupArn}`);
    return;
  }
  await ddb.send(
    new RestoreTableToPointInTimeCommand({
      SourceTableName: source,
      TargetTableName: target,
      RestoreDateTime: shop.restoreTo(),
    }),
  );
  shop.log(`restoring ${source} as at ${shop.restoreTo().toISOString()} into ${target}`);
}

/** The store key given on the command line, its table and the restored table's name. */
export function names() {
  const key = process.argv[2];
  const source = shop.store()[key];
  return { key, source, target: source + shop.suffix() };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  shop.run(async () => {
    const { ddb } = shop.clients();
    const { key, source, target } = names();
    await restore(ddb, source, target);
    await shop.waitTableActive(ddb, target);
    await shop.enableTablePitr(ddb, target);
    shop.repoint({ [key]: target });
  });
}
