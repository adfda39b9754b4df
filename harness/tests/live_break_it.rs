//! A person breaks the live shop by hand and recovers it: `firedrill up
//! --traffic`, a printed destructive one-liner, a restore typed with the AWS
//! CLI, `firedrill check`. Each test is one person's sequence of commands.
//! With `--store sessions=elasticache` the session store is a real
//! `redis-server`: its FLUSHALL one-liner and its restore work as printed.

mod live_support;

use live_support::{Session, layer, suggestions, text, tools_installed};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// The carts the printed batch delete deletes: its inner scan, run first,
/// then the same batch write with the scan's answer (the one-liner, in two).
fn batch_delete_carts(s: &Session) -> BTreeSet<String> {
    let line = s.one_liner("batch-delete");
    let inner = line
        .strip_prefix("aws dynamodb batch-write-item --request-items \"$(")
        .and_then(|rest| rest.strip_suffix(")\""))
        .unwrap_or_else(|| panic!("the one-liner has the expected form: {line}"));
    let items = s.shell_ok(inner);
    let json: serde_json::Value = serde_json::from_str(&items).expect("the scan prints JSON");
    let keys: BTreeSet<String> = json
        .as_object()
        .and_then(|o| o.values().next())
        .and_then(|v| v.as_array())
        .expect("a request list")
        .iter()
        .map(|r| {
            r["DeleteRequest"]["Key"]["cart_id"]["S"]
                .as_str()
                .expect("a cart id")
                .to_owned()
        })
        .collect();
    assert!(!keys.is_empty(), "there are carts to delete");
    std::fs::write(s.path().join("delete.json"), &items).expect("write");
    s.shell_ok(&format!(
        "aws dynamodb batch-write-item --request-items file://{}",
        s.path().join("delete.json").display()
    ));
    keys
}

/// Cart ids the traffic wrote at or after `from` (RFC 3339).
fn carts_written_since(s: &Session, from: &str) -> BTreeSet<String> {
    let from: chrono::DateTime<chrono::Utc> = from.parse().expect("an instant");
    let record = s.record();
    let mut out = BTreeSet::new();
    for op in record["history"]["ops"].as_array().expect("ops") {
        let invoke: chrono::DateTime<chrono::Utc> =
            op["invoke"].as_str().expect("invoke").parse().expect("instant");
        if invoke < from {
            continue;
        }
        for w in op["writes"].as_array().into_iter().flatten() {
            if w["key"]["collection"] == "carts" {
                out.insert(w["key"]["id"].as_str().unwrap_or_default().to_owned());
            }
        }
    }
    out
}

