//! Language models through Python (`vecspace.lm`): generation (whole or streamed), control
//! vectors in llama.cpp's GGUF format built from contrasting prompts, steering, the residual
//! stream as NumPy arrays, perplexity and a vector's nearest tokens. Each call makes the library
//! calls the CLI's `vecspace lm …` commands make (crates/cli/src/lm.rs), with the same defaults;
//! long calls run without the GIL.
//!
//! Layer numbers are the library's: a control vector's layers (and `layers=` of steering) follow
//! llama.cpp, 1 … blocks − 1, `direction.N` added to the output of block N; the residual stream
//! (`activations`) is read per block, 0 … blocks − 1.

use std::ops::{ControlFlow, RangeInclusive};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};

use numpy::{AllowTypeChange, PyArray1, PyArrayLike1, PyArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError, PyZeroDivisionError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyRange, PyRangeMethods, PyString, PyTuple};
use vecspace::app::files::{self, Overwrite};
use vecspace::app::{self, steering};
use vecspace::lm::gguf::GgufError;
use vecspace::lm::steer::{self, Method, Position, Steering};
use vecspace::lm::tokenizer::{ChatFormat, TextStream};
use vecspace::lm::{Hook, LmError, NoHook, Sampling};

use crate::errors::{IntoPy, to_python};
use crate::progress::Callback;

/// The language model used when none is named (the CLI's default).
const DEFAULT_MODEL: &str = "smollm2-135m";

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<LanguageModel>()?;
    module.add_class::<ControlVector>()?;
    module.add_class::<GenerationStream>()?;
    module.add_function(wrap_pyfunction!(load_language_model, module)?)?;
    Ok(())
}

// --- errors ---

/// A language-model error as the application layer's. A file that cannot be opened, read or
/// written (`GgufError::Io`) becomes `app::Error::Io` with the same message, so that Python raises
/// `OSError` (`FileNotFoundError` for a missing file) as for every other file; `app::Error::kind`
/// classifies it as invalid input otherwise.
fn from_lm(error: LmError) -> app::Error {
    match error {
        LmError::Gguf(GgufError::Io { path, source }) => app::Error::Io { path, source },
        other => other.into(),
    }
}

/// The same for opening a model: a GGUF path that cannot be read is a file error, not an
/// unavailable model.
fn from_model(error: vecspace::ModelError) -> app::Error {
    match error {
        vecspace::ModelError::LanguageModel(LmError::Gguf(GgufError::Io { path, source })) => {
            app::Error::Io { path, source }
        }
        other => other.into(),
    }
}

fn lm_error(error: LmError) -> PyErr {
    to_python(from_lm(error))
}

trait IntoPyLm<T> {
    fn lm_err(self) -> PyResult<T>;
}

impl<T> IntoPyLm<T> for Result<T, LmError> {
    fn lm_err(self) -> PyResult<T> {
        self.map_err(lm_error)
    }
}

// --- arguments ---

/// `layers=` as an inclusive range: an int N (N alone) or a `range` with step 1, its stop left
/// out as Python's ranges leave it out (`range(6, 13)` is 6 … 12).
fn inclusive_range(given: &Bound<'_, PyAny>) -> PyResult<RangeInclusive<usize>> {
    if let Ok(range) = given.cast::<PyRange>() {
        let (start, stop, step) = (range.start()?, range.stop()?, range.step()?);
        if step != 1 || start < 0 || stop <= start {
            return Err(PyValueError::new_err(format!(
                "layers={} must be a non-empty range of layer numbers with step 1",
                given.repr()?
            )));
        }
        return Ok(start as usize..=(stop - 1) as usize);
    }
    match given.extract::<i64>() {
        Ok(n) if n >= 0 => Ok(n as usize..=n as usize),
        Ok(n) => Err(PyValueError::new_err(format!("layers={n} is not a layer number"))),
        Err(_) => Err(PyTypeError::new_err(format!("layers is an int or a range, not {}", given.get_type().name()?))),
    }
}

/// `position=`: `"mean"`, `"last"` or a token index (0-based, counted in the prompt's tokens).
fn position(given: &Bound<'_, PyAny>) -> PyResult<Position> {
    if let Ok(text) = given.cast::<PyString>() {
        return text.to_cow()?.parse().map_err(PyValueError::new_err);
    }
    match given.extract::<i64>() {
        Ok(i) if i >= 0 => Ok(Position::Token(i as usize)),
        _ => Err(PyValueError::new_err(format!(
            "position={} is not \"mean\", \"last\" or a token index (0 or more)",
            given.repr()?
        ))),
    }
}

