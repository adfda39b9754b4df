//! The additional checksums S3 computes, stores and verifies: CRC32,
//! CRC32C, CRC64NVME, SHA1 and SHA256, pure (no HTTP, no state).
//!
//! Every body S3 stores gets a CRC64NVME (the default AWS adds to every
//! object uploaded without a checksum since December 2024) and, when the
//! client asked for another algorithm, that one too ([`Hasher`]). A
//! multipart object's checksum is either `FULL_OBJECT` (the parts' CRCs
//! combined into the CRC of the whole body, [`combine`]) or `COMPOSITE`
//! (the algorithm applied to the concatenated raw part checksums, written
//! `<base64>-<parts>`, [`composite`]).

use base64::Engine as _;
use crc_fast::CrcAlgorithm;
use sha1::Digest as _;

/// A checksum algorithm of S3's `ChecksumAlgorithm` enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// CRC-32 (ISO-HDLC), 4 bytes.
    Crc32,
    /// CRC-32C (Castagnoli), 4 bytes.
    Crc32c,
    /// CRC-64/NVME, 8 bytes.
    Crc64Nvme,
    /// SHA-1, 20 bytes.
    Sha1,
    /// SHA-256, 32 bytes.
    Sha256,
}

/// Every algorithm, in the order S3 lists them.
pub const ALL: [Algorithm; 5] = [
    Algorithm::Crc32,
    Algorithm::Crc32c,
    Algorithm::Crc64Nvme,
    Algorithm::Sha1,
    Algorithm::Sha256,
];

impl Algorithm {
    /// Parses a `ChecksumAlgorithm` value, in any case (S3 accepts `crc32`).
    pub fn parse(s: &str) -> Option<Self> {
        ALL.into_iter().find(|a| a.name().eq_ignore_ascii_case(s.trim()))
    }

    /// The wire name (`CRC32`).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "CRC32",
            Algorithm::Crc32c => "CRC32C",
            Algorithm::Crc64Nvme => "CRC64NVME",
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
        }
    }

    /// The lower-case name S3 uses in some messages (`crc32`).
    pub fn lower(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "crc32",
            Algorithm::Crc32c => "crc32c",
            Algorithm::Crc64Nvme => "crc64nvme",
            Algorithm::Sha1 => "sha1",
            Algorithm::Sha256 => "sha256",
        }
    }

    /// The header (and trailer) that carries this checksum.
    pub fn header(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "x-amz-checksum-crc32",
            Algorithm::Crc32c => "x-amz-checksum-crc32c",
            Algorithm::Crc64Nvme => "x-amz-checksum-crc64nvme",
            Algorithm::Sha1 => "x-amz-checksum-sha1",
            Algorithm::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// The digest's length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            Algorithm::Crc32 | Algorithm::Crc32c => 4,
            Algorithm::Crc64Nvme => 8,
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 => 32,
        }
    }

    fn crc(self) -> Option<CrcAlgorithm> {
        match self {
            Algorithm::Crc32 => Some(CrcAlgorithm::Crc32IsoHdlc),
            Algorithm::Crc32c => Some(CrcAlgorithm::Crc32Iscsi),
            Algorithm::Crc64Nvme => Some(CrcAlgorithm::Crc64Nvme),
            Algorithm::Sha1 | Algorithm::Sha256 => None,
        }
    }

    /// Whether a multipart upload may use `kind` with this algorithm: CRC64NVME
    /// is full-object only, the SHAs composite only.
    pub fn supports(self, kind: ChecksumType) -> bool {
        match kind {
            ChecksumType::FullObject => self.crc().is_some(),
            ChecksumType::Composite => self != Algorithm::Crc64Nvme,
        }
    }

    /// The type a multipart upload gets when CreateMultipartUpload names
    /// the algorithm and no type.
    pub fn default_multipart_type(self) -> ChecksumType {
        if self == Algorithm::Crc64Nvme {
            ChecksumType::FullObject
        } else {
            ChecksumType::Composite
        }
    }
}

/// How an object's checksum was formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumType {
    /// The checksum of the whole body.
    FullObject,
    /// The checksum of the parts' checksums (multipart uploads).
    Composite,
}

impl ChecksumType {
    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            ChecksumType::FullObject => "FULL_OBJECT",
            ChecksumType::Composite => "COMPOSITE",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "FULL_OBJECT" => Some(ChecksumType::FullObject),
            "COMPOSITE" => Some(ChecksumType::Composite),
            _ => None,
        }
    }
}

