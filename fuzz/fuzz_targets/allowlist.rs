#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| shellsweep_fuzz::allowlist::run(data));
