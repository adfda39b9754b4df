// Buggy twin of restore_table.mjs: re-points before the table is ACTIVE.
//
// RestoreTableToPointInTime returns at once with the new table CREATING; an
// application re-pointed then reads a table that answers nothing yet.
// firedrill refuses the re-point and the step fails with the table's status.

import { names, restore } from "./restore_table.mjs";
import * as shop from "./shop.mjs";

shop.run(async () => {
  const { ddb } = shop.clients();
  const { key, source, target } = names();
  await restore(ddb, source, target);
  // BUG: no await shop.waitTableActive(ddb, target) before the cut-over.
  shop.repoint({ [key]: target });
});
