//! The recovery stories: a mass delete and a ransomware overwrite of a
//! versioned bucket rolled back key by key to the last version before T;
//! the same disasters on an unversioned bucket lose the data. A property
//! test checks the rollback on random histories.

use super::*;
use aws_sdk_s3::primitives::DateTime as SdkDateTime;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// One entry of a key's history as ListObjectVersions shows it.
#[derive(Debug, Clone)]
struct Entry {
    version_id: String,
    is_latest: bool,
    last_modified: SdkDateTime,
    marker: bool,
}

/// Every version and marker of every key, newest first per key.
async fn all_versions(c: &Client, bucket: &str) -> BTreeMap<String, Vec<Entry>> {
    let mut out: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
    let (mut km, mut vm): (Option<String>, Option<String>) = (None, None);
    for _ in 0..10_000 {
        let page = c
            .list_object_versions()
            .bucket(bucket)
            .set_key_marker(km.clone())
            .set_version_id_marker(vm.clone())
            .max_keys(50)
            .send()
            .await
            .unwrap();
        let mut entries: Vec<(String, Entry)> = Vec::new();
        for v in page.versions() {
            entries.push((
                v.key().unwrap().to_owned(),
                Entry {
                    version_id: v.version_id().unwrap().to_owned(),
                    is_latest: v.is_latest().unwrap(),
                    last_modified: *v.last_modified().unwrap(),
                    marker: false,
                },
            ));
        }
        for m in page.delete_markers() {
            entries.push((
                m.key().unwrap().to_owned(),
                Entry {
                    version_id: m.version_id().unwrap().to_owned(),
                    is_latest: m.is_latest().unwrap(),
                    last_modified: *m.last_modified().unwrap(),
                    marker: true,
                },
            ));
        }
        for (k, e) in entries {
            out.entry(k).or_default().push(e);
        }
        if !page.is_truncated().unwrap_or(false) {
            break;
        }
        km = page.next_key_marker().map(str::to_owned);
        vm = page.next_version_id_marker().map(str::to_owned);
    }
    for entries in out.values_mut() {
        // Newest first; the current version first among equals.
        entries.sort_by(|a, b| {
            b.last_modified
                .secs()
                .cmp(&a.last_modified.secs())
                .then(
                    b.last_modified
                        .subsec_nanos()
                        .cmp(&a.last_modified.subsec_nanos()),
                )
                .then(b.is_latest.cmp(&a.is_latest))
        });
    }
    out
}

fn before(e: &Entry, t: DateTime<Utc>) -> bool {
    let lm = e.last_modified.secs() * 1000 + i64::from(e.last_modified.subsec_nanos() / 1_000_000);
    lm <= t.timestamp_millis()
}

/// Rolls every key back to what it was at `t`, as a recovery runbook does:
/// delete the markers that hide the right version, copy the right version
/// back when newer objects cover it, or delete keys that did not exist.
pub(crate) async fn rollback_to(c: &Client, bucket: &str, t: DateTime<Utc>) {
    for (key, entries) in all_versions(c, bucket).await {
        let Some(current) = entries.iter().find(|e| e.is_latest) else {
            continue;
        };
        let target = entries.iter().find(|e| before(e, t));
        match target {
            Some(tv) if !tv.marker => {
                if current.version_id == tv.version_id {
                    continue;
                }
                let newer: Vec<&Entry> = entries
                    .iter()
                    .take_while(|e| e.version_id != tv.version_id)
                    .collect();
                if newer.iter().all(|e| e.marker) {
                    for m in newer {
                        c.delete_object()
                            .bucket(bucket)
                            .key(&key)
                            .version_id(&m.version_id)
                            .send()
                            .await
                            .unwrap();
                    }
                } else {
                    c.copy_object()
                        .bucket(bucket)
                        .key(&key)
                        .copy_source(format!("{bucket}/{key}?versionId={}", tv.version_id))
                        .send()
                        .await
                        .unwrap();
                }
            }
            _ => {
                if !current.marker {
                    c.delete_object().bucket(bucket).key(&key).send().await.unwrap();
                }
            }
        }
    }
}

/// Every current key and its body.
async fn contents(c: &Client, bucket: &str) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut token = None;
    for _ in 0..1000 {
        let page = c
            .list_objects_v2()
            .bucket(bucket)
            .set_continuation_token(token)
            .send()
            .await
            .unwrap();
        for o in page.contents() {
            let k = o.key().unwrap().to_owned();
            let body = get(c, bucket, &k, None).await.unwrap();
            out.insert(k, body);
        }
        token = page.next_continuation_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    out
}

async fn seed(c: &Client, bucket: &str, n: usize) -> BTreeMap<String, Vec<u8>> {
    let mut want = BTreeMap::new();
    for i in 0..n {
        let key = format!("invoices/{i:03}.pdf");
        let body = format!("invoice {i}").into_bytes();
        put(c, bucket, &key, &body).await;
        want.insert(key, body);
    }
    want
}

