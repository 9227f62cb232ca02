//! Spaces whose words are texts: a sentence encoder gives any other text its vector, so that an
//! expression may name sentences the space does not hold (`"a photo of a happy dog" - "happy"`).
//!
//! The encoders themselves (models, tokenizers) live outside this crate; a space holds one behind
//! this trait.

use std::fmt;

/// Gives any text a vector of the space's dimensions.
pub trait TextEncoder: Send + Sync + fmt::Debug {
    /// The encoder's name, for notes and provenance (`minilm-l6`).
    fn name(&self) -> &str;
    /// The length of every vector.
    fn dims(&self) -> usize;
    /// The vector of `text`, or why there is none (an empty text, one with no tokens).
    fn encode(&self, text: &str) -> Result<Vec<f32>, String>;
}
