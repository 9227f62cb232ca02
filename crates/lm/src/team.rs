//! A small team of threads that split one product between them with a hand-off of about a
//! microsecond. Decoding runs a few hundred products a token, each a fraction of a millisecond on
//! one core: waking a sleeping thread pool for each (rayon's fork–join, tens of microseconds)
//! costs more than the second core saves — as ggml found, the helpers have to be waiting, spinning,
//! when the work arrives. They spin for a short while after each job and then sleep, so an idle
//! process does not burn a core.
//!
//! One job runs at a time; a caller that finds the team busy (two generations in one server) runs
//! its job alone on its own thread rather than wait.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long a helper keeps spinning for the next job before it sleeps: longer than the gaps
/// between a token's products, shorter than a person would notice as a busy core.
const SPIN: Duration = Duration::from_millis(2);

/// The job of the current generation: a type-erased `&dyn Fn(part)`, valid until every helper
/// has reported that generation done.
struct Job(UnsafeCell<Option<*const (dyn Fn(usize) + Sync)>>);

// SAFETY: the pointer is written only by the thread holding `Team::running`, before it publishes
// the generation, and read by helpers only after they see that generation; it is not replaced
// until every helper has reported the generation finished.
unsafe impl Sync for Job {}
unsafe impl Send for Job {}

struct Shared {
    generation: AtomicUsize,
    job: Job,
    /// Per helper, the last generation it finished.
    finished: Vec<AtomicUsize>,
    sleepers: Mutex<usize>,
    wake: Condvar,
    stop: AtomicBool,
    /// Set by a helper whose part panicked; the caller panics in turn.
    panicked: AtomicBool,
}

/// Threads that run the parts of a job together with the caller.
pub struct Team {
    shared: Arc<Shared>,
    running: Mutex<()>,
}

impl Team {
    /// A team of `threads` in all: the caller and `threads − 1` helpers.
    pub fn new(threads: usize) -> Team {
        let helpers = threads.max(1) - 1;
        let shared = Arc::new(Shared {
            generation: AtomicUsize::new(0),
            job: Job(UnsafeCell::new(None)),
            finished: (0..helpers).map(|_| AtomicUsize::new(0)).collect(),
            sleepers: Mutex::new(0),
            wake: Condvar::new(),
            stop: AtomicBool::new(false),
            panicked: AtomicBool::new(false),
        });
        for index in 0..helpers {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name(format!("vecspace-team-{}", index + 1))
                .spawn(move || help(&shared, index))
                .expect("starting a helper thread");
        }
        Team { shared, running: Mutex::new(()) }
    }

    /// The process's team, as many threads as rayon uses (`RAYON_NUM_THREADS`, else the cores).
    pub fn global() -> &'static Team {
        static TEAM: OnceLock<Team> = OnceLock::new();
        TEAM.get_or_init(|| Team::new(rayon::current_num_threads()))
    }

    /// Threads a job is split between.
    pub fn size(&self) -> usize {
        self.shared.finished.len() + 1
    }

    /// Calls `part(i)` for every `i` in `0..self.size()`, `part(0)` on the calling thread and the
    /// others on the helpers, and returns when all are done. If another job holds the team, runs
    /// every part on the calling thread.
    pub fn run(&self, part: &(dyn Fn(usize) + Sync)) {
        let helpers = self.shared.finished.len();
        let guard = match self.running.try_lock() {
            Ok(guard) if helpers > 0 => guard,
            _ => {
                (0..self.size()).for_each(part);
                return;
            }
        };
        // SAFETY: only the holder of `running` writes the job, and the previous generation's
        // helpers have all finished (checked below before the last run returned). The lifetime is
        // erased; the reference stays valid because this function waits for every helper.
        unsafe {
            let erased: *const (dyn Fn(usize) + Sync + '_) = part;
            *self.shared.job.0.get() = Some(std::mem::transmute::<
                *const (dyn Fn(usize) + Sync + '_),
                *const (dyn Fn(usize) + Sync + 'static),
            >(erased));
        }
        let generation = self.shared.generation.load(Ordering::Relaxed) + 1;
        self.shared.generation.store(generation, Ordering::Release);
        if *self.shared.sleepers.lock().unwrap_or_else(|p| p.into_inner()) > 0 {
            self.shared.wake.notify_all();
        }
        // The helpers borrow `part` until they report: even if this thread's part panics, wait.
        let own = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| part(0)));
        let mut spins = 0u32;
        for done in &self.shared.finished {
            while done.load(Ordering::Acquire) != generation {
                pause(&mut spins);
            }
        }
        drop(guard);
        if let Err(panic) = own {
            std::panic::resume_unwind(panic);
        }
        if self.shared.panicked.swap(false, Ordering::AcqRel) {
            panic!("a part of a job panicked on a helper thread");
        }
    }
}

