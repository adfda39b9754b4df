"""Buggy twin of restore_table.py: re-points before the table is ACTIVE.

RestoreTableToPointInTime returns at once with the new table CREATING; an
application re-pointed then reads a table that answers nothing yet. firedrill
refuses the re-point and the step fails with the table's status.
"""

import sys

import restore_table
import shop


def main(key):
    ddb = shop.client("dynamodb")
    source = shop.store()[key]
    target = source + shop.suffix()
    restore_table.restore(ddb, source, target)
    # BUG: no shop.wait_table_active(ddb, target) before the cut-over.
    shop.repoint({key: target})


if __name__ == "__main__":
    main(sys.argv[1])
