//! `custodian hash`: hash files and folders without a case, printing
//! sha256sum-, hashdeep- or manifest-compatible lines.

use std::io::{self, IsTerminal, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use super::progress::Bar;
use anyhow::{bail, Context};
use custodian::hashing::{
    hash_tree, scan_totals, Algorithm, AlgorithmSet, FileKind, HashOptions, Record,
};
use custodian::hashlist::write::{self as lines, LineFormat};
use custodian::interop::dfxml;

use super::term::errln;
use super::{EXIT_ERROR, EXIT_INVALID, EXIT_OK};

const EXAMPLES: &str = "\
Examples:
  Like sha256sum, and checkable by it:
    custodian hash *.E01 > SHA256SUMS && sha256sum -c SHA256SUMS

  A whole folder with md5, sha1 and sha256 as a hashdeep known-hashes file:
    custodian hash -r --format hashdeep /mnt/evidence > known.txt
    hashdeep -r -a -k known.txt /mnt/evidence

  Every object (folders, symlinks, FIFOs, errors) as a JSON Lines manifest:
    custodian hash -r --format json -c sha256,blake3 /mnt/evidence > manifest.jsonl

Exit status: 0 all files hashed, 1 some path could not be hashed (or changed
while being read, or its name cannot be written in the chosen format), 2 usage
or output error.";

/// Output line formats.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `HEX  NAME` lines for `sha256sum -c` (sha256 only).
    Sha256sum,
    /// `HEX  NAME` lines for `md5sum -c` (md5 only).
    Md5sum,
    /// `HEX  NAME` lines for `sha1sum -c` (sha1 only).
    Sha1sum,
    /// `HEX  NAME` lines for the one algorithm given with -c (e.g. blake3
    /// for `b3sum --check`).
    Sum,
    /// hashdeep known-hashes file (md5, sha1, sha256), for `hashdeep -a -k`.
    Hashdeep,
    /// The custodian manifest: header line, then one canonical JSON record
    /// per object (docs/spec/manifest.md).
    Json,
    /// DFXML 1.2 (Digital Forensics XML): one <fileobject> per regular file
    /// with size, times and digests (docs/guide/interop.md).
    Dfxml,
}

pub const LONG_ABOUT: &str = "\
Hash files and folders (no case needed): a sha256sum/hashdeep replacement.

Each file is read once, whatever the number of algorithms; files are hashed in
parallel and a big file's digests are computed on several threads at once,
while output stays in a fixed order (arguments in the order given; inside a
folder depth-first, names sorted by bytes), the same for any -j. Evidence is
opened read-only without updating access times; FIFOs, sockets and devices are
never opened.

File names are written so that each format's own checker reads them back
exactly, one record per file: `*sum` lines use the backslash escapes of GNU
coreutils (of b3sum for blake3). hashdeep has no escape syntax, and b3sum
cannot read a carriage return or a name that is not UTF-8: a file whose name
the chosen format cannot carry is left out, named on stderr, and the run exits
1 (json and dfxml carry every name).

Without --format, one algorithm gives `HEX  NAME` lines (sha256 by default,
like sha256sum) and several give a hashdeep file (or json if hashdeep cannot
hold them). Problems are reported on stderr as `custodian: PATH: error` and
the run goes on.";

/// Hash files and folders (no case needed): a sha256sum/hashdeep replacement.
#[derive(clap::Args, Debug)]
#[command(long_about = LONG_ABOUT, after_long_help = EXAMPLES)]
pub struct HashArgs {
    /// Digest algorithms, comma-separated: md5, sha1, sha256, sha512, sha3-256, blake3.
    ///
    /// Defaults to the one the format implies (sha256 for sha256sum and sum),
    /// or md5,sha1,sha256 for hashdeep and json.
    #[arg(short = 'c', long = "algorithms", value_name = "ALGOS")]
    pub algorithms: Option<AlgorithmSet>,

    /// Output format.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,

