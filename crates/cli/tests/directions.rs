//! Directions on the real GloVe space do what they claim: a gender direction from Bolukbasi et
//! al.'s ten definitional pairs puts occupations on the expected sides, `@name` works inside
//! expressions, and bad examples are clear errors.

use serde_json::Value;

use crate::support::{on_glove, temp_dir};

/// Bolukbasi et al. (2016)'s definitional pairs, she-side first, lower-cased for GloVe.
const DEFINITIONAL: [&str; 10] = [
    "woman:man",
    "girl:boy",
    "she:he",
    "mother:father",
    "daughter:son",
    "gal:guy",
    "female:male",
    "her:his",
    "herself:himself",
    "mary:john",
];

fn build(dir: &tempfile::TempDir, name: &str, method: &str, examples: &[&str]) -> String {
    let path = dir.path().join(format!("{name}.safetensors")).to_str().unwrap().to_owned();
    let mut args = vec!["direction", "build", "--out", &path, "--method", method];
    args.extend_from_slice(examples);
    on_glove(&args).ok();
    path
}

fn projections(path: &str, words: &[&str]) -> Vec<(String, f64)> {
    let mut args = vec!["along", path, "--json"];
    args.extend_from_slice(words);
    let out = on_glove(&args).json();
    out["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["word"].as_str().unwrap().to_owned(), r["projection"].as_f64().unwrap()))
        .collect()
}

fn projection_of(list: &[(String, f64)], word: &str) -> f64 {
    list.iter().find(|(w, _)| w == word).unwrap().1
}

#[test]
fn a_gender_direction_orders_occupations_as_expected_with_every_pair_method() {
    let dir = temp_dir();
    let mut pairs = vec!["--pairs"];
    pairs.extend(DEFINITIONAL);
    for method in ["pca", "mean-diff"] {
        let path = build(&dir, method, method, &pairs);
        // The pairs are written she:he, so the direction points he-ward.
        let list = projections(&path, &["nurse", "receptionist", "carpenter", "engineer"]);
        for she in ["nurse", "receptionist"] {
            for he in ["carpenter", "engineer"] {
                assert!(projection_of(&list, she) < projection_of(&list, he), "{method}: {list:?}");
            }
        }
        assert!(projection_of(&list, "nurse") < 0.0 && projection_of(&list, "engineer") > 0.0, "{method}: {list:?}");
        // Words come back sorted along the direction.
        assert!(list.windows(2).all(|w| w[0].1 >= w[1].1));
    }
}

#[test]
fn set_based_directions_separate_their_sets() {
    let dir = temp_dir();
    let sets = [
        "--left",
        "terrible",
        "awful",
        "horrible",
        "bad",
        "dreadful",
        "--right",
        "wonderful",
        "excellent",
        "great",
        "good",
        "superb",
    ];
    let centroid = build(&dir, "centroid", "centroid", &sets);
    let list = projections(&centroid, &["fantastic", "disgusting"]);
    assert!(projection_of(&list, "fantastic") > projection_of(&list, "disgusting"), "{list:?}");
    let classifier = build(&dir, "classifier", "classifier", &sets);
    let shown = on_glove(&["direction", "show", &classifier, "--json"]).json();
    assert_eq!(shown["method"], "classifier");
    assert!(shown["accuracy"].as_f64().unwrap() >= 0.8, "{shown}");
    assert!((shown["length"].as_f64().unwrap() - 1.0).abs() < 1e-6);
    let list = projections(&classifier, &["fantastic", "disgusting"]);
    assert!(projection_of(&list, "fantastic") > projection_of(&list, "disgusting"), "{list:?}");
}

#[test]
fn named_directions_work_inside_expressions() {
    let dir = temp_dir();
    let mut pairs = vec!["--pairs"];
    pairs.extend(DEFINITIONAL);
    let path = build(&dir, "gender", "mean-diff", &pairs);
    let quoted = format!("\"@{path}\"");
    // Moving "king" against the he-ward direction lands on "queen".
    let out = on_glove(&["query", &format!("king - {quoted}"), "--top", "1", "--json"]).json();
    assert_eq!(out["results"][0]["word"], "queen", "{out}");
    // reject() removes the gender component: what is left has no projection on it.
    let value = on_glove(&["query", &format!("dot(reject(doctor, {quoted}), {quoted})"), "--json"]).json();
    assert!(value["value"].as_f64().unwrap().abs() < 1e-6, "{value}");
    // scale() moves along the direction by standard deviations of the vocabulary's projections.
    let moved =
        on_glove(&["query", &format!("cos(scale(nurse, {quoted}, 3), {quoted}) - cos(nurse, {quoted})"), "--json"])
            .json();
    assert!(moved["value"].as_f64().unwrap() > 0.1, "{moved}");
}

#[test]
fn along_with_top_shows_both_ends() {
    let dir = temp_dir();
    let path = build(&dir, "size", "mean-diff", &["--pairs", "small:big", "tiny:huge", "little:large"]);
    let out = on_glove(&["along", &path, "--top", "5", "--json"]).json();
    let results = out["results"].as_array().unwrap();
    assert_eq!(results.len(), 10);
    let first = results[0]["projection"].as_f64().unwrap();
    let last = results[9]["projection"].as_f64().unwrap();
    assert!(first > 0.0 && last < 0.0, "{out}");
}

#[test]
fn bad_examples_and_bad_files_are_clear_errors() {
    let dir = temp_dir();
    let out = dir.path().join("x.safetensors");
    let out = out.to_str().unwrap();
    let cases: [(&[&str], &str); 7] = [
        (&["--method", "pca", "--pairs", "he:she"], "pca needs at least 2 example(s), got 1"),
        (&["--pairs", "king:king"], "pair 1 has the same vector on both sides"),
        (&["--pairs", "he:qqshezz"], "unknown word \"qqshezz\""),
        (&["--pairs", "he-she"], "is not a pair; write pairs as A:B"),
        (&["--method", "centroid", "--right", "good"], "centroid (each side) needs at least 1"),
        (&["--method", "classifier", "--left", "bad", "--right", "good"], "classifier (each side) needs at least 2"),
        (&["--method", "centroid", "--pairs", "he:she"], "--pairs is for mean-diff and pca"),
    ];
    for (args, expected) in cases {
        let mut all = vec!["direction", "build", "--out", out];
        all.extend_from_slice(args);
        let err = on_glove(&all).fails();
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(!std::path::Path::new(out).exists(), "a failed build wrote {out}");
    }
    // A direction of the wrong size for the space.
    let small = dir.path().join("small.txt");
    std::fs::write(&small, "a 1 0\nb 0 1\n").unwrap();
    let other = dir.path().join("other.safetensors");
    crate::support::vecspace(&[
        "--space",
        small.to_str().unwrap(),
        "direction",
        "build",
        "--out",
        other.to_str().unwrap(),
        "--pairs",
        "a:b",
    ])
    .ok();
    let err = on_glove(&["along", other.to_str().unwrap(), "king"]).fails();
    assert!(err.contains("does not fit this space") && err.contains("2 dimensions"), "{err}");
    let err = on_glove(&["query", "king - @no_such_direction"]).fails();
    assert!(err.contains("no direction \"no_such_direction\""), "{err}");
    let garbage = dir.path().join("garbage.safetensors");
    std::fs::write(&garbage, b"not a safetensors file at all").unwrap();
    let err = on_glove(&["along", garbage.to_str().unwrap(), "king"]).fails();
    assert!(err.contains("garbage.safetensors"), "{err}");
}

#[test]
fn saved_directions_carry_their_provenance() {
    let dir = temp_dir();
    let path = build(&dir, "royal", "mean-diff", &["--pairs", "man:king", "woman:queen"]);
    let shown: Value = on_glove(&["direction", "show", &path, "--json"]).json();
    assert_eq!(shown["examples"], "man:king woman:queen");
    assert_eq!(shown["dims"], 50);
    assert!(shown["positive_side"].as_str().unwrap().contains("king"));
    assert!(shown["created"].as_str().unwrap().starts_with("20"));
    assert!(shown["space"].as_str().unwrap().ends_with(".vsp") || shown["space"] == "glove-6b-50d");
}

#[test]
fn weat_matches_the_reference_on_all_ten_published_tests() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/golden/glove-6b-50d.weat.json");
    let golden: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let ours = on_glove(&["weat", "--test", "all", "--json"]).json();
    let ours = ours.as_array().unwrap();
    for expected in golden["tests"].as_array().unwrap() {
        let number = expected["test"].as_u64().unwrap() as usize;
        let got = &ours[number - 1];
        assert_eq!(got["used"], expected["used"], "test {number}");
        for field in ["effect_size", "statistic"] {
            let (a, b) = (got[field].as_f64().unwrap(), expected[field].as_f64().unwrap());
            assert!((a - b).abs() < 1e-6, "test {number} {field}: {a} vs {b}");
        }
        match expected.get("p_value") {
            Some(p) => {
                assert_eq!(got["exact"], true, "test {number}");
                assert!((got["p_value"].as_f64().unwrap() - p.as_f64().unwrap()).abs() < 1e-12, "test {number}");
            }
            // Too many partitions to enumerate: both sides see an association this strong.
            None => assert!(got["p_value"].as_f64().unwrap() < 0.01, "test {number}: {got}"),
        }
    }
}

