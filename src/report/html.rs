//! HTML renderer (being written).

use super::Report;

/// Renders the report as one self-contained HTML page.
pub fn render(report: &Report) -> String {
    super::markdown::render(report)
}