    /// Files hashed in parallel [default: one per CPU].
    #[arg(
        short,
        long,
        value_name = "N",
        default_value_t = 0,
        hide_default_value = true
    )]
    pub jobs: usize,

    /// Recurse into folders (without it a folder is reported as an error, like sha256sum).
    #[arg(short, long)]
    pub recursive: bool,

    /// Follow symlinks found inside folders (loops are detected and reported).
    ///
    /// Symlinks named on the command line are always followed.
    #[arg(long)]
    pub follow_symlinks: bool,

    /// No progress bar.
    ///
    /// The bar is drawn on stderr only when stderr is a terminal.
    #[arg(short, long)]
    pub quiet: bool,

    /// Files or folders to hash.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

/// Format and algorithms after applying defaults and checking they fit.
fn resolve(args: &HashArgs) -> anyhow::Result<(Format, AlgorithmSet)> {
    let fixed = |f: Format, a: Algorithm| -> anyhow::Result<(Format, AlgorithmSet)> {
        match &args.algorithms {
            Some(set) if set.as_slice() != [a] => {
                bail!("--format {f:?} prints {a} only, but -c asks for {set}")
            }
            _ => Ok((f, AlgorithmSet::single(a))),
        }
    };
    let hashdeep_ok = |s: &AlgorithmSet| {
        s.iter()
            .all(|a| matches!(a, Algorithm::Md5 | Algorithm::Sha1 | Algorithm::Sha256))
    };
    match (args.format, &args.algorithms) {
        (Some(Format::Sha256sum), _) => fixed(Format::Sha256sum, Algorithm::Sha256),
        (Some(Format::Md5sum), _) => fixed(Format::Md5sum, Algorithm::Md5),
        (Some(Format::Sha1sum), _) => fixed(Format::Sha1sum, Algorithm::Sha1),
        (Some(Format::Sum) | None, None) => {
            Ok((Format::Sum, AlgorithmSet::single(Algorithm::Sha256)))
        }
        (Some(Format::Sum), Some(s)) if s.len() == 1 => Ok((Format::Sum, s.clone())),
        (Some(Format::Sum), Some(s)) => {
            bail!("--format sum prints one digest per line, but -c asks for {s}")
        }
        (Some(Format::Hashdeep), s) => {
            let s = s.clone().unwrap_or_default();
            if !hashdeep_ok(&s) {
                bail!("--format hashdeep can hold md5, sha1 and sha256 only, not all of {s}");
            }
            Ok((Format::Hashdeep, s))
        }
        (Some(Format::Json), s) => Ok((Format::Json, s.clone().unwrap_or_default())),
        (Some(Format::Dfxml), s) => Ok((Format::Dfxml, s.clone().unwrap_or_default())),
        (None, Some(s)) if s.len() == 1 => Ok((Format::Sum, s.clone())),
        (None, Some(s)) if hashdeep_ok(s) => Ok((Format::Hashdeep, s.clone())),
        (None, Some(s)) => Ok((Format::Json, s.clone())),
    }
}

