//! Conversions between formats through the CLI, and queries on foreign files.

use crate::support::{on_glove, temp_dir, vecspace};

#[test]
fn converted_files_answer_queries_exactly_like_the_original() {
    let dir = temp_dir();
    let glove = crate::support::glove().to_str().unwrap().to_owned();
    let baseline = on_glove(&["query", "paris - france + italy", "--json"]).json()["results"].clone();
    // Native → word2vec binary → word2vec text → native, checking each stop.
    let bin = dir.path().join("glove.bin");
    let txt = dir.path().join("glove.txt");
    let back = dir.path().join("back.vsp");
    vecspace(&["convert", &glove, bin.to_str().unwrap()]).ok();
    vecspace(&["convert", bin.to_str().unwrap(), txt.to_str().unwrap()]).ok();
    vecspace(&["convert", txt.to_str().unwrap(), back.to_str().unwrap()]).ok();
    for file in [&bin, &txt, &back] {
        let out = vecspace(&["--space", file.to_str().unwrap(), "query", "paris - france + italy", "--json"]).json();
        assert_eq!(out["results"], baseline, "{}", file.display());
    }
    let info = vecspace(&["--space", back.to_str().unwrap(), "info", "--json"]).json();
    assert_eq!((info["words"].as_u64(), info["dims"].as_u64()), (Some(400_000), Some(50)));
}

#[test]
fn a_glove_text_file_with_a_duplicate_warns_and_works() {
    let dir = temp_dir();
    let path = dir.path().join("small.txt");
    std::fs::write(&path, "king 0.9 0.8 0.1\nman 0.1 0.9 0\nwoman 0.1 0 0.9\nqueen 0.9 0 0.8\nman 5 5 5\n").unwrap();
    let run = vecspace(&["--space", path.to_str().unwrap(), "query", "king - man + woman", "--top", "1", "--json"]);
    assert!(run.stderr.contains("warning:") && run.stderr.contains("duplicated word (\"man\")"), "{}", run.stderr);
    assert_eq!(run.json()["results"][0]["word"], "queen");
}

#[test]
fn convert_refuses_formats_it_cannot_write_and_leaves_no_file() {
    let dir = temp_dir();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "a 1 2\nb 3 4\n").unwrap();
    let out = dir.path().join("out.npy");
    let err = vecspace(&["convert", input.to_str().unwrap(), out.to_str().unwrap()]).fails();
    assert!(err.contains("cannot write npy files"), "{err}");
    let unknown = dir.path().join("out.xyz");
    let err = vecspace(&["convert", input.to_str().unwrap(), unknown.to_str().unwrap()]).fails();
    assert!(err.contains("use --to"), "{err}");
    let spaced = dir.path().join("spaced.txt");
    std::fs::write(&spaced, "b 3 4\nnew york 1 2\n").unwrap();
    let bin = dir.path().join("out.bin");
    let err = vecspace(&["convert", "--from", "glove", spaced.to_str().unwrap(), bin.to_str().unwrap()]).fails();
    assert!(err.contains("contains whitespace"), "{err}");
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 2, "unexpected files: {names:?}");
}

#[test]
fn outputs_are_replaced_only_when_asked_and_never_over_an_input() {
    let dir = temp_dir();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "a 1 2\nb 3 4\n").unwrap();
    let (input, out) = (input.to_str().unwrap(), dir.path().join("out.vsp"));
    let out = out.to_str().unwrap();
    vecspace(&["convert", input, out]).ok();
    let before = std::fs::read(out).unwrap();
    std::fs::write(dir.path().join("in.txt"), "a 5 6\nb 7 8\n").unwrap();
    let err = vecspace(&["convert", input, out]).fails();
    assert!(err.contains("out.vsp already exists; use --force to replace it"), "{err}");
    assert_eq!(std::fs::read(out).unwrap(), before, "the refused output changed");
    vecspace(&["convert", input, out, "--force"]).ok();
    assert_ne!(std::fs::read(out).unwrap(), before);
    // Its own input, under any spelling, is refused even with --force; the input stays whole.
    let spelled = format!("{}/./in.txt", dir.path().display());
    let err = vecspace(&["convert", input, &spelled, "--to", "word2vec-text", "--force"]).fails();
    assert!(err.contains("is also an input; write to another file"), "{err}");
    assert_eq!(std::fs::read_to_string(input).unwrap(), "a 5 6\nb 7 8\n");
    // A saved direction is no different.
    let direction = dir.path().join("d.safetensors");
    let build = ["direction", "build", "--out", direction.to_str().unwrap(), "--pairs", "he:she"];
    on_glove(&build).ok();
    let err = on_glove(&build).fails();
    assert!(err.contains("already exists; use --force to replace it"), "{err}");
    on_glove(&[&build[..], &["--force"]].concat()).ok();
}

#[test]
fn check_and_verify_find_a_damaged_value_that_opening_does_not() {
    let dir = temp_dir();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "2 3\nking 1 2 3\nqueen 1 2 2.5\n").unwrap();
    let native = dir.path().join("s.vsp");
    let native = native.to_str().unwrap();
    vecspace(&["convert", input.to_str().unwrap(), native]).ok();
    let out = vecspace(&["check", native, input.to_str().unwrap()]).ok();
    assert!(out.contains("s.vsp: native checksum") && out.contains("matches"), "{out}");
    assert!(out.contains("in.txt: word2vec-text: read whole, every row sound; the format has no checksum"), "{out}");
    // One bit of one value flipped: queries still run on the wrong number; check and --verify say so.
    let mut bytes = std::fs::read(native).unwrap();
    bytes[128 + 2] ^= 0x01;
    std::fs::write(native, &bytes).unwrap();
    vecspace(&["--space", native, "query", "king", "-k", "1"]).ok();
    let err = vecspace(&["check", native]).fails();
    assert!(err.contains("the checksum does not match") && err.contains("the file is damaged"), "{err}");
    let err = vecspace(&["--space", native, "--verify", "query", "king"]).fails();
    assert!(err.contains("the checksum does not match"), "{err}");
}
