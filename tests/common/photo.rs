//! Test photos: a small real JPEG (made with the `image` crate) carrying an
//! EXIF block written here tag by tag, so that the tests know exactly what
//! a camera would have said.

/// What the test camera writes into EXIF.
pub struct Exif<'a> {
    pub make: &'a str,
    pub model: &'a str,
    /// `YYYY:MM:DD HH:MM:SS`.
    pub taken: &'a str,
    /// `±HH:MM`, or `None` (the camera states no zone).
    pub offset: Option<&'a str>,
    /// Whether a GPS block is written.
    pub gps: bool,
}

/// A `w`×`h` JPEG of a gradient, with `exif` when given.
pub fn jpeg(w: u32, h: u32, exif: Option<&Exif>) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w.max(1)) as u8, (y * 255 / h.max(1)) as u8, 128])
    });
    let mut plain = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 90)
        .encode_image(&img)
        .unwrap();
    let Some(exif) = exif else {
        return plain;
    };
    let tiff = tiff(exif);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = plain[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xff, 0xe1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&plain[2..]);
    out
}

const ASCII: u16 = 2;
const LONG: u16 = 4;
const BYTE: u16 = 1;

/// One IFD entry: tag, type, count, value bytes.
type Field = (u16, u16, u32, Vec<u8>);

fn ascii(tag: u16, s: &str) -> Field {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    (tag, ASCII, v.len() as u32, v)
}

/// Lays out an IFD at `at` (offset from the TIFF header): its entries,
/// then the values longer than 4 bytes. Returns its bytes.
fn ifd(at: u32, fields: &[Field]) -> Vec<u8> {
    let n = fields.len() as u32;
    let mut data_at = at + 2 + 12 * n + 4;
    let mut head = (n as u16).to_le_bytes().to_vec();
    let mut data = Vec::new();
    for (tag, ty, count, value) in fields {
        head.extend_from_slice(&tag.to_le_bytes());
        head.extend_from_slice(&ty.to_le_bytes());
        head.extend_from_slice(&count.to_le_bytes());
        if value.len() <= 4 {
            let mut v = value.clone();
            v.resize(4, 0);
            head.extend_from_slice(&v);
        } else {
            head.extend_from_slice(&data_at.to_le_bytes());
            data.extend_from_slice(value);
            if value.len() % 2 == 1 {
                data.push(0);
            }
            data_at = at + 2 + 12 * n + 4 + data.len() as u32;
        }
    }
    head.extend_from_slice(&0u32.to_le_bytes());
    head.extend_from_slice(&data);
    head
}

fn tiff(e: &Exif) -> Vec<u8> {
    // IFD0 at 8, then the Exif IFD, then the GPS IFD; pointers are fixed
    // up by laying out IFD0 twice.
    let ifd0_fields = |exif_at: u32, gps_at: u32| {
        let mut f = vec![ascii(0x010f, e.make), ascii(0x0110, e.model)];
        f.push((0x8769, LONG, 1, exif_at.to_le_bytes().to_vec()));
        if e.gps {
            f.push((0x8825, LONG, 1, gps_at.to_le_bytes().to_vec()));
        }
        f
    };
    let ifd0_len = ifd(8, &ifd0_fields(0, 0)).len() as u32;
    let exif_at = 8 + ifd0_len;
    let mut exif_fields = vec![ascii(0x9003, e.taken)];
    if let Some(o) = e.offset {
        exif_fields.push(ascii(0x9011, o));
    }
    let exif_ifd = ifd(exif_at, &exif_fields);
    let gps_at = exif_at + exif_ifd.len() as u32;
    let gps_ifd = ifd(
        gps_at,
        &[
            (0x0000, BYTE, 4, vec![2, 3, 0, 0]),
            (0x0001, ASCII, 2, b"N\0".to_vec()),
        ],
    );
    let mut out = b"II*\0".to_vec();
    out.extend_from_slice(&8u32.to_le_bytes());
    out.extend_from_slice(&ifd(8, &ifd0_fields(exif_at, gps_at)));
    out.extend_from_slice(&exif_ifd);
    if e.gps {
        out.extend_from_slice(&gps_ifd);
    }
    out
}