/// One prompt or a list of them.
fn texts(given: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if let Ok(text) = given.cast::<PyString>() {
        return Ok(vec![text.to_cow()?.into_owned()]);
    }
    given.try_iter()?.map(|item| item?.extract::<String>()).collect()
}

/// Contrast pairs: `positive=`/`negative=` (one prompt each, or lists of equal length), or
/// `pairs=` (a list of (positive, negative), or a JSONL file as the CLI's `--pairs` reads).
fn contrast_pairs(
    positive: Option<&Bound<'_, PyAny>>,
    negative: Option<&Bound<'_, PyAny>>,
    pairs: Option<&Bound<'_, PyAny>>,
) -> PyResult<Vec<(String, String)>> {
    match (positive, negative, pairs) {
        (Some(positive), Some(negative), None) => {
            let (positive, negative) = (texts(positive)?, texts(negative)?);
            if positive.len() != negative.len() {
                return Err(PyValueError::new_err(format!(
                    "{} positive prompts and {} negative ones: they are paired, so give as many of each",
                    positive.len(),
                    negative.len()
                )));
            }
            Ok(positive.into_iter().zip(negative).collect())
        }
        (None, None, Some(pairs)) => {
            if let Ok(path) = pairs.extract::<PathBuf>() {
                return steering::read_pairs(&path).py_err();
            }
            pairs.try_iter()?.map(|pair| pair?.extract::<(String, String)>()).collect()
        }
        _ => Err(PyValueError::new_err(
            "give positive= and negative= (one prompt each, or lists of equal length), or pairs= (a list of \
             (positive, negative) or a JSONL file)",
        )),
    }
}

// --- control vectors ---

/// A steering vector: one direction per layer (llama.cpp's numbering, 1 … blocks − 1), as
/// llama.cpp's control-vector files hold them and repeng's `ControlVector` does.
///
/// `ControlVector(directions, model=None, model_hint=None)` makes one from a dict of layer ->
/// array (all of one length); `lm.control_vector(...)` builds one from prompts and
/// `ControlVector.load(path)` reads a file. Vectors add, subtract, negate, and multiply or divide
/// by numbers layer by layer (a layer only one of two vectors has counts as zeros in the other),
/// as repeng's do.
#[pyclass(frozen, module = "vecspace.lm")]
pub struct ControlVector {
    inner: steer::ControlVector,
    /// `controlvector.model_hint` (the architecture, such as `llama`), written by `save`.
    hint: Option<String>,
}

impl ControlVector {
    fn of(inner: steer::ControlVector, hint: Option<String>) -> ControlVector {
        ControlVector { inner, hint }
    }

    /// `Σ coefficient × vector` (`ControlVector::linear_combination`), warning when the terms were built
    /// on different models.
    fn combined(py: Python<'_>, terms: &[(&ControlVector, f32)]) -> PyResult<ControlVector> {
        let origins: Vec<&str> = terms.iter().filter_map(|(v, _)| v.inner.built_on.as_deref()).collect();
        if let Some(first) = origins.first()
            && let Some(other) = origins.iter().find(|o| *o != first)
        {
            let warning = py.get_type::<pyo3::exceptions::PyUserWarning>();
            let message = format!("combining control vectors built on different models: {first} and {other}");
            PyErr::warn(py, &warning, &std::ffi::CString::new(message).unwrap_or_default(), 1)?;
        }
        let inner: Vec<(&steer::ControlVector, f32)> = terms.iter().map(|(v, c)| (&v.inner, *c)).collect();
        let combined = steer::ControlVector::linear_combination(&inner).lm_err()?;
        let hint = terms.iter().find_map(|(v, _)| v.hint.clone());
        Ok(ControlVector::of(combined, hint))
    }
}

