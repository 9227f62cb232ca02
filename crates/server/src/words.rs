//! Word-space endpoints: queries, analogies, similarity, 2-D layouts, directions, fetch status.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use vecspace::direction::{self, Directions};
use vecspace::fetch::{Cache, REGISTRY};
use vecspace::{AnalogyMethod, Space};

use crate::{ApiError, AppState};

/// A JSON body whose problems (too large, not JSON, missing fields) are JSON errors too.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::too_large("the request body is larger than this server accepts"))
            }
            Err(rejection) => Err(ApiError::bad_request(rejection.body_text())),
        }
    }
}

#[derive(Serialize)]
pub struct SpaceInfo {
    name: String,
    words: usize,
    dims: usize,
    default: bool,
}

pub async fn spaces(State(state): State<Arc<AppState>>) -> Json<Vec<SpaceInfo>> {
    Json(
        state
            .space_order
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let space = &state.spaces[name];
                SpaceInfo { name: name.clone(), words: space.len(), dims: space.dims(), default: i == 0 }
            })
            .collect(),
    )
}

fn ten() -> usize {
    10
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryRequest {
    expression: String,
    #[serde(default = "ten")]
    k: usize,
    space: Option<String>,
    #[serde(default)]
    include_inputs: bool,
}

#[derive(Serialize, Clone)]
pub struct Neighbour {
    word: String,
    score: f32,
}

#[derive(Serialize, Clone)]
pub struct QueryResponse {
    space: String,
    /// The expression as parsed (canonical form).
    expression: String,
    /// Set instead of `results` when the expression is a number, such as `cos(a, b)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<f64>,
    results: Vec<Neighbour>,
}

/// Recent answers by (space, expression, k, include_inputs): the same query is common (a page
/// typing, a class of students) and its answer never changes. Expressions naming saved directions
/// are not kept, since a direction can be rebuilt.
#[derive(Default)]
pub struct SingleWordCache {
    answers: Mutex<HashMap<(String, String, usize, bool), QueryResponse>>,
}

const CACHED_ANSWERS: usize = 20_000;

pub async fn query(
    State(state): State<Arc<AppState>>,
    Body(request): Body<QueryRequest>,
) -> Result<Json<QueryResponse>, ApiError> {
    state.check_expression(&request.expression)?;
    let k = state.check_k(request.k)?;
    let (name, space) = state.space(request.space.as_deref())?;
    let key = (name.clone(), request.expression.clone(), k, request.include_inputs);
    let cacheable = !request.expression.contains('@');
    if cacheable && let Some(hit) = state.single_word.answers.lock().expect("cache lock").get(&key) {
        return Ok(Json(hit.clone()));
    }
    let expression = request.expression;
    let include_inputs = request.include_inputs;
    let evaluated = state
        .blocking({
            let space = space.clone();
            move || {
                let directions = saved_directions_in(&expression, space.dims())?;
                let (expr, value) = space.evaluate_with(&expression, true, &directions)?;
                let exclude: Vec<usize> = if include_inputs {
                    Vec::new()
                } else {
                    expr.names().iter().filter_map(|name| space.vocab().row(name)).collect()
                };
                Ok((expr.to_string(), value, exclude))
            }
        })
        .await?;
    let (canonical, value, exclude) = evaluated;
    let response = match value {
        vecspace::Value::Scalar(value) => {
            QueryResponse { space: name, expression: canonical, value: Some(value), results: Vec::new() }
        }
        vecspace::Value::Vector(vector) => {
            if vector.iter().any(|x| !x.is_finite()) {
                return Err(ApiError::bad_request("the query vector holds NaN or infinite values"));
            }
            if vector.iter().all(|&x| x == 0.0) {
                return Err(ApiError::bad_request("the query vector is zero, so cosine similarity is undefined"));
            }
            let batcher = state.batchers.get(&name).expect("every space has a batcher");
            let found = batcher.nearest(vector, k, exclude).await.map_err(ApiError::internal)?;
            QueryResponse {
                space: name,
                expression: canonical,
                value: None,
                results: found.into_iter().map(|s| Neighbour { word: s.word, score: s.score }).collect(),
            }
        }
    };
    if cacheable {
        let mut answers = state.single_word.answers.lock().expect("cache lock");
        if answers.len() >= CACHED_ANSWERS {
            answers.clear();
        }
        answers.insert(key, response.clone());
    }
    Ok(Json(response))
}

/// The saved directions an expression names with `@`.
fn saved_directions_in(expression: &str, dims: usize) -> Result<Directions, ApiError> {
    let mut directions = Directions::new();
    let Ok(expr) = vecspace::expr::parse(expression) else { return Ok(directions) };
    for name in expr.names() {
        if let Some(reference) = name.strip_prefix('@') {
            directions.insert(reference.to_owned(), load_direction(reference, dims)?.vector);
        }
    }
    Ok(directions)
}

/// A saved direction by name (names only: no paths, so no reaching outside the cache).
fn load_direction(name: &str, dims: usize) -> Result<vecspace::Direction, ApiError> {
    check_name(name)?;
    let path = Cache::from_env().map_err(|e| ApiError::internal(e.to_string()))?.direction_path(name);
    if !path.exists() {
        return Err(ApiError::not_found("unknown_direction", format!("no saved direction {name:?}")));
    }
    let direction = vecspace::formats::direction::read(&path).map_err(|e| ApiError::internal(e.to_string()))?;
    direction.check_dims(dims).map_err(|_| {
        ApiError::bad_request(format!("direction {name:?} has {} dimensions; this space has {dims}", direction.dims()))
    })?;
    Ok(direction)
}

/// Names of saved things: letters, digits, `-` and `_`, at most 64.
pub fn check_name(name: &str) -> Result<(), ApiError> {
    let fine =
        !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if fine {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!("{name:?} is not a valid name (letters, digits, - and _, at most 64)")))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalogyRequest {
    a: String,
    b: String,
    c: String,
    #[serde(default)]
    method: Option<String>,
    #[serde(default = "ten")]
    k: usize,
    space: Option<String>,
}

#[derive(Serialize)]
pub struct AnalogyResponse {
    space: String,
    method: String,
    results: Vec<Neighbour>,
}

pub async fn analogy(
    State(state): State<Arc<AppState>>,
    Body(request): Body<AnalogyRequest>,
) -> Result<Json<AnalogyResponse>, ApiError> {
    let k = state.check_k(request.k)?;
    let method: AnalogyMethod = request.method.as_deref().unwrap_or("add").parse().map_err(ApiError::bad_request)?;
    let (name, space) = state.space(request.space.as_deref())?;
    for word in [&request.a, &request.b, &request.c] {
        state.check_expression(word)?;
    }
    let results = state
        .blocking(move || {
            let found = space.analogy(&request.a, &request.b, &request.c, method, k)?;
            Ok(found.into_iter().map(|s| Neighbour { word: s.word, score: s.score }).collect())
        })
        .await?;
    Ok(Json(AnalogyResponse { space: name, method: method.to_string(), results }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimilarityRequest {
    a: String,
    b: String,
    space: Option<String>,
}

#[derive(Serialize)]
pub struct SimilarityResponse {
    space: String,
    similarity: f32,
}

pub async fn similarity(
    State(state): State<Arc<AppState>>,
    Body(request): Body<SimilarityRequest>,
) -> Result<Json<SimilarityResponse>, ApiError> {
    state.check_expression(&request.a)?;
    state.check_expression(&request.b)?;
    let (name, space) = state.space(request.space.as_deref())?;
    let similarity = expression_cosine(&space, &request.a, &request.b)?;
    Ok(Json(SimilarityResponse { space: name, similarity }))
}

/// Cosine of two expressions' vectors (words are expressions too).
fn expression_cosine(space: &Space, a: &str, b: &str) -> Result<f32, ApiError> {
    let vector = |e: &str| -> Result<Vec<f32>, ApiError> {
        let (_, value) = space.evaluate(e, true)?;
        value.into_vector().ok_or_else(|| ApiError::bad_request(format!("{e:?} is a number, not a vector")))
    };
    Ok(vecspace::cosine(&vector(a)?, &vector(b)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlotRequest {
    words: Vec<String>,
    /// Two expressions for the axes (`he - she`, `good - bad`); principal components otherwise.
    axes: Option<[String; 2]>,
    space: Option<String>,
}

#[derive(Serialize)]
pub struct Point {
    word: String,
    x: f64,
    y: f64,
}

#[derive(Serialize)]
pub struct PlotResponse {
    space: String,
    axes: [String; 2],
    points: Vec<Point>,
}

pub async fn plot(
    State(state): State<Arc<AppState>>,
    Body(request): Body<PlotRequest>,
) -> Result<Json<PlotResponse>, ApiError> {
    let most = state.limits.words;
    if request.words.len() < 2 || request.words.len() > most {
        return Err(ApiError::too_large(format!("a plot takes between 2 and {most} words")));
    }
    if let Some(axes) = &request.axes {
        axes.iter().try_for_each(|a| state.check_expression(a))?;
    }
    let (name, space) = state.space(request.space.as_deref())?;
    let response = state
        .blocking(move || {
            let vectors = request
                .words
                .iter()
                .map(|w| Ok(space.unit_vector(space.lookup(w)?)))
                .collect::<Result<Vec<_>, vecspace::Error>>()?;
            let layout = match &request.axes {
                Some([x, y]) => {
                    let axis = |e: &str| -> Result<Vec<f32>, ApiError> {
                        let (_, value) = space.evaluate(e, true)?;
                        value.into_vector().ok_or_else(|| ApiError::bad_request(format!("axis {e:?} is a number")))
                    };
                    let (ax, ay) = (axis(x)?, axis(y)?);
                    vecspace::projection::on_axes(&vectors, [&ax, &ay], [x.clone(), y.clone()])
                }
                None => vecspace::projection::pca(&vectors),
            }
            .ok_or_else(|| ApiError::bad_request("these words have no spread to lay out"))?;
            let points = request
                .words
                .iter()
                .zip(&layout.points)
                .map(|(w, p)| Point { word: w.clone(), x: p[0], y: p[1] })
                .collect();
            Ok(PlotResponse { space: name, axes: layout.axes, points })
        })
        .await?;
    Ok(Json(response))
}

#[derive(Serialize)]
pub struct DirectionInfo {
    name: String,
    space: String,
    method: String,
    examples: String,
    dims: usize,
}

pub async fn list_directions() -> Result<Json<Vec<DirectionInfo>>, ApiError> {
    let cache = Cache::from_env().map_err(|e| ApiError::internal(e.to_string()))?;
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(cache.directions_dir()) {
        for entry in entries.flatten() {
            let file = entry.file_name();
            let Some(name) = file.to_str().and_then(|n| n.strip_suffix(".safetensors")) else { continue };
            if let Ok(d) = vecspace::formats::direction::read(&entry.path()) {
                found.push(DirectionInfo {
                    name: name.to_owned(),
                    space: d.info.space.clone(),
                    method: d.info.method.clone(),
                    examples: d.info.examples.clone(),
                    dims: d.dims(),
                });
            }
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Json(found))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildDirectionRequest {
    name: String,
    /// Word pairs `[a, b]`: the direction points from a to b.
    pairs: Vec<[String; 2]>,
    #[serde(default)]
    method: Option<String>,
    space: Option<String>,
}

pub async fn build_direction(
    State(state): State<Arc<AppState>>,
    Body(request): Body<BuildDirectionRequest>,
) -> Result<(StatusCode, Json<DirectionInfo>), ApiError> {
    check_name(&request.name)?;
    if request.pairs.is_empty() || request.pairs.len() > state.limits.words {
        return Err(ApiError::too_large(format!("give between 1 and {} pairs", state.limits.words)));
    }
    let (space_name, space) = state.space(request.space.as_deref())?;
    let method = request.method.unwrap_or_else(|| "mean-diff".into());
    let built = state
        .blocking(move || {
            let rows = |w: &str| -> Result<Vec<f32>, ApiError> { Ok(space.unit_vector(space.lookup(w)?)) };
            let pairs: Vec<(Vec<f32>, Vec<f32>)> =
                request.pairs.iter().map(|[a, b]| Ok((rows(a)?, rows(b)?))).collect::<Result<_, ApiError>>()?;
            let refs: Vec<(&[f32], &[f32])> = pairs.iter().map(|(a, b)| (a.as_slice(), b.as_slice())).collect();
            let vector = match method.as_str() {
                "mean-diff" => direction::mean_diff(&refs)?,
                "pca" => direction::pca(&refs)?,
                other => return Err(ApiError::bad_request(format!("unknown method {other:?}: use mean-diff or pca"))),
            };
            let examples: Vec<String> = request.pairs.iter().map(|[a, b]| format!("{a}:{b}")).collect();
            let direction = vecspace::Direction {
                vector,
                info: vecspace::DirectionInfo {
                    space: space_name.clone(),
                    method: method.clone(),
                    examples: examples.join(" "),
                    positive: "the right side of each pair".into(),
                    created: String::new(),
                    accuracy: None,
                },
            };
            let cache = Cache::from_env().map_err(|e| ApiError::internal(e.to_string()))?;
            let path = cache.direction_path(&request.name);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| ApiError::internal(e.to_string()))?;
            }
            vecspace::formats::direction::write(&direction, &path).map_err(|e| ApiError::internal(e.to_string()))?;
            Ok(DirectionInfo {
                name: request.name,
                space: space_name,
                method,
                examples: direction.info.examples,
                dims: direction.vector.len(),
            })
        })
        .await?;
    Ok((StatusCode::CREATED, Json(built)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlongRequest {
    direction: String,
    words: Vec<String>,
    space: Option<String>,
}

#[derive(Serialize)]
pub struct Projection {
    word: String,
    projection: f32,
}

pub async fn along(
    State(state): State<Arc<AppState>>,
    Body(request): Body<AlongRequest>,
) -> Result<Json<Vec<Projection>>, ApiError> {
    if request.words.is_empty() || request.words.len() > state.limits.words {
        return Err(ApiError::too_large(format!("give between 1 and {} words", state.limits.words)));
    }
    let (_, space) = state.space(request.space.as_deref())?;
    let direction = load_direction(&request.direction, space.dims())?;
    let unit = direction.unit();
    let mut out = Vec::with_capacity(request.words.len());
    for word in &request.words {
        let v = space.unit_vector(space.lookup(word)?);
        out.push(Projection { word: word.clone(), projection: v.iter().zip(&unit).map(|(a, b)| a * b).sum() });
    }
    out.sort_by(|a, b| b.projection.total_cmp(&a.projection));
    Ok(Json(out))
}

#[derive(Serialize)]
pub struct FetchStatus {
    name: &'static str,
    kind: String,
    description: &'static str,
    cached: bool,
}

pub async fn fetch_status() -> Result<Json<Vec<FetchStatus>>, ApiError> {
    let cache = Cache::from_env().map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Json(
        REGISTRY
            .iter()
            .map(|e| FetchStatus {
                name: e.name,
                kind: format!("{:?}", e.kind),
                description: e.description,
                cached: cache.entry_path(e).exists(),
            })
            .collect(),
    ))
}