#[test]
fn weat_takes_word_lists_and_reports_missing_words() {
    let out = on_glove(&[
        "weat",
        "--targets",
        "rose,tulip,daisy,lily",
        "ant,wasp,flea,moth",
        "--attributes",
        "love,peace,gift,happy",
        "filth,death,poison,qqnotaword",
        "--json",
    ])
    .json();
    let report = &out[0];
    assert_eq!(report["used"], serde_json::json!([4, 4, 4, 3]));
    assert_eq!(report["missing"], serde_json::json!(["qqnotaword"]));
    assert_eq!((report["exact"].as_bool(), report["partitions"].as_u64()), (Some(true), Some(70)));
    assert!(report["effect_size"].as_f64().unwrap() > 0.5, "{report}");
    let err = on_glove(&["weat", "--targets", "rose", "ant"]).fails();
    assert!(err.contains("--attributes A B"), "{err}");
    let err = on_glove(&["weat", "--test", "11"]).fails();
    assert!(err.contains("from 1 to 10"), "{err}");
    // A number out of range is refused before the published lists are fetched.
    let home = crate::support::temp_dir();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_vecspace"))
        .env("VECSPACE_HOME", home.path())
        .args(["--space", crate::support::glove().to_str().unwrap(), "weat", "--test", "99"])
        .output()
        .unwrap();
    let err = crate::support::Run::from(run).fails();
    assert!(err.contains("from 1 to 10 or `all`, not \"99\""), "{err}");
    assert_eq!(std::fs::read_dir(home.path()).unwrap().count(), 0, "something was fetched");
    let err = on_glove(&["weat", "--targets", "qqq1", "ant", "--attributes", "love", "death"]).fails();
    assert!(err.contains("no word of the set \"X\""), "{err}");
}

