//! The CAHTS window: a thin Tauri shell around cahts-engine.
//!
//! `setup` opens the engine on the per-user data directory and starts forwarding its
//! change feed to the window; commands ([`commands`]) each parse their argument, call one
//! engine method and map the error. Nothing here knows SQL or Meta.

mod commands;

use std::sync::Arc;

use cahts_engine::facade::engine::{Engine, EngineConfig};
use cahts_engine::facade::ipc::{RELAY_STATUS_EVENT, STORE_CHANGED_EVENT, StoreChanged};
use tauri::{Emitter, Manager};

/// Registers exactly the commands listed in `cahts_engine::with_commands!`, the same list
/// the TypeScript bindings are generated from.
macro_rules! handler {
    ($($name:ident($($req:ty)?) -> $res:ty;)*) => {
        tauri::generate_handler![$(commands::$name),*]
    };
}

pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("CAHTS_LOG").unwrap_or_else(|_| "info".into()))
        .init();

    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .setup(|app| {
            let data_dir = match std::env::var_os("CAHTS_DATA_DIR") {
                Some(dir) => dir.into(),
                None => app.path().app_data_dir()?,
            };
            let engine = Engine::open(EngineConfig::in_dir(data_dir))?;
            // Downloaded media, and nothing else of the data directory, can be shown.
            app.asset_protocol_scope().allow_directory(engine.media_config().dir, true)?;
            forward_changes(app.handle().clone(), &engine);
            forward_relay_status(app.handle().clone(), &engine);
            app.manage(engine);
            Ok(())
        })
        .invoke_handler(cahts_engine::with_commands!(handler))
        .run(tauri::generate_context!());
    if let Err(e) = result {
        tracing::error!(error = %e, "CAHTS could not start");
        eprintln!("CAHTS could not start: {e}");
        std::process::exit(1);
    }
}

/// Starts the relay link (when paired) and sends its status to the window as
/// `relay://status` whenever it changes.
fn forward_relay_status(app: tauri::AppHandle, engine: &Arc<Engine>) {
    let mut status = engine.subscribe_relay_status();
    let engine = engine.clone();
    tauri::async_runtime::spawn(async move {
        if let Err(e) = engine.start_relay_link().await {
            tracing::warn!(error = %e, "relay link not started");
        }
        while status.changed().await.is_ok() {
            match engine.relay_status().await {
                Ok(current) => {
                    if let Err(e) = app.emit(RELAY_STATUS_EVENT, current) {
                        tracing::warn!(error = %e, "could not send the relay status to the window");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not read the relay status"),
            }
        }
    });
}

/// Sends every committed store change to the window as `store://changed`.
fn forward_changes(app: tauri::AppHandle, engine: &Arc<Engine>) {
    let mut changes = engine.subscribe();
    tauri::async_runtime::spawn({
        let engine = engine.clone();
        async move {
            engine.start_change_feed();
            engine.start_outbox_worker();
            engine.start_jobs();
            engine.start_media_worker();
        }
    });
    tauri::async_runtime::spawn(async move {
        loop {
            match changes.recv().await {
                Ok(change) => {
                    tracing::debug!(
                        conversations = change.conversation_ids.len(),
                        everything = change.everything,
                        "store changed"
                    );
                    if let Err(e) = app.emit(STORE_CHANGED_EVENT, change) {
                        tracing::warn!(error = %e, "could not notify the window of a change");
                    }
                }
                // Fell behind a burst: one "everything changed" is the honest summary.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    let everything = StoreChanged { conversation_ids: Vec::new(), everything: true };
                    if let Err(e) = app.emit(STORE_CHANGED_EVENT, everything) {
                        tracing::warn!(error = %e, "could not notify the window of a change");
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    });
}
