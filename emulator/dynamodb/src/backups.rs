//! Continuous backups (PITR) and on-demand backups: turning PITR on and
//! off, describing the window, restoring to a point in time, and creating,
//! describing, listing, deleting, copying and restoring backups.
//!
//! What a restore carries, as on AWS: the source's *current* key schema,
//! GSIs, LSIs, billing mode, capacity and encryption (each overridable);
//! not its tags, TTL, stream or PITR. The new table is `CREATING` for the
//! create delay, with a `RestoreSummary`, then `ACTIVE`.
//!
//! The window check allows a restore time up to one second before the
//! window's start (AWS reports the start at one-second granularity and a
//! client echoing it back may lose precision); such a time restores the
//! state at the window's start, the earliest the history holds.

use crate::engine::{Backup, BackupType, Engine, Region, backup_arn, resolve_table_name};
use crate::errors::{DynamoDbError, Result};
use crate::history::History;
use crate::protocol::*;
use crate::store::ItemStore;
use crate::table::{self, RestoreOrigin, TableDefinition, TableMeta};
use chrono::{DateTime, Duration, Utc};
use firedrill_emu_core::LongOperation;
use firedrill_emu_core::arn::Arn;
use firedrill_emu_core::audit::AuditEvent;
use firedrill_emu_core::timing::{ModelledOperation, Operation, Workload};
use std::sync::Arc;

