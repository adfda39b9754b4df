//! What the emulator clock drives: status transitions once work is done
//! and the creation delay has passed (with their events), archive cycles
//! and daily base backups, replication, replica lag samples, pruning, and
//! pending retention changes applied in the maintenance window.

use super::automated_backups::Cycle;
use super::records::*;
use super::snapshots::{modelled_percent, snapshot_done_event};
use super::{Engine, State, Work};
use crate::events::{self, Event};
use crate::validate;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;

/// The most recent start of the daily `window` at or before `now`.
pub(super) fn last_window_start(window: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let start = validate::parse_hhmm(window.split_once('-')?.0)?;
    let today = now.date_naive().and_time(start).and_utc();
    Some(if today <= now {
        today
    } else {
        today - Duration::days(1)
    })
}

/// The next start of the weekly `window` after `now`.
pub(super) fn next_maintenance_start(window: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let (day, time) = validate::parse_weekly(window.split_once('-')?.0)?;
    use chrono::Datelike;
    let today = now.weekday().num_days_from_monday();
    let mut days = (day + 7 - today) % 7;
    let mut candidate = (now.date_naive() + Duration::days(days as i64))
        .and_time(time)
        .and_utc();
    if candidate <= now {
        days += 7;
        candidate = (now.date_naive() + Duration::days(days as i64))
            .and_time(time)
            .and_utc();
    }
    Some(candidate)
}

/// The events of an instance whose status moves on now (its current
/// status and the next one), as `(category, message)`.
pub(super) fn instance_events(i: &Instance) -> Vec<(&'static str, String)> {
    match (i.status.as_str(), i.next_status.as_str()) {
        ("creating" | "backing-up", "available") => {
            let mut out = vec![("creation", "DB instance created".to_owned())];
            if let Some(m) = &i.restored_from {
                out.push(("restoration", m.clone()));
            }
            out
        }
        ("rebooting", _) => vec![("availability", "DB instance restarted".to_owned())],
        ("stopping", _) => vec![("notification", "DB instance stopped".to_owned())],
        ("starting", _) => vec![("notification", "DB instance started".to_owned())],
        ("modifying", _) => vec![(
            "configuration change",
            "Finished applying modification to DB instance".to_owned(),
        )],
        (_, "deleted") => vec![("deletion", "DB instance deleted".to_owned())],
        _ => Vec::new(),
    }
}

impl Engine {
    /// Lets the engine act on the clock having reached `now`.
    pub async fn tick(&self, now: DateTime<Utc>) {
        self.transitions(now);
        let wall = std::time::Instant::now();
        // Archive cycles, daily base backups, retention.
        let mut cycles = Vec::new();
        let mut daily = Vec::new();
        {
            let mut state = self.state.lock();
            let State {
                regions,
                cycles: last,
                backing_up,
                ..
            } = &mut *state;
            for (name, reg) in regions.iter_mut() {
                if reg.down {
                    continue;
                }
                let available: std::collections::HashSet<&str> = reg
                    .instances
                    .values()
                    .filter(|i| i.status == "available")
                    .map(|i| i.resource_id.as_str())
                    .chain(
                        reg.clusters
                            .values()
                            .filter(|c| c.status == "available")
                            .map(|c| c.resource_id.as_str()),
                    )
                    .collect();
                for (rid, b) in &reg.backups {
                    if b.status != "active" || !reg.servers.contains_key(rid) {
                        continue;
                    }
                    if b.base_backups.is_empty() {
                        // A first backup that failed (or never ran) is retried.
                        if available.contains(rid.as_str()) && !backing_up.contains(rid) {
                            daily.push((name.clone(), rid.clone()));
                        }
                        continue;
                    }
                    let due = match last.get(rid) {
                        None => Some(Cycle::Regular),
                        Some((w, e)) => {
                            let wall_elapsed = wall.duration_since(*w);
                            let emu_elapsed = (now - *e).to_std().unwrap_or_default();
                            if emu_elapsed > wall_elapsed + std::time::Duration::from_millis(50) {
                                Some(Cycle::Jump)
                            } else {
                                (wall_elapsed >= std::time::Duration::from_secs(1)).then_some(Cycle::Regular)
                            }
                        }
                    };
                    if let Some(cycle) = due {
                        last.insert(rid.clone(), (wall, now));
                        cycles.push((name.clone(), rid.clone(), cycle));
                    }
                    if let (Some(start), Some(latest)) =
                        (last_window_start(&b.backup_window, now), b.base_backups.last())
                        && latest.end_emulated < start
                        && b.instance_create_time < start
                    {
                        daily.push((name.clone(), rid.clone()));
                    }
                }
            }
        }
        for (region, rid) in &daily {
            tracing::info!(region, rid, "daily automated backup");
            if let Err(e) = self.take_base_backup(region, rid).await {
                tracing::warn!(region, rid, error = %e, "daily backup failed");
            }
        }
        for (region, rid, cycle) in cycles {
            if let Err(e) = self.archive_cycle(&region, &rid, cycle).await {
                tracing::debug!(region, rid, error = %e, "archive cycle failed");
            }
        }
        self.replicate().await;
        self.start_lag_sampling(now);
        self.prune(now);
        self.events.prune(now);
        self.apply_pending(now).await;
    }

