//! Word spaces as gensim's `KeyedVectors`: the same method names, arguments and return shapes, so
//! that a notebook written for gensim runs by changing its import; plus vecspace's own calls
//! (expressions, engines, database backends). Vectors come back as NumPy arrays; the space's rows
//! are a read-only view of the memory-mapped file, not a copy.

use std::sync::OnceLock;

use numpy::ndarray::{ArrayView1, ArrayView2};
use numpy::{AllowTypeChange, PyArray1, PyArray2, PyArrayLike1, PyArrayMethods, PyUntypedArray};
use pyo3::exceptions::{PyIndexError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use vecspace::app::gensim::{self, Key, Term};
use vecspace::app::{self, DirectionStore, Index, SpaceRequest};
use vecspace::eval::{AnalogyOptions, PairOptions};
use vecspace::{QueryOptions, Scored};

use crate::errors::IntoPy;
use crate::progress::Callback;

/// Opens a word space.
///
/// `space` is a registered name (fetched into `$VECSPACE_HOME` on first use, its SHA-256
/// checked), a file in any supported format (native `.vsp`, word2vec text or binary, GloVe text,
/// `.npy` with `vocab=`), or `MODEL:embeddings` for a language model's token embeddings.
///
/// `index` chooses the search engine: `"exact"` (the default), `"f16"`, `"int8"` (a compact copy
/// re-ranked exactly) or `"hnsw"` (a graph index built once and kept beside the file; `ef` is its
/// search beam). `backend="pgvector"` or `"milvus"` with `uri=` searches a space pushed to that
/// server (`vecspace push`); `collection` overrides the name it was pushed under.
///
/// A sentence encoder (`"minilm-l6"`) with `candidates=FILE` (one text per line) is the space of
/// those texts, embedded once and cached; quoted texts in expressions are embedded on the spot.
///
/// `progress=True` shows a progress bar (tqdm's when it is installed); a callable receives
/// `(label, done, total, unit, finished)`.
#[pyfunction]
#[pyo3(signature = (space = "glove-6b-50d", *, index = "exact", ef = None, backend = None, uri = None,
    collection = None, verify = false, format = None, vocab = None, candidates = None, progress = None))]
#[allow(clippy::too_many_arguments)]
pub fn load(
    py: Python<'_>,
    space: &str,
    index: &str,
    ef: Option<usize>,
    backend: Option<&str>,
    uri: Option<String>,
    collection: Option<String>,
    verify: bool,
    format: Option<&str>,
    vocab: Option<std::path::PathBuf>,
    candidates: Option<std::path::PathBuf>,
    progress: Option<&Bound<'_, PyAny>>,
) -> PyResult<KeyedVectors> {
    let mut request = SpaceRequest::new(space);
    request.candidates = candidates;
    request.index = index.parse::<Index>().map_err(PyValueError::new_err)?;
    if let Some(ef) = ef {
        request.ef = ef;
    }
    request.verify = verify;
    request.format = format.map(str::parse).transpose().map_err(|e: String| PyValueError::new_err(e))?;
    request.vocab = vocab;
    request.remote = match backend {
        None | Some("local") => None,
        Some(backend) => {
            let backend = backend.parse::<vecspace::remote::Backend>().map_err(PyValueError::new_err)?;
            let uri = uri.ok_or_else(|| PyValueError::new_err(format!("backend={backend:?} needs uri=")))?;
            let collection =
                collection.unwrap_or_else(|| vecspace::remote::collection_name(&app::spaces::space_label(space)));
            Some(vecspace::remote::Target { backend, uri, collection })
        }
    };
    let callback = Callback::new(py, progress)?;
    let opened = py.detach(|| app::spaces::open(&request, &callback));
    callback.finish_call()?;
    Ok(KeyedVectors::new(opened.py_err()?))
}

/// A word space, called as gensim's `KeyedVectors`.
#[pyclass(frozen, module = "vecspace")]
pub struct KeyedVectors {
    pub(crate) opened: app::Opened,
    keys: OnceLock<Py<PyList>>,
    key_to_index: OnceLock<Py<PyDict>>,
}

