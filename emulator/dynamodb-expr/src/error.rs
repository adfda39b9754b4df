//! The one error type of the expression language. Every failure here is a
//! DynamoDB `ValidationException`; the message is worded as AWS words it, so
//! the service crate can pass it through unchanged.

use std::fmt::Display;

/// A validation failure, always reported by the service as `ValidationException`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ExprError {
    /// The message as AWS words it.
    pub message: String,
}

impl ExprError {
    /// An error with this exact message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// An error about one expression, prefixed the way AWS prefixes it:
    /// `Invalid UpdateExpression: <detail>`.
    pub(crate) fn invalid(kind: &str, detail: impl Display) -> Self {
        Self::new(format!("Invalid {kind}: {detail}"))
    }

    /// The runtime error for an operand of the wrong type in an update.
    pub(crate) fn incorrect_data_type() -> Self {
        Self::new("An operand in the update expression has an incorrect data type")
    }

    /// The runtime error for an operand that refers to a missing attribute.
    pub(crate) fn missing_attribute() -> Self {
        Self::new("The provided expression refers to an attribute that does not exist in the item")
    }

    /// The runtime error for a path whose parent is missing or of the wrong type.
    pub(crate) fn invalid_update_path() -> Self {
        Self::new("The document path provided in the update expression is invalid for update")
    }
}
