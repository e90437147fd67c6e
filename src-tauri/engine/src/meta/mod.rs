//! Meta's wire formats: how Messenger, Instagram and WhatsApp describe what happened.

pub mod webhook;
pub mod graph;
