//! An approximate index: a hierarchical navigable small-world graph (Malkov & Yashunin 2018) over
//! the unit rows, searched greedily from the top layer down, then by a best-first beam of width
//! `ef` on the bottom layer; the beam's best are re-scored exactly, so returned scores are the
//! exact scan's. Built once (in parallel, with a progress report), saved beside the space and
//! memory-mapped when opened.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use super::engine::{SearchEngine, needs_exact_scan};
use super::{Candidate, KeyFn, Neighbor, Rows, Scoring, TopK, kernels, nearest, sorted};
use crate::Error;
use crate::progress::{Progress, Unit};
use crate::random::SplitMix64;

/// Construction parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HnswParams {
    /// Neighbours kept per node on the upper layers; twice as many on the bottom layer.
    pub m: usize,
    /// Beam width while inserting.
    pub ef_construction: usize,
    pub seed: u64,
    /// The precision of the rows the build measures with.
    pub precision: BuildPrecision,
}

impl Default for HnswParams {
    fn default() -> HnswParams {
        HnswParams { m: 16, ef_construction: 100, seed: 42, precision: BuildPrecision::Auto }
    }
}

/// The precision of the copy of the unit rows a build measures similarities on. The graph only
/// guides a search: what a search returns is scored on the space's own rows, so the precision can
/// move recall, never a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BuildPrecision {
    /// Half precision for rows of more than 64 values, single for shorter ones.
    #[default]
    Auto,
    Single,
    Half,
}

/// Where the bottom layer's links live: in memory after a build, or in a mapped file.
pub type LinkTable = Box<dyn AsRef<[u32]> + Send + Sync>;

/// The graph: for each layer, each node's neighbour list.
pub struct Hnsw {
    dims: usize,
    m: usize,
    /// Bottom layer: `2m` slots per node, unused slots `u32::MAX`.
    bottom: LinkTable,
    /// Upper layers: `upper[l - 1]` maps a node to its `m` slots on layer `l`.
    upper: Vec<HashMap<u32, Vec<u32>>>,
    entry: u32,
    /// Beam width while searching (at least `k`).
    pub ef: usize,
}

impl fmt::Debug for Hnsw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hnsw")
            .field("nodes", &self.nodes())
            .field("layers", &(self.upper.len() + 1))
            .field("ef", &self.ef)
            .finish()
    }
}

/// An unused link slot.
pub const EMPTY: u32 = u32::MAX;

/// Similarity of two rows: the dot product of their unit vectors.
fn similarity(rows: Rows<'_>, a: usize, query: &[f32]) -> f32 {
    let mut dot = [0.0f32];
    kernels::dots(rows.row(a), rows.dims, query, &mut dot);
    let norm = rows.norms[a];
    if norm > 0.0 { dot[0] / norm } else { 0.0 }
}

/// A node and its similarity to the query, ordered by similarity.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Scored(f32, u32);

impl Eq for Scored {}

impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scored {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0).then(other.1.cmp(&self.1))
    }
}

/// Which nodes a search has seen: a stamp per node, so nothing is cleared between searches but
/// every 255th. A byte each, so that the stamps of a million nodes (1 MB) stay in cache.
struct Visited {
    stamps: Vec<u8>,
    now: u8,
}

impl Visited {
    fn new(n: usize) -> Visited {
        Visited { stamps: vec![0; n], now: 0 }
    }

    fn next(&mut self) {
        self.now = self.now.wrapping_add(1);
        if self.now == 0 {
            self.stamps.fill(0);
            self.now = 1;
        }
    }

    /// Marks `node`; whether it was new.
    fn visit(&mut self, node: u32) -> bool {
        let slot = &mut self.stamps[node as usize];
        if *slot == self.now {
            false
        } else {
            *slot = self.now;
            true
        }
    }
}

/// Starts loading the cache lines of `values` while other work goes on: a graph walk reads rows
/// scattered over memory, and waiting for each in turn is most of its time.
#[inline(always)]
fn prefetch<T>(values: &[T]) {
    #[cfg(target_arch = "x86_64")]
    for offset in (0..std::mem::size_of_val(values)).step_by(64) {
        // SAFETY: a prefetch is a hint; it never faults, whatever the address (and this one is
        // inside `values`).
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                values.as_ptr().cast::<i8>().wrapping_add(offset),
            )
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = values;
}

/// What a walk reuses from one search to the next, so that it allocates nothing: the visit stamps,
/// both heaps and the neighbour list being read.
struct Walk {
    visited: Visited,
    frontier: BinaryHeap<Scored>,
    best: BinaryHeap<Reverse<Scored>>,
    list: Vec<u32>,
}

impl Walk {
    fn new(n: usize) -> Walk {
        Walk { visited: Visited::new(n), frontier: BinaryHeap::new(), best: BinaryHeap::new(), list: Vec::new() }
    }
}

