//! Splitting a script into its top-level directives.
//!
//! Each directive is parsed on its own, so one that the `wast` crate cannot
//! parse costs one verdict, not the whole file.

/// One top-level parenthesised form and where it starts in the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk<'a> {
    /// Byte offset of the opening parenthesis.
    pub offset: usize,
    /// The form's text, parentheses included.
    pub text: &'a str,
}

/// Splits `src` into top-level forms, skipping comments and whitespace.
///
/// Unbalanced input ends in an error naming the offset of the form that
/// never closes (or of a stray closing parenthesis).
pub fn split(src: &str) -> Result<Vec<Chunk<'_>>, (usize, String)> {
    let bytes = src.as_bytes();
    let mut chunks = Vec::new();
    let mut depth = 0usize;
    let mut start = 0usize;
    let mut i = 0usize;
    while i < bytes.len() {
        match bytes[i] {
            b';' if bytes.get(i + 1) == Some(&b';') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'(' if bytes.get(i + 1) == Some(&b';') => {
                i = skip_block_comment(bytes, i).ok_or((i, "unclosed block comment".into()))?;
                continue;
            }
            b'"' => {
                i = skip_string(bytes, i).ok_or((i, "unclosed string".into()))?;
                continue;
            }
            b'(' => {
                if depth == 0 {
                    start = i;
                }
                depth += 1;
            }
            b')' => {
                if depth == 0 {
                    return Err((i, "unexpected ')'".into()));
                }
                depth -= 1;
                if depth == 0 {
                    chunks.push(Chunk {
                        offset: start,
                        text: &src[start..=i],
                    });
                }
            }
            _ => {}
        }
        i += 1;
    }
    if depth > 0 {
        return Err((start, "unclosed '('".into()));
    }
    Ok(chunks)
}

/// The first parenthesised form of `src` (which starts at its first '('),
/// ignoring whatever follows it: the text of a directive nested in another.
pub fn first_form(src: &str) -> Option<&str> {
    let bytes = src.as_bytes();
    let (mut depth, mut start, mut i) = (0usize, None, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b';' if bytes.get(i + 1) == Some(&b';') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'(' if bytes.get(i + 1) == Some(&b';') => {
                i = skip_block_comment(bytes, i)?;
                continue;
            }
            b'"' => {
                i = skip_string(bytes, i)?;
                continue;
            }
            b'(' => {
                start.get_or_insert(i);
                depth += 1;
            }
            b')' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(&src[start?..=i]);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Returns the index after a (nested) block comment starting at `i`.
fn skip_block_comment(bytes: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 0usize;
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'(', b';') => {
                depth += 1;
                i += 2;
            }
            (b';', b')') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// Returns the index after a string literal starting at `i`.
fn skip_string(bytes: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// 1-based line and column of a byte offset.
pub fn line_col(src: &str, offset: usize) -> (u32, u32) {
    Lines::new(src).line_col(offset)
}

/// The line starts of a script, for positions in O(log n).
#[derive(Debug, Clone)]
pub struct Lines<'a> {
    src: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    /// Indexes the lines of `src`.
    pub fn new(src: &'a str) -> Lines<'a> {
        let starts = std::iter::once(0)
            .chain(
                src.bytes()
                    .enumerate()
                    .filter(|(_, b)| *b == b'\n')
                    .map(|(i, _)| i + 1),
            )
            .collect();
        Lines { src, starts }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.src.len());
        let line = self.starts.partition_point(|s| *s <= offset) - 1;
        let start = self.starts[line];
        let col = self
            .src
            .get(start..offset)
            .map_or(offset - start, |t| t.chars().count());
        (line as u32 + 1, col as u32 + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_form_ignores_what_follows() {
        let src = "(thread $I (module) \")\" ;; )\n (wait $I)) (wait $O))";
        assert_eq!(
            first_form(src),
            Some("(thread $I (module) \")\" ;; )\n (wait $I))")
        );
        assert_eq!(first_form("(a (b)"), None);
    }

    #[test]
    fn splits_around_comments_and_strings() {
        let src = ";; a (comment\n(module (func)) (; block (; nested ;) ) ;)\n(assert_return (invoke \"f)\" ) )";
        let chunks = split(src).unwrap();
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[0].text, "(module (func))");
        assert_eq!(chunks[1].text, "(assert_return (invoke \"f)\" ) )");
        assert_eq!(line_col(src, chunks[1].offset), (3, 1));
        assert_eq!(line_col(src, chunks[0].offset), (2, 1));
    }

    #[test]
    fn unbalanced_is_an_error() {
        assert!(split("(module").is_err());
        assert!(split("(module))").is_err());
        assert!(split("(module \"abc)").is_err());
        assert!(split("(; never closed").is_err());
    }
}

/// Rewrites folded legacy exception handling, which the `wast` crate no
/// longer parses, into the flat form it does parse (the two forms mean the
/// same; text format of the legacy exception-handling proposal):
///
/// `(try bt (do A) (catch $t B) (catch_all C))` -> `try bt A catch $t B catch_all C end`
/// `(try bt (do A) (delegate $l))`              -> `try bt A delegate $l`
///
/// Text inside strings and comments is left alone; other forms are copied.
pub fn unfold_legacy_try(text: &str) -> String {
    if !text.contains("(try") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    rewrite(text, &mut out);
    out
}

/// The end (exclusive) of the form or atom starting at `i`, skipping strings
/// and comments; `None` if unbalanced.
fn form_end(bytes: &[u8], i: usize) -> Option<usize> {
    if bytes[i] != b'(' {
        return Some(i + 1);
    }
    let mut depth = 0usize;
    let mut j = i;
    while j < bytes.len() {
        match bytes[j] {
            b'"' => {
                j = skip_string(bytes, j)?;
                continue;
            }
            b';' if bytes.get(j + 1) == Some(&b';') => {
                while j < bytes.len() && bytes[j] != b'\n' {
                    j += 1;
                }
                continue;
            }
            b'(' if bytes.get(j + 1) == Some(&b';') => {
                j = skip_block_comment(bytes, j)?;
                continue;
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(j + 1);
                }
            }
            _ => {}
        }
        j += 1;
    }
    None
}

/// The keyword right after an opening parenthesis.
fn head(form: &str) -> &str {
    form[1..]
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .next()
        .unwrap_or("")
}

fn rewrite(text: &str, out: &mut String) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let skip_to = match c {
            b'"' => skip_string(bytes, i),
            b';' if bytes.get(i + 1) == Some(&b';') => {
                Some(text[i..].find('\n').map_or(bytes.len(), |n| i + n))
            }
            b'(' if bytes.get(i + 1) == Some(&b';') => skip_block_comment(bytes, i),
            b'(' if head(&text[i..]) == "try" => match form_end(bytes, i) {
                Some(end) => {
                    rewrite_try(&text[i..end], out);
                    i = end;
                    continue;
                }
                None => None,
            },
            _ => Some(i + text[i..].chars().next().map_or(1, char::len_utf8)),
        };
        // Unbalanced text is copied as is; the parser will report it.
        let end = skip_to.unwrap_or(bytes.len());
        out.push_str(&text[i..end]);
        i = end;
    }
}

