//! RDS probes: point-in-time restore to T, checked row by row over SQL,
//! and the DBInstanceNotFound error code.

use super::Outcome;
use super::support::{Created, Ctx, DRILL_TAG_KEY, Step, code, describe, fail};
use crate::model::{chrono_to_smithy, smithy_to_chrono};
use aws_sdk_rds::Client;
use aws_sdk_rds::types::{DbInstance, Tag};
use parking_lot::Mutex;
use std::time::Duration as StdDuration;

const USER: &str = "firedrill";
const DB: &str = "matrix";

/// Whether the target answers RDS at all; `Err` with `Unsupported` when not.
pub(crate) async fn rds_offered(ctx: &Ctx<'_>) -> Step<()> {
    ctx.clients
        .rds
        .describe_db_instances()
        .max_records(20)
        .send()
        .await
        .map_err(fail("DescribeDBInstances"))?;
    Ok(())
}

async fn describe_instance(rds: &Client, id: &str) -> Step<DbInstance> {
    rds.describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
        .map_err(fail("DescribeDBInstances"))?
        .db_instances()
        .first()
        .cloned()
        .ok_or_else(|| Outcome::Error(format!("DescribeDBInstances {id} returned nothing")))
}

async fn wait_available(ctx: &Ctx<'_>, rds: &Client, id: &str) -> Step<DbInstance> {
    let last = Mutex::new(String::new());
    let got = ctx
        .poll(&ctx.opts.rds_wait, || {
            let last = &last;
            async move {
                let i = describe_instance(rds, id).await?;
                let status = i.db_instance_status().unwrap_or_default().to_owned();
                if status == "failed" {
                    return Err(Outcome::Error(format!("instance {id} failed")));
                }
                *last.lock() = status.clone();
                Ok((status == "available").then_some(i))
            }
        })
        .await?;
    got.ok_or_else(|| {
        Outcome::Error(format!(
            "instance {id} did not become available (last: {})",
            last.lock()
        ))
    })
}

async fn connect(ctx: &Ctx<'_>, i: &DbInstance, password: &str) -> Step<tokio_postgres::Client> {
    let ep = i
        .endpoint()
        .ok_or_else(|| Outcome::Error("the instance has no endpoint".into()))?;
    let (host, port) = ctx.target.database_address(
        ep.address().unwrap_or_default(),
        u16::try_from(ep.port().unwrap_or(5432)).unwrap_or(5432),
    );
    // Only a real account's instances are reached over the network; any
    // other target's database must be on this machine.
    if ctx.target.name() != "aws"
        && crate::stack::is_loopback_endpoint(&if host.contains(':') {
            format!("http://[{host}]:{port}")
        } else {
            format!("http://{host}:{port}")
        }) != Some(true)
    {
        return Err(Outcome::Unsupported(format!(
            "the instance endpoint {host}:{port} is not on this machine: the target models RDS without a database engine"
        )));
    }
    let mut config = tokio_postgres::Config::new();
    config
        .host(&host)
        .port(port)
        .user(USER)
        .password(password)
        .dbname(DB)
        .connect_timeout(StdDuration::from_secs(10));
    let connected =
        tokio::time::timeout(StdDuration::from_secs(15), config.connect(tokio_postgres::NoTls)).await;
    match connected {
        Ok(Ok((client, conn))) => {
            tokio::spawn(async move {
                let _ = conn.await;
            });
            Ok(client)
        }
        Ok(Err(e)) => Err(Outcome::Unsupported(format!(
            "the instance endpoint {host}:{port} accepts no PostgreSQL connection ({e}); the target models RDS without a database engine or it is unreachable from here"
        ))),
        Err(_) => Err(Outcome::Unsupported(format!(
            "connecting to the instance endpoint {host}:{port} timed out; the target models RDS without a database engine or it is unreachable from here"
        ))),
    }
}

