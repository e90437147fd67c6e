//! Facebook Login, Instagram Login and dead tokens (§4, §5.2).

use std::time::Duration;

use serde_json::json;

use super::*;
use crate::meta_sim::graph::request::{encode_query, percent_encode};
use crate::meta_sim::graph::{MetaSim, Platform};

#[tokio::test]
async fn oauth_code_then_short_then_long_lived_token() {
    let sim = MetaSim::start().await.unwrap();
    let (world, base, c) = (sim.world(), sim.base_url(), client());
    let user = world.add_user("Alex Martin");
    let app = world.app();
    let redirect = "https://relay.example/oauth/callback";
    world.allow_redirect_uri(redirect);
    let dialog = format!(
        "{base}/{V}/dialog/oauth?client_id={}&redirect_uri={}&state=xyz%20123&scope=pages_show_list,pages_messaging&response_type=code",
        app.app_id,
        percent_encode(redirect)
    );
    let r = c.get(&dialog).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 302);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(redirect), "{location}");
    assert!(location.ends_with("#_=_"), "{location}");
    let q = query_of(&location);
    assert_eq!(q["state"], "xyz 123");
    let code = q["code"].clone();

    // Unregistered redirect URIs are refused by the dialog.
    let bad = dialog.replace(&percent_encode(redirect), &percent_encode("https://evil.example/"));
    assert_eq!(c.get(&bad).send().await.unwrap().status().as_u16(), 400);

    let exchange = |code: &str, redirect: &str| {
        format!(
            "{base}/{V}/oauth/access_token?client_id={}&redirect_uri={}&client_secret={}&code={code}",
            app.app_id,
            percent_encode(redirect),
            app.app_secret
        )
    };
    // A different redirect_uri than the dialog's: 100/36008; the code stays usable.
    let a = get(&c, &exchange(&code, "https://relay.example/other")).await;
    assert_eq!((a.status, a.code(), a.subcode()), (400, Some(100), Some(36008)));
    let a = get(&c, &exchange(&code, redirect)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["token_type"], "bearer");
    assert_eq!(a.body["expires_in"], 3600);
    let short = a.body["access_token"].as_str().unwrap().to_owned();
    // Single use.
    let a = get(&c, &exchange(&code, redirect)).await;
    assert_eq!((a.code(), a.subcode()), (Some(100), Some(36009)));
    // Wrong secret.
    let a = get(&c, &exchange(&code, redirect).replace(&app.app_secret, "nope")).await;
    assert_eq!(a.code(), Some(1));

    let long_url = format!(
        "{base}/{V}/oauth/access_token?grant_type=fb_exchange_token&client_id={}&client_secret={}&fb_exchange_token={short}",
        app.app_id, app.app_secret
    );
    let a = get(&c, &long_url).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["expires_in"], 5_183_944);
    let long = a.body["access_token"].as_str().unwrap().to_owned();
    assert_ne!(long, short);

    let debug = get(
        &c,
        &format!("{base}/{V}/debug_token?input_token={long}&access_token={}", percent_encode(&app.app_token())),
    )
    .await;
    let d = &debug.body["data"];
    assert_eq!(d["is_valid"], true);
    assert_eq!(d["type"], "USER");
    assert_eq!(d["app_id"], app.app_id.as_str());
    assert_eq!(d["user_id"], user.id.as_str());
    assert_eq!(d["scopes"], json!(["pages_show_list", "pages_messaging"]));
    assert!(d["expires_at"].as_i64().unwrap() > 0);
    assert!(d["granular_scopes"].is_array());

    // An expired short token cannot be exchanged.
    world.advance(Duration::from_secs(2 * 3600));
    let a = get(&c, &long_url).await;
    assert_eq!((a.code(), a.subcode()), (Some(190), Some(463)));

    // The person clicks Cancel.
    sim.faults().deny_login(true);
    let r = c.get(&dialog).send().await.unwrap();
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.contains(
            "error=access_denied&error_code=200&error_description=Permissions+error&error_reason=user_denied"
        ),
        "{location}"
    );
    assert_eq!(query_of(&location)["state"], "xyz 123");
}

