//! firedrill's fuzzer for the emulator's wire decoders, on stable Rust.
//!
//! cargo-fuzz needs a nightly toolchain and AFL++/honggfuzz need a C
//! toolchain and libraries this machine lacks (see `fuzz/README.md`), so the
//! engine is our own: a deterministic byte mutator ([`mutator`]) over a
//! committed seed corpus (`fuzz/corpus/<target>/`), with a dictionary per
//! target, and no instrumentation. Coverage is approximated by the number
//! of distinct outcome classes (status, AWS error code, message shape) a
//! target produced; an input with a new class joins the corpus.
//!
//! - [`targets`]: one per decoder (DynamoDB JSON, the DynamoDB expression
//!   parser, S3 XML and aws-chunked bodies, RDS Query forms, AWS Backup
//!   JSON, SigV4 headers), each calling the decoder in-process.
//! - [`harness`]: a service in-process, called through its own
//!   `AwsService::handle` without a listener or the server's panic guard.
//! - [`runner`]: the loop, crash recording and figures.
//!
//! `cargo xtask fuzz [--minutes N] [--target NAME]` runs it (the binary's
//! `--help` lists its options).

pub mod harness;
pub mod mutator;
pub mod runner;
pub mod targets;
