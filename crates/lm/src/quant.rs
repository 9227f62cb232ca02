//! Quantised weight matrices as GGUF stores them, and matrix–vector products over them.
//!
//! The products follow llama.cpp's scheme: the input vector is itself quantised to 8 bits in blocks
//! of 32 (one f32 scale per block, plus the block's sum for formats with an offset), so each block
//! of a row is an integer dot product of 32 pairs and one or two multiplications. Every format is
//! read as stretches of 32 values, `value[i] = scale[i / 16] · weight[i] + offset` with small
//! integer weights — the K-quants' 256-value super-blocks are eight such stretches — so one
//! portable scalar kernel is the reference for all of them. An AVX2 kernel, chosen at run time,
//! unpacks the weights with vector instructions, computes the same integer sums and differs only in
//! the order the f32 results are added.

use half::f16;
use rayon::prelude::*;

use std::sync::Mutex;

use crate::LmError;
use crate::team::Team;

/// Products with less work than this (matrix bytes times inputs) stay on the calling thread:
/// handing part of them to the team costs about a microsecond, which a product this small would
/// not win back.
const PARALLEL_BYTES: usize = 1 << 15;

/// Values per quantisation block in every block format here.
pub const BLOCK: usize = 32;

/// The ggml tensor types vecspace reads: the float types and what the common quantisation mixes
/// (`Q3_K_M`, `Q4_K_M`, `Q5_K_M`, `Q6_K`, `Q8_0`, and the older `Q4_0`…`Q5_1`) contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[allow(non_camel_case_types)]
pub enum GgmlType {
    F32,
    F16,
    /// The upper half of an f32.
    BF16,
    /// 32 values as 4-bit `q`, value `(q − 8)·d`: an f16 scale, then 16 bytes.
    Q4_0,
    /// 32 values as 4-bit `q`, value `q·d + m`: f16 scale and minimum, then 16 bytes. Byte `j`
    /// holds value `j` in its low nibble and value `j + 16` in its high nibble.
    Q4_1,
    /// As Q4_0 with a fifth bit per value (32 bits after the scale), value `(q − 16)·d`.
    Q5_0,
    /// As Q4_1 with a fifth bit per value (32 bits after scale and minimum).
    Q5_1,
    /// 32 values as signed bytes, value `q·d`: an f16 scale, then 32 bytes.
    Q8_0,
    /// 256 values in 16 groups of 16 with 6-bit signed group scales; 3-bit values (two low bits
    /// packed four to a byte, the third in a 32-byte mask), value `d·s·(q − 4)`.
    Q3_K,
    /// 256 values in 8 groups of 32 with 6-bit group scales and minima, 4-bit values:
    /// value `d·s·q − dmin·m`.
    Q4_K,
    /// As Q4_K with a fifth bit per value in a 32-byte mask.
    Q5_K,
    /// 256 values in 16 groups of 16 with signed 8-bit group scales; 6-bit values (four low bits
    /// in nibbles, two high bits packed four to a byte), value `d·s·(q − 32)`.
    Q6_K,
}

/// Every ggml type id and its name, for messages about the types vecspace does not read.
const GGML_NAMES: [(u32, &str); 39] = [
    (0, "F32"),
    (1, "F16"),
    (2, "Q4_0"),
    (3, "Q4_1"),
    (4, "Q4_2"),
    (5, "Q4_3"),
    (6, "Q5_0"),
    (7, "Q5_1"),
    (8, "Q8_0"),
    (9, "Q8_1"),
    (10, "Q2_K"),
    (11, "Q3_K"),
    (12, "Q4_K"),
    (13, "Q5_K"),
    (14, "Q6_K"),
    (15, "Q8_K"),
    (16, "IQ2_XXS"),
    (17, "IQ2_XS"),
    (18, "IQ3_XXS"),
    (19, "IQ1_S"),
    (20, "IQ4_NL"),
    (21, "IQ3_S"),
    (22, "IQ2_S"),
    (23, "IQ4_XS"),
    (24, "I8"),
    (25, "I16"),
    (26, "I32"),
    (27, "I64"),
    (28, "F64"),
    (29, "IQ1_M"),
    (30, "BF16"),
    (31, "Q4_0_4_4"),
    (32, "Q4_0_4_8"),
    (33, "Q4_0_8_8"),
    (34, "TQ1_0"),
    (35, "TQ2_0"),
    (36, "IQ4_NL_4_4"),
    (39, "MXFP4"),
    (40, "NVFP4"),
];

impl GgmlType {
    /// Every type vecspace reads, in ggml's order.
    pub const ALL: [GgmlType; 12] = [
        GgmlType::F32,
        GgmlType::F16,
        GgmlType::Q4_0,
        GgmlType::Q4_1,
        GgmlType::Q5_0,
        GgmlType::Q5_1,
        GgmlType::Q8_0,
        GgmlType::Q3_K,
        GgmlType::Q4_K,
        GgmlType::Q5_K,
        GgmlType::Q6_K,
        GgmlType::BF16,
    ];

    pub fn from_id(id: u32) -> Option<GgmlType> {
        GgmlType::ALL.into_iter().find(|kind| kind.id() == id)
    }

    pub fn id(self) -> u32 {
        match self {
            GgmlType::F32 => 0,
            GgmlType::F16 => 1,
            GgmlType::Q4_0 => 2,
            GgmlType::Q4_1 => 3,
            GgmlType::Q5_0 => 6,
            GgmlType::Q5_1 => 7,
            GgmlType::Q8_0 => 8,
            GgmlType::Q3_K => 11,
            GgmlType::Q4_K => 12,
            GgmlType::Q5_K => 13,
            GgmlType::Q6_K => 14,
            GgmlType::BF16 => 30,
        }
    }

    /// ggml's name of a type id (`"IQ2_XXS"`), or `None` for an id ggml does not define.
    pub fn name_of_id(id: u32) -> Option<&'static str> {
        GGML_NAMES.iter().find(|(known, _)| *known == id).map(|(_, name)| *name)
    }

    /// The names of the types vecspace reads, for error messages.
    pub fn supported_names() -> String {
        GgmlType::ALL.map(|kind| format!("{kind:?}")).join(", ")
    }

    /// (values, bytes) of one storage block.
    pub fn block(self) -> (u64, u64) {
        match self {
            GgmlType::F32 => (1, 4),
            GgmlType::F16 | GgmlType::BF16 => (1, 2),
            GgmlType::Q4_0 => (32, 18),
            GgmlType::Q4_1 => (32, 20),
            GgmlType::Q5_0 => (32, 22),
            GgmlType::Q5_1 => (32, 24),
            GgmlType::Q8_0 => (32, 34),
            GgmlType::Q3_K => (256, 110),
            GgmlType::Q4_K => (256, 144),
            GgmlType::Q5_K => (256, 176),
            GgmlType::Q6_K => (256, 210),
        }
    }

    /// Whether values are stored one by one as floats rather than in quantised blocks.
    pub fn is_float(self) -> bool {
        matches!(self, GgmlType::F32 | GgmlType::F16 | GgmlType::BF16)
    }

    /// Bytes that `count` values take, or `None` when `count` is not a whole number of blocks or
    /// the size does not fit 64 bits (a crafted shape).
    pub fn bytes_for(self, count: u64) -> Option<u64> {
        let (values, bytes) = self.block();
        if count.is_multiple_of(values) { (count / values).checked_mul(bytes) } else { None }
    }
}

/// The f16 at the start of `bytes`, as f32.
fn half(bytes: &[u8]) -> f32 {
    f16::from_le_bytes([bytes[0], bytes[1]]).to_f32()
}

fn bf16(bytes: &[u8]) -> f32 {
    f32::from_bits(u32::from(u16::from_le_bytes([bytes[0], bytes[1]])) << 16)
}

/// How one stretch of 32 quantised values turns into numbers besides its integer weights:
/// `value[i] = scales[i / 16] · weight[i] + offset`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ChunkScales {
    scales: [f32; 2],
    offset: f32,
}

/// The 6-bit scale and minimum of group `j` (0–7) of a Q4_K or Q5_K block, from the 12 bytes that
/// pack them: groups 0–3 in the low six bits of bytes 0–3 (scales) and 4–7 (minima); groups 4–7
/// take their low four bits from bytes 8–11 and their top two from the spare bits of bytes 0–7.
fn k_scale_min(packed: &[u8], j: usize) -> (u8, u8) {
    if j < 4 {
        (packed[j] & 63, packed[j + 4] & 63)
    } else {
        ((packed[j + 4] & 15) | ((packed[j - 4] >> 6) << 4), (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4))
    }
}

