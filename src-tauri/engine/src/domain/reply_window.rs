//! Whether a conversation can be answered now, and how: Meta's messaging windows
//! (META-API.md §5.1). Computed here once; the outbox enforces it and the window shows it.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::events::Platform;

pub(crate) const DAY_MS: i64 = 24 * 3600 * 1000;

/// Whether and how a conversation can be answered now (META-API.md §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
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
    /// WhatsApp outside the 24 h window (or before the customer ever wrote): only an
    /// approved template can be sent.
    TemplateOnly,
    /// Messenger/Instagram: the customer has not written yet, so nothing can be sent.
    Waiting,
    /// Messenger/Instagram, more than 7 days after the customer's last message.
    Closed,
}

impl ReplyWindow {
    /// When this answer stops being true without anything new arriving: the window shows
    /// it until then and asks again. A new customer message changes it too, through the
    /// change feed.
    pub fn changes_at(&self) -> Option<i64> {
        match self {
            ReplyWindow::Open { until } | ReplyWindow::HumanAgent { until } => Some(*until),
            ReplyWindow::TemplateOnly | ReplyWindow::Waiting | ReplyWindow::Closed => None,
        }
    }

    /// Whether free-form messages (and reactions) may be sent now.
    pub fn allows_free_form(&self) -> bool {
        matches!(self, ReplyWindow::Open { .. } | ReplyWindow::HumanAgent { .. })
    }
}

pub fn reply_window(platform: Platform, last_inbound_at: Option<i64>, now: i64) -> ReplyWindow {
    let Some(last) = last_inbound_at else {
        // A business may open a WhatsApp conversation with a template, never a Messenger one.
        return if platform == Platform::Whatsapp { ReplyWindow::TemplateOnly } else { ReplyWindow::Waiting };
    };
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
        assert_eq!(reply_window(Platform::Messenger, None, now), ReplyWindow::Waiting);
        assert_eq!(reply_window(Platform::Whatsapp, None, now), ReplyWindow::TemplateOnly);
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

    #[test]
    fn an_answer_says_when_it_changes_and_whether_free_form_is_allowed() {
        let now = 100 * DAY_MS;
        let open = reply_window(Platform::Instagram, Some(now - 1_000), now);
        assert_eq!(open.changes_at(), Some(now - 1_000 + DAY_MS));
        assert!(open.allows_free_form());
        // Asked again at the time it named, the answer has moved on to the next window.
        let later = reply_window(Platform::Instagram, Some(now - 1_000), open.changes_at().unwrap());
        assert_eq!(later, ReplyWindow::HumanAgent { until: now - 1_000 + 7 * DAY_MS });
        let whatsapp = reply_window(Platform::Whatsapp, Some(now - 1_000), open.changes_at().unwrap());
        assert_eq!((whatsapp.changes_at(), whatsapp.allows_free_form()), (None, false));
        assert!(!reply_window(Platform::Messenger, None, now).allows_free_form());
    }
}
