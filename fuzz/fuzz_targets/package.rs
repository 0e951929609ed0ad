#![no_main]
//! Fuzz target `package`: see `custodian_fuzz::package`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| custodian_fuzz::package(data));
