//! Vectors for words a space does not store, built from character n-grams as fastText builds
//! them: the n-grams of `<word>` from `minn` to `maxn` characters, each hashed into one of
//! `buckets` rows of a table, and the word's vector the mean of those rows.
//!
//! The hash is fastText's: FNV-1a over the n-gram's UTF-8 bytes, each byte sign-extended to 32
//! bits first (C++ `char` is signed), so non-ASCII text lands in the buckets fastText trained.
//!
//! ```
//! use vecspace_core::subwords::{Subwords, ngram_buckets};
//!
//! // Two buckets of two dimensions: every n-gram's row is (1, 0) or (0, 1).
//! let table = Subwords::new(3, 4, 2, 2, Box::new(vec![1.0, 0.0, 0.0, 1.0]))?;
//! let buckets = ngram_buckets("cat", 3, 4, 2);
//! let share = |bucket| buckets.iter().filter(|&&b| b == bucket).count() as f32 / buckets.len() as f32;
//! assert_eq!(table.vector("cat"), Some(vec![share(0), share(1)]));
//! # Ok::<(), vecspace_core::Error>(())
//! ```

use std::fmt;

use crate::{Error, Result};

/// Most bytes of a word whose n-grams are computed; a longer "word" has none, and so no vector.
pub const MOST_WORD_BYTES: usize = 1 << 16;

/// Longest n-gram, in characters, a table may use (fastText's own limit is far below).
pub const MOST_NGRAM_CHARS: usize = 64;

/// fastText's string hash: FNV-1a over the bytes, each sign-extended to 32 bits first.
pub fn hash(bytes: &[u8]) -> u32 {
    bytes.iter().fold(2_166_136_261u32, |h, &b| (h ^ (b as i8 as i32 as u32)).wrapping_mul(16_777_619))
}

/// The character n-grams of `<word>` from `minn` to `maxn` characters, as fastText and gensim list
/// them: by start, then by length; a single `<` or `>` is not an n-gram.
pub fn ngrams(word: &str, minn: usize, maxn: usize) -> Vec<Vec<u8>> {
    let bracketed = format!("<{word}>");
    let bytes = bracketed.as_bytes();
    let continuation = |b: u8| b & 0xC0 == 0x80;
    let mut found = Vec::new();
    for start in 0..bytes.len() {
        if continuation(bytes[start]) {
            continue;
        }
        let mut end = start;
        for length in 1..=maxn {
            if end >= bytes.len() {
                break;
            }
            end += 1;
            while end < bytes.len() && continuation(bytes[end]) {
                end += 1;
            }
            let edge = start == 0 || end == bytes.len();
            if length >= minn && !(length == 1 && edge) {
                found.push(bytes[start..end].to_vec());
            }
        }
    }
    found
}

/// The table rows of `word`'s n-grams in a table of `buckets` rows, in [`ngrams`]' order.
pub fn ngram_buckets(word: &str, minn: usize, maxn: usize, buckets: usize) -> Vec<usize> {
    if buckets == 0 || word.len() > MOST_WORD_BYTES {
        return Vec::new();
    }
    ngrams(word, minn, maxn).iter().map(|ngram| hash(ngram) as usize % buckets).collect()
}

/// Where a subword table's values live: in memory, or mapped from a file.
pub trait Values: Send + Sync + fmt::Debug {
    fn values(&self) -> &[f32];
}

impl Values for Vec<f32> {
    fn values(&self) -> &[f32] {
        self
    }
}

/// A table of n-gram vectors: `buckets` rows of `dims` values.
#[derive(Debug)]
pub struct Subwords {
    minn: usize,
    maxn: usize,
    buckets: usize,
    dims: usize,
    table: Box<dyn Values>,
}

impl Subwords {
    /// A table for n-grams of `minn..=maxn` characters with `buckets` rows of `dims` values.
    pub fn new(minn: usize, maxn: usize, buckets: usize, dims: usize, table: Box<dyn Values>) -> Result<Subwords> {
        if minn == 0 || minn > maxn || maxn > MOST_NGRAM_CHARS {
            return Err(Error::Subwords(format!(
                "n-gram lengths {minn} to {maxn}; they must satisfy 1 ≤ minn ≤ maxn ≤ {MOST_NGRAM_CHARS}"
            )));
        }
        if buckets == 0 || dims == 0 {
            return Err(Error::Subwords("a subword table needs at least one bucket and one dimension".into()));
        }
        if buckets.checked_mul(dims) != Some(table.values().len()) {
            return Err(Error::Subwords(format!(
                "{} values do not make {buckets} buckets of {dims} dimensions",
                table.values().len()
            )));
        }
        Ok(Subwords { minn, maxn, buckets, dims, table })
    }

