#![no_main]
//! Fuzz target `index_record`: see `custodian_fuzz::index_record`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| custodian_fuzz::index_record(data));