#[pymethods]
impl ControlVector {
    /// A control vector from a dict of layer (1 or more, llama.cpp's numbering) -> array, all of
    /// one length; `model` is the model it was built on (a description, for messages) and
    /// `model_hint` the architecture `save` writes (such as `"llama"`).
    #[new]
    #[pyo3(signature = (directions, model = None, model_hint = None))]
    fn new(directions: &Bound<'_, PyDict>, model: Option<String>, model_hint: Option<String>) -> PyResult<Self> {
        let mut layers = std::collections::BTreeMap::new();
        for (layer, values) in directions.iter() {
            let layer: usize = layer.extract().map_err(|_| {
                PyValueError::new_err(format!(
                    "layer {} is not a layer number (1 or more)",
                    layer.repr().map(|r| r.to_string()).unwrap_or_default()
                ))
            })?;
            let values: PyArrayLike1<'_, f32, AllowTypeChange> = values.extract()?;
            layers.insert(layer, values.as_array().to_vec());
        }
        let inner = steer::ControlVector::from_layers(layers, model).lm_err()?;
        Ok(ControlVector::of(inner, model_hint))
    }

    /// Reads a control vector (llama.cpp's GGUF format), strictly: every problem is an error.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<ControlVector> {
        py.detach(|| {
            let inner = steer::ControlVector::read(&path)?;
            let file = vecspace::lm::Gguf::open(&path)?;
            let hint = file.get_str("controlvector.model_hint").ok().map(str::to_owned);
            Ok(ControlVector::of(inner, hint))
        })
        .lm_err()
    }

    /// Writes llama.cpp's control-vector GGUF (readable by llama.cpp's `--control-vector` and by
    /// repeng). `model_hint` (the architecture) defaults to the model it was built on;
    /// `overwrite=False` refuses to replace an existing file.
    #[pyo3(signature = (path, *, overwrite = true, model_hint = None))]
    fn save(&self, path: PathBuf, overwrite: bool, model_hint: Option<&str>) -> PyResult<()> {
        let Some(hint) = model_hint.or(self.hint.as_deref()) else {
            return Err(PyValueError::new_err(
                "the vector does not say which architecture it is for: give model_hint= (such as \"llama\")",
            ));
        };
        files::check_output(&path, &[], Overwrite { allowed: overwrite, how: "pass overwrite=True" }).py_err()?;
        self.inner.write(&path, hint).lm_err()
    }

    /// The model the vector was built on (its description), when known.
    #[getter]
    fn model(&self) -> Option<&str> {
        self.inner.built_on.as_deref()
    }

    /// The architecture written as `controlvector.model_hint` (such as `llama`), when known.
    #[getter]
    fn model_hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// The layers the vector has (llama.cpp's numbering), in order.
    #[getter]
    fn layers(&self) -> Vec<usize> {
        self.inner.layers.keys().copied().collect()
    }

    /// The length of each layer's direction: the model's width.
    #[getter]
    fn width(&self) -> usize {
        self.inner.width().unwrap_or(0)
    }

    /// Each layer's direction: a dict of layer -> float32 array (new arrays each time).
    #[getter]
    fn directions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let directions = PyDict::new(py);
        for (layer, values) in &self.inner.layers {
            directions.set_item(layer, PyArray1::from_slice(py, values))?;
        }
        Ok(directions)
    }

    /// The directions as one float32 array, shape (layers, width), in the order of `layers`.
    fn to_array<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, numpy::PyArray2<f32>>> {
        let flat: Vec<f32> = self.inner.layers.values().flatten().copied().collect();
        PyArray1::from_vec(py, flat).reshape([self.inner.layers.len(), self.width()])
    }

    /// Each layer scaled to unit length (as llama.cpp's generator stores them).
    fn normalized(&self) -> ControlVector {
        ControlVector::of(self.inner.normalized(), self.hint.clone())
    }

    fn __repr__(&self) -> String {
        let layers = match (self.inner.layers.keys().next(), self.inner.layers.keys().last()) {
            (Some(first), Some(last)) if first != last => {
                format!("{} layers ({first}–{last})", self.inner.layers.len())
            }
            (Some(first), _) => format!("1 layer ({first})"),
            _ => "no layers".to_owned(),
        };
        let origin = self.inner.built_on.as_deref().map(|m| format!(", built on {m}")).unwrap_or_default();
        format!("<vecspace.lm.ControlVector: {layers} × {}{origin}>", self.width())
    }

    /// Equal directions (exactly) and the same model.
    fn __eq__(&self, other: PyRef<'_, Self>) -> bool {
        self.inner == other.inner
    }

    #[classattr]
    const __hash__: Option<Py<PyAny>> = None;

    /// NumPy leaves `number * vector` to the vector's `__rmul__`.
    #[classattr]
    #[allow(non_upper_case_globals)]
    const __array_ufunc__: Option<Py<PyAny>> = None;

    fn __add__(&self, py: Python<'_>, other: PyRef<'_, Self>) -> PyResult<ControlVector> {
        ControlVector::combined(py, &[(self, 1.0), (&other, 1.0)])
    }

    fn __sub__(&self, py: Python<'_>, other: PyRef<'_, Self>) -> PyResult<ControlVector> {
        ControlVector::combined(py, &[(self, 1.0), (&other, -1.0)])
    }

    fn __neg__(&self, py: Python<'_>) -> PyResult<ControlVector> {
        ControlVector::combined(py, &[(self, -1.0)])
    }

    fn __pos__(&self) -> ControlVector {
        ControlVector::of(self.inner.clone(), self.hint.clone())
    }

    fn __mul__(&self, py: Python<'_>, coefficient: f32) -> PyResult<ControlVector> {
        ControlVector::combined(py, &[(self, coefficient)])
    }

    fn __rmul__(&self, py: Python<'_>, coefficient: f32) -> PyResult<ControlVector> {
        ControlVector::combined(py, &[(self, coefficient)])
    }

    fn __truediv__(&self, divisor: f32) -> PyResult<ControlVector> {
        if divisor == 0.0 {
            return Err(PyZeroDivisionError::new_err("a control vector divided by zero"));
        }
        Ok(ControlVector::of(self.inner.divided(divisor).lm_err()?, self.hint.clone()))
    }
}

