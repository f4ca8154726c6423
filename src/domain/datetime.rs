//! The ONLYOFFICE API date-time value (`ApiDateTime`): a validated UTC instant,
//! its parsing from the textual forms the API accepts and its `.NET "o"`-style
//! output form. Pure domain code: no I/O.
//!
//! Accepted input (after trimming surrounding whitespace), with `K` = `Z`, `z`,
//! `±hh:mm` or nothing (nothing means UTC, the portal time zone):
//! - `yyyy-MM-ddTHH:mm:ss[.f{1..9}]K` (ISO-8601 / RFC 3339, .NET "o")
//! - `yyyy-MM-ddTHH-mm-ss[.fff|.fffffff]K` (ONLYOFFICE round-trip form)
//! - `yyyy-MM-dd` (midnight UTC)
//!
//! The date/time separator must be an uppercase `T` (no `t`, no space); the
//! time separators must be both `:` or both `-`; offsets need the colon.
//! Years (both as written and after conversion to UTC) must be in `1..=9999`.
//!
//! Precision: one microsecond, what PostgreSQL's `timestamptz` (the read models) keeps. Every value
//! is truncated to it when it is made (parsed, converted from a protobuf timestamp or the clock, or
//! read from an event), so the event, the read model and every answer hold the same instant; finer
//! digits are accepted and cut, never rounded (PostgreSQL would round `9999-12-31T23:59:59.9999999Z`
//! into the year 10000). The output keeps ONLYOFFICE's 7 digits, the last one always 0.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, SubsecRound, TimeZone, Timelike, Utc};

/// A UTC instant as the ONLYOFFICE API exchanges it, to the microsecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct ApiDateTime(DateTime<Utc>);

/// Events written before values were truncated may hold nanoseconds: they are read truncated too.
impl<'de> serde::Deserialize<'de> for ApiDateTime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        DateTime::<Utc>::deserialize(d).map(ApiDateTime::from_utc)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not a date: expected ISO-8601 (2008-04-10T06:30:00Z) or the ONLYOFFICE round-trip form (2008-04-10T06-30-00.000Z)"
)]
pub struct DateError;

impl ApiDateTime {
    /// Parses one of the accepted forms (see the module documentation).
    pub fn parse(input: &str) -> Result<Self, DateError> {
        Ok(Self::from_utc(parse_utc(input.trim().as_bytes()).ok_or(DateError)?))
    }

    /// `t`, truncated to the microsecond.
    pub fn from_utc(t: DateTime<Utc>) -> Self {
        Self(t.trunc_subsecs(6))
    }

    pub fn as_utc(&self) -> DateTime<Utc> {
        self.0
    }

    /// ONLYOFFICE output form: `yyyy-MM-ddTHH:mm:ss.fffffffZ` (always 7 fractional digits, UTC, 'Z').
    /// Takes `self` by value (the type is `Copy`), as clippy's `wrong_self_convention` asks of `to_*`.
    pub fn to_api_string(self) -> String {
        self.to_string()
    }

    /// Midnight UTC of the same day (used for the default `worksfrom`).
    pub fn start_of_day(&self) -> Self {
        Self(self.0.date_naive().and_time(NaiveTime::MIN).and_utc())
    }
}

impl std::fmt::Display for ApiDateTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // 7 digits = 100 ns ticks (the last is 0: values are kept to the microsecond).
        let ticks = self.0.nanosecond() % 1_000_000_000 / 100;
        write!(f, "{}.{ticks:07}Z", self.0.format("%Y-%m-%dT%H:%M:%S"))
    }
}

