//! The Loki/THOR `;` lists of signature-base: hashes, file-name regexes and C2 addresses.

use std::sync::Arc;

use super::data_lines;
use crate::common::severity::Severity;
use crate::ioc::plain::classify;
use crate::ioc::{Indicator, IocProblem, Kind, severity_from_score};

pub(super) fn loki_hash(list: &Arc<str>, text: &str) -> (Vec<Indicator>, Vec<IocProblem>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (line, l) in data_lines(text) {
        let fields: Vec<&str> = l.splitn(3, ';').collect();
        let hash = fields[0].trim();
        let (score, desc) = match fields.as_slice() {
            [_, s, d] if s.trim().parse::<i64>().is_ok() => {
                (s.trim().parse::<i64>().ok(), Some(d.to_string()))
            }
            [_, rest @ ..] if !rest.is_empty() => (None, Some(rest.join(";"))),
            _ => (None, None),
        };
        match classify(hash) {
            Ok((kind @ (Kind::Md5 | Kind::Sha1 | Kind::Sha256), value)) => {
                let Some(sev) = scored(score, &mut problems, list, line) else {
                    continue;
                };
                let mut ind = Indicator::new(kind, value, list, line);
                ind.severity = sev;
                ind.description = desc.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
                out.push(ind);
            }
            _ => problems.push(IocProblem::invalid(
                list,
                line,
                format!("`{hash}` is not an MD5, SHA-1 or SHA-256"),
            )),
        }
    }
    (out, problems)
}

/// `Some(None)`: no score; `Some(Some(sev))`: scored; `None`: a score too low to load
/// (reported).
fn scored(
    score: Option<i64>,
    problems: &mut Vec<IocProblem>,
    list: &Arc<str>,
    line: usize,
) -> Option<Option<Severity>> {
    match score {
        None => Some(None),
        Some(s) => match severity_from_score(s) {
            Some(sev) => Some(Some(sev)),
            None => {
                problems.push(IocProblem::unsupported(
                    list,
                    line,
                    format!("score {s} is below 40 (informational); not loaded"),
                ));
                None
            }
        },
    }
}

pub(super) fn loki_filename(list: &Arc<str>, text: &str) -> (Vec<Indicator>, Vec<IocProblem>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut description: Option<String> = None;
    for (n, raw) in text.lines().enumerate() {
        let line = n + 1;
        let l = raw.trim_start_matches('\u{feff}').trim();
        if l.is_empty() {
            continue;
        }
        if let Some(c) = l.strip_prefix('#') {
            description = Some(c.trim().to_owned()).filter(|c| !c.is_empty());
            continue;
        }
        let fields: Vec<&str> = l.splitn(3, ';').collect();
        let score = fields.get(1).and_then(|s| s.trim().parse::<i64>().ok());
        if fields.len() < 2 || score.is_none() {
            problems.push(IocProblem::invalid(
                list,
                line,
                "expected REGEX;SCORE[;FALSE_POSITIVE_REGEX]".into(),
            ));
            continue;
        }
        let Some(sev) = scored(score, &mut problems, list, line) else {
            continue;
        };
        let mut ind = Indicator::new(Kind::PathRegex, expand_env(fields[0]), list, line);
        ind.severity = sev;
        ind.description = description.clone();
        ind.false_positive = fields
            .get(2)
            .map(|f| expand_env(f))
            .filter(|f| !f.is_empty());
        out.push(ind);
    }
    (out, problems)
}

