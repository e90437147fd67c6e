//! Integration tests of cahts-engine against real SQLite files in temporary directories.
//! One binary with modules keeps link time down.

mod bindings;
mod cli;
mod facade;
mod fixtures;
mod jobs;
mod layers;
mod migrations;
mod report_pdf;
mod reports;
mod secrets;
mod store;

use std::sync::Arc;

use cahts_engine::{Engine, EngineConfig};

/// An engine over a fresh store in its own temporary directory.
pub fn engine() -> (tempfile::TempDir, Arc<Engine>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = Engine::open(EngineConfig::in_dir(dir.path())).expect("open engine");
    (dir, engine)
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}
