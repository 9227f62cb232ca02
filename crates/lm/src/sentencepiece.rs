//! SentencePiece's BPE encoding as GGUF files with `tokenizer.ggml.model = "llama"` describe it
//! (Model 2, Gemma): spaces become `▁`, then the adjacent pair whose joined text is the vocabulary
//! piece with the highest score is merged first (the leftmost pair on a tie), until no pair joins;
//! a character left without a piece is spelled in byte tokens (`<0xE2>`). Pieces the vocabulary
//! marks as user-defined or control (`\n\n`, `<start_of_turn>`) are cut out of the text first,
//! longest match first, as llama.cpp does with the prompts it is given.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};

/// The marker SentencePiece writes for a space.
pub const SPACE: char = '\u{2581}';

/// A SentencePiece vocabulary ready to encode.
#[derive(Debug, Clone)]
pub struct SentencePiece {
    ids: HashMap<String, u32>,
    scores: Vec<f32>,
    /// The token of each byte value (`<0x00>`…`<0xFF>`), for characters no piece covers.
    bytes: [Option<u32>; 256],
    /// Pieces matched in the raw text before merging (user-defined and control), with their ids,
    /// by first byte and longest first.
    specials: HashMap<u8, Vec<(String, u32)>>,
    unknown: u32,
    add_space_prefix: bool,
}

/// The byte a piece `<0xAB>` stands for.
pub fn byte_piece(piece: &str) -> Option<u8> {
    let hex = piece.strip_prefix("<0x")?.strip_suffix('>')?;
    if hex.len() == 2 { u8::from_str_radix(hex, 16).ok() } else { None }
}

/// One candidate merge: the symbols at `left` and `right`, whose joined text is a piece of this
/// score and `len` bytes (a stale candidate has a different joined length by the time it is popped).
#[derive(Debug, PartialEq)]
struct Candidate {
    score: f32,
    left: usize,
    right: usize,
    len: usize,
}

impl Eq for Candidate {}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        // Highest score first, then the leftmost pair.
        self.score.total_cmp(&other.score).then(Reverse(self.left).cmp(&Reverse(other.left)))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A stretch of the text being encoded, linked to its neighbours; `len` 0 once merged away.
#[derive(Debug, Clone, Copy)]
struct Symbol {
    start: usize,
    len: usize,
    previous: Option<usize>,
    next: Option<usize>,
}

