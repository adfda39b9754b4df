//! `firedrill up`: the shop provisioned and seeded on an emulator, then its
//! traffic kept running at the scenario's rates until the process is told to
//! stop, every operation recorded in `history.json`.
//!
//! Operations are paced by the emulator's clock: each one is applied when
//! the clock reaches its planned instant, so a simulated clock moved forward
//! (`firedrill admin advance`) brings the traffic along, and a real one plays
//! it in real time. `speed` multiplies every rate (and divides the plan's
//! span), for demonstrations and tests that cannot wait an hour. The history
//! file is replaced whole whenever the traffic is idle, so it is complete up
//! to its `written_at` instant.

use super::{LiveDir, LiveRecord, TrafficState, act, cache_log, oneliners};
use crate::history::{EventKind, History, Outcome};
use crate::model::StoreNames;
use crate::policy::{Provisioner, SdkProvisioner, four_layer};
use crate::stack::EndpointTarget;
use crate::store::StoreSection;
use crate::target::Target;
use crate::team::contract::StoreFile;
use crate::wait::WaitOptions;
use crate::workload::{ExecOptions, Executor, WorkloadSpec, generate};
use anyhow::{Context, bail};
use chrono::Duration;
use firedrill_emulator::{Emulator, EmulatorHandle};
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;

/// How `up` runs.
#[derive(Debug, Clone)]
pub struct UpOptions {
    /// An emulator already running; `None` starts one in this process.
    pub endpoint: Option<String>,
    /// Where the emulator this process starts listens.
    pub listen: SocketAddr,
    /// Where the files go.
    pub dir: PathBuf,
    /// The stack prefix.
    pub prefix: String,
    /// The traffic's rates and seed.
    pub spec: WorkloadSpec,
    /// Where sessions and carts live (`[store]`).
    pub store: StoreSection,
    /// Rates multiplied by this.
    pub speed: f64,
    /// Keep the traffic running (else seed and stop).
    pub traffic: bool,
    /// How this binary is called, for the printed one-liners.
    pub firedrill: String,
}

/// The shop's traffic of `firedrill seed` and `firedrill up`: 400 orders an
/// hour over 20 products and 50 customers, with cart churn, sessions,
/// restocks and uploads.
pub fn shop_traffic(seed: u64) -> WorkloadSpec {
    WorkloadSpec {
        seed,
        products: 20,
        customers: 50,
        orders_per_hour: 400.0,
        cart_churn_per_hour: 200.0,
        sessions_per_hour: 100.0,
        restocks_per_hour: 10.0,
        image_uploads_per_hour: 6.0,
        template_edits_per_hour: 1.0,
        clients: 4,
    }
}

/// A task stopped when its handle is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The traffic the plan spans at speed 1.
const PLAN_HOURS: i64 = 8;

/// Provisions, seeds, prints the one-liners, then runs the traffic until
/// `stop` completes (or the plan is played out). With no traffic it returns
/// once seeded, unless the emulator is its own: that stays up until `stop`.
pub async fn up(options: UpOptions, stop: impl Future<Output = ()>) -> anyhow::Result<()> {
    if !(options.speed.is_finite() && options.speed > 0.0 && options.speed <= 10_000.0) {
        bail!("--speed must be above 0 and at most 10000, got {}", options.speed);
    }
    options.spec.validate()?;
    let dir = LiveDir(options.dir.clone());
    std::fs::create_dir_all(&dir.0).with_context(|| format!("cannot create {}", dir.0.display()))?;
    let (endpoint, emulator): (String, Option<EmulatorHandle>) = match &options.endpoint {
        Some(e) => (e.clone(), None),
        None => {
            let handle = Emulator::builder()
                .bind(options.listen)
                .simulated_clock(chrono::Utc::now())
                .start()
                .await
                .with_context(|| format!("starting the emulator on {}", options.listen))?;
            (handle.endpoint().to_owned(), Some(handle))
        }
    };
    let result = play(&options, &dir, &endpoint, stop).await;
    if let Some(h) = emulator {
        h.shutdown().await;
    }
    result
}

