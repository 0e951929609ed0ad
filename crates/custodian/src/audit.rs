//! Evidence audit: is the evidence on disk today what the manifest says?
//!
//! The evidence is re-hashed with the acquisition engine and compared with
//! the exhibit's manifest in one streaming pass. Both come out of the same
//! walk order (depth-first, siblings sorted by raw name bytes), so the two
//! sequences are merged like sorted lists: memory grows with the number of
//! differences, never with the size of the tree. Each object gets exactly
//! one status; files missing at one path and new at another with the same
//! digest are paired as one `moved`.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::hashing::{
    hash_tree, Algorithm, AlgorithmSet, Digests, FileKind, HashError, HashOptions, ManifestReader,
    Progress, Record,
};
use crate::hashlist::{HashList, ListedFile};
use crate::ledger::ExhibitId;

/// What became of one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Same type, and for files the same digest(s), for symlinks the same target.
    Matched,
    /// Same path and type, different content (or symlink target).
    Changed,
    /// Same path, different type (a file became a symlink, …).
    TypeChanged,
    /// In the manifest, not on disk.
    Missing,
    /// On disk, not in the manifest.
    New,
    /// Missing at the recorded path, present with the same digest elsewhere.
    Moved,
    /// On disk but could not be read now.
    Unreadable,
    /// The manifest holds no digest to check against (it was unreadable at
    /// acquisition).
    Unverifiable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Matched => "matched",
            Status::Changed => "changed",
            Status::TypeChanged => "type-changed",
            Status::Missing => "missing",
            Status::New => "new",
            Status::Moved => "moved",
            Status::Unreadable => "unreadable",
            Status::Unverifiable => "unverifiable",
        }
    }
}

/// One object whose status is not `matched`.
#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    pub status: Status,
    /// The object's path on disk now (for `missing`: where it was recorded).
    pub path: String,
    /// For `moved`: the recorded path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
}

impl Difference {
    /// One line for a problem list: the exhibit, the path, the status and
    /// the recorded and found values, so every front end words a
    /// difference the same way.
    pub fn describe(&self, exhibit: &str) -> String {
        match &self.from {
            Some(from) => format!("exhibit {exhibit}: {from} moved to {}", self.path),
            None => format!(
                "exhibit {exhibit}: {}: {}{}{}",
                self.path,
                self.status.as_str(),
                self.expected
                    .as_deref()
                    .map(|e| format!(", recorded {e}"))
                    .unwrap_or_default(),
                self.found
                    .as_deref()
                    .map(|f| format!(", found {f}"))
                    .unwrap_or_default()
            ),
        }
    }
}

/// How many objects got each status. They add up to `examined`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AuditCounts {
    /// Objects compared: every manifest record plus every new object, a
    /// moved pair counting once.
    pub examined: u64,
    pub matched: u64,
    pub changed: u64,
    pub type_changed: u64,
    pub missing: u64,
    pub new: u64,
    pub moved: u64,
    pub unreadable: u64,
    pub unverifiable: u64,
    /// Bytes read from the evidence now.
    pub bytes: u64,
}

impl AuditCounts {
    fn add(&mut self, s: Status) {
        self.examined += 1;
        match s {
            Status::Matched => self.matched += 1,
            Status::Changed => self.changed += 1,
            Status::TypeChanged => self.type_changed += 1,
            Status::Missing => self.missing += 1,
            Status::New => self.new += 1,
            Status::Moved => self.moved += 1,
            Status::Unreadable => self.unreadable += 1,
            Status::Unverifiable => self.unverifiable += 1,
        }
    }
}

/// The audit of one exhibit.
#[derive(Debug, Clone, Serialize)]
pub struct ExhibitAudit {
    pub exhibit: ExhibitId,
    /// The paths re-hashed now.
    pub roots: Vec<String>,
    /// The digests compared.
    pub algorithms: Vec<String>,
    pub counts: AuditCounts,
    /// Every object not `matched`, in walk order (moves last).
    pub differences: Vec<Difference>,
    /// For each E01 image among the exhibit's paths whose acquisition
    /// recorded its media digests: the media re-read and re-checked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ewf: Vec<crate::interop::ewf::EwfRecheck>,
}

impl ExhibitAudit {
    /// True when every object matched.
    pub fn is_intact(&self) -> bool {
        self.counts.examined == self.counts.matched
    }
}

