#!/usr/bin/env bash
# The AWS CLI v2 against a firedrill endpoint, as a user types it: S3 (mb,
# cp, sync, ls, cp and rm --recursive, versions through s3api, an error),
# DynamoDB (table, item, PITR), RDS (engine versions, a parameter group, a
# missing instance) and AWS Backup (vault, plan). Exits non-zero, saying
# which check failed, on the first answer that differs from AWS's.
#
# Usage: AWS_CLI=/usr/bin/aws tests/cli/aws-cli-v2.sh http://127.0.0.1:4566
set -euo pipefail

endpoint=${1:?usage: aws-cli-v2.sh ENDPOINT}
cli=${AWS_CLI:-aws}
export AWS_ACCESS_KEY_ID=AKIAFIREDRILLCLIV2 AWS_SECRET_ACCESS_KEY=firedrill-cli-v2
export AWS_DEFAULT_REGION=us-east-1 AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_SESSION_TOKEN

fail() {
    echo "FAILED: $*" >&2
    exit 1
}
aws() { "$cli" --endpoint-url "$endpoint" --output text "$@"; }
expect() {
    [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
    echo "ok: $1"
}
# Runs a command that must fail with AWS error code $1 (a HEAD answers
# only its status, which the CLI prints in its place).
expect_error() {
    local want=$1 err
    shift
    if err=$(aws "$@" 2>&1 >/dev/null); then
        fail "$* succeeded, want $want"
    fi
    case $err in
    *"($want)"*) echo "ok: $* answers $want" ;;
    *) fail "$*: want $want, got: $err" ;;
    esac
}

version=$("$cli" --version 2>&1)
case $version in
aws-cli/2.*) echo "using $version" ;;
*) fail "$cli is not the AWS CLI v2: $version" ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- S3 ---
bucket=cli-v2-shop
aws s3 mb "s3://$bucket" >/dev/null
aws s3api put-bucket-versioning --bucket "$bucket" --versioning-configuration Status=Enabled
mkdir -p "$work/site/img"
echo one >"$work/site/a.txt"
echo two >"$work/site/img/b.txt"
aws s3 cp "$work/site/a.txt" "s3://$bucket/a.txt" >/dev/null
aws s3 sync "$work/site" "s3://$bucket/site" >/dev/null
listed=$(aws s3 ls "s3://$bucket/site/" --recursive | awk '{print $4}' | sort | tr '\n' ' ')
expect "s3 sync then ls --recursive" "$listed" "site/a.txt site/img/b.txt "
again=$(aws s3 sync "$work/site" "s3://$bucket/site")
expect "a second sync uploads nothing" "$again" ""
echo changed >"$work/site/a.txt"
aws s3 cp "$work/site/a.txt" "s3://$bucket/a.txt" >/dev/null
expect "two versions of a.txt" \
    "$(aws s3api list-object-versions --bucket "$bucket" --prefix a.txt --query 'length(Versions)')" 2
first=$(aws s3api list-object-versions --bucket "$bucket" --prefix a.txt \
    --query 'Versions[?IsLatest==`false`].VersionId | [0]')
aws s3api get-object --bucket "$bucket" --key a.txt --version-id "$first" "$work/old.txt" >/dev/null
expect "the first version's body" "$(cat "$work/old.txt")" one
aws s3 cp "s3://$bucket/site" "$work/back" --recursive >/dev/null
expect "cp --recursive downloads" "$(cat "$work/back/img/b.txt")" two
aws s3 rm "s3://$bucket/site" --recursive >/dev/null
expect "rm --recursive leaves no current object" \
    "$(aws s3api list-objects-v2 --bucket "$bucket" --prefix site/ --query 'length(Contents || `[]`)')" 0
expect "rm --recursive leaves a delete marker per key" \
    "$(aws s3api list-object-versions --bucket "$bucket" --prefix site/ --query 'length(DeleteMarkers)')" 2
expect_error 404 s3api head-object --bucket "$bucket" --key site/a.txt
expect_error NoSuchCORSConfiguration s3api get-bucket-cors --bucket "$bucket"
expect_error AccessControlListNotSupported s3api put-bucket-acl --bucket "$bucket" --acl public-read

# --- DynamoDB ---
aws dynamodb create-table --table-name cli-v2-carts \
    --attribute-definitions AttributeName=id,AttributeType=S \
    --key-schema AttributeName=id,KeyType=HASH --billing-mode PAY_PER_REQUEST >/dev/null
aws dynamodb put-item --table-name cli-v2-carts --item '{"id": {"S": "c1"}, "total": {"N": "42"}}'
expect "get-item" \
    "$(aws dynamodb get-item --table-name cli-v2-carts --key '{"id": {"S": "c1"}}' --query Item.total.N)" 42
aws dynamodb update-continuous-backups --table-name cli-v2-carts \
    --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true >/dev/null
expect "PITR on" "$(aws dynamodb describe-continuous-backups --table-name cli-v2-carts \
    --query ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus)" ENABLED
expect_error ResourceNotFoundException dynamodb describe-table --table-name cli-v2-missing

# --- RDS ---
expect "PostgreSQL engine versions" \
    "$(aws rds describe-db-engine-versions --engine postgres --query 'length(DBEngineVersions) > `0`')" True
aws rds create-db-parameter-group --db-parameter-group-name cli-v2-pg \
    --db-parameter-group-family postgres15 --description "CLI v2" >/dev/null
expect "parameter group family" "$(aws rds describe-db-parameter-groups --db-parameter-group-name cli-v2-pg \
    --query 'DBParameterGroups[0].DBParameterGroupFamily')" postgres15
expect_error DBInstanceNotFound rds describe-db-instances --db-instance-identifier cli-v2-missing

# --- AWS Backup ---
aws backup create-backup-vault --backup-vault-name cli-v2-vault >/dev/null
expect "the vault is listed" "$(aws backup list-backup-vaults \
    --query 'length(BackupVaultList[?BackupVaultName==`cli-v2-vault`])')" 1
plan=$(aws backup create-backup-plan --query BackupPlanId --backup-plan \
    '{"BackupPlanName": "cli-v2-daily", "Rules": [{"RuleName": "daily", "TargetBackupVaultName": "cli-v2-vault", "ScheduleExpression": "cron(0 5 * * ? *)"}]}')
expect "the plan reads back" \
    "$(aws backup get-backup-plan --backup-plan-id "$plan" --query BackupPlan.BackupPlanName)" cli-v2-daily
expect_error ResourceNotFoundException backup describe-backup-vault --backup-vault-name cli-v2-missing

echo "all AWS CLI v2 checks passed"
