//! The top layer: the [`engine::Engine`] facade every caller goes through (its methods
//! spread over one file per area: accounts, sending, relay, background workers), the
//! shapes the window sees ([`ipc`]), and the store benchmark behind `cahts-cli bench`.

pub mod accounts;
pub mod bench;
pub mod engine;
pub mod ipc;
pub mod relay;
pub mod reports;
pub mod sending;
pub mod workers;

pub use accounts::SubscriptionCheck;
pub use sending::OutboxRun;
// Plain values callers hand to or take from the facade.
pub use crate::secrets::Secret;
pub use crate::store::export::ExportDocument;
pub use cahts_protocol::wire::OAuthProvider;