async fn play(
    options: &UpOptions,
    dir: &LiveDir,
    endpoint: &str,
    stop: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let target = EndpointTarget::connect(endpoint, "us-east-1", Some("us-west-2")).await?;
    // Only a firedrill answers the admin API (its capabilities say so).
    if !target.capabilities().aws_backup {
        bail!("{endpoint} is not a firedrill emulator: `up` reads its audit trail");
    }
    let names = StoreNames::new(&options.prefix)?
        .with_cache(options.store.cached())
        .with_orders_engine(options.store.orders_engine);
    let policy = four_layer();
    let store = SdkProvisioner {
        wait: WaitOptions::default(),
    }
    .provision(&target, &policy, &names)
    .await
    .context("provisioning the shop")?;
    let guarded = crate::protection::read(&target, &store).await;
    let versioned = guarded
        .buckets
        .iter()
        .filter(|(_, (_, on))| *on == Some(true))
        .map(|(c, _)| *c)
        .collect();
    act::install_statement_log(&target, &store)
        .await
        .context("installing the orders database's statement log")?;

    let mut spec = options.spec.clone();
    for rate in [
        &mut spec.orders_per_hour,
        &mut spec.cart_churn_per_hour,
        &mut spec.sessions_per_hour,
        &mut spec.restocks_per_hour,
        &mut spec.image_uploads_per_hour,
        &mut spec.template_edits_per_hour,
    ] {
        *rate *= options.speed;
    }
    // A command log of an earlier session in this directory is not this one's.
    match std::fs::remove_file(dir.cache_log()) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(anyhow::Error::new(e).context(format!("cannot remove {}", dir.cache_log().display())));
        }
        _ => {}
    }
    let started_at = target.now();
    let span = Duration::milliseconds((PLAN_HOURS as f64 * 3_600_000.0 / options.speed) as i64);
    let plan = generate(&spec, started_at, span);
    let mut history = History::new();
    let mut executor = Executor::new(&target, &store, ExecOptions::default());
    for op in &plan.seed {
        if executor.apply(op, &mut history).await? != Outcome::Ok {
            let failed = history.ops().last().and_then(|o| o.error.clone());
            bail!("seeding failed: {}", failed.unwrap_or_default());
        }
    }
    let mut record = LiveRecord {
        endpoint: endpoint.to_owned(),
        store: StoreFile::of(&store, &target),
        versioned,
        cached: options.store.cached(),
        cache: store.cache.clone(),
        secondary_region: target.secondary_region().map(str::to_owned),
        policy: policy.name.clone(),
        seed: spec.seed,
        started_at,
        written_at: target.now(),
        traffic: if options.traffic {
            TrafficState::Running
        } else {
            TrafficState::Seeded
        },
        history,
    };
    if options.traffic {
        record.history.event(target.now(), EventKind::TrafficStart);
    }
    record.save(dir)?;
    // The session store's destructive commands, watched while `up` runs
    // (the task ends with this function).
    let _cache_watch = store.cache.as_ref().map(|cache| {
        let address = target.database_address(&cache.address, cache.port);
        AbortOnDrop(tokio::spawn(cache_log::watch(address, dir.cache_log())))
    });
    let banner = oneliners::banner(&record, &options.firedrill, &dir.0);
    super::write_atomically(&dir.banner(), banner.as_bytes())?;
    {
        use std::io::Write;
        let _ = write!(std::io::stdout(), "{banner}");
        let _ = std::io::stdout().flush();
    }
    tracing::info!(ops = plan.ops.len(), "live traffic ready");

    tokio::pin!(stop);
    if !options.traffic {
        // The seeded store stays where it is; an emulator of this process's
        // own lives until stopped.
        if options.endpoint.is_none() {
            stop.await;
        }
        return Ok(());
    }
    let mut dirty = false;
    let mut stopped = false;
    let simulated = target.capabilities().simulated_clock;
    'plan: for op in &plan.ops {
        loop {
            let wait = op.at - target.now();
            if wait <= Duration::zero() {
                break;
            }
            if dirty {
                record.written_at = target.now();
                record.save(dir)?;
                dirty = false;
            }
            // At most a second at a time: a clock moved forward meanwhile
            // (`firedrill admin advance`) is caught up with at once.
            let nap = wait.min(Duration::seconds(1)).to_std().unwrap_or_default();
            tokio::select! {
                _ = tokio::time::sleep(nap) => {}
                _ = &mut stop => { stopped = true; break 'plan; }
            }
            if simulated {
                // Advancing by nothing reads the clock again.
                target.advance(Duration::zero()).await?;
            }
        }
        executor.apply(op, &mut record.history).await?;
        dirty = true;
    }
    record.history.event(target.now(), EventKind::TrafficEnd);
    record.traffic = TrafficState::Stopped;
    record.written_at = target.now();
    record.save(dir)?;
    if !stopped {
        eprintln!("firedrill up: the traffic plan is played out; the store stays up until stopped");
        stop.await;
    }
    Ok(())
}
