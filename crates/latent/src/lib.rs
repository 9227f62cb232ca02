//! Image-generator latent spaces: reading pretrained generators and their latents.
//!
//! This first part reads PyTorch checkpoints without Python or torch: both the zip format that
//! `torch.save` has written since PyTorch 1.6 and the legacy (pre-1.6) stream format that many
//! published GAN checkpoints still use.

pub mod pickle;
pub mod torch;

pub use torch::{Checkpoint, Error, Tensor};
