//! Directions in a word space (built from examples, saved for `@name` in expressions, words placed
//! along them), bias measures (WEAT) and hard debiasing, and pictures of words — each a call of
//! the application layer.

use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};
use vecspace::app::directions::Examples;
use vecspace::app::plots::{Arrangement, WordPlot};
use vecspace::app::{self, DirectionStore};
use vecspace::eval::weat::{WeatOptions, WeatReport, WeatSets};

use crate::errors::IntoPy;
use crate::progress::Callback;
use crate::words::KeyedVectors;

/// Where the list of placed words starts when no words are named: the most frequent 50 000.
const DEFAULT_RESTRICT: usize = 50_000;

/// A direction in a space, with where it came from.
#[pyclass(frozen, module = "vecspace")]
pub struct Direction {
    pub direction: vecspace::Direction,
    /// The name it is saved under, if it is.
    pub name: Option<String>,
    /// The space it was built in or loaded for, for placing words.
    pub space: Option<Py<KeyedVectors>>,
}

impl Direction {
    fn space<'py>(&self, py: Python<'py>) -> PyResult<&Bound<'py, KeyedVectors>> {
        match &self.space {
            Some(space) => Ok(space.bind(py)),
            None => Err(PyValueError::new_err("this direction belongs to no open space; use kv.along(direction, ...)")),
        }
    }
}

#[pymethods]
impl Direction {
    /// The direction's vector (a copy).
    #[getter]
    fn vector<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f32>> {
        PyArray1::from_slice(py, &self.direction.vector)
    }

    /// The name it is saved under (`@name` in expressions), or None.
    #[getter]
    fn name(&self) -> Option<String> {
        self.name.clone()
    }

    /// Its provenance: space, method, examples, positive end, creation time, accuracy.
    #[getter]
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let info = &self.direction.info;
        let dict = PyDict::new(py);
        dict.set_item("space", &info.space)?;
        dict.set_item("method", &info.method)?;
        dict.set_item("examples", &info.examples)?;
        dict.set_item("positive", &info.positive)?;
        dict.set_item("created", &info.created)?;
        dict.set_item("accuracy", info.accuracy)?;
        Ok(dict)
    }

    fn __len__(&self) -> usize {
        self.direction.dims()
    }

    fn __repr__(&self) -> String {
        let info = &self.direction.info;
        let name = self.name.as_deref().map_or(String::new(), |n| format!("@{n}: "));
        format!("<vecspace.Direction {name}{} in {} from {}>", info.method, info.space, info.examples)
    }

    /// Saves it under `name` in the direction store (`$VECSPACE_HOME/directions`), so that
    /// expressions can use `@name`; returns the file. An existing name needs `overwrite=True`.
    #[pyo3(signature = (name, overwrite = false))]
    fn save(&self, name: &str, overwrite: bool) -> PyResult<std::path::PathBuf> {
        let store = DirectionStore::from_env().py_err()?;
        store.save(name, &self.direction, app::files::Overwrite::force(overwrite)).py_err()
    }

    /// Words placed along the direction, most positive first, as (word, projection): the given
    /// words, or with none the `top` words at each end among the first `restrict_vocab`.
    #[pyo3(signature = (words = None, top = None, restrict_vocab = DEFAULT_RESTRICT))]
    fn along(
        &self,
        py: Python<'_>,
        words: Option<Vec<String>>,
        top: Option<usize>,
        restrict_vocab: usize,
    ) -> PyResult<Vec<(String, f32)>> {
        let space = self.space(py)?.get();
        along(space, &self.direction, words.unwrap_or_default(), top, restrict_vocab)
    }
}

pub fn along(
    kv: &KeyedVectors,
    direction: &vecspace::Direction,
    words: Vec<String>,
    top: Option<usize>,
    restrict_vocab: usize,
) -> PyResult<Vec<(String, f32)>> {
    let placed = app::words::along(kv.space(), direction, &words, top, restrict_vocab).py_err()?;
    Ok(placed.into_iter().map(|p| (p.word, p.projection)).collect())
}

