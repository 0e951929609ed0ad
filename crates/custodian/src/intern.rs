//! `&'static str` members read back from a cache.
//!
//! Finding ids and severities are static text chosen by the rules; a state
//! read back from the verified-state record (`ledger::cache`) needs them as
//! `&'static str` again. The set of distinct values is the small fixed set
//! the rules use, so each is leaked once and reused.

use std::collections::HashSet;
use std::sync::Mutex;

/// The static copy of `s`.
pub fn intern(s: &str) -> &'static str {
    static SEEN: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    let set = seen.get_or_insert_with(HashSet::new);
    if let Some(&known) = set.get(s) {
        return known;
    }
    let leaked: &'static str = Box::leak(s.to_owned().into_boxed_str());
    set.insert(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    #[test]
    fn equal_text_is_one_static_str() {
        let a = super::intern("CUS-OVERRIDE");
        let b = super::intern(&String::from("CUS-OVERRIDE"));
        assert!(std::ptr::eq(a, b));
        assert_eq!(a, "CUS-OVERRIDE");
    }
}
