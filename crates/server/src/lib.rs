//! The vecspace HTTP API and web playground, served by one binary: word spaces (queries,
//! analogies, similarity, 2-D layouts, directions, evaluation jobs), face generators (renders,
//! edits, interpolation) and a language model (steered generation streamed as server-sent
//! events). The API is described at `/openapi.json`; the page at `/` uses nothing else.
//!
//! Limits keep one client from taking the machine: request bodies, expression length, `k`, batch
//! sizes and generation length are bounded; heavy work (faces, the language model, evaluations)
//! runs off the async threads, a few at a time, and a request that finds them all busy gets 503
//! at once instead of queueing without end.

mod answers;
mod batch;
mod connections;
mod error;
mod faces;
mod jobs;
mod lm;
mod openapi;
mod page;
mod words;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::{OnceCell, Semaphore};
use vecspace::Space;

pub use connections::ConnectionLimits;
pub use error::ApiError;

/// Bounds on what one request may ask.
#[derive(Debug, Clone)]
pub struct Limits {
    pub body_bytes: usize,
    pub expression_chars: usize,
    pub k: usize,
    /// Words in one plot or list.
    pub words: usize,
    /// Faces in one render.
    pub faces: usize,
    /// Tokens one generation may produce.
    pub tokens: usize,
    /// Heavy requests running at once (faces, the language model, evaluations).
    pub heavy: usize,
    /// Longest a request may run.
    pub timeout: Duration,
    /// Open connections and how long a client may take to send a request.
    pub connections: ConnectionLimits,
    /// Memory the kept query answers may take.
    pub answer_cache_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            body_bytes: 64 * 1024,
            expression_chars: 2_000,
            k: 1_000,
            words: 500,
            faces: 64,
            tokens: 256,
            heavy: 2,
            timeout: Duration::from_secs(60),
            connections: ConnectionLimits::default(),
            answer_cache_bytes: 64 << 20,
        }
    }
}

/// How to run the server.
pub struct Config {
    /// Word spaces by name, loaded before serving; the first is the default.
    pub spaces: Vec<(String, Space)>,
    /// Bearer token every API request must carry, if set.
    pub token: Option<String>,
    /// An origin allowed to call the API from another site (CORS), if any.
    pub cors_origin: Option<String>,
    pub limits: Limits,
    /// Language models offered on the steering tab (registered names or GGUF files); the first
    /// is the default. Empty: every registered language model.
    pub language_models: Vec<String>,
}

/// Shared by all requests.
pub struct AppState {
    spaces: HashMap<String, Arc<Space>>,
    space_order: Vec<String>,
    token: Option<String>,
    cors_origin: Option<HeaderValue>,
    limits: Limits,
    heavy: Arc<Semaphore>,
    generators: Mutex<HashMap<String, Arc<OnceCell<Arc<vecspace::latent::Dcgan>>>>>,
    language_models: lm::Models,
    jobs: jobs::Jobs,
    vectors: lm::Vectors,
    answers: words::Answers,
    batchers: HashMap<String, batch::Batcher>,
    directions: vecspace::app::DirectionStore,
}

/// Why a server cannot start with a configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("the server needs at least one word space")]
    NoSpaces,
    #[error("invalid CORS origin {origin:?}")]
    CorsOrigin { origin: String },
    #[error(transparent)]
    App(#[from] vecspace::app::Error),
}

impl AppState {
    pub fn new(config: Config) -> Result<Arc<AppState>, ConfigError> {
        if config.spaces.is_empty() {
            return Err(ConfigError::NoSpaces);
        }
        let cors_origin = match config.cors_origin {
            Some(origin) => Some(HeaderValue::from_str(&origin).map_err(|_| ConfigError::CorsOrigin { origin })?),
            None => None,
        };
        // Requests name saved directions, never paths, so none reaches outside the store.
        let directions = vecspace::app::DirectionStore::from_env()?.names_only();
        let answer_cache_bytes = config.limits.answer_cache_bytes;
        let space_order = config.spaces.iter().map(|(n, _)| n.clone()).collect();
        let spaces: HashMap<String, Arc<Space>> = config.spaces.into_iter().map(|(n, s)| (n, Arc::new(s))).collect();
        let batchers = spaces.iter().map(|(n, s)| (n.clone(), batch::Batcher::start(s.clone()))).collect();
        Ok(Arc::new(AppState {
            spaces,
            batchers,
            space_order,
            token: config.token,
            cors_origin,
            heavy: Arc::new(Semaphore::new(config.limits.heavy.max(1))),
            limits: config.limits,
            generators: Mutex::new(HashMap::new()),
            language_models: lm::Models::new(vecspace::app::steering::model_choices(&config.language_models)?),
            jobs: jobs::Jobs::default(),
            vectors: lm::Vectors::default(),
            answers: words::Answers::new(answer_cache_bytes),
            directions,
        }))
    }

    /// The named space, or the default one.
    fn space(&self, name: Option<&str>) -> Result<(String, Arc<Space>), ApiError> {
        let name = name.unwrap_or(&self.space_order[0]);
        match self.spaces.get(name) {
            Some(space) => Ok((name.to_owned(), space.clone())),
            None => Err(ApiError::not_found(
                "unknown_space",
                format!("no space {name:?} is loaded; loaded: {}", self.space_order.join(", ")),
            )),
        }
    }