/// Pairs as `("he", "she")` tuples or `"he:she"` strings.
fn pairs(given: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<(String, String)>> {
    let Some(given) = given.filter(|g| !g.is_none()) else { return Ok(Vec::new()) };
    let mut written = Vec::new();
    for item in given.try_iter()? {
        let item = item?;
        if let Ok(text) = item.cast::<PyString>() {
            written.push(text.to_cow()?.into_owned());
        } else if let Ok(pair) = item.cast::<PyTuple>() {
            let (a, b): (String, String) = pair.extract()?;
            written.push(format!("{a}:{b}"));
        } else {
            return Err(PyTypeError::new_err("a pair is (\"he\", \"she\") or \"he:she\""));
        }
    }
    app::directions::parse_pairs(&written).py_err()
}

/// `kv.direction(...)`: builds a direction from examples in the space.
#[allow(clippy::too_many_arguments)]
pub fn build(
    slf: &Bound<'_, KeyedVectors>,
    pairs_given: Option<&Bound<'_, PyAny>>,
    positive: Option<Vec<String>>,
    negative: Option<Vec<String>>,
    method: &str,
    raw: bool,
    name: Option<String>,
    overwrite: bool,
) -> PyResult<Direction> {
    let method: vecspace::BuildMethod = method.parse().map_err(PyValueError::new_err)?;
    let kv = slf.get();
    let space = kv.space();
    let examples = Examples {
        pairs: pairs(pairs_given)?,
        left: negative.unwrap_or_default(),
        right: positive.unwrap_or_default(),
        scored: None,
    };
    let store = DirectionStore::from_env().py_err()?;
    let overwrite = app::files::Overwrite::force(overwrite);
    if let Some(name) = &name {
        // Refused before the work, not after it.
        store.check_free(name, overwrite).py_err()?;
    }
    let word = |w: &str| -> app::Result<Vec<f32>> {
        let row = space.lookup(w)?;
        Ok(if raw { space.raw_vector(row).to_vec() } else { space.unit_vector(row) })
    };
    let direction = app::directions::build(kv.name(), &word, method, &examples, raw).py_err()?;
    if let Some(name) = &name {
        store.save(name, &direction, overwrite).py_err()?;
    }
    Ok(Direction { direction, name, space: Some(slf.clone().unbind()) })
}

/// `kv.load_direction(name)`: a saved direction, checked to fit the space.
pub fn load(slf: &Bound<'_, KeyedVectors>, name: &str) -> PyResult<Direction> {
    let store = DirectionStore::from_env().py_err()?;
    let direction = store.load(name, slf.get().space().dims()).py_err()?;
    Ok(Direction { direction, name: Some(name.to_owned()), space: Some(slf.clone().unbind()) })
}

/// A direction argument: a `Direction` or the name of a saved one.
pub fn resolve(kv: &KeyedVectors, given: &Bound<'_, PyAny>) -> PyResult<(vecspace::Direction, String)> {
    if let Ok(direction) = given.cast::<Direction>() {
        let direction = direction.get();
        let name = direction.name.clone().unwrap_or_else(|| direction.direction.info.examples.clone());
        return Ok((direction.direction.clone(), name));
    }
    let name: String =
        given.extract().map_err(|_| PyTypeError::new_err("a direction is a Direction or a saved name"))?;
    let store = DirectionStore::from_env().py_err()?;
    Ok((store.load(&name, kv.space().dims()).py_err()?, name))
}

fn weat_result<'py>(
    py: Python<'py>,
    number: Option<usize>,
    sets: &WeatSets,
    report: &WeatReport,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("test", number)?;
    dict.set_item("names", sets.names.to_vec())?;
    dict.set_item("effect_size", report.effect_size)?;
    dict.set_item("statistic", report.statistic)?;
    dict.set_item("p_value", report.p_value)?;
    dict.set_item("exact", report.exact)?;
    dict.set_item("partitions", report.partitions)?;
    dict.set_item("used", report.used.to_vec())?;
    dict.set_item("missing", report.missing.clone())?;
    Ok(dict)
}

/// `kv.weat(...)`: the Word Embedding Association Test on given word sets or a published test.
#[allow(clippy::too_many_arguments)]
pub fn weat<'py>(
    py: Python<'py>,
    kv: &KeyedVectors,
    targets: Option<(Vec<String>, Vec<String>)>,
    attributes: Option<(Vec<String>, Vec<String>)>,
    names: Option<[String; 4]>,
    test: Option<&Bound<'py, PyAny>>,
    options: WeatOptions,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let chosen: Vec<(Option<usize>, WeatSets)> = match (test, targets, attributes) {
        (Some(test), None, None) => {
            let callback = Callback::new(py, progress)?;
            let all = test.extract::<String>().is_ok_and(|t| t == "all");
            let number = if all {
                None
            } else {
                Some(test.extract::<usize>().map_err(|_| {
                    PyValueError::new_err("test= takes the number of a published WEAT test (1 to 10) or \"all\"")
                })?)
            };
            let found = py.detach(|| match number {
                Some(number) => app::bias::published_weat_test(number, &callback).map(|t| vec![(Some(number), t)]),
                None => app::bias::published_weat_tests(&callback)
                    .map(|all| all.into_iter().enumerate().map(|(i, t)| (Some(i + 1), t)).collect()),
            });
            callback.finish_call()?;
            found.py_err()?
        }
        (None, Some((x, y)), Some((a, b))) => {
            let names = names.unwrap_or_else(|| ["X", "Y", "A", "B"].map(String::from));
            vec![(None, WeatSets { names, targets: [x, y], attributes: [a, b] })]
        }
        _ => {
            return Err(PyValueError::new_err(
                "give targets=(X, Y) and attributes=(A, B) word lists, or test=N for a published test",
            ));
        }
    };
    let space = kv.space();
    let reports = py
        .detach(|| {
            chosen
                .iter()
                .map(|(_, sets)| vecspace::eval::weat::weat(space, sets, &options))
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| crate::errors::to_python(e.into()))?;
    let results: Vec<Bound<'py, PyDict>> = chosen
        .iter()
        .zip(&reports)
        .map(|((number, sets), report)| weat_result(py, *number, sets, report))
        .collect::<PyResult<_>>()?;
    match (test, results.len()) {
        (Some(test), _) if test.extract::<String>().is_ok() => Ok(pyo3::types::PyList::new(py, results)?.into_any()),
        _ => Ok(results.into_iter().next().expect("one test").into_any()),
    }
}

