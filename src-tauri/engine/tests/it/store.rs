use cahts_engine::demo::demo_events;
use cahts_engine::events::*;
use cahts_engine::ipc::*;
use cahts_engine::store::export::ExportDocument;
use rand::SeedableRng;
use rand::seq::SliceRandom;

use crate::fixtures::{key, text};
use crate::{engine, runtime};

const NOW: i64 = 1_764_000_000_000;

/// Events that exercise every rule that could make arrival order matter.
fn tricky_events() -> Vec<DomainEvent> {
    let ig = key(Platform::Instagram, "17841500000000004321");
    let fb = key(Platform::Messenger, "7000000000000001");
    let wa = key(Platform::Whatsapp, "4915100000001");
    vec![
        text(&fb, "m_1", Direction::Inbound, "Hello, do you deliver to Zürich?", NOW),
        text(&fb, "m_2", Direction::Outbound, "Yes, within 3 days", NOW + 1_000),
        text(&fb, "m_3", Direction::Outbound, "Anything else?", NOW + 2_000),
        DomainEvent::Watermark { key: fb.clone(), status: DeliveryStatus::Delivered, watermark: NOW + 2_500 },
        DomainEvent::Watermark { key: fb.clone(), status: DeliveryStatus::Read, watermark: NOW + 1_500 },
        DomainEvent::Edited {
            key: fb.clone(),
            mid: "m_1".into(),
            text: "Hello, do you deliver to Basel?".into(),
            edit_count: 1,
            at: NOW + 3_000,
        },
        DomainEvent::Edited {
            key: fb.clone(),
            mid: "m_1".into(),
            text: "Hello, do you deliver to Genève?".into(),
            edit_count: 2,
            at: NOW + 4_000,
        },
        DomainEvent::Reaction {
            key: fb.clone(),
            mid: "m_2".into(),
            actor: Actor::Contact,
            emoji: Some("❤️".into()),
            reaction: Some("love".into()),
            at: NOW + 5_000,
        },
        DomainEvent::Reaction {
            key: fb.clone(),
            mid: "m_2".into(),
            actor: Actor::Contact,
            emoji: None,
            reaction: None,
            at: NOW + 6_000,
        },
        DomainEvent::Reaction {
            key: fb.clone(),
            mid: "m_3".into(),
            actor: Actor::Contact,
            emoji: Some("👍".into()),
            reaction: Some("like".into()),
            at: NOW + 6_500,
        },
        text(&ig, "aWdfZAG06MTpJR01lc3NhZA1", Direction::Inbound, "I love this bouquet", NOW + 10_000),
        DomainEvent::Deleted { key: ig.clone(), mid: "aWdfZAG06MTpJR01lc3NhZA1".into(), at: NOW + 11_000 },
        text(&ig, "aWdfZAG06MTpJR01lc3NhZA2", Direction::Outbound, "Thank you!", NOW + 12_000),
        DomainEvent::Status {
            key: ig.clone(),
            mid: "aWdfZAG06MTpJR01lc3NhZA2".into(),
            status: DeliveryStatus::Read,
            at: NOW + 13_000,
            error: None,
            send_metadata: None,
        },
        text(&wa, "wamid.A", Direction::Inbound, "Bonjour, la boutique est ouverte ?", NOW + 20_000),
        text(&wa, "wamid.B", Direction::Outbound, "Oui, jusqu'à 19h", NOW + 21_000),
        DomainEvent::Status {
            key: wa.clone(),
            mid: "wamid.B".into(),
            status: DeliveryStatus::Sent,
            at: NOW + 21_100,
            error: None,
            send_metadata: None,
        },
        DomainEvent::Status {
            key: wa.clone(),
            mid: "wamid.B".into(),
            status: DeliveryStatus::Delivered,
            at: NOW + 21_200,
            error: None,
            send_metadata: None,
        },
        DomainEvent::Status {
            key: wa.clone(),
            mid: "wamid.B".into(),
            status: DeliveryStatus::Failed,
            at: NOW + 21_300,
            error: Some(PlatformError {
                code: Some(131026),
                title: Some("Message undeliverable".into()),
                detail: None,
            }),
            send_metadata: None,
        },
        text(&wa, "wamid.C", Direction::Outbound, "Hello again", NOW + 30_000),
        DomainEvent::Status {
            key: wa.clone(),
            mid: "wamid.C".into(),
            status: DeliveryStatus::Failed,
            at: NOW + 30_100,
            error: Some(PlatformError {
                code: Some(131047),
                title: Some("Re-engagement message".into()),
                detail: Some("More than 24 hours have passed".into()),
            }),
            send_metadata: None,
        },
        DomainEvent::Contact {
            key: wa.clone(),
            profile: ContactProfile { name: Some("Chloé Lefèvre".into()), ..Default::default() },
        },
        DomainEvent::Account {
            platform: Platform::Whatsapp,
            account_id: "106540352242922".into(),
            display_name: "+33 1 84 88 00 00".into(),
        },
    ]
}

