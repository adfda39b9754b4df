// Buggy twin of rollback_bucket.mjs: deletes the newest version, not the marker.
//
// "Undelete means delete the latest version" is true only when the latest
// entry is a delete marker. This script looks at the Versions list alone,
// where the newest entry of a deleted key is its last real content, and
// deletes that permanently: the marker stays, the key stays missing, and its
// content is gone for good.

import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { listObjectVersions } from "./rollback_bucket.mjs";
import * as shop from "./shop.mjs";

shop.run(async () => {
  const { s3 } = shop.clients();
  const bucket = shop.store()[process.argv[2]];
  const newest = new Map();
  for await (const page of listObjectVersions(s3, bucket)) {
    // BUG: page.DeleteMarkers is never read.
    for (const v of page.Versions ?? []) {
      const seen = newest.get(v.Key);
      if (!seen || v.LastModified > seen.LastModified) newest.set(v.Key, v);
    }
  }
  let deleted = 0;
  for (const [key, v] of newest) {
    if (v.IsLatest) continue;
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: v.VersionId }));
    deleted += 1;
  }
  shop.log(`${bucket}: deleted the newest version of ${deleted} keys`);
});
