//! WhatsApp Cloud API (§3.4): sends on `/{phone-number-id}/messages` (text, templates,
//! media, reactions, interactive, location, contacts, replies) and mark-as-read with typing
//! indicator (WAS, WAT, WATPL, WARX, WARD, WATY, WACR), the 24 h customer-service window
//! (§5.1), the Business Account and phone-number nodes and the `message_templates`,
//! `phone_numbers` and `subscribed_apps` edges (WAAP, WATPL, WAO), errors in the WhatsApp
//! shape (WAE).

use axum::http::Method;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::format::{Field, page_range};
use super::request::{Cx, R, Reply, Req};
use super::send::{NewSent, id_text};
use super::world::Phone;
use super::{Platform, SentKind, Sim, Template, TemplateStatus, TokenInfo, TokenKind, WINDOW_MS};

impl Sim {
    /// System-user tokens reach the WABAs they were issued for; user tokens the WABAs their
    /// user has access to now.
    pub(super) fn can_use_waba(&self, caller: &TokenInfo, waba_id: &str) -> bool {
        match caller.kind {
            TokenKind::SystemUser => caller.waba_ids.iter().any(|w| w == waba_id),
            TokenKind::User => caller
                .user_id
                .as_deref()
                .and_then(|u| self.user(u))
                .is_some_and(|u| u.wabas.iter().any(|w| w == waba_id)),
            _ => false,
        }
    }

    /// The WABAs a token reaches.
    pub(super) fn wabas_of(&self, caller: &TokenInfo) -> Vec<String> {
        match caller.kind {
            TokenKind::SystemUser => caller.waba_ids.clone(),
            TokenKind::User => {
                caller.user_id.as_deref().and_then(|u| self.user(u)).map(|u| u.wabas.clone()).unwrap_or_default()
            }
            _ => Vec::new(),
        }
    }

    pub(super) fn wa_access(&mut self, caller: &TokenInfo, phone_id: &str, method: &Method) -> Result<Phone, Reply> {
        match self.phones.get(phone_id).cloned() {
            Some(p) if self.can_use_waba(caller, &p.waba_id) => Ok(p),
            _ => Err(self.unsupported(method, phone_id)),
        }
    }

    /// `GET|POST|DELETE /{waba-id}/subscribed_apps` (§1, WAO): POST subscribes the app →
    /// `{success:true}`; GET → `{data:[{whatsapp_business_api_data:{link, name, id}}]}`.
    pub(super) fn waba_subscribed_apps(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, waba_id: &str) -> R {
        if !self.can_use_waba(caller, waba_id) {
            let method = req.method.clone();
            return Err(self.unsupported(&method, waba_id));
        }
        self.meter(cx, caller, waba_id, "whatsapp_business_management", false)?;
        let subscribed = self.wabas.get(waba_id).is_some_and(|w| w.app_subscribed);
        match req.method.as_str() {
            "GET" => {
                let data = if subscribed {
                    json!([{ "whatsapp_business_api_data": {
                        "link": "https://cahts.example/",
                        "name": self.app.name,
                        "id": self.app.app_id,
                    }}])
                } else {
                    json!([])
                };
                Ok(Reply::ok(json!({ "data": data })))
            }
            "POST" | "DELETE" => {
                if let Some(w) = self.wabas.get_mut(waba_id) {
                    w.app_subscribed = req.method == Method::POST;
                }
                Ok(Reply::ok(json!({ "success": true })))
            }
            _ => Err(self.unsupported(&req.method.clone(), waba_id)),
        }
    }

    pub(super) fn pick(all: Map<String, Value>, fields: &[Field], id: &str) -> Value {
        let mut o = Map::new();
        for f in fields {
            if let Some(v) = all.get(&f.name) {
                o.insert(f.name.clone(), v.clone());
            }
        }
        o.insert("id".into(), id.into());
        Value::Object(o)
    }