/// Words as a list, or a registered list or file named by a string (`bias::words_from`).
fn word_source(given: &Bound<'_, PyAny>, progress: &Callback, py: Python<'_>) -> PyResult<Vec<String>> {
    if let Ok(spec) = given.extract::<String>() {
        return py.detach(|| app::bias::words_from(&spec, progress)).py_err();
    }
    given.extract()
}

fn pair_source(
    given: Option<&Bound<'_, PyAny>>,
    progress: &Callback,
    py: Python<'_>,
) -> PyResult<Vec<(String, String)>> {
    match given.filter(|g| !g.is_none()) {
        None => Ok(Vec::new()),
        Some(given) => match given.extract::<String>() {
            Ok(spec) => py.detach(|| app::bias::pairs_from(&spec, progress)).py_err(),
            Err(_) => pairs(Some(given)),
        },
    }
}

/// `kv.debias(...)`: a hard-debiased copy of the space and what was done.
pub fn debias<'py>(
    py: Python<'py>,
    kv: &KeyedVectors,
    direction: &Bound<'py, PyAny>,
    neutral_words: &Bound<'py, PyAny>,
    equalize_pairs: Option<&Bound<'py, PyAny>>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<(KeyedVectors, Bound<'py, PyDict>)> {
    let (direction, name) = resolve(kv, direction)?;
    let callback = Callback::new(py, progress)?;
    let neutral = word_source(neutral_words, &callback, py);
    let pairs = pair_source(equalize_pairs, &callback, py);
    callback.finish_call()?;
    let (neutral, pairs) = (neutral?, pairs?);
    let done = py.detach(|| app::bias::hard_debiased(kv.space(), &direction, &name, &neutral, &pairs)).py_err()?;
    let report = PyDict::new(py);
    report.set_item("neutralized", done.neutralized)?;
    report.set_item("equalized", done.equalized)?;
    report.set_item("missing", done.missing.clone())?;
    report.set_item("direct_bias_before", done.bias_before)?;
    report.set_item("direct_bias_after", done.bias_after)?;
    let opened = app::Opened {
        space: done.space,
        name: format!("{} (debiased along {name})", kv.name()),
        path: kv.opened.path.clone(),
        format: "in memory".to_owned(),
        warnings: Vec::new(),
        notes: Vec::new(),
    };
    Ok((KeyedVectors::new(opened), report))
}

/// A picture: SVG text that a notebook shows inline.
#[pyclass(frozen, module = "vecspace")]
pub struct Picture {
    picture: app::plots::Picture,
}

#[pymethods]
impl Picture {
    /// The picture's title.
    #[getter]
    fn title(&self) -> &str {
        &self.picture.title
    }

    /// The words drawn, in the order of `points`.
    #[getter]
    fn labels(&self) -> Vec<String> {
        self.picture.labels.clone()
    }

    /// Each word's position, shape (words, 2).
    #[getter]
    fn points<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, numpy::PyArray2<f64>>> {
        let flat: Vec<f64> = self.picture.layout.points.iter().flatten().copied().collect();
        PyArray1::from_vec(py, flat).reshape([self.picture.labels.len(), 2])
    }

    /// The axis titles.
    #[getter]
    fn axes(&self) -> Vec<String> {
        self.picture.layout.axes.to_vec()
    }

    /// The SVG document.
    #[getter]
    fn svg(&self) -> String {
        self.picture.svg()
    }

    fn _repr_svg_(&self) -> String {
        self.picture.svg()
    }

    fn __repr__(&self) -> String {
        format!("<vecspace.Picture {:?}>", self.picture.title)
    }

    /// Writes the picture as SVG, or as PNG (twice the page's size) when the name ends in `.png`.
    fn save(&self, py: Python<'_>, path: std::path::PathBuf) -> PyResult<()> {
        let png = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("png"));
        let bytes = if png { py.detach(|| self.picture.png(2.0)).py_err()? } else { self.picture.svg().into_bytes() };
        crate::write_file(&path, &bytes)
    }
}

/// `kv.plot(...)`.
#[allow(clippy::too_many_arguments)]
pub fn plot(
    py: Python<'_>,
    kv: &KeyedVectors,
    words: Vec<String>,
    method: &str,
    axes: Option<(String, String)>,
    analogy: Option<&Bound<'_, PyAny>>,
    seed: u64,
    perplexity: f64,
    raw: bool,
) -> PyResult<Picture> {
    let arrangement = match axes {
        Some((x, y)) => Arrangement::Axes([x, y]),
        None => Arrangement::named(method, perplexity, seed).py_err()?,
    };
    let request = WordPlot { words, arrows: pairs(analogy)?, arrangement, raw };
    let store = DirectionStore::from_env().py_err()?;
    let picture = py.detach(|| app::plots::words(kv.space(), kv.name(), &store, &request)).py_err()?;
    Ok(Picture { picture })
}
