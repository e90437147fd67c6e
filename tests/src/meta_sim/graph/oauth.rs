//! Facebook Login and tokens (§4): the login dialog (FLM), `/oauth/access_token` for the
//! code exchange, long-lived user and system-user tokens and the app token (FLM, FLLL,
//! SYSU), `debug_token` (FLDBG), and the token check every Graph call goes through (§5.2
//! code 190 and its subcodes, GERR, R4).

use serde_json::{Map, Value, json};

use super::format::pacific;
use super::request::{R, Reply, Req, encode_query, with_query};
use super::{
    DATA_ACCESS_MS, FB_CODE_TTL_MS, LONG_LIVED_MS, SHORT_LIVED_MS, Sim, TokenInfo, TokenKind, TokenLife, TokenStatus,
};

impl Sim {
    pub(super) fn app_token_info(&self) -> TokenInfo {
        TokenInfo {
            token: self.app.app_token(),
            kind: TokenKind::App,
            app_id: self.app.app_id.clone(),
            user_id: None,
            page_id: None,
            scopes: Vec::new(),
            waba_ids: Vec::new(),
            issued_at_ms: 0,
            expires_at_ms: None,
            long_lived: true,
            status: TokenStatus::Valid,
            calls_left: None,
        }
    }

    pub(super) fn authenticate(&mut self, req: &Req) -> Result<TokenInfo, Reply> {
        let Some(token) = req.token() else {
            return Err(self.gerr(104, None, "An access token is required to request this resource."));
        };
        self.check_token(&token)
    }

    /// Token checks of every call (§5.2, code 190): unknown → 190 (no subcode, "Cannot
    /// parse access token"); expired → 463; password changed → 460; revoked / logged out →
    /// 467; app removed → 458.
    pub(super) fn check_token(&mut self, token: &str) -> Result<TokenInfo, Reply> {
        if token == self.app.app_token() {
            return Ok(self.app_token_info());
        }
        let now = self.now();
        let Some(t) = self.tokens.get_mut(token) else {
            return Err(self.gerr(190, None, "Invalid OAuth access token - Cannot parse access token"));
        };
        if let Some(left) = t.calls_left {
            if left == 0 {
                t.status = TokenStatus::Expired;
                t.expires_at_ms = Some(now);
                t.calls_left = None;
            } else {
                t.calls_left = Some(left - 1);
            }
        }
        let info = t.clone();
        let expired = info.status == TokenStatus::Expired || info.expires_at_ms.is_some_and(|e| e <= now);
        match info.status {
            TokenStatus::PasswordChanged => Err(self.gerr(
                190,
                Some(460),
                "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.",
            )),
            TokenStatus::Revoked => Err(self.gerr(
                190,
                Some(467),
                "Error validating access token: The session is invalid because the user logged out.",
            )),
            TokenStatus::AppRemoved => {
                let message = format!(
                    "Error validating access token: User {} has not authorized application {}.",
                    info.user_id.as_deref().unwrap_or_default(),
                    info.app_id
                );
                Err(self.gerr(190, Some(458), &message))
            }
            _ if expired => {
                let at = info.expires_at_ms.unwrap_or(now);
                let message = format!(
                    "Error validating access token: Session has expired on {}. The current time is {}.",
                    pacific(at),
                    pacific(now)
                );
                Err(self.gerr(190, Some(463), &message))
            }
            _ => Ok(info),
        }
    }

    pub(super) fn redirect_allowed(&self, uri: &str) -> bool {
        self.redirect_uris.is_empty() || self.redirect_uris.iter().any(|u| u == uri)
    }

