//! Quantised weight matrices as GGUF stores them, and matrix–vector products over them.
//!
//! The products follow llama.cpp's scheme: the input vector is itself quantised to 8 bits in blocks
//! of 32 (one f32 scale per block, plus the block's sum for formats with an offset), so each block
//! of a row is an integer dot product of 32 pairs and one or two multiplications. A portable
//! scalar kernel is the reference; an AVX2 kernel, chosen at run time, computes the same integer
//! sums and differs only in the order the f32 block results are added.

use half::f16;
use rayon::prelude::*;

use crate::LmError;

/// Matrices smaller than this many bytes are multiplied on the calling thread: below it, handing
/// rows to other threads cost more than it saved in decoding SmolLM2 (measured: 142 tokens/s on one
/// thread; 116 with the 0.2–0.5 MB block matrices split across two, 140 with only the 30 MB
/// output projection split).
const PARALLEL_BYTES: usize = 1 << 22;

/// Values per quantisation block in every block format here.
pub const BLOCK: usize = 32;

/// The ggml tensor types vecspace reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GgmlType {
    F32,
    F16,
    /// 32 values as 4-bit `q`, value `(q − 8)·d`: an f16 scale, then 16 bytes.
    Q4_0,
    /// 32 values as 4-bit `q`, value `q·d + m`: f16 scale and minimum, then 16 bytes. Byte `j`
    /// holds value `j` in its low nibble and value `j + 16` in its high nibble.
    Q4_1,
    /// 32 values as signed bytes, value `q·d`: an f16 scale, then 32 bytes.
    Q8_0,
}

impl GgmlType {
    pub fn from_id(id: u32) -> Option<GgmlType> {
        Some(match id {
            0 => GgmlType::F32,
            1 => GgmlType::F16,
            2 => GgmlType::Q4_0,
            3 => GgmlType::Q4_1,
            8 => GgmlType::Q8_0,
            _ => return None,
        })
    }

    pub fn id(self) -> u32 {
        match self {
            GgmlType::F32 => 0,
            GgmlType::F16 => 1,
            GgmlType::Q4_0 => 2,
            GgmlType::Q4_1 => 3,
            GgmlType::Q8_0 => 8,
        }
    }

    /// (values, bytes) of one storage block.
    pub fn block(self) -> (u64, u64) {
        match self {
            GgmlType::F32 => (1, 4),
            GgmlType::F16 => (1, 2),
            GgmlType::Q4_0 => (32, 18),
            GgmlType::Q4_1 => (32, 20),
            GgmlType::Q8_0 => (32, 34),
        }
    }

    /// Bytes that `count` values take, or `None` when `count` is not a whole number of blocks or
    /// the size does not fit 64 bits (a crafted shape).
    pub fn bytes_for(self, count: u64) -> Option<u64> {
        let (values, bytes) = self.block();
        if count.is_multiple_of(values) { (count / values).checked_mul(bytes) } else { None }
    }
}

fn half(bytes: &[u8]) -> f32 {
    f16::from_le_bytes([bytes[0], bytes[1]]).to_f32()
}

/// A vector quantised to 8 bits in blocks of 32, as the input of the products.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Q8Vector {
    pub scales: Vec<f32>,
    /// Each block's `scale · Σ q`, for formats whose values carry an offset.
    pub sums: Vec<f32>,
    pub quants: Vec<i8>,
}

/// Quantises `x` (a whole number of blocks): per block, `d = max|x| / 127`, `q = round(x / d)`.
pub fn quantize(x: &[f32]) -> Q8Vector {
    assert!(x.len().is_multiple_of(BLOCK), "vectors are quantised in whole blocks of {BLOCK}");
    let blocks = x.len() / BLOCK;
    let mut out = Q8Vector {
        scales: Vec::with_capacity(blocks),
        sums: Vec::with_capacity(blocks),
        quants: Vec::with_capacity(x.len()),
    };
    for block in x.chunks_exact(BLOCK) {
        let max = block.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let d = max / 127.0;
        let inverse = if d > 0.0 { 1.0 / d } else { 0.0 };
        let mut sum = 0i32;
        for &v in block {
            let q = (v * inverse).round() as i8;
            sum += i32::from(q);
            out.quants.push(q);
        }
        out.scales.push(d);
        out.sums.push(d * sum as f32);
    }
    out
}

