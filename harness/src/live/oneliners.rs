//! The destructive one-liners `up` prints, and the restore commands `check`
//! suggests: shell commands for the AWS CLI, `psql` and `firedrill admin`,
//! each written against the live store's own names so it works as printed.

use super::LiveRecord;

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

/// The destructive acts to try; `firedrill` is how to call this binary.
pub fn destructive(record: &LiveRecord, firedrill: &str) -> Vec<OneLiner> {
    let s = &record.store;
    let query = format!(
        "{{\"{}\": Items[:25].{{DeleteRequest: {{Key: @}}}}}}",
        s.carts_table
    );
    vec![
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
            command: format!("{} -c \"UPDATE orders SET status = 'cancelled'\"", psql(record)),
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
    ]
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
        "store: {} · history: {}\n\n",
        dir.join("store.json").display(),
        dir.join("history.json").display()
    ));
    out.push_str("Point the AWS CLI at it:\n");
    out.push_str(&format!("  {}\n\n", exports(record)));
    out.push_str("Then break something (one is enough):\n");
    for o in destructive(record, firedrill) {
        out.push_str(&format!("  # {}\n  {}\n", o.what, o.command));
    }
    out.push_str(&format!(
        "\nRecover it, then judge the recovery:\n  {} check --dir {} [--recovered carts_table=NAME,db_instance=NAME] [--watch]\n",
        sh(firedrill),
        sh(&dir.display().to_string())
    ));
    out
}

/// Restore commands for the layers `check` found lost, to the restore point
/// (`aws rds` is given `--endpoint-url`: AWS CLI v1 ignores
/// `AWS_ENDPOINT_URL` for RDS in us-east-1).
pub fn restores(record: &LiveRecord, restore_to: &str, layers: &[crate::history::Layer]) -> Vec<String> {
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
    if layers.contains(&Layer::Rds) {
        out.push(format!(
            "aws rds restore-db-instance-to-point-in-time --endpoint-url \"$AWS_ENDPOINT_URL\" --source-db-instance-identifier {i} --target-db-instance-identifier {i}-restored --restore-time {at} && aws rds wait db-instance-available --endpoint-url \"$AWS_ENDPOINT_URL\" --db-instance-identifier {i}-restored   # then --recovered db_instance={i}-restored",
            i = sh(&s.db_instance),
            at = sh(restore_to)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::sh;

    #[test]
    fn words_are_quoted_only_when_a_shell_would_split_them() {
        assert_eq!(sh("shop-carts"), "shop-carts");
        assert_eq!(sh("http://127.0.0.1:4566"), "http://127.0.0.1:4566");
        assert_eq!(sh("a b"), "'a b'");
        assert_eq!(sh("it's"), r"'it'\''s'");
        assert_eq!(sh(""), "''");
    }
}
