//! Round trips through every format, detection, and the malformed files readers must refuse.

use std::path::PathBuf;

use super::*;

fn sample() -> Space {
    Space::from_rows(
        ["the", ",", "king", "queen", "café", "'s"].map(String::from).to_vec(),
        vec![
            0.418,
            0.24968,
            -0.41242, //
            0.013441,
            0.23682,
            -0.16899, //
            0.50451,
            0.68607,
            -0.59517, //
            0.37854,
            1.8233,
            -1.2648, //
            1e-7,
            -3.5e10,
            0.0, //
            -0.0,
            1.0,
            f32::MIN_POSITIVE,
        ],
        3,
    )
    .unwrap()
}

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Self {
        Dir(tempfile::tempdir().unwrap())
    }
    fn file(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.0.path().join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }
}

fn error_of(path: &Path, format: Option<Format>) -> String {
    match read(path, &ReadOptions { format, vocab: None }) {
        Ok(loaded) => panic!("{} read as {} words", path.display(), loaded.space.len()),
        Err(e) => e.to_string(),
    }
}

fn assert_same_space(a: &Space, b: &Space) {
    assert_eq!(a.len(), b.len());
    assert_eq!(a.dims(), b.dims());
    for row in 0..a.len() {
        assert_eq!(a.word(row), b.word(row));
        assert_eq!(a.raw_vector(row), b.raw_vector(row), "row {row} differs");
    }
}

#[test]
fn every_writable_format_round_trips_exactly_and_is_detected() {
    let dir = Dir::new();
    for (format, name) in
        [(Format::Native, "s.vsp"), (Format::Word2VecText, "s.txt"), (Format::Word2VecBinary, "s.bin")]
    {
        let path = dir.path(name);
        write(&sample(), &path, format).unwrap();
        assert_eq!(detect(&path).unwrap(), format);
        let loaded = read(&path, &ReadOptions::default()).unwrap();
        assert_eq!(loaded.format, format);
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        assert_same_space(&loaded.space, &sample());
    }
}

#[cfg(unix)]
#[test]
fn written_files_get_ordinary_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Dir::new();
    let path = dir.path("p.vsp");
    write(&sample(), &path, Format::Native).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o644);
}

#[test]
fn glove_text_has_no_header_and_is_detected() {
    let dir = Dir::new();
    let path = dir.file("glove.txt", b"the 0.418 0.24968\n, 0.013441 0.23682\n");
    assert_eq!(detect(&path).unwrap(), Format::Glove);
    let space = read(&path, &ReadOptions::default()).unwrap().space;
    assert_eq!(space.len(), 2);
    assert_eq!(space.raw_vector(1), [0.013441, 0.23682]);
}

#[test]
fn a_header_of_the_largest_dimension_is_detected_without_overflow() {
    // Found by fuzzing: `dims + 1` overflowed for a header naming u64::MAX dimensions.
    let dir = Dir::new();
    let path = dir.file("huge.txt", b"3 18446744073709551615\n1\n");
    // One field after the header is not a text record of that many values: binary.
    assert_eq!(detect(&path).unwrap(), Format::Word2VecBinary);
    assert!(read(&path, &ReadOptions::default()).is_err());
}

#[test]
fn binary_files_from_gensim_without_newlines_are_read() {
    let dir = Dir::new();
    let mut bytes = b"2 2\n".to_vec();
    for (word, values) in [("a", [1.0f32, 2.0]), ("b", [3.0, 4.0])] {
        bytes.extend_from_slice(word.as_bytes());
        bytes.push(b' ');
        bytes.extend(values.iter().flat_map(|v| v.to_le_bytes()));
    }
    let path = dir.file("gensim.bin", &bytes);
    let space = read(&path, &ReadOptions::default()).unwrap().space;
    assert_eq!(space.raw_vector(1), [3.0, 4.0]);
}

#[test]
fn npy_with_a_vocabulary_file_is_read() {
    let dir = Dir::new();
    let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }";
    let mut bytes = npy::MAGIC.to_vec();
    bytes.extend_from_slice(&[1, 0]);
    bytes.extend_from_slice(&(header.len() as u16 + 1).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.push(b'\n');
    bytes.extend([1.0f32, 2.0, 3.0, 4.0].iter().flat_map(|v| v.to_le_bytes()));
    let path = dir.file("m.npy", &bytes);
    assert!(error_of(&path, None).contains("vocabulary"));
    dir.file("m.vocab", b"up\r\ndown\n");
    let space = read(&path, &ReadOptions::default()).unwrap().space;
    assert_eq!(space.vocab().row("down"), Some(1));
    assert_eq!(space.raw_vector(1), [3.0, 4.0]);
    let wrong = dir.file("wrong.txt", b"one\n");
    let err = read(&path, &ReadOptions { format: None, vocab: Some(wrong) }).unwrap_err().to_string();
    assert!(err.contains("1 words but the matrix has 2 rows"), "{err}");
}

