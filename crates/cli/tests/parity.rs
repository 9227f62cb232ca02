//! The CLI gives gensim 4.4's answers on GloVe 6B 50d. The golden file and the script that made
//! it are in `tests/golden/` and `tests/reference/` at the repository root.

use serde_json::Value;

use crate::support::on_glove;

fn golden() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/golden/glove-6b-50d.gensim.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("golden file")).expect("golden JSON")
}

fn words(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|w| w.as_str().unwrap().to_owned()).collect()
}

/// Same words in the same order, scores within 1e-4.
fn assert_matches(ours: &Value, theirs: &Value, what: &str) {
    let ours = ours.as_array().unwrap();
    let theirs = theirs.as_array().unwrap();
    assert_eq!(ours.len(), theirs.len(), "{what}");
    for (i, (o, t)) in ours.iter().zip(theirs).enumerate() {
        let (word, score) = (t[0].as_str().unwrap(), t[1].as_f64().unwrap());
        assert_eq!(o["word"], word, "{what}: rank {}", i + 1);
        let ours_score = o["score"].as_f64().unwrap();
        assert!((ours_score - score).abs() < 1e-4, "{what}: {word} scored {ours_score}, gensim {score}");
    }
}

#[test]
fn the_readme_query_matches_gensim_most_similar() {
    let out = on_glove(&["query", "king - man + woman", "--top", "10", "--json"]).json();
    let expected = [
        ("queen", 0.8524),
        ("throne", 0.7664),
        ("prince", 0.7592),
        ("daughter", 0.7474),
        ("elizabeth", 0.7460),
        ("princess", 0.7425),
        ("kingdom", 0.7337),
        ("monarch", 0.7214),
        ("eldest", 0.7185),
        ("widow", 0.7099),
    ];
    let results = out["results"].as_array().unwrap();
    assert_eq!(results.len(), 10);
    for (hit, (word, score)) in results.iter().zip(expected) {
        assert_eq!(hit["word"], word);
        assert!((hit["score"].as_f64().unwrap() - score).abs() < 1e-4, "{hit}");
    }
    assert_eq!(out["expression"], "king - man + woman");
    assert_eq!(out["metric"], "cosine");
}

#[test]
fn expressions_match_every_golden_most_similar() {
    for case in golden()["most_similar"].as_array().unwrap() {
        let mut expression = words(&case["positive"]).join(" + ");
        for negative in words(&case["negative"]) {
            expression.push_str(&format!(" - {negative}"));
        }
        let top = case["topn"].to_string();
        let out = on_glove(&["query", &expression, "--top", &top, "--json"]).json();
        assert_matches(&out["results"], &case["result"], &expression);
    }
}

#[test]
fn cosmul_analogies_match_most_similar_cosmul() {
    for case in golden()["most_similar_cosmul"].as_array().unwrap() {
        let (positive, negative) = (words(&case["positive"]), words(&case["negative"]));
        // positive = [b, c], negative = [a]: "a is to b as c is to ?"
        let top = case["topn"].to_string();
        let args = ["analogy", &negative[0], &positive[0], &positive[1], "--method", "mul", "--top", &top, "--json"];
        let out = on_glove(&args).json();
        assert_matches(&out["results"], &case["result"], &format!("cosmul {positive:?} {negative:?}"));
    }
}

#[test]
fn three_cos_add_analogy_equals_the_expression_query() {
    let analogy = on_glove(&["analogy", "man", "king", "woman", "--json"]).json();
    let query = on_glove(&["query", "king - man + woman", "--json"]).json();
    assert_eq!(analogy["results"], query["results"]);
}

#[test]
fn outlier_similarity_and_rank_match_gensim() {
    let golden = golden();
    for case in golden["doesnt_match"].as_array().unwrap() {
        let list = words(&case["words"]);
        let mut args = vec!["outlier", "--json"];
        args.extend(list.iter().map(String::as_str));
        assert_eq!(on_glove(&args).json()["outlier"], case["result"]);
    }
    for case in golden["similarity"].as_array().unwrap() {
        let (a, b) = (case["a"].as_str().unwrap(), case["b"].as_str().unwrap());
        let ours = on_glove(&["similarity", a, b, "--json"]).json()["similarity"].as_f64().unwrap();
        assert!((ours - case["result"].as_f64().unwrap()).abs() < 1e-5, "similarity {a} {b}: {ours}");
    }
    for case in golden["rank"].as_array().unwrap() {
        let (a, b) = (case["a"].as_str().unwrap(), case["b"].as_str().unwrap());
        assert_eq!(on_glove(&["rank", a, b, "--json"]).json()["rank"], case["result"], "rank {a} {b}");
    }
}

#[test]
fn the_space_holds_the_published_vectors() {
    let golden = golden();
    let info = on_glove(&["info", "--json"]).json();
    assert_eq!(info["words"], golden["count"]);
    assert_eq!(info["dims"], 50);
    assert_eq!(info["first_words"].as_array().unwrap()[..5], golden["first_words"].as_array().unwrap()[..]);
    // Raw vectors are the published ones: |the|² from the golden copy of its vector.
    let expected: f64 = golden["first_vector"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap().powi(2)).sum();
    assert!(
        (on_glove(&["query", "dot(the, the)", "--raw", "--json"]).json()["value"].as_f64().unwrap() - expected).abs()
            < 1e-4
    );
}
