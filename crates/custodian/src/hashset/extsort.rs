//! Sorting more digests than fit in memory: an external merge sort.
//!
//! An import collects digests in memory up to a budget ([`RUN_BYTES`] for
//! all algorithms together). When the budget is reached, each algorithm's
//! digests are sorted, de-duplicated and written to a *run* file in a
//! temporary folder next to the set being written (`.sort-NAME-PID` in the
//! store); at the end the runs of each algorithm are merged, k ways, into
//! its data file, dropping digests repeated across runs. A 100-million
//! digest set (3.2 GB of sha256) thus needs about [`RUN_BYTES`] of memory
//! and the same disk space again for the runs, and the data file is byte
//! for byte what sorting everything in memory gives: ascending, each digest
//! once.
//!
//! No crate was used: the maintained external-sort crates sort items
//! through a serialisation trait one at a time and do not de-duplicate;
//! fixed-width records need neither, and this merge is small enough to test
//! exhaustively against the in-memory sort (below).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use rayon::slice::ParallelSliceMut;
use sha2::{Digest as _, Sha256};

use super::{io_err, StoreError};
use crate::hashing::Algorithm;

/// Digest bytes held in memory, all algorithms together, before they are
/// written out as sorted runs. A buffer's capacity grows by doubling up to
/// this, so memory held for digests stays below twice it.
pub(super) const RUN_BYTES: usize = 128 << 20;

/// Bytes read ahead from each run during the merge, and written at a time.
const IO_BUF: usize = 1 << 20;

/// The sorted runs of an import, in a temporary folder that is removed
/// when this is dropped (after success or an error alike).
pub(super) struct Runs {
    dir: PathBuf,
    created: bool,
    runs: BTreeMap<Algorithm, Vec<PathBuf>>,
    written: usize,
}

impl Runs {
    /// Runs will go in `dir` (created at the first run; anything left there
    /// by an earlier, interrupted import of the same process id is
    /// removed).
    pub fn new(dir: PathBuf) -> Runs {
        Runs {
            dir,
            created: false,
            runs: BTreeMap::new(),
            written: 0,
        }
    }

    /// Sorts and de-duplicates `data` (digests of `algo`, end to end) and
    /// writes it as one run; `data` is left empty, its capacity kept.
    pub fn write_run(&mut self, algo: Algorithm, data: &mut Vec<u8>) -> Result<(), StoreError> {
        if data.is_empty() {
            return Ok(());
        }
        if !self.created {
            if self.dir.exists() {
                std::fs::remove_dir_all(&self.dir).map_err(io_err(&self.dir))?;
            }
            std::fs::create_dir(&self.dir).map_err(io_err(&self.dir))?;
            self.created = true;
        }
        sort_dedup(algo, data);
        let path = self
            .dir
            .join(format!("{}.{}.run", algo.name(), self.written));
        self.written += 1;
        let mut f = File::create_new(&path).map_err(io_err(&path))?;
        f.write_all(data).map_err(io_err(&path))?;
        data.clear();
        self.runs.entry(algo).or_default().push(path);
        Ok(())
    }

    /// Whether any run was written for `algo`.
    pub fn has_runs(&self, algo: Algorithm) -> bool {
        self.runs.get(&algo).is_some_and(|r| !r.is_empty())
    }

    /// Merges the runs of `algo` into the data file `out` (created new,
    /// synced); returns its digest count and SHA-256.
    pub fn merge_into(&self, algo: Algorithm, out: &Path) -> Result<(u64, String), StoreError> {
        let runs = self.runs.get(&algo).map(Vec::as_slice).unwrap_or(&[]);
        match algo.hex_len() / 2 {
            16 => merge::<16>(runs, out),
            20 => merge::<20>(runs, out),
            32 => merge::<32>(runs, out),
            64 => merge::<64>(runs, out),
            n => unreachable!("no {n}-byte digest algorithm"),
        }
    }
}

