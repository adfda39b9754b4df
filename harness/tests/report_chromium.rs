//! The HTML report renders in a real browser: a drill's report page is
//! loaded in headless Chromium (Debian's `chromium` package, which
//! `.ci/run` installs), its DOM must hold the headline, the SVG incident
//! timeline and the runbook checklist, and a screenshot must be produced.
//! Skipped, with a line saying so, where no Chromium is installed.

use firedrill::drill::{DrillOptions, run};
use firedrill::scenario;
use firedrill::stack::EmbeddedTarget;
use std::path::PathBuf;
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            let out = Command::new("sh")
                .arg("-c")
                .arg(format!("command -v {name}"))
                .output()
                .ok()?;
            let path = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            (!path.is_empty()).then(|| PathBuf::from(path))
        })
}

fn headless(browser: &PathBuf, profile: &std::path::Path) -> Command {
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    // Chromium complains at length about the missing D-Bus; not our concern.
    .stderr(std::process::Stdio::null());
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_report_renders_timeline_and_checklist_in_chromium() {
    let Some(browser) = chromium() else {
        println!(
            "SKIPPED: no Chromium installed (apt-get install chromium); the HTML report was not rendered"
        );
        return;
    };
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/junior-dev-cart-batch-delete.toml"
    ));
    let scenario = scenario::load(&path).unwrap();
    let (target, scenario) = EmbeddedTarget::for_scenario(&scenario).await.unwrap();
    let report = run(&target, &scenario, &DrillOptions::default()).await.unwrap();
    target.shutdown().await;
    assert!(report.passed(), "{}", report.to_text());

    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, report.to_html()).unwrap();
    let profile = dir.path().join("profile");

    let dom = headless(&browser, &profile)
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains("id=\"headline\""),
        "the headline is in the rendered page"
    );
    assert!(dom.contains("<svg"), "the incident timeline is drawn as SVG");
    assert!(dom.contains(&report.scenario), "the page names the scenario");
    assert!(dom.contains("type=\"checkbox\""), "the runbook is a checklist");

    let shot = dir.path().join("report.png");
    let status = headless(&browser, &profile)
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1280,1600")
        .arg(format!("file://{}", page.display()))
        .status()
        .expect("run chromium");
    assert!(status.success());
    let png = std::fs::read(&shot).expect("a screenshot was written");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a real screenshot ({} bytes)",
        png.len()
    );
}
