// Buggy twin of rollback_bucket.mjs: skips keys whose current version is a
// delete marker.
//
// The script walks ListObjectsV2, which lists live keys only, and rolls each
// back to its version at T. A deleted key is not live, so it is never
// visited: after a mass delete this restores nothing.

import { paginateListObjectsV2 } from "@aws-sdk/client-s3";
import { rollBackKey, versionsByKey } from "./rollback_bucket.mjs";
import * as shop from "./shop.mjs";

shop.run(async () => {
  const { s3 } = shop.clients();
  const bucket = shop.store()[process.argv[2]];
  const t = shop.restoreTo();
  // BUG: only keys that still exist are considered.
  const live = new Set();
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket })) {
    for (const o of page.Contents ?? []) live.add(o.Key);
  }
  let done = 0;
  for (const [key, entries] of await versionsByKey(s3, bucket)) {
    if (!live.has(key)) continue;
    await rollBackKey(s3, bucket, key, entries, t);
    done += 1;
  }
  shop.log(`${bucket}: rolled back ${done} live keys`);
});
