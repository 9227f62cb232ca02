//! Image-generator latents: faces rendered from latent expressions (`seed:7 + 1.5*@smile`) or
//! latent arrays, interpolations, edit sweeps, visual analogies, directions and measured
//! attributes. Images come back as `uint8` arrays of shape (n, 64, 64, 3), or as the generator's
//! floats in [−1, 1] with `output="float"`.

use numpy::{AllowTypeChange, PyArray1, PyArrayLike2, PyArrayMethods, PyUntypedArray};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use vecspace::app::{self, DirectionStore};
use vecspace::latent::{Dcgan, Images, dcgan};

use crate::errors::IntoPy;
use crate::progress::Callback;

/// Most faces one call renders.
const MOST_FACES: usize = 1024;

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<Generator>()?;
    module.add_function(wrap_pyfunction!(load_generator, module)?)?;
    module.add_class::<Sheet>()?;
    module.add_function(wrap_pyfunction!(sheet, module)?)?;
    Ok(())
}

/// Most tiles one sheet holds.
const MOST_TILES: usize = 4096;

/// A sheet of faces as a PNG, shown inline by a notebook.
#[pyclass(frozen, module = "vecspace.faces")]
pub struct Sheet {
    png: Vec<u8>,
}

#[pymethods]
impl Sheet {
    /// The PNG file's bytes.
    #[getter]
    fn png<'py>(&self, py: Python<'py>) -> Bound<'py, pyo3::types::PyBytes> {
        pyo3::types::PyBytes::new(py, &self.png)
    }

    fn _repr_png_<'py>(&self, py: Python<'py>) -> Bound<'py, pyo3::types::PyBytes> {
        self.png(py)
    }

    /// Writes the PNG.
    fn save(&self, path: std::path::PathBuf) -> PyResult<()> {
        crate::write_file(&path, &self.png)
    }
}

/// Faces (a `uint8` array of shape (n, height, width, 3)) laid out in rows of `columns`, each
/// enlarged `scale` times, with optional captions under them and a title: a PNG sheet.
#[pyfunction]
#[pyo3(signature = (images, *, captions = None, columns = 8, scale = 2, title = None))]
pub fn sheet(
    py: Python<'_>,
    images: numpy::PyReadonlyArray4<'_, u8>,
    captions: Option<Vec<String>>,
    columns: usize,
    scale: usize,
    title: Option<&str>,
) -> PyResult<Sheet> {
    let view = images.as_array();
    let (count, height, width, channels) = view.dim();
    if channels != 3 {
        return Err(PyValueError::new_err(format!("faces are RGB: the last axis has 3 values, not {channels}")));
    }
    if count == 0 || count > MOST_TILES {
        return Err(PyValueError::new_err(format!("a sheet holds 1 to {MOST_TILES} faces, not {count}")));
    }
    if !(1..=16).contains(&scale) {
        return Err(PyValueError::new_err("scale is 1 to 16"));
    }
    let captions = captions.unwrap_or_else(|| vec![String::new(); count]);
    if captions.len() != count {
        return Err(PyValueError::new_err(format!("{} captions for {count} faces", captions.len())));
    }
    let tiles: Vec<vecspace::plot::Tile> = captions
        .into_iter()
        .enumerate()
        .map(|(i, caption)| vecspace::plot::Tile {
            rgb: view.index_axis(numpy::ndarray::Axis(0), i).iter().copied().collect(),
            width,
            height,
            caption,
        })
        .collect();
    let png = py
        .detach(|| vecspace::plot::grid_png(&tiles, columns, scale, title))
        .map_err(|e| crate::errors::to_python(e.into()))?;
    Ok(Sheet { png })
}

/// Opens a registered face generator (`face-dcgan-celeba`, `face-dcgan-digiface`), fetched on
/// first use.
#[pyfunction]
#[pyo3(signature = (name = "face-dcgan-celeba", *, progress = None))]
pub fn load_generator(py: Python<'_>, name: &str, progress: Option<&Bound<'_, PyAny>>) -> PyResult<Generator> {
    let callback = Callback::new(py, progress)?;
    let opened = py.detach(|| vecspace::open_generator(name, &callback).map_err(app::Error::from));
    callback.finish_call()?;
    let generator = opened.py_err()?;
    Ok(Generator { name: name.to_owned(), generator })
}

