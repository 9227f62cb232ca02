//! Long calls report progress to a Python callable, `callback(label, done, total, unit, finished)`,
//! at most ten times a second and once when a phase ends. The call itself runs without the GIL;
//! each report takes it for the moment of the callback. An exception raised by the callback is
//! kept and raised when the call returns (the work cannot be stopped half-way).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use vecspace::progress::{Progress, Unit};

const INTERVAL: Duration = Duration::from_millis(100);

struct Phase {
    label: String,
    total: Option<u64>,
    unit: Unit,
    done: u64,
    reported: Option<Instant>,
}

/// A [`Progress`] that calls a Python callable, or reports nothing when there is none.
pub struct Callback {
    callable: Option<Py<PyAny>>,
    phase: Mutex<Phase>,
    error: Mutex<Option<PyErr>>,
}

impl Callback {
    /// A callback for the `progress=` argument of a call: `None` or `False` for none, `True` for
    /// a bar (`vecspace._progress.Bar`), or the caller's callable.
    pub fn new(py: Python<'_>, progress: Option<&Bound<'_, PyAny>>) -> PyResult<Callback> {
        let callable = match progress {
            None => None,
            Some(given) => {
                let resolved = py.import("vecspace._progress")?.getattr("resolve")?.call1((given,))?;
                (!resolved.is_none()).then(|| resolved.unbind())
            }
        };
        Ok(Callback::with(callable))
    }

    fn with(callable: Option<Py<PyAny>>) -> Callback {
        let phase = Phase { label: String::new(), total: None, unit: Unit::Items, done: 0, reported: None };
        Callback { callable, phase: Mutex::new(phase), error: Mutex::new(None) }
    }

    /// The callback's first exception, if it raised one.
    pub fn finish_call(self) -> PyResult<()> {
        match self.error.into_inner().unwrap_or_else(|e| e.into_inner()) {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    fn report(&self, phase: &mut Phase, finished: bool) {
        let Some(callable) = &self.callable else { return };
        phase.reported = Some(Instant::now());
        let unit = match phase.unit {
            Unit::Bytes => "B",
            Unit::Items => "it",
        };
        Python::attach(|py| {
            if let Err(error) = callable.call1(py, (phase.label.as_str(), phase.done, phase.total, unit, finished)) {
                let mut kept = self.error.lock().unwrap_or_else(|e| e.into_inner());
                kept.get_or_insert(error);
            }
        });
    }

    fn phase(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Progress for Callback {
    fn start(&self, label: &str, total: Option<u64>, unit: Unit) {
        let mut phase = self.phase();
        *phase = Phase { label: label.to_owned(), total, unit, done: 0, reported: None };
        self.report(&mut phase, false);
    }

    fn advance(&self, amount: u64) {
        let mut phase = self.phase();
        phase.done += amount;
        if phase.reported.is_none_or(|at| at.elapsed() >= INTERVAL) {
            self.report(&mut phase, false);
        }
    }

    fn finish(&self) {
        let mut phase = self.phase();
        self.report(&mut phase, true);
    }
}
