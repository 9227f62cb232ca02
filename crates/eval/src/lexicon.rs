//! Scoring text with a word lexicon: VADER's valence ratings (Hutto & Gilbert 2014) for sentiment,
//! or a plain word list for a topic. The score of a text is the mean rating of the lexicon words
//! it contains (VADER's rules for negation, intensifiers and capitals are not applied): simple,
//! transparent, and the same for steered and unsteered text.

use std::collections::HashMap;
use std::path::Path;

use crate::{Error, Result};

/// Words and their ratings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lexicon {
    ratings: HashMap<String, f64>,
}

/// What a lexicon found in a text.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TextScore {
    /// The mean rating of the matched words (0 when none matched).
    pub mean: f64,
    pub matched: usize,
    pub words: usize,
}

impl Lexicon {
    /// Reads VADER's format: `word<TAB>mean<TAB>deviation<TAB>[ratings]` per line.
    pub fn read_vader(path: &Path) -> Result<Lexicon> {
        let text = vecspace_core::io::read_regular_to_string(path, vecspace_core::io::READ_LIMIT)
            .map_err(|e| Error::Io { path: path.to_owned(), source: e })?;
        let mut ratings = HashMap::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            let mut fields = line.split('\t');
            let (Some(word), Some(mean)) = (fields.next(), fields.next()) else {
                return Err(Error::MalformedFile {
                    path: path.to_owned(),
                    line: number + 1,
                    message: "expected word<TAB>rating".into(),
                });
            };
            let mean: f64 =
                mean.trim().parse().ok().filter(|m: &f64| m.is_finite()).ok_or_else(|| Error::MalformedFile {
                    path: path.to_owned(),
                    line: number + 1,
                    message: format!("the rating {mean:?} is not a number"),
                })?;
            ratings.insert(word.to_lowercase(), mean);
        }
        Ok(Lexicon { ratings })
    }

    /// A topic lexicon: every word rated 1.
    pub fn from_words<'a>(words: impl IntoIterator<Item = &'a str>) -> Lexicon {
        Lexicon { ratings: words.into_iter().map(|w| (w.to_lowercase(), 1.0)).collect() }
    }

    pub fn len(&self) -> usize {
        self.ratings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ratings.is_empty()
    }

    pub fn rating(&self, word: &str) -> Option<f64> {
        self.ratings.get(&word.to_lowercase()).copied()
    }

    /// Splits `text` into lower-case words (letters, digits and inner apostrophes) and averages
    /// the ratings of those in the lexicon.
    pub fn score(&self, text: &str) -> TextScore {
        let mut score = TextScore::default();
        let mut sum = 0.0;
        for word in text.split(|c: char| !(c.is_alphanumeric() || c == '\'')).map(|w| w.trim_matches('\'')) {
            if word.is_empty() {
                continue;
            }
            score.words += 1;
            if let Some(r) = self.rating(word) {
                sum += r;
                score.matched += 1;
            }
        }
        score.mean = if score.matched > 0 { sum / score.matched as f64 } else { 0.0 };
        score
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vader_lines_read_and_texts_score() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lexicon.txt");
        std::fs::write(&path, "love\t3.2\t0.4\t[3, 3]\r\nhate\t-2.7\t1.0\t[-4]\r\n:)\t2.0\t0.5\t[2]\n").unwrap();
        let lexicon = Lexicon::read_vader(&path).unwrap();
        assert_eq!(lexicon.len(), 3);
        let s = lexicon.score("I LOVE it, I hate it; it's 'love'.");
        assert_eq!((s.matched, s.words), (3, 8));
        assert!((s.mean - (3.2 - 2.7 + 3.2) / 3.0).abs() < 1e-12);
        assert_eq!(lexicon.score("nothing here").mean, 0.0);
        std::fs::write(&path, "love\tlots\n").unwrap();
        assert!(Lexicon::read_vader(&path).unwrap_err().to_string().contains("line 1"));
        let topic = Lexicon::from_words(["wedding", "bride"]);
        assert_eq!(topic.score("The bride's wedding dress").matched, 1);
    }
}
