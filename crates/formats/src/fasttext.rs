//! Facebook fastText `.bin` models (unsupervised), as fastText writes them and gensim's
//! `load_facebook_vectors` reads them: the arguments, the dictionary and the input matrix, whose
//! first rows are the words' own vectors and whose other `buckets` rows are the vectors of hashed
//! character n-grams.
//!
//! A word's vector is gensim's: for a word in the dictionary, its own row and its n-grams' rows
//! averaged; for any other word, the mean of its n-grams' rows (so every word has a vector unless
//! it has no n-gram at all). N-grams are those of `<word>`, `minn` to `maxn` characters long,
//! hashed with FNV-1a over their UTF-8 bytes, each byte sign-extended first as fastText's C++
//! `char` is.
//!
//! Both layouts are read: files with the magic number and version (fastText 0.2 and later), and
//! older files that begin with the arguments.

use std::path::Path;

use vecspace_core::Space;
use vecspace_core::subwords::{MOST_NGRAM_CHARS, Subwords, ngram_buckets};

use crate::error::Location;
use crate::{Error, Result};

/// The magic number that starts files written by fastText 0.2 and later.
const MAGIC: i32 = 793_712_314;

/// A fastText model's word vectors and subword vectors.
#[derive(Debug, Clone, PartialEq)]
pub struct FastText {
    /// The dictionary's words, most frequent first.
    pub words: Vec<String>,
    pub dims: usize,
    /// N-gram lengths, in characters.
    pub minn: usize,
    pub maxn: usize,
    /// Rows of n-gram vectors (0: no subwords).
    pub buckets: usize,
    /// `(words + buckets) × dims` values: the words' rows, then the n-gram rows.
    input: Vec<f32>,
}

/// Whether `head`, a file's first bytes, begins like a fastText model: the magic number, or (for
/// files older than it) arguments in their plausible ranges, which no text format's first bytes
/// are (ASCII digits read as a little-endian dimension are over 800 million).
pub fn sniff(head: &[u8]) -> bool {
    let i32_at = |i: usize| head.get(i * 4..i * 4 + 4).map(|b| i32::from_le_bytes(b.try_into().expect("4 bytes")));
    if i32_at(0) == Some(MAGIC) {
        return true;
    }
    let arguments: Option<Vec<i32>> = (0..12).map(i32_at).collect();
    let Some([dim, ws, epoch, min_count, neg, word_ngrams, loss, model, bucket, minn, maxn, lr_update]) =
        arguments.and_then(|a| <[i32; 12]>::try_from(a).ok())
    else {
        return false;
    };
    let sampling = head.get(48..56).map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")));
    (1..=1 << 20).contains(&dim)
        && ws > 0
        && epoch > 0
        && min_count >= 0
        && neg >= 0
        && word_ngrams > 0
        && (1..=4).contains(&loss)
        && (1..=3).contains(&model)
        && bucket >= 0
        && (0..=maxn).contains(&minn)
        && maxn <= MOST_NGRAM_CHARS as i32
        && lr_update > 0
        && sampling.is_some_and(|t| (0.0..=1.0).contains(&t))
}

/// Reads the file's values in order, refusing to read past its end.
struct Cursor<'a> {
    path: &'a Path,
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, count: usize, what: &'static str) -> Result<&'a [u8]> {
        let available = self.bytes.len() - self.at;
        if count > available {
            return Err(Error::Truncated {
                path: self.path.to_owned(),
                what,
                declared: count as u64,
                available: available as u64,
            });
        }
        let taken = &self.bytes[self.at..self.at + count];
        self.at += count;
        Ok(taken)
    }

    fn i32(&mut self, what: &'static str) -> Result<i32> {
        Ok(i32::from_le_bytes(self.take(4, what)?.try_into().expect("4 bytes")))
    }

    fn i64(&mut self, what: &'static str) -> Result<i64> {
        Ok(i64::from_le_bytes(self.take(8, what)?.try_into().expect("8 bytes")))
    }

    fn malformed(&self, message: String) -> Error {
        Error::Malformed { path: self.path.to_owned(), location: Location::Byte(self.at as u64), message }
    }

    /// A count that must lie in `0..=most`.
    fn count(&mut self, value: i64, what: &str, most: u64) -> Result<usize> {
        match u64::try_from(value) {
            Ok(value) if value <= most => Ok(value as usize),
            _ => Err(self.malformed(format!("{what} is {value}; expected 0 to {most}"))),
        }
    }
}