/// Which recorded digests to re-compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAlgorithms {
    /// The strongest one the manifest holds (the default: one digest is
    /// enough to detect change, and it is the cheapest sound choice).
    Strongest,
    /// This one (must be in the manifest).
    One(Algorithm),
    /// Every one the manifest holds.
    All,
}

/// Re-hashes `roots` (the exhibit's paths now, one per recorded root) and
/// compares them with `manifest`.
pub fn audit_exhibit(
    exhibit: &ExhibitId,
    manifest: &std::path::Path,
    roots: &[PathBuf],
    algorithms: AuditAlgorithms,
    jobs: usize,
    exclude: Vec<PathBuf>,
    progress: &dyn Progress,
) -> Result<ExhibitAudit, HashError> {
    let reader = ManifestReader::open(manifest)?;
    let header = reader.header().clone();
    check_roots(exhibit, manifest, header.roots.len(), roots)?;
    let algos = audit_algorithms(manifest, &header.algorithms, algorithms)?;
    let opts = HashOptions {
        algorithms: algos.clone(),
        jobs,
        follow_symlinks: header.follow_symlinks,
        recursive: true,
        exclude,
    };
    let mut merge = Merge {
        reader,
        roots,
        algos: &algos,
        counts: AuditCounts::default(),
        differences: Vec::new(),
        missing: Vec::new(),
        new: Vec::new(),
        pending: None,
        read_error: None,
    };
    let summary = hash_tree(roots, &opts, &mut |now| merge.visit(now), progress)?;
    merge.finish()?;
    let Merge {
        mut counts,
        mut differences,
        missing,
        new,
        ..
    } = merge;
    let empty = empty_key(&algos);
    let unmatched = |r: &Record| Unmatched {
        path: show_record(roots, r),
        key: (r.kind == FileKind::File && r.error.is_none())
            .then(|| digest_key(&r.digests, &algos))
            .flatten()
            .filter(|k| *k != empty),
        desc: describe(r, &algos),
    };
    settle(
        &mut counts,
        &mut differences,
        missing.iter().map(unmatched).collect(),
        new.iter().map(unmatched).collect(),
    );
    counts.bytes = summary.bytes;
    Ok(ExhibitAudit {
        exhibit: exhibit.clone(),
        roots: roots.iter().map(|r| r.display().to_string()).collect(),
        algorithms: algos.iter().map(|a| a.name().to_string()).collect(),
        counts,
        differences,
        ewf: Vec::new(),
    })
}

/// One path to audit per recorded root, each present now.
fn check_roots(
    exhibit: &str,
    manifest: &std::path::Path,
    recorded: usize,
    roots: &[PathBuf],
) -> Result<(), HashError> {
    if recorded != roots.len() {
        return Err(HashError::Manifest {
            path: manifest.to_path_buf(),
            line: 1,
            message: format!(
                "the exhibit was acquired from {recorded} path(s) but {} were given to audit",
                roots.len()
            ),
        });
    }
    for root in roots {
        if let Err(e) = root.symlink_metadata() {
            return Err(HashError::io(
                root,
                std::io::Error::new(
                    e.kind(),
                    format!("{e} (the evidence of exhibit {exhibit} is not there; if it moved, give EXHIBIT=NEWPATH)"),
                ),
            ));
        }
    }
    Ok(())
}

/// The digests to re-compute, among those `recorded` in the manifest.
fn audit_algorithms(
    manifest: &std::path::Path,
    recorded: &AlgorithmSet,
    algorithms: AuditAlgorithms,
) -> Result<AlgorithmSet, HashError> {
    Ok(match algorithms {
        AuditAlgorithms::Strongest => AlgorithmSet::single(recorded.strongest()),
        AuditAlgorithms::All => recorded.clone(),
        AuditAlgorithms::One(a) if recorded.contains(a) => AlgorithmSet::single(a),
        AuditAlgorithms::One(a) => {
            return Err(HashError::Manifest {
                path: manifest.to_path_buf(),
                line: 1,
                message: format!("the manifest records no {a} digests (it has {recorded})"),
            })
        }
    })
}

/// An object's path as shown in a difference: its root now, joined with
/// its path in the tree.
fn show_record(roots: &[PathBuf], r: &Record) -> String {
    let root = roots
        .get(r.root as usize)
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    if r.path == "." {
        root
    } else {
        format!("{root}/{}", r.path)
    }
}

