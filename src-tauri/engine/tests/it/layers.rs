//! The engine's layers, checked against its source: every `crate::` path a file names
//! must point to its own layer or one below (ARCHITECTURE.md), services must not import
//! each other in a circle, and `cahts-cli` must go through the facade.
//!
//! The rule reads paths, not types, which is enough: a file cannot use a module it does
//! not name.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Bottom to top. A module not listed here fails the test, so a new top-level module
/// must be given its place.
const LAYERS: &[(&str, &[&str])] = &[
    ("domain", &["domain"]),
    ("store", &["store", "secrets"]),
    ("platform", &["platform"]),
    ("services", &["services"]),
    ("facade", &["facade"]),
];

/// Inside the services layer: the one module every other service may use, and which
/// itself uses no other service.
const SERVICES_FOUNDATION: &str = "credentials";

/// What `cahts-cli` may name of the engine: the facade and the plain data it returns.
const CLI_MAY_USE: &[&str] =
    &["Engine", "EngineConfig", "engine", "ipc", "facade", "domain", "events", "APP_IDENTIFIER"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source without comments, so a doc link or a note naming a module does not count.
fn strip_comments(source: &str) -> String {
    source.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// Every `prefix::a::b` path the source names, as segment lists; `prefix::a::{b, c::d}`
/// groups are expanded into one path per item.
fn paths_after(source: &str, prefix: &str) -> Vec<Vec<String>> {
    let needle = format!("{prefix}::");
    let mut out = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find(&needle) {
        // `$crate::` and `foo_crate::` are not this crate.
        let before = rest[..at].chars().last();
        rest = &rest[at + needle.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        parse_tree(rest, &mut Vec::new(), &mut out);
    }
    out.retain(|p| !p.is_empty());
    out
}

/// Reads one use-tree (`a::b`, `a::{b, c::{d}}`) at the start of `text`, pushing each
/// full path; returns how many bytes it read.
fn parse_tree(text: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    let depth = prefix.len();
    let mut at = 0;
    loop {
        let rest = &text[at..];
        let trimmed = rest.trim_start();
        at += rest.len() - trimmed.len();
        if let Some(group) = trimmed.strip_prefix('{') {
            at += 1;
            let mut read = 0;
            loop {
                let inner = &group[read..];
                let skipped = inner.len() - inner.trim_start_matches([' ', '\n', '\t', '\r', ',']).len();
                read += skipped;
                if group[read..].starts_with('}') || read >= group.len() {
                    read += 1;
                    break;
                }
                let used = parse_tree(&group[read..], prefix, out);
                if used == 0 {
                    read += 1;
                }
                read += used;
            }
            at += read;
            prefix.truncate(depth);
            return at;
        }
        let ident: String = trimmed.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '*').collect();
        if ident.is_empty() {
            break;
        }
        at += ident.len();
        prefix.push(ident);
        match text[at..].strip_prefix("::") {
            Some(_) => at += 2,
            None => break,
        }
    }
    if prefix.len() > depth {
        out.push(prefix.clone());
    }
    prefix.truncate(depth);
    at
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, modules)| modules.contains(&module))
}

/// The module a file belongs to: its first folder under src/, or its own name.
fn module_of(relative: &Path) -> String {
    let first = relative.components().next().expect("non-empty").as_os_str().to_string_lossy().to_string();
    first.trim_end_matches(".rs").to_string()
}

#[test]
fn imports_run_down_the_layers_only() {
    let root = src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut upward = Vec::new();
    let mut unplaced = BTreeSet::new();
    let mut checked = 0;
    for file in &files {
        let relative = file.strip_prefix(&root).expect("under src");
        let module = module_of(relative);
        if module == "lib" || module == "bin" {
            continue;
        }
        let Some(own) = layer_of(&module) else {
            unplaced.insert(module);
            continue;
        };
        let source = strip_comments(&std::fs::read_to_string(file).expect("read source"));
        for path in paths_after(&source, "crate") {
            checked += 1;
            let target = &path[0];
            match layer_of(target) {
                Some(layer) if layer > own => upward.push(format!(
                    "{} ({}) names crate::{} ({})",
                    relative.display(),
                    LAYERS[own].0,
                    path.join("::"),
                    LAYERS[layer].0
                )),
                Some(_) => {}
                None => upward.push(format!(
                    "{} names crate::{}: a re-export at the crate root; name the module it lives in",
                    relative.display(),
                    path.join("::")
                )),
            }
        }
    }
    assert!(checked > 100, "the check read only {checked} paths: is it reading the source?");
    assert!(unplaced.is_empty(), "modules without a layer (add them to LAYERS and ARCHITECTURE.md): {unplaced:?}");
    assert!(upward.is_empty(), "imports that run up the layers:\n{}", upward.join("\n"));
}

