//! DynamoDB numbers as exact decimals.
//!
//! DynamoDB stores numbers with up to 38 significant digits and a magnitude
//! between 1E-130 and 9.99...E+125 (same range for negatives), compares them
//! exactly and does exact addition and subtraction. `rust_decimal` only has
//! 28 digits, so this is a small hand-written big decimal on digit vectors:
//! a sign, the significant digits with no leading or trailing zeros, and a
//! power-of-ten exponent for the last digit.

use crate::ExprError;
use std::cmp::Ordering;

/// The most significant digits DynamoDB keeps.
pub const MAX_DIGITS: usize = 38;
/// The largest decimal exponent of the leading digit.
const MAX_ADJUSTED_EXP: i64 = 125;
/// The smallest decimal exponent of the leading digit.
const MIN_ADJUSTED_EXP: i64 = -130;
/// Exponents in the text are clamped to this, far outside the valid range.
const EXP_CLAMP: i64 = 1_000_000_000;

/// An exact decimal: `(-1)^neg * digits * 10^exp`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Decimal {
    neg: bool,
    /// Big-endian significant digits, no leading or trailing zeros; empty for zero.
    digits: Vec<u8>,
    /// Power of ten of the last digit.
    exp: i64,
}

impl Decimal {
    /// Zero.
    pub fn zero() -> Self {
        Self {
            neg: false,
            digits: Vec::new(),
            exp: 0,
        }
    }

    /// A decimal from an integer.
    pub fn from_u64(n: u64) -> Self {
        let digits = n.to_string().bytes().map(|b| b - b'0').collect();
        Self::normalized(false, digits, 0)
    }

    /// Parses decimal text (`12`, `-1.50`, `.5`, `15E-1`) without checking
    /// DynamoDB's limits.
    pub fn parse(text: &str) -> Result<Self, ExprError> {
        let bad = || {
            ExprError::new(format!(
                "The parameter cannot be converted to a numeric value: {text}"
            ))
        };
        let b = text.as_bytes();
        let at = |i: usize| b.get(i).copied();
        let mut i = 0;
        let mut neg = false;
        if let Some(sign @ (b'+' | b'-')) = at(i) {
            neg = sign == b'-';
            i += 1;
        }
        let mut digits = Vec::new();
        let mut frac: i64 = 0;
        let mut seen_point = false;
        let mut any = false;
        while let Some(c) = at(i) {
            match c {
                d @ b'0'..=b'9' => {
                    digits.push(d - b'0');
                    any = true;
                    if seen_point {
                        frac += 1;
                    }
                }
                b'.' if !seen_point => seen_point = true,
                _ => break,
            }
            i += 1;
        }
        if !any {
            return Err(bad());
        }
        let mut exp: i64 = 0;
        if let Some(b'e' | b'E') = at(i) {
            i += 1;
            let mut eneg = false;
            if let Some(sign @ (b'+' | b'-')) = at(i) {
                eneg = sign == b'-';
                i += 1;
            }
            let mut edigits = false;
            while let Some(d @ b'0'..=b'9') = at(i) {
                exp = (exp * 10 + i64::from(d - b'0')).min(EXP_CLAMP);
                edigits = true;
                i += 1;
            }
            if !edigits {
                return Err(bad());
            }
            if eneg {
                exp = -exp;
            }
        }
        if i != b.len() {
            return Err(bad());
        }
        Ok(Self::normalized(neg, digits, exp - frac))
    }

    /// Parses decimal text and checks DynamoDB's range and precision.
    pub fn parse_dynamodb(text: &str) -> Result<Self, ExprError> {
        let d = Self::parse(text)?;
        d.check_limits()?;
        Ok(d)
    }

    /// Checks DynamoDB's range (1E-130 to 9.99..E+125) and 38-digit precision.
    pub fn check_limits(&self) -> Result<(), ExprError> {
        if self.is_zero() {
            return Ok(());
        }
        let adjusted = self.exp + self.digits.len() as i64 - 1;
        if adjusted > MAX_ADJUSTED_EXP {
            return Err(ExprError::new(
                "Number overflow. Attempting to store a number with magnitude larger than supported range",
            ));
        }
        if adjusted < MIN_ADJUSTED_EXP {
            return Err(ExprError::new(
                "Number underflow. Attempting to store a number with magnitude smaller than supported range",
            ));
        }
        if self.digits.len() > MAX_DIGITS {
            return Err(ExprError::new(
                "Attempting to store more than 38 significant digits in a Number",
            ));
        }
        Ok(())
    }