/// The merge of the manifest's records (then) with the tree walked now,
/// both in walk order, like two sorted lists.
struct Merge<'a, R: std::io::BufRead> {
    reader: ManifestReader<R>,
    roots: &'a [PathBuf],
    algos: &'a AlgorithmSet,
    counts: AuditCounts,
    differences: Vec<Difference>,
    /// Recorded, not found at their path (yet to be paired as moves).
    missing: Vec<Record>,
    /// Found, not recorded at their path (yet to be paired as moves).
    new: Vec<Record>,
    /// A recorded object read ahead of the walk.
    pending: Option<Record>,
    /// The first error reading the manifest.
    read_error: Option<HashError>,
}

impl<R: std::io::BufRead> Merge<'_, R> {
    /// The next recorded object, if any (a read error ends the records).
    fn next_recorded(&mut self) -> Option<Record> {
        if let Some(r) = self.pending.take() {
            return Some(r);
        }
        match self.reader.next() {
            Some(Ok(r)) => Some(r),
            Some(Err(e)) => {
                self.read_error.get_or_insert(e);
                None
            }
            None => None,
        }
    }

    /// One object found now: recorded objects before it are missing; the
    /// recorded one at its path is compared; otherwise it is new. Objects
    /// deliberately not examined (the case folder) are not evidence: never
    /// new, never missing, not counted.
    fn visit(&mut self, now: Record) -> std::io::Result<()> {
        loop {
            let Some(then) = self.next_recorded() else {
                if now.skipped.is_none() {
                    self.new.push(now);
                }
                return Ok(());
            };
            match walk_order(&then, &now) {
                Ordering::Less if then.skipped.is_none() => self.missing.push(then),
                Ordering::Less => {}
                Ordering::Greater => {
                    self.pending = Some(then);
                    if now.skipped.is_none() {
                        self.new.push(now);
                    }
                    return Ok(());
                }
                Ordering::Equal => {
                    self.compare_same_path(&then, &now);
                    return Ok(());
                }
            }
        }
    }

    /// A recorded object and the object now at its path.
    fn compare_same_path(&mut self, then: &Record, now: &Record) {
        if then.skipped.is_some() || now.skipped.is_some() {
            return;
        }
        let (status, expected, found) = compare(then, now, self.algos);
        self.counts.add(status);
        if status != Status::Matched {
            self.differences.push(Difference {
                status,
                path: show_record(self.roots, now),
                from: None,
                expected,
                found,
            });
        }
    }

    /// After the walk: every recorded object left is missing.
    fn finish(&mut self) -> Result<(), HashError> {
        while let Some(then) = self.next_recorded() {
            if then.skipped.is_none() {
                self.missing.push(then);
            }
        }
        match self.read_error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// An object present on one side only, before moves are paired.
struct Unmatched {
    path: String,
    /// The compared digest(s) of a readable regular file.
    key: Option<String>,
    desc: Option<String>,
}

/// The key of an empty file. Empty files are never paired as moves: with
/// no content, one is indistinguishable from another.
fn empty_key(algos: &AlgorithmSet) -> String {
    let d = crate::hashing::hash_reader(std::io::empty(), algos).unwrap_or_default();
    digest_key(&d, algos).unwrap_or_default()
}

/// The compared digests joined, if all are present.
fn digest_key(d: &Digests, algos: &AlgorithmSet) -> Option<String> {
    let parts: Vec<&str> = algos.iter().map(|a| d.get(a)).collect::<Option<_>>()?;
    Some(parts.join(":"))
}

/// Pairs files missing at one path with new files of the same content
/// (first come, first paired) as `moved`; the rest are `missing` and `new`.
/// A file whose content also exists elsewhere unchanged is not "moved":
/// only objects on neither side's matched list are candidates, so deleting
/// one of two identical copies is reported as missing.
fn settle(
    counts: &mut AuditCounts,
    differences: &mut Vec<Difference>,
    missing: Vec<Unmatched>,
    new: Vec<Unmatched>,
) {
    let mut by_key: HashMap<&str, std::collections::VecDeque<usize>> = HashMap::new();
    for (i, m) in missing.iter().enumerate() {
        if let Some(k) = &m.key {
            by_key.entry(k.as_str()).or_default().push_back(i);
        }
    }
    let mut moved_from = vec![false; missing.len()];
    let mut moves = Vec::new();
    let mut truly_new = Vec::new();
    for n in &new {
        let paired = n
            .key
            .as_deref()
            .and_then(|k| by_key.get_mut(k))
            .and_then(|q| q.pop_front());
        match paired {
            Some(i) => {
                moved_from[i] = true;
                moves.push((i, n));
            }
            None => truly_new.push(n),
        }
    }
    for (i, m) in missing.iter().enumerate() {
        if !moved_from[i] {
            counts.add(Status::Missing);
            differences.push(Difference {
                status: Status::Missing,
                path: m.path.clone(),
                from: None,
                expected: m.desc.clone(),
                found: None,
            });
        }
    }
    for n in truly_new {
        counts.add(Status::New);
        differences.push(Difference {
            status: Status::New,
            path: n.path.clone(),
            from: None,
            expected: None,
            found: n.desc.clone(),
        });
    }
    for (i, n) in moves {
        counts.add(Status::Moved);
        differences.push(Difference {
            status: Status::Moved,
            path: n.path.clone(),
            from: Some(missing[i].path.clone()),
            expected: missing[i].desc.clone(),
            found: n.desc.clone(),
        });
    }
}

/// The walk order of records: by root, then path component by component,
/// comparing raw name bytes (the root itself, `.`, first).
fn walk_order(a: &Record, b: &Record) -> Ordering {
    a.root.cmp(&b.root).then_with(|| {
        let pa = a.path_bytes();
        let pb = b.path_bytes();
        let parts = |p: &[u8]| -> Vec<Vec<u8>> {
            if p == b"." {
                Vec::new()
            } else {
                p.split(|c| *c == b'/').map(<[u8]>::to_vec).collect()
            }
        };
        parts(&pa).cmp(&parts(&pb))
    })
}

/// Compares a recorded object with the same path now.
fn compare(
    then: &Record,
    now: &Record,
    algos: &AlgorithmSet,
) -> (Status, Option<String>, Option<String>) {
    if then.kind != now.kind {
        return (
            Status::TypeChanged,
            Some(then.kind.name().to_string()),
            Some(now.kind.name().to_string()),
        );
    }
    match then.kind {
        FileKind::File => {
            if now.error.is_some() {
                return (Status::Unreadable, describe(then, algos), now.error.clone());
            }
            if then.error.is_some() || algos.iter().any(|a| then.digests.get(a).is_none()) {
                return (
                    Status::Unverifiable,
                    then.error.clone(),
                    describe(now, algos),
                );
            }
            if algos
                .iter()
                .all(|a| then.digests.get(a) == now.digests.get(a))
            {
                (Status::Matched, None, None)
            } else {
                (Status::Changed, describe(then, algos), describe(now, algos))
            }
        }
        FileKind::Symlink => {
            if then.target_bytes() == now.target_bytes() {
                (Status::Matched, None, None)
            } else {
                (
                    Status::Changed,
                    then.target.as_ref().map(|t| format!("-> {t}")),
                    now.target.as_ref().map(|t| format!("-> {t}")),
                )
            }
        }
        FileKind::Dir if now.error.is_some() && then.error.is_none() => {
            (Status::Unreadable, None, now.error.clone())
        }
        _ => (Status::Matched, None, None),
    }
}

/// `sha256:…` (or several, space-separated), or the type for non-files.
fn describe(r: &Record, algos: &AlgorithmSet) -> Option<String> {
    if r.kind != FileKind::File {
        return Some(r.kind.name().to_string());
    }
    let parts: Vec<String> = algos
        .iter()
        .filter_map(|a| r.digests.get(a).map(|h| format!("{a}:{h}")))
        .collect();
    if parts.is_empty() {
        r.error.clone()
    } else {
        Some(parts.join(" "))
    }
}

/// What `--evidence` arguments resolve to: each exhibit with the paths to
/// audit, one per recorded root, in order.
pub type EvidencePlan = Vec<(ExhibitId, Vec<PathBuf>)>;

/// Why `--evidence` arguments could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceSpecError {
    /// `EXHIBIT=PATH` naming an exhibit the case does not have.
    #[error("{spec}: the case has no exhibit {exhibit:?}")]
    NoSuchExhibit { spec: String, exhibit: String },
    /// A plain path no exhibit of the case was acquired from.
    #[error(
        "{spec}: no exhibit was acquired from this path (use EXHIBIT=PATH if the evidence moved)"
    )]
    NotAcquiredFrom { spec: String },
    /// A plain path given for a package that shares several exhibits.
    #[error("{spec}: give EXHIBIT=PATH with an exhibit of the package ({})", exhibits.join(", "))]
    ExhibitNeeded {
        spec: String,
        exhibits: Vec<ExhibitId>,
    },
}

