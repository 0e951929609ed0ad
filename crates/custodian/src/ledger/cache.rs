//! The verified-state record: what lets an append skip re-verifying a
//! ledger that this user's custodian verified, or wrote, last.
//!
//! A writer must never extend a ledger that does not verify, and verifying
//! costs O(ledger): about 1.7 s at 100,000 entries. So after a writer has
//! verified a ledger (or appended to it), it records, outside the case
//! folder, the file's identity (device, inode, size, modification and
//! change times), the head entry (seq and hash) and the replayed case
//! state, authenticated with an HMAC-SHA256 whose key lives beside the
//! records. The next writer that finds the ledger with exactly that
//! identity, and whose last line still hashes to the recorded head, starts
//! from the recorded state instead of replaying everything. Anything else
//! (another size, another time, another inode, a record that does not
//! authenticate, another custodian binary, a coarse-timestamp file system)
//! is a miss, and the writer verifies the whole ledger as before.
//!
//! The record is a cache, never evidence: `verify`, reports and packages
//! never read it. What an append no longer detects by itself is written in
//! docs/engineering/threat-model.md: an in-place rewrite of the ledger's
//! prefix that also restores its size and both times (the change time can
//! only be set back by changing the clock: root), or a forged record (needs
//! the key, readable only by this user). `verify` checks everything, always.
//!
//! Where: `$CUSTODIAN_STATE_DIR`, else `$XDG_STATE_HOME/custodian`, else
//! `~/.local/state/custodian`. `CUSTODIAN_NO_CACHE=1` turns it off. A state
//! folder that cannot be used turns it off too, silently: the cache only
//! ever saves time.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::state::CaseState;
use super::{entry_hash, EntryHash};

/// The record layout this build reads and writes; another is a miss.
const RECORD_VERSION: u32 = 1;

/// What identifies the bytes of a file without reading them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FileId {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl FileId {
    pub(crate) fn of(m: &Metadata) -> FileId {
        FileId {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        }
    }

    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// A file system that keeps whole seconds cannot tell two writes in
    /// the same second apart: its files are never recorded.
    fn fine_grained(&self) -> bool {
        self.mtime.1 != 0 || self.ctime.1 != 0
    }
}

/// A ledger as a writer left it.
#[derive(Serialize, Deserialize)]
struct Record {
    version: u32,
    /// The custodian binary that replayed the state (its SHA-256): another
    /// build may replay differently.
    tool: String,
    file: FileId,
    seq: u64,
    head: EntryHash,
    state: CaseState,
}

/// A recorded state that matches the ledger as it is now.
pub(crate) struct Hit {
    pub state: CaseState,
    pub seq: u64,
    pub head: EntryHash,
}

/// The open record store of this user.
pub(crate) struct Cache {
    dir: &'static Path,
    key: &'static [u8; 32],
    tool: String,
}

/// The store's folder and key, found once per process.
fn store() -> Option<&'static (PathBuf, [u8; 32])> {
    static STORE: std::sync::OnceLock<Option<(PathBuf, [u8; 32])>> = std::sync::OnceLock::new();
    STORE
        .get_or_init(|| {
            if std::env::var_os("CUSTODIAN_NO_CACHE").is_some_and(|v| !v.is_empty() && v != "0") {
                return None;
            }
            let dir = state_dir()?.join("verified");
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .ok()?;
            let key = load_key(&dir.join("key"))?;
            Some((dir, key))
        })
        .as_ref()
}

fn mac_with(key: &[u8; 32], bytes: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(b"custodian verified-state record\0");
    mac.update(bytes);
    mac
}

/// Writes `tag` and `body` to `path` through a temporary file and a rename.
fn write_tagged(path: &Path, tag: &str, body: &[u8]) {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let written = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| {
            f.write_all(tag.as_bytes())?;
            f.write_all(b"\n")?;
            f.write_all(body)
        })
        .and_then(|_| fs::rename(&tmp, path));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
}

/// Reads a tagged file, returning its body if the tag authenticates it.
fn read_tagged(key: &[u8; 32], path: &Path) -> Option<Vec<u8>> {
    let mut bytes = fs::read(path).ok()?;
    let newline = bytes.iter().position(|&b| b == b'\n')?;
    let tag = hex::decode(&bytes[..newline]).ok()?;
    let body = bytes.split_off(newline + 1);
    mac_with(key, &body).verify_slice(&tag).ok()?;
    Some(body)
}

