//! The files a team's command reads and writes: `FIREDRILL_STORE` (where the
//! store lives now) and `FIREDRILL_RECOVERED` (where the command re-pointed
//! it). The key names are a contract scripts depend on; keep them.

use crate::model::Store;
use crate::target::Target;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The keys of `FIREDRILL_STORE`, in the order they are written.
pub const STORE_KEYS: [&str; 15] = [
    "region",
    "db_instance",
    "db_name",
    "db_user",
    "db_password",
    "db_host",
    "db_port",
    "carts_table",
    "sessions_table",
    "images_bucket",
    "invoices_bucket",
    "templates_bucket",
    "backup_vault",
    "backup_plan",
    "cache_replication_group",
];

/// The keys of `FIREDRILL_STORE` a command reads but cannot re-point: the
/// orders database's engine (`postgres`, `mysql` or `mariadb`: which client
/// to connect with) and its read replica (`null` without one).
pub const INFO_KEYS: [&str; 3] = ["db_engine", "db_replica_instance", "db_replica_region"];

/// `FIREDRILL_STORE`: the store's current names and database endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreFile {
    /// The region serving the store.
    pub region: String,
    /// The RDS instance identifier.
    pub db_instance: String,
    /// The orders database.
    pub db_name: String,
    /// Its master user.
    pub db_user: String,
    /// Its password.
    pub db_password: String,
    /// Where the orders database answers (reachable from this machine).
    pub db_host: String,
    /// Its port.
    pub db_port: u16,
    /// Its RDS engine: `postgres`, `mysql` or `mariadb` (the last two speak
    /// the MySQL protocol; `postgres` in files written before the key existed).
    #[serde(default = "postgres")]
    pub db_engine: String,
    /// The orders database's read replica, when the store has one.
    #[serde(default)]
    pub db_replica_instance: Option<String>,
    /// The region that replica lives in.
    #[serde(default)]
    pub db_replica_region: Option<String>,
    /// The carts table.
    pub carts_table: String,
    /// The sessions table.
    pub sessions_table: String,
    /// The product images bucket.
    pub images_bucket: String,
    /// The invoices bucket.
    pub invoices_bucket: String,
    /// The templates bucket.
    pub templates_bucket: String,
    /// The AWS Backup vault.
    pub backup_vault: String,
    /// The AWS Backup plan.
    pub backup_plan: String,
    /// The ElastiCache replication group holding sessions (and carts), when
    /// the shop keeps them there (`null` otherwise).
    #[serde(default)]
    pub cache_replication_group: Option<String>,
    /// The stack prefix every name started from.
    pub prefix: String,
}

impl StoreFile {
    /// The file for `store` on `target` (the database address as this machine reaches it).
    pub fn of(store: &Store, target: &dyn Target) -> Self {
        let (db_host, db_port) = target.database_address(&store.db.address, store.db.port);
        let n = &store.names;
        Self {
            region: store.region.clone(),
            db_instance: n.db_instance.clone(),
            db_name: n.db_name.clone(),
            db_user: n.db_user.clone(),
            db_password: n.db_password.clone(),
            db_host,
            db_port,
            db_engine: n.orders_engine.rds_engine().to_owned(),
            db_replica_instance: n.orders_replica.as_ref().map(|r| r.db_instance.clone()),
            db_replica_region: n.orders_replica.as_ref().map(|r| r.region.clone()),
            carts_table: n.carts_table.clone(),
            sessions_table: n.sessions_table.clone(),
            images_bucket: n.images_bucket.clone(),
            invoices_bucket: n.invoices_bucket.clone(),
            templates_bucket: n.templates_bucket.clone(),
            backup_vault: n.backup_vault.clone(),
            backup_plan: n.backup_plan.clone(),
            cache_replication_group: n.cache.as_ref().map(|c| c.replication_group.clone()),
            prefix: n.prefix.clone(),
        }
    }
}

fn postgres() -> String {
    "postgres".into()
}

/// `FIREDRILL_RECOVERED`: the keys a command re-pointed, each optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Recovered {
    /// Every key given, with its value as text.
    pub keys: BTreeMap<String, String>,
}

