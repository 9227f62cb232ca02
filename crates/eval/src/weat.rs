//! The Word Embedding Association Test (Caliskan, Bryson & Narayanan 2017).
//!
//! For target sets X, Y and attribute sets A, B, each target word w gets the association
//! `s(w) = mean_{a∈A} cos(w,a) − mean_{b∈B} cos(w,b)`. The test statistic is
//! `S = Σ_{x∈X} s(x) − Σ_{y∈Y} s(y)`; the effect size is
//! `(mean_X s − mean_Y s) / std_{X∪Y} s` with the sample standard deviation (n − 1); the one-sided
//! p-value is the share of re-partitions (X′, Y′) of X ∪ Y into sets of the same sizes whose
//! statistic exceeds the observed one. The p-value is exact — every partition enumerated — when
//! there are at most `exact_limit` partitions, and otherwise estimated from `samples` random
//! partitions drawn with a seeded, platform-independent generator, as `(b + 1) / (m + 1)` for
//! `b` exceedances in `m` samples (so an estimate is never 0).
//!
//! Words are looked up as written, then lower-cased (the published sets capitalise names; many
//! spaces are lower-case). Words found neither way are left out and listed.

use vecspace_core::{Space, cosine};

use crate::{Error, Result};

/// The four word sets of a test, with their names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WeatSets {
    pub names: [String; 4],
    pub targets: [Vec<String>; 2],
    pub attributes: [Vec<String>; 2],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeatOptions {
    /// Enumerate every partition when there are at most this many.
    pub exact_limit: u64,
    /// Random partitions to draw otherwise.
    pub samples: u64,
    pub seed: u64,
}

impl Default for WeatOptions {
    fn default() -> Self {
        WeatOptions { exact_limit: 1_000_000, samples: 100_000, seed: 0 }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct WeatReport {
    pub effect_size: f64,
    pub statistic: f64,
    pub p_value: f64,
    /// Whether the p-value enumerated every partition.
    pub exact: bool,
    /// Partitions enumerated or sampled.
    pub partitions: u64,
    /// Words used from X, Y, A, B.
    pub used: [usize; 4],
    /// Words not found in the space.
    pub missing: Vec<String>,
}

/// Runs the test on `space`.
pub fn weat(space: &Space, sets: &WeatSets, options: &WeatOptions) -> Result<WeatReport> {
    let mut missing = Vec::new();
    let mut rows = |words: &[String], name: &str| -> Result<Vec<usize>> {
        let found: Vec<usize> = words
            .iter()
            .filter_map(|w| {
                let row = space.vocab().row(w).or_else(|| space.vocab().row(&w.to_lowercase()));
                if row.is_none() {
                    missing.push(w.clone());
                }
                row
            })
            .collect();
        if found.is_empty() {
            return Err(Error::EmptySet { name: name.to_owned() });
        }
        Ok(found)
    };
    let x = rows(&sets.targets[0], &sets.names[0])?;
    let y = rows(&sets.targets[1], &sets.names[1])?;
    let a = rows(&sets.attributes[0], &sets.names[2])?;
    let b = rows(&sets.attributes[1], &sets.names[3])?;
    let association = |w: usize| -> f64 {
        let mean = |set: &[usize]| {
            set.iter().map(|&o| f64::from(cosine(space.raw_vector(w), space.raw_vector(o)))).sum::<f64>()
                / set.len() as f64
        };
        mean(&a) - mean(&b)
    };
    // s for X then Y, in that order: the first |X| entries are the observed partition.
    let s: Vec<f64> = x.iter().chain(&y).map(|&w| association(w)).collect();
    let (nx, n) = (x.len(), s.len());
    let sum_x: f64 = s[..nx].iter().sum();
    let sum_y: f64 = s[nx..].iter().sum();
    let statistic = sum_x - sum_y;
    let mean_all = s.iter().sum::<f64>() / n as f64;
    let std = (s.iter().map(|v| (v - mean_all).powi(2)).sum::<f64>() / (n as f64 - 1.0)).sqrt();
    let effect_size = (sum_x / nx as f64 - sum_y / (n - nx) as f64) / std;

    // S(X′,Y′) > S(X,Y)  ⟺  Σ_{X′} s > Σ_X s, since Σ_{Y′} s = Σ s − Σ_{X′} s.
    // A hair of tolerance keeps partitions whose sum equals the observed one (the observed
    // partition among them) from counting through rounding.
    let bar = sum_x + 1e-12 * s.iter().map(|v| v.abs()).sum::<f64>();
    let total = binomial(n as u64, nx as u64);
    let (p_value, exact, partitions) = if total.is_some_and(|t| t <= options.exact_limit) && n <= 64 {
        let total = total.expect("checked");
        let above = count_subsets_above(&s, nx, bar);
        (above as f64 / total as f64, true, total)
    } else {
        let mut rng = SplitMix64(options.seed);
        let mut order: Vec<usize> = (0..n).collect();
        let mut above = 0u64;
        for _ in 0..options.samples {
            // Partial Fisher–Yates: the first nx entries are a uniform random subset.
            for i in 0..nx {
                let j = i + (rng.next() % (n - i) as u64) as usize;
                order.swap(i, j);
            }
            let sum: f64 = order[..nx].iter().map(|&i| s[i]).sum();
            above += u64::from(sum > bar);
        }
        ((above + 1) as f64 / (options.samples + 1) as f64, false, options.samples)
    };
    Ok(WeatReport {
        effect_size,
        statistic,
        p_value,
        exact,
        partitions,
        used: [x.len(), y.len(), a.len(), b.len()],
        missing,
    })
}

/// `n choose k`, or `None` if it overflows.
fn binomial(n: u64, k: u64) -> Option<u64> {
    let k = k.min(n - k);
    let mut result: u64 = 1;
    for i in 0..k {
        result = result.checked_mul(n - i)? / (i + 1);
    }
    Some(result)
}

/// How many `k`-subsets of `values` sum to more than `bar`, enumerated with Gosper's hack.
fn count_subsets_above(values: &[f64], k: usize, bar: f64) -> u64 {
    let n = values.len();
    if k == 0 {
        return u64::from(0.0 > bar);
    }
    let mut subset: u64 = (1u64 << k) - 1;
    let limit: u64 = if n == 64 { u64::MAX } else { 1u64 << n };
    let mut above = 0;
    loop {
        let mut bits = subset;
        let mut sum = 0.0;
        while bits != 0 {
            sum += values[bits.trailing_zeros() as usize];
            bits &= bits - 1;
        }
        above += u64::from(sum > bar);
        // Next subset of the same size.
        let lowest = subset & subset.wrapping_neg();
        let ripple = subset.wrapping_add(lowest);
        if ripple == 0 || (n < 64 && ripple >= limit) {
            break;
        }
        subset = (((ripple ^ subset) >> 2) / lowest) | ripple;
        if n < 64 && subset >= limit {
            break;
        }
    }
    above
}

/// SplitMix64: a tiny generator with the same sequence on every platform.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binomials_and_subset_counts_are_right() {
        assert_eq!(binomial(16, 8), Some(12_870));
        assert_eq!(binomial(50, 25), Some(126_410_606_437_752));
        assert_eq!(binomial(200, 100), None);
        // Subsets of size 2 of [1, 2, 3, 4] summing to more than 4: {1,4}, {2,3}, {2,4}, {3,4}.
        assert_eq!(count_subsets_above(&[1.0, 2.0, 3.0, 4.0], 2, 4.0), 4);
        assert_eq!(count_subsets_above(&[1.0, 2.0, 3.0, 4.0], 4, 0.0), 1);
        let values: Vec<f64> = (0..16).map(f64::from).collect();
        assert_eq!(count_subsets_above(&values, 8, f64::NEG_INFINITY), 12_870, "every subset is enumerated once");
    }

