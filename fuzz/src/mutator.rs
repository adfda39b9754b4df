//! The byte mutator: a seeded generator and the mutations AFL-style fuzzers
//! apply, with no instrumentation.
//!
//! Each call to [`Mutator::mutate`] stacks one to eight of: bit flip, byte
//! set to an "interesting" value (0, 0xff, 0x7f, 0x80, a digit, a quote),
//! byte insert, byte delete, chunk duplicate, chunk delete, splice of a
//! chunk of another corpus entry, dictionary token insert or overwrite,
//! and a decimal number replaced by a huge, negative or fractional one.
//! Everything is drawn from [`Rng`], a SplitMix64 generator, so the same
//! seed and corpus give the same inputs (the unit tests check it).

/// SplitMix64: small, fast, and the same on every platform.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// True one time in `n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}

/// Bytes that often break parsers when they appear where others were.
const INTERESTING: &[u8] = b"\x00\xff\x7f\x80\x01 0-9.\"'<>&{}[]:,=/\\\n";

/// Numbers that break arithmetic: overflows, negatives, fractions, huge
/// exponents.
const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "2147483647",
    "2147483648",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "18446744073709551616",
    "4611686018427387904",
    "200000000000000",
    "1e308",
    "1e400",
    "-0",
    "0.5",
    "1.7976931348623157e308",
    "99999999999999999999999999999999999999",
    "1E+126",
    "1E-131",
    "NaN",
];

/// A deterministic mutator with a dictionary of tokens for its target.
#[derive(Debug, Clone)]
pub struct Mutator {
    rng: Rng,
    dictionary: Vec<Vec<u8>>,
    max_len: usize,
}

impl Mutator {
    /// A mutator from a seed and the target's dictionary; inputs never grow
    /// past `max_len` bytes.
    pub fn new(seed: u64, dictionary: &[&str], max_len: usize) -> Self {
        Self {
            rng: Rng::new(seed),
            dictionary: dictionary.iter().map(|t| t.as_bytes().to_vec()).collect(),
            max_len,
        }
    }

    /// The generator, for callers that pick corpus entries with it.
    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    /// Mutates `input` in place with a stack of one to eight mutations;
    /// `corpus` is where splices come from.
    pub fn mutate(&mut self, input: &mut Vec<u8>, corpus: &[Vec<u8>]) {
        let rounds = 1 + self.rng.below(8);
        for _ in 0..rounds {
            self.mutate_once(input, corpus);
        }
        input.truncate(self.max_len);
    }

    fn mutate_once(&mut self, input: &mut Vec<u8>, corpus: &[Vec<u8>]) {
        let len = input.len();
        match self.rng.below(11) {
            0 if len > 0 => {
                let at = self.rng.below(len);
                input[at] ^= 1 << self.rng.below(8);
            }
            1 if len > 0 => {
                let at = self.rng.below(len);
                input[at] = INTERESTING[self.rng.below(INTERESTING.len())];
            }
            2 => {
                let at = self.rng.below(len + 1);
                let byte = self.rng.next_u64() as u8;
                input.insert(at, byte);
            }
            3 if len > 0 => {
                let at = self.rng.below(len);
                input.remove(at);
            }
            4 if len > 0 => {
                let (start, end) = self.chunk(len);
                let piece = input[start..end].to_vec();
                let at = self.rng.below(len + 1);
                input.splice(at..at, piece);
            }
            5 if len > 0 => {
                let (start, end) = self.chunk(len);
                input.drain(start..end);
            }
            6 if !corpus.is_empty() => {
                let other = &corpus[self.rng.below(corpus.len())];
                if !other.is_empty() {
                    let (start, end) = self.chunk(other.len());
                    let at = self.rng.below(len + 1);
                    let cut = if self.rng.one_in(2) {
                        len
                    } else {
                        (at + end - start).min(len)
                    };
                    input.splice(at..cut, other[start..end].iter().copied());
                }
            }
            7 | 8 if !self.dictionary.is_empty() => {
                let token = self.dictionary[self.rng.below(self.dictionary.len())].clone();
                let at = self.rng.below(len + 1);
                if self.rng.one_in(2) {
                    input.splice(at..at, token);
                } else {
                    let end = (at + token.len()).min(len);
                    input.splice(at..end, token);
                }
            }
            9 => self.replace_number(input),
            _ if len > 0 => {
                let at = self.rng.below(len);
                let delta = 1 + self.rng.below(35) as u8;
                input[at] = if self.rng.one_in(2) {
                    input[at].wrapping_add(delta)
                } else {
                    input[at].wrapping_sub(delta)
                };
            }
            _ => {
                let byte = self.rng.next_u64() as u8;
                input.push(byte);
            }
        }
    }

    /// A chunk `start..end` of a buffer of `len > 0` bytes, mostly short.
    fn chunk(&mut self, len: usize) -> (usize, usize) {
        let start = self.rng.below(len);
        let most = (len - start).min(if self.rng.one_in(4) { len } else { 16 });
        let end = start + 1 + self.rng.below(most);
        (start, end)
    }

    /// Replaces one run of ASCII digits with a number from [`NUMBERS`].
    fn replace_number(&mut self, input: &mut Vec<u8>) {
        let runs: Vec<(usize, usize)> = digit_runs(input);
        let number = NUMBERS[self.rng.below(NUMBERS.len())].as_bytes();
        if runs.is_empty() {
            let at = self.rng.below(input.len() + 1);
            input.splice(at..at, number.iter().copied());
        } else {
            let (start, end) = runs[self.rng.below(runs.len())];
            input.splice(start..end, number.iter().copied());
        }
    }
}

fn digit_runs(input: &[u8]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start = None;
    for (i, b) in input.iter().enumerate() {
        match (b.is_ascii_digit(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                runs.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        runs.push((s, input.len()));
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(seed: u64) -> Vec<Vec<u8>> {
        let corpus = vec![b"{\"a\": 1}".to_vec(), b"<A>2</A>".to_vec()];
        let mut m = Mutator::new(seed, &["SET ", "<", "\"S\""], 4096);
        (0..500)
            .map(|i| {
                let mut input = corpus[i % 2].clone();
                m.mutate(&mut input, &corpus);
                input
            })
            .collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_inputs() {
        assert_eq!(run(7), run(7));
    }

    #[test]
    fn different_seeds_give_different_inputs() {
        assert_ne!(run(7), run(8));
    }

    #[test]
    fn inputs_never_grow_past_the_limit() {
        let mut m = Mutator::new(1, &["0123456789abcdef"], 64);
        let mut input = vec![b'1'; 60];
        for _ in 0..2000 {
            m.mutate(&mut input, &[vec![b'x'; 64]]);
            assert!(input.len() <= 64);
        }
    }

    #[test]
    fn mutations_change_inputs() {
        let inputs = run(3);
        let distinct: std::collections::HashSet<_> = inputs.iter().collect();
        assert!(distinct.len() > 400, "only {} distinct inputs", distinct.len());
    }

    #[test]
    fn digit_runs_are_found() {
        assert_eq!(digit_runs(b"a12b3"), vec![(1, 3), (4, 5)]);
    }
}
