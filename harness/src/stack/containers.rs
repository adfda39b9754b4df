//! The `containers` target: LocalStack and PostgreSQL in Docker, through
//! testcontainers.
//!
//! LocalStack (default `localstack/localstack:4.14.0`, the last tag that
//! runs without an account; `LOCALSTACK_AUTH_TOKEN` is passed through for
//! newer tags) serves DynamoDB and S3 on its edge port. LocalStack's free
//! image has no RDS, so the orders database is a plain `postgres:15`
//! container and the harness does PostgreSQL point-in-time recovery itself,
//! the way RDS does underneath: the server archives its WAL to a Docker
//! volume, [`ContainersTarget::base_backup`] takes a `pg_basebackup` into a
//! second volume, and [`ContainersTarget::pitr_restore`] starts a fresh
//! container from the newest base backup before T, replaying the archive up
//! to `recovery_target_time = T`.
//!
//! What this target lacks, and its [`Capabilities`] say: the RDS API (PITR
//! only through the methods here), AWS Backup, a second region or account
//! (LocalStack free is one account in one process), and a simulated clock.
//! Whether LocalStack restores DynamoDB tables to the past is for
//! `firedrill matrix` to find out; it is not claimed.
//!
//! Without a Docker engine, [`ContainersTarget::start`] fails within
//! seconds with one line saying so ([`docker_available`]), before
//! testcontainers is asked for anything.

use crate::matrix::{MatrixReport, Outcome, ProbeId, ProbeReport};
use crate::target::{BoxFuture, Capabilities, Target};
use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Duration, Utc};
use parking_lot::Mutex;
use std::time::Duration as StdDuration;
use testcontainers::bollard::Docker;
use testcontainers::core::{AccessMode, CmdWaitFor, ExecCommand, IntoContainerPort, Mount, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage, ImageExt};
use testcontainers_modules::localstack::LocalStack;
use testcontainers_modules::postgres::Postgres;

/// LocalStack's image.
pub const DEFAULT_LOCALSTACK_IMAGE: &str = "localstack/localstack";
/// The last LocalStack tag that runs without an auth token.
pub const DEFAULT_LOCALSTACK_TAG: &str = "4.14.0";
/// PostgreSQL's tag (what the emulator's RDS runs too).
pub const DEFAULT_POSTGRES_TAG: &str = "15";
/// Where the WAL archive volume is mounted in every PostgreSQL container.
pub const WAL_ARCHIVE_DIR: &str = "/wal-archive";
/// Where the base-backup volume is mounted.
pub const BASE_BACKUP_DIR: &str = "/base-backups";
/// The PostgreSQL message that says a server (or a promoted restore) is up.
const PG_READY: &str = "database system is ready to accept connections";

/// How to start the containers.
#[derive(Debug, Clone)]
pub struct ContainersOptions {
    /// LocalStack image name.
    pub localstack_image: String,
    /// LocalStack tag.
    pub localstack_tag: String,
    /// Passed to LocalStack as `LOCALSTACK_AUTH_TOKEN` (needed after 4.14.0).
    pub localstack_auth_token: Option<String>,
    /// PostgreSQL image name.
    pub postgres_image: String,
    /// PostgreSQL tag (a Debian-based tag: the restore scripts use `gosu`).
    pub postgres_tag: String,
    /// The region LocalStack is addressed as.
    pub region: String,
    /// The orders database's user, password and name.
    pub db_user: String,
    /// Password of [`ContainersOptions::db_user`].
    pub db_password: String,
    /// Database name.
    pub db_name: String,
    /// How long the Docker engine gets to answer a ping.
    pub docker_timeout: StdDuration,
    /// How long each container gets to become ready (image pulls included).
    pub startup_timeout: StdDuration,
}

impl Default for ContainersOptions {
    fn default() -> Self {
        Self {
            localstack_image: DEFAULT_LOCALSTACK_IMAGE.to_owned(),
            localstack_tag: DEFAULT_LOCALSTACK_TAG.to_owned(),
            localstack_auth_token: std::env::var("LOCALSTACK_AUTH_TOKEN")
                .ok()
                .filter(|t| !t.is_empty()),
            postgres_image: "postgres".to_owned(),
            postgres_tag: DEFAULT_POSTGRES_TAG.to_owned(),
            region: "us-east-1".to_owned(),
            db_user: "shop".to_owned(),
            db_password: "firedrill-shop".to_owned(),
            db_name: "store".to_owned(),
            docker_timeout: StdDuration::from_secs(3),
            startup_timeout: StdDuration::from_secs(300),
        }
    }
}

