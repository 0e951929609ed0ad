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
//! Issue 22 grows this module into the terminal-output module (widths,
//! colour).

pub use custodian::text::{visible, visible_name};

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