/// The exhibits `--evidence` arguments may name, and what a plain `PATH`
/// means for them.
#[derive(Debug, Clone, Copy)]
pub enum EvidenceScope<'a> {
    /// The exhibits of a case: a plain `PATH` selects every exhibit
    /// acquired from that path, audited where it was recorded.
    Case(&'a std::collections::BTreeMap<ExhibitId, crate::ledger::Exhibit>),
    /// The exhibits a package shares: a plain `PATH` is the evidence of its
    /// only exhibit.
    Package(&'a [ExhibitId]),
}

impl<'a> EvidenceScope<'a> {
    /// The exhibit of the scope named `id`.
    fn find(&self, id: &str) -> Option<&'a ExhibitId> {
        match *self {
            EvidenceScope::Case(x) => x.get_key_value(id).map(|(k, _)| k),
            EvidenceScope::Package(x) => x.iter().find(|e| *e == id),
        }
    }

    /// For `EXHIBIT=PATH` naming no exhibit: an error in a case when
    /// EXHIBIT is a valid exhibit id and no file has the spec's name (in a
    /// package the spec is then taken as a plain path).
    fn unknown_exhibit(&self, spec: &str, id: &str) -> Option<EvidenceSpecError> {
        let EvidenceScope::Case(_) = self else {
            return None;
        };
        (crate::ledger::validate_exhibit_id(id).is_ok() && !std::path::Path::new(spec).exists())
            .then(|| EvidenceSpecError::NoSuchExhibit {
                spec: spec.to_string(),
                exhibit: id.to_string(),
            })
    }

    /// The exhibits a plain `PATH` selects, each with the path to audit
    /// (`None`: every path recorded at acquisition).
    fn by_path(&self, spec: &str) -> Result<Vec<(ExhibitId, Option<PathBuf>)>, EvidenceSpecError> {
        let path = PathBuf::from(spec);
        let exhibits = match self {
            EvidenceScope::Package([only]) => return Ok(vec![(only.clone(), Some(path))]),
            EvidenceScope::Package(x) => {
                return Err(EvidenceSpecError::ExhibitNeeded {
                    spec: spec.to_string(),
                    exhibits: x.to_vec(),
                })
            }
            EvidenceScope::Case(exhibits) => exhibits,
        };
        let selected: Vec<(ExhibitId, Option<PathBuf>)> = exhibits
            .iter()
            .filter(|(_, ex)| {
                ex.acquisition
                    .roots
                    .iter()
                    .any(|r| same_path(std::path::Path::new(r), &path))
            })
            .map(|(id, _)| (id.clone(), None))
            .collect();
        if selected.is_empty() {
            return Err(EvidenceSpecError::NotAcquiredFrom {
                spec: spec.to_string(),
            });
        }
        Ok(selected)
    }

    /// The paths `id` was acquired from.
    fn recorded_roots(&self, id: &str) -> Vec<PathBuf> {
        match self {
            EvidenceScope::Case(x) => x
                .get(id)
                .map(|ex| ex.acquisition.roots.iter().map(PathBuf::from).collect())
                .unwrap_or_default(),
            EvidenceScope::Package(_) => Vec::new(),
        }
    }
}

