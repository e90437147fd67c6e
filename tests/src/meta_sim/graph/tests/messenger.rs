//! Pages, conversations and the Send API (§3.1, §3.3, §4).

use std::collections::HashSet;
use std::time::Duration;

use serde_json::json;

use super::*;
use crate::meta_sim::graph::{MetaSim, Platform, SentKind, TokenLife};

#[tokio::test]
async fn me_accounts_lists_pages_with_tokens_and_instagram_ids() {
    let sim = MetaSim::start().await.unwrap();
    let (world, base, c) = (sim.world(), sim.base_url(), client());
    let user = world.add_user("Alex Martin");
    let p1 = world.add_page_for(&user.id, "Boulangerie Zoë");
    let p2 = world.add_page_for(&user.id, "Second Shop");
    let ig = world.add_instagram(&p1.id, "boulangerie", "Boulangerie");
    let token = world.issue_user_token(&user.id, TokenLife::LongLived, &["pages_show_list", "pages_messaging"]);
    let a = get(
        &c,
        &format!(
            "{base}/{V}/me/accounts?fields=id,name,access_token,tasks,instagram_business_account&access_token={token}"
        ),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let data = a.body["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    let first = data.iter().find(|p| p["id"] == p1.id.as_str()).unwrap();
    assert_eq!(first["name"], "Boulangerie Zoë");
    assert_eq!(first["instagram_business_account"]["id"], ig.id.as_str());
    assert!(first["tasks"].as_array().unwrap().contains(&json!("MESSAGING")));
    assert!(data.iter().any(|p| p["id"] == p2.id.as_str() && p.get("instagram_business_account").is_none()));
    assert!(a.body["paging"]["cursors"]["after"].is_string());
    assert!(a.header("x-app-usage").is_some(), "user tokens report X-App-Usage");
    // Page tokens from a long-lived user token never expire (§4).
    let page_token = first["access_token"].as_str().unwrap();
    let debug = get(&c, &format!("{base}/{V}/debug_token?input_token={page_token}&access_token={token}")).await;
    assert_eq!(debug.body["data"]["type"], "PAGE");
    assert_eq!(debug.body["data"]["expires_at"], 0);
    assert_eq!(debug.body["data"]["profile_id"], p1.id.as_str());
    // The same call again hands out the same Page token.
    let again = get(&c, &format!("{base}/{V}/me/accounts?fields=access_token&access_token={token}")).await;
    assert!(again.body["data"].as_array().unwrap().iter().any(|p| p["access_token"] == page_token));
    let a = get(&c, &format!("{base}/{V}/{}?fields=instagram_business_account,name&access_token={page_token}", p1.id))
        .await;
    assert_eq!(
        a.body,
        json!({ "instagram_business_account": { "id": ig.id }, "name": "Boulangerie Zoë", "id": p1.id })
    );
    assert!(a.header("x-business-use-case-usage").is_some(), "Page tokens report BUC usage");
    // IG ids exceed 2^53 and are strings.
    assert!(ig.id.parse::<u64>().unwrap() > 1 << 53);
}

#[tokio::test]
async fn conversations_page_to_the_end_newest_first() {
    let sim = MetaSim::start().await.unwrap();
    let (world, base, c) = (sim.world(), sim.base_url(), client());
    let page = world.add_page("Boulangerie");
    let mut seeded = HashSet::new();
    for i in 0..23 {
        seeded.insert(world.add_conversation(&page.id, Platform::Messenger, &format!("Customer {i}"), 2 + i % 4).id);
    }
    let mut url = format!(
        "{base}/{V}/{}/conversations?platform=messenger&fields=participants,updated_time,messages%7Bid,created_time,from,to,message,attachments%7D&limit=5&access_token={}",
        page.id, page.access_token
    );
    let mut seen = Vec::new();
    let mut times = Vec::new();
    let mut pages = 0;
    loop {
        let a = get(&c, &url).await;
        assert_eq!(a.status, 200, "{}", a.body);
        pages += 1;
        for conv in a.body["data"].as_array().unwrap() {
            seen.push(conv["id"].as_str().unwrap().to_owned());
            times.push(conv["updated_time"].as_str().unwrap().to_owned());
            assert_eq!(conv["participants"]["data"].as_array().unwrap().len(), 2);
            let first = &conv["messages"]["data"][0];
            assert!(first["from"]["id"].is_string() && first["message"].is_string(), "{first}");
        }
        assert!(a.body["paging"]["cursors"]["after"].is_string());
        match a.body["paging"].get("next").and_then(Value::as_str) {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(pages, 5);
    assert_eq!(seen.len(), 23);
    assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), seeded);
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted, "newest updated first");

    // user_id finds one thread; a user token is refused (210).
    let conv = world.conversations()[3].clone();
    let a = get(
        &c,
        &format!(
            "{base}/{V}/{}/conversations?user_id={}&access_token={}",
            page.id, conv.participant_id, page.access_token
        ),
    )
    .await;
    assert_eq!(a.body["data"][0]["id"], conv.id.as_str());
    let user_token = world.issue_user_token(&sim_user(&world), TokenLife::LongLived, &[]);
    let a = get(&c, &format!("{base}/{V}/{}/conversations?access_token={user_token}", page.id)).await;
    assert_eq!(a.code(), Some(210));
}

#[tokio::test]
async fn only_the_twenty_most_recent_messages_have_details() {
    let sim = MetaSim::start().await.unwrap();
    let (world, base, c) = (sim.world(), sim.base_url(), client());
    let page = world.add_page("Boulangerie");
    world.add_instagram(&page.id, "boulangerie", "Boulangerie");
    let conv = world.add_conversation(&page.id, Platform::Instagram, "tomasz_w", 30);
    let token = &page.access_token;
    let a = get(&c, &format!("{base}/{V}/{}/messages?limit=100&access_token={token}", conv.id)).await;
    let listed: Vec<String> =
        a.body["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(listed.len(), 30, "all message ids are listed");
    assert!(a.body["data"][29]["created_time"].is_string());
    let newest_first: Vec<String> = conv.message_ids.iter().rev().cloned().collect();
    assert_eq!(listed, newest_first);
    for (i, mid) in listed.iter().enumerate() {
        let a = get(
            &c,
            &format!("{base}/{V}/{mid}?fields=id,created_time,from,to,message,attachments&access_token={token}"),
        )
        .await;
        if i < 20 {
            assert_eq!(a.status, 200, "message {i}: {}", a.body);
            assert_eq!(a.body["id"], mid.as_str());
            assert!(a.body["from"]["username"].is_string());
            assert!(a.body["to"]["data"][0]["id"].is_string());
        } else {
            assert_eq!((a.status, a.code(), a.subcode()), (400, Some(100), Some(33)), "message {i}: {}", a.body);
            assert!(a.body["error"]["message"].as_str().unwrap().contains("deleted"));
        }
    }
    // In a list, older messages carry no details.
    let a =
        get(&c, &format!("{base}/{V}/{}?fields=messages.limit(30)%7Bid,message,from%7D&access_token={token}", conv.id))
            .await;
    let data = a.body["messages"]["data"].as_array().unwrap();
    assert_eq!(data.len(), 30);
    assert!(data[19].get("from").is_some());
    assert!(data[20].get("from").is_none() && data[20].get("message").is_none());
}

#[tokio::test]
async fn send_inside_and_outside_the_window_and_human_agent() {
    let sim = MetaSim::start().await.unwrap();
    let (world, base, c) = (sim.world(), sim.base_url(), client());
    let page = world.add_page("Boulangerie");
    world.add_instagram(&page.id, "boulangerie", "Boulangerie");
    let conv = world.add_conversation(&page.id, Platform::Messenger, "Zoë Lefèvre", 4);
    let url = format!("{base}/{V}/{}/messages", page.id);
    let body = |text: &str, kind: &str| json!({ "recipient": { "id": conv.participant_id }, "messaging_type": kind, "message": { "text": text } });

    let a = post(&c, &url, &page.access_token, &body("Bonjour ! 🥐", "RESPONSE")).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["recipient_id"], conv.participant_id.as_str());
    let mid = a.body["message_id"].as_str().unwrap().to_owned();
    assert!(mid.starts_with("m_"));
    let sent = world.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].platform, sent[0].kind, sent[0].text.as_deref()),
        (Platform::Messenger, SentKind::Message, Some("Bonjour ! 🥐"))
    );
    assert_eq!(world.messages(&conv.id).last().unwrap().id, mid);

    // No idempotency key: the same request twice is two messages.
    let again = post(&c, &url, &page.access_token, &body("Bonjour ! 🥐", "RESPONSE")).await;
    assert_ne!(again.body["message_id"], a.body["message_id"]);
    assert_eq!(world.sent().len(), 2);

    let long = "é".repeat(2001);
    let a = post(&c, &url, &page.access_token, &body(&long, "RESPONSE")).await;
    assert_eq!(a.code(), Some(100));
    let a = post(&c, &url, &page.access_token, &json!({ "recipient": { "id": "1234567890123456" }, "messaging_type": "RESPONSE", "message": { "text": "hi" } })).await;
    assert_eq!((a.code(), a.subcode()), (Some(100), Some(2_018_001)));

    world.advance(Duration::from_secs(2 * 86_400));
    let a = post(&c, &url, &page.access_token, &body("Still there?", "RESPONSE")).await;
    assert_eq!((a.code(), a.subcode()), (Some(10), Some(2_018_278)));
    let mut tagged = body("A human here, sorry for the wait", "MESSAGE_TAG");
    tagged["tag"] = json!("HUMAN_AGENT");
    let a = post(&c, &url, &page.access_token, &tagged).await;
    assert_eq!(a.status, 200, "{}", a.body);
    world.advance(Duration::from_secs(6 * 86_400));
    let a = post(&c, &url, &page.access_token, &tagged).await;
    assert_eq!((a.code(), a.subcode()), (Some(10), Some(2_018_278)), "HUMAN_AGENT ends after 7 days");
    // The customer writes again: the window reopens.
    world.customer_writes(&conv.id, "Hello?");
    let a = post(&c, &url, &page.access_token, &body("Yes!", "RESPONSE")).await;
    assert_eq!(a.status, 200);

    // Instagram via the Page: ≤ 1000 bytes, its own subcodes.
    let ig_conv = world.add_conversation(&page.id, Platform::Instagram, "lina.k", 3);
    let ig = |text: &str| json!({ "recipient": { "id": ig_conv.participant_id }, "message": { "text": text } });
    let a = post(&c, &url, &page.access_token, &ig("ça marche")).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body["message_id"].as_str().unwrap().starts_with("aWdf"));
    let a = post(&c, &url, &page.access_token, &ig(&"é".repeat(501))).await;
    assert_eq!(a.code(), Some(100), "1002 bytes is over Instagram's 1000");
    world.age_conversation(&ig_conv.id, Duration::from_secs(25 * 3600));
    let a = post(&c, &url, &page.access_token, &ig("late")).await;
    assert_eq!((a.code(), a.subcode()), (Some(10), Some(2_534_022)));

    // Sender actions and reactions.
    let a = post(
        &c,
        &url,
        &page.access_token,
        &json!({ "recipient": { "id": conv.participant_id }, "sender_action": "typing_on" }),
    )
    .await;
    assert_eq!(a.body, json!({ "recipient_id": conv.participant_id }));
    let target = conv.message_ids.last().unwrap();
    let a = post(&c, &url, &page.access_token, &json!({ "recipient": { "id": conv.participant_id }, "sender_action": "react", "payload": { "message_id": target, "reaction": "love" } })).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(world.sent().last().unwrap().kind, SentKind::Reaction);
}
