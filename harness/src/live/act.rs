//! Finding the first destructive act of a live session: in the emulator's
//! audit trail (a `BatchWriteItem` that deletes items, `DeleteTable`,
//! `DeleteObject`, `DeleteObjects`, `DeleteBucket`, `DeleteDBInstance`, a
//! region outage), in the orders database's statement log, and in the
//! session store's command log (`FLUSHALL`, `FLUSHDB`, a multi-key `DEL`;
//! [`cache_log`]).
//!
//! SQL reaches PostgreSQL directly, past the emulator, so `up` installs a
//! statement log in the orders database ([`install_statement_log`]): after
//! every `UPDATE` or `DELETE` statement touching more than one row, and every
//! `TRUNCATE`, of the shop's tables, a trigger notes the table, the statement
//! kind, the rows it touched and the wall instant (the emulator maps that to
//! its own clock). The shop's own traffic never touches more than one row per
//! statement, so whatever the log holds was typed by someone else. The
//! session's traffic never batch-deletes items nor deletes objects either,
//! so every such event in the audit trail is the person's.
//!
//! On the MySQL protocol (`up --store orders=mysql`) a trigger fires per
//! row, not per statement: each notes the table, the kind, its connection
//! and `NOW(6)`, which is the instant its statement began, so the rows one
//! statement touched share a connection and an instant, and a group of
//! more than one row is a statement typed by someone else. MySQL's
//! `TRUNCATE` fires no trigger.
//!
//! A `DROP TABLE` fires no table trigger. Where the orders database's role
//! may create event triggers (a superuser; RDS's `rds_superuser`), an
//! `sql_drop` event trigger logs it like the rest. Where it may not (the
//! emulator's master user is no superuser), a shop table found missing at
//! check time is the act, dated just after the recorded traffic's last
//! acknowledged write to it ([`inferred_drops`]): the drop came later, so
//! the restore point before it still holds the table.

use super::cache_log::{self, CacheCommand};
use super::{LiveDir, LiveRecord};
use crate::model::Store;
use crate::target::Target;
use anyhow::Context;
use chrono::{DateTime, Utc};
use firedrill_emulator::{AdminClient, AuditEvent};
use serde::{Deserialize, Serialize};

/// The shop's tables the statement log watches.
const LOGGED_TABLES: [&str; 4] = ["orders", "order_items", "inventory", "payments"];

/// The statement log: its table, its trigger function, and per table one
/// trigger per statement kind (a trigger with a transition table may have
/// only one event).
fn statement_log_sql() -> String {
    let mut sql = String::from(
        "CREATE TABLE IF NOT EXISTS firedrill_statement_log (
            id bigserial PRIMARY KEY,
            at timestamptz NOT NULL DEFAULT clock_timestamp(),
            table_name text NOT NULL,
            op text NOT NULL,
            row_count bigint NOT NULL,
            application text
        );
        CREATE OR REPLACE FUNCTION firedrill_log_statement() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE n bigint := -1;
        BEGIN
            IF TG_OP <> 'TRUNCATE' THEN
                SELECT count(*) INTO n FROM firedrill_old_rows;
            END IF;
            IF TG_OP = 'TRUNCATE' OR n > 1 THEN
                INSERT INTO firedrill_statement_log (table_name, op, row_count, application)
                VALUES (TG_TABLE_NAME, TG_OP, n, current_setting('application_name', true));
            END IF;
            RETURN NULL;
        END $$;\n",
    );
    for t in LOGGED_TABLES {
        for op in ["UPDATE", "DELETE"] {
            sql.push_str(&format!(
                "DROP TRIGGER IF EXISTS firedrill_log_{o} ON {t};
                 CREATE TRIGGER firedrill_log_{o} AFTER {op} ON {t}
                 REFERENCING OLD TABLE AS firedrill_old_rows
                 FOR EACH STATEMENT EXECUTE FUNCTION firedrill_log_statement();\n",
                o = op.to_ascii_lowercase()
            ));
        }
        sql.push_str(&format!(
            "DROP TRIGGER IF EXISTS firedrill_log_truncate ON {t};
             CREATE TRIGGER firedrill_log_truncate AFTER TRUNCATE ON {t}
             FOR EACH STATEMENT EXECUTE FUNCTION firedrill_log_statement();\n"
        ));
    }
    sql
}

