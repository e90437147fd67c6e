//! Tables of the printed report: a header row and rows of one line each, cut with an
//! ellipsis where a cell is too narrow (a contact's name can be long and in any script).

use super::pages::{Frame, Section};
use super::paint::{self, BORDER, BORDER_STRONG, TEXT, TEXT_2};
use super::typeset::{Align, Style};

const ROW: f32 = 17.0;
const HEADER: Style = Style::new(7.5, TEXT_2);
const CELL: Style = Style::new(8.5, TEXT);
const PAD: f32 = 4.0;

pub struct Column {
    pub title: &'static str,
    /// Share of the table's width.
    pub share: f32,
    pub align: Align,
}

impl Column {
    pub const fn left(title: &'static str, share: f32) -> Column {
        Column { title, share, align: Align::Left }
    }

    pub const fn right(title: &'static str, share: f32) -> Column {
        Column { title, share, align: Align::Right }
    }
}

/// The table's height for `rows` rows.
pub fn height(rows: usize) -> f32 {
    ROW * (rows + 1) as f32
}

/// A table as a section; `bold_last` sets the last row apart (a total).
pub fn section(columns: &'static [Column], rows: Vec<Vec<String>>, bold_last: bool) -> Section {
    Section::new(height(rows.len()), move |frame| draw(frame, columns, &rows, bold_last))
}

pub fn draw(frame: &mut Frame<'_, '_>, columns: &[Column], rows: &[Vec<String>], bold_last: bool) {
    let total_share: f32 = columns.iter().map(|c| c.share).sum();
    let widths: Vec<f32> = columns.iter().map(|c| frame.width * c.share / total_share).collect();
    let cells = |frame: &mut Frame<'_, '_>, texts: &mut dyn Iterator<Item = &str>, y: f32, style: Style| {
        let mut x = frame.x;
        for ((column, width), text) in columns.iter().zip(&widths).zip(texts) {
            let block = frame.ts.line(text, style, width - 2.0 * PAD, column.align);
            frame.ts.draw(frame.surface, &block, x + PAD, y + (ROW - block.height()) / 2.0);
            x += width;
        }
    };
    cells(frame, &mut columns.iter().map(|c| c.title), frame.y, HEADER.bold());
    let right = frame.x + frame.width;
    paint::line(frame.surface, (frame.x, frame.y + ROW), (right, frame.y + ROW), 0.8, BORDER_STRONG);
    for (i, row) in rows.iter().enumerate() {
        let y = frame.y + ROW * (i + 1) as f32;
        let last = i + 1 == rows.len();
        let style = if bold_last && last { CELL.bold() } else { CELL };
        cells(frame, &mut row.iter().map(String::as_str), y, style);
        if !last {
            paint::line(frame.surface, (frame.x, y + ROW), (right, y + ROW), 0.4, BORDER);
        }
    }
}
