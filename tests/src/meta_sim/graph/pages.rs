//! Facebook Pages (§4 "Page tokens"): `/me` (also the Instagram Login account, IGLC, IGLM),
//! `/me/accounts` with a Page token per Page (IGGS), the Page node with its linked
//! Instagram account, and webhook subscriptions on `/{page-id}/subscribed_apps` and
//! `/{ig-id}/subscribed_apps` (§1 "Subscribing an asset", MW, R2).

use axum::http::Method;
use serde_json::{Map, Value, json};

use super::format::{Field, fields_of, page_range};
use super::request::{Cx, R, Reply, Req};
use super::{Sim, TokenInfo, TokenKind};

impl Sim {
    /// `GET /me`: the user (`id`, `name`), the system user, or the Instagram Login account
    /// (`user_id`, `username`, `name`, `id`: IGLC / IGLM use `me` for the IG account).
    pub(super) fn get_me(&mut self, req: &Req, caller: &TokenInfo, id: &str) -> R {
        match caller.kind {
            TokenKind::InstagramUser => {
                let Some(ig) = self.instagram.get(id).cloned() else {
                    return Err(self.unsupported(&Method::GET, id));
                };
                let fields = self.requested_fields(req, &["id", "username"])?;
                let mut o = Map::new();
                for f in &fields {
                    match f.name.as_str() {
                        "user_id" => {
                            o.insert("user_id".into(), ig.id.clone().into());
                        }
                        "username" => {
                            o.insert("username".into(), ig.username.clone().into());
                        }
                        "name" => {
                            o.insert("name".into(), ig.name.clone().into());
                        }
                        _ => {}
                    }
                }
                o.insert("id".into(), ig.id.into());
                Ok(Reply::ok(Value::Object(o)))
            }
            _ => {
                let name = self.user(id).map(|u| u.name.clone()).unwrap_or_else(|| "System User".to_owned());
                Ok(Reply::ok(json!({ "name": name, "id": id })))
            }
        }
    }

    pub(super) fn can_use_page(&self, caller: &TokenInfo, page_id: &str) -> bool {
        match caller.kind {
            TokenKind::Page => caller.page_id.as_deref() == Some(page_id),
            TokenKind::User => caller
                .user_id
                .as_deref()
                .and_then(|u| self.user(u))
                .is_some_and(|u| u.pages.iter().any(|p| p == page_id)),
            _ => false,
        }
    }

    /// The Page token `/me/accounts` hands out for a user token: never-expiring when the
    /// user token is long-lived, expiring with it (1 h) when short-lived (§4 "Page tokens").
    /// The same user token always gets the same Page token (**guessed**).
    pub(super) fn page_token_for(&mut self, caller: &TokenInfo, page_id: &str) -> String {
        if caller.kind == TokenKind::Page {
            return caller.token.clone();
        }
        let key = (caller.token.clone(), page_id.to_owned());
        if let Some(t) = self.page_tokens.get(&key) {
            return t.clone();
        }
        let expires = if caller.long_lived { None } else { caller.expires_at_ms };
        let user = caller.user_id.clone().unwrap_or_default();
        let token = self.issue_page_token(&user, page_id, expires, caller.scopes.clone());
        self.page_tokens.insert(key, token.clone());
        token
    }

