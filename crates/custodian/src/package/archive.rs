//! A package's files: what a builder writes (small files in memory, the
//! shared manifests streamed from the home case) and what a reader finds
//! (small members in memory, large ones only hashed), as a directory or a
//! tar archive. Memory stays bounded whatever the size of the manifests
//! (docs/engineering/performance.md, "Packages").

use std::collections::BTreeMap;
use std::io::{BufReader, Read, Seek, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::stream::{Tally, CHUNK};
use super::{
    io_err, member_limit, FileRef, PackageError, ENTRIES_FILE, INDEX_FILE, LAYOUT_DIRS,
    SIGNATURE_FILE,
};
use crate::ledger::ExhibitId;

/// Members a reader keeps in memory: those verification reads whole
/// (index, signature, checkpoint, proofs, signers, README: each bounded
/// by its member limit, at most this) and the disclosed ledger lines.
/// Anything else (manifests, unknown members) is only hashed on the way.
const HELD_LIMIT: u64 = 64 << 20;

fn held(rel: &str) -> bool {
    rel == ENTRIES_FILE || member_limit(rel) <= HELD_LIMIT
}

/// True for `manifests/*.jsonl`, whose form a reader checks as it hashes.
fn is_manifest(rel: &str) -> bool {
    rel.starts_with("manifests/") && rel.ends_with(".jsonl")
}

// ---------------------------------------------------------------------------
// Building: what a package is written from.

/// A shared manifest as a package gives it: streamed from the home case's
/// file, or, redacted, from a private spool of its redaction. Its SHA-256
/// and size as shared are measured by the first read (`SharedFile::prepare`:
/// they are in the disclosure entry and the index before the package is
/// written); writing checks the bytes written are those.
#[derive(Debug, Clone)]
pub struct SharedFile {
    pub exhibit: ExhibitId,
    /// The manifest in the home case.
    pub path: PathBuf,
    /// The redacted manifest, written once by the first read to an
    /// unnamed temporary file (mode 0600, gone when closed): redacting is
    /// CPU-bound and costs more than reading it back. None: the file at
    /// `path` is shared as it is.
    spool: Option<Arc<std::fs::File>>,
    /// Lowercase hex SHA-256 and size of the bytes as shared.
    pub sha256: String,
    pub bytes: u64,
}

impl SharedFile {
    /// Reads the manifest of `exhibit` at `path` once: `None` when its
    /// SHA-256 is not what `recorded` accepts (checked before any problem
    /// in its content is reported), else the file as it will be shared,
    /// with its SHA-256 and size: the manifest itself, or with `salt` its
    /// redaction ([`super::redact::Redacting`]), spooled.
    pub(super) fn prepare(
        exhibit: &ExhibitId,
        path: &Path,
        salt: Option<&[u8; super::redact::SALT_BYTES]>,
        recorded: impl FnOnce(&str) -> bool,
    ) -> Result<Option<SharedFile>, PackageError> {
        let f = crate::fsutil::open_regular(path, false).map_err(io_err(path))?;
        let mut orig = Tally::new(f);
        let redacted = salt.map(|s| redact_to_spool(&mut orig, s, path));
        if let Some(e) = orig.take_error() {
            return Err(io_err(path)(e));
        }
        orig.drain().map_err(io_err(path))?;
        let (sha256, bytes) = orig.finish();
        if !recorded(&sha256) {
            return Ok(None);
        }
        let (spool, sha256, bytes) = match redacted {
            Some(r) => {
                let (spool, (sha, n)) = r?;
                (Some(Arc::new(spool)), sha, n)
            }
            None => (None, sha256, bytes),
        };
        Ok(Some(SharedFile {
            exhibit: exhibit.clone(),
            path: path.to_path_buf(),
            spool,
            sha256,
            bytes,
        }))
    }

    /// A fresh reader of the bytes as shared.
    pub(super) fn open(&self) -> Result<Box<dyn Read + '_>, PackageError> {
        if let Some(spool) = &self.spool {
            let mut f: &std::fs::File = spool;
            let spooled = std::env::temp_dir();
            f.seek(std::io::SeekFrom::Start(0))
                .map_err(io_err(&spooled))?;
            return Ok(Box::new(BufReader::with_capacity(CHUNK, f)));
        }
        let f = crate::fsutil::open_regular(&self.path, false).map_err(io_err(&self.path))?;
        Ok(Box::new(BufReader::with_capacity(CHUNK, f)))
    }
}

