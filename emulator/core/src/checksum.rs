//! CRC-32 (IEEE 802.3, the zlib polynomial) of response bodies, which
//! DynamoDB sends in the `x-amz-crc32` header of every response, successes
//! and errors alike, its front end's own errors (framing, signature, size)
//! included; boto3, the AWS CLI and the Java SDK check it and retry on a
//! mismatch. It lives in the core because the core answers some JSON 1.0
//! requests itself ([`crate::error::json_1_0`]).
//!
//! Table-driven (one lookup per byte), with the table built at compile time,
//! so that large Query and Scan pages stay cheap to answer.

/// The 256 remainders of the reflected polynomial `0xEDB88320`.
#[allow(
    clippy::indexing_slicing,
    reason = "evaluated at compile time, where an index out of range fails the build"
)]
const TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

/// The CRC-32 of `bytes`, as `x-amz-crc32` carries it (in decimal).
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for b in bytes {
        // The low byte of the sum indexes a table of 256 entries.
        let index = usize::from((crc as u8) ^ b);
        #[allow(clippy::indexing_slicing, reason = "a u8 index into a 256-entry table")]
        let entry = TABLE[index];
        crc = (crc >> 8) ^ entry;
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::crc32;

    #[test]
    fn matches_the_standard_check_values() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        // The body DynamoDB sends for an unreadable request, with the
        // header value AWS sends for it.
        assert_eq!(
            crc32(br#"{"__type":"com.amazon.coral.service#SerializationException"}"#),
            3_948_637_019
        );
    }
}
