//! The Send API for Messenger and Instagram (§3.3): messages, attachments, replies, sender
//! actions and reactions on `/{page-id}/messages`, `/{ig-id}/messages` and `/me/messages`
//! (MSEND, MSAPI, IGS, IGLM, MSA, IGSA), the 24 h window and message tags (§5.1), and the
//! documented refusals (MERR, §5.2).

use axum::http::Method;
use serde_json::{Value, json};

use super::format::days_from_civil;
use super::request::{Cx, R, Reply, Req};
use super::world::{Attachment, Msg};
use super::{DAY_MS, HUMAN_AGENT_MS, Platform, Sent, SentKind, Sim, TokenInfo, TokenKind, WINDOW_MS};

impl Sim {
    pub(super) fn record(&mut self, cx: &Cx, req: &Req, new: NewSent) {
        let request = req.json.clone().unwrap_or_else(|| {
            Value::Object(
                req.params
                    .iter()
                    .filter(|(k, _)| k.as_str() != "access_token")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            )
        });
        let at_ms = self.now();
        let seq = self.sent.len() as u64 + 1;
        self.sent.push(Sent {
            seq,
            at_ms,
            platform: new.platform,
            account_id: new.account_id,
            recipient_id: new.recipient_id,
            kind: new.kind,
            message_type: new.message_type,
            message_id: new.message_id,
            text: new.text,
            request,
            answered: !cx.drop_after,
        });
    }

    pub(super) fn window_closed(&mut self, platform: Platform) -> Reply {
        if platform == Platform::Instagram {
            self.gerr(10, Some(2_534_022), "(#10) This message is sent outside of allowed window.")
        } else {
            self.gerr(
                10,
                Some(2_018_278),
                "(#10) This message is sent outside of allowed window. Learn more about the new policy here: https://developers.facebook.com/docs/messenger-platform/policy-overview",
            )
        }
    }