/// Best-first search of one layer from `entries`, keeping in `found` the `ef` nodes most similar
/// to the query, best first (`score` of a node; `fetch` starts loading a node's values).
fn search_layer(
    score: impl Fn(u32) -> f32,
    fetch: impl Fn(u32),
    entries: &[Scored],
    ef: usize,
    neighbours: impl Fn(u32, &mut Vec<u32>),
    walk: &mut Walk,
    found: &mut Vec<Scored>,
) {
    let Walk { visited, frontier, best, list } = walk;
    visited.next();
    frontier.clear();
    best.clear();
    for &e in entries {
        if visited.visit(e.1) {
            frontier.push(e);
            best.push(Reverse(e));
        }
    }
    while best.len() > ef {
        best.pop();
    }
    while let Some(current) = frontier.pop() {
        let worst = best.peek().map_or(f32::NEG_INFINITY, |w| w.0.0);
        if current.0 < worst && best.len() >= ef {
            break;
        }
        list.clear();
        neighbours(current.1, list);
        list.retain(|&n| visited.visit(n));
        for &n in list.iter() {
            fetch(n);
        }
        for &n in list.iter() {
            let s = score(n);
            let worst = best.peek().map_or(f32::NEG_INFINITY, |w| w.0.0);
            if best.len() < ef || s > worst {
                frontier.push(Scored(s, n));
                best.push(Reverse(Scored(s, n)));
                if best.len() > ef {
                    best.pop();
                }
            }
        }
    }
    found.clear();
    found.extend(best.drain().map(|r| r.0));
    found.sort_unstable_by(|a, b| b.cmp(a));
}

/// The rows scaled to unit length in one block, each padded with zeros to a multiple of 8
/// values, for the build: every similarity it computes is then one dot product of a padded unit
/// row with a padded query on a kernel chosen once, with nothing divided, allocated or tested per
/// call. Long rows are kept in half precision (see [`UnitRows::half_precision`]).
struct UnitRows {
    values: UnitValues,
    stride: usize,
}

enum UnitValues {
    Single(Vec<f32>, kernels::DotFn),
    /// IEEE binary16 bits.
    Half(Vec<u16>, kernels::HalfDotFn),
}

impl UnitRows {
    /// The rows' unit copy, in `precision` ([`BuildPrecision::Auto`]: as
    /// [`UnitRows::half_precision`] picks for their length).
    fn new(rows: Rows<'_>, precision: BuildPrecision) -> UnitRows {
        let half = match precision {
            BuildPrecision::Auto => UnitRows::half_precision(UnitRows::stride(rows.dims)),
            BuildPrecision::Single => false,
            BuildPrecision::Half => true,
        };
        UnitRows::with_precision(rows, half)
    }

    /// Floats per padded row.
    fn stride(dims: usize) -> usize {
        dims.div_ceil(8).max(1) * 8
    }

    fn with_precision(rows: Rows<'_>, half: bool) -> UnitRows {
        let stride = UnitRows::stride(rows.dims);
        let unit = |node: usize| {
            let norm = rows.norms[node];
            let inv = if norm > 0.0 { 1.0 / norm } else { 0.0 };
            rows.row(node).iter().map(move |x| x * inv)
        };
        // Zeroed by the allocator without touching a page, so the hint reaches every page.
        let values = if half {
            let mut bits = vec![0u16; rows.len() * stride];
            crate::memory::advise_huge_pages(&bits);
            bits.par_chunks_mut(stride).enumerate().for_each(|(node, out)| {
                out.iter_mut().zip(unit(node)).for_each(|(o, x)| *o = half::f16::from_f32(x).to_bits());
            });
            UnitValues::Half(bits, kernels::dot_half_padded_kernel())
        } else {
            let mut data = vec![0.0f32; rows.len() * stride];
            crate::memory::advise_huge_pages(&data);
            data.par_chunks_mut(stride).enumerate().for_each(|(node, out)| {
                out.iter_mut().zip(unit(node)).for_each(|(o, x)| *o = x);
            });
            UnitValues::Single(data, kernels::dot_padded_kernel())
        };
        UnitRows { values, stride }
    }

    /// Whether the build keeps rows of `stride` floats in half precision. A walk is waiting for
    /// rows from memory most of its time: a 300-float row is 19 cache lines in single precision
    /// and 10 in half, and the rounding (a relative 2⁻¹¹ per value) moves a cosine by about 10⁻⁴,
    /// far less than the gaps between the neighbours a graph chooses among. Short rows come from
    /// cache anyway and stay as they are. The graph only guides a search: the rows it finds are
    /// scored exactly on the space's own rows.
    fn half_precision(stride: usize) -> bool {
        stride > 64
    }

    /// Starts loading `node`'s row.
    fn prefetch(&self, node: u32) {
        let start = node as usize * self.stride;
        match &self.values {
            UnitValues::Single(data, _) => prefetch(&data[start..start + self.stride]),
            UnitValues::Half(bits, _) => prefetch(&bits[start..start + self.stride]),
        }
    }

    /// `node`'s padded unit row in single precision: borrowed, or decoded into `buffer`.
    fn unit<'a>(&'a self, node: u32, buffer: &'a mut Vec<f32>) -> &'a [f32] {
        let start = node as usize * self.stride;
        match &self.values {
            UnitValues::Single(data, _) => &data[start..start + self.stride],
            UnitValues::Half(bits, _) => {
                use half::slice::{HalfBitsSliceExt, HalfFloatSliceExt};
                buffer.resize(self.stride, 0.0);
                bits[start..start + self.stride].reinterpret_cast::<half::f16>().convert_to_f32_slice(buffer);
                buffer
            }
        }
    }

