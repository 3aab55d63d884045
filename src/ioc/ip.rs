//! IP addresses and CIDR ranges, matched with exact address semantics.
//!
//! Lookups are hash probes: one for exact addresses, then one per distinct prefix length in
//! the list (at most 33 for IPv4, 129 for IPv6), so 100,000 entries cost about what 100 do.
//! An IPv4 address in no listed /20 is ruled out by one bit before any of them.

use std::collections::HashMap;
use std::net::IpAddr;

/// The tables hash with foldhash's fixed-seed function: every line of a log is looked up,
/// and the keys come from IOC lists, not from the logs, so nothing an attacker writes can
/// crowd a bucket (a hostile lookup only probes) and no per-process random seed is needed.
type Map<K> = HashMap<K, usize, foldhash::fast::FixedState>;

/// A set of addresses and networks; each entry remembers which indicator it came from.
#[derive(Debug, Default, Clone)]
pub struct IpSet {
    /// IPv4 addresses as numbers: a quarter of the bytes an `IpAddr` key takes, which on a
    /// 100k list is megabytes of pages not touched at load.
    exact_v4: Map<u32>,
    exact_v6: Map<std::net::Ipv6Addr>,
    /// One bit per IPv4 /20, set where some entry may match (empty while there is no
    /// IPv4 entry). Nearly every logged address is in no list, and this rules it out with
    /// one read of a table that stays in cache (128 KiB), before any hashing.
    v4_blocks: Vec<u64>,
    /// (prefix length, network with host bits cleared) -> indicator, per family.
    v4: PrefixTable<u32>,
    v6: PrefixTable<u128>,
}

#[derive(Debug, Clone)]
struct PrefixTable<T> {
    /// Distinct prefix lengths present, longest first (the most specific match wins).
    lengths: Vec<u8>,
    nets: Map<(u8, T)>,
}

impl<T> Default for PrefixTable<T> {
    fn default() -> Self {
        PrefixTable {
            lengths: Vec::new(),
            nets: Map::default(),
        }
    }
}

/// IPv4 addresses are grouped in blocks of 2^12 (/20 networks) for [`IpSet::may_hold_v4`].
const V4_BLOCK_BITS: u32 = 20;
const V4_BLOCK_SHIFT: u32 = 32 - V4_BLOCK_BITS;
const V4_BLOCKS: usize = 1 << V4_BLOCK_BITS;

fn mask_v4(a: u32, len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        a & (u32::MAX << (32 - u32::from(len)))
    }
}

fn mask_v6(a: u128, len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        a & (u128::MAX << (128 - u32::from(len)))
    }
}

impl IpSet {
    pub fn is_empty(&self) -> bool {
        self.exact_v4.is_empty()
            && self.exact_v6.is_empty()
            && self.v4.nets.is_empty()
            && self.v6.nets.is_empty()
    }

    pub fn len(&self) -> usize {
        self.exact_v4.len() + self.exact_v6.len() + self.v4.nets.len() + self.v6.nets.len()
    }

    /// Room for `n` more addresses, so that a big list is hashed into its table once
    /// rather than into each of ~17 growing ones.
    pub fn reserve(&mut self, n: usize) {
        self.exact_v4.reserve(n);
    }

    /// Adds an address; the first indicator given for a value is kept.
    pub fn insert_addr(&mut self, addr: IpAddr, indicator: usize) {
        match canonical(addr) {
            IpAddr::V4(a) => {
                self.mark_v4(u32::from(a), 32);
                self.exact_v4.entry(u32::from(a)).or_insert(indicator);
            }
            IpAddr::V6(a) => {
                self.exact_v6.entry(a).or_insert(indicator);
            }
        }
    }

    /// Sets the bits of the /20 blocks that the network `net`/`len` overlaps.
    fn mark_v4(&mut self, net: u32, len: u8) {
        if self.v4_blocks.is_empty() {
            self.v4_blocks = vec![0; V4_BLOCKS / 64];
        }
        let first = (net >> V4_BLOCK_SHIFT) as usize;
        let count = 1usize << (V4_BLOCK_BITS.saturating_sub(u32::from(len)));
        for b in first..first + count {
            self.v4_blocks[b / 64] |= 1 << (b % 64);
        }
    }

    fn may_hold_v4(&self, a: u32) -> bool {
        let b = (a >> V4_BLOCK_SHIFT) as usize;
        self.v4_blocks
            .get(b / 64)
            .is_some_and(|w| w & (1 << (b % 64)) != 0)
    }

    /// Adds a network. A full-length prefix is stored as an address.
    pub fn insert_net(&mut self, addr: IpAddr, len: u8, indicator: usize) {
        // An IPv4-mapped network is the IPv4 network it maps; other IPv6 stays IPv6.
        let (addr, len) = match addr {
            IpAddr::V6(v6) if len >= 96 => match v6.to_ipv4_mapped() {
                Some(v4) => (IpAddr::V4(v4), len - 96),
                None => (addr, len),
            },
            _ => (addr, len),
        };
        match addr {
            IpAddr::V4(a) if len >= 32 => self.insert_addr(IpAddr::V4(a), indicator),
            IpAddr::V6(a) if len >= 128 => self.insert_addr(IpAddr::V6(a), indicator),
            IpAddr::V4(a) => {
                let net = mask_v4(u32::from(a), len);
                self.mark_v4(net, len);
                insert(&mut self.v4, len, net, indicator);
            }
            IpAddr::V6(a) => insert(&mut self.v6, len, mask_v6(u128::from(a), len), indicator),
        }
    }

