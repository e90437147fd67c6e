//! cahts-tests: end-to-end tests over the real engine, and the fixture corpus of Meta
//! webhook bodies in `fixtures/meta/` (each with the domain events it must produce).

use std::path::{Path, PathBuf};

pub mod meta_sim;

/// The webhook bodies of the fixture corpus (not the expected-output files), sorted.
pub fn webhook_fixtures() -> anyhow::Result<Vec<PathBuf>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/meta");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.ends_with(".json") && !name.ends_with(".expected.json") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}
pub mod harness;