    /// How far a new node's own list is filled past the heuristic's choice (to `width`, or not
    /// at all). Every link is one more distance a walk computes at that node, and one more row it
    /// fetches. Short rows are cheap to fetch, and filling buys recall at a small beam (GloVe
    /// 50d: recall@10 at ef 16 0.930 filled against 0.924 not, the build as fast). A 300-float
    /// row is 19 cache lines from memory, and filling bought nothing there but time (1M × 300:
    /// the same recall at every ef, the build 325 s against 429 s filled).
    fn own_fill(&self, width: usize) -> usize {
        if self.stride <= 64 { width } else { 0 }
    }

    /// The cosine of `node` and `query`, a padded unit row in single precision.
    fn similarity(&self, node: u32, query: &[f32]) -> f32 {
        let start = node as usize * self.stride;
        match &self.values {
            UnitValues::Single(data, dot) => dot(&data[start..start + self.stride], query),
            UnitValues::Half(bits, dot) => {
                dot(half::slice::HalfBitsSliceExt::reinterpret_cast(&bits[start..start + self.stride]), query)
            }
        }
    }
}

/// What `select` and the pruning of full lists reuse between calls.
#[derive(Default)]
struct Selection {
    kept: Vec<Scored>,
    skipped: Vec<Scored>,
    scored: Vec<Scored>,
    chosen: Vec<u32>,
    list: Vec<u32>,
    /// Rows decoded to single precision: a candidate's, a pruned list's centre.
    candidate: Vec<f32>,
    centre: Vec<f32>,
}

/// The HNSW heuristic: keep a candidate only if it is closer to the node than to every neighbour
/// kept so far, so the links spread in different directions (at most `m`); then fill up with the
/// nearest left over, up to `fill_to` links. The choice is left in `kept`.
///
/// A new node's own list is filled up to `m` when rows are short (see [`UnitRows::own_fill`]). A
/// neighbour's list pruned to make room is filled only to half its width: a full list would need
/// pruning again at its next link, and that heuristic is most of a build's distance computations
/// (hnswlib and faiss fill none; half keeps the recall at a small beam above theirs).
fn select(
    units: &UnitRows,
    candidates: &[Scored],
    m: usize,
    fill_to: usize,
    kept: &mut Vec<Scored>,
    skipped: &mut Vec<Scored>,
    buffer: &mut Vec<f32>,
) {
    kept.clear();
    skipped.clear();
    for &c in candidates {
        if kept.len() >= m {
            break;
        }
        let diverse = kept.is_empty() || {
            let row = units.unit(c.1, buffer);
            kept.iter().all(|k| units.similarity(k.1, row) < c.0)
        };
        if diverse { kept.push(c) } else { skipped.push(c) }
    }
    for &c in skipped.iter() {
        if kept.len() >= fill_to {
            break;
        }
        kept.push(c);
    }
}

/// Replaces a list of links that has grown past its width (the full list and the new link) by
/// the links to keep.
type Prune<'a> = dyn FnMut(&mut Vec<u32>) + 'a;

/// One layer's links while the graph is built, each node's list behind its own lock.
trait Links: Sync {
    /// Appends `node`'s neighbours to `out`.
    fn read(&self, node: u32, out: &mut Vec<u32>);
    /// Replaces `node`'s list.
    fn set(&self, node: u32, links: &[u32]);
    /// Adds `node` to `other`'s list unless it is there; a full list (`width`) and `node` are
    /// replaced by what `prune` keeps of them (in `buffer`), under the list's lock.
    fn link_back(&self, other: u32, node: u32, width: usize, buffer: &mut Vec<u32>, prune: &mut Prune<'_>);
}

/// The bottom layer, where every node has a list: one flat table of `width + 1` slots per node
/// (the length, then the links), so that a walk reads lists from one block rather than from a
/// heap allocation per node. The atomics are only ever touched under the node's lock.
struct FlatLinks {
    width: usize,
    slots: Vec<std::sync::atomic::AtomicU32>,
    locks: Vec<Mutex<()>>,
}

impl FlatLinks {
    fn new(n: usize, width: usize) -> FlatLinks {
        let len = n * (width + 1);
        let mut slots = Vec::with_capacity(len);
        // Before the first write, so the hint reaches every page.
        crate::memory::advise_huge_pages(slots.spare_capacity_mut());
        slots.extend((0..len).map(|_| std::sync::atomic::AtomicU32::new(0)));
        FlatLinks { width, slots, locks: (0..n).map(|_| Mutex::new(())).collect() }
    }

    fn list(&self, node: u32) -> &[std::sync::atomic::AtomicU32] {
        let start = node as usize * (self.width + 1);
        &self.slots[start..start + self.width + 1]
    }

    fn lock(&self, node: u32) -> std::sync::MutexGuard<'_, ()> {
        self.locks[node as usize].lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Writes `links` as `list`'s links; the caller holds its lock.
    fn store(&self, list: &[std::sync::atomic::AtomicU32], links: &[u32]) {
        assert!(links.len() <= self.width, "a list grew past its width");
        list[0].store(links.len() as u32, Ordering::Relaxed);
        for (slot, &link) in list[1..].iter().zip(links) {
            slot.store(link, Ordering::Relaxed);
        }
    }

