#![no_main]
//! Fuzz target `blinded`: see `custodian_fuzz::blinded`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| custodian_fuzz::blinded(data));
