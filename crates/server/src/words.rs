//! Word-space endpoints: queries, analogies, similarity, 2-D layouts, directions, fetch status.

use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use vecspace::app::words::Evaluated;
use vecspace::fetch::{Cache, REGISTRY};
use vecspace::{AnalogyMethod, BuildMethod};

use crate::answers::{AnswerCache, Footprint};
use crate::{ApiError, AppState};

/// A JSON body whose problems (too large, too slow, not JSON, missing fields) are JSON errors too.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Arc<AppState>> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &Arc<AppState>) -> Result<Self, ApiError> {
        // One deadline for the whole body, so a client sending a byte at a time cannot hold the
        // connection (a per-read timeout would be reset by every byte).
        let deadline = state.limits.connections.body_read;
        let Ok(read) = tokio::time::timeout(deadline, Json::<T>::from_request(request, state)).await else {
            return Err(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                format!("the request body did not arrive within {} s", deadline.as_secs_f64()),
            ));
        };
        match read {
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
    /// Words outside the vocabulary that got vectors from their character n-grams (fastText).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
}

/// Recent answers by (space, expression, k, include_inputs): the same query is common (a page
/// typing, a class of students) and its answer never changes. Expressions naming saved directions
/// are not kept, since a direction can be rebuilt.
pub type Answers = AnswerCache<AnswerKey, QueryResponse>;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AnswerKey {
    space: String,
    expression: String,
    k: usize,
    include_inputs: bool,
}

impl Footprint for AnswerKey {
    fn bytes(&self) -> usize {
        std::mem::size_of::<AnswerKey>() + self.space.capacity() + self.expression.capacity()
    }
}

impl Footprint for QueryResponse {
    fn bytes(&self) -> usize {
        let words: usize = self.results.iter().map(|n| n.word.capacity()).sum();
        std::mem::size_of::<QueryResponse>()
            + self.space.capacity()
            + self.expression.capacity()
            + self.results.capacity() * std::mem::size_of::<Neighbour>()
            + words
            + self.notes.iter().map(String::capacity).sum::<usize>()
    }
}

pub async fn query(
    State(state): State<Arc<AppState>>,
    Body(request): Body<QueryRequest>,
) -> Result<Json<QueryResponse>, ApiError> {
    state.check_expression(&request.expression)?;
    let k = state.check_k(request.k)?;
    let (name, space) = state.space(request.space.as_deref())?;
    let key = AnswerKey {
        space: name.clone(),
        expression: request.expression.clone(),
        k,
        include_inputs: request.include_inputs,
    };
    let cacheable = !request.expression.contains('@');
    if cacheable && let Some(hit) = state.answers.get(&key) {
        return Ok(Json(hit));
    }
    let options = vecspace::QueryOptions::default().top(k).include_inputs(request.include_inputs);
    let request_expression = request.expression.clone();
    let evaluated = state
        .blocking({
            let (state, space, expression) = (state.clone(), space.clone(), request.expression);
            move || Ok(vecspace::app::words::evaluate(&space, &state.directions, &expression, &options)?)
        })
        .await?;
    let notes = vecspace::app::words::derived_notes(&space, &request_expression);
    let response = match evaluated {
        Evaluated::Scalar { expression, value } => {
            QueryResponse { space: name, expression, value: Some(value), results: Vec::new(), notes }
        }
        Evaluated::Vector(query) => {
            let batcher = state.batchers.get(&name).expect("every space has a batcher");
            let found = batcher.nearest(query.vector, k, query.exclude).await.map_err(ApiError::internal)?;
            QueryResponse {
                space: name,
                expression: query.expression,
                value: None,
                results: found.into_iter().map(|s| Neighbour { word: s.word, score: s.score }).collect(),
                notes,
            }
        }
    };
    if cacheable {
        state.answers.insert(key, response.clone());
    }
    Ok(Json(response))
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
    let similarity = vecspace::app::words::similarity(&space, &state.directions, &request.a, &request.b, true)?;
    Ok(Json(SimilarityResponse { space: name, similarity }))
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
    let directions = state.directions.clone();
    let response = state
        .blocking(move || {
            let vectors = request
                .words
                .iter()
                .map(|w| Ok(space.unit_vector(space.lookup(w)?)))
                .collect::<Result<Vec<_>, vecspace::Error>>()?;
            let layout = match &request.axes {
                Some([x, y]) => {
                    let axis = |e: &str| vecspace::app::words::axis(&space, &directions, e, true);
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

pub async fn list_directions(State(state): State<Arc<AppState>>) -> Json<Vec<DirectionInfo>> {
    let found = state
        .directions
        .list()
        .into_iter()
        .filter_map(|(name, read)| {
            let d = read.ok()?;
            Some(DirectionInfo {
                name,
                space: d.info.space,
                method: d.info.method,
                examples: d.info.examples,
                dims: d.vector.len(),
            })
        })
        .collect();
    Json(found)
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
    /// Replace a saved direction of the same name (else 409).
    #[serde(default)]
    replace: bool,
}

pub async fn build_direction(
    State(state): State<Arc<AppState>>,
    Body(request): Body<BuildDirectionRequest>,
) -> Result<(StatusCode, Json<DirectionInfo>), ApiError> {
    vecspace::app::directions::check_name(&request.name)?;
    let overwrite = vecspace::app::files::Overwrite::replace(request.replace);
    state.directions.check_free(&request.name, overwrite)?;
    if request.pairs.is_empty() || request.pairs.len() > state.limits.words {
        return Err(ApiError::too_large(format!("give between 1 and {} pairs", state.limits.words)));
    }
    let method = match request.method.as_deref().unwrap_or("mean-diff").parse::<BuildMethod>() {
        Ok(method @ (BuildMethod::MeanDiff | BuildMethod::Pca)) => method,
        _ => return Err(ApiError::bad_request("pairs build with the mean-diff or pca method")),
    };
    let (space_name, space) = state.space(request.space.as_deref())?;
    let built = state
        .blocking({
            let state = state.clone();
            move || {
                let pairs = request.pairs.into_iter().map(|[a, b]| (a, b)).collect();
                let examples = vecspace::app::directions::Examples { pairs, ..Default::default() };
                let word = |w: &str| -> vecspace::app::Result<Vec<f32>> { Ok(space.unit_vector(space.lookup(w)?)) };
                let direction = vecspace::app::directions::build(&space_name, &word, method, &examples, false)?;
                state.directions.save(&request.name, &direction, overwrite)?;
                Ok(DirectionInfo {
                    name: request.name,
                    space: space_name,
                    method: direction.info.method,
                    examples: direction.info.examples,
                    dims: direction.vector.len(),
                })
            }
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
    let direction = state.directions.load(&request.direction, space.dims())?;
    let placed = vecspace::app::words::along(&space, &direction, &request.words, None, space.len())?;
    Ok(Json(placed.into_iter().map(|p| Projection { word: p.word, projection: p.projection }).collect()))
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