/// The SHA-256 of the executable at `exe` (hex), from the store when the
/// file is exactly as when it was last hashed, else hashed now and
/// recorded. Every entry names the binary that wrote it; hashing a 30 MB
/// binary at every start would cost more than the append itself.
pub(crate) fn exe_sha256(exe: &Path) -> Option<String> {
    #[derive(Serialize, Deserialize)]
    struct ExeRecord {
        file: FileId,
        sha256: String,
    }
    let hash_now = || -> Option<String> {
        let mut f = File::open(exe).ok()?;
        let mut h = Sha256::new();
        std::io::copy(&mut f, &mut h).ok()?;
        Some(hex::encode(h.finalize()))
    };
    let Some((dir, key)) = store() else {
        return hash_now();
    };
    let file = FileId::of(&fs::metadata(exe).ok()?);
    let name = hex::encode(Sha256::digest(exe.as_os_str().as_encoded_bytes()));
    let path = dir.join(format!("exe-{name}.json"));
    let recorded = read_tagged(key, &path)
        .and_then(|body| serde_json::from_slice::<ExeRecord>(&body).ok())
        .filter(|r| r.file == file && file.fine_grained());
    if let Some(r) = recorded {
        return Some(r.sha256);
    }
    let sha256 = hash_now()?;
    if file.fine_grained() {
        if let Ok(body) = serde_json::to_vec(&ExeRecord {
            file,
            sha256: sha256.clone(),
        }) {
            let tag = hex::encode(mac_with(key, &body).finalize().into_bytes());
            write_tagged(&path, &tag, &body);
        }
    }
    Some(sha256)
}

impl Cache {
    /// The store, or `None` when it is turned off or cannot be used.
    pub(crate) fn open() -> Option<Cache> {
        let (dir, key) = store()?;
        let tool = super::entry::current_tool().exe_sha256?;
        Some(Cache { dir, key, tool })
    }

    fn record_path(&self, ledger: &Path) -> Option<PathBuf> {
        let canonical = fs::canonicalize(ledger).ok()?;
        let name = hex::encode(Sha256::digest(canonical.as_os_str().as_encoded_bytes()));
        Some(self.dir.join(format!("{name}.json")))
    }

    /// The recorded state of `ledger`, if the record authenticates, was
    /// written by this binary, and names exactly the file `file` is, and
    /// the file's last line (read through `f`) still hashes to its head.
    pub(crate) fn load(&self, ledger: &Path, f: &mut File, file: &FileId) -> Option<Hit> {
        if !file.fine_grained() {
            return None;
        }
        let body = read_tagged(self.key, &self.record_path(ledger)?)?;
        let r: Record = serde_json::from_slice(&body).ok()?;
        if r.version != RECORD_VERSION || r.tool != self.tool || r.file != *file {
            return None;
        }
        if last_line_hash(f, file.size)? != r.head {
            return None;
        }
        Some(Hit {
            state: r.state,
            seq: r.seq,
            head: r.head,
        })
    }

    /// Records that `ledger`, as `file`, verified with `state` after entry
    /// `seq` of hash `head`. Failing to record is not an error: the next
    /// writer verifies the whole ledger.
    pub(crate) fn store(
        &self,
        ledger: &Path,
        file: &FileId,
        seq: u64,
        head: EntryHash,
        state: &CaseState,
    ) {
        if !file.fine_grained() {
            return;
        }
        let Some(path) = self.record_path(ledger) else {
            return;
        };
        let record = Record {
            version: RECORD_VERSION,
            tool: self.tool.clone(),
            file: *file,
            seq,
            head,
            state: state.clone(),
        };
        let Ok(body) = serde_json::to_vec(&record) else {
            return;
        };
        let tag = hex::encode(mac_with(self.key, &body).finalize().into_bytes());
        write_tagged(&path, &tag, &body);
    }
}

/// `$CUSTODIAN_STATE_DIR`, `$XDG_STATE_HOME/custodian` or
/// `~/.local/state/custodian`.
fn state_dir() -> Option<PathBuf> {
    let nonempty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(d) = nonempty("CUSTODIAN_STATE_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = nonempty("XDG_STATE_HOME") {
        return Some(PathBuf::from(d).join("custodian"));
    }
    nonempty("HOME").map(|h| PathBuf::from(h).join(".local/state/custodian"))
}

/// The store's key: 32 random bytes, made once, readable by this user only.
fn load_key(path: &Path) -> Option<[u8; 32]> {
    let mut key = [0u8; 32];
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(mut f) => {
            getrandom::getrandom(&mut key).ok()?;
            f.write_all(&key).and_then(|_| f.sync_all()).ok()?;
            Some(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let mut f = File::open(path).ok()?;
            if f.metadata().ok()?.mode() & 0o077 != 0 {
                return None;
            }
            f.read_exact(&mut key).ok()?;
            Some(key)
        }
        Err(_) => None,
    }
}

/// The entry hash of the last line of the first `len` bytes of `f` (which
/// end with a newline), read backwards in blocks; `None` if they do not.
fn last_line_hash(f: &mut File, len: u64) -> Option<EntryHash> {
    const BLOCK: u64 = 64 * 1024;
    if len < 2 {
        return None;
    }
    let mut tail: Vec<u8> = Vec::new();
    let mut end = len;
    loop {
        let start = end.saturating_sub(BLOCK);
        let mut block = vec![0u8; (end - start) as usize];
        f.seek(SeekFrom::Start(start)).ok()?;
        f.read_exact(&mut block).ok()?;
        block.extend_from_slice(&tail);
        tail = block;
        if tail.last() != Some(&b'\n') {
            return None;
        }
        let body = &tail[..tail.len() - 1];
        if let Some(i) = body.iter().rposition(|&b| b == b'\n') {
            return Some(entry_hash(&body[i + 1..]));
        }
        if start == 0 {
            return Some(entry_hash(body));
        }
        end = start;
    }
}
