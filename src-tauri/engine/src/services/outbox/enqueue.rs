//! Queueing: each kind of send is checked (the reply window, the length, the target
//! message) and written as a local copy plus its outbox row in one transaction.

use super::*;
use crate::store::enqueue::{self, BusinessReaction, LocalCopy, SendTarget, send_target};

/// `messaging_type` and tag for a free-form message, or why none can be sent now.
fn free_form(target: &SendTarget, now: i64) -> std::result::Result<(&'static str, Option<&'static str>), OutboxError> {
    match reply_window(target.platform, target.last_inbound_at, now) {
        ReplyWindow::Open { .. } => Ok(("RESPONSE", None)),
        ReplyWindow::HumanAgent { .. } => Ok(("MESSAGE_TAG", Some("HUMAN_AGENT"))),
        ReplyWindow::Waiting => Err(OutboxError::Refused(
            "This conversation cannot be answered yet: Meta lets a business reply once the customer has written.".into(),
        )),
        ReplyWindow::TemplateOnly => Err(OutboxError::Refused(
            "More than 24 hours have passed since the customer's last message: WhatsApp only allows an approved template now.".into(),
        )),
        ReplyWindow::Closed => Err(OutboxError::Refused(
            "This conversation cannot be answered: the customer has not written in the last 7 days.".into(),
        )),
    }
}

fn check_text_length(platform: Platform, text: &str) -> std::result::Result<(), OutboxError> {
    let (too_long, limit) = match platform {
        Platform::Messenger => (text.chars().count() > 2000, "2,000 characters"),
        Platform::Instagram => (text.len() > 1000, "1,000 bytes"),
        Platform::Whatsapp => (text.chars().count() > 4096, "4,096 characters"),
    };
    if too_long {
        return Err(OutboxError::Refused(format!("The message is longer than this platform allows ({limit}).")));
    }
    Ok(())
}

/// Checks and writes, in one transaction, the local copies of what one send puts in the
/// thread (a picture and its caption are two): `prepare` reads the conversation and either
/// refuses or names each copy's client id. Returns the ids in sending order.
async fn queue_local(
    store: &Store,
    conversation_id: i64,
    prepare: impl FnOnce(&SendTarget, i64) -> std::result::Result<Vec<LocalCopy>, OutboxError> + Send + 'static,
) -> Result<Vec<String>> {
    let now = store.now_ms();
    store
        .write(move |tx| {
            let Some(target) = send_target(tx, conversation_id)? else { return Ok(Err(OutboxError::NotFound)) };
            let copies = match prepare(&target, now) {
                Ok(copies) => copies,
                Err(refused) => return Ok(Err(refused)),
            };
            let mut ids = Vec::with_capacity(copies.len());
            for (order, copy) in copies.into_iter().enumerate() {
                let client_id = hex_id();
                enqueue::insert_local(tx, conversation_id, target.key.clone(), &client_id, copy, order as i64, now)?;
                ids.push(client_id);
            }
            Ok(Ok(ids))
        })
        .await?
}

/// Queues a text reply. Checked before anything is written: the window, the length.
pub async fn enqueue_text(
    store: &Store,
    conversation_id: i64,
    text: String,
    reply_to: Option<String>,
) -> Result<String> {
    let text = text.trim().to_string();
    if text.is_empty() {
        return Err(OutboxError::Refused("the message is empty".into()));
    }
    let ids = queue_local(store, conversation_id, move |target, now| {
        let (messaging_type, tag_name) = free_form(target, now)?;
        check_text_length(target.platform, &text)?;
        let payload = json!({ "replyTo": reply_to, "messagingType": messaging_type, "tag": tag_name });
        Ok(vec![LocalCopy {
            kind: MessageKind::Text,
            text: Some(text),
            attachments: Vec::new(),
            reply_to,
            outbox_kind: "text",
            payload,
        }])
    })
    .await?;
    Ok(only(ids))
}

/// Queues a photo, video, voice note or file (already copied into the media directory),
/// with an optional caption. WhatsApp carries the caption on images, videos and documents;
/// Messenger and Instagram get it as a second message, sent after the file.
pub async fn enqueue_media(
    store: &Store,
    conversation_id: i64,
    file: LocalFile,
    caption: Option<String>,
    reply_to: Option<String>,
) -> Result<Vec<String>> {
    let caption = caption.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
    let thumbnail =
        if file.kind == "image" { crate::services::media::thumbnail_for(&file.path, &file.sha256).await } else { None };
    queue_local(store, conversation_id, move |target, now| {
        let (messaging_type, tag_name) = free_form(target, now)?;
        check_media(target, &file)?;
        let whatsapp_caption = target.platform == Platform::Whatsapp && file.kind != "audio";
        let (own_caption, separate_caption) = if whatsapp_caption { (caption, None) } else { (None, caption) };
        if let Some(c) = &own_caption
            && c.chars().count() > 1024
        {
            return Err(OutboxError::Refused("A WhatsApp caption can be at most 1,024 characters.".into()));
        }
        if let Some(c) = &separate_caption {
            check_text_length(target.platform, c)?;
        }
        let kind = match file.kind {
            "image" => MessageKind::Image,
            "video" => MessageKind::Video,
            "audio" => MessageKind::Audio,
            _ => MessageKind::File,
        };
        let attachment = Attachment {
            kind: AttachmentKind::parse(file.kind),
            mime_type: Some(file.mime_type.clone()),
            filename: Some(file.filename.clone()),
            size_bytes: Some(file.size as i64),
            sha256: Some(file.sha256.clone()),
            local_path: Some(file.path.to_string_lossy().into_owned()),
            thumbnail_path: thumbnail.map(|t| t.to_string_lossy().into_owned()),
            ..Attachment::default()
        };
        let payload = json!({
            "replyTo": reply_to, "messagingType": messaging_type, "tag": tag_name,
            "file": { "path": file.path, "mime": file.mime_type, "kind": file.kind, "filename": file.filename },
        });
        let mut copies = vec![LocalCopy {
            kind,
            text: own_caption,
            attachments: vec![attachment],
            reply_to,
            outbox_kind: "media",
            payload,
        }];
        if let Some(text) = separate_caption {
            let payload = json!({ "replyTo": null, "messagingType": messaging_type, "tag": tag_name });
            copies.push(LocalCopy {
                kind: MessageKind::Text,
                text: Some(text),
                attachments: Vec::new(),
                reply_to: None,
                outbox_kind: "text",
                payload,
            });
        }
        Ok(copies)
    })
    .await
}

