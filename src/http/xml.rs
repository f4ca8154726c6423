//! XML in both directions, the way ONLYOFFICE does it: responses are the JSON envelope converted like
//! Newtonsoft's `XmlNodeConverter` under `<result>`, and `text/xml` request bodies become the JSON
//! value `wire::input` binds (the root's children are the fields).

use quick_xml::events::Event;
use serde_json::{Map, Value};

/// How booleans are spelled: `true` (CRM, and the live server) or `True` (seed 003's People sample).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Booleans {
    Lower,
    Title,
}

/// `value` (the envelope) as `<result>…</result>`, compact and without an XML declaration.
pub fn document(value: &Value, booleans: Booleans) -> String {
    let mut out = String::from("<result>");
    match value {
        Value::Object(map) => map.iter().for_each(|(k, v)| element(&mut out, k, v, booleans)),
        other => element(&mut out, "response", other, booleans),
    }
    out.push_str("</result>");
    out
}

/// One property: objects nest, arrays repeat the element (an empty array writes nothing), `null` and
/// `{}` are `<name />`, `""` is `<name></name>`.
fn element(out: &mut String, name: &str, value: &Value, booleans: Booleans) {
    let name = element_name(name);
    match value {
        Value::Array(items) => items.iter().for_each(|item| element(out, &name, item, booleans)),
        Value::Null => empty(out, &name),
        Value::Object(map) if map.is_empty() => empty(out, &name),
        Value::Object(map) => {
            open(out, &name);
            map.iter().for_each(|(k, v)| element(out, k, v, booleans));
            close(out, &name);
        }
        Value::String(s) => {
            open(out, &name);
            escape_into(out, s);
            close(out, &name);
        }
        Value::Number(n) => {
            open(out, &name);
            out.push_str(&n.to_string());
            close(out, &name);
        }
        Value::Bool(b) => {
            open(out, &name);
            out.push_str(match (booleans, b) {
                (Booleans::Lower, true) => "true",
                (Booleans::Lower, false) => "false",
                (Booleans::Title, true) => "True",
                (Booleans::Title, false) => "False",
            });
            close(out, &name);
        }
    }
}

fn open(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn empty(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push_str(" />");
}

/// Text content: markup characters escaped, characters XML 1.0 cannot carry replaced by U+FFFD.
fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

/// A property name as an element name; characters a name cannot hold are written `_xHHHH_`, as
/// .NET's `XmlConvert.EncodeName` does (our DTO names never need it).
fn element_name(name: &str) -> String {
    let valid = |i: usize, c: char| {
        c.is_ascii_alphabetic() || c == '_' || (i > 0 && (c.is_ascii_digit() || c == '-' || c == '.'))
    };
    if !name.is_empty() && name.chars().enumerate().all(|(i, c)| valid(i, c)) {
        return name.to_string();
    }
    if name.is_empty() {
        return "_".to_string();
    }
    name.chars()
        .enumerate()
        .map(|(i, c)| {
            if valid(i, c) {
                c.to_string()
            } else {
                format!("_x{:04X}_", c as u32)
            }
        })
        .collect()
}

/// An element being read: its name, its child fields, its text.
type Open = (String, Vec<(String, Value)>, String);

/// Deepest element nesting accepted in a request body.
const MAX_DEPTH: usize = 16;

/// A `text/xml` request body as a JSON object: each child of the root is a field; an element with
/// children is an object, one with text a string, and repeated names become an array.
pub fn parse_body(text: &str) -> Result<Value, XmlBodyError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<Value> = None;
    loop {
        let event = reader.read_event()?;
        match event {
            Event::Start(e) | Event::Empty(e) if root.is_some() => {
                return Err(XmlBodyError::AfterRoot(e.name().as_ref().to_string()));
            }
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlBodyError::TooDeep);
                }
                stack.push((e.local_name().as_ref().to_string(), Vec::new(), String::new()));
            }
            Event::Empty(e) => {
                let name = e.local_name().as_ref().to_string();
                match stack.last_mut() {
                    Some((_, children, _)) => children.push((name, Value::String(String::new()))),
                    None => root = Some(Value::Object(Map::new())),
                }
            }
            Event::Text(t) => push_text(&mut stack, &t.xml10_content())?,
            Event::CData(t) => push_text(&mut stack, &t.into_inner())?,
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref()? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = r.xml10_content();
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| XmlBodyError::UnknownEntity(name.to_string()))?
                            .to_string()
                    }
                };
                push_text(&mut stack, &resolved)?;
            }
            Event::End(_) => {
                let Some((name, children, text)) = stack.pop() else {
                    return Err(XmlBodyError::UnbalancedEnd);
                };
                let value = if children.is_empty() {
                    Value::String(text)
                } else {
                    object(children)
                };
                match stack.last_mut() {
                    Some((_, siblings, _)) => siblings.push((name, value)),
                    None => root = Some(value),
                }
            }
            Event::DocType(_) => return Err(XmlBodyError::DocType),
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }
    match root {
        Some(Value::Object(map)) => Ok(Value::Object(map)),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(Value::Object(Map::new())),
        Some(_) => Err(XmlBodyError::RootNotFields),
        None => Err(XmlBodyError::NoRoot),
    }
}

/// Text inside the current element; whitespace outside the root is ignored.
fn push_text(stack: &mut [Open], text: &str) -> Result<(), XmlBodyError> {
    match stack.last_mut() {
        Some((_, _, buf)) => {
            buf.push_str(text);
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err(XmlBodyError::TextOutsideRoot),
    }
}

/// Children in document order; a repeated name collects its values into an array.
fn object(children: Vec<(String, Value)>) -> Value {
    let mut map = Map::new();
    for (name, value) in children {
        match map.get_mut(&name) {
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => *existing = Value::Array(vec![existing.take(), value]),
            None => {
                map.insert(name, value);
            }
        }
    }
    Value::Object(map)
}

/// Why a `text/xml` request body was refused; `Display` is the message clients see.
#[derive(Debug, thiserror::Error)]
pub enum XmlBodyError {
    #[error(transparent)]
    Malformed(#[from] quick_xml::Error),
    /// A second element after the root (its name, quoted).
    #[error("unexpected element after the root: {0:?}")]
    AfterRoot(String),
    #[error("elements are nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("unknown entity &{0};")]
    UnknownEntity(String),
    #[error("unbalanced end tag")]
    UnbalancedEnd,
    #[error("document type declarations are not accepted")]
    DocType,
    #[error("the root element must hold one element per field")]
    RootNotFields,
    #[error("no root element")]
    NoRoot,
    #[error("text outside the root element")]
    TextOutsideRoot,
}

#[cfg(test)]
mod tests;
