//! Nearest spellings, so that an unknown word comes with the words the user probably meant.

use crate::Vocabulary;

/// Up to `max` words of `vocab` closest in spelling to `word`, best first.
///
/// Closeness is the Damerau–Levenshtein (optimal string alignment) distance between lower-cased
/// forms, so `King` finds `king` at distance 0; ties go to the more frequent word, which in the
/// usual frequency-sorted embedding files is the lower row. Only words within distance 1 (short
/// words) or 2 are offered: a wild guess helps less than no guess.
pub fn nearest_spellings(word: &str, vocab: &dyn Vocabulary, max: usize) -> Vec<String> {
    let target: Vec<char> = word.to_lowercase().chars().collect();
    let limit = if target.len() <= 4 { 1 } else { 2 };
    let mut found: Vec<(usize, usize)> = Vec::new(); // (distance, row)
    let mut candidate = Vec::new();
    for row in 0..vocab.len() {
        let other = vocab.word(row);
        if other == word {
            continue;
        }
        // Cheap length filter before the quadratic distance.
        let char_len = other.chars().count();
        if char_len.abs_diff(target.len()) > limit {
            continue;
        }
        candidate.clear();
        candidate.extend(other.chars().flat_map(char::to_lowercase));
        if let Some(distance) = bounded_distance(&target, &candidate, limit) {
            found.push((distance, row));
        }
    }
    found.sort_unstable();
    found.into_iter().take(max).map(|(_, row)| vocab.word(row).to_owned()).collect()
}

/// Optimal-string-alignment distance between `a` and `b`, or `None` if it exceeds `limit`.
pub fn bounded_distance(a: &[char], b: &[char], limit: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    let width = b.len() + 1;
    // Three rolling rows: transpositions look two rows back.
    let mut two_back = vec![0usize; width];
    let mut prev: Vec<usize> = (0..width).collect();
    let mut cur = vec![0usize; width];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(two_back[j - 2] + 1);
            }
            cur[j] = best;
            row_min = row_min.min(best);
        }
        // A row's minimum grows by at most one per row, so once over the limit it stays over.
        if row_min > limit {
            return None;
        }
        std::mem::swap(&mut two_back, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    let distance = prev[b.len()];
    (distance <= limit).then_some(distance)
}

/// The "; did you mean …?" tail of an error message, empty when there is nothing to suggest.
pub fn suggestion_suffix(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        return String::new();
    }
    let quoted: Vec<String> = suggestions.iter().map(|s| format!("{s:?}")).collect();
    format!("; did you mean {}?", quoted.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WordList;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn distance_counts_edits_and_transpositions() {
        assert_eq!(bounded_distance(&chars("king"), &chars("king"), 2), Some(0));
        assert_eq!(bounded_distance(&chars("kign"), &chars("king"), 2), Some(1));
        assert_eq!(bounded_distance(&chars("kin"), &chars("king"), 2), Some(1));
        assert_eq!(bounded_distance(&chars("queen"), &chars("quen"), 2), Some(1));
        assert_eq!(bounded_distance(&chars("abcdef"), &chars("ghijkl"), 2), None);
    }

    #[test]
    fn suggestions_prefer_closer_then_more_frequent_words() {
        let vocab = WordList::new(["the", "king", "kings", "kind", "queen"].map(String::from).to_vec()).unwrap();
        assert_eq!(nearest_spellings("kng", &vocab, 3), vec!["king"]);
        assert_eq!(nearest_spellings("King", &vocab, 2), vec!["king", "kings"]);
        assert!(nearest_spellings("zzzzzz", &vocab, 3).is_empty());
    }
}