/// Rewrites one `(try ...)` form (given whole, parentheses included).
fn rewrite_try(form: &str, out: &mut String) {
    let inner = &form[4..form.len() - 1];
    let bytes = inner.as_bytes();
    let mut header_end = None;
    let mut clauses: Vec<(&str, &str)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'(' && !matches!(bytes.get(i + 1), Some(b';')) {
            let Some(end) = form_end(bytes, i) else { break };
            let sub = &inner[i..end];
            let kw = head(sub);
            if matches!(kw, "do" | "catch" | "catch_all" | "delegate") {
                header_end.get_or_insert(i);
                clauses.push((kw, &sub[1 + kw.len()..sub.len() - 1]));
            }
            i = end;
        } else {
            i += 1;
        }
    }
    let Some(header_end) = header_end else {
        out.push_str(form);
        return;
    };
    out.push_str("try");
    out.push_str(&inner[..header_end]);
    let mut delegated = false;
    for (kw, body) in clauses {
        if kw != "do" {
            out.push(' ');
            out.push_str(kw);
        }
        delegated |= kw == "delegate";
        out.push(' ');
        rewrite(body, out);
    }
    if !delegated {
        out.push_str(" end");
    }
}

#[cfg(test)]
mod legacy_tests {
    /// The rewrite with whitespace runs collapsed.
    fn unfold_legacy_try(text: &str) -> String {
        super::unfold_legacy_try(text)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn unfolds_try_catch_and_delegate() {
        assert_eq!(
            unfold_legacy_try("(func (try (do) (catch $e0)))"),
            "(func try catch $e0 end)"
        );
        assert_eq!(
            unfold_legacy_try("(try (result i32) (do (i32.const 1)) (catch_all (i32.const 2)))"),
            "try (result i32) (i32.const 1) catch_all (i32.const 2) end"
        );
        assert_eq!(
            unfold_legacy_try("(try $l (do (try (do (throw $e)) (delegate $l))) (catch $e))"),
            "try $l try (throw $e) delegate $l catch $e end"
        );
        let untouched = "(module (func (try_table (do)) \"(try (do))\"))";
        assert_eq!(unfold_legacy_try(untouched), untouched);
    }
}