/// Redacts the manifest read from `src` (the file `path`) into a new
/// spool; returns it with the SHA-256 and size of the redaction.
fn redact_to_spool(
    src: impl Read,
    salt: &[u8],
    path: &Path,
) -> Result<(std::fs::File, (String, u64)), PackageError> {
    let input = BufReader::with_capacity(CHUNK, src);
    let mut redacted = Tally::new(super::redact::Redacting::new(input, salt, path)?);
    let spool = new_spool()?;
    let mut w = std::io::BufWriter::with_capacity(CHUNK, &spool);
    if let Err(e) = std::io::copy(&mut redacted, &mut w).and_then(|_| w.flush()) {
        return Err(match redacted.take_error() {
            Some(_) => super::redact::redaction_error(e, path),
            None => io_err(&std::env::temp_dir())(e),
        });
    }
    drop(w);
    Ok((spool, redacted.finish()))
}

/// An unnamed temporary file (`O_TMPFILE`, mode 0600) in the temporary
/// folder; where the file system has no unnamed files, a new file of a
/// random name, removed at once.
fn new_spool() -> Result<std::fs::File, PackageError> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = std::env::temp_dir();
    let open = |path: &Path, flags: i32| {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .mode(0o600)
            .custom_flags(flags)
            .open(path)
    };
    if let Ok(f) = open(&dir, libc::O_TMPFILE | libc::O_CLOEXEC) {
        return Ok(f);
    }
    use ssh_key::rand_core::RngCore;
    let mut r = [0u8; 8];
    ssh_key::rand_core::OsRng.fill_bytes(&mut r);
    let path = dir.join(format!(".custodian-redacted-{}", hex::encode(r)));
    let f = open(&path, libc::O_EXCL | libc::O_CREAT | libc::O_CLOEXEC).map_err(io_err(&path))?;
    std::fs::remove_file(&path).map_err(io_err(&path))?;
    Ok(f)
}

/// What one file of a package being built is made of.
#[derive(Debug, Clone)]
pub enum Source {
    Bytes(Vec<u8>),
    Manifest(SharedFile),
    /// A stored attachment, given as it is: its SHA-256 and size as
    /// recorded, checked again as it is written.
    Stored {
        path: PathBuf,
        sha256: String,
        bytes: u64,
    },
}

/// The files of a package being built: relative `/`-separated path →
/// what it is made of.
#[derive(Debug, Default, Clone)]
pub struct Contents {
    pub files: BTreeMap<String, Source>,
}

impl Contents {
    pub fn insert(&mut self, path: &str, bytes: Vec<u8>) {
        self.files.insert(path.to_string(), Source::Bytes(bytes));
    }

    pub fn insert_manifest(&mut self, path: &str, m: SharedFile) {
        self.files.insert(path.to_string(), Source::Manifest(m));
    }

    /// A file of the case given as it is (an attachment), streamed when
    /// the package is written.
    pub fn insert_stored(&mut self, path: &str, from: PathBuf, sha256: &str, bytes: u64) {
        self.files.insert(
            path.to_string(),
            Source::Stored {
                path: from,
                sha256: sha256.to_string(),
                bytes,
            },
        );
    }

    /// Every file but the index and its signature, as the index lists them.
    pub fn file_refs(&self) -> Vec<FileRef> {
        self.files
            .iter()
            .filter(|(p, _)| p.as_str() != INDEX_FILE && p.as_str() != SIGNATURE_FILE)
            .map(|(p, s)| match s {
                Source::Bytes(b) => FileRef::of(p, b),
                Source::Manifest(m) => FileRef {
                    path: p.clone(),
                    sha256: m.sha256.clone(),
                    bytes: m.bytes,
                },
                Source::Stored { sha256, bytes, .. } => FileRef {
                    path: p.clone(),
                    sha256: sha256.clone(),
                    bytes: *bytes,
                },
            })
            .collect()
    }
}

/// Streams `m` into `dst` through `put` and checks what was written is
/// what was measured: a manifest that changed since is refused
/// (`ManifestChanged`), an error reading it names it.
/// Streams the stored file `from` into `put`, refusing when its bytes are
/// not those recorded (`sha256`, `bytes`).
fn put_stored(
    from: &Path,
    sha256: &str,
    bytes: u64,
    dst: &Path,
    put: impl FnOnce(&mut dyn Read) -> std::io::Result<()>,
) -> Result<(), PackageError> {
    let f = crate::fsutil::open_regular(from, false).map_err(io_err(from))?;
    let mut src = Tally::new(BufReader::with_capacity(CHUNK, f).take(bytes));
    let result = put(&mut src);
    if let Some(e) = src.take_error() {
        return Err(io_err(from)(e));
    }
    result.map_err(io_err(dst))?;
    let (sha, n) = src.finish();
    if sha != sha256 || n != bytes {
        return Err(PackageError::AttachmentChanged {
            path: from.to_path_buf(),
        });
    }
    Ok(())
}

