#![no_main]
//! Fuzz target `hashlist_roundtrip`: see `custodian_fuzz::hashlist_roundtrip`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| custodian_fuzz::hashlist_roundtrip(data));
