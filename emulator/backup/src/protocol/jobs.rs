//! Backup and copy jobs on the wire: `StartBackupJob`, `DescribeBackupJob`,
//! `ListBackupJobs`, `StopBackupJob`, `StartCopyJob`, `DescribeCopyJob`,
//! `ListCopyJobs`.

use super::*;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StartBackupBody {
    backup_vault_name: Option<String>,
    resource_arn: Option<String>,
    iam_role_arn: Option<String>,
    start_window_minutes: Option<i64>,
    complete_window_minutes: Option<i64>,
    lifecycle: Option<Lifecycle>,
    recovery_point_tags: Option<BTreeMap<String, String>>,
    backup_options: Option<BTreeMap<String, String>>,
    index: Option<String>,
    idempotency_token: Option<String>,
}

pub(super) fn backup_job_json(j: &BackupJob, account: &str) -> Value {
    let mut m = Map::new();
    m.insert("AccountId".into(), json!(account));
    m.insert("BackupJobId".into(), json!(j.id));
    m.insert("BackupVaultName".into(), json!(j.vault_name));
    m.insert("BackupVaultArn".into(), json!(j.vault_arn));
    m.insert("VaultType".into(), json!("BACKUP_VAULT"));
    put_opt(&mut m, "RecoveryPointLifecycle", lifecycle_json(&j.lifecycle));
    put_opt(&mut m, "RecoveryPointArn", opt_str(&j.recovery_point_arn));
    m.insert("IsEncrypted".into(), json!(true));
    put_opt(&mut m, "EncryptionKeyArn", opt_str(&j.encryption_key_arn));
    m.insert("ResourceArn".into(), json!(j.resource_arn));
    m.insert("CreationDate".into(), ts(j.creation_date));
    put_opt(&mut m, "CompletionDate", opt_ts(j.completion_date));
    m.insert("State".into(), json!(j.state.as_str()));
    put_opt(&mut m, "StatusMessage", opt_str(&j.status_message));
    let percent = match j.state {
        BackupJobState::Completed => "100.0",
        _ => "0.0",
    };
    m.insert("PercentDone".into(), json!(percent));
    m.insert("BackupSizeInBytes".into(), json!(j.size_bytes));
    m.insert("IamRoleArn".into(), json!(j.iam_role_arn));
    put_opt(&mut m, "CreatedBy", creator_json(&j.created_by));
    m.insert("ResourceType".into(), json!(j.resource_type));
    if j.state == BackupJobState::Completed {
        m.insert("BytesTransferred".into(), json!(j.size_bytes));
    }
    put_opt(
        &mut m,
        "ExpectedCompletionDate",
        opt_ts(j.expected_completion_date),
    );
    m.insert("StartBy".into(), ts(j.start_by));
    m.insert(
        "BackupType".into(),
        json!(if j.continuous { "CONTINUOUS" } else { "SNAPSHOT" }),
    );
    m.insert("IsParent".into(), json!(false));
    m.insert("ResourceName".into(), json!(j.resource_name));
    put_opt(&mut m, "InitiationDate", opt_ts(j.started));
    m.insert("MessageCategory".into(), json!(message_category(j)));
    if !j.backup_options.is_empty() {
        m.insert("BackupOptions".into(), json!(j.backup_options));
    }
    Value::Object(m)
}

/// A backup job's `MessageCategory`.
pub(super) fn message_category(j: &BackupJob) -> &'static str {
    match j.state {
        BackupJobState::Completed | BackupJobState::Running | BackupJobState::Created => "SUCCESS",
        _ => "ERROR",
    }
}