/// One algorithm's running state.
enum State {
    Crc(crc_fast::Digest),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

impl State {
    fn new(a: Algorithm) -> Self {
        match (a.crc(), a) {
            (Some(c), _) => State::Crc(crc_fast::Digest::new(c)),
            (None, Algorithm::Sha1) => State::Sha1(sha1::Sha1::new()),
            (None, _) => State::Sha256(sha2::Sha256::new()),
        }
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            State::Crc(d) => d.update(data),
            State::Sha1(d) => d.update(data),
            State::Sha256(d) => d.update(data),
        }
    }

    fn finish(self, a: Algorithm) -> Vec<u8> {
        match self {
            State::Crc(d) => crc_bytes(a, d.finalize()),
            State::Sha1(d) => d.finalize().to_vec(),
            State::Sha256(d) => d.finalize().to_vec(),
        }
    }
}

/// The big-endian bytes of a CRC value of `a`'s width.
fn crc_bytes(a: Algorithm, v: u64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let skip = bytes.len().saturating_sub(a.digest_len());
    bytes.iter().skip(skip).copied().collect()
}

/// A CRC value from its big-endian bytes.
fn crc_value(d: &[u8]) -> u64 {
    d.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
}

/// Computes CRC64NVME and, when asked, one more algorithm in one pass.
pub struct Hasher {
    states: Vec<(Algorithm, State)>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let algorithms: Vec<&str> = self.states.iter().map(|(a, _)| a.name()).collect();
        f.debug_struct("Hasher").field("algorithms", &algorithms).finish()
    }
}

impl Hasher {
    /// CRC64NVME plus `extra` (when it is another algorithm).
    pub fn new(extra: Option<Algorithm>) -> Self {
        let mut states = vec![(Algorithm::Crc64Nvme, State::new(Algorithm::Crc64Nvme))];
        if let Some(a) = extra.filter(|a| *a != Algorithm::Crc64Nvme) {
            states.push((a, State::new(a)));
        }
        Self { states }
    }

    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        for (_, s) in &mut self.states {
            s.update(data);
        }
    }

    /// The digests.
    pub fn finish(self) -> Digests {
        Digests {
            values: self.states.into_iter().map(|(a, s)| (a, s.finish(a))).collect(),
        }
    }
}

/// The raw digests of one body: CRC64NVME always, perhaps one more.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Digests {
    values: Vec<(Algorithm, Vec<u8>)>,
}

impl Digests {
    /// The digests of `data`.
    pub fn of(data: &[u8], extra: Option<Algorithm>) -> Self {
        let mut h = Hasher::new(extra);
        h.update(data);
        h.finish()
    }

    /// The raw digest of `a`, when it was computed.
    pub fn get(&self, a: Algorithm) -> Option<&[u8]> {
        self.values
            .iter()
            .find(|(x, _)| *x == a)
            .map(|(_, v)| v.as_slice())
    }
}

/// Base64, as checksums travel.
pub fn encode(digest: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(digest)
}

/// A base64 checksum value of `a`, when it is one (valid base64 of the
/// right length).
pub fn decode(a: Algorithm, value: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()
        .filter(|d| d.len() == a.digest_len())
}

/// The CRC of `a` over two bodies back to back, from their CRCs (`second`
/// is `second_len` bytes long); `None` for the SHAs.
pub fn combine(a: Algorithm, first: &[u8], second: &[u8], second_len: u64) -> Option<Vec<u8>> {
    let crc = a.crc()?;
    let v = crc_fast::checksum_combine(crc, crc_value(first), crc_value(second), second_len);
    Some(crc_bytes(a, v))
}

/// The composite checksum of parts: `a` over their raw checksums, in order.
pub fn composite<'a>(a: Algorithm, parts: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut s = State::new(a);
    for p in parts {
        s.update(p);
    }
    s.finish(a)
}

/// The checksum stored with an object version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectChecksum {
    /// The algorithm.
    pub algorithm: Algorithm,
    /// The raw digest.
    pub digest: Vec<u8>,
    /// Full-object or composite.
    pub kind: ChecksumType,
    /// How many parts a composite checksum covers.
    pub parts: u32,
}