/// The event trigger that logs a `DROP TABLE` of a shop table into the
/// statement log (installed apart: only some roles may create it).
fn drop_log_sql() -> String {
    let tables = LOGGED_TABLES.map(|t| format!("'{t}'")).join(", ");
    format!(
        "CREATE OR REPLACE FUNCTION firedrill_log_drop() RETURNS event_trigger LANGUAGE plpgsql AS $$
        DECLARE obj record;
        BEGIN
            FOR obj IN SELECT * FROM pg_event_trigger_dropped_objects()
                WHERE object_type = 'table' AND schema_name = 'public' AND object_name IN ({tables})
            LOOP
                INSERT INTO firedrill_statement_log (table_name, op, row_count, application)
                VALUES (obj.object_name, 'DROP TABLE', -1, current_setting('application_name', true));
            END LOOP;
        END $$;
        DROP EVENT TRIGGER IF EXISTS firedrill_log_drop;
        CREATE EVENT TRIGGER firedrill_log_drop ON sql_drop EXECUTE FUNCTION firedrill_log_drop();\n"
    )
}

/// The row log on the MySQL protocol: its table and, per table, one
/// trigger per statement kind.
fn mysql_row_log_sql() -> Vec<String> {
    let mut sql = vec![
        "CREATE TABLE IF NOT EXISTS firedrill_row_log (
            id BIGINT AUTO_INCREMENT PRIMARY KEY,
            at DATETIME(6) NOT NULL,
            table_name VARCHAR(64) NOT NULL,
            op VARCHAR(16) NOT NULL,
            connection BIGINT NOT NULL
        ) ENGINE=InnoDB"
            .to_owned(),
    ];
    for t in LOGGED_TABLES {
        for op in ["UPDATE", "DELETE"] {
            let name = format!("firedrill_log_{}_{t}", op.to_ascii_lowercase());
            sql.push(format!("DROP TRIGGER IF EXISTS {name}"));
            sql.push(format!(
                "CREATE TRIGGER {name} AFTER {op} ON {t} FOR EACH ROW \
                 INSERT INTO firedrill_row_log (at, table_name, op, connection) \
                 VALUES (NOW(6), '{t}', '{op}', CONNECTION_ID())"
            ));
        }
    }
    sql
}

/// Installs the statement log in the orders database of `store`, with the
/// `DROP TABLE` event trigger when the role may create one; returns whether
/// it could (never on the MySQL protocol, which has no event triggers).
pub async fn install_statement_log(target: &dyn Target, store: &Store) -> anyhow::Result<bool> {
    use mysql_async::prelude::Queryable;
    let db = match crate::store::orders::connect(target, store).await? {
        crate::store::orders::OrdersDb::Postgres(db) => db,
        crate::store::orders::OrdersDb::Mysql(mut db) => {
            for statement in mysql_row_log_sql() {
                db.query_drop(statement)
                    .await
                    .context("creating the row log and its triggers (MySQL)")?;
            }
            let _ = db.disconnect().await;
            return Ok(false);
        }
    };
    db.batch_execute(&statement_log_sql())
        .await
        .context("creating the statement log and its triggers")?;
    match db.batch_execute(&drop_log_sql()).await {
        Ok(()) => Ok(true),
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) => {
            tracing::info!(
                "the orders database's role may not create event triggers: a DROP TABLE is found from the table missing"
            );
            Ok(false)
        }
        Err(e) => Err(anyhow::Error::new(e).context("creating the DROP TABLE event trigger")),
    }
}