/// Two paths are the same if they resolve to the same file (or, when
/// either cannot be resolved, are spelt the same).
fn same_path(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// Turns `--evidence` arguments into (exhibit, paths to audit) pairs.
///
/// Each spec is `EXHIBIT=PATH` (the exhibit's evidence is now at PATH;
/// repeat it for an exhibit acquired from several paths, in the same order)
/// or a plain `PATH`, which selects every exhibit acquired from that path
/// (compared after resolving both) and audits it where it was recorded.
pub fn resolve_evidence(
    exhibits: &std::collections::BTreeMap<ExhibitId, crate::ledger::Exhibit>,
    specs: &[String],
) -> Result<EvidencePlan, EvidenceSpecError> {
    resolve_evidence_in(EvidenceScope::Case(exhibits), specs)
}

/// Turns `--evidence` arguments into (exhibit, paths to audit) pairs for
/// the exhibits of `scope` (a case, see [`resolve_evidence`], or a
/// package), keeping the order in which exhibits are first named.
pub fn resolve_evidence_in(
    scope: EvidenceScope<'_>,
    specs: &[String],
) -> Result<EvidencePlan, EvidenceSpecError> {
    let mut plan: EvidencePlan = Vec::new();
    for spec in specs {
        for (id, path) in resolve_spec(scope, spec)? {
            match plan.iter_mut().find(|(e, _)| *e == id) {
                Some((_, roots)) => roots.extend(path),
                None => plan.push((id, path.into_iter().collect())),
            }
        }
    }
    // Exhibits selected by a recorded path are audited at all recorded paths.
    for (id, roots) in plan.iter_mut() {
        if roots.is_empty() {
            *roots = scope.recorded_roots(id);
        }
    }
    Ok(plan)
}

/// One `--evidence` argument: the exhibits it names, each with the path
/// given for it (`None`: where it was recorded).
fn resolve_spec(
    scope: EvidenceScope<'_>,
    spec: &str,
) -> Result<Vec<(ExhibitId, Option<PathBuf>)>, EvidenceSpecError> {
    if let Some((id, path)) = spec.split_once('=') {
        if let Some(id) = scope.find(id) {
            return Ok(vec![(id.clone(), Some(PathBuf::from(path)))]);
        }
        if let Some(e) = scope.unknown_exhibit(spec, id) {
            return Err(e);
        }
    }
    scope.by_path(spec)
}

/// The comparison of two hash lists (see [`compare_lists`]).
#[derive(Debug, Clone, Serialize)]
pub struct ListComparison {
    /// The digests compared: the strongest algorithm both lists hold
    /// (or every common one with `all`).
    pub algorithms: Vec<String>,
    pub counts: AuditCounts,
    pub differences: Vec<Difference>,
    /// Every path a list names more than once, in either list.
    pub duplicates: Vec<Duplicate>,
}

impl ListComparison {
    /// The two lists agree: every path matched, and neither list names a
    /// path twice.
    pub fn is_same(&self) -> bool {
        self.counts.examined == self.counts.matched && self.duplicates.is_empty()
    }
}

/// Which of the two lists compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    A,
    B,
}

