//! Labelled 2-D scatter plots of word layouts: points, non-overlapping labels where the page
//! allows, analogy arrows (king → queen beside man → woman), a title that says what was projected,
//! and axis titles. Drawn as SVG; [`to_png`] rasterises the SVG in Rust (resvg) with the system's
//! fonts.

use std::fmt::Write as _;

use vecspace_core::projection::Layout;

/// What to draw.
#[derive(Debug, Clone)]
pub struct Scatter<'a> {
    pub title: &'a str,
    pub layout: &'a Layout,
    pub labels: &'a [String],
    /// Arrows between points, by index: (from, to).
    pub arrows: &'a [(usize, usize)],
}

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 720.0;
const MARGIN: [f64; 4] = [70.0, 40.0, 70.0, 80.0]; // top, right, bottom, left
const FONT: f64 = 14.0;
/// Average glyph width of a sans-serif face relative to its size, for estimating label boxes.
const GLYPH: f64 = 0.58;
const PALETTE: [&str; 6] = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

/// Maps layout coordinates to the page with the same scale on both axes, so that directions and
/// distances look as they are.
struct Frame {
    scale: f64,
    centre: [f64; 2],
}

impl Frame {
    fn new(points: &[[f64; 2]]) -> Frame {
        let bound = |k: usize| {
            let (lo, hi) =
                points.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| (lo.min(p[k]), hi.max(p[k])));
            (lo, hi)
        };
        let ((x0, x1), (y0, y1)) = (bound(0), bound(1));
        // Room for labels to the right of the rightmost points.
        let width = WIDTH - MARGIN[1] - MARGIN[3] - 120.0;
        let height = HEIGHT - MARGIN[0] - MARGIN[2] - 30.0;
        let scale = (width / (x1 - x0).max(1e-12)).min(height / (y1 - y0).max(1e-12));
        Frame { scale, centre: [(x0 + x1) / 2.0, (y0 + y1) / 2.0] }
    }

    fn page(&self, p: [f64; 2]) -> [f64; 2] {
        let cx = MARGIN[3] + (WIDTH - MARGIN[1] - MARGIN[3] - 120.0) / 2.0;
        let cy = MARGIN[0] + 15.0 + (HEIGHT - MARGIN[0] - MARGIN[2] - 30.0) / 2.0;
        [cx + (p[0] - self.centre[0]) * self.scale, cy - (p[1] - self.centre[1]) * self.scale]
    }
}

/// A label's box on the page: x, y of the top-left corner, width, height.
type Rect = [f64; 4];

fn overlap(a: &Rect, b: &Rect) -> f64 {
    let w = (a[0] + a[2]).min(b[0] + b[2]) - a[0].max(b[0]);
    let h = (a[1] + a[3]).min(b[1] + b[3]) - a[1].max(b[1]);
    if w > 0.0 && h > 0.0 { w * h } else { 0.0 }
}

