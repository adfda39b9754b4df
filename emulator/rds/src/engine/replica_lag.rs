//! Replica lag: how far each read replica is behind its source, on the
//! emulator clock, as CloudWatch's `AWS/RDS` `ReplicaLag` reports it.
//!
//! At most once per emulated minute (CloudWatch's resolution for RDS), in
//! the background of the tick that reaches it (a tick never waits), each
//! replica whose region is up is sampled: while its source answers, the
//! replica has caught up when its replayed log position reaches the
//! source's written one ([`crate::process::DbServer::log_position`]: the
//! LSN for PostgreSQL, the GTID for MariaDB), polled a few times over a
//! fraction of a second, since streaming takes milliseconds. A caught-up
//! replica lags 0 s; one that is behind (or whose source cannot be reached:
//! its region is dark, its server is stopped) lags the emulated time since
//! it was last seen caught up, so the lag grows through a source's outage,
//! as PostgreSQL's `now() - pg_last_xact_replay_timestamp()` does on AWS.

use super::Engine;
use crate::process::DbServer;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// One sample of a replica's lag.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LagSample {
    /// When it was taken, on the emulator clock.
    pub at: DateTime<Utc>,
    /// Seconds behind the source.
    pub lag_seconds: f64,
    /// The last instant the replica was seen caught up.
    pub caught_up_at: DateTime<Utc>,
}

/// Emulated seconds between two samples of one replica.
const SAMPLE_EVERY_SECONDS: i64 = 60;
/// Polls of a replica that is behind before it counts as behind.
const CATCH_UP_POLLS: u32 = 6;

/// A replica to sample: its region and identifier, its server, and its
/// source's server when that answers.
struct Pending {
    region: String,
    id: String,
    replica: Arc<dyn DbServer>,
    source: Option<Arc<dyn DbServer>>,
    previous: Option<LagSample>,
}

impl Engine {
    /// Samples replica lag in the background, so that a tick (and the clock
    /// advance behind it) never waits on a replica catching up; one
    /// sampling at a time.
    pub(super) fn start_lag_sampling(&self, now: DateTime<Utc>) {
        {
            let mut state = self.state.lock();
            let any_replica = state
                .regions
                .values()
                .any(|r| r.instances.values().any(|i| i.replica_of.is_some()));
            if state.sampling_lag || !any_replica {
                return;
            }
            state.sampling_lag = true;
        }
        let me = self.arc();
        self.spawn(async move {
            me.sample_replica_lag(now).await;
            me.state.lock().sampling_lag = false;
        });
    }

    /// Samples the lag of every replica due for a sample (see the module docs).
    async fn sample_replica_lag(&self, now: DateTime<Utc>) {
        let pending: Vec<Pending> = {
            let state = self.state.lock();
            let mut out = Vec::new();
            for (name, reg) in &state.regions {
                if reg.down {
                    continue;
                }
                for i in reg.instances.values() {
                    let Some(src) = &i.replica_of else { continue };
                    let Some(replica) = reg.servers.get(&i.resource_id) else {
                        continue;
                    };
                    let previous = reg.replica_lag.get(&i.id).copied();
                    if previous.is_some_and(|p| (now - p.at).num_seconds() < SAMPLE_EVERY_SECONDS) {
                        continue;
                    }
                    let source = state.regions.get(&src.region).and_then(|r| {
                        if r.down {
                            return None;
                        }
                        let s = r.instances.get(&src.id)?;
                        r.servers.get(&s.resource_id).cloned()
                    });
                    out.push(Pending {
                        region: name.clone(),
                        id: i.id.clone(),
                        replica: replica.clone(),
                        source,
                        previous,
                    });
                }
            }
            out
        };
        for p in pending {
            let caught_up = match &p.source {
                Some(source) => match caught_up(source.as_ref(), p.replica.as_ref()).await {
                    Ok(yes) => yes,
                    Err(e) => {
                        tracing::debug!(region = p.region, id = p.id, error = %e, "replica lag not sampled");
                        continue;
                    }
                },
                None => false,
            };
            let caught_up_at = if caught_up {
                now
            } else {
                p.previous.map_or(now, |s| s.caught_up_at)
            };
            let sample = LagSample {
                at: now,
                lag_seconds: (now - caught_up_at).num_milliseconds().max(0) as f64 / 1000.0,
                caught_up_at,
            };
            let mut state = self.state.lock();
            let reg = state.region(&p.region);
            // The replica may have been promoted or deleted meanwhile.
            if reg.instances.get(&p.id).is_some_and(|i| i.replica_of.is_some()) {
                reg.replica_lag.insert(p.id, sample);
            }
        }
    }

    /// The latest lag sample of every read replica of `region`, by identifier.
    pub fn replica_lags(&self, region: &str) -> Vec<(String, LagSample)> {
        let state = self.state.lock();
        let Some(reg) = state.regions.get(region) else {
            return Vec::new();
        };
        reg.replica_lag
            .iter()
            .filter(|(id, _)| reg.instances.get(*id).is_some_and(|i| i.replica_of.is_some()))
            .map(|(id, s)| (id.clone(), *s))
            .collect()
    }
}

/// Whether `replica` has replayed everything `source` has written, polling
/// it a few times while it catches up.
async fn caught_up(
    source: &dyn DbServer,
    replica: &dyn DbServer,
) -> Result<bool, crate::process::ServerError> {
    let Some(wanted) = source.log_position(false).await? else {
        return Ok(true);
    };
    for poll in 0..CATCH_UP_POLLS {
        if replica.log_position(true).await?.is_some_and(|at| at >= wanted) {
            return Ok(true);
        }
        if poll + 1 < CATCH_UP_POLLS {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    Ok(false)
}
