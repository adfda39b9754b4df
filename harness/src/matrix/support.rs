//! What every matrix probe shares: the run context, resource names and tags,
//! bounded polling, "a moment passes", error classification, the states the
//! probes observed, and removing everything afterwards.

use super::{MatrixOptions, Outcome};
use crate::target::{Clients, Target};
use crate::wait::WaitOptions;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use parking_lot::Mutex;
use rand::Rng;
use std::future::Future;
use std::time::Instant;

/// The tag key every resource the matrix creates carries (value: the run id).
pub const DRILL_TAG_KEY: &str = "firedrill:drill";

/// Every service's SDK error is this one type
/// (`aws_smithy_runtime_api::client::result::SdkError<E, HttpResponse>`).
pub(crate) type SdkError<E> =
    aws_sdk_dynamodb::error::SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>;

/// A probe step: `Err` ends the probe with that outcome.
pub(crate) type Step<T> = Result<T, Outcome>;

/// Something a probe created, to remove at the end.
#[derive(Debug, Clone)]
pub(crate) enum Created {
    Table { region: String, name: String },
    Bucket { region: String, name: String },
    DbInstance { region: String, id: String },
    DynamoBackup { region: String, arn: String },
}

/// A state the probes saw right after asking for a resource.
#[derive(Debug, Clone)]
pub(crate) struct Observation {
    /// What was asked ("CreateTable", "RestoreTableToPointInTime", ...).
    pub what: &'static str,
    /// The state the response (or the first describe) showed.
    pub status: String,
    /// The state AWS shows at that moment.
    pub expected: &'static str,
}

/// The run context.
pub(crate) struct Ctx<'a> {
    pub target: &'a dyn Target,
    pub opts: &'a MatrixOptions,
    pub run_id: String,
    pub clients: Clients,
    created: Mutex<Vec<Created>>,
    observed: Mutex<Vec<Observation>>,
}