    pub fn minn(&self) -> usize {
        self.minn
    }

    pub fn maxn(&self) -> usize {
        self.maxn
    }

    pub fn buckets(&self) -> usize {
        self.buckets
    }

    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Every row back to back (`buckets × dims` values).
    pub fn values(&self) -> &[f32] {
        self.table.values()
    }

    /// The rows of `word`'s n-grams.
    pub fn buckets_of(&self, word: &str) -> Vec<usize> {
        ngram_buckets(word, self.minn, self.maxn, self.buckets)
    }

    /// The mean of the rows of `word`'s n-grams, summed in single precision in n-gram order as
    /// fastText and gensim sum them; `None` when the word has no n-gram or the mean is not finite
    /// (a damaged table).
    pub fn vector(&self, word: &str) -> Option<Vec<f32>> {
        let buckets = self.buckets_of(word);
        if buckets.is_empty() {
            return None;
        }
        let values = self.values();
        let mut vector = vec![0.0f32; self.dims];
        for &bucket in &buckets {
            let row = &values[bucket * self.dims..(bucket + 1) * self.dims];
            vector.iter_mut().zip(row).for_each(|(v, x)| *v += x);
        }
        let count = buckets.len() as f32;
        vector.iter_mut().for_each(|v| *v /= count);
        vector.iter().all(|x| x.is_finite()).then_some(vector)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_ngrams_match_gensim() {
        // gensim 4.4: ft_hash_bytes, compute_ngrams_bytes, ft_ngram_hashes.
        assert_eq!(hash("<king>".as_bytes()), 4_050_785_298);
        assert_eq!(hash("naïve".as_bytes()), 3_440_832_043);
        assert_eq!(hash("日本".as_bytes()), 4_164_387_409);
        assert_eq!(hash(b""), 2_166_136_261);
        let text = |grams: Vec<Vec<u8>>| grams.into_iter().map(|g| String::from_utf8(g).unwrap()).collect::<Vec<_>>();
        assert_eq!(text(ngrams("naïve", 3, 4)), ["<na", "<naï", "naï", "naïv", "aïv", "aïve", "ïve", "ïve>", "ve>"]);
        assert_eq!(text(ngrams("日本", 1, 3)), ["<日", "<日本", "日", "日本", "日本>", "本", "本>"]);
        assert_eq!(text(ngrams("", 2, 4)), ["<>"]);
        assert_eq!(ngram_buckets("naïve", 3, 4, 1000), [890, 692, 546, 404, 832, 7, 570, 548, 654]);
        assert_eq!(
            ngram_buckets("Привет", 3, 6, 2_000_000),
            [
                1_372_979, 1_846_323, 1_456_241, 59_058, 1_519_321, 1_071_067, 1_832_812, 1_969_375, 801_154, 156_441,
                1_557_166, 680_752, 75_536, 1_615_235, 125_447, 601_811, 788_887, 901_593
            ]
        );
        assert!(ngram_buckets("king", 3, 6, 0).is_empty());
    }

    #[test]
    fn a_vector_is_the_mean_of_its_ngram_rows() {
        let (buckets, dims) = (7, 2);
        let values: Vec<f32> = (0..buckets * dims).map(|i| i as f32 * 0.5).collect();
        let table = Subwords::new(2, 3, buckets, dims, Box::new(values.clone())).unwrap();
        let rows = ngram_buckets("zz", 2, 3, buckets);
        let mean: Vec<f32> =
            (0..dims).map(|d| rows.iter().map(|&b| values[b * dims + d]).sum::<f32>() / rows.len() as f32).collect();
        assert_eq!(table.vector("zz").unwrap(), mean);
        // A word too long to have n-grams computed has no vector.
        assert_eq!(table.vector(&"a".repeat(MOST_WORD_BYTES + 1)), None);
    }

    #[test]
    fn bad_tables_are_refused_and_damaged_values_give_no_vector() {
        assert!(Subwords::new(3, 2, 1, 1, Box::new(vec![0.0])).is_err());
        assert!(Subwords::new(0, 2, 1, 1, Box::new(vec![0.0])).is_err());
        assert!(Subwords::new(1, 2, 2, 2, Box::new(vec![0.0; 3])).is_err());
        assert!(Subwords::new(1, 2, 0, 2, Box::new(Vec::new())).is_err());
        let table = Subwords::new(1, 2, 1, 1, Box::new(vec![f32::NAN])).unwrap();
        assert_eq!(table.vector("a"), None);
    }
}
