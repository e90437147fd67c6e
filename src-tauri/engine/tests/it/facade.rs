//! Garbage given to the facade's account and relay entry points: a clear error, nothing
//! written.

use cahts_engine::facade::ipc::{ConnectPagesRequest, ErrorCode, UiError};

#[test]
fn connecting_no_pages_is_refused_before_anything_is_asked_or_written() {
    let (_dir, engine) = crate::engine();
    crate::runtime().block_on(async {
        let request = ConnectPagesRequest { state: "no-such-login".into(), page_ids: Vec::new(), with_instagram: true };
        let error: UiError = engine.connect_pages(request).await.expect_err("an empty selection is refused").into();
        assert_eq!(error.code, ErrorCode::Validation);
        assert!(error.message.contains("at least one Page"), "{}", error.message);
        assert!(engine.list_accounts().await.expect("accounts list").is_empty(), "nothing connected");
    });
}

#[test]
fn syncing_an_unpaired_store_says_to_pair_first() {
    let (_dir, engine) = crate::engine();
    crate::runtime().block_on(async {
        let error = engine
            .sync_with_relay(Some("https://relay.example"), true, std::future::pending())
            .await
            .expect_err("not paired");
        assert!(error.to_string().contains("pair it first"), "{error}");
    });
}
