//! Whether a conversation can be answered now, and how: Meta's messaging windows
//! (META-API.md §5.1). Computed here once; the outbox enforces it and the window shows it.

use serde::Serialize;
use ts_rs::TS;

use super::events::Platform;

pub(crate) const DAY_MS: i64 = 24 * 3600 * 1000;

/// Whether and how a conversation can be answered now (META-API.md §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum ReplyWindow {
    /// Standard 24 h window after the customer's last message.
    Open {
        #[ts(type = "number")]
        until: i64,
    },
    /// Messenger/Instagram, 24 h – 7 days: a human agent may still answer (HUMAN_AGENT tag).
    HumanAgent {
        #[ts(type = "number")]
        until: i64,
    },
    /// WhatsApp after 24 h: only an approved template can be sent.
    TemplateOnly,
    /// Nothing can be sent (no message from the customer, or older than 7 days).
    Closed,
}

pub fn reply_window(platform: Platform, last_inbound_at: Option<i64>, now: i64) -> ReplyWindow {
    let Some(last) = last_inbound_at else { return ReplyWindow::Closed };
    if now < last + DAY_MS {
        return ReplyWindow::Open { until: last + DAY_MS };
    }
    match platform {
        Platform::Whatsapp => ReplyWindow::TemplateOnly,
        _ if now < last + 7 * DAY_MS => ReplyWindow::HumanAgent { until: last + 7 * DAY_MS },
        _ => ReplyWindow::Closed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reply_window_follows_each_platforms_rules() {
        let now = 100 * DAY_MS;
        assert_eq!(reply_window(Platform::Messenger, None, now), ReplyWindow::Closed);
        assert_eq!(
            reply_window(Platform::Messenger, Some(now - 3_600_000), now),
            ReplyWindow::Open { until: now - 3_600_000 + DAY_MS }
        );
        assert_eq!(
            reply_window(Platform::Instagram, Some(now - 2 * DAY_MS), now),
            ReplyWindow::HumanAgent { until: now + 5 * DAY_MS }
        );
        assert_eq!(reply_window(Platform::Messenger, Some(now - 8 * DAY_MS), now), ReplyWindow::Closed);
        assert_eq!(reply_window(Platform::Whatsapp, Some(now - DAY_MS - 1), now), ReplyWindow::TemplateOnly);
        assert_eq!(reply_window(Platform::Whatsapp, Some(now - DAY_MS + 1), now), ReplyWindow::Open { until: now + 1 });
    }
}