impl Drop for Runs {
    fn drop(&mut self) {
        if self.created {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Sorts fixed-width records in place and drops repeats.
pub(super) fn sort_dedup(a: Algorithm, data: &mut Vec<u8>) {
    fn go<const N: usize>(data: &mut Vec<u8>) {
        let recs: &mut [[u8; N]] = bytemuck::cast_slice_mut(data.as_mut_slice());
        recs.par_sort_unstable();
        let mut w = 0;
        for r in 0..recs.len() {
            if w == 0 || recs[r] != recs[w - 1] {
                recs[w] = recs[r];
                w += 1;
            }
        }
        data.truncate(w * N);
    }
    match a.hex_len() / 2 {
        16 => go::<16>(data),
        20 => go::<20>(data),
        32 => go::<32>(data),
        64 => go::<64>(data),
        n => unreachable!("no {n}-byte digest algorithm"),
    }
}

/// Writes a data file: digests in ascending order, each once, hashed as
/// they are written.
pub(super) struct DataWriter {
    path: PathBuf,
    file: File,
    buf: Vec<u8>,
    hasher: Sha256,
    bytes: u64,
}

impl DataWriter {
    pub fn create(path: &Path) -> Result<DataWriter, StoreError> {
        Ok(DataWriter {
            path: path.to_path_buf(),
            file: File::create_new(path).map_err(io_err(path))?,
            buf: Vec::with_capacity(IO_BUF),
            hasher: Sha256::new(),
            bytes: 0,
        })
    }

    pub fn write(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        if self.buf.len() + bytes.len() > IO_BUF {
            self.flush()?;
        }
        if bytes.len() >= IO_BUF {
            // A whole sorted column: written as it is, never copied.
            self.hasher.update(bytes);
            self.file.write_all(bytes).map_err(io_err(&self.path))?;
            self.bytes += bytes.len() as u64;
        } else {
            self.buf.extend_from_slice(bytes);
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StoreError> {
        self.hasher.update(&self.buf);
        self.file.write_all(&self.buf).map_err(io_err(&self.path))?;
        self.bytes += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    /// Flushes and syncs the file; returns its length and SHA-256.
    pub fn finish(mut self) -> Result<(u64, String), StoreError> {
        self.flush()?;
        self.file.sync_all().map_err(io_err(&self.path))?;
        Ok((self.bytes, hex::encode(self.hasher.finalize())))
    }
}

/// One run being read during the merge.
struct RunReader<const N: usize> {
    path: PathBuf,
    reader: BufReader<File>,
}

impl<const N: usize> RunReader<N> {
    fn open(path: &Path) -> Result<RunReader<N>, StoreError> {
        let f = File::open(path).map_err(io_err(path))?;
        Ok(RunReader {
            path: path.to_path_buf(),
            reader: BufReader::with_capacity(IO_BUF, f),
        })
    }

    /// The next digest, or `None` at the end of the run. A run ending
    /// inside a digest (it was written by this import, so only a failing
    /// disk does that) is an error naming it.
    fn next(&mut self) -> Result<Option<[u8; N]>, StoreError> {
        let mut rec = [0u8; N];
        let mut got = 0;
        while got < N {
            let k = match self.reader.read(&mut rec[got..]) {
                Ok(k) => k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_err(&self.path)(e)),
            };
            if k == 0 {
                if got == 0 {
                    return Ok(None);
                }
                return Err(io_err(&self.path)(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!("sorted run ends inside a {N}-byte digest"),
                )));
            }
            got += k;
        }
        Ok(Some(rec))
    }
}

/// The k-way merge: the smallest head of all runs goes out next, unless it
/// equals the digest written last.
fn merge<const N: usize>(runs: &[PathBuf], out: &Path) -> Result<(u64, String), StoreError> {
    let mut readers = runs
        .iter()
        .map(|p| RunReader::<N>::open(p))
        .collect::<Result<Vec<_>, _>>()?;
    let mut heap = BinaryHeap::with_capacity(readers.len());
    for (i, r) in readers.iter_mut().enumerate() {
        if let Some(rec) = r.next()? {
            heap.push(Reverse((rec, i)));
        }
    }
    let mut w = DataWriter::create(out)?;
    let mut last: Option<[u8; N]> = None;
    while let Some(Reverse((rec, i))) = heap.pop() {
        if last != Some(rec) {
            w.write(&rec)?;
            last = Some(rec);
        }
        if let Some(next) = readers[i].next()? {
            heap.push(Reverse((next, i)));
        }
    }
    let (bytes, sha256) = w.finish()?;
    Ok((bytes / N as u64, sha256))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pseudo-random digests with many repeats, within and across runs.
    fn digests(n: usize, width: usize, seed: u64) -> Vec<u8> {
        let mut x = seed;
        let mut out = Vec::with_capacity(n * width);
        for _ in 0..n {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            // 1,000 distinct values: repeats everywhere.
            let v = (x >> 33) % 1000;
            let mut d = vec![0u8; width];
            d[..8].copy_from_slice(&v.to_be_bytes());
            d[width - 1] = (v % 7) as u8;
            out.extend_from_slice(&d);
        }
        out
    }

    /// Runs of every size from one digest up, merged, give the bytes the
    /// in-memory sort gives; the run folder is gone afterwards.
    #[test]
    fn merged_runs_equal_the_in_memory_sort() {
        let t = tempfile::tempdir().unwrap();
        for (algo, run) in [
            (Algorithm::Md5, 1usize),
            (Algorithm::Sha1, 7),
            (Algorithm::Sha256, 333),
            (Algorithm::Sha512, 5000),
        ] {
            let w = algo.hex_len() / 2;
            let all = digests(5000, w, run as u64);
            let mut want = all.clone();
            sort_dedup(algo, &mut want);
            let dir = t.path().join(format!(".sort-{}", algo.name()));
            let out = t.path().join(format!("{}.bin", algo.name()));
            {
                let mut runs = Runs::new(dir.clone());
                for chunk in all.chunks(run * w) {
                    let mut buf = chunk.to_vec();
                    runs.write_run(algo, &mut buf).unwrap();
                    assert!(buf.is_empty());
                }
                assert!(runs.has_runs(algo));
                let (count, sha) = runs.merge_into(algo, &out).unwrap();
                assert_eq!(count as usize * w, want.len());
                assert_eq!(sha, hex::encode(Sha256::digest(&want)));
            }
            assert_eq!(std::fs::read(&out).unwrap(), want, "{algo:?}");
            assert!(!dir.exists(), "run folder removed");
        }
    }

    /// A run folder that cannot be made is an error naming it.
    #[test]
    fn a_run_folder_that_cannot_be_made_is_named() {
        let t = tempfile::tempdir().unwrap();
        let blocker = t.path().join("file");
        std::fs::write(&blocker, b"x").unwrap();
        let dir = blocker.join(".sort-x");
        let mut runs = Runs::new(dir.clone());
        let mut buf = vec![1u8; 32];
        let e = runs.write_run(Algorithm::Sha256, &mut buf).unwrap_err();
        assert!(e.to_string().starts_with(&dir.display().to_string()), "{e}");
    }

    /// A truncated run is reported, naming the run, not merged short.
    #[test]
    fn a_truncated_run_is_an_error() {
        let t = tempfile::tempdir().unwrap();
        let mut runs = Runs::new(t.path().join(".sort"));
        let mut buf = digests(10, 32, 1);
        runs.write_run(Algorithm::Sha256, &mut buf).unwrap();
        let run = runs.runs[&Algorithm::Sha256][0].clone();
        let len = std::fs::metadata(&run).unwrap().len();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&run)
            .unwrap()
            .set_len(len - 5)
            .unwrap();
        let e = runs
            .merge_into(Algorithm::Sha256, &t.path().join("out.bin"))
            .unwrap_err();
        assert!(e.to_string().contains(&run.display().to_string()), "{e}");
    }
}
