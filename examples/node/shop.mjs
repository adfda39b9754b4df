// What every example runbook shares: the drill's environment, the store's
// names, re-pointing, and waits that poll every second.
//
// firedrill runs each command with AWS_ENDPOINT_URL, credentials and region
// already set, so a plain `new DynamoDBClient({})` talks to the drill's
// target. FIREDRILL_STORE names the store's resources as they are now; a
// recovery command writes the keys it re-pointed to FIREDRILL_RECOVERED.

import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import {
  DescribeTableCommand,
  DynamoDBClient,
  UpdateContinuousBackupsCommand,
} from "@aws-sdk/client-dynamodb";
import { DescribeDBInstancesCommand, RDSClient } from "@aws-sdk/client-rds";
import { S3Client } from "@aws-sdk/client-s3";
import { BackupClient } from "@aws-sdk/client-backup";

/** The store's current names: region, db_instance, carts_table, ... */
export function store() {
  return JSON.parse(readFileSync(process.env.FIREDRILL_STORE, "utf8"));
}

/** The instant the business wants back (FIREDRILL_RESTORE_TO). */
export function restoreTo() {
  return new Date(process.env.FIREDRILL_RESTORE_TO);
}

/** SDK clients for the store's region (the endpoint comes from the environment). */
export function clients() {
  const region = store().region;
  return {
    ddb: new DynamoDBClient({ region }),
    // Path-style addressing: bucket names are not DNS names of a local endpoint.
    s3: new S3Client({ region, forcePathStyle: true }),
    rds: new RDSClient({ region }),
    backup: new BackupClient({ region }),
  };
}

/** A progress line on stderr (firedrill keeps it in the report). */
export function log(message) {
  process.stderr.write(`${message}\n`);
}

/** Tells firedrill that the application now reads these resources. */
export function repoint(changes) {
  const path = process.env.FIREDRILL_RECOVERED;
  const text = existsSync(path) ? readFileSync(path, "utf8").trim() : "";
  const current = text ? JSON.parse(text) : {};
  writeFileSync(path, JSON.stringify({ ...current, ...changes }));
  log(`re-pointed: ${JSON.stringify(changes)}`);
}

/** Calls probe() every second until it returns [value, seen] with a value; returns it. */
export async function waitUntil(what, probe, timeoutMs = 600_000) {
  const deadline = Date.now() + timeoutMs;
  let seen;
  while (Date.now() < deadline) {
    let value;
    [value, seen] = await probe();
    if (value !== undefined) return value;
    await sleep(1000);
  }
  throw new Error(`gave up waiting for ${what}; last seen: ${seen}`);
}

/** Waits until a DynamoDB table is ACTIVE. */
export async function waitTableActive(ddb, table) {
  await waitUntil(`table ${table} to be ACTIVE`, async () => {
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: table }));
    return [Table.TableStatus === "ACTIVE" ? true : undefined, Table.TableStatus];
  });
  log(`${table} is ACTIVE`);
}

/** Waits until an RDS instance is available; returns its description. */
export async function waitDbAvailable(rds, instance) {
  const db = await waitUntil(`instance ${instance} to be available`, async () => {
    const { DBInstances } = await rds.send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: instance }),
    );
    const status = DBInstances[0].DBInstanceStatus;
    return [status === "available" ? DBInstances[0] : undefined, status];
  });
  log(`${instance} is available`);
  return db;
}

/** Turns DynamoDB point-in-time recovery on for a table. */
export async function enableTablePitr(ddb, table) {
  await ddb.send(
    new UpdateContinuousBackupsCommand({
      TableName: table,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    }),
  );
  log(`PITR enabled on ${table}`);
}

/** A short name suffix from the restore point: -r110459. */
export function suffix() {
  return `-r${restoreTo().toISOString().slice(11, 19).replaceAll(":", "")}`;
}

/** Runs main, printing a failure's message on stderr and exiting 1. */
export function run(main) {
  main().catch((e) => {
    log(`${e.name ?? "Error"}: ${e.message}`);
    process.exit(1);
  });
}
