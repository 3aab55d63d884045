//! A parsed log record: named fields borrowed from the line where possible.

use std::borrow::Cow;
use std::sync::Arc;

use super::fields::Field;

#[derive(Debug, Clone)]
pub struct Record<'a> {
    values: [Option<Cow<'a, [u8]>>; Field::COUNT],
    /// Fields outside the taxonomy (IIS custom fields, unknown `#Fields` ids), by
    /// lowercase name.
    pub custom: Vec<(Arc<str>, Cow<'a, [u8]>)>,
    /// When the request happened, in UTC.
    pub time: Option<jiff::Timestamp>,
    /// IIS writes a space as `+` in user agents, referers and cookies; a combined log keeps
    /// what the client sent, so only IIS records are read both ways.
    pub plus_is_space: bool,
}

impl Default for Record<'_> {
    fn default() -> Self {
        Record {
            values: std::array::from_fn(|_| None),
            custom: Vec::new(),
            time: None,
            plus_is_space: false,
        }
    }
}

impl<'a> Record<'a> {
    /// Sets a field; `-` and empty values mean "absent", as in W3C and combined logs.
    pub fn set(&mut self, field: Field, value: impl Into<Cow<'a, [u8]>>) {
        let v = value.into();
        if !v.is_empty() && &*v != b"-" {
            self.values[field as usize] = Some(v);
        }
    }

    pub fn get(&self, field: Field) -> Option<&[u8]> {
        self.values[field as usize].as_deref()
    }

    pub fn custom(&self, name: &str) -> Option<&[u8]> {
        self.custom
            .iter()
            .find(|(n, _)| &**n == name)
            .map(|(_, v)| &**v)
    }

    /// Every field that is set, for output.
    pub fn iter(&self) -> impl Iterator<Item = (Field, &[u8])> {
        self.values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.as_deref().map(|v| (Field::ALL[i], v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dash_means_absent() {
        let mut r = Record::default();
        r.set(Field::Referer, &b"-"[..]);
        r.set(Field::Method, &b"POST"[..]);
        assert_eq!(r.get(Field::Referer), None);
        assert_eq!(r.get(Field::Method), Some(&b"POST"[..]));
        assert_eq!(r.iter().count(), 1);
    }
}
