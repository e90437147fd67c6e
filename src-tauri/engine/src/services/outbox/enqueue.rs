//! Queueing: each kind of send is checked (the reply window, the length, the target
//! message) and written as a local copy plus its outbox row in one transaction.

use super::*;

/// Where a reply goes, read in the transaction that queues it.
struct Target {
    platform: Platform,
    key: ConversationKey,
    window: ReplyWindow,
    login: Option<String>,
}

fn target(tx: &Transaction<'_>, conversation_id: i64, now: i64) -> crate::domain::Result<Option<Target>> {
    let row = tx
        .query_row(
            "SELECT c.platform, a.asset_id, ct.platform_user_id, c.last_inbound_at, a.login
             FROM conversations c JOIN accounts a ON a.id = c.account_id JOIN contacts ct ON ct.id = c.contact_id
             WHERE c.id = ?1",
            [conversation_id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            },
        )
        .optional()
        .ctx("reading a conversation")?;
    Ok(row.map(|(platform, account, contact, last_inbound, login)| {
        let platform = platform_of(&platform);
        Target {
            platform,
            key: ConversationKey { platform, account_id: account, contact_id: contact },
            window: reply_window(platform, last_inbound, now),
            login,
        }
    }))
}

/// `messaging_type` and tag for a free-form message, or why none can be sent now.
fn free_form(target: &Target) -> std::result::Result<(&'static str, Option<&'static str>), OutboxError> {
    match target.window {
        ReplyWindow::Open { .. } => Ok(("RESPONSE", None)),
        ReplyWindow::HumanAgent { .. } => Ok(("MESSAGE_TAG", Some("HUMAN_AGENT"))),
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

/// The message as it shows in the thread while it is on its way, and its outbox row.
struct LocalCopy {
    kind: MessageKind,
    text: Option<String>,
    attachments: Vec<Attachment>,
    reply_to: Option<String>,
    /// `text`, `media`, `template`.
    outbox_kind: &'static str,
    payload: Value,
}

fn insert_local(
    tx: &Transaction<'_>,
    conversation_id: i64,
    key: ConversationKey,
    client_id: &str,
    copy: LocalCopy,
    now: i64,
) -> crate::domain::Result<()> {
    let mid = local_mid(client_id);
    apply::apply_events(
        tx,
        &[DomainEvent::Message(NewMessage {
            key,
            mid: mid.clone(),
            direction: Direction::Outbound,
            kind: copy.kind,
            text: copy.text.clone(),
            attachments: copy.attachments,
            reply_to: copy.reply_to.map(|mid| ReplyTo::Message { mid }),
            extras: MessageExtras { send_metadata: Some(tag(client_id)), ..MessageExtras::default() },
            sent_at: now,
        })],
    )?;
    // Shown as pending until Meta accepts it (apply marks outbound history as sent).
    tx.execute(
        "UPDATE messages SET status = ?2, status_at = NULL WHERE platform_message_id = ?1",
        params![mid, DeliveryStatus::Pending.rank()],
    )
    .ctx("marking a message pending")?;
    tx.execute(
        "INSERT INTO outbox (client_id, conversation_id, kind, body, payload, state, next_attempt_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6, ?6, ?6)",
        params![client_id, conversation_id, copy.outbox_kind, copy.text, copy.payload.to_string(), now],
    )
    .ctx("queueing a message")?;
    Ok(())
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
    let client_id = hex_id();
    let id = client_id.clone();
    let now = store.now_ms();
    store
        .write(move |tx| {
            let Some(target) = target(tx, conversation_id, now)? else { return Ok(Err(OutboxError::NotFound)) };
            let (messaging_type, tag_name) = match free_form(&target) {
                Ok(t) => t,
                Err(e) => return Ok(Err(e)),
            };
            if let Err(e) = check_text_length(target.platform, &text) {
                return Ok(Err(e));
            }
            let payload = json!({ "replyTo": reply_to, "messagingType": messaging_type, "tag": tag_name });
            let copy = LocalCopy {
                kind: MessageKind::Text,
                text: Some(text),
                attachments: Vec::new(),
                reply_to,
                outbox_kind: "text",
                payload,
            };
            insert_local(tx, conversation_id, target.key, &id, copy, now)?;
            Ok(Ok(()))
        })
        .await??;
    Ok(client_id)
}

/// Queues a photo, video, voice note or file (already copied into the media directory),
/// with an optional caption. WhatsApp carries the caption on images, videos and documents;
/// Messenger and Instagram get it as a second message.
pub async fn enqueue_media(
    store: &Store,
    conversation_id: i64,
    file: LocalFile,
    caption: Option<String>,
    reply_to: Option<String>,
) -> Result<Vec<String>> {
    let caption = caption.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
    let client_id = hex_id();
    let id = client_id.clone();
    let thumbnail =
        if file.kind == "image" { crate::services::media::thumbnail_for(&file.path, &file.sha256).await } else { None };
    let now = store.now_ms();
    let caption_id = store
        .write(move |tx| {
            let Some(target) = target(tx, conversation_id, now)? else { return Ok(Err(OutboxError::NotFound)) };
            let (messaging_type, tag_name) = match free_form(&target) {
                Ok(t) => t,
                Err(e) => return Ok(Err(e)),
            };
            if target.login.as_deref() == Some("instagram") {
                return Ok(Err(OutboxError::Refused(
                    "Instagram accounts connected with Instagram Login can only send text: Meta takes their attachments only as public links. Connect the account through its Facebook Page to send files.".into(),
                )));
            }
            let platform = target.platform.as_str();
            let limit = crate::services::media::send_limit(platform, file.kind);
            if file.size > limit {
                return Ok(Err(OutboxError::Refused(format!(
                    "{} takes files of this kind up to {} MB; this one is {} MB.",
                    platform_label(target.platform),
                    limit >> 20,
                    file.size.div_ceil(1 << 20)
                ))));
            }
            if target.platform == Platform::Instagram && file.kind == "file" && file.mime_type != "application/pdf" {
                return Ok(Err(OutboxError::Refused("Instagram takes only PDF documents.".into())));
            }
            let whatsapp_caption = target.platform == Platform::Whatsapp && file.kind != "audio";
            let (own_caption, separate_caption) = if whatsapp_caption { (caption.clone(), None) } else { (None, caption.clone()) };
            if let Some(c) = &own_caption
                && c.chars().count() > 1024
            {
                return Ok(Err(OutboxError::Refused("A WhatsApp caption can be at most 1,024 characters.".into())));
            }
            if let Some(c) = &separate_caption
                && let Err(e) = check_text_length(target.platform, c)
            {
                return Ok(Err(e));
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
            let copy = LocalCopy { kind, text: own_caption, attachments: vec![attachment], reply_to: reply_to.clone(), outbox_kind: "media", payload };
            insert_local(tx, conversation_id, target.key.clone(), &id, copy, now)?;
            let Some(text) = separate_caption else { return Ok(Ok(None)) };
            let caption_id = hex_id();
            let payload = json!({ "replyTo": null, "messagingType": messaging_type, "tag": tag_name });
            let copy = LocalCopy { kind: MessageKind::Text, text: Some(text), attachments: Vec::new(), reply_to: None, outbox_kind: "text", payload };
            insert_local(tx, conversation_id, target.key, &caption_id, copy, now)?;
            // The caption follows its picture: sent in creation order, a moment later.
            tx.execute("UPDATE outbox SET created_at = created_at + 1 WHERE client_id = ?1", [&caption_id]).ctx("ordering a caption")?;
            Ok(Ok(Some(caption_id)))
        })
        .await??;
    Ok(std::iter::once(client_id).chain(caption_id).collect())
}

/// Queues an approved WhatsApp template, the only message allowed after the 24 h window.
/// `rendered` is its text with the parameters filled in, for the thread.
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
    let client_id = hex_id();
    let id = client_id.clone();
    let (name, language) = (template.name.clone(), template.language.clone());
    let now = store.now_ms();
    store
        .write(move |tx| {
            let Some(target) = target(tx, conversation_id, now)? else { return Ok(Err(OutboxError::NotFound)) };
            if target.platform != Platform::Whatsapp {
                return Ok(Err(OutboxError::Refused("Templates are a WhatsApp feature.".into())));
            }
            let payload = json!({ "template": { "name": name, "language": language, "parameters": parameters } });
            let copy = LocalCopy {
                kind: MessageKind::Template,
                text: Some(rendered),
                attachments: Vec::new(),
                reply_to: None,
                outbox_kind: "template",
                payload,
            };
            insert_local(tx, conversation_id, target.key, &id, copy, now)?;
            Ok(Ok(()))
        })
        .await??;
    Ok(client_id)
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
            let Some(target) = target(tx, conversation_id, now)? else { return Ok(Err(OutboxError::NotFound)) };
            if let Err(e) = free_form(&target) {
                return Ok(Err(e));
            }
            let known: Option<String> = tx
                .query_row(
                    "SELECT direction FROM messages WHERE conversation_id = ?1 AND platform_message_id = ?2 AND stub = 0",
                    params![conversation_id, message_id],
                    |r| r.get(0),
                )
                .optional()
                .ctx("finding a message to react to")?;
            if known.is_none() || message_id.starts_with("local:") {
                return Ok(Err(OutboxError::Refused("Only a message that reached Meta can get a reaction.".into())));
            }
            let previous: Option<String> = tx
                .query_row(
                    "SELECT emoji FROM reactions WHERE platform = ?1 AND platform_message_id = ?2 AND actor = 'business'",
                    params![target.platform.as_str(), message_id],
                    |r| r.get(0),
                )
                .optional()
                .ctx("reading a reaction")?
                .flatten();
            apply::apply_events(
                tx,
                &[DomainEvent::Reaction {
                    key: target.key,
                    mid: message_id.clone(),
                    actor: Actor::Business,
                    emoji: emoji.clone(),
                    reaction: emoji.as_deref().map(reaction_name),
                    at: now,
                }],
            )?;
            tx.execute(
                "INSERT INTO outbox (client_id, conversation_id, kind, payload, state, next_attempt_at, created_at, updated_at, published)
                 VALUES (?1, ?2, 'reaction', ?3, 'queued', ?4, ?4, ?4, 1)",
                params![id, conversation_id, json!({ "messageId": message_id, "emoji": emoji, "previous": previous }).to_string(), now],
            )
            .ctx("queueing a reaction")?;
            Ok(Ok(()))
        })
        .await??;
    Ok(client_id)
}