    /// The table of [`Hnsw`]: `width` slots per node, [`EMPTY`] where unused.
    fn into_table(self) -> Vec<u32> {
        let mut table = vec![EMPTY; self.locks.len() * self.width];
        for (node, out) in table.chunks_exact_mut(self.width.max(1)).enumerate() {
            let list = self.list(node as u32);
            let len = list[0].load(Ordering::Relaxed) as usize;
            for (slot, link) in out.iter_mut().zip(&list[1..=len]) {
                *slot = link.load(Ordering::Relaxed);
            }
        }
        table
    }
}

impl Links for FlatLinks {
    fn read(&self, node: u32, out: &mut Vec<u32>) {
        let _held = self.lock(node);
        let list = self.list(node);
        let len = list[0].load(Ordering::Relaxed) as usize;
        out.extend(list[1..=len].iter().map(|link| link.load(Ordering::Relaxed)));
    }

    fn set(&self, node: u32, links: &[u32]) {
        let _held = self.lock(node);
        self.store(self.list(node), links);
    }

    fn link_back(&self, other: u32, node: u32, width: usize, buffer: &mut Vec<u32>, prune: &mut Prune<'_>) {
        let _held = self.lock(other);
        let list = self.list(other);
        let len = list[0].load(Ordering::Relaxed) as usize;
        if list[1..=len].iter().any(|link| link.load(Ordering::Relaxed) == node) {
            return;
        }
        if len < width.min(self.width) {
            list[1 + len].store(node, Ordering::Relaxed);
            list[0].store(len as u32 + 1, Ordering::Relaxed);
            return;
        }
        buffer.clear();
        buffer.extend(list[1..=len].iter().map(|link| link.load(Ordering::Relaxed)));
        buffer.push(node);
        prune(buffer);
        self.store(list, buffer);
    }
}

/// An upper layer: lists only for the nodes that reach it.
type UpperLinks = HashMap<u32, Mutex<Vec<u32>>>;

impl Links for UpperLinks {
    fn read(&self, node: u32, out: &mut Vec<u32>) {
        out.extend(self[&node].lock().unwrap_or_else(|poisoned| poisoned.into_inner()).iter());
    }

    fn set(&self, node: u32, links: &[u32]) {
        let mut list = self[&node].lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        list.clear();
        list.extend_from_slice(links);
    }

    fn link_back(&self, other: u32, node: u32, width: usize, _buffer: &mut Vec<u32>, prune: &mut Prune<'_>) {
        let mut list = self[&other].lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if list.contains(&node) {
            return;
        }
        list.push(node);
        if list.len() > width {
            prune(&mut list);
        }
    }
}

/// What one building thread reuses from one insertion to the next.
struct Scratch {
    walk: Walk,
    /// The inserted node's row in single precision, where the rows are kept in half.
    query: Vec<f32>,
    entries: Vec<Scored>,
    found: Vec<Scored>,
    selection: Selection,
}

impl Scratch {
    fn new(n: usize) -> Scratch {
        Scratch {
            walk: Walk::new(n),
            query: Vec::new(),
            entries: Vec::new(),
            found: Vec::new(),
            selection: Selection::default(),
        }
    }
}

/// The highest layer a new node reaches: geometric, one in `m` of a layer's nodes reach the next.
fn draw_level(rng: &mut SplitMix64, m: usize) -> usize {
    let scale = 1.0 / (m as f64).ln();
    ((-(1.0 - rng.next_f64()).ln() * scale).floor() as usize).min(MAX_LEVEL)
}

/// The highest layer any node may reach.
const MAX_LEVEL: usize = 16;

/// A graph under construction, shared by the threads that insert into it.
struct Builder<'u> {
    units: &'u UnitRows,
    m: usize,
    ef_construction: usize,
    /// The highest layer of each node.
    levels: Vec<usize>,
    bottom: FlatLinks,
    /// `upper[l - 1]` holds a list for every node that reaches layer `l`, empty until it is linked.
    upper: Vec<UpperLinks>,
}

impl Builder<'_> {
    fn links(&self, layer: usize) -> &dyn Links {
        if layer == 0 { &self.bottom } else { &self.upper[layer - 1] }
    }

    /// Links `node` into every layer up to its own, walking down from `start` on `start_layer`:
    /// greedily (a beam of 1) above the node's level, with a beam of `ef_construction` below.
    fn insert(&self, node: u32, start: u32, start_layer: usize, scratch: &mut Scratch) {
        let units = self.units;
        let Scratch { walk, query, entries, found, selection } = scratch;
        let query = units.unit(node, query);
        let score = |x: u32| units.similarity(x, query);
        let level = self.levels[node as usize];
        entries.clear();
        entries.push(Scored(score(start), start));
        for layer in (0..=start_layer).rev() {
            let links = self.links(layer);
            let ef = if layer > level { 1 } else { self.ef_construction };
            search_layer(score, |x| units.prefetch(x), entries, ef, |x, out| links.read(x, out), walk, found);
            if layer <= level {
                let width = if layer == 0 { 2 * self.m } else { self.m };
                connect(units, node, found, width, links, selection);
            }
            std::mem::swap(entries, found);
        }
    }

    /// Inserts `nodes`, in their order, from `start` on `start_layer`: one by one while the graph
    /// (`linked` nodes before these) has fewer than a thousand nodes, so that the parallel inserts
    /// start from a real graph, then in parallel.
    fn insert_all(&self, nodes: &[u32], linked: usize, start: u32, start_layer: usize, progress: &dyn Progress) {
        let n = self.levels.len();
        let done = AtomicUsize::new(0);
        let insert = |node: u32, scratch: &mut Scratch| {
            if node != start {
                self.insert(node, start, start_layer, scratch);
            }
            if done.fetch_add(1, Ordering::Relaxed).is_multiple_of(1024) {
                progress.advance(1024);
            }
        };
        let (warm, rest) = nodes.split_at(WARM_NODES.saturating_sub(linked).min(nodes.len()));
        let mut scratch = Scratch::new(n);
        warm.iter().for_each(|&node| insert(node, &mut scratch));
        rest.par_iter().for_each_init(|| Scratch::new(n), |scratch, &node| insert(node, scratch));
    }

    fn finish(self, dims: usize, entry: u32) -> Hnsw {
        let upper = self
            .upper
            .into_iter()
            .map(|layer| {
                layer.into_iter().map(|(k, v)| (k, v.into_inner().unwrap_or_else(|p| p.into_inner()))).collect()
            })
            .collect();
        Hnsw { dims, m: self.m, bottom: Box::new(self.bottom.into_table()), upper, entry, ef: DEFAULT_EF }
    }
}

