//! Which restore-time model a drill runs under: a scenario's `[timings]`
//! table, a timings file (as `firedrill calibrate` writes), or the
//! `--timings` flag of `firedrill drill`.
//!
//! ```toml
//! [timings]
//! model = "aws"              # "fast" (default: the emulator's short fixed delays)
//!                            # or "aws" (AWS's lags and the restore-time model)
//! file = "timings.json"      # optional: per-operation overrides, relative to the scenario
//! [timings.override.rds-restore-to-point-in-time]   # optional: inline overrides
//! fixed = { low = 300, typical = 600, high = 1200 } # seconds
//! per-gib-log = { low = 20, typical = 60, high = 180 }
//! source = "our restores in 2026"
//! ```
//!
//! A file holds the same per-operation tables, as JSON (`.json`) or TOML,
//! optionally under a `name` (shown in reports) and an `operations` key:
//! `{"name": "ours", "operations": {"rds-snapshot-copy": {...}}}`. Inline
//! overrides win over the file's. Overrides need the `aws` model: the
//! `fast` preset times nothing.

use anyhow::{Context, bail};
use firedrill_emulator::timing::{Operation, OperationModel, TimingModel};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The two presets a drill can run under.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum TimingPreset {
    /// Short fixed delays: quick drills, RTO not a prediction.
    #[default]
    Fast,
    /// AWS's lags and the restore-time model: the RTO predicts AWS's.
    Aws,
}

/// A scenario's `[timings]` table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimingsSection {
    /// The preset.
    #[serde(default)]
    pub model: TimingPreset,
    /// A timings file, relative to the scenario's directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// Inline per-operation overrides.
    #[serde(default, rename = "override", skip_serializing_if = "BTreeMap::is_empty")]
    pub overrides: BTreeMap<Operation, OperationModel>,
}

/// A timings file's contents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TimingsFile {
    /// `{"name": ..., "operations": {...}}`.
    Named {
        /// Shown in reports.
        name: String,
        /// Per operation.
        operations: BTreeMap<Operation, OperationModel>,
    },
    /// Just the per-operation tables.
    Bare(BTreeMap<Operation, OperationModel>),
}

impl TimingsFile {
    /// Reads a JSON (`.json`) or TOML file.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading timings file {}", path.display()))?;
        let parsed = if path.extension().is_some_and(|e| e == "json") {
            serde_json::from_str(&text).map_err(anyhow::Error::new)
        } else {
            toml::from_str(&text).map_err(anyhow::Error::new)
        };
        parsed.with_context(|| format!("timings file {} does not parse", path.display()))
    }

    fn into_parts(self, path: &Path) -> (String, BTreeMap<Operation, OperationModel>) {
        match self {
            TimingsFile::Named { name, operations } => (name, operations),
            TimingsFile::Bare(operations) => (
                path.file_stem()
                    .map_or_else(|| "custom".to_owned(), |s| s.to_string_lossy().into_owned()),
                operations,
            ),
        }
    }
}

/// What the embedded emulator is started with for one drill.
#[derive(Debug, Clone, PartialEq)]
pub struct DrillTimings {
    /// The preset.
    pub preset: TimingPreset,
    /// The restore-time model (`None` on `fast`).
    pub model: Option<TimingModel>,
}

impl TimingsSection {
    /// Resolves the section (a relative `file` against `dir`) into the
    /// preset and model a drill runs with.
    pub fn resolve(&self, dir: Option<&Path>) -> anyhow::Result<DrillTimings> {
        if self.model == TimingPreset::Fast {
            if self.file.is_some() || !self.overrides.is_empty() {
                bail!("timing overrides need model = \"aws\": the fast preset times nothing");
            }
            return Ok(DrillTimings {
                preset: TimingPreset::Fast,
                model: None,
            });
        }
        let mut model = TimingModel::aws_defaults();
        if let Some(file) = &self.file {
            let path = match dir {
                Some(d) if file.is_relative() => d.join(file),
                _ => file.clone(),
            };
            let (name, operations) = TimingsFile::read(&path)?.into_parts(&path);
            model = model.with_overrides(name, operations)?;
        }
        if !self.overrides.is_empty() {
            let name = if self.file.is_some() {
                model.name.clone()
            } else {
                "aws-defaults+overrides".to_owned()
            };
            model = model.with_overrides(name, self.overrides.clone())?;
        }
        Ok(DrillTimings {
            preset: TimingPreset::Aws,
            model: Some(model),
        })
    }

