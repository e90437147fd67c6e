//! Where one outgoing message, reaction or read receipt stands in the outbox.

use super::text_enum::text_enum;

text_enum! {
    /// A row moves queued → sending → sent, or back to queued for a retry, or on to failed.
    /// `unconfirmed`: Meta's answer was lost, so whether it went is unknown until its echo
    /// arrives; `retry_after_grace`: no echo came in the grace period, so it is sent again.
    pub enum OutboxState {
        Queued = "queued",
        Sending = "sending",
        Sent = "sent",
        Unconfirmed = "unconfirmed",
        RetryAfterGrace = "retry_after_grace",
        Failed = "failed",
    }
}
