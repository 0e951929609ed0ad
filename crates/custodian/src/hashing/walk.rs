//! The tree hasher: a deterministic, bounded-memory walk with parallel
//! hashing.
//!
//! One walker thread lists directories and looks entries up (`statat` in
//! the folder's descriptor) in output order (depth-first, pre-order,
//! siblings sorted by raw name bytes), in units of consecutive objects.
//! An entry the listing says is a regular file is not looked up: the
//! worker that reads it takes its metadata from the `fstat` of what it
//! opened (unless a regular file is excluded, which must be recognised
//! before it is opened). Regular files go to a small pool of worker
//! threads, which share out each unit item by item; everything else is
//! recorded by the walker directly. The calling thread re-orders finished
//! units, settles hard links in walk order (reading a multiply-linked file
//! the walk did not look up itself, so that each inode is read once) and
//! hands records to the caller's sink, so output order never depends on
//! `jobs` or on timing. A token channel caps how far the walker may run
//! ahead of the sink, which bounds the re-order buffer however large the
//! tree is.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsStr;
use std::fs;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;

use serde::{Deserialize, Serialize};

use super::algorithm::{AlgorithmSet, Digests};
use super::error::HashError;
use super::file::{hash_open_file, in_dir, open_evidence_in, open_regular_in};
use super::record::{FileKind, Meta, PathRef, Record, RecordFromFs};

/// The most files hashed at once, whatever `jobs` asks for.
pub const MAX_JOBS: usize = 256;

/// How to hash a tree.
#[derive(Debug, Clone)]
pub struct HashOptions {
    pub algorithms: AlgorithmSet,
    /// Files hashed concurrently; 0 means one per CPU. At most
    /// [`MAX_JOBS`]: more threads than that only contend for the disk,
    /// and a huge value would exhaust the process's threads.
    pub jobs: usize,
    /// Follow symlinks found inside the tree (roots are always followed,
    /// like `find -H`). Loops are detected and recorded as errors.
    pub follow_symlinks: bool,
    /// Descend into directories. When false, a directory root gets its own
    /// record and nothing below it (the CLI's behaviour without `-r`).
    pub recursive: bool,
    /// Objects never to examine or descend into, compared by device and
    /// inode so any spelling of the path matches (used to keep the case
    /// folder out of an acquisition of the tree that holds it). Each one
    /// met is recorded with `skipped: "excluded"`.
    pub exclude: Vec<PathBuf>,
}

impl Default for HashOptions {
    fn default() -> Self {
        HashOptions {
            algorithms: AlgorithmSet::default(),
            jobs: 0,
            follow_symlinks: false,
            recursive: true,
            exclude: Vec::new(),
        }
    }
}

/// Counts of what a run met.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Regular-file records (hard-link repeats included).
    pub files: u64,
    pub dirs: u64,
    pub symlinks: u64,
    /// FIFOs, sockets, device nodes and unknown types (never opened).
    pub special: u64,
    /// Bytes read and hashed (each hard-linked inode counted once).
    pub bytes: u64,
    /// Records carrying an `error`.
    pub errors: u64,
    /// Records with `skipped` (excluded paths).
    pub skipped: u64,
    pub changed_during_read: u64,
    /// Records with `hardlink_of` (not read again).
    pub hardlinks: u64,
}

/// Progress callbacks, so a front end can draw a bar. The library never
/// prints. Methods may be called from several threads at once.
pub trait Progress: Sync {
    /// `n` more bytes were hashed (called per buffer, also mid-file).
    fn bytes_hashed(&self, _n: u64) {}
    /// A record is about to be handed to the sink (in output order).
    fn record_done(&self, _record: &Record) {}
}

/// A [`Progress`] that ignores everything.
pub struct NoProgress;
impl Progress for NoProgress {}

type DevIno = (u64, u64);

