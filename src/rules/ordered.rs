//! Mapping over a list on a few threads, results in list order: how start-up spreads the
//! bundled rule files' parsing and the regexes' parsing over the cores.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `f` applied to every item on up to `threads` threads (this one included), each taking
/// the next item from a shared counter, so that a few expensive items do not leave a
/// thread idle. An item whose thread panicked comes back `None`.
pub(crate) fn map_ordered<'a, T: Sync, R: Send>(
    items: &'a [T],
    threads: usize,
    f: impl Fn(&'a T) -> R + Sync,
) -> Vec<Option<R>> {
    let mut out: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    if threads < 2 || items.len() < 2 {
        for (slot, item) in out.iter_mut().zip(items) {
            *slot = Some(f(item));
        }
        return out;
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else {
                return done;
            };
            done.push((i, f(item)));
        }
    };
    // This thread works too: on a busy machine a helper may start late or not at all, and
    // then this one takes what it would have, instead of waiting for it. A panic in its
    // share is caught like a helper's.
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads.min(items.len()))
            .map(|_| scope.spawn(work))
            .collect();
        let mine = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_default();
        for (i, r) in helpers
            .into_iter()
            .filter_map(|h| h.join().ok())
            .flatten()
            .chain(mine)
        {
            out[i] = Some(r);
        }
    });
    out
}

/// The threads start-up work may use: the cores, at most 4.
pub(crate) fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_order_of_the_items_whatever_the_threads() {
        let items: Vec<u64> = (0..500).collect();
        for threads in [1, 2, 3, 8] {
            let out = map_ordered(&items, threads, |&n| (0..n % 97).sum::<u64>() + n);
            let want: Vec<Option<u64>> = items
                .iter()
                .map(|&n| Some((0..n % 97).sum::<u64>() + n))
                .collect();
            assert_eq!(out, want, "{threads} threads");
        }
        assert!(map_ordered(&[] as &[u8], 4, |&b| b).is_empty());
    }

    #[test]
    fn an_item_whose_thread_panicked_is_none_and_the_rest_are_kept() {
        let items: Vec<u32> = (0..64).collect();
        let out = map_ordered(&items, 2, |&n| {
            assert_ne!(n, 13, "test panic");
            n
        });
        assert_eq!(out.len(), 64);
        assert!(out[13].is_none());
        // Only the panicking thread's items can be missing; the rest are in place.
        for (i, r) in out.iter().enumerate() {
            if let Some(v) = r {
                assert_eq!(*v as usize, i);
            }
        }
        // The other thread takes every item after the panic.
        assert_eq!(out[63], Some(63));
    }
}
