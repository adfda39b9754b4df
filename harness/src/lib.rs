//! firedrill: prove that a shop's AWS backups bring the data back.
//!
//! The roles are Jepsen's. A [`workload`] generator produces shop traffic
//! from a seed and its executor applies it through the official SDKs and SQL,
//! recording every operation in the append-only [`history`]. The nemesis
//! ([`fault`]) breaks things and records the instant it struck. A [`recovery`]
//! runbook brings the data back, every step timed. The [`checker`], a pure
//! function of the history and the recovered store, says what was lost,
//! resurrected or left corrupted, and measures RPO and RTO. A [`report`]
//! renders it for a terminal, JSON, Markdown and HTML. [`scenario`] files tie
//! a policy, a workload, faults, a recovery and an expectation together, and
//! [`drill::run`] plays one against a [`target::Target`]. The team's own
//! backup configuration and runbooks, in any language, run as commands
//! ([`team`]) beside firedrill's built-in ones, and [`protection`] checks
//! that a recovery leaves each layer as guarded as it found it. On the
//! `aws` preset restores take the emulator clock time AWS's would
//! ([`restore_time`], [`timings`]), and the RTO carries the model's band.
//! [`audit`] reads a target's backup configuration, read-only, and reports
//! its gaps and the worst-case RPO of each layer. [`detection`] says
//! whether the policy's backup alarm saw the backups fail, and when.

pub mod accepted;
pub mod audit;
pub mod business;
pub mod calibrate;
pub mod checker;
pub mod detection;
pub mod drill;
pub mod fault;
pub mod findings;
pub mod history;
pub mod junit;
pub mod live;
pub mod matrix;
pub mod model;
pub mod policy;
pub mod protection;
pub mod recovery;
pub mod report;
pub mod restore_testing;
pub mod restore_time;
pub mod scenario;
pub mod stack;
pub mod store;
pub mod target;
pub mod team;
pub mod timings;
pub mod wait;
pub mod workload;

pub use target::{BoxFuture, Capabilities, Clients, Target};