/// How a regular file relates to other hard links of the same inode. The
/// sink settles it in walk order: the first path of an inode met keeps its
/// digests; every later one becomes `hardlink_of` it, with those digests.
#[derive(Clone, Copy)]
enum Link {
    None,
    /// The walk saw nlink > 1 and had not met the inode: read it.
    First(DevIno),
    /// The walk had met the inode: not read.
    Of(DevIno),
    /// Not looked at by the walk (a folder entry of type regular file),
    /// which saves an lstat per file: the worker fills in the inode if its
    /// fstat shows nlink > 1, and then leaves the reading to the sink
    /// ([`Deferred`]), so that an inode is still read once.
    Probe(Option<DevIno>),
}

/// One object in walk order, as the walker hands it on.
enum Item {
    /// Fully recorded by the walker (directories, symlinks, specials,
    /// hard-link repeats, errors).
    Ready(Done),
    /// A regular file still to be read by a worker. Its record holds only
    /// path and kind: the metadata fields are filled once, by the worker,
    /// from the fstat of what it read (or from `listed`, the walker's
    /// lstat, if it cannot be opened), which saves formatting them twice.
    Hash {
        record: Record,
        path: PathBuf,
        /// The open folder to look the file's name up in (see [`Frame`]).
        dir: Option<Arc<OwnedFd>>,
        link: Link,
        /// The walk's lstat; `None` for a file the walk knew as a regular
        /// file from its folder listing and did not look up.
        listed: Option<Meta>,
    },
}

/// A run of consecutive objects, handed over and re-ordered as a whole:
/// one channel message and one wake-up per unit instead of per file, which
/// on small files costs more than the hashing.
struct Unit {
    no: u64,
    items: Vec<Item>,
}

struct Done {
    record: Record,
    link: Link,
    /// A file the walk did not look up that turned out to have other
    /// hard links: not read by the worker, which cannot know whether it
    /// is the inode's first path; the sink, which does, reads it if so.
    deferred: Option<Deferred>,
}

struct Deferred {
    path: PathBuf,
    dir: Option<Arc<OwnedFd>>,
    /// The worker's fstat of it.
    seen: Meta,
}

/// A unit is closed at this many objects…
const UNIT_ITEMS: usize = 64;
/// …or once its files add up to this many bytes, so work spreads evenly.
const UNIT_BYTES: u64 = 4 << 20;
/// Units in flight between walker and sink, at most. Records are a few
/// hundred bytes, so this caps the re-order buffer at a few MB.
const WINDOW_UNITS: usize = 64;

