use cahts_engine::store::{Store, migrate};
use rusqlite::Connection;

#[test]
fn an_empty_file_migrates_to_the_latest_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    Store::open(&path).unwrap();
    let conn = Connection::open(&path).unwrap();
    assert_eq!(migrate::current_version(&conn).unwrap(), migrate::latest_version());
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal", "the store runs in WAL mode");
}

#[test]
fn every_earlier_version_migrates_to_the_latest_and_keeps_its_rows() {
    for from in 1..=migrate::latest_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        let mut conn = Connection::open(&path).unwrap();
        migrate::migrate_to(&mut conn, &path, from).unwrap();
        conn.execute("INSERT INTO settings (key, value) VALUES ('probe', 'kept')", []).unwrap();
        drop(conn);
        Store::open(&path).unwrap();
        let conn = Connection::open(&path).unwrap();
        assert_eq!(migrate::current_version(&conn).unwrap(), migrate::latest_version(), "from version {from}");
        let kept: String = conn.query_row("SELECT value FROM settings WHERE key = 'probe'", [], |r| r.get(0)).unwrap();
        assert_eq!(kept, "kept", "data written at version {from} survives migration");
    }
}

#[test]
fn a_store_from_a_newer_build_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    Store::open(&path).unwrap();
    let newer = migrate::latest_version() + 1;
    Connection::open(&path).unwrap().pragma_update(None, "user_version", newer).unwrap();
    let err = Store::open(&path).err().expect("a newer store must be refused");
    let message = err.to_string();
    assert!(message.contains("newer CAHTS") && message.contains("update CAHTS"), "clear message: {message}");
    let conn = Connection::open(&path).unwrap();
    assert_eq!(migrate::current_version(&conn).unwrap(), newer, "the refused file is left as it was");
}

#[test]
fn a_failing_migration_leaves_the_old_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let mut conn = Connection::open(&path).unwrap();
    // A table the first migration will try to create: it must fail as a whole.
    conn.execute_batch("CREATE TABLE messages (x INTEGER);").unwrap();
    let err = migrate::migrate(&mut conn, &path).expect_err("conflicting schema must fail");
    assert!(err.to_string().contains("migration 1"), "names the migration: {err}");
    assert_eq!(migrate::current_version(&conn).unwrap(), 0, "nothing half-applied");
    let tables: i64 =
        conn.query_row("SELECT count(*) FROM sqlite_master WHERE name = 'accounts'", [], |r| r.get(0)).unwrap();
    assert_eq!(tables, 0, "no table of the failed migration remains");
}

/// The final schema, so an accidental change shows up in review. Regenerate with
/// CAHTS_BLESS=1 after an intended change (a new migration).
#[test]
fn schema_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    Store::open(&path).unwrap();
    let conn = Connection::open(&path).unwrap();
    let mut stmt = conn
        .prepare("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type, name")
        .unwrap();
    let dump: Vec<String> = stmt
        .query_map([], |r| {
            Ok(format!("-- {} {}\n{};\n", r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let dump = dump.join("\n");
    let snapshot = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/schema.snapshot.sql");
    if std::env::var_os("CAHTS_BLESS").is_some() {
        std::fs::write(&snapshot, &dump).unwrap();
    }
    let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
    assert!(
        expected == dump,
        "the schema changed; review it and regenerate tests/it/schema.snapshot.sql with CAHTS_BLESS=1"
    );
}
