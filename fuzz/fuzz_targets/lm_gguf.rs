//! GGUF files: `vecspace_lm::Gguf::open`, then what opening a language model does with an opened
//! file — `Model::load`, `Tokenizer::from_gguf`, `ChatFormat::of` — and, for a model that
//! loads, a few tokens of greedy generation.
#![no_main]

use std::ops::ControlFlow;

use libfuzzer_sys::fuzz_target;
use vecspace_lm::tokenizer::ChatFormat;
use vecspace_lm::{Gguf, Model, NoHook, Sampling, Tokenizer, generate};

fuzz_target!(|data: &[u8]| {
    let path = vecspace_fuzz::scratch_file("input.gguf", data);
    let Ok(file) = Gguf::open(&path) else { return };
    for tensor in &file.tensors {
        let _ = file.bytes(tensor).len();
        let _ = tensor.rows_and_columns();
    }
    let tokenizer = Tokenizer::from_gguf(&file);
    if let Ok(tokenizer) = &tokenizer {
        if let Ok(format) = ChatFormat::of(&file, tokenizer) {
            let _ = tokenizer.encode(&format.prompt("Hi"));
        }
        if let Ok(ids) = tokenizer.encode("Hello, world! 123 <|im_start|>") {
            let _ = tokenizer.decode(&ids);
        }
        let _ = tokenizer.document_start();
        for id in 0..tokenizer.vocab_size().min(8) as u32 {
            let _ = tokenizer.token_text(id);
        }
    }
    let model = Model::load(&file);
    if vecspace_fuzz::verbose() {
        eprintln!("tokenizer: {:?}", tokenizer.as_ref().err());
        eprintln!("model: {:?}", model.as_ref().map(|m| &m.config).err());
    }
    let Ok(model) = model else { return };
    let mut cache = model.new_cache();
    for token in [0, 1] {
        if model.forward(token, &mut cache, &mut NoHook, true).is_err() {
            break;
        }
    }
    if let Ok(tokenizer) = &tokenizer {
        let _ = generate(&model, tokenizer, &[0], 2, Sampling::GREEDY, &mut NoHook, &mut |_| ControlFlow::Continue(()));
    }
});