async fn mass_delete(c: &Client, bucket: &str, keys: &[String]) {
    for chunk in keys.chunks(1000) {
        c.delete_objects()
            .bucket(bucket)
            .delete(
                Delete::builder()
                    .set_objects(Some(
                        chunk
                            .iter()
                            .map(|k| ObjectIdentifier::builder().key(k).build().unwrap())
                            .collect(),
                    ))
                    .quiet(true)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn mass_delete_of_a_versioned_bucket_is_rolled_back_to_t() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "assets", "us-east-1").await;
    enable_versioning(&c, "assets").await;
    let mut want = seed(&c, "assets", 40).await;
    // Some keys change before T: the rollback must bring the later version.
    put(&c, "assets", "invoices/000.pdf", b"invoice 0, amended").await;
    want.insert("invoices/000.pdf".to_owned(), b"invoice 0, amended".to_vec());
    server.advance(Duration::minutes(5)).await;
    let t = server.env().now();
    server.advance(Duration::minutes(5)).await;
    let keys: Vec<String> = want.keys().cloned().collect();
    mass_delete(&c, "assets", &keys).await;
    put(&c, "assets", "invoices/new-after-t.pdf", b"written after T").await;
    assert!(contents(&c, "assets").await.len() == 1);

    rollback_to(&c, "assets", t).await;
    assert_eq!(contents(&c, "assets").await, want);
}

#[tokio::test]
async fn ransomware_overwrite_is_recovered_from_prior_versions() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "media", "us-east-1").await;
    enable_versioning(&c, "media").await;
    let want = seed(&c, "media", 25).await;
    server.advance(Duration::minutes(1)).await;
    let t = server.env().now();
    server.advance(Duration::minutes(1)).await;
    for key in want.keys() {
        put(&c, "media", key, b"ENCRYPTED: pay 5 BTC").await;
    }
    assert!(
        contents(&c, "media")
            .await
            .values()
            .all(|b| b.starts_with(b"ENCRYPTED"))
    );
    rollback_to(&c, "media", t).await;
    assert_eq!(contents(&c, "media").await, want);
    // The encrypted versions are still there as noncurrent versions.
    let versions = all_versions(&c, "media").await;
    assert!(versions.values().all(|v| v.len() == 3));
}

#[tokio::test]
async fn the_same_disasters_on_an_unversioned_bucket_lose_the_data() {
    let (server, _) = server().await;
    let c = client(&server, "us-east-1").await;
    create_bucket(&c, "plain-assets", "us-east-1").await;
    let want = seed(&c, "plain-assets", 10).await;
    server.advance(Duration::minutes(1)).await;
    let t = server.env().now();
    server.advance(Duration::minutes(1)).await;
    let keys: Vec<String> = want.keys().cloned().collect();
    for key in &keys[..5] {
        put(&c, "plain-assets", key, b"ENCRYPTED").await;
    }
    mass_delete(&c, "plain-assets", &keys[5..]).await;
    // Nothing from before T survives: the only versions are the null ones
    // written by the attack.
    let versions = all_versions(&c, "plain-assets").await;
    assert_eq!(versions.len(), 5, "deleted objects are gone for good");
    assert!(
        versions
            .values()
            .all(|v| v.len() == 1 && v[0].version_id == "null" && !before(&v[0], t))
    );
    let after = contents(&c, "plain-assets").await;
    assert!(
        after.values().all(|b| b == b"ENCRYPTED"),
        "overwritten bodies are gone for good"
    );
    rollback_to(&c, "plain-assets", t).await;
    let rolled_back = contents(&c, "plain-assets").await;
    assert_ne!(rolled_back, want, "an unversioned bucket cannot be rolled back");
    assert!(rolled_back.values().all(|b| !want.values().any(|w| w == b)));
}

#[derive(Debug, Clone)]
enum Op {
    Put(u8, u8),
    Delete(u8),
    Advance(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..4u8, any::<u8>()).prop_map(|(k, b)| Op::Put(k, b)),
        2 => (0..4u8).prop_map(Op::Delete),
        1 => (1..120u8).prop_map(Op::Advance),
    ]
}

async fn apply(server: &TestServer, c: &Client, ops: &[Op], model: &mut BTreeMap<String, Vec<u8>>) {
    for op in ops {
        match op {
            Op::Put(k, b) => {
                let key = format!("k{k}");
                let body = vec![*b; usize::from(*b % 7) + 1];
                put(c, "prop", &key, &body).await;
                model.insert(key, body);
            }
            Op::Delete(k) => {
                let key = format!("k{k}");
                c.delete_object().bucket("prop").key(&key).send().await.unwrap();
                model.remove(&key);
            }
            Op::Advance(s) => server.advance(Duration::seconds(i64::from(*s))).await,
        }
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn rolling_back_to_t_restores_exactly_the_state_at_t(
        before_t in prop::collection::vec(op(), 0..25),
        after_t in prop::collection::vec(op(), 0..25),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let (server, _) = server().await;
            let c = client(&server, "us-east-1").await;
            create_bucket(&c, "prop", "us-east-1").await;
            enable_versioning(&c, "prop").await;
            let mut model = BTreeMap::new();
            apply(&server, &c, &before_t, &mut model).await;
            let at_t = model.clone();
            server.advance(Duration::seconds(1)).await;
            let t = server.env().now();
            server.advance(Duration::seconds(1)).await;
            apply(&server, &c, &after_t, &mut model).await;
            rollback_to(&c, "prop", t).await;
            let got = contents(&c, "prop").await;
            server.stop().await;
            prop_assert_eq!(got, at_t);
            Ok(())
        })?;
    }
}
