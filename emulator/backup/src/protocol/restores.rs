//! Restore jobs on the wire: `StartRestoreJob`, `DescribeRestoreJob`,
//! `ListRestoreJobs`, `ListRestoreJobsByProtectedResource`,
//! `GetRestoreJobMetadata`, and `PutRestoreValidationResult` (a restore
//! test's validation; a job a restore testing plan started carries
//! `CreatedBy`, `ValidationStatus` and `DeletionStatus`).

use super::*;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StartRestoreBody {
    recovery_point_arn: Option<String>,
    metadata: Option<BTreeMap<String, String>>,
    iam_role_arn: Option<String>,
    resource_type: Option<String>,
    idempotency_token: Option<String>,
}

pub(super) fn restore_job_json(j: &RestoreJob, account: &str) -> Value {
    let mut m = Map::new();
    m.insert("AccountId".into(), json!(account));
    m.insert("RestoreJobId".into(), json!(j.id));
    m.insert("RecoveryPointArn".into(), json!(j.recovery_point_arn));
    m.insert("SourceResourceArn".into(), json!(j.source_resource_arn));
    m.insert("BackupVaultArn".into(), json!(j.vault_arn));
    m.insert("CreationDate".into(), ts(j.creation_date));
    put_opt(&mut m, "CompletionDate", opt_ts(j.completion_date));
    m.insert("Status".into(), json!(j.state.restore_str()));
    put_opt(&mut m, "StatusMessage", opt_str(&j.status_message));
    m.insert(
        "PercentDone".into(),
        json!(if j.state == JobState::Completed {
            "100.00%"
        } else {
            "0.00%"
        }),
    );
    m.insert("BackupSizeInBytes".into(), json!(j.size_bytes));
    put_opt(&mut m, "IamRoleArn", opt_str(&j.iam_role_arn));
    m.insert(
        "ExpectedCompletionTimeMinutes".into(),
        json!(expected_minutes(j.expected_duration)),
    );
    put_opt(&mut m, "CreatedResourceArn", opt_str(&j.created_resource_arn));
    m.insert("ResourceType".into(), json!(j.resource_type));
    m.insert(
        "RecoveryPointCreationDate".into(),
        ts(j.recovery_point_creation_date),
    );
    m.insert("IsParent".into(), json!(false));
    if let Some(t) = &j.restore_test {
        m.insert("CreatedBy".into(), json!({ "RestoreTestingPlanArn": t.plan_arn }));
        put_opt(&mut m, "ValidationStatus", opt_str(&t.validation_status));
        put_opt(
            &mut m,
            "ValidationStatusMessage",
            opt_str(&t.validation_status_message),
        );
        put_opt(&mut m, "DeletionStatus", opt_str(&t.deletion_status));
        put_opt(
            &mut m,
            "DeletionStatusMessage",
            opt_str(&t.deletion_status_message),
        );
    }
    Value::Object(m)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ValidationBody {
    validation_status: Option<String>,
    validation_status_message: Option<String>,
}

/// `PutRestoreValidationResult`: 204 with no body.
pub(super) async fn put_restore_validation_result(
    State(e): Engn,
    Extension(ctx): Ctx,
    p: Params,
    JsonBody(body): JsonBody,
) -> Response<Body> {
    let result = (|| {
        let b: ValidationBody = parse_body(&body)?;
        let status = b
            .validation_status
            .ok_or_else(|| BackupError::missing("ValidationStatus"))?;
        e.put_restore_validation_result(
            &ctx.principal(),
            &ctx.region,
            p.at(0),
            &status,
            b.validation_status_message,
        )
    })();
    match result {
        Ok(()) => {
            let mut resp = ok(&ctx, json!({}));
            *resp.body_mut() = Body::empty();
            *resp.status_mut() = StatusCode::NO_CONTENT;
            resp
        }
        Err(e) => reply(&ctx, Err(e)),
    }
}

/// `ExpectedCompletionTimeMinutes`: the job's modelled length, in whole
/// minutes rounded up (a job of a few seconds reports 1).
fn expected_minutes(d: chrono::TimeDelta) -> u64 {
    u64::try_from(d.num_seconds()).unwrap_or(0).max(1).div_ceil(60)
}

pub(super) async fn start_restore_job(
    State(e): Engn,
    Extension(ctx): Ctx,
    JsonBody(body): JsonBody,
) -> Response<Body> {
    let result = (|| {
        let b: StartRestoreBody = parse_body(&body)?;
        let rp = b
            .recovery_point_arn
            .ok_or_else(|| BackupError::missing("RecoveryPointArn"))?;
        let metadata = b.metadata.ok_or_else(|| BackupError::missing("Metadata"))?;
        let job = e.start_restore_job(
            &ctx.principal(),
            &ctx.region,
            &rp,
            metadata,
            b.iam_role_arn,
            b.resource_type,
            b.idempotency_token,
        )?;
        let (job, new) = job;
        if new {
            let engine = e.clone();
            let (region, id) = (ctx.region.clone(), job.id.clone());
            tokio::spawn(async move { engine.run_restore_job(&region, &id).await });
        }
        Ok(json!({ "RestoreJobId": job.id }))
    })();
    reply(&ctx, result)
}

pub(super) async fn describe_restore_job(State(e): Engn, Extension(ctx): Ctx, p: Params) -> Response<Body> {
    let result = e
        .describe_restore_job(&ctx.region, p.at(0))
        .map(|j| restore_job_json(&j, e.account()));
    reply(&ctx, result)
}

pub(super) async fn list_restore_jobs(State(e): Engn, Extension(ctx): Ctx, q: Query) -> Response<Body> {
    let result = (|| {
        let f = RestoreJobFilter {
            status: q.one_of("status", RESTORE_JOB_STATUSES)?,
            resource_type: q.resource_type()?,
            created_after: q.time("createdAfter")?,
            created_before: q.time("createdBefore")?,
            complete_after: q.time("completeAfter")?,
            complete_before: q.time("completeBefore")?,
            restore_testing_plan_arn: q.get("restoreTestingPlanArn"),
            ..RestoreJobFilter::default()
        };
        let mut jobs = e.list_restore_jobs(&ctx.region, &f);
        // No job here is a parent job (those are composite restores).
        if q.other_account("accountId", e.account())? || q.get("parentJobId").is_some() {
            jobs.clear();
        }
        let (items, next) = page(jobs, &q)?;
        let list: Vec<Value> = items.iter().map(|j| restore_job_json(j, e.account())).collect();
        Ok(with_next(json!({ "RestoreJobs": list }), next))
    })();
    reply(&ctx, result)
}

pub(super) async fn list_restore_jobs_by_resource(
    State(e): Engn,
    Extension(ctx): Ctx,
    p: Params,
    q: Query,
) -> Response<Body> {
    let result = (|| {
        let f = RestoreJobFilter {
            status: q.one_of("status", RESTORE_JOB_STATUSES)?,
            source_resource_arn: Some(p.at(0).to_owned()),
            recovery_point_created_after: q.time("recoveryPointCreationDateAfter")?,
            recovery_point_created_before: q.time("recoveryPointCreationDateBefore")?,
            ..RestoreJobFilter::default()
        };
        let jobs = e.list_restore_jobs(&ctx.region, &f);
        let (items, next) = page(jobs, &q)?;
        let list: Vec<Value> = items.iter().map(|j| restore_job_json(j, e.account())).collect();
        Ok(with_next(json!({ "RestoreJobs": list }), next))
    })();
    reply(&ctx, result)
}

pub(super) async fn restore_job_metadata(State(e): Engn, Extension(ctx): Ctx, p: Params) -> Response<Body> {
    let result = e
        .describe_restore_job(&ctx.region, p.at(0))
        .map(|j| json!({ "RestoreJobId": j.id, "Metadata": j.metadata }));
    reply(&ctx, result)
}
