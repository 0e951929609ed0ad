//! The progress bar of long hashing runs: on stderr, only when stderr is a
//! terminal and the user did not ask for quiet. It starts as a spinner and
//! becomes a bar with an ETA once a side thread has counted the work.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use custodian::hashing::{scan_totals, FileKind, HashOptions, Progress, Record, Totals};

/// `style` drawn with ASCII characters only, with `--ascii`.
fn ascii_chars(style: indicatif::ProgressStyle) -> indicatif::ProgressStyle {
    if super::term::ascii() {
        style.progress_chars("=> ").tick_chars("|/-\\ ")
    } else {
        style
    }
}

/// The indicatif bar on stderr (or nothing).
pub struct Bar {
    pub bar: Option<indicatif::ProgressBar>,
    files: AtomicU64,
}

impl Bar {
    /// A spinner on stderr when `show`, else a silent stand-in.
    pub fn new(show: bool) -> Self {
        let bar = show.then(|| {
            let b = indicatif::ProgressBar::with_draw_target(
                None,
                indicatif::ProgressDrawTarget::stderr_with_hz(10),
            );
            b.set_style(ascii_chars(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {msg} files, {bytes} hashed, {binary_bytes_per_sec}, {elapsed}",
                )
                .expect("valid template"),
            ));
            // "0 files" from the start, never a blank count.
            b.set_message("0");
            b.enable_steady_tick(Duration::from_millis(200));
            b
        });
        Bar {
            bar,
            files: AtomicU64::new(0),
        }
    }

    /// Switches from a spinner to a bar with ETA once totals are known.
    /// Sizes and rates are binary (KiB, MiB, MiB/s), as in every summary.
    pub fn set_totals(&self, t: Totals) {
        if let Some(b) = &self.bar {
            b.set_message(self.files.load(Ordering::Relaxed).to_string());
            b.set_length(t.bytes);
            b.set_style(ascii_chars(
                indicatif::ProgressStyle::with_template(&format!(
                    "{{bar:30}} {{msg}}/{} files, {{bytes}}/{{total_bytes}}, {{binary_bytes_per_sec}}, ETA {{eta}}",
                    t.files
                ))
                .expect("valid template"),
            ));
        }
    }

    /// Runs `f` with the bar hidden (for printing a line under it).
    pub fn suspend(&self, f: impl FnOnce()) {
        match &self.bar {
            Some(b) => b.suspend(f),
            None => f(),
        }
    }

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
    fn record_done(&self, r: &Record) {
        if r.kind == FileKind::File {
            let n = self.files.fetch_add(1, Ordering::Relaxed) + 1;
            if let Some(b) = &self.bar {
                b.set_message(n.to_string());
            }
        }
    }
}

/// Runs `work` with a bar over hashing `roots` (unless `quiet` or stderr is
/// not a terminal), counting the totals on a side thread for the ETA.
pub fn with_bar<T>(
    roots: &[PathBuf],
    opts: &HashOptions,
    quiet: bool,
    work: impl FnOnce(&Bar) -> T,
) -> T {
    let bar = Bar::new(!quiet && std::io::stderr().is_terminal());
    let cancel = AtomicBool::new(false);
    let out = std::thread::scope(|s| {
        if bar.bar.is_some() {
            s.spawn(|| {
                let t = scan_totals(roots, opts, &cancel);
                if !cancel.load(Ordering::Relaxed) {
                    bar.set_totals(t);
                }
            });
        }
        let out = work(&bar);
        cancel.store(true, Ordering::Relaxed);
        out
    });
    bar.finish();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The file count reads "0" before the first file is done, with or
    /// without totals (it read "/1 files" with a blank count).
    #[test]
    fn the_file_count_is_never_blank() {
        let bar = Bar::new(true);
        let b = bar.bar.as_ref().unwrap();
        assert_eq!(b.message(), "0");
        bar.set_totals(Totals {
            files: 1,
            bytes: 10,
        });
        assert_eq!(b.message(), "0");
        assert_eq!(b.length(), Some(10));
        bar.finish();
    }
}
