//! Progress bars on stderr for long library work (indicatif hides them when stderr is not a
//! terminal).

use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};
use vecspace::progress::{Progress, Unit};

/// One bar per phase, replaced when the next phase starts.
pub struct Bars {
    bar: Mutex<Option<ProgressBar>>,
}

impl Bars {
    pub fn new() -> Self {
        Bars { bar: Mutex::new(None) }
    }
}

impl Progress for Bars {
    fn start(&self, label: &str, total: Option<u64>, unit: Unit) {
        let bar = match total {
            Some(total) => {
                let template = match unit {
                    Unit::Bytes => "{msg:>22} [{bar:32}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                    Unit::Items => "{msg:>22} [{bar:32}] {pos}/{len} eta {eta}",
                };
                let style = ProgressStyle::with_template(template).expect("valid template").progress_chars("=> ");
                ProgressBar::new(total).with_style(style)
            }
            None => ProgressBar::new_spinner()
                .with_style(ProgressStyle::with_template("{msg:>22} {spinner} {elapsed}").expect("valid template")),
        };
        bar.set_message(label.to_owned());
        if total.is_none() {
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
        }
        if let Some(old) = self.bar.lock().expect("progress lock").replace(bar) {
            old.finish_and_clear();
        }
    }

    fn advance(&self, amount: u64) {
        if let Some(bar) = self.bar.lock().expect("progress lock").as_ref() {
            bar.inc(amount);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.lock().expect("progress lock").take() {
            bar.finish_and_clear();
        }
    }
}