impl SentencePiece {
    /// `pieces` with their `scores` and llama.cpp token types (1 normal, 2 unknown, 3 control,
    /// 4 user-defined, 5 unused, 6 byte).
    pub fn new(pieces: &[String], scores: Vec<f32>, types: &[u64], unknown: u32, add_space_prefix: bool) -> Self {
        let ids: HashMap<String, u32> = pieces.iter().enumerate().map(|(i, p)| (p.clone(), i as u32)).collect();
        let mut bytes = [None; 256];
        let mut specials: HashMap<u8, Vec<(String, u32)>> = HashMap::new();
        for (i, (piece, &kind)) in pieces.iter().zip(types).enumerate() {
            match kind {
                6 => {
                    if let Some(b) = byte_piece(piece) {
                        bytes[b as usize] = Some(i as u32);
                    }
                }
                3 | 4 if !piece.is_empty() => {
                    specials.entry(piece.as_bytes()[0]).or_default().push((piece.clone(), i as u32))
                }
                _ => {}
            }
        }
        // Longest first, so that `\n\n\n` is one token rather than three.
        for group in specials.values_mut() {
            group.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.1.cmp(&b.1)));
        }
        SentencePiece { ids, scores, bytes, specials, unknown, add_space_prefix }
    }

    /// The longest special piece at the start of `text`.
    fn special_at(&self, text: &str) -> Option<(usize, u32)> {
        let group = self.specials.get(text.as_bytes().first()?)?;
        group.iter().find(|(piece, _)| text.starts_with(piece.as_str())).map(|(piece, id)| (piece.len(), *id))
    }

    /// The ids of `text`.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut ids = Vec::new();
        let mut plain_start = 0;
        let mut at = 0;
        while at < text.len() {
            match self.special_at(&text[at..]) {
                Some((len, id)) => {
                    if plain_start < at {
                        self.encode_plain(&text[plain_start..at], plain_start == 0, &mut ids);
                    }
                    ids.push(id);
                    at += len;
                    plain_start = at;
                }
                None => at += text[at..].chars().next().map_or(1, char::len_utf8),
            }
        }
        if plain_start < text.len() {
            self.encode_plain(&text[plain_start..], plain_start == 0, &mut ids);
        }
        ids
    }

    /// Encodes text that holds no special piece.
    fn encode_plain(&self, text: &str, at_start: bool, ids: &mut Vec<u32>) {
        let mut escaped = String::with_capacity(text.len() + 3);
        if self.add_space_prefix && at_start {
            escaped.push(SPACE);
        }
        escaped.extend(text.chars().map(|c| if c == ' ' { SPACE } else { c }));
        let mut symbols: Vec<Symbol> = Vec::with_capacity(escaped.len());
        for (i, (start, c)) in escaped.char_indices().enumerate() {
            symbols.push(Symbol { start, len: c.len_utf8(), previous: i.checked_sub(1), next: Some(i + 1) });
        }
        if let Some(last) = symbols.last_mut() {
            last.next = None;
        }
        let mut queue = BinaryHeap::new();
        let candidate = |symbols: &[Symbol], left: usize, right: usize| -> Option<Candidate> {
            let (a, b) = (symbols[left], symbols[right]);
            let joined = &escaped[a.start..b.start + b.len];
            let id = *self.ids.get(joined)?;
            Some(Candidate { score: self.scores[id as usize], left, right, len: joined.len() })
        };
        for i in 1..symbols.len() {
            queue.extend(candidate(&symbols, i - 1, i));
        }
        while let Some(best) = queue.pop() {
            let (left, right) = (symbols[best.left], symbols[best.right]);
            if left.len == 0 || right.len == 0 || left.len + right.len != best.len {
                continue;
            }
            symbols[best.left].len += right.len;
            symbols[best.left].next = right.next;
            symbols[best.right].len = 0;
            if let Some(next) = right.next {
                symbols[next].previous = Some(best.left);
            }
            if let Some(previous) = left.previous {
                queue.extend(candidate(&symbols, previous, best.left));
            }
            if let Some(next) = right.next {
                queue.extend(candidate(&symbols, best.left, next));
            }
        }
        for symbol in symbols.iter().filter(|s| s.len > 0) {
            let piece = &escaped[symbol.start..symbol.start + symbol.len];
            match self.ids.get(piece) {
                Some(&id) => ids.push(id),
                None => ids.extend(piece.bytes().map(|b| self.bytes[b as usize].unwrap_or(self.unknown))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocabulary() -> SentencePiece {
        let pieces =
            ["<unk>", "<0x41>", "<0xE2>", "<0x82>", "<0xAC>", "\n\n", "\n", "a", "b", "ab", "▁", "▁ab", "c", "bc"];
        let scores = vec![0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0, -1.0, -2.0, -1.0, -3.0, -1.0, -0.5];
        let types = [2, 6, 6, 6, 6, 4, 4, 1, 1, 1, 1, 1, 1, 1];
        let pieces: Vec<String> = pieces.iter().map(|p| p.to_string()).collect();
        SentencePiece::new(&pieces, scores, &types, 0, false)
    }

    #[test]
    fn merges_by_score_and_falls_back_to_bytes() {
        let sp = vocabulary();
        // "bc" outscores "ab": a + bc, not ab + c.
        assert_eq!(sp.encode("abc"), vec![7, 13]);
        // A space becomes ▁, and "▁ab" is reached through "ab".
        assert_eq!(sp.encode(" ab"), vec![11]);
        // "€" has no piece: its three bytes; "A" likewise.
        assert_eq!(sp.encode("€A"), vec![2, 3, 4, 1]);
        // Special pieces first, longest match: "\n\n" then "\n".
        assert_eq!(sp.encode("a\n\n\nb"), vec![7, 5, 6, 8]);
        assert_eq!(sp.encode(""), Vec::<u32>::new());
        // A character with neither a piece nor a byte token is unknown.
        assert_eq!(sp.encode("z"), vec![0]);
        assert_eq!(byte_piece("<0x0A>"), Some(10));
        assert_eq!(byte_piece("<0x0A"), None);
    }
}
