//! Recent query answers, bounded by the memory they take rather than by their number: an answer
//! with k = 1 000 neighbours is a hundred times the size of one with k = 10, and any client
//! chooses k.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::Mutex;

/// What an entry costs, in bytes, counted by the one who inserts it.
pub trait Footprint {
    fn bytes(&self) -> usize;
}

#[cfg(test)]
impl Footprint for String {
    fn bytes(&self) -> usize {
        std::mem::size_of::<String>() + self.capacity()
    }
}

/// A map that forgets its oldest entries once their footprints pass `budget` bytes.
pub struct AnswerCache<K, V> {
    budget: usize,
    inner: Mutex<Inner<K, V>>,
}

struct Inner<K, V> {
    entries: HashMap<K, (V, usize)>,
    /// Keys oldest first, for eviction.
    order: VecDeque<K>,
    bytes: usize,
}

impl<K: Hash + Eq + Clone + Footprint, V: Clone + Footprint> AnswerCache<K, V> {
    pub fn new(budget: usize) -> Self {
        AnswerCache { budget, inner: Mutex::new(Inner { entries: HashMap::new(), order: VecDeque::new(), bytes: 0 }) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<K, V>> {
        // Entries are inserted and removed whole; a panic elsewhere cannot leave one half-made.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn get(&self, key: &K) -> Option<V> {
        self.lock().entries.get(key).map(|(value, _)| value.clone())
    }

    /// Keeps `value`, forgetting the oldest answers to stay within the budget; an answer larger
    /// than the whole budget is not kept.
    pub fn insert(&self, key: K, value: V) {
        // The key is stored twice (map and order), plus the map's own bookkeeping.
        let cost = value.bytes() + 2 * key.bytes() + 64;
        if cost > self.budget {
            return;
        }
        let mut inner = self.lock();
        if inner.entries.contains_key(&key) {
            return;
        }
        while inner.bytes + cost > self.budget {
            let Some(oldest) = inner.order.pop_front() else { break };
            if let Some((_, freed)) = inner.entries.remove(&oldest) {
                inner.bytes -= freed;
            }
        }
        inner.bytes += cost;
        inner.order.push_back(key.clone());
        inner.entries.insert(key, (value, cost));
    }

    /// The bytes the kept answers take, by their footprints.
    #[cfg(test)]
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_answers_push_out_old_ones_and_the_budget_holds() {
        let cache: AnswerCache<String, String> = AnswerCache::new(10_000);
        for i in 0..1_000 {
            cache.insert(format!("q{i}"), "x".repeat(900));
            assert!(cache.bytes() <= 10_000, "{} bytes after {i}", cache.bytes());
        }
        // The newest are kept, the oldest gone.
        assert!(cache.get(&"q999".to_owned()).is_some());
        assert!(cache.get(&"q0".to_owned()).is_none());
        assert!(cache.len() >= 9, "{} kept", cache.len());
        // One answer larger than the whole budget is not kept, and pushes nothing out.
        let before = cache.len();
        cache.insert("huge".to_owned(), "x".repeat(20_000));
        assert_eq!((cache.get(&"huge".to_owned()), cache.len()), (None, before));
    }
}
