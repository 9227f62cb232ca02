//! Face endpoints: PNG grids of latent expressions, edits along a direction built from marked
//! seeds, and interpolation. Generators load on first use and stay loaded.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio::sync::OnceCell;
use vecspace::app::latent::FacesFormat;
use vecspace::latent::{self, Dcgan, dcgan};

use crate::words::Body;
use crate::{ApiError, AppState};

fn default_model() -> String {
    latent::DEFAULT_MODEL.to_owned()
}

fn two() -> usize {
    2
}

/// The generator called `name`, loaded once.
async fn generator(state: &Arc<AppState>, name: &str) -> Result<Arc<Dcgan>, ApiError> {
    if latent::model(name).is_none() {
        let known: Vec<&str> = latent::MODELS.iter().map(|m| m.name).collect();
        return Err(ApiError::not_found(
            "unknown_model",
            format!("unknown image generator {name:?}; known: {}", known.join(", ")),
        ));
    }
    let cell = state
        .generators
        .lock()
        .expect("generators lock")
        .entry(name.to_owned())
        .or_insert_with(|| Arc::new(OnceCell::new()))
        .clone();
    let name = name.to_owned();
    let loaded = cell
        .get_or_try_init(|| async move {
            tokio::task::spawn_blocking(move || {
                vecspace::open_generator(&name, &vecspace::progress::Silent).map(Arc::new).map_err(ApiError::from)
            })
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?
        })
        .await?;
    Ok(loaded.clone())
}

/// A latent expression's vector (`seed:N`, `mean(...)`, `slerp(...)`, saved `@direction`s).
fn latent_of(state: &AppState, expression: &str) -> Result<Vec<f32>, ApiError> {
    Ok(vecspace::app::latent::evaluate(&state.directions, expression, &[])?)
}

/// The faces as the request's `format` asks: a captioned grid (the default), the plain faces edge
/// to edge, or their float pixels as `.npy` bytes.
fn faces(
    images: &latent::Images,
    captions: Vec<String>,
    columns: usize,
    scale: usize,
    format: FacesFormat,
) -> Result<Response, ApiError> {
    let bytes = vecspace::app::latent::faces_bytes(images, captions, columns.max(1), scale, format)?;
    let kind = if format == FacesFormat::Npy { "application/octet-stream" } else { "image/png" };
    Ok(([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "no-store")], bytes).into_response())
}

/// A request's `format`: `grid` unless it says `png` or `npy`.
fn faces_format(asked: Option<&str>) -> Result<FacesFormat, ApiError> {
    Ok(asked.map(str::parse).transpose()?.unwrap_or_default())
}

