//! Latent expressions of an image generator (`seed:12 + 1.5*@smile`, `z:3`, `slerp(…)`), with
//! saved directions resolved from the store, and edit directions kept orthogonal to others.

use std::path::Path;

use super::{DirectionStore, Error, Result};
use crate::latent::{LatentResolver, dcgan};

/// Most latents a file of given latents may hold.
pub const MOST_GIVEN: usize = 1_000_000;

/// The latents of a `.npy` file of shape (100,) or (n, 100), named `z:0`, `z:1`, … in
/// expressions; none without a file.
pub fn given_latents(z_file: Option<&Path>) -> Result<Vec<Vec<f32>>> {
    match z_file {
        Some(path) => Ok(crate::formats::npy::read_vectors(path, dcgan::LATENT_DIMS, MOST_GIVEN)?),
        None => Ok(Vec::new()),
    }
}

/// The latent an expression evaluates to; `z:N` names the N-th of the `given` latents and `@name`
/// a saved direction.
pub fn evaluate(store: &DirectionStore, expression: &str, given: &[Vec<f32>]) -> Result<Vec<f32>> {
    let expr = crate::expr::parse(expression).map_err(|e| Error::LatentExpression(e.into()))?;
    let directions = store.referenced(&expr, dcgan::LATENT_DIMS)?;
    let value = crate::direction::evaluate_with(&expr, expression, LatentResolver { given }, &directions)
        .map_err(Error::LatentExpression)?;
    value.into_vector().ok_or_else(|| Error::invalid(format!("{expression:?} is a number, not a latent")))
}

/// `unit(direction)` made orthogonal to every direction in `keep` (Gram–Schmidt), then unit
/// length: InterFaceGAN's conditional manipulation, which edits one attribute while keeping
/// others.
pub fn orthogonal_unit(direction: &[f32], keep: &[Vec<f32>]) -> Result<Vec<f64>> {
    let mut basis: Vec<Vec<f64>> = Vec::new();
    for k in keep {
        let mut v: Vec<f64> = k.iter().map(|&x| f64::from(x)).collect();
        remove_components(&mut v, &basis);
        let length = norm(&v);
        if length > 1e-9 {
            basis.push(v.iter().map(|x| x / length).collect());
        }
    }
    let mut d: Vec<f64> = direction.iter().map(|&x| f64::from(x)).collect();
    remove_components(&mut d, &basis);
    let length = norm(&d);
    if length < 1e-9 {
        return Err(Error::invalid("the direction lies within the directions to keep; nothing is left to edit"));
    }
    Ok(d.iter().map(|x| x / length).collect())
}

/// Subtracts from `v` its components along each unit vector of an orthonormal `basis`.
fn remove_components(v: &mut [f64], basis: &[Vec<f64>]) {
    for b in basis {
        let along: f64 = v.iter().zip(b).map(|(x, y)| x * y).sum();
        v.iter_mut().zip(b).for_each(|(x, y)| *x -= along * y);
    }
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// How frames between two latents are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Interpolation {
    /// Spherical: stays on the sphere where Gaussian latents live.
    #[default]
    Slerp,
    /// Linear.
    Lerp,
}

impl std::fmt::Display for Interpolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Interpolation::Slerp => "slerp",
            Interpolation::Lerp => "lerp",
        })
    }
}

impl std::str::FromStr for Interpolation {
    type Err = Error;
    fn from_str(s: &str) -> Result<Interpolation> {
        match s {
            "slerp" => Ok(Interpolation::Slerp),
            "lerp" => Ok(Interpolation::Lerp),
            other => Err(Error::invalid(format!("unknown interpolation {other:?}: use slerp or lerp"))),
        }
    }
}

/// Most frames one interpolation or sweep makes.
pub const MOST_FRAMES: usize = 1024;

/// `steps` evenly spaced numbers from `from` to `to`, both included.
pub fn spaced(from: f64, to: f64, steps: usize) -> Result<Vec<f64>> {
    if !(2..=MOST_FRAMES).contains(&steps) {
        return Err(Error::invalid(format!("--steps must be between 2 and {MOST_FRAMES}")));
    }
    Ok((0..steps).map(|i| from + (to - from) * i as f64 / (steps - 1) as f64).collect())
}

