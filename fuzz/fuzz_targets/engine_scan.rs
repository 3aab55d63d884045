#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| shellsweep_fuzz::engine_scan::run(data));
