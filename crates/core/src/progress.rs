//! A minimal progress interface, so that long library work can drive a progress bar it does not
//! know about.

/// Receives progress reports from long-running work. Implementations must be cheap to call.
pub trait Progress: Sync {
    /// Starts a new phase with a label and, if known, the total amount of work in `unit`s.
    fn start(&self, label: &str, total: Option<u64>, unit: Unit);
    /// Reports `amount` more units done in the current phase.
    fn advance(&self, amount: u64);
    /// Ends the current phase.
    fn finish(&self);
}

/// What a phase counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Bytes,
    Items,
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _: &str, _: Option<u64>, _: Unit) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}
