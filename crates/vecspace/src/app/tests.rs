//! The application layer on a toy space: the direction store, queries through it, and the error
//! kinds front ends map.

use super::directions::{Examples, ScoresFile, build, parse_pairs};
use super::files::Overwrite;
use super::words::{self, Answer};
use super::{DirectionStore, Error, ErrorKind};
use crate::{BuildMethod, QueryOptions, Space};

fn toy() -> Space {
    Space::from_rows(
        vec!["king".into(), "man".into(), "woman".into(), "queen".into(), "zero".into()],
        vec![0.9, 0.8, 0.1, 0.1, 0.9, 0.0, 0.1, 0.0, 0.9, 0.9, 0.0, 0.8, 0.0, 0.0, 0.0],
        3,
    )
    .unwrap()
}

fn gender(space: &Space) -> crate::Direction {
    let examples = Examples { pairs: parse_pairs(&["man:woman".to_owned()]).unwrap(), ..Default::default() };
    let word = |w: &str| Ok(space.unit_vector(space.lookup(w)?));
    build("toy", &word, BuildMethod::MeanDiff, &examples, false).unwrap()
}

#[test]
fn a_built_direction_carries_its_provenance_and_time() {
    let direction = gender(&toy());
    let info = &direction.info;
    assert_eq!((info.space.as_str(), info.method.as_str(), info.examples.as_str()), ("toy", "mean-diff", "man:woman"));
    assert_eq!(info.positive, "the right side of each pair (woman in man:woman)");
    // RFC 3339 UTC to the second: 2026-11-29T12:34:56Z.
    assert_eq!(info.created.len(), 20, "{}", info.created);
    assert!(info.created.ends_with('Z') && info.created.as_bytes()[10] == b'T', "{}", info.created);
}

#[test]
fn saved_directions_answer_to_their_names_in_expressions() {
    let dir = tempfile::tempdir().unwrap();
    let store = DirectionStore::in_dir(dir.path());
    let space = toy();
    store.save("gender", &gender(&space), Overwrite::force(false)).unwrap();
    assert_eq!(store.names(), ["gender"]);
    let options = QueryOptions::default().top(1);
    let Answer::Neighbours(answer) = words::query(&space, &store, "king + @gender", &options).unwrap() else {
        panic!("a vector expression has neighbours")
    };
    assert_eq!(answer.results[0].word, "queen");
    assert_eq!(answer.expression, "king + @gender");
    let Answer::Scalar { value, .. } = words::query(&space, &store, "cos(king, queen)", &options).unwrap() else {
        panic!("cos is a number")
    };
    assert!((value - f64::from(crate::cosine(&space.unit_vector(0), &space.unit_vector(3)))).abs() < 1e-6);
}

#[test]
fn an_unknown_direction_names_the_saved_ones() {
    let dir = tempfile::tempdir().unwrap();
    let store = DirectionStore::in_dir(dir.path());
    let space = toy();
    store.save("gender", &gender(&space), Overwrite::force(false)).unwrap();
    let err = words::query(&space, &store, "king + @royalty", &QueryOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownDirection);
    assert_eq!(err.to_string(), "no direction \"royalty\"; saved directions: gender");
}

#[test]
fn a_direction_of_another_space_does_not_fit() {
    let dir = tempfile::tempdir().unwrap();
    let store = DirectionStore::in_dir(dir.path());
    let mut wide = gender(&toy());
    wide.vector.push(1.0);
    store.save("wide", &wide, Overwrite::force(false)).unwrap();
    let err = store.load("wide", 3).unwrap_err();
    assert!(matches!(err, Error::DirectionDoesNotFit { found: 4, expected: 3, .. }), "{err}");
    assert!(err.to_string().contains("does not fit this space"), "{err}");
}

#[test]
fn a_names_only_store_refuses_paths() {
    let dir = tempfile::tempdir().unwrap();
    let store = DirectionStore::in_dir(dir.path()).names_only();
    for reference in ["../secret", "/etc/passwd", "x.safetensors", ""] {
        let err = store.load(reference, 3).unwrap_err();
        assert!(matches!(err, Error::InvalidName { .. }), "{reference}: {err}");
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
    // The same references are files in a store that takes paths.
    let paths = DirectionStore::in_dir(dir.path());
    assert_eq!(paths.path("sub/x.safetensors").unwrap(), std::path::Path::new("sub/x.safetensors"));
}

#[test]
fn similarity_refuses_a_zero_side_and_a_number() {
    let store = DirectionStore::in_dir(tempfile::tempdir().unwrap().path());
    let space = toy();
    let err = words::similarity(&space, &store, "king - king", "queen", true).unwrap_err();
    assert!(err.to_string().contains("zero vector"), "{err}");
    let err = words::similarity(&space, &store, "cos(king, man)", "queen", true).unwrap_err();
    assert_eq!(err.to_string(), "\"cos(king, man)\" is a number, not a vector");
    let same = words::similarity(&space, &store, "king", "king", true).unwrap();
    assert!((same - 1.0).abs() < 1e-6);
}

#[test]
fn along_places_words_most_positive_first() {
    let space = toy();
    let direction = gender(&space);
    let placed = words::along(&space, &direction, &["king".into(), "queen".into(), "woman".into()], None, 10).unwrap();
    let order: Vec<&str> = placed.iter().map(|p| p.word.as_str()).collect();
    assert_eq!(order, ["woman", "queen", "king"]);
    let (positive, negative) = words::ends(&space, &direction, 1, 10).unwrap();
    assert_eq!((positive[0].word.as_str(), negative[0].word.as_str()), ("woman", "man"));
}

#[test]
fn errors_have_the_kinds_front_ends_map() {
    let store = DirectionStore::in_dir(tempfile::tempdir().unwrap().path());
    let space = toy();
    let kind = |source: &str| words::query(&space, &store, source, &QueryOptions::default()).unwrap_err().kind();
    assert_eq!(kind("kign"), ErrorKind::UnknownWord);
    assert_eq!(kind("king - (man"), ErrorKind::BadExpression);
    assert_eq!(kind("zero"), ErrorKind::InvalidInput, "a zero query has no cosine neighbours");
}

#[test]
fn scores_train_only_a_classifier() {
    let examples = Examples {
        scored: Some(ScoresFile { file: "missing.csv".into(), column: None, fraction: 0.2 }),
        ..Default::default()
    };
    let word = |_: &str| Ok(vec![0.0f32]);
    let err = build("toy", &word, BuildMethod::MeanDiff, &examples, false).unwrap_err();
    assert!(err.to_string().contains("add --method classifier"), "{err}");
    let too_much = Examples {
        scored: Some(ScoresFile { file: "missing.csv".into(), column: None, fraction: 0.9 }),
        ..Default::default()
    };
    let err = build("toy", &word, BuildMethod::Classifier, &too_much, false).unwrap_err();
    assert!(err.to_string().contains("--fraction"), "{err}");
}