/// Greedy placement: each label takes the first spot around its point that overlaps no label or
/// point placed so far — the eight spots next to it, then stacked rows above and below (drawn with
/// a leader line) — or else the spot that overlaps least.
fn place_labels(points: &[[f64; 2]], labels: &[String]) -> Vec<[f64; 2]> {
    let dots: Vec<Rect> = points.iter().map(|p| [p[0] - 4.0, p[1] - 4.0, 8.0, 8.0]).collect();
    let mut placed: Vec<Rect> = Vec::new();
    let mut anchors = Vec::new();
    for (p, label) in points.iter().zip(labels) {
        let (w, h) = (label.chars().count() as f64 * FONT * GLYPH, FONT);
        let mut spots = vec![
            [p[0] + 7.0, p[1] - h / 2.0],
            [p[0] - 7.0 - w, p[1] - h / 2.0],
            [p[0] - w / 2.0, p[1] - 7.0 - h],
            [p[0] - w / 2.0, p[1] + 7.0],
            [p[0] + 5.0, p[1] - 5.0 - h],
            [p[0] + 5.0, p[1] + 5.0],
            [p[0] - 5.0 - w, p[1] - 5.0 - h],
            [p[0] - 5.0 - w, p[1] + 5.0],
        ];
        for row in 1..=6 {
            let step = row as f64 * (h + 3.0);
            spots.push([p[0] - w / 2.0, p[1] - 7.0 - h - step]);
            spots.push([p[0] - w / 2.0, p[1] + 7.0 + step]);
        }
        let cost = |spot: &[f64; 2]| {
            let rect = [spot[0], spot[1], w, h];
            let outside = if rect[0] < 0.0 || rect[0] + w > WIDTH || rect[1] < MARGIN[0] || rect[1] + h > HEIGHT {
                1e9
            } else {
                0.0
            };
            outside + placed.iter().chain(&dots).map(|r| overlap(&rect, r)).sum::<f64>()
        };
        // The first spot of least cost: near spots win ties.
        let best = spots.iter().min_by(|a, b| cost(a).total_cmp(&cost(b))).expect("spots");
        placed.push([best[0], best[1], w, h]);
        anchors.push(*best);
    }
    anchors
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The picture as an SVG document.
pub fn to_svg(scatter: &Scatter<'_>) -> String {
    let frame = Frame::new(&scatter.layout.points);
    let points: Vec<[f64; 2]> = scatter.layout.points.iter().map(|&p| frame.page(p)).collect();
    let anchors = place_labels(&points, scatter.labels);
    let mut svg = String::new();
    let w = |svg: &mut String, text: String| svg.push_str(&text);
    w(
        &mut svg,
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
        ),
    );
    svg.push_str("<defs>\n");
    for (i, colour) in PALETTE.iter().enumerate() {
        let _ = writeln!(
            svg,
            "<marker id=\"head{i}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"{colour}\"/></marker>"
        );
    }
    svg.push_str("</defs>\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"34\" font-size=\"18\" text-anchor=\"middle\" fill=\"#222\">{}</text>",
        WIDTH / 2.0,
        escape(scatter.title)
    );
    // Axes through the origin, where it is on the page, and axis titles.
    let origin = frame.page([0.0, 0.0]);
    let plot = [MARGIN[3], MARGIN[0], WIDTH - MARGIN[1], HEIGHT - MARGIN[2]];
    if (plot[0]..plot[2]).contains(&origin[0]) {
        let _ = writeln!(
            svg,
            "<line x1=\"{:.1}\" y1=\"{}\" x2=\"{:.1}\" y2=\"{}\" stroke=\"#ddd\"/>",
            origin[0], plot[1], origin[0], plot[3]
        );
    }
    if (plot[1]..plot[3]).contains(&origin[1]) {
        let _ = writeln!(
            svg,
            "<line x1=\"{}\" y1=\"{:.1}\" x2=\"{}\" y2=\"{:.1}\" stroke=\"#ddd\"/>",
            plot[0], origin[1], plot[2], origin[1]
        );
    }
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"{}\" font-size=\"13\" text-anchor=\"middle\" fill=\"#555\">{} →</text>",
        WIDTH / 2.0,
        HEIGHT - 24.0,
        escape(&scatter.layout.axes[0])
    );
    let _ = writeln!(
        svg,
        "<text x=\"28\" y=\"{}\" font-size=\"13\" text-anchor=\"middle\" fill=\"#555\" transform=\"rotate(-90 28 {})\">{} →</text>",
        HEIGHT / 2.0,
        HEIGHT / 2.0,
        escape(&scatter.layout.axes[1])
    );
    let in_arrow: Vec<Option<usize>> =
        (0..points.len()).map(|i| scatter.arrows.iter().position(|&(a, b)| a == i || b == i)).collect();
    for (k, &(from, to)) in scatter.arrows.iter().enumerate() {
        let (a, b) = (points[from], points[to]);
        // Stop short of the target dot so the head stays visible.
        let length = ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt().max(1e-9);
        let shorten = (6.0 / length).min(0.5);
        let end = [b[0] - (b[0] - a[0]) * shorten, b[1] - (b[1] - a[1]) * shorten];
        let colour = PALETTE[k % PALETTE.len()];
        let _ = writeln!(
            svg,
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{colour}\" stroke-width=\"2.2\" marker-end=\"url(#head{})\"/>",
            a[0],
            a[1],
            end[0],
            end[1],
            k % PALETTE.len()
        );
    }
    for ((p, label), (anchor, arrow)) in points.iter().zip(scatter.labels).zip(anchors.iter().zip(&in_arrow)) {
        let colour = arrow.map_or("#1f4e79", |k| PALETTE[k % PALETTE.len()]);
        let weight = if arrow.is_some() { "bold" } else { "normal" };
        let _ = writeln!(svg, "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{colour}\"/>", p[0], p[1]);
        let label_width = label.chars().count() as f64 * FONT * GLYPH;
        let label_centre = [anchor[0] + label_width / 2.0, anchor[1] + FONT / 2.0];
        let near_x = label_centre[0].clamp(anchor[0], anchor[0] + label_width);
        let distance = ((label_centre[0] - p[0]).powi(2) + (label_centre[1] - p[1]).powi(2)).sqrt();
        if distance > 28.0 + label_width / 2.0 {
            // A label pushed away from its point gets a leader line back to it.
            let edge_y = if anchor[1] > p[1] { anchor[1] } else { anchor[1] + FONT };
            let _ = writeln!(
                svg,
                "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{near_x:.1}\" y2=\"{edge_y:.1}\" stroke=\"#999\" stroke-width=\"0.6\"/>",
                p[0], p[1]
            );
        }
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{FONT}\" font-weight=\"{weight}\" fill=\"#222\">{}</text>",
            anchor[0],
            anchor[1] + FONT * 0.85,
            escape(label)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// Why a picture could not be rendered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(
        "no fonts were found on this system to draw the labels with; install one (Debian: fonts-dejavu-core) or write .svg"
    )]
    NoFonts,
    #[error("rendering the picture failed: {0}")]
    Render(String),
    #[error("not a PNG image we can read: {0}")]
    NotPng(String),
    #[error("the image is {width} × {height} pixels; at most {limit} pixels are read")]
    ImageTooLarge { width: u64, height: u64, limit: u64 },
}

