//! The run as a picture (SVG, written by hand): every measured throughput as a fraction of its ceiling,
//! with the other figures it is compared with (the cqrs-es peer, the minimal SQL) as marks on the same
//! scale; and the command → visible latency distribution of each offered rate (a CDF, log-scale time).

use std::fmt::Write as _;
use std::time::Duration;

use crate::report::ceiling_of;
use crate::stats::Outcome;

const WIDTH: f64 = 960.0;
const LEFT: f64 = 330.0;
const RIGHT: f64 = 40.0;
const ROW: f64 = 26.0;
const CDF_HEIGHT: f64 = 260.0;
const COLORS: [&str; 4] = ["#d62728", "#9467bd", "#8c564b", "#e377c2"];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn rate(r: f64) -> String {
    if r >= 100.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// A measured row, its ceiling's rate, and the further figures it is compared with (label, rate).
type Bar<'a> = (&'a Outcome, f64, Vec<(&'static str, f64)>);

/// The SVG of a run.
pub fn svg(title: &str, rows: &[Outcome]) -> String {
    let bars: Vec<Bar<'_>> = rows
        .iter()
        .filter(|r| r.rate > 0.0 && r.is_ceiling.is_none())
        .filter_map(|r| {
            let ceiling = ceiling_of(rows, r.compare?)?;
            let marks = r
                .also
                .iter()
                .filter_map(|c| ceiling_of(rows, *c).map(|o| (c.label(), o.rate)))
                .collect();
            Some((r, ceiling.rate, marks))
        })
        .collect();
    let curves: Vec<&Outcome> = rows.iter().filter(|r| !r.distribution.is_empty()).collect();
    let max_ratio = bars
        .iter()
        .flat_map(|(r, c, marks)| std::iter::once(r.rate / c).chain(marks.iter().map(move |(_, m)| m / c)))
        .fold(1.0f64, f64::max);
    let scale_max = (max_ratio * 4.0).ceil() / 4.0;
    let plot_w = WIDTH - LEFT - RIGHT;
    let x = |ratio: f64| LEFT + plot_w * (ratio / scale_max).min(1.0);

    let bars_top = 70.0;
    let bars_h = ROW * bars.len() as f64;
    let cdf_top = bars_top + bars_h + 90.0;
    let height = cdf_top
        + if curves.is_empty() {
            0.0
        } else {
            CDF_HEIGHT + 50.0 + 16.0 * curves.len() as f64
        };
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="10" y="22" font-size="15" font-weight="bold">{}</text>"#,
        esc(title)
    );
    let _ = writeln!(
        s,
        r#"<text x="10" y="44">Throughput as a fraction of its ceiling (bar; the ceiling is 1.0). Marks: ▲ cqrs-es peer, ◆ minimal SQL, at the same client count.</text>"#
    );
    // Axis and grid.
    let mut tick = 0.0;
    while tick <= scale_max + 1e-9 {
        let tx = x(tick);
        let _ = writeln!(
            s,
            r##"<line x1="{tx:.1}" y1="{:.1}" x2="{tx:.1}" y2="{:.1}" stroke="{}" />"##,
            bars_top - 6.0,
            bars_top + bars_h,
            if (tick - 1.0).abs() < 1e-9 { "#333" } else { "#ddd" }
        );
        let _ = writeln!(
            s,
            r#"<text x="{tx:.1}" y="{:.1}" text-anchor="middle">{tick:.2}×</text>"#,
            bars_top + bars_h + 16.0
        );
        tick += 0.25;
    }
    for (i, (r, ceiling, marks)) in bars.iter().enumerate() {
        let y = bars_top + ROW * i as f64;
        let ratio = r.rate / ceiling;
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT - 8.0,
            y + 15.0,
            esc(&r.name)
        );
        let _ = writeln!(
            s,
            r##"<rect x="{LEFT}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#1f77b4"/>"##,
            y + 4.0,
            x(ratio) - LEFT,
            ROW - 8.0
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}">{} / {} {} ({ratio:.2}×)</text>"#,
            x(ratio) + 4.0,
            y + 15.0,
            rate(r.rate),
            rate(*ceiling),
            r.unit
        );
        for (label, m) in marks {
            let (mx, my) = (x(m / ceiling), y + ROW / 2.0);
            let shape = if label.contains("peer") {
                format!(
                    "{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}",
                    mx,
                    my - 6.0,
                    mx - 6.0,
                    my + 5.0,
                    mx + 6.0,
                    my + 5.0
                )
            } else {
                format!(
                    "{:.1},{:.1} {:.1},{:.1} {:.1},{:.1} {:.1},{:.1}",
                    mx,
                    my - 6.0,
                    mx + 6.0,
                    my,
                    mx,
                    my + 6.0,
                    mx - 6.0,
                    my
                )
            };
            let _ = writeln!(
                s,
                r##"<polygon points="{shape}" fill="#ff7f0e" stroke="#333"><title>{}: {} {}</title></polygon>"##,
                esc(label),
                rate(*m),
                r.unit
            );
        }
    }
    if !curves.is_empty() {
        cdf(&mut s, cdf_top, &curves);
    }
    s.push_str("</svg>\n");
    s
}

