// S3 rollback of one versioned bucket to FIREDRILL_RESTORE_TO, key by key.
//
//     node rollback_bucket.mjs invoices_bucket
//
// For every key, the entry current at T is the newest version or delete
// marker written at or before T. If everything written after it is delete
// markers, remove those markers (the old version becomes current again,
// untouched); if a newer version overwrote it, copy the version at T over the
// key; a key that did not exist at T is deleted. Nothing is ever deleted
// permanently except delete markers.

import { pathToFileURL } from "node:url";
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  ListObjectVersionsCommand,
} from "@aws-sdk/client-s3";
import * as shop from "./shop.mjs";

/** Every page of ListObjectVersions (it pages by key and version id markers). */
export async function* listObjectVersions(s3, bucket) {
  let markers = {};
  for (;;) {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, ...markers }));
    yield page;
    if (!page.IsTruncated) return;
    markers = { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker };
  }
}

/** Every version and delete marker of the bucket, grouped by key, oldest first. */
export async function versionsByKey(s3, bucket) {
  const keys = new Map();
  const add = (entry, marker) => {
    if (!keys.has(entry.Key)) keys.set(entry.Key, []);
    keys.get(entry.Key).push({ ...entry, marker });
  };
  for await (const page of listObjectVersions(s3, bucket)) {
    for (const v of page.Versions ?? []) add(v, false);
    for (const m of page.DeleteMarkers ?? []) add(m, true);
  }
  for (const entries of keys.values()) {
    entries.sort((a, b) => a.LastModified - b.LastModified || a.IsLatest - b.IsLatest);
  }
  return keys;
}

/** Brings one key back to its state at t; returns what it did. */
export async function rollBackKey(s3, bucket, key, entries, t) {
  const current = entries.at(-1);
  const before = entries.filter((e) => e.LastModified <= t);
  const atT = before.at(-1);
  if (!atT || atT.marker) {
    if (current.marker) return "unchanged";
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    return "deleted";
  }
  if (atT === current) return "unchanged";
  const newer = entries.slice(entries.indexOf(atT) + 1);
  if (newer.every((e) => e.marker)) {
    for (const marker of newer.reverse()) {
      await s3.send(
        new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: marker.VersionId }),
      );
    }
    return "undeleted";
  }
  await s3.send(
    new CopyObjectCommand({
      Bucket: bucket,
      Key: key,
      CopySource: `${bucket}/${encodeURIComponent(key)}?versionId=${atT.VersionId}`,
    }),
  );
  return "copied";
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  shop.run(async () => {
    const { s3 } = shop.clients();
    const bucket = shop.store()[process.argv[2]];
    const t = shop.restoreTo();
    const { Status } = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
    if (Status !== "Enabled") {
      throw new Error(`versioning is not enabled on ${bucket}: there is nothing to roll back to`);
    }
    const counts = {};
    for (const [key, entries] of await versionsByKey(s3, bucket)) {
      const done = await rollBackKey(s3, bucket, key, entries, t);
      counts[done] = (counts[done] ?? 0) + 1;
    }
    shop.log(`${bucket} rolled back to ${t.toISOString()}: ${JSON.stringify(counts)}`);
  });
}
