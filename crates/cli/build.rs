//! Records what `custodian --version` and `custodian version` report about
//! the build: the git commit of the source tree and the enabled cargo
//! features. A lab's tool-validation record names the exact build, so the
//! commit must be the one compiled; and a build outside a git checkout (a
//! source tarball, a vendored crate) must still succeed, saying the commit
//! was not recorded rather than failing or guessing.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let commit = git_commit().unwrap_or_default();
    let features = features();
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let commit_words = if commit.is_empty() {
        "commit not recorded".to_string()
    } else {
        format!("commit {}", &commit[..12])
    };
    let feature_words = if features.is_empty() {
        "none".to_string()
    } else {
        features.join(", ")
    };
    println!("cargo:rustc-env=CUSTODIAN_GIT_COMMIT={commit}");
    println!("cargo:rustc-env=CUSTODIAN_FEATURES={}", features.join(","));
    println!(
        "cargo:rustc-env=CUSTODIAN_TARGET={}",
        std::env::var("TARGET").unwrap_or_default()
    );
    println!(
        "cargo:rustc-env=CUSTODIAN_VERSION_LINE={version} ({commit_words}, features: {feature_words})"
    );
}

/// The enabled features of this package, sorted, in their Cargo.toml
/// spelling (cargo passes them upper-cased with `-` as `_`).
fn features() -> Vec<String> {
    let mut out: Vec<String> = std::env::vars()
        .filter_map(|(k, _)| k.strip_prefix("CARGO_FEATURE_").map(str::to_owned))
        .filter(|f| f != "DEFAULT")
        .map(|f| f.to_lowercase().replace('_', "-"))
        .collect();
    out.sort();
    out
}

/// Runs git in this crate's folder; `None` when git is missing, this is not
/// a checkout, or the checkout is not custodian's own (a crate unpacked
/// inside some other repository must not take that repository's commit).
fn git_commit() -> Option<String> {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git")
            .args(args)
            .current_dir(&dir)
            .output()
            .ok()?;
        if !out.status.success() {
            return None;
        }
        Some(String::from_utf8(out.stdout).ok()?.trim().to_string())
    };
    if git(&["rev-parse", "--show-prefix"])? != "crates/cli/" {
        return None;
    }
    // Rebuild when HEAD moves: HEAD itself (a checkout or a detached
    // commit), the branch it names (a commit rewrites that branch's file)
    // and packed-refs (a gc). A branch that has only a packed entry gets
    // its file at the next commit, so then the whole refs/heads folder is
    // watched. In a worktree these live in different folders, so git says
    // where each one is. A missing path would make cargo rerun this script
    // at every build: only existing ones are named.
    let git_path = |name: &str| -> Option<String> {
        git(&["rev-parse", "--path-format=absolute", "--git-path", name])
            .filter(|p| std::path::Path::new(p).exists())
    };
    let branch = git(&["symbolic-ref", "-q", "HEAD"]);
    let branch_file = branch.as_deref().and_then(git_path);
    let watched = [
        git_path("HEAD"),
        git_path("packed-refs"),
        branch_file.or_else(|| branch.and_then(|_| git_path("refs/heads"))),
    ];
    for path in watched.into_iter().flatten() {
        println!("cargo:rerun-if-changed={path}");
    }
    let commit = git(&["rev-parse", "--verify", "HEAD^{commit}"])?;
    let is_hex = commit.len() >= 40 && commit.bytes().all(|b| b.is_ascii_hexdigit());
    is_hex.then_some(commit)
}
