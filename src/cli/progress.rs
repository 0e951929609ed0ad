//! A progress bar for long hashing runs: on stderr, only when stderr is a
//! terminal and the user did not ask for quiet.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use custodian::hashing::{Progress, Record};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Drives an indicatif bar from the library's [`Progress`] callbacks.
pub struct Bar {
    bar: Option<ProgressBar>,
    objects: AtomicU64,
}

impl Bar {
    /// A bar for hashing `roots`, or a silent stand-in when stderr is not a
    /// terminal or `quiet` is set. On a terminal the roots are pre-scanned
    /// (metadata only, symlinks not followed) so the bar can show an ETA.
    pub fn new(roots: &[PathBuf], quiet: bool) -> Bar {
        if quiet || !std::io::stderr().is_terminal() {
            return Bar {
                bar: None,
                objects: AtomicU64::new(0),
            };
        }
        let total: u64 = roots
            .iter()
            .flat_map(|r| walkdir::WalkDir::new(r).into_iter().filter_map(|e| e.ok()))
            .filter(|e| e.file_type().is_file())
            .filter_map(|e| e.metadata().ok().map(|m| m.len()))
            .sum();
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
            )
            .expect("valid progress template"),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        Bar {
            bar: Some(bar),
            objects: AtomicU64::new(0),
        }
    }

    /// Clears the bar before the final summary is printed.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Progress for Bar {
    fn bytes_hashed(&self, n: u64) {
        if let Some(b) = &self.bar {
            b.inc(n);
        }
    }

    fn record_done(&self, _record: &Record) {
        if let Some(b) = &self.bar {
            let n = self.objects.fetch_add(1, Ordering::Relaxed) + 1;
            if n % 64 == 1 {
                b.set_message(format!("{n} objects"));
            }
        }
    }
}
