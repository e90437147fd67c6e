//! Usage, faults and dropped connections (§5.2, §5.3).

use std::time::Duration;

use serde_json::json;

use super::*;
use crate::meta_sim::graph::{Fault, MetaSim, Platform, TokenLife};

#[tokio::test]
async fn usage_rises_per_call_and_throttles_at_one_hundred_percent() {
    let sim = MetaSim::start().await.unwrap();
    let (world, faults, base, c) = (sim.world(), sim.faults(), sim.base_url(), client());
    let page = world.add_page("Boulangerie");
    let conv = world.add_conversation(&page.id, Platform::Messenger, "Zoë", 3);
    faults.set_call_budget(5);
    faults.set_regain_minutes(7);
    let list = format!("{base}/{V}/{}/conversations?access_token={}", page.id, page.access_token);
    let mut counts = Vec::new();
    for _ in 0..5 {
        let a = get(&c, &list).await;
        assert_eq!(a.status, 200);
        counts.push(usage(&a, &page.id).0);
    }
    assert_eq!(counts, vec![20, 40, 60, 80, 100]);
    let a = get(&c, &list).await;
    assert_eq!((a.status, a.code()), (400, Some(80_006)), "{}", a.body);
    assert_eq!(a.body["error"]["is_transient"], true);
    assert_eq!(usage(&a, &page.id), (100, 7));

    // The Send API answers 613 once its own use case is exhausted.
    faults.set_business_usage(&page.id, 100);
    let a = post(&c, &format!("{base}/{V}/me/messages"), &page.access_token, &json!({ "recipient": { "id": conv.participant_id }, "messaging_type": "RESPONSE", "message": { "text": "hi" } })).await;
    assert_eq!(a.code(), Some(613), "{}", a.body);
    assert!(world.sent().is_empty());

    // The wait passes on the fake clock.
    world.advance(Duration::from_secs(8 * 60));
    let a = get(&c, &list).await;
    assert_eq!(a.status, 200);
    assert_eq!(usage(&a, &page.id).0, 20);

    // A preset: 95 % of a 20-call budget leaves one call.
    faults.set_call_budget(20);
    faults.set_business_usage(&page.id, 95);
    assert_eq!(get(&c, &list).await.status, 200);
    assert_eq!(get(&c, &list).await.code(), Some(80_006));

    // User tokens: X-App-Usage, code 17.
    let user = sim_user(&world);
    let token = world.issue_user_token(&user, TokenLife::LongLived, &[]);
    faults.set_app_usage(100);
    let a = get(&c, &format!("{base}/{V}/me/accounts?access_token={token}")).await;
    assert_eq!(a.code(), Some(32), "{}", a.body);
    let header: Value = serde_json::from_str(&a.header("x-app-usage").unwrap()).unwrap();
    assert_eq!(header["call_count"], 100);
}

#[tokio::test]
async fn a_transient_fault_then_success() {
    let sim = MetaSim::start().await.unwrap();
    let (world, faults, base, c) = (sim.world(), sim.faults(), sim.base_url(), client());
    let page = world.add_page("Boulangerie");
    world.add_conversation(&page.id, Platform::Messenger, "Zoë", 3);
    faults.transient_errors("GET */conversations", 1);
    faults.fail_next("*/subscribed_apps", 1, Fault::service_unavailable());
    let url = format!("{base}/{V}/{}/conversations?access_token={}", page.id, page.access_token);
    let a = get(&c, &url).await;
    assert_eq!((a.status, a.code()), (500, Some(2)));
    assert_eq!(a.body["error"]["is_transient"], true);
    assert_eq!(faults.pending(), 1);
    let a = get(&c, &url).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["data"].as_array().unwrap().len(), 1);

    let subscribe = format!(
        "{base}/{V}/{}/subscribed_apps?subscribed_fields=messages,message_echoes&access_token={}",
        page.id, page.access_token
    );
    assert_eq!(c.post(&subscribe).send().await.unwrap().status().as_u16(), 503);
    let a = answer(c.post(&subscribe).send().await.unwrap()).await;
    assert_eq!(a.body, json!({ "success": true }));
    let a = get(&c, &format!("{base}/{V}/{}/subscribed_apps?access_token={}", page.id, page.access_token)).await;
    assert_eq!(a.body["data"][0]["subscribed_fields"], json!(["messages", "message_echoes"]));
    world.unsubscribe_app(&page.id);
    let a = get(&c, &format!("{base}/{V}/{}/subscribed_apps?access_token={}", page.id, page.access_token)).await;
    assert_eq!(a.body, json!({ "data": [] }));
}

#[tokio::test]
async fn dropping_the_connection_after_the_send_still_records_the_message() {
    let sim = MetaSim::start().await.unwrap();
    let (world, faults, base, c) = (sim.world(), sim.faults(), sim.base_url(), client());
    let page = world.add_page("Boulangerie");
    let conv = world.add_conversation(&page.id, Platform::Messenger, "Zoë", 3);
    faults.drop_after_processing("POST */messages", 1);
    faults.latency("POST */messages", Duration::from_millis(20));
    let body = json!({ "recipient": { "id": conv.participant_id }, "messaging_type": "RESPONSE", "message": { "text": "did it go?" } });
    let url = format!("{base}/{V}/{}/messages", page.id);
    let err = c.post(&url).bearer_auth(&page.access_token).json(&body).send().await;
    assert!(err.is_err(), "the connection closes without an answer: {err:?}");
    let sent = world.sent();
    assert_eq!(sent.len(), 1);
    assert!(!sent[0].answered);
    let mid = sent[0].message_id.clone().unwrap();
    assert_eq!(world.messages(&conv.id).last().unwrap().id, mid);
    assert_eq!(world.requests().last().unwrap().status, 0);
    // The server keeps serving.
    let a = post(&c, &url, &page.access_token, &body).await;
    assert_eq!(a.status, 200);
    assert!(world.sent()[1].answered);
}