    #[test]
    fn a_clear_association_has_a_large_effect_and_a_small_p_value() {
        // x-words lean toward a, y-words toward b.
        let mut words = Vec::new();
        let mut data = Vec::new();
        for i in 0..6 {
            words.push(format!("x{i}"));
            data.extend([1.0, 0.1 * i as f32, 0.2]);
            words.push(format!("y{i}"));
            data.extend([0.2, 0.1 * i as f32, 1.0]);
        }
        for (name, v) in
            [("a1", [1.0, 0.0, 0.0]), ("a2", [0.9, 0.1, 0.0]), ("b1", [0.0, 0.0, 1.0]), ("b2", [0.1, 0.1, 0.9])]
        {
            words.push(name.into());
            data.extend(v);
        }
        let space = Space::from_rows(words, data, 3).unwrap();
        let list = |prefix: &str, n: usize| (0..n).map(|i| format!("{prefix}{i}")).collect::<Vec<_>>();
        let sets = WeatSets {
            names: ["X", "Y", "A", "B"].map(String::from),
            targets: [list("x", 6), list("y", 6)],
            attributes: [vec!["a1".into(), "a2".into(), "missing".into()], vec!["b1".into(), "B2".into()]],
        };
        let report = weat(&space, &sets, &WeatOptions::default()).unwrap();
        assert!(report.exact && report.partitions == 924);
        assert!(report.effect_size > 1.5, "{report:?}");
        // Only the observed partition is as extreme, and it does not count.
        assert_eq!(report.p_value, 0.0);
        assert_eq!(report.missing, vec!["missing".to_string()]);
        assert_eq!(report.used, [6, 6, 2, 2]);
        // Swapping the targets flips the sign.
        let swapped = WeatSets { targets: [sets.targets[1].clone(), sets.targets[0].clone()], ..sets.clone() };
        let flipped = weat(&space, &swapped, &WeatOptions::default()).unwrap();
        assert!((flipped.effect_size + report.effect_size).abs() < 1e-12);
        assert!(flipped.p_value > 0.99);
        // Sampling agrees with enumeration to within its error.
        let sampled = weat(&space, &swapped, &WeatOptions { exact_limit: 10, samples: 20_000, seed: 7 }).unwrap();
        assert!(!sampled.exact && (sampled.p_value - flipped.p_value).abs() < 0.01, "{sampled:?}");
        let empty = WeatSets { targets: [vec!["nope".into()], sets.targets[1].clone()], ..sets };
        assert!(matches!(weat(&space, &empty, &WeatOptions::default()), Err(Error::EmptySet { .. })));
    }
}
