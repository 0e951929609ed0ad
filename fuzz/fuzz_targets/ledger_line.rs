#![no_main]
//! Fuzz target `ledger_line`: see `custodian_fuzz::ledger_line`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| custodian_fuzz::ledger_line(data));
