//! Web-server logs: format detection and record parsers (IIS W3C, SharePoint ULS,
//! Apache/nginx combined), with Sigma `webserver` field names.

mod combined;
mod fields;
mod iis;
mod record;
mod sniff;
mod spaces;
mod time;
mod uls;

pub use combined::{
    client_and_time as combined_client_and_time, parse as parse_combined, percent_decode,
    percent_escapes,
};
pub use fields::Field;
pub use iis::IisColumns;
pub use record::Record;
pub(crate) use sniff::{DETECT_RUN, line_format};
pub use sniff::{LogFormat, looks_like_log_path, sniff};
pub use spaces::{SpaceMask, Spaces};
pub use time::{Window, parse_time_arg, parse_until_arg};
pub use uls::{Stitcher, UlsRecord};
