#![no_main]
//! Fuzz target `keys`: see `custodian_fuzz::keys`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| custodian_fuzz::keys(data));
