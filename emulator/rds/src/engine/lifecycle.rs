//! Region outages (every server of a region stopped and later restarted),
//! reset and shutdown.

use super::{Engine, State};
use crate::process::{DbServer, StopMode};
use std::sync::Arc;

pub(super) async fn futures_join_all<F: std::future::Future<Output = ()>>(futures: impl Iterator<Item = F>) {
    for f in futures {
        f.await;
    }
}

impl Engine {
    /// Stops every server of `region` (clean shutdown); instances keep their
    /// status and data.
    pub async fn stop_region_servers(&self, region: &str) {
        let servers: Vec<(String, Arc<dyn DbServer>)> = {
            let mut state = self.state.lock();
            let reg = state.region(region);
            reg.down = true;
            let servers: Vec<_> = reg.servers.drain().collect();
            reg.outage_stopped = servers.iter().map(|(k, _)| k.clone()).collect();
            servers
        };
        let stops = servers.iter().map(|(_, s)| s.clone().stop_async(StopMode::Fast));
        futures_join_all(stops).await;
        tracing::info!(region, count = servers.len(), "region servers stopped");
    }

    /// Restarts the servers an outage stopped.
    pub async fn start_region_servers(&self, region: &str) {
        let rids = {
            let mut state = self.state.lock();
            let reg = state.region(region);
            reg.down = false;
            std::mem::take(&mut reg.outage_stopped)
        };
        for rid in rids {
            let port = {
                let mut state = self.state.lock();
                let reg = state.region(region);
                reg.instances
                    .values()
                    .find(|i| i.resource_id == rid)
                    .map(|i| i.port)
                    .or_else(|| {
                        reg.clusters
                            .values()
                            .find(|c| c.resource_id == rid)
                            .map(|c| c.port)
                    })
            };
            match self.start_server(region, &rid, port).await {
                Ok(server) => self.install_server(region, &rid, server),
                Err(e) => {
                    tracing::error!(region, rid, error = %e, "could not restart a server after the outage")
                }
            }
        }
    }

    /// Forgets everything: stops servers, removes files.
    pub async fn reset(&self) {
        let servers: Vec<Arc<dyn DbServer>> = {
            let mut state = self.state.lock();
            let servers = state
                .regions
                .values_mut()
                .flat_map(|r| r.servers.drain().map(|(_, s)| s))
                .collect();
            *state = State::default();
            servers
        };
        self.groups.reset();
        self.events.reset();
        for s in servers {
            s.stop_async(StopMode::Immediate).await;
        }
        for sub in ["instances", "backups", "snapshots"] {
            let _ = std::fs::remove_dir_all(self.run.root.join(sub));
        }
    }

    /// Stops everything and removes every file (synchronous).
    pub fn shutdown(&self) {
        let servers: Vec<Arc<dyn DbServer>> = {
            let mut state = self.state.lock();
            let servers = state
                .regions
                .values_mut()
                .flat_map(|r| r.servers.drain().map(|(_, s)| s))
                .collect();
            *state = State::default();
            servers
        };
        self.groups.reset();
        self.events.reset();
        for s in &servers {
            s.stop(StopMode::Immediate);
        }
        for db in self.dbs() {
            db.close();
        }
        self.run.close();
    }
}
