//! Import and export names (Explainer.md, "Import and Export Definitions"
//! and "Name Uniqueness"): labels in kebab case, plain and interface names,
//! and the strongly-unique canonical form. Messages are wasmparser's.

use super::{ValidationError, err};

type Result<T> = std::result::Result<T, ValidationError>;

/// Explainer: label — fragments separated by `-`; the first starts with a
/// letter; each is all lowercase (`word`) or all uppercase (`acronym`).
pub(super) fn is_label(s: &str) -> bool {
    if s.is_empty() {
        return false;
    }
    s.split('-').enumerate().all(|(i, frag)| {
        let mut cs = frag.chars();
        let Some(c0) = cs.next() else { return false };
        if i == 0 && !c0.is_ascii_alphabetic() {
            return false;
        }
        let lower = frag
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let upper = frag
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        lower || upper
    })
}

/// Checks a label (record field, case, flag, enum tag, parameter name).
pub(super) fn check_label(s: &str, what: &str) -> Result<()> {
    if s.is_empty() {
        return err(format!("{what} name cannot be empty"));
    }
    if !is_label(s) {
        return err(format!("{what} name `{s}` is not in kebab case"));
    }
    Ok(())
}

/// Explainer: Name Uniqueness, step 1.1 — lowercase.
pub(super) fn lower(s: &str) -> String {
    s.to_ascii_lowercase()
}

/// The parsed shape of an extern name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Name {
    /// A bare label.
    Label(String),
    /// `[constructor]r`
    Constructor(String),
    /// `[method]r.m`
    Method(String, String),
    /// `[static]r.m`
    Static(String, String),
    /// `ns:pkg/iface@version`, with its version if any
    Interface(Option<String>),
}

impl Name {
    /// Explainer: Name Uniqueness — the canonical form compared for
    /// strong uniqueness.
    pub fn canonical(&self, raw: &str) -> String {
        match self {
            Name::Label(l) => lower(l),
            Name::Constructor(r) => format!("[constructor]{}", lower(r)),
            Name::Method(r, m) | Name::Static(r, m) => {
                if lower(r) == lower(m) {
                    lower(r)
                } else {
                    format!("{}.{}", lower(r), lower(m))
                }
            }
            Name::Interface(_) => lower(raw),
        }
    }
}

/// Explainer: words — lowercase-only kebab (namespace and package).
fn take_kebab<'a>(s: &mut &'a str) -> Result<&'a str> {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .unwrap_or(s.len());
    let (k, rest) = s.split_at(end);
    if !is_label(k) {
        return err(format!("`{k}` is not in kebab case"));
    }
    *s = rest;
    Ok(k)
}

fn take_words<'a>(s: &mut &'a str) -> Result<&'a str> {
    let k = take_kebab(s)?;
    if let Some(c) = k.chars().find(|c| c.is_ascii_uppercase()) {
        return err(format!(
            "character `{c}` is not lowercase in package name/namespace"
        ));
    }
    Ok(k)
}

/// Explainer: externname — a plain name or an interface name.
pub(super) fn parse(name: &str) -> Result<Name> {
    if name.contains(':') {
        let mut s = name;
        take_words(&mut s)?;
        s = s
            .strip_prefix(':')
            .ok_or_else(|| ValidationError::Invalid(format!("expected `:` at `{s}`")))?;
        take_words(&mut s)?;
        let Some(rest) = s.strip_prefix('/') else {
            return err("expected `/` after package name");
        };
        s = rest;
        take_kebab(&mut s)?;
        let mut version = None;
        if let Some(v) = s.strip_prefix('@') {
            version = Some(v.to_string());
            s = "";
        }
        if !s.is_empty() {
            return err(format!("trailing characters found: `{s}`"));
        }
        return Ok(Name::Interface(version));
    }
    let kebab = |s: &str| -> Result<String> {
        if !is_label(s) {
            return err(format!("`{s}` is not in kebab case"));
        }
        Ok(s.to_string())
    };
    let dotted = |s: &str| -> Result<(String, String)> {
        let Some((r, m)) = s.split_once('.') else {
            return err("failed to find `.` character");
        };
        Ok((kebab(r)?, kebab(m)?))
    };
    if let Some(r) = name.strip_prefix("[constructor]") {
        return Ok(Name::Constructor(kebab(r)?));
    }
    if let Some(r) = name.strip_prefix("[method]") {
        let (r, m) = dotted(r)?;
        return Ok(Name::Method(r, m));
    }
    if let Some(r) = name.strip_prefix("[static]") {
        let (r, m) = dotted(r)?;
        return Ok(Name::Static(r, m));
    }
    Ok(Name::Label(kebab(name)?))
}

