//! Encryption for real: AES-256-GCM under each key's own 256-bit material.
//!
//! A ciphertext blob is self-describing, so `Decrypt` needs no `KeyId`:
//!
//! ```text
//! 0x01 | arn length (u16, big-endian) | key ARN | nonce (12 bytes) | AES-GCM ciphertext and tag
//! ```
//!
//! The additional authenticated data binds the key ARN and the encryption
//! context (sorted by key, as JSON), so a blob altered anywhere, moved to
//! another key or decrypted with another context fails authentication and
//! answers `InvalidCiphertextException`, as AWS does. A blob whose key was
//! deleted answers `NotFoundException`; a `KeyId` that is not the blob's
//! key answers `IncorrectKeyException`. Only `SYMMETRIC_DEFAULT` is an
//! encryption algorithm here (`InvalidKeyUsageException` for the
//! asymmetric ones, which need asymmetric keys).

use super::{Aliases, Engine, Key, Region, Scope};
use crate::errors::{KmsError, Result};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;
use std::collections::BTreeMap;

/// The format version byte every blob starts with.
const VERSION: u8 = 1;
/// The AES-GCM nonce length.
const NONCE_LEN: usize = 12;
/// The only encryption algorithm of a symmetric key.
pub const SYMMETRIC_DEFAULT: &str = "SYMMETRIC_DEFAULT";

/// An encryption context: string pairs bound to a ciphertext.
pub type Context = BTreeMap<String, String>;

/// The outcome of an encryption: the blob and the key ARN that made it.
#[derive(Debug, Clone)]
pub struct Sealed {
    /// The ciphertext blob.
    pub blob: Vec<u8>,
    /// The key ARN.
    pub key_arn: String,
}

/// The outcome of a decryption.
#[derive(Debug, Clone)]
pub struct Opened {
    /// The plaintext.
    pub plaintext: Vec<u8>,
    /// The ARN of the key that decrypted it.
    pub key_arn: String,
}

/// `GenerateDataKey`'s sizes: exactly one of `KeySpec` and
/// `NumberOfBytes`.
pub fn data_key_len(key_spec: Option<&str>, number_of_bytes: Option<i64>) -> Result<usize> {
    match (key_spec, number_of_bytes) {
        (Some(_), Some(_)) | (None, None) => Err(KmsError::Validation(
            "Please specify either number of bytes or key spec.".to_owned(),
        )),
        (Some("AES_128"), None) => Ok(16),
        (Some(_), None) => Ok(32),
        (None, Some(n)) => {
            usize::try_from(n).map_err(|_| KmsError::Validation(format!("NumberOfBytes {n} is out of range")))
        }
    }
}

/// Refuses an encryption algorithm a symmetric key cannot use.
pub fn check_algorithm(algorithm: Option<&str>) -> Result<()> {
    match algorithm {
        None | Some(SYMMETRIC_DEFAULT) => Ok(()),
        Some(other) => Err(KmsError::InvalidKeyUsage(format!(
            "Algorithm {other} is incompatible with key spec SYMMETRIC_DEFAULT."
        ))),
    }
}

fn aad(key_arn: &str, context: &Context) -> Vec<u8> {
    let mut out = Vec::with_capacity(key_arn.len() + 64);
    out.extend_from_slice(b"firedrill-kms-v1\0");
    out.extend_from_slice(key_arn.as_bytes());
    out.push(0);
    // A BTreeMap serialises in key order, so equal contexts give equal bytes.
    out.extend_from_slice(serde_json::to_string(context).unwrap_or_default().as_bytes());
    out
}

fn cipher(key: &Key) -> Result<Aes256Gcm> {
    Aes256Gcm::new_from_slice(&key.material.0).map_err(|e| KmsError::Internal(e.to_string()))
}

fn seal(key: &Key, plaintext: &[u8], context: &Context) -> Result<Sealed> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let body = cipher(key)?
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: &aad(&key.arn, context),
            },
        )
        .map_err(|e| KmsError::Internal(format!("AES-GCM encryption failed: {e}")))?;
    let arn_len =
        u16::try_from(key.arn.len()).map_err(|_| KmsError::Internal("key ARN too long".to_owned()))?;
    let mut blob = Vec::with_capacity(3 + key.arn.len() + NONCE_LEN + body.len());
    blob.push(VERSION);
    blob.extend_from_slice(&arn_len.to_be_bytes());
    blob.extend_from_slice(key.arn.as_bytes());
    blob.extend_from_slice(&nonce);
    blob.extend_from_slice(&body);
    Ok(Sealed {
        blob,
        key_arn: key.arn.clone(),
    })
}