    fn normalized(neg: bool, mut digits: Vec<u8>, mut exp: i64) -> Self {
        let lead = digits.iter().take_while(|d| **d == 0).count();
        digits.drain(..lead);
        while digits.last() == Some(&0) {
            digits.pop();
            exp += 1;
        }
        if digits.is_empty() {
            return Self::zero();
        }
        Self { neg, digits, exp }
    }

    /// Whether this is zero.
    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// How many significant digits lie at or above the units place, and how
    /// many below it.
    pub fn digits_split(&self) -> (usize, usize) {
        let len = self.digits.len();
        let int = if self.exp >= 0 {
            len
        } else {
            (len as i64 + self.exp).max(0) as usize
        };
        (int, len - int)
    }

    /// Whether this is below zero.
    pub fn is_negative(&self) -> bool {
        self.neg && !self.is_zero()
    }

    /// The canonical text DynamoDB returns: plain notation, no exponent, no
    /// leading or trailing zeros (`1.5`, `100`, `-0.001`). Only call this on
    /// numbers within DynamoDB's limits: the text has at most ~170 characters.
    pub fn to_plain_string(&self) -> String {
        if self.is_zero() {
            return "0".to_string();
        }
        let mut out = String::new();
        if self.neg {
            out.push('-');
        }
        let ds: String = self.digits.iter().map(|d| char::from(b'0' + d)).collect();
        if self.exp >= 0 {
            out.push_str(&ds);
            out.extend(std::iter::repeat_n('0', self.exp as usize));
        } else {
            let point = self.digits.len() as i64 + self.exp;
            if point > 0 {
                out.push_str(&ds[..point as usize]);
                out.push('.');
                out.push_str(&ds[point as usize..]);
            } else {
                out.push_str("0.");
                out.extend(std::iter::repeat_n('0', (-point) as usize));
                out.push_str(&ds);
            }
        }
        out
    }

    fn cmp_magnitude(&self, other: &Self) -> Ordering {
        match (self.is_zero(), other.is_zero()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            (false, false) => {}
        }
        let a = self.exp + self.digits.len() as i64;
        let b = other.exp + other.digits.len() as i64;
        a.cmp(&b).then_with(|| self.digits.cmp(&other.digits))
    }

    /// Little-endian digits scaled so the last digit has exponent `exp`.
    fn scaled_le(&self, exp: i64) -> Vec<u8> {
        let shift = (self.exp - exp) as usize;
        let mut v = vec![0u8; shift];
        v.extend(self.digits.iter().rev());
        v
    }

    /// The exact sum. Fails only when the operands are far outside
    /// DynamoDB's range (so the aligned digits would be absurdly long).
    pub fn checked_add(&self, other: &Self) -> Result<Self, ExprError> {
        if self.is_zero() {
            return Ok(other.clone());
        }
        if other.is_zero() {
            return Ok(self.clone());
        }
        let exp = self.exp.min(other.exp);
        let span = (self.exp.max(other.exp) - exp) + self.digits.len().max(other.digits.len()) as i64;
        if span > 4096 {
            return Err(ExprError::new(
                "Number overflow. Attempting to store a number with magnitude larger than supported range",
            ));
        }
        let a = self.scaled_le(exp);
        let b = other.scaled_le(exp);
        let (neg, le) = if self.neg == other.neg {
            (self.neg, add_le(&a, &b))
        } else {
            match self.cmp_magnitude(other) {
                Ordering::Equal => return Ok(Self::zero()),
                Ordering::Greater => (self.neg, sub_le(&a, &b)),
                Ordering::Less => (other.neg, sub_le(&b, &a)),
            }
        };
        let be: Vec<u8> = le.into_iter().rev().collect();
        Ok(Self::normalized(neg, be, exp))
    }

    /// The exact difference.
    pub fn checked_sub(&self, other: &Self) -> Result<Self, ExprError> {
        self.checked_add(&other.negated())
    }

    /// This number with the sign flipped.
    pub fn negated(&self) -> Self {
        if self.is_zero() {
            return Self::zero();
        }
        Self {
            neg: !self.neg,
            digits: self.digits.clone(),
            exp: self.exp,
        }
    }
}

fn add_le(a: &[u8], b: &[u8]) -> Vec<u8> {
    let n = a.len().max(b.len());
    let mut out = Vec::with_capacity(n + 1);
    let mut carry = 0u8;
    for i in 0..n {
        let s = a.get(i).copied().unwrap_or(0) + b.get(i).copied().unwrap_or(0) + carry;
        out.push(s % 10);
        carry = s / 10;
    }
    if carry > 0 {
        out.push(carry);
    }
    out
}

