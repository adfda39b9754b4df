//! The destructive one-liners `up` prints, and the restore commands `check`
//! suggests: shell commands for the AWS CLI, `psql` (or the `mysql` client
//! for orders on the MySQL protocol), `redis-cli` (when the
//! session store is ElastiCache) and `firedrill admin`,
//! each written against the live store's own names so it works as printed.

use super::LiveRecord;
use crate::history::Collection;

/// One command to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneLiner {
    /// A short name (`carts`, `invoices`, `orders`, `outage`).
    pub name: &'static str,
    /// What it does, in a sentence.
    pub what: String,
    /// The shell command.
    pub command: String,
}

/// Quotes `s` for a POSIX shell when it needs it.
fn sh(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The environment the AWS CLI needs to reach the emulator.
pub fn exports(record: &LiveRecord) -> String {
    format!(
        "export AWS_ENDPOINT_URL={} AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION={} AWS_DEFAULT_REGION={} AWS_PAGER=",
        sh(&record.endpoint),
        sh(&record.store.region),
        sh(&record.store.region)
    )
}

/// The command that runs `sql` on the orders database of `record`: `psql
/// -c`, or the `mysql` client's `-e` on the MySQL protocol.
fn sql_command(record: &LiveRecord, sql: &str) -> String {
    if record.store.db_engine == "postgres" {
        format!("{} -c \"{sql}\"", psql(record))
    } else {
        let s = &record.store;
        format!(
            "MYSQL_PWD={} mysql -h {} -P {} -u {} {} -e \"{sql}\"",
            sh(&s.db_password),
            sh(&s.db_host),
            s.db_port,
            sh(&s.db_user),
            sh(&s.db_name)
        )
    }
}

/// The `--restore-time` that brings the orders back as of `restore_to`, and
/// a note on it. A binary log replay to a time can keep commits of the
/// second it names (binary log events carry whole seconds), the act's
/// among them, so on the MySQL protocol it is the second before the
/// restore point: the act is never replayed, and commits of the last
/// second before the restore point may be missing.
fn rds_restore_time(record: &LiveRecord, restore_to: &str) -> (String, &'static str) {
    if record.store.db_engine == "postgres" {
        return (restore_to.to_owned(), "");
    }
    match chrono::DateTime::parse_from_rfc3339(restore_to) {
        Ok(t) => (
            (t.with_timezone(&chrono::Utc) - chrono::Duration::seconds(1))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "the second before the restore point: a binary log replay keeps the whole second it is given; ",
        ),
        Err(_) => (restore_to.to_owned(), ""),
    }
}

/// The psql connection words for the orders database of `record`.
fn psql(record: &LiveRecord) -> String {
    let s = &record.store;
    format!(
        "PGPASSWORD={} psql -h {} -p {} -U {} -d {}",
        sh(&s.db_password),
        sh(&s.db_host),
        s.db_port,
        sh(&s.db_user),
        sh(&s.db_name)
    )
}

/// The `redis-cli` connection words for the session store, when there is one.
fn redis_cli(record: &LiveRecord) -> Option<String> {
    record
        .cache
        .as_ref()
        .map(|c| format!("redis-cli -h {} -p {}", sh(&c.address), c.port))
}

/// The session store's line of the banner: its replication group, endpoint
/// and what it holds.
fn cache_line(record: &LiveRecord) -> Option<String> {
    let group = record.store.cache_replication_group.as_ref()?;
    let endpoint = record.cache.as_ref()?;
    let held: Vec<String> = record.cached.iter().map(|c| c.to_string()).collect();
    Some(format!(
        "session store: ElastiCache replication group {group} at {}:{} ({}; no PITR on ElastiCache: a restore is its newest snapshot)",
        endpoint.address,
        endpoint.port,
        held.join(" and ")
    ))
}

/// The destructive acts to try; `firedrill` is how to call this binary.
pub fn destructive(record: &LiveRecord, firedrill: &str) -> Vec<OneLiner> {
    let s = &record.store;
    let query = format!(
        "{{\"{}\": Items[:25].{{DeleteRequest: {{Key: @}}}}}}",
        s.carts_table
    );
    let mut out = Vec::new();
    if let Some(cli) = redis_cli(record) {
        out.push(OneLiner {
            name: "flush",
            what: format!(
                "a bad deploy's FLUSHALL on the session store {} (up's command log sees it while up runs)",
                s.cache_replication_group.as_deref().unwrap_or_default()
            ),
            command: format!("{cli} FLUSHALL"),
        });
    }
    let dynamodb_carts = !record.cached.contains(&crate::history::Collection::Carts);
    out.extend([
        OneLiner {
            name: "carts",
            what: format!("batch-delete up to 25 carts from {}", s.carts_table),
            command: format!(
                "aws dynamodb batch-write-item --request-items \"$(aws dynamodb scan --table-name {} --projection-expression cart_id --query {} --output json)\"",
                sh(&s.carts_table),
                sh(&query)
            ),
        },
        OneLiner {
            name: "invoices",
            what: format!("delete every invoice PDF in {}", s.invoices_bucket),
            command: format!("aws s3 rm s3://{} --recursive", s.invoices_bucket),
        },
        OneLiner {
            name: "orders",
            what: "an UPDATE without WHERE: every order cancelled".to_owned(),
            command: sql_command(record, "UPDATE orders SET status = 'cancelled'"),
        },
        OneLiner {
            name: "outage",
            what: format!("a region outage of {}", s.region),
            command: format!(
                "{} admin --endpoint {} outage {} on",
                sh(firedrill),
                sh(&record.endpoint),
                sh(&s.region)
            ),
        },
    ]);
    // Carts kept in ElastiCache have no table to batch-delete from.
    out.retain(|o| o.name != "carts" || dynamodb_carts);
    out
}

/// What `up` prints once the shop is ready.
pub fn banner(record: &LiveRecord, firedrill: &str, dir: &std::path::Path) -> String {
    let mut out = String::new();
    let s = &record.store;
    out.push_str(&format!(
        "the shop {:?} is up at {} under policy {} ({}).\n",
        s.prefix,
        record.endpoint,
        record.policy,
        match record.traffic {
            super::TrafficState::Running => "traffic running",
            _ => "no traffic",
        }
    ));
    out.push_str(&format!(
        "store: {} · history: {}\n",
        dir.join("store.json").display(),
        dir.join("history.json").display()
    ));
    if let Some(line) = cache_line(record) {
        out.push_str(&line);
        out.push('\n');
    }
    out.push('\n');
    out.push_str("Point the AWS CLI at it:\n");
    out.push_str(&format!("  {}\n\n", exports(record)));
    out.push_str("Then break something (one is enough):\n");
    for o in destructive(record, firedrill) {
        out.push_str(&format!("  # {}\n  {}\n", o.what, o.command));
    }
    out.push_str(&format!(
        "\nRecover it, then judge the recovery:\n  {} check --dir {} [--recovered carts_table=NAME,db_instance=NAME{}] [--watch]\n",
        sh(firedrill),
        sh(&dir.display().to_string()),
        if record.cache.is_some() {
            ",cache_replication_group=NAME"
        } else {
            ""
        }
    ));
    out
}

/// The bucket holding `collection` in the live store, if it is one.
fn bucket_of(record: &LiveRecord, collection: Collection) -> Option<&str> {
    let s = &record.store;
    match collection {
        Collection::Images => Some(&s.images_bucket),
        Collection::Invoices => Some(&s.invoices_bucket),
        Collection::Templates => Some(&s.templates_bucket),
        _ => None,
    }
}

/// The command that undoes every delete in a versioned bucket: it removes
/// the bucket's current delete markers in one `DeleteObjects` call (up to
/// 1,000 keys), so the version under each marker is current again. The
/// shop's traffic never deletes an object, so every current marker is a
/// person's delete.
pub fn undelete_bucket(bucket: &str) -> String {
    let query = "{Objects: DeleteMarkers[?IsLatest].{Key: Key, VersionId: VersionId}}";
    format!(
        "aws s3api delete-objects --bucket {b} --delete \"$(aws s3api list-object-versions --bucket {b} --query {q} --output json)\"",
        b = sh(bucket),
        q = sh(query)
    )
}

/// Restore commands for the layers `check` found lost, to the restore point
/// (`aws rds` is given `--endpoint-url`: AWS CLI v1 ignores
/// `AWS_ENDPOINT_URL` for RDS in us-east-1). `buckets` are the collections
/// of the S3 layer found damaged: a versioned one is given the command that
/// brings its deleted objects back ([`undelete_bucket`]), one without
/// versions a sentence saying nothing can.
pub fn restores(
    record: &LiveRecord,
    restore_to: &str,
    layers: &[crate::history::Layer],
    buckets: &[Collection],
) -> Vec<String> {
    use crate::history::Layer;
    let s = &record.store;
    let mut out = Vec::new();
    if layers.contains(&Layer::Dynamodb) {
        out.push(format!(
            "aws dynamodb restore-table-to-point-in-time --source-table-name {t} --target-table-name {t}-restored --restore-date-time {at} && aws dynamodb wait table-exists --table-name {t}-restored   # then --recovered carts_table={t}-restored",
            t = sh(&s.carts_table),
            at = sh(restore_to)
        ));
    }
    if layers.contains(&Layer::Elasticache)
        && let Some(group) = &s.cache_replication_group
    {
        out.push(format!(
            "aws elasticache create-replication-group --endpoint-url \"$AWS_ENDPOINT_URL\" --replication-group-id {g}-restored --replication-group-description 'sessions restored from a snapshot' --engine redis --cache-node-type cache.t3.micro --num-cache-clusters 1 --snapshot-name \"$(aws elasticache describe-snapshots --endpoint-url \"$AWS_ENDPOINT_URL\" --replication-group-id {g} --query 'sort_by(Snapshots, &NodeSnapshots[0].SnapshotCreateTime)[-1].SnapshotName' --output text)\" && aws elasticache wait replication-group-available --endpoint-url \"$AWS_ENDPOINT_URL\" --replication-group-id {g}-restored   # the newest snapshot (no PITR on ElastiCache); then --recovered cache_replication_group={g}-restored",
            g = sh(group)
        ));
    }
    if layers.contains(&Layer::Rds) {
        let (at, note) = rds_restore_time(record, restore_to);
        out.push(format!(
            "aws rds restore-db-instance-to-point-in-time --endpoint-url \"$AWS_ENDPOINT_URL\" --source-db-instance-identifier {i} --target-db-instance-identifier {i}-restored --restore-time {at} && aws rds wait db-instance-available --endpoint-url \"$AWS_ENDPOINT_URL\" --db-instance-identifier {i}-restored   # {note}then --recovered db_instance={i}-restored",
            i = sh(&s.db_instance),
            at = sh(&at)
        ));
    }
    if layers.contains(&Layer::S3) {
        for c in buckets {
            let Some(bucket) = bucket_of(record, *c) else {
                continue;
            };
            if record.versioned.contains(c) {
                out.push(format!(
                    "{}   # deleted objects come back in place (no --recovered needed)",
                    undelete_bucket(bucket)
                ));
            } else {
                out.push(format!(
                    "# {bucket} keeps no versions: its deleted and overwritten objects cannot be restored"
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Collection, Layer};
    use crate::model::DbEndpoint;

    #[test]
    fn orders_on_the_mysql_protocol_are_broken_with_the_mysql_client() {
        let mut record = crate::live::fixtures::record();
        let orders = |r: &LiveRecord| {
            destructive(r, "firedrill")
                .into_iter()
                .find(|o| o.name == "orders")
                .expect("an orders one-liner")
                .command
        };
        assert!(
            orders(&record).contains(" psql -h 127.0.0.1 -p 5432 "),
            "{}",
            orders(&record)
        );
        record.store.db_engine = "mysql".into();
        record.store.db_port = 3306;
        let line = orders(&record);
        assert!(
            line.starts_with("MYSQL_PWD=") && line.contains(" mysql -h 127.0.0.1 -P 3306 -u "),
            "{line}"
        );
        assert!(
            line.ends_with(" -e \"UPDATE orders SET status = 'cancelled'\""),
            "{line}"
        );
    }

    #[test]
    fn a_mysql_restore_names_the_second_before_the_restore_point() {
        let mut record = crate::live::fixtures::record();
        let at = "2026-03-14T03:04:05Z";
        let pg = restores(&record, at, &[Layer::Rds], &[]);
        assert!(
            pg[0].contains(" --restore-time 2026-03-14T03:04:05Z "),
            "{}",
            pg[0]
        );
        record.store.db_engine = "mysql".into();
        let my = restores(&record, at, &[Layer::Rds], &[]);
        assert!(
            my[0].contains(" --restore-time 2026-03-14T03:04:04Z "),
            "{}",
            my[0]
        );
        assert!(my[0].contains("keeps the whole second"), "{}", my[0]);
    }

    #[test]
    fn a_versioned_bucket_is_given_its_undelete_and_an_unversioned_one_a_warning() {
        let mut record = crate::live::fixtures::record();
        record.versioned.insert(Collection::Invoices);
        let at = "2026-03-14T03:04:05Z";
        let lines = restores(
            &record,
            at,
            &[Layer::S3],
            &[Collection::Invoices, Collection::Images],
        );
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0].starts_with(
                "aws s3api delete-objects --bucket shop-invoices --delete \"$(aws s3api list-object-versions --bucket shop-invoices --query '{Objects: DeleteMarkers[?IsLatest].{Key: Key, VersionId: VersionId}}' --output json)\""
            ),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].contains("shop-product-images keeps no versions"),
            "{}",
            lines[1]
        );
        // No S3 layer lost, no S3 command.
        assert!(
            restores(&record, at, &[Layer::Dynamodb], &[Collection::Invoices])
                .iter()
                .all(|l| !l.contains("s3api"))
        );
    }

    #[test]
    fn words_are_quoted_only_when_a_shell_would_split_them() {
        assert_eq!(sh("shop-carts"), "shop-carts");
        assert_eq!(sh("http://127.0.0.1:4566"), "http://127.0.0.1:4566");
        assert_eq!(sh("a b"), "'a b'");
        assert_eq!(sh("it's"), r"'it'\''s'");
        assert_eq!(sh(""), "''");
    }

    #[test]
    fn a_session_store_in_elasticache_is_named_and_flushable() {
        let plain = crate::live::fixtures::record();
        let shown = banner(&plain, "firedrill", std::path::Path::new("/tmp/live"));
        assert!(!shown.contains("redis-cli"), "{shown}");
        assert!(!shown.contains("session store"), "{shown}");
        let mut cached = plain.clone();
        cached.store.cache_replication_group = Some("shop-sess".into());
        cached.cached = [Collection::Sessions, Collection::Carts].into();
        cached.cache = Some(DbEndpoint {
            address: "127.0.0.1".into(),
            port: 6400,
        });
        let shown = banner(&cached, "firedrill", std::path::Path::new("/tmp/live"));
        assert!(
            shown.contains("session store: ElastiCache replication group shop-sess at 127.0.0.1:6400"),
            "{shown}"
        );
        assert!(
            shown.contains("redis-cli -h 127.0.0.1 -p 6400 FLUSHALL"),
            "{shown}"
        );
        assert!(shown.contains("cache_replication_group=NAME"), "{shown}");
        let names: Vec<&str> = destructive(&cached, "firedrill").iter().map(|o| o.name).collect();
        assert_eq!(
            names,
            ["flush", "invoices", "orders", "outage"],
            "carts are not a table here"
        );
        let restores = restores(&cached, "2026-03-14T03:01:00Z", &[Layer::Elasticache], &[]);
        assert_eq!(restores.len(), 1);
        assert!(
            restores[0].contains("--replication-group-id shop-sess-restored"),
            "{}",
            restores[0]
        );
        assert!(restores[0].contains("--recovered cache_replication_group=shop-sess-restored"));
        assert!(super::restores(&plain, "2026-03-14T03:01:00Z", &[Layer::Elasticache], &[]).is_empty());
    }
}
