#![no_main]
//! Fuzz target `import_log`: see `custodian_fuzz::import_log`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| custodian_fuzz::import_log(data));
