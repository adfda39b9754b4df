//! Identifiers the way AWS shapes them: request ids and resource suffixes.

/// A fresh request id (AWS uses UUIDs for most services).
pub fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `n` lowercase hexadecimal characters of randomness.
pub fn random_hex(n: usize) -> String {
    let mut out = String::with_capacity(n + 32);
    while out.len() < n {
        out.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    out.truncate(n);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn random_hex_has_the_asked_length() {
        for n in [0, 8, 32, 40] {
            let s = super::random_hex(n);
            assert_eq!(s.len(), n);
            assert!(s.chars().all(|c| c.is_ascii_hexdigit()));
        }
        assert_ne!(super::request_id(), super::request_id());
    }
}
