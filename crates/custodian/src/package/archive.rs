//! A package's files in memory, and writing or reading them as a
//! directory or a tar archive.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use super::{io_err, member_limit, FileRef, PackageError, INDEX_FILE, LAYOUT_DIRS, SIGNATURE_FILE};

/// The files of a package: relative `/`-separated path → bytes, plus what
/// a reader met that is not a plain file (a verifier reports those).
#[derive(Debug, Default, Clone)]
pub struct PackageFiles {
    pub files: BTreeMap<String, Vec<u8>>,
    /// (path, why) of symlinks, devices, duplicates, unsafe names.
    pub irregular: Vec<(String, String)>,
}

impl PackageFiles {
    pub fn insert(&mut self, path: &str, bytes: Vec<u8>) {
        self.files.insert(path.to_string(), bytes);
    }

    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    /// Every file but the index and its signature, as the index lists them.
    pub fn file_refs(&self) -> Vec<FileRef> {
        self.files
            .iter()
            .filter(|(p, _)| p.as_str() != INDEX_FILE && p.as_str() != SIGNATURE_FILE)
            .map(|(p, b)| FileRef::of(p, b))
            .collect()
    }
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
pub fn write_package(out: &Path, files: &PackageFiles) -> Result<(), PackageError> {
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
    let result = if is_tar(out) {
        write_tar(&tmp, files)
    } else {
        write_dir(&tmp, files)
    };
    if let Err(e) = result {
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

fn write_dir(dir: &Path, files: &PackageFiles) -> Result<(), PackageError> {
    std::fs::create_dir(dir).map_err(io_err(dir))?;
    let mut dirs = std::collections::BTreeSet::new();
    dirs.insert(dir.to_path_buf());
    for (rel, bytes) in &files.files {
        let path = dir.join(rel);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(io_err(p))?;
            dirs.insert(p.to_path_buf());
        }
        let mut f = std::fs::File::create(&path).map_err(io_err(&path))?;
        f.write_all(bytes).map_err(io_err(&path))?;
        f.sync_all().map_err(io_err(&path))?;
    }
    for d in dirs.iter().rev() {
        std::fs::File::open(d)
            .and_then(|f| f.sync_all())
            .map_err(io_err(d))?;
    }
    Ok(())
}

fn write_tar(path: &Path, files: &PackageFiles) -> Result<(), PackageError> {
    let f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io_err(path))?;
    let mtime = chrono::Utc::now().timestamp().max(0) as u64;
    let mut tar = tar::Builder::new(std::io::BufWriter::new(f));
    for (rel, bytes) in &files.files {
        let mut h = tar::Header::new_ustar();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(mtime);
        h.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut h, rel, bytes.as_slice())
            .map_err(io_err(path))?;
    }
    let w = tar.into_inner().map_err(io_err(path))?;
    let f = w.into_inner().map_err(|e| PackageError::Io {
        path: path.to_path_buf(),
        source: e.into_error(),
    })?;
    f.sync_all().map_err(io_err(path))
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

/// Reads a package from a directory or a tar archive. Fails only when
/// `path` cannot be read at all; odd members are listed in `irregular`.
pub fn read_package(path: &Path) -> Result<PackageFiles, PackageError> {
    let meta = std::fs::metadata(path).map_err(io_err(path))?;
    if meta.is_dir() {
        read_dir(path)
    } else {
        read_tar(path)
    }
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
        let bytes = crate::fsutil::read_regular(item.path(), false).map_err(io_err(item.path()))?;
        out.files.insert(rel, bytes);
    }
    Ok(out)
}

fn read_tar(path: &Path) -> Result<PackageFiles, PackageError> {
    let f = std::fs::File::open(path).map_err(io_err(path))?;
    let mut out = PackageFiles::default();
    let mut archive = tar::Archive::new(std::io::BufReader::new(f));
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
            return Ok(out);
        }
    };
    for entry in entries {
        let mut entry = match entry {
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
        if let Some(irregular) = too_large(&rel, entry.size()) {
            out.irregular.push(irregular);
            continue;
        }
        let mut bytes = Vec::with_capacity(entry.size().min(1 << 24) as usize);
        if let Err(e) = entry.read_to_end(&mut bytes) {
            damaged(&mut out, e);
            break;
        }
        if out.files.contains_key(&rel) {
            out.irregular
                .push((rel, "appears twice in the archive".into()));
            continue;
        }
        out.files.insert(rel, bytes);
    }
    Ok(out)
}