/// A fresh random run id (six hex digits).
pub(crate) fn new_run_id() -> String {
    format!("{:06x}", rand::thread_rng().r#gen::<u32>() & 0x00ff_ffff)
}

/// The name prefix of a run: lowercase, valid for tables, buckets and DB
/// instance identifiers alike.
pub(crate) fn prefix(run_id: &str) -> String {
    format!("firedrill-matrix-{run_id}")
}

pub(crate) fn planned_resources(target: &dyn Target, run_id: &str) -> Vec<String> {
    let p = prefix(run_id);
    let r = target.primary_region();
    let mut out = vec![
        format!("dynamodb table {p}-pitr ({r}) and its restore {p}-pitr-at-t"),
        format!("dynamodb table {p}-deleted ({r}), its SYSTEM backup and its restore {p}-deleted-back"),
        format!("dynamodb table {p}-errors ({r})"),
        format!("s3 bucket {p}-versions ({r})"),
        format!("s3 bucket {p}-lock ({r}, Object Lock GOVERNANCE, 1 day, removed with bypass)"),
        format!("s3 buckets {p}-checksums and {p}-conditional ({r})"),
        format!("rds instance {p}-rds ({r}, postgres db.t3.micro) and its restore {p}-rds-at-t"),
    ];
    if let Some(s) = target.secondary_region() {
        out.push(format!(
            "s3 buckets {p}-crr-src ({r}) and {p}-crr-dst ({s}) with replication"
        ));
    }
    out
}

impl<'a> Ctx<'a> {
    pub fn new(target: &'a dyn Target, opts: &'a MatrixOptions, run_id: &str) -> Self {
        Self {
            target,
            opts,
            run_id: run_id.to_owned(),
            clients: Clients::primary(target),
            created: Mutex::new(Vec::new()),
            observed: Mutex::new(Vec::new()),
        }
    }

    /// `firedrill-matrix-<run>-<suffix>`.
    pub fn name(&self, suffix: &str) -> String {
        format!("{}-{suffix}", prefix(&self.run_id))
    }

    /// Remembers a resource for cleanup.
    pub fn created(&self, c: Created) {
        self.created.lock().push(c);
    }

    /// Remembers the state a new resource showed.
    pub fn observe(&self, what: &'static str, status: impl Into<String>, expected: &'static str) {
        self.observed.lock().push(Observation {
            what,
            status: status.into(),
            expected,
        });
    }

    /// The account id for role ARNs.
    pub fn account_id(&self) -> &str {
        self.opts.account_id.as_deref().unwrap_or("000000000000")
    }

    /// Lets a moment pass: advances a simulated clock, sleeps on a real one.
    pub async fn pass_time(&self) -> Step<()> {
        if self.target.capabilities().simulated_clock {
            self.target
                .advance(self.opts.gap_simulated)
                .await
                .map_err(|e| Outcome::Error(format!("could not advance the clock: {e:#}")))
        } else {
            tokio::time::sleep(self.opts.gap_real).await;
            Ok(())
        }
    }

    /// Polls `probe` until it yields `Some`, within `bounds`; `Ok(None)` when
    /// the bounds ran out (the probe decides what a timeout means). A
    /// simulated clock is advanced between polls.
    pub async fn poll<T, F, Fut>(&self, bounds: &WaitOptions, mut probe: F) -> Step<Option<T>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Step<Option<T>>>,
    {
        let start = Instant::now();
        let simulated = self.target.capabilities().simulated_clock;
        for _ in 0..bounds.max_polls.max(1) {
            if let Some(v) = probe().await? {
                return Ok(Some(v));
            }
            if start.elapsed() >= bounds.timeout {
                break;
            }
            tokio::time::sleep(bounds.interval).await;
            if simulated && bounds.advance_seconds > 0 {
                self.target
                    .advance(chrono::Duration::seconds(bounds.advance_seconds))
                    .await
                    .map_err(|e| Outcome::Error(format!("could not advance the clock: {e:#}")))?;
            }
        }
        Ok(None)
    }

    /// The CREATING-states verdict from what the other probes observed.
    pub fn creating_states(&self, details: &mut Vec<String>) -> Step<Outcome> {
        let observed = self.observed.lock().clone();
        if observed.is_empty() {
            return Ok(Outcome::Unsupported(
                "no probe got as far as creating a resource, so no state was observed".into(),
            ));
        }
        let mut wrong = Vec::new();
        for o in &observed {
            details.push(format!("{}: {} (AWS: {})", o.what, o.status, o.expected));
            let w = format!(
                "{} answered {} where AWS answers {}",
                o.what, o.status, o.expected
            );
            if o.status != o.expected && !wrong.contains(&w) {
                wrong.push(w);
            }
        }
        if wrong.is_empty() {
            Ok(Outcome::Honoured)
        } else {
            Ok(Outcome::NotHonoured(format!(
                "{}; recovery code that forgets to wait passes here and fails on AWS",
                wrong.join("; ")
            )))
        }
    }

    /// Removes everything the probes created, newest first; returns what
    /// could not be removed.
    pub async fn cleanup(&self) -> Vec<String> {
        let created: Vec<Created> = self.created.lock().drain(..).rev().collect();
        let mut left = Vec::new();
        for c in created {
            if let Err(e) = self.remove(&c).await {
                left.push(format!("{c:?}: {e}"));
            }
        }
        left
    }

    async fn remove(&self, c: &Created) -> Result<(), String> {
        match c {
            Created::Table { region, name } => {
                let ddb = Clients::new(self.target, region).dynamodb;
                // PITR off first, so that the delete leaves no SYSTEM backup behind.
                let _ = ddb
                    .update_continuous_backups()
                    .table_name(name)
                    .point_in_time_recovery_specification(
                        aws_sdk_dynamodb::types::PointInTimeRecoverySpecification::builder()
                            .point_in_time_recovery_enabled(false)
                            .build()
                            .map_err(|e| e.to_string())?,
                    )
                    .send()
                    .await;
                match ddb.delete_table().table_name(name).send().await {
                    Ok(_) => Ok(()),
                    Err(e) if code(&e) == "ResourceNotFoundException" => Ok(()),
                    Err(e) => Err(describe(&e)),
                }
            }
            Created::DynamoBackup { region, arn } => {
                let ddb = Clients::new(self.target, region).dynamodb;
                match ddb.delete_backup().backup_arn(arn).send().await {
                    Ok(_) => Ok(()),
                    Err(e) if code(&e) == "BackupNotFoundException" => Ok(()),
                    Err(e) => Err(describe(&e)),
                }
            }
            Created::Bucket { region, name } => {
                empty_and_delete_bucket(&Clients::new(self.target, region).s3, name).await
            }
            Created::DbInstance { region, id } => {
                let rds = Clients::new(self.target, region).rds;
                match rds
                    .delete_db_instance()
                    .db_instance_identifier(id)
                    .skip_final_snapshot(true)
                    .delete_automated_backups(true)
                    .send()
                    .await
                {
                    Ok(_) => Ok(()),
                    Err(e) if code(&e) == "DBInstanceNotFound" => Ok(()),
                    Err(e) => Err(describe(&e)),
                }
            }
        }
    }
}

/// Deletes every version and delete marker of `bucket` (bypassing GOVERNANCE
/// retention where the bucket has Object Lock: S3 refuses the bypass header
/// elsewhere), then the bucket.
async fn empty_and_delete_bucket(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<(), String> {
    let locked = s3
        .get_object_lock_configuration()
        .bucket(bucket)
        .send()
        .await
        .ok()
        .and_then(|c| c.object_lock_configuration)
        .and_then(|c| c.object_lock_enabled)
        == Some(aws_sdk_s3::types::ObjectLockEnabled::Enabled);
    for _ in 0..100 {
        let page = match s3.list_object_versions().bucket(bucket).send().await {
            Ok(p) => p,
            Err(e) if code(&e) == "NoSuchBucket" => return Ok(()),
            Err(e) => return Err(describe(&e)),
        };
        let mut any = false;
        let versions = page.versions().iter().map(|v| {
            (
                v.key().unwrap_or_default().to_owned(),
                v.version_id().map(str::to_owned),
            )
        });
        let markers = page.delete_markers().iter().map(|m| {
            (
                m.key().unwrap_or_default().to_owned(),
                m.version_id().map(str::to_owned),
            )
        });
        for (key, version) in versions.chain(markers) {
            any = true;
            s3.delete_object()
                .bucket(bucket)
                .key(&key)
                .set_version_id(version)
                .set_bypass_governance_retention(locked.then_some(true))
                .send()
                .await
                .map_err(|e| describe(&e))?;
        }
        if !any {
            break;
        }
    }
    // An unversioned bucket may still hold plain objects.
    if let Ok(list) = s3.list_objects_v2().bucket(bucket).send().await {
        for o in list.contents() {
            if let Some(k) = o.key() {
                let _ = s3.delete_object().bucket(bucket).key(k).send().await;
            }
        }
    }
    match s3.delete_bucket().bucket(bucket).send().await {
        Ok(_) => Ok(()),
        Err(e) if code(&e) == "NoSuchBucket" => Ok(()),
        Err(e) => Err(describe(&e)),
    }
}

/// The AWS error code of an SDK error (empty when there is none).
pub(crate) fn code<E: ProvideErrorMetadata>(e: &SdkError<E>) -> String {
    e.as_service_error()
        .and_then(|s| s.code())
        .map(str::to_owned)
        .or_else(|| raw_code(e))
        .unwrap_or_default()
}

fn raw_code<E>(e: &SdkError<E>) -> Option<String> {
    e.raw_response().map(|r| format!("HTTP {}", r.status().as_u16()))
}

/// The HTTP status of an SDK error's response, when there was one.
pub(crate) fn status<E>(e: &SdkError<E>) -> Option<u16> {
    e.raw_response().map(|r| r.status().as_u16())
}

/// `Code: message` of an SDK error, or its full chain when it never reached
/// the service.
pub(crate) fn describe<E: ProvideErrorMetadata + std::error::Error + 'static>(e: &SdkError<E>) -> String {
    match e.as_service_error() {
        Some(s) if s.code().is_some() => format!(
            "{}: {}",
            s.code().unwrap_or_default(),
            s.message().unwrap_or_default()
        ),
        _ => match status(e) {
            Some(st) => format!("HTTP {st}: {}", DisplayErrorContext(e)),
            None => DisplayErrorContext(e).to_string(),
        },
    }
}

/// Turns a failed call into the probe's outcome: `Unsupported` when the
/// target says it does not offer the operation, `Error` otherwise.
pub(crate) fn classify<E: ProvideErrorMetadata + std::error::Error + 'static>(
    op: &str,
    e: &SdkError<E>,
) -> Outcome {
    let text = describe(e);
    if is_unsupported(&code(e), &text, status(e)) {
        Outcome::Unsupported(format!("{op}: {text}"))
    } else {
        Outcome::Error(format!("{op} failed: {text}"))
    }
}

