//! The Rust side of the Python package's speed: gensim's `most_similar` and `most_similar_cosmul`
//! (`king + woman − man`, top 10) through the application layer on GloVe 6B 50d, the median of
//! many calls, and the Google analogy evaluation once. `bench/python_speed.py` runs the same calls
//! from Python and subtracts these times to measure what the Python layer adds.
//!
//! With a SPACE (a file holding the words king, woman and man), only the two searches are timed
//! there: on a space of a few words they measure the fixed cost of a call.
//!
//! ```text
//! cargo run --release -p vecspace --example gensim_calls -- [REPETITIONS] [SPACE]
//! ```

use std::time::Instant;

use vecspace::app::gensim::{self, Key, Term};
use vecspace::app::{self, SpaceRequest};
use vecspace::eval::AnalogyOptions;

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let repetitions: usize = std::env::args().nth(1).map(|a| a.parse()).transpose()?.unwrap_or(300);
    if repetitions == 0 {
        return Err("the number of repetitions must be at least 1".into());
    }
    let given = std::env::args().nth(2);
    let name = given.clone().unwrap_or_else(|| "glove-6b-50d".to_owned());
    let opened = app::spaces::open(&SpaceRequest::new(name), &vecspace::progress::Silent)?;
    let space = &opened.space;
    let positive = [Term::word("king"), Term::word("woman")];
    let negative = [Term::word("man")];
    let time = |call: &dyn Fn()| {
        call();
        median(
            (0..repetitions)
                .map(|_| {
                    let started = Instant::now();
                    call();
                    started.elapsed().as_secs_f64()
                })
                .collect(),
        )
    };
    let most_similar = time(&|| {
        gensim::most_similar(space, &positive, &negative, 10, None).expect("most_similar");
    });
    let keys = |terms: &[Term]| terms.iter().map(|t| t.key.clone()).collect::<Vec<Key>>();
    let (plus, minus) = (keys(&positive), keys(&negative));
    let cosmul = time(&|| {
        gensim::most_similar_cosmul(space, &plus, &minus, 10, None).expect("most_similar_cosmul");
    });
    println!("most_similar {:.1} us", most_similar * 1e6);
    println!("most_similar_cosmul {:.1} us", cosmul * 1e6);
    if given.is_some() {
        return Ok(());
    }
    let started = Instant::now();
    let report = gensim::evaluate_word_analogies(
        space,
        "google-analogies",
        &AnalogyOptions::default(),
        false,
        &vecspace::progress::Silent,
    )?;
    let analogies = started.elapsed().as_secs_f64();
    println!("evaluate_word_analogies {analogies:.2} s (score {:.4})", report.score);
    Ok(())
}
