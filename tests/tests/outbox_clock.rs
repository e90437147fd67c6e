//! The outbox's time rules with time injected: the engine runs in this process on a
//! manual clock, talking to meta-sim on 127.0.0.1:0 through the Graph client's
//! configurable base. Secrets go to the real keyring (`scripts/with-keyring.sh`).

use std::sync::Arc;
use std::time::Duration;

use cahts_engine::domain::clock::ManualClock;
use cahts_engine::facade::engine::{Engine, EngineConfig};
use cahts_engine::facade::ipc::{ConnectWhatsappRequest, ListConversationsRequest, SendTextRequest};
use cahts_engine::platform::graph::GraphConfig;
use cahts_engine::services::outbox::ECHO_GRACE;
use cahts_tests::meta_sim::{Fault, MetaSim};
use serde_json::json;

/// A WhatsApp number connected in an engine on `clock`, with one customer who just wrote.
async fn whatsapp_engine(
    dir: &std::path::Path,
    sim: &MetaSim,
    clock: Arc<ManualClock>,
) -> anyhow::Result<(Arc<Engine>, String)> {
    let world = sim.world();
    let waba = world.add_waba("Blumenhaus Lena");
    let phone = world.add_phone_number(&waba.id, "+49 30 901820", "Blumenhaus Lena");
    let graph =
        GraphConfig { graph_base: sim.base_url(), instagram_graph_base: sim.base_url(), ..GraphConfig::default() };
    let engine = Engine::open(EngineConfig { clock, graph, ..EngineConfig::in_dir(dir) })?;
    let request = ConnectWhatsappRequest {
        phone_number_id: phone.id.clone(),
        token: waba.system_user_token.clone(),
        business_account_id: None,
    };
    engine.connect_whatsapp(request).await?;
    let customer = "4915112345678";
    world.wa_customer_writes(&phone.id, customer, "Zoë Lefèvre");
    // The body Meta POSTs for an inbound text (WhatsApp Cloud API, "messages" webhook).
    let body = json!({"object":"whatsapp_business_account","entry":[{"id": waba.id, "changes":[{"field":"messages","value":{
        "messaging_product":"whatsapp","metadata":{"display_phone_number":"4930901820","phone_number_id": phone.id},
        "contacts":[{"profile":{"name":"Zoë Lefèvre"},"wa_id": customer}],
        "messages":[{"from": customer, "id":"wamid.q", "timestamp": (world.now_ms() / 1000).to_string(), "type":"text", "text":{"body":"Samedi ?"}}]
    }}]}]});
    engine.ingest_webhook(body.to_string().as_bytes()).await?;
    let page = engine.list_conversations(ListConversationsRequest::default()).await?;
    let conversation = page
        .items
        .first()
        .map(|c| c.id.clone())
        .ok_or_else(|| anyhow::anyhow!("the customer's conversation is in the store"))?;
    Ok((engine, conversation))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_that_may_have_failed_waits_out_the_echo_grace_then_goes_once_more() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let sim = MetaSim::start().await?;
    let clock = Arc::new(ManualClock::starting_now());
    let (engine, conversation) = whatsapp_engine(dir.path(), &sim, clock.clone()).await?;
    let texts = || sim.world().sent().into_iter().filter(|s| s.message_type == "text").count();

    // A 5xx answer: the message may or may not have gone, so it waits for an echo.
    sim.faults().fail_next("POST /*/messages", 1, Fault::transient());
    let queued = engine
        .send_text(SendTextRequest { conversation_id: conversation, text: "Oui, samedi matin.".into(), reply_to: None })
        .await?;
    let first = engine.process_outbox().await?;
    let outcome = first.outcomes.iter().find(|o| o.client_id == queued.client_id).expect("the send was tried");
    assert_eq!(outcome.state, "unconfirmed", "{first:?}");
    assert_eq!(texts(), 0, "Meta refused it");

    // Within the grace period nothing is sent again, however often the outbox runs.
    clock.advance(ECHO_GRACE - Duration::from_secs(1));
    let within = engine.process_outbox().await?;
    assert!(within.outcomes.is_empty(), "{within:?}");
    assert_eq!(texts(), 0);

    // No echo came: once the grace has passed it is sent once more, and only once.
    clock.advance(Duration::from_secs(2));
    let after = engine.process_outbox().await?;
    let outcome = after.outcomes.iter().find(|o| o.client_id == queued.client_id).expect("re-sent after the grace");
    assert_eq!(outcome.state, "sent", "{after:?}");
    assert_eq!(texts(), 1);
    clock.advance(ECHO_GRACE * 2);
    assert!(engine.process_outbox().await?.outcomes.is_empty());
    assert_eq!(texts(), 1, "sent exactly once");
    Ok(())
}