impl FastText {
    /// Reads a fastText `.bin` model; a supervised model, a quantised one (`.ftz`) or a damaged
    /// file is an error that says so.
    pub fn read(path: &Path) -> Result<FastText> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        if bytes.is_empty() {
            return Err(Error::Empty { path: path.to_owned() });
        }
        FastText::parse(path, &bytes)
    }

    fn parse(path: &Path, bytes: &[u8]) -> Result<FastText> {
        let mut file = Cursor { path, bytes, at: 0 };
        let first = file.i32("the header")?;
        let versioned = first == MAGIC;
        if versioned {
            let version = file.i32("the version")?;
            if !(11..=12).contains(&version) {
                return Err(file.malformed(format!("fastText file version {version}; versions 11 and 12 are read")));
            }
        } else {
            file.at = 0;
        }
        // dim ws epoch minCount neg wordNgrams loss model bucket minn maxn lrUpdateRate, then t.
        let mut arguments = [0i32; 12];
        for argument in &mut arguments {
            *argument = file.i32("the arguments")?;
        }
        file.take(8, "the arguments")?;
        let [dim, _, _, _, _, _, _, _, bucket, minn, maxn, _] = arguments;
        // Counts are only checked for sign here: a count the file is too short for is reported
        // as the truncation it is when its section is read, before anything it sizes is allocated.
        let limit = i32::MAX as u64;
        let dims = file.count(dim.into(), "the dimension", 1 << 20)?;
        let buckets = file.count(bucket.into(), "the number of buckets", limit)?;
        let most = MOST_NGRAM_CHARS as u64;
        let (minn, maxn) = (file.count(minn.into(), "minn", most)?, file.count(maxn.into(), "maxn", most)?);
        if dims == 0 || minn > maxn || (buckets > 0 && minn == 0) {
            return Err(
                file.malformed(format!("the arguments (dim {dims}, minn {minn}, maxn {maxn}) are not a model's"))
            );
        }

        let size = file.i32("the dictionary")?;
        let size = file.count(size.into(), "the dictionary's size", limit)?;
        let nwords = file.i32("the dictionary")?;
        let nwords = file.count(nwords.into(), "the number of words", size as u64)?;
        let labels = file.i32("the dictionary")?;
        if labels != 0 || nwords != size {
            return Err(file.malformed(format!(
                "a supervised model ({labels} labels); only unsupervised models (skipgram, cbow) hold word vectors"
            )));
        }
        file.i64("the dictionary")?;
        let pruned = if versioned {
            // fastText writes −1 for a dictionary that was never pruned.
            match file.i64("the dictionary")? {
                -1 => 0,
                pruned => file.count(pruned, "the pruned index's size", limit)?,
            }
        } else {
            0
        };
        // Each entry takes at least 10 bytes: a word's terminating NUL, its count and its type.
        let mut words = Vec::with_capacity(size.min((bytes.len() - file.at) / 10));
        for _ in 0..size {
            let rest = &bytes[file.at..];
            let Some(end) = rest.iter().position(|&b| b == 0) else {
                return Err(file.malformed("a word runs to the end of the file".to_owned()));
            };
            // gensim shows the bytes of a word that is not UTF-8 as \xNN escapes.
            words.push(escaped(&rest[..end]));
            file.at += end + 1;
            file.take(9, "the dictionary")?;
        }
        if versioned {
            file.take(pruned * 8, "the pruned index")?;
            let quantised = file.take(1, "the input matrix")?[0];
            if quantised != 0 {
                return Err(file.malformed("a quantised model (.ftz); read the .bin it was made from".to_owned()));
            }
        }
        let rows = file.i64("the input matrix")?;
        let rows = file.count(rows, "the input matrix's rows", 2 * limit)?;
        let columns = file.i64("the input matrix")?;
        if columns != dims as i64 || rows != nwords + buckets {
            return Err(file.malformed(format!(
                "the input matrix is {rows} × {columns}; the arguments say {} × {dims}",
                nwords + buckets
            )));
        }
        let values = file.take(rows * dims * 4, "the input matrix")?;
        let input: Vec<f32> =
            values.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))).collect();
        if let Some(index) = input.iter().position(|x| !x.is_finite()) {
            return Err(file.malformed(format!("row {} holds NaN or infinite values", index / dims)));
        }
        // The output matrix is not needed for vectors, but reading past it shows that the file
        // is whole: a truncated one is an error, not a model that happens to look complete.
        if versioned && file.take(1, "the output matrix")?[0] != 0 {
            return Err(file.malformed("a quantised output matrix (.ftz); read the .bin it was made from".to_owned()));
        }
        let output_rows = file.i64("the output matrix")?;
        let output_rows = file.count(output_rows, "the output matrix's rows", 2 * limit)?;
        if file.i64("the output matrix")? != dims as i64 {
            return Err(file.malformed(format!("the output matrix's rows are not {dims} values long")));
        }
        file.take(output_rows * dims * 4, "the output matrix")?;
        if file.at != bytes.len() {
            return Err(file.malformed(format!("{} bytes follow the output matrix", bytes.len() - file.at)));
        }
        Ok(FastText { words, dims, minn, maxn, buckets, input })
    }

    fn row(&self, row: usize) -> &[f32] {
        &self.input[row * self.dims..(row + 1) * self.dims]
    }

    /// The vector of the word in row `row` of the dictionary: its own row and its n-grams' rows,
    /// averaged (gensim's `adjust_vectors`).
    pub fn word_vector(&self, row: usize) -> Vec<f32> {
        let mut vector = self.row(row).to_vec();
        let buckets = ngram_buckets(&self.words[row], self.minn, self.maxn, self.buckets);
        for &bucket in &buckets {
            vector.iter_mut().zip(self.row(self.words.len() + bucket)).for_each(|(v, x)| *v += x);
        }
        let count = (buckets.len() + 1) as f32;
        vector.iter_mut().for_each(|v| *v /= count);
        vector
    }

    /// The model as a space: the words with gensim's vectors for them ([`FastText::word_vector`]),
    /// and the n-gram rows as the subword table that gives every other word its vector. The
    /// fix-ups [`crate::read`] reports (a duplicated word) go to `warnings`.
    pub fn into_space(self, path: &Path, warnings: &mut Vec<String>) -> Result<Space> {
        let data: Vec<f32> = (0..self.words.len()).flat_map(|row| self.word_vector(row)).collect();
        let FastText { words, dims, minn, maxn, buckets, mut input } = self;
        let ngram_rows = input.split_off(words.len() * dims);
        let space = crate::assemble(path, words, data, dims, warnings)?;
        if buckets == 0 {
            return Ok(space);
        }
        let subwords =
            Subwords::new(minn, maxn, buckets, dims, Box::new(ngram_rows)).map_err(|e| Error::space(path, e))?;
        space.with_subwords(subwords).map_err(|e| Error::space(path, e))
    }
}