fn put_manifest(
    m: &SharedFile,
    dst: &Path,
    put: impl FnOnce(&mut dyn Read) -> std::io::Result<()>,
) -> Result<(), PackageError> {
    let mut src = Tally::new(m.open()?.take(m.bytes));
    let result = put(&mut src);
    if let Some(e) = src.take_error() {
        return Err(io_err(&m.path)(e));
    }
    result.map_err(io_err(dst))?;
    let (sha256, bytes) = src.finish();
    if sha256 != m.sha256 || bytes != m.bytes {
        return Err(PackageError::ManifestChanged {
            path: m.path.clone(),
            exhibit: m.exhibit.to_string(),
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Reading: what a verifier finds.

/// Where a member's bytes can be read again.
#[derive(Debug, Clone)]
enum Location {
    Held,
    File(PathBuf),
    Tar {
        archive: PathBuf,
        offset: u64,
    },
    /// In the plaintext of an age-encrypted archive: decrypted again.
    Age {
        archive: PathBuf,
        offset: u64,
        identities: super::encrypt::Identities,
    },
}

/// One member of a package as read: its SHA-256 and size, its bytes when
/// it is small enough to be held (`held`), and where to read it again.
#[derive(Debug, Clone)]
pub struct Member {
    /// Lowercase hex SHA-256 and size of the bytes read.
    pub sha256: String,
    pub bytes: u64,
    data: Option<Vec<u8>>,
    /// For `manifests/*.jsonl`: why it is not a valid manifest, if it is
    /// not (checked while it was hashed).
    pub manifest_problem: Option<String>,
    at: Location,
}

impl Member {
    /// The bytes, for a member held in memory.
    pub fn data(&self) -> Option<&[u8]> {
        self.data.as_deref()
    }

    /// A fresh reader of the member (read again from the package for one
    /// not held). The caller checks [`Member::sha256`] if it must know the
    /// bytes did not change in between.
    pub fn open(&self) -> std::io::Result<Box<dyn Read + '_>> {
        if let Some(d) = &self.data {
            return Ok(Box::new(d.as_slice()));
        }
        Ok(match &self.at {
            Location::Held => Box::new(std::io::empty()),
            Location::File(p) => Box::new(BufReader::with_capacity(
                CHUNK,
                crate::fsutil::open_regular(p, false)?,
            )),
            Location::Tar { archive, offset } => {
                let mut f = std::fs::File::open(archive)?;
                f.seek(std::io::SeekFrom::Start(*offset))?;
                Box::new(BufReader::with_capacity(CHUNK, f).take(self.bytes))
            }
            Location::Age {
                archive,
                offset,
                identities,
            } => {
                let f = BufReader::with_capacity(CHUNK, std::fs::File::open(archive)?);
                let mut r = identities
                    .decrypt(f)
                    .map_err(|e| std::io::Error::other(e.to_string()))?;
                r.seek(std::io::SeekFrom::Start(*offset))?;
                Box::new(r.take(self.bytes))
            }
        })
    }
}

/// The members of a package as read, plus what a reader met that is not a
/// plain file (a verifier reports those).
#[derive(Debug, Default, Clone)]
pub struct PackageFiles {
    pub members: BTreeMap<String, Member>,
    /// (path, why) of symlinks, devices, duplicates, unsafe names.
    pub irregular: Vec<(String, String)>,
    /// For an age-encrypted package: the SHA-256 and size of the whole
    /// ciphertext as read (docs/spec/package.md §9.3).
    pub ciphertext: Option<super::encrypt::Ciphertext>,
}

impl PackageFiles {
    /// The bytes of a held member.
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.members.get(path).and_then(Member::data)
    }

    pub fn member(&self, path: &str) -> Option<&Member> {
        self.members.get(path)
    }

    /// Every member's path, sorted.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.members.keys().map(String::as_str)
    }
}

/// Reads one member from `src` (`size` as its header or metadata says):
/// held members into memory, others hashed on the way, a manifest checked
/// as it passes. An error is the source's (a damaged archive, an
/// unreadable file).
fn read_member(rel: &str, src: impl Read, size: u64, at: Location) -> std::io::Result<Member> {
    let mut t = Tally::new(src);
    let mut data = None;
    let mut manifest_problem = None;
    if held(rel) {
        let mut v = Vec::with_capacity(size.min(1 << 24) as usize);
        t.read_to_end(&mut v)?;
        data = Some(v);
    } else {
        if is_manifest(rel) {
            manifest_problem = manifest_problem_of(&mut t, rel);
            if let Some(e) = t.take_error() {
                return Err(e);
            }
        }
        t.drain()?;
    }
    let (sha256, bytes) = t.finish();
    Ok(Member {
        sha256,
        bytes,
        at: if data.is_some() { Location::Held } else { at },
        data,
        manifest_problem,
    })
}

/// Why the bytes `r` gives are not a valid manifest (read as far as the
/// first problem), or None.
fn manifest_problem_of(r: impl Read, rel: &str) -> Option<String> {
    let reader = BufReader::with_capacity(CHUNK, r);
    crate::hashing::ManifestReader::new(reader, Path::new(rel))
        .and_then(|m| m.into_iter().try_for_each(|r| r.map(drop)))
        .err()
        .map(|e| e.to_string())
}

/// True when `out` names a tar archive (`.tar`, any case).
pub fn is_tar(out: &Path) -> bool {
    out.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tar"))
}

/// Writes the package to `out`: a tar archive if it ends in `.tar`, else a
/// new directory. `out` must not exist. The package is first written
/// under a temporary name next to `out`, fsynced, then renamed, so `out`
/// either holds the whole package or does not exist.
pub fn write_package(out: &Path, files: &Contents) -> Result<(), PackageError> {
    write_atomically(out, |tmp| {
        if is_tar(out) {
            write_tar(tmp, files)
        } else {
            write_dir(tmp, files)
        }
    })
}

/// Writes the package to `out` as the tar archive [`write_package`] would
/// write, encrypted to `recipients` in the age format (docs/spec/package.md
/// §9), streamed: the archive is never whole in memory or on disk in
/// clear. Returns the SHA-256 and size of the age file, measured as it
/// was written.
pub fn write_encrypted(
    out: &Path,
    files: &Contents,
    recipients: &[super::encrypt::Recipient],
) -> Result<super::encrypt::Ciphertext, PackageError> {
    let mut ct = None;
    write_atomically(out, |tmp| {
        let f = new_file(tmp)?;
        let hashing =
            super::encrypt::HashingWriter::new(std::io::BufWriter::with_capacity(CHUNK, f));
        let age = super::encrypt::encrypt_to(recipients, hashing).map_err(io_err(tmp))?;
        let age = tar_into(age, files, tmp)?;
        let hashing = age.finish().map_err(io_err(tmp))?;
        let (w, c) = hashing.finish();
        let f = w.into_inner().map_err(|e| PackageError::Io {
            path: tmp.to_path_buf(),
            source: e.into_error(),
        })?;
        f.sync_all().map_err(io_err(tmp))?;
        ct = Some(c);
        Ok(())
    })?;
    Ok(ct.expect("written"))
}

/// Runs `write(tmp)` for a temporary name next to `out`, then renames it
/// to `out`; `out` must not exist, before or after. On failure nothing is
/// left.
fn write_atomically(
    out: &Path,
    write: impl FnOnce(&Path) -> Result<(), PackageError>,
) -> Result<(), PackageError> {
    if out.symlink_metadata().is_ok() {
        return Err(PackageError::OutputExists {
            path: out.to_path_buf(),
            appeared: false,
        });
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = out
        .file_name()
        .ok_or_else(|| PackageError::NotAFileName {
            path: out.to_path_buf(),
        })?
        .to_string_lossy()
        .into_owned();
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    if let Err(e) = write(&tmp) {
        let _ = std::fs::remove_dir_all(&tmp);
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    if out.symlink_metadata().is_ok() {
        let _ = std::fs::remove_dir_all(&tmp);
        let _ = std::fs::remove_file(&tmp);
        return Err(PackageError::OutputExists {
            path: out.to_path_buf(),
            appeared: true,
        });
    }
    std::fs::rename(&tmp, out).map_err(io_err(out))?;
    if let Ok(d) = std::fs::File::open(&parent) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn write_dir(dir: &Path, files: &Contents) -> Result<(), PackageError> {
    std::fs::create_dir(dir).map_err(io_err(dir))?;
    let mut dirs = std::collections::BTreeSet::new();
    dirs.insert(dir.to_path_buf());
    for (rel, source) in &files.files {
        let path = dir.join(rel);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(io_err(p))?;
            dirs.insert(p.to_path_buf());
        }
        let mut f = std::fs::File::create(&path).map_err(io_err(&path))?;
        match source {
            Source::Bytes(bytes) => f.write_all(bytes).map_err(io_err(&path))?,
            Source::Manifest(m) => put_manifest(m, &path, |src| {
                let mut w = std::io::BufWriter::with_capacity(CHUNK, &mut f);
                std::io::copy(src, &mut w)?;
                w.flush()
            })?,
            Source::Stored {
                path: from,
                sha256,
                bytes,
            } => put_stored(from, sha256, *bytes, &path, |src| {
                let mut w = std::io::BufWriter::with_capacity(CHUNK, &mut f);
                std::io::copy(src, &mut w)?;
                w.flush()
            })?,
        }
        f.sync_all().map_err(io_err(&path))?;
    }
    for d in dirs.iter().rev() {
        std::fs::File::open(d)
            .and_then(|f| f.sync_all())
            .map_err(io_err(d))?;
    }
    Ok(())
}

fn new_file(path: &Path) -> Result<std::fs::File, PackageError> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io_err(path))
}

fn write_tar(path: &Path, files: &Contents) -> Result<(), PackageError> {
    let f = new_file(path)?;
    let w = tar_into(std::io::BufWriter::with_capacity(CHUNK, f), files, path)?;
    let f = w.into_inner().map_err(|e| PackageError::Io {
        path: path.to_path_buf(),
        source: e.into_error(),
    })?;
    f.sync_all().map_err(io_err(path))
}

/// Writes the package's tar archive into `w` (errors name `path`);
/// returns `w` once the archive is finished.
fn tar_into<W: Write>(w: W, files: &Contents, path: &Path) -> Result<W, PackageError> {
    let mtime = chrono::Utc::now().timestamp().max(0) as u64;
    let mut tar = tar::Builder::new(w);
    for (rel, source) in &files.files {
        let mut h = tar::Header::new_ustar();
        h.set_mode(0o644);
        h.set_mtime(mtime);
        h.set_entry_type(tar::EntryType::Regular);
        match source {
            Source::Bytes(bytes) => {
                h.set_size(bytes.len() as u64);
                tar.append_data(&mut h, rel, bytes.as_slice())
                    .map_err(io_err(path))?;
            }
            Source::Manifest(m) => {
                h.set_size(m.bytes);
                put_manifest(m, path, |src| tar.append_data(&mut h, rel, src))?;
            }
            Source::Stored {
                path: from,
                sha256,
                bytes,
            } => {
                h.set_size(*bytes);
                put_stored(from, sha256, *bytes, path, |src| {
                    tar.append_data(&mut h, rel, src)
                })?;
            }
        }
    }
    tar.into_inner().map_err(io_err(path))
}

/// A relative path made only of normal components, `/`-joined, or None.
fn safe_rel(p: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str()?.to_string()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// A member that is too large for its place, as an irregularity.
fn too_large(rel: &str, size: u64) -> Option<(String, String)> {
    let max = member_limit(rel);
    (size > max).then(|| {
        (
            rel.to_string(),
            format!("{size} bytes, more than the {max} bytes this member may have; not read"),
        )
    })
}

/// Reads a package from a directory or a tar archive, in one sequential
/// pass whatever the order of its members. Fails only when `path` cannot
/// be read at all; odd members are listed in `irregular`.
pub fn read_package(path: &Path) -> Result<PackageFiles, PackageError> {
    read_package_with(path, &ReadOptions::default())
}

/// How to read a package besides its path.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Identities to decrypt an age-encrypted package with.
    pub identities: Option<super::encrypt::Identities>,
    /// A new folder (it must not exist) to write every regular member
    /// into as it is read (`verify-package --extract`); only for an
    /// archive, encrypted or not.
    pub extract: Option<PathBuf>,
}

/// Reads a package as [`read_package`] does; an age-encrypted archive is
/// decrypted on the way with `opts.identities`, and every member is also
/// written under `opts.extract` when given. A decryption that fails (no
/// identity matches, the ciphertext is damaged) is an error: nothing read
/// from it can be trusted.
pub fn read_package_with(path: &Path, opts: &ReadOptions) -> Result<PackageFiles, PackageError> {
    let meta = std::fs::metadata(path).map_err(io_err(path))?;
    if meta.is_dir() {
        if opts.extract.is_some() {
            return Err(PackageError::ExtractFolder {
                path: path.to_path_buf(),
            });
        }
        return read_dir(path);
    }
    if let Some(dir) = &opts.extract {
        std::fs::create_dir(dir).map_err(io_err(dir))?;
    }
    let extract = opts.extract.as_deref();
    if !super::encrypt::is_age_file(path).map_err(io_err(path))? {
        let f = std::fs::File::open(path).map_err(io_err(path))?;
        let at = |offset| Location::Tar {
            archive: path.to_path_buf(),
            offset,
        };
        let (out, _) = read_tar(BufReader::with_capacity(CHUNK, f), path, at, extract)?;
        return Ok(out);
    }
    let Some(ids) = &opts.identities else {
        return Err(PackageError::Encrypted {
            path: path.to_path_buf(),
        });
    };
    read_encrypted(path, ids, extract)
}

/// Reads an age-encrypted archive: the ciphertext is hashed as age reads
/// it, the plaintext read as an archive, then read to its end so that age
/// authenticates every chunk, including the last.
fn read_encrypted(
    path: &Path,
    ids: &super::encrypt::Identities,
    extract: Option<&Path>,
) -> Result<PackageFiles, PackageError> {
    use super::encrypt::{CountingReader, Watched};
    let f = std::fs::File::open(path).map_err(io_err(path))?;
    let size = f.metadata().map_err(io_err(path))?.len();
    let counting = CountingReader::new(BufReader::with_capacity(CHUNK, f));
    let tally = counting.tally();
    let damaged = |reason: String| PackageError::Ciphertext {
        path: path.to_path_buf(),
        reason,
    };
    let plain = match ids.decrypt(counting) {
        Ok(r) => r,
        Err(age::DecryptError::NoMatchingKeys) => {
            return Err(PackageError::NotForThisIdentity {
                path: path.to_path_buf(),
                identity: ids.what.clone(),
                stanzas: super::encrypt::stanzas(path),
            })
        }
        Err(e) => return Err(damaged(format!("its age header does not check ({e})"))),
    };
    let watched = Watched {
        inner: plain,
        error: None,
    };
    let at = |offset| Location::Age {
        archive: path.to_path_buf(),
        offset,
        identities: ids.clone(),
    };
    let (mut out, mut watched) = read_tar(watched, path, at, extract)?;
    let rest = std::io::copy(&mut watched, &mut std::io::sink());
    if let Some(e) = watched.error.take() {
        return Err(damaged(format!("its age payload does not check ({e})")));
    }
    rest.map_err(io_err(path))?;
    let ciphertext = tally.finish();
    if ciphertext.bytes != size {
        return Err(damaged(format!(
            "{} byte(s) follow the end of its age payload",
            size.saturating_sub(ciphertext.bytes)
        )));
    }
    out.ciphertext = Some(ciphertext);
    Ok(out)
}

fn read_dir(dir: &Path) -> Result<PackageFiles, PackageError> {
    let mut out = PackageFiles::default();
    for item in walkdir::WalkDir::new(dir).min_depth(1).sort_by_file_name() {
        let item = item.map_err(|e| PackageError::Io {
            path: e.path().unwrap_or(dir).to_path_buf(),
            source: e
                .into_io_error()
                .unwrap_or_else(|| std::io::Error::other("filesystem loop")),
        })?;
        let rel_path = item.path().strip_prefix(dir).unwrap_or(item.path());
        let Some(rel) = safe_rel(rel_path) else {
            out.irregular.push((
                rel_path.to_string_lossy().into_owned(),
                "its name is not UTF-8".into(),
            ));
            continue;
        };
        let t = item.file_type();
        if t.is_dir() {
            if !LAYOUT_DIRS.contains(&rel.as_str()) {
                out.irregular
                    .push((rel, "a folder the package layout does not have".into()));
            }
            continue;
        }
        if !t.is_file() {
            out.irregular
                .push((rel, "not a regular file (symlink or special file)".into()));
            continue;
        }
        let size = item.metadata().map(|m| m.len()).unwrap_or(0);
        if let Some(irregular) = too_large(&rel, size) {
            out.irregular.push(irregular);
            continue;
        }
        let p = item.path();
        let member = crate::fsutil::open_regular(p, false)
            .map(|f| BufReader::with_capacity(CHUNK, f))
            .and_then(|f| read_member(&rel, f, size, Location::File(p.to_path_buf())))
            .map_err(io_err(p))?;
        out.members.insert(rel, member);
    }
    Ok(out)
}

/// Reads the archive `src` (the package file `path`): `at(offset)` says
/// where a member's data can be read again; with `extract`, every regular
/// member is also written there. Returns what was read and `src`, which
/// the caller may read on.
fn read_tar<R: Read>(
    src: R,
    path: &Path,
    at: impl Fn(u64) -> Location,
    extract: Option<&Path>,
) -> Result<(PackageFiles, R), PackageError> {
    let mut out = PackageFiles::default();
    let mut archive = tar::Archive::new(src);
    let name = path.display().to_string();
    // A damaged archive is a finding (the package is not as recorded),
    // not an operational error: what was read so far is still checked.
    let damaged = |out: &mut PackageFiles, e: std::io::Error| {
        out.irregular.push((
            name.clone(),
            format!("the tar archive is damaged or truncated ({e})"),
        ));
    };
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => {
            damaged(&mut out, e);
            return Ok((out, archive.into_inner()));
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                damaged(&mut out, e);
                break;
            }
        };
        let member = match entry.path() {
            Ok(p) => p.into_owned(),
            Err(e) => {
                damaged(&mut out, e);
                break;
            }
        };
        let Some(rel) = safe_rel(&member) else {
            out.irregular.push((
                member.to_string_lossy().into_owned(),
                "an absolute, `..` or non-UTF-8 member name".into(),
            ));
            continue;
        };
        match entry.header().entry_type() {
            tar::EntryType::Directory => {
                if !LAYOUT_DIRS.contains(&rel.as_str()) {
                    out.irregular
                        .push((rel, "a folder the package layout does not have".into()));
                }
                continue;
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {}
            other => {
                out.irregular
                    .push((rel, format!("not a regular file (tar type {other:?})")));
                continue;
            }
        }
        let size = entry.size();
        if let Some(irregular) = too_large(&rel, size) {
            out.irregular.push(irregular);
            continue;
        }
        // Where the member's data starts, to read it again (evidence
        // checks) without holding it: the extracted copy if there is one.
        let twice = out.members.contains_key(&rel);
        let copy = match extract {
            Some(dir) if !twice => Some(extract_file(dir, &rel)?),
            _ => None,
        };
        let loc = match &copy {
            Some((p, _)) => Location::File(p.clone()),
            None => at(entry.raw_file_position()),
        };
        let read = match copy {
            Some((p, f)) => {
                let mut tee = Tee {
                    inner: entry,
                    out: std::io::BufWriter::with_capacity(CHUNK, f),
                    error: None,
                };
                let m = read_member(&rel, &mut tee, size, loc);
                let written = tee
                    .out
                    .into_inner()
                    .map_err(|e| e.into_error())
                    .and_then(|f| f.sync_all());
                if let Some(e) = tee.error.take().or(written.err()) {
                    return Err(io_err(&p)(e));
                }
                m
            }
            None => read_member(&rel, entry, size, loc),
        };
        let m = match read {
            Ok(m) => m,
            Err(e) => {
                damaged(&mut out, e);
                break;
            }
        };
        if twice {
            out.irregular
                .push((rel, "appears twice in the archive".into()));
            continue;
        }
        out.members.insert(rel, m);
    }
    Ok((out, archive.into_inner()))
}