impl ObjectChecksum {
    /// A full-object checksum.
    pub fn full(algorithm: Algorithm, digest: Vec<u8>) -> Self {
        Self {
            algorithm,
            digest,
            kind: ChecksumType::FullObject,
            parts: 0,
        }
    }

    /// The base64 digest alone (as GetObjectAttributes shows it).
    pub fn base64(&self) -> String {
        encode(&self.digest)
    }

    /// The value on GET, HEAD and the write answers: the base64 digest,
    /// followed by `-<parts>` for a composite checksum.
    pub fn wire(&self) -> String {
        match self.kind {
            ChecksumType::FullObject => self.base64(),
            ChecksumType::Composite => format!("{}-{}", self.base64(), self.parts),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(a: Algorithm, data: &[u8]) -> String {
        let d = Digests::of(data, Some(a));
        encode(d.get(a).unwrap())
    }

    #[test]
    fn digests_match_the_values_aws_publishes() {
        // Values S3 answered for these bodies (LocalStack's recorded AWS runs).
        assert_eq!(b64(Algorithm::Crc32, b"test data.."), "cZWHwQ==");
        assert_eq!(b64(Algorithm::Crc32, b"test-checksum"), "lVk/nw==");
        assert_eq!(b64(Algorithm::Crc32, b"abc"), "NSRBwg==");
        assert_eq!(b64(Algorithm::Crc32c, b"abc"), "Nks/tw==");
        assert_eq!(b64(Algorithm::Crc64Nvme, b"test data.."), "qUVrWYOrIAM=");
        assert_eq!(
            b64(Algorithm::Sha256, b"test data.."),
            "2l26x0trnT0r2AvakoFk2MB7eKVKzYESLMxSAKAzoik="
        );
        assert_eq!(b64(Algorithm::Sha1, b""), "2jmj7l5rSw0yVb/vlWAYkK/YBwk=");
    }

    #[test]
    fn combined_crcs_equal_the_crc_of_the_whole() {
        let (a, b) = (b"hello, ".as_slice(), b"multipart world".as_slice());
        let whole = [a, b].concat();
        for alg in [Algorithm::Crc32, Algorithm::Crc32c, Algorithm::Crc64Nvme] {
            let da = Digests::of(a, Some(alg));
            let db = Digests::of(b, Some(alg));
            let combined = combine(alg, da.get(alg).unwrap(), db.get(alg).unwrap(), b.len() as u64).unwrap();
            assert_eq!(
                combined,
                Digests::of(&whole, Some(alg)).get(alg).unwrap(),
                "{alg:?}"
            );
        }
        assert_eq!(combine(Algorithm::Sha256, &[0; 32], &[0; 32], 1), None);
    }

    #[test]
    fn composite_checksums_carry_their_part_count() {
        // Three parts of 5 MiB + 1 'a', 5 MiB + 1 'a' and 10 'a': S3 answered
        // "5FRUiw==-3" for CRC32.
        let big = vec![b'a'; 5_242_881];
        let parts = [
            Digests::of(&big, Some(Algorithm::Crc32)),
            Digests::of(&big[..10], Some(Algorithm::Crc32)),
        ];
        let raw = [
            parts[0].get(Algorithm::Crc32).unwrap(),
            parts[0].get(Algorithm::Crc32).unwrap(),
            parts[1].get(Algorithm::Crc32).unwrap(),
        ];
        let c = ObjectChecksum {
            algorithm: Algorithm::Crc32,
            digest: composite(Algorithm::Crc32, raw),
            kind: ChecksumType::Composite,
            parts: 3,
        };
        assert_eq!(c.wire(), "5FRUiw==-3");
        assert_eq!(c.base64(), "5FRUiw==");
    }

    #[test]
    fn values_are_decoded_only_at_the_right_length() {
        assert_eq!(
            decode(Algorithm::Crc32, "NSRBwg=="),
            Some(vec![0x35, 0x24, 0x41, 0xc2])
        );
        assert_eq!(decode(Algorithm::Crc32, "abc123"), None);
        assert_eq!(decode(Algorithm::Sha256, "NSRBwg=="), None);
        assert_eq!(Algorithm::parse("crc64nvme"), Some(Algorithm::Crc64Nvme));
        assert_eq!(Algorithm::parse("TEST"), None);
        assert!(!Algorithm::Crc64Nvme.supports(ChecksumType::Composite));
        assert!(!Algorithm::Sha1.supports(ChecksumType::FullObject));
    }
}
