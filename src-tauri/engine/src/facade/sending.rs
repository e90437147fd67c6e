//! Sending as the facade offers it: queueing replies, media, templates and reactions
//! (the outbox worker sends them), and handling sends that failed.

use std::path::PathBuf;

use serde::Serialize;

use super::engine::Engine;
use crate::domain::template::Template;
use crate::facade::ipc::*;
use crate::services::media;
use crate::services::outbox::{self, OutboxError, Outcome};
use crate::store::{Store, read};

type Result<T, E = OutboxError> = std::result::Result<T, E>;

/// One pass of the outbox run on request.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxRun {
    /// Sends a crash interrupted, now waiting for Meta's echo to confirm them.
    pub recovered_as_unconfirmed: usize,
    pub outcomes: Vec<Outcome>,
}

impl Engine {
    /// Queues a reply; the outbox worker sends it.
    pub async fn send_text(&self, req: SendTextRequest) -> Result<OutboxRef, OutboxError> {
        let store = self.sendable_store()?;
        let id = read::parse_id("conversation", &req.conversation_id)?;
        let client_id = outbox::enqueue_text(&store, id, req.text, req.reply_to).await?;
        self.after_enqueue();
        Ok(OutboxRef { client_id })
    }

    /// Queues a file (copied into the media directory first) with an optional caption.
    pub async fn send_media(&self, req: SendMediaRequest) -> Result<OutboxRefs, OutboxError> {
        let store = self.sendable_store()?;
        let id = read::parse_id("conversation", &req.conversation_id)?;
        let file = media::import_outgoing(&self.media_config(), PathBuf::from(&req.path))
            .await
            .map_err(OutboxError::Refused)?;
        let client_ids = outbox::enqueue_media(&store, id, file, req.caption, req.reply_to).await?;
        self.after_enqueue();
        Ok(OutboxRefs { client_ids })
    }

    /// The approved templates of the WhatsApp number a conversation belongs to.
    pub async fn list_templates(&self, req: ConversationRef) -> Result<Vec<Template>, OutboxError> {
        let store = self.sendable_store()?;
        let id = read::parse_id("conversation", &req.conversation_id)?;
        let account_id = store.read(move |c| read::conversation_account(c, id)).await?;
        let account_id = account_id.ok_or(OutboxError::NotFound)?;
        Ok(self.accounts().await?.templates(account_id).await?)
    }

    pub async fn send_template(&self, req: SendTemplateRequest) -> Result<OutboxRef, OutboxError> {
        let templates = self.list_templates(ConversationRef { conversation_id: req.conversation_id.clone() }).await?;
        let template =
            templates.into_iter().find(|t| t.name == req.name && t.language == req.language).ok_or_else(|| {
                OutboxError::Refused(format!(
                    "No approved template \"{}\" ({}) on this number.",
                    req.name, req.language
                ))
            })?;
        let id = read::parse_id("conversation", &req.conversation_id)?;
        let client_id = outbox::enqueue_template(&self.sendable_store()?, id, &template, req.parameters).await?;
        self.after_enqueue();
        Ok(OutboxRef { client_id })
    }

    pub async fn react(&self, req: ReactRequest) -> Result<OutboxRef, OutboxError> {
        let id = read::parse_id("conversation", &req.conversation_id)?;
        let client_id = outbox::enqueue_reaction(&self.sendable_store()?, id, req.message_id, req.emoji).await?;
        self.after_enqueue();
        Ok(OutboxRef { client_id })
    }

    fn sendable_store(&self) -> Result<Store, OutboxError> {
        if self.mode() == StoreMode::Demo {
            return Err(OutboxError::Refused("Demo conversations are not real: nothing can be sent from them.".into()));
        }
        Ok(self.store())
    }

    fn after_enqueue(&self) {
        self.wake_feed.notify_one();
        self.wake_outbox.notify_one();
    }

    /// Sends what is due in the outbox now (after settling sends a crash interrupted), for
    /// `cahts-cli`, which has no worker. Returns what happened to each.
    pub async fn process_outbox(&self) -> Result<OutboxRun, OutboxError> {
        let store = self.real_store();
        let recovered_as_unconfirmed = outbox::recover_after_crash(&store).await?;
        let accounts = self.accounts().await?;
        let outcomes = outbox::process_due(&store, accounts.credentials(), &self.graph).await?;
        self.wake_feed.notify_one();
        Ok(OutboxRun { recovered_as_unconfirmed, outcomes })
    }

    pub async fn retry_send(&self, req: OutboxRef) -> Result<(), OutboxError> {
        outbox::retry(&self.real_store(), &req.client_id).await?;
        self.wake_feed.notify_one();
        self.wake_outbox.notify_one();
        Ok(())
    }

    pub async fn discard_send(&self, req: OutboxRef) -> Result<(), OutboxError> {
        outbox::discard(&self.real_store(), &req.client_id).await?;
        self.wake_feed.notify_one();
        Ok(())
    }
}
