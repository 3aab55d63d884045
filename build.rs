//! Embeds every `rules/*.yml` file into the binary, so that it runs with no files beside it.

use std::env;
use std::fs;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=rules");
    let dir = Path::new("rules");
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".yml") || n.ends_with(".yaml"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut out = String::from(
        "/// Bundled rule files: (path in the repository, contents).\npub(crate) static BUNDLED: &[(&str, &str)] = &[\n",
    );
    for name in &names {
        println!("cargo:rerun-if-changed=rules/{name}");
        let abs = fs::canonicalize(dir.join(name)).expect("rule file path");
        out.push_str(&format!(
            "    (\"rules/{name}\", include_str!({:?})),\n",
            abs
        ));
    }
    out.push_str("];\n");
    let dest = Path::new(&env::var("OUT_DIR").expect("OUT_DIR")).join("bundled_rules.rs");
    fs::write(dest, out).expect("write bundled_rules.rs");
}