/// `steps` frames from `a` to `b`, each with its t in [0, 1].
pub fn interpolate(a: &[f32], b: &[f32], steps: usize, method: Interpolation) -> Result<Vec<(f64, Vec<f32>)>> {
    spaced(0.0, 1.0, steps)?
        .into_iter()
        .map(|t| {
            let frame = match method {
                Interpolation::Lerp => Some(crate::expr::lerp(a, b, t)),
                Interpolation::Slerp => crate::expr::slerp(a, b, t),
            };
            frame.map(|z| (t, z)).ok_or_else(|| Error::invalid("slerp is undefined when an end is the zero vector"))
        })
        .collect()
}

/// The latent moved `k` units along the unit direction `unit`, for each `k`: the frames of an
/// edit sweep.
pub fn sweep(z: &[f32], unit: &[f64], ks: &[f64]) -> Vec<Vec<f32>> {
    ks.iter().map(|&k| crate::latent::measure::moved(z, unit, k)).collect()
}

/// A visual analogy as in the DCGAN paper: A, B, C, then B − A + C, then `variants` copies of it
/// with uniform noise in [−noise, noise] added to each coordinate (seeded), to show the result is
/// not one lucky point.
pub fn visual_analogy(
    a: Vec<f32>,
    b: Vec<f32>,
    c: Vec<f32>,
    variants: usize,
    noise: f64,
    seed: u64,
) -> Result<Vec<Vec<f32>>> {
    if !(noise.is_finite() && noise >= 0.0) {
        return Err(Error::invalid("--noise must be a number ≥ 0"));
    }
    let result: Vec<f32> = b.iter().zip(&a).zip(&c).map(|((b, a), c)| b - a + c).collect();
    let mut rng = crate::latent::seeds::SplitMix64(seed);
    let mut latents = vec![a, b, c, result.clone()];
    for _ in 0..variants {
        latents.push(result.iter().map(|&x| (f64::from(x) + noise * (2.0 * rng.next_f64() - 1.0)) as f32).collect());
    }
    Ok(latents)
}

/// The spread of one attribute's scores over many faces, and the faces at each end.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScoreSummary {
    pub attribute: String,
    pub mean: f64,
    /// Population standard deviation.
    pub std: f64,
    /// The five lowest-scoring latents' names, lowest first.
    pub lowest: Vec<String>,
    /// The five highest-scoring latents' names, highest first.
    pub highest: Vec<String>,
}

/// Per attribute (column of `rows`' scores): mean, spread and the exemplars at each end.
pub fn summarize_scores(attributes: &[&str], rows: &[(String, Vec<f64>)]) -> Vec<ScoreSummary> {
    attributes
        .iter()
        .enumerate()
        .map(|(column, &attribute)| {
            let values: Vec<f64> = rows.iter().map(|(_, v)| v[column]).collect();
            let n = values.len() as f64;
            let mean = values.iter().sum::<f64>() / n;
            let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
            let mut order: Vec<usize> = (0..rows.len()).collect();
            order.sort_by(|&a, &b| values[a].total_cmp(&values[b]).then(a.cmp(&b)));
            let label = |&i: &usize| rows[i].0.clone();
            let lowest = order.iter().take(5).map(label).collect();
            let highest = order.iter().rev().take(5).map(label).collect();
            ScoreSummary { attribute: attribute.to_owned(), mean, std, lowest, highest }
        })
        .collect()
}

/// A direction made local to an attribute's region, and what that cost.
pub struct Localized {
    pub direction: crate::Direction,
    /// Cosine between the localised direction and the original.
    pub kept: f64,
    /// RMS change per outside value per unit step, before and after.
    pub outside_before: f64,
    pub outside_after: f64,
}

