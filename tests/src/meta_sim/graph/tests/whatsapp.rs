//! WhatsApp sends, media, profiles and attachments (§3.2, §3.4, MATT, WAM).

use std::time::Duration;

use serde_json::json;

use super::*;
use crate::meta_sim::graph::seed::sha256_hex;
use crate::meta_sim::graph::{MetaSim, Platform, SentKind, TINY_PNG, Template, TemplateStatus, TokenLife};

#[tokio::test]
async fn whatsapp_text_template_mark_read_and_the_window() {
    let sim = MetaSim::start().await.unwrap();
    let (world, base, c) = (sim.world(), sim.base_url(), client());
    let waba = world.add_waba("Boulangerie");
    let phone = world.add_phone_number(&waba.id, "15550783881", "Boulangerie");
    world.add_template(&waba.id, Template::approved("order_update", "en_US", "Hi {{1}}, order {{2}} is on its way."));
    let mut pending = Template::approved("promo", "en_US", "Sale!");
    pending.status = TemplateStatus::Pending;
    world.add_template(&waba.id, pending);
    let customer = "4915112345678";
    let inbound = world.wa_customer_writes(&phone.id, customer, "Zoë");
    let url = format!("{base}/{V}/{}/messages", phone.id);
    let token = &waba.system_user_token;
    let text = json!({ "messaging_product": "whatsapp", "recipient_type": "individual", "to": format!("+{customer}"), "type": "text", "text": { "body": "Hallo! 🥨" } });

    let a = post(&c, &url, token, &text).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["contacts"][0], json!({ "input": format!("+{customer}"), "wa_id": customer }));
    assert!(a.body["messages"][0]["id"].as_str().unwrap().starts_with("wamid."));

    let template = |name: &str, lang: &str, params: usize| {
        let parameters: Vec<Value> = (0..params).map(|i| json!({ "type": "text", "text": format!("p{i}") })).collect();
        json!({ "messaging_product": "whatsapp", "to": customer, "type": "template", "template": {
            "name": name, "language": { "code": lang },
            "components": [{ "type": "body", "parameters": parameters }],
        }})
    };
    let a = post(&c, &url, token, &template("order_update", "en_US", 2)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["messages"][0]["message_status"], "accepted");
    for (name, lang) in [("order_update", "de"), ("promo", "en_US"), ("nope", "en_US")] {
        let a = post(&c, &url, token, &template(name, lang, 2)).await;
        assert_eq!(a.code(), Some(132_001), "{name}/{lang}: {}", a.body);
        assert!(a.body["error"].get("error_subcode").is_none());
        assert_eq!(a.body["error"]["error_data"]["messaging_product"], "whatsapp");
    }
    let a = post(&c, &url, token, &template("order_update", "en_US", 1)).await;
    assert_eq!(a.code(), Some(132_000));

    let a = post(&c, &url, token, &json!({ "messaging_product": "whatsapp", "status": "read", "message_id": inbound }))
        .await;
    assert_eq!(a.body, json!({ "success": true }));

    world.advance(Duration::from_secs(25 * 3600));
    let a = post(&c, &url, token, &text).await;
    assert_eq!((a.status, a.code()), (400, Some(131_047)), "{}", a.body);
    assert!(a.body["error"].get("error_subcode").is_none());
    assert!(a.body["error"]["error_data"]["details"].as_str().unwrap().contains("24 hours"));
    let a = post(&c, &url, token, &template("order_update", "en_US", 2)).await;
    assert_eq!(a.status, 200, "templates go outside the window");

    world.set_wa_undeliverable("15005550006");
    let mut to_nobody = template("order_update", "en_US", 2);
    to_nobody["to"] = json!("15005550006");
    let a = post(&c, &url, token, &to_nobody).await;
    assert_eq!(a.code(), Some(131_026));

    let kinds: Vec<(SentKind, String)> = world.sent().into_iter().map(|s| (s.kind, s.message_type)).collect();
    assert_eq!(
        kinds,
        vec![
            (SentKind::Message, "text".to_owned()),
            (SentKind::Message, "template".to_owned()),
            (SentKind::MarkRead, "read".to_owned()),
            (SentKind::Message, "template".to_owned()),
        ]
    );

    // Other WABA edges.
    let a = get(&c, &format!("{base}/{V}/{}/message_templates?limit=1&access_token={token}", waba.id)).await;
    assert_eq!(a.body["data"].as_array().unwrap().len(), 1);
    let next = a.body["paging"]["next"].as_str().unwrap().to_owned();
    let b = get(&c, &next).await;
    assert_eq!(b.body["data"][0]["name"], "promo");
    assert!(b.body["paging"].get("next").is_none());
    let a = get(&c, &format!("{base}/{V}/{}/phone_numbers?access_token={token}", waba.id)).await;
    assert_eq!(a.body["data"][0]["display_phone_number"], "15550783881");
    assert_eq!(a.body["data"][0]["id"], phone.id.as_str());
}