fn check_scale(scale: usize) -> Result<usize, ApiError> {
    if (1..=4).contains(&scale) { Ok(scale) } else { Err(ApiError::bad_request("scale must be between 1 and 4")) }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenderRequest {
    /// Latent expressions, one face each: `seed:7`, `mean(seed:1, seed:2)`, …
    latents: Vec<String>,
    #[serde(default = "default_model")]
    model: String,
    #[serde(default)]
    columns: Option<usize>,
    /// `grid` (default: captioned faces), `png` (the faces edge to edge) or `npy` (their float
    /// pixels, shape (n, 64, 64, 3)).
    #[serde(default)]
    format: Option<String>,
    #[serde(default = "two")]
    scale: usize,
}

pub async fn render(
    State(state): State<Arc<AppState>>,
    Body(request): Body<RenderRequest>,
) -> Result<Response, ApiError> {
    let most = state.limits.faces;
    if request.latents.is_empty() || request.latents.len() > most {
        return Err(ApiError::too_large(format!("render between 1 and {most} faces at a time")));
    }
    request.latents.iter().try_for_each(|e| state.check_expression(e))?;
    let scale = check_scale(request.scale)?;
    let format = faces_format(request.format.as_deref())?;
    let latents = request.latents.iter().map(|e| latent_of(&state, e)).collect::<Result<Vec<_>, _>>()?;
    let generator = generator(&state, &request.model).await?;
    let columns = request.columns.unwrap_or(8).clamp(1, most);
    let captions = request.latents.clone();
    state
        .heavy(move || {
            let images = generator.generate(&latents)?;
            faces(&images, captions, columns, scale, format)
        })
        .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditRequest {
    /// The face to edit (a latent expression).
    latent: String,
    /// Seeds marked as having the attribute, and seeds marked as not: the direction is the
    /// difference of their means (the DCGAN paper's recipe).
    positive: Vec<u64>,
    negative: Vec<u64>,
    /// Strengths: the latent moved k units along the unit direction, for each k.
    strengths: Vec<f64>,
    #[serde(default = "default_model")]
    model: String,
    /// `grid` (default: captioned faces), `png` (the faces edge to edge) or `npy` (their float
    /// pixels, shape (n, 64, 64, 3)).
    #[serde(default)]
    format: Option<String>,
    #[serde(default = "two")]
    scale: usize,
}

pub async fn edit(State(state): State<Arc<AppState>>, Body(request): Body<EditRequest>) -> Result<Response, ApiError> {
    let most = state.limits.faces;
    if request.positive.is_empty() || request.negative.is_empty() {
        return Err(ApiError::bad_request("mark at least one positive and one negative face"));
    }
    if request.positive.len() + request.negative.len() > 4 * most
        || request.strengths.is_empty()
        || request.strengths.len() > most
    {
        return Err(ApiError::too_large(format!(
            "at most {} marked faces and between 1 and {most} strengths",
            4 * most
        )));
    }
    if request.strengths.iter().any(|k| !k.is_finite() || k.abs() > 100.0) {
        return Err(ApiError::bad_request("strengths must be numbers between -100 and 100"));
    }
    state.check_expression(&request.latent)?;
    let scale = check_scale(request.scale)?;
    let format = faces_format(request.format.as_deref())?;
    let z = latent_of(&state, &request.latent)?;
    let seeds =
        |list: &[u64]| -> Vec<Vec<f32>> { list.iter().map(|&s| latent::seed_latent(s, dcgan::LATENT_DIMS)).collect() };
    let (positive, negative) = (seeds(&request.positive), seeds(&request.negative));
    let (positive, negative): (Vec<&[f32]>, Vec<&[f32]>) =
        (positive.iter().map(Vec::as_slice).collect(), negative.iter().map(Vec::as_slice).collect());
    // The DCGAN paper's recipe, as `direction build --method mean-diff` does it for latents.
    let d = vecspace::direction::centroid(&negative, &positive)?;
    let length = vecspace::length(&d);
    let unit: Vec<f64> = d.iter().map(|&x| f64::from(x) / length).collect();
    let frames = vecspace::app::latent::sweep(&z, &unit, &request.strengths);
    let captions = request.strengths.iter().map(|k| format!("k = {k:+.1}")).collect();
    let generator = generator(&state, &request.model).await?;
    let columns = frames.len();
    state.heavy(move || faces(&generator.generate(&frames)?, captions, columns, scale, format)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterpolateRequest {
    from: String,
    to: String,
    #[serde(default)]
    steps: Option<usize>,
    /// `slerp` (default) or `lerp`.
    #[serde(default)]
    method: Option<String>,
    #[serde(default = "default_model")]
    model: String,
    /// `grid` (default: captioned faces), `png` (the faces edge to edge) or `npy` (their float
    /// pixels, shape (n, 64, 64, 3)).
    #[serde(default)]
    format: Option<String>,
    #[serde(default = "two")]
    scale: usize,
}

pub async fn interpolate(
    State(state): State<Arc<AppState>>,
    Body(request): Body<InterpolateRequest>,
) -> Result<Response, ApiError> {
    let steps = request.steps.unwrap_or(8);
    if !(2..=state.limits.faces).contains(&steps) {
        return Err(ApiError::too_large(format!("steps must be between 2 and {}", state.limits.faces)));
    }
    state.check_expression(&request.from)?;
    state.check_expression(&request.to)?;
    let scale = check_scale(request.scale)?;
    let format = faces_format(request.format.as_deref())?;
    let (a, b) = (latent_of(&state, &request.from)?, latent_of(&state, &request.to)?);
    let method: vecspace::app::latent::Interpolation = request.method.as_deref().unwrap_or("slerp").parse()?;
    let (ts, frames): (Vec<f64>, Vec<Vec<f32>>) =
        vecspace::app::latent::interpolate(&a, &b, steps, method)?.into_iter().unzip();
    let captions = ts.iter().map(|t| format!("t = {t:.2}")).collect();
    let generator = generator(&state, &request.model).await?;
    state.heavy(move || faces(&generator.generate(&frames)?, captions, steps, scale, format)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscoverRequest {
    /// `sefa` (closed form, instant) or `ganspace` (principal components of sampled activations).
    method: String,
    /// How many directions: one row of the sheet each.
    #[serde(default = "five")]
    top: usize,
    /// The faces each row sweeps.
    #[serde(default = "first_three")]
    seeds: Vec<u64>,
    /// Frames per face, from −3σ to +3σ.
    #[serde(default = "five")]
    steps: usize,
    #[serde(default = "default_model")]
    model: String,
    #[serde(default)]
    format: Option<String>,
    #[serde(default = "one")]
    scale: usize,
}

fn five() -> usize {
    5
}

fn one() -> usize {
    1
}

fn first_three() -> Vec<u64> {
    vec![0, 1, 2]
}

/// Most directions one sheet shows.
const MOST_SHEET_ROWS: usize = 10;

/// Directions found without labels, as a sheet: each direction a row, each seed swept from −3σ to
/// +3σ. Nothing is saved.
pub async fn discover(
    State(state): State<Arc<AppState>>,
    Body(request): Body<DiscoverRequest>,
) -> Result<Response, ApiError> {
    let method: vecspace::app::latent::DiscoverMethod = request.method.parse()?;
    if !(1..=MOST_SHEET_ROWS).contains(&request.top) {
        return Err(ApiError::too_large(format!("top must be between 1 and {MOST_SHEET_ROWS}")));
    }
    let frames = request.seeds.len().saturating_mul(request.steps);
    if request.seeds.is_empty() || request.steps < 2 || frames > state.limits.faces {
        return Err(ApiError::too_large(format!(
            "each row sweeps 1 or more seeds in 2 or more steps, at most {} faces a row",
            state.limits.faces
        )));
    }
    let scale = check_scale(request.scale)?;
    let format = faces_format(request.format.as_deref())?;
    let generator = generator(&state, &request.model).await?;
    let (top, seeds) = (request.top, request.seeds);
    let ks = vecspace::app::latent::spaced(-3.0, 3.0, request.steps)?;
    state
        .heavy(move || {
            let ganspace = latent::discover::GanspaceOptions::default();
            let (components, _) = vecspace::app::latent::discover_components(
                &generator,
                method,
                top,
                ganspace,
                &vecspace::progress::Silent,
            )?;
            let named: Vec<(String, Vec<f32>)> =
                components.into_iter().enumerate().map(|(k, c)| (format!("{method}{}", k + 1), c.vector)).collect();
            let (latents, captions) = vecspace::app::latent::direction_sheet(&named, &seeds, &ks)?;
            faces(&generator.generate(&latents)?, captions, frames, scale, format)
        })
        .await
}

/// Most bytes of an uploaded image.
pub const MOST_UPLOAD_BYTES: usize = 4 << 20;
/// Most gradient steps one request may ask for (a search of 4 starts × 300 steps takes about
/// 40 s on 2 cores).
const MOST_STEPS: usize = 300;
/// Most starts one request may ask for.
const MOST_STARTS: usize = 8;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvertQuery {
    #[serde(default = "default_model")]
    model: String,
    #[serde(default)]
    steps: Option<usize>,
    #[serde(default)]
    starts: Option<usize>,
    /// `LEFT,TOP,SIZE`: the square of the image that holds the face.
    #[serde(default)]
    crop: Option<String>,
}

#[derive(serde::Serialize)]
pub struct InvertAnswer {
    /// The found latent (100 values).
    latent: Vec<f32>,
    rms_levels: f32,
    mean_abs_levels: f32,
    start_errors: Vec<f32>,
    /// The image as the generator's training faces were prepared, then the face found: a PNG of
    /// two 64 × 64 faces side by side, base64.
    faces_png: String,
}

/// The latent of an uploaded PNG (the request body, `image/png`), found by gradient descent
/// through the generator.
pub async fn invert(
    State(state): State<Arc<AppState>>,
    query: Result<axum::extract::Query<InvertQuery>, axum::extract::rejection::QueryRejection>,
    headers: axum::http::HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<axum::Json<InvertAnswer>, ApiError> {
    use base64::Engine;
    let axum::extract::Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let body = body.map_err(|e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(format!("the image is over {MOST_UPLOAD_BYTES} bytes"))
        } else {
            ApiError::bad_request(e.body_text())
        }
    })?;
    let kind = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if kind != "image/png" {
        return Err(ApiError::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("send the image as the body, Content-Type image/png (not {kind:?})"),
        ));
    }
    let defaults = latent::InvertOptions::default();
    let steps = query.steps.unwrap_or(defaults.steps.min(MOST_STEPS));
    let starts = query.starts.unwrap_or(defaults.starts);
    if !(1..=MOST_STEPS).contains(&steps) || !(1..=MOST_STARTS).contains(&starts) {
        return Err(ApiError::too_large(format!("steps must be 1 to {MOST_STEPS} and starts 1 to {MOST_STARTS}")));
    }
    let crop: Option<vecspace::app::latent::Crop> = query.crop.as_deref().map(str::parse).transpose()?;
    let options = latent::InvertOptions { steps, starts, ..defaults };
    let generator = generator(&state, &query.model).await?;
    state
        .heavy(move || {
            let target = vecspace::app::latent::inversion_target(&body, crop)?;
            let found =
                latent::invert(&generator, std::slice::from_ref(&target), &options, &vecspace::progress::Silent)?
                    .pop()
                    .ok_or_else(|| ApiError::internal("the search found nothing"))?;
            let pair = latent::Images { count: 2, data: [target.as_slice(), &found.image].concat() };
            let png = vecspace::app::latent::faces_mosaic(&pair, 2)?;
            Ok(axum::Json(InvertAnswer {
                latent: found.latent,
                rms_levels: found.rms_levels,
                mean_abs_levels: found.mean_abs_levels,
                start_errors: found.start_errors,
                faces_png: base64::engine::general_purpose::STANDARD.encode(png),
            }))
        })
        .await
}
