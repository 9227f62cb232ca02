"""Faces through Python: the generator's pixels equal the NumPy reference forward pass and the
CLI's pictures for the same latents; interpolations, edits, analogies, directions and measured
attributes are the application layer's."""

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from pngread import read_png
from vecspace import faces

ROOT = Path(__file__).resolve().parents[2]
CLI = Path(os.environ.get("VECSPACE_CLI", ROOT / "target" / "debug" / "vecspace"))
pytestmark = pytest.mark.usefixtures("own_direction_store")


@pytest.fixture(scope="module")
def g():
    return faces.load("face-dcgan-celeba")


def test_faces_equal_the_numpy_forward_pass(g):
    # tests/reference/dcgan_reference.py: rows 3-5 are celeba seeds 0, 1, 42, each 3 × 64 × 64.
    reference = np.load(ROOT / "tests" / "golden" / "dcgan-faces.npy")[3:6].reshape(3, 3, 64, 64)
    ours = g.render(["seed:0", "seed:1", "seed:42"], output="float")
    assert ours.shape == (3, 64, 64, 3) and ours.dtype == np.float32
    assert np.abs(ours - reference.transpose(0, 2, 3, 1)).max() < 1e-4
    pixels = g.render("seed:42")
    assert pixels.shape == (1, 64, 64, 3) and pixels.dtype == np.uint8
    expected = np.clip(np.round((ours[2] + 1) / 2 * 255), 0, 255).astype(np.uint8)
    assert np.abs(pixels[0].astype(int) - expected.astype(int)).max() <= 1


def test_faces_equal_the_cli_pictures(g, tmp_path):
    if not CLI.exists():
        pytest.fail(f"{CLI} is missing: build the CLI first (cargo build), or set VECSPACE_CLI")
    expressions = ["seed:7", "seed:3 - 0.5*seed:1"]
    out = tmp_path / "faces.png"
    subprocess.run([str(CLI), "latent", "render", *expressions, "--model", "face-dcgan-celeba", "--out", str(out),
                    "--scale", "1", "--columns", "2"], check=True, capture_output=True)
    page = read_png(out)
    ours = g.render(expressions)
    for index in range(2):
        # grid_png: an 8-pixel gap around 64-pixel tiles under a 44-pixel title band.
        x0, y0 = 8 + index * (64 + 8), 44
        np.testing.assert_array_equal(page[y0:y0 + 64, x0:x0 + 64, :3], ours[index])


def test_latents_from_arrays_and_expressions_agree(g):
    z = g.latent("seed:7")
    assert z.shape == (100,) and z.dtype == np.float32
    np.testing.assert_array_equal(g.render(z), g.render("seed:7"))
    np.testing.assert_array_equal(g.render(np.stack([z, 2 * z])), g.render(["seed:7", "2*seed:7"]))
    given = np.stack([z, -z]).astype(np.float64)
    np.testing.assert_array_equal(g.render(["z:1"], given=given), g.render("-1*seed:7"))


def test_interpolation_edits_and_analogies(g):
    frames = g.interpolate("seed:1", "seed:2", steps=5)
    assert frames.shape == (5, 64, 64, 3)
    np.testing.assert_array_equal(frames[0], g.render("seed:1")[0])
    np.testing.assert_array_equal(frames[-1], g.render("seed:2")[0])
    lerp = g.interpolate("seed:1", "seed:2", steps=3, method="lerp", output="float")
    np.testing.assert_allclose(lerp[1], g.render("0.5*seed:1 + 0.5*seed:2", output="float")[0], atol=1e-5)
    smile = g.direction(positive=["seed:1", "seed:2"], negative=["seed:3", "seed:4"], name="toward12")
    assert smile.name == "toward12" and len(smile) == 100
    np.testing.assert_allclose(g.latent("@toward12"), smile.vector, atol=1e-7)
    sweep = g.edit("seed:9", "toward12", low=-2, high=2, steps=5, output="float")
    unit = smile.vector / np.linalg.norm(smile.vector)
    middle = g.render(g.latent("seed:9"), output="float")[0]
    np.testing.assert_allclose(sweep[2], middle, atol=1e-5)
    np.testing.assert_allclose(sweep[4], g.render(g.latent("seed:9") + 2 * unit, output="float")[0], atol=1e-4)
    faces_ = g.analogy("seed:1", "seed:2", "seed:3", variants=2)
    assert faces_.shape == (6, 64, 64, 3)
    np.testing.assert_array_equal(faces_[3], g.render("seed:2 - seed:1 + seed:3")[0])


def test_measured_attributes(g):
    names = [name for name, _ in faces.Generator.attributes()]
    scores = g.scores(["seed:1", "seed:2", "seed:3"])
    assert set(scores) == set(names) and all(v.shape == (3,) and np.isfinite(v).all() for v in scores.values())
    brightness = g.scores("seed:5", attributes=["brightness"])["brightness"][0]
    image = (g.render("seed:5", output="float")[0].astype(np.float64) + 1) / 2
    luma = (0.299 * image[..., 0] + 0.587 * image[..., 1] + 0.114 * image[..., 2]).mean()
    assert abs(brightness - luma) < 1e-6


def test_errors(g):
    with pytest.raises(ValueError, match="unknown image generator"):
        faces.load("no-such-gan")
    with pytest.raises(ValueError):
        g.render("seed:1 +")
    with pytest.raises(ValueError, match="100"):
        g.render(np.zeros(7))
    with pytest.raises(ValueError, match="uint8"):
        g.render("seed:1", output="png")
    with pytest.raises(ValueError, match="unknown attribute"):
        g.scores("seed:1", attributes=["beard"])
    with pytest.raises(KeyError):
        g.edit("seed:1", "no_such_direction")
    with pytest.raises(ValueError, match="steps"):
        g.interpolate("seed:1", "seed:2", steps=1)
    with pytest.raises(TypeError):
        g.render(3)


def test_a_sheet_lays_faces_out_as_the_cli_does(g, tmp_path):
    images = g.render(["seed:7", "seed:3 - 0.5*seed:1", "seed:5"])
    sheet = faces.sheet(images, captions=["a", "b", "c"], columns=2, scale=1, title="three")
    assert sheet._repr_png_() == sheet.png and sheet.png[:8] == b"\x89PNG\r\n\x1a\n"
    sheet.save(tmp_path / "sheet.png")
    page = read_png(tmp_path / "sheet.png")
    assert page.shape[:2] == (44 + 2 * (64 + 22 + 8), 8 + 2 * (64 + 8))
    np.testing.assert_array_equal(page[44 + 64 + 22 + 8:44 + 2 * 64 + 22 + 8, 8:72, :3], images[2])
    with pytest.raises(ValueError, match="captions"):
        faces.sheet(images, captions=["a"])
    with pytest.raises(ValueError, match="RGB"):
        faces.sheet(np.zeros((1, 8, 8, 4), dtype=np.uint8))
