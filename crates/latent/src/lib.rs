//! Image-generator latent spaces: pretrained DCGAN face generators read from PyTorch checkpoints
//! (zip and legacy formats, without Python), reproducible `seed:N` latents, and batched image
//! generation on the CPU with candle; attributes measured from pixels to score faces and edits.

pub mod attributes;
pub mod dcgan;
pub mod discover;
mod error;
pub mod invert;
pub mod localize;
pub mod measure;
pub mod pickle;
pub mod seeds;
pub mod space;
pub mod torch;

pub use attributes::{ATTRIBUTES, Attribute, attribute};
pub use dcgan::{Dcgan, GeneratorError, Images};
pub use error::Error;
pub use invert::{Inversion, InvertOptions, invert};
pub use measure::{EditMeasurement, measure_edit, score_latents};
pub use seeds::seed_latent;
pub use space::{DEFAULT_MODEL, LatentResolver, MODELS, ModelSpec, model, parse_seeds};
pub use torch::{Checkpoint, Tensor};