/// Checks, quickly, that a Docker engine answers: the socket exists (for a
/// unix `DOCKER_HOST` or the default), then `_ping` within `timeout`.
/// The error is one line meant for the user.
pub async fn docker_available(timeout: StdDuration) -> Result<(), String> {
    let host = std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty());
    let socket = match host.as_deref() {
        None => Some("/var/run/docker.sock".to_owned()),
        Some(h) => h.strip_prefix("unix://").map(str::to_owned),
    };
    if let Some(path) = &socket
        && !std::path::Path::new(path).exists()
    {
        return Err(format!(
            "no Docker engine: {path} does not exist (start Docker, or set DOCKER_HOST)"
        ));
    }
    let where_ = host
        .clone()
        .unwrap_or_else(|| "unix:///var/run/docker.sock".to_owned());
    let docker = Docker::connect_with_defaults().map_err(|e| format!("no Docker engine at {where_}: {e}"))?;
    match tokio::time::timeout(timeout, docker.ping()).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!("no Docker engine at {where_}: {e}")),
        Err(_) => Err(format!(
            "no Docker engine at {where_}: no answer within {:.0} s",
            timeout.as_secs_f64()
        )),
    }
}

/// A base backup in the base-backup volume.
#[derive(Debug, Clone)]
struct BaseBackup {
    dir: String,
    finished: DateTime<Utc>,
}

/// LocalStack and PostgreSQL containers as a target.
pub struct ContainersTarget {
    options: ContainersOptions,
    localstack: ContainerAsync<LocalStack>,
    postgres: ContainerAsync<Postgres>,
    restores: Mutex<Vec<ContainerAsync<GenericImage>>>,
    endpoint: String,
    config: aws_config::SdkConfig,
    pg_address: (String, u16),
    wal_volume: String,
    base_volume: String,
    backups: Mutex<Vec<BaseBackup>>,
    docker: Docker,
}

impl std::fmt::Debug for ContainersTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContainersTarget")
            .field("endpoint", &self.endpoint)
            .field("postgres", &self.pg_address)
            .field("wal_volume", &self.wal_volume)
            .field("base_volume", &self.base_volume)
            .finish_non_exhaustive()
    }
}

/// The shell that prepares the volumes (as root) and hands over to the
/// image's entrypoint with WAL archiving on.
fn primary_script() -> String {
    format!(
        "set -e; mkdir -p {WAL_ARCHIVE_DIR} {BASE_BACKUP_DIR}; chown postgres:postgres {WAL_ARCHIVE_DIR} {BASE_BACKUP_DIR}; \
         exec docker-entrypoint.sh postgres -c wal_level=replica -c archive_mode=on \
         -c 'archive_command=test ! -f {WAL_ARCHIVE_DIR}/%f && cp %p {WAL_ARCHIVE_DIR}/%f' -c archive_timeout=60"
    )
}

/// The shell of a restore container: the base backup into PGDATA, a
/// recovery signal, then PostgreSQL replaying the archive up to `t`.
fn restore_script(backup_dir: &str, t: DateTime<Utc>) -> String {
    let target = t.format("%Y-%m-%d %H:%M:%S%.6f+00");
    format!(
        "set -e; D=/var/lib/postgresql/data; mkdir -p $D; rm -rf $D/*; cp -a {BASE_BACKUP_DIR}/{backup_dir}/. $D/; \
         rm -f $D/postmaster.pid; touch $D/recovery.signal; chown -R postgres:postgres $D; chmod 700 $D; \
         exec docker-entrypoint.sh postgres -c 'restore_command=cp {WAL_ARCHIVE_DIR}/%f %p' \
         -c \"recovery_target_time={target}\" -c recovery_target_action=promote -c archive_mode=off"
    )
}