/// `a - b` for magnitudes with `a >= b`.
fn sub_le(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(a.len());
    let mut borrow = 0i8;
    for (i, &da) in a.iter().enumerate() {
        let mut d = da as i8 - b.get(i).copied().unwrap_or(0) as i8 - borrow;
        if d < 0 {
            d += 10;
            borrow = 1;
        } else {
            borrow = 0;
        }
        out.push(d as u8);
    }
    out
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        let sa = if self.is_zero() {
            0
        } else if self.neg {
            -1
        } else {
            1
        };
        let sb = if other.is_zero() {
            0
        } else if other.neg {
            -1
        } else {
            1
        };
        match sa.cmp(&sb) {
            Ordering::Equal if sa > 0 => self.cmp_magnitude(other),
            Ordering::Equal if sa < 0 => other.cmp_magnitude(self),
            o => o,
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Canonical number text ("1.50", "1.5" and "15E-1" are all "1.5"), after
/// checking DynamoDB's limits.
pub fn normalize_number(n: &str) -> Result<String, ExprError> {
    Ok(Decimal::parse_dynamodb(n)?.to_plain_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    #[test]
    fn normalizes_equivalent_spellings() {
        for s in ["1.5", "1.50", "15E-1", "+1.5", "0.15e1", "0001.500"] {
            assert_eq!(normalize_number(s).unwrap(), "1.5", "{s}");
        }
        assert_eq!(normalize_number("1E+2").unwrap(), "100");
        assert_eq!(normalize_number("-0").unwrap(), "0");
        assert_eq!(normalize_number("0.000").unwrap(), "0");
        assert_eq!(normalize_number(".5").unwrap(), "0.5");
        assert_eq!(normalize_number("5.").unwrap(), "5");
        assert_eq!(normalize_number("-12.3400e-3").unwrap(), "-0.01234");
    }

    #[test]
    fn rejects_non_numbers() {
        for s in [
            "", "abc", "1..2", "1e", "--1", "1 ", " 1", "NaN", "Infinity", "0x10", "1e+", ".",
        ] {
            let e = normalize_number(s).unwrap_err();
            assert_eq!(
                e.message,
                format!("The parameter cannot be converted to a numeric value: {s}")
            );
        }
    }

    #[test]
    fn enforces_range_and_precision() {
        assert!(normalize_number("9.9999999999999999999999999999999999999E+125").is_ok());
        assert!(normalize_number("1E-130").is_ok());
        assert!(normalize_number("-1E-130").is_ok());
        assert!(
            normalize_number("1E+126")
                .unwrap_err()
                .message
                .starts_with("Number overflow")
        );
        assert!(
            normalize_number("1E-131")
                .unwrap_err()
                .message
                .starts_with("Number underflow")
        );
        assert!(
            normalize_number("1E999999999999999999")
                .unwrap_err()
                .message
                .starts_with("Number overflow")
        );
        let digits39 = "1".repeat(39);
        assert_eq!(
            normalize_number(&digits39).unwrap_err().message,
            "Attempting to store more than 38 significant digits in a Number"
        );
        assert!(normalize_number(&"1".repeat(38)).is_ok());
        assert!(normalize_number(&format!("1{}", "0".repeat(100))).is_ok());
    }

    #[test]
    fn compares_exactly() {
        assert!(d("1.5") == d("15E-1"));
        assert!(d("-2") < d("-1"));
        assert!(d("-1") < d("0"));
        assert!(d("0") < d("0.0001"));
        assert!(d("99999999999999999999999999999999999998") < d("99999999999999999999999999999999999999"));
        assert!(d("0.12") < d("0.123"));
        assert!(d("10") > d("9.99999"));
        assert!(d("-10") < d("-9.99999"));
    }

    #[test]
    fn adds_and_subtracts_exactly() {
        let sum = d("0.1").checked_add(&d("0.2")).unwrap();
        assert_eq!(sum.to_plain_string(), "0.3");
        let big = d("99999999999999999999999999999999999999")
            .checked_add(&d("1"))
            .unwrap();
        assert_eq!(big.to_plain_string(), "100000000000000000000000000000000000000");
        assert_eq!(d("5").checked_sub(&d("7.5")).unwrap().to_plain_string(), "-2.5");
        assert_eq!(d("-5").checked_sub(&d("-5")).unwrap().to_plain_string(), "0");
        assert_eq!(d("1E+20").checked_add(&d("1E-20")).unwrap().digits.len(), 41);
    }
}
