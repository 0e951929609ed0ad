//! Errors of the hashing library.
//!
//! Problems with one evidence file (unreadable, vanished, a loop) are not
//! errors here: they are recorded in that file's [`Record`](super::Record)
//! and the run goes on. `HashError` is for what stops a run or a call.

use std::io;
use std::path::PathBuf;

/// What went wrong, and on which path or manifest line.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error(transparent)]
    Algorithm(#[from] custodian_format::manifest::AlgorithmError),

    #[error("no paths to hash")]
    NoRoots,

    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("{}: not a regular file ({kind})", path.display())]
    NotRegularFile { path: PathBuf, kind: &'static str },

    #[error("{}: refusing to overwrite an existing manifest", path.display())]
    ManifestExists { path: PathBuf },

    /// The caller's record sink failed (e.g. stdout closed); the run stops.
    #[error("writing output: {0}")]
    Output(#[source] io::Error),

    #[error("{}: line {line}: {message}", path.display())]
    Manifest {
        path: PathBuf,
        line: u64,
        message: String,
    },
}

impl HashError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        HashError::Io {
            path: path.into(),
            source,
        }
    }
}