/// The latency distributions as CDFs: percent (y) against time (x, log scale from 1 ms).
fn cdf(s: &mut String, top: f64, curves: &[&Outcome]) {
    let _ = writeln!(
        s,
        r#"<text x="10" y="{:.1}">Command → visible: share of commands (y) visible within a time (x, log scale); ○ the target, 99% within 50 ms.</text>"#,
        top - 20.0
    );
    let worst = curves
        .iter()
        .flat_map(|c| c.distribution.last())
        .max()
        .copied()
        .unwrap_or(Duration::from_millis(10));
    let decades = (worst.as_secs_f64() * 1000.0).max(10.0).log10().ceil();
    let plot_w = WIDTH - LEFT - RIGHT;
    let x = |d: Duration| {
        let ms = (d.as_secs_f64() * 1000.0).max(1.0);
        LEFT + plot_w * ms.log10() / decades
    };
    let y = |p: f64| top + CDF_HEIGHT * (1.0 - p / 100.0);
    for d in 0..=decades as u32 {
        let ms = 10f64.powi(d as i32);
        let tx = x(Duration::from_secs_f64(ms / 1000.0));
        let _ = writeln!(
            s,
            r##"<line x1="{tx:.1}" y1="{top:.1}" x2="{tx:.1}" y2="{:.1}" stroke="#ddd"/><text x="{tx:.1}" y="{:.1}" text-anchor="middle">{ms} ms</text>"##,
            top + CDF_HEIGHT,
            top + CDF_HEIGHT + 16.0
        );
    }
    for p in [0.0, 25.0, 50.0, 75.0, 90.0, 100.0] {
        let ty = y(p);
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" y1="{ty:.1}" x2="{:.1}" y2="{ty:.1}" stroke="#eee"/><text x="{:.1}" y="{:.1}" text-anchor="end">{p:.0}%</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            ty + 4.0
        );
    }
    // The target: 99% within 50 ms.
    let (tx, ty) = (x(Duration::from_millis(50)), y(99.0));
    let _ = writeln!(
        s,
        r##"<circle cx="{tx:.1}" cy="{ty:.1}" r="4" fill="none" stroke="#2ca02c" stroke-width="2"><title>target: p99 ≤ 50 ms</title></circle>"##
    );
    for (i, c) in curves.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let points: Vec<String> = c
            .distribution
            .iter()
            .enumerate()
            .map(|(p, d)| format!("{:.1},{:.1}", x(*d), y(p as f64)))
            .collect();
        let _ = writeln!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2"/>"#,
            points.join(" ")
        );
        let _ = writeln!(
            s,
            r#"<text x="{LEFT:.1}" y="{:.1}" fill="{color}">— {}</text>"#,
            top + CDF_HEIGHT + 40.0 + 16.0 * i as f64,
            esc(&c.name)
        );
    }
}
