#!/usr/bin/env bash
# Buggy twin of restore_table.sh: forgets to turn PITR back on.
#
# The data comes back, but a restored table starts without point-in-time
# recovery: the next accident has nothing to restore from. The drill reports
# the lost protection as a finding, so the recovery is not "recovered".
source "$(dirname "$0")/restore_table.sh"

restore "$source_table" "$target"
wait_table_active "$target"
# BUG: no enable_table_pitr "$target".
repoint "$key" "$target"