/// Keeps a direction's effect while changing the image outside `region` as little as possible: a
/// ridge solve against the generator's Jacobian averaged over `latents` (LowRankGAN-style).
pub fn localize(
    generator: &crate::latent::Dcgan,
    original: &crate::Direction,
    region: &crate::latent::Attribute,
    region_name: &str,
    latents: &[Vec<f32>],
    ridge: f64,
    progress: &dyn crate::progress::Progress,
) -> Result<Localized> {
    use crate::latent::localize as local;
    if !region.is_local() {
        return Err(Error::invalid(format!(
            "{region_name} reads the whole image; localise to an attribute with a region"
        )));
    }
    if !(ridge.is_finite() && ridge > 0.0) {
        return Err(Error::invalid("--ridge must be a number > 0"));
    }
    let sensitivity = local::outside_sensitivity(generator, region, latents, progress)?;
    let d: Vec<f64> = original.unit().iter().map(|&x| f64::from(x)).collect();
    let localized = local::localize(&d, &sensitivity, ridge).ok_or_else(|| {
        Error::invalid("the localising solve failed (the sensitivity matrix is degenerate); try a larger --ridge")
    })?;
    let rate = |v: &[f64]| local::outside_change_rate(v, &sensitivity).sqrt();
    let mut info = original.info.clone();
    info.method =
        format!("{}, localised to the {region_name} region ({} latents, ridge {ridge})", info.method, latents.len());
    // The original's accuracy belonged to the original boundary.
    info.accuracy = None;
    Ok(Localized {
        kept: localized.iter().zip(&d).map(|(a, b)| a * b).sum(),
        outside_before: rate(&d),
        outside_after: rate(&localized),
        direction: crate::Direction { vector: localized.iter().map(|&x| x as f32).collect(), info },
    })
}

/// Where faces are written: a captioned grid (`.png`), one plain 64 × 64 PNG per face (a folder:
/// a path ending in `/`, or an existing folder), or the faces' float pixels (`.npy`, shape
/// `(n, 64, 64, 3)` in [−1, 1]), for other tools.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FacesOut {
    Grid(std::path::PathBuf),
    Folder(std::path::PathBuf),
    Pixels(std::path::PathBuf),
}

impl FacesOut {
    /// What `path` asks for, by its form.
    pub fn parse(path: &Path) -> Result<FacesOut> {
        if path.as_os_str().to_string_lossy().ends_with('/') || path.is_dir() {
            return Ok(FacesOut::Folder(path.to_owned()));
        }
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("png") => Ok(FacesOut::Grid(path.to_owned())),
            Some("npy") => Ok(FacesOut::Pixels(path.to_owned())),
            _ => Err(Error::invalid(format!(
                "{}: write faces to a .png (a captioned grid), a .npy (their float pixels) or a folder \
                 ending in / (one plain PNG per face)",
                path.display()
            ))),
        }
    }
}

/// The faces' pixels as the generator made them, channels last as images are stored elsewhere:
/// `n × 64 × 64 × 3` values in [−1, 1].
pub fn pixels_channels_last(images: &crate::latent::Images) -> Vec<f32> {
    let plane = dcgan::IMAGE_SIZE * dcgan::IMAGE_SIZE;
    let mut pixels = Vec::with_capacity(images.count * plane * 3);
    for index in 0..images.count {
        let image = images.image(index);
        for pixel in 0..plane {
            pixels.extend((0..3).map(|channel| image[channel * plane + pixel]));
        }
    }
    pixels
}

/// The faces as a `.npy` file's bytes (see [`FacesOut::Pixels`]).
pub fn faces_npy(images: &crate::latent::Images) -> Vec<u8> {
    let size = dcgan::IMAGE_SIZE;
    crate::formats::npy::encode_array(&[images.count, size, size, 3], &pixels_channels_last(images))
}

/// One face as a plain 64 × 64 PNG: its pixels, nothing else.
pub fn face_png(images: &crate::latent::Images, index: usize) -> Result<Vec<u8>> {
    Ok(crate::plot::rgb_png(&images.rgb8(index), dcgan::IMAGE_SIZE, dcgan::IMAGE_SIZE)?)
}

