//! Connected accounts: Facebook Pages (Messenger), Instagram accounts linked to them, and
//! WhatsApp phone numbers. Rows live in `accounts`; tokens only in the secret store.
//!
//! An account's state says what the owner must know: `connected`, `needs_reconnect` (Meta
//! answered 190: the token died), `rate_limited` until a time, `unsubscribed` (Meta
//! stopped sending webhooks and re-subscribing failed), `disconnected`.

use std::sync::Arc;
use std::time::Duration;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::{Value, json};
use ts_rs::TS;

use crate::error::SqlContext as _;
use crate::events::Platform;
use crate::meta::graph::{ErrorKind, GraphClient, GraphError, Host};
use crate::secrets::{Secret, SecretError, SecretStore};
use crate::store::{Store, now_ms};

/// Webhook fields a Page is subscribed to (META-API.md §1, subscribing an asset).
pub const PAGE_FIELDS: &str =
    "messages,message_echoes,message_edits,message_reactions,message_reads,message_deliveries,messaging_postbacks,messaging_referrals";

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("Meta refused: {0}")]
    Graph(#[from] GraphError),
    #[error("{0}")]
    Invalid(String),
    #[error("no connected account with id {0}")]
    NotFound(i64),
    #[error(transparent)]
    Secrets(#[from] SecretError),
    #[error(transparent)]
    Store(#[from] crate::Error),
}

type Result<T, E = AccountError> = std::result::Result<T, E>;

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    pub id: i64,
    pub platform: Platform,
    /// Page id, Instagram account id or WhatsApp phone-number id.
    pub asset_id: String,
    pub display_name: Option<String>,
    /// `connected`, `needs_reconnect`, `rate_limited`, `unsubscribed`, `disconnected`, `unverified`.
    pub status: String,
    pub status_detail: Option<String>,
    pub rate_limited_until: Option<i64>,
}

/// A Page the owner may connect, from `/me/accounts`.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PageChoice {
    pub page_id: String,
    pub name: String,
    pub instagram_id: Option<String>,
    pub instagram_username: Option<String>,
}

fn platform_name(p: Platform) -> &'static str {
    match p {
        Platform::Messenger => "messenger",
        Platform::Instagram => "instagram",
        Platform::Whatsapp => "whatsapp",
    }
}

fn token_name(store_id: &str, platform: Platform, asset_id: &str) -> String {
    format!("account-token/{store_id}/{}/{asset_id}", platform_name(platform))
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, SecretError> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AccountError::Invalid(format!("secret store task failed: {e}")))?
        .map_err(AccountError::from)
}

fn str_field<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// Accounts of one store.
#[derive(Clone)]
pub struct Accounts {
    store: Store,
    secrets: Arc<SecretStore>,
    graph: GraphClient,
    store_id: String,
}

impl Accounts {
    pub async fn new(store: Store, secrets: Arc<SecretStore>, graph: GraphClient) -> Result<Self> {
        let store_id = crate::relay_link::store_id(&store).await.map_err(|e| AccountError::Invalid(e.to_string()))?;
        Ok(Self { store, secrets, graph, store_id })
    }

    pub async fn list(&self) -> Result<Vec<AccountView>> {
        Ok(self
            .store
            .read(|c| {
                let mut stmt = c
                    .prepare(
                        "SELECT id, platform, asset_id, display_name, status, status_detail, rate_limited_until
                         FROM accounts ORDER BY platform, display_name, asset_id",
                    )
                    .ctx("listing accounts")?;
                let rows = stmt.query_map([], row_to_view).ctx("listing accounts")?;
                rows.collect::<rusqlite::Result<Vec<_>>>().ctx("listing accounts")
            })
            .await?)
    }

    pub async fn get(&self, id: i64) -> Result<AccountView> {
        self.store
            .read(move |c| {
                c.query_row(
                    "SELECT id, platform, asset_id, display_name, status, status_detail, rate_limited_until FROM accounts WHERE id = ?1",
                    [id],
                    row_to_view,
                )
                .optional()
                .ctx("reading an account")
            })
            .await?
            .ok_or(AccountError::NotFound(id))
    }