    pub(super) fn transitions(&self, now: DateTime<Utc>) {
        let delay = self.delay();
        let mut state = self.state.lock();
        let mut happened: Vec<(String, Event)> = Vec::new();
        for (region, reg) in state.regions.iter_mut() {
            let mut note = |e: Event| happened.push((region.clone(), e));
            let mut gone = Vec::new();
            let cluster_ready: HashMap<String, bool> = reg
                .clusters
                .iter()
                .map(|(k, c)| (k.clone(), c.status == "available"))
                .collect();
            for i in reg.instances.values_mut() {
                if i.work == Work::Done
                    && now >= i.status_since + delay
                    && i.modelled_ready.is_none_or(|ready| now >= ready)
                    && i.cluster_id.as_ref().is_none_or(|c| {
                        cluster_ready.get(c).copied().unwrap_or(false) || i.status == "deleting"
                    })
                {
                    for (category, message) in instance_events(i) {
                        note(Event::of(
                            events::DB_INSTANCE,
                            &i.id,
                            &i.arn,
                            category,
                            message,
                            now,
                        ));
                    }
                    if i.next_status == "deleted" {
                        gone.push(i.id.clone());
                    } else {
                        i.status = i.next_status.clone();
                        i.work = Work::Idle;
                    }
                } else if let Work::Failed(_) = i.work {
                    note(Event::of(
                        events::DB_INSTANCE,
                        &i.id,
                        &i.arn,
                        "failure",
                        "The DB instance has failed due to an incompatible configuration or an underlying storage issue.",
                        now,
                    ));
                    i.status = "failed".to_owned();
                    i.work = Work::Idle;
                }
            }
            for id in gone {
                reg.instances.remove(&id);
            }
            let mut gone = Vec::new();
            for c in reg.clusters.values_mut() {
                if c.work == Work::Done
                    && now >= c.status_since + delay
                    && c.modelled_ready.is_none_or(|ready| now >= ready)
                {
                    if c.next_status == "deleted" {
                        note(Event::of(
                            events::DB_CLUSTER,
                            &c.id,
                            &c.arn,
                            "deletion",
                            "DB cluster deleted",
                            now,
                        ));
                        gone.push(c.id.clone());
                    } else {
                        if c.status == "creating" {
                            note(Event::of(
                                events::DB_CLUSTER,
                                &c.id,
                                &c.arn,
                                "creation",
                                "DB cluster created",
                                now,
                            ));
                        }
                        c.status = c.next_status.clone();
                        c.work = Work::Idle;
                    }
                } else if let Work::Failed(_) = c.work {
                    note(Event::of(
                        events::DB_CLUSTER,
                        &c.id,
                        &c.arn,
                        "failure",
                        "DB cluster failed",
                        now,
                    ));
                    c.status = "failed".to_owned();
                    c.work = Work::Idle;
                }
            }
            for id in gone {
                reg.clusters.remove(&id);
            }
            self.cluster_snapshot_transitions(reg, now);
            let mut gone = Vec::new();
            for s in reg.snapshots.values_mut() {
                if s.work != Work::Idle
                    && let Some(p) = modelled_percent(s.status_since, s.modelled_ready, now)
                {
                    s.percent = p;
                }
                match &s.work {
                    Work::Done
                        if now >= s.status_since + delay && s.modelled_ready.is_none_or(|r| now >= r) =>
                    {
                        note(snapshot_done_event(s, now));
                        s.status = "available".to_owned();
                        s.percent = 100;
                        s.work = Work::Idle;
                    }
                    Work::Failed(_) => gone.push(s.id.clone()),
                    _ => {}
                }
            }
            for id in gone {
                if let Some(s) = reg.snapshots.remove(&id) {
                    let _ = std::fs::remove_dir_all(&s.dir);
                }
            }
        }
        drop(state);
        for (region, e) in happened {
            self.events.record(&region, [e]);
        }
    }

    pub(super) async fn apply_pending(&self, now: DateTime<Utc>) {
        let due: Vec<(String, String, String, i32, i32)> = {
            let mut state = self.state.lock();
            let mut due = Vec::new();
            for (name, reg) in state.regions.iter_mut() {
                for i in reg.instances.values_mut() {
                    if let (Some(r), Some(at)) = (i.pending_retention, i.pending_apply_at)
                        && now >= at
                        && i.status == "available"
                    {
                        due.push((name.clone(), i.id.clone(), i.resource_id.clone(), i.retention, r));
                        i.retention = r;
                        i.pending_retention = None;
                        i.pending_apply_at = None;
                    }
                }
            }
            due
        };
        for (region, id, rid, old, new) in due {
            if let Err(e) = self.apply_retention(&region, &id, &rid, old, new).await {
                tracing::warn!(region, id, error = %e, "pending retention change failed");
            }
        }
    }
}
