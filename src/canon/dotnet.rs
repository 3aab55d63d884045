//! The canonical view of dotnet code (see the module above).

use super::{Builder, View};

pub(super) fn view(raw: &[u8]) -> View {
    let mut b = Builder::with_capacity(raw.len());
    b.copy(raw, 0, raw.len());
    b.finish()
}