    /// The indicator matching `addr`, if any: an exact address first, then the longest
    /// matching network.
    pub fn lookup(&self, addr: IpAddr) -> Option<usize> {
        match canonical(addr) {
            IpAddr::V4(a) => {
                let a = u32::from(a);
                if !self.may_hold_v4(a) {
                    return None;
                }
                if let Some(&i) = self.exact_v4.get(&a) {
                    return Some(i);
                }
                self.v4
                    .lengths
                    .iter()
                    .find_map(|&l| self.v4.nets.get(&(l, mask_v4(a, l))).copied())
            }
            IpAddr::V6(a) => {
                if let Some(&i) = self.exact_v6.get(&a) {
                    return Some(i);
                }
                let a = u128::from(a);
                self.v6
                    .lengths
                    .iter()
                    .find_map(|&l| self.v6.nets.get(&(l, mask_v6(a, l))).copied())
            }
        }
    }
}

fn insert<T: std::hash::Hash + Eq>(t: &mut PrefixTable<T>, len: u8, net: T, indicator: usize) {
    t.nets.entry((len, net)).or_insert(indicator);
    if !t.lengths.contains(&len) {
        t.lengths.push(len);
        t.lengths.sort_unstable_by(|a, b| b.cmp(a));
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`, as dual-stack servers log them) are the
/// IPv4 address.
fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn exact_addresses_do_not_match_neighbours() {
        let mut s = IpSet::default();
        s.insert_addr(ip("10.1.2.3"), 0);
        assert_eq!(s.lookup(ip("10.1.2.3")), Some(0));
        assert_eq!(s.lookup(ip("10.1.2.34")), None);
        assert_eq!(s.lookup(ip("110.1.2.3")), None);
        assert_eq!(s.lookup(ip("::ffff:10.1.2.3")), Some(0));
    }

    #[test]
    fn networks_v4_and_v6() {
        let mut s = IpSet::default();
        s.insert_net(ip("203.0.113.0"), 24, 1);
        s.insert_net(ip("203.0.113.128"), 25, 2);
        s.insert_net(ip("2001:db8::"), 32, 3);
        s.insert_net(ip("0.0.0.0"), 0, 4);
        assert_eq!(s.lookup(ip("203.0.113.7")), Some(1));
        assert_eq!(
            s.lookup(ip("203.0.113.200")),
            Some(2),
            "longest prefix wins"
        );
        assert_eq!(s.lookup(ip("2001:db8:ffff::1")), Some(3));
        assert_eq!(s.lookup(ip("2001:db9::1")), None);
        assert_eq!(s.lookup(ip("8.8.8.8")), Some(4));
    }

    fn naive(entries: &[(u32, u8)], a: u32) -> bool {
        entries
            .iter()
            .any(|&(net, len)| len == 0 || (a ^ net) >> (32 - u32::from(len)) == 0)
    }

    proptest! {
        #[test]
        fn v4_agrees_with_a_naive_oracle(
            entries in proptest::collection::vec((any::<u32>(), 0u8..=32), 0..40),
            probes in proptest::collection::vec(any::<u32>(), 1..40),
        ) {
            let mut s = IpSet::default();
            for (i, &(net, len)) in entries.iter().enumerate() {
                s.insert_net(IpAddr::V4(net.into()), len, i);
            }
            // Probe near the entries too, where off-by-one errors live.
            let near: Vec<u32> = entries.iter().flat_map(|&(n, _)| [n, n.wrapping_add(1), n.wrapping_sub(1), n ^ 0x100]).collect();
            for a in probes.into_iter().chain(near) {
                prop_assert_eq!(s.lookup(IpAddr::V4(a.into())).is_some(), naive(&entries, a), "addr {}", std::net::Ipv4Addr::from(a));
            }
        }

        #[test]
        fn v6_agrees_with_a_naive_oracle(
            entries in proptest::collection::vec((any::<u128>(), 0u8..=128), 0..20),
            probes in proptest::collection::vec(any::<u128>(), 1..20),
        ) {
            let mut s = IpSet::default();
            for (i, &(net, len)) in entries.iter().enumerate() {
                s.insert_net(IpAddr::V6(net.into()), len, i);
            }
            let naive6 = |a: u128| entries.iter().any(|&(net, len)| len == 0 || (a ^ net) >> (128 - u32::from(len)) == 0);
            let near: Vec<u128> = entries.iter().flat_map(|&(n, _)| [n, n.wrapping_add(1), n ^ (1 << 64)]).collect();
            for a in probes.into_iter().chain(near) {
                let addr = std::net::Ipv6Addr::from(a);
                // IPv4-mapped addresses are treated as IPv4; the oracle speaks IPv6 only.
                if addr.to_ipv4_mapped().is_some() {
                    continue;
                }
                prop_assert_eq!(s.lookup(IpAddr::V6(addr)).is_some(), naive6(a), "addr {}", addr);
            }
        }
    }
}
