//! History for Messenger and Instagram (§3.1): the Conversations API on
//! `/{page-id}/conversations`, `/{ig-id}/conversations` and `graph.instagram.com`'s
//! `/me/conversations` (CONV, GCONV, IGLC), a conversation's messages, single-message lookups
//! where only the 20 most recent have details (CONV), and customer profiles (§3.2, MPROF,
//! IGP).

use std::sync::Arc;

use axum::http::Method;
use serde_json::{Map, Value, json};

use super::format::{Field, fields_of, fields_to_string, iso, page_range};
use super::request::{Cx, R, Reply, Req};
use super::{DEFAULT_LIMIT, DETAIL_WINDOW, Platform, Sim, TINY_PNG, TokenInfo, TokenKind, WINDOW_MS};

impl Sim {
    pub(super) fn can_use_conv(&self, caller: &TokenInfo, idx: usize) -> bool {
        let c = &self.conversations[idx];
        match c.platform {
            Platform::Instagram => match caller.kind {
                TokenKind::InstagramUser => caller.user_id.as_deref() == Some(c.account_id.as_str()),
                TokenKind::Page => caller.page_id.as_deref() == Some(c.page_id.as_str()),
                _ => false,
            },
            _ => caller.kind == TokenKind::Page && caller.page_id.as_deref() == Some(c.page_id.as_str()),
        }
    }

    pub(super) fn person_json(&self, platform: Platform, id: &str) -> Value {
        if platform == Platform::Instagram {
            let username = self
                .instagram
                .get(id)
                .map(|i| i.username.clone())
                .or_else(|| self.contacts.get(id).map(|c| c.username.clone()))
                .unwrap_or_default();
            json!({ "username": username, "id": id })
        } else {
            let name = self
                .pages
                .get(id)
                .map(|p| p.name.clone())
                .or_else(|| self.contacts.get(id).map(|c| c.name.clone()))
                .unwrap_or_default();
            json!({ "name": name, "email": format!("{id}@facebook.com"), "id": id })
        }
    }

    /// A message node. Only the [`DETAIL_WINDOW`] most recent messages of a conversation
    /// have details (§3.1, CONV): in lists, older messages show only `id` and
    /// `created_time` (**guessed**: the documentation only says single lookups fail).
    pub(super) fn message_json(&self, ci: usize, mi: usize, fields: &[Field]) -> Value {
        let c = &self.conversations[ci];
        let m = &c.messages[mi];
        let detailed = mi + DETAIL_WINDOW >= c.messages.len();
        let business = c.account_id.clone();
        let (from, to) =
            if m.from_business { (business, c.participant.clone()) } else { (c.participant.clone(), business) };
        let mut o = Map::new();
        for f in fields {
            match f.name.as_str() {
                "created_time" => {
                    o.insert("created_time".into(), iso(m.created_ms).into());
                }
                "from" if detailed => {
                    o.insert("from".into(), self.person_json(c.platform, &from));
                }
                "to" if detailed => {
                    o.insert("to".into(), json!({ "data": [self.person_json(c.platform, &to)] }));
                }
                "message" if detailed => {
                    o.insert("message".into(), m.text.clone().into());
                }
                "attachments" if detailed && !m.attachments.is_empty() => {
                    let data: Vec<Value> = m
                        .attachments
                        .iter()
                        .map(|a| {
                            json!({
                                "id": a.id,
                                "mime_type": a.mime_type,
                                "name": a.name,
                                "size": a.size,
                                "image_data": {
                                    "width": 1, "height": 1, "max_width": 1, "max_height": 1,
                                    "url": a.url, "preview_url": a.url,
                                    "image_type": 1, "render_as_sticker": false,
                                },
                            })
                        })
                        .collect();
                    o.insert("attachments".into(), json!({ "data": data }));
                }
                "reply_to" if detailed => {
                    if let Some(r) = &m.reply_to {
                        let self_reply =
                            c.messages.iter().find(|x| &x.id == r).is_some_and(|x| x.from_business == m.from_business);
                        o.insert("reply_to".into(), json!({ "mid": r, "is_self_reply": self_reply }));
                    }
                }
                _ => {}
            }
        }
        o.insert("id".into(), m.id.clone().into());
        Value::Object(o)
    }

