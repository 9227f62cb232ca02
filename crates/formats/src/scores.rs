//! Scored examples as CSV: a header `latent,NAME,…` (or `word,NAME,…`), then one row per example
//! — a latent expression (`seed:17`, `z:3`) or a word, and one number per named score.
//! `vecspace latent score` writes these; a classifier direction is built from one column
//! (InterFaceGAN's recipe), and scores from any other tool can be given the same way.

use std::io::{BufRead, BufReader};
use std::path::Path;

use crate::error::Location;
use crate::{Error, Result};

/// Larger files are refused before reading: a million scored latents take about 50 MB.
const MOST_BYTES: u64 = 256 << 20;

/// One column of a scores file.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// The column's name in the header.
    pub name: String,
    /// Each row's latent expression and score, in file order.
    pub rows: Vec<(String, f64)>,
}

/// Reads column `column` of a scores file, or its only score column when `column` is `None`.
pub fn read(path: &Path, column: Option<&str>) -> Result<Scores> {
    let file = vecspace_core::io::open_regular(path).map_err(|e| Error::io(path, e))?;
    let size = file.metadata().map_err(|e| Error::io(path, e))?.len();
    if size > MOST_BYTES {
        return Err(Error::malformed(
            path,
            Location::Header,
            format!("{size} bytes is more than a scores file may hold ({MOST_BYTES})"),
        ));
    }
    let mut lines = BufReader::new(file).lines();
    let header = match lines.next() {
        Some(line) => line.map_err(|e| Error::io(path, e))?,
        None => return Err(Error::Empty { path: path.to_owned() }),
    };
    let names: Vec<&str> = header.trim_end_matches('\r').split(',').map(str::trim).collect();
    if !matches!(names.first(), Some(&("latent" | "word"))) || names.len() < 2 {
        return Err(Error::malformed(
            path,
            Location::Line(1),
            format!(
                "the header should be latent,NAME,… or word,NAME,… (the examples, then score columns), not {header:?}"
            ),
        ));
    }
    let available = names[1..].join(", ");
    let index = match column {
        Some(wanted) => names[1..].iter().position(|n| *n == wanted).ok_or_else(|| {
            Error::malformed(
                path,
                Location::Line(1),
                format!("no score column {wanted:?}; the columns are {available}"),
            )
        })?,
        None if names.len() == 2 => 0,
        None => {
            return Err(Error::malformed(
                path,
                Location::Line(1),
                format!("the file has several score columns ({available}); choose one with --column"),
            ));
        }
    } + 1;
    let mut rows = Vec::new();
    for (number, line) in lines.enumerate() {
        let line = line.map_err(|e| Error::io(path, e))?;
        let location = Location::Line(number as u64 + 2);
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != names.len() {
            return Err(Error::malformed(
                path,
                location,
                format!("{} fields where the header has {}", fields.len(), names.len()),
            ));
        }
        let value =
            fields[index].parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| {
                Error::malformed(path, location, format!("{:?} is not a finite number", fields[index]))
            })?;
        if fields[0].is_empty() {
            return Err(Error::malformed(path, location, "the latent is empty"));
        }
        rows.push((fields[0].to_owned(), value));
    }
    Ok(Scores { name: names[index].to_owned(), rows })
}

/// Writes a scores file (atomically): `columns` name the scores, each row holds a latent and one
/// value per column.
pub fn write(path: &Path, columns: &[&str], rows: &[(String, Vec<f64>)]) -> Result<()> {
    crate::write_atomically(path, |out| {
        let io = |e| Error::io(path, e);
        writeln!(out, "latent,{}", columns.join(",")).map_err(io)?;
        for (latent, values) in rows {
            assert_eq!(values.len(), columns.len(), "one value per column");
            let values: Vec<String> = values.iter().map(|v| format!("{v:.6}")).collect();
            writeln!(out, "{latent},{}", values.join(",")).map_err(io)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_round_trip_and_bad_files_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scores.csv");
        let rows = vec![("seed:0".to_owned(), vec![0.25, 1.0]), ("z:1".to_owned(), vec![-0.5, 2.0])];
        write(&path, &["a", "b"], &rows).unwrap();
        let b = read(&path, Some("b")).unwrap();
        assert_eq!(b, Scores { name: "b".into(), rows: vec![("seed:0".into(), 1.0), ("z:1".into(), 2.0)] });
        let err = read(&path, None).unwrap_err().to_string();
        assert!(err.contains("several score columns (a, b)"), "{err}");
        assert!(read(&path, Some("c")).unwrap_err().to_string().contains("no score column \"c\""));
        let cases = [
            ("seed,score\nseed:1,2\n", "line 1: the header should be latent,NAME"),
            ("latent,score\nseed:1,2\nseed:2,abc\n", "line 3: \"abc\" is not a finite number"),
            ("latent,score\nseed:1,NaN\n", "line 2: \"NaN\" is not a finite number"),
            ("latent,score\nseed:1,2,3\n", "line 2: 3 fields where the header has 2"),
            ("", "empty"),
        ];
        for (text, expected) in cases {
            std::fs::write(&path, text).unwrap();
            let err = read(&path, None).unwrap_err().to_string();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
        std::fs::write(&path, "latent,score\r\nseed:1,2\r\n\r\n").unwrap();
        assert_eq!(read(&path, None).unwrap().rows, vec![("seed:1".into(), 2.0)]);
    }
}