/// A path one list names more than once. A list of files can hold a path
/// only once; two records for it (the same digest or not) mean the list
/// is damaged or was made to mislead, and which record to believe is
/// unknown, so neither is dropped: the path is compared with all of them
/// and the duplicate reported.
#[derive(Debug, Clone, Serialize)]
pub struct Duplicate {
    pub list: Side,
    pub path: String,
    /// What `lines` counts: `line`, or `fileobject` for DFXML.
    pub position: &'static str,
    /// Where the list names the path, in order (two or more).
    pub lines: Vec<u64>,
    /// Whether every record gives the compared digests the same value.
    pub same_digests: bool,
}

impl Duplicate {
    /// One line for humans: `PATH is listed N times in A (lines 3, 7),
    /// with different digests`.
    pub fn describe(&self) -> String {
        let lines: Vec<String> = self.lines.iter().map(u64::to_string).collect();
        format!(
            "{} is listed {} times in {} ({}s {}), with {} digests",
            self.path,
            self.lines.len(),
            match self.list {
                Side::A => "A",
                Side::B => "B",
            },
            self.position,
            lines.join(", "),
            if self.same_digests {
                "the same"
            } else {
                "different"
            }
        )
    }
}

/// Why two hash lists cannot be compared.
#[derive(Debug, thiserror::Error)]
pub enum ListCompareError {
    /// The algorithm asked for is missing from one list or both.
    #[error("the two lists do not both hold {0} digests")]
    NotBothHeld(Algorithm),
    #[error("the two lists have no digest algorithm in common ({} has {a_has}, {} has {b_has})", a.display(), b.display())]
    NothingInCommon {
        a: PathBuf,
        a_has: String,
        b: PathBuf,
        b_has: String,
    },
}

/// A list's records grouped by path, paths in the order the list first
/// names them.
struct Grouped<'a> {
    order: Vec<&'a [u8]>,
    by_path: HashMap<&'a [u8], Vec<&'a ListedFile>>,
}

impl<'a> Grouped<'a> {
    fn new(list: &'a HashList) -> Self {
        let mut order = Vec::new();
        let mut by_path: HashMap<&[u8], Vec<&ListedFile>> =
            HashMap::with_capacity(list.files.len());
        for f in &list.files {
            let records = by_path.entry(f.path.as_slice()).or_default();
            if records.is_empty() {
                order.push(f.path.as_slice());
            }
            records.push(f);
        }
        Grouped { order, by_path }
    }

    /// The paths named more than once, as [`Duplicate`]s of `side`.
    fn duplicates(
        &self,
        side: Side,
        position: &'static str,
        key: impl Fn(&ListedFile) -> Option<String>,
    ) -> Vec<Duplicate> {
        self.order
            .iter()
            .filter_map(|p| {
                let records = &self.by_path[p];
                (records.len() > 1).then(|| Duplicate {
                    list: side,
                    path: records[0].display(),
                    position,
                    lines: records.iter().map(|f| f.line).collect(),
                    same_digests: all_equal(records.iter().map(|f| key(f))).is_some(),
                })
            })
            .collect()
    }
}