pub fn run(args: HashArgs) -> anyhow::Result<ExitCode> {
    let (format, algorithms) = resolve(&args)?;
    let opts = HashOptions {
        algorithms,
        jobs: args.jobs,
        follow_symlinks: args.follow_symlinks,
        recursive: args.recursive,
        exclude: Vec::new(),
    };
    let cwd = if format == Format::Hashdeep {
        Some(std::env::current_dir().context("hashdeep format needs the current folder")?)
    } else {
        None
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(64 << 10, stdout.lock());
    let mut failed = false;
    let printer = Printer {
        format,
        algorithms: &opts.algorithms,
        roots: &args.paths,
        recursive: args.recursive,
        cwd: cwd.as_deref(),
    };

    let header_written = match format {
        Format::Json => {
            let h = custodian::hashing::header(&args.paths, &opts.algorithms, opts.follow_symlinks);
            write_jcs(&mut out, &h)
        }
        Format::Hashdeep => printer.hashdeep_header(&mut out),
        Format::Dfxml => dfxml::write_header(
            &mut out,
            &dfxml::Creator::current(chrono::Utc::now()),
            &dfxml::Metadata {
                kind: "Hash List".into(),
                source: None,
            },
        ),
        _ => Ok(()),
    };
    let bar = Bar::new(!args.quiet && io::stderr().is_terminal());
    let cancel_scan = AtomicBool::new(false);
    std::thread::scope(|s| {
        if bar.bar.is_some() {
            // Totals for the ETA, counted on the side while hashing starts.
            s.spawn(|| {
                let t = scan_totals(&args.paths, &opts, &cancel_scan);
                if !cancel_scan.load(Ordering::Relaxed) {
                    bar.set_totals(t);
                }
            });
        }
        let result = header_written
            .map_err(custodian::hashing::HashError::Output)
            .and_then(|()| {
                hash_tree(
                    &args.paths,
                    &opts,
                    &mut |r| {
                        let (line_failed, res) = printer.record(&mut out, &r, &bar);
                        failed |= line_failed;
                        res
                    },
                    &bar,
                )
            });
        let result = result.and_then(|s| {
            let footer = match format {
                Format::Dfxml => dfxml::write_footer(&mut out),
                _ => Ok(()),
            };
            footer
                .and_then(|()| out.flush())
                .map(|()| s)
                .map_err(custodian::hashing::HashError::Output)
        });
        cancel_scan.store(true, Ordering::Relaxed);
        bar.finish();
        match result {
            Ok(_) => Ok(ExitCode::from(if failed { EXIT_INVALID } else { EXIT_OK })),
            Err(custodian::hashing::HashError::Output(e))
                if e.kind() == io::ErrorKind::BrokenPipe =>
            {
                // `| head`: the reader has what it wanted; stop quietly.
                Ok(ExitCode::from(if failed { EXIT_INVALID } else { EXIT_OK }))
            }
            Err(e) => {
                errln!("custodian: {e}");
                Ok(ExitCode::from(EXIT_ERROR))
            }
        }
    })
}

fn write_jcs<W: Write, T: serde::Serialize>(w: &mut W, v: &T) -> io::Result<()> {
    custodian::hashing::write_line(w, v)
}

struct Printer<'a> {
    format: Format,
    algorithms: &'a AlgorithmSet,
    roots: &'a [PathBuf],
    recursive: bool,
    cwd: Option<&'a Path>,
}

