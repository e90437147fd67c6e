//! Connected accounts: Facebook Pages (Messenger), Instagram accounts linked to them, and
//! WhatsApp phone numbers. Rows live in `accounts`; tokens only in the secret store.
//!
//! An account's state says what the owner must know: `connected`, `needs_reconnect` (Meta
//! answered 190: the token died), `rate_limited` until a time, `unsubscribed` (Meta
//! stopped sending webhooks and re-subscribing failed), `disconnected`.

use std::sync::Arc;

use serde_json::{Value, json};

use super::credentials::Credentials;
pub use super::credentials::{AccountError, Result};
pub use crate::domain::account::*;
use crate::domain::events::Platform;
use crate::platform::graph::{GraphClient, GraphError};
use crate::secrets::{Secret, SecretStore};
use crate::store::Store;
use crate::store::accounts::{self as store_accounts, NewAccount};

fn str_field<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// Accounts of one store: connecting, checking and disconnecting them.
#[derive(Clone)]
pub struct Accounts {
    credentials: Credentials,
    store: Store,
    graph: GraphClient,
}

impl Accounts {
    pub async fn new(store: Store, secrets: Arc<SecretStore>, graph: GraphClient) -> Result<Self> {
        let credentials = Credentials::new(store.clone(), secrets).await?;
        Ok(Self { credentials, store, graph })
    }