/// The one value every item has, if they all have the same.
fn all_equal<T: PartialEq>(mut items: impl Iterator<Item = T>) -> Option<T> {
    let first = items.next()?;
    items.all(|x| x == first).then_some(first)
}

/// Compares list `a` (what was recorded) with list `b` (what is claimed
/// now), by path, with the same statuses as an evidence audit; only
/// `matched`, `changed`, `missing`, `new`, `moved` and `unverifiable` can
/// occur.
///
/// The verdict does not depend on which list is given first: swapping
/// them swaps `missing` and `new`, `expected` and `found`, and the side of
/// each duplicate, nothing else. A path a list names more than once is
/// reported as a [`Duplicate`] and compared with every record of it: it
/// matches only if all of them, on both sides, give the same digests (no
/// record is dropped, so a hostile list cannot hide a changed file behind
/// a second, matching line).
pub fn compare_lists(
    a: &HashList,
    b: &HashList,
    algorithms: AuditAlgorithms,
) -> Result<ListComparison, ListCompareError> {
    let held = |l: &HashList| -> std::collections::BTreeSet<Algorithm> {
        l.files
            .iter()
            .flat_map(|f| f.digests.iter().map(|(a, _)| a))
            .collect()
    };
    let common: Vec<Algorithm> = held(a).intersection(&held(b)).copied().collect();
    let chosen: Vec<Algorithm> = match algorithms {
        AuditAlgorithms::All => common.clone(),
        AuditAlgorithms::Strongest => common.last().copied().into_iter().collect(),
        AuditAlgorithms::One(x) if common.contains(&x) => vec![x],
        AuditAlgorithms::One(x) => return Err(ListCompareError::NotBothHeld(x)),
    };
    let algos = AlgorithmSet::new(chosen).map_err(|_| ListCompareError::NothingInCommon {
        a: a.source.clone(),
        a_has: names(&held(a)),
        b: b.source.clone(),
        b_has: names(&held(b)),
    })?;
    // Each record's compared digests, shown, with distinct values of a
    // duplicated path joined by " | ".
    let describe = |records: &[&ListedFile]| -> Option<String> {
        let mut shown: Vec<String> = Vec::new();
        for f in records {
            let parts: Vec<String> = algos
                .iter()
                .filter_map(|x| f.digests.get(x).map(|h| format!("{x}:{h}")))
                .collect();
            if !parts.is_empty() && !shown.contains(&parts.join(" ")) {
                shown.push(parts.join(" "));
            }
        }
        (!shown.is_empty()).then(|| shown.join(" | "))
    };
    let digests = |f: &ListedFile| digest_key(&f.digests, &algos);
    let empty = empty_key(&algos);
    // The content of a path for pairing moves: only when every record of
    // it agrees (and it is not empty).
    let key = |records: &[&ListedFile]| -> Option<String> {
        all_equal(records.iter().map(|f| digests(f)))
            .flatten()
            .filter(|k| *k != empty)
    };
    let (ga, gb) = (Grouped::new(a), Grouped::new(b));
    let mut duplicates = ga.duplicates(Side::A, a.format.position(), digests);
    duplicates.extend(gb.duplicates(Side::B, b.format.position(), digests));
    let mut counts = AuditCounts::default();
    let mut differences = Vec::new();
    let mut missing = Vec::new();
    for path in &ga.order {
        let ra = &ga.by_path[path];
        let Some(rb) = gb.by_path.get(path) else {
            missing.push(Unmatched {
                path: ra[0].display(),
                key: key(ra),
                desc: describe(ra),
            });
            continue;
        };
        let keys: Vec<Option<String>> = ra.iter().chain(rb).map(|f| digests(f)).collect();
        let status = if keys.iter().any(Option::is_none) {
            Status::Unverifiable
        } else if all_equal(keys.iter()).is_some() {
            Status::Matched
        } else {
            Status::Changed
        };
        counts.add(status);
        if status != Status::Matched {
            differences.push(Difference {
                status,
                path: ra[0].display(),
                from: None,
                expected: describe(ra),
                found: describe(rb),
            });
        }
    }
    let new: Vec<Unmatched> = gb
        .order
        .iter()
        .filter(|p| !ga.by_path.contains_key(*p))
        .map(|p| {
            let rb = &gb.by_path[p];
            Unmatched {
                path: rb[0].display(),
                key: key(rb),
                desc: describe(rb),
            }
        })
        .collect();
    settle(&mut counts, &mut differences, missing, new);
    Ok(ListComparison {
        algorithms: algos.iter().map(|x| x.name().to_string()).collect(),
        counts,
        differences,
        duplicates,
    })
}

