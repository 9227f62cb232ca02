use crate::pickle::PickleError;

/// Everything that can go wrong reading a checkpoint, taking its tensors, or naming seeds.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // --- reading a checkpoint ---
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: not a PyTorch checkpoint ({reason})")]
    NotACheckpoint { path: String, reason: String },
    #[error("{path}: {source}")]
    Pickle { path: String, source: PickleError },
    #[error("{path}: {message}")]
    Malformed { path: String, message: String },
    #[error("{path}: no tensors under {key:?}; the checkpoint's top-level keys are {keys}")]
    NoStateDict { path: String, key: String, keys: String },

    // --- taking tensors out of it ---
    #[error("the checkpoint has no tensor {name:?}")]
    MissingTensor { name: String },
    #[error("tensor {name:?} has shape {found:?}, expected {expected:?}")]
    TensorShape { name: String, found: Vec<usize>, expected: Vec<usize> },

    // --- seeds (`0..7,42`) ---
    #[error("{text:?} in {spec:?} is not a seed (a whole number ≥ 0)")]
    NotASeed { text: String, spec: String },
    #[error("the range {range:?} is empty")]
    EmptySeedRange { range: String },
    #[error("{range:?} holds {count} seeds; at most {limit} at a time")]
    SeedRangeTooLong { range: String, count: u128, limit: usize },
    #[error("{spec:?} names more than {limit} seeds")]
    TooManySeeds { spec: String, limit: usize },
    #[error("{spec:?} names no seeds")]
    NoSeeds { spec: String },
}
