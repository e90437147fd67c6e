//! What a send looks like on the wire: the request bodies of Meta's send APIs, and the
//! uploads a file needs first.

use super::*;
use crate::store::sends;

/// The request body of a message send (META-API.md §3.3 Messenger/Instagram, §3.4
/// WhatsApp), uploading its file first when it has one and was not uploaded yet.
pub(super) async fn build_message(
    store: &Store,
    graph: &GraphClient,
    host: Host,
    pending: &PendingSend,
    token: &Secret<String>,
) -> std::result::Result<Value, GraphError> {
    let reply_to = pending.payload.get("replyTo").and_then(Value::as_str);
    if pending.platform == Platform::Whatsapp {
        let mut body = json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": pending.recipient,
            "biz_opaque_callback_data": tag(&pending.client_id),
        });
        match pending.kind.as_str() {
            "media" => {
                let media_id = match pending.payload.get("uploadedId").and_then(Value::as_str) {
                    Some(id) => id.to_string(),
                    None => upload(store, graph, host, pending, token).await?,
                };
                let file = &pending.payload["file"];
                let kind = match file["kind"].as_str().unwrap_or("file") {
                    "image" => "image",
                    "video" => "video",
                    "audio" => "audio",
                    _ => "document",
                };
                let mut media = json!({ "id": media_id });
                if !pending.text.is_empty() && kind != "audio" {
                    media["caption"] = json!(pending.text);
                }
                if kind == "document" {
                    media["filename"] = file["filename"].clone();
                }
                body["type"] = json!(kind);
                body[kind] = media;
            }
            "template" => {
                let t = &pending.payload["template"];
                let parameters: Vec<Value> = t["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| json!({ "type": "text", "text": p }))
                    .collect();
                let mut template = json!({ "name": t["name"], "language": { "code": t["language"] } });
                if !parameters.is_empty() {
                    template["components"] = json!([{ "type": "body", "parameters": parameters }]);
                }
                body["type"] = json!("template");
                body["template"] = template;
            }
            _ => {
                body["type"] = json!("text");
                body["text"] = json!({ "body": pending.text, "preview_url": false });
            }
        }
        if let Some(reply) = reply_to {
            body["context"] = json!({ "message_id": reply });
        }
        return Ok(body);
    }
    let message = match pending.kind.as_str() {
        "media" => {
            let attachment_id = match pending.payload.get("uploadedId").and_then(Value::as_str) {
                Some(id) => id.to_string(),
                None => upload(store, graph, host, pending, token).await?,
            };
            let kind = messenger_attachment_type(pending.payload["file"]["kind"].as_str().unwrap_or("file"));
            json!({ "attachment": { "type": kind, "payload": { "attachment_id": attachment_id } }, "metadata": tag(&pending.client_id) })
        }
        _ => json!({ "text": pending.text, "metadata": tag(&pending.client_id) }),
    };
    let mut body = json!({
        "recipient": { "id": pending.recipient },
        "messaging_type": pending.payload.get("messagingType").and_then(Value::as_str).unwrap_or("RESPONSE"),
        "message": message,
    });
    if let Some(t) = pending.payload.get("tag").and_then(Value::as_str) {
        body["tag"] = json!(t);
    }
    if let Some(reply) = reply_to {
        body["reply_to"] = json!({ "mid": reply });
    }
    Ok(body)
}

fn messenger_attachment_type(kind: &str) -> &'static str {
    match kind {
        "image" => "image",
        "video" => "video",
        "audio" => "audio",
        _ => "file",
    }
}

/// Uploads the file of a media send (WhatsApp `POST /{phone-number-id}/media`, Messenger
/// and Instagram `POST /{page-id}/message_attachments` with `filedata`) and keeps the id,
/// so a retry sends the same upload instead of uploading again. A failed upload certainly
/// sent nothing: its errors count as "not sent".
pub(super) async fn upload(
    store: &Store,
    graph: &GraphClient,
    host: Host,
    pending: &PendingSend,
    token: &Secret<String>,
) -> std::result::Result<String, GraphError> {
    let file = &pending.payload["file"];
    let path = file["path"].as_str().unwrap_or_default().to_string();
    let mime = file["mime"].as_str().unwrap_or("application/octet-stream").to_string();
    let filename = file["filename"].as_str().unwrap_or("file").to_string();
    let read_path = path.clone();
    let read = tokio::task::spawn_blocking(move || std::fs::read(read_path))
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())));
    let bytes = read.map_err(|e| GraphError {
        kind: ErrorKind::Invalid,
        http_status: 0,
        code: None,
        subcode: None,
        message: format!(
            "the file to send is no longer on this computer ({e}); discard this message and attach it again"
        ),
        usage: Default::default(),
    })?;
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(filename)
        .mime_str(&mime)
        .map_err(|e| GraphError::network(e.to_string()))?;
    let not_sent = |mut e: GraphError| {
        if e.kind == ErrorKind::Transient {
            e.kind = ErrorKind::Unreachable;
        }
        e
    };
    let id = if pending.platform == Platform::Whatsapp {
        let form = reqwest::multipart::Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", mime.clone())
            .part("file", part);
        let answer =
            graph.post_multipart(host, &format!("{}/media", pending.page), token, form).await.map_err(not_sent)?;
        answer.body.get("id").and_then(Value::as_str).map(String::from)
    } else {
        let kind = messenger_attachment_type(file["kind"].as_str().unwrap_or("file"));
        let message = json!({ "attachment": { "type": kind, "payload": { "is_reusable": true } } });
        let form = reqwest::multipart::Form::new().text("message", message.to_string()).part("filedata", part);
        let answer = graph
            .post_multipart(host, &format!("{}/message_attachments", pending.page), token, form)
            .await
            .map_err(not_sent)?;
        answer.body.get("attachment_id").and_then(Value::as_str).map(String::from)
    };
    let Some(id) = id else {
        return Err(GraphError {
            kind: ErrorKind::Unreachable,
            http_status: 200,
            code: None,
            subcode: None,
            message: "Meta accepted the upload without an id".into(),
            usage: Default::default(),
        });
    };
    let (client_id, uploaded) = (pending.client_id.clone(), id.clone());
    let now = store.now_ms();
    let recorded = store.write(move |tx| sends::record_upload(tx, &client_id, &uploaded, now)).await;
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "an upload's id could not be kept; a retry uploads again");
    }
    Ok(id)
}

/// Messenger and Instagram name the heart `love` (their reaction webhooks say so); other
/// emoji are sent as themselves.
pub(super) fn reaction_name(emoji: &str) -> String {
    match emoji {
        "❤️" | "❤" => "love".into(),
        other => other.to_string(),
    }
}