    /// Messages of a conversation, newest first, with cursor paging (`next` links point at
    /// `/{conversation-id}/messages`). `cursors` is (`after`, `before`); `nested` marks the
    /// `messages` field of a conversation, whose `next` link carries its own `fields` and
    /// `limit`.
    pub(super) fn messages_page(
        &self,
        req: &Req,
        ci: usize,
        fields: &[Field],
        limit: usize,
        cursors: (Option<&str>, Option<&str>),
        nested: bool,
    ) -> Option<Value> {
        let (after, before) = cursors;
        let c = &self.conversations[ci];
        let mut order: Vec<usize> = (0..c.messages.len()).collect();
        order.sort_by(|a, b| {
            (c.messages[*b].created_ms, c.messages[*b].seq).cmp(&(c.messages[*a].created_ms, c.messages[*a].seq))
        });
        let ids: Vec<String> = order.iter().map(|i| c.messages[*i].id.clone()).collect();
        let (start, end) = page_range(&ids, limit, after, before)?;
        let data: Vec<Value> = order[start..end].iter().map(|mi| self.message_json(ci, *mi, fields)).collect();
        let mut out = Map::new();
        out.insert("data".into(), Value::Array(data));
        let extra: Vec<(String, String)> = if nested {
            let mut pairs = Vec::new();
            if let Some(t) = req.p("access_token") {
                pairs.push(("access_token".to_owned(), t));
            }
            pairs.push(("fields".to_owned(), fields_to_string(fields)));
            pairs.push(("limit".to_owned(), limit.to_string()));
            pairs
        } else {
            Vec::new()
        };
        if let Some(paging) = self.paging(req, &format!("{}/messages", c.id), &ids, start, end, &extra) {
            out.insert("paging".into(), paging);
        }
        Some(Value::Object(out))
    }

    pub(super) fn conversation_json(&mut self, req: &Req, ci: usize, fields: &[Field]) -> Result<Value, Reply> {
        let c = self.conversations[ci].clone();
        let mut o = Map::new();
        for f in fields {
            match f.name.as_str() {
                "id" => {}
                "updated_time" => {
                    o.insert("updated_time".into(), iso(c.updated_ms()).into());
                }
                "participants" => {
                    let business = self.person_json(c.platform, &c.account_id);
                    let customer = self.person_json(c.platform, &c.participant);
                    o.insert("participants".into(), json!({ "data": [customer, business] }));
                }
                "senders" => {
                    let customer = self.person_json(c.platform, &c.participant);
                    o.insert("senders".into(), json!({ "data": [customer] }));
                }
                "message_count" => {
                    o.insert("message_count".into(), c.messages.len().into());
                }
                "unread_count" => {
                    o.insert("unread_count".into(), 0.into());
                }
                "snippet" => {
                    o.insert("snippet".into(), c.messages.last().map(|m| m.text.clone()).unwrap_or_default().into());
                }
                "can_reply" => {
                    let open = c.last_inbound_ms().is_some_and(|t| self.now() - t <= WINDOW_MS);
                    o.insert("can_reply".into(), open.into());
                }
                "is_owner" => {
                    o.insert("is_owner".into(), true.into());
                }
                "link" if c.platform == Platform::Messenger => {
                    o.insert("link".into(), format!("/{}/inbox/{}", c.page_id, c.id).into());
                }
                "messages" => {
                    let sub = f.sub.clone().unwrap_or_else(|| fields_of(&["id", "created_time"]));
                    let limit = Sim::limit(req, Some(f));
                    let limit = if f.limit.is_none() { DEFAULT_LIMIT } else { limit };
                    if let Some(page) = self.messages_page(req, ci, &sub, limit, (None, None), true) {
                        o.insert("messages".into(), page);
                    }
                }
                other => {
                    return Err(self.gerr(
                        100,
                        None,
                        &format!("(#100) Tried accessing nonexisting field ({other}) on node type (UnifiedThread)"),
                    ));
                }
            }
        }
        o.insert("id".into(), c.id.into());
        Ok(Value::Object(o))
    }