/// The faces in rows of `columns`, each enlarged `scale` times with its caption under it.
pub fn faces_grid(
    images: &crate::latent::Images,
    captions: Vec<String>,
    columns: usize,
    scale: usize,
    title: Option<&str>,
) -> Result<Vec<u8>> {
    let size = dcgan::IMAGE_SIZE;
    let tiles: Vec<crate::plot::Tile> = captions
        .into_iter()
        .enumerate()
        .map(|(i, caption)| crate::plot::Tile { rgb: images.rgb8(i), width: size, height: size, caption })
        .collect();
    Ok(crate::plot::grid_png(&tiles, columns, scale, title)?)
}

/// How faces come back in one answer (the server's `format`): a captioned grid, a plain PNG of
/// the faces edge to edge (`columns` a row, each face a 64 × 64 block, nothing else), or their
/// float pixels as the bytes of a `.npy` file (see [`FacesOut::Pixels`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FacesFormat {
    #[default]
    Grid,
    Png,
    Npy,
}

impl std::str::FromStr for FacesFormat {
    type Err = Error;

    fn from_str(name: &str) -> Result<FacesFormat> {
        match name {
            "grid" => Ok(FacesFormat::Grid),
            "png" => Ok(FacesFormat::Png),
            "npy" => Ok(FacesFormat::Npy),
            other => Err(Error::invalid(format!(
                "format is grid (captioned faces), png (the faces edge to edge, nothing else) or npy (their \
                 float pixels), not {other:?}"
            ))),
        }
    }
}

/// The faces edge to edge, `columns` a row, as one plain PNG (a short last row is left black).
pub fn faces_mosaic(images: &crate::latent::Images, columns: usize) -> Result<Vec<u8>> {
    let size = dcgan::IMAGE_SIZE;
    let columns = columns.clamp(1, images.count.max(1));
    let rows = images.count.div_ceil(columns).max(1);
    let width = columns * size;
    let mut rgb = vec![0u8; rows * size * width * 3];
    for index in 0..images.count {
        let face = images.rgb8(index);
        let (x0, y0) = ((index % columns) * size, (index / columns) * size);
        for (y, line) in face.chunks(size * 3).enumerate() {
            let at = ((y0 + y) * width + x0) * 3;
            rgb[at..at + size * 3].copy_from_slice(line);
        }
    }
    Ok(crate::plot::rgb_png(&rgb, width, rows * size)?)
}

/// The faces in `format`: the bytes of one answer.
pub fn faces_bytes(
    images: &crate::latent::Images,
    captions: Vec<String>,
    columns: usize,
    scale: usize,
    format: FacesFormat,
) -> Result<Vec<u8>> {
    match format {
        FacesFormat::Grid => faces_grid(images, captions, columns, scale, None),
        FacesFormat::Png => faces_mosaic(images, columns),
        FacesFormat::Npy => Ok(faces_npy(images)),
    }
}

/// Writes the faces where `out` says, each file whole or not at all; what was written, to tell.
pub fn write_faces(
    images: &crate::latent::Images,
    captions: Vec<String>,
    columns: usize,
    scale: usize,
    title: &str,
    out: &FacesOut,
) -> Result<String> {
    match out {
        FacesOut::Grid(path) => {
            write_file(path, &faces_grid(images, captions, columns, scale, Some(title))?)?;
            Ok(format!("{title} → {}", path.display()))
        }
        FacesOut::Pixels(path) => {
            write_file(path, &faces_npy(images))?;
            let size = dcgan::IMAGE_SIZE;
            Ok(format!("{title}: pixels ({}, {size}, {size}, 3) in [-1, 1] → {}", images.count, path.display()))
        }
        FacesOut::Folder(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| crate::formats::Error::Io { path: dir.clone(), source: e })?;
            let digits = images.count.saturating_sub(1).to_string().len().max(3);
            for index in 0..images.count {
                write_file(&dir.join(format!("{index:0digits$}.png")), &face_png(images, index)?)?;
            }
            Ok(format!("{title}: {} faces → {}/{:0digits$}.png …", images.count, dir.display(), 0))
        }
    }
}

