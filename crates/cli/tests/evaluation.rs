//! `vecspace eval` on GloVe 6B 50d gives gensim 4.4's numbers: the totals, every section, and the
//! verdict on every single question. The golden file and the script that made it are in
//! `tests/golden/` and `tests/reference/` at the repository root.

use serde_json::Value;
use vecspace::eval::{AnalogyOptions, evaluate_analogies, evaluate_analogies_reference, sets};
use vecspace::{AnalogyMethod, OpenSpace, Space};

use crate::support::{on_glove, temp_dir, vecspace};

fn golden() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/golden/glove-6b-50d.evaluation.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("golden file")).expect("golden JSON")
}

/// One character per question: 1 correct, 0 wrong, - skipped (the golden file's encoding).
fn verdicts(report: &Value) -> String {
    let code = |q: &Value| match q["verdict"].as_str().unwrap() {
        "correct" => '1',
        "wrong" => '0',
        _ => '-',
    };
    report["questions"].as_array().unwrap().iter().map(code).collect()
}

fn assert_same_sections(ours: &Value, theirs: &Value) {
    let ours = ours["sections"].as_array().unwrap();
    let theirs = theirs["sections"].as_array().unwrap();
    assert_eq!(ours.len(), theirs.len());
    for (o, t) in ours.iter().zip(theirs) {
        assert_eq!((&o["name"], &o["correct"], &o["total"]), (&t["section"], &t["correct"], &t["total"]));
    }
}

#[test]
fn google_3cosadd_matches_gensim_question_by_question() {
    let ours = on_glove(&["eval", "analogies", "google-analogies", "--json", "--details"]).json();
    let theirs = &golden()["analogies"]["google"]["add"];
    // The headline figures gensim 4.4 prints for GloVe 6B 50d.
    assert_eq!(
        (ours["correct"].as_u64(), ours["total"].as_u64(), ours["skipped"].as_u64()),
        (Some(9036), Some(19486), Some(58))
    );
    assert_eq!((&ours["semantic"]["correct"], &ours["semantic"]["total"]), (&Value::from(4300), &Value::from(8811)));
    assert_eq!((&ours["syntactic"]["correct"], &ours["syntactic"]["total"]), (&Value::from(4736), &Value::from(10675)));
    assert!((ours["accuracy"].as_f64().unwrap() - theirs["accuracy"].as_f64().unwrap()).abs() < 1e-12);
    assert_same_sections(&ours, theirs);
    assert_eq!(verdicts(&ours), theirs["questions"].as_str().unwrap());
}

#[test]
fn google_3cosmul_matches_the_reference_question_by_question() {
    let ours = on_glove(&["eval", "analogies", "google-analogies", "--method", "mul", "--json", "--details"]).json();
    let theirs = &golden()["analogies"]["google"]["mul"];
    assert_same_sections(&ours, theirs);
    assert_eq!(verdicts(&ours), theirs["questions"].as_str().unwrap());
    assert!((ours["accuracy"].as_f64().unwrap() - theirs["accuracy"].as_f64().unwrap()).abs() < 1e-12);
}

#[test]
fn word_similarity_matches_gensim_on_every_set() {
    let golden = golden();
    for (name, expected) in golden["pairs"].as_object().unwrap() {
        let ours = on_glove(&["eval", "similarity", name, "--json"]).json();
        for field in ["pearson", "spearman", "oov_percent"] {
            let (o, t) = (ours[field].as_f64().unwrap(), expected[field].as_f64().unwrap());
            assert!((o - t).abs() < 1e-6, "{name} {field}: {o} vs gensim {t}");
        }
    }
}

#[test]
fn other_analogy_sets_and_methods_run() {
    let msr = on_glove(&["eval", "analogies", "msr-analogies", "--json"]).json();
    assert_eq!(msr["sections"].as_array().unwrap().len(), 16);
    assert!(msr["semantic"].is_null(), "MSR has no semantic/syntactic split by name");
    let total = msr["total"].as_u64().unwrap() + msr["skipped"].as_u64().unwrap();
    assert_eq!(total, 8000);
    let pair = on_glove(&["eval", "analogies", "google-analogies", "--method", "pair", "--json"]).json();
    assert_eq!(pair["total"], 19486);
    assert!(pair["correct"].as_u64().unwrap() > 1000, "{}", pair["correct"]);
}

#[test]
fn the_batched_evaluator_equals_the_per_question_reference_on_glove() {
    let space = Space::open(crate::support::glove()).unwrap();
    let text = std::fs::read_to_string(crate::support::benchmark("google-analogies")).unwrap();
    let mut set = sets::read_google(&text).unwrap();
    // Every 25th question of each section keeps the reference quick.
    for section in &mut set.sections {
        section.questions = section.questions.iter().step_by(25).cloned().collect();
    }
    for method in [AnalogyMethod::Add, AnalogyMethod::Mul, AnalogyMethod::Pair] {
        let options = AnalogyOptions { restrict_vocab: 60_000, method, ..AnalogyOptions::default() };
        let fast = evaluate_analogies(&space, &set, &options, &vecspace::progress::Silent).unwrap();
        let reference = evaluate_analogies_reference(&space, &set, &options).unwrap();
        assert_eq!(fast.questions, reference.questions, "{method}");
    }
}

