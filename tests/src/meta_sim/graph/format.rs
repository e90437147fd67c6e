//! Graph's wire formats: field expansion `fields=a,b{c}.limit(n)` (GCONV, CONV), cursor
//! paging with `paging.cursors`, `next` and `previous` (§3.1 "stop when `next` absent",
//! GCONV), and dates as Graph writes them (`created_time` / `updated_time`, and the Pacific
//! dates in the 190/463 message, GERR).

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::request::{Reply, Req, with_query};
use super::{DEFAULT_LIMIT, MAX_LIMIT, Sim};

pub(super) fn real_now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)).unwrap_or(0)
}

pub(super) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

pub(super) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2026-01-05T10:00:00+0000`, as Graph writes `created_time` / `updated_time`.
pub(super) fn iso(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+0000", sod / 3600, sod % 3600 / 60, sod % 60)
}

/// `Tuesday, 06-Jan-26 02:00:00 PST`: the date style of Meta's 190/463 message (Pacific
/// time; **guessed** fixed UTC−8).
pub(super) fn pacific(ms: i64) -> String {
    const DAYS: [&str; 7] = ["Thursday", "Friday", "Saturday", "Sunday", "Monday", "Tuesday", "Wednesday"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let secs = ms.div_euclid(1000) - 8 * 3600;
    let days = secs.div_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let sod = secs.rem_euclid(86_400);
    format!(
        "{}, {d:02}-{}-{:02} {:02}:{:02}:{:02} PST",
        DAYS[usize::try_from(days.rem_euclid(7)).unwrap_or(0)],
        MONTHS[usize::try_from(m - 1).unwrap_or(0)],
        y % 100,
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// One requested field: `messages.limit(5){id,message}`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Field {
    pub(super) name: String,
    pub(super) limit: Option<usize>,
    pub(super) sub: Option<Vec<Field>>,
}

impl Field {
    pub(super) fn plain(name: &str) -> Field {
        Field { name: name.to_owned(), limit: None, sub: None }
    }
}

pub(super) fn fields_of(names: &[&str]) -> Vec<Field> {
    names.iter().map(|n| Field::plain(n)).collect()
}

/// Parses Graph field expansion: `a,b{c,d.limit(2){e}},f.limit(10)`.
pub(super) fn parse_fields(s: &str) -> Result<Vec<Field>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut pos = 0;
    let list = parse_field_list(&chars, &mut pos)?;
    if pos != chars.len() {
        return Err(format!(
            "Syntax error \"Expected end of string instead of \"{}\".\" at character {pos}: {s}",
            chars[pos]
        ));
    }
    Ok(list)
}

pub(super) fn parse_field_list(c: &[char], pos: &mut usize) -> Result<Vec<Field>, String> {
    let mut out = Vec::new();
    loop {
        while *pos < c.len() && c[*pos].is_whitespace() {
            *pos += 1;
        }
        let start = *pos;
        while *pos < c.len() && (c[*pos].is_ascii_alphanumeric() || c[*pos] == '_') {
            *pos += 1;
        }
        if start == *pos {
            return Err(format!("Syntax error \"Field name expected\" at character {start}"));
        }
        let mut field = Field::plain(&c[start..*pos].iter().collect::<String>());
        while *pos < c.len() && c[*pos] == '.' {
            *pos += 1;
            let ms = *pos;
            while *pos < c.len() && (c[*pos].is_ascii_alphanumeric() || c[*pos] == '_') {
                *pos += 1;
            }
            let modifier: String = c[ms..*pos].iter().collect();
            if *pos >= c.len() || c[*pos] != '(' {
                return Err(format!("Syntax error \"Expected \"(\".\" at character {}", *pos));
            }
            *pos += 1;
            let as_ = *pos;
            while *pos < c.len() && c[*pos] != ')' {
                *pos += 1;
            }
            if *pos >= c.len() {
                return Err("Syntax error \"Expected \")\".\"".to_owned());
            }
            let arg: String = c[as_..*pos].iter().collect();
            *pos += 1;
            if modifier == "limit" {
                field.limit = Some(arg.trim().parse().map_err(|_| format!("Invalid limit {arg}"))?);
            }
        }
        if *pos < c.len() && c[*pos] == '{' {
            *pos += 1;
            field.sub = Some(parse_field_list(c, pos)?);
            if *pos >= c.len() || c[*pos] != '}' {
                return Err("Syntax error \"Expected \"}\".\"".to_owned());
            }
            *pos += 1;
        }
        out.push(field);
        while *pos < c.len() && c[*pos].is_whitespace() {
            *pos += 1;
        }
        if *pos < c.len() && c[*pos] == ',' {
            *pos += 1;
        } else {
            return Ok(out);
        }
    }
}

pub(super) fn fields_to_string(fields: &[Field]) -> String {
    fields
        .iter()
        .map(|f| {
            let mut s = f.name.clone();
            if let Some(l) = f.limit {
                let _ = write!(s, ".limit({l})");
            }
            if let Some(sub) = &f.sub {
                let _ = write!(s, "{{{}}}", fields_to_string(sub));
            }
            s
        })
        .collect::<Vec<_>>()
        .join(",")
}

pub(super) fn cursor_of(id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("QVFI{id}"))
}

pub(super) fn id_of_cursor(cursor: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim_end_matches('=')).ok()?;
    String::from_utf8(bytes).ok()?.strip_prefix("QVFI").map(str::to_owned)
}

/// Which slice of `ids` a cursor request asks for, or `None` for an unknown cursor.
pub(super) fn page_range(
    ids: &[String],
    limit: usize,
    after: Option<&str>,
    before: Option<&str>,
) -> Option<(usize, usize)> {
    let total = ids.len();
    if let Some(after) = after {
        let id = id_of_cursor(after)?;
        let idx = ids.iter().position(|x| *x == id)?;
        let start = idx + 1;
        return Some((start.min(total), (start + limit).min(total)));
    }
    if let Some(before) = before {
        let id = id_of_cursor(before)?;
        let end = ids.iter().position(|x| *x == id)?;
        return Some((end.saturating_sub(limit), end));
    }
    Some((0, limit.min(total)))
}

impl Sim {
    pub(super) fn requested_fields(&mut self, req: &Req, default: &[&str]) -> Result<Vec<Field>, Reply> {
        match req.p("fields").filter(|f| !f.trim().is_empty()) {
            None => Ok(fields_of(default)),
            Some(f) => parse_fields(&f).map_err(|e| self.gerr(2500, None, &e)),
        }
    }

    pub(super) fn limit(req: &Req, field: Option<&Field>) -> usize {
        field
            .and_then(|f| f.limit)
            .or_else(|| req.p("limit").and_then(|l| l.parse().ok()))
            .unwrap_or(DEFAULT_LIMIT)
            .clamp(1, MAX_LIMIT)
    }

    /// `paging` for `ids[start..end]` of a list: cursors of the first and last item,
    /// `next` only when more follow (§3.1: "stop when `next` absent"), `previous` when
    /// something precedes (**guessed**).
    pub(super) fn paging(
        &self,
        req: &Req,
        path: &str,
        ids: &[String],
        start: usize,
        end: usize,
        extra: &[(String, String)],
    ) -> Option<Value> {
        if start >= end {
            return None;
        }
        let before = cursor_of(&ids[start]);
        let after = cursor_of(&ids[end - 1]);
        let mut paging = Map::new();
        paging.insert("cursors".into(), json!({ "before": before, "after": after }));
        let link = |cursor_key: &str, cursor: &str| {
            let mut pairs: Vec<(String, String)> = if extra.is_empty() {
                req.query.iter().filter(|(k, _)| k != "after" && k != "before").cloned().collect()
            } else {
                extra.to_vec()
            };
            pairs.push((cursor_key.to_owned(), cursor.to_owned()));
            with_query(&format!("{}/{}/{path}", self.base_url, req.version_or_latest()), &pairs)
        };
        if end < ids.len() {
            paging.insert("next".into(), link("after", &after).into());
        }
        if start > 0 {
            paging.insert("previous".into(), link("before", &before).into());
        }
        Some(Value::Object(paging))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{DAY_MS, HOUR_MS};
    use super::*;

    #[test]
    fn field_expansion_parses_nested_lists_and_limits() {
        let f = parse_fields("participants,updated_time,messages.limit(5){id,from,attachments{image_data}}").unwrap();
        assert_eq!(f.len(), 3);
        assert_eq!(f[2].name, "messages");
        assert_eq!(f[2].limit, Some(5));
        let sub = f[2].sub.as_ref().unwrap();
        assert_eq!(sub[2].sub.as_ref().unwrap()[0].name, "image_data");
        assert_eq!(
            fields_to_string(&f),
            "participants,updated_time,messages.limit(5){id,from,attachments{image_data}}"
        );
        assert!(parse_fields("messages{id").is_err());
        assert!(parse_fields("a,,b").is_err());
    }

    #[test]
    fn times_are_written_like_graph() {
        let ms = days_from_civil(2026, 1, 5) * DAY_MS + 10 * HOUR_MS;
        assert_eq!(iso(ms), "2026-01-05T10:00:00+0000");
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(pacific(ms), "Monday, 05-Jan-26 02:00:00 PST");
    }
}
