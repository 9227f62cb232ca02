//! The words a benchmark may use and answer with: gensim's `ok_vocab`.

use std::borrow::Cow;
use std::collections::HashMap;

use vecspace_core::Space;

/// The first `limit` words of a space, looked up exactly or case-insensitively.
///
/// Case-insensitively, as gensim does, every word is upper-cased and the most frequent (lowest)
/// row wins among words that upper-case alike (`Apple`, `apple` and `APPLE` all mean the row of
/// whichever comes first). Upper-casing is Unicode's full mapping (`ß` → `SS`), which is also what
/// Python's `str.upper` does; the two can differ only for characters one Unicode version knows and
/// the other does not.
pub(crate) struct Candidates<'a> {
    space: &'a Space,
    limit: usize,
    upper: Option<HashMap<String, usize>>,
}

impl<'a> Candidates<'a> {
    pub(crate) fn new(space: &'a Space, limit: usize, case_insensitive: bool) -> Self {
        let limit = limit.min(space.len());
        let upper = case_insensitive.then(|| {
            let mut map = HashMap::with_capacity(limit);
            for row in 0..limit {
                map.entry(space.word(row).to_uppercase()).or_insert(row);
            }
            map
        });
        Candidates { space, limit, upper }
    }

    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// The form a word is compared in: upper-cased when case-insensitive.
    pub(crate) fn key<'w>(&self, word: &'w str) -> Cow<'w, str> {
        if self.upper.is_some() { Cow::Owned(word.to_uppercase()) } else { Cow::Borrowed(word) }
    }

    /// The row a key (from [`Candidates::key`]) stands for, if it is among the candidates.
    pub(crate) fn row(&self, key: &str) -> Option<usize> {
        match &self.upper {
            Some(map) => map.get(key).copied(),
            None => self.space.vocab().row(key).filter(|&row| row < self.limit),
        }
    }
}
