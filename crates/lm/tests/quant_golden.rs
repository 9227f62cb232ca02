//! Every tensor type vecspace reads, against the `gguf` package's dequantisation of the same bytes
//! (tests/golden/quant-types.gguf, made by tests/reference/gguf_dequant.py), read through our own
//! GGUF reader; then both product kernels against those golden rows.

use std::path::PathBuf;

use vecspace_lm::Gguf;
use vecspace_lm::quant::{GgmlType, Kernel, QMatrix, quantize};

fn golden() -> Gguf {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/golden/quant-types.gguf"));
    Gguf::open(&path).unwrap()
}

fn matrix(file: &Gguf, name: &str) -> QMatrix {
    let info = file.tensor(name).unwrap_or_else(|| panic!("the golden file has no {name}"));
    let (rows, columns) = info.rows_and_columns();
    QMatrix::new(info.kind, rows, columns, file.bytes(info).to_vec()).unwrap()
}

#[test]
fn every_type_dequantizes_exactly_as_the_gguf_package_does() {
    let file = golden();
    for kind in GgmlType::ALL.into_iter().filter(|&k| k != GgmlType::F32) {
        let name = format!("{kind:?}");
        let m = matrix(&file, &name);
        assert_eq!(m.kind, kind);
        let expected = matrix(&file, &format!("{name}.expected"));
        assert_eq!((m.rows, m.columns), (expected.rows, expected.columns));
        for r in 0..m.rows {
            // The same f32 operations in the same order: equal to the last bit (−0.0 == 0.0).
            assert_eq!(m.dequantize_row(r), expected.dequantize_row(r), "{name} row {r}");
        }
    }
}

#[test]
fn both_kernels_multiply_the_golden_rows() {
    let file = golden();
    let x: Vec<f32> = (0..512).map(|i| ((i * 37 % 101) as f32 / 50.0 - 1.0) * 0.7).collect();
    let xq = quantize(&x);
    for kind in GgmlType::ALL.into_iter().filter(|k| !k.is_float()) {
        let name = format!("{kind:?}");
        let m = matrix(&file, &name);
        let expected = matrix(&file, &format!("{name}.expected"));
        for kernel in Kernel::available() {
            let mut out = vec![0.0; m.rows];
            m.matvec_with(&x, &xq, &mut out, kernel);
            for (r, &value) in out.iter().enumerate() {
                let row = expected.dequantize_row(r);
                let exact: f64 = row.iter().zip(&x).map(|(w, v)| f64::from(*w) * f64::from(*v)).sum();
                // The input's 8-bit rounding moves each product by at most half a step, plus the
                // f16 rounding of the step where ggml stores it so (127 · 2⁻¹¹ of a step).
                let bound: f64 = row
                    .chunks(32)
                    .zip(&xq.for_kind(kind).scales)
                    .map(|(ws, d)| ws.iter().map(|w| f64::from(w.abs())).sum::<f64>() * f64::from(d.abs()) * 0.57)
                    .sum();
                assert!((f64::from(value) - exact).abs() <= bound * 1.01 + 1e-4, "{name} {kernel:?} row {r}");
            }
        }
    }
}