pub(super) async fn start_backup_job(
    State(e): Engn,
    Extension(ctx): Ctx,
    JsonBody(body): JsonBody,
) -> Response<Body> {
    let result = async {
        let b: StartBackupBody = parse_body(&body)?;
        if let Some(index) = &b.index
            && !matches!(index.as_str(), "ENABLED" | "DISABLED")
        {
            return Err(BackupError::invalid(format!(
                "Invalid value {index:?} for Index: valid values are ENABLED, DISABLED"
            )));
        }
        let job = e
            .start_backup_job(
                &ctx.principal(),
                &ctx.region,
                StartBackup {
                    vault_name: b
                        .backup_vault_name
                        .ok_or_else(|| BackupError::missing("BackupVaultName"))?,
                    resource_arn: b
                        .resource_arn
                        .ok_or_else(|| BackupError::missing("ResourceArn"))?,
                    iam_role_arn: b.iam_role_arn.ok_or_else(|| BackupError::missing("IamRoleArn"))?,
                    start_window_minutes: b.start_window_minutes,
                    complete_window_minutes: b.complete_window_minutes,
                    lifecycle: b.lifecycle,
                    recovery_point_tags: b.recovery_point_tags.unwrap_or_default(),
                    backup_options: b.backup_options.unwrap_or_default(),
                    idempotency_token: b.idempotency_token,
                },
            )
            .await?;
        let mut m = Map::new();
        m.insert("BackupJobId".into(), json!(job.id));
        put_opt(&mut m, "RecoveryPointArn", opt_str(&job.recovery_point_arn));
        m.insert("CreationDate".into(), ts(job.creation_date));
        m.insert("IsParent".into(), json!(false));
        Ok(Value::Object(m))
    }
    .await;
    reply(&ctx, result)
}

pub(super) async fn describe_backup_job(State(e): Engn, Extension(ctx): Ctx, p: Params) -> Response<Body> {
    let result = e
        .describe_backup_job(&ctx.region, p.at(0))
        .map(|j| backup_job_json(&j, e.account()));
    reply(&ctx, result)
}

pub(super) async fn list_backup_jobs(State(e): Engn, Extension(ctx): Ctx, q: Query) -> Response<Body> {
    let result = (|| {
        let f = BackupJobFilter {
            state: q.one_of("state", BACKUP_JOB_STATES)?,
            resource_arn: q.get("resourceArn"),
            vault_name: q.matching("backupVaultName", vault_name_valid, "^[a-zA-Z0-9\\-\\_]{2,50}$")?,
            resource_type: q.resource_type()?,
            created_after: q.time("createdAfter")?,
            created_before: q.time("createdBefore")?,
            complete_after: q.time("completeAfter")?,
            complete_before: q.time("completeBefore")?,
        };
        let mut jobs = e.list_backup_jobs(&ctx.region, &f);
        if q.other_account("accountId", e.account())? {
            jobs.clear();
        }
        if let Some(category) = q.get("messageCategory") {
            jobs.retain(|j| message_category(j) == category);
        }
        let (items, next) = page(jobs, &q)?;
        let list: Vec<Value> = items.iter().map(|j| backup_job_json(j, e.account())).collect();
        Ok(with_next(json!({ "BackupJobs": list }), next))
    })();
    reply(&ctx, result)
}

