//! Importing acquisitions made by other tools: an imaging tool's log read
//! into the source-device record, the image re-hashed and each digest the
//! log states checked, signed (docs/guide/import.md).

mod dc3dd;
mod decode;
mod ewfacquire;
mod ftk;
mod guymager;
pub mod log;

pub use log::{parse_log, HashStage, LogError, LogFormat, LoggedHash, ParsedLog, TextEncoding};