/// The vectors and coefficients of `steer=`: a vector (coefficient 1), a (vector, coefficient)
/// pair, or a list of those; their scaled sum is added, as the CLI's `--steer FILE[:COEFF] …`.
fn steering_terms(given: &Bound<'_, PyAny>) -> PyResult<Vec<(steer::ControlVector, f32)>> {
    fn term(item: &Bound<'_, PyAny>) -> PyResult<Option<(steer::ControlVector, f32)>> {
        if let Ok(vector) = item.cast::<ControlVector>() {
            return Ok(Some((vector.get().inner.clone(), 1.0)));
        }
        if let Ok(pair) = item.cast::<PyTuple>()
            && pair.len() == 2
            && let Ok(vector) = pair.get_item(0)?.cast::<ControlVector>()
            && !pair.get_item(1)?.is_instance_of::<ControlVector>()
        {
            let coefficient: f32 = pair.get_item(1)?.extract()?;
            if !coefficient.is_finite() {
                return Err(PyValueError::new_err(format!("the steering coefficient {coefficient} is not finite")));
            }
            return Ok(Some((vector.get().inner.clone(), coefficient)));
        }
        Ok(None)
    }
    if let Some(one) = term(given)? {
        return Ok(vec![one]);
    }
    let items = given.try_iter().map_err(|_| {
        PyTypeError::new_err("steer= takes a ControlVector, a (ControlVector, coefficient) pair, or a list of those")
    })?;
    items
        .map(|item| {
            term(&item?)?.ok_or_else(|| {
                PyTypeError::new_err("each steer= item is a ControlVector or a (ControlVector, coefficient) pair")
            })
        })
        .collect()
}

// --- the model ---

/// Fetches (on first use) and loads a language model: a registered name (`smollm2-135m`,
/// `gemma3-270m`) or a GGUF file (llama, qwen2, qwen3 and gemma3 architectures).
///
/// `progress=True` shows a progress bar for the download; a callable receives
/// `(label, done, total, unit, finished)`.
#[pyfunction]
#[pyo3(signature = (model = PathBuf::from(DEFAULT_MODEL), *, progress = None),
    text_signature = "(model=\"smollm2-135m\", *, progress=None)")]
pub fn load_language_model(
    py: Python<'_>,
    model: PathBuf,
    progress: Option<&Bound<'_, PyAny>>,
) -> PyResult<LanguageModel> {
    let name = model.to_string_lossy().into_owned();
    let callback = Callback::new(py, progress)?;
    let loaded = py.detach(|| vecspace::open_language_model(&name, &callback).map_err(from_model));
    callback.finish_call()?;
    let loaded = loaded.py_err()?;
    Ok(LanguageModel { name, loaded: Arc::new(loaded) })
}

/// A language model run on the CPU: generation with and without steering, control vectors from
/// contrasting prompts, and the residual stream.
#[pyclass(frozen, module = "vecspace.lm")]
pub struct LanguageModel {
    name: String,
    loaded: Arc<vecspace::LanguageModel>,
}

impl LanguageModel {
    fn model(&self) -> &vecspace::lm::Model {
        &self.loaded.model
    }