/// Writes `bytes` to `path` atomically: a reader never sees half a file.
fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::formats::write_atomically(path, |file| {
        file.write_all(bytes).map_err(|e| crate::formats::Error::Io { path: path.to_owned(), source: e })
    })?;
    Ok(())
}

/// Largest image file an inversion reads.
pub const MOST_IMAGE_BYTES: u64 = 32 << 20;
/// Most pixels of an image an inversion reads (32 megapixels: a small PNG can hold a huge flat
/// picture, and decoding one takes 7 bytes a pixel).
pub const MOST_IMAGE_PIXELS: u64 = 1 << 25;

/// A square of a picture, in pixels from its top left corner: where the face is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crop {
    pub left: usize,
    pub top: usize,
    pub size: usize,
}

impl std::str::FromStr for Crop {
    type Err = Error;

    /// `LEFT,TOP,SIZE`.
    fn from_str(text: &str) -> Result<Crop> {
        let numbers: Vec<usize> =
            text.split(',').map(|part| part.trim().parse()).collect::<Result<_, _>>().map_err(|_| {
                Error::invalid(format!("{text:?} is not a crop: give LEFT,TOP,SIZE in pixels, such as 135,10,180"))
            })?;
        match numbers[..] {
            [left, top, size] if size > 0 => Ok(Crop { left, top, size }),
            _ => Err(Error::invalid(format!("{text:?} is not a crop: give LEFT,TOP,SIZE in pixels, SIZE above 0"))),
        }
    }
}

/// A PNG file's bytes as a target of inversion: decoded, cut to `crop` if given, then prepared as
/// the generators' training faces were ([`crate::latent::invert::training_image`]).
pub fn inversion_target(png: &[u8], crop: Option<Crop>) -> Result<Vec<f32>> {
    if png.len() as u64 > MOST_IMAGE_BYTES {
        return Err(Error::invalid(format!("the image is {} bytes; at most {MOST_IMAGE_BYTES} are read", png.len())));
    }
    let (mut rgb, mut width, mut height) = crate::plot::read_png(png, MOST_IMAGE_PIXELS)?;
    if let Some(Crop { left, top, size }) = crop {
        if left.saturating_add(size) > width || top.saturating_add(size) > height {
            return Err(Error::invalid(format!(
                "the crop {left},{top},{size} reaches past the {width} × {height} image"
            )));
        }
        let square: Vec<u8> = (top..top + size)
            .flat_map(|y| rgb[(y * width + left) * 3..(y * width + left + size) * 3].iter().copied())
            .collect();
        rgb = square;
        (width, height) = (size, size);
    }
    crate::latent::invert::training_image(&rgb, width, height)
        .ok_or_else(|| Error::invalid(format!("the image is {width} × {height}; it holds no pixels to invert")))
}

/// [`inversion_target`] of a file, its size checked before it is read.
pub fn read_inversion_target(path: &Path, crop: Option<Crop>) -> Result<Vec<f32>> {
    let io = |source| Error::Io { path: path.to_owned(), source };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MOST_IMAGE_BYTES {
        return Err(Error::invalid(format!("{}: {size} bytes; at most {MOST_IMAGE_BYTES} are read", path.display())));
    }
    let bytes = std::fs::read(path).map_err(io)?;
    inversion_target(&bytes, crop).map_err(|e| match e {
        Error::Plot(_) | Error::Invalid(_) => Error::invalid(format!("{}: {e}", path.display())),
        other => other,
    })
}

/// One inverted image, as reported.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct InvertedImage {
    pub image: String,
    /// The found face's root mean square difference to the target, in 8-bit levels (0–255).
    pub rms_levels: f32,
    /// Its mean absolute difference, in 8-bit levels.
    pub mean_abs_levels: f32,
    /// The start that won, and the best mean squared error (values in [−1, 1]) of each start.
    pub start: usize,
    pub start_errors: Vec<f32>,
    /// The latent's length; Gaussian latents of 100 values lie near 10.
    pub latent_norm: f32,
}

