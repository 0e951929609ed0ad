#![no_main]
//! Fuzz target `proof`: see `custodian_fuzz::proof`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| custodian_fuzz::proof(data));