impl KeyedVectors {
    pub(crate) fn new(opened: app::Opened) -> KeyedVectors {
        KeyedVectors { opened, keys: OnceLock::new(), key_to_index: OnceLock::new() }
    }

    pub(crate) fn space(&self) -> &vecspace::Space {
        &self.opened.space
    }

    pub(crate) fn name(&self) -> &str {
        &self.opened.name
    }

    /// The vector of a key (a copy): a word's (built from subwords, or embedded, in a space that
    /// can derive words it does not store), or a row number's; of unit length if `unit`.
    fn vector_of(&self, key: &Bound<'_, PyAny>, unit: bool) -> PyResult<Vec<f32>> {
        if let Ok(word) = key.cast::<PyString>() {
            return self.space().word_vector(&word.to_cow()?, unit).map_err(|e| crate::errors::to_python(e.into()));
        }
        let row = self.row(key)?;
        Ok(if unit { self.space().unit_vector(row) } else { self.space().raw_vector(row).to_vec() })
    }

    /// The row of a key: a word, or (as in gensim) an integer row number.
    fn row(&self, key: &Bound<'_, PyAny>) -> PyResult<usize> {
        if let Ok(word) = key.cast::<PyString>() {
            return self.space().lookup(&word.to_cow()?).map_err(|e| crate::errors::to_python(e.into()));
        }
        match key.extract::<i64>() {
            Ok(row) if row >= 0 && (row as usize) < self.space().len() => Ok(row as usize),
            Ok(row) => Err(PyIndexError::new_err(format!("row {row} is outside the {} rows", self.space().len()))),
            Err(_) => Err(PyTypeError::new_err(format!(
                "a key is a word (str) or a row number (int), not {}",
                key.get_type().name()?
            ))),
        }
    }

    /// The word of a key given as a word or a row number.
    fn word(&self, key: &Bound<'_, PyAny>) -> PyResult<String> {
        if let Ok(word) = key.cast::<PyString>() {
            return Ok(word.to_cow()?.into_owned());
        }
        Ok(self.space().word(self.row(key)?).to_owned())
    }

    /// A `most_similar` term: a word, a row number, a vector, or one of those with a weight.
    fn term(&self, item: &Bound<'_, PyAny>) -> PyResult<Term> {
        if let Ok(pair) = item.cast::<PyTuple>() {
            if pair.len() != 2 {
                return Err(PyValueError::new_err("a weighted term is a (key, weight) pair"));
            }
            let weight: f32 = pair.get_item(1)?.extract()?;
            return Ok(Term { key: self.key(&pair.get_item(0)?)?, weight: Some(weight) });
        }
        Ok(Term { key: self.key(item)?, weight: None })
    }

    fn key(&self, item: &Bound<'_, PyAny>) -> PyResult<Key> {
        if item.is_instance_of::<PyUntypedArray>() {
            let vector: PyArrayLike1<'_, f32, AllowTypeChange> = item.extract()?;
            return Ok(Key::Vector(vector.as_array().to_vec()));
        }
        Ok(Key::Word(self.word(item)?))
    }

