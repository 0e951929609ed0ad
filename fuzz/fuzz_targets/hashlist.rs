#![no_main]
//! Fuzz target `hashlist`: see `custodian_fuzz::hashlist`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| custodian_fuzz::hashlist(data));
