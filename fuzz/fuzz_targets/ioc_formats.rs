#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| shellsweep_fuzz::ioc_formats::run(data));