/// Hashes every object under `roots` and hands one [`Record`] per object to
/// `out`, in the documented deterministic order.
///
/// Problems with individual objects are recorded, never returned; the call
/// fails only when `roots` is empty or `out` fails (which stops the run,
/// e.g. on a closed pipe).
pub fn hash_tree(
    roots: &[PathBuf],
    opts: &HashOptions,
    out: &mut dyn FnMut(Record) -> io::Result<()>,
    progress: &dyn Progress,
) -> Result<Summary, HashError> {
    if roots.is_empty() {
        return Err(HashError::NoRoots);
    }
    let jobs = match opts.jobs {
        0 => thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .min(MAX_JOBS);
    let excluded_meta: Vec<fs::Metadata> = opts
        .exclude
        .iter()
        .filter_map(|p| fs::metadata(p).ok())
        .collect();
    let excluded: HashSet<DevIno> = excluded_meta.iter().map(|m| (m.dev(), m.ino())).collect();
    // An excluded regular file must be recognised before it is opened, by
    // an lstat of every file; otherwise the folder listing's types do.
    let stat_files = excluded_meta.iter().any(|m| m.is_file());
    let abort = AtomicBool::new(false);
    let (job_tx, job_rx) = mpsc::sync_channel::<Unit>(jobs * 2);
    // Held by the workers only: once they are all gone (the sink stopped),
    // the walker's next send fails and it stops too.
    let queue = Arc::new(Mutex::new(Queue {
        units: job_rx,
        current: None,
    }));
    let (res_tx, res_rx) = mpsc::channel::<(u64, Vec<Done>)>();
    let (token_tx, token_rx) = mpsc::sync_channel::<()>(WINDOW_UNITS);
    for _ in 0..WINDOW_UNITS {
        token_tx.send(()).expect("receiver alive");
    }

    thread::scope(|s| {
        for _ in 0..jobs {
            let queue = Arc::clone(&queue);
            let tx = res_tx.clone();
            let abort = &abort;
            s.spawn(move || worker(opts, &queue, &tx, progress, abort));
        }
        drop(queue);
        let walker_res = res_tx.clone();
        let abort_ref = &abort;
        s.spawn(move || {
            let mut w = Walker {
                opts,
                excluded,
                stat_files,
                links: HashSet::new(),
                unit: Vec::new(),
                unit_bytes: 0,
                unit_no: 0,
                jobs: job_tx,
                results: walker_res,
                tokens: token_rx,
                abort: abort_ref,
            };
            w.run(roots);
        });
        drop(res_tx);

        let mut summary = Summary::default();
        let mut pending: BTreeMap<u64, Vec<Done>> = BTreeMap::new();
        let mut firsts: HashMap<DevIno, (PathRef, Digests)> = HashMap::new();
        let mut buf = Vec::new();
        let mut next = 0u64;
        let mut failure = None;
        'recv: for (no, unit) in &res_rx {
            pending.insert(no, unit);
            while let Some(unit) = pending.remove(&next) {
                next += 1;
                for Done {
                    mut record,
                    link,
                    deferred,
                } in unit
                {
                    if let (Some(d), Link::Probe(Some(id))) = (deferred, link) {
                        if !firsts.contains_key(&id) {
                            let dir = d.dir.as_deref().map(AsFd::as_fd);
                            hash_into(
                                &mut record,
                                &d.path,
                                dir,
                                Some(&d.seen),
                                opts,
                                &mut buf,
                                progress,
                                false,
                            );
                        }
                    }
                    if let Link::First(id) | Link::Of(id) | Link::Probe(Some(id)) = link {
                        settle_link(&mut firsts, id, &mut record);
                    }
                    tally(&mut summary, &record);
                    progress.record_done(&record);
                    if let Err(e) = out(record) {
                        failure = Some(e);
                        abort.store(true, Ordering::Relaxed);
                        break 'recv;
                    }
                }
                let _ = token_tx.try_send(());
            }
        }
        // Dropping these unblocks the walker and workers if we stopped early.
        drop(token_tx);
        drop(res_rx);
        match failure {
            Some(e) => Err(HashError::Output(e)),
            None => Ok(summary),
        }
    })
}

/// Makes `record`, a path of the multiply-linked inode `id`, the first
/// path of it (remembering its digests, none if it could not be read) or
/// a repeat of the first: `hardlink_of` it, with its digests, and nothing
/// of a read of its own (a repeat is not evidence of anything more).
fn settle_link(firsts: &mut HashMap<DevIno, (PathRef, Digests)>, id: DevIno, record: &mut Record) {
    match firsts.get(&id) {
        Some((first, digests)) => {
            record.hardlink_of = Some(first.clone());
            record.digests = digests.clone();
            record.error = None;
            record.changed_during_read = false;
        }
        None => {
            let digests = match record.error {
                None => record.digests.clone(),
                Some(_) => Digests::default(),
            };
            firsts.insert(id, (record.path_ref(), digests));
        }
    }
}

fn tally(s: &mut Summary, r: &Record) {
    match r.kind {
        FileKind::File => {
            s.files += 1;
            if r.hardlink_of.is_some() {
                s.hardlinks += 1;
            } else if r.error.is_none() {
                s.bytes += r.size.unwrap_or(0);
            }
        }
        FileKind::Dir => s.dirs += 1,
        FileKind::Symlink => s.symlinks += 1,
        _ => s.special += 1,
    }
    s.errors += u64::from(r.error.is_some());
    s.skipped += u64::from(r.skipped.is_some());
    s.changed_during_read += u64::from(r.changed_during_read);
}

