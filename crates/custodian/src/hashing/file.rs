//! Opening evidence read-only and hashing one file.
//!
//! Small files are read with one reused buffer and every digest updated in
//! turn. Big files go through a pipeline: this thread reads, and one thread
//! per algorithm hashes shared chunks, so reading overlaps hashing and
//! md5+sha1+sha256 costs about as much as the slowest of the three.

use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::os::fd::BorrowedFd;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::{mpsc, Arc};
use std::thread;

use super::algorithm::{Algorithm, AlgorithmSet, Digests, MultiHasher, OneHasher};
use super::error::HashError;
use super::Progress;

/// Files at least this big use the per-file pipeline. Below it, thread
/// start-up and hand-over cost more than they save.
pub const PIPELINE_THRESHOLD: u64 = 8 << 20;
/// Read size for small files; one such buffer per worker.
pub(crate) const SMALL_BUF: usize = 256 << 10;
/// Pipeline chunk size. Big enough that BLAKE3 can split a chunk across
/// cores and channel overhead is negligible.
const CHUNK: usize = 2 << 20;
/// Chunks alive per pipelined file: bounds memory to CHUNK * POOL (12 MiB)
/// per big file in flight, whatever its size.
const POOL: usize = 6;

/// Opens evidence for reading without changing it.
///
/// `O_NOATIME` keeps the access time as it was (allowed for the owner or
/// with CAP_FOWNER; on EPERM we fall back silently to a plain read-only
/// open). `O_NONBLOCK` makes sure that if a FIFO was swapped in after we
/// looked, opening it cannot hang. `O_NOFOLLOW` (unless following) makes a
/// symlink swapped in fail instead of being followed. None of this needs
/// `unsafe`: std's `custom_flags` passes the flags to open(2).
pub fn open_evidence(path: &Path, follow_symlinks: bool, directory: bool) -> io::Result<File> {
    open_evidence_in(None, path, follow_symlinks, directory)
}

/// [`open_evidence`] of `name` looked up in the open folder `dir` (the
/// kernel resolves one name instead of the whole path again, and a folder
/// renamed above it meanwhile changes nothing), or of the path `name`
/// when `dir` is `None`.
pub(crate) fn open_evidence_in(
    dir: Option<BorrowedFd<'_>>,
    name: &Path,
    follow_symlinks: bool,
    directory: bool,
) -> io::Result<File> {
    use rustix::fs::{openat, Mode, OFlags, CWD};
    let mut flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
    if !follow_symlinks {
        flags |= OFlags::NOFOLLOW;
    }
    if directory {
        flags |= OFlags::DIRECTORY;
    }
    let at = dir.unwrap_or(CWD);
    let open = |flags: OFlags| openat(at, name, flags, Mode::empty());
    let fd = match open(flags | OFlags::NOATIME) {
        Err(rustix::io::Errno::PERM) => open(flags),
        other => other,
    }
    .map_err(io::Error::from)?;
    Ok(File::from(fd))
}

/// Opens `path` as evidence and checks with fstat that what was opened is a
/// regular file (beating a swap between our lstat and the open).
pub(crate) fn open_regular(path: &Path, follow: bool) -> Result<(File, Metadata), HashError> {
    open_regular_in(None, path, follow)
}

/// [`open_regular`] of `path`'s last name in the open folder `dir`, if
/// given.
pub(crate) fn open_regular_in(
    dir: Option<BorrowedFd<'_>>,
    path: &Path,
    follow: bool,
) -> Result<(File, Metadata), HashError> {
    let (dir, name) = in_dir(dir, path);
    let f = open_evidence_in(dir, name, follow, false).map_err(|e| HashError::io(path, e))?;
    let m = f.metadata().map_err(|e| HashError::io(path, e))?;
    if !m.is_file() {
        return Err(HashError::NotRegularFile {
            path: path.to_path_buf(),
            kind: super::record::file_kind(m.file_type()).name(),
        });
    }
    Ok((f, m))
}

/// Where to look `path` up: its last name in the open folder `dir`, if
/// given (`dir` must be the folder `path` names it in), else the whole
/// path from the current folder.
pub(crate) fn in_dir<'a, 'd>(
    dir: Option<BorrowedFd<'d>>,
    path: &'a Path,
) -> (Option<BorrowedFd<'d>>, &'a Path) {
    match (dir, path.file_name()) {
        (Some(d), Some(name)) => (Some(d), Path::new(name)),
        _ => (None, path),
    }
}

/// Result of reading one open file.
pub(crate) struct FileHash {
    pub digests: Digests,
    /// Size, mtime or ctime changed, or the bytes read differ from the size.
    pub changed: bool,
}