#[test]
fn hard_debias_neutralizes_occupations_and_keeps_king_and_queen_apart() {
    let dir = temp_dir();
    let mut pairs = vec!["--pairs"];
    pairs.extend(DEFINITIONAL);
    let direction = build(&dir, "gender", "pca", &pairs);
    let out = dir.path().join("debiased.vsp");
    let report = on_glove(&[
        "debias",
        "--direction",
        &direction,
        "--neutral-words",
        "nurse,receptionist,carpenter,engineer,doctor,qqnotaword",
        "--equalize-pairs",
        "king:queen,he:she",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ])
    .json();
    assert_eq!((report["neutralized"].as_u64(), report["equalized"].as_u64()), (Some(5), Some(2)));
    assert_eq!(report["missing"], serde_json::json!(["qqnotaword"]));
    assert!(report["direct_bias_before"].as_f64().unwrap() > 0.1, "{report}");
    assert!(report["direct_bias_after"].as_f64().unwrap() < 1e-5, "{report}");
    let (before, after) =
        (report["analogy_accuracy_before"].as_f64().unwrap(), report["analogy_accuracy_after"].as_f64().unwrap());
    assert!((before - 9036.0 / 19486.0).abs() < 1e-12, "{report}");
    assert!((after - before).abs() < 0.01, "debiasing five words barely moves analogies: {report}");

    let debiased = crate::support::vecspace(&[
        "--space",
        out.to_str().unwrap(),
        "along",
        &direction,
        "nurse",
        "engineer",
        "king",
        "queen",
        "--json",
    ])
    .json();
    let list: Vec<(String, f64)> = debiased["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["word"].as_str().unwrap().to_owned(), r["projection"].as_f64().unwrap()))
        .collect();
    assert!(projection_of(&list, "nurse").abs() < 1e-5 && projection_of(&list, "engineer").abs() < 1e-5, "{list:?}");
    let (king, queen) = (projection_of(&list, "king"), projection_of(&list, "queen"));
    assert!(king > 0.1 && (king + queen).abs() < 1e-5, "{list:?}");

    let err = on_glove(&[
        "debias",
        "--direction",
        &direction,
        "--neutral-words",
        "qqq1,qqq2",
        "--out",
        out.to_str().unwrap(),
        "--force",
    ])
    .fails();
    assert!(err.contains("none of the neutral words"), "{err}");
}

#[test]
fn pca_plots_place_words_where_numpy_does_and_draw_the_arrows() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/golden/glove-6b-50d.pca.json");
    let golden: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let dir = temp_dir();
    let svg = dir.path().join("pca.svg");
    let words: Vec<&str> = golden["words"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    let mut args = vec!["plot", "--out", svg.to_str().unwrap(), "--json"];
    args.extend(&words);
    args.extend(["--analogy", "man:woman", "king:queen"]);
    let out = on_glove(&args).json();
    let points = out["points"].as_array().unwrap();
    assert_eq!(points.len(), words.len());
    for point in points {
        let i = words.iter().position(|w| *w == point["word"]).unwrap();
        let expected = &golden["points"][i];
        for (axis, key) in ["x", "y"].iter().enumerate() {
            let (ours, numpy) = (point[key].as_f64().unwrap(), expected[axis].as_f64().unwrap());
            assert!((ours - numpy).abs() < 1e-5, "{}: {key} {ours} vs {numpy}", point["word"]);
        }
    }
    let variance = golden["variance_percent"][0].as_f64().unwrap();
    assert!(out["axes"][0].as_str().unwrap().contains(&format!("{variance:.1} %")), "{}", out["axes"]);
    let picture = std::fs::read_to_string(&svg).unwrap();
    assert_eq!(picture.matches("<circle").count(), words.len());
    assert_eq!(picture.matches("marker-end").count(), 2);
    assert!(picture.contains("PCA of 10 words"));
}

#[test]
fn custom_axes_and_tsne_plots() {
    let dir = temp_dir();
    let svg = dir.path().join("axes.svg");
    let out = on_glove(&[
        "plot",
        "--axes",
        "he - she",
        "good - bad",
        "--out",
        svg.to_str().unwrap(),
        "--json",
        "nurse",
        "engineer",
        "excellent",
        "terrible",
    ])
    .json();
    let point = |word: &str| out["points"].as_array().unwrap().iter().find(|p| p["word"] == word).unwrap().clone();
    assert!(point("engineer")["x"].as_f64().unwrap() > point("nurse")["x"].as_f64().unwrap());
    assert!(point("excellent")["y"].as_f64().unwrap() > point("terrible")["y"].as_f64().unwrap());
    assert_eq!(out["axes"], serde_json::json!(["he - she", "good - bad"]));

    let words = ["cat", "dog", "horse", "cow", "paris", "london", "berlin", "rome", "red", "green", "blue", "yellow"];
    let tsne = |seed: &str| {
        let path = dir.path().join(format!("tsne{seed}.svg"));
        let mut args = vec!["plot", "--method", "tsne", "--seed", seed, "--out", path.to_str().unwrap(), "--json"];
        args.extend(words);
        on_glove(&args).json()["points"].clone()
    };
    assert_eq!(tsne("3"), tsne("3"), "the same seed gives the same picture");
    let err = on_glove(&["plot", "--out", svg.to_str().unwrap(), "cat", "dog"]).fails();
    assert!(err.contains("at least 3 words"), "{err}");
    let png = dir.path().join("animals.png");
    on_glove(&["plot", "--out", png.to_str().unwrap(), "cat", "dog", "cow", "--analogy", "puppy:dog"]).ok();
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(u32::from_be_bytes(bytes[16..20].try_into().unwrap()), 1920, "rendered at twice the SVG's 960 px");
    let err = on_glove(&["plot", "--out", dir.path().join("x.gif").to_str().unwrap(), "cat", "dog", "cow"]).fails();
    assert!(err.contains(".svg or .png"), "{err}");
    let err = on_glove(&["plot", "--out", svg.to_str().unwrap(), "cat", "dog", "qqnotaword"]).fails();
    assert!(err.contains("unknown word \"qqnotaword\""), "{err}");
}
