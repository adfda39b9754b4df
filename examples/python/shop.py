"""What every example runbook shares: the drill's environment, the store's
names, re-pointing, and waits that poll every second.

firedrill runs each command with AWS_ENDPOINT_URL, credentials and region
already set, so plain ``boto3.client("dynamodb")`` talks to the drill's
target. FIREDRILL_STORE names the store's resources as they are now;
a recovery command writes the keys it re-pointed to FIREDRILL_RECOVERED.
"""

import json
import os
import sys
import time
from datetime import datetime, timezone

import boto3


def store():
    """The store's current names: region, db_instance, carts_table, ..."""
    with open(os.environ["FIREDRILL_STORE"]) as f:
        return json.load(f)


def restore_to():
    """The instant the business wants back (FIREDRILL_RESTORE_TO)."""
    return parse_time(os.environ["FIREDRILL_RESTORE_TO"])


def parse_time(text):
    """An RFC 3339 UTC instant such as 2026-03-16T11:04:59Z."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def client(service):
    """A boto3 client for the store's region (the endpoint comes from the environment)."""
    return boto3.client(service, region_name=store()["region"])


def repoint(changes):
    """Tells firedrill that the application now reads these resources."""
    path = os.environ["FIREDRILL_RECOVERED"]
    current = {}
    if os.path.exists(path) and os.path.getsize(path) > 0:
        with open(path) as f:
            current = json.load(f)
    current.update(changes)
    with open(path, "w") as f:
        json.dump(current, f)
    log(f"re-pointed: {json.dumps(changes)}")


def log(message):
    """A progress line on stderr (firedrill keeps it in the report)."""
    print(message, file=sys.stderr, flush=True)


def wait_until(what, probe, timeout=600):
    """Calls probe() every second until it returns something other than None."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        result, last = probe()
        if result is not None:
            return result
        time.sleep(1)
    raise TimeoutError(f"gave up waiting for {what}; last seen: {last}")


def wait_table_active(ddb, table):
    """Waits until a DynamoDB table is ACTIVE."""

    def probe():
        status = ddb.describe_table(TableName=table)["Table"]["TableStatus"]
        return (status if status == "ACTIVE" else None), status

    wait_until(f"table {table} to be ACTIVE", probe)
    log(f"{table} is ACTIVE")


def wait_db_available(rds, instance):
    """Waits until an RDS instance is available; returns its description."""

    def probe():
        db = rds.describe_db_instances(DBInstanceIdentifier=instance)["DBInstances"][0]
        status = db["DBInstanceStatus"]
        return (db if status == "available" else None), status

    db = wait_until(f"instance {instance} to be available", probe)
    log(f"{instance} is available")
    return db


def enable_table_pitr(ddb, table):
    """Turns DynamoDB point-in-time recovery on for a table."""
    ddb.update_continuous_backups(
        TableName=table,
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
    )
    log(f"PITR enabled on {table}")


def suffix():
    """A short name suffix from the restore point: -r110459."""
    return "-r" + restore_to().strftime("%H%M%S")
