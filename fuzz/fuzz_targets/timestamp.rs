#![no_main]
//! Fuzz target `timestamp`: see `custodian_fuzz::timestamp`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| custodian_fuzz::timestamp(data));