/// What `latent invert` found and wrote.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Inverted {
    pub images: Vec<InvertedImage>,
    /// The latents (`.npy`: shape (100,) for one image, (n, 100) for several).
    pub latents: std::path::PathBuf,
    /// The found faces, plain and edge to edge.
    pub faces: std::path::PathBuf,
    /// Each target beside its found face, captioned.
    pub comparison: std::path::PathBuf,
}

/// Finds the latents of `images` (PNG files, each cut to `crop` if given) and writes them to `out` (a `.npy`), the found faces
/// beside it (`out` as `.png`) and each target beside its face (`…-compare.png`).
pub fn invert_images(
    generator: &crate::latent::Dcgan,
    images: &[std::path::PathBuf],
    crop: Option<Crop>,
    options: &crate::latent::InvertOptions,
    out: &Path,
    progress: &dyn crate::progress::Progress,
) -> Result<Inverted> {
    if out.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() != Some("npy") {
        return Err(Error::invalid(format!("{}: the latents are written to a .npy file", out.display())));
    }
    if images.is_empty() {
        return Err(Error::invalid("name at least one PNG image to invert"));
    }
    let faces_path = out.with_extension("png");
    let stem = out.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let comparison_path = out.with_file_name(format!("{stem}-compare.png"));
    // Everything that would fail the writing fails now, not after the search.
    let dir = out.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(Error::invalid(format!("{}: no such folder to write the latents to", dir.display())));
    }
    let inputs: Vec<&Path> = images.iter().map(|p| p.as_path()).collect();
    for output in [out, &faces_path, &comparison_path] {
        super::files::check_output(output, &inputs, super::files::Overwrite::force(true))?;
    }
    let targets = images.iter().map(|path| read_inversion_target(path, crop)).collect::<Result<Vec<_>>>()?;
    let found = crate::latent::invert(generator, &targets, options, progress)?;
    let latents: Vec<f32> = found.iter().flat_map(|f| f.latent.iter().copied()).collect();
    let shape = if found.len() == 1 { vec![dcgan::LATENT_DIMS] } else { vec![found.len(), dcgan::LATENT_DIMS] };
    let faces =
        crate::latent::Images { count: found.len(), data: found.iter().flat_map(|f| f.image.clone()).collect() };
    let pairs = crate::latent::Images {
        count: 2 * found.len(),
        data: targets.iter().zip(&found).flat_map(|(t, f)| t.iter().chain(&f.image).copied()).collect(),
    };
    let names: Vec<String> = images
        .iter()
        .map(|p| p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned()))
        .collect();
    let captions = names
        .iter()
        .zip(&found)
        .flat_map(|(name, f)| [name.clone(), format!("found: {:.1} rms", f.rms_levels)])
        .collect();
    let title = "image | found face";
    let comparison = faces_grid(&pairs, captions, 2, 2, Some(title))?;
    crate::formats::npy::write_array(out, &shape, &latents)?;
    write_file(&faces_path, &faces_mosaic(&faces, found.len())?)?;
    write_file(&comparison_path, &comparison)?;
    let reports = names
        .into_iter()
        .zip(&found)
        .map(|(image, f)| InvertedImage {
            image,
            rms_levels: f.rms_levels,
            mean_abs_levels: f.mean_abs_levels,
            start: f.start,
            start_errors: f.start_errors.clone(),
            latent_norm: f.latent.iter().map(|x| x * x).sum::<f32>().sqrt(),
        })
        .collect();
    Ok(Inverted { images: reports, latents: out.to_owned(), faces: faces_path, comparison: comparison_path })
}

/// How `direction discover` finds directions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscoverMethod {
    /// Closed form from the first layer's weight (SeFa).
    Sefa,
    /// Principal components of a layer's activations over sampled latents (GANSpace).
    Ganspace,
}

impl std::str::FromStr for DiscoverMethod {
    type Err = Error;

