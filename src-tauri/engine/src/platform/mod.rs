//! The third layer: Meta's platforms as the engine meets them. How Messenger, Instagram
//! and WhatsApp describe what happened ([`webhook`]) and the Graph HTTP client ([`graph`]).
//! No SQL here.

pub mod graph;
pub mod webhook;
