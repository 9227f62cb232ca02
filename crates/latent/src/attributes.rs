//! Attributes measured from a generated face's pixels, so edits can be scored instead of only
//! looked at.
//!
//! The registered generators draw roughly aligned 64×64 faces: averaged over 512 seeds of
//! `face-dcgan-celeba`, the eyes sit near rows 31–35 at columns 24 and 40, the mouth near rows
//! 45–49 between columns 26 and 38, and the sides above the shoulders are background. Each
//! attribute reads fixed boxes of that layout; a box is also the attribute's *region*, the part of
//! the image an edit of that attribute is meant to change. Values are Rec. 601 luma
//! (`0.299 R + 0.587 G + 0.114 B`) with channels in [0, 1].

use crate::dcgan::IMAGE_SIZE;

/// A box of pixels: columns `x0..x1`, rows `y0..y1` (half-open).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x0: usize,
    pub x1: usize,
    pub y0: usize,
    pub y1: usize,
}

impl Rect {
    const fn new(x0: usize, x1: usize, y0: usize, y1: usize) -> Rect {
        Rect { x0, x1, y0, y1 }
    }

    pub fn contains(&self, x: usize, y: usize) -> bool {
        (self.x0..self.x1).contains(&x) && (self.y0..self.y1).contains(&y)
    }

    fn pixels(self) -> impl Iterator<Item = usize> {
        (self.y0..self.y1).flat_map(move |y| (self.x0..self.x1).map(move |x| y * IMAGE_SIZE + x))
    }
}

const WHOLE: Rect = Rect::new(0, IMAGE_SIZE, 0, IMAGE_SIZE);
const EYE_BAND: Rect = Rect::new(18, 46, 28, 37);
const CHEEKS: Rect = Rect::new(18, 46, 37, 42);
const MOUTH: Rect = Rect::new(24, 40, 43, 52);
const LEFT_SIDE: Rect = Rect::new(0, 10, 0, 44);
const RIGHT_SIDE: Rect = Rect::new(54, IMAGE_SIZE, 0, 44);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Measure {
    MeanLuma,
    /// The mean luma of the second box minus that of the first.
    DarkerThan,
    LumaDeviation,
}

/// A measurable attribute of a face.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute {
    pub name: &'static str,
    pub description: &'static str,
    measure: Measure,
    /// The boxes the measure reads; together they are the attribute's region.
    boxes: &'static [Rect],
}

/// The built-in attributes.
pub const ATTRIBUTES: &[Attribute] = &[
    Attribute {
        name: "brightness",
        description: "mean luma of the whole image",
        measure: Measure::MeanLuma,
        boxes: &[WHOLE],
    },
    Attribute {
        name: "background",
        description: "mean luma of the sides above the shoulders (columns 0–9 and 54–63, rows 0–43)",
        measure: Measure::MeanLuma,
        boxes: &[LEFT_SIDE, RIGHT_SIDE],
    },
    Attribute {
        name: "eye-darkness",
        description: "how much darker the eye band (rows 28–36) is than the cheeks below it (rows 37–41); \
                      sunglasses score high",
        measure: Measure::DarkerThan,
        boxes: &[EYE_BAND, CHEEKS],
    },
    Attribute {
        name: "mouth-contrast",
        description: "standard deviation of luma around the mouth (columns 24–39, rows 43–51); \
                      teeth and open lips score high",
        measure: Measure::LumaDeviation,
        boxes: &[MOUTH],
    },
];

/// The attribute called `name`.
pub fn attribute(name: &str) -> Option<&'static Attribute> {
    ATTRIBUTES.iter().find(|a| a.name == name)
}

/// The luma of each pixel of a `3 × 64 × 64` image with values in [-1, 1], row by row.
pub fn luma(image: &[f32]) -> Vec<f64> {
    let plane = IMAGE_SIZE * IMAGE_SIZE;
    assert_eq!(image.len(), 3 * plane, "an image is 3 × {IMAGE_SIZE} × {IMAGE_SIZE} values");
    let unit = |v: f32| (f64::from(v) + 1.0) / 2.0;
    (0..plane)
        .map(|p| 0.299 * unit(image[p]) + 0.587 * unit(image[plane + p]) + 0.114 * unit(image[2 * plane + p]))
        .collect()
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    sum / count as f64
}

impl Attribute {
    /// The attribute's value for a `3 × 64 × 64` image with values in [-1, 1].
    pub fn score(&self, image: &[f32]) -> f64 {
        self.score_luma(&luma(image))
    }