/// Reads a fastText `.bin` model as a space with its subword table.
pub fn read_space(path: &Path, warnings: &mut Vec<String>) -> Result<Space> {
    FastText::read(path)?.into_space(path, warnings)
}

/// `bytes` as text, with each byte of a sequence that is not UTF-8 written `\xNN` (Python's
/// `backslashreplace`, which gensim uses).
fn escaped(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        for byte in chunk.invalid() {
            text.push_str(&format!("\\x{byte:02x}"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A model file in either layout: `words` with their rows, then `buckets` n-gram rows.
    fn model_file(versioned: bool, words: &[&str], dims: usize, buckets: usize, rows: &[f32]) -> Vec<u8> {
        let mut out = Vec::new();
        let i32s = |out: &mut Vec<u8>, values: &[i32]| values.iter().for_each(|v| out.extend(v.to_le_bytes()));
        if versioned {
            i32s(&mut out, &[MAGIC, 12]);
        }
        i32s(&mut out, &[dims as i32, 5, 5, 1, 5, 1, 2, 2, buckets as i32, 2, 3, 100]);
        out.extend(1e-4f64.to_le_bytes());
        i32s(&mut out, &[words.len() as i32, words.len() as i32, 0]);
        out.extend(100i64.to_le_bytes());
        if versioned {
            // Never pruned, as fastText writes it.
            out.extend((-1i64).to_le_bytes());
        }
        for word in words {
            out.extend(word.as_bytes());
            out.push(0);
            out.extend(7i64.to_le_bytes());
            out.push(0);
        }
        if versioned {
            out.push(0);
        }
        out.extend(((words.len() + buckets) as i64).to_le_bytes());
        out.extend((dims as i64).to_le_bytes());
        rows.iter().for_each(|x| out.extend(x.to_le_bytes()));
        if versioned {
            out.push(0);
        }
        // The output matrix: one row per word.
        out.extend((words.len() as i64).to_le_bytes());
        out.extend((dims as i64).to_le_bytes());
        (0..words.len() * dims).for_each(|_| out.extend(0.25f32.to_le_bytes()));
        out
    }

    #[test]
    fn both_layouts_read_and_vectors_average_rows_as_gensim_does() {
        let path = Path::new("model.bin");
        let rows: Vec<f32> = (0..(2 + 5) * 2).map(|i| i as f32).collect();
        for versioned in [true, false] {
            let bytes = model_file(versioned, &["ab", "c"], 2, 5, &rows);
            let model = FastText::parse(path, &bytes).unwrap();
            assert_eq!(
                (model.words.clone(), model.dims, model.minn, model.maxn, model.buckets),
                (vec!["ab".to_owned(), "c".to_owned()], 2, 2, 3, 5)
            );
            let buckets = ngram_buckets("ab", 2, 3, 5);
            let mut expected = [0.0f32, 1.0];
            for &b in &buckets {
                expected[0] += rows[(2 + b) * 2];
                expected[1] += rows[(2 + b) * 2 + 1];
            }
            let expected: Vec<f32> = expected.iter().map(|v| v / (buckets.len() + 1) as f32).collect();
            assert_eq!(model.word_vector(0), expected);
            let unknown = ngram_buckets("zz", 2, 3, 5);
            let mean: Vec<f32> = (0..2)
                .map(|d| unknown.iter().map(|&b| rows[(2 + b) * 2 + d]).sum::<f32>() / unknown.len() as f32)
                .collect();
            let space = model.into_space(path, &mut Vec::new()).unwrap();
            assert_eq!(space.raw_vector(0), expected);
            let subwords = space.subwords().unwrap();
            assert_eq!((subwords.minn(), subwords.maxn(), subwords.buckets()), (2, 3, 5));
            assert_eq!(subwords.vector("zz").unwrap(), mean);
        }
    }

    #[test]
    fn damaged_supervised_and_quantised_files_are_refused() {
        let path = Path::new("model.bin");
        let rows = vec![0.5f32; 7 * 2];
        let good = model_file(true, &["ab", "c"], 2, 5, &rows);
        assert!(FastText::parse(path, &good).is_ok());
        for cut in 0..good.len() {
            assert!(FastText::parse(path, &good[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = good.clone();
        longer.push(0);
        assert!(FastText::parse(path, &longer).unwrap_err().to_string().contains("1 bytes follow"));
        let mut supervised = good.clone();
        // The label count follows the magic, version, 12 arguments and t.
        supervised[8 + 48 + 8 + 8..8 + 48 + 8 + 12].copy_from_slice(&1i32.to_le_bytes());
        assert!(FastText::parse(path, &supervised).unwrap_err().to_string().contains("supervised"));
        let mut quantised = good.clone();
        // The output matrix (its flag, shape and 2 × 2 values) ends the file.
        let output = 1 + 16 + 2 * 2 * 4;
        let flag = good.len() - output - rows.len() * 4 - 17;
        quantised[flag] = 1;
        assert!(FastText::parse(path, &quantised).unwrap_err().to_string().contains("quantised"));
        let mut huge = good.clone();
        huge[8..12].copy_from_slice(&i32::MAX.to_le_bytes());
        assert!(FastText::parse(path, &huge).is_err());
        let mut nan = good;
        let last = nan.len() - output - 4;
        nan[last..last + 4].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(FastText::parse(path, &nan).unwrap_err().to_string().contains("NaN"));
    }

    #[test]
    fn both_layouts_are_recognised_and_word2vec_files_are_not() {
        let rows = vec![0.5f32; 7 * 2];
        assert!(sniff(&model_file(true, &["ab", "c"], 2, 5, &rows)));
        assert!(sniff(&model_file(false, &["ab", "c"], 2, 5, &rows)));
        assert!(!sniff(b"400000 50\nthe 0.1 0.2\n"));
        assert!(!sniff(b"3 2\nab\x00\x00\x80?\x00\x00\x00\x00"));
        assert!(!sniff(&[0u8; 10]));
    }

    #[test]
    fn bytes_that_are_not_utf8_are_escaped_as_gensim_shows_them() {
        assert_eq!(escaped(b"kter\xec"), "kter\\xec");
        assert_eq!(escaped("čaj".as_bytes()), "čaj");
    }
}