    /// `GET /{ver}/dialog/oauth` (FLM): the person approves at once; 302 to
    /// `redirect_uri?code=…&state=…#_=_` (`response_type=code`, the `#_=_` fragment Facebook
    /// appends) or `redirect_uri#access_token=…&data_access_expiration_time=…&expires_in=…&state=…`
    /// (`response_type=token`, the desktop web-view flow). [`Faults::deny_login`]: redirect
    /// with `error=access_denied&error_code=200&error_description=Permissions+error&error_reason=user_denied`.
    /// A wrong `client_id` or an unregistered `redirect_uri` gets an error page (HTTP 400,
    /// **guessed** text) as the real dialog shows one instead of redirecting.
    ///
    /// [`Faults::deny_login`]: super::Faults::deny_login
    pub(super) fn fb_dialog(&mut self, req: &Req) -> R {
        let client_id = req.p("client_id").unwrap_or_default();
        let redirect_uri = req.p("redirect_uri").unwrap_or_default();
        if client_id != self.app.app_id {
            return Err(Reply::text(400, "Invalid App ID: The provided app ID does not look like a valid app ID."));
        }
        if redirect_uri.is_empty() || !self.redirect_allowed(&redirect_uri) {
            return Err(Reply::text(
                400,
                "URL blocked: This redirect failed because the redirect URI is not whitelisted in the app's Client OAuth Settings.",
            ));
        }
        let state = req.p("state");
        let mut pairs: Vec<(String, String)> = Vec::new();
        if self.faults.deny_login {
            pairs.push(("error".into(), "access_denied".into()));
            pairs.push(("error_code".into(), "200".into()));
            pairs.push(("error_description".into(), "Permissions error".into()));
            pairs.push(("error_reason".into(), "user_denied".into()));
            if let Some(s) = state {
                pairs.push(("state".into(), s));
            }
            return Ok(Reply::redirect(&format!("{}#_=_", with_query(&redirect_uri, &pairs).replace("%20", "+"))));
        }
        let scopes: Vec<String> =
            req.p("scope").unwrap_or_default().split([',', ' ']).filter(|s| !s.is_empty()).map(str::to_owned).collect();
        let user = match self.login_user.clone() {
            Some(u) => u,
            None => self.primary_user(),
        };
        let response_type = req.p("response_type").unwrap_or_else(|| "code".into());
        if response_type.split([' ', ',']).any(|t| t == "token") && !response_type.contains("code") {
            let token = self.issue_user_token(&user, TokenLife::ShortLived, scopes);
            let now = self.now();
            pairs.push(("access_token".into(), token));
            pairs.push(("data_access_expiration_time".into(), ((now + DATA_ACCESS_MS) / 1000).to_string()));
            pairs.push(("expires_in".into(), (SHORT_LIVED_MS / 1000).to_string()));
            if let Some(s) = state {
                pairs.push(("state".into(), s));
            }
            return Ok(Reply::redirect(&format!("{redirect_uri}#{}", encode_query(&pairs))));
        }
        let code = self.issue_code(&user, &redirect_uri, scopes, false);
        pairs.push(("code".into(), code));
        if let Some(s) = state {
            pairs.push(("state".into(), s));
        }
        Ok(Reply::redirect(&format!("{}#_=_", with_query(&redirect_uri, &pairs))))
    }

    pub(super) fn check_app_secret(&mut self, req: &Req) -> Result<(), Reply> {
        let Some(client_id) = req.p("client_id") else {
            return Err(self.gerr(101, None, "Missing client_id parameter."));
        };
        if client_id != self.app.app_id {
            return Err(self.gerr(101, None, "Error validating application. Invalid application ID."));
        }
        if req.p("client_secret").as_deref() != Some(self.app.app_secret.as_str()) {
            return Err(self.gerr(1, None, "Error validating client secret."));
        }
        Ok(())
    }

