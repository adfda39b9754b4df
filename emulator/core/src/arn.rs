//! Amazon Resource Names as AWS forms them.

use std::fmt;

/// An ARN: `arn:aws:<service>:<region>:<account>:<resource>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Arn {
    /// The service namespace (`dynamodb`, `s3`, `rds`, `backup`).
    pub service: String,
    /// The region; empty for global resources such as S3 buckets.
    pub region: String,
    /// The account id; empty for S3 buckets.
    pub account: String,
    /// The resource part, for example `table/carts`.
    pub resource: String,
}

/// Why a string is not an ARN.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid ARN {0:?}: expected arn:aws:<service>:<region>:<account>:<resource>")]
pub struct ArnParseError(pub String);

impl Arn {
    /// Builds an ARN from its parts.
    pub fn new(
        service: impl Into<String>,
        region: impl Into<String>,
        account: impl Into<String>,
        resource: impl Into<String>,
    ) -> Self {
        Self {
            service: service.into(),
            region: region.into(),
            account: account.into(),
            resource: resource.into(),
        }
    }

    /// Parses an ARN in the `aws` partition.
    pub fn parse(s: &str) -> Result<Self, ArnParseError> {
        let mut parts = s.splitn(6, ':');
        let (Some("arn"), Some(_partition), Some(service), Some(region), Some(account), Some(resource)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(ArnParseError(s.to_owned()));
        };
        if service.is_empty() || resource.is_empty() {
            return Err(ArnParseError(s.to_owned()));
        }
        Ok(Self::new(service, region, account, resource))
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:aws:{}:{}:{}:{}",
            self.service, self.region, self.account, self.resource
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        let arn = Arn::new("dynamodb", "us-east-1", "000000000000", "table/carts");
        assert_eq!(
            arn.to_string(),
            "arn:aws:dynamodb:us-east-1:000000000000:table/carts"
        );
        assert_eq!(Arn::parse(&arn.to_string()).unwrap(), arn);
        let rds = Arn::parse("arn:aws:rds:us-west-2:000000000000:db:orders").unwrap();
        assert_eq!(rds.resource, "db:orders");
        assert!(Arn::parse("carts").is_err());
        assert!(Arn::parse("arn:aws:s3:::").is_err());
    }
}
