//! Small dense linear algebra for the few places that need it (directions, edits, a generator's
//! principal axes); sizes are a few hundred unknowns at most.

/// Solves `a · x = b` by Gaussian elimination with partial pivoting; `None` when `a` is singular.
pub fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let (top, bottom) = a.split_at_mut(col + 1);
        let pivot_row = &top[col];
        for (offset, row) in bottom.iter_mut().enumerate() {
            let factor = row[col] / pivot_row[col];
            if factor != 0.0 {
                row[col..].iter_mut().zip(&pivot_row[col..]).for_each(|(x, p)| *x -= factor * p);
                b[col + 1 + offset] -= factor * b[col];
            }
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let sum: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - sum) / a[row][row];
    }
    Some(x)
}

/// Eigenvalues and unit eigenvectors of a symmetric matrix, largest eigenvalue first.
#[derive(Debug, Clone, PartialEq)]
pub struct Eigen {
    pub values: Vec<f64>,
    /// `vectors[k]` belongs to `values[k]`; each is signed so that its largest-magnitude
    /// coefficient is positive, so the result does not flip between runs or machines.
    pub vectors: Vec<Vec<f64>>,
}

/// The eigen-decomposition of the symmetric `n × n` matrix `a` (row-major, `n * n` values; only
/// its symmetry is assumed, not checked beyond the shape) by cyclic Jacobi rotations: slower than
/// LAPACK's divide and conquer but accurate to the last digits for the few hundred unknowns it
/// is used on, and plain enough to trust. `None` if the shape is wrong or a value is not finite.
///
/// ```
/// let eigen = vecspace_core::linalg::symmetric_eigen(&[2.0, 1.0, 1.0, 2.0], 2).unwrap();
/// assert!((eigen.values[0] - 3.0).abs() < 1e-12 && (eigen.values[1] - 1.0).abs() < 1e-12);
/// let half = 0.5f64.sqrt();
/// assert!(eigen.vectors[0].iter().all(|x| (x - half).abs() < 1e-12));
/// ```
pub fn symmetric_eigen(a: &[f64], n: usize) -> Option<Eigen> {
    if a.len() != n.checked_mul(n)? || a.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let mut m: Vec<Vec<f64>> = a.chunks(n.max(1)).map(<[f64]>::to_vec).collect();
    // Columns of `v` accumulate the rotations: at the end they are the eigenvectors.
    let mut v: Vec<Vec<f64>> = (0..n).map(|i| (0..n).map(|j| f64::from(u8::from(i == j))).collect()).collect();
    let scale: f64 = m.iter().flatten().map(|x| x * x).sum::<f64>().sqrt();
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i][j] * m[i][j])
            .sum();
        if off.sqrt() <= 1e-15 * scale {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p][q];
                if apq == 0.0 {
                    continue;
                }
                // The rotation that zeroes m[p][q] (Golub & Van Loan, Algorithm 8.5.1), with the
                // smaller angle for stability.
                let theta = (m[q][q] - m[p][p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for row in m.iter_mut() {
                    let (x, y) = (row[p], row[q]);
                    row[p] = c * x - s * y;
                    row[q] = s * x + c * y;
                }
                let (above, below) = m.split_at_mut(q);
                for (x, y) in above[p].iter_mut().zip(below[0].iter_mut()) {
                    (*x, *y) = (c * *x - s * *y, s * *x + c * *y);
                }
                for row in v.iter_mut() {
                    let (x, y) = (row[p], row[q]);
                    row[p] = c * x - s * y;
                    row[q] = s * x + c * y;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| m[j][j].total_cmp(&m[i][i]));
    let values = order.iter().map(|&k| m[k][k]).collect();
    let vectors = order
        .iter()
        .map(|&k| {
            let mut vector: Vec<f64> = v.iter().map(|row| row[k]).collect();
            let largest = vector.iter().copied().max_by(|a, b| a.abs().total_cmp(&b.abs())).unwrap_or(1.0);
            if largest < 0.0 {
                vector.iter_mut().for_each(|x| *x = -*x);
            }
            vector
        })
        .collect();
    Some(Eigen { values, vectors })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solve_handles_pivoting() {
        let x = solve(vec![vec![0.0, 2.0], vec![3.0, 1.0]], vec![4.0, 5.0]).unwrap();
        assert!((x[0] - 1.0).abs() < 1e-12 && (x[1] - 2.0).abs() < 1e-12, "{x:?}");
        assert!(solve(vec![vec![1.0, 2.0], vec![2.0, 4.0]], vec![1.0, 2.0]).is_none());
    }

    /// A · v = λ v for every pair, the vectors orthonormal, the values descending, on a random
    /// symmetric matrix with repeated and negative eigenvalues built from a known basis.
    #[test]
    fn jacobi_recovers_a_known_spectrum() {
        let n = 40;
        let mut rng = crate::random::SplitMix64(7);
        let random: Vec<Vec<f64>> = (0..n).map(|_| (0..n).map(|_| rng.next_f64() - 0.5).collect()).collect();
        // An orthonormal basis by Gram–Schmidt, and a spectrum with a repeated value.
        let mut basis: Vec<Vec<f64>> = Vec::new();
        for mut row in random {
            for b in &basis {
                let along: f64 = row.iter().zip(b).map(|(x, y)| x * y).sum();
                row.iter_mut().zip(b).for_each(|(x, y)| *x -= along * y);
            }
            let length = row.iter().map(|x| x * x).sum::<f64>().sqrt();
            basis.push(row.iter().map(|x| x / length).collect());
        }
        let spectrum: Vec<f64> = (0..n).map(|k| if k == 3 { 5.0 } else { 10.0 - k as f64 * 0.5 }).collect();
        let mut a = vec![0.0; n * n];
        for (value, b) in spectrum.iter().zip(&basis) {
            for i in 0..n {
                for j in 0..n {
                    a[i * n + j] += value * b[i] * b[j];
                }
            }
        }
        let eigen = symmetric_eigen(&a, n).unwrap();
        let mut expected = spectrum.clone();
        expected.sort_by(|x, y| y.total_cmp(x));
        for (got, want) in eigen.values.iter().zip(&expected) {
            assert!((got - want).abs() < 1e-10, "{got} against {want}");
        }
        for (value, vector) in eigen.values.iter().zip(&eigen.vectors) {
            for i in 0..n {
                let av: f64 = (0..n).map(|j| a[i * n + j] * vector[j]).sum();
                assert!((av - value * vector[i]).abs() < 1e-10);
            }
        }
        for (i, x) in eigen.vectors.iter().enumerate() {
            for (j, y) in eigen.vectors.iter().enumerate() {
                let dot: f64 = x.iter().zip(y).map(|(a, b)| a * b).sum();
                assert!((dot - f64::from(u8::from(i == j))).abs() < 1e-10);
            }
        }
        assert!(symmetric_eigen(&[1.0, 2.0, 3.0], 2).is_none());
        assert!(symmetric_eigen(&[f64::NAN], 1).is_none());
        assert_eq!(symmetric_eigen(&[], 0).unwrap().values, Vec::<f64>::new());
    }
}
