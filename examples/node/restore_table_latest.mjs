// Buggy twin of restore_table.mjs: restores to the latest restorable time.
//
// UseLatestRestorableTime: true looks like the safe default, but the latest
// restorable time is *after* the accident: the restored table faithfully
// holds the deletes. The drill finds every deleted record still missing.

import { RestoreTableToPointInTimeCommand } from "@aws-sdk/client-dynamodb";
import { names } from "./restore_table.mjs";
import * as shop from "./shop.mjs";

shop.run(async () => {
  const { ddb } = shop.clients();
  const { key, source, target } = names();
  // BUG: should be RestoreDateTime: shop.restoreTo().
  await ddb.send(
    new RestoreTableToPointInTimeCommand({
      SourceTableName: source,
      TargetTableName: target,
      UseLatestRestorableTime: true,
    }),
  );
  await shop.waitTableActive(ddb, target);
  await shop.enableTablePitr(ddb, target);
  shop.repoint({ [key]: target });
});
