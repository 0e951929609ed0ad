//! The one timestamp form the ledger uses: RFC 3339, UTC, `Z`, exactly six
//! fractional digits (`2026-11-25T16:39:50.123456Z`). One fixed form means a
//! timestamp has one canonical spelling, so it cannot be re-spelt to change
//! an entry's hash without changing its meaning.

use chrono::{DateTime, SecondsFormat, Utc};

/// A timestamp that is not in the ledger's fixed form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("invalid timestamp {given:?}: {reason}")]
    Invalid { given: String, reason: String },
    #[error("timestamp {given:?} is not in the form YYYY-MM-DDTHH:MM:SS.ffffffZ (UTC, six fractional digits)")]
    NotFixedForm { given: String },
}

/// Formats a UTC time in the ledger's fixed form.
pub fn format(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Parses a ledger timestamp, accepting only the fixed form.
pub fn parse(s: &str) -> Result<DateTime<Utc>, TimeError> {
    let t = DateTime::parse_from_rfc3339(s)
        .map_err(|e| TimeError::Invalid {
            given: s.to_string(),
            reason: e.to_string(),
        })?
        .with_timezone(&Utc);
    if format(t) != s {
        return Err(TimeError::NotFixedForm {
            given: s.to_string(),
        });
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    #[test]
    fn fixed_form_only() {
        let s = "2026-11-25T16:39:50.123456Z";
        assert_eq!(super::format(super::parse(s).unwrap()), s);
        for bad in [
            "2026-11-25T16:39:50Z",
            "2026-11-25T16:39:50.123456+00:00",
            "2026-11-25t16:39:50.123456Z",
            "2026-11-25T16:39:50.1234567Z",
        ] {
            assert!(super::parse(bad).is_err(), "{bad}");
        }
    }
}