#[tokio::test]
async fn instagram_login_code_exchange_and_refresh_after_a_day() {
    let sim = MetaSim::start().await.unwrap();
    let (world, base, c) = (sim.world(), sim.base_url(), client());
    let page = world.add_page("Boulangerie");
    let ig = world.add_instagram(&page.id, "boulangerie", "Boulangerie");
    let app = world.app();
    let redirect = "https://relay.example/oauth/instagram";
    let r = c
        .get(format!(
            "{base}/oauth/authorize?client_id={}&redirect_uri={}&response_type=code&scope=instagram_business_basic,instagram_business_manage_messages&state=s1",
            app.instagram_app_id,
            percent_encode(redirect)
        ))
        .send()
        .await
        .unwrap();
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.ends_with("#_"), "{location}");
    let code = query_of(&location)["code"].clone();
    let form = [
        ("client_id", app.instagram_app_id.as_str()),
        ("client_secret", app.instagram_app_secret.as_str()),
        ("grant_type", "authorization_code"),
        ("redirect_uri", redirect),
        ("code", code.as_str()),
    ];
    let body = encode_query(&form.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<Vec<_>>());
    let send = || {
        c.post(format!("{base}/oauth/access_token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
    };
    let a = answer(send().await.unwrap()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let d = &a.body["data"][0];
    assert_eq!(d["user_id"], ig.id.as_str());
    assert_eq!(d["permissions"], "instagram_business_basic,instagram_business_manage_messages");
    let short = d["access_token"].as_str().unwrap().to_owned();
    let again = answer(send().await.unwrap()).await;
    assert_eq!(again.status, 400);
    assert_eq!(again.body["error_type"], "OAuthException");

    let a = get(
        &c,
        &format!(
            "{base}/access_token?grant_type=ig_exchange_token&client_secret={}&access_token={short}",
            app.instagram_app_secret
        ),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let long = a.body["access_token"].as_str().unwrap().to_owned();
    let refresh = format!("{base}/refresh_access_token?grant_type=ig_refresh_token&access_token={long}");
    let a = get(&c, &refresh).await;
    assert_eq!(a.status, 400, "a fresh token cannot be refreshed: {}", a.body);
    world.advance(Duration::from_secs(25 * 3600));
    let a = get(&c, &refresh).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["token_type"], "bearer");
    assert_eq!(a.body["expires_in"], 5_183_944);

    // The long-lived IG token reads the account's conversations on graph.instagram.com.
    world.add_conversation(&ig.id, Platform::Instagram, "lina.k", 3);
    let a = get(&c, &format!("{base}/{V}/me/conversations?platform=instagram&access_token={long}")).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn dead_tokens_answer_190_with_their_subcode() {
    let sim = MetaSim::start().await.unwrap();
    let (world, faults, base, c) = (sim.world(), sim.faults(), sim.base_url(), client());
    let page = world.add_page("Boulangerie");
    world.add_conversation(&page.id, Platform::Messenger, "Zoë", 3);
    let url = |t: &str| format!("{base}/{V}/{}/conversations?access_token={t}", page.id);

    let a = get(&c, &url("garbage")).await;
    assert_eq!((a.status, a.code(), a.subcode()), (400, Some(190), None));
    let a = get(&c, &format!("{base}/{V}/{}/conversations", page.id)).await;
    assert_eq!(a.code(), Some(104));

    // Expiring in the middle of a backfill: two more calls, then 463.
    faults.expire_token_after(&page.access_token, 2);
    assert_eq!(get(&c, &url(&page.access_token)).await.status, 200);
    assert_eq!(get(&c, &url(&page.access_token)).await.status, 200);
    let a = get(&c, &url(&page.access_token)).await;
    assert_eq!((a.code(), a.subcode()), (Some(190), Some(463)), "{}", a.body);
    assert_eq!(a.body["error"]["type"], "OAuthException");
    assert!(a.body["error"]["fbtrace_id"].is_string());
    assert!(a.header("www-authenticate").is_some());

    let other = world.add_page("Other");
    world.expire_token(&other.access_token);
    let a = get(&c, &format!("{base}/{V}/{}?access_token={}", other.id, other.access_token)).await;
    assert_eq!((a.code(), a.subcode()), (Some(190), Some(463)));

    let user = sim_user(&world);
    let third = world.add_page("Third");
    world.change_password(&user);
    let a = get(&c, &format!("{base}/{V}/{}?access_token={}", third.id, third.access_token)).await;
    assert_eq!((a.code(), a.subcode()), (Some(190), Some(460)));
    let debug = get(
        &c,
        &format!(
            "{base}/{V}/debug_token?input_token={}&access_token={}",
            third.access_token,
            percent_encode(&world.app().app_token())
        ),
    )
    .await;
    assert_eq!(debug.body["data"]["is_valid"], false);
    assert_eq!(debug.body["data"]["error"]["subcode"], 460);
}
