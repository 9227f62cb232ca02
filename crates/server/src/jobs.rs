//! Long work as jobs: an evaluation starts, answers with its id at once, and reports progress at
//! `/api/jobs/{id}` until its result is there.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use vecspace::app::evaluation::{self, Sources};
use vecspace::eval::AnalogyOptions;
use vecspace::progress::{Progress, Unit};

use crate::words::Body;
use crate::{ApiError, AppState};

/// Jobs kept, finished ones included; the oldest finished are dropped beyond this.
const KEPT_JOBS: usize = 100;

#[derive(Default)]
pub struct Jobs {
    next: AtomicU64,
    jobs: Mutex<HashMap<u64, Arc<Job>>>,
}

#[derive(Default)]
pub struct Job {
    kind: String,
    done: AtomicU64,
    total: AtomicU64,
    outcome: Mutex<Option<Result<serde_json::Value, String>>>,
}

impl Progress for Job {
    fn start(&self, _: &str, total: Option<u64>, _: Unit) {
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total.unwrap_or(0), Ordering::Relaxed);
    }

    fn advance(&self, amount: u64) {
        self.done.fetch_add(amount, Ordering::Relaxed);
    }

    fn finish(&self) {}
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobRequest {
    /// `analogies` (the only kind so far).
    kind: String,
    /// A registered analogy set, such as `google-analogies`.
    set: String,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    restrict_vocab: Option<usize>,
    space: Option<String>,
}

#[derive(Serialize)]
pub struct JobStatus {
    id: u64,
    kind: String,
    state: &'static str,
    done: u64,
    total: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

fn describe(id: u64, job: &Job) -> JobStatus {
    let outcome = job.outcome.lock().expect("job lock").clone();
    let (state, result, error) = match outcome {
        None => ("running", None, None),
        Some(Ok(value)) => ("done", Some(value), None),
        Some(Err(message)) => ("failed", None, Some(message)),
    };
    JobStatus {
        id,
        kind: job.kind.clone(),
        state,
        done: job.done.load(Ordering::Relaxed),
        total: job.total.load(Ordering::Relaxed),
        result,
        error,
    }
}

pub async fn start(
    State(state): State<Arc<AppState>>,
    Body(request): Body<JobRequest>,
) -> Result<(StatusCode, Json<JobStatus>), ApiError> {
    if request.kind != "analogies" {
        return Err(ApiError::bad_request(format!("unknown job kind {:?}: use analogies", request.kind)));
    }
    // Registered names only (a request never names a file), refused at once when unknown.
    evaluation::check_registered_analogy_set(&request.set)?;
    let method: vecspace::AnalogyMethod =
        request.method.as_deref().unwrap_or("add").parse().map_err(ApiError::bad_request)?;
    let (_, space) = state.space(request.space.as_deref())?;
    let permit = state.heavy_slot()?;
    let id = state.jobs.next.fetch_add(1, Ordering::Relaxed) + 1;
    let job = Arc::new(Job { kind: format!("analogies {}", request.set), ..Job::default() });
    {
        let mut jobs = state.jobs.jobs.lock().expect("jobs lock");
        if jobs.len() >= KEPT_JOBS {
            let finished: Vec<u64> =
                jobs.iter().filter(|(_, j)| j.outcome.lock().expect("job lock").is_some()).map(|(id, _)| *id).collect();
            for old in finished {
                jobs.remove(&old);
            }
        }
        jobs.insert(id, job.clone());
    }
    let worker = job.clone();
    let restrict = request.restrict_vocab.unwrap_or(300_000).max(1);
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let run = || -> Result<serde_json::Value, String> {
            let set =
                evaluation::analogy_set(&request.set, Sources::Registered, &*worker).map_err(|e| e.to_string())?;
            let options = AnalogyOptions { restrict_vocab: restrict, method, ..AnalogyOptions::default() };
            let report = evaluation::analogies(&space, &set, &options, &*worker).map_err(|e| e.to_string())?;
            Ok(serde_json::json!({
                "set": request.set,
                "method": method.to_string(),
                "correct": report.correct,
                "total": report.total,
                "accuracy": report.correct as f64 / report.total.max(1) as f64,
                "skipped": report.skipped,
            }))
        };
        let outcome = run();
        *worker.outcome.lock().expect("job lock") = Some(outcome);
    });
    Ok((StatusCode::ACCEPTED, Json(describe(id, &job))))
}

pub async fn status(
    State(state): State<Arc<AppState>>,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<Json<JobStatus>, ApiError> {
    // Taken as text, so that an id that is not a number (or not even UTF-8, `%ff`) is a JSON 404
    // like any unknown id.
    let Ok(Path(id)) = id else { return Err(ApiError::not_found("unknown_job", "no job with that id")) };
    let unknown = || ApiError::not_found("unknown_job", format!("no job {id:?}"));
    let number: u64 = id.parse().map_err(|_| unknown())?;
    let job = state.jobs.jobs.lock().expect("jobs lock").get(&number).cloned();
    match job {
        Some(job) => Ok(Json(describe(number, &job))),
        None => Err(unknown()),
    }
}
