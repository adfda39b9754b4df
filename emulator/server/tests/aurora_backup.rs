//! AWS Backup of Aurora clusters (resource type `Aurora`) through the
//! official SDKs over HTTP, on the assembled emulator: a backup job takes
//! an `awsbackup:job-…` cluster snapshot of an Aurora PostgreSQL cluster
//! holding rows; a restore job creates a new cluster (no instances, as on
//! AWS) whose rows, read through an instance added to it, are the rows as
//! of the backup; a copy into another region is a cluster snapshot there;
//! deleting the recovery point deletes its snapshot; a restore testing
//! selection of type `Aurora` restores on the emulator clock and deletes
//! the cluster it restored; bad input fails as AWS Backup fails it; a
//! continuous point restores to the latest restorable time, with the
//! writes after its snapshot; an Aurora MySQL cluster's backup restores
//! its rows (skipped, saying so, without MariaDB).

mod common;

use aws_sdk_backup::types::{
    BackupJobState, CopyJobState, RestoreDeletionStatus, RestoreJobStatus, RestoreTestingPlanForCreate,
    RestoreTestingRecoveryPointSelection, RestoreTestingRecoveryPointSelectionAlgorithm,
    RestoreTestingRecoveryPointType, RestoreTestingSelectionForCreate,
};
use chrono::Duration;
use common::postgres::{postgres_installed, sql, wait_rds_available};
use firedrill_emulator::{Emulator, EmulatorHandle};
use std::collections::HashMap;
use std::time::Instant;

const ROLE: &str = "arn:aws:iam::000000000000:role/service-role/AWSBackupDefaultServiceRole";

struct Shop {
    emulator: EmulatorHandle,
    backup: aws_sdk_backup::Client,
    west_backup: aws_sdk_backup::Client,
    rds: aws_sdk_rds::Client,
    west_rds: aws_sdk_rds::Client,
}

async fn shop() -> Shop {
    let emulator = Emulator::builder()
        .simulated_clock("2026-03-14T03:10:00Z".parse().expect("an instant"))
        .start()
        .await
        .expect("emulator starts");
    let east = emulator.sdk_config("us-east-1").await;
    let west = emulator.sdk_config("us-west-2").await;
    let shop = Shop {
        backup: aws_sdk_backup::Client::new(&east),
        west_backup: aws_sdk_backup::Client::new(&west),
        rds: aws_sdk_rds::Client::new(&east),
        west_rds: aws_sdk_rds::Client::new(&west),
        emulator,
    };
    shop.backup
        .create_backup_vault()
        .backup_vault_name("prod")
        .send()
        .await
        .expect("CreateBackupVault");
    shop.west_backup
        .create_backup_vault()
        .backup_vault_name("dr")
        .send()
        .await
        .expect("CreateBackupVault west");
    shop
}

impl Shop {
    async fn advance(&self, by: Duration) {
        self.emulator.advance(by).await.expect("advance");
    }