/// What the workers share: the units the walker sends, and the unit being
/// shared out item by item. A unit is handed over whole (one message, one
/// wake-up) but its items go to whichever worker is free, so a run of big
/// files whose sizes the walk did not look up is spread over every worker.
struct Queue {
    units: mpsc::Receiver<Unit>,
    current: Option<Sharing>,
}

struct Sharing {
    items: std::iter::Enumerate<std::vec::IntoIter<Item>>,
    out: Arc<Collect>,
}

/// A unit's finished items, by position, and how many are still out.
struct Collect {
    no: u64,
    slots: Mutex<(Vec<Option<Done>>, usize)>,
}

/// The next item to process, its position and its unit; `None` once the
/// walker is done (or gone).
fn claim(queue: &Mutex<Queue>) -> Option<(usize, Item, Arc<Collect>)> {
    let mut q = queue.lock().ok()?;
    if q.current.is_none() {
        let Unit { no, items } = q.units.recv().ok()?;
        let n = items.len();
        q.current = Some(Sharing {
            items: items.into_iter().enumerate(),
            out: Arc::new(Collect {
                no,
                slots: Mutex::new(((0..n).map(|_| None).collect(), n)),
            }),
        });
    }
    let cur = q.current.as_mut()?;
    let (i, item) = cur.items.next()?;
    let out = Arc::clone(&cur.out);
    if cur.items.len() == 0 {
        q.current = None;
    }
    Some((i, item, out))
}

fn worker(
    opts: &HashOptions,
    queue: &Mutex<Queue>,
    results: &mpsc::Sender<(u64, Vec<Done>)>,
    progress: &dyn Progress,
    abort: &AtomicBool,
) {
    let mut buf = Vec::new();
    while let Some((i, item, out)) = claim(queue) {
        let done = match item {
            Item::Ready(d) => d,
            Item::Hash {
                mut record,
                path,
                dir,
                mut link,
                listed,
            } => {
                let mut deferred = None;
                if abort.load(Ordering::Relaxed) {
                    if let Some(listed) = &listed {
                        record.set_metadata(listed);
                    }
                } else {
                    let probe = matches!(link, Link::Probe(_));
                    let fd = dir.as_deref().map(AsFd::as_fd);
                    match hash_into(
                        &mut record,
                        &path,
                        fd,
                        listed.as_ref(),
                        opts,
                        &mut buf,
                        progress,
                        probe,
                    ) {
                        Opened::Linked(seen) => {
                            link = Link::Probe(Some((seen.dev, seen.ino)));
                            deferred = Some(Deferred { path, dir, seen });
                        }
                        Opened::Read | Opened::Failed => {}
                    }
                }
                Done {
                    record,
                    link,
                    deferred,
                }
            }
        };
        let full = {
            let Ok(mut slots) = out.slots.lock() else {
                return;
            };
            slots.0[i] = Some(done);
            slots.1 -= 1;
            (slots.1 == 0).then(|| std::mem::take(&mut slots.0))
        };
        if let Some(done) = full {
            // Every slot was filled: the count reached zero.
            let done = done.into_iter().flatten().collect();
            if results.send((out.no, done)).is_err() {
                return;
            }
        }
    }
}

/// What [`hash_into`] did.
enum Opened {
    /// Read (or failed while reading: the record holds the error).
    Read,
    /// Not opened: the record holds the error.
    Failed,
    /// Opened and found to have other hard links, not read (asked with
    /// `stop_if_linked`); its fstat.
    Linked(Meta),
}

