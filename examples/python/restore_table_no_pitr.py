"""Buggy twin of restore_table.py: forgets to turn PITR back on.

The data comes back, but a restored table starts without point-in-time
recovery: the next accident has nothing to restore from. The drill reports
the lost protection as a finding, so the recovery is not "recovered".
"""

import sys

import restore_table
import shop


def main(key):
    ddb = shop.client("dynamodb")
    source = shop.store()[key]
    target = source + shop.suffix()
    restore_table.restore(ddb, source, target)
    shop.wait_table_active(ddb, target)
    # BUG: no shop.enable_table_pitr(ddb, target).
    shop.repoint({key: target})


if __name__ == "__main__":
    main(sys.argv[1])
