//! The engine's background work while a window is open: media downloads, the outbox,
//! the periodic jobs, and the change feed that tells the window what committed.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::engine::{CHANGE_POLL, Engine};
use crate::domain::outbox::OutboxState;
use crate::facade::ipc::*;
use crate::services::accounts::AccountError;
use crate::services::jobs;
use crate::services::media::{self, FetchReport, MediaConfig};
use crate::services::outbox::{self, OutboxError};
use crate::store::{self, read};

impl Engine {
    pub fn media_config(&self) -> MediaConfig {
        MediaConfig::in_data_dir(&self.config.data_dir)
    }

    /// Fetches received media whenever something changed and every half minute (retries).
    /// Call once, inside a tokio runtime.
    pub fn start_media_worker(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        let mut changes = self.subscribe();
        let media_dir = self.media_config().dir;
        tokio::spawn(async move {
            if let Err(e) = tokio::task::spawn_blocking(move || media::sweep_partial_downloads(&media_dir)).await {
                tracing::warn!(error = %e, "sweeping half-written downloads failed");
            }
            loop {
                let Some(engine) = weak.upgrade() else { return };
                if engine.mode() == StoreMode::Real {
                    match engine.fetch_media().await {
                        Ok(report) if report.downloaded + report.given_up > 0 => {
                            tracing::info!(?report, "media fetched")
                        }
                        Ok(_) => {}
                        Err(e) => tracing::debug!(error = %e, "media fetching waits"),
                    }
                }
                drop(engine);
                tokio::select! {
                    _ = changes.recv() => {}
                    _ = tokio::time::sleep(Duration::from_secs(30)) => {}
                }
            }
        });
    }

    /// One pass of media fetching (the worker's, and `cahts-cli media`).
    pub async fn fetch_media(&self) -> Result<FetchReport, AccountError> {
        let store = self.real_store();
        let accounts = self.accounts().await?;
        let report = media::fetch_due(&store, accounts.credentials(), &self.graph, &self.media_config()).await?;
        if report.downloaded + report.given_up + report.retrying > 0 {
            self.wake_feed.notify_one();
        }
        Ok(report)
    }

    /// Sends what the outbox holds, now and whenever woken or every few seconds (retries,
    /// echo grace periods). Settles sends a previous run left unconfirmed first. Call once,
    /// inside a tokio runtime.
    pub fn start_outbox_worker(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut recovered = false;
            loop {
                let Some(engine) = weak.upgrade() else { return };
                if let Err(e) = engine.outbox_pass(&mut recovered).await {
                    tracing::warn!(error = %e, "outbox pass failed");
                }
                let wake = async { engine.wake_outbox.notified().await };
                tokio::select! {
                    _ = wake => {}
                    _ = tokio::time::sleep(Duration::from_secs(3)) => {}
                }
            }
        });
    }

    async fn outbox_pass(&self, recovered: &mut bool) -> Result<(), OutboxError> {
        let store = self.real_store();
        if !*recovered {
            let count = outbox::recover_after_crash(&store).await?;
            if count > 0 {
                tracing::warn!(count, "sends interrupted by the last shutdown wait for Meta's confirmation");
            }
            *recovered = true;
        }
        if !store.read(store::outbox::has_due).await? {
            return Ok(());
        }
        let accounts = self.accounts().await?;
        let outcomes = outbox::process_due(&store, accounts.credentials(), &self.graph).await?;
        if !outcomes.is_empty() {
            self.wake_feed.notify_one();
        }
        if outcomes.iter().any(|o| o.state == OutboxState::Sent) {
            self.relay.nudge_publish();
        }
        Ok(())
    }

    /// Runs the background jobs (tokens, subscriptions, history) when due, checking every
    /// minute. Call once, inside a tokio runtime.
    pub fn start_jobs(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let Some(engine) = weak.upgrade() else { return };
                match engine.accounts().await {
                    Ok(accounts) => {
                        if let Err(e) = jobs::run_due(&engine.real_store(), &accounts, &engine.graph, false).await {
                            tracing::warn!(error = %e, "background jobs failed");
                        }
                    }
                    Err(e) => tracing::debug!(error = %e, "background jobs waiting for the secret store"),
                }
                drop(engine);
                tokio::time::sleep(Duration::from_secs(60)).await;
            }
        });
    }

    /// Tails the active store's change log and publishes what committed, until the
    /// engine is dropped. Call once, from inside a tokio runtime.
    pub fn start_change_feed(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut watched: Option<(PathBuf, i64)> = None;
            loop {
                let Some(engine) = weak.upgrade() else { return };
                let store = engine.store();
                let cursor = match &watched {
                    Some((path, seq)) if path == store.path() => Some(*seq),
                    _ => None,
                };
                let polled = match cursor {
                    // A store we have not watched yet: start from its head.
                    None => store.read(read::latest_change).await.map(|head| (head, Vec::new(), false)),
                    Some(seq) => store.read(move |c| read::changes_since(c, seq)).await,
                };
                match polled {
                    Ok((head, ids, everything)) => {
                        tracing::trace!(?cursor, head, changed = ids.len(), everything, "change feed polled");
                        if cursor.is_some() && (everything || !ids.is_empty()) {
                            let _ = engine.changes.send(StoreChanged {
                                conversation_ids: ids.iter().map(i64::to_string).collect(),
                                everything,
                            });
                        }
                        watched = Some((store.path().to_owned(), head));
                    }
                    Err(e) => tracing::warn!(error = %e, "reading the change log failed; retrying"),
                }
                drop(store);
                tokio::select! {
                    _ = engine.wake_feed.notified() => {}
                    _ = tokio::time::sleep(CHANGE_POLL) => {}
                }
            }
        });
    }
}