/// One statement the log holds, on the emulator's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// When it ran (emulator clock).
    pub at: DateTime<Utc>,
    /// The table.
    pub table: String,
    /// `UPDATE`, `DELETE`, `TRUNCATE` or `DROP TABLE`.
    pub op: String,
    /// Rows touched (-1: unknown, for TRUNCATE).
    pub rows: i64,
    /// The client's `application_name` (`psql`, ...).
    pub application: Option<String>,
    /// Not logged but inferred: a dropped table's instant taken from the
    /// traffic's first operation refused for its absence.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub inferred: bool,
}

/// Each dropped table the log does not hold, dated (pure): just after the
/// last operation of `history` that wrote to it and was acknowledged before
/// the first one the server refused for the table's absence, or at
/// `started_at` when none did. The drop happened after that instant, so a
/// restore to the restore point before it brings the table back.
pub fn inferred_drops(
    missing: &[String],
    history: &crate::history::History,
    logged: &[Statement],
    started_at: DateTime<Utc>,
) -> Vec<Statement> {
    use crate::history::Outcome;
    let mut found = Vec::new();
    for table in missing {
        if logged.iter().any(|s| s.op == "DROP TABLE" && s.table == *table) {
            continue;
        }
        let refused = history
            .ops()
            .iter()
            .filter(|o| o.outcome == Outcome::Fail)
            .filter(|o| o.error.as_deref().is_some_and(|e| says_absent(e, table)))
            .map(|o| o.invoke)
            .min();
        let writes_table =
            |o: &&crate::history::Op| o.writes.iter().any(|w| w.key.collection.name() == table);
        let reached = history
            .ops()
            .iter()
            .filter(|o| o.outcome == Outcome::Ok)
            .filter(writes_table)
            .map(|o| o.complete)
            .filter(|t| refused.is_none_or(|r| *t < r))
            .max();
        found.push(Statement {
            at: reached.map_or(started_at, |t| t + chrono::Duration::milliseconds(1)),
            table: table.clone(),
            op: "DROP TABLE".to_owned(),
            rows: -1,
            application: None,
            inferred: true,
        });
    }
    found
}

/// Whether a server's error says `table` does not exist (PostgreSQL's
/// `relation "payments" does not exist`, MySQL's `Table 'store.payments'
/// doesn't exist`).
fn says_absent(error: &str, table: &str) -> bool {
    error.contains(&format!("relation \"{table}\" does not exist"))
        || error.contains(&format!(".{table}' doesn't exist"))
}

/// The name the statement log's acts give their source: `postgresql`, or
/// the RDS engine on the MySQL protocol (`mysql`, `mariadb`).
fn sql_source(record: &LiveRecord) -> String {
    match record.store.db_engine.as_str() {
        "postgres" => "postgresql".to_owned(),
        other => other.to_owned(),
    }
}

/// The statements of the MySQL row log (each group of rows one statement
/// touched, when more than one), at their wall instants, and the shop's
/// tables that no longer exist.
async fn mysql_statements(
    db: &mut mysql_async::Conn,
) -> anyhow::Result<(Vec<(DateTime<Utc>, String, String, i64)>, Vec<String>)> {
    use mysql_async::prelude::Queryable;
    let rows: Vec<(String, String, String, i64)> = db
        .query(
            "SELECT DATE_FORMAT(at, '%Y-%m-%dT%H:%i:%s.%fZ'), table_name, op, COUNT(*) \
             FROM firedrill_row_log GROUP BY at, table_name, op, connection \
             HAVING COUNT(*) > 1 ORDER BY at",
        )
        .await
        .context("reading the row log (MySQL)")?;
    let mut out = Vec::new();
    for (at, table, op, n) in rows {
        let at: DateTime<Utc> = at
            .parse()
            .with_context(|| format!("the row log's instant {at:?}"))?;
        out.push((at, table, op, n));
    }
    let present: Vec<String> = db
        .query("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()")
        .await
        .context("looking for dropped tables (MySQL)")?;
    let missing = LOGGED_TABLES
        .iter()
        .filter(|t| !present.iter().any(|p| p == *t))
        .map(|t| (*t).to_owned())
        .collect();
    Ok((out, missing))
}

