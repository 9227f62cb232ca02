//! Image-generator latent spaces: pretrained DCGAN face generators read from PyTorch checkpoints
//! (zip and legacy formats, without Python), reproducible `seed:N` latents, and batched image
//! generation on the CPU with candle.

pub mod dcgan;
pub mod pickle;
pub mod seeds;
pub mod space;
pub mod torch;

pub use dcgan::{Dcgan, GeneratorError, Images};
pub use seeds::seed_latent;
pub use space::{DEFAULT_MODEL, LatentResolver, MODELS, ModelSpec, model, parse_seeds};
pub use torch::{Checkpoint, Error, Tensor};