/// FTS5's own check that the search index matches the messages table exactly.
async fn assert_search_index_consistent(engine: &cahts_engine::Engine) {
    engine
        .store()
        .write(|tx| {
            tx.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)", [])
                .map_err(|source| cahts_engine::Error::Sql { context: "fts integrity-check", source })
        })
        .await
        .expect("the search index matches the stored text");
}

fn apply_and_export(events: Vec<DomainEvent>, batches: usize) -> ExportDocument {
    let rt = runtime();
    let (_dir, engine) = engine();
    rt.block_on(async {
        let size = events.len().div_ceil(batches.max(1)).max(1);
        for chunk in events.chunks(size) {
            engine.apply(chunk.to_vec()).await.unwrap();
        }
        assert_search_index_consistent(&engine).await;
        engine.export_json().await.unwrap()
    })
}

#[test]
fn applying_the_same_batch_twice_changes_nothing() {
    let rt = runtime();
    let (_dir, engine) = engine();
    let events = [tricky_events(), demo_events(NOW)].concat();
    rt.block_on(async {
        let first = engine.apply(events.clone()).await.unwrap();
        let before = engine.export_json().await.unwrap();
        let counts_before = engine.get_counts().await.unwrap();
        let second = engine.apply(events.clone()).await.unwrap();
        let messages = events.iter().filter(|e| matches!(e, DomainEvent::Message(_))).count();
        assert_eq!(first.messages_added, messages, "the first pass stores the messages");
        assert_eq!(second.messages_added, 0, "a replayed batch adds no message");
        assert_eq!(second.conversations_touched, Vec::<i64>::new(), "a replayed batch touches nothing");
        assert_eq!(engine.export_json().await.unwrap(), before, "the store is unchanged by a replay");
        assert_eq!(engine.get_counts().await.unwrap(), counts_before, "unread counts are unchanged by a replay");
        assert_search_index_consistent(&engine).await;
    });
}

#[test]
fn events_in_any_order_converge_to_the_same_state() {
    let events = tricky_events();
    let expected = apply_and_export(events.clone(), 1);
    let mut rng = rand::rngs::SmallRng::seed_from_u64(42);
    for round in 0..25 {
        let mut shuffled = events.clone();
        shuffled.shuffle(&mut rng);
        let batches = 1 + round % 4;
        let got = apply_and_export(shuffled, batches);
        assert_eq!(got, expected, "round {round} ({batches} batches): arrival order must not change the final state");
    }
    let mut reversed = events.clone();
    reversed.reverse();
    assert_eq!(apply_and_export(reversed, events.len()), expected, "one event per batch, reversed");
}