    /// The section `--timings VALUE` stands for: `fast`, `aws`, or a file
    /// (which implies `aws`).
    pub fn from_flag(value: &str) -> Self {
        match value {
            "fast" => Self::default(),
            "aws" => Self {
                model: TimingPreset::Aws,
                ..Self::default()
            },
            file => Self {
                model: TimingPreset::Aws,
                file: Some(PathBuf::from(file)),
                overrides: BTreeMap::new(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use firedrill_emulator::timing::Band;

    #[test]
    fn fast_is_the_default_and_takes_no_overrides() {
        let d = TimingsSection::default().resolve(None).unwrap();
        assert_eq!(d.preset, TimingPreset::Fast);
        assert!(d.model.is_none());
        let bad = TimingsSection {
            file: Some("t.json".into()),
            ..TimingsSection::default()
        };
        assert!(
            bad.resolve(None)
                .unwrap_err()
                .to_string()
                .contains("model = \"aws\"")
        );
    }

    #[test]
    fn a_file_and_inline_overrides_layer_over_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("ours.json"),
            r#"{"name": "calibrated-2026", "operations": {
                "rds-snapshot-copy": {"fixed": {"low": 60, "typical": 90, "high": 120}, "source": "ours"},
                "s3-object-rollback": {"fixed": {"low": 1, "typical": 2, "high": 3}, "source": "ours"}}}"#,
        )
        .unwrap();
        let section: TimingsSection = toml::from_str(
            r#"
            model = "aws"
            file = "ours.json"
            [override.s3-object-rollback]
            fixed = { low = 5, typical = 6, high = 7 }
            source = "inline"
            "#,
        )
        .unwrap();
        let model = section.resolve(Some(dir.path())).unwrap().model.unwrap();
        assert_eq!(model.name, "calibrated-2026");
        assert_eq!(
            model.operations[&Operation::RdsSnapshotCopy].fixed,
            Band::secs(60, 90, 120)
        );
        assert_eq!(
            model.operations[&Operation::S3ObjectRollback].fixed,
            Band::secs(5, 6, 7)
        );
        assert_eq!(
            model.operations[&Operation::DynamodbRestoreToPointInTime],
            TimingModel::aws_defaults().operations[&Operation::DynamodbRestoreToPointInTime]
        );
    }

    #[test]
    fn unknown_operations_and_unordered_bands_are_refused() {
        assert!(
            toml::from_str::<TimingsSection>("model = \"aws\"\n[override.rds-teleport]\nsource = \"x\"")
                .is_err()
        );
        let section: TimingsSection = toml::from_str(
            "model = \"aws\"\n[override.rds-snapshot-copy]\nfixed = { low = 9, typical = 1, high = 2 }",
        )
        .unwrap();
        assert!(
            section
                .resolve(None)
                .unwrap_err()
                .to_string()
                .contains("low <= typical <= high")
        );
    }

    #[test]
    fn the_flag_reads_presets_and_files() {
        assert_eq!(TimingsSection::from_flag("fast"), TimingsSection::default());
        assert_eq!(TimingsSection::from_flag("aws").model, TimingPreset::Aws);
        let f = TimingsSection::from_flag("t/ours.toml");
        assert_eq!(
            (f.model, f.file),
            (TimingPreset::Aws, Some(PathBuf::from("t/ours.toml")))
        );
    }
}