    /// `GET /{page-id}/conversations?platform=messenger|instagram&fields&limit&after&user_id`
    /// and `GET /{ig-id}/conversations` / `graph.instagram.com/me/conversations` (§3.1, CONV,
    /// IGLC): Page token (a user token gets 210), newest `updated_time` first, cursor paging
    /// (`next` absent on the last page), default fields `id,updated_time`, field expansion
    /// of `participants` and `messages{…}`. Metered as `messenger` / `instagram` (GRL).
    pub(super) fn conversations(
        &mut self,
        req: &Req,
        cx: &mut Cx,
        caller: &TokenInfo,
        owner: &str,
        owner_is_ig: bool,
    ) -> R {
        if caller.kind == TokenKind::User {
            return Err(self.need_page_token());
        }
        let platform_param = req.p("platform");
        let (platform, account) = if owner_is_ig {
            if !self.can_use_instagram(caller, owner) {
                return Err(self.unsupported(&Method::GET, owner));
            }
            (Platform::Instagram, owner.to_owned())
        } else {
            if !self.can_use_page(caller, owner) {
                return Err(self.unsupported(&Method::GET, owner));
            }
            match platform_param.as_deref() {
                Some("instagram") => match self.pages.get(owner).and_then(|p| p.instagram_id.clone()) {
                    Some(ig) => (Platform::Instagram, ig),
                    None => {
                        return Err(self.invalid_param("The Page has no linked Instagram professional account"));
                    }
                },
                None | Some("messenger") => (Platform::Messenger, owner.to_owned()),
                Some(other) => {
                    return Err(self.invalid_param(&format!(
                        "Param platform must be one of {{MESSENGER, INSTAGRAM}} - got \"{other}\""
                    )));
                }
            }
        };
        let kind = if platform == Platform::Instagram { "instagram" } else { "messenger" };
        self.meter(cx, caller, &account, kind, false)?;
        let fields = self.requested_fields(req, &["id", "updated_time"])?;
        let user_filter = req.p("user_id");
        let mut list: Vec<usize> = (0..self.conversations.len())
            .filter(|&i| {
                let c = &self.conversations[i];
                c.platform == platform
                    && c.account_id == account
                    && user_filter.as_deref().is_none_or(|u| c.participant == u)
            })
            .collect();
        list.sort_by(|a, b| {
            let (ca, cb) = (&self.conversations[*a], &self.conversations[*b]);
            (cb.updated_ms(), cb.updated_seq()).cmp(&(ca.updated_ms(), ca.updated_seq()))
        });
        let ids: Vec<String> = list.iter().map(|i| self.conversations[*i].id.clone()).collect();
        let limit = Sim::limit(req, None);
        let Some((start, end)) = page_range(&ids, limit, req.p("after").as_deref(), req.p("before").as_deref()) else {
            return Err(self.invalid_param("Invalid cursor"));
        };
        let mut data = Vec::new();
        for ci in &list[start..end] {
            data.push(self.conversation_json(req, *ci, &fields)?);
        }
        let mut out = Map::new();
        out.insert("data".into(), Value::Array(data));
        let path =
            format!("{}/conversations", req.segs.first().map_or(owner, |s| if s == "me" { "me" } else { owner }));
        if let Some(paging) = self.paging(req, &path, &ids, start, end, &[]) {
            out.insert("paging".into(), paging);
        }
        Ok(Reply::ok(Value::Object(out)))
    }

    pub(super) fn conv_kind(&self, ci: usize) -> (&'static str, String) {
        let c = &self.conversations[ci];
        if c.platform == Platform::Instagram {
            ("instagram", c.account_id.clone())
        } else {
            ("messenger", c.page_id.clone())
        }
    }

    /// `GET /{conversation-id}?fields=messages,participants,updated_time` (CONV): the
    /// `messages` field lists all message ids with `created_time`.
    pub(super) fn get_conversation(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, ci: usize) -> R {
        let (kind, account) = self.conv_kind(ci);
        self.meter(cx, caller, &account, kind, false)?;
        let fields = self.requested_fields(req, &["id"])?;
        let conv = self.conversation_json(req, ci, &fields)?;
        Ok(Reply::ok(conv))
    }

