//! STUB (replaced at merge by the i16-webroot branch): tail joins only.

use std::path::Path;

#[derive(Debug, Default)]
pub(crate) struct WebrootMap {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JoinMethod {
    Webroot,
    PathTail,
    FileName,
}

impl JoinMethod {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            JoinMethod::Webroot => "webroot",
            JoinMethod::PathTail => "path_tail",
            JoinMethod::FileName => "file_name",
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Join {
    pub method: JoinMethod,
    pub source: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum WebrootError {
    #[error("bad --webroot {0}")]
    Spec(String),
}

impl WebrootMap {
    pub(crate) fn add_option(&mut self, spec: &str) -> Result<(), WebrootError> {
        Err(WebrootError::Spec(spec.into()))
    }
    pub(crate) fn add_config(&mut self, _path: &Path) -> Result<usize, WebrootError> {
        Ok(0)
    }
    pub(crate) fn config_kind(_path: &Path) -> Option<()> {
        None
    }
    pub(crate) fn infer_from_path(&mut self, _file: &Path) {}
    pub(crate) fn is_empty(&self) -> bool {
        true
    }
    pub(crate) fn join(&self, url_path: &str, file: &Path, ci: bool) -> Option<Join> {
        let segs: Vec<&str> = url_path.split('/').filter(|s| !s.is_empty()).collect();
        let comps: Vec<String> = file
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let eq = |a: &str, b: &str| {
            if ci {
                a.eq_ignore_ascii_case(b)
            } else {
                a == b
            }
        };
        let n = segs
            .iter()
            .rev()
            .zip(comps.iter().rev())
            .take_while(|(a, b)| eq(a, b))
            .count();
        match n {
            0 => None,
            n if n == segs.len() => Some(Join {
                method: JoinMethod::PathTail,
                source: None,
            }),
            _ => Some(Join {
                method: JoinMethod::FileName,
                source: None,
            }),
        }
    }
    pub(crate) fn under_url(&self, _url: &str, _file: &Path, _ci: bool) -> Option<Join> {
        None
    }
}
