//! Requests and replies as Graph takes and gives them: an optional `vNN.N` version segment
//! (§3.5), parameters from the query, a form body or a JSON body (the Send API takes either,
//! MSAPI), the token from `Authorization: Bearer|OAuth …` or `access_token` (GERR, WAM),
//! `multipart/form-data` uploads (MATT, WAM; RFC 7578), and answers as compact JSON with
//! non-ASCII escaped the way Meta writes it (§1 "Escaped unicode").

use std::collections::BTreeMap;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde_json::Value;

use super::LATEST_VERSION;
use crate::meta_sim::{MetaFormatter, to_json_with};

pub(super) struct Req {
    pub(super) method: Method,
    /// The path as requested.
    pub(super) path: String,
    pub(super) version: Option<String>,
    /// Path segments after the version, percent-decoded.
    pub(super) segs: Vec<String>,
    pub(super) query: Vec<(String, String)>,
    /// Query, form fields and top-level JSON body members (later ones win).
    pub(super) params: BTreeMap<String, Value>,
    /// The JSON body, when it was JSON.
    pub(super) json: Option<Value>,
    pub(super) headers: HeaderMap,
    pub(super) body: Bytes,
}

impl Req {
    pub(super) fn new(method: Method, uri: &Uri, headers: HeaderMap, body: Bytes) -> Req {
        let path = uri.path().to_owned();
        let mut segs: Vec<String> = path.split('/').filter(|s| !s.is_empty()).map(percent_decode).collect();
        let version = match segs.first() {
            Some(first) if is_version(first) => Some(segs.remove(0)),
            _ => None,
        };
        let query = uri.query().map(parse_urlencoded).unwrap_or_default();
        let mut params: BTreeMap<String, Value> =
            query.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        let content_type =
            headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_ascii_lowercase();
        let mut json = None;
        if content_type.starts_with("application/x-www-form-urlencoded") {
            for (k, v) in parse_urlencoded(&String::from_utf8_lossy(&body)) {
                params.insert(k, Value::String(v));
            }
        } else if !body.is_empty() && !content_type.starts_with("multipart/") {
            if let Ok(value) = serde_json::from_slice::<Value>(&body) {
                if let Value::Object(map) = &value {
                    for (k, v) in map {
                        params.insert(k.clone(), v.clone());
                    }
                }
                json = Some(value);
            }
        }
        Req { method, path, version, segs, query, params, json, headers, body }
    }

    /// The path without its version, for fault patterns: `/123/messages`.
    pub(super) fn bare_path(&self) -> String {
        format!("/{}", self.segs.join("/"))
    }

    /// A parameter as text.
    pub(super) fn p(&self, key: &str) -> Option<String> {
        match self.params.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    }

    /// A parameter as JSON: objects as they are, strings parsed (form-encoded Send API
    /// calls carry `recipient={"id":"…"}`).
    pub(super) fn pj(&self, key: &str) -> Option<Value> {
        match self.params.get(key)? {
            Value::String(s) => serde_json::from_str(s).ok().or(Some(Value::String(s.clone()))),
            Value::Null => None,
            other => Some(other.clone()),
        }
    }

    /// `Authorization: Bearer|OAuth <token>`, else `access_token`.
    pub(super) fn token(&self) -> Option<String> {
        if let Some(auth) = self.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
            let auth = auth.trim();
            for scheme in ["Bearer ", "bearer ", "OAuth ", "oauth "] {
                if let Some(t) = auth.strip_prefix(scheme) {
                    return Some(t.trim().to_owned());
                }
            }
        }
        self.p("access_token").filter(|t| !t.is_empty())
    }

    pub(super) fn version_or_latest(&self) -> &str {
        self.version.as_deref().unwrap_or(LATEST_VERSION)
    }

    pub(super) fn content_type(&self) -> String {
        self.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    }
}

pub(super) fn is_version(seg: &str) -> bool {
    let Some(rest) = seg.strip_prefix('v') else {
        return false;
    };
    let Some((major, minor)) = rest.split_once('.') else {
        return false;
    };
    !major.is_empty()
        && !minor.is_empty()
        && major.bytes().all(|b| b.is_ascii_digit())
        && minor.bytes().all(|b| b.is_ascii_digit())
}

#[derive(Debug)]
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) content_type: String,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
}

pub(super) type R = Result<Reply, Reply>;

