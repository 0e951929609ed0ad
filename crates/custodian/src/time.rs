//! Ledger timestamps: the fixed form lives in `custodian_format::time`;
//! the clock lives here, because the format crate has none.

use chrono::{DateTime, Utc};

pub use custodian_format::time::{format, parse, TimeError};

/// The current time, truncated to the microseconds the ledger records.
pub fn now() -> DateTime<Utc> {
    let t = Utc::now();
    parse(&format(t)).unwrap_or(t)
}