#[test]
fn the_rules_give_the_state_a_person_expects() {
    let doc = apply_and_export(tricky_events(), 1);
    let messages: Vec<_> = doc.conversations.iter().flat_map(|c| c.messages.iter()).collect();
    let by_mid = |mid: &str| messages.iter().find(|m| m.mid == mid).copied().unwrap_or_else(|| panic!("{mid} stored"));
    assert_eq!(by_mid("m_1").text.as_deref(), Some("Hello, do you deliver to Genève?"), "the latest edit is shown");
    assert_eq!(
        by_mid("m_1").original_text.as_deref(),
        Some("Hello, do you deliver to Zürich?"),
        "the original is kept"
    );
    assert_eq!(by_mid("m_2").status, Some(DeliveryStatus::Read), "read watermark covers m_2");
    assert_eq!(by_mid("m_3").status, Some(DeliveryStatus::Delivered), "only the delivery watermark covers m_3");
    assert_eq!(by_mid("aWdfZAG06MTpJR01lc3NhZA1").text, None, "an unsent message shows no text");
    assert!(by_mid("aWdfZAG06MTpJR01lc3NhZA1").deleted_at.is_some());
    assert_eq!(
        by_mid("wamid.B").status,
        Some(DeliveryStatus::Delivered),
        "failed after delivered does not undo delivery"
    );
    assert_eq!(by_mid("wamid.C").status, Some(DeliveryStatus::Failed));
    assert_eq!(by_mid("wamid.C").failure_code, Some(131047), "the failure code is kept");
    let reactions: Vec<_> = doc.reactions.iter().filter(|r| r.emoji.is_some()).map(|r| r.mid.as_str()).collect();
    assert_eq!(reactions, vec!["m_3"], "the removed reaction is gone, the other stays");
    let ig = doc.conversations.iter().find(|c| c.platform == "instagram").unwrap();
    assert_eq!(ig.contact_platform_user_id, "17841500000000004321", "ids beyond 2^53 are exact");
}

#[test]
fn conversation_list_pages_cover_everything_once_in_order() {
    let rt = runtime();
    let (_dir, engine) = engine();
    rt.block_on(async {
        engine.apply(demo_events(NOW)).await.unwrap();
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = engine
                .list_conversations(ListConversationsRequest {
                    filter: Default::default(),
                    cursor: cursor.clone(),
                    limit: Some(7),
                })
                .await
                .unwrap();
            assert!(page.items.len() <= 7);
            seen.extend(page.items.iter().map(|c| (c.last_message_at.unwrap(), c.id.clone())));
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        let counts = engine.get_counts().await.unwrap();
        assert_eq!(seen.len() as u32, counts.conversations, "every conversation appears");
        let mut ids: Vec<_> = seen.iter().map(|s| s.1.clone()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), seen.len(), "no conversation appears twice");
        assert!(seen.windows(2).all(|w| w[0].0 >= w[1].0), "newest activity first");

        let whatsapp = engine
            .list_conversations(ListConversationsRequest {
                filter: ConversationFilter { platform: Some(Platform::Whatsapp), ..Default::default() },
                cursor: None,
                limit: Some(200),
            })
            .await
            .unwrap();
        assert!(!whatsapp.items.is_empty() && whatsapp.items.iter().all(|c| c.platform == Platform::Whatsapp));
        let bad = engine
            .list_conversations(ListConversationsRequest { cursor: Some("garbage".into()), ..Default::default() })
            .await
            .expect_err("a bad cursor is an error");
        assert_eq!(UiError::from(bad).code, ErrorCode::Validation);
    });
}