    /// The steering hook of `steer=`, `layers=` and `generated_only=` (the CLI's `--steer`,
    /// `--layers`, `--generated-only`): `None` without vectors. Layers default to all the model
    /// steers, 1 … blocks − 1.
    fn steering(
        &self,
        steer: Option<&Bound<'_, PyAny>>,
        layers: Option<&Bound<'_, PyAny>>,
        generated_only: Option<usize>,
    ) -> PyResult<Option<Steering>> {
        let terms = match steer {
            Some(steer) if !steer.is_none() => steering_terms(steer)?,
            _ => Vec::new(),
        };
        if terms.is_empty() {
            if layers.is_some_and(|l| !l.is_none()) || generated_only.is_some() {
                return Err(PyValueError::new_err(
                    "layers= and generated_only= choose how to steer; give vectors with steer=",
                ));
            }
            return Ok(None);
        }
        let layers = match layers.filter(|l| !l.is_none()) {
            Some(layers) => inclusive_range(layers)?,
            None => 1..=self.model().config.layers - 1,
        };
        let mut steering = Steering::new(&terms, layers, self.model()).lm_err()?;
        if let Some(from) = generated_only {
            steering.from_position = from;
        }
        Ok(Some(steering))
    }
}

#[pymethods]
impl LanguageModel {
    /// The name it was loaded by: a registered name or the file's path.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// The GGUF file.
    #[getter]
    fn path(&self) -> PathBuf {
        self.loaded.file.path.clone()
    }

    /// The file's model name with its shape, as control vectors record it.
    #[getter]
    fn description(&self) -> &str {
        &self.model().description
    }