/// What the platform refuses to take as a file, said before anything is written.
fn check_media(target: &SendTarget, file: &LocalFile) -> std::result::Result<(), OutboxError> {
    if target.login == Some(Login::Instagram) {
        return Err(OutboxError::Refused(
            "Instagram accounts connected with Instagram Login can only send text: Meta takes their attachments only as public links. Connect the account through its Facebook Page to send files.".into(),
        ));
    }
    let platform = target.platform.as_str();
    let limit = crate::services::media::send_limit(platform, file.kind);
    if file.size > limit {
        return Err(OutboxError::Refused(format!(
            "{} takes files of this kind up to {} MB; this one is {} MB.",
            target.platform.display_name(),
            limit >> 20,
            file.size.div_ceil(1 << 20)
        )));
    }
    if target.platform == Platform::Instagram && file.kind == "file" && file.mime_type != "application/pdf" {
        return Err(OutboxError::Refused("Instagram takes only PDF documents.".into()));
    }
    Ok(())
}

/// Queues an approved WhatsApp template, the only message allowed after the 24 h window.
/// The thread shows its text with the parameters filled in.
pub async fn enqueue_template(
    store: &Store,
    conversation_id: i64,
    template: &Template,
    parameters: Vec<String>,
) -> Result<String> {
    if parameters.len() != template.parameters {
        return Err(OutboxError::Refused(format!(
            "The template \"{}\" needs {} value(s); {} were given.",
            template.name,
            template.parameters,
            parameters.len()
        )));
    }
    if let Some(blank) = parameters.iter().position(|p| p.trim().is_empty()) {
        return Err(OutboxError::Refused(format!("Value {} of the template is empty.", blank + 1)));
    }
    let rendered = template.render(&parameters);
    let (name, language) = (template.name.clone(), template.language.clone());
    let ids = queue_local(store, conversation_id, move |target, _now| {
        if target.platform != Platform::Whatsapp {
            return Err(OutboxError::Refused("Templates are a WhatsApp feature.".into()));
        }
        let payload = json!({ "template": { "name": name, "language": language, "parameters": parameters } });
        Ok(vec![LocalCopy {
            kind: MessageKind::Template,
            text: Some(rendered),
            attachments: Vec::new(),
            reply_to: None,
            outbox_kind: "template",
            payload,
        }])
    })
    .await?;
    Ok(only(ids))
}

/// The one client id of a send that queues one message.
fn only(ids: Vec<String>) -> String {
    ids.into_iter().next().unwrap_or_default()
}

/// Reacts to a message with an emoji (`None` removes the business's reaction). Shown at
/// once; undone if Meta refuses it.
pub async fn enqueue_reaction(
    store: &Store,
    conversation_id: i64,
    message_id: String,
    emoji: Option<String>,
) -> Result<String> {
    let emoji = emoji.map(|e| e.trim().to_string()).filter(|e| !e.is_empty());
    let client_id = hex_id();
    let id = client_id.clone();
    let now = store.now_ms();
    store
        .write(move |tx| {
            let Some(target) = send_target(tx, conversation_id)? else { return Ok(Err(OutboxError::NotFound)) };
            if let Err(e) = free_form(&target, now) {
                return Ok(Err(e));
            }
            if !enqueue::is_reactable(tx, conversation_id, &message_id)? {
                return Ok(Err(OutboxError::Refused("Only a message that reached Meta can get a reaction.".into())));
            }
            let name = emoji.as_deref().map(reaction_name);
            let reaction = BusinessReaction { message_id, emoji, name };
            enqueue::queue_reaction(tx, conversation_id, target.key, &id, reaction, now)?;
            Ok(Ok(()))
        })
        .await??;
    Ok(client_id)
}

/// Tells the customer their messages were seen (Messenger/Instagram `mark_seen`, WhatsApp
/// `status: read` of the newest inbound message), when there is something unseen and the
/// account is connected. Queued like a message, so it survives a restart; never shown.
pub fn enqueue_seen(tx: &Transaction<'_>, conversation_id: i64, now: i64) -> crate::domain::Result<bool> {
    let Some(newest) = enqueue::seen_target(tx, conversation_id)? else { return Ok(false) };
    enqueue::queue_seen(tx, &hex_id(), conversation_id, &newest, now)?;
    Ok(true)
}

pub(super) fn hex_id() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
