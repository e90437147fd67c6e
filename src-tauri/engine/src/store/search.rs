//! Turning what a person types into an FTS5 query.
//!
//! Every word becomes a quoted prefix term (`"word"*`), all of which must match. Quoting
//! makes FTS5 operators (`AND`, `NEAR`, `-`, `:`, `^`, parentheses) plain text, so no
//! input can produce a syntax error or a column filter. The last word being a prefix is
//! what makes search-as-you-type work; the others are prefixes too, so "resto" finds
//! "restaurant" wherever it stands.

/// Snippet markers: control characters that cannot occur in stored text after
/// [`sanitize`], so splitting on them is unambiguous.
pub const HIGHLIGHT_START: char = '\u{2}';
pub const HIGHLIGHT_END: char = '\u{3}';

/// Most words a query keeps; beyond this, extra words only slow the query down.
const MAX_TERMS: usize = 8;

/// The FTS5 MATCH expression for `input`, or `None` when it has nothing searchable.
pub fn fts_query(input: &str) -> Option<String> {
    let terms: Vec<String> = input
        .split(|c: char| c.is_whitespace() || c == '"')
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .take(MAX_TERMS)
        .map(|w| format!("\"{}\"*", sanitize(w)))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// Removes characters that would break quoting or our snippet markers.
fn sanitize(word: &str) -> String {
    word.chars().filter(|c| !c.is_control() && *c != '"').collect()
}

/// Splits an FTS5 `snippet()` result into plain and highlighted parts.
pub fn split_snippet(snippet: &str) -> Vec<crate::domain::views::SnippetPart> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut highlight = false;
    for c in snippet.chars() {
        if c == HIGHLIGHT_START || c == HIGHLIGHT_END {
            if !current.is_empty() {
                parts.push(crate::domain::views::SnippetPart { text: std::mem::take(&mut current), highlight });
            }
            highlight = c == HIGHLIGHT_START;
        } else {
            current.push(c);
        }
    }
    if !current.is_empty() {
        parts.push(crate::domain::views::SnippetPart { text: current, highlight });
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_quoted_prefix_terms() {
        assert_eq!(fts_query("hello wor").as_deref(), Some("\"hello\"* \"wor\"*"));
        assert_eq!(fts_query("  café  ").as_deref(), Some("\"café\"*"));
    }

    #[test]
    fn hostile_input_is_neutralised() {
        for input in ["", "   ", "\"", "*", "()", "-", "^", ":", "\"\"\"", "\u{2}\u{3}"] {
            assert_eq!(fts_query(input), None, "{input:?} has nothing searchable");
        }
        // Operators become quoted terms, column filters and NOT cannot be expressed.
        assert_eq!(fts_query("a OR b").as_deref(), Some("\"a\"* \"OR\"* \"b\"*"));
        assert_eq!(fts_query("body:secret").as_deref(), Some("\"body:secret\"*"));
        assert_eq!(fts_query("-x NOT y").as_deref(), Some("\"x\"* \"NOT\"* \"y\"*"));
        assert_eq!(fts_query("a\"b").as_deref(), Some("\"a\"* \"b\"*"));
        assert_eq!(fts_query("NEAR(x y)").as_deref(), Some("\"NEAR(x\"* \"y\"*"), "NEAR is a plain word");
        let long = "w ".repeat(100);
        assert_eq!(fts_query(&long).unwrap().matches('*').count(), MAX_TERMS);
    }

    #[test]
    fn hostile_queries_run_against_fts5() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE VIRTUAL TABLE t USING fts5(body, tokenize = 'unicode61 remove_diacritics 2'); INSERT INTO t VALUES ('Café au lait, body: yes');").unwrap();
        for input in ["cafe", "body:", "a OR b", "NEAR(x y)", "\"", "x)", "(((", "*", "^cafe", "caf\u{e9}", "{body}: c"]
        {
            if let Some(q) = fts_query(input) {
                let r: rusqlite::Result<i64> =
                    conn.query_row("SELECT count(*) FROM t WHERE t MATCH ?1", [&q], |r| r.get(0));
                assert!(r.is_ok(), "query {q:?} from {input:?} must be valid FTS5: {r:?}");
            }
        }
        let n: i64 = conn
            .query_row("SELECT count(*) FROM t WHERE t MATCH ?1", [fts_query("cafe").unwrap()], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1, "diacritics are folded: cafe finds Café");
    }

    #[test]
    fn snippets_split_into_parts() {
        let s = format!("say {HIGHLIGHT_START}hello{HIGHLIGHT_END} there");
        let parts = split_snippet(&s);
        assert_eq!(parts.len(), 3);
        assert!(parts[1].highlight && parts[1].text == "hello");
        assert!(!parts[0].highlight && !parts[2].highlight);
    }
}