pub(super) async fn stop_backup_job(State(e): Engn, Extension(ctx): Ctx, p: Params) -> Response<Body> {
    let result = e
        .stop_backup_job(&ctx.principal(), &ctx.region, p.at(0))
        .await
        .map(|_| json!({}));
    reply(&ctx, result)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StartCopyBody {
    recovery_point_arn: Option<String>,
    source_backup_vault_name: Option<String>,
    destination_backup_vault_arn: Option<String>,
    iam_role_arn: Option<String>,
    lifecycle: Option<Lifecycle>,
    idempotency_token: Option<String>,
}

pub(super) fn copy_job_json(j: &CopyJob) -> Value {
    let mut m = Map::new();
    m.insert("AccountId".into(), json!(j.account_id));
    m.insert("CopyJobId".into(), json!(j.id));
    m.insert("SourceBackupVaultArn".into(), json!(j.source_vault_arn));
    m.insert(
        "SourceRecoveryPointArn".into(),
        json!(j.source_recovery_point_arn),
    );
    m.insert("DestinationBackupVaultArn".into(), json!(j.destination_vault_arn));
    m.insert("DestinationVaultType".into(), json!("BACKUP_VAULT"));
    put_opt(
        &mut m,
        "DestinationRecoveryPointArn",
        opt_str(&j.destination_recovery_point_arn),
    );
    put_opt(
        &mut m,
        "DestinationRecoveryPointLifecycle",
        lifecycle_json(&j.destination_lifecycle),
    );
    m.insert("ResourceArn".into(), json!(j.resource_arn));
    m.insert("CreationDate".into(), ts(j.creation_date));
    if matches!(j.state, JobState::Completed | JobState::Failed) {
        put_opt(&mut m, "CompletionDate", opt_ts(j.completion_date));
    }
    m.insert("State".into(), json!(j.state.copy_str()));
    put_opt(&mut m, "StatusMessage", opt_str(&j.status_message));
    m.insert("BackupSizeInBytes".into(), json!(j.size_bytes));
    m.insert("IamRoleArn".into(), json!(j.iam_role_arn));
    put_opt(&mut m, "CreatedBy", creator_json(&j.created_by));
    put_opt(
        &mut m,
        "CreatedByBackupJobId",
        opt_str(&j.created_by_backup_job_id),
    );
    m.insert("ResourceType".into(), json!(j.resource_type));
    m.insert("IsParent".into(), json!(false));
    m.insert("ResourceName".into(), json!(j.resource_name));
    m.insert("MessageCategory".into(), json!(copy_message_category(j)));
    Value::Object(m)
}

/// A copy job's `MessageCategory`.
pub(super) fn copy_message_category(j: &CopyJob) -> &'static str {
    if j.state == JobState::Failed {
        "ERROR"
    } else {
        "SUCCESS"
    }
}

pub(super) async fn start_copy_job(
    State(e): Engn,
    Extension(ctx): Ctx,
    JsonBody(body): JsonBody,
) -> Response<Body> {
    let result = async {
        let b: StartCopyBody = parse_body(&body)?;
        let job = e
            .start_copy_job(
                &ctx.principal(),
                &ctx.region,
                b.recovery_point_arn.as_deref().unwrap_or(""),
                b.source_backup_vault_name.as_deref().unwrap_or(""),
                b.destination_backup_vault_arn.as_deref().unwrap_or(""),
                b.iam_role_arn.as_deref().unwrap_or(""),
                b.lifecycle,
                b.idempotency_token,
            )
            .await?;
        Ok(json!({"CopyJobId": job.id, "CreationDate": ts(job.creation_date), "IsParent": false}))
    }
    .await;
    reply(&ctx, result)
}

pub(super) async fn describe_copy_job(State(e): Engn, Extension(ctx): Ctx, p: Params) -> Response<Body> {
    let result = e
        .describe_copy_job(&ctx.region, p.at(0))
        .map(|j| json!({ "CopyJob": copy_job_json(&j) }));
    reply(&ctx, result)
}

pub(super) async fn list_copy_jobs(State(e): Engn, Extension(ctx): Ctx, q: Query) -> Response<Body> {
    let result = (|| {
        let f = CopyJobFilter {
            state: q.one_of("state", COPY_JOB_STATES)?,
            resource_arn: q.get("resourceArn"),
            destination_vault_arn: q.get("destinationVaultArn"),
            resource_type: q.resource_type()?,
            source_recovery_point_arn: q.get("sourceRecoveryPointArn"),
            created_after: q.time("createdAfter")?,
            created_before: q.time("createdBefore")?,
            complete_after: q.time("completeAfter")?,
            complete_before: q.time("completeBefore")?,
        };
        let mut jobs = e.list_copy_jobs(&ctx.region, &f);
        // A cross-account copy is listed in both accounts, owned by the source.
        if let Some(owner) = q.account_id("accountId")? {
            jobs.retain(|j| j.account_id == owner);
        }
        if let Some(category) = q.get("messageCategory") {
            jobs.retain(|j| copy_message_category(j) == category);
        }
        let (items, next) = page(jobs, &q)?;
        let list: Vec<Value> = items.iter().map(copy_job_json).collect();
        Ok(with_next(json!({ "CopyJobs": list }), next))
    })();
    reply(&ctx, result)
}