/// Creates the file for member `rel` under the extraction folder `dir`
/// (its folders too; `rel` is a safe relative path).
fn extract_file(dir: &Path, rel: &str) -> Result<(PathBuf, std::fs::File), PackageError> {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).map_err(io_err(parent))?;
    }
    let f = new_file(&p)?;
    Ok((p, f))
}

/// A reader that writes what it reads to `out`; a write error is kept
/// apart (and stops the read) so it is not taken for a damaged archive.
struct Tee<R, W> {
    inner: R,
    out: W,
    error: Option<std::io::Error>,
}

impl<R: Read, W: Write> Read for Tee<R, W> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Err(e) = self.out.write_all(&buf[..n]) {
            let again = std::io::Error::new(e.kind(), e.to_string());
            self.error = Some(e);
            return Err(again);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small valid manifest, written by the hasher.
    fn manifest(dir: &Path) -> PathBuf {
        let ev = dir.join("ev");
        std::fs::create_dir_all(ev.join("sub")).unwrap();
        std::fs::write(ev.join("sub/a.txt"), b"abc").unwrap();
        std::fs::write(ev.join("b.txt"), b"defg").unwrap();
        let m = dir.join("m.jsonl");
        crate::hashing::write_manifest(
            &m,
            std::slice::from_ref(&ev),
            &crate::hashing::HashOptions::default(),
            &crate::hashing::NoProgress,
        )
        .unwrap();
        m
    }