    /// gensim's `_ensure_list`: nothing, one key or vector, or a list of terms.
    fn terms(&self, given: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<Term>> {
        let Some(given) = given else { return Ok(Vec::new()) };
        if given.is_none() {
            return Ok(Vec::new());
        }
        if given.is_instance_of::<PyString>() || given.is_instance_of::<PyUntypedArray>() {
            return Ok(vec![self.term(given)?]);
        }
        given.try_iter()?.map(|item| self.term(&item?)).collect()
    }

    fn keys_only(&self, given: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<Key>> {
        self.terms(given)?
            .into_iter()
            .map(|term| match term.weight {
                None => Ok(term.key),
                Some(_) => Err(PyValueError::new_err("most_similar_cosmul takes no weights")),
            })
            .collect()
    }
}

fn pairs(found: Vec<Scored>) -> Vec<(String, f32)> {
    found.into_iter().map(|s| (s.word, s.score)).collect()
}

/// A read-only NumPy view of `data`, kept alive by `owner`.
fn view<'py, D: numpy::ndarray::Dimension>(
    owner: &Bound<'py, KeyedVectors>,
    array: numpy::ndarray::ArrayView<'_, f32, D>,
) -> Bound<'py, numpy::PyArray<f32, D>> {
    // SAFETY: the rows belong to the space inside `owner`, which is frozen (never moved or
    // changed) and is the array's base object, so it outlives the array.
    let array = unsafe { numpy::PyArray::borrow_from_array(&array, owner.clone().into_any()) };
    array.readwrite().make_nonwriteable();
    array
}