impl Reply {
    /// JSON as Graph writes it: compact, non-ASCII and `/` escaped (public Graph samples
    /// show `https:\/\/…`; **guessed** that every answer does it).
    pub(super) fn json(status: u16, value: &Value) -> Reply {
        Reply {
            status,
            content_type: "application/json; charset=UTF-8".into(),
            headers: Vec::new(),
            body: to_json_with(value, MetaFormatter { escape_slash: true }),
        }
    }

    pub(super) fn ok(value: Value) -> Reply {
        Reply::json(200, &value)
    }

    pub(super) fn redirect(location: &str) -> Reply {
        Reply {
            status: 302,
            content_type: "text/html; charset=utf-8".into(),
            headers: vec![("location".into(), location.to_owned())],
            body: Vec::new(),
        }
    }

    pub(super) fn bytes(content_type: &str, body: Vec<u8>) -> Reply {
        Reply { status: 200, content_type: content_type.to_owned(), headers: Vec::new(), body }
    }

    pub(super) fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8".into(),
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    pub(super) fn header(mut self, name: &str, value: String) -> Reply {
        self.headers.push((name.to_owned(), value));
        self
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        let headers = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&self.content_type) {
            headers.insert(header::CONTENT_TYPE, v);
        }
        for (name, value) in self.headers {
            if let (Ok(n), Ok(v)) = (header::HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value)) {
                headers.append(n, v);
            }
        }
        response
    }
}

/// Per-request context: headers every answer carries (usage) and the drop flag.
pub(super) struct Cx {
    pub(super) headers: Vec<(String, String)>,
    pub(super) drop_after: bool,
}

/// What [`percent_encode`] leaves as it is: RFC 3986's unreserved characters
/// (`A-Z a-z 0-9 - _ . ~`). Everything else becomes `%XX` (a space `%20`).
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// A path segment, percent-decoded (`+` stays a plus; invalid UTF-8 becomes U+FFFD).
pub(super) fn percent_decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// The pairs of a query string or an `application/x-www-form-urlencoded` body, in order
/// (`+` is a space, a name without `=` has an empty value).
pub(super) fn parse_urlencoded(s: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(s.as_bytes()).into_owned().collect()
}

pub(super) fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED).to_string()
}

pub(super) fn encode_query(pairs: &[(String, String)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v))).collect::<Vec<_>>().join("&")
}

/// `url` with `pairs` appended to its query (before any `#fragment`).
pub(super) fn with_query(url: &str, pairs: &[(String, String)]) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{}", encode_query(pairs))
}

/// One part of a `multipart/form-data` body.
pub(super) struct Part {
    pub(super) name: String,
    pub(super) content_type: Option<String>,
    pub(super) data: Vec<u8>,
}

/// The parts of a `multipart/form-data` body (RFC 7578), or `None` when it is not one.
/// Parsed by `multer` (the parser behind axum's multipart extractor). The whole body is
/// already in memory, so every step is ready at once and the parse runs to its end on the
/// first poll; were it ever to wait, the body is treated as malformed rather than blocking
/// the world's lock.
pub(super) fn parse_multipart(content_type: &str, body: &[u8]) -> Option<Vec<Part>> {
    use futures_util::FutureExt as _;
    let boundary = multer::parse_boundary(content_type).ok()?;
    let chunk: Vec<u8> = body.to_vec();
    let stream = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(chunk) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let parse = async move {
        let mut parts = Vec::new();
        while let Some(field) = multipart.next_field().await.ok()? {
            let name = field.name().unwrap_or_default().to_owned();
            let content_type = field.content_type().map(|m| m.to_string());
            let data = field.bytes().await.ok()?.to_vec();
            parts.push(Part { name, content_type, data });
        }
        Some(parts)
    };
    parse.now_or_never().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_that_is_not_multipart_is_refused() {
        assert!(parse_multipart("multipart/form-data", b"--XyZ\r\n").is_none(), "no boundary");
        assert!(parse_multipart("multipart/form-data; boundary=XyZ", b"no delimiter at all").is_none());
        let unterminated = b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nnever closed";
        assert!(parse_multipart("multipart/form-data; boundary=XyZ", unterminated).is_none());
    }

    #[test]
    fn multipart_bodies_split_into_parts() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x00\r\n--XyZ--\r\n";
        let parts = parse_multipart("multipart/form-data; boundary=XyZ", body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "messaging_product");
        assert_eq!(parts[0].data, b"whatsapp");
        assert_eq!(parts[1].name, "file");
        assert_eq!(parts[1].content_type.as_deref(), Some("image/png"));
        assert_eq!(parts[1].data, b"\x89PNG\r\n\x00");
    }
}