impl Team {
    /// `[f(0), f(1), …, f(n − 1)]`, the items dealt out to the team in turn (item `i` to part
    /// `i mod size`); a single item runs on the calling thread.
    pub fn map<T: Send>(&self, n: usize, f: &(dyn Fn(usize) -> T + Sync)) -> Vec<T> {
        if n <= 1 {
            return (0..n).map(f).collect();
        }
        let size = self.size();
        let parts: Vec<Mutex<Vec<T>>> = (0..size).map(|_| Mutex::new(Vec::new())).collect();
        self.run(&|part| {
            let values: Vec<T> = (part..n).step_by(size).map(f).collect();
            *parts[part].lock().unwrap_or_else(|p| p.into_inner()) = values;
        });
        let mut dealt: Vec<std::vec::IntoIter<T>> =
            parts.into_iter().map(|p| p.into_inner().unwrap_or_else(|p| p.into_inner()).into_iter()).collect();
        (0..n).map(|i| dealt[i % size].next().expect("every item was computed")).collect()
    }
}

impl Drop for Team {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        let _sleepers = self.shared.sleepers.lock().unwrap_or_else(|p| p.into_inner());
        self.shared.wake.notify_all();
    }
}

/// One step of a busy wait. Now and then it offers the core to another thread: with more
/// threads than cores (tests running side by side), the thread being waited for may need it.
fn pause(spins: &mut u32) {
    *spins = spins.wrapping_add(1);
    if spins.is_multiple_of(256) {
        std::thread::yield_now();
    } else {
        std::hint::spin_loop();
    }
}

/// A helper's life: wait for a generation, run its part, report, repeat.
fn help(shared: &Shared, index: usize) {
    let mut seen = 0;
    loop {
        let started = Instant::now();
        let mut spins = 0u32;
        let mut generation = shared.generation.load(Ordering::Acquire);
        while generation == seen {
            if shared.stop.load(Ordering::Acquire) {
                return;
            }
            if started.elapsed() < SPIN {
                pause(&mut spins);
            } else {
                let mut sleepers = shared.sleepers.lock().unwrap_or_else(|p| p.into_inner());
                *sleepers += 1;
                // Checked under the lock the publisher takes before notifying: no wake-up is lost.
                while shared.generation.load(Ordering::Acquire) == seen && !shared.stop.load(Ordering::Acquire) {
                    sleepers = shared.wake.wait(sleepers).unwrap_or_else(|p| p.into_inner());
                }
                *sleepers -= 1;
            }
            generation = shared.generation.load(Ordering::Acquire);
        }
        seen = generation;
        // SAFETY: the job was written before `generation` was published (Release/Acquire) and
        // stays valid until this helper reports the generation finished.
        let job = unsafe { (*shared.job.0.get()).expect("a job is published with its generation") };
        // SAFETY: as above.
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unsafe { (*job)(index + 1) }));
        if ran.is_err() {
            shared.panicked.store(true, Ordering::Release);
        }
        shared.finished[index].store(generation, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_runs_once_per_job() {
        let team = Team::new(3);
        let counts: Vec<AtomicUsize> = (0..3).map(|_| AtomicUsize::new(0)).collect();
        for _ in 0..1_000 {
            team.run(&|i| {
                counts[i].fetch_add(1, Ordering::Relaxed);
            });
        }
        assert!(counts.iter().all(|c| c.load(Ordering::Relaxed) == 1_000));
        // After the helpers have gone to sleep, a job still wakes them.
        std::thread::sleep(SPIN * 3);
        let total = AtomicUsize::new(0);
        team.run(&|i| {
            total.fetch_add(i + 1, Ordering::Relaxed);
        });
        assert_eq!(total.load(Ordering::Relaxed), 6);
    }

    #[test]
    fn map_keeps_the_order_of_the_items() {
        for threads in [1, 2, 3] {
            let team = Team::new(threads);
            for n in [0, 1, 2, 5, 64] {
                assert_eq!(team.map(n, &|i| i * i), (0..n).map(|i| i * i).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn a_busy_team_leaves_the_caller_to_work_alone() {
        let team = Arc::new(Team::new(2));
        let inner_parts = AtomicUsize::new(0);
        team.run(&|i| {
            if i == 0 {
                // The team is held by this job: a nested job runs all its parts here.
                team.run(&|_| {
                    inner_parts.fetch_add(1, Ordering::Relaxed);
                });
            }
        });
        assert_eq!(inner_parts.load(Ordering::Relaxed), 2);
        assert_eq!(Team::new(1).size(), 1);
    }

    #[test]
    fn a_panicking_part_reaches_the_caller_after_every_part_is_done() {
        let team = Team::new(2);
        let finished = AtomicUsize::new(0);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            team.run(&|i| {
                if i == 1 {
                    panic!("part 1 fails");
                }
                std::thread::sleep(Duration::from_millis(5));
                finished.fetch_add(1, Ordering::Relaxed);
            })
        }));
        assert!(outcome.is_err());
        assert_eq!(finished.load(Ordering::Relaxed), 1);
        // The team still works.
        let total = AtomicUsize::new(0);
        team.run(&|i| {
            total.fetch_add(i + 1, Ordering::Relaxed);
        });
        assert_eq!(total.load(Ordering::Relaxed), 3);
    }
}