fn platform_label(p: Platform) -> &'static str {
    match p {
        Platform::Messenger => "Messenger",
        Platform::Instagram => "Instagram",
        Platform::Whatsapp => "WhatsApp",
    }
}

/// Tells the customer their messages were seen (Messenger/Instagram `mark_seen`, WhatsApp
/// `status: read` of the newest inbound message), when there is something unseen and the
/// account is connected. Queued like a message, so it survives a restart; never shown.
pub fn enqueue_seen(tx: &Transaction<'_>, conversation_id: i64, now: i64) -> crate::domain::Result<bool> {
    let row: Option<(Option<String>, String)> = tx
        .query_row(
            "SELECT (SELECT m.platform_message_id FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'inbound' AND m.stub = 0
                     ORDER BY m.sent_at DESC LIMIT 1), a.status
             FROM conversations c JOIN accounts a ON a.id = c.account_id WHERE c.id = ?1 AND c.unread_count > 0",
            [conversation_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .ctx("finding what to mark seen")?;
    let Some((Some(newest), status)) = row else { return Ok(false) };
    if status != "connected" {
        return Ok(false);
    }
    tx.execute(
        "INSERT INTO outbox (client_id, conversation_id, kind, payload, state, next_attempt_at, created_at, updated_at, published)
         VALUES (?1, ?2, 'seen', ?3, 'queued', ?4, ?4, ?4, 1)",
        params![hex_id(), conversation_id, json!({ "messageId": newest }).to_string(), now],
    )
    .ctx("queueing a read receipt")?;
    Ok(true)
}

pub(super) fn hex_id() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
