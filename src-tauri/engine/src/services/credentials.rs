//! What every service that calls Meta needs from an account, below all of them: the
//! account's row, its token from the secret store, and recording what a failed call says
//! about it (a dead token, a rate limit). Accounts, history sync, the outbox, media and
//! jobs all take a [`Credentials`]; none reaches into another for it.

use std::sync::Arc;
use std::time::Duration;

use crate::domain::account::{AccountStatus, AccountView};
use crate::domain::events::Platform;
use crate::platform::graph::{ErrorKind, GraphError};
use crate::secrets::{Secret, SecretError, SecretStore};
use crate::store::{self, Store};

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
    Store(#[from] crate::domain::Error),
}

pub type Result<T, E = AccountError> = std::result::Result<T, E>;

fn token_name(store_id: &str, platform: Platform, asset_id: &str) -> String {
    format!("account-token/{store_id}/{}/{asset_id}", platform.as_str())
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, SecretError> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AccountError::Invalid(format!("secret store task failed: {e}")))?
        .map_err(AccountError::from)
}

/// The accounts of one store and their tokens. Cheap to clone.
#[derive(Clone)]
pub struct Credentials {
    store: Store,
    secrets: Arc<SecretStore>,
    store_id: String,
}

impl Credentials {
    pub async fn new(store: Store, secrets: Arc<SecretStore>) -> Result<Self> {
        let store_id = store::identity::store_id(&store).await.map_err(|e| AccountError::Invalid(e.to_string()))?;
        Ok(Self { store, secrets, store_id })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub async fn list(&self) -> Result<Vec<AccountView>> {
        Ok(store::accounts::list(&self.store).await?)
    }

    pub async fn get(&self, id: i64) -> Result<AccountView> {
        store::accounts::get(&self.store, id).await?.ok_or(AccountError::NotFound(id))
    }

    /// The token of a connected account (for platform calls).
    pub async fn token(&self, account: &AccountView) -> Result<Secret<String>> {
        let name = token_name(&self.store_id, account.platform, &account.asset_id);
        let secrets = self.secrets.clone();
        blocking(move || secrets.get(&name))
            .await?
            .ok_or_else(|| AccountError::Invalid(format!("{} has no token; connect it again", account.asset_id)))
    }

    pub async fn set_token(&self, platform: Platform, asset_id: &str, token: Secret<String>) -> Result<()> {
        let name = token_name(&self.store_id, platform, asset_id);
        let secrets = self.secrets.clone();
        blocking(move || secrets.set(&name, &token)).await
    }

    pub async fn forget_token(&self, platform: Platform, asset_id: &str) -> Result<()> {
        let name = token_name(&self.store_id, platform, asset_id);
        let secrets = self.secrets.clone();
        blocking(move || secrets.delete(&name)).await
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
                self.set_status(
                    id,
                    AccountStatus::NeedsReconnect,
                    Some(format!("{why} Connect the account again.")),
                    None,
                )
                .await
            }
            ErrorKind::RateLimited { retry_after } => {
                let wait = retry_after.unwrap_or(Duration::from_secs(60));
                let until = self.store.now_ms() + wait.as_millis() as i64;
                self.set_status(
                    id,
                    AccountStatus::RateLimited,
                    Some("Meta asked CAHTS to slow down; it resumes on its own.".into()),
                    Some(until),
                )
                .await
            }
            _ => Ok(()),
        }
    }

    /// Back to normal after a pause (the limit's time passed and a call succeeded).
    pub async fn mark_connected(&self, id: i64) -> Result<()> {
        self.set_status(id, AccountStatus::Connected, None, None).await
    }

    pub async fn set_status(
        &self,
        id: i64,
        status: AccountStatus,
        detail: Option<String>,
        until: Option<i64>,
    ) -> Result<()> {
        Ok(store::accounts::set_status(&self.store, id, status, detail, until).await?)
    }
}
