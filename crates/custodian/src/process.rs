//! Process-wide settings for command-line front ends.

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
