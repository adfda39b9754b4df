//! S3's virtual-hosted-style addressing: `bucket.<base domain>` in the Host
//! header names the bucket.
//!
//! Requests to any other host (an IP address, `localhost`, a container
//! name) are path-style, so the same endpoint serves both styles. The base
//! domains default to [`DEFAULT_BASE_DOMAINS`], which covers SDKs pointed at
//! `http://localhost:<port>` without path style and LocalStack-style
//! hostnames. It lives in the core because the front end needs it too (an
//! S3 `MethodNotAllowed` names the resource type the request addressed).

/// The base domains recognised unless others are configured.
pub const DEFAULT_BASE_DOMAINS: [&str; 3] = [
    "s3.localhost.localstack.cloud",
    "localhost.localstack.cloud",
    "localhost",
];

/// Finds the bucket in `bucket.<base>` Host headers.
#[derive(Debug, Clone)]
pub struct VirtualHosts {
    /// Base domains, longest first, lower case, without ports.
    bases: Vec<String>,
}

impl Default for VirtualHosts {
    fn default() -> Self {
        Self::new(DEFAULT_BASE_DOMAINS)
    }
}

impl VirtualHosts {
    /// Recognises `bucket.<base>` for each of `bases`.
    pub fn new<I, S>(bases: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut bases: Vec<String> = bases
            .into_iter()
            .map(|b| b.as_ref().trim().trim_matches('.').to_ascii_lowercase())
            .filter(|b| !b.is_empty())
            .collect();
        bases.sort_by_key(|b| std::cmp::Reverse(b.len()));
        Self { bases }
    }

    /// The bucket a Host header names, if it is virtual-hosted-style.
    pub fn bucket_of(&self, host: &str) -> Option<String> {
        let name = match host.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => host,
        };
        let name = name.to_ascii_lowercase();
        for base in &self.bases {
            if name == *base {
                return None;
            }
            if let Some(bucket) = name.strip_suffix(base.as_str()).and_then(|p| p.strip_suffix('.'))
                && !bucket.is_empty()
            {
                return Some(bucket.to_owned());
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_come_from_subdomains_of_base_domains_only() {
        let v = VirtualHosts::new(DEFAULT_BASE_DOMAINS);
        assert_eq!(v.bucket_of("assets.localhost:4566").as_deref(), Some("assets"));
        assert_eq!(
            v.bucket_of("my.bucket.s3.localhost.localstack.cloud:4566")
                .as_deref(),
            Some("my.bucket")
        );
        assert_eq!(v.bucket_of("s3.localhost.localstack.cloud:4566"), None);
        assert_eq!(v.bucket_of("localhost:4566"), None);
        assert_eq!(v.bucket_of("emulator:4566"), None);
        assert_eq!(v.bucket_of("127.0.0.1:4566"), None);
    }
}
