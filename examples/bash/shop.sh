# What every example script shares, sourced by each: the drill's environment,
# the store's names, re-pointing, and waits that poll every second.
#
# firedrill runs each command with AWS_ENDPOINT_URL, credentials and region
# already set, so a plain `aws dynamodb ...` talks to the drill's target.
# FIREDRILL_STORE names the store's resources as they are now; a recovery
# command writes the keys it re-pointed to FIREDRILL_RECOVERED. Needs the AWS
# CLI and jq.
set -euo pipefail

# The value of one key of FIREDRILL_STORE: `store carts_table`.
store() { jq -er --arg k "$1" '.[$k]' "$FIREDRILL_STORE"; }

REGION=$(store region)
export AWS_REGION=$REGION AWS_DEFAULT_REGION=$REGION

# AWS CLI v1 ignores AWS_ENDPOINT_URL for `aws rds` in us-east-1 (it pins
# rds.amazonaws.com for TLS reasons); v2 honours it. Pass it explicitly.
RDS_ENDPOINT=${AWS_ENDPOINT_URL_RDS:-${AWS_ENDPOINT_URL:-}}
rds() { aws ${RDS_ENDPOINT:+--endpoint-url "$RDS_ENDPOINT"} rds "$@"; }

# A progress line on stderr (firedrill keeps it in the report).
log() { printf '%s\n' "$*" >&2; }

# Tells firedrill the application now reads this resource: `repoint carts_table NAME`.
repoint() {
  local current='{}'
  if [ -s "$FIREDRILL_RECOVERED" ]; then current=$(cat "$FIREDRILL_RECOVERED"); fi
  jq -n --argjson current "$current" --arg k "$1" --arg v "$2" '$current + {($k): $v}' >"$FIREDRILL_RECOVERED"
  log "re-pointed: $1 -> $2"
}

# Runs "$@" every second until it prints WANT; gives up after 10 minutes.
wait_for() {
  local what=$1 want=$2 seen=
  shift 2
  for _ in $(seq 600); do
    seen=$("$@" || true)
    if [ "$seen" = "$want" ]; then return 0; fi
    sleep 1
  done
  log "gave up waiting for $what; last seen: $seen"
  return 1
}

table_status() { aws dynamodb describe-table --table-name "$1" --query Table.TableStatus --output text; }
db_status() { rds describe-db-instances --db-instance-identifier "$1" --query 'DBInstances[0].DBInstanceStatus' --output text; }

wait_table_active() { wait_for "table $1 to be ACTIVE" ACTIVE table_status "$1" && log "$1 is ACTIVE"; }
wait_db_available() { wait_for "instance $1 to be available" available db_status "$1" && log "$1 is available"; }

enable_table_pitr() {
  aws dynamodb update-continuous-backups --table-name "$1" \
    --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true >/dev/null
  log "PITR enabled on $1"
}

# A short name suffix from the restore point: -r110459.
suffix() { printf -- '-r%s' "$(printf '%s' "$FIREDRILL_RESTORE_TO" | cut -c12-19 | tr -d :)"; }