    fn from_str(name: &str) -> Result<DiscoverMethod> {
        match name {
            "sefa" => Ok(DiscoverMethod::Sefa),
            "ganspace" => Ok(DiscoverMethod::Ganspace),
            _ => Err(Error::invalid(format!("unknown discovery method {name:?}; known: sefa, ganspace"))),
        }
    }
}

impl std::fmt::Display for DiscoverMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DiscoverMethod::Sefa => "sefa",
            DiscoverMethod::Ganspace => "ganspace",
        })
    }
}

/// What `direction discover` is asked.
#[derive(Debug, Clone)]
pub struct Discovery {
    pub method: DiscoverMethod,
    /// How many directions, saved as `{prefix}1` to `{prefix}{top}`.
    pub top: usize,
    pub prefix: String,
    /// GANSpace's sampling (its `top` is this request's).
    pub ganspace: crate::latent::discover::GanspaceOptions,
    pub overwrite: super::files::Overwrite,
}

/// Most directions one discovery saves.
pub const MOST_DISCOVERED: usize = 100;

/// One discovered and saved direction.
#[derive(Debug, Clone)]
pub struct Discovered {
    /// The name it is saved under (`pc1`, …).
    pub name: String,
    pub direction: crate::Direction,
    /// SeFa's eigenvalue, or the variance GANSpace's component holds.
    pub value: f64,
    /// Its share of the whole.
    pub share: f64,
    pub path: std::path::PathBuf,
}

/// Finds directions in a generator's latent space without labels (SeFa or GANSpace) and saves
/// them, each with its provenance; the names are checked before any work is done.
fn check_top(top: usize) -> Result<()> {
    let most = MOST_DISCOVERED.min(dcgan::LATENT_DIMS);
    if (1..=most).contains(&top) {
        Ok(())
    } else {
        Err(Error::invalid(format!("top is how many directions to find: 1 to {most}, not {top}")))
    }
}

/// The first `top` directions `method` finds, best first, and how they were found (their
/// provenance), without saving them.
pub fn discover_components(
    generator: &crate::latent::Dcgan,
    method: DiscoverMethod,
    top: usize,
    ganspace: crate::latent::discover::GanspaceOptions,
    progress: &dyn crate::progress::Progress,
) -> Result<(Vec<crate::latent::discover::Component>, String)> {
    use crate::latent::discover;
    check_top(top)?;
    Ok(match method {
        DiscoverMethod::Sefa => {
            (discover::sefa(generator, top)?, "sefa: an eigenvector of AᵀA for the first layer's weight A".to_owned())
        }
        DiscoverMethod::Ganspace => {
            let options = discover::GanspaceOptions { top, ..ganspace };
            let found = discover::ganspace(generator, options, progress)?;
            let described = format!(
                "ganspace: a principal component of layer {}'s activations over {} latents (seed:{} on), \
                 carried to the latent space by least squares",
                options.layer, options.samples, options.first_seed
            );
            (found.directions, described)
        }
    })
}

pub fn discover(
    store: &DirectionStore,
    model: &str,
    generator: &crate::latent::Dcgan,
    request: &Discovery,
    progress: &dyn crate::progress::Progress,
) -> Result<Vec<Discovered>> {
    let Discovery { method, top, prefix, ganspace, overwrite } = request;
    let top = *top;
    check_top(top)?;
    let names: Vec<String> = (1..=top).map(|k| format!("{prefix}{k}")).collect();
    for name in &names {
        super::directions::check_name(name)?;
        store.check_free(name, *overwrite)?;
    }
    let (components, described) = discover_components(generator, *method, top, *ganspace, progress)?;
    let created = super::clock::now_rfc3339();
    let mut saved = Vec::with_capacity(top);
    for (k, (name, component)) in names.into_iter().zip(components).enumerate() {
        let what = match method {
            DiscoverMethod::Sefa => "eigenvalue",
            DiscoverMethod::Ganspace => "variance",
        };
        let info = crate::direction::DirectionInfo {
            space: model.to_owned(),
            method: described.clone(),
            examples: format!(
                "component {} of {top}: {what} {:.4} ({:.1} % of the whole)",
                k + 1,
                component.value,
                component.share * 100.0
            ),
            positive: "the sign that makes the largest coefficient positive".to_owned(),
            created: created.clone(),
            accuracy: None,
        };
        let direction = crate::Direction { vector: component.vector, info };
        let path = store.save(&name, &direction, *overwrite)?;
        saved.push(Discovered { name, direction, value: component.value, share: component.share, path });
    }
    Ok(saved)
}