/// A DCGAN face generator: 100-dimensional latents to 64 × 64 RGB faces.
#[pyclass(frozen, module = "vecspace.faces")]
pub struct Generator {
    name: String,
    generator: Dcgan,
}

/// What the pixels come back as.
#[derive(Clone, Copy)]
enum Output {
    Uint8,
    Float,
}

impl Output {
    fn named(name: &str) -> PyResult<Output> {
        match name {
            "uint8" => Ok(Output::Uint8),
            "float" => Ok(Output::Float),
            other => Err(PyValueError::new_err(format!("output is \"uint8\" or \"float\", not {other:?}"))),
        }
    }
}

/// `images` as an array of shape (n, 64, 64, 3).
fn pixels<'py>(py: Python<'py>, images: &Images, output: Output) -> PyResult<Bound<'py, PyAny>> {
    let side = dcgan::IMAGE_SIZE;
    let shape = [images.count, side, side, 3];
    Ok(match output {
        Output::Uint8 => {
            let data: Vec<u8> = (0..images.count).flat_map(|i| images.rgb8(i)).collect();
            PyArray1::from_vec(py, data).reshape(shape)?.into_any()
        }
        Output::Float => PyArray1::from_vec(py, app::latent::pixels_channels_last(images)).reshape(shape)?.into_any(),
    })
}

impl Generator {
    /// Latents from expressions (one or a list) or an array of shape (100,) or (n, 100); `given`
    /// holds the latents `z:0`, `z:1`, … name.
    fn latents(&self, what: &Bound<'_, PyAny>, given: &[Vec<f32>]) -> PyResult<Vec<Vec<f32>>> {
        let store = DirectionStore::from_env().py_err()?;
        if what.is_instance_of::<PyUntypedArray>() {
            return array_latents(what);
        }
        let expressions: Vec<String> = if let Ok(one) = what.cast::<PyString>() {
            vec![one.to_cow()?.into_owned()]
        } else {
            what.extract().map_err(|_| {
                PyTypeError::new_err("latents are an expression, a list of expressions, or an array of shape (n, 100)")
            })?
        };
        if expressions.len() > MOST_FACES {
            return Err(PyValueError::new_err(format!(
                "{} latents; at most {MOST_FACES} at a time",
                expressions.len()
            )));
        }
        expressions.iter().map(|e| app::latent::evaluate(&store, e, given).py_err()).collect()
    }

    fn one_latent(&self, what: &Bound<'_, PyAny>, given: &[Vec<f32>]) -> PyResult<Vec<f32>> {
        let mut all = self.latents(what, given)?;
        if all.len() != 1 {
            return Err(PyValueError::new_err(format!("one latent is wanted here, not {}", all.len())));
        }
        Ok(all.remove(0))
    }

    fn generate<'py>(&self, py: Python<'py>, latents: &[Vec<f32>], output: Output) -> PyResult<Bound<'py, PyAny>> {
        let images = py.detach(|| self.generator.generate(latents)).map_err(|e| crate::errors::to_python(e.into()))?;
        pixels(py, &images, output)
    }
}

/// Latents of an array of shape (100,) or (n, 100).
fn array_latents(array: &Bound<'_, PyAny>) -> PyResult<Vec<Vec<f32>>> {
    let dims = dcgan::LATENT_DIMS;
    let array = if array.getattr("ndim")?.extract::<usize>()? == 1 {
        array.call_method1("reshape", (1, -1))?
    } else {
        array.clone()
    };
    let matrix: PyArrayLike2<'_, f32, AllowTypeChange> = array.extract()?;
    let view = matrix.as_array();
    if view.ncols() != dims {
        return Err(PyValueError::new_err(format!("latents have {dims} values each, not {}", view.ncols())));
    }
    if view.nrows() > app::latent::MOST_GIVEN {
        return Err(PyValueError::new_err(format!("at most {} latents at a time", app::latent::MOST_GIVEN)));
    }
    Ok(view.rows().into_iter().map(|row| row.to_vec()).collect())
}