/// The SVG document rasterised to a PNG image at `scale` times its size (2 gives crisp text on
/// high-density screens).
pub fn to_png(svg: &str, scale: f32) -> Result<Vec<u8>, Error> {
    let mut options = resvg::usvg::Options::default();
    options.fontdb_mut().load_system_fonts();
    if options.fontdb.is_empty() {
        return Err(Error::NoFonts);
    }
    let tree = resvg::usvg::Tree::from_str(svg, &options).map_err(|e| Error::Render(e.to_string()))?;
    let size = tree.size().to_int_size().scale_by(scale).ok_or_else(|| Error::Render("empty picture".into()))?;
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| Error::Render("the picture is too large".into()))?;
    resvg::render(&tree, resvg::tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| Error::Render(e.to_string()))
}

/// One picture of a grid: RGB pixels, row by row, and the caption under it.
#[derive(Debug, Clone)]
pub struct Tile {
    pub rgb: Vec<u8>,
    pub width: usize,
    pub height: usize,
    pub caption: String,
}

/// RGB pixels, row by row, as a PNG of exactly those pixels (no caption, no margin).
pub fn rgb_png(rgb: &[u8], width: usize, height: usize) -> Result<Vec<u8>, Error> {
    if rgb.len() != width * height * 3 {
        return Err(Error::Render(format!(
            "a {width}×{height} picture needs {} RGB values, not {}",
            width * height * 3,
            rgb.len()
        )));
    }
    let mut pixmap = resvg::tiny_skia::Pixmap::new(width as u32, height as u32)
        .ok_or_else(|| Error::Render(format!("a {width}×{height} picture is empty or too large")))?;
    for (target, source) in pixmap.data_mut().chunks_exact_mut(4).zip(rgb.chunks_exact(3)) {
        target[..3].copy_from_slice(source);
        target[3] = 255;
    }
    pixmap.encode_png().map_err(|e| Error::Render(e.to_string()))
}