/// Hashes an open regular file whose fstat-before metadata is `before`.
pub(crate) fn hash_open_file(
    file: &mut File,
    before: &Metadata,
    algos: &AlgorithmSet,
    buf: &mut Vec<u8>,
    progress: &dyn Progress,
) -> io::Result<FileHash> {
    let (digests, bytes) = if before.len() >= PIPELINE_THRESHOLD {
        hash_pipelined(file, algos, progress)?
    } else {
        hash_sequential(file, algos, buf, Some(before.len()), progress)?
    };
    let after = file.metadata()?;
    let changed = bytes != before.len()
        || after.len() != before.len()
        || (after.mtime(), after.mtime_nsec()) != (before.mtime(), before.mtime_nsec())
        || (after.ctime(), after.ctime_nsec()) != (before.ctime(), before.ctime_nsec());
    Ok(FileHash { digests, changed })
}

/// Hashes everything `r` yields with every algorithm in `algos`.
pub fn hash_reader<R: Read>(mut r: R, algos: &AlgorithmSet) -> io::Result<Digests> {
    let mut buf = Vec::new();
    hash_sequential(&mut r, algos, &mut buf, None, &super::NoProgress).map(|(d, _)| d)
}

/// Opens `path` as evidence (read-only, no atime change, regular files
/// only, symlinks followed) and hashes it, pipelined if it is big.
pub fn hash_file(path: &Path, algos: &AlgorithmSet) -> Result<Digests, HashError> {
    let (mut f, before) = open_regular(path, true)?;
    let mut buf = Vec::new();
    hash_open_file(&mut f, &before, algos, &mut buf, &super::NoProgress)
        .map(|h| h.digests)
        .map_err(|e| HashError::io(path, e))
}

/// Reads to end of file, or stops once `expected` bytes (the fstat size)
/// have been read: that saves one read(2) per small file, and growth
/// after the fstat is still caught, by the size check of the fstat after.
fn hash_sequential<R: Read + ?Sized>(
    r: &mut R,
    algos: &AlgorithmSet,
    buf: &mut Vec<u8>,
    expected: Option<u64>,
    progress: &dyn Progress,
) -> io::Result<(Digests, u64)> {
    buf.resize(SMALL_BUF, 0);
    let mut m = MultiHasher::new(algos);
    let mut total = 0u64;
    loop {
        if expected == Some(total) && total > 0 {
            break;
        }
        let n = match r.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        m.update(&buf[..n]);
        total += n as u64;
        progress.bytes_hashed(n as u64);
    }
    Ok((m.finalize(), total))
}