    pub(super) fn page_json(&mut self, caller: &TokenInfo, page_id: &str, fields: &[Field]) -> Result<Value, Reply> {
        let page = self.pages.get(page_id).cloned().expect("page exists");
        let mut o = Map::new();
        for f in fields {
            match f.name.as_str() {
                "id" => {}
                "name" => {
                    o.insert("name".into(), page.name.clone().into());
                }
                "category" => {
                    o.insert("category".into(), page.category.clone().into());
                }
                "category_list" => {
                    o.insert("category_list".into(), json!([{ "id": "2500", "name": page.category }]));
                }
                "tasks" => {
                    o.insert(
                        "tasks".into(),
                        json!(["ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE"]),
                    );
                }
                "access_token" => {
                    let token = self.page_token_for(caller, page_id);
                    o.insert("access_token".into(), token.into());
                }
                "instagram_business_account" | "connected_instagram_account" => {
                    if let Some(ig) = page.instagram_id.clone().and_then(|i| self.instagram.get(&i).cloned()) {
                        let sub = f.sub.clone().unwrap_or_else(|| fields_of(&["id"]));
                        let mut io = Map::new();
                        for s in &sub {
                            match s.name.as_str() {
                                "username" => {
                                    io.insert("username".into(), ig.username.clone().into());
                                }
                                "name" => {
                                    io.insert("name".into(), ig.name.clone().into());
                                }
                                _ => {}
                            }
                        }
                        io.insert("id".into(), ig.id.clone().into());
                        o.insert(f.name.clone(), Value::Object(io));
                    }
                }
                "link" => {
                    o.insert("link".into(), format!("https://www.facebook.com/{page_id}").into());
                }
                other => {
                    return Err(self.gerr(
                        100,
                        None,
                        &format!("(#100) Tried accessing nonexisting field ({other}) on node type (Page)"),
                    ));
                }
            }
        }
        o.insert("id".into(), page.id.into());
        Ok(Value::Object(o))
    }

    /// `GET /{page-id}?fields=name,instagram_business_account,access_token` (§4, IGGS).
    pub(super) fn get_page(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, page_id: &str) -> R {
        self.meter(cx, caller, page_id, "pages", false)?;
        let fields = self.requested_fields(req, &["name", "id"])?;
        let page = self.page_json(caller, page_id, &fields)?;
        Ok(Reply::ok(page))
    }

    /// `GET /me/accounts?fields=…` with a user token (§4, IGGS): the user's Pages with
    /// Page tokens, `{data:[{access_token, category, category_list, name, id, tasks}],
    /// paging:{cursors}}`; with `fields` only those (plus `id`). A Page token gets 100/33
    /// (**guessed**).
    pub(super) fn accounts(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, user_id: &str) -> R {
        if caller.kind != TokenKind::User || caller.user_id.as_deref() != Some(user_id) {
            return Err(self.unsupported(&Method::GET, user_id));
        }
        self.meter(cx, caller, user_id, "pages", false)?;
        let fields =
            self.requested_fields(req, &["access_token", "category", "category_list", "name", "id", "tasks"])?;
        let pages = self.user(user_id).map(|u| u.pages.clone()).unwrap_or_default();
        let limit = Sim::limit(req, None);
        let Some((start, end)) = page_range(&pages, limit, req.p("after").as_deref(), req.p("before").as_deref())
        else {
            return Err(self.invalid_param("Invalid cursor"));
        };
        let mut data = Vec::new();
        for p in &pages[start..end] {
            data.push(self.page_json(caller, p, &fields)?);
        }
        let mut out = Map::new();
        out.insert("data".into(), Value::Array(data));
        let path = format!("{user_id}/accounts");
        if let Some(paging) = self.paging(req, &path, &pages, start, end, &[]) {
            out.insert("paging".into(), paging);
        }
        Ok(Reply::ok(Value::Object(out)))
    }

    /// `GET|POST|DELETE /{page-id}/subscribed_apps` (§1 "Subscribing an asset", MW) and the
    /// same on an Instagram account (IG Login, R2): Page token (a user token gets 210);
    /// POST takes `subscribed_fields` (query, form or JSON; a comma list) and replaces the
    /// list → `{success:true}`; GET → `{data:[{category, link, name, id, subscribed_fields}]}`
    /// (empty `data` when unsubscribed); DELETE empties it. Unknown field names → 100
    /// (**guessed** text). [`World::unsubscribe_app`] plays "Meta unsubscribed the app".
    ///
    /// [`World::unsubscribe_app`]: super::World::unsubscribe_app
    pub(super) fn subscribed_apps(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, id: &str) -> R {
        let is_ig = self.instagram.contains_key(id);
        if caller.kind == TokenKind::User {
            return Err(self.need_page_token());
        }
        let allowed = if is_ig { self.can_use_instagram(caller, id) } else { self.can_use_page(caller, id) };
        if !allowed {
            let method = req.method.clone();
            return Err(self.unsupported(&method, id));
        }
        self.meter(cx, caller, id, if is_ig { "instagram" } else { "pages" }, false)?;
        match req.method.as_str() {
            "GET" => Ok(Reply::ok(json!({ "data": self.subscription(id, is_ig) }))),
            "POST" => {
                let fields = self.subscribed_fields_param(req, is_ig)?;
                self.set_subscribed_fields(id, fields);
                Ok(Reply::ok(json!({ "success": true })))
            }
            "DELETE" => {
                self.set_subscribed_fields(id, Vec::new());
                Ok(Reply::ok(json!({ "success": true })))
            }
            _ => Err(self.unsupported(&req.method.clone(), id)),
        }
    }