/// A weight matrix: `rows` rows of `columns` values stored as `kind`.
#[derive(Debug, Clone, PartialEq)]
pub struct QMatrix {
    pub kind: GgmlType,
    pub rows: usize,
    pub columns: usize,
    pub data: Vec<u8>,
}

impl QMatrix {
    pub fn new(kind: GgmlType, rows: usize, columns: usize, data: Vec<u8>) -> Result<QMatrix, LmError> {
        let (values, bytes) = kind.block();
        if !(columns as u64).is_multiple_of(values) {
            return Err(LmError::PartialBlocks { kind, columns });
        }
        if kind != GgmlType::F32 && kind != GgmlType::F16 && !columns.is_multiple_of(BLOCK) {
            return Err(LmError::PartialQuantBlocks { columns, block: BLOCK });
        }
        let expected = rows as u64 * (columns as u64 / values) * bytes;
        if data.len() as u64 != expected {
            return Err(LmError::MatrixSize { kind, rows, columns, expected, found: data.len() });
        }
        Ok(QMatrix { kind, rows, columns, data })
    }

    fn row_bytes(&self) -> usize {
        let (values, bytes) = self.kind.block();
        self.columns / values as usize * bytes as usize
    }

    /// Row `r` as f32 values.
    pub fn dequantize_row(&self, r: usize) -> Vec<f32> {
        let row = &self.data[r * self.row_bytes()..(r + 1) * self.row_bytes()];
        let mut out = Vec::with_capacity(self.columns);
        match self.kind {
            GgmlType::F32 => out.extend(row.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4")))),
            GgmlType::F16 => out.extend(row.chunks_exact(2).map(half)),
            GgmlType::Q4_0 => {
                for block in row.chunks_exact(18) {
                    let d = half(block);
                    let qs = &block[2..];
                    out.extend(qs.iter().map(|q| (i32::from(q & 15) - 8) as f32 * d));
                    out.extend(qs.iter().map(|q| (i32::from(q >> 4) - 8) as f32 * d));
                }
            }
            GgmlType::Q4_1 => {
                for block in row.chunks_exact(20) {
                    let (d, m) = (half(block), half(&block[2..]));
                    let qs = &block[4..];
                    out.extend(qs.iter().map(|q| f32::from(q & 15) * d + m));
                    out.extend(qs.iter().map(|q| f32::from(q >> 4) * d + m));
                }
            }
            GgmlType::Q8_0 => {
                for block in row.chunks_exact(34) {
                    let d = half(block);
                    out.extend(block[2..].iter().map(|&q| f32::from(q as i8) * d));
                }
            }
        }
        out
    }

    /// `out = self · x`. `xq` must be `quantize(x)`; float rows use `x` itself.
    pub fn matvec(&self, x: &[f32], xq: &Q8Vector, out: &mut [f32]) {
        self.matvec_with(x, xq, out, Kernel::best());
    }

    /// `out = self · x` in exact arithmetic on the dequantised rows (f64 sums of f32 products,
    /// the input not quantised): the reference the quantised products are compared with.
    pub fn matvec_exact(&self, x: &[f32], out: &mut [f32]) {
        assert_eq!(x.len(), self.columns, "the vector's length must equal the row length");
        out.par_iter_mut().enumerate().for_each(|(r, value)| {
            let row = self.dequantize_row(r);
            *value = row.iter().zip(x).map(|(w, v)| f64::from(*w) * f64::from(*v)).sum::<f64>() as f32;
        });
    }

    /// `matvec` with a chosen kernel (the reference or the fast one), for tests and benchmarks.
    pub fn matvec_with(&self, x: &[f32], xq: &Q8Vector, out: &mut [f32], kernel: Kernel) {
        assert_eq!(x.len(), self.columns, "the vector's length must equal the row length");
        assert_eq!(out.len(), self.rows, "one output per row");
        let row_bytes = self.row_bytes();
        let rows = |first: usize, chunk: &mut [f32]| {
            for (i, value) in chunk.iter_mut().enumerate() {
                let row = &self.data[(first + i) * row_bytes..(first + i + 1) * row_bytes];
                *value = dot(self.kind, row, x, xq, kernel);
            }
        };
        // Handing work to other threads costs microseconds: worth it only for large matrices.
        if rayon::current_num_threads() == 1 || self.data.len() < PARALLEL_BYTES {
            return rows(0, out);
        }
        let rows_per_task = PARALLEL_BYTES / 4 / row_bytes.max(1) + 1;
        out.par_chunks_mut(rows_per_task).enumerate().for_each(|(task, chunk)| rows(task * rows_per_task, chunk));
    }
}

/// Which implementation of the block dot products to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// Portable scalar code: the reference.
    Scalar,
    /// AVX2, FMA and F16C (x86-64, since 2013), when the CPU has them.
    Avx2,
}