    /// `GET /{conversation-id}/messages?fields&limit&after` (GCONV): newest first, default
    /// fields `id,created_time`, cursor paging.
    pub(super) fn conversation_messages(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, ci: usize) -> R {
        if !self.can_use_conv(caller, ci) {
            let id = self.conversations[ci].id.clone();
            return Err(self.unsupported(&Method::GET, &id));
        }
        let (kind, account) = self.conv_kind(ci);
        self.meter(cx, caller, &account, kind, false)?;
        let fields = self.requested_fields(req, &["id", "created_time"])?;
        let limit = Sim::limit(req, None);
        match self.messages_page(
            req,
            ci,
            &fields,
            limit,
            (req.p("after").as_deref(), req.p("before").as_deref()),
            false,
        ) {
            Some(page) => Ok(Reply::ok(page)),
            None => Err(self.invalid_param("Invalid cursor")),
        }
    }

    /// `GET /{message-id}?fields=id,created_time,from,to,message,attachments,reply_to`
    /// (§3.1, CONV): only the 20 most recent messages of the conversation answer; an older
    /// one gets an error "stating that the message has been deleted" — the documentation
    /// gives no code: **guessed** HTTP 400, code 100, subcode 33, "This message has been
    /// deleted". The conversation reference states the limit for Instagram Messaging;
    /// META-API §3.1 applies it to both platforms and so does the sim.
    pub(super) fn get_message(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, ci: usize, mi: usize) -> R {
        let (kind, account) = self.conv_kind(ci);
        self.meter(cx, caller, &account, kind, false)?;
        if mi + DETAIL_WINDOW < self.conversations[ci].messages.len() {
            return Err(self.gerr(100, Some(33), "(#100) This message has been deleted"));
        }
        let fields = self.requested_fields(req, &["id", "created_time"])?;
        Ok(Reply::ok(self.message_json(ci, mi, &fields)))
    }

    /// `GET /{psid}?fields=first_name,last_name,name,profile_pic` (§3.2, MPROF) and
    /// `GET /{igsid}?fields=name,username,profile_pic,…` (IGP): Page token of the Page the
    /// person wrote to (Instagram: the linked Page, or the account's Instagram Login token).
    /// Without profile access (see [`World::set_profile_visible`]) the answer is `{}`
    /// (documented). Fields not modelled (`locale`, `timezone`, `gender`) are left out.
    ///
    /// [`World::set_profile_visible`]: super::World::set_profile_visible
    pub(super) fn get_profile(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, contact_id: &str) -> R {
        let Some(k) = self.contacts.get(contact_id).cloned() else {
            return Err(self.unsupported(&Method::GET, contact_id));
        };
        let allowed = match k.platform {
            Platform::Instagram => self.can_use_instagram(caller, &k.account_id) && caller.kind != TokenKind::User,
            _ => caller.kind == TokenKind::Page && caller.page_id.as_deref() == Some(k.account_id.as_str()),
        };
        if !allowed {
            return Err(self.unsupported(&Method::GET, contact_id));
        }
        let kind = if k.platform == Platform::Instagram { "instagram" } else { "messenger" };
        self.meter(cx, caller, &k.account_id, kind, false)?;
        if !k.profile_visible {
            return Ok(Reply::ok(json!({})));
        }
        let default: &[&str] = if k.platform == Platform::Instagram {
            &["name", "username", "profile_pic"]
        } else {
            &["first_name", "last_name", "profile_pic"]
        };
        let fields = self.requested_fields(req, default)?;
        let pic = format!("{}/cdn/{}.png", self.base_url, k.id);
        self.cdn
            .entry(format!("{}.png", k.id))
            .or_insert_with(|| ("image/png".to_owned(), Arc::new(TINY_PNG.to_vec())));
        let mut o = Map::new();
        for f in &fields {
            let v: Value = match (k.platform, f.name.as_str()) {
                (_, "name") => k.name.clone().into(),
                (_, "profile_pic") => pic.clone().into(),
                (Platform::Messenger, "first_name") => k.first_name.clone().into(),
                (Platform::Messenger, "last_name") => k.last_name.clone().into(),
                (Platform::Instagram, "username") => k.username.clone().into(),
                (Platform::Instagram, "follower_count") => 42.into(),
                (Platform::Instagram, "is_verified_user" | "is_user_follow_business" | "is_business_follow_user") => {
                    false.into()
                }
                _ => continue,
            };
            o.insert(f.name.clone(), v);
        }
        o.insert("id".into(), k.id.into());
        Ok(Reply::ok(Value::Object(o)))
    }
}