#[tokio::test]
async fn media_urls_need_the_bearer_token_and_expire_after_five_minutes() {
    let sim = MetaSim::start().await.unwrap();
    let (world, base, c) = (sim.world(), sim.base_url(), client());
    let waba = world.add_waba("Boulangerie");
    let phone = world.add_phone_number(&waba.id, "15550783881", "Boulangerie");
    let token = waba.system_user_token.clone();
    let bytes = b"\xff\xd8\xff\xe0 not really a jpeg".to_vec();
    let media = world.add_media(bytes.clone(), "image/jpeg");
    let a = answer(
        c.get(format!("{base}/{V}/{}?phone_number_id={}", media.id, phone.id))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["messaging_product"], "whatsapp");
    assert_eq!(a.body["sha256"], sha256_hex(&bytes).as_str());
    assert_eq!(a.body["file_size"], bytes.len().to_string().as_str());
    let url = a.body["url"].as_str().unwrap().to_owned();

    assert_eq!(c.get(&url).send().await.unwrap().status().as_u16(), 401);
    let r = c.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert_eq!(r.bytes().await.unwrap().to_vec(), bytes);
    world.advance(Duration::from_secs(4 * 60));
    assert_eq!(c.get(&url).bearer_auth(&token).send().await.unwrap().status().as_u16(), 200);
    world.advance(Duration::from_secs(2 * 60));
    assert_eq!(c.get(&url).bearer_auth(&token).send().await.unwrap().status().as_u16(), 404);

    // Upload (multipart), fetch, delete.
    let png = TINY_PNG.to_vec();
    let mut body = Vec::new();
    body.extend_from_slice(
        b"--b0undary\r\nContent-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n",
    );
    body.extend_from_slice(b"--b0undary\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\nimage/png\r\n");
    body.extend_from_slice(b"--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.png\"\r\nContent-Type: image/png\r\n\r\n");
    body.extend_from_slice(&png);
    body.extend_from_slice(b"\r\n--b0undary--\r\n");
    let upload = |body: Vec<u8>| {
        c.post(format!("{base}/{V}/{}/media", phone.id))
            .bearer_auth(&token)
            .header("content-type", "multipart/form-data; boundary=b0undary")
            .body(body)
            .send()
    };
    let a = answer(upload(body.clone()).await.unwrap()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let id = a.body["id"].as_str().unwrap().to_owned();
    assert_eq!(world.media(&id).unwrap().sha256, sha256_hex(&png));
    let big = String::from_utf8_lossy(&body).replace("image/png", "image/webp").into_bytes();
    let mut big = big;
    let at = big.len() - "\r\n--b0undary--\r\n".len();
    big.splice(at..at, std::iter::repeat_n(0u8, 600 * 1024));
    let a = answer(upload(big).await.unwrap()).await;
    assert_eq!(a.code(), Some(131_053), "a 600 KB sticker is too big");
    let a = answer(c.delete(format!("{base}/{V}/{id}")).bearer_auth(&token).send().await.unwrap()).await;
    assert_eq!(a.body, json!({ "success": true }));
    let a = answer(c.get(format!("{base}/{V}/{id}")).bearer_auth(&token).send().await.unwrap()).await;
    assert_eq!((a.code(), a.subcode()), (Some(100), Some(33)));
}

#[tokio::test]
async fn profiles_attachments_and_whatsapp_media_sends() {
    let sim = MetaSim::start().await.unwrap();
    let (world, base, c) = (sim.world(), sim.base_url(), client());
    let page = world.add_page("Boulangerie");
    world.add_instagram(&page.id, "boulangerie", "Boulangerie");
    let m = world.add_conversation(&page.id, Platform::Messenger, "Zoë Lefèvre", 2);
    let i = world.add_conversation(&page.id, Platform::Instagram, "lina.k", 2);
    let token = &page.access_token;
    let a = get(
        &c,
        &format!("{base}/{V}/{}?fields=first_name,last_name,name,profile_pic&access_token={token}", m.participant_id),
    )
    .await;
    assert_eq!(a.body["first_name"], "Zoë");
    assert_eq!(a.body["last_name"], "Lefèvre");
    let pic = a.body["profile_pic"].as_str().unwrap().to_owned();
    assert_eq!(c.get(&pic).send().await.unwrap().status().as_u16(), 200);
    let a = get(&c, &format!("{base}/{V}/{}?fields=name,username,profile_pic&access_token={token}", i.participant_id))
        .await;
    assert_eq!(a.body["username"], "lina.k");
    world.set_profile_visible(&m.participant_id, false);
    let a = get(&c, &format!("{base}/{V}/{}?fields=first_name&access_token={token}", m.participant_id)).await;
    assert_eq!(a.body, json!({}));

    // Attachment Upload API, then a send that reuses the attachment.
    let a = post(&c, &format!("{base}/{V}/{}/message_attachments", page.id), token, &json!({ "message": { "attachment": { "type": "image", "payload": { "url": "https://cdn.example/p.jpg", "is_reusable": true } } } })).await;
    let attachment_id = a.body["attachment_id"].as_str().unwrap().to_owned();
    let a = post(&c, &format!("{base}/{V}/me/messages"), token, &json!({ "recipient": { "id": m.participant_id }, "messaging_type": "RESPONSE", "message": { "attachment": { "type": "image", "payload": { "attachment_id": attachment_id } } } })).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(world.sent().last().unwrap().message_type, "image");
    let a = post(&c, &format!("{base}/{V}/me/messages"), token, &json!({ "recipient": { "id": m.participant_id }, "messaging_type": "RESPONSE", "message": { "attachment": { "type": "image", "payload": { "attachment_id": "404" } } } })).await;
    assert_eq!(a.code(), Some(100));

    // WhatsApp: media by id and by link, a reply, a reaction; a user token with access works too.
    let user = sim_user(&world);
    let waba = world.add_waba("Boulangerie");
    let phone = world.add_phone_number(&waba.id, "15550783881", "Boulangerie");
    let inbound = world.wa_customer_writes(&phone.id, "33612345678", "Lina");
    let media = world.add_media(TINY_PNG.to_vec(), "image/png");
    let user_token = world.issue_user_token(&user, TokenLife::LongLived, &["whatsapp_business_messaging"]);
    let url = format!("{base}/{V}/{}/messages", phone.id);
    for (token, body) in [
        (
            &waba.system_user_token,
            json!({ "messaging_product": "whatsapp", "to": "33612345678", "type": "image", "image": { "id": media.id, "caption": "Voilà" }, "context": { "message_id": inbound } }),
        ),
        (
            &user_token,
            json!({ "messaging_product": "whatsapp", "to": "33612345678", "type": "document", "document": { "link": "https://cdn.example/menu.pdf", "filename": "menu.pdf" } }),
        ),
        (
            &waba.system_user_token,
            json!({ "messaging_product": "whatsapp", "to": "33612345678", "type": "reaction", "reaction": { "message_id": inbound, "emoji": "❤️" } }),
        ),
    ] {
        let a = post(&c, &url, token, &body).await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
    let a = post(
        &c,
        &url,
        &waba.system_user_token,
        &json!({ "messaging_product": "whatsapp", "to": "33612345678", "type": "image", "image": { "id": "999" } }),
    )
    .await;
    assert_eq!(a.code(), Some(131_009));
    let sent = world.sent();
    let wa: Vec<_> = sent.iter().filter(|s| s.platform == Platform::WhatsApp).collect();
    assert_eq!(wa.len(), 3);
    assert_eq!(wa[0].text.as_deref(), Some("Voilà"));
    assert_eq!(wa[2].kind, SentKind::Reaction);
    assert_eq!(wa[2].text.as_deref(), Some("❤️"));
}