    /// llama, qwen2, qwen3 or gemma3.
    #[getter]
    fn architecture(&self) -> &'static str {
        self.model().config.architecture.name()
    }

    /// Transformer blocks (a control vector has layers 1 … layers − 1).
    #[getter]
    fn layers(&self) -> usize {
        self.model().config.layers
    }

    /// The residual stream's width: the length of every activation and direction.
    #[getter]
    fn width(&self) -> usize {
        self.model().config.width
    }

    /// Tokens in the vocabulary.
    #[getter]
    fn vocab_size(&self) -> usize {
        self.loaded.tokenizer.vocab_size()
    }

    /// The longest sequence (prompt and generated tokens) the model reads.
    #[getter]
    fn context(&self) -> usize {
        self.model().config.context
    }

    /// The steering measured to work on this registered model (docs/STEERING.md): a dict with
    /// `layers` (first and last, llama.cpp's numbering), `coefficient` and `normalize`; `None`
    /// for other models.
    #[getter]
    fn preset<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(preset) = steering::steering_preset(&self.name) else { return Ok(None) };
        let dict = PyDict::new(py);
        dict.set_item("layers", preset.layers.to_vec())?;
        dict.set_item("coefficient", preset.coefficient)?;
        dict.set_item("normalize", preset.normalize)?;
        Ok(Some(dict))
    }

    fn __repr__(&self) -> String {
        format!("<vecspace.lm.LanguageModel {:?}: {}>", self.name, self.model().description)
    }

    /// The token ids of `text` (with the BOS token where the model's file asks for one); control
    /// tokens written in the text (`<|im_start|>`) are recognised.
    fn tokenize(&self, text: &str) -> PyResult<Vec<u32>> {
        self.loaded.tokenizer.encode(text).lm_err()
    }

    /// The text of token ids (invalid UTF-8 replaced), control tokens included.
    fn detokenize(&self, ids: Vec<u32>) -> String {
        self.loaded.tokenizer.decode(&ids)
    }

    /// The text of each token as vocabularies show them (`Ġ` or `▁` for a space).
    fn token_texts(&self, ids: Vec<u32>) -> Vec<String> {
        ids.into_iter().map(|id| self.loaded.tokenizer.token_text(id)).collect()
    }

    /// Builds a control vector from contrasting prompts (the CLI's `lm vector build`): one pair
    /// (ActAdd) or many (CAA with `method="mean-diff"`, repeng's PCA with `method="pca-diff"`,
    /// which needs two pairs or more).
    ///
    /// Give `positive=` and `negative=` (one prompt each, or lists of equal length, paired in
    /// order), or `pairs=` (a list of (positive, negative), or a JSONL file of
    /// `{"positive": …, "negative": …}` lines). `position` is `"mean"` (over each prompt's
    /// tokens) or `"last"` (the last token); `normalize=True` scales each layer to unit length;
    /// `layers` (an int or a range, llama.cpp's numbering) keeps only those layers (all, 1 …
    /// blocks − 1, by default). Runs without the GIL; `progress` as in `load`.
    #[pyo3(signature = (positive = None, negative = None, *, pairs = None, method = "mean-diff",
        position = None, normalize = false, layers = None, progress = None),
        text_signature = "($self, positive=None, negative=None, *, pairs=None, method=\"mean-diff\", \
            position=\"mean\", normalize=False, layers=None, progress=None)")]
    #[allow(clippy::too_many_arguments)]
    fn control_vector(
        &self,
        py: Python<'_>,
        positive: Option<&Bound<'_, PyAny>>,
        negative: Option<&Bound<'_, PyAny>>,
        pairs: Option<&Bound<'_, PyAny>>,
        method: &str,
        position: Option<&Bound<'_, PyAny>>,
        normalize: bool,
        layers: Option<&Bound<'_, PyAny>>,
        progress: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<ControlVector> {
        let pairs = contrast_pairs(positive, negative, pairs)?;
        let method: Method = method.parse().map_err(PyValueError::new_err)?;
        let position = match position {
            Some(given) => self::position(given)?,
            None => Position::Mean,
        };
        // Checked before the work, not after it.
        let kept = layers.filter(|l| !l.is_none()).map(inclusive_range).transpose()?;
        if let Some(range) = &kept {
            steer::check_layer_range(range, self.model()).lm_err()?;
        }
        let callback = Callback::new(py, progress)?;
        let loaded = &*self.loaded;
        let built = py.detach(|| steer::build(&loaded.model, &loaded.tokenizer, &pairs, method, position, &callback));
        callback.finish_call()?;
        let mut vector = built.lm_err()?;
        if normalize {
            vector = vector.normalized();
        }
        if let Some(range) = kept {
            vector.keep_layers(range, &loaded.model).lm_err()?;
        }
        Ok(ControlVector::of(vector, Some(self.architecture().to_owned())))
    }

    /// Continues `prompt` (the CLI's `lm generate`, with its defaults): greedy when `temperature`
    /// is 0, else sampled from the nucleus `top_p` with `seed` (the same seed, the same text).
    /// Stops after `max_tokens` or at the end of sequence or of a turn. `chat=True` wraps the
    /// prompt in the model's chat template.
    ///
    /// `steer` adds control vectors: a vector, a (vector, coefficient) pair or a list of those
    /// (summed); `layers` (an int or a range, llama.cpp's numbering) limits the layers steered;
    /// `generated_only=True` leaves the prompt unsteered.
    ///
    /// Returns the text, or with `stream=True` an iterator of its pieces as they are written
    /// (generation runs on a thread of its own; the iterator waits without the GIL).
    #[pyo3(signature = (prompt, *, steer = None, layers = None, generated_only = false, max_tokens = 64,
        temperature = 0.0, top_p = 1.0, seed = 0, chat = false, stream = false))]
    #[allow(clippy::too_many_arguments)]
    fn generate(
        &self,
        py: Python<'_>,
        prompt: &str,
        steer: Option<&Bound<'_, PyAny>>,
        layers: Option<&Bound<'_, PyAny>>,
        generated_only: bool,
        max_tokens: usize,
        temperature: f32,
        top_p: f32,
        seed: u64,
        chat: bool,
        stream: bool,
    ) -> PyResult<Py<PyAny>> {
        // NOT IN THE LIBRARY: the CLI and the server each check these themselves (the CLI also
        // caps max_tokens at 4096; here the context is the limit, as check_prompt has it).
        if max_tokens < 1 {
            return Err(PyValueError::new_err("max_tokens must be 1 or more"));
        }
        if !(temperature.is_finite() && temperature >= 0.0) {
            return Err(PyValueError::new_err("temperature must be a number ≥ 0"));
        }
        if !(top_p > 0.0 && top_p <= 1.0) {
            return Err(PyValueError::new_err("top_p must be more than 0 and at most 1"));
        }
        let loaded = Arc::clone(&self.loaded);
        let text = if chat {
            ChatFormat::of(&loaded.file, &loaded.tokenizer).lm_err()?.prompt(prompt)
        } else {
            prompt.to_owned()
        };
        let ids = loaded.tokenizer.encode(&text).lm_err()?;
        steering::check_prompt(&ids, max_tokens, &loaded.model).py_err()?;
        let mut hook: Box<dyn Hook + Send> = match self.steering(steer, layers, generated_only.then_some(ids.len()))? {
            Some(steering) => Box::new(steering),
            None => Box::new(NoHook),
        };
        let sampling = Sampling { temperature, top_p, seed };
        if stream {
            let (sender, receiver) = mpsc::channel();
            let run = move || {
                // An iterator dropped or closed ends the generation.
                let result = generate_pieces(&loaded, &ids, max_tokens, sampling, hook.as_mut(), |piece| {
                    if sender.send(Ok(piece)).is_ok() { ControlFlow::Continue(()) } else { ControlFlow::Break(()) }
                });
                if let Err(error) = result {
                    let _ = sender.send(Err(error));
                }
            };
            std::thread::Builder::new()
                .name("vecspace-generate".into())
                .spawn(run)
                .map_err(|e| pyo3::exceptions::PyOSError::new_err(format!("starting the generation: {e}")))?;
            let stream = GenerationStream { receiver: Mutex::new(Some(receiver)) };
            return Ok(Bound::new(py, stream)?.into_any().unbind());
        }
        let generated = py.detach(|| {
            let mut text = String::new();
            generate_pieces(&loaded, &ids, max_tokens, sampling, hook.as_mut(), |piece| {
                text.push_str(&piece);
                ControlFlow::Continue(())
            })?;
            Ok::<_, LmError>(text)
        });
        Ok(generated.lm_err()?.into_pyobject(py)?.into_any().unbind())
    }

    /// The residual stream after each block (the CLI's `lm activations`): a float32 array of
    /// shape (len(texts), blocks read, width), or (blocks read, width) for one text given as a
    /// str. `layers` are blocks (0-based: an int or a range; all by default); `position` is
    /// `"mean"` (over the text's tokens), `"last"` or a token index. Each text is read after
    /// the model's neutral start (BOS or a document separator), which positions do not count.
    /// Runs without the GIL; `progress` counts texts.
    #[pyo3(signature = (texts, *, layers = None, position = None, progress = None),
        text_signature = "($self, texts, *, layers=None, position=\"mean\", progress=None)")]
    fn activations<'py>(
        &self,
        py: Python<'py>,
        texts: &Bound<'py, PyAny>,
        layers: Option<&Bound<'py, PyAny>>,
        position: Option<&Bound<'py, PyAny>>,
        progress: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let one = texts.is_instance_of::<PyString>();
        let texts = self::texts(texts)?;
        let position = match position {
            Some(given) => self::position(given)?,
            None => Position::Mean,
        };
        let blocks = self.model().config.layers;
        let range = match layers.filter(|l| !l.is_none()) {
            Some(given) => {
                let range = inclusive_range(given)?;
                // As the CLI checks --layers (the library indexes blocks without checking).
                if *range.end() >= blocks {
                    return Err(PyValueError::new_err(format!(
                        "layers={} is out of range: the model has blocks 0 to {}",
                        given.repr()?,
                        blocks - 1
                    )));
                }
                range
            }
            None => 0..=blocks - 1,
        };
        let callback = Callback::new(py, progress)?;
        let loaded = &*self.loaded;
        let read = py.detach(|| -> app::Result<Vec<f32>> {
            use vecspace::progress::{Progress, Unit};
            callback.start("reading activations", Some(texts.len() as u64), Unit::Items);
            let mut flat = Vec::with_capacity(texts.len() * range.clone().count() * loaded.model.config.width);
            for text in &texts {
                let (prefix, ids) = loaded.tokenizer.encode_for_reading(text)?;
                steering::check_prompt(&ids, 0, &loaded.model)?;
                let activations = steer::activations(&loaded.model, &prefix, &ids)?;
                for block in range.clone() {
                    flat.extend(activations.at(block, position)?);
                }
                callback.advance(1);
            }
            callback.finish();
            Ok(flat)
        });
        callback.finish_call()?;
        let flat = read
            .map_err(|error| match error {
                app::Error::LanguageModel(error) => from_lm(error),
                other => other,
            })
            .py_err()?;
        let (width, count) = (self.model().config.width, range.count());
        let array = PyArray1::from_vec(py, flat);
        Ok(if one {
            array.reshape([count, width])?.into_any()
        } else {
            array.reshape([texts.len(), count, width])?.into_any()
        })
    }

    /// The perplexity of `text` under the model, steered as `generate` steers (the CLI's
    /// `lm perplexity`): what steering costs off target.
    #[pyo3(signature = (text, *, steer = None, layers = None))]
    fn perplexity(
        &self,
        py: Python<'_>,
        text: &str,
        steer: Option<&Bound<'_, PyAny>>,
        layers: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<f64> {
        let ids = self.loaded.tokenizer.encode(text).lm_err()?;
        steering::check_prompt(&ids, 0, self.model()).py_err()?;
        let mut hook: Box<dyn Hook + Send> = match self.steering(steer, layers, None)? {
            Some(steering) => Box::new(steering),
            None => Box::new(NoHook),
        };
        let model = self.model();
        let nll = py.detach(|| steer::mean_nll(model, &ids, hook.as_mut())).lm_err()?;
        Ok(nll.exp())
    }

    /// The tokens one layer of a control vector points to (the CLI's `lm nearest-tokens`):
    /// `{"lens": {"positive": […], "negative": […]}, "embeddings": {…}}`, each a list of `k`
    /// (token, score), through the output matrix (the logit lens) and by cosine with the input
    /// embeddings, strongest first.
    #[pyo3(signature = (vector, layer, k = 10))]
    fn nearest_tokens<'py>(
        &self,
        py: Python<'py>,
        vector: PyRef<'py, ControlVector>,
        layer: usize,
        k: usize,
    ) -> PyResult<Bound<'py, PyDict>> {
        let Some(direction) = vector.inner.layers.get(&layer) else {
            let have: Vec<String> = vector.inner.layers.keys().map(usize::to_string).collect();
            return Err(PyValueError::new_err(format!(
                "the control vector has no layer {layer}; it has {}",
                have.join(", ")
            )));
        };
        vector.inner.check(self.model()).lm_err()?;
        let loaded = &*self.loaded;
        let ends = py.detach(|| steering::token_ends(loaded, direction, k));
        let answer = PyDict::new(py);
        for (name, [positive, negative]) in [("lens", ends.lens), ("embeddings", ends.embeddings)] {
            let sides = PyDict::new(py);
            sides.set_item("positive", PyList::new(py, positive)?)?;
            sides.set_item("negative", PyList::new(py, negative)?)?;
            answer.set_item(name, sides)?;
        }
        Ok(answer)
    }
}