async fn rows(db: &tokio_postgres::Client) -> Step<Vec<(i32, String)>> {
    Ok(db
        .query("SELECT id, v FROM probe ORDER BY id", &[])
        .await
        .map_err(|e| Outcome::Error(format!("reading the probe table: {e}")))?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

/// Create, write, note T, change, restore to T, compare over SQL.
pub(crate) async fn pitr_to_t(ctx: &Ctx<'_>, details: &mut Vec<String>) -> Step<Outcome> {
    let rds = &ctx.clients.rds;
    rds_offered(ctx).await?;
    let id = ctx.name("rds");
    let restored = ctx.name("rds-at-t");
    let password = format!("Fd-{}-{}", ctx.run_id, crate::matrix::new_run_id());
    let out = rds
        .create_db_instance()
        .db_instance_identifier(&id)
        .db_instance_class("db.t3.micro")
        .engine("postgres")
        .allocated_storage(20)
        .master_username(USER)
        .master_user_password(&password)
        .db_name(DB)
        .backup_retention_period(1)
        .tags(Tag::builder().key(DRILL_TAG_KEY).value(&ctx.run_id).build())
        .send()
        .await
        .map_err(fail("CreateDBInstance"))?;
    ctx.created(Created::DbInstance {
        region: ctx.clients.region.clone(),
        id: id.clone(),
    });
    let status = out
        .db_instance()
        .and_then(|i| i.db_instance_status())
        .unwrap_or("(no DBInstanceStatus)")
        .to_owned();
    details.push(format!("CreateDBInstance {id}: {status}"));
    ctx.observe("CreateDBInstance", status, "creating");
    let instance = wait_available(ctx, rds, &id).await?;
    let db = connect(ctx, &instance, &password).await?;
    let sql = |e: tokio_postgres::Error| Outcome::Error(format!("SQL on {id}: {e}"));
    db.batch_execute(
        "CREATE TABLE probe (id int PRIMARY KEY, v text NOT NULL);
         INSERT INTO probe SELECT g, 'before' FROM generate_series(1, 10) g;",
    )
    .await
    .map_err(sql)?;
    let expected = rows(&db).await?;
    ctx.pass_time().await?;
    let t = ctx.target.now();
    details.push(format!("T = {t}: 10 rows 'before'"));
    ctx.pass_time().await?;
    db.batch_execute("UPDATE probe SET v = 'after' WHERE id <= 5; DELETE FROM probe WHERE id > 5;")
        .await
        .map_err(sql)?;
    let after = rows(&db).await?;
    drop(db);

    let last = Mutex::new(String::new());
    let ready = ctx
        .poll(&ctx.opts.rds_wait, || {
            let (last, id) = (&last, &id);
            async move {
                let i = describe_instance(rds, id).await?;
                let lrt = i.latest_restorable_time().and_then(|d| smithy_to_chrono(*d));
                *last.lock() = format!("LatestRestorableTime {lrt:?}");
                Ok(match lrt {
                    Some(l) if l >= t => Some(()),
                    Some(_) => None,
                    None => Some(()),
                })
            }
        })
        .await?;
    if ready.is_none() {
        return Ok(Outcome::NotHonoured(format!(
            "T never entered the restorable window ({})",
            last.lock()
        )));
    }
    let out = rds
        .restore_db_instance_to_point_in_time()
        .source_db_instance_identifier(&id)
        .target_db_instance_identifier(&restored)
        .restore_time(chrono_to_smithy(t))
        .tags(Tag::builder().key(DRILL_TAG_KEY).value(&ctx.run_id).build())
        .send()
        .await
        .map_err(fail("RestoreDBInstanceToPointInTime"))?;
    ctx.created(Created::DbInstance {
        region: ctx.clients.region.clone(),
        id: restored.clone(),
    });
    let status = out
        .db_instance()
        .and_then(|i| i.db_instance_status())
        .unwrap_or("(no DBInstanceStatus)")
        .to_owned();
    details.push(format!("RestoreDBInstanceToPointInTime -> {restored}: {status}"));
    ctx.observe("RestoreDBInstanceToPointInTime", status, "creating");
    let instance = wait_available(ctx, rds, &restored).await?;
    let db = connect(ctx, &instance, &password).await?;
    let got = rows(&db).await?;
    details.push(format!("restored instance holds {} rows", got.len()));
    Ok(if got == expected {
        Outcome::Honoured
    } else if got == after {
        Outcome::NotHonoured("the restore to T returned the database as it is now, not as it was at T".into())
    } else {
        Outcome::NotHonoured(format!(
            "the restore to T holds {got:?}; at T the table held {expected:?}"
        ))
    })
}

/// DescribeDBInstances on a missing id: DBInstanceNotFound.
pub(crate) async fn not_found(ctx: &Ctx<'_>, details: &mut Vec<String>) -> Step<Result<(), String>> {
    rds_offered(ctx).await?;
    let id = ctx.name("missing");
    Ok(
        match ctx
            .clients
            .rds
            .describe_db_instances()
            .db_instance_identifier(&id)
            .send()
            .await
        {
            Ok(_) => Err(format!("DescribeDBInstances of the missing {id} succeeded")),
            Err(e) if code(&e) == "DBInstanceNotFound" => {
                details.push(format!("DescribeDBInstances(missing): {}", describe(&e)));
                Ok(())
            }
            Err(e) => Err(format!(
                "DescribeDBInstances of a missing instance answered {} where AWS answers DBInstanceNotFound",
                describe(&e)
            )),
        },
    )
}