    /// Waits (moving the clock, bounded) until cluster `id` is available.
    async fn wait_cluster(&self, id: &str) -> aws_sdk_rds::types::DbCluster {
        let deadline = Instant::now() + std::time::Duration::from_secs(120);
        loop {
            let c = self
                .rds
                .describe_db_clusters()
                .db_cluster_identifier(id)
                .send()
                .await
                .expect("DescribeDBClusters")
                .db_clusters()[0]
                .clone();
            if c.status() == Some("available") {
                return c;
            }
            assert!(
                Instant::now() < deadline,
                "cluster {id} stuck in {:?}",
                c.status()
            );
            self.advance(Duration::seconds(1)).await;
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    async fn cluster_gone(&self, id: &str) -> bool {
        match self
            .rds
            .describe_db_clusters()
            .db_cluster_identifier(id)
            .send()
            .await
        {
            Err(_) => true,
            Ok(out) => out.db_clusters()[0].status() == Some("deleting"),
        }
    }

    /// A backup job of `arn` into `prod`, run to its end; the job.
    async fn backup_job(
        &self,
        arn: &str,
    ) -> aws_sdk_backup::operation::describe_backup_job::DescribeBackupJobOutput {
        let id = self
            .backup
            .start_backup_job()
            .backup_vault_name("prod")
            .resource_arn(arn)
            .iam_role_arn(ROLE)
            .send()
            .await
            .expect("StartBackupJob")
            .backup_job_id()
            .expect("a job id")
            .to_owned();
        self.advance(Duration::minutes(2)).await;
        self.backup
            .describe_backup_job()
            .backup_job_id(&id)
            .send()
            .await
            .expect("DescribeBackupJob")
    }

    /// A restore job of `point` with `metadata`, run to its end; the job.
    async fn restore_job(
        &self,
        point: &str,
        metadata: &[(&str, &str)],
    ) -> aws_sdk_backup::operation::describe_restore_job::DescribeRestoreJobOutput {
        let metadata: HashMap<String, String> = metadata
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let id = self
            .backup
            .start_restore_job()
            .recovery_point_arn(point)
            .iam_role_arn(ROLE)
            .resource_type("Aurora")
            .set_metadata(Some(metadata))
            .send()
            .await
            .expect("StartRestoreJob")
            .restore_job_id()
            .expect("an id")
            .to_owned();
        for _ in 0..40 {
            let job = self
                .backup
                .describe_restore_job()
                .restore_job_id(&id)
                .send()
                .await
                .expect("DescribeRestoreJob");
            if matches!(
                job.status(),
                Some(RestoreJobStatus::Completed | RestoreJobStatus::Failed)
            ) {
                return job;
            }
            self.advance(Duration::seconds(30)).await;
        }
        panic!("restore job {id} did not end");
    }

    /// The rows of `orders` in cluster `id`, read through a new instance
    /// `<id>-1` added to it.
    async fn rows_through_instance(&self, id: &str) -> Vec<(i32, String)> {
        let instance = format!("{id}-1");
        self.rds
            .create_db_instance()
            .db_instance_identifier(&instance)
            .db_cluster_identifier(id)
            .engine("aurora-postgresql")
            .db_instance_class("db.r6g.large")
            .send()
            .await
            .expect("CreateDBInstance in the restored cluster");
        let (host, port) = wait_rds_available(&self.rds, &self.emulator, &instance).await;
        rows(&sql(&host, port).await).await
    }
}

async fn rows(db: &tokio_postgres::Client) -> Vec<(i32, String)> {
    db.query("SELECT id, total::text FROM orders ORDER BY id", &[])
        .await
        .expect("SELECT")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

fn expected() -> Vec<(i32, String)> {
    vec![
        (1, "10.50".to_owned()),
        (2, "20.00".to_owned()),
        (3, "31.25".to_owned()),
    ]
}

/// Aurora PostgreSQL cluster `carts` (database `shop`, tagged `tier=gold`)
/// holding three orders; its ARN.
async fn cluster_with_orders(s: &Shop) -> String {
    let created = s
        .rds
        .create_db_cluster()
        .db_cluster_identifier("carts")
        .engine("aurora-postgresql")
        .master_username("shop")
        .master_user_password("shop-password")
        .database_name("shop")
        .backup_retention_period(1)
        .tags(
            aws_sdk_rds::types::Tag::builder()
                .key("tier")
                .value("gold")
                .build(),
        )
        .send()
        .await
        .expect("CreateDBCluster");
    let arn = created
        .db_cluster()
        .and_then(|c| c.db_cluster_arn())
        .expect("a cluster ARN")
        .to_owned();
    let cluster = s.wait_cluster("carts").await;
    let db = sql(
        cluster.endpoint().expect("an endpoint"),
        cluster.port().expect("a port") as u16,
    )
    .await;
    db.batch_execute(
        "CREATE TABLE orders (id int PRIMARY KEY, total numeric NOT NULL);
         INSERT INTO orders VALUES (1, 10.50), (2, 20.00), (3, 31.25);",
    )
    .await
    .expect("seed");
    arn
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aurora_postgresql_backup_restore_copy_and_delete() {
    if !postgres_installed() {
        eprintln!("SKIPPED: PostgreSQL is not installed");
        return;
    }
    let s = shop().await;
    let arn = cluster_with_orders(&s).await;

    let protected = s
        .backup
        .list_protected_resources()
        .send()
        .await
        .expect("ListProtectedResources");
    assert!(
        protected.results().is_empty(),
        "nothing is protected before a backup"
    );

    let job = s.backup_job(&arn).await;
    assert_eq!(job.state(), Some(&BackupJobState::Completed), "{job:?}");
    assert_eq!(job.resource_type(), Some("Aurora"));
    assert_eq!(job.resource_name(), Some("carts"));
    let point = job.recovery_point_arn().expect("a recovery point").to_owned();
    let snapshot_id = format!(
        "awsbackup:job-{}",
        job.backup_job_id().expect("an id").to_lowercase()
    );
    assert_eq!(
        point,
        format!("arn:aws:rds:us-east-1:000000000000:cluster-snapshot:{snapshot_id}")
    );
    let snap = s
        .rds
        .describe_db_cluster_snapshots()
        .db_cluster_snapshot_identifier(&point)
        .send()
        .await
        .expect("the recovery point's cluster snapshot")
        .db_cluster_snapshots()[0]
        .clone();
    assert_eq!(snap.snapshot_type(), Some("awsbackup"));
    assert_eq!(snap.status(), Some("available"));
    assert_eq!(snap.db_cluster_identifier(), Some("carts"));

    let protected = s
        .backup
        .list_protected_resources()
        .send()
        .await
        .expect("ListProtectedResources");
    assert_eq!(protected.results().len(), 1, "{protected:?}");
    assert_eq!(protected.results()[0].resource_arn(), Some(arn.as_str()));
    assert_eq!(protected.results()[0].resource_type(), Some("Aurora"));

    // A write after the backup is not in its restores.
    let cluster = s.wait_cluster("carts").await;
    let db = sql(cluster.endpoint().unwrap(), cluster.port().unwrap() as u16).await;
    db.execute("INSERT INTO orders VALUES (4, 99.99)", &[])
        .await
        .expect("late order");

    let metadata = s
        .backup
        .get_recovery_point_restore_metadata()
        .backup_vault_name("prod")
        .recovery_point_arn(&point)
        .send()
        .await
        .expect("GetRecoveryPointRestoreMetadata");
    let meta = metadata.restore_metadata().expect("metadata");
    assert_eq!(
        meta.get("DBClusterIdentifier").map(String::as_str),
        Some("carts-restored")
    );
    assert_eq!(meta.get("Engine").map(String::as_str), Some("aurora-postgresql"));
    assert_eq!(meta.get("DatabaseName").map(String::as_str), Some("shop"));
    assert!(
        meta.contains_key("EngineVersion") && meta.contains_key("Port"),
        "{meta:?}"
    );

    // Restored with the metadata AWS Backup reported, the name changed.
    let mut asked: Vec<(&str, &str)> = meta
        .iter()
        .filter(|(k, _)| k.as_str() != "DBClusterIdentifier")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    asked.push(("DBClusterIdentifier", "carts-copy"));
    let restored = s.restore_job(&point, &asked).await;
    assert_eq!(
        restored.status(),
        Some(&RestoreJobStatus::Completed),
        "{restored:?}"
    );
    assert_eq!(
        restored.created_resource_arn(),
        Some("arn:aws:rds:us-east-1:000000000000:cluster:carts-copy")
    );
    let copy = s.wait_cluster("carts-copy").await;
    assert!(
        copy.db_cluster_members().is_empty(),
        "AWS Backup restores the cluster only"
    );
    assert_eq!(copy.engine(), Some("aurora-postgresql"));
    assert_eq!(s.rows_through_instance("carts-copy").await, expected());

    // Bad input: no cluster name; a cluster that does not exist.
    let refused = s.restore_job(&point, &[("Engine", "aurora-postgresql")]).await;
    assert_eq!(refused.status(), Some(&RestoreJobStatus::Failed));
    assert!(
        refused
            .status_message()
            .unwrap_or_default()
            .contains("DBClusterIdentifier"),
        "{refused:?}"
    );
    let taken = s.restore_job(&point, &[("DBClusterIdentifier", "carts")]).await;
    assert_eq!(
        taken.status(),
        Some(&RestoreJobStatus::Failed),
        "the name is in use"
    );
    let wrong_time = s
        .restore_job(
            &point,
            &[
                ("DBClusterIdentifier", "carts-pitr"),
                ("RestoreToTime", "2026-03-14T03:00:00Z"),
            ],
        )
        .await;
    assert_eq!(
        wrong_time.status(),
        Some(&RestoreJobStatus::Failed),
        "a snapshot recovery point has no point in time"
    );
    let missing = s
        .backup_job("arn:aws:rds:us-east-1:000000000000:cluster:nope")
        .await;
    assert_eq!(missing.state(), Some(&BackupJobState::Failed), "{missing:?}");
    assert!(
        missing.status_message().unwrap_or_default().contains("nope"),
        "{missing:?}"
    );
    let err = s
        .backup
        .start_backup_job()
        .backup_vault_name("prod")
        .resource_arn("arn:aws:rds:us-east-1:000000000000:cluster-pg:nope")
        .iam_role_arn(ROLE)
        .send()
        .await
        .expect_err("not a protected resource type");
    assert_eq!(
        aws_sdk_backup::error::ProvideErrorMetadata::code(&err),
        Some("InvalidParameterValueException")
    );

    // A copy into us-west-2 is a cluster snapshot there, restorable there.
    let copy_job = s
        .backup
        .start_copy_job()
        .recovery_point_arn(&point)
        .source_backup_vault_name("prod")
        .destination_backup_vault_arn("arn:aws:backup:us-west-2:000000000000:backup-vault:dr")
        .iam_role_arn(ROLE)
        .send()
        .await
        .expect("StartCopyJob")
        .copy_job_id()
        .expect("an id")
        .to_owned();
    let mut copied = None;
    for _ in 0..40 {
        let job = s
            .backup
            .describe_copy_job()
            .copy_job_id(&copy_job)
            .send()
            .await
            .expect("DescribeCopyJob");
        let job = job.copy_job().expect("a copy job").clone();
        if job.state() == Some(&CopyJobState::Completed) {
            copied = Some(job);
            break;
        }
        assert_ne!(job.state(), Some(&CopyJobState::Failed), "{job:?}");
        s.advance(Duration::seconds(30)).await;
    }
    let copied = copied.expect("the copy completed");
    let west_point = copied
        .destination_recovery_point_arn()
        .expect("a copy")
        .to_owned();
    assert!(
        west_point.starts_with("arn:aws:rds:us-west-2:000000000000:cluster-snapshot:awsbackup:copyjob-"),
        "{west_point}"
    );
    let west_snap = s
        .west_rds
        .describe_db_cluster_snapshots()
        .db_cluster_snapshot_identifier(&west_point)
        .send()
        .await
        .expect("the copy's cluster snapshot in us-west-2");
    assert_eq!(west_snap.db_cluster_snapshots()[0].status(), Some("available"));

    // Deleting the recovery point deletes its cluster snapshot.
    s.backup
        .delete_recovery_point()
        .backup_vault_name("prod")
        .recovery_point_arn(&point)
        .send()
        .await
        .expect("DeleteRecoveryPoint");
    let err = s
        .rds
        .describe_db_cluster_snapshots()
        .db_cluster_snapshot_identifier(&point)
        .send()
        .await
        .expect_err("the snapshot is gone");
    assert_eq!(
        aws_sdk_rds::error::ProvideErrorMetadata::code(&err),
        Some("DBClusterSnapshotNotFoundFault")
    );
    assert!(
        s.west_rds
            .describe_db_cluster_snapshots()
            .db_cluster_snapshot_identifier(&west_point)
            .send()
            .await
            .is_ok(),
        "the copy outlives the source point"
    );
    s.emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_testing_selection_of_aurora_restores_the_cluster_and_deletes_it() {
    if !postgres_installed() {
        eprintln!("SKIPPED: PostgreSQL is not installed");
        return;
    }
    let s = shop().await;
    let arn = cluster_with_orders(&s).await;
    let job = s.backup_job(&arn).await;
    assert_eq!(job.state(), Some(&BackupJobState::Completed), "{job:?}");
    let point = job.recovery_point_arn().expect("a point").to_owned();

    let plan = s
        .backup
        .create_restore_testing_plan()
        .restore_testing_plan(
            RestoreTestingPlanForCreate::builder()
                .restore_testing_plan_name("aurora_nightly")
                .schedule_expression("cron(0 * ? * * *)")
                .start_window_hours(1)
                .recovery_point_selection(
                    RestoreTestingRecoveryPointSelection::builder()
                        .algorithm(RestoreTestingRecoveryPointSelectionAlgorithm::LatestWithinWindow)
                        .recovery_point_types(RestoreTestingRecoveryPointType::Snapshot)
                        .include_vaults("*")
                        .selection_window_days(7)
                        .build(),
                )
                .build()
                .expect("plan"),
        )
        .send()
        .await
        .expect("CreateRestoreTestingPlan")
        .restore_testing_plan_arn()
        .to_owned();
    s.backup
        .create_restore_testing_selection()
        .restore_testing_plan_name("aurora_nightly")
        .restore_testing_selection(
            RestoreTestingSelectionForCreate::builder()
                .restore_testing_selection_name("carts")
                .iam_role_arn(ROLE)
                .protected_resource_type("Aurora")
                .protected_resource_arns(&arn)
                .validation_window_hours(1)
                .build()
                .expect("selection"),
        )
        .send()
        .await
        .expect("CreateRestoreTestingSelection with ProtectedResourceType Aurora");

    // 03:14 → 04:00 is the plan's first instant.
    s.advance(Duration::minutes(47)).await;
    let mut ended = None;
    for _ in 0..40 {
        let jobs = s
            .backup
            .list_restore_jobs()
            .by_restore_testing_plan_arn(&plan)
            .send()
            .await
            .expect("ListRestoreJobs");
        if let Some(j) = jobs.restore_jobs().first()
            && matches!(
                j.status(),
                Some(RestoreJobStatus::Completed | RestoreJobStatus::Failed)
            )
        {
            ended = Some(j.clone());
            break;
        }
        s.advance(Duration::seconds(30)).await;
    }
    let job = ended.expect("the restore test's job ended");
    assert_eq!(job.status(), Some(&RestoreJobStatus::Completed), "{job:?}");
    assert_eq!(job.recovery_point_arn(), Some(point.as_str()));
    assert_eq!(job.resource_type(), Some("Aurora"));
    let created = job.created_resource_arn().expect("a restored cluster").to_owned();
    let name = created.rsplit(':').next().expect("a name").to_owned();
    assert!(name.starts_with("awsbackup-restore-test-"), "{created}");
    s.wait_cluster(&name).await;
    assert_eq!(s.rows_through_instance(&name).await, expected());

    // The validation window closes: the cluster (and the instance added
    // to it) is deleted.
    s.advance(Duration::hours(1)).await;
    let id = job.restore_job_id().expect("an id").to_owned();
    let mut status = None;
    for _ in 0..60 {
        let described = s
            .backup
            .describe_restore_job()
            .restore_job_id(&id)
            .send()
            .await
            .expect("DescribeRestoreJob");
        status = described.deletion_status().cloned();
        if status == Some(RestoreDeletionStatus::Successful) {
            break;
        }
        assert_ne!(status, Some(RestoreDeletionStatus::Failed), "{described:?}");
        s.advance(Duration::seconds(30)).await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(status, Some(RestoreDeletionStatus::Successful));
    assert!(s.cluster_gone(&name).await, "the restored cluster is deleted");
    assert!(!s.cluster_gone("carts").await, "the source cluster stays");
    s.emulator.shutdown().await;
}

/// Whether the MariaDB server (which serves `aurora-mysql`) is installed.
fn mariadb_installed() -> bool {
    ["mariadbd", "mysqld"].iter().any(|b| {
        std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(b).exists()))
            || std::path::Path::new("/usr/sbin").join(b).exists()
    })
}

async fn mysql_rows(s: &Shop, instance: &str) -> Vec<(i32, String)> {
    use mysql_async::prelude::Queryable;
    let (host, port) = wait_rds_available(&s.rds, &s.emulator, instance).await;
    let opts = mysql_async::OptsBuilder::default()
        .ip_or_hostname(host)
        .tcp_port(port)
        .user(Some("shop"))
        .pass(Some("shop-password"))
        .db_name(Some("shop"))
        .prefer_socket(false);
    let mut db = mysql_async::Conn::new(opts).await.expect("MySQL connection");
    db.query("SELECT id, CAST(total AS CHAR) FROM orders ORDER BY id")
        .await
        .expect("SELECT")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aurora_mysql_backup_restores_the_rows_of_the_backup() {
    use mysql_async::prelude::Queryable;
    if !mariadb_installed() {
        eprintln!("SKIPPED: MariaDB (mariadbd) is not installed");
        return;
    }
    let s = shop().await;
    let arn = s
        .rds
        .create_db_cluster()
        .db_cluster_identifier("carts")
        .engine("aurora-mysql")
        .master_username("shop")
        .master_user_password("shop-password")
        .database_name("shop")
        .backup_retention_period(1)
        .send()
        .await
        .expect("CreateDBCluster")
        .db_cluster()
        .and_then(|c| c.db_cluster_arn())
        .expect("a cluster ARN")
        .to_owned();
    s.wait_cluster("carts").await;
    s.rds
        .create_db_instance()
        .db_instance_identifier("carts-1")
        .db_cluster_identifier("carts")
        .engine("aurora-mysql")
        .db_instance_class("db.r6g.large")
        .send()
        .await
        .expect("CreateDBInstance");
    let (host, port) = wait_rds_available(&s.rds, &s.emulator, "carts-1").await;
    let opts = mysql_async::OptsBuilder::default()
        .ip_or_hostname(host)
        .tcp_port(port)
        .user(Some("shop"))
        .pass(Some("shop-password"))
        .db_name(Some("shop"))
        .prefer_socket(false);
    let mut db = mysql_async::Conn::new(opts).await.expect("MySQL connection");
    db.query_drop(
        "CREATE TABLE orders (id int PRIMARY KEY, total decimal(10,2) NOT NULL);
         INSERT INTO orders VALUES (1, 10.50), (2, 20.00), (3, 31.25);",
    )
    .await
    .expect("seed");

    let job = s.backup_job(&arn).await;
    assert_eq!(job.state(), Some(&BackupJobState::Completed), "{job:?}");
    let point = job.recovery_point_arn().expect("a point").to_owned();
    db.query_drop("INSERT INTO orders VALUES (4, 99.99)")
        .await
        .expect("late order");
    let restored = s
        .restore_job(
            &point,
            &[("DBClusterIdentifier", "carts-copy"), ("Engine", "aurora-mysql")],
        )
        .await;
    assert_eq!(
        restored.status(),
        Some(&RestoreJobStatus::Completed),
        "{restored:?}"
    );
    s.wait_cluster("carts-copy").await;
    s.rds
        .create_db_instance()
        .db_instance_identifier("carts-copy-1")
        .db_cluster_identifier("carts-copy")
        .engine("aurora-mysql")
        .db_instance_class("db.r6g.large")
        .send()
        .await
        .expect("CreateDBInstance in the restored cluster");
    assert_eq!(mysql_rows(&s, "carts-copy-1").await, expected());
    s.emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_continuous_aurora_point_restores_to_the_latest_restorable_time() {
    if !postgres_installed() {
        eprintln!("SKIPPED: PostgreSQL is not installed");
        return;
    }
    let s = shop().await;
    let arn = cluster_with_orders(&s).await;
    let plan = s
        .backup
        .create_backup_plan()
        .backup_plan(
            aws_sdk_backup::types::BackupPlanInput::builder()
                .backup_plan_name("pitr")
                .rules(
                    aws_sdk_backup::types::BackupRuleInput::builder()
                        .rule_name("continuous")
                        .target_backup_vault_name("prod")
                        .schedule_expression("cron(0 * ? * * *)")
                        .start_window_minutes(60)
                        .enable_continuous_backup(true)
                        .build()
                        .expect("rule"),
                )
                .build()
                .expect("plan"),
        )
        .send()
        .await
        .expect("CreateBackupPlan");
    s.backup
        .create_backup_selection()
        .backup_plan_id(plan.backup_plan_id().expect("an id"))
        .backup_selection(
            aws_sdk_backup::types::BackupSelection::builder()
                .selection_name("carts")
                .iam_role_arn(ROLE)
                .resources(&arn)
                .build()
                .expect("selection"),
        )
        .send()
        .await
        .expect("CreateBackupSelection");
    s.advance(Duration::minutes(51)).await;
    let mut point = None;
    for _ in 0..40 {
        let points = s
            .backup
            .list_recovery_points_by_backup_vault()
            .backup_vault_name("prod")
            .send()
            .await
            .expect("ListRecoveryPointsByBackupVault");
        if let Some(p) = points
            .recovery_points()
            .iter()
            .find(|p| p.status() == Some(&aws_sdk_backup::types::RecoveryPointStatus::Completed))
        {
            point = Some(p.recovery_point_arn().expect("an ARN").to_owned());
            break;
        }
        s.advance(Duration::seconds(30)).await;
    }
    let point = point.expect("a continuous recovery point");
    // A write after the point's snapshot, inside the continuous window.
    let cluster = s.wait_cluster("carts").await;
    let db = sql(cluster.endpoint().unwrap(), cluster.port().unwrap() as u16).await;
    db.execute("INSERT INTO orders VALUES (4, 99.99)", &[])
        .await
        .expect("late order");
    s.advance(Duration::minutes(10)).await;
    let restored = s
        .restore_job(
            &point,
            &[
                ("DBClusterIdentifier", "carts-latest"),
                ("UseLatestRestorableTime", "true"),
            ],
        )
        .await;
    assert_eq!(
        restored.status(),
        Some(&RestoreJobStatus::Completed),
        "{restored:?}"
    );
    s.wait_cluster("carts-latest").await;
    let mut want = expected();
    want.push((4, "99.99".to_owned()));
    assert_eq!(s.rows_through_instance("carts-latest").await, want);
    s.emulator.shutdown().await;
}