    /// `GET /{waba-id}/message_templates?fields&limit&after&name&status&language` (WATPL,
    /// WAAP): `{data:[{name, components, language, status, category, id}], paging}`.
    pub(super) fn templates(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, waba_id: &str) -> R {
        if !self.can_use_waba(caller, waba_id) {
            return Err(self.unsupported(&Method::GET, waba_id));
        }
        self.meter(cx, caller, waba_id, "whatsapp_business_management", false)?;
        let fields = self.requested_fields(req, &["name", "components", "language", "status", "category"])?;
        let (name, status, language, category) = (req.p("name"), req.p("status"), req.p("language"), req.p("category"));
        let list: Vec<(String, Template)> = self
            .wabas
            .get(waba_id)
            .map(|w| w.templates.clone())
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, t)| {
                name.as_deref().is_none_or(|n| t.name.contains(n))
                    && status.as_deref().is_none_or(|s| s.eq_ignore_ascii_case(t.status.as_str()))
                    && language.as_deref().is_none_or(|l| l == t.language)
                    && category.as_deref().is_none_or(|c| c.eq_ignore_ascii_case(&t.category))
            })
            .collect();
        let ids: Vec<String> = list.iter().map(|(id, _)| id.clone()).collect();
        let Some((start, end)) =
            page_range(&ids, Sim::limit(req, None), req.p("after").as_deref(), req.p("before").as_deref())
        else {
            return Err(self.invalid_param("Invalid cursor"));
        };
        let data: Vec<Value> = list[start..end]
            .iter()
            .map(|(id, t)| {
                let mut all = Map::new();
                all.insert("name".into(), t.name.clone().into());
                all.insert("components".into(), t.components.clone());
                all.insert("language".into(), t.language.clone().into());
                all.insert("status".into(), t.status.as_str().into());
                all.insert("category".into(), t.category.clone().into());
                Sim::pick(all, &fields, id)
            })
            .collect();
        let mut out = Map::new();
        out.insert("data".into(), Value::Array(data));
        if let Some(paging) = self.paging(req, &format!("{waba_id}/message_templates"), &ids, start, end, &[]) {
            out.insert("paging".into(), paging);
        }
        Ok(Reply::ok(Value::Object(out)))
    }

    pub(super) fn phone_map(p: &Phone) -> Map<String, Value> {
        let mut all = Map::new();
        all.insert("verified_name".into(), p.verified_name.clone().into());
        all.insert("code_verification_status".into(), "VERIFIED".into());
        all.insert("display_phone_number".into(), p.display.clone().into());
        all.insert("quality_rating".into(), "GREEN".into());
        all.insert("platform_type".into(), "CLOUD_API".into());
        all.insert("throughput".into(), json!({ "level": "STANDARD" }));
        all.insert("name_status".into(), "APPROVED".into());
        all
    }

    /// `GET /{waba-id}/phone_numbers` (WAAP): `{data:[{verified_name,
    /// code_verification_status, display_phone_number, quality_rating, platform_type,
    /// throughput, id}], paging}`.
    pub(super) fn phone_numbers(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, waba_id: &str) -> R {
        if !self.can_use_waba(caller, waba_id) {
            return Err(self.unsupported(&Method::GET, waba_id));
        }
        self.meter(cx, caller, waba_id, "whatsapp_business_management", false)?;
        let fields = self.requested_fields(
            req,
            &[
                "verified_name",
                "code_verification_status",
                "display_phone_number",
                "quality_rating",
                "platform_type",
                "throughput",
            ],
        )?;
        let ids = self.wabas.get(waba_id).map(|w| w.phone_ids.clone()).unwrap_or_default();
        let Some((start, end)) =
            page_range(&ids, Sim::limit(req, None), req.p("after").as_deref(), req.p("before").as_deref())
        else {
            return Err(self.invalid_param("Invalid cursor"));
        };
        let data: Vec<Value> = ids[start..end]
            .iter()
            .filter_map(|id| self.phones.get(id))
            .map(|p| Sim::pick(Sim::phone_map(p), &fields, &p.id))
            .collect();
        let mut out = Map::new();
        out.insert("data".into(), Value::Array(data));
        if let Some(paging) = self.paging(req, &format!("{waba_id}/phone_numbers"), &ids, start, end, &[]) {
            out.insert("paging".into(), paging);
        }
        Ok(Reply::ok(Value::Object(out)))
    }

    pub(super) fn get_waba(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, waba_id: &str) -> R {
        self.meter(cx, caller, waba_id, "whatsapp_business_management", false)?;
        let w = self.wabas.get(waba_id).cloned().expect("exists");
        let fields = self.requested_fields(req, &["name"])?;
        let mut all = Map::new();
        all.insert("name".into(), w.name.into());
        all.insert("currency".into(), "USD".into());
        all.insert("timezone_id".into(), "1".into());
        all.insert(
            "message_template_namespace".into(),
            hex::encode(Sha256::digest(w.id.as_bytes()))[..32].to_owned().into(),
        );
        Ok(Reply::ok(Sim::pick(all, &fields, &w.id)))
    }

    pub(super) fn get_phone(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, phone_id: &str) -> R {
        let phone = self.wa_access(caller, phone_id, &Method::GET)?;
        self.meter(cx, caller, &phone.waba_id, "whatsapp_business_management", false)?;
        let fields = self.requested_fields(
            req,
            &[
                "verified_name",
                "code_verification_status",
                "display_phone_number",
                "quality_rating",
                "platform_type",
                "throughput",
            ],
        )?;
        Ok(Reply::ok(Sim::pick(Sim::phone_map(&phone), &fields, &phone.id)))
    }

    /// `POST /{phone-number-id}/messages` with `Authorization: Bearer` (§3.4, WAS, WAT,
    /// WATPL, WARX, WACR, WARD, WATY, WAE). Accepts `messaging_product:"whatsapp"`, `to`,
    /// `type` and its object: `text{body ≤ 4096}`, `template{name, language{code},
    /// components}`, `image|audio|video|document|sticker{id|link, caption?}`,
    /// `reaction{message_id, emoji}`, `interactive`, `location`, `contacts`; `context
    /// {message_id}` replies. Answers `{messaging_product, contacts:[{input, wa_id}],
    /// messages:[{id:"wamid.…"}]}` (templates add `message_status:"accepted"`). Mark read:
    /// `{status:"read", message_id, typing_indicator?}` → `{success:true}` (any `wamid.` is
    /// accepted: the sim holds no WhatsApp history, **guessed** leniency).
    ///
    /// Errors in the WhatsApp shape (no subcode, `error_data.details`): non-template outside
    /// the 24 h customer-service window → 131047; `to` in [`World::set_wa_undeliverable`] →
    /// 131026 (synchronously here; Meta may also report it in a status webhook); template
    /// unknown, not in that language or not APPROVED → 132001; BODY parameter count
    /// mismatch → 132000; missing parameters → 131008; invalid values → 100 / 131009
    /// (**guessed** details texts). HTTP 400 throughout.
    ///
    /// [`World::set_wa_undeliverable`]: super::World::set_wa_undeliverable
    pub(super) fn wa_send(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, phone_id: &str) -> R {
        let phone = self.wa_access(caller, phone_id, &Method::POST)?;
        self.meter(cx, caller, &phone.waba_id, "whatsapp_business_messaging", true)?;
        let body = req
            .json
            .clone()
            .unwrap_or_else(|| Value::Object(req.params.iter().map(|(k, v)| (k.clone(), v.clone())).collect()));
        if body.get("messaging_product").and_then(Value::as_str) != Some("whatsapp") {
            return Err(self.wa_invalid("The parameter messaging_product is required and must be \"whatsapp\"."));
        }
        if let Some(status) = body.get("status").and_then(Value::as_str) {
            return self.wa_mark_read(req, cx, &phone, &body, status);
        }
        let (to, wa_id) = self.wa_recipient(&body)?;
        let msg_type = body.get("type").and_then(Value::as_str).unwrap_or("text").to_owned();
        let payload = body.get(msg_type.as_str()).cloned().unwrap_or(Value::Null);
        let (kind, text) = self.wa_content(&phone.waba_id, &msg_type, &payload)?;
        // Templates are the one way to write outside the customer-service window (§5.1).
        if msg_type != "template" {
            self.wa_check_window(&phone.id, &wa_id)?;
        }
        let wamid = self.new_wamid(&wa_id, false);
        self.record(
            cx,
            req,
            NewSent {
                platform: Platform::WhatsApp,
                account_id: phone.id.clone(),
                recipient_id: wa_id.clone(),
                kind,
                message_type: msg_type.clone(),
                message_id: Some(wamid.clone()),
                text,
            },
        );
        let message = if msg_type == "template" {
            json!({ "id": wamid, "message_status": "accepted" })
        } else {
            json!({ "id": wamid })
        };
        Ok(Reply::ok(json!({
            "messaging_product": "whatsapp",
            "contacts": [{ "input": to, "wa_id": wa_id }],
            "messages": [message],
        })))
    }

    /// Mark as read, with the typing indicator when asked (WARD, WATY).
    fn wa_mark_read(&mut self, req: &Req, cx: &mut Cx, phone: &Phone, body: &Value, status: &str) -> R {
        if status != "read" {
            return Err(self.wa_invalid("Param status must be \"read\"."));
        }
        let Some(mid) = body.get("message_id").and_then(Value::as_str).map(str::to_owned) else {
            return Err(self.wa_missing("The parameter message_id is required."));
        };
        if !mid.starts_with("wamid.") {
            return Err(self.wa_not_valid("Invalid message_id."));
        }
        let typing = body.pointer("/typing_indicator/type").and_then(Value::as_str).map(str::to_owned);
        self.record(
            cx,
            req,
            NewSent {
                platform: Platform::WhatsApp,
                account_id: phone.id.clone(),
                recipient_id: String::new(),
                kind: SentKind::MarkRead,
                message_type: "read".into(),
                message_id: Some(mid),
                text: typing,
            },
        );
        Ok(Reply::ok(json!({ "success": true })))
    }

    /// `to` as given and as its digits (the `wa_id`), which must look like a phone number
    /// and not be one [`World::set_wa_undeliverable`] marked.
    ///
    /// [`World::set_wa_undeliverable`]: super::World::set_wa_undeliverable
    fn wa_recipient(&mut self, body: &Value) -> Result<(String, String), Reply> {
        let Some(to) = body.get("to").and_then(id_text) else {
            return Err(self.wa_missing("The parameter to is required."));
        };
        let wa_id: String = to.chars().filter(char::is_ascii_digit).collect();
        if wa_id.len() < 7 {
            return Err(self.wa_invalid("Param to must be a valid phone number."));
        }
        if self.undeliverable.contains(&wa_id) {
            return Err(self.waerr(
                400,
                131_026,
                "Message undeliverable",
                "Unable to deliver message. Reasons can include: the recipient phone number is not a WhatsApp phone number; the recipient has not accepted our new Terms of Service and Privacy Policy; the recipient is using an old WhatsApp version.",
            ));
        }
        Ok((to, wa_id))
    }

    /// Checks the object of `type` and returns what [`World::sent`] records for it: the kind,
    /// and the body, template name, caption or emoji as its text.
    ///
    /// [`World::sent`]: super::World::sent
    fn wa_content(
        &mut self,
        waba_id: &str,
        msg_type: &str,
        payload: &Value,
    ) -> Result<(SentKind, Option<String>), Reply> {
        match msg_type {
            "text" => Ok((SentKind::Message, Some(self.wa_text_body(payload)?))),
            "template" => Ok((SentKind::Message, Some(self.wa_template(waba_id, payload)?))),
            "image" | "audio" | "video" | "document" | "sticker" => {
                Ok((SentKind::Message, self.wa_media(msg_type, payload)?))
            }
            "reaction" => Ok((SentKind::Reaction, Some(self.wa_reaction(payload)?))),
            "interactive" | "location" | "contacts" => Ok((SentKind::Message, None)),
            other => Err(self.wa_invalid(&format!("Unsupported message type \"{other}\"."))),
        }
    }

    /// `text.body`: required, at most 4096 characters.
    fn wa_text_body(&mut self, payload: &Value) -> Result<String, Reply> {
        let Some(b) = payload.get("body").and_then(Value::as_str).filter(|b| !b.is_empty()) else {
            return Err(self.wa_missing("The parameter text['body'] is required."));
        };
        if b.chars().count() > 4096 {
            return Err(self.wa_invalid("Param text['body'] must be at most 4096 characters long."));
        }
        Ok(b.to_owned())
    }

    /// `template{name, language{code}, components}`: an APPROVED template of the WABA in
    /// that language, given as many BODY parameters as it has placeholders (WATPL). Returns
    /// its name.
    fn wa_template(&mut self, waba_id: &str, payload: &Value) -> Result<String, Reply> {
        let name = payload.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
        let code = payload.pointer("/language/code").and_then(Value::as_str).unwrap_or_default().to_owned();
        if name.is_empty() || code.is_empty() {
            return Err(
                self.wa_missing("The parameters template['name'] and template['language']['code'] are required.")
            );
        }
        let template = self.wabas.get(waba_id).and_then(|w| {
            w.templates
                .iter()
                .map(|(_, t)| t)
                .find(|t| t.name == name && t.language == code && t.status == TemplateStatus::Approved)
                .cloned()
        });
        let Some(template) = template else {
            return Err(self.waerr(
                400,
                132_001,
                "Template name does not exist in the translation",
                &format!("template name ({name}) does not exist in {code}"),
            ));
        };
        let given = body_param_count(payload);
        let expected = template.body_params();
        if given != expected {
            return Err(self.waerr(
                400,
                132_000,
                "Number of parameters does not match the expected number of params",
                &format!("body: number of localizable_params ({given}) does not match the expected number of params ({expected})"),
            ));
        }
        Ok(name)
    }

    /// Media by uploaded `id` (not deleted) or by `link`; returns the caption.
    fn wa_media(&mut self, msg_type: &str, payload: &Value) -> Result<Option<String>, Reply> {
        if let Some(id) = payload.get("id").and_then(Value::as_str) {
            if self.media.get(id).is_none_or(|m| m.info.deleted) {
                return Err(self.wa_not_valid(&format!("Invalid media id {id}.")));
            }
        } else if let Some(link) = payload.get("link").and_then(Value::as_str) {
            if !(link.starts_with("https://") || link.starts_with("http://")) {
                return Err(self.wa_not_valid("Param link must be a valid URL."));
            }
        } else {
            return Err(self.wa_missing(&format!("The parameter {msg_type}['id'] or {msg_type}['link'] is required.")));
        }
        Ok(payload.get("caption").and_then(Value::as_str).map(str::to_owned))
    }

    /// `reaction{message_id, emoji}` (WARX): returns the emoji.
    fn wa_reaction(&mut self, payload: &Value) -> Result<String, Reply> {
        if payload.get("message_id").and_then(Value::as_str).is_none() {
            return Err(self.wa_missing("The parameter reaction['message_id'] is required."));
        }
        Ok(payload.get("emoji").and_then(Value::as_str).unwrap_or_default().to_owned())
    }

    /// Free-form messages need the customer's last message within 24 h (§5.1) → 131047.
    fn wa_check_window(&mut self, phone_id: &str, wa_id: &str) -> Result<(), Reply> {
        let now = self.now();
        let last = self.wa_contacts.get(&(phone_id.to_owned(), wa_id.to_owned())).and_then(|c| c.last_inbound_ms);
        if last.is_none_or(|t| now - t > WINDOW_MS) {
            return Err(self.waerr(
                400,
                131_047,
                "Re-engagement message",
                "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
            ));
        }
        Ok(())
    }

    /// 100 "Invalid parameter" (WAE).
    fn wa_invalid(&mut self, details: &str) -> Reply {
        self.waerr(400, 100, "Invalid parameter", details)
    }

    /// 131008 "Required parameter is missing" (WAE).
    fn wa_missing(&mut self, details: &str) -> Reply {
        self.waerr(400, 131_008, "Required parameter is missing", details)
    }

    /// 131009 "Parameter value is not valid" (WAE).
    fn wa_not_valid(&mut self, details: &str) -> Reply {
        self.waerr(400, 131_009, "Parameter value is not valid", details)
    }
}

/// The parameters given to a template's BODY components.
fn body_param_count(payload: &Value) -> usize {
    payload
        .get("components")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|c| c.get("type").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case("body")))
        .map(|c| c.get("parameters").and_then(Value::as_array).map_or(0, Vec::len))
        .sum::<usize>()
}
