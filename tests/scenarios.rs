//! The scenario runner: every `scenarios/*.toml` is one test named after its
//! file, so `cargo test` and `cargo nextest run` list, filter, run in
//! parallel and partition them (`--partition count:K/N`). Each runs on its
//! own embedded stack. A scenario passes when its expectation holds: a
//! baseline that expects data loss passes when the loss is found and
//! measured within its bounds.

use firedrill::scenario;
use firedrill_tests::{drill, failure_text, scenarios_dir};
use libtest_mimic::{Arguments, Failed, Trial};

fn main() {
    let args = Arguments::from_args();
    let dir = scenarios_dir();
    let trials = match scenario::load_dir(&dir) {
        Ok(scenarios) => scenarios
            .into_iter()
            .map(|s| {
                let name = s
                    .file
                    .as_ref()
                    .and_then(|f| f.file_stem())
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_else(|| s.name.clone());
                Trial::test(name, move || {
                    let report = drill(&s, None).map_err(|e| Failed::from(format!("{e:#}")))?;
                    if let Some(why) = &report.skipped {
                        return Err(Failed::from(format!("unsupported on this target: {why}")));
                    }
                    if report.passed() {
                        Ok(())
                    } else {
                        Err(Failed::from(failure_text(&report)))
                    }
                })
            })
            .collect(),
        Err(e) => vec![Trial::test("scenarios_directory_is_valid", move || {
            Err(Failed::from(e.to_string()))
        })],
    };
    libtest_mimic::run(&args, trials).exit();
}
