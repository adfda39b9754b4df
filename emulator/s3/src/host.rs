//! Virtual-hosted-style addressing for `s3s`: the core's
//! [`VirtualHosts`] (`bucket.<base domain>` in the Host header names the
//! bucket) as an [`S3Host`].

pub use firedrill_emu_core::s3_host::{DEFAULT_BASE_DOMAINS, VirtualHosts};
use s3s::S3Result;
use s3s::host::{S3Host, VirtualHost};

/// [`VirtualHosts`] as `s3s` asks for it.
#[derive(Debug, Clone)]
pub struct S3VirtualHosts(pub VirtualHosts);

impl S3Host for S3VirtualHosts {
    fn parse_host_header<'a>(&'a self, host: &'a str) -> S3Result<VirtualHost<'a>> {
        Ok(match self.0.bucket_of(host) {
            Some(bucket) => VirtualHost::new(host).with_bucket(bucket),
            None => VirtualHost::new(host),
        })
    }
}