    /// Runs heavy work on the blocking threads, if a slot is free within a moment.
    async fn heavy<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let permit = tokio::time::timeout(Duration::from_millis(250), self.heavy.acquire())
            .await
            .map_err(|_| ApiError::busy())?
            .map_err(|_| ApiError::internal("the server is shutting down"))?;
        let result = self.blocking(work).await;
        drop(permit);
        result
    }

    /// Runs CPU work off the async threads, bounded by the request timeout.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let task = tokio::task::spawn_blocking(work);
        match tokio::time::timeout(self.limits.timeout, task).await {
            Ok(Ok(result)) => result,
            Ok(Err(e)) => Err(ApiError::internal(format!("the work failed: {e}"))),
            Err(_) => Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "timeout", "the request took too long")),
        }
    }

    /// A heavy slot to hold while work runs elsewhere, or 503 if none is free.
    fn heavy_slot(&self) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
        self.heavy.clone().try_acquire_owned().map_err(|_| ApiError::busy())
    }

    fn check_expression(&self, expression: &str) -> Result<(), ApiError> {
        let chars = expression.chars().count();
        if chars > self.limits.expression_chars {
            return Err(ApiError::too_large(format!(
                "the expression has {chars} characters; at most {} are accepted",
                self.limits.expression_chars
            )));
        }
        Ok(())
    }

    fn check_k(&self, k: usize) -> Result<usize, ApiError> {
        if k == 0 || k > self.limits.k {
            return Err(ApiError::too_large(format!("k must be between 1 and {}", self.limits.k)));
        }
        Ok(k)
    }
}

/// Every route of the API and the page.
pub fn router(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/api/spaces", get(words::spaces))
        .route("/api/query", post(words::query))
        .route("/api/analogy", post(words::analogy))
        .route("/api/similarity", post(words::similarity))
        .route("/api/plot", post(words::plot))
        .route("/api/directions", get(words::list_directions).post(words::build_direction))
        .route("/api/along", post(words::along))
        .route("/api/jobs", post(jobs::start))
        .route("/api/jobs/{id}", get(jobs::status))
        .route("/api/fetch", get(words::fetch_status))
        .route("/api/faces/render", post(faces::render))
        .route("/api/faces/edit", post(faces::edit))
        .route("/api/faces/interpolate", post(faces::interpolate))
        .route("/api/faces/discover", post(faces::discover))
        // An uploaded image is larger than any JSON request.
        .route("/api/faces/invert", post(faces::invert).layer(DefaultBodyLimit::max(faces::MOST_UPLOAD_BYTES)))
        .route("/api/lm/models", get(lm::models))
        .route("/api/lm/vector", post(lm::build_vector))
        .route("/api/lm/generate", post(lm::generate))
        .route_layer(middleware::from_fn_with_state(state.clone(), spaces_intact))
        .route_layer(middleware::from_fn_with_state(state.clone(), authorize));
    Router::new()
        .route("/", get(page::index))
        .route("/app.js", get(page::script))
        .route("/style.css", get(page::style))
        .route("/openapi.json", get(openapi::document))
        .merge(api)
        // Every answer is JSON, even to a path or a method the API does not have.
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(DefaultBodyLimit::max(state.limits.body_bytes))
        .layer(middleware::from_fn_with_state(state.clone(), cors))
        .with_state(state)
}

async fn no_route() -> ApiError {
    ApiError::not_found("no_route", "no such path; the API is described at /openapi.json")
}

async fn wrong_method() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this path does not take that method; see /openapi.json",
    )
}

/// With a token configured, API requests must carry `Authorization: Bearer TOKEN`.
async fn authorize(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    if let Some(token) = &state.token {
        let given = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let expected = format!("Bearer {token}");
        // Compare without stopping at the first difference, so timing says nothing of the token.
        let matches = given.is_some_and(|g| {
            g.len() == expected.len() && g.bytes().zip(expected.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
        });
        if !matches {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "this server needs a bearer token: Authorization: Bearer TOKEN",
            )
            .into_response();
        }
    }
    next.run(request).await
}

/// Refuses work while a served space's file has been truncated under the server: reading its
/// lost pages would kill the process (SIGBUS). One `fstat` per space per request.
async fn spaces_intact(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    for name in &state.space_order {
        if let Err(error) = state.spaces[name].check_intact() {
            let message = format!("space {name:?} is unavailable: {error}");
            return ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "space_changed", message).into_response();
        }
    }
    next.run(request).await
}

/// CORS only for the configured origin; preflight requests are answered here.
async fn cors(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let Some(allowed) = state.cors_origin.clone() else { return next.run(request).await };
    let from_allowed = request.headers().get(header::ORIGIN) == Some(&allowed);
    if request.method() == Method::OPTIONS && from_allowed {
        let mut response = StatusCode::NO_CONTENT.into_response();
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allowed);
        headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST"));
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("authorization, content-type"));
        return response;
    }
    let mut response = next.run(request).await;
    if from_allowed {
        response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allowed);
    }
    response
}

/// Serves until `shutdown` completes; then idle connections close at once and requests in
/// flight get the grace period of [`ConnectionLimits`] to finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.limits.connections.clone();
    connections::serve(listener, router(state), limits, shutdown).await
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