/// The order a build inserts the nodes in: the highest layers first, each layer's nodes in row
/// order. The nodes of the upper layers link among themselves on the bottom layer before the rest
/// arrive, so the bottom layer keeps long links between distant regions.
fn insertion_order(levels: &[usize]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..levels.len() as u32).collect();
    order.sort_by_key(|&node| Reverse(levels[node as usize]));
    order
}

/// How many nodes are inserted one by one before the parallel inserts start.
const WARM_NODES: usize = 1000;

impl Hnsw {
    /// Builds the graph over `rows`, reporting each inserted node to `progress`.
    pub fn build(rows: Rows<'_>, params: HnswParams, progress: &dyn Progress) -> Hnsw {
        let n = rows.len();
        let units = UnitRows::new(rows, params.precision);
        let m = params.m.max(2);
        let mut rng = SplitMix64(params.seed);
        let levels: Vec<usize> = (0..n).map(|_| draw_level(&mut rng, m)).collect();
        let top = levels.iter().copied().max().unwrap_or(0);
        let upper = (1..=top)
            .map(|l| {
                (0..n).filter(|&i| levels[i] >= l).map(|i| (i as u32, Mutex::new(Vec::with_capacity(m)))).collect()
            })
            .collect();
        // The first node of the highest level is the entry; it needs no links of its own.
        let entry = (0..n).find(|&i| levels[i] == top).unwrap_or(0) as u32;
        let builder = Builder {
            units: &units,
            m,
            ef_construction: params.ef_construction,
            levels,
            bottom: FlatLinks::new(n, 2 * m),
            upper,
        };
        progress.start("building the HNSW index", Some(n as u64), Unit::Items);
        builder.insert_all(&insertion_order(&builder.levels), 0, entry, top, progress);
        progress.finish();
        builder.finish(rows.dims, entry)
    }

