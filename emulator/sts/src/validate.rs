//! The constraints of STS's request shapes (botocore's `min`, `max` and
//! `pattern`), collected the way AWS reports them: every broken constraint
//! in one `ValidationError`, "N validation errors detected: Value '…' at
//! 'field' failed to satisfy constraint: …", joined by `; `.

use crate::errors::StsError;

/// The broken constraints of one request.
#[derive(Debug, Default)]
pub struct Violations(Vec<String>);

impl Violations {
    /// Notes that `field` (the model's lowerCamel name) is missing.
    pub fn null(&mut self, field: &str) {
        self.0.push(format!(
            "Value null at '{field}' failed to satisfy constraint: Member must not be null"
        ));
    }

    /// Checks a string's length (in characters) against `min..=max`.
    pub fn length(&mut self, field: &str, value: &str, min: usize, max: Option<usize>) {
        let n = value.chars().count();
        if n < min {
            self.0.push(format!(
                "Value '{value}' at '{field}' failed to satisfy constraint: Member must have length greater than or equal to {min}"
            ));
        } else if let Some(max) = max.filter(|max| n > *max) {
            self.0.push(format!(
                "Value '{value}' at '{field}' failed to satisfy constraint: Member must have length less than or equal to {max}"
            ));
        }
    }

    /// Checks every character of `value` against `allowed`; `pattern` is the
    /// model's pattern, quoted in the message.
    pub fn pattern(&mut self, field: &str, value: &str, pattern: &str, allowed: impl Fn(char) -> bool) {
        if !value.chars().all(allowed) {
            self.0.push(format!(
                "Value '{value}' at '{field}' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}"
            ));
        }
    }

    /// Checks an integer against `min..=max`.
    pub fn range(&mut self, field: &str, value: i64, min: i64, max: i64) {
        if value < min {
            self.0.push(format!(
                "Value '{value}' at '{field}' failed to satisfy constraint: Member must have value greater than or equal to {min}"
            ));
        } else if value > max {
            self.0.push(format!(
                "Value '{value}' at '{field}' failed to satisfy constraint: Member must have value less than or equal to {max}"
            ));
        }
    }

    /// Checks a list's length against `max`.
    pub fn count(&mut self, field: &str, n: usize, max: usize) {
        if n > max {
            self.0.push(format!(
                "Value at '{field}' failed to satisfy constraint: Member must have length less than or equal to {max}"
            ));
        }
    }

    /// `Ok` when nothing broke, else the one `ValidationError`.
    pub fn finish(self) -> Result<(), StsError> {
        match self.0.as_slice() {
            [] => Ok(()),
            [one] => Err(StsError::Validation(format!(
                "1 validation error detected: {one}"
            ))),
            all => Err(StsError::Validation(format!(
                "{} validation errors detected: {}",
                all.len(),
                all.join("; ")
            ))),
        }
    }
}

/// `\w`: letters, digits and `_`.
pub fn word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `[\w+=,.@-]`, the pattern of session names and source identities.
pub fn session_name_char(c: char) -> bool {
    word(c) || "+=,.@-".contains(c)
}

/// `[\w+=,.@:\/-]`, the pattern of external ids.
pub fn external_id_char(c: char) -> bool {
    word(c) || "+=,.@:/-".contains(c)
}

/// `[\w+=/:,.@-]`, the pattern of MFA serial numbers.
pub fn serial_number_char(c: char) -> bool {
    word(c) || "+=/:,.@-".contains(c)
}

/// The model's `arnType` and `unrestrictedSessionPolicyDocumentType`
/// characters: tab, line feed, carriage return and printable text.
pub fn text_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || !c.is_control() || c == '\u{85}'
}

/// `[\p{L}\p{Z}\p{N}_.:/=+\-@]`, the pattern of tag keys and values.
pub fn tag_char(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_read_as_aws_writes_them() {
        let mut v = Violations::default();
        v.length("roleSessionName", "a", 2, Some(64));
        v.range("durationSeconds", 60, 900, 43200);
        let Err(StsError::Validation(message)) = v.finish() else {
            panic!("two violations pass");
        };
        assert_eq!(
            message,
            "2 validation errors detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2; Value '60' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"
        );
        assert!(Violations::default().finish().is_ok());
        assert!(!"a b".chars().all(session_name_char));
        assert!("drill@firedrill.test".chars().all(session_name_char));
    }
}
