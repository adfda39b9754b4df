//! Finding the first destructive act of a live session: in the emulator's
//! audit trail (a `BatchWriteItem` that deletes items, `DeleteTable`,
//! `DeleteObject`, `DeleteObjects`, `DeleteBucket`, `DeleteDBInstance`, a
//! region outage), and in the orders database's statement log.
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

use super::LiveRecord;
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

/// Installs the statement log in the orders database of `store`.
pub async fn install_statement_log(target: &dyn Target, store: &Store) -> anyhow::Result<()> {
    let db = store.connect(target).await?;
    db.batch_execute(&statement_log_sql())
        .await
        .context("creating the statement log and its triggers")?;
    Ok(())
}

/// One statement the log holds, on the emulator's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// When it ran (emulator clock).
    pub at: DateTime<Utc>,
    /// The table.
    pub table: String,
    /// `UPDATE`, `DELETE` or `TRUNCATE`.
    pub op: String,
    /// Rows touched (-1: unknown, for TRUNCATE).
    pub rows: i64,
    /// The client's `application_name` (`psql`, ...).
    pub application: Option<String>,
}

/// Reads the statement log of the database at `store`, its instants mapped
/// to the emulator's clock.
pub async fn read_statement_log(
    target: &dyn Target,
    store: &Store,
    admin: &AdminClient,
) -> anyhow::Result<Vec<Statement>> {
    let db = store.connect(target).await?;
    let rows = db
        .query(
            "SELECT at, table_name, op, row_count, application FROM firedrill_statement_log ORDER BY at, id",
            &[],
        )
        .await
        .context("reading the statement log")?;
    let mut out = Vec::new();
    for row in rows {
        let wall: DateTime<Utc> = row.get(0);
        let at = admin
            .emulated_time_for(wall)
            .await
            .context("mapping a statement's instant to the emulator's clock")?;
        out.push(Statement {
            at,
            table: row.get(1),
            op: row.get(2),
            rows: row.get(3),
            application: row.get(4),
        });
    }
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
            source: "postgresql".to_owned(),
            operation: s.op.clone(),
            resource: if s.rows >= 0 {
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

/// Reads the audit trail and the statement log of the original store.
pub async fn find(target: &dyn Target, record: &LiveRecord, admin: &AdminClient) -> anyhow::Result<Found> {
    let audit = admin
        .audit()
        .await
        .context("reading the emulator's audit trail")?;
    let store = record.store()?;
    let mut unread = Vec::new();
    let statements = match read_statement_log(target, &store, admin).await {
        Ok(s) => s,
        Err(e) => {
            unread.push(format!("the orders database's statement log: {e:#}"));
            Vec::new()
        }
    };
    Ok(Found {
        act: first_act(&audit, &statements, record),
        unread,
    })
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