/// A blob split into its parts: key ARN, nonce, sealed body.
fn split(blob: &[u8]) -> Result<(&str, &[u8], &[u8])> {
    let (&version, rest) = blob.split_first().ok_or(KmsError::InvalidCiphertext)?;
    let [hi, lo, rest @ ..] = rest else {
        return Err(KmsError::InvalidCiphertext);
    };
    if version != VERSION {
        return Err(KmsError::InvalidCiphertext);
    }
    let arn_len = usize::from(u16::from_be_bytes([*hi, *lo]));
    if rest.len() < arn_len + NONCE_LEN {
        return Err(KmsError::InvalidCiphertext);
    }
    let (arn, rest) = rest.split_at(arn_len);
    let (nonce, body) = rest.split_at(NONCE_LEN);
    let arn = std::str::from_utf8(arn).map_err(|_| KmsError::InvalidCiphertext)?;
    Ok((arn, nonce, body))
}

impl Region {
    /// Opens `blob` in this region; `key_id` (when given) must name the
    /// blob's key.
    fn open(&self, scope: Scope<'_>, blob: &[u8], context: &Context, key_id: Option<&str>) -> Result<Opened> {
        let (arn, nonce, body) = split(blob)?;
        let expected = format!("arn:aws:kms:{}:{}:key/", scope.region, scope.account);
        let Some(id) = arn.strip_prefix(&expected) else {
            return Err(KmsError::InvalidCiphertext);
        };
        if let Some(named) = key_id {
            let named = self.resolve(scope, named, Aliases::Allowed)?;
            if named != id {
                return Err(KmsError::IncorrectKey(
                    "The key ID in the request does not identify a CMK that can perform this operation."
                        .to_owned(),
                ));
            }
        }
        let key = self
            .keys
            .get(id)
            .ok_or_else(|| KmsError::NotFound(format!("Key '{arn}' does not exist")))?;
        key.usable()?;
        let plaintext = cipher(key)?
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: &aad(arn, context),
                },
            )
            .map_err(|_| KmsError::InvalidCiphertext)?;
        Ok(Opened {
            plaintext,
            key_arn: key.arn.clone(),
        })
    }

    fn usable_key(&self, scope: Scope<'_>, key: &str) -> Result<&Key> {
        let k = self.key(scope, key, Aliases::Allowed)?;
        k.usable()?;
        Ok(k)
    }
}

/// A `DryRun` that would have succeeded.
fn dry_run() -> KmsError {
    KmsError::DryRunOperation("The request would have succeeded, but the DryRun option is set.".to_owned())
}

impl Engine {
    /// `Encrypt`.
    pub fn encrypt(
        &self,
        scope: Scope<'_>,
        key: &str,
        plaintext: &[u8],
        context: &Context,
        dry: bool,
    ) -> Result<Sealed> {
        self.with_region(scope, |r| {
            let k = r.usable_key(scope, key)?;
            if dry {
                return Err(dry_run());
            }
            seal(k, plaintext, context)
        })
    }

    /// `Decrypt`.
    pub fn decrypt(
        &self,
        scope: Scope<'_>,
        blob: &[u8],
        context: &Context,
        key: Option<&str>,
        dry: bool,
    ) -> Result<Opened> {
        self.with_region(scope, |r| {
            let opened = r.open(scope, blob, context, key)?;
            if dry {
                return Err(dry_run());
            }
            Ok(opened)
        })
    }

    /// `GenerateDataKey` (and, dropping the plaintext,
    /// `GenerateDataKeyWithoutPlaintext`): `len` random bytes and their
    /// encryption under `key`.
    pub fn generate_data_key(
        &self,
        scope: Scope<'_>,
        key: &str,
        len: usize,
        context: &Context,
        dry: bool,
    ) -> Result<(Vec<u8>, Sealed)> {
        self.with_region(scope, |r| {
            let k = r.usable_key(scope, key)?;
            if dry {
                return Err(dry_run());
            }
            let mut plaintext = vec![0u8; len];
            rand::rngs::OsRng.fill_bytes(&mut plaintext);
            let sealed = seal(k, &plaintext, context)?;
            Ok((plaintext, sealed))
        })
    }

