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
        let owner_is_ig = self.check_sender(caller, owner)?;
        let rid = self.recipient_id(req)?;
        let (platform, account) = self.send_platform(owner, owner_is_ig, &rid);
        let conversation = self.recipient_conversation(platform, &account, &rid)?;
        let kind = if platform == Platform::Instagram { "instagram" } else { "messenger" };
        self.meter(cx, caller, &account, kind, true)?;
        // One clock reading for the window checks and the new message's time.
        let now = self.now();
        let age = self.conversations[conversation].last_inbound_ms().map_or(i64::MAX, |t| now - t);
        let target = SendTarget { platform, account, recipient_id: rid, conversation, now, age };
        let sender_action = req.p("sender_action");
        let message = req.pj("message").filter(Value::is_object);
        if sender_action.is_some() && message.is_some() {
            return Err(self.invalid_param("Cannot send both message and state at the same time."));
        }
        if let Some(action) = sender_action {
            return self.send_sender_action(req, cx, target, &action);
        }
        let Some(message) = message else {
            return Err(self.invalid_param("Must send either message or sender_action"));
        };
        self.send_message(req, cx, target, &message)
    }

    /// Who may send for `owner`: a Page or Instagram token that reaches it, never a user
    /// token (210). Returns whether `owner` is an Instagram account.
    fn check_sender(&mut self, caller: &TokenInfo, owner: &str) -> Result<bool, Reply> {
        if caller.kind == TokenKind::User {
            return Err(self.need_page_token());
        }
        let owner_is_ig = self.instagram.contains_key(owner);
        let allowed =
            if owner_is_ig { self.can_use_instagram(caller, owner) } else { self.can_use_page(caller, owner) };
        if !allowed {
            return Err(self.unsupported(&Method::POST, owner));
        }
        Ok(owner_is_ig)
    }

    /// `recipient.id`, as a string or a number; the other recipient kinds are not simulated.
    fn recipient_id(&mut self, req: &Req) -> Result<String, Reply> {
        let Some(recipient) = req.pj("recipient").filter(Value::is_object) else {
            return Err(self.invalid_param("param recipient must be non-empty."));
        };
        let Some(rid) = recipient.get("id").and_then(id_text) else {
            return Err(self.invalid_param("meta-sim supports recipient.id only (not user_ref, post_id, comment_id)"));
        };
        Ok(rid)
    }

    /// The platform and account a send lands on: a Page's send to a person of its linked
    /// Instagram account goes to that account's Instagram conversation.
    fn send_platform(&self, owner: &str, owner_is_ig: bool, rid: &str) -> (Platform, String) {
        if owner_is_ig {
            return (Platform::Instagram, owner.to_owned());
        }
        let contact = self.contacts.get(rid);
        let page_ig = self.pages.get(owner).and_then(|p| p.instagram_id.as_ref());
        match (contact, page_ig) {
            (Some(k), Some(ig)) if k.platform == Platform::Instagram && &k.account_id == ig => {
                (Platform::Instagram, ig.clone())
            }
            _ => (Platform::Messenger, owner.to_owned()),
        }
    }

    /// The conversation the recipient opened with `account` (MERR: only people who wrote
    /// first can be messaged), as an index into `Sim::conversations`.
    fn recipient_conversation(&mut self, platform: Platform, account: &str, rid: &str) -> Result<usize, Reply> {
        let ci = self
            .conversations
            .iter()
            .position(|c| c.platform == platform && c.account_id == account && c.participant == rid);
        match ci {
            Some(ci) => Ok(ci),
            None if platform == Platform::Instagram => Err(self.gerr(100, Some(2_534_014), "No matching user found")),
            None => Err(self.gerr(100, Some(2_018_001), "(#100) No matching user found")),
        }
    }

    /// `sender_action`: seen and typing indicators, and reactions to a message of the
    /// conversation (`payload{message_id, reaction}`).
    fn send_sender_action(&mut self, req: &Req, cx: &mut Cx, target: SendTarget, action: &str) -> R {
        let action = action.to_ascii_lowercase();
        if !matches!(action.as_str(), "mark_seen" | "typing_on" | "typing_off" | "react" | "unreact") {
            return Err(self.invalid_param(
                "param sender_action must be one of {MARK_SEEN, TYPING_ON, TYPING_OFF, REACT, UNREACT}",
            ));
        }
        if target.age > WINDOW_MS {
            return Err(self.window_closed(target.platform));
        }
        let (kind, text) = if action == "react" || action == "unreact" {
            (SentKind::Reaction, self.reaction(req, target.conversation, &action)?)
        } else {
            (SentKind::SenderAction, None)
        };
        let SendTarget { platform, account, recipient_id: rid, .. } = target;
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
        Ok(Reply::ok(json!({ "recipient_id": rid })))
    }

    /// The emoji of a `react` (required) or `unreact` (optional), once its target message is
    /// known to be in the conversation.
    fn reaction(&mut self, req: &Req, conversation: usize, action: &str) -> Result<Option<String>, Reply> {
        let payload = req.pj("payload").unwrap_or(Value::Null);
        let target = payload.get("message_id").and_then(Value::as_str).unwrap_or_default().to_owned();
        if !self.conversations[conversation].messages.iter().any(|m| m.id == target) {
            return Err(self.invalid_param("param payload[message_id] must be a message of this conversation"));
        }
        let reaction = payload.get("reaction").and_then(Value::as_str).map(str::to_owned);
        if action == "react" && reaction.is_none() {
            return Err(self.invalid_param("param payload[reaction] is required"));
        }
        Ok(reaction)
    }

    /// `message`: checks content, window and reply target, then appends the message to the
    /// conversation and records it.
    fn send_message(&mut self, req: &Req, cx: &mut Cx, target: SendTarget, message: &Value) -> R {
        let (text, attachments) = self.message_content(target.platform, message)?;
        let allowed_age = self.allowed_age(req, target.platform, target.now)?;
        if target.age > allowed_age {
            return Err(self.window_closed(target.platform));
        }
        let reply_to = self.reply_to(req, message, target.conversation)?;
        let (stored, first_type) = self.store_attachments(target.platform, &attachments)?;
        let mid = self.new_mid(target.platform, &target.account);
        let seq = self.next_seq();
        self.conversations[target.conversation].messages.push(Msg {
            id: mid.clone(),
            created_ms: target.now,
            seq,
            from_business: true,
            text: text.clone().unwrap_or_default(),
            attachments: stored,
            reply_to,
        });
        let SendTarget { platform, account, recipient_id: rid, .. } = target;
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

    /// `message.text` and the attachments of `message.attachment` and
    /// `message.attachments`; one of them must be there, and the text within the
    /// platform's length limit.
    fn message_content(&mut self, platform: Platform, message: &Value) -> Result<(Option<String>, Vec<Value>), Reply> {
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
        Ok((text, attachments))
    }

    /// How long after the person's last message `messaging_type` and `tag` allow a send
    /// (§3.3, §5.1).
    fn allowed_age(&mut self, req: &Req, platform: Platform, now: i64) -> Result<i64, Reply> {
        let messaging_type = req.p("messaging_type").map(|m| m.to_ascii_uppercase());
        let tag = req.p("tag").map(|t| t.to_ascii_uppercase());
        match (messaging_type.as_deref(), platform) {
            (None, Platform::Messenger) => Err(self.invalid_param("param messaging_type is required")),
            (None | Some("RESPONSE" | "UPDATE"), _) => Ok(WINDOW_MS),
            (Some("MESSAGE_TAG"), _) => match tag.as_deref() {
                Some("HUMAN_AGENT") => Ok(HUMAN_AGENT_MS),
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
                    Ok(i64::MAX)
                }
                Some(other) => {
                    Err(self.invalid_param(&format!("Param tag must be a valid message tag - got \"{other}\"")))
                }
                None => Err(self.invalid_param("param tag is required when messaging_type is MESSAGE_TAG")),
            },
            (Some(other), _) => Err(self.invalid_param(&format!(
                "param messaging_type must be one of {{RESPONSE, UPDATE, MESSAGE_TAG}} - got \"{other}\""
            ))),
        }
    }

    /// `reply_to.mid` (top level or inside `message`), which must be a message of the
    /// conversation.
    fn reply_to(&mut self, req: &Req, message: &Value, conversation: usize) -> Result<Option<String>, Reply> {
        let reply_to = req
            .pj("reply_to")
            .or_else(|| message.get("reply_to").cloned())
            .and_then(|r| r.get("mid").and_then(Value::as_str).map(str::to_owned));
        if let Some(r) = &reply_to
            && !self.conversations[conversation].messages.iter().any(|m| &m.id == r)
        {
            return Err(self.invalid_param("param reply_to[mid] must be a message of this conversation"));
        }
        Ok(reply_to)
    }

    /// Checks each attachment and turns it into a stored [`Attachment`], in order (ids are
    /// drawn as each one passes). Returns them with the type of the first, which names the
    /// message type recorded in [`World::sent`].
    ///
    /// [`World::sent`]: super::World::sent
    fn store_attachments(
        &mut self,
        platform: Platform,
        attachments: &[Value],
    ) -> Result<(Vec<Attachment>, Option<String>), Reply> {
        let mut stored = Vec::new();
        let mut first_type = None;
        for a in attachments {
            let kind = a.get("type").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase();
            let payload = a.get("payload").cloned().unwrap_or(Value::Null);
            if !attachment_kind_allowed(platform, &kind) {
                return Err(
                    self.invalid_param(&format!("param message[attachment][type] is not valid - got \"{kind}\""))
                );
            }
            let url = self.attachment_url(&kind, &payload)?;
            first_type.get_or_insert_with(|| kind.clone());
            let id = self.digits(16);
            stored.push(Attachment {
                id,
                mime_type: mime_of(&kind).to_owned(),
                name: url.rsplit('/').next().unwrap_or_default().split('?').next().unwrap_or_default().to_owned(),
                size: 0,
                url,
            });
        }
        Ok((stored, first_type))
    }

    /// Where an attachment's bytes are: an uploaded `attachment_id` (served by the sim's CDN)
    /// or a `url`; templates, likes and media shares need neither.
    fn attachment_url(&mut self, kind: &str, payload: &Value) -> Result<String, Reply> {
        if let Some(id) = payload.get("attachment_id").and_then(id_text) {
            if !self.attachment_ids.contains_key(&id) {
                return Err(self.invalid_param("Invalid attachment_id"));
            }
            Ok(format!("{}/cdn/{id}", self.base_url))
        } else if let Some(url) = payload.get("url").and_then(Value::as_str) {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(self.invalid_param("param message[attachment][payload][url] must be a valid URL"));
            }
            Ok(url.to_owned())
        } else if kind == "template" || kind == "like_heart" || kind == "media_share" {
            Ok(String::new())
        } else {
            Err(self.invalid_param("param message[attachment][payload] must have url or attachment_id"))
        }
    }
}

/// A Send API call's recipient once resolved: where the message goes and how long ago the
/// person last wrote (for the 24 h window, §5.1).
struct SendTarget {
    platform: Platform,
    account: String,
    recipient_id: String,
    /// Index into `Sim::conversations`.
    conversation: usize,
    now: i64,
    /// Since the person's last message; `i64::MAX` if they never wrote.
    age: i64,
}

/// An id given as a JSON string or number.
pub(super) fn id_text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned).or_else(|| v.as_u64().map(|n| n.to_string()))
}

/// Attachment types each platform's Send API takes.
fn attachment_kind_allowed(platform: Platform, kind: &str) -> bool {
    match platform {
        Platform::Instagram => matches!(kind, "image" | "audio" | "video" | "file" | "media_share" | "like_heart"),
        _ => matches!(kind, "image" | "audio" | "video" | "file" | "template"),
    }
}

/// The MIME type a sent attachment of `kind` is stored with.
fn mime_of(kind: &str) -> &'static str {
    match kind {
        "image" => "image/jpeg",
        "audio" => "audio/mpeg",
        "video" => "video/mp4",
        _ => "application/octet-stream",
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
