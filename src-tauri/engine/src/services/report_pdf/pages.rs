//! Pages of the printed report: sections of known height placed top to bottom, a new page
//! where the next one does not fit, and "Page n of N" once N is known.

use krilla::Document;
use krilla::page::PageSettings;
use krilla::surface::Surface;

use super::paint::{self, BORDER, TEXT_3};
use super::typeset::{Align, Style, Typesetter};
use crate::domain::error::{Error, Result};
use crate::domain::report_pdf::Paper;

/// Page margins, in points (about 17 mm).
pub const MARGIN: f32 = 48.0;
/// Space between sections.
const GAP: f32 = 22.0;
/// Room kept at the bottom for the footer.
const FOOTER: f32 = 30.0;

/// Where a section draws: its top left corner and the width it has.
pub struct Frame<'a, 'p> {
    pub surface: &'a mut Surface<'p>,
    pub ts: &'a mut Typesetter,
    pub x: f32,
    pub y: f32,
    pub width: f32,
}

/// A part of the report that stays on one page.
pub struct Section {
    pub height: f32,
    pub draw: Box<dyn FnOnce(&mut Frame<'_, '_>)>,
}

impl Section {
    pub fn new(height: f32, draw: impl FnOnce(&mut Frame<'_, '_>) + 'static) -> Section {
        Section { height, draw: Box::new(draw) }
    }
}

/// The width sections are laid out in.
pub fn content_width(paper: Paper) -> f32 {
    paper.size_pt().0 - 2.0 * MARGIN
}

/// Places `sections` on pages of `paper` and writes the PDF; returns it and its page count.
pub fn write(
    sections: Vec<Section>,
    paper: Paper,
    footer_left: &str,
    ts: &mut Typesetter,
    metadata: krilla::metadata::Metadata,
) -> Result<(Vec<u8>, u32)> {
    let (width, height) = paper.size_pt();
    let bottom = height - MARGIN - FOOTER;
    let mut pages: Vec<Vec<(f32, Section)>> = Vec::new();
    let mut page: Vec<(f32, Section)> = Vec::new();
    let mut y = MARGIN;
    for section in sections {
        // A section taller than a page still gets one of its own.
        if !page.is_empty() && y + section.height > bottom {
            pages.push(std::mem::take(&mut page));
            y = MARGIN;
        }
        let height = section.height;
        page.push((y, section));
        y += height + GAP;
    }
    pages.push(page);
    let total = pages.len();
    let settings = PageSettings::from_wh(width, height)
        .ok_or_else(|| Error::Invalid(format!("a page cannot be {width} × {height} points")))?;
    let mut document = Document::new();
    document.set_metadata(metadata);
    for (n, sections) in pages.into_iter().enumerate() {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for (top, section) in sections {
            let mut frame = Frame { surface: &mut surface, ts, x: MARGIN, y: top, width: width - 2.0 * MARGIN };
            (section.draw)(&mut frame);
        }
        footer(&mut surface, ts, width, height, footer_left, n + 1, total);
        surface.finish();
        page.finish();
    }
    let pdf = document.finish().map_err(|e| Error::Invalid(format!("the PDF could not be made: {e:?}")))?;
    Ok((pdf, total as u32))
}

fn footer(surface: &mut Surface<'_>, ts: &mut Typesetter, width: f32, height: f32, left: &str, n: usize, total: usize) {
    let y = height - MARGIN - 12.0;
    let inner = width - 2.0 * MARGIN;
    paint::line(surface, (MARGIN, y - 6.0), (width - MARGIN, y - 6.0), 0.5, BORDER);
    let style = Style::new(8.0, TEXT_3);
    let name = ts.line(left, style, inner * 0.7, Align::Left);
    ts.draw(surface, &name, MARGIN, y);
    let number = ts.line(&format!("Page {n} of {total}"), style, inner * 0.3, Align::Right);
    ts.draw(surface, &number, MARGIN + inner * 0.7, y);
}