impl Kernel {
    /// The fastest kernel this CPU runs.
    pub fn best() -> Kernel {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
            && std::arch::is_x86_feature_detected!("f16c")
        {
            return Kernel::Avx2;
        }
        Kernel::Scalar
    }
}

fn dot(kind: GgmlType, row: &[u8], x: &[f32], xq: &Q8Vector, kernel: Kernel) -> f32 {
    match kind {
        GgmlType::F32 => {
            row.chunks_exact(4).zip(x).map(|(b, v)| f32::from_le_bytes(b.try_into().expect("4")) * v).sum()
        }
        GgmlType::F16 => row.chunks_exact(2).zip(x).map(|(b, v)| half(b) * v).sum(),
        _ => {
            #[cfg(target_arch = "x86_64")]
            if kernel == Kernel::Avx2 {
                // SAFETY: Kernel::Avx2 is only chosen when the CPU reports AVX2, FMA and F16C.
                return unsafe { avx2::dot(kind, row, xq) };
            }
            let _ = kernel;
            dot_scalar(kind, row, xq)
        }
    }
}

/// The reference block dot product of a quantised row with a quantised vector.
fn dot_scalar(kind: GgmlType, row: &[u8], xq: &Q8Vector) -> f32 {
    let mut total = 0.0f32;
    let (_, block_bytes) = kind.block();
    for (b, block) in row.chunks_exact(block_bytes as usize).enumerate() {
        let xs = &xq.quants[b * BLOCK..(b + 1) * BLOCK];
        let dx = xq.scales[b];
        match kind {
            GgmlType::Q4_0 => {
                let qs = &block[2..];
                let sum: i32 = (0..16)
                    .map(|j| {
                        (i32::from(qs[j] & 15) - 8) * i32::from(xs[j])
                            + (i32::from(qs[j] >> 4) - 8) * i32::from(xs[j + 16])
                    })
                    .sum();
                total += half(block) * dx * sum as f32;
            }
            GgmlType::Q4_1 => {
                let qs = &block[4..];
                let sum: i32 = (0..16)
                    .map(|j| i32::from(qs[j] & 15) * i32::from(xs[j]) + i32::from(qs[j] >> 4) * i32::from(xs[j + 16]))
                    .sum();
                total += half(block) * dx * sum as f32 + half(&block[2..]) * xq.sums[b];
            }
            GgmlType::Q8_0 => {
                let sum: i32 = block[2..].iter().zip(xs).map(|(&w, &v)| i32::from(w as i8) * i32::from(v)).sum();
                total += half(block) * dx * sum as f32;
            }
            GgmlType::F32 | GgmlType::F16 => unreachable!("float rows are not block-quantised"),
        }
    }
    total
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{BLOCK, GgmlType, Q8Vector};

    /// The two f16 values at the start of `bytes` (a block's scale and, for Q4_1, its minimum),
    /// converted by the CPU.
    #[target_feature(enable = "avx2,fma,f16c")]
    fn halves(bytes: &[u8]) -> (f32, f32) {
        let raw = u32::from_le_bytes(bytes[..4].try_into().expect("4 bytes"));
        let both = _mm_cvtph_ps(_mm_cvtsi32_si128(raw as i32));
        (_mm_cvtss_f32(both), _mm_cvtss_f32(_mm_shuffle_ps(both, both, 1)))
    }

    /// Sum of the eight lanes.
    #[target_feature(enable = "avx2,fma,f16c")]
    fn horizontal_sum(v: __m256) -> f32 {
        let pair = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        let quad = _mm_add_ps(pair, _mm_movehl_ps(pair, pair));
        _mm_cvtss_f32(_mm_add_ss(quad, _mm_shuffle_ps(quad, quad, 1)))
    }

    /// The 32 nibbles of 16 bytes as 32 bytes: low nibbles first, then high nibbles.
    #[target_feature(enable = "avx2,fma,f16c")]
    fn nibbles(bytes: &[u8; 16]) -> __m256i {
        // SAFETY: an unaligned load of exactly the 16 bytes borrowed.
        let packed = unsafe { _mm_loadu_si128(bytes.as_ptr().cast()) };
        let mask = _mm_set1_epi8(15);
        let low = _mm_and_si128(packed, mask);
        let high = _mm_and_si128(_mm_srli_epi16(packed, 4), mask);
        _mm256_set_m128i(high, low)
    }

    /// Eight i32 partial sums of unsigned × signed byte products, as floats.
    #[target_feature(enable = "avx2,fma,f16c")]
    fn products(unsigned: __m256i, signed: __m256i) -> __m256 {
        let pairs = _mm256_maddubs_epi16(unsigned, signed);
        _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, _mm256_set1_epi16(1)))
    }

    /// 32 bytes from the start of `bytes` (which must hold at least 32).
    #[target_feature(enable = "avx2,fma,f16c")]
    fn load32(bytes: &[u8]) -> __m256i {
        let bytes: &[u8; 32] = bytes[..32].try_into().expect("32 bytes");
        // SAFETY: an unaligned load of exactly the 32 bytes borrowed.
        unsafe { _mm256_loadu_si256(bytes.as_ptr().cast()) }
    }

    fn sixteen(bytes: &[u8]) -> &[u8; 16] {
        bytes[..16].try_into().expect("16 bytes")
    }

    /// The same sums as `dot_scalar`, eight at a time.
    #[target_feature(enable = "avx2,fma,f16c")]
    pub fn dot(kind: GgmlType, row: &[u8], xq: &Q8Vector) -> f32 {
        let (_, block_bytes) = kind.block();
        let mut acc = _mm256_setzero_ps();
        let mut offsets = 0.0f32;
        for (b, block) in row.chunks_exact(block_bytes as usize).enumerate() {
            let quants: &[i8; 32] = xq.quants[b * BLOCK..(b + 1) * BLOCK].try_into().expect("32 values");
            // SAFETY: an unaligned load of exactly the 32 values borrowed.
            let xs = unsafe { _mm256_loadu_si256(quants.as_ptr().cast()) };
            let dx = xq.scales[b];
            let (scale, minimum) = halves(block);
            let sums = match kind {
                GgmlType::Q4_1 => {
                    offsets += minimum * xq.sums[b];
                    products(nibbles(sixteen(&block[4..])), xs)
                }
                GgmlType::Q4_0 => {
                    let w = _mm256_sub_epi8(nibbles(sixteen(&block[2..])), _mm256_set1_epi8(8));
                    // maddubs multiplies unsigned by signed: move w's sign onto x.
                    products(_mm256_sign_epi8(w, w), _mm256_sign_epi8(xs, w))
                }
                GgmlType::Q8_0 => {
                    let w = load32(&block[2..]);
                    products(_mm256_sign_epi8(w, w), _mm256_sign_epi8(xs, w))
                }
                GgmlType::F32 | GgmlType::F16 => unreachable!("float rows are not block-quantised"),
            };
            acc = _mm256_fmadd_ps(_mm256_set1_ps(scale * dx), sums, acc);
        }
        horizontal_sum(acc) + offsets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random bytes.
    fn noise(n: usize, seed: u64) -> Vec<u8> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (state >> 33) as u8
            })
            .collect()
    }

    /// A random matrix of `kind` whose block scales are sane f16 values.
    fn matrix(kind: GgmlType, rows: usize, columns: usize, seed: u64) -> QMatrix {
        let (_, bytes) = kind.block();
        let mut data = noise(rows * columns / BLOCK * bytes as usize, seed);
        for block in data.chunks_exact_mut(bytes as usize) {
            let scale = f16::from_f32(0.01 + f32::from(block[0]) / 5000.0);
            block[..2].copy_from_slice(&scale.to_le_bytes());
            if kind == GgmlType::Q4_1 {
                let minimum = f16::from_f32(-0.05 + f32::from(block[3]) / 4000.0);
                block[2..4].copy_from_slice(&minimum.to_le_bytes());
            }
        }
        QMatrix::new(kind, rows, columns, data).unwrap()
    }

    #[test]
    fn quantized_products_match_the_dequantized_weights() {
        let x: Vec<f32> = noise(256, 9).iter().map(|&b| f32::from(b) / 128.0 - 1.0).collect();
        let xq = quantize(&x);
        for kind in [GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q8_0] {
            let m = matrix(kind, 37, 256, kind.id().into());
            let (mut fast, mut reference) = (vec![0.0; 37], vec![0.0; 37]);
            m.matvec_with(&x, &xq, &mut reference, Kernel::Scalar);
            m.matvec_with(&x, &xq, &mut fast, Kernel::best());
            for r in 0..37 {
                // The same integer sums; only the order of the f32 additions differs.
                assert!((fast[r] - reference[r]).abs() <= 1e-5 * (1.0 + reference[r].abs()), "{kind:?} row {r}");
                // Against exact f32 arithmetic on the dequantised row, the only error is the
                // input's 8-bit rounding: at most half a step per value.
                let row = m.dequantize_row(r);
                let exact: f32 = row.iter().zip(&x).map(|(w, v)| w * v).sum();
                let bound: f32 = row
                    .chunks(BLOCK)
                    .enumerate()
                    .map(|(b, ws)| ws.iter().map(|w| w.abs()).sum::<f32>() * xq.scales[b] / 2.0)
                    .sum();
                assert!((reference[r] - exact).abs() <= bound * 1.01 + 1e-5, "{kind:?} row {r}");
            }
        }
    }

    #[test]
    fn blocks_decode_as_ggml_defines_them() {
        // One Q4_1 block: d = 0.5, m = -1, byte j = (j % 16) | (15 - j % 16) << 4.
        let mut block = f16::from_f32(0.5).to_le_bytes().to_vec();
        block.extend_from_slice(&f16::from_f32(-1.0).to_le_bytes());
        block.extend((0..16u8).map(|j| j | (15 - j) << 4));
        let m = QMatrix::new(GgmlType::Q4_1, 1, 32, block).unwrap();
        let row = m.dequantize_row(0);
        assert_eq!(row[0], -1.0);
        assert_eq!(row[15], 6.5);
        assert_eq!(row[16], 6.5);
        assert_eq!(row[31], -1.0);
        assert!(QMatrix::new(GgmlType::Q4_1, 2, 32, vec![0; 20]).unwrap_err().to_string().contains("needs 40 bytes"));
        assert!(QMatrix::new(GgmlType::Q8_0, 1, 30, vec![0; 34]).is_err());
        let q = quantize(&[0.0; 32]);
        assert_eq!((q.scales[0], q.quants[5]), (0.0, 0));
    }
}