/// Which services each service names.
fn service_edges() -> BTreeMap<String, BTreeSet<String>> {
    let dir = src().join("services");
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&dir).expect("under services");
        let service = module_of(relative);
        if service == "mod" {
            continue;
        }
        let source = strip_comments(&std::fs::read_to_string(&file).expect("read source"));
        let mut named: Vec<String> = paths_after(&source, "crate")
            .into_iter()
            .filter(|p| p[0] == "services" && p.len() > 1)
            .map(|p| p[1].clone())
            .collect();
        named.extend(paths_after(&source, "super").into_iter().filter(|p| p[0] != "*").map(|p| p[0].clone()));
        let entry = edges.entry(service.clone()).or_default();
        entry.extend(
            named.into_iter().filter(|n| *n != service && dir.join(format!("{n}.rs")).exists() || dir.join(n).is_dir()),
        );
    }
    edges
}

#[test]
fn services_reach_each_other_without_a_circle() {
    let edges = service_edges();
    assert!(edges.len() >= 6, "expected the services, found {:?}", edges.keys());
    let foundation = edges.get(SERVICES_FOUNDATION).cloned().unwrap_or_default();
    assert!(foundation.is_empty(), "{SERVICES_FOUNDATION} sits below the other services but names {foundation:?}");

    // Depth-first search for a cycle, reporting the first one found.
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        if let Some(cycle) = visit(node, &edges, &mut Vec::new(), &mut done) {
            panic!("services import each other in a circle: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn the_cli_goes_through_the_facade() {
    let source = strip_comments(&std::fs::read_to_string(src().join("bin/cahts-cli.rs")).expect("read cli"));
    let around: Vec<String> = paths_after(&source, "cahts_engine")
        .into_iter()
        .filter(|p| !CLI_MAY_USE.contains(&p[0].as_str()))
        .map(|p| p.join("::"))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(around.is_empty(), "cahts-cli reaches past the facade: {around:?}");
}

#[test]
fn the_path_reader_sees_groups_and_skips_other_crates() {
    let paths =
        paths_after("use crate::store::{apply, read::{x, y}}; $crate::z; my_crate::q; crate::domain::Error", "crate");
    let joined: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(joined, ["store::apply", "store::read::x", "store::read::y", "domain::Error"]);
}

/// SQL lives in the store: above it, code calls store functions. Test modules may look
/// into a store directly to check what was written.
#[test]
fn sql_stays_in_the_store() {
    const SQL_CALLS: &[&str] =
        &[".execute(", ".execute_batch(", ".query_row(", ".prepare(", ".prepare_cached(", ".query_map("];
    let mut files = Vec::new();
    for layer in ["platform", "services", "facade"] {
        rust_files(&src().join(layer), &mut files);
    }
    assert!(files.len() > 20, "found only {} files above the store", files.len());
    let mut found = Vec::new();
    for file in files.iter().filter(|f| f.file_name().is_some_and(|n| n != "tests.rs")) {
        let source = strip_comments(&std::fs::read_to_string(file).expect("read source"));
        let shipped = source.split("#[cfg(test)]").next().unwrap_or("");
        for (n, line) in shipped.lines().enumerate() {
            if SQL_CALLS.iter().any(|call| line.contains(call)) {
                found.push(format!("{}:{}: {}", file.strip_prefix(src()).unwrap().display(), n + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "SQL outside the store (move it into a store function):\n{}", found.join("\n"));
}
