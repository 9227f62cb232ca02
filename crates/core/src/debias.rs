//! Hard debiasing (Bolukbasi, Chang, Zou, Saligrama & Kalai 2016): remove a bias direction from
//! words that should be neutral, and make pairs that should differ only along it symmetric.

use crate::{Error, Result, Space};

/// What [`hard_debias`] changes.
#[derive(Debug, Clone, Default)]
pub struct DebiasPlan<'a> {
    /// Rows to neutralize: their component along the direction is removed.
    pub neutral: &'a [usize],
    /// Row pairs to equalize: after it both are equally far from every neutral word.
    pub equalize: &'a [(usize, usize)],
}

/// A new space in which every vector is unit length (as in Bolukbasi et al.'s code), the
/// `neutral` words have no component along `direction`, and each `equalize` pair is
/// `ν ± z·ĝ`: the same off-direction part `ν` (their mean with the direction removed) and
/// opposite components `±z` along the unit direction `ĝ`, with `z = √(1 − ‖ν‖²)` signed as the
/// pair was. Words and their order are unchanged.
pub fn hard_debias(space: &Space, direction: &[f32], plan: &DebiasPlan<'_>) -> Result<Space> {
    let dims = space.dims();
    if direction.len() != dims {
        return Err(Error::DimensionMismatch { expected: dims, found: direction.len() });
    }
    let length = crate::length(direction);
    if length == 0.0 {
        return Err(Error::ZeroQuery);
    }
    let g: Vec<f64> = direction.iter().map(|&x| f64::from(x) / length).collect();
    let mut data: Vec<f32> = (0..space.len()).flat_map(|row| space.unit_vector(row)).collect();
    let along = |v: &[f64]| v.iter().zip(&g).map(|(a, b)| a * b).sum::<f64>();
    let row_of = |data: &[f32], row: usize| -> Vec<f64> {
        data[row * dims..(row + 1) * dims].iter().map(|&x| f64::from(x)).collect()
    };
    let store = |data: &mut [f32], row: usize, v: &[f64]| {
        data[row * dims..(row + 1) * dims].iter_mut().zip(v).for_each(|(d, &x)| *d = x as f32);
    };

    for &row in plan.neutral {
        let v = row_of(&data, row);
        let projection = along(&v);
        let mut rejected: Vec<f64> = v.iter().zip(&g).map(|(x, gi)| x - projection * gi).collect();
        let norm = rejected.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm > 0.0 {
            rejected.iter_mut().for_each(|x| *x /= norm);
        }
        store(&mut data, row, &rejected);
    }

    for &(a, b) in plan.equalize {
        let (va, vb) = (row_of(&data, a), row_of(&data, b));
        let mean: Vec<f64> = va.iter().zip(&vb).map(|(x, y)| (x + y) / 2.0).collect();
        let mean_along = along(&mean);
        let nu: Vec<f64> = mean.iter().zip(&g).map(|(m, gi)| m - mean_along * gi).collect();
        let mut z = (1.0 - nu.iter().map(|x| x * x).sum::<f64>()).max(0.0).sqrt();
        if along(&va) - along(&vb) < 0.0 {
            z = -z;
        }
        let new_a: Vec<f64> = nu.iter().zip(&g).map(|(n, gi)| n + z * gi).collect();
        let new_b: Vec<f64> = nu.iter().zip(&g).map(|(n, gi)| n - z * gi).collect();
        store(&mut data, a, &new_a);
        store(&mut data, b, &new_b);
    }

    let words: Vec<String> = (0..space.len()).map(|row| space.word(row).to_owned()).collect();
    let mut debiased = Space::from_rows(words, data, dims)?;
    for (key, value) in space.metadata() {
        debiased = debiased.with_metadata(key.clone(), value.clone());
    }
    Ok(debiased)
}

/// Bolukbasi et al.'s direct bias: the mean of `|cos(w, g)|^strictness` over `words`.
pub fn direct_bias(space: &Space, direction: &[f32], words: &[usize], strictness: f64) -> Result<f64> {
    if words.is_empty() {
        return Err(Error::TooFewWords { operation: "direct bias", needed: 1, given: 0 });
    }
    if direction.len() != space.dims() {
        return Err(Error::DimensionMismatch { expected: space.dims(), found: direction.len() });
    }
    let total: f64 = words
        .iter()
        .map(|&row| f64::from(crate::cosine(space.raw_vector(row), direction)).abs().powf(strictness))
        .sum();
    Ok(total / words.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutral_words_lose_the_direction_and_pairs_become_symmetric() {
        let space = Space::from_rows(
            ["he", "she", "doctor", "nurse", "king", "queen"].map(String::from).to_vec(),
            vec![
                1.0, 0.2, 0.0, //
                -1.0, 0.2, 0.0, //
                0.3, 1.0, 0.2, //
                -0.4, 1.0, -0.1, //
                0.8, 0.3, 1.0, //
                -0.5, 0.3, 1.1,
            ],
            3,
        )
        .unwrap();
        let g = [1.0, 0.0, 0.0];
        let before = direct_bias(&space, &g, &[2, 3], 1.0).unwrap();
        let plan = DebiasPlan { neutral: &[2, 3], equalize: &[(4, 5)] };
        let debiased = hard_debias(&space, &g, &plan).unwrap();
        assert!(before > 0.2);
        assert!(direct_bias(&debiased, &g, &[2, 3], 1.0).unwrap() < 1e-6);
        for row in 0..6 {
            let norm: f32 = debiased.raw_vector(row).iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-5, "row {row} has norm {norm}");
        }
        // king and queen: opposite along g, identical elsewhere, king still on the + side.
        let (k, q) = (debiased.raw_vector(4), debiased.raw_vector(5));
        assert!((k[0] + q[0]).abs() < 1e-6 && k[0] > 0.1, "{k:?} {q:?}");
        assert!((k[1] - q[1]).abs() < 1e-6 && (k[2] - q[2]).abs() < 1e-6);
        // Equalized pairs are equidistant from every neutral word.
        for neutral in [2, 3] {
            let n = debiased.raw_vector(neutral);
            let (ck, cq) = (crate::cosine(n, k), crate::cosine(n, q));
            assert!((ck - cq).abs() < 1e-6, "{ck} vs {cq}");
        }
        assert_eq!(debiased.word(5), "queen");
        assert!(hard_debias(&space, &[0.0, 0.0, 0.0], &plan).is_err());
        assert!(hard_debias(&space, &[1.0, 0.0], &plan).is_err());
    }
}