/// The shop's tables that no longer exist in the database `db` is connected to.
async fn missing_tables(db: &tokio_postgres::Client) -> anyhow::Result<Vec<String>> {
    let tables: Vec<&str> = LOGGED_TABLES.to_vec();
    let rows = db
        .query(
            "SELECT t FROM unnest($1::text[]) AS t WHERE to_regclass(format('public.%I', t)) IS NULL ORDER BY t",
            &[&tables],
        )
        .await
        .context("looking for dropped tables")?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Reads the statement log of the database at `store`, its instants mapped
/// to the emulator's clock, with the drops [`inferred_drops`] finds from
/// the record's history.
pub async fn read_statement_log(
    target: &dyn Target,
    store: &Store,
    admin: &AdminClient,
    record: &LiveRecord,
) -> anyhow::Result<Vec<Statement>> {
    let db = match crate::store::orders::connect(target, store).await? {
        crate::store::orders::OrdersDb::Postgres(db) => db,
        crate::store::orders::OrdersDb::Mysql(mut db) => {
            let read = mysql_statements(&mut db).await;
            let _ = db.disconnect().await;
            let (logged, missing) = read?;
            let walls: Vec<DateTime<Utc>> = logged.iter().map(|s| s.0).collect();
            let instants = admin
                .emulated_times_for(&walls)
                .await
                .context("mapping the statements' instants to the emulator's clock")?;
            let mut out: Vec<Statement> = logged
                .into_iter()
                .zip(instants)
                .map(|((_, table, op, rows), at)| Statement {
                    at,
                    table,
                    op,
                    rows,
                    application: None,
                    inferred: false,
                })
                .collect();
            let inferred = inferred_drops(&missing, &record.history, &out, record.started_at);
            out.extend(inferred);
            out.sort_by_key(|s| s.at);
            return Ok(out);
        }
    };
    let rows = db
        .query(
            "SELECT at, table_name, op, row_count, application FROM firedrill_statement_log ORDER BY at, id",
            &[],
        )
        .await
        .context("reading the statement log")?;
    let walls: Vec<DateTime<Utc>> = rows.iter().map(|r| r.get(0)).collect();
    let instants = admin
        .emulated_times_for(&walls)
        .await
        .context("mapping the statements' instants to the emulator's clock")?;
    let mut out = Vec::new();
    for (row, at) in rows.iter().zip(instants) {
        out.push(Statement {
            at,
            table: row.get(1),
            op: row.get(2),
            rows: row.get(3),
            application: row.get(4),
            inferred: false,
        });
    }
    let missing = missing_tables(&db).await?;
    let inferred = inferred_drops(&missing, &record.history, &out, record.started_at);
    out.extend(inferred);
    out.sort_by_key(|s| s.at);
    Ok(out)
}

/// The first destructive act.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Act {
    /// When (emulator clock).
    pub at: DateTime<Utc>,
    /// Where it was seen: `dynamodb`, `s3`, `rds`, `firedrill` (the admin
    /// API) or `postgresql` (the statement log).
    pub source: String,
    /// The operation: `BatchWriteItem`, `DeleteObject`, `UPDATE`, ...
    pub operation: String,
    /// What it acted on.
    pub resource: String,
    /// Who, when known.
    pub principal: Option<String>,
}

impl Act {
    /// The act in a line.
    pub fn describe(&self) -> String {
        let who = self
            .principal
            .as_deref()
            .map(|p| format!(" by {p}"))
            .unwrap_or_default();
        format!(
            "{} {} {}{who} at {}",
            self.source,
            self.operation,
            self.resource,
            self.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        )
    }
}

