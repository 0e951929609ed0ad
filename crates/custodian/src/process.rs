//! Process-wide settings for command-line front ends, and facts about the
//! machine the process runs on.

/// This machine's name, recorded with each acquisition and export.
pub fn host_name() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

/// Restores the default action of SIGPIPE (terminate quietly), which Rust
/// programs ignore by default. Without it, `custodian log CASE | head`
/// would panic on the closed pipe instead of stopping like `cat` does.
pub fn default_sigpipe() {
    // SAFETY: called once at start-up, before any thread exists; setting a
    // signal's disposition to SIG_DFL has no memory-safety implications.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