/// Why a `FIREDRILL_RECOVERED` file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecoveredError {
    /// Not JSON.
    #[error("FIREDRILL_RECOVERED is not valid JSON: {0}")]
    NotJson(String),
    /// JSON, but not an object.
    #[error(
        "FIREDRILL_RECOVERED must hold a JSON object such as {{\"carts_table\": \"carts-restored\"}}, not {0}"
    )]
    NotAnObject(&'static str),
    /// A key the contract does not know.
    #[error("FIREDRILL_RECOVERED has an unknown key {key:?}; the keys are {}", STORE_KEYS.join(", "))]
    UnknownKey {
        /// The key.
        key: String,
    },
    /// A value of the wrong type or form.
    #[error("FIREDRILL_RECOVERED: {key} must be {expected}, got {got}")]
    BadValue {
        /// The key.
        key: String,
        /// What it must be.
        expected: &'static str,
        /// What was there.
        got: String,
    },
}

impl Recovered {
    /// Parses the file's text; empty (or blank) text re-points nothing.
    pub fn parse(text: &str) -> Result<Self, RecoveredError> {
        if text.trim().is_empty() {
            return Ok(Self::default());
        }
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| RecoveredError::NotJson(e.to_string()))?;
        let serde_json::Value::Object(map) = value else {
            return Err(RecoveredError::NotAnObject(json_kind(&value)));
        };
        let mut keys = BTreeMap::new();
        for (key, value) in map {
            if !STORE_KEYS.contains(&key.as_str()) {
                return Err(RecoveredError::UnknownKey { key });
            }
            let text = match (&value, key.as_str()) {
                (serde_json::Value::Number(n), "db_port") => n.to_string(),
                (serde_json::Value::String(s), _) => s.clone(),
                _ => {
                    return Err(RecoveredError::BadValue {
                        expected: if key == "db_port" {
                            "a port number"
                        } else {
                            "a non-empty string"
                        },
                        got: value.to_string(),
                        key,
                    });
                }
            };
            if text.trim().is_empty() {
                return Err(RecoveredError::BadValue {
                    key,
                    expected: "a non-empty string",
                    got: value.to_string(),
                });
            }
            if key == "db_port" && text.parse::<u16>().map_or(true, |p| p == 0) {
                return Err(RecoveredError::BadValue {
                    key,
                    expected: "a port number (1-65535)",
                    got: value.to_string(),
                });
            }
            keys.insert(key, text);
        }
        Ok(Self { keys })
    }

    /// Whether nothing was re-pointed.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The value of one key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.keys.get(key).map(String::as_str)
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_file_has_exactly_the_contract_keys() {
        let file = crate::live::fixtures::record().store;
        let value = serde_json::to_value(&file).expect("serialises");
        let keys: Vec<&String> = value.as_object().expect("an object").keys().collect();
        for k in STORE_KEYS.iter().chain(&INFO_KEYS) {
            assert!(keys.iter().any(|x| x == k), "{k} missing");
        }
        assert_eq!(
            keys.len(),
            STORE_KEYS.len() + INFO_KEYS.len() + 1,
            "only the contract keys and prefix"
        );
        assert_eq!(value["db_port"], 5432);
    }

    #[test]
    fn recovered_files_parse_or_say_why_not() {
        assert!(Recovered::parse("").expect("empty is fine").is_empty());
        assert!(Recovered::parse("  \n").expect("blank is fine").is_empty());
        let r = Recovered::parse(r#"{"carts_table": "carts-r1", "db_port": 5433}"#).expect("valid");
        assert_eq!(r.get("carts_table"), Some("carts-r1"));
        assert_eq!(r.get("db_port"), Some("5433"));

        let e = Recovered::parse("{carts_table: x}").expect_err("not JSON");
        assert!(matches!(e, RecoveredError::NotJson(_)), "{e}");
        let e = Recovered::parse(r#"["carts"]"#).expect_err("not an object");
        assert_eq!(e, RecoveredError::NotAnObject("an array"));
        let e = Recovered::parse(r#"{"cart_table": "x"}"#).expect_err("typo");
        assert!(e.to_string().contains("unknown key \"cart_table\""), "{e}");
        assert!(e.to_string().contains("carts_table"), "lists the keys: {e}");
        let e = Recovered::parse(r#"{"carts_table": 7}"#).expect_err("a number");
        assert!(
            e.to_string().contains("carts_table must be a non-empty string"),
            "{e}"
        );
        let e = Recovered::parse(r#"{"carts_table": ""}"#).expect_err("empty");
        assert!(e.to_string().contains("non-empty"), "{e}");
        let e = Recovered::parse(r#"{"db_engine": "mysql"}"#).expect_err("not re-pointable");
        assert!(e.to_string().contains("unknown key \"db_engine\""), "{e}");
        let e = Recovered::parse(r#"{"db_port": "70000"}"#).expect_err("bad port");
        assert!(e.to_string().contains("1-65535"), "{e}");
    }
}