    /// The token of a connected account (for platform calls).
    pub async fn token(&self, account: &AccountView) -> Result<Secret<String>> {
        let name = token_name(&self.store_id, account.platform, &account.asset_id);
        let secrets = self.secrets.clone();
        blocking(move || secrets.get(&name))
            .await?
            .ok_or_else(|| AccountError::Invalid(format!("{} has no token; connect it again", account.asset_id)))
    }

    async fn save(&self, platform: Platform, asset_id: &str, display_name: Option<String>, token: Secret<String>) -> Result<AccountView> {
        self.save_with_parent(platform, asset_id, display_name, None, token).await
    }

    async fn save_with_parent(
        &self,
        platform: Platform,
        asset_id: &str,
        display_name: Option<String>,
        parent: Option<String>,
        token: Secret<String>,
    ) -> Result<AccountView> {
        let name = token_name(&self.store_id, platform, asset_id);
        let secrets = self.secrets.clone();
        blocking(move || secrets.set(&name, &token)).await?;
        let asset = asset_id.to_string();
        let id = self
            .store
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO accounts (platform, asset_id, display_name, parent_asset_id, status, created_at)
                     VALUES (?1, ?2, ?3, ?4, 'connected', ?5)
                     ON CONFLICT (platform, asset_id) DO UPDATE SET
                        display_name = coalesce(excluded.display_name, accounts.display_name),
                        parent_asset_id = coalesce(excluded.parent_asset_id, accounts.parent_asset_id),
                        status = 'connected', status_detail = NULL, rate_limited_until = NULL",
                    params![platform_name(platform), asset, display_name, parent, now_ms()],
                )
                .ctx("saving an account")?;
                tx.query_row("SELECT id FROM accounts WHERE platform = ?1 AND asset_id = ?2", params![platform_name(platform), asset], |r| r.get(0))
                    .ctx("saving an account")
            })
            .await?;
        tracing::info!(account_id = id, platform = platform_name(platform), asset_id, "account connected");
        self.get(id).await
    }

    /// WhatsApp by pasting a system-user token and the phone-number id; validated with a
    /// call before anything is kept.
    pub async fn connect_whatsapp(&self, phone_number_id: &str, token: Secret<String>) -> Result<AccountView> {
        let phone_number_id = phone_number_id.trim();
        if phone_number_id.is_empty() || !phone_number_id.chars().all(|c| c.is_ascii_digit()) {
            return Err(AccountError::Invalid("the phone-number id is the number Meta shows under WhatsApp → API setup (digits only)".into()));
        }
        let answer = self
            .graph
            .get(Host::Facebook, phone_number_id, &token, &[("fields", "display_phone_number,verified_name")])
            .await?;
        let name = match (str_field(&answer.body, "verified_name"), str_field(&answer.body, "display_phone_number")) {
            (Some(n), Some(p)) => Some(format!("{n} ({p})")),
            (Some(n), None) => Some(n.to_string()),
            (None, Some(p)) => Some(p.to_string()),
            (None, None) => None,
        };
        self.save(Platform::Whatsapp, phone_number_id, name, token).await
    }

    /// The Pages (and their Instagram accounts) a Facebook user token can connect.
    pub async fn page_choices(&self, user_token: &Secret<String>) -> Result<Vec<PageChoice>> {
        Ok(self.pages(user_token).await?.into_iter().map(|(choice, _)| choice).collect())
    }

    async fn pages(&self, user_token: &Secret<String>) -> Result<Vec<(PageChoice, Secret<String>)>> {
        let mut out = Vec::new();
        let mut next: Option<String> = Some("me/accounts".into());
        let fields = [("fields", "id,name,access_token,instagram_business_account{id,username}"), ("limit", "100")];
        while let Some(path) = next.take() {
            let query: &[(&str, &str)] = if path.starts_with("http") { &[] } else { &fields };
            let answer = self.graph.get(Host::Facebook, &path, user_token, query).await?;
            for page in answer.body.get("data").and_then(Value::as_array).into_iter().flatten() {
                let (Some(id), Some(token)) = (str_field(page, "id"), str_field(page, "access_token")) else { continue };
                let ig = page.get("instagram_business_account");
                out.push((
                    PageChoice {
                        page_id: id.to_string(),
                        name: str_field(page, "name").unwrap_or(id).to_string(),
                        instagram_id: ig.and_then(|v| str_field(v, "id")).map(String::from),
                        instagram_username: ig.and_then(|v| str_field(v, "username")).map(String::from),
                    },
                    Secret::new(token.to_string()),
                ));
            }
            next = answer.body.pointer("/paging/next").and_then(Value::as_str).map(String::from);
        }
        Ok(out)
    }

    /// Connects the chosen Pages (and, when asked, their linked Instagram accounts) with
    /// the page tokens a user token yields, and subscribes each Page to the app's webhooks.
    pub async fn connect_pages(&self, user_token: &Secret<String>, page_ids: &[String], with_instagram: bool) -> Result<Vec<AccountView>> {
        let pages = self.pages(user_token).await?;
        let mut connected = Vec::new();
        for wanted in page_ids {
            let Some((choice, page_token)) = pages.iter().find(|(c, _)| &c.page_id == wanted) else {
                return Err(AccountError::Invalid(format!("page {wanted} is not among the Pages this login can manage")));
            };
            self.subscribe(&choice.page_id, page_token).await?;
            connected.push(self.save(Platform::Messenger, &choice.page_id, Some(choice.name.clone()), page_token.clone()).await?);
            if let (true, Some(ig)) = (with_instagram, &choice.instagram_id) {
                let name = choice.instagram_username.as_ref().map(|u| format!("@{u}")).or(Some(choice.name.clone()));
                // Instagram via Page uses the Page's token (META-API.md §3.1 Perms).
                connected.push(self.save_with_parent(Platform::Instagram, ig, name, Some(choice.page_id.clone()), page_token.clone()).await?);
            }
        }
        Ok(connected)
    }

    async fn subscribe(&self, page_id: &str, page_token: &Secret<String>) -> Result<()> {
        let path = format!("{page_id}/subscribed_apps?subscribed_fields={PAGE_FIELDS}");
        let answer = self.graph.post_json(Host::Facebook, &path, page_token, &json!({})).await?;
        if answer.body.get("success").and_then(Value::as_bool) != Some(true) {
            return Err(AccountError::Invalid(format!("Meta did not confirm the webhook subscription of page {page_id}")));
        }
        Ok(())
    }

    /// Checks that Meta still sends this Page's webhooks (it unsubscribes a Page after an
    /// hour of failed deliveries) and subscribes it again when not. Returns whether a
    /// re-subscription was needed.
    pub async fn check_subscription(&self, id: i64) -> Result<bool> {
        let account = self.get(id).await?;
        if account.platform != Platform::Messenger {
            return Ok(false);
        }
        let token = self.token(&account).await?;
        let answer = match self.graph.get(Host::Facebook, &format!("{}/subscribed_apps", account.asset_id), &token, &[]).await {
            Ok(answer) => answer,
            Err(e) => {
                self.record_error(id, &e).await?;
                return Err(e.into());
            }
        };
        let subscribed = answer.body.get("data").and_then(Value::as_array).is_some_and(|apps| {
            apps.iter().any(|app| {
                app.get("subscribed_fields")
                    .and_then(Value::as_array)
                    .is_some_and(|f| f.iter().any(|f| f.as_str() == Some("messages")))
            })
        });
        if subscribed {
            return Ok(false);
        }
        tracing::warn!(account_id = id, "Meta no longer sends this Page's webhooks; subscribing again");
        match self.subscribe(&account.asset_id, &token).await {
            Ok(()) => {
                self.set_status(id, "connected", Some("Webhooks were re-subscribed after Meta stopped them.".into()), None).await?;
                Ok(true)
            }
            Err(e) => {
                self.set_status(id, "unsubscribed", Some(format!("Meta stopped sending this Page's messages and re-subscribing failed: {e}")), None)
                    .await?;
                Err(e)
            }
        }
    }

    async fn set_status(&self, id: i64, status: &'static str, detail: Option<String>, until: Option<i64>) -> Result<()> {
        self.store
            .write(move |tx| {
                tx.execute(
                    "UPDATE accounts SET status = ?2, status_detail = ?3, rate_limited_until = ?4 WHERE id = ?1",
                    params![id, status, detail, until],
                )
                .ctx("updating an account's state")?;
                crate::store::apply::log_changes(tx, &[], "accounts", now_ms())
            })
            .await?;
        Ok(())
    }

    /// What a failed call says about the account: a dead token needs reconnecting; a rate
    /// limit pauses it until Meta's time. Other failures leave the state alone.
    pub async fn record_error(&self, id: i64, error: &GraphError) -> Result<()> {
        match &error.kind {
            ErrorKind::TokenInvalid { subcode } => {
                let why = match subcode {
                    Some(463) => "The access expired.",
                    Some(460) => "The Facebook password was changed.",
                    Some(467) | Some(458) => "The access was revoked or the app removed.",
                    _ => "Meta no longer accepts this account's access.",
                };
                tracing::warn!(account_id = id, code = ?error.code, subcode = ?subcode, "account needs reconnecting");
                self.set_status(id, "needs_reconnect", Some(format!("{why} Connect the account again.")), None).await
            }
            ErrorKind::RateLimited { retry_after } => {
                let wait = retry_after.unwrap_or(Duration::from_secs(60));
                let until = now_ms() + wait.as_millis() as i64;
                self.set_status_until(id, until).await
            }
            _ => Ok(()),
        }
    }

    /// Back to normal after a pause (the limit's time passed and a call succeeded).
    pub async fn mark_connected(&self, id: i64) -> Result<()> {
        self.set_status(id, "connected", None, None).await
    }

    async fn set_status_until(&self, id: i64, until: i64) -> Result<()> {
        self.set_status(id, "rate_limited", Some("Meta asked CAHTS to slow down; it resumes on its own.".into()), Some(until)).await
    }

    /// Disconnects: unsubscribes (Pages), forgets the token, and either keeps the local
    /// history (marked disconnected) or deletes it. Returns a warning when Meta could not
    /// be told (a dead token cannot unsubscribe; the disconnect still happens).
    pub async fn disconnect(&self, id: i64, delete_data: bool) -> Result<Option<String>> {
        let account = self.get(id).await?;
        let mut warning = None;
        if account.platform == Platform::Messenger {
            match self.token(&account).await {
                Ok(token) => {
                    if let Err(e) = self.graph.delete(Host::Facebook, &format!("{}/subscribed_apps", account.asset_id), &token, &[]).await {
                        tracing::warn!(account_id = id, error = %e, "could not unsubscribe the Page");
                        warning = Some(format!("Meta could not be told to stop sending this Page's messages ({e}); remove the app in the Page's settings if they keep coming."));
                    }
                }
                Err(e) => warning = Some(e.to_string()),
            }
        }
        let name = token_name(&self.store_id, account.platform, &account.asset_id);
        let secrets = self.secrets.clone();
        blocking(move || secrets.delete(&name)).await?;
        self.store
            .write(move |tx| {
                if delete_data {
                    // Conversations, messages and their search rows go with the account (FK cascade).
                    tx.execute("DELETE FROM accounts WHERE id = ?1", [id]).ctx("deleting an account")?;
                    crate::store::apply::log_everything(tx, "accounts", now_ms())
                } else {
                    tx.execute(
                        "UPDATE accounts SET status = 'disconnected', status_detail = NULL, rate_limited_until = NULL WHERE id = ?1",
                        [id],
                    )
                    .ctx("disconnecting an account")?;
                    crate::store::apply::log_changes(tx, &[], "accounts", now_ms())
                }
            })
            .await?;
        tracing::info!(account_id = id, delete_data, "account disconnected");
        Ok(warning)
    }
}

fn row_to_view(r: &rusqlite::Row<'_>) -> rusqlite::Result<AccountView> {
    let platform: String = r.get(1)?;
    let platform = match platform.as_str() {
        "messenger" => Platform::Messenger,
        "instagram" => Platform::Instagram,
        _ => Platform::Whatsapp,
    };
    Ok(AccountView {
        id: r.get(0)?,
        platform,
        asset_id: r.get(2)?,
        display_name: r.get(3)?,
        status: r.get(4)?,
        status_detail: r.get(5)?,
        rate_limited_until: r.get(6)?,
    })
}
