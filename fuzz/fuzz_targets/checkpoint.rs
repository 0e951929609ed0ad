#![no_main]
//! Fuzz target `checkpoint`: see `custodian_fuzz::checkpoint`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| custodian_fuzz::checkpoint(data));
