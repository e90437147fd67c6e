//! Text for the PDF: laid out by parley (bidi, shaping, line breaks, a fallback font per
//! script) and drawn as glyphs by krilla, which embeds the subset of each font it used and
//! maps every glyph back to its characters so the text can be searched and copied.
//!
//! Latin, Greek, Cyrillic, Arabic and Hebrew print with the Noto fonts compiled in; other
//! scripts and emoji with whatever font the computer has for them.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use super::paint::Rgb;
use krilla::color::rgb;
use krilla::geom::Point;
use krilla::num::NormalizedF32;
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use parley::fontique::Blob;
use parley::style::{FontFamily, FontStack, FontWeight, LineHeight, StyleProperty};
use parley::{Alignment, AlignmentOptions, FontContext, Layout, LayoutContext};

const BUNDLED: [&[u8]; 4] = [
    include_bytes!("../../../fonts/NotoSans-Regular.ttf"),
    include_bytes!("../../../fonts/NotoSans-Bold.ttf"),
    include_bytes!("../../../fonts/NotoSansArabic-Regular.ttf"),
    include_bytes!("../../../fonts/NotoSansHebrew-Regular.ttf"),
];

/// Tried in order for every character; what none has falls back to the system's font
/// for its script.
const FAMILIES: [FontFamily<'static>; 3] = [
    FontFamily::Named(Cow::Borrowed("Noto Sans")),
    FontFamily::Named(Cow::Borrowed("Noto Sans Arabic")),
    FontFamily::Named(Cow::Borrowed("Noto Sans Hebrew")),
];

/// How a piece of text looks.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub size: f32,
    pub bold: bool,
    pub color: Rgb,
}

impl Style {
    pub const fn new(size: f32, color: Rgb) -> Style {
        Style { size, bold: false, color }
    }

    pub const fn bold(self) -> Style {
        Style { bold: true, ..self }
    }
}

/// Where a line sits in the width it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Left for left-to-right text, right for a paragraph in Arabic or Hebrew.
    Start,
    /// Left whatever the script (a table's cells read as the table does).
    Left,
    Center,
    Right,
}

/// Text laid out, ready to draw; `text` is what its glyphs were shaped from.
pub struct Block {
    layout: Layout<rgb::Color>,
    text: String,
}

impl Block {
    pub fn width(&self) -> f32 {
        self.layout.width()
    }

    pub fn height(&self) -> f32 {
        self.layout.height()
    }
}

/// Lays out and draws text; one per document, since it caches the fonts it met.
pub struct Typesetter {
    fonts: FontContext,
    layouts: LayoutContext<rgb::Color>,
    /// parley's font blobs → krilla's fonts, so each font is embedded once.
    embedded: HashMap<(u64, u32), Font>,
}

impl Typesetter {
    pub fn new() -> Typesetter {
        let mut fonts = FontContext::new();
        for data in BUNDLED {
            fonts.collection.register_fonts(Blob::new(Arc::new(data)), None);
        }
        Typesetter { fonts, layouts: LayoutContext::new(), embedded: HashMap::new() }
    }

    /// `text` broken into lines no wider than `width` (one line when `None`).
    pub fn paragraph(&mut self, text: &str, style: Style, width: Option<f32>, align: Align) -> Block {
        let mut builder = self.layouts.ranged_builder(&mut self.fonts, text, 1.0, true);
        builder.push_default(StyleProperty::FontStack(FontStack::List(Cow::Borrowed(&FAMILIES))));
        builder.push_default(StyleProperty::FontSize(style.size));
        builder.push_default(StyleProperty::LineHeight(LineHeight::FontSizeRelative(1.25)));
        builder.push_default(StyleProperty::Brush(style.color.to_krilla()));
        if style.bold {
            builder.push_default(StyleProperty::FontWeight(FontWeight::BOLD));
        }
        let mut layout = builder.build(text);
        layout.break_all_lines(width);
        let alignment = match align {
            Align::Start => Alignment::Start,
            Align::Left => Alignment::Left,
            Align::Center => Alignment::Center,
            Align::Right => Alignment::Right,
        };
        layout.align(width, alignment, AlignmentOptions::default());
        Block { layout, text: text.to_string() }
    }

    /// One line of `text`, cut with an ellipsis where it is wider than `width`; aligned
    /// within `width`.
    pub fn line(&mut self, text: &str, style: Style, width: f32, align: Align) -> Block {
        let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let block = self.paragraph(&one_line, style, Some(width), align);
        if block.layout.len() <= 1 {
            return block;
        }
        // Drop characters from the end until the text and the ellipsis fit on one line.
        let mut cut: Vec<char> = one_line.chars().collect();
        while !cut.is_empty() {
            cut.pop();
            let candidate = format!("{}…", cut.iter().collect::<String>().trim_end());
            let block = self.paragraph(&candidate, style, Some(width), align);
            if block.layout.len() <= 1 && block.width() <= width {
                return block;
            }
        }
        self.paragraph("…", style, Some(width), align)
    }

    /// Draws `block` with its top left corner at (`x`, `y`).
    pub fn draw(&mut self, surface: &mut Surface<'_>, block: &Block, x: f32, y: f32) {
        for line in block.layout.lines() {
            let metrics = line.metrics();
            let baseline = y + metrics.baseline;
            let mut run_x = x + metrics.offset;
            for run in line.runs() {
                let font_data = run.font();
                let key = (font_data.data.id(), font_data.index);
                let Some(font) = self.krilla_font(key, font_data) else {
                    // A font krilla cannot read: its run is skipped, and the rest prints.
                    tracing::warn!(font_index = font_data.index, "a font could not be embedded in the report");
                    run_x += run.advance();
                    continue;
                };
                let size = run.font_size();
                let mut glyphs = Vec::new();
                let mut color = None;
                let mut advance = 0.0;
                for cluster in run.visual_clusters() {
                    if cluster.is_ligature_continuation() {
                        if let Some(last) = glyphs.last_mut() {
                            let last: &mut KrillaGlyph = last;
                            last.text_range.end = cluster.text_range().end;
                        }
                        continue;
                    }
                    for glyph in cluster.glyphs() {
                        color.get_or_insert(block.layout.styles()[glyph.style_index()].brush);
                        glyphs.push(KrillaGlyph::new(
                            GlyphId::new(glyph.id),
                            glyph.advance / size,
                            glyph.x / size,
                            glyph.y / size,
                            0.0,
                            cluster.text_range(),
                            None,
                        ));
                        advance += glyph.advance;
                    }
                }
                if !glyphs.is_empty() {
                    surface.set_fill(Some(Fill {
                        paint: color.unwrap_or_default().into(),
                        opacity: NormalizedF32::ONE,
                        rule: Default::default(),
                    }));
                    surface.draw_glyphs(Point::from_xy(run_x, baseline), &glyphs, font, &block.text, size, false);
                }
                run_x += advance;
            }
        }
    }

    fn krilla_font(&mut self, key: (u64, u32), data: &parley::FontData) -> Option<Font> {
        if let Some(font) = self.embedded.get(&key) {
            return Some(font.clone());
        }
        let bytes: Vec<u8> = data.data.data().to_vec();
        let font = Font::new(bytes.into(), data.index)?;
        self.embedded.insert(key, font.clone());
        Some(font)
    }
}
