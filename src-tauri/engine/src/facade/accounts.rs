//! Accounts as the facade offers them: connecting (with a token, or with a login run
//! through the relay), history, subscriptions and the background jobs.

use std::sync::Arc;

use cahts_protocol::wire::OAuthProvider;
use serde::Serialize;

use super::engine::Engine;
use crate::domain::account::{AccountStatus, AccountView, HistoryProgress, PageChoice};
use crate::domain::events::Platform;
use crate::facade::ipc::*;
use crate::secrets::Secret;
use crate::services::accounts::{AccountError, Accounts};
use crate::services::jobs::{self, JobReport};
use crate::services::relay_link::{self, LinkError, OAuthState};
use crate::services::sync::{self, BackfillReport};

/// One step of a history load, for a progress display.
pub use crate::services::sync::Progress as HistoryStep;

type Result<T, E = AccountError> = std::result::Result<T, E>;

/// What `check_subscriptions` found for one account.
#[derive(Debug, Clone, Serialize)]
pub struct SubscriptionCheck {
    pub account: i64,
    /// `ok`, `resubscribed`, or `error: …`.
    pub outcome: String,
}

/// A relay failure met while connecting an account, as an account error.
fn from_link(e: LinkError) -> AccountError {
    match e {
        LinkError::Secrets(s) => AccountError::Secrets(s),
        other => AccountError::Invalid(other.to_string()),
    }
}

impl Engine {
    pub(super) async fn accounts(&self) -> Result<Accounts, AccountError> {
        let store = self.real_store();
        let secrets = self.relay.secrets().await.map_err(from_link)?;
        Accounts::new(store, secrets, self.graph.clone()).await
    }

    pub async fn list_accounts(&self) -> Result<Vec<AccountView>, AccountError> {
        let mut list = self.accounts().await?.list().await?;
        let history = self.history.lock().unwrap_or_else(|e| e.into_inner());
        for account in &mut list {
            account.history = history.get(&account.id).cloned();
        }
        Ok(list)
    }

    /// Loads the history of newly connected Messenger and Instagram accounts now, rather
    /// than at the next background re-sync; progress shows in `list_accounts`.
    pub fn start_history(self: &Arc<Self>, accounts: Vec<AccountView>) {
        let wanted: Vec<_> = accounts.into_iter().filter(|a| a.platform != Platform::Whatsapp).collect();
        if wanted.is_empty() {
            return;
        }
        let engine = self.clone();
        tokio::spawn(async move {
            for account in wanted {
                let id = account.id;
                let set = |p: HistoryProgress| {
                    engine.history.lock().unwrap_or_else(|e| e.into_inner()).insert(id, p);
                };
                set(HistoryProgress { running: true, conversations: 0, error: None });
                let progress = |p: sync::Progress| {
                    set(HistoryProgress { running: true, conversations: p.conversations, error: None });
                };
                let outcome = engine.load_history(&account, &progress).await;
                match outcome {
                    Ok(report) => {
                        let error = report
                            .paused_until
                            .map(|_| "Meta asked CAHTS to slow down; the rest loads on its own later.".to_string());
                        set(HistoryProgress { running: false, conversations: report.conversations, error });
                    }
                    Err(e) => {
                        tracing::warn!(account_id = id, error = %e, "history could not be loaded");
                        let done = engine
                            .history
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .get(&id)
                            .map_or(0, |p| p.conversations);
                        set(HistoryProgress {
                            running: false,
                            conversations: done,
                            error: Some(format!("{e}. It is tried again in the background.")),
                        });
                    }
                }
                engine.wake_feed.notify_one();
            }
        });
    }

    pub async fn connect_whatsapp(&self, req: ConnectWhatsappRequest) -> Result<AccountView, AccountError> {
        self.accounts()
            .await?
            .connect_whatsapp(&req.phone_number_id, Secret::new(req.token), req.business_account_id)
            .await
    }

