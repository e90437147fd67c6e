//! Real HTTP against the started server, one file per surface; each test checks what the
//! documentation cited by its surface's file says.

mod faults;
mod messenger;
mod oauth;
mod whatsapp;

use std::collections::HashMap;

use reqwest::redirect::Policy;
use serde_json::Value;

use super::request::parse_urlencoded;
use super::{World, lock};

const V: &str = "v24.0";

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(Policy::none()).build().expect("client")
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Answer {
    fn code(&self) -> Option<i64> {
        self.body.pointer("/error/code").and_then(Value::as_i64)
    }
    fn subcode(&self) -> Option<i64> {
        self.body.pointer("/error/error_subcode").and_then(Value::as_i64)
    }
    fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("body");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer { status, headers, body }
}

async fn get(c: &reqwest::Client, url: &str) -> Answer {
    answer(c.get(url).send().await.expect("request")).await
}

async fn post(c: &reqwest::Client, url: &str, token: &str, body: &Value) -> Answer {
    answer(c.post(url).bearer_auth(token).json(body).send().await.expect("request")).await
}

fn query_of(location: &str) -> HashMap<String, String> {
    let without_fragment = location.split('#').next().unwrap_or_default();
    let query = without_fragment.split_once('?').map(|(_, q)| q).unwrap_or_default();
    parse_urlencoded(query).into_iter().collect()
}

fn usage(a: &Answer, id: &str) -> (i64, i64) {
    let header: Value =
        serde_json::from_str(&a.header("x-business-use-case-usage").expect("BUC header")).expect("json");
    let entry = &header[id][0];
    (entry["call_count"].as_i64().expect("call_count"), entry["estimated_time_to_regain_access"].as_i64().expect("eta"))
}

/// The first user (owner of Pages added with `add_page`).
fn sim_user(world: &World) -> String {
    lock(&world.shared).primary_user()
}