/// `%SystemRoot%`-style variables in Loki regexes stand for any one path stretch.
fn expand_env(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find('%') {
        let Some(len) = rest[start + 1..].find('%') else {
            break;
        };
        let name = &rest[start + 1..start + 1 + len];
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '(' || c == ')')
        {
            out.push_str(&rest[..=start]);
            rest = &rest[start + 1..];
            continue;
        }
        out.push_str(&rest[..start]);
        out.push_str(".{0,200}");
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

pub(super) fn loki_c2(list: &Arc<str>, text: &str) -> (Vec<Indicator>, Vec<IocProblem>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (line, l) in data_lines(text) {
        let mut fields = l.splitn(2, ';');
        let value = fields.next().unwrap_or_default().trim();
        let score = fields.next().and_then(|s| s.trim().parse::<i64>().ok());
        match classify(value) {
            Ok((kind @ (Kind::Ipv4 | Kind::Ipv6 | Kind::Cidr | Kind::Domain | Kind::Url), v)) => {
                let Some(sev) = scored(score, &mut problems, list, line) else {
                    continue;
                };
                let mut ind = Indicator::new(kind, v, list, line);
                ind.severity = sev;
                out.push(ind);
            }
            Ok((kind, _)) => problems.push(IocProblem::invalid(
                list,
                line,
                format!("a {} in a C2 list", kind.as_str()),
            )),
            Err(e) => problems.push(IocProblem::invalid(list, line, e.to_string())),
        }
    }
    (out, problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ioc::formats::tests::load;
    use crate::ioc::formats::{ListFormat, detect, parse};

    #[test]
    fn loki_hash_and_c2_lists() {
        let text = "# my-hash-iocs.txt\n92bb4ddb98eeaf11fc15bb32e71d0a63256a0ed826a03ba293ce3a8bf057a514;ToolShell spinstall0.aspx\nd6da885c90a5d1fb88d0a3f0b5d9817a82d5772d5510a0773c80ca581ce2486d;80;SharpHostInfo Storm-2603\nzz;bad\n";
        let (f, ind, probs) = load("iocs/my-hash-iocs.txt", text);
        assert_eq!(f, ListFormat::LokiHash);
        assert_eq!(ind.len(), 2);
        assert_eq!(ind[1].3, Some(Severity::High));
        assert_eq!(probs.len(), 1);
        assert_eq!(probs[0].0, 4);
        let (f, ind, _) = load(
            "c2-iocs.txt",
            "msupdate.updatemicfosoft.com;100\n65.38.121.198\n",
        );
        assert_eq!(f, ListFormat::LokiC2);
        assert_eq!(
            ind[0],
            (
                Kind::Domain,
                "msupdate.updatemicfosoft.com".into(),
                1,
                Some(Severity::Critical)
            )
        );
        assert_eq!(ind[1].0, Kind::Ipv4);
    }

    #[test]
    fn loki_filename_regexes_with_descriptions_and_fp() {
        let text = "# ToolShell drops in LAYOUTS\n\\\\TEMPLATE\\\\LAYOUTS\\\\spinstall[0-9]?\\.aspx;85\n(?i)\\\\inetpub\\\\wwwroot\\\\aspnet_client\\\\[^\\\\]{1,20}\\.aspx;80;\\\\aspnet_client\\\\system_web\\\\\nnoscore\n";
        let format = detect("my-filename-iocs.txt", text);
        assert_eq!(format, ListFormat::LokiFilename);
        let (ind, probs) = parse(format, &Arc::from("f"), text);
        assert_eq!(ind.len(), 2);
        assert_eq!(
            ind[0].description.as_deref(),
            Some("ToolShell drops in LAYOUTS")
        );
        assert!(ind[1].false_positive.is_some());
        assert_eq!(probs[0].line, 4);
        let mut set = crate::ioc::IocSet::default();
        for i in ind {
            set.add(i);
        }
        assert!(set.prepare().is_empty());
        assert_eq!(set.paths.matches("/mnt/c/Program Files/Common Files/microsoft shared/Web Server Extensions/16/TEMPLATE/LAYOUTS/spinstall0.aspx"), [0]);
        assert_eq!(
            set.paths
                .matches("C:\\inetpub\\wwwroot\\aspnet_client\\x.aspx"),
            [1]
        );
        assert!(
            set.paths
                .matches("C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\x.aspx")
                .is_empty()
        );
        assert_eq!(expand_env("%SystemRoot%\\\\x"), ".{0,200}\\\\x");
    }
}
