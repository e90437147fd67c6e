//! Error JSON (§5.2): Graph's `{"error":{message, type, code, error_subcode, is_transient,
//! fbtrace_id}}` with `WWW-Authenticate` on code 190 (GERR, R4), the "does not exist /
//! missing permissions" 100/33 and the Page-token-required 210 (GERR, MERR), and the
//! WhatsApp Cloud API shape with `error_data.details` and no subcode (WAE).

use axum::http::Method;
use serde_json::{Map, json};

use super::Sim;
use super::request::Reply;

impl Sim {
    /// Graph error JSON (§5.2): `{"error":{message, type, code, error_subcode?, is_transient?,
    /// fbtrace_id}}`.
    pub(super) fn gerr_full(
        &mut self,
        status: u16,
        code: i64,
        subcode: Option<i64>,
        message: &str,
        transient: bool,
    ) -> Reply {
        let mut e = Map::new();
        e.insert("message".into(), message.into());
        let kind = if code == 100 && subcode == Some(33) { "GraphMethodException" } else { "OAuthException" };
        e.insert("type".into(), kind.into());
        e.insert("code".into(), code.into());
        if let Some(s) = subcode {
            e.insert("error_subcode".into(), s.into());
        }
        if transient {
            e.insert("is_transient".into(), true.into());
        }
        e.insert("fbtrace_id".into(), self.trace_id().into());
        let reply = Reply::json(status, &json!({ "error": e }));
        if code == 190 {
            let value: String = message.chars().filter(|c| c.is_ascii() && *c != '"').collect();
            reply.header("www-authenticate", format!("OAuth \"Facebook Platform\" \"invalid_token\" \"{value}\""))
        } else {
            reply
        }
    }

    pub(super) fn gerr(&mut self, code: i64, subcode: Option<i64>, message: &str) -> Reply {
        self.gerr_full(400, code, subcode, message, false)
    }

    /// WhatsApp Cloud API error JSON (§5.2, WAE): no `error_subcode` (v16+),
    /// `error_data{messaging_product, details}`; `message` is `(#code) title`.
    pub(super) fn waerr(&mut self, status: u16, code: i64, title: &str, details: &str) -> Reply {
        let trace = self.trace_id();
        Reply::json(
            status,
            &json!({ "error": {
                "message": format!("(#{code}) {title}"),
                "type": "OAuthException",
                "code": code,
                "error_data": { "messaging_product": "whatsapp", "details": details },
                "fbtrace_id": trace,
            }}),
        )
    }

    /// Graph's answer for ids that do not exist or are not visible to the token (100/33).
    pub(super) fn unsupported(&mut self, method: &Method, id: &str) -> Reply {
        let verb = method.as_str().to_ascii_lowercase();
        self.gerr(
            100,
            Some(33),
            &format!(
                "Unsupported {verb} request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
            ),
        )
    }

    pub(super) fn need_page_token(&mut self) -> Reply {
        self.gerr(210, None, "(#210) A page access token is required to request this resource.")
    }

    pub(super) fn invalid_param(&mut self, message: &str) -> Reply {
        self.gerr(100, None, &format!("(#100) {message}"))
    }
}