/// Explainer 🔗: an interface version — valid semver, or a canonical
/// version completed by a version suffix.
pub(super) fn check_version(v: Option<&str>, suffix: Option<&str>) -> Result<()> {
    match (v, suffix) {
        (None, None) => Ok(()),
        (None, Some(_)) => err("a version suffix requires an interface version"),
        (Some(v), None) => check_semver(v),
        (Some(v), Some(sfx)) => {
            if !is_canon_version(v) {
                return err(format!("`{v}` is not a canonical version"));
            }
            check_semver(&format!("{v}{sfx}"))
        }
    }
}

/// Explainer 🔗: canonversion — `N`, `0.N`, `0.0.N` (N > 0) or `0.0.0`.
fn is_canon_version(v: &str) -> bool {
    let nonzero =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with('0');
    match v.split('.').collect::<Vec<_>>()[..] {
        [a] => nonzero(a),
        ["0", b] => nonzero(b),
        ["0", "0", c] => nonzero(c) || c == "0",
        _ => false,
    }
}

/// A semantic version (semver.org): `MAJOR.MINOR.PATCH(-pre)?(+build)?`,
/// with the `semver` crate's messages (as the reference tests have them).
pub(super) fn check_semver(v: &str) -> Result<()> {
    if v.is_empty() {
        return err("empty string, expected a semver version");
    }
    let mut rest = v;
    for (i, part) in ["major", "minor", "patch"].into_iter().enumerate() {
        if i > 0 {
            match rest.chars().next() {
                Some('.') => rest = &rest[1..],
                Some(c) => {
                    let prev = ["major", "minor"][i - 1];
                    return err(format!(
                        "unexpected character '{c}' after {prev} version number"
                    ));
                }
                None => {
                    return err(format!(
                        "unexpected end of input while parsing {part} version number"
                    ));
                }
            }
        }
        let end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let digits = &rest[..end];
        if digits.is_empty() {
            return match rest.chars().next() {
                Some(c) => err(format!(
                    "unexpected character '{c}' while parsing {part} version number"
                )),
                None => err(format!(
                    "unexpected end of input while parsing {part} version number"
                )),
            };
        }
        if digits.len() > 1 && digits.starts_with('0') {
            return err(format!("invalid leading zero in {part} version number"));
        }
        if digits.parse::<u64>().is_err() {
            return err(format!("value of {part} version number exceeds u64::MAX"));
        }
        rest = &rest[end..];
    }
    let (pre, build) = match rest.chars().next() {
        None => return Ok(()),
        Some('-') => match rest[1..].split_once('+') {
            Some((p, b)) => (Some(p), Some(b)),
            None => (Some(&rest[1..]), None),
        },
        Some('+') => (None, Some(&rest[1..])),
        Some(c) => {
            return err(format!(
                "unexpected character '{c}' after patch version number"
            ));
        }
    };
    for (ids, what) in [(pre, "pre-release identifier"), (build, "build metadata")] {
        let Some(ids) = ids else { continue };
        for id in ids.split('.') {
            if id.is_empty() {
                return err(format!("empty identifier segment in {what}"));
            }
            if let Some(c) = id
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
            {
                return err(format!("unexpected character '{c}' in {what}"));
            }
        }
    }
    Ok(())
}