/// The Google analogies through search engines: the exact engine gives the factorised evaluator's
/// verdicts, and the int8 engine (with exact re-ranking) stays within 0.1 point of them — here on
/// the whole set, restricted to the first 100 000 words to keep the test quick.
#[test]
fn analogy_accuracy_through_search_engines() {
    use vecspace::eval::evaluate_analogies_with_engine;
    use vecspace::search::{Exact, Int8};
    let space = Space::open(crate::support::glove()).unwrap();
    let text = std::fs::read_to_string(crate::support::benchmark("google-analogies")).unwrap();
    let set = sets::read_google(&text).unwrap();
    let options = AnalogyOptions { restrict_vocab: 100_000, ..AnalogyOptions::default() };
    let silent = &vecspace::progress::Silent;
    let exact = evaluate_analogies(&space, &set, &options, silent).unwrap();
    let through_exact = evaluate_analogies_with_engine(&space, &set, &options, &Exact, silent).unwrap();
    assert_eq!(through_exact.questions, exact.questions);
    let int8 = Int8::build(space.rows());
    let quantised = evaluate_analogies_with_engine(&space, &set, &options, &int8, silent).unwrap();
    let points = |r: &vecspace::eval::AnalogyReport| 100.0 * r.correct as f64 / r.total as f64;
    assert!((points(&quantised) - points(&exact)).abs() <= 0.1, "{} vs {}", points(&quantised), points(&exact));
    // The command line uses the engine when --index asks for one.
    let args = ["--index", "int8", "--json", "eval", "analogies", "google-analogies", "--restrict-vocab", "100000"];
    assert_eq!(on_glove(&args).json()["correct"], quantised.correct);
}

/// 3CosMul and PairDirection through a compact engine: its candidates, scored exactly, give the
/// full scan's answer to nearly every question (the first 300 of each Google section here).
#[test]
fn multiplicative_and_pair_analogies_through_the_int8_engine() {
    use vecspace::eval::{QuestionResult, evaluate_analogies_with_engine};
    use vecspace::search::Int8;
    let space = Space::open(crate::support::glove()).unwrap();
    let text = std::fs::read_to_string(crate::support::benchmark("google-analogies")).unwrap();
    let mut set = sets::read_google(&text).unwrap();
    set.sections.iter_mut().for_each(|s| s.questions.truncate(300));
    let int8 = Int8::build(space.rows());
    let silent = &vecspace::progress::Silent;
    let predicted = |q: &QuestionResult| match q {
        QuestionResult::Answered { predicted, .. } => predicted.clone(),
        QuestionResult::Skipped => None,
    };
    for method in [AnalogyMethod::Mul, AnalogyMethod::Pair] {
        let options = AnalogyOptions { restrict_vocab: 100_000, method, ..AnalogyOptions::default() };
        let full = evaluate_analogies(&space, &set, &options, silent).unwrap();
        let through = evaluate_analogies_with_engine(&space, &set, &options, &int8, silent).unwrap();
        assert_eq!(through.total, full.total);
        let same = full.questions.iter().zip(&through.questions).filter(|(a, b)| predicted(a) == predicted(b)).count();
        let share = same as f64 / full.questions.len() as f64;
        assert!(share >= 0.95, "{method}: {share} of answers as the full scan's");
        let points = |r: &vecspace::eval::AnalogyReport| 100.0 * r.correct as f64 / r.total as f64;
        assert!((points(&through) - points(&full)).abs() <= 1.0, "{method}: {} vs {}", points(&through), points(&full));
    }
    // `vecspace analogy` goes through the engine too.
    let args = ["--index", "int8", "--json", "analogy", "man", "king", "woman", "--method", "mul"];
    assert_eq!(on_glove(&args).json()["results"][0]["word"], "queen");
}

#[test]
fn benchmark_errors_exit_2() {
    let err = on_glove(&["eval", "analogies", "wordsim353"]).fails();
    assert!(err.contains("wordsim353 is not an analogy benchmark"), "{err}");
    let err = on_glove(&["eval", "similarity", "/no/such/pairs.tsv"]).fails();
    assert!(err.contains("/no/such/pairs.tsv"), "{err}");
    let dir = temp_dir();
    let headless = dir.path().join("questions.txt");
    std::fs::write(&headless, "athens greece baghdad iraq\n").unwrap();
    let err = on_glove(&["eval", "analogies", headless.to_str().unwrap()]).fails();
    assert!(err.contains("line 1: a question before the first `: section` line"), "{err}");
    let err = on_glove(&["eval", "analogies", "google-analogies", "--restrict-vocab", "0"]).fails();
    assert!(err.contains("at least 1"), "{err}");
    let err = vecspace(&["eval", "similarity", "nonsense-set"]).fails();
    assert!(err.contains("nonsense-set"), "{err}");
}

#[test]
fn a_small_analogy_file_reports_sections_in_a_table() {
    let dir = temp_dir();
    let path = dir.path().join("mine.txt");
    std::fs::write(
        &path,
        ": capitals\nathens greece rome italy\nparis france tokyo japan\n: gram-plural\ncat cats dog dogs\nbad line\n",
    )
    .unwrap();
    let out = on_glove(&["eval", "analogies", path.to_str().unwrap()]).ok();
    assert!(out.contains("capitals"), "{out}");
    assert!(out.contains("1 malformed lines ignored"), "{out}");
    assert!(out.lines().any(|l| l.starts_with("total") && l.contains(" 3 ")), "{out}");
}
