//! Language-model endpoints: the models on offer, a steering vector from two prompts, and
//! generation — steered or not — with the tokens streamed as server-sent events. Every request
//! names its model (the first offered by default).

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;
use tokio_stream::wrappers::ReceiverStream;
use vecspace::LanguageModel;
use vecspace::app::steering::ModelChoice;
use vecspace::lm::steer::{self, ControlVector, Method, Position, Steering};
use vecspace::lm::tokenizer::{ChatFormat, TextStream};
use vecspace::lm::{Hook, NoHook, Sampling};

use crate::words::Body;
use crate::{ApiError, AppState};

/// Vectors built through the API, by id; the oldest are dropped beyond this many.
const KEPT_VECTORS: usize = 64;

/// A vector built through the API, with the name of the model it was built on.
struct Kept {
    model: String,
    vector: Arc<ControlVector>,
}

#[derive(Default)]
pub struct Vectors {
    next: AtomicU64,
    /// By number (the id is `v` and the number), so the oldest is the first.
    vectors: Mutex<BTreeMap<u64, Kept>>,
}

impl Vectors {
    /// Keeps `vector` and returns its id; past [`KEPT_VECTORS`] only the oldest is forgotten,
    /// so every other client's vectors stay usable.
    fn keep(&self, model: &str, vector: ControlVector) -> String {
        let number = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let mut vectors = self.vectors.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        while vectors.len() >= KEPT_VECTORS {
            vectors.pop_first();
        }
        vectors.insert(number, Kept { model: model.to_owned(), vector: Arc::new(vector) });
        format!("v{number}")
    }

    /// The vector called `id`, if it is still kept, and the model it was built on.
    fn get(&self, id: &str) -> Option<(String, Arc<ControlVector>)> {
        let number = id.strip_prefix('v')?.parse::<u64>().ok()?;
        let vectors = self.vectors.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        vectors.get(&number).map(|kept| (kept.model.clone(), kept.vector.clone()))
    }
}

/// The language models the server offers, and those loaded so far.
pub struct Models {
    choices: Vec<ModelChoice>,
    loaded: Mutex<HashMap<String, Arc<OnceCell<Arc<LanguageModel>>>>>,
}

impl Models {
    pub fn new(choices: Vec<ModelChoice>) -> Models {
        Models { choices, loaded: Mutex::new(HashMap::new()) }
    }

    /// The offered model called `name` (the first when none is named).
    fn choice(&self, name: Option<&str>) -> Result<&ModelChoice, ApiError> {
        let found = match name {
            None => self.choices.first(),
            Some(name) => self.choices.iter().find(|c| c.name == name),
        };
        found.ok_or_else(|| {
            let offered: Vec<&str> = self.choices.iter().map(|c| c.name.as_str()).collect();
            let offered = if offered.is_empty() { "none".to_owned() } else { offered.join(", ") };
            ApiError::not_found(
                "unknown_model",
                format!("no language model {:?} is offered; offered: {offered}", name.unwrap_or_default()),
            )
        })
    }
}

/// The named model (the default one when none is named), loaded once — and fetched first if it
/// is registered and not yet on disk.
async fn model(state: &Arc<AppState>, name: Option<&str>) -> Result<(String, Arc<LanguageModel>), ApiError> {
    let choice = state.language_models.choice(name)?;
    let cell = state
        .language_models
        .loaded
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .entry(choice.name.clone())
        .or_insert_with(|| Arc::new(OnceCell::new()))
        .clone();
    let source = choice.source.clone();
    let loaded = cell
        .get_or_try_init(|| async move {
            tokio::task::spawn_blocking(move || {
                vecspace::open_language_model(&source, &vecspace::progress::Silent)
                    .map(Arc::new)
                    .map_err(ApiError::from)
            })
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?
        })
        .await?;
    Ok((choice.name.clone(), loaded.clone()))
}

#[derive(Serialize)]
pub struct ModelsResponse<'a> {
    /// The first is the default.
    models: &'a [ModelChoice],
}

