//! Every end-to-end test file in `tests/` is listed in `crates/cli/Cargo.toml`
//! (the CLI crate sets `autotests = false`, so an unlisted file would never
//! run and nobody would notice).

use std::path::Path;

#[test]
fn every_test_file_is_registered_with_the_cli_crate() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let manifest = std::fs::read_to_string(root.join("crates/cli/Cargo.toml")).unwrap();
    let mut missing = Vec::new();
    let mut seen = 0;
    for entry in std::fs::read_dir(root.join("tests")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        seen += 1;
        let name = path.file_name().unwrap().to_str().unwrap();
        if !manifest.contains(&format!("path = \"../../tests/{name}\"")) {
            missing.push(name.to_string());
        }
    }
    assert!(seen > 20, "only {seen} test files found under tests/");
    assert!(
        missing.is_empty(),
        "tests not listed as [[test]] in crates/cli/Cargo.toml: {missing:?}"
    );
}