    /// `GET /{ver}/oauth/access_token` (FLM, FLLL):
    /// - `client_id, redirect_uri, client_secret, code` → `{access_token, token_type:"bearer",
    ///   expires_in}` (a short-lived user token). The code is single-use (100/36009 on
    ///   reuse), expires (100/36007, lifetime **guessed** 10 min), and `redirect_uri` must be
    ///   identical to the dialog's (100/36008).
    /// - `grant_type=fb_exchange_token` → long-lived token, `expires_in` 5 183 944 (§4).
    ///   Expired or invalid tokens cannot be exchanged (190). A system-user token with the
    ///   60-day option is refreshed the same way (SYSU).
    /// - `grant_type=client_credentials` → the app token `{app-id}|{app-secret}`.
    pub(super) fn fb_access_token(&mut self, req: &Req) -> R {
        self.check_app_secret(req)?;
        let now = self.now();
        match req.p("grant_type").as_deref() {
            Some("fb_exchange_token") => {
                let Some(short) = req.p("fb_exchange_token") else {
                    return Err(self.gerr(100, None, "Missing parameter fb_exchange_token"));
                };
                let info = self.check_token(&short)?;
                let token = match info.kind {
                    TokenKind::User => {
                        let user = info.user_id.clone().unwrap_or_default();
                        self.issue_user_token(&user, TokenLife::LongLived, info.scopes.clone())
                    }
                    TokenKind::SystemUser => {
                        let mut renewed = info.clone();
                        renewed.token = self.new_token("EAAG");
                        renewed.issued_at_ms = now;
                        renewed.expires_at_ms = Some(now + LONG_LIVED_MS);
                        renewed.long_lived = true;
                        self.tokens.insert(renewed.token.clone(), renewed.clone());
                        renewed.token
                    }
                    _ => {
                        return Err(self.gerr(100, None, "(#100) The access token could not be exchanged"));
                    }
                };
                Ok(Reply::ok(json!({
                    "access_token": token,
                    "token_type": "bearer",
                    "expires_in": LONG_LIVED_MS / 1000,
                })))
            }
            Some("client_credentials") => Ok(Reply::ok(json!({
                "access_token": self.app.app_token(),
                "token_type": "bearer",
            }))),
            _ => {
                let Some(code) = req.p("code") else {
                    return Err(self.gerr(100, None, "Missing authorization code"));
                };
                let redirect_uri = req.p("redirect_uri").unwrap_or_default();
                let Some(c) = self.codes.get(&code).filter(|c| !c.instagram).cloned() else {
                    return Err(self.gerr(100, None, "Invalid verification code format."));
                };
                if c.used {
                    return Err(self.gerr(100, Some(36009), "This authorization code has been used."));
                }
                if now - c.created_ms > FB_CODE_TTL_MS {
                    return Err(self.gerr(100, Some(36007), "This authorization code has expired."));
                }
                if c.redirect_uri != redirect_uri {
                    return Err(self.gerr(
                        100,
                        Some(36008),
                        "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
                    ));
                }
                if let Some(stored) = self.codes.get_mut(&code) {
                    stored.used = true;
                }
                let token = self.issue_user_token(&c.user_id, TokenLife::ShortLived, c.scopes);
                Ok(Reply::ok(json!({
                    "access_token": token,
                    "token_type": "bearer",
                    "expires_in": SHORT_LIVED_MS / 1000,
                })))
            }
        }
    }

    /// `GET /debug_token?input_token&access_token` (FLDBG): `data{app_id, type, application,
    /// data_access_expires_at, expires_at (0 = never), is_valid, issued_at, scopes,
    /// granular_scopes[{scope, target_ids?}], user_id, profile_id (Page tokens)}`. A dead
    /// input token answers 200 with `is_valid:false` and `data.error{code, message, subcode}`
    /// (documented shape; **guessed** that an unknown token has no `app_id`). The caller's
    /// own token must be the app token or a valid token of the same app (developer tokens
    /// are not modelled: any valid user token of the app is accepted, **guessed**).
    pub(super) fn debug_token(&mut self, req: &Req) -> R {
        let caller = self.authenticate(req)?;
        if caller.app_id != self.app.app_id && caller.app_id != self.app.instagram_app_id {
            return Err(self.gerr(100, None, "(#100) You must provide an app access token, or a user access token that is an owner or developer of the app"));
        }
        let Some(input) = req.p("input_token") else {
            return Err(self.gerr(100, None, "(#100) The parameter input_token is required"));
        };
        let now = self.now();
        let Some(info) =
            self.tokens.get(&input).cloned().or_else(|| (input == self.app.app_token()).then(|| self.app_token_info()))
        else {
            return Ok(Reply::ok(json!({ "data": {
                "error": { "code": 190, "message": "Invalid OAuth access token - Cannot parse access token" },
                "is_valid": false,
                "scopes": [],
            }})));
        };
        Ok(Reply::ok(json!({ "data": self.debug_token_data(&info, now) })))
    }

