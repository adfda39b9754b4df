//! Cross-region (and same-region) replication of new versions.
//!
//! A write to a bucket with a matching enabled rule marks the new version
//! `PENDING` and queues a task due after the configured replication lag.
//! When the clock reaches it, and neither the source's nor the
//! destination's region is in an outage, the version (same version id,
//! same body by reference) is added to the destination as a `REPLICA` and
//! the source turns `COMPLETED` (or `FAILED` when the destination is gone or
//! no longer versioned).
//!
//! What AWS does not replicate is never queued: objects that existed before
//! the rule, deletes of a specific version, lifecycle actions, and replicas
//! themselves. Delete markers are queued only when the rule's
//! `DeleteMarkerReplication` is `Enabled`.

use super::State;
use super::model::{Bucket, ReplicationRule, ReplicationStatus, Version, Versioning};
use chrono::{DateTime, Utc};
use firedrill_emu_core::service::Outages;
use std::collections::VecDeque;

/// One version waiting to be replicated.
#[derive(Debug, Clone)]
struct Task {
    due: DateTime<Utc>,
    source: String,
    key: String,
    version_id: String,
    destination: String,
    storage_class: Option<String>,
}

/// Versions waiting to be replicated, in the order they were written.
#[derive(Debug, Default)]
pub(crate) struct Queue {
    tasks: VecDeque<Task>,
}

impl Queue {
    /// Drops tasks from or to a deleted bucket.
    pub fn forget_bucket(&mut self, bucket: &str) {
        self.tasks.retain(|t| t.source != bucket);
    }

    /// How many versions wait.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }
}

/// The rule that applies to a key (and its object), the highest priority first.
fn rule_for<'a>(
    b: &'a Bucket,
    key: &str,
    object: Option<&super::model::ObjectData>,
) -> Option<&'a ReplicationRule> {
    let config = b.replication.as_ref()?;
    config
        .rules
        .iter()
        .filter(|r| r.enabled && r.filter.matches(key, object))
        .max_by_key(|r| r.priority.unwrap_or(0))
}

/// Queues a freshly written object version when a rule covers it.
pub(super) fn enqueue_write(q: &mut Queue, b: &mut Bucket, key: &str, version_id: &str, due: DateTime<Utc>) {
    let Some(version) = b
        .objects
        .get(key)
        .and_then(|vs| vs.iter().find(|v| v.id == version_id))
    else {
        return;
    };
    let Some(rule) = rule_for(b, key, version.object.as_ref()) else {
        return;
    };
    let task = Task {
        due,
        source: b.name.clone(),
        key: key.to_owned(),
        version_id: version_id.to_owned(),
        destination: rule.destination_bucket.clone(),
        storage_class: rule.storage_class.clone(),
    };
    if let Some(o) = b
        .objects
        .get_mut(key)
        .and_then(|vs| vs.iter_mut().find(|v| v.id == version_id))
        .and_then(|v| v.object.as_mut())
    {
        o.replication_status = Some(ReplicationStatus::Pending);
    }
    q.tasks.push_back(task);
}

/// Queues a delete marker when the covering rule replicates markers.
pub(super) fn enqueue_delete_marker(
    q: &mut Queue,
    b: &Bucket,
    key: &str,
    version_id: &str,
    due: DateTime<Utc>,
) {
    let Some(rule) = rule_for(b, key, None) else {
        return;
    };
    if rule.delete_marker_replication != Some(true) {
        return;
    }
    q.tasks.push_back(Task {
        due,
        source: b.name.clone(),
        key: key.to_owned(),
        version_id: version_id.to_owned(),
        destination: rule.destination_bucket.clone(),
        storage_class: None,
    });
}

/// Replicates every due version whose regions are both up.
pub(super) fn run(st: &mut State, now: DateTime<Utc>, outages: &Outages) {
    let mut held = VecDeque::new();
    while let Some(task) = st.replication.tasks.front() {
        if task.due > now {
            break;
        }
        let Some(task) = st.replication.tasks.pop_front() else {
            break;
        };
        let regions_up = [&task.source, &task.destination]
            .iter()
            .filter_map(|b| st.buckets.get(b.as_str()).map(|b| b.region.clone()))
            .all(|r| !outages.is_down(&r));
        if !regions_up {
            held.push_back(task);
            continue;
        }
        replicate(st, &task);
    }
    while let Some(t) = held.pop_back() {
        st.replication.tasks.push_front(t);
    }
}

fn set_status(st: &mut State, task: &Task, status: ReplicationStatus) {
    if let Some(o) = st
        .buckets
        .get_mut(&task.source)
        .and_then(|b| b.objects.get_mut(&task.key))
        .and_then(|vs| vs.iter_mut().find(|v| v.id == task.version_id))
        .and_then(|v| v.object.as_mut())
    {
        o.replication_status = Some(status);
    }
}

fn replicate(st: &mut State, task: &Task) {
    let Some(source) = st
        .buckets
        .get(&task.source)
        .and_then(|b| b.objects.get(&task.key))
        .and_then(|vs| vs.iter().find(|v| v.id == task.version_id))
        .cloned()
    else {
        // Deleted before it could be replicated.
        return;
    };
    let Some(dest) = st
        .buckets
        .get_mut(&task.destination)
        .filter(|d| d.versioning == Versioning::Enabled)
    else {
        tracing::warn!(source = %task.source, destination = %task.destination, key = %task.key, "replication failed: destination missing or not versioned");
        set_status(st, task, ReplicationStatus::Failed);
        return;
    };
    let lock = dest.object_lock;
    let versions = dest.objects.entry(task.key.clone()).or_default();
    if !versions.iter().any(|v| v.id == source.id) {
        let mut replica = Version {
            id: source.id.clone(),
            last_modified: source.last_modified,
            object: source.object.clone(),
            replica_marker: source.object.is_none(),
        };
        if let Some(o) = replica.object.as_mut() {
            o.replication_status = Some(ReplicationStatus::Replica);
            if let Some(class) = &task.storage_class {
                o.storage_class = class.clone();
            }
            if !lock {
                o.retention = None;
                o.legal_hold = None;
            }
        }
        let at = versions
            .iter()
            .rposition(|v| v.last_modified <= replica.last_modified)
            .map_or(0, |i| i.saturating_add(1));
        versions.insert(at, replica);
    }
    set_status(st, task, ReplicationStatus::Completed);
    tracing::debug!(source = %task.source, destination = %task.destination, key = %task.key, version = %task.version_id, "replicated");
}
