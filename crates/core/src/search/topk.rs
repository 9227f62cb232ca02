//! Bounded selection of the best candidates, shared by every scan.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use super::Neighbor;

/// A row with its ranking key. Greater is better: higher key, then lower row.
#[derive(Debug, Clone, Copy)]
pub struct Candidate {
    pub key: f32,
    pub row: usize,
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.total_cmp(&other.key).then_with(|| other.row.cmp(&self.row))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Candidate {}

/// The best `k` candidates seen so far, as a min-heap whose top is the one to beat.
#[derive(Debug)]
pub struct TopK {
    k: usize,
    heap: BinaryHeap<Reverse<Candidate>>,
    /// The key of the worst kept candidate once `k` are kept; cached because scans compare every
    /// row against it.
    threshold: f32,
}

impl TopK {
    pub fn new(k: usize) -> Self {
        // With k = 0 nothing may enter: an infinite bar that no key clears.
        let threshold = if k == 0 { f32::INFINITY } else { f32::NEG_INFINITY };
        TopK { k, heap: BinaryHeap::with_capacity(k.min(1 << 16) + 1), threshold }
    }

    /// Whether a candidate with this key, from a row after every row offered so far, would enter
    /// the selection. Rows arrive in increasing order within a scan, so an equal key loses to the
    /// kept candidate (lower row) and the test is a single comparison. NaN keys never enter.
    #[inline(always)]
    pub fn takes_next(&self, key: f32) -> bool {
        if self.heap.len() < self.k { !key.is_nan() } else { key > self.threshold }
    }

    /// The key a candidate must beat once the selection is full; `None` while it is filling.
    #[inline(always)]
    pub fn bar(&self) -> Option<f32> {
        (self.heap.len() == self.k).then_some(self.threshold)
    }

    /// Whether `candidate` would enter the selection, wherever its row lies. NaN keys never do.
    pub fn would_take(&self, candidate: Candidate) -> bool {
        if candidate.key.is_nan() || self.k == 0 {
            return false;
        }
        self.heap.len() < self.k || self.heap.peek().is_some_and(|worst| candidate > worst.0)
    }

    /// Adds a candidate that [`TopK::would_take`] or [`TopK::takes_next`] accepted.
    pub fn push(&mut self, candidate: Candidate) {
        if self.heap.len() == self.k {
            self.heap.pop();
        }
        self.heap.push(Reverse(candidate));
        if self.heap.len() == self.k {
            self.threshold = self.heap.peek().expect("k > 0 candidates").0.key;
        }
    }

    pub fn offer(&mut self, candidate: Candidate) {
        if self.would_take(candidate) {
            self.push(candidate);
        }
    }

    pub fn merge(mut self, other: TopK) -> TopK {
        for Reverse(candidate) in other.heap {
            self.offer(candidate);
        }
        self
    }

    /// The kept candidates as neighbours, best first, each key turned into a score by `score`.
    /// The candidates kept, best first.
    pub fn into_candidates(self) -> Vec<Candidate> {
        let mut best: Vec<Candidate> = self.heap.into_iter().map(|Reverse(c)| c).collect();
        best.sort_by(|a, b| b.cmp(a));
        best
    }

    pub fn into_neighbors(self, score: impl Fn(f32) -> f32) -> Vec<Neighbor> {
        self.into_candidates().into_iter().map(|c| Neighbor { row: c.row, score: score(c.key) }).collect()
    }
}
