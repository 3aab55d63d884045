//! Micro-benchmarks: see BENCHMARKS.md. Run with `cargo bench --bench ioc`.

fn main() {
    divan::main();
}

#[divan::bench]
fn placeholder() -> usize {
    divan::black_box(1)
}