#[pymethods]
impl KeyedVectors {
    /// gensim's `KeyedVectors.load_word2vec_format`: a word2vec text file, or binary with
    /// `binary=True`, or a GloVe text file (no header line) with `no_header=True`; `limit` keeps
    /// the first words. The file is read whole into memory (a native `.vsp` file, opened with
    /// `vecspace.load`, is mapped instead).
    #[classmethod]
    #[pyo3(signature = (fname, fvocab = None, binary = false, encoding = "utf8", unicode_errors = "strict",
        limit = None, datatype = None, no_header = false))]
    #[allow(clippy::too_many_arguments)]
    fn load_word2vec_format(
        _class: &Bound<'_, pyo3::types::PyType>,
        py: Python<'_>,
        fname: std::path::PathBuf,
        fvocab: Option<&Bound<'_, PyAny>>,
        binary: bool,
        encoding: &str,
        unicode_errors: &str,
        limit: Option<usize>,
        datatype: Option<&Bound<'_, PyAny>>,
        no_header: bool,
    ) -> PyResult<KeyedVectors> {
        if fvocab.is_some_and(|f| !f.is_none()) {
            return Err(PyValueError::new_err("fvocab= (a separate word-count file) is not read; leave it out"));
        }
        if !matches!(encoding.to_ascii_lowercase().replace(['-', '_'], "").as_str(), "utf8")
            || unicode_errors != "strict"
        {
            return Err(PyValueError::new_err(
                "files are read as UTF-8, strictly (encoding=\"utf8\", unicode_errors=\"strict\")",
            ));
        }
        if let Some(datatype) = datatype.filter(|d| !d.is_none()) {
            let numpy = py.import("numpy")?;
            if !numpy.call_method1("dtype", (datatype,))?.eq(numpy.call_method1("dtype", ("float32",))?)? {
                return Err(PyValueError::new_err("vectors are kept as float32 (datatype=numpy.float32)"));
            }
        }
        let format = match (binary, no_header) {
            (true, true) => return Err(PyValueError::new_err("a binary word2vec file always has its header line")),
            (true, false) => "word2vec-binary",
            (false, true) => "glove",
            (false, false) => "word2vec-text",
        };
        let mut request = SpaceRequest::new(fname.to_string_lossy());
        request.format = Some(format.parse().map_err(|e: String| PyValueError::new_err(e))?);
        let mut opened = py.detach(|| app::spaces::open(&request, &vecspace::progress::Silent)).py_err()?;
        if let Some(limit) = limit {
            opened.space = app::spaces::first_words(&opened.space, limit).py_err()?;
        }
        Ok(KeyedVectors::new(opened))
    }

    /// The name the space was opened by.
    #[getter(name)]
    fn space_name(&self) -> &str {
        &self.opened.name
    }

    /// The file its rows come from.
    #[getter]
    fn path(&self) -> std::path::PathBuf {
        self.opened.path.clone()
    }

    /// The search engine: exact, f16, int8, hnsw, or a database server's.
    #[getter(index)]
    fn engine(&self) -> &'static str {
        self.space().engine().name()
    }

    /// What was noticed opening the space: skipped lines of a text file, a rebuilt index.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.opened.warnings.clone()
    }

    fn __repr__(&self) -> String {
        format!(
            "<vecspace.KeyedVectors {:?}: {} words × {} dimensions, {}, {} search>",
            self.opened.name,
            self.space().len(),
            self.space().dims(),
            self.opened.format,
            self.engine()
        )
    }

    fn __len__(&self) -> usize {
        self.space().len()
    }

    /// Whether the key has a vector: a word of the space, a row number, or (as in gensim's
    /// fastText) any word the space can derive: one with character n-grams, or any text in a
    /// space with a sentence encoder.
    fn __contains__(&self, key: &Bound<'_, PyAny>) -> bool {
        match key.cast::<PyString>() {
            Ok(word) => word.to_cow().is_ok_and(|word| self.space().has_vector(&word)),
            Err(_) => self.row(key).is_ok(),
        }
    }

    /// gensim's `has_index_for`.
    fn has_index_for(&self, key: &Bound<'_, PyAny>) -> bool {
        self.row(key).is_ok()
    }

    #[getter]
    fn vector_size(&self) -> usize {
        self.space().dims()
    }

    /// Every row, shape (words, dimensions): a read-only view of the space's memory, no copy.
    #[getter]
    fn vectors<'py>(slf: &Bound<'py, Self>) -> Bound<'py, PyArray2<f32>> {
        let space = slf.get().space();
        let rows = ArrayView2::from_shape((space.len(), space.dims()), space.matrix().data())
            .expect("a space's matrix holds rows × dimensions values");
        view(slf, rows)
    }

    /// Every row's length, read-only.
    #[getter]
    fn norms<'py>(slf: &Bound<'py, Self>) -> Bound<'py, PyArray1<f32>> {
        view(slf, ArrayView1::from(slf.get().space().matrix().norms()))
    }

    /// The words in row order (built once, then shared: do not change it).
    #[getter]
    fn index_to_key<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        if let Some(keys) = self.keys.get() {
            return Ok(keys.bind(py).clone());
        }
        let words = PyList::new(py, (0..self.space().len()).map(|row| self.space().word(row)))?;
        Ok(self.keys.get_or_init(|| words.unbind()).bind(py).clone())
    }

    /// Each word's row (built once, then shared: do not change it).
    #[getter]
    fn key_to_index<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        if let Some(map) = self.key_to_index.get() {
            return Ok(map.bind(py).clone());
        }
        let map = PyDict::new(py);
        for row in 0..self.space().len() {
            map.set_item(self.space().word(row), row)?;
        }
        Ok(self.key_to_index.get_or_init(|| map.unbind()).bind(py).clone())
    }

    /// A word's row (gensim's `get_index`); `default` when it is missing, if given.
    #[pyo3(signature = (key, default = None))]
    fn get_index<'py>(
        &self,
        key: &Bound<'py, PyAny>,
        default: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match (self.row(key), default) {
            (Ok(row), _) => Ok(row.into_pyobject(key.py())?.into_any()),
            (Err(_), Some(default)) => Ok(default),
            (Err(error), None) => Err(error),
        }
    }

    /// A word's vector — a read-only view of its row, or a new array for a word the space derives
    /// — or, for a list of words, a new matrix.
    fn __getitem__<'py>(slf: &Bound<'py, Self>, key: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let this = slf.get();
        if key.is_instance_of::<PyString>() || key.extract::<i64>().is_ok() {
            return Ok(Self::get_vector(slf, key, false)?.into_any());
        }
        let mut data = Vec::new();
        let mut count = 0;
        for key in key.try_iter()? {
            data.extend_from_slice(&this.vector_of(&key?, false)?);
            count += 1;
        }
        let matrix = PyArray1::from_vec(slf.py(), data).reshape([count, this.space().dims()])?;
        Ok(matrix.into_any())
    }

    /// A word's vector as stored, or of unit length with `norm=True` (a new array).
    #[pyo3(signature = (key, norm = false))]
    fn get_vector<'py>(
        slf: &Bound<'py, Self>,
        key: &Bound<'py, PyAny>,
        norm: bool,
    ) -> PyResult<Bound<'py, PyArray1<f32>>> {
        let this = slf.get();
        // A word the space lacks is derived (or refused) by `vector_of`, without the spelling
        // suggestions a failed row lookup would compute first.
        let row = match key.cast::<PyString>() {
            Ok(word) => this.space().vocab().row(&word.to_cow()?),
            Err(_) => Some(this.row(key)?),
        };
        match row {
            Some(row) if !norm => Ok(view(slf, ArrayView1::from(this.space().raw_vector(row)))),
            _ => Ok(PyArray1::from_vec(slf.py(), this.vector_of(key, norm)?)),
        }
    }

    /// The neighbours of an expression such as `"king - man + woman"` (or its value, when it is a
    /// number): a list of (word, cosine), the expression's own words left out.
    #[pyo3(signature = (expression, k = 10))]
    fn query(&self, py: Python<'_>, expression: &str, k: usize) -> PyResult<Py<PyAny>> {
        let store = DirectionStore::from_env().py_err()?;
        let options = QueryOptions::default().top(k);
        let answer = py.detach(|| app::words::query(self.space(), &store, expression, &options)).py_err()?;
        Ok(match answer {
            app::words::Answer::Scalar { value, .. } => value.into_pyobject(py)?.into_any().unbind(),
            app::words::Answer::Neighbours(answer) => pairs(answer.results).into_pyobject(py)?.into_any().unbind(),
        })
    }

    /// The vector of an expression (words unit-normalised first, unless `unit=False`).
    #[pyo3(signature = (expression, unit = true))]
    fn vector<'py>(&self, py: Python<'py>, expression: &str, unit: bool) -> PyResult<Bound<'py, PyArray1<f32>>> {
        let store = DirectionStore::from_env().py_err()?;
        let vector = app::words::vector(self.space(), &store, expression, unit).py_err()?;
        Ok(PyArray1::from_vec(py, vector))
    }

    /// gensim's `most_similar`: the `topn` words nearest the weighted mean of the positive terms
    /// minus the negative ones; terms are words, vectors, or (term, weight) pairs. With
    /// `topn=None`, every word's cosine (an array); `restrict_vocab` limits the answers to the first
    /// words.
    #[pyo3(signature = (positive = None, negative = None, topn = Some(10), restrict_vocab = None))]
    fn most_similar<'py>(
        &self,
        py: Python<'py>,
        positive: Option<&Bound<'py, PyAny>>,
        negative: Option<&Bound<'py, PyAny>>,
        topn: Option<i64>,
        restrict_vocab: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (positive, negative) = (self.terms(positive)?, self.terms(negative)?);
        let space = self.space();
        match topn {
            None => {
                let all = py.detach(|| gensim::similarities(space, &positive, &negative, restrict_vocab)).py_err()?;
                Ok(PyArray1::from_vec(py, all).into_any())
            }
            Some(topn) => {
                let topn = usize::try_from(topn).unwrap_or(0);
                let found =
                    py.detach(|| gensim::most_similar(space, &positive, &negative, topn, restrict_vocab)).py_err()?;
                Ok(pairs(found).into_pyobject(py)?.into_any())
            }
        }
    }

    /// gensim's `most_similar_cosmul` (Levy and Goldberg's 3CosMul); unlike gensim 4.4, it honours
    /// `restrict_vocab`.
    #[pyo3(signature = (positive = None, negative = None, topn = Some(10), restrict_vocab = None))]
    fn most_similar_cosmul<'py>(
        &self,
        py: Python<'py>,
        positive: Option<&Bound<'py, PyAny>>,
        negative: Option<&Bound<'py, PyAny>>,
        topn: Option<i64>,
        restrict_vocab: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (positive, negative) = (self.keys_only(positive)?, self.keys_only(negative)?);
        let space = self.space();
        match topn {
            None => {
                let all =
                    py.detach(|| gensim::cosmul_similarities(space, &positive, &negative, restrict_vocab)).py_err()?;
                Ok(PyArray1::from_vec(py, all).into_any())
            }
            Some(topn) => {
                let topn = usize::try_from(topn).unwrap_or(0);
                let found = py
                    .detach(|| gensim::most_similar_cosmul(space, &positive, &negative, topn, restrict_vocab))
                    .py_err()?;
                Ok(pairs(found).into_pyobject(py)?.into_any())
            }
        }
    }

    /// gensim's `similar_by_word`.
    #[pyo3(signature = (word, topn = Some(10), restrict_vocab = None))]
    fn similar_by_word<'py>(
        &self,
        py: Python<'py>,
        word: &Bound<'py, PyAny>,
        topn: Option<i64>,
        restrict_vocab: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.most_similar(py, Some(word), None, topn, restrict_vocab)
    }

    /// gensim's `similar_by_key`.
    #[pyo3(signature = (key, topn = Some(10), restrict_vocab = None))]
    fn similar_by_key<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
        topn: Option<i64>,
        restrict_vocab: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.most_similar(py, Some(key), None, topn, restrict_vocab)
    }

    /// gensim's `similar_by_vector`.
    #[pyo3(signature = (vector, topn = Some(10), restrict_vocab = None))]
    fn similar_by_vector<'py>(
        &self,
        py: Python<'py>,
        vector: &Bound<'py, PyAny>,
        topn: Option<i64>,
        restrict_vocab: Option<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if !vector.is_instance_of::<PyUntypedArray>() {
            return Err(PyTypeError::new_err("similar_by_vector takes a NumPy array"));
        }
        self.most_similar(py, Some(vector), None, topn, restrict_vocab)
    }

    /// The cosine similarity of two words.
    fn similarity(&self, w1: &Bound<'_, PyAny>, w2: &Bound<'_, PyAny>) -> PyResult<f32> {
        let (a, b) = (self.word(w1)?, self.word(w2)?);
        self.space().similarity(&a, &b).map_err(|e| crate::errors::to_python(e.into()))
    }

    /// 1 − the cosine similarity of two words.
    fn distance(&self, w1: &Bound<'_, PyAny>, w2: &Bound<'_, PyAny>) -> PyResult<f32> {
        Ok(1.0 - self.similarity(w1, w2)?)
    }

    /// gensim's `n_similarity`: the cosine of the mean unit vectors of two word lists.
    fn n_similarity(&self, ws1: Vec<String>, ws2: Vec<String>) -> PyResult<f32> {
        gensim::n_similarity(self.space(), &ws1, &ws2).py_err()
    }

    /// gensim's `doesnt_match`: the word furthest from the others' mean; words the space lacks are
    /// left out with a warning.
    fn doesnt_match(&self, py: Python<'_>, words: Vec<String>) -> PyResult<String> {
        let (answer, unknown) = gensim::doesnt_match(self.space(), &words).py_err()?;
        if !unknown.is_empty() {
            let warning = py.get_type::<pyo3::exceptions::PyUserWarning>();
            let message = format!("left out words not in the space: {}", unknown.join(", "));
            PyErr::warn(py, &warning, &std::ffi::CString::new(message).unwrap_or_default(), 1)?;
        }
        Ok(answer)
    }

    /// gensim's `rank`: 1 + the number of words closer to `key1` than `key2` is.
    fn rank(&self, py: Python<'_>, key1: &Bound<'_, PyAny>, key2: &Bound<'_, PyAny>) -> PyResult<usize> {
        let (a, b) = (self.word(key1)?, self.word(key2)?);
        py.detach(|| self.space().rank(&a, &b)).map_err(|e| crate::errors::to_python(e.into()))
    }

    /// gensim's `evaluate_word_analogies`: `(score, sections)`, each section a dict with
    /// `section`, `correct` and `incorrect` (lists of 4-tuples), the last one `Total accuracy`.
    /// `analogies` is a file in word2vec's `questions-words.txt` layout (or a CSV) or a registered
    /// set such as `google`.
    #[pyo3(signature = (analogies, restrict_vocab = 300_000, case_insensitive = true, dummy4unknown = false,
        similarity_function = "most_similar", progress = None))]
    #[allow(clippy::too_many_arguments)]
    fn evaluate_word_analogies<'py>(
        &self,
        py: Python<'py>,
        analogies: std::path::PathBuf,
        restrict_vocab: usize,
        case_insensitive: bool,
        dummy4unknown: bool,
        similarity_function: &str,
        progress: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(f64, Bound<'py, PyList>)> {
        let method = gensim::analogy_method(similarity_function).py_err()?;
        let options = AnalogyOptions { restrict_vocab, case_insensitive, method };
        let set = analogies.to_string_lossy().into_owned();
        let callback = Callback::new(py, progress)?;
        let result =
            py.detach(|| gensim::evaluate_word_analogies(self.space(), &set, &options, dummy4unknown, &callback));
        callback.finish_call()?;
        let result = result.py_err()?;
        let sections = PyList::empty(py);
        for section in result.sections {
            let entry = PyDict::new(py);
            entry.set_item("section", section.section)?;
            let tuples = |questions: Vec<[String; 4]>| -> PyResult<Bound<'py, PyList>> {
                PyList::new(py, questions.into_iter().map(|[a, b, c, d]| (a, b, c, d)))
            };
            entry.set_item("correct", tuples(section.correct)?)?;
            entry.set_item("incorrect", tuples(section.incorrect)?)?;
            sections.append(entry)?;
        }
        Ok((result.score, sections))
    }

    /// gensim's `evaluate_word_pairs`: `(pearson, spearman, oov_ratio)`, the first two with
    /// `.statistic` and `.pvalue` as SciPy's results have. `pairs` is a file of `word word score`
    /// lines split on `delimiter`, or a registered set such as `wordsim353`.
    #[pyo3(signature = (pairs, delimiter = "\t", encoding = "utf8", restrict_vocab = 300_000,
        case_insensitive = true, dummy4unknown = false))]
    #[allow(clippy::too_many_arguments)]
    fn evaluate_word_pairs<'py>(
        &self,
        py: Python<'py>,
        pairs: std::path::PathBuf,
        delimiter: &str,
        encoding: &str,
        restrict_vocab: usize,
        case_insensitive: bool,
        dummy4unknown: bool,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>, f64)> {
        if !matches!(encoding.to_ascii_lowercase().replace(['-', '_'], "").as_str(), "utf8") {
            return Err(PyValueError::new_err(format!("pair files are read as UTF-8, not {encoding}")));
        }
        let options = PairOptions { restrict_vocab, case_insensitive };
        let set = pairs.to_string_lossy().into_owned();
        let result = py
            .detach(|| {
                gensim::evaluate_word_pairs(
                    self.space(),
                    &set,
                    delimiter,
                    &options,
                    dummy4unknown,
                    &vecspace::progress::Silent,
                )
            })
            .py_err()?;
        let correlation = py.import("vecspace._results")?.getattr("Correlation")?;
        let pearson = correlation.call1((result.pearson.statistic, result.pearson.pvalue))?;
        let spearman = correlation.call1((result.spearman.statistic, result.spearman.pvalue))?;
        Ok((pearson, spearman, result.oov_ratio))
    }

    /// Builds a direction from examples: `pairs` such as `[("he", "she"), "man:woman"]` (mean-diff
    /// or pca; the direction points from the first word of each pair to the second), or
    /// `negative` and `positive` word sets (mean-diff, centroid, classifier). With `name`, it is
    /// saved for `@name` in expressions.
    #[pyo3(signature = (pairs = None, *, positive = None, negative = None, method = "mean-diff", raw = false,
        name = None, overwrite = false))]
    #[allow(clippy::too_many_arguments)]
    fn direction(
        slf: &Bound<'_, Self>,
        pairs: Option<&Bound<'_, PyAny>>,
        positive: Option<Vec<String>>,
        negative: Option<Vec<String>>,
        method: &str,
        raw: bool,
        name: Option<String>,
        overwrite: bool,
    ) -> PyResult<crate::directions::Direction> {
        crate::directions::build(slf, pairs, positive, negative, method, raw, name, overwrite)
    }

    /// A saved direction (`@name`), checked to fit this space.
    fn load_direction(slf: &Bound<'_, Self>, name: &str) -> PyResult<crate::directions::Direction> {
        crate::directions::load(slf, name)
    }

    /// Words placed along a direction (a `Direction` or a saved name), most positive first.
    #[pyo3(signature = (direction, words = None, top = None, restrict_vocab = 50_000))]
    fn along(
        &self,
        direction: &Bound<'_, PyAny>,
        words: Option<Vec<String>>,
        top: Option<usize>,
        restrict_vocab: usize,
    ) -> PyResult<Vec<(String, f32)>> {
        let (direction, _) = crate::directions::resolve(self, direction)?;
        crate::directions::along(self, &direction, words.unwrap_or_default(), top, restrict_vocab)
    }

    /// The Word Embedding Association Test (Caliskan et al. 2017): `targets=(X, Y)` and
    /// `attributes=(A, B)` word lists, or `test=N` (1 to 10) for a published test, or
    /// `test="all"`. Returns a dict (a list of them for "all") with the effect size, the
    /// one-sided permutation p-value and the words left out.
    #[pyo3(signature = (targets = None, attributes = None, *, names = None, test = None,
        exact_limit = 1_000_000, samples = 100_000, seed = 0, progress = None))]
    #[allow(clippy::too_many_arguments)]
    fn weat<'py>(
        &self,
        py: Python<'py>,
        targets: Option<(Vec<String>, Vec<String>)>,
        attributes: Option<(Vec<String>, Vec<String>)>,
        names: Option<[String; 4]>,
        test: Option<&Bound<'py, PyAny>>,
        exact_limit: u64,
        samples: u64,
        seed: u64,
        progress: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = vecspace::eval::weat::WeatOptions { exact_limit, samples, seed };
        crate::directions::weat(py, self, targets, attributes, names, test, options, progress)
    }

    /// Hard debiasing (Bolukbasi et al. 2016) along a direction: the neutral words (a list, or a
    /// registered list such as `bolukbasi-gender:neutral`) lose their component along it, and
    /// each pair to equalise becomes symmetric about it. Returns the new space (in memory) and
    /// a report.
    #[pyo3(signature = (direction, neutral_words, equalize_pairs = None, progress = None))]
    fn debias<'py>(
        &self,
        py: Python<'py>,
        direction: &Bound<'py, PyAny>,
        neutral_words: &Bound<'py, PyAny>,
        equalize_pairs: Option<&Bound<'py, PyAny>>,
        progress: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<(KeyedVectors, Bound<'py, PyDict>)> {
        crate::directions::debias(py, self, direction, neutral_words, equalize_pairs, progress)
    }

    /// A picture of words: `method="pca"` or `"tsne"`, or `axes=(x, y)` (directions or
    /// expressions such as `"he - she"`), with `analogy=[("king", "queen"), ...]` drawn as arrows.
    /// The result shows inline in a notebook; `.save("words.svg")` or `.png` writes it.
    #[pyo3(signature = (words = None, *, method = "pca", axes = None, analogy = None, seed = 0, perplexity = 30.0,
        raw = false))]
    #[allow(clippy::too_many_arguments)]
    fn plot(
        &self,
        py: Python<'_>,
        words: Option<Vec<String>>,
        method: &str,
        axes: Option<(String, String)>,
        analogy: Option<&Bound<'_, PyAny>>,
        seed: u64,
        perplexity: f64,
        raw: bool,
    ) -> PyResult<crate::directions::Picture> {
        crate::directions::plot(py, self, words.unwrap_or_default(), method, axes, analogy, seed, perplexity, raw)
    }
}