    /// The `data` of `GET subscribed_apps`: this app with its fields, or nothing when the
    /// asset has none.
    fn subscription(&self, id: &str, is_ig: bool) -> Value {
        let current = if is_ig {
            self.instagram.get(id).map(|i| i.subscribed_fields.clone())
        } else {
            self.pages.get(id).map(|p| p.subscribed_fields.clone())
        }
        .unwrap_or_default();
        if current.is_empty() {
            return json!([]);
        }
        json!([{
            "category": "Business",
            "link": "https://cahts.example/",
            "name": self.app.name,
            "id": if is_ig { self.app.instagram_app_id.clone() } else { self.app.app_id.clone() },
            "subscribed_fields": current,
        }])
    }

    /// `subscribed_fields` as a JSON list or a comma list: required, each a field the asset
    /// type has; duplicates are kept once, in first-seen order.
    fn subscribed_fields_param(&mut self, req: &Req, is_ig: bool) -> Result<Vec<String>, Reply> {
        let raw = match req.pj("subscribed_fields") {
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).map(str::to_owned).collect::<Vec<_>>(),
            Some(Value::String(s)) => s.split(',').map(|f| f.trim().to_owned()).filter(|f| !f.is_empty()).collect(),
            _ => Vec::new(),
        };
        if raw.is_empty() {
            return Err(self.invalid_param("The parameter subscribed_fields is required."));
        }
        let valid = if is_ig { IG_FIELDS } else { PAGE_FIELDS };
        if let Some((i, bad)) = raw.iter().enumerate().find(|(_, f)| !valid.contains(&f.as_str())) {
            let message =
                format!("Param subscribed_fields[{i}] must be one of {{{}}} - got \"{bad}\"", valid.join(", "));
            return Err(self.invalid_param(&message));
        }
        let mut fields = Vec::new();
        for f in raw {
            if !fields.contains(&f) {
                fields.push(f);
            }
        }
        Ok(fields)
    }

    /// Replaces the asset's subscribed fields (an empty list unsubscribes the app).
    fn set_subscribed_fields(&mut self, id: &str, fields: Vec<String>) {
        if let Some(i) = self.instagram.get_mut(id) {
            i.subscribed_fields = fields;
        } else if let Some(p) = self.pages.get_mut(id) {
            p.subscribed_fields = fields;
        }
    }
}

/// The fields `POST /{page-id}/subscribed_apps` accepts.
const PAGE_FIELDS: &[&str] = &[
    "messages",
    "message_echoes",
    "message_edits",
    "message_reactions",
    "message_reads",
    "message_deliveries",
    "messaging_postbacks",
    "messaging_referrals",
    "messaging_optins",
    "messaging_optouts",
    "messaging_handovers",
    "messaging_policy_enforcement",
    "messaging_account_linking",
    "messaging_game_plays",
    "messaging_customer_information",
    "standby",
    "feed",
    "inbox_labels",
    "message_template_status_update",
    "calls",
];

/// The fields `POST /{ig-id}/subscribed_apps` accepts.
const IG_FIELDS: &[&str] = &[
    "messages",
    "messaging_optins",
    "messaging_postbacks",
    "messaging_reactions",
    "messaging_referrals",
    "messaging_seen",
    "message_edit",
    "message_reactions",
    "comments",
    "live_comments",
    "mentions",
    "story_insights",
];
