//! Markdown renderer (being written).

use super::Report;

/// Renders the report as Markdown.
pub fn render(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_default()
}
