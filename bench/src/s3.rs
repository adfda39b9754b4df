//! S3: PutObject/GetObject per second at 1 KiB and 1 MiB through aws-sdk-s3,
//! and paging through ListObjectVersions over 100k versions.

use crate::measure::{BenchResult, ms, rate};
use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use firedrill_emulator::Emulator;
use futures::future::try_join_all;
use std::time::Instant;

const ROUNDS: usize = 3;
const CONCURRENCY: usize = 16;

fn client(sdk: &aws_config::SdkConfig) -> Client {
    Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(true)
            .build(),
    )
}

async fn load(client: &Client, bucket: &str, n: usize, body: &[u8], gets: bool) -> anyhow::Result<f64> {
    let per_worker = n.div_ceil(CONCURRENCY);
    let start = Instant::now();
    try_join_all((0..CONCURRENCY).map(|w| {
        let client = client.clone();
        let bucket = bucket.to_owned();
        let body = body.to_vec();
        async move {
            for j in 0..per_worker {
                let key = format!("obj-{w}-{j}");
                if gets {
                    let out = client.get_object().bucket(&bucket).key(&key).send().await?;
                    out.body.collect().await?;
                } else {
                    client
                        .put_object()
                        .bucket(&bucket)
                        .key(&key)
                        .body(ByteStream::from(body.clone()))
                        .send()
                        .await?;
                }
            }
            anyhow::Ok(())
        }
    }))
    .await?;
    Ok(rate(per_worker * CONCURRENCY, start.elapsed()))
}

/// Put and get rates at 1 KiB and 1 MiB.
pub async fn throughput(scale: usize) -> anyhow::Result<Vec<BenchResult>> {
    let emulator = Emulator::builder().start().await?;
    emulator.settle().await;
    let s3 = client(&emulator.sdk_config("us-east-1").await);
    s3.create_bucket().bucket("bench").send().await?;
    let mut out = Vec::new();
    for (label, size, n) in [("1kib", 1024usize, 4000 / scale), ("1mib", 1 << 20, 200 / scale)] {
        let body = vec![b'x'; size];
        let mut puts = Vec::new();
        let mut gets = Vec::new();
        for _ in 0..ROUNDS {
            puts.push(load(&s3, "bench", n, &body, false).await?);
            gets.push(load(&s3, "bench", n, &body, true).await?);
        }
        out.push(
            BenchResult::new(format!("s3_put_object_{label}"), "ops/s", puts).note("16 concurrent clients"),
        );
        out.push(
            BenchResult::new(format!("s3_get_object_{label}"), "ops/s", gets).note("16 concurrent clients"),
        );
    }
    emulator.shutdown().await;
    Ok(out)
}

/// Time to page through every version of a bucket holding 100k versions.
pub async fn list_object_versions(scale: usize) -> anyhow::Result<BenchResult> {
    let versions = 100_000 / scale;
    let emulator = Emulator::builder().in_memory_bodies(true).start().await?;
    emulator.settle().await;
    let s3 = client(&emulator.sdk_config("us-east-1").await);
    s3.create_bucket().bucket("history").send().await?;
    s3.put_bucket_versioning()
        .bucket("history")
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await?;
    let keys = versions / 5;
    let per_worker = versions.div_ceil(CONCURRENCY);
    try_join_all((0..CONCURRENCY).map(|w| {
        let s3 = s3.clone();
        async move {
            for j in 0..per_worker {
                let key = format!("images/{:06}", (w * per_worker + j) % keys);
                s3.put_object()
                    .bucket("history")
                    .key(key)
                    .body(ByteStream::from_static(b"v"))
                    .send()
                    .await?;
            }
            anyhow::Ok(())
        }
    }))
    .await?;
    let mut samples = Vec::new();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let mut seen = 0usize;
        let (mut key_marker, mut version_marker) = (None::<String>, None::<String>);
        loop {
            let page = s3
                .list_object_versions()
                .bucket("history")
                .set_key_marker(key_marker.take())
                .set_version_id_marker(version_marker.take())
                .send()
                .await?;
            seen += page.versions().len();
            if !page.is_truncated().unwrap_or(false) {
                break;
            }
            key_marker = page.next_key_marker().map(str::to_owned);
            version_marker = page.next_version_id_marker().map(str::to_owned);
        }
        samples.push(ms(t.elapsed()));
        anyhow::ensure!(seen >= versions, "listed {seen} versions, expected {versions}");
    }
    emulator.shutdown().await;
    Ok(BenchResult::new("s3_list_object_versions_100k", "ms", samples)
        .note(format!("{versions} versions over {keys} keys, 1000 per page")))
}