/// Reads one regular file into its record: digests, fstat metadata (what
/// was actually read), change detection, or the error. With
/// `stop_if_linked`, a file whose fstat shows other hard links is not read
/// (see [`Deferred`]).
#[allow(clippy::too_many_arguments)]
fn hash_into(
    record: &mut Record,
    path: &Path,
    dir: Option<BorrowedFd<'_>>,
    listed: Option<&Meta>,
    opts: &HashOptions,
    buf: &mut Vec<u8>,
    progress: &dyn Progress,
    stop_if_linked: bool,
) -> Opened {
    let follow = opts.follow_symlinks || record.path == ".";
    let (mut file, before) = match open_regular_in(dir, path, follow) {
        Ok(x) => x,
        Err(e) => {
            // What is there, as the walk saw it or as it is now.
            let seen = listed.copied().or_else(|| {
                let (dir, name) = in_dir(dir, path);
                found(stat(dir, name, false))
            });
            if let Some(m) = &seen {
                record.set_metadata(m);
            }
            record.error = Some(error_text(&e));
            return Opened::Failed;
        }
    };
    let read = Meta::from(&before);
    // Replaced between the walk's lstat and our open: record what we read.
    let swapped = listed.is_some_and(|l| (l.dev, l.ino) != (read.dev, read.ino));
    record.set_metadata(&read);
    if stop_if_linked && read.nlink > 1 {
        return Opened::Linked(read);
    }
    match hash_open_file(&mut file, &before, &opts.algorithms, buf, progress) {
        Ok(h) => {
            record.digests = h.digests;
            record.changed_during_read = h.changed || swapped;
        }
        Err(e) => record.error = Some(e.to_string()),
    }
    Opened::Read
}

/// The metadata a lookup found, if any.
fn found(s: Stat) -> Option<Meta> {
    match s {
        Stat::Found { meta, .. } => Some(meta),
        Stat::Failed { lstat, .. } => lstat,
    }
}

/// The message stored in a record: the OS message without the path, which
/// the record already holds.
fn error_text(e: &HashError) -> String {
    match e {
        HashError::Io { source, .. } => source.to_string(),
        HashError::NotRegularFile { kind, .. } => {
            format!("not a regular file when opened ({kind})")
        }
        other => other.to_string(),
    }
}

struct Frame {
    path: PathBuf,
    rel: Vec<u8>,
    id: DevIno,
    names: Vec<Entry>,
    next: usize,
    /// The folder, open, while it is listed and its files are read: its
    /// entries are looked up and opened by name in it (`statat`,
    /// `openat`), one path component for the kernel instead of every
    /// component again, which on trees of small files costs as much as
    /// the hashing. Only the [`HELD_DIRS`] shallowest folders of the walk
    /// keep theirs, so a hostile depth cannot exhaust descriptors; deeper
    /// ones are looked up by whole path, as every object once was.
    dir: Option<Arc<OwnedFd>>,
}

/// A folder entry's name, and whether the listing said "regular file".
type Entry = (Vec<u8>, bool);

/// Folders of the current walk path kept open, at most.
const HELD_DIRS: usize = 64;

/// Sent by the walker when the sink has stopped.
struct Stop;

struct Walker<'a> {
    opts: &'a HashOptions,
    excluded: HashSet<DevIno>,
    /// Look up every regular file before it is read (see `hash_tree`).
    stat_files: bool,
    /// Multiply-linked inodes the walk has looked up, so that later paths
    /// of them are not read; only inodes with nlink > 1 are kept, so this
    /// stays small on ordinary trees. The sink names the first path.
    links: HashSet<DevIno>,
    /// The unit being filled, its file bytes, and its number.
    unit: Vec<Item>,
    unit_bytes: u64,
    unit_no: u64,
    jobs: mpsc::SyncSender<Unit>,
    results: mpsc::Sender<(u64, Vec<Done>)>,
    tokens: mpsc::Receiver<()>,
    abort: &'a AtomicBool,
}

