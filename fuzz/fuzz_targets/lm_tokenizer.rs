//! The language model's tokenizer (`vecspace_lm::Tokenizer`, byte-level BPE after SmolLM's
//! pre-tokenizer), built once from a small GGUF file written with `gguf::write_f32`: encoding
//! arbitrary text, decoding the tokens back (which must give the text again), and streaming the
//! tokens' bytes through `TextStream`.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vecspace_lm::tokenizer::TextStream;
use vecspace_lm::{Gguf, Tokenizer, gguf};

fn tokenizer() -> &'static Tokenizer {
    static TOKENIZER: OnceLock<Tokenizer> = OnceLock::new();
    TOKENIZER.get_or_init(|| {
        let path = vecspace_fuzz::scratch_dir().join("tokenizer.gguf");
        let metadata = vecspace_fuzz::tokenizer_metadata();
        gguf::write_f32(&path, &metadata, &[]).expect("writing the tokenizer file");
        let file = Gguf::open(&path).expect("opening the tokenizer file");
        Tokenizer::from_gguf(&file).expect("building the tokenizer")
    })
}

fuzz_target!(|data: &[u8]| {
    let tokenizer = tokenizer();
    let text = String::from_utf8_lossy(data);
    let Ok(ids) = tokenizer.encode(&text) else { return };
    assert_eq!(tokenizer.decode(&ids), text, "decoding the tokens of {text:?} ({ids:?})");
    // Any ids, in range or not, decode and stream without panicking.
    let range = tokenizer.vocab_size() as u32 + 4;
    let ids: Vec<u32> =
        data.chunks(2).map(|c| (u32::from(c[0]) | u32::from(*c.get(1).unwrap_or(&0)) << 8) % range).collect();
    let mut stream = TextStream::default();
    let mut streamed = String::new();
    for &id in &ids {
        let _ = tokenizer.is_control(id);
        let _ = tokenizer.token_text(id);
        streamed.push_str(&stream.push(tokenizer.token_bytes(id)));
    }
    streamed.push_str(&stream.finish());
    assert_eq!(streamed, tokenizer.decode(&ids), "streaming {ids:?}");
});
