//! The file `shellsweep rules compile` writes and `--yara-compiled` reads, so that a fleet
//! ships one file and no host pays for compiling (several seconds for signature-base).
//!
//! Layout: the magic `SSWYARA\0`, the format version (u32, little-endian), the length of a
//! JSON header (u32), the SHA-256 of everything after it (32 bytes), the header, then
//! yara-x's own serialisation of the rules. The header says which yara-x wrote the rules,
//! which file each namespace came from (for `rule.ruleset`), and the payload's length.
//! yara-x trusts the bytes it deserialises (a damaged file may panic in a scan), so the
//! checksum turns a truncated or damaged file into a clear error before yara-x sees it. It is not a signature: a file
//! made to harm is as dangerous as a rule file made to harm; load only files you trust.

use super::Ruleset;

use super::COMPILED_MAGIC as MAGIC;
/// Raised when the layout or the header changes.
const FORMAT: u32 = 1;
/// A header larger than this is damage, not rules metadata.
const MAX_HEADER: u32 = 64 << 20;

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Header {
    /// The shellsweep that wrote the file (said in errors only).
    shellsweep: String,
    /// The yara-x that compiled the rules: another one must compile them again.
    yara_x: String,
    rulesets: Vec<Ruleset>,
    payload_len: u64,
}

/// Why a compiled file cannot be used; the message says what to do.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Unusable {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("not a file written by `shellsweep rules compile` (a YARA source file goes to --yara)")]
    NotCompiled,
    #[error(
        "written in compiled-file format {0}, this shellsweep reads format {FORMAT}: compile the rules again with this shellsweep's `rules compile`"
    )]
    Format(u32),
    #[error("the file is damaged ({0}): compile the rules again")]
    Damaged(&'static str),
    #[error(
        "the rules were compiled by shellsweep {by} with yara-x {theirs}; this shellsweep has yara-x {ours}: compile them again with this shellsweep's `rules compile`"
    )]
    YaraVersion {
        by: String,
        theirs: String,
        ours: &'static str,
    },
    #[error("yara-x refuses the compiled rules: {0}")]
    Yara(String),
}

/// Where the checksummed part (header, then payload) starts.
const BODY: usize = 16 + 32;

fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

/// The bytes of a compiled file for `rules`.
pub(crate) fn encode(rules: &yara_x::Rules, rulesets: &[Ruleset]) -> Result<Vec<u8>, Unusable> {
    let payload = rules
        .serialize()
        .map_err(|e| Unusable::Yara(e.to_string()))?;
    let header = Header {
        shellsweep: env!("CARGO_PKG_VERSION").to_owned(),
        yara_x: yara_x::VERSION.to_owned(),
        rulesets: rulesets.to_vec(),
        payload_len: payload.len() as u64,
    };
    let header = serde_json::to_vec(&header).map_err(|e| Unusable::Yara(e.to_string()))?;
    let header_len =
        u32::try_from(header.len()).map_err(|_| Unusable::Damaged("header too large"))?;
    let mut out = Vec::with_capacity(BODY + header.len() + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.extend_from_slice(&header_len.to_le_bytes());
    out.extend_from_slice(&[0; 32]);
    out.extend_from_slice(&header);
    out.extend_from_slice(&payload);
    let sum = sha256(&out[BODY..]);
    out[16..BODY].copy_from_slice(&sum);
    Ok(out)
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// The rules and their rulesets from the bytes of a compiled file.
pub(crate) fn decode(bytes: &[u8]) -> Result<(yara_x::Rules, Vec<Ruleset>), Unusable> {
    if !bytes.starts_with(MAGIC) {
        return Err(Unusable::NotCompiled);
    }
    let format = u32_at(bytes, 8).ok_or(Unusable::Damaged("no format version"))?;
    if format != FORMAT {
        return Err(Unusable::Format(format));
    }
    let header_len = u32_at(bytes, 12).ok_or(Unusable::Damaged("no header"))?;
    if header_len > MAX_HEADER {
        return Err(Unusable::Damaged("header length out of range"));
    }
    let sum = bytes
        .get(16..BODY)
        .ok_or(Unusable::Damaged("no checksum"))?;
    let payload_at = BODY + header_len as usize;
    let header = bytes
        .get(BODY..payload_at)
        .ok_or(Unusable::Damaged("header cut short"))?;
    let header: Option<Header> = serde_json::from_slice(header).ok();
    let payload = &bytes[payload_at..];
    if sha256(&bytes[BODY..]) != sum {
        // Said as precisely as the header still allows.
        return Err(Unusable::Damaged(match header {
            Some(h) if (payload.len() as u64) < h.payload_len => "truncated",
            _ => "checksum differs",
        }));
    }
    let header = header.ok_or(Unusable::Damaged("header unreadable"))?;
    if payload.len() as u64 != header.payload_len {
        return Err(Unusable::Damaged("length differs from the header's"));
    }
    if header.yara_x != yara_x::VERSION {
        return Err(Unusable::YaraVersion {
            by: header.shellsweep,
            theirs: header.yara_x,
            ours: yara_x::VERSION,
        });
    }
    let rules = yara_x::Rules::deserialize(payload).map_err(|e| Unusable::Yara(e.to_string()))?;
    Ok((rules, header.rulesets))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut c = yara_x::Compiler::new();
        c.new_namespace("a");
        c.add_source("rule r { strings: $a = \"inert_marker\" condition: $a }")
            .unwrap();
        let rules = c.build();
        let sets = vec![Ruleset {
            namespace: "a".into(),
            file: "a.yar".into(),
            path: "x/a.yar".into(),
        }];
        encode(&rules, &sets).unwrap()
    }

    #[test]
    fn round_trip_keeps_rules_and_rulesets() {
        let (rules, sets) = decode(&sample()).unwrap();
        assert_eq!(rules.iter().len(), 1);
        assert_eq!(sets[0].file, "a.yar");
        let mut s = yara_x::Scanner::new(&rules);
        let r = s.scan(b"..inert_marker..").unwrap();
        assert_eq!(r.matching_rules().len(), 1);
    }

    #[test]
    fn damage_is_an_error_not_a_panic() {
        let good = sample();
        assert!(matches!(
            decode(b"rule x { condition: true }"),
            Err(Unusable::NotCompiled)
        ));
        // Every truncation, and a flipped byte anywhere, is refused.
        for cut in [4, 8, 12, 16, 20, good.len() / 2, good.len() - 1] {
            assert!(decode(&good[..cut]).is_err(), "cut at {cut}");
        }
        for at in (8..good.len()).step_by(97) {
            let mut bad = good.clone();
            bad[at] ^= 0x55;
            assert!(decode(&bad).is_err(), "flipped byte {at}");
        }
        let mut other = good.clone();
        other[8] = 9;
        assert!(matches!(decode(&other), Err(Unusable::Format(9))));
    }
}