fn given_latents(given: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<Vec<f32>>> {
    match given {
        None => Ok(Vec::new()),
        Some(given) => array_latents(given),
    }
}

#[pymethods]
impl Generator {
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// Values in a latent: 100.
    #[getter]
    fn latent_dims(&self) -> usize {
        dcgan::LATENT_DIMS
    }

    /// Width and height of a face: 64.
    #[getter]
    fn image_size(&self) -> usize {
        dcgan::IMAGE_SIZE
    }

    fn __repr__(&self) -> String {
        format!("<vecspace.faces.Generator {:?}: {} → 64×64 RGB>", self.name, dcgan::LATENT_DIMS)
    }

    /// The latent (shape (100,)) of an expression such as `"seed:7 + 1.5*@smile"`.
    #[pyo3(signature = (expression, *, given = None))]
    fn latent<'py>(
        &self,
        py: Python<'py>,
        expression: &Bound<'py, PyAny>,
        given: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyArray1<f32>>> {
        Ok(PyArray1::from_vec(py, self.one_latent(expression, &given_latents(given)?)?))
    }

    /// Faces of latents — an expression, a list of them, or an array of shape (100,) or
    /// (n, 100) — as an array of shape (n, 64, 64, 3): `uint8`, or with `output="float"` the
    /// generator's values in [−1, 1]. `given` is an (n, 100) array of the latents `z:0`, `z:1`, …
    #[pyo3(signature = (latents, *, given = None, output = "uint8"))]
    fn render<'py>(
        &self,
        py: Python<'py>,
        latents: &Bound<'py, PyAny>,
        given: Option<&Bound<'py, PyAny>>,
        output: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let output = Output::named(output)?;
        let latents = self.latents(latents, &given_latents(given)?)?;
        self.generate(py, &latents, output)
    }

    /// `steps` faces from one latent to another (`method="slerp"` or `"lerp"`).
    #[pyo3(signature = (start, end, steps = 8, *, method = "slerp", given = None, output = "uint8"))]
    #[allow(clippy::too_many_arguments)]
    fn interpolate<'py>(
        &self,
        py: Python<'py>,
        start: &Bound<'py, PyAny>,
        end: &Bound<'py, PyAny>,
        steps: usize,
        method: &str,
        given: Option<&Bound<'py, PyAny>>,
        output: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let output = Output::named(output)?;
        let method: app::latent::Interpolation = method.parse().py_err()?;
        let given = given_latents(given)?;
        let (a, b) = (self.one_latent(start, &given)?, self.one_latent(end, &given)?);
        let latents: Vec<Vec<f32>> =
            app::latent::interpolate(&a, &b, steps, method).py_err()?.into_iter().map(|(_, z)| z).collect();
        self.generate(py, &latents, output)
    }

    /// An edit sweep: the latent moved from `low` to `high` units along a direction (a saved
    /// name or a `Direction`), in `steps` faces; `keep` names directions the edit is made
    /// orthogonal to (InterFaceGAN's conditional manipulation).
    #[pyo3(signature = (latent, direction, *, low = -3.0, high = 3.0, steps = 7, keep = None, given = None,
        output = "uint8"))]
    #[allow(clippy::too_many_arguments)]
    fn edit<'py>(
        &self,
        py: Python<'py>,
        latent: &Bound<'py, PyAny>,
        direction: &Bound<'py, PyAny>,
        low: f64,
        high: f64,
        steps: usize,
        keep: Option<Vec<Bound<'py, PyAny>>>,
        given: Option<&Bound<'py, PyAny>>,
        output: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let output = Output::named(output)?;
        if !(low.is_finite() && high.is_finite()) {
            return Err(PyValueError::new_err("the sweep's ends must be finite numbers"));
        }
        let z = self.one_latent(latent, &given_latents(given)?)?;
        let kept = keep.unwrap_or_default().iter().map(|d| direction_vector(d)).collect::<PyResult<Vec<_>>>()?;
        let unit = app::latent::orthogonal_unit(&direction_vector(direction)?, &kept).py_err()?;
        let ks = app::latent::spaced(low, high, steps).py_err()?;
        self.generate(py, &app::latent::sweep(&z, &unit, &ks), output)
    }

    /// A visual analogy: faces A, B, C, B − A + C, and `variants` noisy copies of the answer.
    #[pyo3(signature = (a, b, c, *, variants = 0, noise = 0.3, seed = 0, given = None, output = "uint8"))]
    #[allow(clippy::too_many_arguments)]
    fn analogy<'py>(
        &self,
        py: Python<'py>,
        a: &Bound<'py, PyAny>,
        b: &Bound<'py, PyAny>,
        c: &Bound<'py, PyAny>,
        variants: usize,
        noise: f64,
        seed: u64,
        given: Option<&Bound<'py, PyAny>>,
        output: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let output = Output::named(output)?;
        if variants > MOST_FACES - 4 {
            return Err(PyValueError::new_err(format!("at most {} variants", MOST_FACES - 4)));
        }
        let given = given_latents(given)?;
        let (a, b, c) = (self.one_latent(a, &given)?, self.one_latent(b, &given)?, self.one_latent(c, &given)?);
        let latents = app::latent::visual_analogy(a, b, c, variants, noise, seed).py_err()?;
        self.generate(py, &latents, output)
    }

    /// A direction in the latent space from examples (latent expressions): `positive` and
    /// `negative` sets (mean-diff, centroid, classifier) or `pairs` (mean-diff, pca). With `name`
    /// it is saved for `@name` in expressions.
    #[pyo3(signature = (*, positive = None, negative = None, pairs = None, method = "mean-diff", name = None,
        overwrite = false, given = None))]
    #[allow(clippy::too_many_arguments)]
    fn direction(
        &self,
        positive: Option<Vec<String>>,
        negative: Option<Vec<String>>,
        pairs: Option<Vec<(String, String)>>,
        method: &str,
        name: Option<String>,
        overwrite: bool,
        given: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<crate::directions::Direction> {
        let method: vecspace::BuildMethod = method.parse().map_err(PyValueError::new_err)?;
        let store = DirectionStore::from_env().py_err()?;
        let overwrite = app::files::Overwrite::force(overwrite);
        if let Some(name) = &name {
            store.check_free(name, overwrite).py_err()?;
        }
        let given = given_latents(given)?;
        let examples = app::directions::Examples {
            pairs: pairs.unwrap_or_default(),
            left: negative.unwrap_or_default(),
            right: positive.unwrap_or_default(),
            scored: None,
        };
        let latent = |example: &str| app::latent::evaluate(&store, example, &given);
        let direction = app::directions::build(&self.name, &latent, method, &examples, false).py_err()?;
        if let Some(name) = &name {
            store.save(name, &direction, overwrite).py_err()?;
        }
        Ok(crate::directions::Direction { direction, name, space: None })
    }

    /// Measured attributes of the faces of latents (expressions or an array): a dict from each
    /// attribute's name (all of them by default) to an array of scores, one per latent.
    #[pyo3(signature = (latents, *, attributes = None, given = None, progress = None))]
    fn scores<'py>(
        &self,
        py: Python<'py>,
        latents: &Bound<'py, PyAny>,
        attributes: Option<Vec<String>>,
        given: Option<&Bound<'py, PyAny>>,
        progress: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let chosen: Vec<&vecspace::latent::Attribute> = match attributes {
            None => vecspace::latent::ATTRIBUTES.iter().collect(),
            Some(names) => names.iter().map(|n| app::latent::attribute(n).py_err()).collect::<PyResult<_>>()?,
        };
        let latents = self.latents(latents, &given_latents(given)?)?;
        let callback = Callback::new(py, progress)?;
        let scores = py.detach(|| vecspace::latent::score_latents(&self.generator, &chosen, &latents, &callback));
        callback.finish_call()?;
        let scores = scores.map_err(|e| crate::errors::to_python(e.into()))?;
        let result = PyDict::new(py);
        for (index, attribute) in chosen.iter().enumerate() {
            let column: Vec<f64> = scores.iter().map(|row| row[index]).collect();
            result.set_item(attribute.name, PyArray1::from_vec(py, column))?;
        }
        Ok(result)
    }

    /// The measured attributes' names and descriptions.
    #[staticmethod]
    fn attributes() -> Vec<(&'static str, &'static str)> {
        vecspace::latent::ATTRIBUTES.iter().map(|a| (a.name, a.description)).collect()
    }
}

/// A direction's vector from a `Direction` or a saved name (checked to be a latent direction).
fn direction_vector(given: &Bound<'_, PyAny>) -> PyResult<Vec<f32>> {
    if let Ok(direction) = given.cast::<crate::directions::Direction>() {
        let vector = direction.get().direction.vector.clone();
        if vector.len() != dcgan::LATENT_DIMS {
            return Err(PyValueError::new_err(format!(
                "the direction has {} values; a latent has {}",
                vector.len(),
                dcgan::LATENT_DIMS
            )));
        }
        return Ok(vector);
    }
    let name: String =
        given.extract().map_err(|_| PyTypeError::new_err("a direction is a Direction or a saved name"))?;
    Ok(DirectionStore::from_env().py_err()?.load(&name, dcgan::LATENT_DIMS).py_err()?.vector)
}