    fn shared(path: &Path, salt: Option<[u8; 32]>) -> SharedFile {
        SharedFile::prepare(&ExhibitId::unchecked("EXH-1"), path, salt.as_ref(), |_| {
            true
        })
        .unwrap()
        .unwrap()
    }

    /// Tar members as (header with its time and checksum zeroed, data).
    fn members(tar_path: &Path) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut a = tar::Archive::new(std::fs::File::open(tar_path).unwrap());
        a.entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let mut h = e.header().as_bytes().to_vec();
                h[136..156].fill(0);
                let mut d = Vec::new();
                e.read_to_end(&mut d).unwrap();
                (h, d)
            })
            .collect()
    }

    /// A manifest streamed from disk (plain or redacted) gives the same
    /// archive and folder, byte for byte, as the same bytes held in memory.
    #[test]
    fn streamed_manifests_write_the_same_package_as_held_bytes() {
        let t = tempfile::tempdir().unwrap();
        let m = manifest(t.path());
        let plain = std::fs::read(&m).unwrap();
        let salt = [9u8; 32];
        let red = super::super::redact::redact_manifest(&plain, &salt, &m).unwrap();
        for (salt, bytes) in [(None, plain.clone()), (Some(salt), red)] {
            let mut held = Contents::default();
            let mut streamed = Contents::default();
            for c in [&mut held, &mut streamed] {
                c.insert("README.txt", b"read me\n".to_vec());
                c.insert("package.json", b"{}\n".to_vec());
            }
            held.insert("manifests/EXH-1.jsonl", bytes.clone());
            streamed.insert_manifest("manifests/EXH-1.jsonl", shared(&m, salt));
            assert_eq!(held.file_refs(), streamed.file_refs());
            let name = if salt.is_some() { "r" } else { "p" };
            let (a, b) = (
                t.path().join(format!("{name}a.tar")),
                t.path().join(format!("{name}b.tar")),
            );
            write_package(&a, &held).unwrap();
            write_package(&b, &streamed).unwrap();
            assert_eq!(members(&a), members(&b));
            let d = t.path().join(format!("{name}dir"));
            write_package(&d, &streamed).unwrap();
            assert_eq!(
                std::fs::read(d.join("manifests/EXH-1.jsonl")).unwrap(),
                bytes
            );
        }
    }

    /// A manifest that changed after it was measured is refused and
    /// nothing is left at the output.
    #[test]
    fn a_manifest_changed_since_measured_is_refused() {
        let t = tempfile::tempdir().unwrap();
        let m = manifest(t.path());
        let bytes = std::fs::read(&m).unwrap();
        let mut c = Contents::default();
        c.insert_manifest("manifests/EXH-1.jsonl", shared(&m, None));
        let mut changed = bytes.clone();
        let last = changed.len() - 2;
        changed[last] ^= 1;
        std::fs::write(&m, &changed).unwrap();
        for out in ["p.tar", "p"] {
            let out = t.path().join(out);
            let e = write_package(&out, &c).unwrap_err();
            assert!(matches!(e, PackageError::ManifestChanged { .. }), "{e}");
            assert!(out.symlink_metadata().is_err());
        }
        // Only the evidence and the manifest: no temporary output is left.
        assert_eq!(std::fs::read_dir(t.path()).unwrap().count(), 2);
    }

    /// Members in any order: a tar written in reverse is read the same,
    /// large members hashed and readable again from the archive.
    #[test]
    fn tar_members_are_read_in_any_order() {
        let t = tempfile::tempdir().unwrap();
        let m = manifest(t.path());
        let bytes = std::fs::read(&m).unwrap();
        let path = t.path().join("rev.tar");
        let mut b = tar::Builder::new(std::fs::File::create(&path).unwrap());
        for (rel, data) in [
            ("manifests/EXH-1.jsonl", bytes.as_slice()),
            ("ledger/entries.jsonl", b"x\n".as_slice()),
            ("README.txt", b"r".as_slice()),
        ] {
            let mut h = tar::Header::new_ustar();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            b.append_data(&mut h, rel, data).unwrap();
        }
        b.finish().unwrap();
        let files = read_package(&path).unwrap();
        assert!(files.irregular.is_empty(), "{:?}", files.irregular);
        assert_eq!(files.get("README.txt"), Some(b"r".as_slice()));
        assert_eq!(files.get("ledger/entries.jsonl"), Some(b"x\n".as_slice()));
        let mf = files.member("manifests/EXH-1.jsonl").unwrap();
        assert!(mf.data().is_none(), "a manifest is not held in memory");
        assert_eq!(mf.manifest_problem, None);
        assert_eq!(
            FileRef {
                path: "manifests/EXH-1.jsonl".into(),
                sha256: mf.sha256.clone(),
                bytes: mf.bytes
            },
            FileRef::of("manifests/EXH-1.jsonl", &bytes)
        );
        let mut again = Vec::new();
        mf.open().unwrap().read_to_end(&mut again).unwrap();
        assert_eq!(again, bytes);
    }
}