impl Walker<'_> {
    fn run(&mut self, roots: &[PathBuf]) {
        for (i, root) in roots.iter().enumerate() {
            let ri = u32::try_from(i).unwrap_or(u32::MAX);
            if self.walk_root(ri, root).is_err() {
                return;
            }
        }
        let _ = self.flush();
    }

    /// Hands the current unit on: to a worker if it holds files to read,
    /// else straight to the sink. Waits for a window token first.
    fn flush(&mut self) -> Result<(), Stop> {
        if self.unit.is_empty() {
            return Ok(());
        }
        if self.abort.load(Ordering::Relaxed) || self.tokens.recv().is_err() {
            return Err(Stop);
        }
        let items = std::mem::take(&mut self.unit);
        let no = self.unit_no;
        self.unit_no += 1;
        self.unit_bytes = 0;
        if items.iter().any(|i| matches!(i, Item::Hash { .. })) {
            self.jobs.send(Unit { no, items }).map_err(|_| Stop)
        } else {
            let done = items
                .into_iter()
                .filter_map(|i| match i {
                    Item::Ready(d) => Some(d),
                    Item::Hash { .. } => None,
                })
                .collect();
            self.results.send((no, done)).map_err(|_| Stop)
        }
    }

    fn push(&mut self, item: Item) -> Result<(), Stop> {
        if let Item::Hash { listed, .. } = &item {
            self.unit_bytes += listed.map_or(0, |m| m.size);
        }
        self.unit.push(item);
        if self.unit.len() >= UNIT_ITEMS || self.unit_bytes >= UNIT_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn ready(&mut self, record: Record, link: Link) -> Result<(), Stop> {
        self.push(Item::Ready(Done {
            record,
            link,
            deferred: None,
        }))
    }

    fn walk_root(&mut self, ri: u32, root: &Path) -> Result<(), Stop> {
        // Roots are followed (the user named them); a dangling one is
        // recorded as what lstat sees, with the error.
        let meta = stat(None, root, true);
        let mut stack: Vec<Frame> = Vec::new();
        if let Some(f) = self.visit(ri, root.to_path_buf(), b".".to_vec(), meta, &stack)? {
            stack.push(f);
        }
        while let Some(top) = stack.last_mut() {
            if top.next == top.names.len() {
                stack.pop();
                continue;
            }
            let (name, regular) = std::mem::take(&mut top.names[top.next]);
            top.next += 1;
            let path = top.path.join(OsStr::from_bytes(&name));
            let follow = self.opts.follow_symlinks;
            let meta = match &top.dir {
                _ if regular && !self.stat_files => None,
                Some(dir) => Some(stat(
                    Some(dir.as_fd()),
                    Path::new(OsStr::from_bytes(&name)),
                    follow,
                )),
                None => Some(stat(None, &path, follow)),
            };
            let rel = if top.rel == b"." {
                name
            } else {
                let mut r = Vec::with_capacity(top.rel.len() + 1 + name.len());
                r.extend_from_slice(&top.rel);
                r.push(b'/');
                r.extend_from_slice(&name);
                r
            };
            let Some(meta) = meta else {
                // A regular file by its listing: read it without an lstat
                // first; the worker's fstat gives its metadata.
                self.push(Item::Hash {
                    record: Record::new(ri, &rel, FileKind::File),
                    path,
                    dir: top_dir(&stack),
                    link: Link::Probe(None),
                    listed: None,
                })?;
                continue;
            };
            if let Some(f) = self.visit(ri, path, rel, meta, &stack)? {
                stack.push(f);
            }
        }
        Ok(())
    }

    /// Records one object; returns a frame if it is a directory to descend.
    fn visit(
        &mut self,
        ri: u32,
        path: PathBuf,
        rel: Vec<u8>,
        meta: Stat,
        stack: &[Frame],
    ) -> Result<Option<Frame>, Stop> {
        let (m, followed) = match meta {
            Stat::Found { meta, target } => (meta, target),
            Stat::Failed {
                lstat: lm,
                error: e,
            } => {
                let mut r = match &lm {
                    Some(lm) => Record::from_metadata(ri, &rel, lm),
                    None => Record::new(ri, &rel, FileKind::Other),
                };
                if r.kind == FileKind::Symlink {
                    if let Ok(t) = fs::read_link(&path) {
                        r.set_target(t.as_os_str());
                    }
                }
                r.error = Some(e.to_string());
                self.ready(r, Link::None)?;
                return Ok(None);
            }
        };
        let id = (m.dev, m.ino);
        let mut r = Record::new(ri, &rel, m.kind);
        let to_read = r.kind == FileKind::File
            && !self.excluded.contains(&id)
            && !(m.nlink > 1 && self.links.contains(&id));
        if !to_read {
            r.set_metadata(&m);
        }
        if let Some(t) = followed {
            r.set_target(t.as_os_str());
        }
        if self.excluded.contains(&id) {
            r.skipped = Some("excluded".to_string());
            self.ready(r, Link::None)?;
            return Ok(None);
        }
        match r.kind {
            FileKind::File => {
                let mut link = Link::None;
                if m.nlink > 1 {
                    if !self.links.insert(id) {
                        // `hardlink_of` is filled in by the sink.
                        self.ready(r, Link::Of(id))?;
                        return Ok(None);
                    }
                    link = Link::First(id);
                }
                self.push(Item::Hash {
                    record: r,
                    path,
                    dir: top_dir(stack),
                    link,
                    listed: Some(m),
                })?;
                Ok(None)
            }
            FileKind::Symlink => {
                match fs::read_link(&path) {
                    Ok(t) => r.set_target(t.as_os_str()),
                    Err(e) => r.error = Some(e.to_string()),
                }
                self.ready(r, Link::None)?;
                Ok(None)
            }
            FileKind::Dir => {
                let is_root = stack.is_empty();
                if !self.opts.recursive {
                    self.ready(r, Link::None)?;
                    return Ok(None);
                }
                if let Some(anc) = stack.iter().find(|f| f.id == id) {
                    r.error = Some(format!(
                        "filesystem loop: same directory as {:?}, not descended",
                        String::from_utf8_lossy(&anc.rel)
                    ));
                    self.ready(r, Link::None)?;
                    return Ok(None);
                }
                let follow = self.opts.follow_symlinks || is_root;
                let parent = stack.last().and_then(|f| f.dir.as_deref());
                let frame = match list_dir_in(parent.map(AsFd::as_fd), &path, follow) {
                    Ok((dir, names)) => Some(Frame {
                        dir: (stack.len() < HELD_DIRS).then(|| Arc::new(dir)),
                        path,
                        rel,
                        id,
                        names,
                        next: 0,
                    }),
                    Err(e) => {
                        r.error = Some(e.to_string());
                        None
                    }
                };
                self.ready(r, Link::None)?;
                Ok(frame)
            }
            // FIFOs, sockets, devices: recorded, never opened.
            _ => {
                self.ready(r, Link::None)?;
                Ok(None)
            }
        }
    }
}

