"""Buggy twin of restore_table.py: restores to the latest restorable time.

UseLatestRestorableTime=True looks like the safe default, but the latest
restorable time is *after* the accident: the restored table faithfully holds
the deletes. The drill finds every deleted record still missing.
"""

import sys

import shop


def main(key):
    ddb = shop.client("dynamodb")
    source = shop.store()[key]
    target = source + shop.suffix()
    # BUG: should be RestoreDateTime=shop.restore_to().
    ddb.restore_table_to_point_in_time(
        SourceTableName=source, TargetTableName=target, UseLatestRestorableTime=True
    )
    shop.wait_table_active(ddb, target)
    shop.enable_table_pitr(ddb, target)
    shop.repoint({key: target})


if __name__ == "__main__":
    main(sys.argv[1])
