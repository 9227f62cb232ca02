//! The batched evaluator against the per-question reference, on synthetic spaces built to hit
//! gensim's rules: case variants, out-of-vocabulary words, restricted candidates.

use vecspace_core::progress::Silent;
use vecspace_core::{AnalogyMethod, Space};

use super::sets::{AnalogySet, Question, Section};
use super::*;

fn random_space(words: usize, dims: usize, seed: u64) -> Space {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    };
    // Every tenth word also appears later with a capital, as in cased vocabularies.
    let names: Vec<String> = (0..words)
        .map(|i| if i >= words / 2 && i % 10 == 0 { format!("W{}", i - words / 2) } else { format!("w{i}") })
        .collect();
    let data = (0..words * dims).map(|_| next()).collect();
    Space::from_rows(names, data, dims).unwrap()
}

fn questions(count: usize, words: usize, seed: u64) -> AnalogySet {
    let mut state = seed;
    let mut pick = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) as usize % (words + 20) // a few beyond the vocabulary
    };
    let mut sections = vec![
        Section { name: "capital-world".into(), questions: vec![] },
        Section { name: "gram3-comparative".into(), questions: vec![] },
    ];
    for i in 0..count {
        let words = [(); 4].map(|_| {
            let w = pick();
            if w % 7 == 0 { format!("W{w}") } else { format!("w{w}") }
        });
        sections[i % 2].questions.push(Question { words, line: i + 1 });
    }
    AnalogySet { sections, invalid_lines: vec![] }
}

#[test]
fn batched_evaluation_matches_the_per_question_reference() {
    let space = random_space(3000, 24, 5);
    let set = questions(600, 3000, 9);
    for method in [AnalogyMethod::Add, AnalogyMethod::Mul, AnalogyMethod::Pair] {
        for case_insensitive in [true, false] {
            for restrict_vocab in [3000, 1700] {
                let options = AnalogyOptions { restrict_vocab, case_insensitive, method };
                let fast = evaluate_analogies(&space, &set, &options, &Silent).unwrap();
                let reference = evaluate_analogies_reference(&space, &set, &options).unwrap();
                assert_eq!(fast, reference, "{options:?}");
                assert!(fast.skipped > 0 && fast.total > 0, "{options:?}");
            }
        }
    }
}

#[test]
fn case_variants_resolve_to_the_most_frequent_row_and_count_as_inputs() {
    // "Paris" (row 4) upper-cases like "paris" (row 0): it is the same word, so it can never be
    // the answer to a question that contains "paris".
    let space = Space::from_rows(
        ["paris", "france", "rome", "italy", "Paris"].map(String::from).to_vec(),
        vec![1.0, 0.1, 0.0, 0.0, 0.9, 0.0, 0.9, 0.1, 0.0, 0.1, 1.0, 0.0, 0.0, 0.0, 0.9, 0.1, 1.0, 0.1, 0.1, 0.0],
        4,
    )
    .unwrap();
    let set = sets::read_google(": capitals\nfrance paris italy rome\nFRANCE PARIS ITALY ROME\n").unwrap();
    let report = evaluate_analogies(&space, &set, &AnalogyOptions::default(), &Silent).unwrap();
    assert_eq!((report.correct, report.total), (2, 2));
    let exact = AnalogyOptions { case_insensitive: false, ..AnalogyOptions::default() };
    // Exactly compared, "Paris" is a different word from "paris", so gensim's rule lets it answer.
    let report = evaluate_analogies(&space, &set, &exact, &Silent).unwrap();
    assert_eq!((report.correct, report.total, report.skipped), (0, 1, 1));
    assert_eq!(report.questions[0], QuestionResult::Answered { predicted: Some("Paris".into()), correct: false });
    assert_eq!(report.questions[1], QuestionResult::Skipped);
}

#[test]
fn degenerate_questions_have_no_answer_on_either_path() {
    let space = random_space(300, 8, 3);
    // a = b: PairDirection's b − a is zero.
    let set = sets::read_google(": same\nw1 w1 w2 w3\nw4 w5 w6 w7\n").unwrap();
    let options = AnalogyOptions { method: AnalogyMethod::Pair, ..AnalogyOptions::default() };
    let fast = evaluate_analogies(&space, &set, &options, &Silent).unwrap();
    assert_eq!(fast, evaluate_analogies_reference(&space, &set, &options).unwrap());
    assert_eq!(fast.questions[0], QuestionResult::Answered { predicted: None, correct: false });
}

#[test]
fn sets_without_gram_sections_report_no_split() {
    let space = random_space(200, 8, 1);
    let set = AnalogySet {
        sections: vec![Section {
            name: "JJ_JJR".into(),
            questions: vec![Question { words: ["w1", "w2", "w3", "w4"].map(String::from), line: 2 }],
        }],
        invalid_lines: vec![],
    };
    let report = evaluate_analogies(&space, &set, &AnalogyOptions::default(), &Silent).unwrap();
    assert_eq!((report.semantic, report.syntactic), (None, None));
    assert!(matches!(
        evaluate_analogies(&space, &set, &AnalogyOptions { restrict_vocab: 0, ..Default::default() }, &Silent),
        Err(Error::ZeroRestriction)
    ));
}

#[test]
fn word_pairs_skip_unknown_words_and_correlate() {
    let space = Space::from_rows(
        ["cat", "dog", "car", "truck"].map(String::from).to_vec(),
        vec![1.0, 0.1, 0.9, 0.2, 0.0, 1.0, 0.1, 0.9],
        2,
    )
    .unwrap();
    let set = sets::read_tab_pairs("cat\tdog\t9\ncar\ttruck\t8\ncat\tcar\t1\nCAT\tunicorn\t5\n").unwrap();
    let report = evaluate_pairs(&space, &set, &PairOptions::default()).unwrap();
    assert_eq!((report.pairs_used, report.pairs_skipped), (3, 1));
    assert!((report.oov_percent - 25.0).abs() < 1e-12);
    // Ratings 9, 8, 1 against cosines ranked 2, 3, 1.
    assert!((report.spearman - 0.5).abs() < 1e-12, "{report:?}");
    assert!(report.pearson > 0.99, "{report:?}");
    let none = sets::read_tab_pairs("x\ty\t1\n").unwrap();
    assert!(matches!(evaluate_pairs(&space, &none, &PairOptions::default()), Err(Error::NoPairsInVocabulary { .. })));
}