    /// The graph over `rows`, a space that grew: its first [`nodes`](Self::nodes) rows are the
    /// rows this graph was built over, and only the rows after them are inserted (as a build
    /// would, with `params`' beam and seed; the graph keeps its own M). The links among the old
    /// rows change only where a new row takes a place in a full list. Rows that no longer match
    /// cannot be told from here; [`Rows::fingerprint`] of the prefix tells.
    pub fn extend(&self, rows: Rows<'_>, params: HnswParams, progress: &dyn Progress) -> crate::Result<Hnsw> {
        let old = self.nodes();
        if rows.dims != self.dims || rows.len() < old {
            return Err(Error::HnswGrow { nodes: old, dims: self.dims, rows: rows.len(), rows_dims: rows.dims });
        }
        if old == 0 {
            return Ok(Hnsw::build(rows, HnswParams { m: self.m, ..params }, progress));
        }
        let (n, m) = (rows.len(), self.m);
        let units = UnitRows::new(rows, params.precision);
        let mut levels = vec![0; n];
        for (l, layer) in self.upper.iter().enumerate() {
            for &node in layer.keys() {
                levels[node as usize] = levels[node as usize].max(l + 1);
            }
        }
        // Another stream of levels for each size grown from, so that growing twice does not
        // repeat the levels of the first growth.
        let mut rng = SplitMix64(params.seed ^ (old as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        levels[old..].iter_mut().for_each(|level| *level = draw_level(&mut rng, m));
        let old_top = self.upper.len();
        let top = levels.iter().copied().max().unwrap_or(0).max(old_top);
        let upper: Vec<UpperLinks> = (1..=top)
            .map(|l| {
                let saved = self.upper.get(l - 1);
                (0..n as u32)
                    .filter(|&i| levels[i as usize] >= l)
                    .map(|i| {
                        let list = saved.and_then(|layer| layer.get(&i)).cloned().unwrap_or_default();
                        (i, Mutex::new(list))
                    })
                    .collect()
            })
            .collect();
        let bottom = FlatLinks::new(n, 2 * m);
        let mut list = Vec::with_capacity(2 * m);
        for node in 0..old as u32 {
            list.clear();
            self.bottom_links(node, &mut list);
            bottom.set(node, &list);
        }
        let builder = Builder { units: &units, m, ef_construction: params.ef_construction, levels, bottom, upper };
        progress.start("adding rows to the HNSW index", Some((n - old) as u64), Unit::Items);
        // A new row above the old top layer becomes the entry: it is linked first, from the old
        // entry, and every other new row starts from it.
        let mut entry = self.entry;
        if top > old_top {
            let highest = (old..n).find(|&i| builder.levels[i] == top).expect("a row reaches the top") as u32;
            builder.insert(highest, entry, old_top, &mut Scratch::new(n));
            entry = highest;
        }
        let new: Vec<u32> = (old as u32..n as u32).collect();
        builder.insert_all(&new, old, entry, top, progress);
        progress.finish();
        Ok(builder.finish(rows.dims, entry))
    }

    /// Reassembles a saved graph; every link is checked against the node count.
    pub fn from_parts(
        dims: usize,
        m: usize,
        bottom: LinkTable,
        upper: Vec<HashMap<u32, Vec<u32>>>,
        entry: u32,
    ) -> crate::Result<Hnsw> {
        let table = (*bottom).as_ref();
        if m < 2 || dims == 0 || !table.len().is_multiple_of(2 * m) {
            return Err(Error::HnswLinkTable { links: table.len(), width: 2 * m });
        }
        let n = table.len() / (2 * m);
        let valid = |x: u32| x == EMPTY || (x as usize) < n;
        if let Some(bad) = table.iter().position(|&x| !valid(x)) {
            return Err(Error::HnswLink { slot: bad, node: table[bad], nodes: n });
        }
        for (l, layer) in upper.iter().enumerate() {
            for (&node, list) in layer {
                if node as usize >= n
                    || list.len() > m
                    || !list.iter().all(|&x| (x as usize) < n && layer.contains_key(&x))
                {
                    return Err(Error::HnswLayer { layer: l + 1, node });
                }
            }
        }
        let top_ok = upper.last().is_none_or(|layer| layer.contains_key(&entry));
        if (entry as usize) >= n.max(1) || !top_ok {
            return Err(Error::HnswEntry { entry });
        }
        Ok(Hnsw { dims, m, bottom, upper, entry, ef: DEFAULT_EF })
    }

    pub fn nodes(&self) -> usize {
        (*self.bottom).as_ref().len() / (2 * self.m)
    }

    pub fn dims(&self) -> usize {
        self.dims
    }

    pub fn m(&self) -> usize {
        self.m
    }

    pub fn entry(&self) -> u32 {
        self.entry
    }

    /// The bottom layer's link table (`2m` slots per node).
    pub fn bottom(&self) -> &[u32] {
        (*self.bottom).as_ref()
    }

    /// The upper layers, lowest first.
    pub fn upper(&self) -> &[HashMap<u32, Vec<u32>>] {
        &self.upper
    }

    fn bottom_links(&self, node: u32, out: &mut Vec<u32>) {
        let width = 2 * self.m;
        let table = self.bottom();
        out.extend(table[node as usize * width..(node as usize + 1) * width].iter().copied().filter(|&x| x != EMPTY));
    }
}

/// The beam width searches use unless told otherwise: recall@10 0.986 at 0.15 ms on GloVe 6B 50d.
pub const DEFAULT_EF: usize = 64;

/// Links `node` to the selected `found` on one layer, and each of them back, pruning lists that
/// grow past `width` with the same heuristic.
fn connect(units: &UnitRows, node: u32, found: &[Scored], width: usize, links: &dyn Links, selection: &mut Selection) {
    let Selection { kept, skipped, scored, chosen, list, candidate, centre } = selection;
    select(units, found, width, units.own_fill(width), kept, skipped, candidate);
    chosen.clear();
    chosen.extend(kept.iter().map(|s| s.1));
    links.set(node, chosen);
    for &other in chosen.iter() {
        links.link_back(other, node, width, list, &mut |full: &mut Vec<u32>| {
            let centre = units.unit(other, centre);
            scored.clear();
            scored.extend(full.iter().map(|&x| Scored(units.similarity(x, centre), x)));
            scored.sort_unstable_by(|a, b| b.cmp(a));
            select(units, scored, width, width / 2, kept, skipped, candidate);
            full.clear();
            full.extend(kept.iter().map(|s| s.1));
        });
    }
}

impl SearchEngine for Hnsw {
    fn name(&self) -> &'static str {
        "hnsw"
    }

    fn is_exact(&self) -> bool {
        false
    }

    fn describe(&self) -> String {
        format!("hnsw (M {}, ef {})", self.m, self.ef)
    }

    fn extra_bytes(&self) -> usize {
        4 * self.bottom().len() + self.upper.iter().map(|l| l.len() * (4 * self.m + 32)).sum::<usize>()
    }

    fn nearest(
        &self,
        rows: Rows<'_>,
        query: &[f32],
        k: usize,
        scoring: Scoring,
        exclude: &[usize],
    ) -> crate::Result<Vec<Neighbor>> {
        self.nearest_below(rows, rows.len(), query, k, scoring, exclude)
    }

    /// Walks the whole graph and keeps only rows below `limit`; the beam widens by the share of
    /// rows that cannot be answers, so a restricted vocabulary keeps its recall.
    fn nearest_below(
        &self,
        rows: Rows<'_>,
        limit: usize,
        query: &[f32],
        k: usize,
        scoring: Scoring,
        exclude: &[usize],
    ) -> crate::Result<Vec<Neighbor>> {
        assert_eq!(query.len(), self.dims, "query and rows differ in dimensions");
        let n = self.nodes();
        let limit = limit.min(rows.len());
        // Another scoring or no direction, rows the graph was not built over, or a tiny prefix:
        // the exact scan.
        if needs_exact_scan(scoring, query) || rows.len() != n || limit * MAX_WIDENING < n {
            return Ok(nearest(rows.prefix(limit), query, k, scoring, exclude));
        }
        let norm = query.iter().map(|x| x * x).sum::<f32>().sqrt();
        let unit_query: Vec<f32> = query.iter().map(|x| x / norm).collect();
        let exclude = sorted(exclude);
        // No more answers than rows: a huge k (`--top 18446744073709551615`) must not wrap.
        let k = k.min(limit);
        let ef = self.ef.max(k.saturating_add(exclude.len())).saturating_mul(n).div_ceil(limit);
        Ok(WALK.with_borrow_mut(|walk| {
            if walk.visited.stamps.len() != n {
                *walk = Walk::new(n);
            }
            self.search(rows, query, &unit_query, Bounds { k, ef, limit }, &exclude, walk)
        }))
    }
}

/// How far the beam may widen for a restricted vocabulary before the exact scan of the prefix
/// is the cheaper answer.
const MAX_WIDENING: usize = 8;

/// What one search returns: `k` answers among rows below `limit`, from a beam of `ef`.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    k: usize,
    ef: usize,
    limit: usize,
}