pub async fn models(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(serde_json::to_value(ModelsResponse { models: &state.language_models.choices }).expect("JSON"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorRequest {
    positive: String,
    negative: String,
    #[serde(default)]
    model: Option<String>,
    /// Scale each layer's vector to unit length (then coefficients are residual-stream lengths).
    #[serde(default)]
    normalize: bool,
}

#[derive(Serialize)]
pub struct VectorResponse {
    id: String,
    model: String,
    layers: usize,
    width: usize,
}

pub async fn build_vector(
    State(state): State<Arc<AppState>>,
    Body(request): Body<VectorRequest>,
) -> Result<Json<VectorResponse>, ApiError> {
    for prompt in [&request.positive, &request.negative] {
        state.check_expression(prompt)?;
        if prompt.trim().is_empty() {
            return Err(ApiError::bad_request("both prompts must hold some text"));
        }
    }
    let (name, model) = model(&state, request.model.as_deref()).await?;
    let normalize = request.normalize;
    let vector = state
        .heavy(move || {
            let pairs = [(request.positive, request.negative)];
            let vector = steer::build(
                &model.model,
                &model.tokenizer,
                &pairs,
                Method::MeanDiff,
                Position::Mean,
                &vecspace::progress::Silent,
            )?;
            Ok(if normalize { vector.normalized() } else { vector })
        })
        .await?;
    let (layers, width) = (vector.layers.len(), vector.width().unwrap_or(0));
    let id = state.vectors.keep(&name, vector);
    Ok(Json(VectorResponse { id, model: name, layers, width }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Steer {
    /// An id from `/api/lm/vector`.
    vector: String,
    coefficient: f32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateRequest {
    prompt: String,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    chat: bool,
    #[serde(default)]
    max_tokens: Option<usize>,
    #[serde(default)]
    temperature: Option<f32>,
    #[serde(default)]
    top_p: Option<f32>,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    steer: Vec<Steer>,
    /// The layers to steer, `[first, last]` (llama.cpp's numbering).
    #[serde(default)]
    layers: Option<[usize; 2]>,
    #[serde(default)]
    generated_only: bool,
}

/// Streams `token` events (`{"text": …}`) and a final `done` event with the counts, or an
/// `error` event.
pub async fn generate(
    State(state): State<Arc<AppState>>,
    Body(request): Body<GenerateRequest>,
) -> Result<Sse<impl tokio_stream::Stream<Item = Result<Event, Infallible>>>, ApiError> {
    state.check_expression(&request.prompt)?;
    let most = state.limits.tokens;
    let max_tokens = request.max_tokens.unwrap_or(48);
    if !(1..=most).contains(&max_tokens) {
        return Err(ApiError::too_large(format!("max_tokens must be between 1 and {most}")));
    }
    let temperature = request.temperature.unwrap_or(0.0);
    let top_p = request.top_p.unwrap_or(1.0);
    if !(temperature.is_finite() && temperature >= 0.0 && top_p > 0.0 && top_p <= 1.0) {
        return Err(ApiError::bad_request("temperature must be ≥ 0 and top_p in (0, 1]"));
    }
    if request.steer.len() > 8 || request.steer.iter().any(|s| !s.coefficient.is_finite()) {
        return Err(ApiError::bad_request("at most 8 vectors, with finite coefficients"));
    }
    let model_name = state.language_models.choice(request.model.as_deref())?.name.clone();
    let vectors: Vec<(ControlVector, f32)> = {
        request
            .steer
            .iter()
            .map(|s| match state.vectors.get(&s.vector) {
                Some((built_on, v)) if built_on == model_name => Ok(((*v).clone(), s.coefficient)),
                Some((built_on, _)) => Err(ApiError::new(
                    axum::http::StatusCode::BAD_REQUEST,
                    "vector_model_mismatch",
                    format!(
                        "vector {:?} was built on {built_on}; this request runs {model_name} — build one on it",
                        s.vector
                    ),
                )),
                None => {
                    Err(ApiError::not_found("unknown_vector", format!("no vector {:?}; build one first", s.vector)))
                }
            })
            .collect::<Result<_, _>>()?
    };
    let (_, model) = model(&state, Some(&model_name)).await?;
    let text = if request.chat {
        ChatFormat::of(&model.file, &model.tokenizer)?.prompt(&request.prompt)
    } else {
        request.prompt.clone()
    };
    let ids = model.tokenizer.encode(&text)?;
    vecspace::app::steering::check_prompt(&ids, max_tokens, &model.model)?;
    let mut hook: Box<dyn Hook + Send> = if vectors.is_empty() {
        Box::new(NoHook)
    } else {
        let last = model.model.config.layers - 1;
        let [first, end] = request.layers.unwrap_or([1, last]);
        let mut steering = Steering::new(&vectors, first..=end, &model.model)?;
        if request.generated_only {
            steering.from_position = ids.len();
        }
        Box::new(steering)
    };
    let permit = state.heavy_slot()?;
    let (sender, receiver) = tokio::sync::mpsc::channel(64);
    let sampling = Sampling { temperature, top_p, seed: request.seed.unwrap_or(0) };
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let mut stream = TextStream::default();
        let send = |event: Event| sender.blocking_send(Ok(event)).is_ok();
        // A client that has gone away ends the generation and frees the slot.
        let mut on_token = |token: u32| {
            let piece = stream.push(model.tokenizer.token_bytes(token));
            let event = Event::default().event("token").json_data(serde_json::json!({ "text": piece })).expect("JSON");
            if piece.is_empty() || send(event) { ControlFlow::Continue(()) } else { ControlFlow::Break(()) }
        };
        let result = vecspace::lm::generate(
            &model.model,
            &model.tokenizer,
            &ids,
            max_tokens,
            sampling,
            hook.as_mut(),
            &mut on_token,
        );
        let event = match result {
            Ok((_, stats)) => Event::default().event("done").json_data(serde_json::json!({
                "prompt_tokens": stats.prompt_tokens,
                "generated_tokens": stats.generated_tokens,
                "tokens_per_second": stats.tokens_per_second(),
            })),
            Err(e) => Event::default().event("error").json_data(serde_json::json!({ "message": e.to_string() })),
        };
        send(event.expect("JSON"));
    });
    Ok(Sse::new(ReceiverStream::new(receiver)).keep_alive(KeepAlive::default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_limit_only_the_oldest_vector_is_forgotten() {
        let vectors = Vectors::default();
        let ids: Vec<String> = (0..KEPT_VECTORS + 1).map(|_| vectors.keep("m", ControlVector::default())).collect();
        assert!(vectors.get(&ids[0]).is_none(), "the oldest stays past the limit");
        assert!(ids[1..].iter().all(|id| vectors.get(id).is_some()), "others' vectors were dropped");
        assert!(vectors.get("v0").is_none() && vectors.get("x1").is_none() && vectors.get("v").is_none());
    }
}
