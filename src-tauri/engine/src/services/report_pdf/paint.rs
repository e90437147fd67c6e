//! Shapes and colours of the printed report: the window's light palette, in vector.

use krilla::color::rgb;
use krilla::geom::{Path, PathBuilder, Rect};
use krilla::num::NormalizedF32;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;

use crate::domain::events::Platform;

pub const TEXT: Rgb = Rgb(0x1c, 0x1c, 0x22);
pub const TEXT_2: Rgb = Rgb(0x5d, 0x5d, 0x69);
pub const TEXT_3: Rgb = Rgb(0x8a, 0x8a, 0x96);
pub const BORDER: Rgb = Rgb(0xe5, 0xe5, 0xea);
pub const BORDER_STRONG: Rgb = Rgb(0xd6, 0xd6, 0xdd);
pub const PANEL: Rgb = Rgb(0xf5, 0xf5, 0xf7);
pub const BRAND: Rgb = Rgb(0x5b, 0x5b, 0xd6);
pub const GOOD: Rgb = Rgb(0x1d, 0x7a, 0x4f);
pub const BAD: Rgb = Rgb(0xd9, 0x3d, 0x42);

/// A colour of the palette (krilla's colours cannot be constants).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub fn to_krilla(self) -> rgb::Color {
        rgb::Color::new(self.0, self.1, self.2)
    }

    /// This colour mixed with white: `amount` 0 is white, 1 the colour itself (the light
    /// shades of outbound bars and of the heat map, opaque so that print stays crisp).
    pub fn tint(self, amount: f32) -> Rgb {
        let mix = |c: u8| (255.0 - (255.0 - f32::from(c)) * amount.clamp(0.0, 1.0)).round() as u8;
        Rgb(mix(self.0), mix(self.1), mix(self.2))
    }
}

pub fn platform_color(platform: Platform) -> Rgb {
    match platform {
        Platform::Messenger => Rgb(0x08, 0x66, 0xff),
        Platform::Instagram => Rgb(0xe1, 0x30, 0x6c),
        Platform::Whatsapp => Rgb(0x25, 0xd3, 0x66),
    }
}

fn fill_of(color: Rgb) -> Fill {
    Fill { paint: color.to_krilla().into(), opacity: NormalizedF32::ONE, rule: Default::default() }
}

pub fn fill_rect(surface: &mut Surface<'_>, x: f32, y: f32, w: f32, h: f32, color: Rgb) {
    let Some(rect) = Rect::from_xywh(x, y, w.max(0.01), h.max(0.01)) else { return };
    let mut pb = PathBuilder::new();
    pb.push_rect(rect);
    fill_path(surface, pb.finish(), color);
}

/// A rectangle with rounded corners (the number cards).
pub fn fill_rounded(surface: &mut Surface<'_>, x: f32, y: f32, w: f32, h: f32, r: f32, color: Rgb) {
    // Bézier circle approximation constant.
    let k = r * 0.552_284_8;
    let mut pb = PathBuilder::new();
    pb.move_to(x + r, y);
    pb.line_to(x + w - r, y);
    pb.cubic_to(x + w - r + k, y, x + w, y + r - k, x + w, y + r);
    pb.line_to(x + w, y + h - r);
    pb.cubic_to(x + w, y + h - r + k, x + w - r + k, y + h, x + w - r, y + h);
    pb.line_to(x + r, y + h);
    pb.cubic_to(x + r - k, y + h, x, y + h - r + k, x, y + h - r);
    pb.line_to(x, y + r);
    pb.cubic_to(x, y + r - k, x + r - k, y, x + r, y);
    pb.close();
    fill_path(surface, pb.finish(), color);
}

pub fn line(surface: &mut Surface<'_>, from: (f32, f32), to: (f32, f32), width: f32, color: Rgb) {
    let mut pb = PathBuilder::new();
    pb.move_to(from.0, from.1);
    pb.line_to(to.0, to.1);
    let Some(path) = pb.finish() else { return };
    surface.set_fill(None);
    surface.set_stroke(Some(Stroke {
        paint: color.to_krilla().into(),
        width,
        opacity: NormalizedF32::ONE,
        ..Default::default()
    }));
    surface.draw_path(&path);
    surface.set_stroke(None);
}

fn fill_path(surface: &mut Surface<'_>, path: Option<Path>, color: Rgb) {
    let Some(path) = path else { return };
    surface.set_stroke(None);
    surface.set_fill(Some(fill_of(color)));
    surface.draw_path(&path);
}
