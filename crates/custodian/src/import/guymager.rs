//! The guymager log parser (not yet written).

use super::log::{LogError, ParsedLog};

pub(super) fn parse(_text: &str) -> Result<ParsedLog, LogError> {
    Err(LogError::Whole("the guymager parser is not written yet".into()))
}
