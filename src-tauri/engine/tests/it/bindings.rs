/// Fails when ui/src/ipc/bindings.ts does not match the Rust types. CI runs this.
#[test]
fn bindings() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/ipc/bindings.ts");
    let generated = cahts_engine::ipc::typescript_bindings();
    if std::env::var_os("CAHTS_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("ui/src/ipc")).expect("create ui/src/ipc");
        std::fs::write(&path, &generated).expect("write bindings");
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == generated,
        "ui/src/ipc/bindings.ts is stale; regenerate with: CAHTS_BLESS=1 cargo test -p cahts-engine --test it bindings"
    );
}