impl std::str::FromStr for ApiDateTime {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Value of a non-empty run of at most 9 ASCII digits.
fn num(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 9 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

fn parse_utc(b: &[u8]) -> Option<DateTime<Utc>> {
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = i32::try_from(num(&b[..4])?).ok()?;
    if year < 1 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(year, num(&b[5..7])?, num(&b[8..10])?)?;
    let rest = &b[10..];
    if rest.is_empty() {
        return Some(date.and_time(NaiveTime::MIN).and_utc());
    }
    if rest.len() < 9 || rest[0] != b'T' {
        return None;
    }
    let sep = rest[3];
    if !matches!(sep, b':' | b'-') || rest[6] != sep {
        return None;
    }
    let (hour, minute, second) = (num(&rest[1..3])?, num(&rest[4..6])?, num(&rest[7..9])?);
    let mut rest = &rest[9..];
    let mut nanos = 0;
    if let Some(after_dot) = rest.strip_prefix(b".") {
        let n = after_dot.iter().take_while(|c| c.is_ascii_digit()).count();
        // Hyphenated (ONLYOFFICE) form: 3 or 7 digits; ISO-8601 colon form: 1 to 9.
        if !matches!((sep, n), (b'-', 3 | 7) | (b':', 1..=9)) {
            return None;
        }
        nanos = num(&after_dot[..n])? * 10u32.pow(u32::try_from(9 - n).ok()?);
        rest = &after_dot[n..];
    }
    let offset_secs = match rest {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (oh, om) = (num(&[*h1, *h2])?, num(&[*m1, *m2])?);
            if oh > 23 || om > 59 {
                return None;
            }
            let secs = i32::try_from(oh * 3600 + om * 60).ok()?;
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    let local = date.and_time(NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?);
    let utc = FixedOffset::east_opt(offset_secs)?
        .from_local_datetime(&local)
        .single()?
        .with_timezone(&Utc);
    (1..=9999).contains(&utc.year()).then_some(utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        rfc3339.parse().unwrap()
    }

    fn assert_accepts(cases: &[(&str, &str)]) {
        for &(input, expected_utc) in cases {
            let got = ApiDateTime::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(got.as_utc(), at(expected_utc), "{input:?}");
        }
    }

    fn assert_rejects(inputs: &[&str]) {
        for input in inputs {
            assert_eq!(ApiDateTime::parse(input), Err(DateError), "{input:?}");
        }
    }

    #[test]
    fn colon_forms_with_one_to_nine_fraction_digits_are_accepted() {
        assert_accepts(&[
            ("2008-04-10T06:30:00.0000000Z", "2008-04-10T06:30:00Z"),
            ("2008-04-10T06:30:00.1234567Z", "2008-04-10T06:30:00.123456Z"),
            ("2021-11-26T04:36:28.54Z", "2021-11-26T04:36:28.540Z"),
            ("2008-04-10T06:30:00.5z", "2008-04-10T06:30:00.500Z"),
            ("2008-04-10T06:30:00Z", "2008-04-10T06:30:00Z"),
            ("2008-04-10T06:30:00", "2008-04-10T06:30:00Z"),
        ]);
    }

    #[test]
    fn hyphenated_documentation_example_is_accepted() {
        assert_accepts(&[("2008-04-10T06-30-00.000Z", "2008-04-10T06:30:00Z")]);
    }

    #[test]
    fn hyphenated_forms_with_zero_three_or_seven_fraction_digits_are_accepted() {
        assert_accepts(&[
            ("2008-04-10T06-30-00.250Z", "2008-04-10T06:30:00.250Z"),
            ("2008-04-10T06-30-00.1234567Z", "2008-04-10T06:30:00.123456Z"),
            ("2008-04-10T06-30-00Z", "2008-04-10T06:30:00Z"),
            ("2008-04-10T06-30-00", "2008-04-10T06:30:00Z"),
        ]);
        for n in [1, 2, 4, 5, 6, 8, 9] {
            assert_rejects(&[format!("2008-04-10T06-30-00.{}Z", "1".repeat(n)).as_str()]);
        }
    }

    #[test]
    fn offsets_are_converted_to_utc() {
        assert_accepts(&[
            ("2008-04-10T06:30:00.000+03:00", "2008-04-10T03:30:00Z"),
            ("2008-04-10T06:30:00.123456789+03:00", "2008-04-10T03:30:00.123456Z"),
            ("2008-04-10T06:30:00-05:00", "2008-04-10T11:30:00Z"),
            ("2008-04-10T01:00:00+03:30", "2008-04-09T21:30:00Z"),
            ("2008-04-10T06-30-00.000+01:00", "2008-04-10T05:30:00Z"),
        ]);
    }

    #[test]
    fn date_only_is_midnight_utc_and_whitespace_is_trimmed() {
        assert_accepts(&[
            ("2008-04-10", "2008-04-10T00:00:00Z"),
            ("  2008-04-10T06:30:00Z\n", "2008-04-10T06:30:00Z"),
            ("0001-01-01", "0001-01-01T00:00:00Z"),
            ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"),
        ]);
    }

    #[test]
    fn malformed_or_out_of_range_input_is_rejected() {
        assert_rejects(&["", "   ", "abc", "2008-13-01", "2008-02-30"]);
        assert_rejects(&["+008-04-10", "2008-04-10junk", "2008-04-10T06:30"]);
        assert_rejects(&["2008-04-10T25:00:00Z", "2008-04-10T06:60:00Z"]);
        assert_rejects(&["2008-04-10T06-30-00.12Z", "2008-04-10T06:30:00.Z"]);
        assert_rejects(&["2008-04-10T06:30:00Zjunk", "2008-04-10T06-30:00Z"]);
        assert_rejects(&["2008-04-10T06:30:00.1234567890Z"]);
        assert_rejects(&["2008-04-10 06:30:00Z", "2008-04-10t06:30:00Z"]);
        assert_rejects(&["2008-04-10T06:30:00+0300", "2008-04-10T06:30:00+24:00"]);
        assert_rejects(&["0000-01-01", "0001-01-01T00:30:00+01:00"]);
        assert_rejects(&["9999-12-31T23:00:00-05:00"]);
    }

    #[test]
    fn formatting_gives_seven_digits_of_a_microsecond_value_and_parses_back() {
        let whole = ApiDateTime::from_utc(at("2008-04-10T06:30:00Z"));
        assert_eq!(whole.to_api_string(), "2008-04-10T06:30:00.0000000Z");
        let fine = ApiDateTime::from_utc(at("2008-04-10T06:30:00.123456789Z"));
        assert_eq!(fine.to_api_string(), "2008-04-10T06:30:00.1234560Z");
        assert_eq!(fine.to_string(), fine.to_api_string());
        assert_eq!(ApiDateTime::parse(&fine.to_api_string()), Ok(fine));
        assert_eq!(ApiDateTime::parse(&whole.to_api_string()), Ok(whole));
    }

    #[test]
    fn finer_digits_are_cut_never_rounded_into_the_next_year() {
        let last = ApiDateTime::parse("9999-12-31T23:59:59.9999999Z").unwrap();
        assert_eq!(last.to_api_string(), "9999-12-31T23:59:59.9999990Z");
        assert_eq!(
            ApiDateTime::parse("2008-04-10T06:30:00.1234567Z")
                .unwrap()
                .to_api_string(),
            "2008-04-10T06:30:00.1234560Z"
        );
        // An event written with nanoseconds is read at the same precision.
        let old: ApiDateTime = serde_json::from_str("\"2008-04-10T06:30:00.123456789Z\"").unwrap();
        assert_eq!(old.as_utc(), at("2008-04-10T06:30:00.123456Z"));
    }

    #[test]
    fn start_of_day_is_midnight_utc_of_the_same_day() {
        let t = ApiDateTime::from_utc(at("2008-04-10T23:59:59.999999999Z"));
        assert_eq!(t.start_of_day().as_utc(), at("2008-04-10T00:00:00Z"));
    }

    #[test]
    fn serde_json_round_trip_is_transparent_over_chrono() {
        let t = ApiDateTime::from_utc(at("2008-04-10T06:30:00.123456Z"));
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, serde_json::to_string(&t.as_utc()).unwrap());
        assert_eq!(serde_json::from_str::<ApiDateTime>(&json).unwrap(), t);
    }
}
