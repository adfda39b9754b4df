// Buggy twin of restore_table.mjs: forgets to turn PITR back on.
//
// The data comes back, but a restored table starts without point-in-time
// recovery: the next accident has nothing to restore from. The drill reports
// the lost protection as a finding, so the recovery is not "recovered".

import { names, restore } from "./restore_table.mjs";
import * as shop from "./shop.mjs";

shop.run(async () => {
  const { ddb } = shop.clients();
  const { key, source, target } = names();
  await restore(ddb, source, target);
  await shop.waitTableActive(ddb, target);
  // BUG: no await shop.enableTablePitr(ddb, target).
  shop.repoint({ [key]: target });
});