impl ContainersTarget {
    /// Checks for Docker, then starts LocalStack and PostgreSQL and takes a
    /// first base backup, so that any T from now on can be restored.
    pub async fn start(options: ContainersOptions) -> anyhow::Result<Self> {
        docker_available(options.docker_timeout)
            .await
            .map_err(|e| anyhow!(e))?;
        let docker = Docker::connect_with_defaults().context("connecting to Docker")?;
        let id = crate::matrix::new_run_id();
        let wal_volume = format!("firedrill-wal-{id}");
        let base_volume = format!("firedrill-base-{id}");

        let mut localstack = LocalStack::default()
            .with_name(&options.localstack_image)
            .with_tag(&options.localstack_tag)
            .with_env_var("SERVICES", "dynamodb,s3")
            .with_label("firedrill", "containers")
            .with_startup_timeout(options.startup_timeout);
        if let Some(token) = &options.localstack_auth_token {
            localstack = localstack.with_env_var("LOCALSTACK_AUTH_TOKEN", token);
        }
        let localstack = localstack
            .start()
            .await
            .with_context(|| format!("starting {}:{}", options.localstack_image, options.localstack_tag))?;
        let host = localstack.get_host().await?.to_string();
        let port = localstack.get_host_port_ipv4(4566).await?;
        let endpoint = format!("http://{host}:{port}");

        let postgres = Postgres::default()
            .with_user(&options.db_user)
            .with_password(&options.db_password)
            .with_db_name(&options.db_name)
            .with_name(&options.postgres_image)
            .with_tag(&options.postgres_tag)
            .with_cmd(["sh", "-c", &primary_script()])
            .with_mount(Mount::volume_mount(&wal_volume, WAL_ARCHIVE_DIR))
            .with_mount(Mount::volume_mount(&base_volume, BASE_BACKUP_DIR))
            .with_label("firedrill", "containers")
            .with_startup_timeout(options.startup_timeout)
            .start()
            .await
            .with_context(|| format!("starting {}:{}", options.postgres_image, options.postgres_tag))?;
        let pg_host = postgres.get_host().await?.to_string();
        let pg_port = postgres.get_host_port_ipv4(5432).await?;
        let key = std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_else(|_| "test".to_owned());
        let secret = std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_else(|_| "test".to_owned());
        let config = firedrill_emulator::sdk_config_with(&endpoint, &options.region, &key, &secret).await;
        let target = Self {
            options,
            localstack,
            postgres,
            restores: Mutex::new(Vec::new()),
            endpoint,
            config,
            pg_address: (pg_host, pg_port),
            wal_volume,
            base_volume,
            backups: Mutex::new(Vec::new()),
            docker,
        };
        target.base_backup().await?;
        Ok(target)
    }

    /// LocalStack's edge endpoint (`http://host:port`).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Where the orders database listens.
    pub fn postgres_address(&self) -> (String, u16) {
        self.pg_address.clone()
    }

    /// `(user, password, database)` of the orders database.
    pub fn postgres_credentials(&self) -> (&str, &str, &str) {
        (
            &self.options.db_user,
            &self.options.db_password,
            &self.options.db_name,
        )
    }

