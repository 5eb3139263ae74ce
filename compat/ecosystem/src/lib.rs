//! Helpers shared by the programs of this package: a reproducible byte
//! pattern, so that every byte a program receives can be checked against
//! what was sent without keeping it, and a way to stop with a message and a
//! non-zero status.
//!
//! The programs themselves are in `src/bin/`; each exits with status 0 only
//! when every check passed.

use std::fmt;
use std::process;

/// A reproducible stream of pseudo-random bytes (xorshift64*), one per seed.
///
/// Two generators made with the same seed produce the same bytes, so a
/// receiver checks a stream against its own copy of the sender's generator.
#[derive(Clone, Debug)]
pub struct Pattern {
    state: u64,
    word: u64,
    left: u32,
}

impl Pattern {
    /// A generator for `seed` (any value, 0 included).
    pub fn new(seed: u64) -> Pattern {
        Pattern {
            state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            word: 0,
            left: 0,
        }
    }

    /// The next byte of the stream.
    pub fn next_byte(&mut self) -> u8 {
        if self.left == 0 {
            let mut x = self.state;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.state = x;
            self.word = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
            self.left = 8;
        }
        let b = self.word as u8;
        self.word >>= 8;
        self.left -= 1;
        b
    }

    /// The next `len` bytes of the stream.
    pub fn take(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_byte()).collect()
    }

    /// Checks `data` against the next `data.len()` bytes of the stream;
    /// returns the offset (within `data`) of the first byte that differs.
    pub fn check(&mut self, data: &[u8]) -> Result<(), usize> {
        for (i, &b) in data.iter().enumerate() {
            if self.next_byte() != b {
                return Err(i);
            }
        }
        Ok(())
    }
}

/// FNV-1a, 64 bits: the checksum the programs print and compare.
pub fn fnv1a(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Prints `what` to standard error and ends the process with status 1.
pub fn fail(what: impl fmt::Display) -> ! {
    eprintln!("FAILED: {}", what);
    process::exit(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_is_reproducible_and_checks() {
        let a = Pattern::new(7).take(1000);
        assert_eq!(a, Pattern::new(7).take(1000));
        assert_ne!(a, Pattern::new(8).take(1000));
        let mut p = Pattern::new(7);
        assert_eq!(p.check(&a[..500]), Ok(()));
        let mut bad = a[500..].to_vec();
        bad[3] ^= 1;
        assert_eq!(p.check(&bad), Err(3));
    }

    #[test]
    fn fnv_known_value() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
