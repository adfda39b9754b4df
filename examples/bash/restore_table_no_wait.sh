#!/usr/bin/env bash
# Buggy twin of restore_table.sh: re-points before the table is ACTIVE.
#
# restore-table-to-point-in-time returns at once with the new table CREATING;
# an application re-pointed then reads a table that answers nothing yet.
# firedrill refuses the re-point and the step fails with the table's status.
source "$(dirname "$0")/restore_table.sh"

restore "$source_table" "$target"
# BUG: no wait_table_active "$target" before the cut-over.
repoint "$key" "$target"
