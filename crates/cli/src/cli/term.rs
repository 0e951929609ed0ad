//! Human output on the terminal.
//!
//! Every line written for a person may carry text custodian does not
//! trust: a case title, a note, a location, a seal number, an examiner's
//! stated name, a seized file's name, a partner's hash list. A control
//! character in it could clear or recolour the terminal, hide what follows,
//! or (a bidi override) make `\u{202e}exe.txt` read as "txt.exe". So every
//! human line goes through [`visible`], the engine's one rule
//! ([`custodian::text`], the same the HTML and Markdown reports apply):
//! C0 and C1 controls, DEL and bidi controls become visible escapes
//! (`\n`, `\u{1b}`, `\u{9b}`, `\u{202e}`). [`outln!`] and [`errln!`] are
//! `println!` and `eprintln!` with that rule applied to the whole line, so
//! a value cannot be forgotten. JSON (`--json`) and the machine formats
//! (hashdeep, `*sum`, DFXML, manifests) are written exactly and never
//! through these.
//!
//! Columns ([`Columns`]) are measured in display width, not bytes or
//! characters: a wide character (CJK) takes two cells, a combining mark
//! none. A value longer than its column is cut with "…"; `--json` always
//! gives the whole value.

use unicode_width::UnicodeWidthStr;

pub use custodian::text::{visible, visible_name};

/// A table for the terminal: every column but the last has a width in
/// terminal cells; a value is made visible ([`visible`]) first, then cut
/// with "…" or padded to its column, so the columns line up whatever the
/// values hold (wide characters, combining marks, controls).
pub struct Columns(pub Vec<usize>);

impl Columns {
    /// One line of the table: `cells` in the columns, the last one (or any
    /// beyond the widths) as it is.
    pub fn line(&self, cells: &[&str]) -> String {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let text = visible(cell);
            if i > 0 {
                out.push(' ');
            }
            match self.0.get(i) {
                Some(&w) if i + 1 < cells.len() => out.push_str(&fit(&text, w)),
                _ => out.push_str(&text),
            }
        }
        out
    }
}

/// A column's width for `values`: the widest (as shown, controls escaped),
/// at least `min` (its heading) and at most `max` (past it, values are cut).
pub fn width_of<'a>(values: impl IntoIterator<Item = &'a str>, min: usize, max: usize) -> usize {
    values
        .into_iter()
        .map(|v| visible(v).width())
        .max()
        .unwrap_or(0)
        .clamp(min, max)
}

/// `text` in exactly `width` cells: cut with "…" when longer, padded with
/// spaces when shorter.
pub fn fit(text: &str, width: usize) -> String {
    let w = text.width();
    if w <= width {
        return format!("{text}{}", " ".repeat(width - w));
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + cw + 1 > width {
            break;
        }
        out.push(c);
        used += cw;
    }
    out.push('…');
    used += 1;
    out.push_str(&" ".repeat(width.saturating_sub(used)));
    out
}

/// `println!` of one line for a person, every control and bidi character
/// in it made visible ([`visible`]).
macro_rules! outln {
    () => {
        println!()
    };
    ($($arg:tt)*) => {
        println!("{}", $crate::cli::term::visible(&format!($($arg)*)))
    };
}

/// `eprintln!` of one line for a person, every control and bidi character
/// in it made visible ([`visible`]).
macro_rules! errln {
    ($($arg:tt)*) => {
        eprintln!("{}", $crate::cli::term::visible(&format!($($arg)*)))
    };
}

pub(crate) use errln;
pub(crate) use outln;

#[cfg(test)]
mod tests {
    use unicode_width::UnicodeWidthStr;

    use super::{fit, Columns};

    #[test]
    fn columns_line_up_in_display_width() {
        let t = Columns(vec![6, 4]);
        let lines = [
            t.line(&["ab", "x", "end"]),
            t.line(&["日本語の名前", "é\u{301}e", "end"]),
            t.line(&["a\u{1b}[2Jb", "xyzzy", "end"]),
        ];
        for l in &lines {
            let end = l.find("end").unwrap();
            assert_eq!(l[..end].width(), 12, "{l:?}");
        }
        assert_eq!(fit("abcdefgh", 5), "abcd…");
        assert_eq!(fit("日本語", 5), "日本…");
        assert_eq!(fit("日本語", 4), "日… ");
        assert_eq!(fit("ab", 4), "ab  ");
        // Controls are shown escaped, then measured.
        assert!(lines[2].starts_with("a\\u{1… xyz… end"), "{}", lines[2]);
    }

    #[test]
    fn a_line_shows_every_control_and_bidi_character() {
        let hostile = "title\u{1b}[2J\u{9b}31m\u{7}\u{202e}exe.txt";
        let line = super::visible(&format!("case: {hostile}")).into_owned();
        assert_eq!(
            line,
            "case: title\\u{1b}[2J\\u{9b}31m\\u{7}\\u{202e}exe.txt"
        );
        assert!(!line.chars().any(custodian::text::is_hidden));
    }
}
