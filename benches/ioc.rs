//! Micro-benchmarks of IOC sets: loading IPv4 lists and looking addresses up at 1k, 10k
//! and 100k entries (the hash probes should cost the same at every size), CIDR ranges, and
//! domains. Inputs are generated in `common/` (deterministic). See BENCHMARKS.md.
//! Run with `cargo bench --bench ioc`.

mod common;

use std::net::IpAddr;

use divan::counter::ItemsCount;
use divan::{Bencher, black_box};
use shellsweep::internals::IocSet;
use shellsweep::internals::parse_logged_addr;

fn main() {
    divan::main();
}

const SIZES: &[usize] = &[1_000, 10_000, 100_000];
/// Addresses looked up per iteration; one in 16 is on the list.
const PROBES: usize = 1024;

fn set_of(text: &str) -> IocSet {
    let mut s = IocSet::default();
    let problems = s.load_text("iocs.txt", text);
    assert!(problems.problems.is_empty());
    s
}

fn probes(listed: &[String]) -> Vec<IpAddr> {
    let mut rng = common::Rng::new(11);
    (0..PROBES)
        .map(|i| {
            let s = if i % 16 == 0 {
                listed[rng.below(listed.len())].clone()
            } else {
                common::ipv4(&mut rng, common::CLIENT_NETS)
            };
            s.parse().expect("address")
        })
        .collect()
}

/// Parsing and indexing a list of N addresses (what `--ioc FILE` costs at start-up).
#[divan::bench(args = SIZES, max_time = 2)]
fn load_ipv4_list(bencher: Bencher, n: usize) {
    let (text, _) = common::ioc_list(n);
    bencher
        .counter(ItemsCount::new(n))
        .bench_local(|| set_of(black_box(&text)).ips.len());
}

/// 1,024 exact-address lookups against a list of N addresses.
#[divan::bench(args = SIZES, max_time = 1)]
fn lookup_ipv4(bencher: Bencher, n: usize) {
    let (text, listed) = common::ioc_list(n);
    let set = set_of(&text);
    let probes = probes(&listed);
    bencher.counter(ItemsCount::new(PROBES)).bench_local(|| {
        probes
            .iter()
            .filter(|&&a| set.ips.lookup(black_box(a)).is_some())
            .count()
    });
}

/// The same with the list half addresses, half networks of four prefix lengths.
#[divan::bench(args = SIZES, max_time = 1)]
fn lookup_ipv4_with_cidrs(bencher: Bencher, n: usize) {
    let (_, listed) = common::ioc_list(n);
    let mut text = String::new();
    for (i, ip) in listed.iter().enumerate() {
        text.push_str(ip);
        if i % 2 == 1 {
            text.push_str(["/16", "/20", "/24", "/28"][i / 2 % 4]);
        }
        text.push('\n');
    }
    let set = set_of(&text);
    let probes = probes(&listed);
    bencher.counter(ItemsCount::new(PROBES)).bench_local(|| {
        probes
            .iter()
            .filter(|&&a| set.ips.lookup(black_box(a)).is_some())
            .count()
    });
}

/// Text of a logged address to `IpAddr` (c-ip, X-Forwarded-For entries), then lookup.
#[divan::bench(max_time = 1)]
fn parse_and_lookup_logged(bencher: Bencher) {
    let (text, listed) = common::ioc_list(10_000);
    let set = set_of(&text);
    let logged: Vec<String> = probes(&listed).iter().map(IpAddr::to_string).collect();
    bencher.counter(ItemsCount::new(PROBES)).bench_local(|| {
        logged
            .iter()
            .filter_map(|a| parse_logged_addr(black_box(a.as_bytes())))
            .filter(|&a| set.ips.lookup(a).is_some())
            .count()
    });
}

/// cs-host lookups (the name and each parent domain) against N domains.
#[divan::bench(args = SIZES, max_time = 1)]
fn lookup_host(bencher: Bencher, n: usize) {
    let mut rng = common::Rng::new(12);
    let names: Vec<String> = (0..n)
        .map(|i| format!("{}{i}.example", ["c2-", "cdn-", "upd-"][rng.below(3)]))
        .collect();
    let set = set_of(&(names.join("\n") + "\n"));
    let hosts: Vec<String> = (0..PROBES)
        .map(|i| {
            if i % 16 == 0 {
                format!("www.{}", names[rng.below(n)])
            } else {
                format!("portal{}.contoso.test", rng.below(100))
            }
        })
        .collect();
    bencher.counter(ItemsCount::new(PROBES)).bench_local(|| {
        hosts
            .iter()
            .filter(|h| set.domains.lookup_host(black_box(h.as_bytes())).is_some())
            .count()
    });
}