/// The open folder of the innermost frame, if it holds one.
fn top_dir(stack: &[Frame]) -> Option<Arc<OwnedFd>> {
    stack.last().and_then(|f| f.dir.clone())
}

/// Outcome of looking at a path before recording it.
enum Stat {
    /// `target` is set when the path is a symlink that was followed.
    Found { meta: Meta, target: Option<PathBuf> },
    /// The lookup failed; `lstat` is what is there when following failed
    /// (a dangling link, a link loop), if anything.
    Failed {
        lstat: Option<Meta>,
        error: io::Error,
    },
}

/// lstat, and when following and the path is a symlink, stat too. When
/// following fails (dangling link, link loop) the lstat result is kept so
/// the record still shows what is there. With `dir`, `name` is looked up
/// in that open folder; without, `name` is a whole path.
fn stat(dir: Option<BorrowedFd<'_>>, name: &Path, follow: bool) -> Stat {
    use rustix::fs::{readlinkat, statat, AtFlags, CWD};
    let at = dir.unwrap_or(CWD);
    let lm = match statat(at, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(m) => Meta::from(&m),
        Err(e) => {
            return Stat::Failed {
                lstat: None,
                error: e.into(),
            }
        }
    };
    if !(follow && lm.kind == FileKind::Symlink) {
        return Stat::Found {
            meta: lm,
            target: None,
        };
    }
    match statat(at, name, AtFlags::empty()) {
        Ok(meta) => Stat::Found {
            meta: Meta::from(&meta),
            target: readlinkat(at, name, Vec::new())
                .ok()
                .map(|t| PathBuf::from(OsStr::from_bytes(t.as_bytes()))),
        },
        Err(e) => Stat::Failed {
            lstat: Some(lm),
            error: e.into(),
        },
    }
}