impl Printer<'_> {
    /// The path as the user would write it: the root as given, then the
    /// relative path below it.
    fn display_bytes(&self, r: &Record) -> Vec<u8> {
        let root = self
            .roots
            .get(r.root as usize)
            .map(|p| p.as_os_str().as_bytes())
            .unwrap_or_default();
        let rel = r.path_bytes();
        if &*rel == b"." {
            return root.to_vec();
        }
        let mut v = root.to_vec();
        if !v.ends_with(b"/") {
            v.push(b'/');
        }
        v.extend_from_slice(&rel);
        v
    }

    fn hashdeep_header<W: Write>(&self, w: &mut W) -> io::Result<()> {
        let cwd = self.cwd.map(|p| p.as_os_str().as_bytes()).unwrap_or(b".");
        let algos: Vec<Algorithm> = self.algorithms.iter().collect();
        // hashdeep writes `#` for root and `$` otherwise; /proc/self is
        // owned by our effective uid.
        let prompt = match std::fs::metadata("/proc/self") {
            Ok(m) if m.uid() == 0 => '#',
            _ => '$',
        };
        // Arguments as bytes: a path given may not be UTF-8.
        let command = std::env::args_os()
            .map(|a| a.as_bytes().to_vec())
            .collect::<Vec<_>>()
            .join(&b' ');
        w.write_all(&lines::hashdeep_header(&algos, cwd, prompt, &command))
    }

    /// Prints one record; returns (this path failed, output result).
    fn record<W: Write>(&self, w: &mut W, r: &Record, bar: &Bar) -> (bool, io::Result<()>) {
        if self.format == Format::Json {
            let failed = r.error.is_some() || r.changed_during_read;
            if failed {
                bar.suspend(|| self.warn(r));
            }
            return (failed, write_jcs(w, r));
        }
        let is_root = r.path == "." && r.path_b64.is_none();
        if let Some(e) = &r.error {
            bar.suspend(|| eprint_path(&self.display_bytes(r), e));
            return (true, Ok(()));
        }
        match r.kind {
            FileKind::File => {}
            FileKind::Dir if is_root && !self.recursive => {
                bar.suspend(|| eprint_path(&self.display_bytes(r), "Is a directory"));
                return (true, Ok(()));
            }
            FileKind::Dir | FileKind::Symlink if !is_root => return (false, Ok(())),
            FileKind::Dir => return (false, Ok(())),
            kind if is_root => {
                let msg = format!("not a regular file ({}), not read", kind.name());
                bar.suspend(|| eprint_path(&self.display_bytes(r), &msg));
                return (true, Ok(()));
            }
            // Special files met while recursing have no content to hash;
            // they are in the json format's records.
            _ => return (false, Ok(())),
        }
        let mut failed = false;
        if r.changed_during_read {
            bar.suspend(|| {
                eprint_path(
                    &self.display_bytes(r),
                    "changed while being read; digest may not match any state of the file",
                )
            });
            failed = true;
        }
        let name = self.display_bytes(r);
        let line = match self.format {
            Format::Dfxml => {
                let res = dfxml::write_fileobject(w, &dfxml::FileObject::from_record(r, &name));
                return (failed, res);
            }
            Format::Hashdeep => self.hashdeep_line(r, &name),
            _ => {
                let a = self.algorithms.strongest();
                let hex = r.digests.get(a).unwrap_or("");
                lines::sum_line(LineFormat::sum_for(a), hex, &name)
            }
        };
        match line {
            Ok(line) => (failed, w.write_all(&line)),
            // A name the format cannot carry: left out, said, counted.
            Err(unsayable) => {
                bar.suspend(|| eprint_path(&name, &super::words::unsayable(&unsayable)));
                (true, Ok(()))
            }
        }
    }

    fn warn(&self, r: &Record) {
        let p = self.display_bytes(r);
        if let Some(e) = &r.error {
            eprint_path(&p, e);
        }
        if r.changed_during_read {
            eprint_path(&p, "changed while being read");
        }
    }

    /// `size,md5,...,filename` with an absolute filename, as hashdeep
    /// writes it (it resolves relative paths against the current folder).
    fn hashdeep_line(&self, r: &Record, name: &[u8]) -> Result<Vec<u8>, lines::Unsayable> {
        let digests: Vec<&str> = self
            .algorithms
            .iter()
            .map(|a| r.digests.get(a).unwrap_or(""))
            .collect();
        let mut name = name.to_vec();
        if !name.starts_with(b"/") {
            let mut rel: &[u8] = &name;
            while let Some(rest) = rel.strip_prefix(b"./") {
                rel = rest;
            }
            let mut abs = self
                .cwd
                .map(|p| p.as_os_str().as_bytes().to_vec())
                .unwrap_or_default();
            if rel != b"." {
                if !abs.ends_with(b"/") {
                    abs.push(b'/');
                }
                abs.extend_from_slice(rel);
            }
            name = abs;
        }
        lines::hashdeep_line(r.size.unwrap_or(0), &digests, &name)
    }
}

/// `custodian: PATH: MSG` on one line, the path shown by
/// [`super::term::visible_name`] and the message (an OS error may quote a
/// name too) by [`super::term::visible`].
fn eprint_path(path: &[u8], msg: &str) {
    let _ = writeln!(
        io::stderr().lock(),
        "custodian: {}: {}",
        super::term::visible_name(path),
        super::term::visible(msg)
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        crate::cli::Cli::command().debug_assert();
    }
}