/// Fills `buf` as far as possible; returns the number of bytes read
/// (less than `buf.len()` only at end of file).
pub(crate) fn read_full<R: Read + ?Sized>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn cpus() -> usize {
    static CPUS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CPUS.get_or_init(|| thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Rough single-core cost in ns per byte on x86-64 with SHA-NI (measured
/// with the crates we use; see docs/engineering/performance.md). Only the ratios
/// matter: they decide which algorithms share a thread.
fn cost(a: Algorithm) -> u32 {
    match a {
        Algorithm::Md5 => 16,
        Algorithm::Sha1 | Algorithm::Sha256 => 5,
        Algorithm::Sha512 => 17,
        Algorithm::Sha3_256 => 25,
        // Spread over all cores by rayon, so cheap per hashing thread.
        Algorithm::Blake3 => 2,
    }
}

/// Splits the algorithms into at most `threads` groups of similar total
/// cost (longest first, each to the lightest group), one thread per group.
/// The pipeline allows two hashing threads per CPU: measured on a shared
/// 2-vCPU machine, one thread per algorithm for md5+sha1+sha256 was as fast
/// as two cost-balanced threads when idle and 5–15 % faster under load
/// (more threads get a larger share of contended CPUs), while six
/// algorithms on two CPUs still fold into four threads.
fn thread_groups(algos: &AlgorithmSet, threads: usize) -> Vec<Vec<Algorithm>> {
    let n = threads.clamp(1, algos.len());
    let mut sorted: Vec<Algorithm> = algos.iter().collect();
    sorted.sort_by_key(|a| std::cmp::Reverse(cost(*a)));
    let mut groups: Vec<(u32, Vec<Algorithm>)> = vec![(0, Vec::new()); n];
    for a in sorted {
        let g = groups
            .iter_mut()
            .min_by_key(|(c, _)| *c)
            .expect("at least one group");
        g.0 += cost(a);
        g.1.push(a);
    }
    groups.into_iter().map(|(_, g)| g).collect()
}

/// A pipeline buffer: always `CHUNK` bytes allocated (never re-zeroed),
/// of which the first `len` hold data.
struct Chunk {
    buf: Vec<u8>,
    len: usize,
}

/// Reader on this thread, one hashing thread per algorithm, chunks shared
/// through `Arc` and recycled through a bounded pool: the last hasher to
/// release a chunk (`Arc::into_inner`) hands the buffer back.
fn hash_pipelined<R: Read + ?Sized>(
    r: &mut R,
    algos: &AlgorithmSet,
    progress: &dyn Progress,
) -> io::Result<(Digests, u64)> {
    let (free_tx, free_rx) = mpsc::channel::<Chunk>();
    thread::scope(|s| {
        let groups = thread_groups(algos, 2 * cpus());
        let mut senders = Vec::with_capacity(groups.len());
        let mut handles = Vec::with_capacity(groups.len());
        for group in groups {
            let (tx, rx) = mpsc::sync_channel::<Arc<Chunk>>(POOL);
            let free_tx = free_tx.clone();
            handles.push(s.spawn(move || {
                let mut hs: Vec<(Algorithm, OneHasher)> =
                    group.into_iter().map(|a| (a, OneHasher::new(a))).collect();
                for chunk in rx {
                    for (_, h) in &mut hs {
                        h.update_large(&chunk.buf[..chunk.len]);
                    }
                    if let Some(v) = Arc::into_inner(chunk) {
                        // The reader may have finished already; then the
                        // buffer is simply dropped.
                        let _ = free_tx.send(v);
                    }
                }
                hs.into_iter()
                    .map(|(a, h)| (a, h.finalize()))
                    .collect::<Vec<_>>()
            }));
            senders.push(tx);
        }
        drop(free_tx);

        let mut allocated = 0;
        let mut total = 0u64;
        // Our own reference may be the last one released (if every hasher
        // finished before we let go); then the buffer comes back here.
        let mut spare: Option<Chunk> = None;
        let read_result: io::Result<()> = loop {
            let mut buf = match spare.take().map_or_else(|| free_rx.try_recv(), Ok) {
                Ok(b) => b,
                Err(_) if allocated < POOL => {
                    allocated += 1;
                    Chunk {
                        buf: vec![0; CHUNK],
                        len: 0,
                    }
                }
                Err(_) => match free_rx.recv() {
                    Ok(b) => b,
                    Err(_) => break Err(io::Error::other("hashing threads stopped")),
                },
            };
            let n = match read_full(r, &mut buf.buf) {
                Ok(0) => break Ok(()),
                Ok(n) => n,
                Err(e) => break Err(e),
            };
            buf.len = n;
            total += n as u64;
            let chunk = Arc::new(buf);
            if senders
                .iter()
                .any(|tx| tx.send(Arc::clone(&chunk)).is_err())
            {
                break Err(io::Error::other("hashing thread stopped"));
            }
            spare = Arc::into_inner(chunk);
            progress.bytes_hashed(n as u64);
        };
        drop(senders);
        let mut digests = Digests::default();
        for h in handles {
            let done = h
                .join()
                .map_err(|_| io::Error::other("hashing thread panicked"))?;
            for (a, hex) in done {
                digests.insert(a, hex);
            }
        }
        read_result.map(|()| (digests, total))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_algorithms_get_their_own_thread() {
        let set: AlgorithmSet = "md5,sha1,sha256".parse().unwrap();
        assert_eq!(
            thread_groups(&set, 2),
            vec![
                vec![Algorithm::Md5],
                vec![Algorithm::Sha1, Algorithm::Sha256]
            ]
        );
        assert_eq!(thread_groups(&set, 1).len(), 1);
        assert_eq!(thread_groups(&set, 4).len(), 3);
        let all = AlgorithmSet::new(Algorithm::ALL).unwrap();
        let g = thread_groups(&all, 4);
        assert_eq!(g.len(), 4);
        assert_eq!(g.iter().map(Vec::len).sum::<usize>(), 6);
    }

    /// The pipeline and the sequential path must agree on sizes around
    /// chunk boundaries (a lost or doubled chunk would show here).
    #[test]
    fn pipeline_matches_sequential() {
        let algos = AlgorithmSet::new(Algorithm::ALL).unwrap();
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17, 9 * CHUNK] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            let (p, n) = hash_pipelined(&mut &data[..], &algos, &super::super::NoProgress).unwrap();
            assert_eq!(n, len as u64);
            let s = hash_reader(&data[..], &algos).unwrap();
            assert_eq!(p, s, "len {len}");
        }
    }

    /// Reads like a file that keeps growing: a few bytes, then a false
    /// EOF, again and again. Each piece becomes a tiny chunk that hashers
    /// finish before the reader lets go of it.
    struct Trickle(u32);
    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.0 += 1;
            if self.0 > 4000 || self.0.is_multiple_of(2) {
                return Ok(0);
            }
            let n = buf.len().min(3);
            buf[..n].copy_from_slice(&b"xyz"[..n]);
            Ok(n)
        }
    }

    /// Regression: the pool lost a buffer whenever the reader held the
    /// last reference, and after six such losses the pipeline deadlocked
    /// (a growing file hung the run).
    #[test]
    fn regression_tiny_chunks_do_not_leak_pool_buffers() {
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let algos = AlgorithmSet::single(crate::hashing::Algorithm::Sha1);
            let mut r = Trickle(0);
            // read_full stops at each false EOF, so 2000 chunks of 3 bytes.
            let (_, total) = hash_pipelined(&mut r, &algos, &super::super::NoProgress).unwrap();
            tx.send(total).unwrap();
        });
        let got = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("pipeline deadlocked");
        assert_eq!(got, 6000);
    }
}
