//! Values AWS refuses are refused before anything is created or changed:
//! no record, no data directory and no PostgreSQL server is left by a
//! request that fails validation, and echoed values never break the XML.

mod common;

use aws_sdk_rds::Client;
use aws_sdk_rds::operation::create_db_instance::builders::CreateDBInstanceFluentBuilder;
use common::*;

fn valid(c: &Client, id: &str) -> CreateDBInstanceFluentBuilder {
    c.create_db_instance()
        .db_instance_identifier(id)
        .db_instance_class("db.t3.micro")
        .engine("postgres")
        .master_username("shop")
        .master_user_password(PASSWORD)
}

/// The entries of the service's per-instance data directory.
fn instance_dirs(rds: &firedrill_emu_rds::Rds) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(rds.run_dir().join("instances"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn invalid_creates_leave_nothing_behind() {
    let Some((server, rds)) = start("invalid_creates_leave_nothing_behind").await else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    let cases: Vec<(&str, CreateDBInstanceFluentBuilder, &str, Option<&str>)> = vec![
        (
            "port 70000",
            valid(&c, "p1").port(70000),
            "InvalidParameterValue",
            None,
        ),
        (
            "port 1149",
            valid(&c, "p2").port(1149),
            "InvalidParameterValue",
            None,
        ),
        (
            "class db.huge",
            valid(&c, "p3").db_instance_class("db.huge"),
            "InvalidParameterCombination",
            Some(
                "RDS does not support creating a DB instance with the following combination: DBInstanceClass=db.huge, Engine=postgres, EngineVersion=17.5, LicenseModel=postgresql-license. For supported combinations of instance class and database engine version, see the documentation.",
            ),
        ),
        (
            "storage floppy",
            valid(&c, "p4").storage_type("floppy"),
            "InvalidParameterValue",
            Some("Invalid storage type: floppy"),
        ),
        (
            "gp2 of 10 GiB",
            valid(&c, "p5").storage_type("gp2").allocated_storage(10),
            "InvalidParameterCombination",
            Some("Invalid storage size for engine name postgres and storage type gp2: 10"),
        ),
        (
            "gp3 of 70000 GiB",
            valid(&c, "p6").allocated_storage(70000),
            "InvalidParameterCombination",
            None,
        ),
        (
            "io1 without Iops",
            valid(&c, "p7").storage_type("io1").allocated_storage(100),
            "InvalidParameterCombination",
            Some("The storage type io1 requires iops to be specified."),
        ),
        (
            "engine version 99.1",
            valid(&c, "p8").engine_version("99.1"),
            "InvalidParameterCombination",
            Some("Cannot find version 99.1 for postgres"),
        ),
        (
            "engine nosuch",
            valid(&c, "p9").engine("nosuch"),
            "InvalidParameterValue",
            Some("Invalid DB engine: nosuch"),
        ),
        (
            "zone of another region",
            valid(&c, "p10").availability_zone("eu-west-1a"),
            "InvalidParameterValue",
            Some("eu-west-1a is not a valid availability zone."),
        ),
        (
            "overlapping windows",
            valid(&c, "p11")
                .preferred_backup_window("05:15-05:45")
                .preferred_maintenance_window("sun:05:00-sun:05:30"),
            "InvalidParameterValue",
            Some("The backup window and maintenance window must not overlap."),
        ),
        (
            "retention 36",
            valid(&c, "p12").backup_retention_period(36),
            "InvalidParameterValue",
            None,
        ),
        (
            "username of 17 characters",
            valid(&c, "p13").master_username("a2345678901234567"),
            "InvalidParameterValue",
            None,
        ),
        (
            "password with a slash",
            valid(&c, "p14").master_user_password("pass/word1"),
            "InvalidParameterValue",
            None,
        ),
        (
            "identifier of 64 characters",
            valid(&c, &format!("a{}", "b".repeat(63))),
            "InvalidParameterValue",
            None,
        ),
        (
            "unknown parameter group",
            valid(&c, "p15").db_parameter_group_name("nope"),
            "DBParameterGroupNotFound",
            Some("DBParameterGroup not found: nope"),
        ),
        (
            "unknown subnet group",
            valid(&c, "p16").db_subnet_group_name("nope"),
            "DBSubnetGroupNotFoundFault",
            None,
        ),
        (
            "unknown option group",
            valid(&c, "p17").option_group_name("nope"),
            "OptionGroupNotFoundFault",
            None,
        ),
        (
            "monitoring interval 7",
            valid(&c, "p18").monitoring_interval(7),
            "InvalidParameterValue",
            None,
        ),
        (
            "tag value with a NUL",
            valid(&c, "p19").tags(aws_sdk_rds::types::Tag::builder().key("k").value("a\0b").build()),
            "InvalidParameterValue",
            None,
        ),
        (
            "unknown cluster",
            valid(&c, "p20").db_cluster_identifier("ghost"),
            "DBClusterNotFoundFault",
            Some("DBCluster ghost not found."),
        ),
    ];
    for (what, req, want, message) in cases {
        let err = req.send().await.expect_err(what);
        assert_eq!(code(&err), want, "{what}: {err:?}");
        if let Some(m) = message {
            assert_eq!(
                err.as_service_error().unwrap().meta().message(),
                Some(m),
                "{what}"
            );
        }
    }
    let cluster_err = c
        .create_db_cluster()
        .db_cluster_identifier("c1")
        .engine("aurora-postgresql")
        .master_username("shop")
        .master_user_password(PASSWORD)
        .port(70000)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&cluster_err), "InvalidParameterValue");
    let cluster_err = c
        .create_db_cluster()
        .db_cluster_identifier("c1")
        .engine("aurora-postgresql")
        .master_username("shop")
        .master_user_password(PASSWORD)
        .db_cluster_parameter_group_name("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&cluster_err), "DBClusterParameterGroupNotFound");

    // Nothing was created: no record, no data directory, no server.
    let all = c.describe_db_instances().send().await.unwrap();
    assert!(all.db_instances().is_empty(), "{:?}", all.db_instances());
    assert!(
        c.describe_db_clusters()
            .send()
            .await
            .unwrap()
            .db_clusters()
            .is_empty()
    );
    assert!(
        rds.server_pids().is_empty(),
        "servers were started: {:?}",
        rds.server_pids()
    );
    assert!(instance_dirs(&rds).is_empty(), "{:?}", instance_dirs(&rds));

    // A valid request still works and reports what it was given.
    let created = valid(&c, "fine")
        .storage_type("io1")
        .allocated_storage(100)
        .iops(1000)
        .port(6543)
        .engine_version("16")
        .send()
        .await
        .expect("a valid create")
        .db_instance
        .unwrap();
    assert_eq!(created.storage_type(), Some("io1"));
    assert_eq!(created.iops(), Some(1000));
    assert_eq!(created.engine_version(), Some("16.9"));
    assert_eq!(
        created.db_parameter_groups()[0].db_parameter_group_name(),
        Some("default.postgres16")
    );
    assert_eq!(
        created.db_subnet_group().and_then(|g| g.db_subnet_group_name()),
        Some("default")
    );
    let available = wait_status(&c, "fine", "available").await;

    // ModifyDBInstance refuses a bad storage type and changes nothing.
    let err = c
        .modify_db_instance()
        .db_instance_identifier("fine")
        .storage_type("floppy")
        .apply_immediately(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidParameterValue");
    for (what, req) in [
        (
            "class",
            c.modify_db_instance()
                .db_instance_identifier("fine")
                .db_instance_class("db.huge"),
        ),
        (
            "port",
            c.modify_db_instance()
                .db_instance_identifier("fine")
                .db_port_number(70000),
        ),
        (
            "shrink",
            c.modify_db_instance()
                .db_instance_identifier("fine")
                .allocated_storage(50),
        ),
        (
            "windows",
            c.modify_db_instance()
                .db_instance_identifier("fine")
                .preferred_backup_window("05:00-05:30"),
        ),
    ] {
        let err = req.apply_immediately(true).send().await.expect_err(what);
        assert!(
            ["InvalidParameterValue", "InvalidParameterCombination"].contains(&code(&err).as_str()),
            "{what}: {err:?}"
        );
    }
    let after = describe(&c, "fine").await;
    assert_eq!(after.db_instance_status(), Some("available"));
    assert_eq!(after.storage_type(), Some("io1"));
    assert_eq!(after.db_instance_class(), Some("db.t3.micro"));
    assert_eq!(after.allocated_storage(), Some(100));
    assert_eq!(
        after.preferred_backup_window(),
        available.preferred_backup_window()
    );
    server.stop().await;
}

#[tokio::test]
async fn invalid_restores_leave_nothing_behind() {
    let Some((server, rds)) = start("invalid_restores_leave_nothing_behind").await else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    create_instance(&c, "src", 1).await;
    rds.create_snapshot("us-east-1", "src", "snap", "manual")
        .await
        .expect("snapshot");
    let servers = rds.server_pids().len();
    let dirs = instance_dirs(&rds).len();
    let restore = || {
        c.restore_db_instance_from_db_snapshot()
            .db_snapshot_identifier("snap")
            .db_instance_identifier("copy")
    };
    let pitr = || {
        c.restore_db_instance_to_point_in_time()
            .source_db_instance_identifier("src")
            .target_db_instance_identifier("copy")
            .use_latest_restorable_time(true)
    };
    let errors = [
        (
            "snapshot port",
            code(&restore().port(70000).send().await.unwrap_err()),
        ),
        (
            "snapshot class",
            code(&restore().db_instance_class("db.huge").send().await.unwrap_err()),
        ),
        (
            "snapshot storage",
            code(&restore().storage_type("floppy").send().await.unwrap_err()),
        ),
        (
            "snapshot parameter group",
            code(
                &restore()
                    .db_parameter_group_name("nope")
                    .send()
                    .await
                    .unwrap_err(),
            ),
        ),
        ("pitr port", code(&pitr().port(70000).send().await.unwrap_err())),
        (
            "pitr class",
            code(&pitr().db_instance_class("db.huge").send().await.unwrap_err()),
        ),
        (
            "pitr storage",
            code(&pitr().storage_type("floppy").send().await.unwrap_err()),
        ),
    ];
    assert_eq!(
        errors.map(|(w, c)| (w, c)),
        [
            ("snapshot port", "InvalidParameterValue".to_owned()),
            ("snapshot class", "InvalidParameterCombination".to_owned()),
            ("snapshot storage", "InvalidParameterValue".to_owned()),
            ("snapshot parameter group", "DBParameterGroupNotFound".to_owned()),
            ("pitr port", "InvalidParameterValue".to_owned()),
            ("pitr class", "InvalidParameterCombination".to_owned()),
            ("pitr storage", "InvalidParameterValue".to_owned()),
        ]
    );
    let ids: Vec<String> = c
        .describe_db_instances()
        .send()
        .await
        .unwrap()
        .db_instances()
        .iter()
        .filter_map(|i| i.db_instance_identifier().map(str::to_owned))
        .collect();
    assert_eq!(ids, ["src"]);
    assert_eq!(rds.server_pids().len(), servers);
    assert_eq!(instance_dirs(&rds).len(), dirs);
    server.stop().await;
}

#[tokio::test]
async fn clusters_not_found_and_echoes_stay_xml() {
    let Some((server, _rds)) = start("clusters_not_found_and_echoes_stay_xml").await else {
        return;
    };
    let c = client(&server, "us-east-1").await;
    let err = c
        .describe_db_clusters()
        .db_cluster_identifier("ghost")
        .send()
        .await
        .unwrap_err();
    assert!(err.as_service_error().unwrap().is_db_cluster_not_found_fault());
    let err = c
        .delete_db_cluster()
        .db_cluster_identifier("ghost")
        .skip_final_snapshot(true)
        .send()
        .await
        .unwrap_err();
    assert!(err.as_service_error().unwrap().is_db_cluster_not_found_fault());
    // Actions firedrill does not serve still say the cluster is not found.
    let err = c
        .stop_db_cluster()
        .db_cluster_identifier("ghost")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error().unwrap().is_db_cluster_not_found_fault(),
        "{err:?}"
    );
    let err = c
        .modify_db_cluster()
        .db_cluster_identifier("ghost")
        .backup_retention_period(7)
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error().unwrap().is_db_cluster_not_found_fault(),
        "{err:?}"
    );
    let (status, body) = raw_post(
        &server.endpoint,
        "Action=StartDBCluster&Version=2014-10-31&DBClusterIdentifier=ghost",
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("<Code>DBClusterNotFoundFault</Code>"), "{body}");

    // A NUL byte and markup in echoed values: escaped, never raw.
    for body in [
        "Action=CreateDBInstance&Version=2014-10-31&DBInstanceIdentifier=x&DBInstanceClass=db.t3.micro&MasterUsername=shop&MasterUserPassword=s3cret-pass&Engine=my%00sql%3C%2FMessage%3E",
        "Action=Describe%00DBInstances&Version=2014-10-31",
        "Action=CreateDBInstance&Version=2014-10-31&DBInstanceIdentifier=x&DBInstanceClass=db.%00huge&MasterUsername=shop&MasterUserPassword=s3cret-pass&Engine=postgres",
    ] {
        let (status, text) = raw_post(&server.endpoint, body).await;
        assert_eq!(status, 400, "{text}");
        assert!(!text.contains('\0'), "a raw NUL in {text:?}");
        assert!(!text.contains("sql</Message>"), "unescaped markup in {text}");
        assert!(xml_safe(&text), "not XML-safe: {text:?}");
    }
    server.stop().await;
}

/// Whether every character of `text` is one XML 1.0 can carry, and every
/// `<Message>` holds no markup.
fn xml_safe(text: &str) -> bool {
    let chars_ok = text.chars().all(|c| c >= ' ' || matches!(c, '\t' | '\n' | '\r'));
    let messages_ok = text.split("<Message>").skip(1).all(|m| {
        m.split_once("</Message>")
            .is_some_and(|(inner, _)| !inner.contains('<') && !inner.contains('>'))
    });
    chars_ok && messages_ok
}
