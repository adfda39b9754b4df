//! The error-codes probe: bad input gets AWS's own codes, which recovery
//! code branches on (a `ValidationException` for a malformed DynamoDB key,
//! `NoSuchBucket`, `DBInstanceNotFound`).

use super::Outcome;
use super::support::{Ctx, Step};
use super::{dynamodb, rds, s3};

/// Runs each check; RDS is skipped (and said so) where the target has none.
pub(crate) async fn error_codes(ctx: &Ctx<'_>, details: &mut Vec<String>) -> Step<Outcome> {
    let mut wrong = Vec::new();
    if let Err(w) = dynamodb::malformed_key(ctx, details).await? {
        wrong.push(w);
    }
    if let Err(w) = s3::no_such_bucket(ctx, details).await {
        wrong.push(w);
    }
    match rds::not_found(ctx, details).await {
        Ok(Ok(())) => {}
        Ok(Err(w)) => wrong.push(w),
        Err(Outcome::Unsupported(why)) => details.push(format!("RDS not checked: {why}")),
        Err(other) => return Err(other),
    }
    Ok(if wrong.is_empty() {
        Outcome::Honoured
    } else {
        Outcome::NotHonoured(wrong.join("; "))
    })
}
