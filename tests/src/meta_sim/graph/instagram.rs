//! Instagram API with Instagram Login (§4 "IG Login OAuth", IGO): the authorize dialog and
//! the code exchange on `api.instagram.com` (IGLB), long-lived tokens and their refresh on
//! `graph.instagram.com` (IGAT, IGRT), and the Instagram professional account node, reached
//! through its linked Page or its own Instagram Login token (IGGS, IGLC, IGLM).

use serde_json::{Map, Value, json};

use super::request::{Cx, R, Reply, Req, with_query};
use super::{DAY_MS, IG_CODE_TTL_MS, IgTokenStyle, Sim, TokenInfo, TokenKind, TokenLife};

use super::LONG_LIVED_MS;

impl Sim {
    /// `GET /oauth/authorize` (Instagram, IGLB): approves at once; 302 to
    /// `redirect_uri?code=…&state=…#_` (the `#_` Instagram appends, which is not part of the
    /// code). Denied: `error=access_denied&error_reason=user_denied&error_description=…`.
    pub(super) fn ig_authorize(&mut self, req: &Req) -> R {
        let client_id = req.p("client_id").unwrap_or_default();
        let redirect_uri = req.p("redirect_uri").unwrap_or_default();
        if client_id != self.app.instagram_app_id {
            return Err(Reply::text(400, "Invalid platform app"));
        }
        if redirect_uri.is_empty() || !self.redirect_allowed(&redirect_uri) {
            return Err(Reply::text(400, "Invalid redirect_uri"));
        }
        let state = req.p("state");
        let mut pairs: Vec<(String, String)> = Vec::new();
        if self.faults.deny_login {
            pairs.push(("error".into(), "access_denied".into()));
            pairs.push(("error_reason".into(), "user_denied".into()));
            pairs.push(("error_description".into(), "Permissions error".into()));
            if let Some(s) = state {
                pairs.push(("state".into(), s));
            }
            return Ok(Reply::redirect(&format!("{}#_", with_query(&redirect_uri, &pairs).replace("%20", "+"))));
        }
        let ig = match self.login_instagram.clone().or_else(|| self.instagram.keys().next().cloned()) {
            Some(ig) => ig,
            None => self.add_instagram(None, "cahts.test", "CAHTS Test").id,
        };
        let scopes = req
            .p("scope")
            .unwrap_or_else(|| "instagram_business_basic,instagram_business_manage_messages".into())
            .split([',', ' '])
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let code = self.issue_code(&ig, &redirect_uri, scopes, true);
        pairs.push(("code".into(), code));
        if let Some(s) = state {
            pairs.push(("state".into(), s));
        }
        Ok(Reply::redirect(&format!("{}#_", with_query(&redirect_uri, &pairs))))
    }

    /// `POST /oauth/access_token` on api.instagram.com (IGLB): form `client_id` (Instagram
    /// app id), `client_secret`, `grant_type=authorization_code`, `redirect_uri`, `code` →
    /// a 1 h Instagram User token, the user id and the granted permissions, shaped per
    /// [`IgTokenStyle`]. Codes are single-use and live 1 h. Errors in api.instagram.com's
    /// flat shape `{error_type, code, error_message}` (**guessed** messages).
    pub(super) fn ig_code_exchange(&mut self, req: &Req) -> R {
        if req.p("client_id").as_deref() != Some(self.app.instagram_app_id.as_str()) {
            return Err(Sim::ig_api_error(400, "Invalid platform app"));
        }
        if req.p("client_secret").as_deref() != Some(self.app.instagram_app_secret.as_str()) {
            return Err(Sim::ig_api_error(400, "Error validating client secret."));
        }
        if req.p("grant_type").as_deref() != Some("authorization_code") {
            return Err(Sim::ig_api_error(400, "Invalid grant_type"));
        }
        let code = req.p("code").unwrap_or_default();
        let code = code.trim_end_matches("#_").to_owned();
        let Some(c) = self.codes.get(&code).filter(|c| c.instagram).cloned() else {
            return Err(Sim::ig_api_error(400, "Invalid authorization code"));
        };
        if c.used {
            return Err(Sim::ig_api_error(400, "This authorization code has been used"));
        }
        if self.now() - c.created_ms > IG_CODE_TTL_MS {
            return Err(Sim::ig_api_error(400, "This authorization code has expired"));
        }
        if req.p("redirect_uri").unwrap_or_default() != c.redirect_uri {
            return Err(Sim::ig_api_error(
                400,
                "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
            ));
        }
        if let Some(stored) = self.codes.get_mut(&code) {
            stored.used = true;
        }
        let token = self.issue_instagram_token(&c.user_id, TokenLife::ShortLived);
        if let Some(t) = self.tokens.get_mut(&token) {
            t.scopes = c.scopes.clone();
        }
        Ok(Reply::ok(match self.ig_token_style {
            IgTokenStyle::Documented => json!({ "data": [{
                "access_token": token,
                "user_id": c.user_id,
                "permissions": c.scopes.join(","),
            }]}),
            IgTokenStyle::Flat => json!({
                "access_token": token,
                "user_id": c.user_id.parse::<u64>().map(Value::from).unwrap_or(Value::String(c.user_id.clone())),
                "permissions": c.scopes,
            }),
        }))
    }

