//! The relay link as the facade offers it: pairing, the window's background link, a
//! headless sync for `cahts-cli`, and a login run from a terminal.

use std::future::Future;
use std::time::{Duration, Instant};

use cahts_protocol::wire::OAuthProvider;

use super::engine::{Engine, default_device_name};
use crate::facade::ipc::{PairRelayRequest, RelayStatus};
use crate::services::relay_link::{self, LinkError, LinkStatus, OAuthState, Pairing, SyncOptions, SyncReport};

type Result<T, E = LinkError> = std::result::Result<T, E>;

impl Engine {
    /// Starts the relay link if this store is paired. Call once, inside a tokio runtime.
    pub async fn start_relay_link(&self) -> Result<(), LinkError> {
        let store = self.real_store();
        self.relay.start(store).await
    }

    /// Relay link status changes.
    pub fn subscribe_relay_status(&self) -> tokio::sync::watch::Receiver<LinkStatus> {
        self.relay.subscribe()
    }

    pub async fn relay_status(&self) -> Result<RelayStatus, LinkError> {
        let store = self.real_store();
        let pairing = relay_link::pairing(&store).await?;
        Ok(RelayStatus {
            link: self.relay.current(),
            relay_url: pairing.as_ref().map(|p| p.relay_url.clone()),
            device_id: pairing.as_ref().map(|p| p.device_id.clone()),
            tenant: pairing.map(|p| p.tenant),
        })
    }

    /// Pairs with a relay (replacing any earlier pairing) and starts the link.
    pub async fn pair_relay(&self, req: PairRelayRequest) -> Result<RelayStatus> {
        self.relay.stop();
        self.pair(&req.relay_url, &req.code, req.device_name).await?;
        self.relay.start(self.real_store()).await?;
        self.relay_status().await
    }

    /// Pairs with a relay (replacing any earlier pairing) without starting the link.
    pub async fn pair(&self, relay_url: &str, code: &str, device_name: Option<String>) -> Result<Pairing> {
        let secrets = self.relay.secrets().await?;
        let name = device_name.filter(|n| !n.trim().is_empty()).unwrap_or_else(default_device_name);
        relay_link::pair(&self.real_store(), secrets, relay_url, code, &name).await
    }

    /// Receives events from the paired relay and applies them until `shutdown` resolves
    /// or, with `until_idle`, until the backlog is applied (giving up after five failed
    /// connections in a row). `expected_relay`, when given, must be the paired relay.
    pub async fn sync_with_relay(
        &self,
        expected_relay: Option<&str>,
        until_idle: bool,
        shutdown: impl Future<Output = ()>,
    ) -> Result<SyncReport> {
        let store = self.real_store();
        let pairing = relay_link::pairing(&store).await?.ok_or(LinkError::NotPaired)?;
        if let Some(relay) = expected_relay {
            if relay.trim().trim_end_matches('/') != pairing.relay_url {
                return Err(LinkError::OtherRelay { paired: pairing.relay_url, given: relay.to_string() });
            }
        }
        let options = SyncOptions { until_idle, max_attempts: until_idle.then_some(5), ..Default::default() };
        let (status, mut watch) = tokio::sync::watch::channel(LinkStatus::NotPaired);
        tokio::spawn(async move {
            while watch.changed().await.is_ok() {
                let status = watch.borrow_and_update().clone();
                tracing::info!(?status, "relay link");
            }
        });
        relay_link::run(store, self.relay.secrets().await?, options, status, shutdown).await
    }

    /// A Facebook or Instagram Login through the paired relay for a caller without a
    /// window: starts the link, hands the login address to `show_url`, and waits up to
    /// `timeout` for the relay to deliver the token. Returns the login's `state`, which
    /// [`Engine::connect_pages_from_login`] or [`Engine::connect_instagram_from_login`] take.
    pub async fn wait_for_login(
        &self,
        provider: OAuthProvider,
        timeout: Duration,
        show_url: impl FnOnce(&str),
    ) -> Result<String> {
        self.relay.start(self.real_store()).await?;
        let outcome = self.login_once(provider, timeout, show_url).await;
        // The link stops between frames: an applied frame is always acked or resent.
        self.relay.stop_and_wait().await;
        outcome
    }

    async fn login_once(
        &self,
        provider: OAuthProvider,
        timeout: Duration,
        show_url: impl FnOnce(&str),
    ) -> Result<String> {
        let (state, url) = self.relay.begin_oauth(provider).await?;
        show_url(&url);
        let deadline = Instant::now() + timeout;
        let secrets = self.relay.secrets().await?;
        loop {
            match relay_link::oauth_outcome(&self.real_store(), secrets.clone(), &state).await? {
                OAuthState::Token(_) => return Ok(state),
                OAuthState::Failed(message) => return Err(LinkError::LoginFailed(message)),
                OAuthState::Waiting if Instant::now() > deadline => {
                    return Err(LinkError::LoginTimedOut(timeout.as_secs()));
                }
                OAuthState::Waiting => tokio::time::sleep(Duration::from_millis(300)).await,
            }
        }
    }
}
