//! `losses.png`, the plot of `losses.csv` ([`crate::losses`]): D and G losses over
//! epochs, and the Fréchet distance on a second axis when `--eval-every` recorded it.
//! Drawn with plotters and the DejaVu Sans font embedded in the binary, so a fresh
//! machine without system fonts renders it the same.

use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::losses::LossRow;

/// The font, embedded (licence: `train/assets/FONT-LICENSE.txt`).
const FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
/// Plot size in pixels.
const SIZE: (u32, u32) = (960, 540);

pub(crate) fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid TrueType font, embedded at build time.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// Steps per epoch, from the first epoch's last row (rows from a resumed run included).
fn steps_per_epoch(rows: &[LossRow]) -> f64 {
    let first = rows.first().map_or(1, |r| r.epoch);
    let last_step = rows.iter().filter(|r| r.epoch == first).map(|r| r.step).max().unwrap_or(1);
    (last_step as f64 / first as f64).max(1.0)
}

/// The plot's axes: x (epochs) from the first row to the last, y (losses) from the
/// finite values with headroom on top, where the legend sits above the lines.
#[derive(Debug, PartialEq)]
struct Ranges {
    x: (f64, f64),
    y: (f64, f64),
}

/// Share of the loss axis kept free above the highest loss, for the legend.
const LEGEND_HEADROOM: f64 = 0.45;

fn ranges(rows: &[LossRow]) -> Ranges {
    let spe = steps_per_epoch(rows);
    let xs: Vec<f64> = rows.iter().map(|r| r.step as f64 / spe).collect();
    let x_min = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let x_max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    // One point (or none) still needs an axis of some width.
    let (x_min, x_max) =
        if x_min.is_finite() && x_max > x_min { (x_min, x_max) } else { (x_min.min(1.0) - 0.5, x_min.min(1.0) + 0.5) };
    let losses: Vec<f64> = rows.iter().flat_map(|r| [r.loss_d, r.loss_g]).filter(|v| v.is_finite()).collect();
    let top = losses.iter().copied().fold(1.0, f64::max);
    let bottom = losses.iter().copied().fold(0.0, f64::min) * 1.05;
    Ranges { x: (x_min, x_max), y: (bottom, top + (top - bottom) * LEGEND_HEADROOM) }
}

/// Key points asked of the log axis: plotters draws every 1..9 × 10^k when it may draw
/// ten per decade, so 50 keep them up to five decades (a run's distances go from a few
/// hundred to about 1: three).
const LOG_KEY_POINTS: usize = 50;

/// The log axis' range for `values`: from just under the power of ten below the lowest
/// (plotters labels from the first power of ten inside the range) to half again above
/// the highest.
fn log_axis(values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let max = values.clone().fold(1.0, f64::max) * 1.5;
    let min = values.fold(max, f64::min).max(1e-3);
    (10f64.powf(min.log10().floor()) * 0.999, max)
}

/// An epoch axis label: whole epochs without a decimal point ("5", not "5.0").
fn epoch_label(x: &f64) -> String {
    let text = format!("{x:.1}");
    match text.strip_suffix(".0") {
        Some(whole) => whole.to_string(),
        None => text,
    }
}

/// A log axis' label: 1, 2 and 5 times a power of ten, so that late values (around 2)
/// can be read off; the other light lines stay unlabelled.
fn log_label(v: &f64) -> String {
    let power = 10f64.powf(v.log10().floor());
    let mantissa = (v / power).round();
    if [1.0, 2.0, 5.0].contains(&mantissa) {
        let decimals = (-power.log10().round()).max(0.0) as usize;
        format!("{:.*}", decimals, mantissa * power)
    } else {
        String::new()
    }
}

