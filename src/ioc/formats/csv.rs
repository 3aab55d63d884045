//! CSV lists with a header naming a `value` column, MISP's attribute export among them.

use std::sync::Arc;

use crate::common::severity::Severity;
use crate::ioc::plain::{classify, is_domain};
use crate::ioc::{Indicator, IocProblem, Kind, severity_from_score};

/// MISP attribute types (and plain kind names) to how their value is read.
fn misp_kinds(t: &str) -> Option<Vec<Option<Kind>>> {
    let one = |k: Option<Kind>| Some(vec![k]);
    match t.trim().to_ascii_lowercase().as_str() {
        "" => one(None),
        "ip-src" | "ip-dst" | "ip" | "ipv4" | "ipv6" | "cidr" | "ip-src|port" | "ip-dst|port" => {
            one(Some(Kind::Ipv4))
        }
        "domain" | "hostname" | "domain|ip" | "hostname|port" => {
            Some(vec![Some(Kind::Domain), Some(Kind::Ipv4)])
        }
        "url" | "uri" | "link" => one(Some(Kind::Url)),
        "md5" => one(Some(Kind::Md5)),
        "sha1" => one(Some(Kind::Sha1)),
        "sha256" => one(Some(Kind::Sha256)),
        "filename" | "file_name" => one(Some(Kind::FileName)),
        "filename|md5" | "filename|sha1" | "filename|sha256" => {
            Some(vec![Some(Kind::FileName), None])
        }
        _ => None,
    }
}

pub(super) fn csv_list(list: &Arc<str>, text: &str) -> (Vec<Indicator>, Vec<IocProblem>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|c| c.to_ascii_lowercase()).collect(),
        Err(e) => {
            return (
                out,
                vec![IocProblem::invalid(list, 1, format!("CSV header: {e}"))],
            );
        }
    };
    let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let (Some(value_col), type_col) = (col(&["value"]), col(&["type"])) else {
        return (
            out,
            vec![IocProblem::invalid(
                list,
                1,
                "CSV without a `value` column".into(),
            )],
        );
    };
    let desc_col = col(&["comment", "description"]);
    let ids_col = col(&["to_ids"]);
    let sev_col = col(&["severity"]);
    let score_col = col(&["score"]);
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                problems.push(IocProblem::invalid(list, line, format!("CSV: {e}")));
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line() as usize);
        let field = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or_default();
        if matches!(field(ids_col).to_ascii_lowercase().as_str(), "0" | "false") {
            problems.push(IocProblem::unsupported(
                list,
                line,
                "not for detection (to_ids is 0)".into(),
            ));
            continue;
        }
        let t = field(type_col);
        let Some(kinds) = misp_kinds(t) else {
            problems.push(IocProblem::unsupported(
                list,
                line,
                format!("attribute type `{t}` is not matched by shellsweep"),
            ));
            continue;
        };
        let severity = match (
            Severity::parse(&field(sev_col).to_ascii_lowercase()),
            field(score_col).parse::<i64>().ok(),
        ) {
            (Some(s), _) => Some(s),
            (None, Some(score)) => severity_from_score(score),
            _ => None,
        };
        let description = Some(field(desc_col).to_owned()).filter(|d| !d.is_empty());
        let value = field(Some(value_col));
        let parts: Vec<&str> = if kinds.len() > 1 || t.contains('|') {
            value.split('|').collect()
        } else {
            vec![value]
        };
        for (i, part) in parts.iter().enumerate() {
            let want = kinds.get(i).copied().flatten();
            // `ip-dst|port` and `hostname|port`: the port is not an indicator.
            if t.ends_with("|port") && i == 1 {
                continue;
            }
            // The type column settles what a plain list must guess: `evil.pl` typed
            // `domain` is a Polish domain, not a Perl file name.
            let classified = match classify(part) {
                Ok((Kind::FileName, v)) if want == Some(Kind::Domain) && is_domain(&v) => {
                    Ok((Kind::Domain, v))
                }
                other => other,
            };
            match classified {
                Ok((kind, v)) if want.is_none() || compatible(want, kind) => {
                    let mut ind = Indicator::new(kind, v, list, line);
                    ind.severity = severity;
                    ind.description = description.clone();
                    out.push(ind);
                }
                Ok((kind, _)) => problems.push(IocProblem::invalid(
                    list,
                    line,
                    format!("type `{t}` but the value looks like a {}", kind.as_str()),
                )),
                Err(e) => problems.push(IocProblem::invalid(list, line, e.to_string())),
            }
        }
    }
    (out, problems)
}

fn compatible(want: Option<Kind>, got: Kind) -> bool {
    match want {
        None => true,
        Some(Kind::Ipv4 | Kind::Ipv6 | Kind::Cidr) => {
            matches!(got, Kind::Ipv4 | Kind::Ipv6 | Kind::Cidr)
        }
        Some(Kind::Domain) => matches!(got, Kind::Domain | Kind::Ipv4 | Kind::Ipv6),
        Some(k) => k == got,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ioc::formats::ListFormat;
    use crate::ioc::formats::tests::load;

    #[test]
    fn csv_and_misp_exports() {
        let text = "uuid,event_id,category,type,value,comment,to_ids,date\n\
                    a,1201,Network activity,ip-src,107.191.58.76,ToolShell wave 1,1,1752796800\n\
                    b,1201,Payload delivery,filename|sha256,spinstall0.aspx|92bb4ddb98eeaf11fc15bb32e71d0a63256a0ed826a03ba293ce3a8bf057a514,,1,1752796800\n\
                    c,1201,Network activity,ip-dst|port,65.38.121.198|443,,1,1\n\
                    d,1201,Other,text,hello,,1,1\n\
                    e,1201,Network activity,domain,example.com,benign,0,1\n";
        let (f, ind, probs) = load("misp.csv", text);
        assert_eq!(f, ListFormat::Csv);
        let kinds: Vec<Kind> = ind.iter().map(|i| i.0).collect();
        assert_eq!(
            kinds,
            [Kind::Ipv4, Kind::FileName, Kind::Sha256, Kind::Ipv4]
        );
        assert_eq!(probs.len(), 2);
        assert!(
            probs.iter().all(|p| p.1),
            "text and to_ids=0 are unsupported, not malformed"
        );
        assert_eq!(probs[0].0, 5);
        let (_, ind, _) = load(
            "x.csv",
            "type,value,description,severity\nip,203.0.113.5,scanner,low\n,evil.example,,critical\n",
        );
        assert_eq!(ind[0].3, Some(Severity::Low));
        assert_eq!(
            (ind[1].0, ind[1].3),
            (Kind::Domain, Some(Severity::Critical))
        );
    }

    #[test]
    fn a_csv_type_settles_domain_or_file_name() {
        let (_, ind, probs) = load("x.csv", "type,value\ndomain,evil.pl\n,evil.pl\n");
        assert!(probs.is_empty(), "{probs:?}");
        let got: Vec<Kind> = ind.iter().map(|i| i.0).collect();
        assert_eq!(got, [Kind::Domain, Kind::FileName]);
    }
}