#[test]
fn carts_batch_deleted_then_restored_to_the_restore_point_are_recovered() {
    if !tools_installed() {
        println!("SKIPPED: the AWS CLI or psql is not installed (cargo xtask test installs them)");
        return;
    }
    let s = Session::up("30");
    s.wait_for_ops("cart", 20);
    let before_scan = s.record()["written_at"].as_str().expect("written_at").to_owned();
    let deleted = batch_delete_carts(&s);

    // Not recovered yet: the carts are lost, and check says so and how to restore.
    let out = s.check(&[]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stdout.contains("destructive act: dynamodb BatchWriteItem shop-carts"),
        "{stdout}"
    );
    let report = s.report();
    assert_eq!(report["check"]["verdict"], "invalid");
    assert_eq!(layer(&report, "dynamodb")["verdict"], "invalid");
    assert_eq!(
        layer(&report, "rds")["verdict"],
        "valid",
        "traffic after the act is not loss"
    );
    assert_eq!(layer(&report, "s3")["verdict"], "valid");
    assert!(report["check"]["rpo"]["records_lost"].as_u64().unwrap() >= 1);
    assert!(report["check"]["rto"]["simulated_seconds"].as_f64().unwrap() >= 0.0);
    let restore = suggestions(&stdout);
    assert!(
        restore[0].starts_with("aws dynamodb restore-table-to-point-in-time"),
        "{stdout}"
    );
    let point = String::from_utf8_lossy(&s.check(&["--print-restore-point"]).stdout)
        .trim()
        .to_owned();
    assert!(
        restore[0].contains(&point),
        "the restore is to the restore point {point}"
    );

    // A watch on data that stays lost ends at its --watch-timeout and exits
    // on the last check's verdict.
    let out = s.check(&["--watch", "--interval", "0.5", "--watch-timeout", "2"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(stdout.contains("dynamodb: lost"), "{stdout}");
    assert!(
        stdout.contains("the watch gave up after 2 s (--watch-timeout)"),
        "{stdout}"
    );
    assert!(stdout.contains("FAIL break-it-yourself: data loss"), "{stdout}");

    // --watch in a pipe: plain lines, the carts going from lost to recovered
    // as the printed restore command brings them back.
    let mut watch = Command::new(live_support::FIREDRILL)
        .args(["check", "--watch", "--interval", "0.5", "--dir"])
        .arg(s.path())
        .args(["--recovered", "carts_table=shop-carts-restored"])
        .env("FIREDRILL_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("watch starts");
    let mut lines = BufReader::new(watch.stdout.take().expect("piped")).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("a line");
        let lost = line.contains("dynamodb: lost");
        seen.push(line);
        if lost {
            break;
        }
    }
    assert!(seen.iter().any(|l| l.contains("dynamodb: lost")), "{seen:?}");
    s.shell_ok(&restore[0]);
    seen.extend(lines.map_while(Result::ok));
    let status = watch.wait().expect("watch ends");
    assert!(status.success(), "watch exits 0 once recovered: {seen:?}");
    let lost_at = seen
        .iter()
        .position(|l| l.contains("dynamodb: lost"))
        .expect("lost");
    let back_at = seen
        .iter()
        .position(|l| l.contains("dynamodb: recovered"))
        .unwrap_or_else(|| panic!("recovered: {seen:?}"));
    assert!(lost_at < back_at, "{seen:?}");
    assert!(
        seen.iter()
            .any(|l| l.starts_with("PASS break-it-yourself: recovered")),
        "{seen:?}"
    );

    // The same judged once: recovered with RPO 0.
    let out = s.check(&["--recovered", "carts_table=shop-carts-restored"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{}", text(&out));
    assert!(stdout.contains("PASS break-it-yourself: recovered"), "{stdout}");
    let report = s.report();
    assert_eq!(report["check"]["verdict"], "valid");
    assert_eq!(report["check"]["rpo"]["writes_lost"], 0);
    assert_eq!(report["check"]["rpo"]["seconds"], 0.0);
    let dynamodb = layer(&report, "dynamodb");
    assert_eq!(dynamodb["census"]["missing"], 0);
    assert!(s.path().join("reports/break-it-yourself.html").exists());
    assert!(s.path().join("reports/break-it-yourself.md").exists());

    // In a pseudo-terminal the watch draws spinners, and ends at once: recovered.
    if Command::new("script").arg("--version").output().is_ok() {
        let cmd = format!(
            "{} check --watch --interval 0.5 --dir {} --recovered carts_table=shop-carts-restored",
            live_support::FIREDRILL,
            s.path().display()
        );
        let out = Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .env("FIREDRILL_LOG", "warn")
            .output()
            .expect("script runs");
        let tty = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{tty}");
        assert!(
            tty.contains("dynamodb recovered:"),
            "a spinner line per layer: {tty}"
        );
        assert!(tty.contains("PASS break-it-yourself: recovered"), "{tty}");
    }

    // A restore to the latest restorable time keeps the batch delete: loss,
    // of the deleted carts the traffic did not write again since.
    s.shell_ok(
        "aws dynamodb restore-table-to-point-in-time --source-table-name shop-carts --target-table-name shop-carts-latest --use-latest-restorable-time && aws dynamodb wait table-exists --table-name shop-carts-latest",
    );
    let out = s.check(&["--recovered", "carts_table=shop-carts-latest"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(stdout.contains("FAIL break-it-yourself: data loss"), "{stdout}");
    let report = s.report();
    // Carts the traffic wrote from the scan on may rightly be absent or
    // newer: the count is exact for the others.
    let since = before_scan
        .parse::<chrono::DateTime<chrono::Utc>>()
        .expect("an instant")
        - chrono::Duration::seconds(1);
    let rewritten = carts_written_since(&s, &since.to_rfc3339());
    let lost = layer(&report, "dynamodb")["lost_records"].as_u64().unwrap() as usize;
    let at_least = deleted.difference(&rewritten).count();
    assert!(
        (at_least..=deleted.len()).contains(&lost),
        "{lost} carts lost; {} deleted, {} of them written since {since}",
        deleted.len(),
        deleted.intersection(&rewritten).count()
    );
}

#[test]
fn each_printed_one_liner_works_and_the_first_act_sets_the_restore_point() {
    if !tools_installed() {
        println!("SKIPPED: the AWS CLI or psql is not installed (cargo xtask test installs them)");
        return;
    }
    let s = Session::up("30");
    s.wait_for_ops("place_order", 10);

    // psql: an UPDATE without WHERE, found in the statement log.
    s.shell_ok(&s.one_liner("UPDATE without WHERE"));
    let out = s.check(&[]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stdout.contains("destructive act: postgresql UPDATE orders ("),
        "{stdout}"
    );
    assert!(stdout.contains("rows) by psql"), "{stdout}");
    let report = s.report();
    assert_eq!(layer(&report, "rds")["verdict"], "invalid");
    assert!(layer(&report, "rds")["census"]["wrong_value"].as_u64().unwrap() >= 1);
    assert_eq!(layer(&report, "dynamodb")["verdict"], "valid");

    // The printed RDS restore brings the orders back.
    let restore = suggestions(&stdout);
    let rds = restore
        .iter()
        .find(|l| l.starts_with("aws rds restore-db-instance-to-point-in-time"))
        .unwrap_or_else(|| panic!("an RDS restore: {stdout}"));
    s.shell_ok(rds);
    let out = s.check(&["--recovered", "db_instance=shop-orders-restored"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(s.report()["check"]["verdict"], "valid");

    // aws s3 rm --recursive, and the carts batch delete, both work as printed;
    // the restore point stays before the first act.
    let before = s.check(&["--print-restore-point"]);
    let keys = |s: &Session| -> BTreeSet<String> {
        s.shell_ok("aws s3api list-objects-v2 --bucket shop-invoices --query 'Contents[].Key' --output text")
            .split_whitespace()
            .filter(|k| *k != "None")
            .map(str::to_owned)
            .collect()
    };
    let invoices = keys(&s);
    assert!(!invoices.is_empty(), "the shop has invoices");
    s.shell_ok(&s.one_liner("every invoice PDF"));
    let kept: Vec<String> = keys(&s).intersection(&invoices).cloned().collect();
    assert!(kept.is_empty(), "every invoice there before is deleted: {kept:?}");
    s.shell_ok(&s.one_liner("batch-delete"));
    let after = s.check(&["--print-restore-point"]);
    assert_eq!(before.stdout, after.stdout, "the first act decides");
    let audit = Command::new(live_support::FIREDRILL)
        .args(["admin", "--endpoint"])
        .arg(s.record()["endpoint"].as_str().expect("endpoint"))
        .arg("audit")
        .output()
        .expect("admin audit");
    let audit = String::from_utf8_lossy(&audit.stdout);
    assert!(audit.contains("\"eventName\": \"DeleteObject\""), "{audit}");
    assert!(audit.contains("\"eventName\": \"BatchWriteItem\""), "{audit}");

    // The S3 restore check prints brings the invoices back in place; the
    // carts stay lost.
    let out = s.check(&["--recovered", "db_instance=shop-orders-restored"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(layer(&s.report(), "s3")["verdict"], "invalid", "{stdout}");
    let undelete = suggestions(&stdout)
        .into_iter()
        .find(|l| l.starts_with("aws s3api delete-objects --bucket shop-invoices "))
        .unwrap_or_else(|| panic!("an S3 restore for the invoices: {stdout}"));
    s.shell_ok(&undelete);
    let back = keys(&s);
    assert!(
        invoices.is_subset(&back),
        "every invoice is back: {:?}",
        invoices.difference(&back).collect::<Vec<_>>()
    );
    let out = s.check(&["--recovered", "db_instance=shop-orders-restored"]);
    let report = s.report();
    assert_eq!(layer(&report, "s3")["verdict"], "valid", "{}", text(&out));
    assert_eq!(
        layer(&report, "dynamodb")["verdict"],
        "invalid",
        "the carts are still deleted"
    );

    // The region outage through firedrill admin: the store cannot be read.
    s.shell_ok(&s.one_liner("region outage"));
    let out = s.check(&["--recovered", "db_instance=shop-orders-restored"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_ne!(s.report()["check"]["verdict"], "valid");
}

#[test]
fn an_outage_alone_is_the_act_found() {
    if !tools_installed() {
        println!("SKIPPED: the AWS CLI or psql is not installed (cargo xtask test installs them)");
        return;
    }
    let s = Session::up("30");
    s.shell_ok(&s.one_liner("region outage"));
    let out = s.check(&["--print-restore-point"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = s.check(&[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stdout.contains("destructive act: firedrill StartRegionOutage us-east-1"),
        "{stdout}"
    );
}

/// Whether `redis-cli` and `redis-server` are installed (the session store).
fn redis_installed() -> bool {
    ["redis-cli", "redis-server"].iter().all(|t| {
        Command::new("sh")
            .args(["-c", &format!("command -v {t}")])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[test]
fn a_flushed_session_store_comes_back_from_its_snapshot_as_printed() {
    if !tools_installed() || !redis_installed() {
        println!("SKIPPED: the AWS CLI, psql or redis-cli is not installed (cargo xtask test installs them)");
        return;
    }
    let s = Session::up_with("30", &["--store", "sessions=elasticache,carts=elasticache"]);
    assert!(
        s.banner
            .contains("session store: ElastiCache replication group shop-sess at 127.0.0.1:"),
        "{}",
        s.banner
    );
    assert!(
        !s.banner.contains("batch-delete"),
        "carts are no table: {}",
        s.banner
    );
    assert_eq!(s.record()["store"]["cache_replication_group"], "shop-sess");
    s.wait_for_ops("session_touch", 5);

    // The team's manual snapshot, then the flush as printed.
    let ec = "aws elasticache --endpoint-url \"$AWS_ENDPOINT_URL\"";
    s.shell_ok(&format!(
        "{ec} create-snapshot --replication-group-id shop-sess --snapshot-name before-flush"
    ));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while s
        .shell_ok(&format!(
            "{ec} describe-snapshots --snapshot-name before-flush --query 'Snapshots[0].SnapshotStatus' --output text"
        ))
        .trim()
        != "available"
    {
        assert!(std::time::Instant::now() < deadline, "the snapshot never completed");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let clock = Command::new(live_support::FIREDRILL)
        .args(["admin", "--endpoint"])
        .arg(s.record()["endpoint"].as_str().expect("endpoint"))
        .arg("clock")
        .output()
        .expect("admin clock");
    let clock: serde_json::Value = serde_json::from_slice(&clock.stdout).expect("the clock is JSON");
    let flushed_at = clock["now"].as_str().expect("now").to_owned();
    s.shell_ok(&s.one_liner("FLUSHALL"));

    // `up` saw the flush on its MONITOR connection: the act is found with no
    // --restore-to, and its restore point comes before it.
    let log = s.path().join("cache-commands.jsonl");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !std::fs::read_to_string(&log).is_ok_and(|t| t.contains("FLUSHALL")) {
        assert!(
            std::time::Instant::now() < deadline,
            "up's command log never showed the flush"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    s.check_finds("redis FLUSHALL shop-sess by 127.0.0.1:");
    let point = s.restore_point();
    let before: chrono::DateTime<chrono::Utc> = flushed_at.parse().expect("an instant");
    assert!(
        point <= before + chrono::Duration::seconds(1),
        "the restore point {point} is before the flush (the clock read {before} just before it)"
    );

    let out = s.check(&["--restore-to", &flushed_at]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = s.report();
    assert_eq!(layer(&report, "elasticache")["verdict"], "invalid", "{stdout}");
    assert!(
        layer(&report, "elasticache")["census"]["missing"]
            .as_u64()
            .unwrap()
            >= 1
    );

    // The printed restore: a new group from the newest snapshot.
    let restore = suggestions(&stdout);
    let cache = restore
        .iter()
        .find(|l| l.starts_with("aws elasticache create-replication-group"))
        .unwrap_or_else(|| panic!("an ElastiCache restore: {stdout}"));
    s.shell_ok(cache);
    let out = s.check(&[
        "--restore-to",
        &flushed_at,
        "--recovered",
        "cache_replication_group=shop-sess-restored",
    ]);
    let report = s.report();
    let census = &layer(&report, "elasticache")["census"];
    assert!(census["correct"].as_u64().unwrap() >= 1, "{}", text(&out));
}

#[test]
fn a_dropped_table_is_the_act_found() {
    if !tools_installed() {
        println!("SKIPPED: the AWS CLI or psql is not installed (cargo xtask test installs them)");
        return;
    }
    let s = Session::up("30");
    s.wait_for_ops("place_order", 5);
    // The restore point is the act's instant rounded down to the second, and
    // a payment acknowledged within the check's clock tolerance (250 ms)
    // before it counts as in flight: wait for one the restore point must
    // hold, so that the drop loses it.
    s.wait_for_ops_before_a_second("place_order", std::time::Duration::from_millis(500));
    let update = s.one_liner("UPDATE without WHERE");
    let drop = update.replace(
        "\"UPDATE orders SET status = 'cancelled'\"",
        "\"DROP TABLE payments\"",
    );
    assert_ne!(drop, update, "the psql one-liner has the expected form");
    s.shell_ok(&drop);
    // The traffic writes its history while idle: give it time to record the
    // orders placed just before the drop.
    std::thread::sleep(std::time::Duration::from_secs(2));

    // The emulator's master user may not create the event trigger that
    // would log the DROP itself: the table found missing is the act, dated
    // just after the traffic's last write to it.
    let point = s.restore_point();
    let out = s.check_finds("postgresql DROP TABLE payments (gone;");
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The table is gone and nothing restored it: its rows are lost, and
    // the check says so with a non-zero exit.
    assert!(
        !out.status.success(),
        "a dropped table is not recovered: {}",
        text(&out)
    );
    assert!(
        stdout.contains("× lost write"),
        "the lost payments are named: {}",
        text(&out)
    );
    // No order was placed after the restore point (less the second it is
    // rounded down by): the drop came after every one that was.
    let record = s.record();
    let ops = record["history"]["ops"].as_array().expect("ops");
    let instant = |o: &serde_json::Value, f: &str| -> chrono::DateTime<chrono::Utc> {
        o[f].as_str().expect("an instant").parse().expect("an instant")
    };
    let orders: Vec<&serde_json::Value> = ops.iter().filter(|o| o["kind"] == "place_order").collect();
    let placed = orders
        .iter()
        .filter(|o| o["outcome"] == "ok")
        .map(|o| instant(o, "complete"))
        .max()
        .expect("orders were placed");
    let refused: Vec<&str> = orders
        .iter()
        .filter(|o| o["outcome"] != "ok")
        .filter_map(|o| o["error"].as_str())
        .collect();
    assert!(
        point >= placed - chrono::Duration::seconds(1),
        "{point} is after the last order placed, {placed}, less a second; refused since: {refused:?}"
    );
}

/// Whether MariaDB (the server the emulator runs for `mysql`) and the
/// `mysql` client are installed, besides the AWS CLI.
fn mysql_installed() -> bool {
    ["aws", "mysql", "mariadbd"].iter().all(|t| {
        Command::new("sh")
            .args(["-c", &format!("command -v {t} || test -x /usr/sbin/{t}")])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[test]
fn mysql_orders_broken_by_the_printed_update_come_back_from_the_printed_restore() {
    if !mysql_installed() {
        println!(
            "SKIPPED: the AWS CLI, the mysql client or mariadbd is not installed (cargo xtask test installs them)"
        );
        return;
    }
    let s = Session::up_with("30", &["--store", "orders=mysql"]);
    assert_eq!(s.record()["store"]["db_engine"], "mysql");
    s.wait_for_ops("place_order", 10);

    // The mysql client: an UPDATE without WHERE, found in the row log.
    let update = s.one_liner("UPDATE without WHERE");
    assert!(update.contains(" mysql -h "), "{update}");
    s.shell_ok(&update);
    let out = s.check(&[]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stdout.contains("destructive act: mysql UPDATE orders ("),
        "{stdout}"
    );
    let report = s.report();
    assert_eq!(layer(&report, "rds")["verdict"], "invalid");
    assert!(layer(&report, "rds")["census"]["wrong_value"].as_u64().unwrap() >= 1);

    // The printed RDS restore (a binary log replay, to the second before
    // the restore point) undoes the UPDATE: no order is cancelled any more.
    // Binary log events carry whole seconds, so the writes of the last
    // second before the restore point may be lost (the traffic never
    // pauses): orders placed then are missing and a product's stock may
    // read its previous quantity. Nothing older is: the layer's RPO stays
    // within that second (the UPDATE's damage, not undone, would reach back
    // to the orders' first writes, minutes earlier).
    let rds = suggestions(&stdout)
        .into_iter()
        .find(|l| l.starts_with("aws rds restore-db-instance-to-point-in-time"))
        .unwrap_or_else(|| panic!("an RDS restore: {stdout}"));
    assert!(rds.contains("keeps the whole second"), "{rds}");
    s.shell_ok(&rds);
    let out = s.check(&["--recovered", "db_instance=shop-orders-restored"]);
    let report = s.report();
    let census = &layer(&report, "rds")["census"];
    let rpo = layer(&report, "rds")["rpo"]["seconds"]
        .as_f64()
        .unwrap_or(f64::MAX);
    assert!(
        rpo <= 2.0,
        "only the last second's writes are lost: {}",
        text(&out)
    );
    assert!(census["correct"].as_u64().unwrap() >= 10, "{}", text(&out));
    // 400 orders an hour at speed 30 is about 3.3 a second, each with its
    // items and payment.
    assert!(
        census["missing"].as_u64().unwrap_or(0) <= 40,
        "at most the last second's orders are missing: {}",
        text(&out)
    );
}
