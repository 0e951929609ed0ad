//! A log's bytes to text (not yet written).

use super::log::{LogError, LogText, TextEncoding};

pub(super) fn decode(bytes: &[u8]) -> Result<LogText, LogError> {
    let text = std::str::from_utf8(bytes).map_err(|e| LogError::Whole(e.to_string()))?;
    Ok(LogText {
        encoding: TextEncoding::Utf8,
        text: text.to_string(),
    })
}
