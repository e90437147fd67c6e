//! WhatsApp message templates: what an approved template needs and how it renders.

use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;

/// An approved WhatsApp template, as the composer offers it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Template {
    pub name: String,
    pub language: String,
    pub category: Option<String>,
    /// The body with `{{1}}`, `{{2}}`… where the values go.
    pub body: String,
    /// How many values the body needs.
    pub parameters: usize,
}

impl Template {
    /// From one entry of `GET /{waba-id}/message_templates` (META-API.md §3.4 Template).
    /// `None` for templates whose header or buttons need values too (a media header, a
    /// `{{1}}` in the header text or a button URL): CAHTS fills body values only, and
    /// Meta refuses such a template without the others.
    pub fn from_graph(value: &Value) -> Option<Template> {
        let components = value.get("components").and_then(Value::as_array)?;
        let needs_more = components.iter().any(|c| {
            let kind = c.get("type").and_then(Value::as_str).unwrap_or("").to_ascii_uppercase();
            let format = c.get("format").and_then(Value::as_str).unwrap_or("TEXT").to_ascii_uppercase();
            match kind.as_str() {
                "HEADER" => {
                    format != "TEXT" || c.get("text").and_then(Value::as_str).is_some_and(|t| placeholders(t) > 0)
                }
                "BUTTONS" => c.get("buttons").and_then(Value::as_array).is_some_and(|b| {
                    b.iter().any(|b| b.get("url").and_then(Value::as_str).is_some_and(|u| placeholders(u) > 0))
                }),
                _ => false,
            }
        });
        if needs_more {
            let name = value.get("name").and_then(Value::as_str).unwrap_or("");
            tracing::info!(template = name, "template skipped: it needs header or button values");
            return None;
        }
        let body = components
            .iter()
            .find(|c| c.get("type").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case("body")))?
            .get("text")
            .and_then(Value::as_str)?
            .to_string();
        Some(Template {
            name: value.get("name").and_then(Value::as_str)?.to_string(),
            language: value.get("language").and_then(Value::as_str)?.to_string(),
            category: value.get("category").and_then(Value::as_str).map(String::from),
            parameters: placeholders(&body),
            body,
        })
    }

    pub fn render(&self, values: &[String]) -> String {
        let mut out = self.body.clone();
        for (i, v) in values.iter().enumerate() {
            out = out.replace(&format!("{{{{{}}}}}", i + 1), v);
        }
        out
    }
}

/// The highest `{{n}}` in a template body.
fn placeholders(body: &str) -> usize {
    let mut highest = 0;
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        rest = &rest[start + 2..];
        if let Some(end) = rest.find("}}") {
            if let Ok(n) = rest[..end].trim().parse::<usize>() {
                highest = highest.max(n);
            }
            rest = &rest[end + 2..];
        }
    }
    highest
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn templates_count_their_body_values_and_those_needing_more_are_left_out() {
        let t = Template::from_graph(&json!({"name": "order_ready", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
            "components": [{"type": "HEADER", "format": "TEXT", "text": "Your order"}, {"type": "BODY", "text": "Hi {{1}}, order {{2}} is ready. {{2}}!"}]}))
        .unwrap();
        assert_eq!(t.parameters, 2);
        assert_eq!(t.render(&["Ada".into(), "4411".into()]), "Hi Ada, order 4411 is ready. 4411!");
        let image_header = json!({"name": "promo", "language": "en_US", "components": [{"type": "HEADER", "format": "IMAGE"}, {"type": "BODY", "text": "New!"}]});
        assert_eq!(Template::from_graph(&image_header), None);
        let url_button = json!({"name": "track", "language": "en_US", "components": [{"type": "BODY", "text": "Track it"},
            {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Track", "url": "https://x.example/{{1}}"}]}]});
        assert_eq!(Template::from_graph(&url_button), None);
    }
}
