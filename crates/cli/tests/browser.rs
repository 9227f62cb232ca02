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

/// Debian's Chromium, installed with apt when missing (the tests run as root in CI).
fn ensure_chromium() {
    if Path::new(CHROMIUM).exists() {
        return;
    }
    let install = "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null";
    let status = Command::new("sh").args(["-c", install]).status().expect("sh runs");
    assert!(
        status.success() && Path::new(CHROMIUM).exists(),
        "the browser tests need Debian's chromium ({CHROMIUM}); install it with apt-get install chromium"
    );
}

/// playwright-core at the version in tests/browser/package-lock.json.
fn ensure_playwright() {
    if browser_dir().join("node_modules/playwright-core").exists() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--silent"])
        .current_dir(browser_dir())
        .status()
        .expect("npm runs");
    assert!(status.success(), "npm ci in tests/browser failed (is the npm registry reachable?)");
}

#[test]
fn the_playground_works_in_a_real_browser() {
    ensure_chromium();
    ensure_playwright();
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
    for shot in ["words", "faces", "steering"] {
        let bytes = std::fs::read(out.join(format!("{shot}.png"))).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{shot}.png");
    }
}