    /// Starts Instagram Login through the relay (for Instagram accounts without a Page).
    pub async fn begin_instagram_login(&self) -> Result<FacebookLogin, LinkError> {
        let (state, authorize_url) = self.relay.begin_oauth(OAuthProvider::Instagram).await?;
        Ok(FacebookLogin { state, authorize_url })
    }

    /// Connects the account as soon as the relay delivers the Instagram token.
    pub async fn instagram_login_status(
        self: &Arc<Self>,
        req: FacebookLoginRef,
    ) -> Result<InstagramLoginStatus, AccountError> {
        match self.login_outcome(&req.state).await? {
            OAuthState::Waiting => Ok(InstagramLoginStatus::Waiting),
            OAuthState::Failed(message) => Ok(InstagramLoginStatus::Failed { message }),
            OAuthState::Token(_) => {
                let account = self.connect_instagram_from_login(&req.state).await?;
                self.start_history(vec![account.clone()]);
                Ok(InstagramLoginStatus::Connected { account: Box::new(account) })
            }
        }
    }

    /// Starts Facebook Login through the relay.
    pub async fn begin_facebook_login(&self) -> Result<FacebookLogin, LinkError> {
        let (state, authorize_url) = self.relay.begin_oauth(OAuthProvider::Facebook).await?;
        Ok(FacebookLogin { state, authorize_url })
    }

    pub async fn facebook_login_status(&self, req: FacebookLoginRef) -> Result<FacebookLoginStatus, AccountError> {
        match self.login_outcome(&req.state).await? {
            OAuthState::Waiting => Ok(FacebookLoginStatus::Waiting),
            OAuthState::Failed(message) => Ok(FacebookLoginStatus::Failed { message }),
            OAuthState::Token(token) => {
                let pages = self.accounts().await?.page_choices(&token).await?;
                Ok(FacebookLoginStatus::Ready { pages })
            }
        }
    }

    pub async fn connect_pages(self: &Arc<Self>, req: ConnectPagesRequest) -> Result<Vec<AccountView>, AccountError> {
        if req.page_ids.is_empty() {
            return Err(AccountError::Invalid("choose at least one Page to connect".into()));
        }
        let connected = self.connect_pages_from_login(&req.state, &req.page_ids, req.with_instagram).await?;
        self.start_history(connected.clone());
        Ok(connected)
    }

    pub async fn disconnect_account(&self, req: DisconnectRequest) -> Result<DisconnectResult, AccountError> {
        let warning = self.accounts().await?.disconnect(req.account_id, req.delete_data).await?;
        Ok(DisconnectResult { warning })
    }

    async fn login_outcome(&self, state: &str) -> Result<OAuthState> {
        let secrets = self.relay.secrets().await.map_err(from_link)?;
        relay_link::oauth_outcome(&self.real_store(), secrets, state).await.map_err(from_link)
    }

    /// The token a finished login left in the secret store.
    async fn login_token(&self, state: &str) -> Result<Secret<String>> {
        match self.login_outcome(state).await? {
            OAuthState::Token(token) => Ok(token),
            _ => Err(AccountError::Invalid("this login has not finished; log in again".into())),
        }
    }

    /// Once the login's token has done its job (the Page or Instagram tokens are what stays).
    async fn forget_login(&self, state: &str) -> Result<()> {
        let secrets = self.relay.secrets().await.map_err(from_link)?;
        relay_link::forget_oauth(&self.real_store(), secrets, state).await.map_err(from_link)
    }

    /// Connects Pages (all of them when `page_ids` is empty) with the token of a finished
    /// Facebook Login. History is not loaded here; see [`Engine::start_history`].
    pub async fn connect_pages_from_login(
        &self,
        state: &str,
        page_ids: &[String],
        with_instagram: bool,
    ) -> Result<Vec<AccountView>> {
        let token = self.login_token(state).await?;
        let connected = self.connect_pages_with_token(&token, page_ids, with_instagram).await?;
        self.forget_login(state).await?;
        Ok(connected)
    }