#[test]
fn read_unread_and_done_change_the_lists() {
    let rt = runtime();
    let (_dir, engine) = engine();
    rt.block_on(async {
        engine.apply(tricky_events()).await.unwrap();
        let unread = |engine: std::sync::Arc<cahts_engine::Engine>| async move {
            engine
                .list_conversations(ListConversationsRequest {
                    filter: ConversationFilter { unread_only: true, ..Default::default() },
                    ..Default::default()
                })
                .await
                .unwrap()
                .items
        };
        let before = unread(engine.clone()).await;
        assert_eq!(before.len(), 3, "each conversation has an unread inbound message");
        let target = before[0].id.clone();
        engine.mark_read(ConversationRef { conversation_id: target.clone() }).await.unwrap();
        let after = unread(engine.clone()).await;
        assert_eq!(after.len(), 2);
        assert!(after.iter().all(|c| c.id != target), "a read conversation leaves the unread filter");

        engine.mark_unread(ConversationRef { conversation_id: target.clone() }).await.unwrap();
        let again = unread(engine.clone()).await;
        assert!(again.iter().any(|c| c.id == target && c.marked_unread && c.unread_count == 0));

        engine
            .set_conversation_state(SetStateRequest { conversation_id: target.clone(), state: ConversationState::Done })
            .await
            .unwrap();
        let open = engine
            .list_conversations(ListConversationsRequest {
                filter: ConversationFilter { state: Some(ConversationState::Open), ..Default::default() },
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(open.items.iter().all(|c| c.id != target), "a done conversation leaves the open filter");
        let done = |engine: std::sync::Arc<cahts_engine::Engine>| async move {
            engine
                .list_conversations(ListConversationsRequest {
                    filter: ConversationFilter { state: Some(ConversationState::Done), ..Default::default() },
                    ..Default::default()
                })
                .await
                .unwrap()
                .items
        };
        assert_eq!(done(engine.clone()).await.iter().map(|c| c.id.clone()).collect::<Vec<_>>(), vec![target.clone()]);
        let summary = done(engine.clone()).await.remove(0);
        let key = ConversationKey {
            platform: summary.platform,
            account_id: summary.account.asset_id.clone(),
            contact_id: summary.contact.platform_user_id.clone(),
        };
        // History older than the conversation's last message does not reopen it...
        engine.apply(vec![text(&key, "late-old", Direction::Inbound, "an old message", NOW - 1_000)]).await.unwrap();
        assert_eq!(done(engine.clone()).await.len(), 1, "backfilled history leaves a done conversation done");
        // ...but the customer writing again does.
        engine
            .apply(vec![text(&key, "late-new", Direction::Inbound, "one more question", NOW + 100_000)])
            .await
            .unwrap();
        assert!(done(engine.clone()).await.is_empty(), "a new inbound message reopens a done conversation");

        let missing = engine.mark_read(ConversationRef { conversation_id: "999999".into() }).await.err().unwrap();
        assert_eq!(UiError::from(missing).code, ErrorCode::NotFound);
    });
}

#[test]
fn a_late_message_older_than_what_was_read_stays_read() {
    let rt = runtime();
    let (_dir, engine) = engine();
    let fb = key(Platform::Messenger, "7000000000000009");
    rt.block_on(async {
        engine.apply(vec![text(&fb, "m_a", Direction::Inbound, "first", NOW + 10)]).await.unwrap();
        let id = engine.list_conversations(Default::default()).await.unwrap().items[0].id.clone();
        engine.mark_read(ConversationRef { conversation_id: id.clone() }).await.unwrap();
        // Delivered late (Meta retries), but written before what the owner has read.
        engine.apply(vec![text(&fb, "m_b", Direction::Inbound, "older", NOW)]).await.unwrap();
        engine.apply(vec![text(&fb, "m_c", Direction::Inbound, "newer", NOW + 20)]).await.unwrap();
        let c = &engine.list_conversations(Default::default()).await.unwrap().items[0];
        assert_eq!(c.unread_count, 1, "only the message after the read point is unread");
        assert_eq!(c.preview.as_ref().unwrap().text.as_deref(), Some("newer"));
        assert_eq!(c.last_inbound_at, Some(NOW + 20), "the reply window starts at the newest inbound");
    });
}

#[test]
fn threads_page_backwards_with_attachments_reactions_and_quotes() {
    let rt = runtime();
    let (_dir, engine) = engine();
    let wa = key(Platform::Whatsapp, "4915100000002");
    let mut events = Vec::new();
    for i in 0..25 {
        events.push(text(
            &wa,
            &format!("wamid.{i:02}"),
            if i % 2 == 0 { Direction::Inbound } else { Direction::Outbound },
            &format!("message {i}"),
            NOW + i * 1000,
        ));
    }
    events.push(DomainEvent::Message(NewMessage {
        key: wa.clone(),
        mid: "wamid.img".into(),
        direction: Direction::Inbound,
        kind: MessageKind::Image,
        text: Some("the damaged box".into()),
        attachments: vec![Attachment {
            kind: Some(AttachmentKind::Image),
            mime_type: Some("image/jpeg".into()),
            media_id: Some("1234567890".into()),
            ..Default::default()
        }],
        reply_to: Some(ReplyTo::Message { mid: "wamid.03".into() }),
        extras: MessageExtras::default(),
        sent_at: NOW + 100_000,
    }));
    events.push(DomainEvent::Reaction {
        key: wa.clone(),
        mid: "wamid.img".into(),
        actor: Actor::Business,
        emoji: Some("😢".into()),
        reaction: None,
        at: NOW + 100_500,
    });
    rt.block_on(async {
        engine.apply(events).await.unwrap();
        let id = engine.list_conversations(Default::default()).await.unwrap().items[0].id.clone();
        let first = engine
            .get_thread(ThreadRequest { conversation_id: id.clone(), cursor: None, limit: Some(10) })
            .await
            .unwrap();
        assert_eq!(first.messages.len(), 10);
        let newest = &first.messages[0];
        assert_eq!(newest.mid, "wamid.img", "newest first");
        assert_eq!(newest.attachments.len(), 1);
        assert_eq!(newest.attachments[0].media_id.as_deref(), Some("1234567890"));
        assert_eq!(newest.reactions, vec![Reaction { actor: Actor::Business, emoji: "😢".into() }]);
        match &newest.quoted {
            Some(Quoted::Message { mid, text, .. }) => {
                assert_eq!(mid, "wamid.03");
                assert_eq!(text.as_deref(), Some("message 3"), "the quoted text comes from the store");
            }
            other => panic!("expected a quoted message, got {other:?}"),
        }
        let mut all = first.messages.clone();
        let mut cursor = first.next_cursor.clone();
        while let Some(c) = cursor {
            let page = engine
                .get_thread(ThreadRequest { conversation_id: id.clone(), cursor: Some(c), limit: Some(10) })
                .await
                .unwrap();
            all.extend(page.messages);
            cursor = page.next_cursor;
        }
        assert_eq!(all.len(), 26, "paging reaches every message once");
        assert!(all.windows(2).all(|w| w[0].sent_at >= w[1].sent_at));
    });
}

#[test]
fn search_folds_diacritics_matches_prefixes_and_skips_unsent() {
    let rt = runtime();
    let (_dir, engine) = engine();
    rt.block_on(async {
        engine.apply(tricky_events()).await.unwrap();
        let search = |q: &str| {
            let engine = engine.clone();
            let q = q.to_owned();
            async move { engine.search(SearchRequest { query: q, limit: None }).await.unwrap() }
        };
        let r = search("geneve").await;
        assert_eq!(r.messages.len(), 1, "diacritics are folded and the edited text is indexed");
        assert!(r.messages[0].snippet.iter().any(|p| p.highlight && p.text == "Genève"), "the match is highlighted");
        assert!(search("zurich").await.messages.is_empty(), "the text before an edit is no longer found");
        assert_eq!(search("bouq").await.messages.len(), 0, "an unsent message is not found");
        assert_eq!(search("deli").await.messages.len(), 1, "prefix search");
        let by_name = search("chloe").await;
        assert_eq!(by_name.conversations.len(), 1, "contacts are found by name");
        for hostile in ["\"", "NEAR(", "a OR", "*", "body:x", ")("] {
            engine
                .search(SearchRequest { query: hostile.into(), limit: None })
                .await
                .expect("hostile input never errors");
        }
    });
}

#[test]
fn export_import_round_trip_and_merge() {
    let rt = runtime();
    let (_a, source) = engine();
    let (_b, target) = engine();
    rt.block_on(async {
        source.apply([tricky_events(), demo_events(NOW)].concat()).await.unwrap();
        let conversation = source.list_conversations(Default::default()).await.unwrap().items[0].id.clone();
        source.mark_read(ConversationRef { conversation_id: conversation.clone() }).await.unwrap();
        source
            .set_conversation_state(SetStateRequest { conversation_id: conversation, state: ConversationState::Done })
            .await
            .unwrap();
        let doc = source.export_json().await.unwrap();
        let report = target.import_json(doc.clone()).await.unwrap();
        assert_eq!(report.messages, doc.conversations.iter().map(|c| c.messages.len()).sum::<usize>());
        assert_eq!(
            target.export_json().await.unwrap(),
            doc,
            "export → import into an empty store → export is identical"
        );
        assert_eq!(target.get_counts().await.unwrap(), source.get_counts().await.unwrap(), "derived counts match too");
        // Importing again merges to the same thing.
        target.import_json(doc.clone()).await.unwrap();
        assert_eq!(target.export_json().await.unwrap(), doc, "importing twice changes nothing");
        assert_search_index_consistent(&target).await;
        // A bad document changes nothing.
        let mut bad = doc.clone();
        bad.conversations[0].messages[0].direction = "sideways".into();
        let err = target.import_json(bad).await.expect_err("invalid document");
        assert!(err.to_string().contains("direction"), "{err}");
        assert_eq!(target.export_json().await.unwrap(), doc);
    });
}

#[test]
fn a_failed_write_leaves_no_partial_batch() {
    let rt = runtime();
    let (_dir, engine) = engine();
    rt.block_on(async {
        let store = engine.store();
        let events = demo_events(NOW);
        let result = store
            .write(move |tx| {
                cahts_engine::store::apply::apply_events(tx, &events, NOW)?;
                Err::<(), _>(cahts_engine::Error::Invalid("stop half-way".into()))
            })
            .await;
        assert!(result.is_err());
        let counts = engine.get_counts().await.unwrap();
        assert_eq!((counts.conversations, counts.messages), (0, 0), "a failed batch leaves nothing behind");
    });
}

#[test]
fn malformed_webhooks_change_nothing() {
    let rt = runtime();
    let (_dir, engine) = engine();
    rt.block_on(async {
        for body in [&b"not json"[..], b"{}", b"{\"object\":\"page\"}", b"{\"object\":\"page\",\"entry\":{}}"] {
            let err = engine.ingest_webhook(body).await.expect_err("malformed body is an error");
            assert!(!err.to_string().is_empty());
        }
        assert!(engine.app_status().await.unwrap().empty, "nothing was stored");
    });
}

#[test]
fn changes_reach_subscribers_also_from_another_process_writing_the_same_file() {
    let rt = runtime();
    let (dir, engine) = engine();
    let fb = key(Platform::Messenger, "7000000000000042");
    rt.block_on(async {
        engine.start_change_feed();
        let mut changes = engine.subscribe();
        // Let the feed take its starting position.
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        // A second engine on the same file stands in for cahts-cli.
        let other = cahts_engine::Engine::open(cahts_engine::EngineConfig::in_dir(dir.path())).unwrap();
        other.apply(vec![text(&fb, "m_x", Direction::Inbound, "from elsewhere", NOW)]).await.unwrap();
        let change = tokio::time::timeout(std::time::Duration::from_secs(5), changes.recv())
            .await
            .expect("a change arrives within the poll interval")
            .unwrap();
        let id = engine.list_conversations(Default::default()).await.unwrap().items[0].id.clone();
        assert!(
            change.everything || change.conversation_ids.contains(&id),
            "the change names the conversation: {change:?}"
        );
    });
}

#[test]
fn demo_mode_uses_a_separate_store() {
    let rt = runtime();
    let (dir, engine) = engine();
    rt.block_on(async {
        let status = engine.app_status().await.unwrap();
        assert!(status.empty && status.mode == StoreMode::Real);
        let demo = engine.enter_demo().await.unwrap();
        assert_eq!(demo.mode, StoreMode::Demo);
        assert!(!demo.empty, "the demo store has conversations");
        assert!(demo.store_path.ends_with("demo.sqlite"));
        let counts = engine.get_counts().await.unwrap();
        assert!(counts.conversations >= 30);
        assert!(counts.unread > 0 && counts.unread < counts.conversations / 2, "a few unread, most read: {counts:?}");
        assert!(counts.done > 0, "some conversations are done: {counts:?}");
        let back = engine.exit_demo().await.unwrap();
        assert!(back.empty && back.mode == StoreMode::Real, "the real store never received demo data");
        assert!(dir.path().join("demo.sqlite").exists());
    });
}

/// The demo inbox reads like a real one: a conversation is unread only where the customer
/// wrote after the business's last answer, and a done one has nothing unread.
#[test]
fn the_demo_inbox_is_unread_where_a_customer_waits() {
    let rt = runtime();
    let (_dir, engine) = engine();
    rt.block_on(async {
        engine.enter_demo().await.unwrap();
        let all = engine
            .list_conversations(ListConversationsRequest { limit: Some(200), ..Default::default() })
            .await
            .unwrap()
            .items;
        let unread: Vec<_> = all.iter().filter(|c| c.unread_count > 0).collect();
        assert!(!unread.is_empty(), "some conversations are unread");
        for c in &unread {
            let preview = c.preview.as_ref().unwrap();
            assert_eq!(
                preview.direction,
                Direction::Inbound,
                "{} is unread after the business answered",
                c.contact.name.as_deref().unwrap_or("?")
            );
        }
        let awaiting =
            all.iter().filter(|c| c.preview.as_ref().is_some_and(|p| p.direction == Direction::Inbound)).count();
        assert!(awaiting > unread.len(), "some waiting conversations have been read, not answered yet");
        for c in all.iter().filter(|c| c.state == ConversationState::Done) {
            assert_eq!(c.unread_count, 0, "a done conversation has nothing unread");
        }
        let names: std::collections::BTreeSet<_> = all.iter().map(|c| c.account.name.clone()).collect();
        assert!(
            names.contains(&Some("Little Crumb Bakehouse".to_owned())),
            "the demo is one business's inbox: {names:?}"
        );
    });
}

#[test]
fn changes_are_reported_after_leaving_demo_mode() {
    let rt = runtime();
    let (dir, engine) = engine();
    let fb = key(Platform::Messenger, "7000000000000043");
    rt.block_on(async {
        engine.start_change_feed();
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        engine.enter_demo().await.unwrap();
        engine.exit_demo().await.unwrap();
        let mut changes = engine.subscribe();
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
        while changes.try_recv().is_ok() {}
        let other = cahts_engine::Engine::open(cahts_engine::EngineConfig::in_dir(dir.path())).unwrap();
        other.apply(vec![text(&fb, "m_y", Direction::Inbound, "after the demo", NOW)]).await.unwrap();
        let change = tokio::time::timeout(std::time::Duration::from_secs(5), changes.recv())
            .await
            .expect("a change arrives after leaving demo mode")
            .unwrap();
        assert!(!change.conversation_ids.is_empty() || change.everything, "{change:?}");
    });
}
