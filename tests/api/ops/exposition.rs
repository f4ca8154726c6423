//! A strict reader of the Prometheus text exposition format (0.0.4), so the tests check what a
//! Prometheus server would accept: names, labels and escapes, values, a TYPE for every family, and
//! histograms whose buckets are cumulative and end in `+Inf` = `_count`.

use std::collections::{BTreeMap, HashMap};

/// One sample's identity: metric name and its labels (sorted).
pub type Key = (String, BTreeMap<String, String>);

#[derive(Debug, Default)]
pub struct Exposition {
    pub types: HashMap<String, String>,
    pub samples: BTreeMap<Key, f64>,
}

impl Exposition {
    /// The value of `name` with exactly these labels.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        self.samples.get(&(name.to_string(), labels)).copied()
    }

    /// The value of `name` with these labels, 0 when the series does not exist yet.
    pub fn count(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.value(name, labels).unwrap_or(0.0)
    }
}

fn valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn parse_value(s: &str) -> Result<f64, String> {
    match s {
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ => s.parse().map_err(|_| format!("bad value {s:?}")),
    }
}

/// `{a="x",b="y"}` → labels, and the rest of the line after `}`.
fn parse_labels(s: &str) -> Result<(BTreeMap<String, String>, &str), String> {
    let mut labels = BTreeMap::new();
    let mut rest = s.strip_prefix('{').ok_or("labels must start with {")?;
    loop {
        rest = rest.trim_start_matches(',');
        if let Some(after) = rest.strip_prefix('}') {
            return Ok((labels, after));
        }
        let (name, after) = rest.split_once("=\"").ok_or_else(|| format!("bad label in {s:?}"))?;
        if !valid_name(name) || name.starts_with("__") {
            return Err(format!("bad label name {name:?}"));
        }
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => match chars.next() {
                    Some((_, '\\')) => value.push('\\'),
                    Some((_, '"')) => value.push('"'),
                    Some((_, 'n')) => value.push('\n'),
                    other => return Err(format!("bad escape {other:?} in {s:?}")),
                },
                Some((i, '"')) => break i,
                Some((_, c)) => value.push(c),
                None => return Err(format!("unterminated label value in {s:?}")),
            }
        };
        if labels.insert(name.to_string(), value).is_some() {
            return Err(format!("duplicate label {name} in {s:?}"));
        }
        rest = &after[end + 1..];
    }
}

/// The family a sample belongs to: histograms and summaries add suffixes to their family's name.
fn family<'a>(name: &'a str, types: &HashMap<String, String>) -> &'a str {
    for suffix in ["_bucket", "_sum", "_count"] {
        if let Some(base) = name.strip_suffix(suffix)
            && matches!(types.get(base).map(String::as_str), Some("histogram" | "summary"))
        {
            return base;
        }
    }
    name
}

pub fn parse(text: &str) -> Result<Exposition, String> {
    let mut e = Exposition::default();
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            let mut parts = comment.trim_start().splitn(3, ' ');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("TYPE"), Some(name), Some(kind)) => {
                    if !valid_name(name) {
                        return Err(format!("bad metric name {name:?}"));
                    }
                    if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind) {
                        return Err(format!("bad type {kind:?}"));
                    }
                    if e.types.insert(name.to_string(), kind.to_string()).is_some() {
                        return Err(format!("second TYPE for {name}"));
                    }
                }
                (Some("HELP"), Some(name), _) if !valid_name(name) => return Err(format!("bad name {name:?}")),
                _ => {}
            }
            continue;
        }
        let name_end = line.find(['{', ' ']).ok_or_else(|| format!("bad sample {line:?}"))?;
        let name = &line[..name_end];
        if !valid_name(name) {
            return Err(format!("bad metric name {name:?}"));
        }
        let (labels, rest) = if line[name_end..].starts_with('{') {
            parse_labels(&line[name_end..])?
        } else {
            (BTreeMap::new(), &line[name_end..])
        };
        let mut fields = rest.split_whitespace();
        let value = parse_value(fields.next().ok_or_else(|| format!("no value in {line:?}"))?)?;
        if let Some(ts) = fields.next() {
            ts.parse::<i64>().map_err(|_| format!("bad timestamp in {line:?}"))?;
        }
        if fields.next().is_some() {
            return Err(format!("trailing text in {line:?}"));
        }
        let fam = family(name, &e.types);
        if !e.types.contains_key(fam) {
            return Err(format!("sample {name} before (or without) its # TYPE"));
        }
        if e.types[fam] == "counter" && (value < 0.0 || value.is_nan()) {
            return Err(format!("negative counter in {line:?}"));
        }
        if e.samples.insert((name.to_string(), labels), value).is_some() {
            return Err(format!("duplicate sample {line:?}"));
        }
    }
    check_histograms(&e)?;
    Ok(e)
}

/// Buckets never decrease with `le`, and the `+Inf` bucket equals `_count`.
fn check_histograms(e: &Exposition) -> Result<(), String> {
    let mut series: BTreeMap<Key, Vec<(f64, f64)>> = BTreeMap::new();
    for ((name, labels), value) in &e.samples {
        let Some(base) = name.strip_suffix("_bucket") else {
            continue;
        };
        let mut rest = labels.clone();
        let le = rest.remove("le").ok_or_else(|| format!("{name} without le"))?;
        series
            .entry((base.to_string(), rest))
            .or_default()
            .push((parse_value(&le)?, *value));
    }
    for ((base, labels), mut buckets) in series {
        buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        if buckets.windows(2).any(|w| w[1].1 < w[0].1) {
            return Err(format!("{base} buckets decrease: {buckets:?}"));
        }
        let inf = buckets.last().filter(|b| b.0.is_infinite()).map(|b| b.1);
        let count = e.samples.get(&(format!("{base}_count"), labels.clone())).copied();
        if inf.is_none() || inf != count {
            return Err(format!("{base}{labels:?}: +Inf bucket {inf:?} != _count {count:?}"));
        }
    }
    Ok(())
}

#[test]
fn the_reader_refuses_what_prometheus_would_refuse() {
    let ok = "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\\\"q\"} 3\n";
    assert_eq!(parse(ok).unwrap().value("a_total", &[("x", "1\"q")]), Some(3.0));
    for bad in [
        "a_total 1\n",
        "# TYPE a counter\na{x=\"1\"\n",
        "# TYPE a counter\na -1\n",
        "# TYPE 1a counter\n",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 0\n",
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 1\nh_sum 0\n",
    ] {
        assert!(parse(bad).is_err(), "accepted {bad:?}");
    }
}