    /// What this target does not offer, one reason per line.
    pub fn limitations() -> &'static [&'static str] {
        &[
            "no RDS API: LocalStack's free image has none; PostgreSQL PITR is done by the harness (ContainersTarget::pitr_restore)",
            "no AWS Backup (a LocalStack Pro service)",
            "one region and one account: LocalStack free runs a single account, so region outages and cross-region copies cannot be drilled",
            "a real clock: drills take the wall time they describe",
        ]
    }

    async fn exec(&self, script: &str) -> anyhow::Result<String> {
        let mut out = self
            .postgres
            .exec(
                ExecCommand::new(["sh", "-c", script])
                    .with_cmd_ready_condition(CmdWaitFor::Exit { code: None }),
            )
            .await
            .with_context(|| format!("docker exec {script:?}"))?;
        let stdout = String::from_utf8_lossy(&out.stdout_to_vec().await?).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr_to_vec().await?).into_owned();
        match out.exit_code().await? {
            Some(0) => Ok(stdout),
            code => bail!("{script:?} exited with {code:?}: {}", stderr.trim()),
        }
    }

    fn psql(&self, sql: &str) -> String {
        format!(
            "gosu postgres psql -v ON_ERROR_STOP=1 -At -h /var/run/postgresql -U {} -d {} -c \"{}\"",
            self.options.db_user,
            self.options.db_name,
            sql.replace('"', "\\\"")
        )
    }

    /// Takes a `pg_basebackup` into the base-backup volume; restores start
    /// from the newest one taken before their target time.
    pub async fn base_backup(&self) -> anyhow::Result<()> {
        let dir = format!("base-{}", Utc::now().format("%Y%m%dT%H%M%S%.3fZ"));
        self.exec(&format!(
            "gosu postgres pg_basebackup -h /var/run/postgresql -U {} -D {BASE_BACKUP_DIR}/{dir} -X stream -c fast",
            self.options.db_user
        ))
        .await
        .context("pg_basebackup")?;
        self.backups.lock().push(BaseBackup {
            dir,
            finished: Utc::now(),
        });
        Ok(())
    }

    /// Restores the orders database to `t` in a fresh container and returns
    /// where it listens. A commit after `t` is written and the WAL segment
    /// switched and archived first, so that recovery can find where T ends.
    pub async fn pitr_restore(&self, t: DateTime<Utc>) -> anyhow::Result<(String, u16)> {
        let backup = self
            .backups
            .lock()
            .iter()
            .filter(|b| b.finished <= t)
            .max_by_key(|b| b.finished)
            .cloned()
            .ok_or_else(|| {
                anyhow!("no base backup finished before {t}; the restorable window starts at the first one")
            })?;
        if t > Utc::now() {
            bail!("{t} is in the future");
        }
        let segment = self
            .exec(&self.psql(
                "CREATE TABLE IF NOT EXISTS firedrill_recovery_marks (at timestamptz NOT NULL); \
                 INSERT INTO firedrill_recovery_marks VALUES (now()); \
                 SELECT pg_walfile_name(pg_current_wal_lsn());",
            ))
            .await?
            .lines()
            .last()
            .unwrap_or_default()
            .trim()
            .to_owned();
        self.exec(&self.psql("SELECT pg_switch_wal();")).await?;
        let deadline = std::time::Instant::now() + StdDuration::from_secs(60);
        while self
            .exec(&format!(
                "test -f {WAL_ARCHIVE_DIR}/{segment} && echo yes || echo no"
            ))
            .await?
            .trim()
            != "yes"
        {
            if std::time::Instant::now() > deadline {
                bail!("WAL segment {segment} was not archived within 60 s");
            }
            tokio::time::sleep(StdDuration::from_millis(250)).await;
        }
        let image = GenericImage::new(
            self.options.postgres_image.clone(),
            self.options.postgres_tag.clone(),
        )
        .with_entrypoint("sh")
        .with_exposed_port(5432.tcp())
        .with_wait_for(WaitFor::message_on_stderr(PG_READY));
        let restored = image
            .with_cmd(["-c", &restore_script(&backup.dir, t)])
            .with_env_var("POSTGRES_PASSWORD", &self.options.db_password)
            .with_mount(
                Mount::volume_mount(&self.wal_volume, WAL_ARCHIVE_DIR).with_access_mode(AccessMode::ReadOnly),
            )
            .with_mount(
                Mount::volume_mount(&self.base_volume, BASE_BACKUP_DIR)
                    .with_access_mode(AccessMode::ReadOnly),
            )
            .with_label("firedrill", "containers-restore")
            .with_startup_timeout(self.options.startup_timeout)
            .start()
            .await
            .with_context(|| format!("starting the restore of {} to {t}", backup.dir))?;
        let host = restored.get_host().await?.to_string();
        let port = restored.get_host_port_ipv4(5432).await?;
        self.restores.lock().push(restored);
        Ok((host, port))
    }

    /// Connects to the orders database at `address`.
    pub async fn connect(&self, address: &(String, u16)) -> anyhow::Result<tokio_postgres::Client> {
        let mut config = tokio_postgres::Config::new();
        config
            .host(&address.0)
            .port(address.1)
            .user(&self.options.db_user)
            .password(&self.options.db_password)
            .dbname(&self.options.db_name)
            .connect_timeout(StdDuration::from_secs(10));
        let (client, conn) = config.connect(tokio_postgres::NoTls).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(client)
    }

    /// The matrix's RDS-PITR probe for this target: the harness-managed
    /// PostgreSQL PITR (write, note T, change, [`Self::pitr_restore`], compare).
    pub async fn probe_pitr(&self) -> ProbeReport {
        let started = std::time::Instant::now();
        let mut details = vec![
            "LocalStack has no RDS; PostgreSQL PITR done by the harness (WAL archive + base backup)"
                .to_owned(),
        ];
        let outcome = match self.pitr_round_trip(&mut details).await {
            Ok(o) => o,
            Err(e) => Outcome::Error(format!("{e:#}")),
        };
        ProbeReport {
            probe: ProbeId::RdsPitrToT,
            guarantee: ProbeId::RdsPitrToT.guarantee().to_owned(),
            outcome,
            details,
            seconds: started.elapsed().as_secs_f64(),
        }
    }

    async fn pitr_round_trip(&self, details: &mut Vec<String>) -> anyhow::Result<Outcome> {
        let db = self.connect(&self.pg_address).await?;
        db.batch_execute(
            "DROP TABLE IF EXISTS firedrill_probe; CREATE TABLE firedrill_probe (id int PRIMARY KEY, v text NOT NULL);
             INSERT INTO firedrill_probe SELECT g, 'before' FROM generate_series(1, 10) g;",
        )
        .await?;
        tokio::time::sleep(StdDuration::from_millis(1_100)).await;
        let t = Utc::now();
        tokio::time::sleep(StdDuration::from_millis(1_100)).await;
        db.batch_execute(
            "UPDATE firedrill_probe SET v = 'after' WHERE id <= 5; DELETE FROM firedrill_probe WHERE id > 5;",
        )
        .await?;
        details.push(format!("T = {t}"));
        let address = self.pitr_restore(t).await?;
        details.push(format!("restored to T at {}:{}", address.0, address.1));
        let restored = self.connect(&address).await?;
        let rows: Vec<(i32, String)> = restored
            .query("SELECT id, v FROM firedrill_probe ORDER BY id", &[])
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let expected: Vec<(i32, String)> = (1..=10).map(|i| (i, "before".to_owned())).collect();
        Ok(if rows == expected {
            Outcome::Honoured
        } else {
            Outcome::NotHonoured(format!("the restore to T holds {rows:?}"))
        })
    }

    /// The matrix for this target: the SDK probes against LocalStack, with
    /// the RDS-PITR row replaced by the harness-managed PostgreSQL PITR.
    pub async fn run_matrix(&self) -> MatrixReport {
        let mut report = crate::matrix::run_matrix(self).await;
        report.push(self.probe_pitr().await);
        report
    }

    /// Removes every container and both volumes.
    pub async fn shutdown(self) {
        let restores: Vec<_> = self.restores.lock().drain(..).collect();
        for c in restores {
            if let Err(e) = c.rm().await {
                tracing::warn!(error = %e, "could not remove a restore container");
            }
        }
        if let Err(e) = self.postgres.rm().await {
            tracing::warn!(error = %e, "could not remove the PostgreSQL container");
        }
        if let Err(e) = self.localstack.rm().await {
            tracing::warn!(error = %e, "could not remove the LocalStack container");
        }
        for v in [&self.wal_volume, &self.base_volume] {
            let opts: Option<testcontainers::bollard::query_parameters::RemoveVolumeOptions> = None;
            if let Err(e) = self.docker.remove_volume(v, opts).await {
                tracing::warn!(volume = %v, error = %e, "could not remove a volume");
            }
        }
    }
}

