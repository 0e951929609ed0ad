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
            let text = shown(cell);
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
        .map(|v| shown(v).width())
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
    // "…", or with --ascii "..." (fewer dots in a column under 3 cells).
    let mark = if style().ascii {
        &"..."[..width.min(3)]
    } else {
        "…"
    };
    let budget = width.saturating_sub(mark.width());
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + cw > budget {
            break;
        }
        out.push(c);
        used += cw;
    }
    out.push_str(mark);
    out.push_str(&" ".repeat(budget - used));
    out
}

/// `println!` of one line for a person, every control and bidi character
/// in it made visible ([`visible`]), in ASCII with `--ascii` ([`shown`]).
macro_rules! outln {
    () => {
        println!()
    };
    ($($arg:tt)*) => {
        println!("{}", $crate::cli::term::shown(&format!($($arg)*)))
    };
}

/// `eprintln!` of one line for a person, every control and bidi character
/// in it made visible ([`visible`]), in ASCII with `--ascii` ([`shown`]).
macro_rules! errln {
    ($($arg:tt)*) => {
        eprintln!("{}", $crate::cli::term::shown(&format!($($arg)*)))
    };
}

pub(crate) use errln;
pub(crate) use outln;

/// When to colour (`--color`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ColorWhen {
    /// On a terminal, unless NO_COLOR is set (to anything) or TERM=dumb.
    #[default]
    Auto,
    Always,
    Never,
}

/// How human output looks, set once from the global options.
#[derive(Debug, Clone, Copy, Default)]
struct Style {
    color_out: bool,
    ascii: bool,
}

static STYLE: std::sync::OnceLock<Style> = std::sync::OnceLock::new();

/// Sets the output style from `--color` and `--ascii` (first call wins).
pub fn init(color: ColorWhen, ascii: bool) {
    use std::io::IsTerminal;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
    let color_out = match color {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => !no_color && !dumb && std::io::stdout().is_terminal(),
    };
    let _ = STYLE.set(Style { color_out, ascii });
}

fn style() -> Style {
    STYLE.get().copied().unwrap_or_default()
}

/// Whether `--ascii` was given (progress bars draw with ASCII too).
pub fn ascii() -> bool {
    style().ascii
}

/// A line as shown to a person: controls made visible; with `--ascii`,
/// custodian's own symbols spelled in ASCII ("…" as "...") and any other
/// character outside ASCII (a name, a place) as its `\u{…}` escape, so
/// nothing is lost on an old console or a court printer.
pub fn shown(line: &str) -> String {
    let line = visible(line);
    if !style().ascii {
        return line.into_owned();
    }
    to_ascii(&line)
}

fn to_ascii(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        match c {
            c if c.is_ascii() => out.push(c),
            '…' => out.push_str("..."),
            '—' | '–' => out.push('-'),
            '→' => out.push_str("->"),
            '×' => out.push('x'),
            'µ' => out.push('u'),
            '‘' | '’' => out.push('\''),
            '“' | '”' => out.push('"'),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    out
}

/// The tone of a verdict line on standard output.
#[derive(Debug, Clone, Copy)]
pub enum Tone {
    Good,
    Bad,
}

/// `line` (already [`shown`]) in the tone's colour when standard output
/// is coloured (`--color`), else as it is.
pub fn paint(tone: Tone, line: &str) -> String {
    if !style().color_out {
        return line.to_owned();
    }
    let code = match tone {
        Tone::Good => "32",
        Tone::Bad => "31",
    };
    format!("\u{1b}[1;{code}m{line}\u{1b}[0m")
}

/// `println!` of a verdict line: [`shown`], then [`paint`]ed.
macro_rules! verdictln {
    ($tone:expr, $($arg:tt)*) => {
        println!(
            "{}",
            $crate::cli::term::paint($tone, &$crate::cli::term::shown(&format!($($arg)*)))
        )
    };
}

pub(crate) use verdictln;

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
    fn ascii_spells_symbols_and_escapes_the_rest() {
        assert_eq!(
            super::to_ascii("Mercière … 16 µs — ok"),
            "Merci\\u{e8}re ... 16 us - ok"
        );
        assert!(super::to_ascii("日本").is_ascii());
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
