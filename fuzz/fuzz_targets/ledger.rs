#![no_main]
//! Fuzz target `ledger`: see `custodian_fuzz::ledger`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| custodian_fuzz::ledger(data));