    /// The attribute's value from per-pixel luma (see [`luma`]).
    pub fn score_luma(&self, luma: &[f64]) -> f64 {
        let over = |rects: &[Rect]| mean(rects.iter().flat_map(|r| r.pixels()).map(|p| luma[p]));
        match self.measure {
            Measure::MeanLuma => over(self.boxes),
            Measure::DarkerThan => over(&self.boxes[1..]) - over(&self.boxes[..1]),
            Measure::LumaDeviation => {
                let centre = over(self.boxes);
                over_deviation(self.boxes, luma, centre)
            }
        }
    }

    /// Whether pixel (x, y) belongs to the region the attribute reads.
    pub fn in_region(&self, x: usize, y: usize) -> bool {
        self.boxes.iter().any(|r| r.contains(x, y))
    }

    /// Whether the region leaves any pixel outside it.
    pub fn is_local(&self) -> bool {
        !self.boxes.contains(&WHOLE)
    }
}

fn over_deviation(rects: &[Rect], luma: &[f64], centre: f64) -> f64 {
    mean(rects.iter().flat_map(|r| r.pixels()).map(|p| (luma[p] - centre).powi(2))).sqrt()
}

/// Mean absolute change per channel value (on the [0, 1] scale) between two images, over the
/// pixels inside the attribute's region (`inside`) or outside it. NaN when that part is empty.
pub fn mean_change(attribute: &Attribute, before: &[f32], after: &[f32], inside: bool) -> f64 {
    let plane = IMAGE_SIZE * IMAGE_SIZE;
    let (mut sum, mut count) = (0.0, 0usize);
    for p in 0..plane {
        if attribute.in_region(p % IMAGE_SIZE, p / IMAGE_SIZE) != inside {
            continue;
        }
        for channel in 0..3 {
            let i = channel * plane + p;
            sum += f64::from((after[i] - before[i]).abs()) / 2.0;
        }
        count += 3;
    }
    sum / count as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A grey image (luma `level` on [0, 1]) with `paint` applied to chosen pixels.
    fn image(level: f32, paint: impl Fn(usize, usize) -> Option<f32>) -> Vec<f32> {
        let plane = IMAGE_SIZE * IMAGE_SIZE;
        let mut data = vec![0.0; 3 * plane];
        for p in 0..plane {
            let value = paint(p % IMAGE_SIZE, p / IMAGE_SIZE).unwrap_or(level) * 2.0 - 1.0;
            for channel in 0..3 {
                data[channel * plane + p] = value;
            }
        }
        data
    }

    #[test]
    fn every_attribute_reads_its_own_boxes() {
        let grey = image(0.5, |_, _| None);
        for attribute in ATTRIBUTES {
            let expected = match attribute.name {
                "brightness" | "background" => 0.5,
                _ => 0.0,
            };
            assert!((attribute.score(&grey) - expected).abs() < 1e-6, "{}", attribute.name);
        }
        // Sunglasses: a black eye band on a grey face.
        let glasses = image(0.5, |x, y| EYE_BAND.contains(x, y).then_some(0.0));
        assert!((attribute("eye-darkness").unwrap().score(&glasses) - 0.5).abs() < 1e-6);
        // A white background leaves the face's measures alone.
        let white = image(0.5, |x, y| (LEFT_SIDE.contains(x, y) || RIGHT_SIDE.contains(x, y)).then_some(1.0));
        assert!((attribute("background").unwrap().score(&white) - 1.0).abs() < 1e-6);
        assert!(attribute("eye-darkness").unwrap().score(&white).abs() < 1e-6);
        // Half the mouth box white, half black: deviation 0.5.
        let teeth = image(0.5, |x, y| MOUTH.contains(x, y).then_some(if x < 32 { 1.0 } else { 0.0 }));
        assert!((attribute("mouth-contrast").unwrap().score(&teeth) - 0.5).abs() < 1e-6);
    }

    #[test]
    fn change_is_split_by_region() {
        let mouth = attribute("mouth-contrast").unwrap();
        let before = image(0.5, |_, _| None);
        let after = image(0.5, |x, y| MOUTH.contains(x, y).then_some(0.7));
        assert!((mean_change(mouth, &before, &after, true) - 0.2).abs() < 1e-6);
        assert_eq!(mean_change(mouth, &before, &after, false), 0.0);
        let brightness = attribute("brightness").unwrap();
        assert!(!brightness.is_local() && mouth.is_local());
        assert!(mean_change(brightness, &before, &after, false).is_nan());
    }
}
