#![no_main]
//! Fuzz target `hashset_import`: see `custodian_fuzz::hashset_import`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| custodian_fuzz::hashset_import(data));