/// Whether an audited event is a destructive act on the live store.
fn destroys(e: &AuditEvent, record: &LiveRecord) -> bool {
    let s = &record.store;
    if e.result != "Success" || e.event_time < record.started_at {
        return false;
    }
    let tables = [s.carts_table.as_str(), s.sessions_table.as_str()];
    let buckets = [
        s.images_bucket.as_str(),
        s.invoices_bucket.as_str(),
        s.templates_bucket.as_str(),
    ];
    let bucket_arn = |b: &str| format!("arn:aws:s3:::{b}");
    match (e.event_source.as_str(), e.event_name.as_str()) {
        ("dynamodb", "BatchWriteItem" | "DeleteTable") => tables
            .iter()
            .any(|t| e.resource == *t || e.resource.ends_with(&format!(":table/{t}"))),
        ("s3", "DeleteObject") => buckets
            .iter()
            .any(|b| e.resource.starts_with(&format!("{}/", bucket_arn(b)))),
        ("s3", "DeleteObjects" | "DeleteBucket") => buckets.iter().any(|b| e.resource == bucket_arn(b)),
        ("rds", "DeleteDBInstance") => {
            e.resource == s.db_instance || e.resource.ends_with(&format!(":db:{}", s.db_instance))
        }
        ("firedrill", "StartRegionOutage") => e.region == s.region,
        _ => false,
    }
}

/// The earliest destructive act in `audit` and `statements` (pure).
pub fn first_act(audit: &[AuditEvent], statements: &[Statement], record: &LiveRecord) -> Option<Act> {
    let from_audit = audit.iter().filter(|e| destroys(e, record)).map(|e| Act {
        at: e.event_time,
        source: e.event_source.clone(),
        operation: e.event_name.clone(),
        resource: e.resource.clone(),
        principal: Some(e.principal.clone()),
    });
    let from_sql = statements
        .iter()
        .filter(|s| s.at >= record.started_at)
        .map(|s| Act {
            at: s.at,
            source: sql_source(record),
            operation: s.op.clone(),
            resource: if s.inferred {
                format!(
                    "{} (gone; the log holds no DROP, so the act is dated just after the traffic's last write to it)",
                    s.table
                )
            } else if s.rows >= 0 {
                format!("{} ({} rows)", s.table, s.rows)
            } else {
                s.table.clone()
            },
            principal: s.application.clone().filter(|a| !a.is_empty()),
        });
    from_audit.chain(from_sql).min_by_key(|a| a.at)
}

/// What was looked at to find the act, and what could not be.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// The first act, if any.
    pub act: Option<Act>,
    /// Sources that could not be read, with the reason.
    pub unread: Vec<String>,
}

/// Reads the audit trail, the statement log of the original store and the
/// session store's command log in `dir`.
pub async fn find(
    target: &dyn Target,
    record: &LiveRecord,
    dir: &LiveDir,
    admin: &AdminClient,
) -> anyhow::Result<Found> {
    let audit = admin
        .audit()
        .await
        .context("reading the emulator's audit trail")?;
    let store = record.store()?;
    let mut unread = Vec::new();
    let statements = match read_statement_log(target, &store, admin, record).await {
        Ok(s) => s,
        Err(e) => {
            unread.push(format!("the orders database's statement log: {e:#}"));
            Vec::new()
        }
    };
    let mut cache = Vec::new();
    match read_cache_log(admin, dir).await {
        Ok(c) => cache = c,
        Err(e) => unread.push(format!("the session store's command log: {e:#}")),
    }
    let act = first_act(&audit, &statements, record)
        .into_iter()
        .chain(cache_acts(&cache, record))
        .min_by_key(|a| a.at);
    Ok(Found { act, unread })
}

/// The session store's command log, each command with its instant on the
/// emulator's clock.
async fn read_cache_log(
    admin: &AdminClient,
    dir: &LiveDir,
) -> anyhow::Result<Vec<(DateTime<Utc>, CacheCommand)>> {
    let commands = cache_log::read(&dir.cache_log())?;
    let walls: Vec<DateTime<Utc>> = commands.iter().map(|c| c.wall).collect();
    let instants = admin
        .emulated_times_for(&walls)
        .await
        .context("mapping the Redis commands' instants to the emulator's clock")?;
    Ok(instants.into_iter().zip(commands).collect())
}