/// The signed 6-bit scale of group `k` (0–15) of a Q3_K block, from its 12 packed bytes: low four
/// bits from nibbles of bytes 0–7, high two bits from bytes 8–11, then minus 32.
fn q3k_scale(packed: &[u8], k: usize) -> i8 {
    let low = (packed[k % 8] >> (4 * (k / 8))) & 15;
    let high = (packed[8 + k % 4] >> (2 * (k / 4))) & 3;
    (low | high << 4) as i8 - 32
}

/// The scales of stretch `j` (0 for the 32-value formats, 0–7 in a K-quant block) of `block`.
fn chunk_scales(kind: GgmlType, block: &[u8], j: usize) -> ChunkScales {
    let uniform = |d: f32, offset: f32| ChunkScales { scales: [d, d], offset };
    match kind {
        GgmlType::Q4_0 | GgmlType::Q5_0 | GgmlType::Q8_0 => uniform(half(block), 0.0),
        GgmlType::Q4_1 | GgmlType::Q5_1 => uniform(half(block), half(&block[2..])),
        GgmlType::Q4_K | GgmlType::Q5_K => {
            let (scale, minimum) = k_scale_min(&block[4..16], j);
            uniform(half(block) * f32::from(scale), -(half(&block[2..]) * f32::from(minimum)))
        }
        GgmlType::Q3_K => {
            let d = half(&block[108..]);
            let scale = |k: usize| d * f32::from(q3k_scale(&block[96..108], k));
            ChunkScales { scales: [scale(2 * j), scale(2 * j + 1)], offset: 0.0 }
        }
        GgmlType::Q6_K => {
            let d = half(&block[208..]);
            let scale = |k: usize| d * f32::from(block[192 + k] as i8);
            ChunkScales { scales: [scale(2 * j), scale(2 * j + 1)], offset: 0.0 }
        }
        GgmlType::F32 | GgmlType::F16 | GgmlType::BF16 => unreachable!("float rows are not block-quantised"),
    }
}

/// The integer weights of stretch `j` of `block`: the reference unpacking, one value at a time.
fn chunk_weights(kind: GgmlType, block: &[u8], j: usize) -> [i8; 32] {
    // Value i of a 32-value block: the low nibble of byte i, or the high nibble of byte i − 16.
    let nibble = |qs: &[u8], i: usize| (qs[i % 16] >> (4 * (i / 16))) & 15;
    let fifth_bit = |qh: &[u8], i: usize| ((u32::from_le_bytes(qh[..4].try_into().expect("4 bytes")) >> i) & 1) as u8;
    std::array::from_fn(|i| match kind {
        GgmlType::Q4_0 => nibble(&block[2..], i) as i8 - 8,
        GgmlType::Q4_1 => nibble(&block[4..], i) as i8,
        GgmlType::Q5_0 => (nibble(&block[6..], i) | fifth_bit(&block[2..], i) << 4) as i8 - 16,
        GgmlType::Q5_1 => (nibble(&block[8..], i) | fifth_bit(&block[4..], i) << 4) as i8,
        GgmlType::Q8_0 => block[2 + i] as i8,
        GgmlType::Q4_K => ((block[16 + j / 2 * 32 + i] >> (4 * (j % 2))) & 15) as i8,
        GgmlType::Q5_K => {
            let low = (block[48 + j / 2 * 32 + i] >> (4 * (j % 2))) & 15;
            (low | ((block[16 + i] >> j) & 1) << 4) as i8
        }
        GgmlType::Q3_K => {
            let low = (block[32 + j / 4 * 32 + i] >> (2 * (j % 4))) & 3;
            (low | ((block[i] >> j) & 1) << 2) as i8 - 4
        }
        GgmlType::Q6_K => {
            let (half, quarter) = (j / 4, j % 4);
            let low = (block[half * 64 + quarter % 2 * 32 + i] >> (4 * (quarter / 2))) & 15;
            let high = (block[128 + half * 32 + i] >> (2 * quarter)) & 3;
            (low | high << 4) as i8 - 32
        }
        GgmlType::F32 | GgmlType::F16 | GgmlType::BF16 => unreachable!("float rows are not block-quantised"),
    })
}

/// A vector quantised to 8 bits, as the input of the products: one scale per stretch of 32 values
/// (repeated across a super-block when the scale is the super-block's).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Q8Vector {
    pub scales: Vec<f32>,
    /// Each stretch's `scale · Σ q`, for formats whose values carry an offset.
    pub sums: Vec<f32>,
    pub quants: Vec<i8>,
}

/// A product's input, quantised as llama.cpp quantises it for each kind of weight row, so that
/// the two compute the same integer sums from the same rounded inputs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Q8Input {
    /// Blocks of 32 with an f16 scale (ggml's `Q8_0`, and `Q8_1` with its f16 sum): the input of
    /// the 32-value formats.
    pub blocks: Q8Vector,
    /// Super-blocks of 256 with an f32 scale (ggml's `Q8_K`): the input of the K-quants; `None`
    /// when the length is not a whole number of super-blocks.
    pub super_blocks: Option<Q8Vector>,
}

impl Q8Input {
    /// The quantised input rows of `kind` are multiplied with.
    pub fn for_kind(&self, kind: GgmlType) -> &Q8Vector {
        let vector = match (kind.block().0 as usize == SUPER_BLOCK, &self.super_blocks) {
            (true, Some(super_blocks)) => super_blocks,
            _ => &self.blocks,
        };
        debug_assert!(kind.is_float() || !vector.quants.is_empty(), "the input was not quantised for {kind:?}");
        vector
    }
}

/// Values per K-quant super-block.
pub const SUPER_BLOCK: usize = 256;

/// Quantises `x` (a whole number of blocks of 32) for every kind of row: see [`Q8Input`].
pub fn quantize(x: &[f32]) -> Q8Input {
    let super_blocks = x.len().is_multiple_of(SUPER_BLOCK).then(|| quantize_super_blocks(x));
    Q8Input { blocks: quantize_blocks(x), super_blocks }
}

/// Quantises `x` only as rows of `kinds` need it (half the work where all are K-quants, or none
/// is); [`Q8Input::for_kind`] must then be asked only for those kinds.
pub fn quantize_for(x: &[f32], kinds: &[GgmlType]) -> Q8Input {
    let whole = x.len().is_multiple_of(SUPER_BLOCK);
    let is_k = |kind: &GgmlType| kind.block().0 as usize == SUPER_BLOCK;
    let super_blocks = (whole && kinds.iter().any(is_k)).then(|| quantize_super_blocks(x));
    let need_blocks = !whole || kinds.iter().any(|k| !is_k(k));
    let blocks = if need_blocks { quantize_blocks(x) } else { Q8Vector::default() };
    Q8Input { blocks, super_blocks }
}

/// Rounds to the nearest integer, ties to even, as ggml does: adding 1.5 · 2²³ leaves no bits for
/// a fraction, so the addition itself rounds (exact for |v| < 2²²; the values here lie within
/// ±128). `f32::round_ties_even` is a call into libm on baseline x86-64, 4 % of decoding.
fn round_ties_even(v: f32) -> f32 {
    const SHIFT: f32 = 12_582_912.0;
    (v + SHIFT) - SHIFT
}

/// Blocks of 32 as ggml's vectorised `Q8_0`/`Q8_1` quantisation makes them: `q = x · 127 / max|x|`
/// rounded to nearest (ties to even), the scale `max|x| / 127` stored as f16, and the block's
/// `scale · Σ q` as f16.
pub fn quantize_blocks(x: &[f32]) -> Q8Vector {
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
        let inverse = if max > 0.0 { 127.0 / max } else { 0.0 };
        let mut sum = 0i32;
        for &v in block {
            let q = round_ties_even(v * inverse) as i8;
            sum += i32::from(q);
            out.quants.push(q);
        }
        out.scales.push(f16::from_f32(d).to_f32());
        out.sums.push(f16::from_f32(d * sum as f32).to_f32());
    }
    out
}

