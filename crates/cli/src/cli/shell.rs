//! `custodian completions` and `custodian man`: shell completion scripts and
//! man pages generated from the clap definitions, so they can never name a
//! subcommand or flag that the binary does not have.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::CommandFactory;

use super::{Cli, EXIT_OK};

/// Print a shell completion script.
///
/// Install it where your shell looks, e.g.
///   custodian completions bash > ~/.local/share/bash-completion/completions/custodian
///   custodian completions zsh > ~/.zfunc/_custodian   (with ~/.zfunc in $fpath)
///   custodian completions fish > ~/.config/fish/completions/custodian.fish
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  custodian completions bash > ~/.local/share/bash-completion/completions/custodian\n  custodian completions fish > ~/.config/fish/completions/custodian.fish"
)]
pub struct CompletionsArgs {
    /// The shell to write the script for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Write man pages: custodian.1 and one page per subcommand.
///
/// The pages are named custodian.1, custodian-report.1,
/// custodian-index-add.1 …; existing pages of those names are replaced.
/// Install them with `custodian man --dir ~/.local/share/man/man1` (then
/// `man custodian-report`).
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  custodian man --dir ~/.local/share/man/man1\n  man custodian-verify"
)]
pub struct ManArgs {
    /// The folder to write the pages into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
}

pub fn run_completions(args: CompletionsArgs) -> Result<ExitCode> {
    use std::io::Write;
    let script = completion_script(args.shell);
    std::io::stdout()
        .lock()
        .write_all(&script)
        .context("cannot write the completion script")?;
    Ok(ExitCode::from(EXIT_OK))
}

pub fn run_man(args: ManArgs) -> Result<ExitCode> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create {}", args.dir.display()))?;
    let written = write_man_pages(&args.dir)?;
    for path in &written {
        super::term::outln!("wrote {}", path.display());
    }
    Ok(ExitCode::from(EXIT_OK))
}

/// The completion script of `shell` for the whole command tree.
fn completion_script(shell: clap_complete::Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let name = cmd.get_name().to_string();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, name, &mut script);
    script
}

/// Writes every page into `dir` (which exists); returns their paths.
fn write_man_pages(dir: &Path) -> Result<Vec<PathBuf>> {
    // Built first, so each subcommand's display name is the page name
    // (`custodian-index-add`); `help` is clap's, not a page of its own.
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut written = Vec::new();
    write_pages(cmd, dir, &mut written)?;
    Ok(written)
}

/// The page of `cmd`, then those of its subcommands (hidden ones aside).
fn write_pages(cmd: clap::Command, dir: &Path, written: &mut Vec<PathBuf>) -> Result<()> {
    let source = format!("custodian {}", env!("CARGO_PKG_VERSION"));
    let man = clap_mangen::Man::new(cmd.clone())
        .source(source)
        .manual("custodian manual");
    let path = dir.join(man.get_filename());
    let mut page = Vec::new();
    man.render(&mut page)
        .with_context(|| format!("cannot render {}", path.display()))?;
    std::fs::write(&path, page).with_context(|| format!("cannot write {}", path.display()))?;
    written.push(path);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub.clone(), dir, written)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// Every subcommand, from the clap definition itself: a new one is
    /// covered without touching these tests.
    fn subcommand_names() -> Vec<String> {
        let names: Vec<String> = Cli::command()
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
            .map(|s| s.get_name().to_string())
            .collect();
        assert!(names.len() > 20, "the command tree has its subcommands");
        names
    }

    #[test]
    fn bash_script_names_every_subcommand() {
        let script = String::from_utf8(completion_script(clap_complete::Shell::Bash)).unwrap();
        for name in subcommand_names() {
            assert!(
                script.contains(&name),
                "the bash completion script does not mention `{name}`"
            );
        }
    }

    #[test]
    fn every_shell_gets_a_script() {
        use clap::ValueEnum;
        for shell in clap_complete::Shell::value_variants() {
            let script = String::from_utf8(completion_script(*shell)).unwrap();
            assert!(script.contains("custodian"), "{shell}: {script}");
            assert!(
                script.contains("verify-package"),
                "{shell} lacks a subcommand"
            );
        }
    }

    #[test]
    fn man_pages_for_every_subcommand_start_with_th() {
        let dir = tempfile::tempdir().unwrap();
        let written = write_man_pages(dir.path()).unwrap();
        let mut pages = vec!["custodian.1".to_string()];
        pages.extend(
            subcommand_names()
                .iter()
                .map(|n| format!("custodian-{n}.1")),
        );
        for page in &pages {
            let path = dir.path().join(page);
            assert!(written.contains(&path), "no page {page}");
            let text = std::fs::read_to_string(&path).unwrap();
            // roff's own preamble (the apostrophe string, `.ie`/`.el`
            // lines) may come first; the first macro line is `.TH`.
            let first = text
                .lines()
                .find(|l| !l.starts_with(".ie ") && !l.starts_with(".el "))
                .unwrap_or_default();
            let title = page.trim_end_matches(".1");
            assert!(
                first.starts_with(&format!(".TH {title} 1 ")),
                "{page} starts with {first:?}"
            );
        }
        // Nested subcommands have pages too (`custodian-index-add.1` …).
        assert!(dir.path().join("custodian-index-add.1").exists());
    }
}