    /// `POST /{page-id}/messages` (or `/me/messages`) with a Page token, and
    /// `POST /{ig-id}/messages` with an Instagram Login token (§3.3, MSEND, MSAPI, IGS, IGLM,
    /// MSA, IGSA). Body JSON (or form fields holding JSON) `{recipient:{id}, messaging_type,
    /// message:{text|attachment|attachments}, tag?, reply_to?:{mid}}` → `{recipient_id,
    /// message_id}`; or `{recipient, sender_action: mark_seen|typing_on|typing_off|react|
    /// unreact, payload?}` → `{recipient_id}`. Enforced:
    /// - recipient must be a PSID/IGSID that wrote to this Page/account: else 100/2018001
    ///   (Messenger) or 100/2534014 (Instagram) "No matching user found" (MERR, R2);
    /// - text ≤ 2000 characters (Messenger) / ≤ 1000 bytes UTF-8 (Instagram), code 100;
    /// - `messaging_type` required on Messenger (RESPONSE, UPDATE, MESSAGE_TAG; code 100
    ///   **guessed** text), optional on Instagram (IG samples omit it, §3.3);
    /// - the 24 h window from the person's last message, `MESSAGE_TAG` + `HUMAN_AGENT` up to
    ///   7 days; outside: 10/2018278 (Messenger) or 10/2534022 (Instagram) (§5.2);
    ///   `ACCOUNT_UPDATE`, `CONFIRMED_EVENT_UPDATE`, `POST_PURCHASE_UPDATE` are refused
    ///   with 100 from 2026-04-27 (fake clock) and allowed outside the window before
    ///   (Messenger only); Instagram takes only `HUMAN_AGENT`;
    /// - sender actions and reactions need the 24 h window too (**guessed**);
    /// - `attachment.payload.attachment_id` must come from `message_attachments`.
    ///
    /// The message is appended to the conversation and recorded in [`World::sent`]; the same
    /// request twice makes two messages (no idempotency key, see "Idempotency" in
    /// [`crate::meta_sim::graph`]).
    ///
    /// [`World::sent`]: super::World::sent
    pub(super) fn send(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, owner: &str) -> R {
        if caller.kind == TokenKind::User {
            return Err(self.need_page_token());
        }
        let owner_is_ig = self.instagram.contains_key(owner);
        let allowed =
            if owner_is_ig { self.can_use_instagram(caller, owner) } else { self.can_use_page(caller, owner) };
        if !allowed {
            return Err(self.unsupported(&Method::POST, owner));
        }
        let Some(recipient) = req.pj("recipient").filter(Value::is_object) else {
            return Err(self.invalid_param("param recipient must be non-empty."));
        };
        let Some(rid) = recipient
            .get("id")
            .and_then(|v| v.as_str().map(str::to_owned).or_else(|| v.as_u64().map(|n| n.to_string())))
        else {
            return Err(self.invalid_param("meta-sim supports recipient.id only (not user_ref, post_id, comment_id)"));
        };
        let contact = self.contacts.get(&rid).cloned();
        let page_ig = self.pages.get(owner).and_then(|p| p.instagram_id.clone());
        let (platform, account) = if owner_is_ig {
            (Platform::Instagram, owner.to_owned())
        } else {
            match (&contact, &page_ig) {
                (Some(k), Some(ig)) if k.platform == Platform::Instagram && &k.account_id == ig => {
                    (Platform::Instagram, ig.clone())
                }
                _ => (Platform::Messenger, owner.to_owned()),
            }
        };
        let ci = self
            .conversations
            .iter()
            .position(|c| c.platform == platform && c.account_id == account && c.participant == rid);
        let Some(ci) = ci else {
            return Err(if platform == Platform::Instagram {
                self.gerr(100, Some(2_534_014), "No matching user found")
            } else {
                self.gerr(100, Some(2_018_001), "(#100) No matching user found")
            });
        };
        let kind = if platform == Platform::Instagram { "instagram" } else { "messenger" };
        self.meter(cx, caller, &account, kind, true)?;
        let now = self.now();
        let age = self.conversations[ci].last_inbound_ms().map_or(i64::MAX, |t| now - t);
        let sender_action = req.p("sender_action");
        let message = req.pj("message").filter(Value::is_object);
        if sender_action.is_some() && message.is_some() {
            return Err(self.invalid_param("Cannot send both message and state at the same time."));
        }
        if let Some(action) = sender_action {
            let action = action.to_ascii_lowercase();
            if !matches!(action.as_str(), "mark_seen" | "typing_on" | "typing_off" | "react" | "unreact") {
                return Err(self.invalid_param(
                    "param sender_action must be one of {MARK_SEEN, TYPING_ON, TYPING_OFF, REACT, UNREACT}",
                ));
            }
            if age > WINDOW_MS {
                return Err(self.window_closed(platform));
            }
            let (kind, text) = if action == "react" || action == "unreact" {
                let payload = req.pj("payload").unwrap_or(Value::Null);
                let target = payload.get("message_id").and_then(Value::as_str).unwrap_or_default().to_owned();
                if !self.conversations[ci].messages.iter().any(|m| m.id == target) {
                    return Err(self.invalid_param("param payload[message_id] must be a message of this conversation"));
                }
                let reaction = payload.get("reaction").and_then(Value::as_str).map(str::to_owned);
                if action == "react" && reaction.is_none() {
                    return Err(self.invalid_param("param payload[reaction] is required"));
                }
                (SentKind::Reaction, reaction)
            } else {
                (SentKind::SenderAction, None)
            };
            self.record(
                cx,
                req,
                NewSent {
                    platform,
                    account_id: account,
                    recipient_id: rid.clone(),
                    kind,
                    message_type: action,
                    message_id: None,
                    text,
                },
            );
            return Ok(Reply::ok(json!({ "recipient_id": rid })));
        }
        let Some(message) = message else {
            return Err(self.invalid_param("Must send either message or sender_action"));
        };
        let text = message.get("text").and_then(Value::as_str).map(str::to_owned);
        let mut attachments: Vec<Value> =
            message.get("attachment").filter(|a| a.is_object()).cloned().into_iter().collect();
        if let Some(list) = message.get("attachments").and_then(Value::as_array) {
            attachments.extend(list.iter().cloned());
        }
        if text.as_deref().is_none_or(str::is_empty) && attachments.is_empty() {
            return Err(self.invalid_param("Message cannot be empty, must provide valid attachment or text"));
        }
        if let Some(t) = &text {
            if platform == Platform::Instagram && t.len() > 1000 {
                return Err(self.invalid_param("Length of param message[text] must be less than or equal to 1000"));
            }
            if platform == Platform::Messenger && t.chars().count() > 2000 {
                return Err(self.invalid_param("Length of param message[text] must be less than or equal to 2000"));
            }
        }
        let messaging_type = req.p("messaging_type").map(|m| m.to_ascii_uppercase());
        let tag = req.p("tag").map(|t| t.to_ascii_uppercase());
        let allowed_age = match (messaging_type.as_deref(), platform) {
            (None, Platform::Messenger) => {
                return Err(self.invalid_param("param messaging_type is required"));
            }
            (None | Some("RESPONSE" | "UPDATE"), _) => WINDOW_MS,
            (Some("MESSAGE_TAG"), _) => match tag.as_deref() {
                Some("HUMAN_AGENT") => HUMAN_AGENT_MS,
                Some("ACCOUNT_UPDATE" | "CONFIRMED_EVENT_UPDATE" | "POST_PURCHASE_UPDATE")
                    if platform == Platform::Messenger =>
                {
                    let cutoff = days_from_civil(2026, 4, 27) * DAY_MS;
                    if now >= cutoff {
                        return Err(self.invalid_param(&format!(
                            "The {} tag is no longer supported",
                            tag.as_deref().unwrap_or_default()
                        )));
                    }
                    i64::MAX
                }
                Some(other) => {
                    return Err(self.invalid_param(&format!("Param tag must be a valid message tag - got \"{other}\"")));
                }
                None => {
                    return Err(self.invalid_param("param tag is required when messaging_type is MESSAGE_TAG"));
                }
            },
            (Some(other), _) => {
                return Err(self.invalid_param(&format!(
                    "param messaging_type must be one of {{RESPONSE, UPDATE, MESSAGE_TAG}} - got \"{other}\""
                )));
            }
        };
        if age > allowed_age {
            return Err(self.window_closed(platform));
        }
        let reply_to = req
            .pj("reply_to")
            .or_else(|| message.get("reply_to").cloned())
            .and_then(|r| r.get("mid").and_then(Value::as_str).map(str::to_owned));
        if let Some(r) = &reply_to
            && !self.conversations[ci].messages.iter().any(|m| &m.id == r)
        {
            return Err(self.invalid_param("param reply_to[mid] must be a message of this conversation"));
        }
        let mut stored = Vec::new();
        let mut first_type = None;
        for a in &attachments {
            let kind = a.get("type").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase();
            let payload = a.get("payload").cloned().unwrap_or(Value::Null);
            let valid_kind = match platform {
                Platform::Instagram => {
                    matches!(kind.as_str(), "image" | "audio" | "video" | "file" | "media_share" | "like_heart")
                }
                _ => matches!(kind.as_str(), "image" | "audio" | "video" | "file" | "template"),
            };
            if !valid_kind {
                return Err(
                    self.invalid_param(&format!("param message[attachment][type] is not valid - got \"{kind}\""))
                );
            }
            let url = if let Some(id) = payload
                .get("attachment_id")
                .and_then(|v| v.as_str().map(str::to_owned).or_else(|| v.as_u64().map(|n| n.to_string())))
            {
                if !self.attachment_ids.contains_key(&id) {
                    return Err(self.invalid_param("Invalid attachment_id"));
                }
                format!("{}/cdn/{id}", self.base_url)
            } else if let Some(url) = payload.get("url").and_then(Value::as_str) {
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    return Err(self.invalid_param("param message[attachment][payload][url] must be a valid URL"));
                }
                url.to_owned()
            } else if kind == "template" || kind == "like_heart" || kind == "media_share" {
                String::new()
            } else {
                return Err(self.invalid_param("param message[attachment][payload] must have url or attachment_id"));
            };
            first_type.get_or_insert_with(|| kind.clone());
            let mime = match kind.as_str() {
                "image" => "image/jpeg",
                "audio" => "audio/mpeg",
                "video" => "video/mp4",
                _ => "application/octet-stream",
            };
            let id = self.digits(16);
            stored.push(Attachment {
                id,
                mime_type: mime.to_owned(),
                name: url.rsplit('/').next().unwrap_or_default().split('?').next().unwrap_or_default().to_owned(),
                size: 0,
                url,
            });
        }
        let mid = self.new_mid(platform, &account);
        let seq = self.next_seq();
        self.conversations[ci].messages.push(Msg {
            id: mid.clone(),
            created_ms: now,
            seq,
            from_business: true,
            text: text.clone().unwrap_or_default(),
            attachments: stored,
            reply_to,
        });
        self.record(
            cx,
            req,
            NewSent {
                platform,
                account_id: account,
                recipient_id: rid.clone(),
                kind: SentKind::Message,
                message_type: first_type.unwrap_or_else(|| "text".to_owned()),
                message_id: Some(mid.clone()),
                text,
            },
        );
        Ok(Reply::ok(json!({ "recipient_id": rid, "message_id": mid })))
    }
}

/// The caller-supplied part of a [`Sent`] record.
pub(super) struct NewSent {
    pub(super) platform: Platform,
    pub(super) account_id: String,
    pub(super) recipient_id: String,
    pub(super) kind: SentKind,
    pub(super) message_type: String,
    pub(super) message_id: Option<String>,
    pub(super) text: Option<String>,
}