/// Whether an error says "this target does not offer that".
pub(crate) fn is_unsupported(code: &str, text: &str, status: Option<u16>) -> bool {
    const CODES: [&str; 7] = [
        "UnknownOperationException",
        "NotImplemented",
        "NotImplementedException",
        "InvalidAction",
        "UnsupportedOperation",
        "UnrecognizedClientException",
        "InternalFailure",
    ];
    let lower = text.to_ascii_lowercase();
    let says = [
        "not implemented",
        "not yet implemented",
        "not supported",
        "not included",
        "pro feature",
        "license",
        "unknown operation",
        "notimplementederror",
    ]
    .iter()
    .any(|s| lower.contains(s));
    status == Some(501)
        || (CODES.contains(&code) && (code != "InternalFailure" || says))
        || (says && status.is_none_or(|s| s >= 400))
}

/// A `Step` error for a failed call.
pub(crate) fn fail<E: ProvideErrorMetadata + std::error::Error + 'static>(
    op: &'static str,
) -> impl Fn(SdkError<E>) -> Outcome {
    move |e| classify(op, &e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_is_recognised_from_codes_statuses_and_messages() {
        assert!(is_unsupported("UnknownOperationException", "", Some(400)));
        assert!(is_unsupported("", "HTTP 501", Some(501)));
        assert!(is_unsupported(
            "InternalFailure",
            "InternalFailure: API for service 'rds' not yet implemented or pro feature",
            Some(501)
        ));
        assert!(!is_unsupported(
            "InternalFailure",
            "InternalFailure: boom",
            Some(500)
        ));
        assert!(!is_unsupported("ValidationException", "bad key", Some(400)));
    }

    #[test]
    fn names_are_valid_for_buckets_and_db_instances() {
        let id = new_run_id();
        assert_eq!(id.len(), 6);
        let p = prefix(&id);
        assert!(p.len() + "-crr-src".len() <= 63);
        assert!(
            p.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        );
        assert!(!p.contains("--"));
    }
}