impl Target for ContainersTarget {
    fn name(&self) -> &str {
        "containers"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            // Not claimed: `firedrill matrix` finds out.
            dynamodb_pitr: false,
            s3_versioning: true,
            // Through pitr_restore, not the RDS API.
            rds_pitr: true,
            aws_backup: false,
            regions: false,
            simulated_clock: false,
            elasticache: false,
            // The containers are PostgreSQL's only.
            rds_mysql: false,
            backup_account: false,
        }
    }

    fn sdk_config(&self, region: &str) -> aws_config::SdkConfig {
        self.config
            .to_builder()
            .region(aws_config::Region::new(region.to_owned()))
            .build()
    }

    fn primary_region(&self) -> &str {
        &self.options.region
    }

    fn secondary_region(&self) -> Option<&str> {
        None
    }

    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn advance(&self, _by: Duration) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async { bail!("the containers target's clock is real and cannot be advanced") })
    }

    fn set_region_outage(&self, region: &str, _down: bool) -> BoxFuture<'_, anyhow::Result<()>> {
        let region = region.to_owned();
        Box::pin(async move {
            bail!("LocalStack runs one region; {region} cannot be taken down on the containers target")
        })
    }

    fn database_address(&self, _address: &str, _port: u16) -> (String, u16) {
        self.pg_address.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_archive_and_replay_to_t() {
        let p = primary_script();
        assert!(p.contains("wal_level=replica") && p.contains("archive_mode=on"));
        assert!(p.contains("cp %p /wal-archive/%f"));
        let r = restore_script("base-1", "2026-03-14T15:47:00.5Z".parse().unwrap());
        assert!(
            r.contains("recovery_target_time=2026-03-14 15:47:00.500000+00"),
            "{r}"
        );
        assert!(r.contains("recovery.signal") && r.contains("/base-backups/base-1/."));
    }

    #[tokio::test]
    async fn a_missing_docker_socket_is_one_quick_line() {
        let started = std::time::Instant::now();
        // Only meaningful where there is no engine; elsewhere it must succeed.
        match docker_available(StdDuration::from_secs(3)).await {
            Ok(()) => println!("a Docker engine answers here"),
            Err(e) => {
                assert!(e.starts_with("no Docker engine"), "{e}");
                assert!(!e.contains('\n'), "{e}");
            }
        }
        assert!(started.elapsed() < StdDuration::from_secs(5));
    }
}