    /// What the other services need of these accounts.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    pub async fn list(&self) -> Result<Vec<AccountView>> {
        self.credentials.list().await
    }

    pub async fn get(&self, id: i64) -> Result<AccountView> {
        self.credentials.get(id).await
    }

    /// The token of a connected account (for platform calls).
    pub async fn token(&self, account: &AccountView) -> Result<Secret<String>> {
        self.credentials.token(account).await
    }

    async fn save(&self, account: NewAccount, token: Secret<String>) -> Result<AccountView> {
        self.credentials.set_token(account.platform, &account.asset_id, token).await?;
        let (platform, asset_id) = (account.platform, account.asset_id.clone());
        let now = self.store.now_ms();
        let id = self.store.write(move |tx| store_accounts::upsert(tx, &account, now)).await?;
        tracing::info!(account_id = id, platform = platform.as_str(), asset_id, "account connected");
        self.get(id).await
    }

    /// WhatsApp by pasting a system-user token and the phone-number id; validated with a
    /// call before anything is kept.
    pub async fn connect_whatsapp(
        &self,
        phone_number_id: &str,
        token: Secret<String>,
        business_id: Option<String>,
    ) -> Result<AccountView> {
        let phone_number_id = phone_number_id.trim();
        if phone_number_id.is_empty() || !phone_number_id.chars().all(|c| c.is_ascii_digit()) {
            return Err(AccountError::Invalid(
                "the phone-number id is the number Meta shows under WhatsApp → API setup (digits only)".into(),
            ));
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
        let business_id = match business_id.map(|b| b.trim().to_string()).filter(|b| !b.is_empty()) {
            Some(b) => Some(b),
            None => self.find_business(phone_number_id, &token).await,
        };
        let account = NewAccount {
            platform: Platform::Whatsapp,
            asset_id: phone_number_id.to_string(),
            display_name: name,
            parent: None,
            login: Login::Whatsapp,
            business_id,
            token_expires_at: None,
        };
        let saved = self.save(account, token.clone()).await?;
        // The number's messages reach the relay only while the app is subscribed to its
        // business account. Without a known business account, or without the right, the
        // number still works for sending; the state says why nothing may arrive.
        match self.subscribe_account(&saved, &token).await {
            Ok(()) if saved.business_id.is_some() => {}
            Ok(()) => {
                let detail = "CAHTS could not tell this number's WhatsApp Business Account, so it cannot check that its messages are sent to your relay. Connect it again with the business account id.";
                self.credentials.set_status(saved.id, AccountStatus::Connected, Some(detail.into()), None).await?;
            }
            Err(e) => {
                tracing::warn!(account_id = saved.id, error = %e, "could not subscribe the WhatsApp Business Account");
                self.credentials
                    .set_status(
                        saved.id,
                        AccountStatus::Unsubscribed,
                        Some(format!(
                            "Meta did not accept the webhook subscription of this number's business account: {e}"
                        )),
                        None,
                    )
                    .await?;
            }
        }
        self.get(saved.id).await
    }

    /// The WhatsApp Business Account that holds a number, from the token's granted targets
    /// (`debug_token` granular scopes) and each candidate's `phone_numbers`. `None` when it
    /// cannot be told; templates then ask for it.
    async fn find_business(&self, phone_number_id: &str, token: &Secret<String>) -> Option<String> {
        let answer =
            match self.graph.get(Host::Facebook, "debug_token", token, &[("input_token", token.expose())]).await {
                Ok(answer) => answer,
                Err(e) => {
                    tracing::info!(error = %e, "could not tell the number's business account from its token");
                    return None;
                }
            };
        let mut candidates: Vec<String> = answer
            .body
            .pointer("/data/granular_scopes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|s| str_field(s, "scope").is_some_and(|s| s.starts_with("whatsapp_business")))
            .flat_map(|s| s.get("target_ids").and_then(Value::as_array).cloned().unwrap_or_default())
            .filter_map(|t| t.as_str().map(String::from))
            .collect();
        candidates.dedup();
        for waba in candidates {
            let Ok(numbers) =
                self.graph.get(Host::Facebook, &format!("{waba}/phone_numbers"), token, &[("fields", "id")]).await
            else {
                continue;
            };
            let holds = numbers
                .body
                .get("data")
                .and_then(Value::as_array)
                .is_some_and(|d| d.iter().any(|n| str_field(n, "id") == Some(phone_number_id)));
            if holds {
                return Some(waba);
            }
        }
        None
    }

    /// The approved message templates of a WhatsApp number's business account
    /// (`GET /{waba-id}/message_templates`, META-API.md §3.4 Template), every page of them.
    pub async fn templates(&self, id: i64) -> Result<Vec<crate::domain::template::Template>> {
        let account = self.get(id).await?;
        if account.platform != Platform::Whatsapp {
            return Err(AccountError::Invalid("templates are a WhatsApp feature".into()));
        }
        let Some(waba) = account.business_id.clone() else {
            return Err(AccountError::Invalid(
                "CAHTS does not know this number's WhatsApp Business Account: connect the number again and give its business account id.".into(),
            ));
        };
        let token = self.token(&account).await?;
        let mut out = Vec::new();
        let mut next = Some(format!("{waba}/message_templates"));
        let query = [("fields", "name,language,status,category,components"), ("status", "APPROVED"), ("limit", "100")];
        while let Some(path) = next.take() {
            let q: &[(&str, &str)] = if path.starts_with("http") { &[] } else { &query };
            let answer = match self.graph.get(Host::Facebook, &path, &token, q).await {
                Ok(answer) => answer,
                Err(e) => {
                    self.record_error(id, &e).await?;
                    return Err(e.into());
                }
            };
            for t in answer.body.get("data").and_then(Value::as_array).into_iter().flatten() {
                // Asked for approved ones only; checked again, since a filter may be ignored.
                if str_field(t, "status").is_some_and(|s| !s.eq_ignore_ascii_case("APPROVED")) {
                    continue;
                }
                if let Some(template) = crate::domain::template::Template::from_graph(t) {
                    out.push(template);
                }
            }
            next = answer.body.pointer("/paging/next").and_then(Value::as_str).map(String::from);
        }
        out.sort_by(|a, b| (&a.name, &a.language).cmp(&(&b.name, &b.language)));
        Ok(out)
    }

    /// Instagram Login: a long-lived Instagram user token (from the relay's exchange) names
    /// the professional account it belongs to (`GET graph.instagram.com/me`); the account is
    /// subscribed to messaging webhooks and kept with the token's expiry.
    pub async fn connect_instagram(&self, token: Secret<String>, expires_in: Option<i64>) -> Result<AccountView> {
        let me = self.graph.get(Host::Instagram, "me", &token, &[("fields", "user_id,username,name")]).await?;
        let Some(id) = str_field(&me.body, "user_id").or_else(|| str_field(&me.body, "id")).map(String::from) else {
            return Err(AccountError::Invalid("Instagram did not say which account this login belongs to".into()));
        };
        let name = str_field(&me.body, "username")
            .map(|u| format!("@{u}"))
            .or_else(|| str_field(&me.body, "name").map(String::from));
        self.subscribe_at(Host::Instagram, "me/subscribed_apps", Some(INSTAGRAM_FIELDS), &token, &id).await?;
        let account = NewAccount {
            platform: Platform::Instagram,
            asset_id: id,
            display_name: name,
            parent: None,
            login: Login::Instagram,
            business_id: None,
            token_expires_at: Some(self.store.now_ms() + expires_in.unwrap_or(INSTAGRAM_TOKEN_LIFE_S) * 1000),
        };
        self.save(account, token).await
    }

    /// Refreshes an Instagram Login token that has fewer than 30 days left
    /// (`GET graph.instagram.com/refresh_access_token?grant_type=ig_refresh_token`, valid
    /// once the token is a day old). Returns whether it was refreshed.
    pub async fn refresh_instagram_token(&self, id: i64) -> Result<bool> {
        let account = self.get(id).await?;
        if account.login != Some(Login::Instagram) || account.status == AccountStatus::Disconnected {
            return Ok(false);
        }
        let due = account.token_expires_at.is_none_or(|at| at - self.store.now_ms() < INSTAGRAM_REFRESH_BEFORE_MS);
        if !due {
            return Ok(false);
        }
        let token = self.token(&account).await?;
        // Unversioned, as Meta documents it (IGRT).
        let url = format!("{}/refresh_access_token", self.graph.config().instagram_graph_base);
        let answer = match self.graph.get(Host::Instagram, &url, &token, &[("grant_type", "ig_refresh_token")]).await {
            Ok(answer) => answer,
            Err(e) => {
                self.record_error(id, &e).await?;
                return Err(e.into());
            }
        };
        let Some(fresh) = str_field(&answer.body, "access_token").map(|t| Secret::new(t.to_string())) else {
            return Err(AccountError::Invalid("Instagram refreshed the token without returning it".into()));
        };
        let life = answer.body.get("expires_in").and_then(Value::as_i64).unwrap_or(INSTAGRAM_TOKEN_LIFE_S);
        self.credentials.set_token(account.platform, &account.asset_id, fresh).await?;
        let expires = self.store.now_ms() + life * 1000;
        self.store.write(move |tx| store_accounts::set_token_expiry(tx, id, expires)).await?;
        tracing::info!(account_id = id, "Instagram token refreshed");
        Ok(true)
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
                let (Some(id), Some(token)) = (str_field(page, "id"), str_field(page, "access_token")) else {
                    continue;
                };
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
    pub async fn connect_pages(
        &self,
        user_token: &Secret<String>,
        page_ids: &[String],
        with_instagram: bool,
    ) -> Result<Vec<AccountView>> {
        let pages = self.pages(user_token).await?;
        let mut connected = Vec::new();
        for wanted in page_ids {
            let Some((choice, page_token)) = pages.iter().find(|(c, _)| &c.page_id == wanted) else {
                return Err(AccountError::Invalid(format!(
                    "page {wanted} is not among the Pages this login can manage"
                )));
            };
            self.subscribe_at(
                Host::Facebook,
                &format!("{}/subscribed_apps", choice.page_id),
                Some(PAGE_FIELDS),
                page_token,
                &choice.page_id,
            )
            .await?;
            let page = NewAccount {
                platform: Platform::Messenger,
                asset_id: choice.page_id.clone(),
                display_name: Some(choice.name.clone()),
                parent: None,
                login: Login::Facebook,
                business_id: None,
                token_expires_at: None,
            };
            connected.push(self.save(page, page_token.clone()).await?);
            if let (true, Some(ig)) = (with_instagram, &choice.instagram_id) {
                let name = choice.instagram_username.as_ref().map(|u| format!("@{u}")).or(Some(choice.name.clone()));
                // Instagram via Page uses the Page's token (META-API.md §3.1 Perms).
                let instagram = NewAccount {
                    platform: Platform::Instagram,
                    asset_id: ig.clone(),
                    display_name: name,
                    parent: Some(choice.page_id.clone()),
                    login: Login::Facebook,
                    business_id: None,
                    token_expires_at: None,
                };
                connected.push(self.save(instagram, page_token.clone()).await?);
            }
        }
        Ok(connected)
    }

    /// Checks that Meta still sends this account's webhooks (it unsubscribes a Page after
    /// an hour of failed deliveries) and subscribes it again when not. Returns whether a
    /// re-subscription was needed.
    pub async fn check_subscription(&self, id: i64) -> Result<bool> {
        let account = self.get(id).await?;
        let Some((host, path, _)) = account.subscription() else { return Ok(false) };
        let token = self.token(&account).await?;
        let answer = match self.graph.get(host, &path, &token, &[]).await {
            Ok(answer) => answer,
            Err(e) => {
                self.record_error(id, &e).await?;
                return Err(e.into());
            }
        };
        let apps = answer.body.get("data").and_then(Value::as_array).cloned().unwrap_or_default();
        let subscribed = match account.platform {
            // A WhatsApp Business Account lists the subscribed apps, without fields.
            Platform::Whatsapp => !apps.is_empty(),
            _ => apps.iter().any(|app| {
                app.get("subscribed_fields")
                    .and_then(Value::as_array)
                    .is_some_and(|f| f.iter().any(|f| f.as_str() == Some("messages")))
            }),
        };
        if subscribed {
            return Ok(false);
        }
        tracing::warn!(account_id = id, "Meta no longer sends this account's webhooks; subscribing again");
        match self.subscribe_account(&account, &token).await {
            Ok(()) => {
                self.credentials
                    .set_status(
                        id,
                        AccountStatus::Connected,
                        Some("Webhooks were re-subscribed after Meta stopped them.".into()),
                        None,
                    )
                    .await?;
                Ok(true)
            }
            Err(e) => {
                self.credentials
                    .set_status(
                        id,
                        AccountStatus::Unsubscribed,
                        Some(format!("Meta stopped sending this account's messages and re-subscribing failed: {e}")),
                        None,
                    )
                    .await?;
                Err(e)
            }
        }
    }

    /// Subscribes the app to the account's webhooks (Page, WhatsApp Business Account or
    /// Instagram Login account; META-API.md §1 "Subscribing an asset").
    async fn subscribe_account(&self, account: &AccountView, token: &Secret<String>) -> Result<()> {
        let Some((host, path, fields)) = account.subscription() else { return Ok(()) };
        self.subscribe_at(host, &path, fields, token, &account.asset_id).await
    }

    /// `POST {path}[?subscribed_fields=…]`, which Meta must confirm with `success: true`.
    async fn subscribe_at(
        &self,
        host: Host,
        path: &str,
        fields: Option<&str>,
        token: &Secret<String>,
        what: &str,
    ) -> Result<()> {
        let path = match fields {
            Some(fields) => format!("{path}?subscribed_fields={fields}"),
            None => path.to_string(),
        };
        let answer = self.graph.post_json(host, &path, token, &json!({})).await?;
        if answer.body.get("success").and_then(Value::as_bool) != Some(true) {
            return Err(AccountError::Invalid(format!("Meta did not confirm the webhook subscription of {what}")));
        }
        Ok(())
    }

    /// See [`Credentials::record_error`].
    pub async fn record_error(&self, id: i64, error: &GraphError) -> Result<()> {
        self.credentials.record_error(id, error).await
    }

    /// Back to normal after a pause (the limit's time passed and a call succeeded).
    pub async fn mark_connected(&self, id: i64) -> Result<()> {
        self.credentials.mark_connected(id).await
    }

    /// Disconnects: unsubscribes (Pages), forgets the token, and either keeps the local
    /// history (marked disconnected) or deletes it. Returns a warning when Meta could not
    /// be told (a dead token cannot unsubscribe; the disconnect still happens).
    pub async fn disconnect(&self, id: i64, delete_data: bool) -> Result<Option<String>> {
        let account = self.get(id).await?;
        let mut warning = None;
        // A WhatsApp Business Account may hold other numbers still connected: only the
        // last one connected here unsubscribes it.
        let shared_waba = match (&account.platform, &account.business_id) {
            (Platform::Whatsapp, Some(waba)) => {
                let others = self.list().await?;
                others.iter().any(|a| {
                    a.id != id
                        && a.status != AccountStatus::Disconnected
                        && a.business_id.as_deref() == Some(waba.as_str())
                })
            }
            _ => false,
        };
        if let (Some((host, path, _)), false) = (account.subscription(), shared_waba) {
            match self.token(&account).await {
                Ok(token) => {
                    if let Err(e) = self.graph.delete(host, &path, &token, &[]).await {
                        tracing::warn!(account_id = id, error = %e, "could not unsubscribe the account");
                        warning = Some(format!(
                            "Meta could not be told to stop sending this account's messages ({e}); remove the app in the account's settings if they keep coming."
                        ));
                    }
                }
                Err(e) => warning = Some(e.to_string()),
            }
        }
        self.credentials.forget_token(account.platform, &account.asset_id).await?;
        let media =
            if delete_data { self.store.read(move |c| store_accounts::media_paths(c, id)).await? } else { Vec::new() };
        let now = self.store.now_ms();
        self.store.write(move |tx| store_accounts::disconnect(tx, id, delete_data, now)).await?;
        // Downloaded files go with the history, unless another account's messages share them.
        let removed = crate::store::media_files::remove_unreferenced(&self.store, media).await?;
        tracing::info!(account_id = id, delete_data, media_files_removed = removed, "account disconnected");
        Ok(warning)
    }
}