/// Super-blocks of 256 as ggml's `Q8_K` makes them: the value of largest magnitude maps to −127,
/// `q = round(x · −127 / max)` (ties to even, at most 127), one f32 scale `max / −127`.
pub fn quantize_super_blocks(x: &[f32]) -> Q8Vector {
    assert!(x.len().is_multiple_of(SUPER_BLOCK), "vectors are quantised in whole super-blocks of {SUPER_BLOCK}");
    let chunks = x.len() / BLOCK;
    let mut out = Q8Vector {
        scales: Vec::with_capacity(chunks),
        sums: Vec::with_capacity(chunks),
        quants: Vec::with_capacity(x.len()),
    };
    for block in x.chunks_exact(SUPER_BLOCK) {
        let max = block.iter().fold(0.0f32, |m, &v| if v.abs() > m.abs() { v } else { m });
        let (inverse, d) = if max == 0.0 { (0.0, 0.0) } else { (-127.0 / max, max / -127.0) };
        // ggml keeps 1 / inverse, which can differ from max / −127 in the last bit.
        let d = if d == 0.0 { d } else { 1.0 / inverse };
        for chunk in block.chunks_exact(BLOCK) {
            let mut sum = 0i32;
            for &v in chunk {
                let q = (round_ties_even(v * inverse) as i32).min(127) as i8;
                sum += i32::from(q);
                out.quants.push(q);
            }
            out.scales.push(d);
            out.sums.push(d * sum as f32);
        }
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
        if !kind.is_float() && !columns.is_multiple_of(BLOCK) {
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

    /// Row `r` as f32 values, computed as the `gguf` package and ggml compute them.
    pub fn dequantize_row(&self, r: usize) -> Vec<f32> {
        let row = &self.data[r * self.row_bytes()..(r + 1) * self.row_bytes()];
        let mut out = Vec::with_capacity(self.columns);
        match self.kind {
            GgmlType::F32 => out.extend(row.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4")))),
            GgmlType::F16 => out.extend(row.chunks_exact(2).map(half)),
            GgmlType::BF16 => out.extend(row.chunks_exact(2).map(bf16)),
            kind => {
                let (values, bytes) = kind.block();
                for block in row.chunks_exact(bytes as usize) {
                    for j in 0..values as usize / BLOCK {
                        let (weights, scales) = (chunk_weights(kind, block, j), chunk_scales(kind, block, j));
                        out.extend(weights.iter().enumerate().map(|(i, &w)| {
                            let product = scales.scales[i / 16] * f32::from(w);
                            // ggml adds no offset where the format has none (keeping −0.0).
                            if scales.offset == 0.0 { product } else { product + scales.offset }
                        }));
                    }
                }
            }
        }
        out
    }

    /// `out = self · x`. `xq` must be `quantize(x)`; float rows use `x` itself.
    pub fn matvec(&self, x: &[f32], xq: &Q8Input, out: &mut [f32]) {
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

    /// `matvec` with a chosen kernel (the reference or the fast one), for tests and benchmarks:
    /// a batch of one.
    pub fn matvec_with(&self, x: &[f32], xq: &Q8Input, out: &mut [f32], kernel: Kernel) {
        assert_eq!(out.len(), self.rows, "one output per row");
        let mut outs = vec![Vec::new()];
        self.matmul_with(&[x.to_vec()], std::slice::from_ref(xq), &mut outs, kernel);
        out.copy_from_slice(&outs[0]);
    }
}

impl QMatrix {
    /// `out[t] = self · xs[t]` for a batch of inputs (a prompt's tokens), reading each weight row
    /// once for up to four inputs. `xq[t]` must be `quantize(xs[t])`.
    pub fn matmul(&self, xs: &[Vec<f32>], xq: &[Q8Input], out: &mut [Vec<f32>]) {
        self.matmul_with(xs, xq, out, Kernel::best());
    }

    /// `matmul` with a chosen kernel.
    pub fn matmul_with(&self, xs: &[Vec<f32>], xq: &[Q8Input], out: &mut [Vec<f32>], kernel: Kernel) {
        assert!(xs.len() == xq.len() && xs.len() == out.len(), "one quantised input and one output per input");
        assert!(xs.iter().all(|x| x.len() == self.columns), "every input's length must equal the row length");
        if xs.is_empty() {
            return;
        }
        out.iter_mut().for_each(|o| o.resize(self.rows, 0.0));
        let quantized: Vec<&Q8Vector> = xq.iter().map(|q| q.for_kind(self.kind)).collect();
        let row_bytes = self.row_bytes();
        // Each task fills rows first..first + count of every output, row by row, input by input.
        let row = |r: usize| &self.data[r * row_bytes..(r + 1) * row_bytes];
        let fill = |first: usize, count: usize, values: &mut [f32]| {
            #[cfg(target_arch = "x86_64")]
            if kernel == Kernel::Avx512Vnni && !self.kind.is_float() && xs.len() > 1 {
                let rows: Vec<&[u8]> = (first..first + count).map(row).collect();
                avx2::octet_matmul(self.kind, &rows, &quantized, values);
                return;
            }
            for (r, into) in values.chunks_exact_mut(xs.len()).enumerate() {
                dot_many(self.kind, row(first + r), xs, &quantized, into, kernel);
            }
        };
        // A batch multiplies each row several times: what pays for another thread is the work,
        // the matrix's bytes times the inputs.
        let work = self.data.len().saturating_mul(xs.len());
        let team = Team::global();
        let parts = if work < PARALLEL_BYTES { 1 } else { team.size() };
        let per_part = self.rows.div_ceil(parts).max(1);
        let run = |part: &(dyn Fn(usize) + Sync)| if parts == 1 { part(0) } else { team.run(part) };
        if let [single] = out {
            // One input (decoding): rows are outputs, so each task writes its own part in place
            // (a vocabulary-sized output is megabytes to copy a token).
            let chunks: Vec<Mutex<&mut [f32]>> = single.chunks_mut(per_part).map(Mutex::new).collect();
            run(&|i: usize| {
                if let Some(chunk) = chunks.get(i) {
                    let mut chunk = chunk.lock().unwrap_or_else(|p| p.into_inner());
                    fill(i * per_part, chunk.len(), &mut chunk);
                }
            });
            return;
        }
        let tasks: Vec<(usize, usize)> = (0..parts)
            .map(|i| (i * per_part).min(self.rows))
            .map(|first| (first, per_part.min(self.rows - first)))
            .collect();
        let results: Vec<Mutex<Vec<f32>>> = tasks.iter().map(|_| Mutex::new(Vec::new())).collect();
        run(&|i: usize| {
            if let Some(&(first, count)) = tasks.get(i) {
                let mut values = vec![0.0f32; count * xs.len()];
                fill(first, count, &mut values);
                *results[i].lock().unwrap_or_else(|p| p.into_inner()) = values;
            }
        });
        let results = results.into_iter().map(|r| r.into_inner().unwrap_or_else(|p| p.into_inner()));
        for (&(first, count), values) in tasks.iter().zip(results) {
            for r in 0..count {
                for (t, o) in out.iter_mut().enumerate() {
                    o[first + r] = values[r * xs.len() + t];
                }
            }
        }
    }
}

/// One row times every input, four inputs at a time through the fast kernel.
fn dot_many(kind: GgmlType, row: &[u8], xs: &[Vec<f32>], xq: &[&Q8Vector], out: &mut [f32], kernel: Kernel) {
    #[cfg(target_arch = "x86_64")]
    if kernel.is_avx2() && !kind.is_float() {
        let mut t = 0;
        while t + 4 <= xs.len() {
            let values = avx2::dot_with(kernel, kind, row, [xq[t], xq[t + 1], xq[t + 2], xq[t + 3]]);
            out[t..t + 4].copy_from_slice(&values);
            t += 4;
        }
        for t in t..xs.len() {
            let [value] = avx2::dot_with(kernel, kind, row, [xq[t]]);
            out[t] = value;
        }
        return;
    }
    for (t, value) in out.iter_mut().enumerate() {
        *value = dot(kind, row, &xs[t], xq[t], kernel);
    }
}

/// Which implementation of the block dot products to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// Portable scalar code: the reference.
    Scalar,
    /// AVX2, FMA and F16C (x86-64, since 2013), when the CPU has them.
    Avx2,
    /// The AVX2 kernel with AVX-512 VNNI's byte dot product on 256-bit registers (Intel since
    /// 2019, AMD since Zen 4): one instruction where AVX2 needs two, and none of the sign
    /// juggling for the formats whose codes are unsigned. A batch of several inputs (a prompt)
    /// goes eight rows at a time, one per lane (`octet_matmul`). The same integer sums, scaled
    /// and added in the same order, so the same results to the bit.
    Avx512Vnni,
}

impl Kernel {
    /// The fastest kernel this CPU runs.
    pub fn best() -> Kernel {
        *Kernel::available().last().expect("the scalar kernel runs everywhere")
    }

    /// Every kernel this CPU runs, the reference first and the fastest last.
    pub fn available() -> Vec<Kernel> {
        let mut kernels = vec![Kernel::Scalar];
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
            && std::arch::is_x86_feature_detected!("f16c")
        {
            kernels.push(Kernel::Avx2);
            if std::arch::is_x86_feature_detected!("avx512vnni") && std::arch::is_x86_feature_detected!("avx512vl") {
                kernels.push(Kernel::Avx512Vnni);
            }
        }
        kernels
    }

    /// Whether this is one of the x86 vector kernels (which imply AVX2, FMA and F16C).
    pub fn is_avx2(self) -> bool {
        matches!(self, Kernel::Avx2 | Kernel::Avx512Vnni)
    }
}

fn dot(kind: GgmlType, row: &[u8], x: &[f32], xq: &Q8Vector, kernel: Kernel) -> f32 {
    match kind {
        GgmlType::F32 => {
            row.chunks_exact(4).zip(x).map(|(b, v)| f32::from_le_bytes(b.try_into().expect("4")) * v).sum()
        }
        GgmlType::F16 => row.chunks_exact(2).zip(x).map(|(b, v)| half(b) * v).sum(),
        GgmlType::BF16 => row.chunks_exact(2).zip(x).map(|(b, v)| bf16(b) * v).sum(),
        _ => {
            #[cfg(target_arch = "x86_64")]
            if kernel.is_avx2() {
                let [value] = avx2::dot_with(kernel, kind, row, [xq]);
                return value;
            }
            let _ = kernel;
            dot_scalar(kind, row, xq)
        }
    }
}

/// The reference block dot product of a quantised row with a quantised vector: per stretch of 32,
/// `dx · (s₀ · Σ₀..₁₅ w·q + s₁ · Σ₁₆..₃₁ w·q) + offset · Σ x`.
fn dot_scalar(kind: GgmlType, row: &[u8], xq: &Q8Vector) -> f32 {
    let (values, block_bytes) = kind.block();
    let chunks_per_block = values as usize / BLOCK;
    let mut total = 0.0f32;
    for (b, block) in row.chunks_exact(block_bytes as usize).enumerate() {
        for j in 0..chunks_per_block {
            let c = b * chunks_per_block + j;
            let xs = &xq.quants[c * BLOCK..(c + 1) * BLOCK];
            let weights = chunk_weights(kind, block, j);
            let half_sum = |range: std::ops::Range<usize>| -> i32 {
                range.map(|i| i32::from(weights[i]) * i32::from(xs[i])).sum()
            };
            let scales = chunk_scales(kind, block, j);
            let scaled = scales.scales[0] * half_sum(0..16) as f32 + scales.scales[1] * half_sum(16..32) as f32;
            total += xq.scales[c] * scaled + scales.offset * xq.sums[c];
        }
    }
    total
}

#[cfg(target_arch = "x86_64")]
/// The same sums as `dot_scalar`, eight at a time, for `N` inputs at once: each stretch of
/// weights is unpacked once and multiplied with every input (a prompt's tokens), so a batch
/// reads the matrix once. Each type has its own loop, in which `weights` is unpacked for that
/// type alone and the scales are decoded with F16C once per block: a loop shared by all types,
/// deciding per stretch, ran at a quarter of the speed. Written once and compiled for each set of
/// CPU features; `$accumulate::<UNSIGNED>` adds one stretch's products to an accumulator, told
/// whether the type's codes are unsigned.
macro_rules! block_dot {
    ($name:ident, $features:literal, $accumulate:ident) => {
        #[target_feature(enable = $features)]
        pub fn $name<const N: usize>(kind: GgmlType, row: &[u8], xq: [&Q8Vector; N]) -> [f32; N] {
            let bytes = kind.block().1 as usize;
            let mut acc = [_mm256_setzero_ps(); N];
            let mut offsets = [0.0f32; N];
            match kind {
                GgmlType::Q4_0 | GgmlType::Q5_0 | GgmlType::Q8_0 => {
                    for (c, block) in row.chunks_exact(bytes).enumerate() {
                        let d = half(block);
                        let w = match kind {
                            GgmlType::Q4_0 => weights(GgmlType::Q4_0, block, 0),
                            GgmlType::Q5_0 => weights(GgmlType::Q5_0, block, 0),
                            _ => weights(GgmlType::Q8_0, block, 0),
                        };
                        let scales = _mm256_set1_ps(d);
                        for i in 0..N {
                            acc[i] = $accumulate::<false>(acc[i], w, xq[i], c, scales);
                        }
                    }
                }
                GgmlType::Q4_1 | GgmlType::Q5_1 => {
                    for (c, block) in row.chunks_exact(bytes).enumerate() {
                        let (d, m) = halves(block);
                        let w = match kind {
                            GgmlType::Q4_1 => weights(GgmlType::Q4_1, block, 0),
                            _ => weights(GgmlType::Q5_1, block, 0),
                        };
                        let scales = _mm256_set1_ps(d);
                        for i in 0..N {
                            acc[i] = $accumulate::<true>(acc[i], w, xq[i], c, scales);
                            offsets[i] += m * xq[i].sums[c];
                        }
                    }
                }
                GgmlType::Q4_K | GgmlType::Q5_K => {
                    for (b, block) in row.chunks_exact(bytes).enumerate() {
                        let (d, dmin) = halves(block);
                        for j in 0..8 {
                            let c = b * 8 + j;
                            let (scale, minimum) = k_scale_min(&block[4..16], j);
                            let w = match kind {
                                GgmlType::Q4_K => weights(GgmlType::Q4_K, block, j),
                                _ => weights(GgmlType::Q5_K, block, j),
                            };
                            let (s, offset) = (d * f32::from(scale), -(dmin * f32::from(minimum)));
                            let scales = _mm256_set1_ps(s);
                            for i in 0..N {
                                acc[i] = $accumulate::<true>(acc[i], w, xq[i], c, scales);
                                offsets[i] += offset * xq[i].sums[c];
                            }
                        }
                    }
                }
                GgmlType::Q3_K | GgmlType::Q6_K => {
                    for (b, block) in row.chunks_exact(bytes).enumerate() {
                        let (d, scales) = match kind {
                            GgmlType::Q3_K => {
                                (half(&block[108..]), std::array::from_fn(|k| q3k_scale(&block[96..108], k)))
                            }
                            _ => (half(&block[208..]), std::array::from_fn(|k| block[192 + k] as i8)),
                        };
                        let scales: [i8; 16] = scales;
                        for j in 0..8 {
                            let w = match kind {
                                GgmlType::Q3_K => weights(GgmlType::Q3_K, block, j),
                                _ => weights(GgmlType::Q6_K, block, j),
                            };
                            let (s0, s1) = (d * f32::from(scales[2 * j]), d * f32::from(scales[2 * j + 1]));
                            let pair = _mm256_set_m128(_mm_set1_ps(s1), _mm_set1_ps(s0));
                            for i in 0..N {
                                acc[i] = $accumulate::<false>(acc[i], w, xq[i], b * 8 + j, pair);
                            }
                        }
                    }
                }
                GgmlType::F32 | GgmlType::F16 | GgmlType::BF16 => unreachable!("float rows are not block-quantised"),
            }
            std::array::from_fn(|i| horizontal_sum(acc[i]) + offsets[i])
        }
    };
}

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2 {
    use std::arch::x86_64::*;

    use super::{BLOCK, GgmlType, Q8Vector, k_scale_min, q3k_scale};

    /// Sum of the eight lanes.
    #[target_feature(enable = "avx2,fma,f16c")]
    pub(crate) fn horizontal_sum(v: __m256) -> f32 {
        let pair = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        let quad = _mm_add_ps(pair, _mm_movehl_ps(pair, pair));
        _mm_cvtss_f32(_mm_add_ss(quad, _mm_shuffle_ps(quad, quad, 1)))
    }

    /// The 32 nibbles of the 16 bytes at the start of `bytes`: low nibbles first, then high ones.
    #[target_feature(enable = "avx2,fma,f16c")]
    fn nibbles(bytes: &[u8]) -> __m256i {
        let bytes: &[u8; 16] = bytes[..16].try_into().expect("16 bytes");
        // SAFETY: an unaligned load of exactly the 16 bytes borrowed.
        let packed = unsafe { _mm_loadu_si128(bytes.as_ptr().cast()) };
        let mask = _mm_set1_epi8(15);
        let low = _mm_and_si128(packed, mask);
        let high = _mm_and_si128(_mm_srli_epi16(packed, 4), mask);
        _mm256_set_m128i(high, low)
    }

    /// 32 bytes from the start of `bytes` (which must hold at least 32).
    #[target_feature(enable = "avx2,fma,f16c")]
    fn load32(bytes: &[u8]) -> __m256i {
        let bytes: &[u8; 32] = bytes[..32].try_into().expect("32 bytes");
        // SAFETY: an unaligned load of exactly the 32 bytes borrowed.
        unsafe { _mm256_loadu_si256(bytes.as_ptr().cast()) }
    }

    /// Bits `shift..shift + width` of each byte of `v`, as values `0..2^width`.
    #[target_feature(enable = "avx2,fma,f16c")]
    fn bits(v: __m256i, shift: usize, mask: u8) -> __m256i {
        // A 16-bit shift moves bits across the two bytes of a lane; the mask keeps only the byte's own.
        _mm256_and_si256(_mm256_srl_epi16(v, _mm_cvtsi32_si128(shift as i32)), _mm256_set1_epi8(mask as i8))
    }

    /// `value << shift` for byte values that stay below 256.
    #[target_feature(enable = "avx2,fma,f16c")]
    fn shl(v: __m256i, shift: usize) -> __m256i {
        _mm256_sll_epi16(v, _mm_cvtsi32_si128(shift as i32))
    }

    /// The 32 bits of the little-endian u32 at the start of `bytes` as 32 bytes, 16 where the bit
    /// is set and 0 elsewhere: the fifth bits of Q5_0 and Q5_1.
    #[target_feature(enable = "avx2,fma,f16c")]
    fn fifth_bits(bytes: &[u8]) -> __m256i {
        let word = u32::from_le_bytes(bytes[..4].try_into().expect("4 bytes"));
        // Byte i takes byte i / 8 of the word, then keeps bit i % 8 of it.
        let spread = _mm256_shuffle_epi8(
            _mm256_set1_epi32(word as i32),
            _mm256_set_epi64x(0x0303_0303_0303_0303, 0x0202_0202_0202_0202, 0x0101_0101_0101_0101, 0),
        );
        let bit = _mm256_set1_epi64x(0x8040_2010_0804_0201_u64 as i64);
        let set = _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
        _mm256_and_si256(set, _mm256_set1_epi8(16))
    }

    /// The codes of stretch `j` of `block` as stored, unsigned: the weights plus [`bias`].
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    fn codes(kind: GgmlType, block: &[u8], j: usize) -> __m256i {
        match kind {
            // Flipping the top bit of a signed byte adds 128, read unsigned.
            GgmlType::Q8_0 => _mm256_xor_si256(load32(&block[2..]), _mm256_set1_epi8(-128)),
            GgmlType::Q4_0 => nibbles(&block[2..]),
            GgmlType::Q4_1 => nibbles(&block[4..]),
            GgmlType::Q5_0 => _mm256_or_si256(nibbles(&block[6..]), fifth_bits(&block[2..])),
            GgmlType::Q5_1 => _mm256_or_si256(nibbles(&block[8..]), fifth_bits(&block[4..])),
            GgmlType::Q4_K => bits(load32(&block[16 + j / 2 * 32..]), 4 * (j % 2), 15),
            GgmlType::Q5_K => {
                let low = bits(load32(&block[48 + j / 2 * 32..]), 4 * (j % 2), 15);
                _mm256_or_si256(low, shl(bits(load32(&block[16..]), j, 1), 4))
            }
            GgmlType::Q3_K => {
                let low = bits(load32(&block[32 + j / 4 * 32..]), 2 * (j % 4), 3);
                _mm256_or_si256(low, shl(bits(load32(block), j, 1), 2))
            }
            GgmlType::Q6_K => {
                let (half, quarter) = (j / 4, j % 4);
                let low = bits(load32(&block[half * 64 + quarter % 2 * 32..]), 4 * (quarter / 2), 15);
                let high = bits(load32(&block[128 + half * 32..]), 2 * quarter, 3);
                _mm256_or_si256(low, shl(high, 4))
            }
            GgmlType::F32 | GgmlType::F16 | GgmlType::BF16 => unreachable!("float rows are not block-quantised"),
        }
    }

    /// The signed integer weights of stretch `j` of `block`: `chunk_weights`, 32 at a time.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    pub(super) fn weights(kind: GgmlType, block: &[u8], j: usize) -> __m256i {
        match (kind, bias(kind)) {
            // Stored signed: read as it is.
            (GgmlType::Q8_0, _) => load32(&block[2..]),
            (_, 0) => codes(kind, block, j),
            (_, bias) => _mm256_sub_epi8(codes(kind, block, j), _mm256_set1_epi8(bias)),
        }
    }

    /// The f16 at the start of `bytes` (two bytes), converted by the CPU.
    #[target_feature(enable = "avx2,fma,f16c")]
    fn half(bytes: &[u8]) -> f32 {
        let raw = u16::from_le_bytes([bytes[0], bytes[1]]);
        _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(i32::from(raw))))
    }

    /// The two f16 at the start of `bytes` (a block's scale and minimum), converted by the CPU.
    #[target_feature(enable = "avx2,fma,f16c")]
    fn halves(bytes: &[u8]) -> (f32, f32) {
        let raw = u32::from_le_bytes(bytes[..4].try_into().expect("4 bytes"));
        let both = _mm_cvtph_ps(_mm_cvtsi32_si128(raw as i32));
        (_mm_cvtss_f32(both), _mm_cvtss_f32(_mm_shuffle_ps(both, both, 1)))
    }

    /// `acc + scales · Σ w·x` for stretch `c` of the input, the scales times the input's step:
    /// lanes 0–3 of `scales` weight values 0–15, lanes 4–7 values 16–31.
    #[target_feature(enable = "avx2,fma,f16c")]
    fn accumulate<const UNSIGNED: bool>(acc: __m256, w: __m256i, xq: &Q8Vector, c: usize, scales: __m256) -> __m256 {
        let quants: &[i8; 32] = xq.quants[c * BLOCK..(c + 1) * BLOCK].try_into().expect("32 values");
        // SAFETY: an unaligned load of exactly the 32 values borrowed.
        let xs = unsafe { _mm256_loadu_si256(quants.as_ptr().cast()) };
        // maddubs multiplies unsigned by signed bytes: move w's sign onto x. Pairs of products
        // stay within i16 (2 · 128 · 127); lanes 0–3 of the i32 sums hold values 0–15 and lanes
        // 4–7 values 16–31, matching the two group scales.
        let pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(xs, w));
        let sums = _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
        _mm256_fmadd_ps(_mm256_mul_ps(scales, _mm256_set1_ps(xq.scales[c])), sums, acc)
    }

    /// `accumulate` with VNNI's byte dot product: unsigned codes (`UNSIGNED`) go in as they are;
    /// signed ones move their sign onto x as in AVX2, and the pairs' sum is one instruction.
    #[target_feature(enable = "avx2,fma,f16c,avx512vnni,avx512vl")]
    fn accumulate_vnni<const UNSIGNED: bool>(
        acc: __m256,
        w: __m256i,
        xq: &Q8Vector,
        c: usize,
        scales: __m256,
    ) -> __m256 {
        let quants: &[i8; 32] = xq.quants[c * BLOCK..(c + 1) * BLOCK].try_into().expect("32 values");
        // SAFETY: an unaligned load of exactly the 32 values borrowed.
        let xs = unsafe { _mm256_loadu_si256(quants.as_ptr().cast()) };
        let zero = _mm256_setzero_si256();
        let sums = if UNSIGNED {
            _mm256_dpbusd_epi32(zero, w, xs)
        } else {
            _mm256_dpbusd_epi32(zero, _mm256_sign_epi8(w, w), _mm256_sign_epi8(xs, w))
        };
        _mm256_fmadd_ps(_mm256_mul_ps(scales, _mm256_set1_ps(xq.scales[c])), _mm256_cvtepi32_ps(sums), acc)
    }

    /// The block dot product with the kernel chosen: AVX2, or AVX2 with VNNI.
    pub fn dot_with<const N: usize>(kernel: super::Kernel, kind: GgmlType, row: &[u8], xq: [&Q8Vector; N]) -> [f32; N] {
        match kernel {
            // SAFETY: Kernel::Avx512Vnni is only chosen when the CPU reports AVX-512 VNNI and VL
            // besides AVX2, FMA and F16C.
            super::Kernel::Avx512Vnni => unsafe { dot_vnni(kind, row, xq) },
            // SAFETY: the x86 kernels are only chosen when the CPU reports AVX2, FMA and F16C.
            _ => unsafe { dot(kind, row, xq) },
        }
    }

    /// One stretch of a row for [`unpack_octet`]: its [`codes`], the scales of values 0–15 and
    /// 16–31 (lanes 0–3 and 4–7), and the offset that multiplies the input's sum, decoded as
    /// `dot`'s loops decode them. Generic over the type's ggml id so that each copy is one arm,
    /// small enough to inline.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    fn stretch<const KIND: u32>(block: &[u8], j: usize) -> (__m256i, __m256, f32) {
        let kind = GgmlType::from_id(KIND).expect("a block type");
        let codes = codes(kind, block, j);
        match kind {
            GgmlType::Q4_0 | GgmlType::Q5_0 | GgmlType::Q8_0 => (codes, _mm256_set1_ps(half(block)), 0.0),
            GgmlType::Q4_1 | GgmlType::Q5_1 => {
                let (d, m) = halves(block);
                (codes, _mm256_set1_ps(d), m)
            }
            GgmlType::Q4_K | GgmlType::Q5_K => {
                let (d, dmin) = halves(block);
                let (scale, minimum) = k_scale_min(&block[4..16], j);
                (codes, _mm256_set1_ps(d * f32::from(scale)), -(dmin * f32::from(minimum)))
            }
            GgmlType::Q3_K => {
                let d = half(&block[108..]);
                let scale = |k: usize| d * f32::from(q3k_scale(&block[96..108], k));
                (codes, pair(scale(2 * j), scale(2 * j + 1)), 0.0)
            }
            GgmlType::Q6_K => {
                let d = half(&block[208..]);
                let scale = |k: usize| d * f32::from(block[192 + k] as i8);
                (codes, pair(scale(2 * j), scale(2 * j + 1)), 0.0)
            }
            GgmlType::F32 | GgmlType::F16 | GgmlType::BF16 => unreachable!("float rows are not block-quantised"),
        }
    }

    /// `s0` in lanes 0–3, `s1` in lanes 4–7.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    fn pair(s0: f32, s1: f32) -> __m256 {
        _mm256_set_m128(_mm_set1_ps(s1), _mm_set1_ps(s0))
    }

    /// What [`codes`] adds to a format's weights to make them unsigned.
    fn bias(kind: GgmlType) -> i8 {
        match kind {
            GgmlType::Q4_0 => 8,
            GgmlType::Q5_0 => 16,
            GgmlType::Q8_0 => -128, // 128 as an unsigned byte
            GgmlType::Q3_K => 4,
            GgmlType::Q6_K => 32,
            _ => 0,
        }
    }

    /// Rows multiplied together by [`octet_matmul`]: one per lane of a 256-bit register.
    const OCTET: usize = 8;

    /// Eight rows unpacked for [`octet_products`], stretch by stretch: eight registers a stretch
    /// whose lane `r` holds values `4k..4k + 4` of row `r` (register `k`) as unsigned codes, and
    /// the rows' scales of values 0–15 (`low`) and 16–31 (`high`) and their offsets, eight a
    /// stretch, row `r`'s at `r`. Unpacked once, it serves every input of the batch.
    #[derive(Default)]
    struct Octet {
        codes: Vec<__m256i>,
        low: Vec<f32>,
        high: Vec<f32>,
        offsets: Vec<f32>,
    }

    /// The 8 × 8 matrix of 32-bit lanes transposed: lane `r` of register `k` becomes lane `k` of
    /// register `r`.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c,avx512vnni,avx512vl")]
    fn transpose(m: [__m256i; OCTET]) -> [__m256i; OCTET] {
        // Pairs of rows interleave by lanes, then by lane pairs, then the 128-bit halves swap.
        let t: [__m256i; OCTET] = std::array::from_fn(|i| {
            let (a, b) = (m[i / 2 * 2], m[i / 2 * 2 + 1]);
            if i % 2 == 0 { _mm256_unpacklo_epi32(a, b) } else { _mm256_unpackhi_epi32(a, b) }
        });
        // u[0..4] hold rows 0–3, u[4..8] rows 4–7; u[q] and u[q + 4] hold lanes q and q + 4.
        let u: [__m256i; OCTET] = std::array::from_fn(|i| {
            let base = i / 4 * 4 + i % 4 / 2;
            let (a, b) = (t[base], t[base + 2]);
            if i % 2 == 0 { _mm256_unpacklo_epi64(a, b) } else { _mm256_unpackhi_epi64(a, b) }
        });
        std::array::from_fn(|k| {
            let (a, b) = (u[k % 4], u[k % 4 + 4]);
            if k < 4 { _mm256_permute2x128_si256::<0x20>(a, b) } else { _mm256_permute2x128_si256::<0x31>(a, b) }
        })
    }

    /// Unpacks `rows` (whole rows of the type whose ggml id is `KIND`) into `octet`, decoding
    /// each stretch as [`stretch`] decodes it for `dot`.
    #[target_feature(enable = "avx2,fma,f16c,avx512vnni,avx512vl")]
    fn unpack_octet<const KIND: u32>(rows: [&[u8]; OCTET], octet: &mut Octet) {
        let kind = GgmlType::from_id(KIND).expect("a block type");
        let (values, bytes) = (kind.block().0 as usize, kind.block().1 as usize);
        let stretches = values / BLOCK;
        let count = rows[0].len() / bytes * stretches;
        octet.codes.resize(count * OCTET, _mm256_setzero_si256());
        for part in [&mut octet.low, &mut octet.high, &mut octet.offsets] {
            part.resize(count * OCTET, 0.0);
        }
        // A row at a time, in the order its bytes lie in memory: the prefetcher follows one
        // stream, where eight rows read stretch by stretch stall on memory.
        for (r, row) in rows.iter().enumerate() {
            for (b, block) in row.chunks_exact(bytes).enumerate() {
                for j in 0..stretches {
                    let c = b * stretches + j;
                    let (codes, scales, offset) = stretch::<KIND>(block, j);
                    octet.codes[c * OCTET + r] = codes;
                    octet.low[c * OCTET + r] = _mm256_cvtss_f32(scales);
                    octet.high[c * OCTET + r] = _mm_cvtss_f32(_mm256_extractf128_ps::<1>(scales));
                    octet.offsets[c * OCTET + r] = offset;
                }
            }
        }
        for codes in octet.codes.chunks_exact_mut(OCTET) {
            let transposed = transpose(codes.try_into().expect("eight registers a stretch"));
            codes.copy_from_slice(&transposed);
        }
    }

    /// Whether a format scales values 0–15 and 16–31 of a stretch apart (Q3_K and Q6_K).
    fn split_scales(kind: GgmlType) -> bool {
        matches!(kind, GgmlType::Q3_K | GgmlType::Q6_K)
    }

    /// The eight rows of `octet` times each of `N` inputs: lane `r` of result `i` is row `r` times
    /// input `i`, equal to the bit to `dot`'s result for that row and input. Per stretch, the
    /// codes go into VNNI's unsigned operand as stored, four values of the input broadcast to all
    /// eight rows, so register `k` of the sums holds, row by row, what lane `k` of `dot`'s holds:
    /// the products of values `4k..4k + 4`, the bias taken off through `unbias[i]` (minus the
    /// bias times each four of the input's values, the sums' starting value). Each such register
    /// is scaled into its own accumulator as `dot` scales its lane, the offsets are summed apart as
    /// `dot` sums them, and the eight accumulators are added in `horizontal_sum`'s order — with
    /// no horizontal sums, and each stretch of weights unpacked once for the batch.
    #[target_feature(enable = "avx2,fma,f16c,avx512vnni,avx512vl")]
    fn octet_products<const KIND: u32, const N: usize>(
        octet: &Octet,
        xq: [&Q8Vector; N],
        unbias: [&[i32]; N],
    ) -> [__m256; N] {
        let kind = GgmlType::from_id(KIND).expect("a block type");
        let biased = bias(kind) != 0;
        let has_offset = matches!(kind, GgmlType::Q4_1 | GgmlType::Q5_1 | GgmlType::Q4_K | GgmlType::Q5_K);
        let mut acc = [[_mm256_setzero_ps(); OCTET]; N];
        let mut offsets = [_mm256_setzero_ps(); N];
        let count = octet.codes.len() / OCTET;
        // The loop reads through raw pointers: bounds checks on its nine slices a stretch cost a
        // fifth of its speed (measured). Every length is checked here, once.
        let factors = [&octet.low, &octet.high, &octet.offsets];
        assert!(factors.iter().all(|f| f.len() == count * OCTET), "eight scales and offsets a stretch");
        for i in 0..N {
            let long_enough = xq[i].quants.len() >= count * BLOCK
                && xq[i].scales.len() >= count
                && xq[i].sums.len() >= count
                && (!biased || unbias[i].len() >= count * OCTET);
            assert!(long_enough, "an input as long as the rows");
        }
        let (quants, steps, sums, starts) = (
            xq.map(|q| q.quants.as_ptr()),
            xq.map(|q| q.scales.as_ptr()),
            xq.map(|q| q.sums.as_ptr()),
            unbias.map(<[i32]>::as_ptr),
        );
        for c in 0..count {
            // SAFETY (every read below): c < count, and each slice holds at least count stretches
            // (checked above); the reads are unaligned where they may be.
            unsafe {
                let codes: [__m256i; OCTET] = std::array::from_fn(|k| *octet.codes.as_ptr().add(c * OCTET + k));
                let [scales_low, scales_high, row_offsets] =
                    factors.map(|f| _mm256_loadu_ps(f.as_ptr().add(c * OCTET)));
                for i in 0..N {
                    let word =
                        |k: usize| _mm256_set1_epi32(quants[i].add(c * BLOCK + 4 * k).cast::<i32>().read_unaligned());
                    let dx = _mm256_set1_ps(*steps[i].add(c));
                    let (low, high) = (_mm256_mul_ps(scales_low, dx), _mm256_mul_ps(scales_high, dx));
                    for (k, &codes) in codes.iter().enumerate() {
                        let start = if biased {
                            _mm256_set1_epi32(*starts[i].add(c * OCTET + k))
                        } else {
                            _mm256_setzero_si256()
                        };
                        let products = _mm256_dpbusd_epi32(start, codes, word(k));
                        // Lanes 0–3 of `dot`'s sums hold values 0–15, lanes 4–7 values 16–31.
                        let scale = if split_scales(kind) && k >= OCTET / 2 { high } else { low };
                        acc[i][k] = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(products), acc[i][k]);
                    }
                    if has_offset {
                        let sum = _mm256_set1_ps(*sums[i].add(c));
                        offsets[i] = _mm256_add_ps(offsets[i], _mm256_mul_ps(row_offsets, sum));
                    }
                }
            }
        }
        std::array::from_fn(|i| {
            let a = &acc[i];
            // horizontal_sum: lanes k and k + 4 first, then 0 + 2 and 1 + 3, then the two.
            let even = _mm256_add_ps(_mm256_add_ps(a[0], a[4]), _mm256_add_ps(a[2], a[6]));
            let odd = _mm256_add_ps(_mm256_add_ps(a[1], a[5]), _mm256_add_ps(a[3], a[7]));
            _mm256_add_ps(_mm256_add_ps(even, odd), offsets[i])
        })
    }

    /// `values[r · n + t]` = row `r` times input `t` (`n` inputs, a prompt's tokens), eight rows
    /// at a time: each octet of rows is unpacked once, then multiplied with two inputs a pass
    /// (then one for an odd one out). A single input (decoding) is faster through `dot`, a row at
    /// a time: it reads the matrix as one stream, where eight rows at a time are eight, and
    /// needs no unpacking; the two give the same results to the bit.
    pub fn octet_matmul(kind: GgmlType, rows: &[&[u8]], xq: &[&Q8Vector], values: &mut [f32]) {
        // SAFETY (all arms): only called with Kernel::Avx512Vnni, chosen when the CPU reports
        // AVX-512 VNNI and VL besides AVX2, FMA and F16C.
        unsafe {
            match kind {
                GgmlType::Q4_0 => octets::<2>(rows, xq, values),
                GgmlType::Q4_1 => octets::<3>(rows, xq, values),
                GgmlType::Q5_0 => octets::<6>(rows, xq, values),
                GgmlType::Q5_1 => octets::<7>(rows, xq, values),
                GgmlType::Q8_0 => octets::<8>(rows, xq, values),
                GgmlType::Q3_K => octets::<11>(rows, xq, values),
                GgmlType::Q4_K => octets::<12>(rows, xq, values),
                GgmlType::Q5_K => octets::<13>(rows, xq, values),
                GgmlType::Q6_K => octets::<14>(rows, xq, values),
                GgmlType::F32 | GgmlType::F16 | GgmlType::BF16 => unreachable!("float rows are not block-quantised"),
            }
        }
    }

    /// [`octet_matmul`] for the type whose ggml id is `KIND`.
    #[target_feature(enable = "avx2,fma,f16c,avx512vnni,avx512vl")]
    fn octets<const KIND: u32>(rows: &[&[u8]], xq: &[&Q8Vector], values: &mut [f32]) {
        let n = xq.len();
        let kind = GgmlType::from_id(KIND).expect("a block type");
        let bias = i32::from(bias(kind) as u8);
        // Minus the bias times each four of an input's values: lane k's share of `Σ bias · x`.
        let unbias: Vec<Vec<i32>> = if bias == 0 {
            vec![Vec::new(); n]
        } else {
            xq.iter()
                .map(|q| {
                    q.quants.chunks_exact(4).map(|f| -bias * f.iter().map(|&v| i32::from(v)).sum::<i32>()).collect()
                })
                .collect()
        };
        let mut octet = Octet::default();
        for (o, group) in rows.chunks(OCTET).enumerate() {
            // A last octet short of rows repeats its last row; those lanes are not kept.
            let eight: [&[u8]; OCTET] = std::array::from_fn(|r| group[r.min(group.len() - 1)]);
            let mut keep = |t: usize, sums: &[__m256]| {
                for (i, &sum) in sums.iter().enumerate() {
                    let mut lanes = [0.0f32; OCTET];
                    // SAFETY: a store of eight floats into an array of eight.
                    unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), sum) };
                    for (r, &lane) in lanes.iter().take(group.len()).enumerate() {
                        values[(o * OCTET + r) * n + t + i] = lane;
                    }
                }
            };
            unpack_octet::<KIND>(eight, &mut octet);
            let mut t = 0;
            while t + 2 <= n {
                let inputs = std::array::from_fn(|i| xq[t + i]);
                keep(t, &octet_products::<KIND, 2>(&octet, inputs, std::array::from_fn(|i| &unbias[t + i][..])));
                t += 2;
            }
            while t < n {
                keep(t, &octet_products::<KIND, 1>(&octet, [xq[t]], [&unbias[t][..]]));
                t += 1;
            }
        }
    }

    block_dot!(dot, "avx2,fma,f16c", accumulate);
    block_dot!(dot_vnni, "avx2,fma,f16c,avx512vnni,avx512vl", accumulate_vnni);
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
        let (values, bytes) = kind.block();
        let mut data = noise(rows * columns / values as usize * bytes as usize, seed);
        for block in data.chunks_exact_mut(bytes as usize) {
            let scale = 0.01 + f32::from(block[0]) / 5000.0;
            let minimum = -0.05 + f32::from(block[3]) / 4000.0;
            let mut put =
                |at: usize, value: f32| block[at..at + 2].copy_from_slice(&f16::from_f32(value).to_le_bytes());
            match kind {
                GgmlType::Q3_K => put(108, scale / 8.0),
                GgmlType::Q6_K => put(208, scale / 32.0),
                GgmlType::Q4_K | GgmlType::Q5_K => {
                    put(0, scale / 16.0);
                    put(2, scale / 64.0);
                }
                GgmlType::Q4_1 | GgmlType::Q5_1 => {
                    put(0, scale);
                    put(2, minimum);
                }
                _ => put(0, scale),
            }
        }
        QMatrix::new(kind, rows, columns, data).unwrap()
    }

    /// The block-quantised types: every type read but the float ones.
    fn quantized_kinds() -> Vec<GgmlType> {
        GgmlType::ALL.into_iter().filter(|kind| !kind.is_float()).collect()
    }

    #[test]
    fn quantized_products_match_the_dequantized_weights() {
        let x: Vec<f32> = noise(512, 9).iter().map(|&b| f32::from(b) / 128.0 - 1.0).collect();
        let xq = quantize(&x);
        for kind in quantized_kinds() {
            let m = matrix(kind, 37, 512, kind.id().into());
            let (mut fast, mut reference) = (vec![0.0; 37], vec![0.0; 37]);
            m.matvec_with(&x, &xq, &mut reference, Kernel::Scalar);
            m.matvec_with(&x, &xq, &mut fast, Kernel::best());
            // The vector kernels compute the same integer sums and add them in the same order.
            let simd: Vec<Vec<f32>> = Kernel::available()
                .into_iter()
                .filter(|k| k.is_avx2())
                .map(|kernel| {
                    let mut out = vec![0.0; 37];
                    m.matvec_with(&x, &xq, &mut out, kernel);
                    out
                })
                .collect();
            assert!(simd.windows(2).all(|pair| pair[0] == pair[1]), "{kind:?}: the vector kernels differ");
            for r in 0..37 {
                // The same integer sums; only the order of the f32 additions differs.
                assert!((fast[r] - reference[r]).abs() <= 1e-5 * (1.0 + reference[r].abs()), "{kind:?} row {r}");
                // Against exact f32 arithmetic on the dequantised row, the only error is the
                // input's 8-bit rounding: half a step per value, plus the f16 rounding of the
                // step (127 · 2⁻¹¹ of a step) where ggml stores it as f16.
                let row = m.dequantize_row(r);
                let exact: f32 = row.iter().zip(&x).map(|(w, v)| w * v).sum();
                let scales = &xq.for_kind(kind).scales;
                let bound: f32 = row
                    .chunks(BLOCK)
                    .enumerate()
                    .map(|(b, ws)| ws.iter().map(|w| w.abs()).sum::<f32>() * scales[b].abs() * 0.57)
                    .sum();
                assert!((reference[r] - exact).abs() <= bound * 1.01 + 1e-4, "{kind:?} row {r}");
            }
        }
    }

    #[test]
    fn batched_products_equal_one_at_a_time() {
        // Thirteen rows: a whole octet and a part of one; seven inputs: three passes of two and one.
        let rows = 13;
        let inputs: Vec<Vec<f32>> =
            (0..7).map(|t| noise(512, 20 + t).iter().map(|&b| f32::from(b) / 100.0 - 1.2).collect()).collect();
        let quantized: Vec<Q8Input> = inputs.iter().map(|x| quantize(x)).collect();
        let mut kinds = quantized_kinds();
        kinds.extend([GgmlType::F16, GgmlType::BF16]);
        for kind in kinds {
            let m = if kind.is_float() {
                let (_, bytes) = kind.block();
                let data = noise(rows * 512 * bytes as usize, 3).iter().map(|b| b & 0x3b).collect();
                QMatrix::new(kind, rows, 512, data).unwrap()
            } else {
                matrix(kind, rows, 512, 40 + u64::from(kind.id()))
            };
            for kernel in Kernel::available() {
                // An empty batch is no work.
                m.matmul_with(&[], &[], &mut [], kernel);
                let mut batch = vec![Vec::new(); inputs.len()];
                m.matmul_with(&inputs, &quantized, &mut batch, kernel);
                // Reversed, each input falls elsewhere (first or second of a pass, or alone): the
                // same results to the bit.
                let reversed_inputs: Vec<Vec<f32>> = inputs.iter().rev().cloned().collect();
                let reversed_quantized: Vec<Q8Input> = quantized.iter().rev().cloned().collect();
                let mut reversed = vec![Vec::new(); inputs.len()];
                m.matmul_with(&reversed_inputs, &reversed_quantized, &mut reversed, kernel);
                reversed.reverse();
                assert_eq!(batch, reversed, "{kind:?} {kernel:?}");
                for (t, x) in inputs.iter().enumerate() {
                    let mut one = vec![0.0; rows];
                    m.matvec_with(x, &quantized[t], &mut one, kernel);
                    // The same sums in the same order: equal to the bit.
                    assert_eq!(batch[t], one, "{kind:?} {kernel:?} input {t}");
                }
            }
        }
    }

    #[test]
    fn vector_unpacking_equals_the_reference_unpacking() {
        #[cfg(target_arch = "x86_64")]
        if Kernel::best().is_avx2() {
            for kind in quantized_kinds() {
                let m = matrix(kind, 3, 256, 100 + u64::from(kind.id()));
                let (values, bytes) = kind.block();
                for block in m.data.chunks_exact(bytes as usize) {
                    for j in 0..values as usize / BLOCK {
                        // SAFETY: the CPU has AVX2 (checked above).
                        let fast: [i8; 32] = unsafe { std::mem::transmute(avx2::weights(kind, block, j)) };
                        assert_eq!(fast, chunk_weights(kind, block, j), "{kind:?} stretch {j}");
                    }
                }
            }
        }
    }

    #[test]
    fn inputs_are_quantised_as_ggml_quantises_them() {
        // Blocks of 32: step max/127 stored as f16, ties rounded to even, the sum of the block.
        let mut x = vec![0.0f32; 256];
        x[0] = 127.0; // a step of 1
        x[1] = 2.5; // a tie: rounds to 2
        x[2] = -3.5; // rounds to −4
        x[40] = -1.0;
        let input = quantize(&x);
        let blocks = &input.blocks;
        assert_eq!(&blocks.quants[..3], &[127, 2, -4]);
        assert_eq!((blocks.scales[0], blocks.sums[0]), (1.0, 125.0));
        assert_eq!((blocks.quants[40], blocks.scales[1]), (-127, f16::from_f32(1.0 / 127.0).to_f32()));
        // Super-blocks of 256: the value of largest magnitude becomes −127, one f32 step for all.
        let supers = input.super_blocks.as_ref().unwrap();
        assert_eq!(&supers.quants[..3], &[-127, -2, 4]);
        assert_eq!(supers.quants[40], 1);
        assert_eq!(supers.scales, vec![1.0 / (-127.0f32 / 127.0); 8]);
        assert_eq!(input.for_kind(GgmlType::Q6_K), supers);
        assert_eq!(input.for_kind(GgmlType::Q8_0), blocks);
        assert!(quantize(&[1.0; 64]).super_blocks.is_none());
    }

    #[test]
    fn rounding_is_to_nearest_even_over_the_whole_range() {
        for i in -2600..=2600 {
            let v = i as f32 * 0.05;
            assert_eq!(round_ties_even(v), v.round_ties_even(), "{v}");
        }
        for v in [0.5f32, 1.5, 2.5, -0.5, -2.5, 127.49999, -127.5, 126.5] {
            assert_eq!(round_ties_even(v), v.round_ties_even(), "{v}");
        }
    }

    #[test]
    fn float_rows_are_read_as_floats() {
        let values = [1.5f32, -2.25, 0.0, 3.0e-3];
        let bf: Vec<u8> = values.iter().flat_map(|v| ((v.to_bits() >> 16) as u16).to_le_bytes()).collect();
        let m = QMatrix::new(GgmlType::BF16, 1, 4, bf).unwrap();
        let row = m.dequantize_row(0);
        assert_eq!(&row[..3], &values[..3]);
        assert!((row[3] - 3.0e-3).abs() < 2e-5);
        let mut out = [0.0];
        m.matvec(&[1.0; 4], &Q8Input::default(), &mut out);
        assert_eq!(out[0], row.iter().sum::<f32>());
    }

    #[test]
    fn type_ids_round_trip_and_unknown_ones_are_named() {
        for kind in GgmlType::ALL {
            assert_eq!(GgmlType::from_id(kind.id()), Some(kind));
            assert_eq!(GgmlType::name_of_id(kind.id()), Some(format!("{kind:?}").as_str()));
        }
        assert_eq!(GgmlType::from_id(10), None);
        assert_eq!(GgmlType::name_of_id(10), Some("Q2_K"));
        assert_eq!(GgmlType::name_of_id(16), Some("IQ2_XXS"));
        assert_eq!(GgmlType::name_of_id(1000), None);
        assert_eq!(GgmlType::Q4_K.bytes_for(512), Some(288));
        assert_eq!(GgmlType::Q4_K.bytes_for(32), None);
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
        assert_eq!((q.blocks.scales[0], q.blocks.quants[5]), (0.0, 0));
    }
}