/// Where a point-in-time restore reads from.
enum PitrSource<'a> {
    Live(&'a crate::table::Table),
    Deleted(&'a crate::engine::DeletedTable),
}

impl Engine {
    /// Records a backup, restore or PITR operation in the audit trail.
    pub fn audit(
        &self,
        region: &str,
        operation: &str,
        resource: &str,
        principal: &str,
        result: &Result<impl Sized>,
    ) {
        self.env.audit.record(AuditEvent {
            event_time: self.now(),
            event_source: "dynamodb".to_owned(),
            event_name: operation.to_owned(),
            region: region.to_owned(),
            principal: principal.to_owned(),
            resource: resource.to_owned(),
            result: match result {
                Ok(_) => "Success".to_owned(),
                Err(e) => e.code().to_owned(),
            },
        });
    }

    fn continuous_description(
        &self,
        history: Option<&History>,
        now: DateTime<Utc>,
    ) -> ContinuousBackupsDescription {
        let pitr = match history {
            Some(h) => PointInTimeRecoveryDescription {
                point_in_time_recovery_status: "ENABLED".to_owned(),
                recovery_period_in_days: Some(h.period_days),
                earliest_restorable_date_time: Some(truncate_ms(h.earliest(now)).into()),
                latest_restorable_date_time: Some(
                    truncate_ms((now - self.pitr_lag()).max(h.earliest(now))).into(),
                ),
            },
            None => PointInTimeRecoveryDescription {
                point_in_time_recovery_status: "DISABLED".to_owned(),
                recovery_period_in_days: None,
                earliest_restorable_date_time: None,
                latest_restorable_date_time: None,
            },
        };
        ContinuousBackupsDescription {
            continuous_backups_status: "ENABLED".to_owned(),
            point_in_time_recovery_description: pitr,
        }
    }

    /// `UpdateContinuousBackups`. Turning PITR on starts a window at now
    /// (the current items are its first versions); turning it off discards
    /// the history; changing the period keeps it.
    pub fn update_continuous_backups(
        &self,
        region: &str,
        input: UpdateContinuousBackupsInput,
    ) -> Result<ContinuousBackupsDescription> {
        let spec = input.point_in_time_recovery_specification;
        if let Some(days) = spec.recovery_period_in_days {
            if !(1..=35).contains(&days) {
                return Err(DynamoDbError::validation(format!(
                    "1 validation error detected: Value '{days}' at 'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to satisfy constraint: Member must have value {}",
                    if days < 1 {
                        "greater than or equal to 1"
                    } else {
                        "less than or equal to 35"
                    }
                )));
            }
            if !spec.point_in_time_recovery_enabled {
                return Err(DynamoDbError::validation(
                    "RecoveryPeriodInDays can only be specified when PointInTimeRecoveryEnabled is true",
                ));
            }
        }
        let name = resolve_table_name(&input.table_name)?;
        let region_state = self.region(region);
        let mut r = region_state.write();
        let now = self.now();
        let Some(t) = self.visible(&r, &name, now) else {
            return Err(DynamoDbError::TableNotFound(format!("Table not found: {name}")));
        };
        if t.meta.status(now) != "ACTIVE" {
            return Err(DynamoDbError::ContinuousBackupsUnavailable(format!(
                "Backups are being enabled for the table: {name}. Please retry later"
            )));
        }
        let t = r.tables.get_mut(&name).ok_or_else(DynamoDbError::table_missing)?;
        if spec.point_in_time_recovery_enabled {
            let days = spec.recovery_period_in_days.unwrap_or(35);
            match &mut t.history {
                Some(h) => h.period_days = days,
                None => {
                    let start = now.max(t.last_write);
                    t.last_write = start;
                    t.history = Some(History::start(start, days, &t.items));
                    tracing::info!(table = %name, days, "PITR enabled");
                }
            }
        } else if t.history.take().is_some() {
            tracing::info!(table = %name, "PITR disabled; history discarded");
        }
        Ok(self.continuous_description(t.history.as_ref(), now))
    }

    /// `DescribeContinuousBackups`.
    pub fn describe_continuous_backups(
        &self,
        region: &str,
        name: &str,
    ) -> Result<ContinuousBackupsDescription> {
        let name = resolve_table_name(name)?;
        let region_state = self.region(region);
        let r = region_state.read();
        let now = self.now();
        let Some(t) = self.visible(&r, &name, now) else {
            return Err(DynamoDbError::TableNotFound(format!("Table not found: {name}")));
        };
        Ok(self.continuous_description(t.history.as_ref(), now))
    }

    fn check_target_free(&self, r: &Region, target: &str, now: DateTime<Utc>) -> Result<()> {
        if self.visible(r, target, now).is_some() {
            return Err(DynamoDbError::TableAlreadyExists(format!(
                "Table already exists: {target}"
            )));
        }
        Ok(())
    }

    /// Builds the settings of a restored table from the source's.
    fn restored_meta(
        &self,
        region: &str,
        source: &TableMeta,
        target: &str,
        overrides: &RestoreOverrides,
        origin: RestoreOrigin,
        restoring: &ModelledOperation,
    ) -> Result<TableMeta> {
        // The restored table is created when the restore starts, and it (and
        // its indexes) turn ACTIVE when the restore-time model says the
        // restore is done.
        let now = restoring.started_at;
        let active_at = restoring.completes_at;
        let source_gsis: Vec<GlobalSecondaryIndex> = source
            .gsis
            .iter()
            .map(|g| GlobalSecondaryIndex {
                index_name: g.name.clone(),
                key_schema: g.key_schema.clone(),
                projection: g.projection.clone(),
                provisioned_throughput: g.throughput,
            })
            .collect();
        let source_lsis: Vec<LocalSecondaryIndex> = source
            .lsis
            .iter()
            .map(|l| LocalSecondaryIndex {
                index_name: l.name.clone(),
                key_schema: l.key_schema.clone(),
                projection: l.projection.clone(),
            })
            .collect();
        let billing_mode = overrides
            .billing_mode_override
            .clone()
            .unwrap_or_else(|| source.billing_mode.clone());
        let throughput = match (&overrides.provisioned_throughput_override, billing_mode.as_str()) {
            (Some(t), _) => Some(*t),
            (None, "PROVISIONED") if source.billing_mode == "PROVISIONED" => Some(source.throughput),
            (None, "PROVISIONED") => {
                return Err(DynamoDbError::validation(
                    "One or more parameter values were invalid: ProvisionedThroughputOverride must be specified when BillingModeOverride is PROVISIONED",
                ));
            }
            (None, _) => None,
        };
        let mut gsis = overrides
            .global_secondary_index_override
            .clone()
            .unwrap_or(source_gsis);
        if billing_mode == "PAY_PER_REQUEST" {
            for g in &mut gsis {
                g.provisioned_throughput = None;
            }
        } else if let Some(t) = throughput {
            for g in &mut gsis {
                g.provisioned_throughput.get_or_insert(t);
            }
        }
        let lsis = overrides
            .local_secondary_index_override
            .clone()
            .unwrap_or(source_lsis);
        let parsed = table::parse_definition(
            &TableDefinition {
                attribute_definitions: &source.attribute_definitions,
                key_schema: &source.key_schema,
                gsis: &gsis,
                lsis: &lsis,
                billing_mode: Some(&billing_mode),
                throughput,
            },
            active_at,
        )?;
        let mut meta = TableMeta {
            name: target.to_owned(),
            id: uuid::Uuid::new_v4().to_string(),
            arn: self.table_arn(region, target),
            attribute_definitions: source.attribute_definitions.clone(),
            key_schema: source.key_schema.clone(),
            key: parsed.key,
            gsis: parsed.gsis,
            lsis: parsed.lsis,
            pay_per_request_since: (parsed.billing_mode == "PAY_PER_REQUEST").then_some(now),
            billing_mode: parsed.billing_mode,
            throughput: parsed.throughput,
            sse: match &overrides.sse_specification_override {
                Some(spec) => self.sse_for(Some(spec), region)?,
                None => source.sse.clone(),
            },
            stream: None,
            latest_stream: None,
            tags: Vec::new(),
            deletion_protection: false,
            table_class: source.table_class.clone(),
            table_class_updated_at: None,
            on_demand: None,
            warm: None,
            created_at: now,
            active_at,
            deleting_at: None,
            restore: Some(origin),
            ttl: None,
        };
        // Attribute definitions only for the keys that remain in use.
        let used: Vec<String> = {
            let mut v: Vec<&str> = meta.key.names();
            for g in &meta.gsis {
                v.extend(g.key.names());
            }
            for l in &meta.lsis {
                v.extend(l.key.names());
            }
            v.into_iter().map(str::to_owned).collect()
        };
        meta.attribute_definitions
            .retain(|d| used.contains(&d.attribute_name));
        Ok(meta)
    }

    /// `RestoreTableToPointInTime`.
    pub fn restore_table_to_point_in_time(
        &self,
        region: &str,
        input: RestoreTableToPointInTimeInput,
    ) -> Result<TableDescription> {
        self.restore_pitr_inner(region, input)
    }

    fn restore_pitr_inner(
        &self,
        region: &str,
        input: RestoreTableToPointInTimeInput,
    ) -> Result<TableDescription> {
        let overrides = input.overrides();
        table::validate_table_name(&input.target_table_name, "targetTableName")?;
        let target = input.target_table_name.clone();
        // The source may be in another region (a cross-region restore by
        // SourceTableArn); its region is read first, then the target's
        // written, never both locks at once.
        let source_region = match &input.source_table_arn {
            Some(arn) => {
                Arn::parse(arn)
                    .map_err(|e| DynamoDbError::validation(e.to_string()))?
                    .region
            }
            None => region.to_owned(),
        };
        if !self.env.config.serves_region(&source_region) {
            return Err(DynamoDbError::TableNotFound(format!(
                "Table not found: {}",
                input.source_table_arn.as_deref().unwrap_or_default()
            )));
        }
        if source_region != region && self.env.outages.is_down(&source_region) {
            return Err(DynamoDbError::InternalServerError(format!(
                "The source table's region {source_region} is unavailable"
            )));
        }
        let now = self.now();
        // The target is looked at before the source's lock is taken (never
        // two region locks at once), but its refusal waits for the source's.
        let target_taken = {
            let target_state = self.region(region);
            let r = target_state.read();
            self.check_target_free(&r, &target, now)
        };
        let source_state = self.region(&source_region);
        let r = source_state.read();
        let source = match (&input.source_table_name, &input.source_table_arn) {
            (Some(_), Some(_)) => {
                return Err(DynamoDbError::validation(
                    "Only one of SourceTableName or SourceTableArn can be specified",
                ));
            }
            (None, None) => {
                return Err(DynamoDbError::validation(
                    "Either SourceTableName or SourceTableArn must be specified",
                ));
            }
            (Some(name), None) => {
                let name = resolve_table_name(name)?;
                match self
                    .visible(&r, &name, now)
                    .filter(|t| t.meta.deleting_at.is_none())
                {
                    Some(t) => PitrSource::Live(t),
                    None => return Err(DynamoDbError::TableNotFound(format!("Table not found: {name}"))),
                }
            }
            (None, Some(arn)) => {
                let name = resolve_table_name(arn)?;
                let live = self
                    .visible(&r, &name, now)
                    .filter(|t| t.meta.deleting_at.is_none() && t.meta.arn == *arn);
                let deleted = r
                    .deleted
                    .iter()
                    .filter(|d| d.meta.arn == *arn)
                    .max_by_key(|d| d.deleted_at);
                // A live table with PITR wins; otherwise the history of a
                // deleted table of that ARN (a table re-created under the
                // same name has its own, later history).
                match (live, deleted) {
                    (Some(t), _) if t.history.is_some() => PitrSource::Live(t),
                    (_, Some(d)) => PitrSource::Deleted(d),
                    (Some(t), None) => PitrSource::Live(t),
                    (None, None) => {
                        return Err(DynamoDbError::TableNotFound(format!("Table not found: {name}")));
                    }
                }
            }
        };
        // As on AWS: a missing source, then a taken target name, then the
        // source's PITR state, then the restore time (its parameters and
        // the window) are checked, in that order.
        target_taken?;
        let (meta, history, latest) = match source {
            PitrSource::Live(t) => {
                if t.meta.status(now) == "CREATING" {
                    return Err(DynamoDbError::TableInUse(format!(
                        "Table is being created: {}",
                        t.meta.name
                    )));
                }
                let Some(h) = &t.history else {
                    return Err(DynamoDbError::PointInTimeRecoveryUnavailable(format!(
                        "Point in time recovery is not enabled for table '{}'",
                        t.meta.name
                    )));
                };
                (&t.meta, h, (now - self.pitr_lag()).max(h.earliest(now)))
            }
            PitrSource::Deleted(d) => (&d.meta, &d.history, d.deleted_at.min(now - self.pitr_lag())),
        };
        let requested = match (
            input.use_latest_restorable_time.unwrap_or(false),
            input.restore_date_time,
        ) {
            (true, Some(_)) => {
                return Err(DynamoDbError::validation(
                    "Only one of RestoreDateTime or UseLatestRestorableTime can be specified",
                ));
            }
            (true, None) => None,
            (false, Some(t)) => Some(t.0),
            (false, None) => {
                return Err(DynamoDbError::validation(
                    "Either RestoreDateTime or UseLatestRestorableTime must be specified",
                ));
            }
        };
        let earliest = history.earliest(now);
        let restore_time = match requested {
            None => latest,
            Some(t) => {
                if t < earliest - Duration::seconds(1) || t > latest {
                    return Err(DynamoDbError::InvalidRestoreTime(format!(
                        "RestoreDateTime must be between EarliestRestorableDateTime ({}) and LatestRestorableDateTime ({})",
                        earliest.to_rfc3339(),
                        latest.to_rfc3339()
                    )));
                }
                t.max(earliest)
            }
        };
        let started = std::time::Instant::now();
        let items = history.state_at(restore_time);
        let origin = RestoreOrigin {
            backup_arn: None,
            table_arn: Some(meta.arn.clone()),
            restore_time,
        };
        let restoring = self.plan_restore(Operation::DynamodbRestoreToPointInTime, region, &target, &items);
        let new_meta = self.restored_meta(region, meta, &target, &overrides, origin, &restoring)?;
        tracing::info!(
            target = %target,
            source = %meta.arn,
            restore_time = %restore_time.to_rfc3339(),
            items = items.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "point-in-time restore"
        );
        drop(r);
        let target_state = self.region(region);
        let mut w = target_state.write();
        self.check_target_free(&w, &target, now)?;
        let description = self.insert_new_table(&mut w, new_meta, items, now)?;
        self.env.timings.record(restoring);
        Ok(description)
    }

    /// The restore-time model's plan for restoring `items` into `target`
    /// (recorded by the caller once the restore has started).
    fn plan_restore(
        &self,
        operation: Operation,
        region: &str,
        target: &str,
        items: &ItemStore,
    ) -> ModelledOperation {
        let bytes = items.bytes() as u64;
        self.env.plan_long_operation(
            LongOperation {
                operation,
                resource: target,
                region,
                workload: Workload {
                    bytes,
                    items: items.len() as u64,
                    partitions: Workload::dynamodb_partitions(bytes),
                    ..Workload::default()
                },
            },
            self.delay(),
        )
    }

    // ----- On-demand backups -----

    fn backup_description(&self, b: &Backup, now: DateTime<Utc>, deleted: bool) -> BackupDescription {
        BackupDescription {
            backup_details: BackupDetails {
                backup_arn: b.arn.clone(),
                backup_name: b.name.clone(),
                backup_size_bytes: b.items.bytes() as i64,
                backup_status: backup_status(b, now, self.delay(), deleted).to_owned(),
                backup_type: b.kind.as_str().to_owned(),
                backup_creation_date_time: b.created_at.into(),
                backup_expiry_date_time: b.expires_at.map(Into::into),
            },
            source_table_details: b.meta.source_details(&b.items),
            source_table_feature_details: b.meta.feature_details(),
        }
    }

    /// `CreateBackup` (and AWS Backup's DynamoDB backups, with
    /// `BackupType::AwsBackup`).
    pub fn create_backup(
        &self,
        region: &str,
        table: &str,
        name: &str,
        kind: BackupType,
    ) -> Result<BackupDescription> {
        self.create_backup_inner(region, table, name, kind)
    }

    fn create_backup_inner(
        &self,
        region: &str,
        table: &str,
        name: &str,
        kind: BackupType,
    ) -> Result<BackupDescription> {
        if name.len() < 3
            || name.len() > 255
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
        {
            return Err(DynamoDbError::validation(format!(
                "1 validation error detected: Value '{name}' at 'backupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 3 and 255"
            )));
        }
        let table_name = resolve_table_name(table)?;
        let region_state = self.region(region);
        let mut r = region_state.write();
        let now = self.now();
        let Some(t) = self.visible(&r, &table_name, now) else {
            return Err(DynamoDbError::TableNotFound(format!(
                "Table not found: {table_name}"
            )));
        };
        if t.meta.status(now) != "ACTIVE" {
            return Err(DynamoDbError::TableInUse(format!(
                "Table is in {} state: {table_name}",
                t.meta.status(now)
            )));
        }
        let created_at = now.max(t.last_write);
        let backup = Backup {
            arn: backup_arn(&t.meta.arn, created_at),
            name: name.to_owned(),
            kind,
            created_at,
            expires_at: None,
            meta: t.meta.clone(),
            items: Arc::new(t.items.clone()),
        };
        let out = self.backup_description(&backup, now, false);
        tracing::info!(table = %table_name, backup = %backup.arn, items = backup.items.len(), "backup created");
        r.backups.insert(backup.arn.clone(), backup);
        Ok(out)
    }

    /// `DescribeBackup`.
    pub fn describe_backup(&self, backup_arn: &str) -> Result<BackupDescription> {
        let now = self.now();
        let region = backup_region(backup_arn)?;
        let region_state = self.region(&region);
        let r = region_state.read();
        let b = r
            .backups
            .get(backup_arn)
            .ok_or_else(|| backup_not_found(backup_arn))?;
        Ok(self.backup_description(b, now, false))
    }

    /// `DeleteBackup`: the description with status `DELETED`.
    pub fn delete_backup(&self, backup_arn: &str) -> Result<BackupDescription> {
        let now = self.now();
        let region = backup_region(backup_arn)?;
        let region_state = self.region(&region);
        let mut r = region_state.write();
        let b = r
            .backups
            .remove(backup_arn)
            .ok_or_else(|| backup_not_found(backup_arn))?;
        Ok(self.backup_description(&b, now, true))
    }

    /// `ListBackups`.
    pub fn list_backups(&self, region: &str, input: ListBackupsInput) -> Result<ListBackupsOutput> {
        let limit = input.limit.unwrap_or(100);
        if !(1..=100).contains(&limit) {
            return Err(DynamoDbError::validation(format!(
                "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100"
            )));
        }
        let kinds: &[BackupType] = match input.backup_type.as_deref().unwrap_or("USER") {
            "USER" => &[BackupType::User],
            "SYSTEM" => &[BackupType::System],
            "AWS_BACKUP" => &[BackupType::AwsBackup],
            "ALL" => &[BackupType::User, BackupType::System, BackupType::AwsBackup],
            other => {
                return Err(DynamoDbError::validation(format!(
                    "1 validation error detected: Value '{other}' at 'backupType' failed to satisfy constraint: Member must satisfy enum value set: [USER, SYSTEM, AWS_BACKUP, ALL]"
                )));
            }
        };
        let table = input.table_name.as_deref().map(resolve_table_name).transpose()?;
        let region_state = self.region(region);
        let r = region_state.read();
        let now = self.now();
        let mut all: Vec<&Backup> = r
            .backups
            .values()
            .filter(|b| kinds.contains(&b.kind))
            .filter(|b| table.as_ref().is_none_or(|t| &b.meta.name == t))
            .filter(|b| input.time_range_lower_bound.is_none_or(|l| b.created_at >= l.0))
            .filter(|b| input.time_range_upper_bound.is_none_or(|u| b.created_at < u.0))
            .collect();
        all.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.arn.cmp(&b.arn)));
        if let Some(start) = &input.exclusive_start_backup_arn
            && let Some(i) = all.iter().position(|b| &b.arn == start)
        {
            all.drain(..=i);
        }
        let limit = limit as usize;
        let more = all.len() > limit;
        let page: Vec<BackupSummary> = all
            .into_iter()
            .take(limit)
            .map(|b| BackupSummary {
                table_name: b.meta.name.clone(),
                table_id: b.meta.id.clone(),
                table_arn: b.meta.arn.clone(),
                backup_arn: b.arn.clone(),
                backup_name: b.name.clone(),
                backup_creation_date_time: b.created_at.into(),
                backup_expiry_date_time: b.expires_at.map(Into::into),
                backup_status: backup_status(b, now, self.delay(), false).to_owned(),
                backup_type: b.kind.as_str().to_owned(),
                backup_size_bytes: b.items.bytes() as i64,
            })
            .collect();
        Ok(ListBackupsOutput {
            last_evaluated_backup_arn: if more {
                page.last().map(|b| b.backup_arn.clone())
            } else {
                None
            },
            backup_summaries: page,
        })
    }

    /// `RestoreTableFromBackup`, into the backup's own region.
    pub fn restore_table_from_backup(
        &self,
        region: &str,
        input: RestoreTableFromBackupInput,
    ) -> Result<TableDescription> {
        self.restore_backup_inner(region, &input)
    }

    fn restore_backup_inner(
        &self,
        region: &str,
        input: &RestoreTableFromBackupInput,
    ) -> Result<TableDescription> {
        table::validate_table_name(&input.target_table_name, "targetTableName")?;
        let backup_region = backup_region(&input.backup_arn)?;
        if backup_region != region {
            return Err(backup_not_found(&input.backup_arn));
        }
        let region_state = self.region(region);
        let mut r = region_state.write();
        let now = self.now();
        let b = r
            .backups
            .get(&input.backup_arn)
            .ok_or_else(|| backup_not_found(&input.backup_arn))?
            .clone();
        self.check_target_free(&r, &input.target_table_name, now)?;
        let origin = RestoreOrigin {
            backup_arn: Some(b.arn.clone()),
            table_arn: Some(b.meta.arn.clone()),
            restore_time: b.created_at,
        };
        let restoring = self.plan_restore(
            Operation::DynamodbRestoreFromBackup,
            region,
            &input.target_table_name,
            &b.items,
        );
        let meta = self.restored_meta(
            region,
            &b.meta,
            &input.target_table_name,
            &input.overrides(),
            origin,
            &restoring,
        )?;
        let items = (*b.items).clone();
        tracing::info!(target = %meta.name, backup = %b.arn, items = items.len(), "restore from backup");
        let description = self.insert_new_table(&mut r, meta, items, now)?;
        self.env.timings.record(restoring);
        Ok(description)
    }

    /// Copies a backup into `dest_region` (AWS Backup's cross-region copy);
    /// returns the new backup's ARN there. The copy keeps the source
    /// table's name and settings, under an ARN of the destination region.
    pub fn copy_backup_to_region(&self, backup_arn_in: &str, dest_region: &str) -> Result<String> {
        self.copy_backup_into(backup_arn_in, self, dest_region)
    }

    /// Copies a backup into `dest`'s `dest_region`, where `dest` may be the
    /// engine of another account (AWS Backup's cross-account copy): the
    /// copy is the destination account's, under its ARNs, and lives on
    /// whatever later happens to the source account's backup.
    pub fn copy_backup_into(&self, backup_arn_in: &str, dest: &Engine, dest_region: &str) -> Result<String> {
        let source_region = backup_region(backup_arn_in)?;
        let b = {
            let region_state = self.region(&source_region);
            let r = region_state.read();
            r.backups
                .get(backup_arn_in)
                .ok_or_else(|| backup_not_found(backup_arn_in))?
                .clone()
        };
        let now = dest.now();
        let mut meta = b.meta.clone();
        meta.arn = dest.table_arn(dest_region, &meta.name);
        let copy = Backup {
            arn: backup_arn(&meta.arn, now),
            name: b.name.clone(),
            kind: b.kind,
            created_at: now,
            expires_at: b.expires_at,
            meta,
            items: b.items.clone(),
        };
        let arn = copy.arn.clone();
        dest.region(dest_region).write().backups.insert(arn.clone(), copy);
        Ok(arn)
    }
}

fn truncate_ms(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

fn backup_status(b: &Backup, now: DateTime<Utc>, delay: Duration, deleted: bool) -> &'static str {
    if deleted {
        "DELETED"
    } else if now < b.created_at + delay {
        "CREATING"
    } else {
        "AVAILABLE"
    }
}

fn backup_not_found(arn: &str) -> DynamoDbError {
    DynamoDbError::BackupNotFound(format!("Backup not found: {arn}"))
}

/// The region named in a backup ARN.
fn backup_region(arn: &str) -> Result<String> {
    let parsed = Arn::parse(arn).map_err(|_| backup_not_found(arn))?;
    if parsed.service != "dynamodb" || !parsed.resource.contains("/backup/") {
        return Err(backup_not_found(arn));
    }
    Ok(parsed.region)
}