/// A PNG file's pixels as 8-bit RGB, row by row, with its width and height. Any colour type and
/// depth is read; transparency is composited over black. The size in the header is checked
/// against `max_pixels` before anything is decoded.
pub fn read_png(bytes: &[u8], max_pixels: u64) -> Result<(Vec<u8>, usize, usize), Error> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    // The first chunk of every PNG is IHDR: its width and height follow its length and name.
    if bytes.len() < 24 || &bytes[..8] != SIGNATURE || &bytes[12..16] != b"IHDR" {
        return Err(Error::NotPng("the file does not start with a PNG signature and header".into()));
    }
    let width = u64::from(u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]));
    let height = u64::from(u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]));
    if width.saturating_mul(height) > max_pixels {
        return Err(Error::ImageTooLarge { width, height, limit: max_pixels });
    }
    let pixmap = resvg::tiny_skia::Pixmap::decode_png(bytes).map_err(|e| Error::NotPng(e.to_string()))?;
    // Premultiplied RGBA: the colour channels already hold the image composited over black.
    let rgb = pixmap.data().chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
    Ok((rgb, pixmap.width() as usize, pixmap.height() as usize))
}

/// Tiles in rows of `columns`, each enlarged `scale` times (nearest neighbour, so pixels stay
/// sharp), captioned underneath, with an optional title: a PNG.
pub fn grid_png(tiles: &[Tile], columns: usize, scale: usize, title: Option<&str>) -> Result<Vec<u8>, Error> {
    let (Some(first), true) = (tiles.first(), columns > 0 && scale > 0) else {
        return Err(Error::Render("a grid needs at least one tile, one column and a scale of 1 or more".into()));
    };
    if tiles.iter().any(|t| t.width != first.width || t.height != first.height || t.rgb.len() != t.width * t.height * 3)
    {
        return Err(Error::Render("grid tiles differ in size or hold the wrong number of pixels".into()));
    }
    const GAP: usize = 8;
    const CAPTION: usize = 22;
    let top = if title.is_some() { 44 } else { GAP };
    let (cell_w, cell_h) = (first.width * scale, first.height * scale);
    let columns = columns.min(tiles.len());
    let rows = tiles.len().div_ceil(columns);
    let width = GAP + columns * (cell_w + GAP);
    let height = top + rows * (cell_h + CAPTION + GAP);
    let mut pixmap = resvg::tiny_skia::Pixmap::new(width as u32, height as u32)
        .ok_or_else(|| Error::Render(format!("a {width}×{height} picture is too large")))?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    let stride = width * 4;
    let pixels = pixmap.data_mut();
    for (index, tile) in tiles.iter().enumerate() {
        let (x0, y0) = (GAP + (index % columns) * (cell_w + GAP), top + (index / columns) * (cell_h + CAPTION + GAP));
        for y in 0..cell_h {
            for x in 0..cell_w {
                let source = ((y / scale) * tile.width + x / scale) * 3;
                let target = (y0 + y) * stride + (x0 + x) * 4;
                pixels[target..target + 3].copy_from_slice(&tile.rgb[source..source + 3]);
                pixels[target + 3] = 255;
            }
        }
    }
    // Captions and title are drawn over the pixels by rendering an SVG of text alone.
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
    );
    if let Some(title) = title {
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"30\" font-size=\"18\" text-anchor=\"middle\" fill=\"#222\">{}</text>",
            width / 2,
            escape(title)
        );
    }
    for (index, tile) in tiles.iter().enumerate() {
        let x = GAP + (index % columns) * (cell_w + GAP) + cell_w / 2;
        let y = top + (index / columns) * (cell_h + CAPTION + GAP) + cell_h + 16;
        let _ = writeln!(
            svg,
            "<text x=\"{x}\" y=\"{y}\" font-size=\"13\" text-anchor=\"middle\" fill=\"#222\">{}</text>",
            escape(&tile.caption)
        );
    }
    svg.push_str("</svg>\n");
    let mut options = resvg::usvg::Options::default();
    options.fontdb_mut().load_system_fonts();
    if options.fontdb.is_empty() {
        return Err(Error::NoFonts);
    }
    let tree = resvg::usvg::Tree::from_str(&svg, &options).map_err(|e| Error::Render(e.to_string()))?;
    resvg::render(&tree, resvg::tiny_skia::Transform::identity(), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| Error::Render(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_svg_has_every_point_label_and_arrow() {
        let layout = Layout {
            points: vec![[0.0, 0.0], [1.0, 0.2], [0.1, 1.0], [1.1, 1.2]],
            axes: ["PC1 (60.0 % of variance)".into(), "PC2 (30.0 % of variance)".into()],
        };
        let labels: Vec<String> = ["man", "woman", "king", "queen & co"].map(String::from).to_vec();
        let svg =
            to_svg(&Scatter { title: "PCA of 4 words", layout: &layout, labels: &labels, arrows: &[(0, 1), (2, 3)] });
        assert_eq!(svg.matches("<circle").count(), 4);
        assert_eq!(svg.matches("marker-end").count(), 2);
        assert!(svg.contains(">queen &amp; co</text>") && svg.contains("PCA of 4 words"));
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn png_rendering_draws_the_picture() {
        let layout = Layout { points: vec![[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]], axes: ["x".into(), "y".into()] };
        let labels: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let svg = to_svg(&Scatter { title: "three", layout: &layout, labels: &labels, arrows: &[(0, 1)] });
        // .ci/run installs fonts-dejavu-core, so a missing font is a failure here.
        let png = to_png(&svg, 1.0).expect("a PNG");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        // Width and height from the IHDR chunk.
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert_eq!((width, height), (WIDTH as u32, HEIGHT as u32));
    }

    #[test]
    fn png_pixels_read_back_exactly_and_bad_files_are_refused() {
        let rgb: Vec<u8> = (0..5 * 3 * 3).map(|i| (i * 37 % 256) as u8).collect();
        let png = rgb_png(&rgb, 5, 3).unwrap();
        assert_eq!(read_png(&png, 15).unwrap(), (rgb, 5, 3));
        assert!(matches!(read_png(&png, 14), Err(Error::ImageTooLarge { width: 5, height: 3, limit: 14 })));
        assert!(matches!(read_png(b"GIF89a not a png at all!", 100), Err(Error::NotPng(_))));
        // A header that claims a picture, then nothing.
        assert!(matches!(read_png(&png[..40], 100), Err(Error::NotPng(_))));
    }

    #[test]
    fn grids_enlarge_tiles_and_keep_their_pixels() {
        let red = Tile { rgb: [255, 0, 0].repeat(4), width: 2, height: 2, caption: "seed:1".into() };
        let blue = Tile { rgb: [0, 0, 255].repeat(4), width: 2, height: 2, caption: "seed:2".into() };
        let png = grid_png(&[red.clone(), blue, red], 2, 10, Some("three")).unwrap();
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert_eq!((width, height), (8 + 2 * 28, 44 + 2 * (20 + 22 + 8)));
        let bad = Tile { rgb: vec![0; 5], width: 2, height: 2, caption: String::new() };
        assert!(grid_png(&[bad], 1, 1, None).is_err());
        assert!(grid_png(&[], 1, 1, None).is_err());
    }

    #[test]
    fn labels_avoid_each_other_when_there_is_room() {
        let points: Vec<[f64; 2]> = (0..6).map(|i| [400.0 + 10.0 * i as f64, 300.0]).collect();
        let labels: Vec<String> = (0..6).map(|i| format!("word{i}")).collect();
        let anchors = place_labels(&points, &labels);
        let rects: Vec<Rect> =
            anchors.iter().zip(&labels).map(|(a, l)| [a[0], a[1], l.len() as f64 * FONT * GLYPH, FONT]).collect();
        for i in 0..rects.len() {
            for j in i + 1..rects.len() {
                assert_eq!(overlap(&rects[i], &rects[j]), 0.0, "labels {i} and {j} overlap");
            }
        }
    }

    #[test]
    fn the_frame_keeps_one_scale_for_both_axes() {
        let frame = Frame::new(&[[0.0, 0.0], [2.0, 1.0]]);
        let (a, b) = (frame.page([0.0, 0.0]), frame.page([2.0, 1.0]));
        assert!(((b[0] - a[0]) / 2.0 - (a[1] - b[1])).abs() < 1e-9);
    }
}
