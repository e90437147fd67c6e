//! The top layer: the [`engine::Engine`] facade every caller goes through, the shapes the
//! window sees ([`ipc`]), and the store benchmark behind `cahts-cli bench`.

pub mod bench;
pub mod engine;
pub mod ipc;