    /// Connects the Instagram account of a finished Instagram Login.
    pub async fn connect_instagram_from_login(&self, state: &str) -> Result<AccountView> {
        let token = self.login_token(state).await?;
        let account = self.accounts().await?.connect_instagram(token, None).await?;
        self.forget_login(state).await?;
        Ok(account)
    }

    /// The Pages a Facebook user token can connect.
    pub async fn page_choices_with_token(&self, user_token: &Secret<String>) -> Result<Vec<PageChoice>> {
        self.accounts().await?.page_choices(user_token).await
    }

    /// Connects Pages (all of them when `page_ids` is empty) with a Facebook user token.
    pub async fn connect_pages_with_token(
        &self,
        user_token: &Secret<String>,
        page_ids: &[String],
        with_instagram: bool,
    ) -> Result<Vec<AccountView>> {
        let accounts = self.accounts().await?;
        let wanted: Vec<String> = if page_ids.is_empty() {
            accounts.page_choices(user_token).await?.into_iter().map(|p| p.page_id).collect()
        } else {
            page_ids.to_vec()
        };
        accounts.connect_pages(user_token, &wanted, with_instagram).await
    }

    /// Connects an Instagram professional account with a long-lived Instagram user token.
    pub async fn connect_instagram_with_token(&self, token: Secret<String>) -> Result<AccountView> {
        self.accounts().await?.connect_instagram(token, None).await
    }

    /// Checks that Meta still sends each account's webhooks; re-subscribes those it dropped.
    pub async fn check_subscriptions(&self) -> Result<Vec<SubscriptionCheck>> {
        let accounts = self.accounts().await?;
        let mut report = Vec::new();
        for account in accounts.list().await? {
            if account.status == AccountStatus::Disconnected || !account.has_subscription() {
                continue;
            }
            let outcome = match accounts.check_subscription(account.id).await {
                Ok(true) => "resubscribed".to_string(),
                Ok(false) => "ok".to_string(),
                Err(e) => format!("error: {e}"),
            };
            report.push(SubscriptionCheck { account: account.id, outcome });
        }
        Ok(report)
    }

    /// Loads Messenger and Instagram history now, for one account or every connected one
    /// (resumable: a later run fetches only what changed).
    pub async fn sync_history(
        &self,
        account: Option<i64>,
        progress: &(dyn Fn(sync::Progress) + Send + Sync),
    ) -> Result<Vec<BackfillReport>> {
        let mut reports = Vec::new();
        for a in self.accounts().await?.list().await? {
            let wanted = account.map_or(a.status == AccountStatus::Connected, |id| id == a.id);
            if !wanted || a.platform == Platform::Whatsapp {
                continue;
            }
            reports.push(self.backfill(&a, progress).await?);
        }
        Ok(reports)
    }

    async fn backfill(
        &self,
        account: &AccountView,
        progress: &(dyn Fn(sync::Progress) + Send + Sync),
    ) -> Result<BackfillReport> {
        let accounts = self.accounts().await?;
        sync::backfill(&self.real_store(), accounts.credentials(), &self.graph, account, progress)
            .await
            .map_err(|e| AccountError::Invalid(e.to_string()))
    }

    async fn load_history(
        &self,
        account: &AccountView,
        progress: &(dyn Fn(sync::Progress) + Send + Sync),
    ) -> std::result::Result<BackfillReport, String> {
        self.backfill(account, progress).await.map_err(|e| e.to_string())
    }

    /// Runs the background jobs that are due (every job with `force`), once.
    pub async fn run_jobs(&self, force: bool) -> Result<Vec<JobReport>> {
        let accounts = self.accounts().await?;
        Ok(jobs::run_due(&self.real_store(), &accounts, &self.graph, force).await?)
    }
}