/// The PNG: losses on the left axis, Fréchet distance on the right (when recorded).
/// Axis ranges come from the finite values only, so a diverged run still plots at once.
pub fn plot_png(rows: &[LossRow], title: &str) -> Result<Vec<u8>, String> {
    register_font();
    let (w, h) = SIZE;
    let mut buffer = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let spe = steps_per_epoch(rows);
        let epoch_of = |r: &LossRow| r.step as f64 / spe;
        let finite = |v: f64| v.is_finite().then_some(v);
        let Ranges { x: (x_min, x_max), y: (y_min, y_max) } = ranges(rows);
        let fd: Vec<(f64, f64)> = rows.iter().filter_map(|r| Some((epoch_of(r), finite(r.frechet?)?))).collect();
        // The distance falls by two orders of magnitude: a log axis keeps the late,
        // small differences (the ones that pick the best epoch) visible.
        let (fd_min, fd_max) = log_axis(fd.iter().map(|p| p.1));

        let mut chart = ChartBuilder::on(&root)
            .caption(
                if fd.is_empty() {
                    format!("{title}: losses (means per 100 steps, or per epoch when shorter)")
                } else {
                    format!("{title}: losses (means per 100 steps, or per epoch) and sample quality")
                },
                ("sans-serif", 22),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .right_y_label_area_size(if fd.is_empty() { 0 } else { 60 })
            .build_cartesian_2d(x_min..x_max, y_min..y_max)
            .map_err(|e| e.to_string())?
            .set_secondary_coord(x_min..x_max, (fd_min..fd_max).log_scale());
        chart
            .configure_mesh()
            .x_desc("epoch")
            .x_label_formatter(&epoch_label)
            .y_desc("loss")
            .label_style(("sans-serif", 14))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(|e| e.to_string())?;
        let line = |pick: fn(&LossRow) -> f64| {
            rows.iter().filter_map(move |r| Some((epoch_of(r), finite(pick(r))?))).collect::<Vec<_>>()
        };
        let red = RGBColor(200, 40, 40);
        let blue = RGBColor(40, 70, 200);
        chart
            .draw_series(LineSeries::new(line(|r| r.loss_d), red.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label("D loss")
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], red.stroke_width(2)));
        chart
            .draw_series(LineSeries::new(line(|r| r.loss_g), blue.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label("G loss")
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], blue.stroke_width(2)));
        if !fd.is_empty() {
            let green = RGBColor(20, 140, 60);
            chart
                .configure_secondary_axes()
                .y_desc("Fréchet distance to MNIST test, even half (log)")
                .label_style(("sans-serif", 14))
                // Enough key points for 2..9 between the powers of ten; 1, 2 and 5 labelled.
                .y_labels(LOG_KEY_POINTS)
                .y_label_formatter(&log_label)
                .draw()
                .map_err(|e| e.to_string())?;
            chart
                .draw_secondary_series(LineSeries::new(fd.clone(), green.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label("Fréchet distance (right axis)")
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], green.stroke_width(2)));
            chart
                .draw_secondary_series(fd.iter().map(|&p| Circle::new(p, 3, green.filled())))
                .map_err(|e| e.to_string())?;
        }
        chart
            .configure_series_labels()
            .label_font(("sans-serif", 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    let img = image::RgbImage::from_raw(w, h, buffer).ok_or("plot buffer has the wrong size")?;
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
        .map_err(|e| e.to_string())?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::losses::tests::row;

    /// The old plot looped over every whole unit up to the largest loss (a hang at 1e10).
    #[test]
    fn huge_and_non_finite_losses_plot_at_once() {
        let rows = vec![row(1, 100, 0.7), row(1, 600, 3e10), row(2, 700, f64::NAN), row(2, 1200, 1.0)];
        let started = std::time::Instant::now();
        let png = plot_png(&rows, "test").unwrap();
        let seconds = started.elapsed().as_secs_f64();
        println!("plot with a loss of 3e10 and a NaN: {seconds:.3} s (limit 5 s)");
        assert!(seconds < 5.0);
        let img = image::load_from_memory(&png).unwrap();
        assert_eq!((img.width(), img.height()), SIZE);
    }

    /// The labels plotters gives the axis for the distances a run goes through, from
    /// the first epochs (hundreds) to the best (near the floor, under 2).
    #[test]
    fn the_log_axis_labels_the_decade_of_the_lowest_value() {
        use plotters::coord::ranged1d::Ranged;
        for (low, high, wanted) in
            [(1.9, 310.0, ["1", "2", "5"]), (1.2, 310.0, ["1", "2", "5"]), (0.4, 20.0, ["0.2", "0.5", "1"])]
        {
            let (min, max) = log_axis([low, high].into_iter());
            let axis: plotters::coord::combinators::LogCoord<f64> = (min..max).log_scale().into();
            let labels: Vec<String> =
                axis.key_points(LOG_KEY_POINTS).iter().map(log_label).filter(|l| !l.is_empty()).collect();
            println!("values {low}..{high}: axis {min:.4}..{max:.1}, labels {labels:?}");
            assert!(wanted.iter().all(|w| labels.contains(&w.to_string())), "{wanted:?} not all in {labels:?}");
            assert!(min <= low, "the lowest value {low} is on the axis");
        }
    }

    #[test]
    fn the_log_axis_labels_one_two_and_five() {
        let labels: Vec<String> =
            [0.2, 0.3, 1.0, 2.0000001, 3.0, 5.0, 20.0, 90.0, 100.0].iter().map(log_label).collect();
        println!("{labels:?}");
        assert_eq!(labels, ["0.2", "", "1", "2", "", "5", "20", "", "100"]);
        let epochs: Vec<String> = [5.0, 10.0, 1.5, 0.30000000000000004].iter().map(epoch_label).collect();
        assert_eq!(epochs, ["5", "10", "1.5", "0.3"]);
    }

    #[test]
    fn the_axes_start_at_the_data_and_leave_the_legend_room_above_it() {
        // A smoke run: one row per epoch, at epochs 1, 2, 3.
        let rows = vec![row(1, 10, 1.0), row(2, 20, 0.8), row(3, 30, 0.9)];
        let r = ranges(&rows);
        println!("{r:?}");
        assert_eq!(r.x, (1.0, 3.0), "the x axis spans the data, not from 0");
        let highest = 2.0; // G's loss is twice D's in `row`
        assert!(r.y.1 >= highest * (1.0 + LEGEND_HEADROOM * 0.99), "no room for the legend above {highest}: {r:?}");
        assert_eq!(ranges(&rows[..1]).x, (0.5, 1.5), "one point still gets an axis");
    }
}
