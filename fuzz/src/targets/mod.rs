//! The fuzz targets: one per wire decoder and one for the expression
//! parser. Each takes raw bytes, calls the decoder in-process and returns
//! the outcome's class (the coverage proxy); a panic is a crash.

mod backup;
mod ddb;
mod rds;
mod s3;
mod sigv4;

/// A fuzz target.
pub trait Target {
    /// The target's name (also its corpus and crash directory).
    fn name(&self) -> &'static str;
    /// Tokens the mutator inserts (keywords, punctuation, field names).
    fn dictionary(&self) -> &'static [&'static str];
    /// Runs one input and returns the class of its outcome.
    fn run(&mut self, input: &[u8]) -> String;
    /// Throws accumulated state away (after a crash, and every so often so
    /// that state stays small).
    fn reset(&mut self) {}
}

/// Every target's name, in the order `cargo xtask fuzz` runs them.
pub const NAMES: &[&str] = &[
    "ddb-json",
    "ddb-expr",
    "s3-xml",
    "rds-query",
    "backup-json",
    "sigv4",
];

/// The target named `name`.
pub fn build(name: &str) -> Option<Box<dyn Target>> {
    Some(match name {
        "ddb-json" => Box::new(ddb::DdbJson::new()),
        "ddb-expr" => Box::new(ddb::DdbExpr),
        "s3-xml" => Box::new(s3::S3Xml::new()),
        "rds-query" => Box::new(rds::RdsQuery::new()),
        "backup-json" => Box::new(backup::BackupJson::new()),
        "sigv4" => Box::new(sigv4::SigV4),
        _ => return None,
    })
}

/// Tokens every target's mutator also inserts: JSON punctuation and
/// values that break decoders (lone surrogates, huge exponents).
pub const COMMON_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\"",
    "\\u0000",
    "\\ud800",
    "null",
    "true",
    "false",
    "{}",
    "[]",
    "\"\"",
    "1e999",
    "-0",
    "0.0000001",
];