thread_local! {
    /// Each thread's visit stamps and heaps, kept between searches instead of allocated per query.
    static WALK: std::cell::RefCell<Walk> = std::cell::RefCell::new(Walk::new(0));
}

impl Hnsw {
    fn search(
        &self,
        rows: Rows<'_>,
        query: &[f32],
        unit_query: &[f32],
        Bounds { k, ef, limit }: Bounds,
        exclude: &[usize],
        walk: &mut Walk,
    ) -> Vec<Neighbor> {
        let scoring = Scoring::default();
        let score = |x: u32| similarity(rows, x as usize, unit_query);
        let mut entries = vec![Scored(score(self.entry), self.entry)];
        let mut found = Vec::with_capacity(ef);
        for layer in (1..=self.upper.len()).rev() {
            let neighbours = |x: u32, out: &mut Vec<u32>| {
                if let Some(list) = self.upper[layer - 1].get(&x) {
                    out.extend(list.iter());
                }
            };
            search_layer(score, |x| prefetch(rows.row(x as usize)), &entries, 1, neighbours, walk, &mut found);
            std::mem::swap(&mut entries, &mut found);
        }
        let neighbours = |x: u32, out: &mut Vec<u32>| self.bottom_links(x, out);
        search_layer(score, |x| prefetch(rows.row(x as usize)), &entries, ef, neighbours, walk, &mut found);
        let key_fn = KeyFn::new(scoring, query);
        let mut top = TopK::new(k);
        for s in found {
            let row = s.1 as usize;
            if row >= limit || exclude.binary_search(&row).is_ok() {
                continue;
            }
            let mut dot = [0.0f32];
            kernels::dots(rows.row(row), rows.dims, query, &mut dot);
            let key = key_fn.key(dot[0], rows.norms[row]);
            if top.takes_next(key) {
                top.push(Candidate { key, row });
            }
        }
        top.into_neighbors(|key| key_fn.score(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Silent;
    use crate::search::row_norms;

    /// `n` rows of `dims` values uniform in [−1, 1) from `seed`, and their norms.
    fn random_rows(n: usize, dims: usize, seed: u64) -> (Vec<f32>, Vec<f32>) {
        let mut rng = SplitMix64(seed);
        let data: Vec<f32> = (0..n * dims).map(|_| (rng.next_f64() * 2.0 - 1.0) as f32).collect();
        let norms = row_norms(&data, dims);
        (data, norms)
    }

    /// Recall@10 of `index` over every 37th row as a query (which is never among its own
    /// answers), against the exact scan.
    fn recall(index: &Hnsw, rows: Rows<'_>) -> f64 {
        let queries: Vec<usize> = (0..rows.len()).step_by(37).collect();
        let mut found = 0;
        for &q in &queries {
            let query = rows.row(q).to_vec();
            let truth: Vec<usize> = nearest(rows, &query, 10, Scoring::default(), &[q]).iter().map(|x| x.row).collect();
            let got = index.nearest(rows, &query, 10, Scoring::default(), &[q]).unwrap();
            assert!(got.iter().all(|g| g.row != q), "query row {q} returned");
            found += got.iter().filter(|g| truth.contains(&g.row)).count();
        }
        found as f64 / (10 * queries.len()) as f64
    }

    #[test]
    fn the_graph_finds_most_exact_neighbours() {
        let (data, norms) = random_rows(5_000, 16, 3);
        let rows = Rows::new(&data, 16, &norms);
        let index = Hnsw::build(rows, HnswParams::default(), &Silent);
        let recall = recall(&index, rows);
        assert!(recall >= 0.95, "recall@10 {recall}");
    }

    #[test]
    fn a_build_inserts_the_highest_layers_first() {
        let levels = [0, 2, 1, 0, 2, 1];
        assert_eq!(insertion_order(&levels), [1, 4, 2, 5, 0, 3]);
        let mut rng = SplitMix64(3);
        let levels: Vec<usize> = (0..10_000).map(|_| draw_level(&mut rng, 16)).collect();
        let order = insertion_order(&levels);
        assert!(order.windows(2).all(|w| levels[w[0] as usize] >= levels[w[1] as usize]));
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert!(sorted.iter().enumerate().all(|(i, &node)| node as usize == i), "a permutation");
    }

    #[test]
    fn half_precision_rows_give_cosines_within_their_rounding() {
        let (n, dims) = (200, 300);
        let (data, norms) = random_rows(n, dims, 7);
        let rows = Rows::new(&data, dims, &norms);
        let units = UnitRows::with_precision(rows, true);
        assert!(UnitRows::half_precision(UnitRows::stride(dims)) && !UnitRows::half_precision(UnitRows::stride(50)));
        let mut buffer = Vec::new();
        let mut worst = 0.0f64;
        for a in 0..n as u32 {
            let query = units.unit(a, &mut buffer).to_vec();
            assert_eq!(query.len(), 304);
            for b in (0..n as u32).step_by(7) {
                let exact: f64 =
                    rows.row(a as usize).iter().zip(rows.row(b as usize)).map(|(x, y)| f64::from(x * y)).sum::<f64>()
                        / f64::from(norms[a as usize] * norms[b as usize]);
                worst = worst.max((f64::from(units.similarity(b, &query)) - exact).abs());
            }
        }
        // Each value rounds by at most 2⁻¹¹ of itself, and the errors of 300 products mostly cancel:
        // about 10⁻⁴ at worst.
        assert!(worst > 0.0 && worst < 3e-4, "largest cosine error {worst}");
    }

    #[test]
    fn a_graph_over_half_precision_rows_finds_as_much_as_over_single() {
        let (n, dims) = (4_000, 72);
        let (data, norms) = random_rows(n, dims, 19);
        let rows = Rows::new(&data, dims, &norms);
        let build = |precision| Hnsw::build(rows, HnswParams { precision, ..HnswParams::default() }, &Silent);
        let (half, single) = (build(BuildPrecision::Half), build(BuildPrecision::Single));
        let (half, single) = (recall(&half, rows), recall(&single, rows));
        assert!(half >= 0.95 && half >= single - 0.01, "recall@10 half {half}, single {single}");
    }

    #[test]
    fn a_grown_space_extends_its_graph_as_well_as_a_build() {
        let (n, dims) = (6_000, 16);
        let (data, norms) = random_rows(n, dims, 11);
        let rows = Rows::new(&data, dims, &norms);
        let built = Hnsw::build(rows, HnswParams::default(), &Silent);
        // Grown twice, from 500 rows (fewer than the warm-up) and then from 4 000.
        let small = Hnsw::build(rows.prefix(500), HnswParams::default(), &Silent);
        let middle = small.extend(rows.prefix(4_000), HnswParams::default(), &Silent).unwrap();
        let grown = middle.extend(rows, HnswParams::default(), &Silent).unwrap();
        assert_eq!((grown.nodes(), grown.m(), grown.dims()), (n, 16, dims));
        let checked =
            Hnsw::from_parts(dims, grown.m(), Box::new(grown.bottom().to_vec()), grown.upper().to_vec(), grown.entry())
                .expect("the grown graph is a valid graph");
        assert_eq!(checked.bottom(), grown.bottom());
        // Nearly every new row is linked from somewhere, or no search could find it (pruning
        // drops the last link to a few rows in any HNSW build).
        let unreached = |index: &Hnsw| {
            let mut reached = vec![false; n];
            index.bottom().iter().filter(|&&x| x != EMPTY).for_each(|&x| reached[x as usize] = true);
            reached[4_000..].iter().filter(|&&r| !r).count()
        };
        let (lost, lost_in_build) = (unreached(&grown), unreached(&built));
        assert!(lost <= 10, "{lost} of 2000 new rows unreached (a build: {lost_in_build})");
        let (full, extended) = (recall(&built, rows), recall(&grown, rows));
        assert!(extended >= 0.95 && extended >= full - 0.02, "recall@10 grown {extended}, built {full}");
        // The graph of a prefix stays what it was: growing by nothing changes nothing.
        let same = middle.extend(rows.prefix(4_000), HnswParams::default(), &Silent).unwrap();
        assert_eq!((same.bottom(), same.upper(), same.entry()), (middle.bottom(), middle.upper(), middle.entry()));
        let err = middle.extend(rows.prefix(3_000), HnswParams::default(), &Silent).unwrap_err();
        assert!(err.to_string().contains("over 4000 rows"), "{err}");
    }

    #[test]
    fn a_huge_k_asks_for_every_row_without_wrapping() {
        let (n, dims) = (300, 4);
        let (data, norms) = random_rows(n, dims, 5);
        let rows = Rows::new(&data, dims, &norms);
        let index = Hnsw::build(rows, HnswParams::default(), &Silent);
        let all = index.nearest(rows, rows.row(0), usize::MAX, Scoring::default(), &[0]).unwrap();
        assert!(all.len() > 250, "{} of {} rows", all.len(), n - 1);
        assert!(all.iter().all(|hit| hit.row != 0));
    }
}