    /// `GET /access_token?grant_type=ig_exchange_token&client_secret&access_token` on
    /// graph.instagram.com (IGAT): short-lived → 60-day token `{access_token,
    /// token_type:"bearer", expires_in}`. The short token must be valid (190 otherwise).
    pub(super) fn ig_exchange(&mut self, req: &Req) -> R {
        if req.p("grant_type").as_deref() != Some("ig_exchange_token") {
            return Err(self.invalid_param("Invalid grant_type, expected ig_exchange_token"));
        }
        if req.p("client_secret").as_deref() != Some(self.app.instagram_app_secret.as_str()) {
            return Err(self.gerr(1, None, "Error validating client secret."));
        }
        let Some(short) = req.token() else {
            return Err(self.gerr(104, None, "An access token is required to request this resource."));
        };
        let info = self.check_token(&short)?;
        if info.kind != TokenKind::InstagramUser {
            return Err(self.gerr(190, None, "Invalid OAuth access token - Cannot parse access token"));
        }
        let ig = info.user_id.clone().unwrap_or_default();
        let token = self.issue_instagram_token(&ig, TokenLife::LongLived);
        if let Some(t) = self.tokens.get_mut(&token) {
            t.scopes = info.scopes.clone();
        }
        Ok(Reply::ok(json!({
            "access_token": token,
            "token_type": "bearer",
            "expires_in": LONG_LIVED_MS / 1000,
        })))
    }

    /// `GET /refresh_access_token?grant_type=ig_refresh_token&access_token` (IGRT): the
    /// long-lived token must be at least 24 h old and unexpired; the answer is a new token
    /// valid 60 days from now (the old one keeps its own expiry, **guessed**). Younger than
    /// 24 h or short-lived → code 100 (**guessed** code and text).
    pub(super) fn ig_refresh(&mut self, req: &Req) -> R {
        if req.p("grant_type").as_deref() != Some("ig_refresh_token") {
            return Err(self.invalid_param("Invalid grant_type, expected ig_refresh_token"));
        }
        let Some(old) = req.token() else {
            return Err(self.gerr(104, None, "An access token is required to request this resource."));
        };
        let info = self.check_token(&old)?;
        if info.kind != TokenKind::InstagramUser || !info.long_lived {
            return Err(self.invalid_param("Only long-lived Instagram User access tokens can be refreshed"));
        }
        if self.now() - info.issued_at_ms < DAY_MS {
            return Err(self.invalid_param("The access token must be at least 24 hours old to be refreshed"));
        }
        let ig = info.user_id.clone().unwrap_or_default();
        let token = self.issue_instagram_token(&ig, TokenLife::LongLived);
        if let Some(t) = self.tokens.get_mut(&token) {
            t.scopes = info.scopes.clone();
        }
        Ok(Reply::ok(json!({
            "access_token": token,
            "token_type": "bearer",
            "expires_in": LONG_LIVED_MS / 1000,
        })))
    }

    /// `api.instagram.com`'s own error shape: `{"error_type","code","error_message"}`
    /// (**guessed** from public samples; the engine's client reads it too).
    pub(super) fn ig_api_error(status: u16, message: &str) -> Reply {
        Reply::json(status, &json!({ "error_type": "OAuthException", "code": status, "error_message": message }))
    }

    /// Page token of the linked Page, or the account's own Instagram Login token.
    pub(super) fn can_use_instagram(&self, caller: &TokenInfo, ig_id: &str) -> bool {
        match caller.kind {
            TokenKind::InstagramUser => caller.user_id.as_deref() == Some(ig_id),
            TokenKind::Page | TokenKind::User => self
                .instagram
                .get(ig_id)
                .and_then(|i| i.page_id.as_deref())
                .is_some_and(|p| self.can_use_page(caller, p)),
            _ => false,
        }
    }

    /// `GET /{ig-id}?fields=username,name,…`.
    pub(super) fn get_instagram(&mut self, req: &Req, cx: &mut Cx, caller: &TokenInfo, ig_id: &str) -> R {
        self.meter(cx, caller, ig_id, "instagram", false)?;
        let ig = self.instagram.get(ig_id).cloned().expect("exists");
        let fields = self.requested_fields(req, &["id"])?;
        let mut o = Map::new();
        for f in &fields {
            match f.name.as_str() {
                "username" => {
                    o.insert("username".into(), ig.username.clone().into());
                }
                "name" => {
                    o.insert("name".into(), ig.name.clone().into());
                }
                "user_id" => {
                    o.insert("user_id".into(), ig.id.clone().into());
                }
                "profile_picture_url" => {
                    o.insert("profile_picture_url".into(), format!("{}/cdn/{}.jpg", self.base_url, ig.id).into());
                }
                _ => {}
            }
        }
        o.insert("id".into(), ig.id.into());
        Ok(Reply::ok(Value::Object(o)))
    }
}
