//! The DCGAN generator (Radford, Metz & Chintala 2016) that both registered face models use:
//! z ∈ R¹⁰⁰ → ConvTranspose2d 100→512 (k4 s1 p0) → 512→256→128→64 (k4 s2 p1), each followed by
//! BatchNorm (eval mode, ε = 1e-5) and ReLU → 64→3 (k4 s2 p1) → tanh: a 64×64 RGB image in [-1, 1].
//!
//! Run on the CPU with candle. BatchNorm is folded into a per-channel scale and shift at load.
//! The batch dimension carries many latents through one pass.

use candle_core::{DType, Device, Tensor};

use crate::torch::Checkpoint;

/// Where a checkpoint keeps the generator's layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DcganLayout {
    /// The five transposed convolutions' weight prefixes.
    pub convolutions: [&'static str; 5],
    /// The four batch norms' prefixes.
    pub batch_norms: [&'static str; 4],
}

/// `nn.Sequential` numbering, as in PyTorch's DCGAN tutorial (gan-face-generate).
pub const SEQUENTIAL: DcganLayout = DcganLayout {
    convolutions: ["main.0", "main.3", "main.6", "main.9", "main.12"],
    batch_norms: ["main.1", "main.4", "main.7", "main.10"],
};

/// Named layers (generateme).
pub const NAMED: DcganLayout = DcganLayout {
    convolutions: ["convTr1", "convTr2", "convTr3", "convTr4", "convTr5"],
    batch_norms: ["batchNorm1", "batchNorm2", "batchNorm3", "batchNorm4"],
};

/// Length of the latent vector.
pub const LATENT_DIMS: usize = 100;
/// Side of the square output image.
pub const IMAGE_SIZE: usize = 64;
const CHANNELS: [usize; 6] = [LATENT_DIMS, 512, 256, 128, 64, 3];
const EPSILON: f64 = 1e-5;

/// Everything that can go wrong building or running a generator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GeneratorError {
    #[error("the checkpoint does not hold a DCGAN generator: {0}")]
    Weights(String),
    #[error("a latent has {found} values; this generator takes vectors of {expected}")]
    LatentShape { expected: usize, found: usize },
    #[error("latent {index} holds NaN or infinite values")]
    NonFinite { index: usize },
    #[error("the generator has layers 1 to {layers}, not {layer}")]
    NoLayer { layer: usize, layers: usize },
    #[error("{0}")]
    Sampling(String),
    /// An inversion asked for what it cannot do (see [`crate::invert`]).
    #[error("{0}")]
    Inversion(String),
    #[error("generator computation failed: {0}")]
    Compute(#[from] candle_core::Error),
}

/// Images as floats in [-1, 1], `count × 3 × 64 × 64` (channels first, as PyTorch).
#[derive(Debug, Clone, PartialEq)]
pub struct Images {
    pub count: usize,
    pub data: Vec<f32>,
}

impl Images {
    pub const PIXELS: usize = 3 * IMAGE_SIZE * IMAGE_SIZE;

    /// Image `index`: `3 × 64 × 64` values in [-1, 1], channel planes one after another.
    pub fn image(&self, index: usize) -> &[f32] {
        &self.data[index * Self::PIXELS..(index + 1) * Self::PIXELS]
    }

    /// Image `index` as 8-bit RGB, row by row (`(x + 1) / 2 · 255`, rounded, clamped).
    pub fn rgb8(&self, index: usize) -> Vec<u8> {
        let image = self.image(index);
        let plane = IMAGE_SIZE * IMAGE_SIZE;
        let mut rgb = Vec::with_capacity(plane * 3);
        for pixel in 0..plane {
            for channel in 0..3 {
                let value = (image[channel * plane + pixel] + 1.0) / 2.0 * 255.0;
                rgb.push(value.round().clamp(0.0, 255.0) as u8);
            }
        }
        rgb
    }
}

/// A loaded generator.
#[derive(Debug)]
pub struct Dcgan {
    convolutions: Vec<Tensor>,
    /// Per-channel (scale, shift) of each folded batch norm, shaped (1, C, 1, 1).
    norms: Vec<(Tensor, Tensor)>,
}

impl Dcgan {
    /// Takes the weights out of a checkpoint, checking every shape.
    pub fn from_checkpoint(checkpoint: &Checkpoint, layout: &DcganLayout) -> Result<Dcgan, GeneratorError> {
        let device = Device::Cpu;
        let weights = |name: String, shape: &[usize]| -> Result<Tensor, GeneratorError> {
            let tensor = checkpoint.tensor(&name, shape).map_err(|e| GeneratorError::Weights(e.to_string()))?;
            if tensor.data.iter().any(|x| !x.is_finite()) {
                return Err(GeneratorError::Weights(format!("{name} holds NaN or infinite values")));
            }
            Ok(Tensor::from_vec(tensor.data.clone(), shape, &device)?)
        };
        let mut convolutions = Vec::new();
        for (layer, prefix) in layout.convolutions.iter().enumerate() {
            convolutions.push(weights(format!("{prefix}.weight"), &[CHANNELS[layer], CHANNELS[layer + 1], 4, 4])?);
        }
        let mut norms = Vec::new();
        for (layer, prefix) in layout.batch_norms.iter().enumerate() {
            let channels = CHANNELS[layer + 1];
            let vector = |part: &str| -> Result<Vec<f64>, GeneratorError> {
                let tensor = checkpoint
                    .tensor(&format!("{prefix}.{part}"), &[channels])
                    .map_err(|e| GeneratorError::Weights(e.to_string()))?;
                Ok(tensor.data.iter().map(|&x| f64::from(x)).collect())
            };
            let (gamma, beta, mean, var) =
                (vector("weight")?, vector("bias")?, vector("running_mean")?, vector("running_var")?);
            let scale: Vec<f32> = (0..channels).map(|c| (gamma[c] / (var[c] + EPSILON).sqrt()) as f32).collect();
            let shift: Vec<f32> = (0..channels).map(|c| (beta[c] - mean[c] * f64::from(scale[c])) as f32).collect();
            norms.push((
                Tensor::from_vec(scale, (1, channels, 1, 1), &device)?,
                Tensor::from_vec(shift, (1, channels, 1, 1), &device)?,
            ));
        }
        Ok(Dcgan { convolutions, norms })
    }

    /// Images for `latents`, each of [`LATENT_DIMS`] values, in one batched pass.
    pub fn generate(&self, latents: &[Vec<f32>]) -> Result<Images, GeneratorError> {
        Ok(Images { count: latents.len(), data: self.activations(latents, LAYERS)? })
    }

    /// What layer `layer` (1 to [`LAYERS`]) puts out for each latent, flattened channels first:
    /// after its batch norm and ReLU for the hidden layers (1: 512 × 4 × 4, 2: 256 × 8 × 8,
    /// 3: 128 × 16 × 16, 4: 64 × 32 × 32), the image itself for the last. `count × size` values.
    pub fn activations(&self, latents: &[Vec<f32>], layer: usize) -> Result<Vec<f32>, GeneratorError> {
        if !(1..=LAYERS).contains(&layer) {
            return Err(GeneratorError::NoLayer { layer, layers: LAYERS });
        }
        // No latents, nothing to check or run (candle has no empty batches).
        if latents.is_empty() {
            return Ok(Vec::new());
        }
        let x = self.forward(latent_tensor(latents)?, layer)?;
        Ok(x.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?)
    }

    /// The first `layers` layers applied to `x`, a batch of latents shaped `(n, 100, 1, 1)`.
    /// Plain tensor operations, so candle's autograd can take gradients through them.
    pub fn forward(&self, mut x: Tensor, layers: usize) -> Result<Tensor, GeneratorError> {
        for (layer, kernel) in self.convolutions.iter().enumerate().take(layers) {
            let (padding, stride) = if layer == 0 { (0, 1) } else { (1, 2) };
            x = x.conv_transpose2d(kernel, padding, 0, stride, 1)?;
            x = match self.norms.get(layer) {
                Some((scale, shift)) => x.broadcast_mul(scale)?.broadcast_add(shift)?.relu()?,
                None => x.tanh()?,
            };
        }
        Ok(x)
    }

    /// The first layer's weight as PyTorch stores it, `100 × 512 × 4 × 4` values: row `i` (of
    /// 8 192 values) is what latent coordinate `i` adds to the first layer's output before its
    /// batch norm, so this is the linear map SeFa factorises.
    pub fn first_weight(&self) -> Result<Vec<f32>, GeneratorError> {
        Ok(self.convolutions[0].flatten_all()?.to_vec1::<f32>()?)
    }
}

/// Layers of the generator: four hidden, then the image.
pub const LAYERS: usize = 5;

/// Values layer `layer` (1 to [`LAYERS`]) puts out per latent.
pub fn layer_size(layer: usize) -> usize {
    let side = 4 << layer.saturating_sub(1).min(LAYERS - 1);
    CHANNELS[layer.min(LAYERS)] * side * side
}

fn check_latents(latents: &[Vec<f32>]) -> Result<(), GeneratorError> {
    for (index, z) in latents.iter().enumerate() {
        if z.len() != LATENT_DIMS {
            return Err(GeneratorError::LatentShape { expected: LATENT_DIMS, found: z.len() });
        }
        if z.iter().any(|x| !x.is_finite()) {
            return Err(GeneratorError::NonFinite { index });
        }
    }
    Ok(())
}

/// Checked latents as one `(n, 100, 1, 1)` tensor.
pub fn latent_tensor(latents: &[Vec<f32>]) -> Result<Tensor, GeneratorError> {
    check_latents(latents)?;
    let flat: Vec<f32> = latents.iter().flatten().copied().collect();
    Ok(Tensor::from_vec(flat, (latents.len(), LATENT_DIMS, 1, 1), &Device::Cpu)?)
}