/// Generates from `ids`, handing `piece` each non-empty piece of text as the tokens become
/// whole characters (the last piece when generation ends); `piece` breaking stops it.
fn generate_pieces(
    loaded: &vecspace::LanguageModel,
    ids: &[u32],
    max_tokens: usize,
    sampling: Sampling,
    hook: &mut dyn Hook,
    mut piece: impl FnMut(String) -> ControlFlow<()>,
) -> Result<(), LmError> {
    let mut stream = TextStream::default();
    let mut stopped = false;
    let mut on_token = |token: u32| {
        let text = stream.push(loaded.tokenizer.token_bytes(token));
        if text.is_empty() {
            return ControlFlow::Continue(());
        }
        let flow = piece(text);
        stopped = flow.is_break();
        flow
    };
    vecspace::lm::generate(&loaded.model, &loaded.tokenizer, ids, max_tokens, sampling, hook, &mut on_token)?;
    let rest = stream.finish();
    if !stopped && !rest.is_empty() {
        let _ = piece(rest);
    }
    Ok(())
}

/// The pieces of a text as `generate(..., stream=True)` writes them; iterating waits for each
/// without the GIL. Closing it (or dropping it) stops the generation.
#[pyclass(frozen, module = "vecspace.lm")]
pub struct GenerationStream {
    receiver: Mutex<Option<mpsc::Receiver<Result<String, LmError>>>>,
}

#[pymethods]
impl GenerationStream {
    fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<String>> {
        let received = py.detach(|| {
            let receiver = self.receiver.lock().unwrap_or_else(|e| e.into_inner());
            receiver.as_ref().map(|r| r.recv())
        });
        match received {
            Some(Ok(Ok(piece))) => Ok(Some(piece)),
            Some(Ok(Err(error))) => Err(lm_error(error)),
            // The generation has ended, or the stream was closed.
            Some(Err(_)) | None => Ok(None),
        }
    }

    /// Stops the generation; the iterator then ends.
    fn close(&self) {
        self.receiver.lock().unwrap_or_else(|e| e.into_inner()).take();
    }
}