fn names(set: &std::collections::BTreeSet<Algorithm>) -> String {
    if set.is_empty() {
        return "none".into();
    }
    set.iter().map(|a| a.name()).collect::<Vec<_>>().join(",")
}

/// Why an exhibit's evidence could not be audited.
#[derive(Debug, thiserror::Error)]
#[error("cannot audit exhibit {exhibit}: {source}")]
pub struct AuditError {
    pub exhibit: ExhibitId,
    #[source]
    pub source: HashError,
}

/// Audits every exhibit of `plan` (see [`resolve_evidence`]) against its
/// manifest, adding one problem per difference to `report` (codes
/// `evidence-changed`, `evidence-missing` …). An exhibit whose manifest does
/// not match the ledger is not audited (`evidence-not-audited`): comparing
/// evidence with an altered manifest would prove nothing.
pub fn audit_case(
    case: &crate::case::Case,
    report: &mut crate::ledger::Report,
    plan: EvidencePlan,
    algorithms: AuditAlgorithms,
    jobs: usize,
    progress: &dyn Progress,
) -> Result<Vec<ExhibitAudit>, AuditError> {
    use crate::ledger::{Problem, Severity};
    let mut audits = Vec::new();
    for (id, roots) in plan {
        let Some(ex) = report.state.exhibits.get(&id) else {
            continue;
        };
        let rel = ex.acquisition.manifest.path.clone();
        let seq = ex.acquired_seq;
        let ewf_recorded = ex.acquisition.ewf.clone();
        let recorded_roots = ex.acquisition.roots.clone();
        let problem = |code, path: String, expected, found, message| Problem {
            severity: Severity::Error,
            code,
            entry: Some(seq),
            offset: None,
            path: Some(path),
            expected,
            found,
            message,
        };
        if report
            .problems
            .iter()
            .any(|p| p.path.as_deref() == Some(rel.as_str()))
        {
            report.problems.push(problem(
                "evidence-not-audited",
                rel.clone(),
                None,
                None,
                format!(
                    "exhibit {id}: evidence not audited: its manifest does not match the ledger"
                ),
            ));
            continue;
        }
        let audit = audit_exhibit(
            &id,
            &case.dir().join(&rel),
            &roots,
            algorithms,
            jobs,
            vec![case.dir().to_path_buf()],
            progress,
        )
        .map_err(|source| AuditError {
            exhibit: id.clone(),
            source,
        })?;
        for d in &audit.differences {
            let message = d.describe(&id);
            report.problems.push(problem(
                evidence_code(d.status),
                d.path.clone(),
                d.expected.clone(),
                d.found.clone(),
                message,
            ));
        }
        let mut audit = audit;
        // E01 images: re-read the media and compare with the digests the
        // acquisition recorded and those stored in the image.
        for img in &ewf_recorded {
            let Some(now) = recorded_roots
                .iter()
                .position(|r| *r == img.image)
                .and_then(|i| roots.get(i))
            else {
                continue;
            };
            let check = crate::interop::ewf::recheck(img, now, &|_| {});
            for p in &check.problems {
                let mut pr = problem(
                    p.code,
                    now.display().to_string(),
                    None,
                    None,
                    format!("exhibit {id}: E01 image {}", p.message),
                );
                if check.damaged_at_acquisition {
                    pr.severity = Severity::Warning;
                    pr.message
                        .push_str(" (already so at acquisition: finding EWF-MISMATCH)");
                }
                report.problems.push(pr);
            }
            audit.ewf.push(check);
        }
        audits.push(audit);
    }
    Ok(audits)
}

/// Stable problem code of an audit status.
pub fn evidence_code(s: Status) -> &'static str {
    match s {
        Status::Matched => "evidence-matched",
        Status::Changed => "evidence-changed",
        Status::TypeChanged => "evidence-type-changed",
        Status::Missing => "evidence-missing",
        Status::New => "evidence-new",
        Status::Moved => "evidence-moved",
        Status::Unreadable => "evidence-unreadable",
        Status::Unverifiable => "evidence-unverifiable",
    }
}