#[test]
fn duplicates_and_bad_utf8_are_fixed_with_warnings() {
    let dir = Dir::new();
    let path = dir.file("dup.txt", b"3 1\nword 1\nword 2\n\xffbad 3\n");
    let loaded = read(&path, &ReadOptions::default()).unwrap();
    assert_eq!(loaded.space.len(), 2);
    assert_eq!(loaded.space.raw_vector(0), [1.0], "the first vector of a duplicate is kept");
    assert_eq!(loaded.space.word(1), "\u{fffd}bad");
    let warnings = loaded.warnings.join("\n");
    assert!(warnings.contains("1 duplicated word (\"word\")"), "{warnings}");
    assert!(warnings.contains("not valid UTF-8"), "{warnings}");
}

#[test]
fn malformed_files_are_clear_errors() {
    let dir = Dir::new();
    let cases: &[(&str, &[u8], Option<Format>, &str)] = &[
        ("empty.txt", b"", None, "empty"),
        ("prose.txt", b"hello there, this is prose\n", None, "cannot tell the format"),
        ("short.txt", b"3 2\na 1 2\nb 3 4\n", None, "declares 3 vectors but the file holds 2"),
        ("long.txt", b"1 2\na 1 2\nb 3 4\n", None, "declares 1 vectors but the file holds 2"),
        ("ragged.txt", b"2 3\na 1 2 3\nb 1 2\n", None, "line 3: expected 3 values after the word, found 2"),
        ("extra.txt", b"2 2\na 1 2\nb 0 1 5\n", None, "line 3: expected 2 values after the word, found 3; \"0\" is"),
        (
            "extra-glove.txt",
            b"a 1 2\nb 0 1 5\n",
            Some(Format::Glove),
            "line 2: expected 2 values after the word, found 3",
        ),
        ("long-row.txt", b"2 2\na 1 2\nb 3e38 3e38\n", None, "row 1 (\"b\") is 4.243e38 long"),
        ("nan.txt", b"1 2\na 1 nan\n", None, "non-finite"),
        ("inf.txt", b"a 1 inf\n", Some(Format::Glove), "non-finite"),
        ("word.txt", b"1 2\na 1 x2\n", None, "line 2: \"x2\" is not a number"),
        ("huge.txt", b"99999999999 50\na 1\n", None, "truncated"),
        ("zero.txt", b"1 0\na\n", None, "implausible dimension count 0"),
        ("huge.bin", b"1000000 300\nab\x01\x02", Some(Format::Word2VecBinary), "truncated"),
        ("cut.bin", b"1 2\nab \x00\x00\x80\x3f\x00\x00\x00", Some(Format::Word2VecBinary), "ends inside the vector"),
        ("noheader.bin", b"\x00\x01\x02\x03", Some(Format::Word2VecBinary), "expected a `count dims` header"),
        ("bad.vsp", b"VECSPACE\x09\x00\x00\x00", None, "not a vecspace native file"),
    ];
    for (name, contents, format, expected) in cases {
        let path = dir.file(name, contents);
        let message = error_of(&path, *format);
        assert!(message.contains(expected), "{name}: {message:?} should mention {expected:?}");
        assert!(message.contains(name), "{name}: {message:?} should name the file");
    }
}

#[test]
fn words_with_spaces_are_read_whole_with_a_warning() {
    let dir = Dir::new();
    let path = dir.file("spaced.txt", b"2 2\nnew york 1 2\n. . . 3 4\n");
    let loaded = read(&path, &ReadOptions::default()).unwrap();
    assert_eq!((loaded.space.word(0), loaded.space.word(1)), ("new york", ". . ."));
    assert_eq!(loaded.space.raw_vector(1), [3.0, 4.0]);
    assert!(loaded.warnings.iter().any(|w| w.contains("2 word(s) contain spaces") && w.contains("\"new york\"")));
}

#[test]
fn words_with_spaces_cannot_be_written_to_word2vec() {
    let dir = Dir::new();
    let space = Space::from_rows(vec!["new york".into()], vec![1.0], 1).unwrap();
    let err = write(&space, &dir.path("x.txt"), Format::Word2VecText).unwrap_err();
    assert!(err.to_string().contains("whitespace"), "{err}");
    assert!(!dir.path("x.txt").exists());
    assert_eq!(std::fs::read_dir(dir.0.path()).unwrap().count(), 0, "no partial file left");
    write(&space, &dir.path("x.vsp"), Format::Native).unwrap();
    assert!(matches!(write(&space, &dir.path("x.npy"), Format::Npy), Err(Error::Unwritable { .. })));
}

#[test]
fn format_names_parse() {
    for format in Format::ALL {
        assert_eq!(format.name().parse::<Format>().unwrap(), format);
    }
    assert_eq!("fasttext".parse::<Format>().unwrap(), Format::Word2VecText);
    assert!("pickle".parse::<Format>().unwrap_err().contains("word2vec-binary"));
}