/// The acts of the session store's command log (pure): each destructive
/// command on the store's replication group since the session began.
pub fn cache_acts(commands: &[(DateTime<Utc>, CacheCommand)], record: &LiveRecord) -> Vec<Act> {
    let group = record.store.cache_replication_group.clone().unwrap_or_default();
    commands
        .iter()
        .filter(|(at, _)| *at >= record.started_at)
        .map(|(at, c)| Act {
            at: *at,
            source: "redis".to_owned(),
            operation: c.command.clone(),
            resource: match c.keys {
                Some(n) => format!("{group} ({n} keys)"),
                None => group.clone(),
            },
            principal: Some(c.client.clone()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::fixtures::record;

    fn at(s: i64) -> DateTime<Utc> {
        "2026-03-14T03:00:00Z".parse::<DateTime<Utc>>().expect("instant") + chrono::Duration::seconds(s)
    }

    fn event(s: i64, source: &str, name: &str, resource: &str) -> AuditEvent {
        AuditEvent {
            event_time: at(s),
            event_source: source.into(),
            event_name: name.into(),
            // An outage's resource is its region, as the emulator records it.
            region: if source == "firedrill" {
                resource
            } else {
                "us-east-1"
            }
            .into(),
            principal: "arn:aws:iam::000000000000:user/test".into(),
            resource: resource.into(),
            result: "Success".into(),
        }
    }

    #[test]
    fn a_flush_of_the_session_store_is_an_act_from_the_session_on() {
        let mut r = record();
        r.store.cache_replication_group = Some("shop-sess".into());
        let flush = |s: i64, line: &str| (at(s), cache_log::destructive(line).expect("destructive"));
        let commands = [
            flush(-5, r#"1765000000.000000 [0 127.0.0.1:9] "FLUSHALL""#),
            flush(7, r#"1765000000.000000 [0 127.0.0.1:9] "DEL" "a" "b""#),
        ];
        let acts = cache_acts(&commands, &r);
        assert_eq!(
            acts.len(),
            1,
            "a flush before the session began is not the person's"
        );
        assert_eq!(acts[0].at, at(7));
        assert_eq!(
            acts[0].describe(),
            format!(
                "redis DEL shop-sess (2 keys) by 127.0.0.1:9 at {}",
                "2026-03-14T03:00:07.000Z"
            )
        );
    }

    #[test]
    fn each_kind_of_act_is_found_and_the_earliest_wins() {
        let r = record();
        let kinds = [
            event(10, "dynamodb", "BatchWriteItem", "shop-carts"),
            event(10, "dynamodb", "DeleteTable", "shop-sessions"),
            event(
                10,
                "s3",
                "DeleteObject",
                "arn:aws:s3:::shop-invoices/invoices/o-1.pdf",
            ),
            event(10, "s3", "DeleteObjects", "arn:aws:s3:::shop-product-images"),
            event(10, "s3", "DeleteBucket", "arn:aws:s3:::shop-templates"),
            event(10, "rds", "DeleteDBInstance", "shop-orders"),
            event(10, "firedrill", "StartRegionOutage", "us-east-1"),
        ];
        for k in &kinds {
            let act =
                first_act(std::slice::from_ref(k), &[], &r).unwrap_or_else(|| panic!("{k:?} is an act"));
            assert_eq!(act.at, at(10));
            assert_eq!(act.operation, k.event_name);
        }
        let sql = Statement {
            at: at(5),
            table: "orders".into(),
            op: "UPDATE".into(),
            rows: 40,
            application: Some("psql".into()),
            inferred: false,
        };
        let act = first_act(&kinds, std::slice::from_ref(&sql), &r).expect("an act");
        assert_eq!(act.source, "postgresql");
        assert_eq!(act.resource, "orders (40 rows)");
        assert!(
            act.describe().contains("UPDATE orders (40 rows) by psql"),
            "{}",
            act.describe()
        );
    }

    #[test]
    fn a_dropped_table_is_dated_just_after_the_last_write_that_reached_it() {
        use crate::history::{Collection, History, Key, OpKind, Outcome, Process, Value, Write};
        let mut h = History::new();
        let pay = |h: &mut History, s: i64, error: Option<&str>| {
            let p = h.invoke(
                Process::Client(0),
                OpKind::PlaceOrder,
                vec![Write::put(
                    Key::new(Collection::Payments, format!("p-{s}")),
                    Value::row([("amount", "1")]),
                )],
                at(s),
            );
            let outcome = if error.is_some() {
                Outcome::Fail
            } else {
                Outcome::Ok
            };
            h.complete(
                p,
                at(s) + chrono::Duration::milliseconds(30),
                outcome,
                error.map(str::to_owned),
            );
        };
        pay(&mut h, 10, None);
        pay(&mut h, 15, Some("db error: ERROR: deadlock detected"));
        pay(&mut h, 18, None);
        pay(
            &mut h,
            21,
            Some("db error: ERROR: relation \"payments\" does not exist"),
        );
        pay(
            &mut h,
            25,
            Some("db error: ERROR: relation \"payments\" does not exist"),
        );
        let missing = vec!["payments".to_owned(), "inventory".to_owned()];
        let found = inferred_drops(&missing, &h, &[], at(0));
        assert_eq!(found.len(), 2, "{found:?}");
        let payments = &found[0];
        assert_eq!(
            (payments.at, payments.op.as_str()),
            (at(18) + chrono::Duration::milliseconds(31), "DROP TABLE")
        );
        assert!(payments.inferred);
        // Nothing ever wrote to inventory: it was there when the session began.
        assert_eq!((found[1].table.as_str(), found[1].at), ("inventory", at(0)));

        let act = first_act(&[], &found[..1], &record()).expect("the drop is an act");
        assert_eq!(
            (act.source.as_str(), act.operation.as_str()),
            ("postgresql", "DROP TABLE")
        );
        assert!(
            act.describe()
                .starts_with("postgresql DROP TABLE payments (gone;"),
            "{}",
            act.describe()
        );
        // The restore point is before the drop and after the last write.
        let point = crate::live::check::restore_point_of(act.at);
        assert!(point < at(21) && point >= at(18), "{point}");

        // A DROP the event trigger logged wins over the inference.
        let logged = Statement {
            at: at(20),
            table: "payments".into(),
            op: "DROP TABLE".into(),
            rows: -1,
            application: Some("psql".into()),
            inferred: false,
        };
        let found = inferred_drops(&missing, &h, std::slice::from_ref(&logged), at(0));
        assert!(found.iter().all(|s| s.table != "payments"), "{found:?}");
        let act = first_act(&[], &[logged], &record()).expect("an act");
        assert!(
            act.describe()
                .starts_with("postgresql DROP TABLE payments by psql at "),
            "{}",
            act.describe()
        );
    }

    #[test]
    fn what_is_not_the_persons_act_is_passed_over() {
        let r = record();
        let mut failed = event(10, "dynamodb", "BatchWriteItem", "shop-carts");
        failed.result = "ValidationException".into();
        let ignored = [
            failed,
            event(-5, "dynamodb", "BatchWriteItem", "shop-carts"),
            event(10, "dynamodb", "BatchWriteItem", "other-carts"),
            event(10, "dynamodb", "RestoreTableToPointInTime", "shop-carts"),
            event(10, "s3", "DeleteObject", "arn:aws:s3:::shop-invoices-copy/x"),
            event(10, "firedrill", "StartRegionOutage", "us-west-2"),
            event(10, "firedrill", "EndRegionOutage", "us-east-1"),
            event(10, "rds", "DeleteDBInstance", "shop-orders-restored"),
        ];
        assert_eq!(first_act(&ignored, &[], &r), None);
    }
}