    /// The `data` object for a token the sim knows (valid or dead).
    fn debug_token_data(&self, info: &TokenInfo, now: i64) -> Map<String, Value> {
        let mut d = Map::new();
        d.insert("app_id".into(), info.app_id.clone().into());
        d.insert("type".into(), debug_token_type(info.kind).into());
        d.insert("application".into(), self.app.name.clone().into());
        if info.kind != TokenKind::App {
            d.insert("data_access_expires_at".into(), ((info.issued_at_ms + DATA_ACCESS_MS) / 1000).into());
            d.insert("expires_at".into(), info.expires_at_ms.map_or(0, |e| e / 1000).into());
            d.insert("issued_at".into(), (info.issued_at_ms / 1000).into());
        }
        let dead = dead_token_reason(info, now);
        if let Some((subcode, message)) = dead {
            d.insert(
                "error".into(),
                json!({ "code": 190, "message": format!("Error validating access token: {message}"), "subcode": subcode }),
            );
        }
        d.insert("is_valid".into(), dead.is_none().into());
        d.insert("scopes".into(), json!(info.scopes));
        d.insert("granular_scopes".into(), Value::Array(self.granular_scopes(info)));
        if let Some(u) = &info.user_id {
            d.insert("user_id".into(), u.clone().into());
        }
        if let Some(p) = &info.page_id {
            d.insert("profile_id".into(), p.clone().into());
        }
        d
    }

    /// `granular_scopes[{scope, target_ids?}]`: one per scope, with the assets it covers.
    fn granular_scopes(&self, info: &TokenInfo) -> Vec<Value> {
        info.scopes
            .iter()
            .map(|s| match self.scope_targets(info, s) {
                Some(t) => json!({ "scope": s, "target_ids": t }),
                None => json!({ "scope": s }),
            })
            .collect()
    }

    /// The ids a scope is granted on: Pages for `pages_*`, the Pages' Instagram accounts for
    /// `instagram_*` (not on Instagram-login tokens), WABAs for `whatsapp_*`; `None` for
    /// scopes without targets.
    fn scope_targets(&self, info: &TokenInfo, scope: &str) -> Option<Vec<String>> {
        if scope.starts_with("pages_") {
            Some(match info.kind {
                TokenKind::Page => info.page_id.iter().cloned().collect(),
                _ => self.user_pages(info),
            })
        } else if scope.starts_with("instagram_") && info.kind != TokenKind::InstagramUser {
            let pages = self.user_pages(info);
            Some(pages.iter().filter_map(|p| self.pages.get(p).and_then(|p| p.instagram_id.clone())).collect())
        } else if scope.starts_with("whatsapp_") {
            Some(self.wabas_of(info))
        } else {
            None
        }
    }

    /// The Pages of the token's user, if it has one.
    fn user_pages(&self, info: &TokenInfo) -> Vec<String> {
        info.user_id.as_deref().and_then(|u| self.user(u)).map(|u| u.pages.clone()).unwrap_or_default()
    }
}

/// `debug_token`'s `type` for a kind of token.
fn debug_token_type(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::App => "APP",
        TokenKind::Page => "PAGE",
        TokenKind::SystemUser => "SYSTEM_USER",
        TokenKind::InstagramUser => "USER",
        TokenKind::User => "USER",
    }
}

/// Why `debug_token` reports a token invalid: its `error.subcode` and message (§5.2 code
/// 190 subcodes), or `None` while it is valid.
fn dead_token_reason(info: &TokenInfo, now: i64) -> Option<(i64, &'static str)> {
    match info.status {
        TokenStatus::Valid if info.expires_at_ms.is_some_and(|e| e <= now) => Some((463, "Session has expired")),
        TokenStatus::Valid => None,
        TokenStatus::Expired => Some((463, "Session has expired")),
        TokenStatus::PasswordChanged => Some((
            460,
            "The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.",
        )),
        TokenStatus::Revoked => Some((467, "The session is invalid because the user logged out.")),
        TokenStatus::AppRemoved => Some((458, "The user has not authorized the application.")),
    }
}
