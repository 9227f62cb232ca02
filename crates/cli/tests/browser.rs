//! The playground page end to end in a real browser: Debian's headless Chromium driven by
//! playwright-core (tests/browser/playground.mjs) against a running `vecspace serve`. Screenshots
//! of each step are kept in the target directory (`browser/`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::server::Server;

const CHROMIUM: &str = "/usr/bin/chromium";

fn browser_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/browser"))
}

/// What the browser test needs, which `.ci/run` installs: Debian's Chromium and playwright-core
/// at the version in tests/browser/package-lock.json.
fn check_prerequisites() {
    assert!(
        Path::new(CHROMIUM).exists(),
        "the browser test needs Debian's Chromium at {CHROMIUM}: apt-get install chromium (as .ci/run does)"
    );
    assert!(
        browser_dir().join("node_modules/playwright-core").exists(),
        "the browser test needs playwright-core: (cd tests/browser && npm ci), as .ci/run does"
    );
}

#[test]
#[ignore = "drives Debian's Chromium with playwright-core (installed by .ci/run); run with --include-ignored"]
fn the_playground_works_in_a_real_browser() {
    check_prerequisites();
    crate::lm::gemma_path();
    let server = Server::start(&[]);
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
    let run = Command::new("node")
        .arg(browser_dir().join("playground.mjs"))
        .arg(format!("http://{}", server.addr))
        .arg(&out)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    let seen: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert!(seen["first"].as_str().unwrap().starts_with("queen"), "{seen}");
    for shot in ["words", "faces", "steering", "steering-gemma"] {
        let bytes = std::fs::read(out.join(format!("{shot}.png"))).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{shot}.png");
    }
}
