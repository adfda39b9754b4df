//! KMS's errors: one enum named after AWS's error codes, and the one place
//! where they become AWS JSON 1.1 error responses.
//!
//! Bodies are as KMS writes them: `{"__type": "<Code>", "message": "..."}`
//! with `Content-Type: application/x-amz-json-1.1`; the front end's own
//! errors (an unreadable body, an unknown target) carry the
//! `com.amazon.coral.service` namespace. Every error is a client error
//! (HTTP 400) except `KMSInternalException` (500). `InvalidCiphertextException`
//! carries no message, as AWS sends it.

use firedrill_emu_core::Body;
use firedrill_emu_core::protocol::COMMON_JSON_PREFIX;
use http::{Response, StatusCode};

/// A KMS error, named after AWS's error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KmsError {
    /// A request member outside the model's constraints, or a rule KMS
    /// checks itself (the deletion window, data key sizes).
    #[error("{0}")]
    Validation(String),
    /// A body that is not JSON or has a member of the wrong type.
    #[error("{0}")]
    Serialization(String),
    /// An `X-Amz-Target` that names no KMS operation served here.
    #[error("{0}")]
    UnknownOperation(String),
    /// No such key or alias, or a key id that is not one.
    #[error("{0}")]
    NotFound(String),
    /// An ARN that is not a KMS key or alias ARN.
    #[error("{0}")]
    InvalidArn(String),
    /// The key is disabled.
    #[error("{0}")]
    Disabled(String),
    /// The key's state does not allow the operation (pending deletion).
    #[error("{0}")]
    InvalidState(String),
    /// The alias name is taken.
    #[error("{0}")]
    AlreadyExists(String),
    /// An alias name KMS refuses.
    #[error("{0}")]
    InvalidAliasName(String),
    /// Reserved alias prefixes (`alias/aws/`).
    #[error("{0}")]
    NotAuthorized(String),
    /// A ciphertext this service did not produce, was altered, or is bound
    /// to another encryption context.
    #[error("ciphertext rejected")]
    InvalidCiphertext,
    /// `Decrypt` or `ReEncrypt` named a key other than the ciphertext's.
    #[error("{0}")]
    IncorrectKey(String),
    /// The key cannot be used this way (an asymmetric algorithm on a
    /// symmetric key).
    #[error("{0}")]
    InvalidKeyUsage(String),
    /// A `Marker` this service did not hand out.
    #[error("{0}")]
    InvalidMarker(String),
    /// A tag KMS refuses.
    #[error("{0}")]
    Tag(String),
    /// A quota is exceeded.
    #[error("{0}")]
    LimitExceeded(String),
    /// A policy that is not a JSON policy document.
    #[error("{0}")]
    MalformedPolicyDocument(String),
    /// A request AWS would serve and this emulator does not (key specs
    /// other than `SYMMETRIC_DEFAULT`, imported or external key material,
    /// multi-Region keys).
    #[error("{0}")]
    UnsupportedOperation(String),
    /// A custom key store that does not exist (this emulator has none).
    #[error("{0}")]
    CustomKeyStoreNotFound(String),
    /// A `DryRun` request that would have succeeded.
    #[error("{0}")]
    DryRunOperation(String),
    /// A fault of the emulator itself.
    #[error("{0}")]
    Internal(String),
}

/// The result of a KMS operation.
pub type Result<T> = std::result::Result<T, KmsError>;

impl KmsError {
    /// AWS's error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "ValidationException",
            Self::Serialization(_) => "SerializationException",
            Self::UnknownOperation(_) => "UnknownOperationException",
            Self::NotFound(_) => "NotFoundException",
            Self::InvalidArn(_) => "InvalidArnException",
            Self::Disabled(_) => "DisabledException",
            Self::InvalidState(_) => "KMSInvalidStateException",
            Self::AlreadyExists(_) => "AlreadyExistsException",
            Self::InvalidAliasName(_) => "InvalidAliasNameException",
            Self::NotAuthorized(_) => "NotAuthorizedException",
            Self::InvalidCiphertext => "InvalidCiphertextException",
            Self::IncorrectKey(_) => "IncorrectKeyException",
            Self::InvalidKeyUsage(_) => "InvalidKeyUsageException",
            Self::InvalidMarker(_) => "InvalidMarkerException",
            Self::Tag(_) => "TagException",
            Self::LimitExceeded(_) => "LimitExceededException",
            Self::MalformedPolicyDocument(_) => "MalformedPolicyDocumentException",
            Self::UnsupportedOperation(_) => "UnsupportedOperationException",
            Self::CustomKeyStoreNotFound(_) => "CustomKeyStoreNotFoundException",
            Self::DryRunOperation(_) => "DryRunOperationException",
            Self::Internal(_) => "KMSInternalException",
        }
    }

    /// The HTTP status AWS answers the error with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The `__type` of the error body.
    fn type_name(&self) -> String {
        match self {
            Self::Serialization(_) | Self::UnknownOperation(_) => {
                format!("{COMMON_JSON_PREFIX}#{}", self.code())
            }
            _ => self.code().to_owned(),
        }
    }

    /// The error as AWS's JSON 1.1 response.
    pub fn into_response(self, request_id: &str) -> Response<Body> {
        let mut body = serde_json::Map::new();
        body.insert("__type".to_owned(), self.type_name().into());
        if !matches!(self, Self::InvalidCiphertext) {
            body.insert("message".to_owned(), self.to_string().into());
        }
        json_response(self.status(), &serde_json::Value::Object(body), request_id)
    }
}

/// A JSON 1.1 response with KMS's headers.
pub fn json_response(status: StatusCode, body: &serde_json::Value, request_id: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amzn-requestid", request_id)
        .body(Body::from(body.to_string()))
        .unwrap_or_else(|_| {
            let mut resp = Response::new(Body::from("{}"));
            *resp.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            resp
        })
}