/// Names in a directory, sorted by raw bytes. The directory is opened
/// with O_NOATIME like any evidence, so listing it leaves its atime alone
/// (std's `read_dir` cannot pass that flag; rustix reads the entries from
/// our descriptor).
fn list_dir(path: &Path, follow: bool) -> io::Result<Vec<Vec<u8>>> {
    list_dir_in(None, path, follow).map(|(_, names)| names.into_iter().map(|(n, _)| n).collect())
}

/// [`list_dir`] of `path`'s last name in the open folder `dir`, if given;
/// also returns the folder, open.
fn list_dir_in(
    dir: Option<BorrowedFd<'_>>,
    path: &Path,
    follow: bool,
) -> io::Result<(OwnedFd, Vec<Entry>)> {
    let (dir, name) = in_dir(dir, path);
    let f = OwnedFd::from(open_evidence_in(dir, name, follow, true)?);
    let listing = rustix::fs::Dir::read_from(&f).map_err(io::Error::from)?;
    let mut names = Vec::new();
    for entry in listing {
        let entry = entry.map_err(io::Error::from)?;
        let name = entry.file_name().to_bytes();
        if name != b"." && name != b".." {
            let regular = entry.file_type() == rustix::fs::FileType::RegularFile;
            names.push((name.to_vec(), regular));
        }
    }
    names.sort_unstable();
    Ok((f, names))
}

/// What a tree holds, for a progress bar's total and ETA.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Regular files, each path counted.
    pub files: u64,
    /// Bytes that [`hash_tree`] will read (hard-linked inodes once).
    pub bytes: u64,
}

/// Counts what [`hash_tree`] would read under `roots`, with the same
/// rules (roots followed, symlinks per `opts`, exclusions, O_NOATIME
/// listings) but without opening any file. Meant to run on a side thread
/// while hashing starts; it costs one extra lstat per object. Returns
/// early, with partial counts, once `cancel` is set.
pub fn scan_totals(roots: &[PathBuf], opts: &HashOptions, cancel: &AtomicBool) -> Totals {
    let excluded: HashSet<DevIno> = opts
        .exclude
        .iter()
        .filter_map(|p| fs::metadata(p).ok())
        .map(|m| (m.dev(), m.ino()))
        .collect();
    let mut seen_links: HashSet<DevIno> = HashSet::new();
    let mut seen_dirs: HashSet<DevIno> = HashSet::new();
    let mut t = Totals::default();
    let mut stack: Vec<(PathBuf, bool)> = roots.iter().rev().map(|r| (r.clone(), true)).collect();
    while let Some((path, is_root)) = stack.pop() {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        let m = if is_root || opts.follow_symlinks {
            fs::metadata(&path)
        } else {
            fs::symlink_metadata(&path)
        };
        let Ok(m) = m else { continue };
        let id = (m.dev(), m.ino());
        if excluded.contains(&id) {
            continue;
        }
        if m.is_file() {
            t.files += 1;
            if m.nlink() < 2 || seen_links.insert(id) {
                t.bytes += m.len();
            }
        } else if m.is_dir() && opts.recursive {
            if !seen_dirs.insert(id) {
                continue;
            }
            if let Ok(names) = list_dir(&path, opts.follow_symlinks || is_root) {
                stack.extend(
                    names
                        .into_iter()
                        .rev()
                        .map(|n| (path.join(OsStr::from_bytes(&n)), false)),
                );
            }
        }
    }
    t
}