/// A sheet of directions: one row per direction, and in it, for each seed, the face moved from
/// `ks[0]` to the last k along the direction's unit vector (k in units of the latent's spread, so
/// −3..3 is ±3σ). The latents, row by row, and a caption for each: the strength, and the
/// direction's name on the first face of its row.
pub fn direction_sheet(
    directions: &[(String, Vec<f32>)],
    seeds: &[u64],
    ks: &[f64],
) -> Result<(Vec<Vec<f32>>, Vec<String>)> {
    let mut latents = Vec::with_capacity(directions.len() * seeds.len() * ks.len());
    let mut captions = Vec::with_capacity(latents.capacity());
    for (name, vector) in directions {
        let unit = orthogonal_unit(vector, &[])?;
        for &seed in seeds {
            let z = crate::latent::seed_latent(seed, dcgan::LATENT_DIMS);
            latents.extend(sweep(&z, &unit, ks));
            captions.extend(ks.iter().map(|k| format!("{k:+}")));
        }
        let first = captions.len() - seeds.len() * ks.len();
        if let Some(caption) = captions.get_mut(first) {
            *caption = format!("@{name}");
        }
    }
    Ok((latents, captions))
}

/// A measured attribute of a face by name (`smile`, `brightness`, …), or an error naming them all.
pub fn attribute(name: &str) -> Result<&'static crate::latent::Attribute> {
    crate::latent::attribute(name).ok_or_else(|| {
        let known: Vec<&str> = crate::latent::ATTRIBUTES.iter().map(|a| a.name).collect();
        Error::invalid(format!("unknown attribute {name:?}; known: {}", known.join(", ")))
    })
}

#[cfg(test)]
mod tests {
    use super::{orthogonal_unit, visual_analogy};

    #[test]
    fn a_visual_analogy_is_b_minus_a_plus_c_with_bounded_seeded_noise() {
        let (a, b, c) = (vec![1.0f32, 0.0], vec![1.0, 1.0], vec![0.0, 2.0]);
        let latents = visual_analogy(a, b, c, 3, 0.25, 7).unwrap();
        assert_eq!(latents.len(), 7);
        assert_eq!(latents[3], [0.0, 3.0]);
        for variant in &latents[4..] {
            assert!(variant.iter().zip(&latents[3]).all(|(v, r)| (v - r).abs() <= 0.25), "{variant:?}");
            assert_ne!(variant, &latents[3]);
        }
        let again = visual_analogy(vec![1.0, 0.0], vec![1.0, 1.0], vec![0.0, 2.0], 3, 0.25, 7).unwrap();
        assert_eq!(again, latents, "the same seed gives the same noise");
        assert!(visual_analogy(vec![0.0], vec![0.0], vec![0.0], 1, f64::NAN, 0).is_err());
    }

    #[test]
    fn the_edit_direction_loses_its_components_along_kept_ones() {
        let d = [1.0f32, 1.0, 1.0];
        let keep = vec![vec![2.0f32, 0.0, 0.0], vec![1.0, 1.0, 0.0]];
        let unit = orthogonal_unit(&d, &keep).unwrap();
        // What is left of (1, 1, 1) outside the x–y plane is the z axis.
        assert!((unit[0]).abs() < 1e-12 && (unit[1]).abs() < 1e-12 && (unit[2] - 1.0).abs() < 1e-12, "{unit:?}");
    }

    #[test]
    fn a_direction_inside_the_kept_ones_is_refused() {
        let err = orthogonal_unit(&[1.0, 2.0], &[vec![1.0, 0.0], vec![0.0, 3.0]]).unwrap_err();
        assert!(err.to_string().contains("nothing is left to edit"), "{err}");
    }
}
