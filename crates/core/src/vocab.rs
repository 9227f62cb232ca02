//! Vocabularies: the mapping between words and row numbers.

use std::collections::HashMap;
use std::fmt;

use crate::{Error, Result};

/// Words of a space in row order, with constant-time lookup from word to row.
///
/// Implemented in memory by [`WordList`] and over a memory-mapped file by the native format
/// reader, which keeps its hash table on disk so that opening a space does not rebuild it.
pub trait Vocabulary: Send + Sync + fmt::Debug {
    /// Number of words (equal to the number of rows of the space).
    fn len(&self) -> usize;
    /// The word stored at `row`. Panics if `row >= len()`, like slice indexing.
    fn word(&self, row: usize) -> &str;
    /// The row of `word`, if the vocabulary holds it (exact, case-sensitive match).
    fn row(&self, word: &str) -> Option<usize>;
    /// Whether the vocabulary holds no words.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An in-memory vocabulary built from a list of distinct words.
#[derive(Clone, Default)]
pub struct WordList {
    words: Vec<String>,
    index: HashMap<String, usize>,
}

impl WordList {
    /// Builds the list; two equal words are an error, because a word must name one row.
    pub fn new(words: Vec<String>) -> Result<Self> {
        let mut index = HashMap::with_capacity(words.len());
        for (row, word) in words.iter().enumerate() {
            if let Some(first) = index.insert(word.clone(), row) {
                return Err(Error::DuplicateWord { word: word.clone(), first, second: row });
            }
        }
        Ok(WordList { words, index })
    }

    /// The words in row order.
    pub fn words(&self) -> &[String] {
        &self.words
    }
}

impl fmt::Debug for WordList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WordList").field("len", &self.words.len()).finish()
    }
}

impl Vocabulary for WordList {
    fn len(&self) -> usize {
        self.words.len()
    }
    fn word(&self, row: usize) -> &str {
        &self.words[row]
    }
    fn row(&self, word: &str) -> Option<usize> {
        self.index.get(word).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_words_are_rejected_with_both_rows() {
        let err = WordList::new(vec!["a".into(), "b".into(), "a".into()]).unwrap_err();
        assert!(matches!(err, Error::DuplicateWord { first: 0, second: 2, .. }), "{err}");
    }

    #[test]
    fn lookup_is_exact_and_case_sensitive() {
        let list = WordList::new(vec!["King".into(), "king".into()]).unwrap();
        assert_eq!(list.row("king"), Some(1));
        assert_eq!(list.row("KING"), None);
        assert_eq!(list.word(0), "King");
    }
}