    /// `ReEncrypt`: opens `blob` (with `source_key` when given) and seals
    /// the plaintext under `destination`; returns the source key ARN and
    /// the new blob.
    #[allow(clippy::too_many_arguments)]
    pub fn re_encrypt(
        &self,
        scope: Scope<'_>,
        blob: &[u8],
        source_context: &Context,
        source_key: Option<&str>,
        destination: &str,
        destination_context: &Context,
        dry: bool,
    ) -> Result<(String, Sealed)> {
        self.with_region(scope, |r| {
            let opened = r.open(scope, blob, source_context, source_key)?;
            let dest = r.usable_key(scope, destination)?;
            if dry {
                return Err(dry_run());
            }
            let sealed = seal(dest, &opened.plaintext, destination_context)?;
            Ok((opened.key_arn, sealed))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{KeyState, Material};

    fn key(arn: &str) -> Key {
        Key {
            id: "k".to_owned(),
            arn: arn.to_owned(),
            account: "000000000000".to_owned(),
            created: chrono::DateTime::UNIX_EPOCH,
            description: String::new(),
            state: KeyState::Enabled,
            deletion_date: None,
            pending_window_days: None,
            policy: String::new(),
            tags: BTreeMap::new(),
            material: Material([7; 32]),
        }
    }

    #[test]
    fn a_blob_names_its_key_and_refuses_every_alteration() {
        let k = key("arn:aws:kms:us-east-1:000000000000:key/k");
        let ctx: Context = [("a".to_owned(), "1".to_owned())].into();
        let sealed = seal(&k, b"secret", &ctx).unwrap();
        let (arn, nonce, body) = split(&sealed.blob).unwrap();
        assert_eq!(arn, k.arn);
        let c = cipher(&k).unwrap();
        let open = |blob: &[u8], ctx: &Context| {
            let (arn, nonce, body) = split(blob)?;
            c.decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: &aad(arn, ctx),
                },
            )
            .map_err(|_| KmsError::InvalidCiphertext)
        };
        assert_eq!(open(&sealed.blob, &ctx).unwrap(), b"secret");
        assert_eq!(
            open(&sealed.blob, &Context::new()),
            Err(KmsError::InvalidCiphertext)
        );
        for i in 0..sealed.blob.len() {
            let mut bad = sealed.blob.clone();
            bad[i] ^= 1;
            assert!(open(&bad, &ctx).is_err(), "flipping byte {i} went unnoticed");
        }
        assert_eq!(nonce.len(), NONCE_LEN);
        assert_eq!(body.len(), b"secret".len() + 16);
        assert_eq!(split(&[]), Err(KmsError::InvalidCiphertext));
        assert_eq!(split(&[1, 0xff, 0xff, 0]), Err(KmsError::InvalidCiphertext));
    }

    #[test]
    fn a_blob_cut_inside_its_header_is_refused() {
        let k = key("arn:aws:kms:us-east-1:000000000000:key/k");
        let sealed = seal(&k, b"secret", &Context::new()).unwrap();
        let header = 3 + k.arn.len() + NONCE_LEN;
        for n in 0..header {
            assert_eq!(
                split(&sealed.blob[..n]),
                Err(KmsError::InvalidCiphertext),
                "a blob cut at {n} bytes"
            );
        }
        assert_eq!(split(&[VERSION]), Err(KmsError::InvalidCiphertext));
        assert_eq!(split(&[VERSION, 0]), Err(KmsError::InvalidCiphertext));
    }

    #[test]
    fn data_key_sizes_follow_the_model() {
        assert_eq!(data_key_len(Some("AES_256"), None).unwrap(), 32);
        assert_eq!(data_key_len(Some("AES_128"), None).unwrap(), 16);
        assert_eq!(data_key_len(None, Some(64)).unwrap(), 64);
        assert!(data_key_len(None, None).is_err());
        assert!(data_key_len(Some("AES_256"), Some(32)).is_err());
    }
}
