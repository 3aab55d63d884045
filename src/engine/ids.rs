//! Typed indices for the engine's tables. Rules and patterns are both numbered from zero and
//! many per-rule and per-pattern vectors sit side by side in the scratch space; with plain
//! `usize` a pattern index used on a per-rule vector compiles and silently reads the wrong
//! slot. The wrappers compile to the same code as the bare index.

use std::marker::PhantomData;
use std::ops::{Index, IndexMut};

/// An index into one kind of table.
pub(crate) trait Id: Copy {
    fn from_index(i: usize) -> Self;
    fn index(self) -> usize;
}

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub(crate) struct $name(usize);

        impl Id for $name {
            #[inline]
            fn from_index(i: usize) -> Self {
                $name(i)
            }

            #[inline]
            fn index(self) -> usize {
                self.0
            }
        }
    };
}

id!(
    /// A rule, by its place in the engine's rule list.
    RuleId
);
id!(
    /// A compiled pattern, by its place in the engine's pattern list (all rules' patterns,
    /// rule after rule).
    PatternId
);

/// A vector indexed by one kind of id only.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct IdVec<I, T> {
    items: Vec<T>,
    id: PhantomData<fn(I) -> I>,
}

impl<I: Id, T> IdVec<I, T> {
    pub(crate) fn new() -> Self {
        IdVec::from(Vec::new())
    }

    /// The id the next pushed item gets.
    pub(crate) fn next_id(&self) -> I {
        I::from_index(self.items.len())
    }

    pub(crate) fn push(&mut self, item: T) -> I {
        let id = self.next_id();
        self.items.push(item);
        id
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    pub(crate) fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.items.iter_mut()
    }

    pub(crate) fn iter_enumerated(&self) -> impl Iterator<Item = (I, &T)> {
        self.items
            .iter()
            .enumerate()
            .map(|(i, t)| (I::from_index(i), t))
    }

    pub(crate) fn as_slice(&self) -> &[T] {
        &self.items
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.items
    }
}

impl<T> IdVec<PatternId, T> {
    /// The items of one rule's patterns.
    #[inline]
    pub(crate) fn slice(&self, r: PatternRange) -> &[T] {
        &self.items[r.start.0..r.end.0]
    }
}

impl<I, T> From<Vec<T>> for IdVec<I, T> {
    fn from(items: Vec<T>) -> Self {
        IdVec {
            items,
            id: PhantomData,
        }
    }
}

impl<I: Id, T> Index<I> for IdVec<I, T> {
    type Output = T;

    #[inline]
    fn index(&self, id: I) -> &T {
        &self.items[id.index()]
    }
}

impl<I: Id, T> IndexMut<I> for IdVec<I, T> {
    #[inline]
    fn index_mut(&mut self, id: I) -> &mut T {
        &mut self.items[id.index()]
    }
}

/// The patterns of one rule: consecutive ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PatternRange {
    start: PatternId,
    end: PatternId,
}

impl PatternRange {
    pub(crate) fn new(start: PatternId, end: PatternId) -> Self {
        PatternRange { start, end }
    }

    pub(crate) fn is_empty(self) -> bool {
        self.start.0 == self.end.0
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = PatternId> {
        (self.start.0..self.end.0).map(PatternId)
    }

    /// The `n`th pattern of the rule, if it has that many.
    #[inline]
    pub(crate) fn nth(self, n: usize) -> Option<PatternId> {
        (self.start.0..self.end.0).nth(n).map(PatternId)
    }

    /// A pattern's place among its rule's patterns (the index into `Rule::patterns`).
    #[inline]
    pub(crate) fn local(self, p: PatternId) -> usize {
        p.0 - self.start.0
    }
}
