//! End-to-end tests of the `vecspace` binary. One test binary, modules by topic:
//! `parity` (gensim's answers on the real GloVe space), `errors` (exit codes and messages),
//! `files` (conversions and foreign formats), `library` (the batch API on real data),
//! `evaluation` (benchmarks, with gensim's numbers question by question), `fasttext` (subwords,
//! against gensim on its fastText test models), `text` (texts embedded with a sentence encoder), `directions`
//! (building, using and measuring along directions), `latent` (image-generator checkpoints), `lm` (the language model), `remote` (search in PostgreSQL + pgvector), `server` (the HTTP API on a running server), `browser` (the playground in headless Chromium).

mod support;

mod browser;
mod directions;
mod errors;
mod evaluation;
mod fasttext;
mod files;
mod latent;
mod library;
mod lm;
mod parity;
mod remote;
mod server;
mod text;
