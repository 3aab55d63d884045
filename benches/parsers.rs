//! Micro-benchmarks: see BENCHMARKS.md. Run with `cargo bench --bench parsers`.

fn main() {
    divan::main();
}

#[divan::bench]
fn placeholder() -> usize {
    divan::black_box(1)
}
