//! `custodian label`: printable exhibit and bag labels whose QR code holds
//! a reference that `custodian verify --label` checks.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;

/// The label sizes (`--size`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeArg {
    /// 62 mm wide continuous tape (Brother QL and similar), one label per
    /// page, as long as its content (about 100 mm for an exhibit label).
    #[value(name = "62mm")]
    Tape62,
    /// 4 × 6 in shipping-label stock (Zebra and similar), one label per page.
    #[value(name = "4x6in")]
    Label4x6,
    /// A4 sheets of 2 × 4 labels of 99.1 × 67.7 mm (Avery L7165 / J8165
    /// layout), eight labels per page.
    #[value(name = "a4")]
    SheetA4,
}

/// The output formats (`--format`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatArg {
    /// PDF/A-2b, every label a page (or eight to an A4 page).
    Pdf,
    /// PNG image, one per page, at --ppi.
    Png,
    /// SVG image (text as outlines), one per page.
    Svg,
}

/// Print exhibit and bag labels with a QR code that custodian checks.
///
/// An exhibit label shows the case id, the exhibit id, its description
/// (cut with an ellipsis when long; the ledger holds it whole), the seal it
/// is under and when it was acquired (UTC). A bag label shows the seal,
/// when it was applied and every exhibit under it. Each label has a QR code
/// holding a short reference (docs/spec/label.md): the case, the exhibit
/// (or seal and exhibits) and the first 128 bits of the hash of the ledger
/// entry that acquired the exhibit (or applied the seal). The reference is
/// printed under the code, for typing; `custodian verify CASE --label
/// REFERENCE` checks it against the ledger.
///
/// The ledger must verify, or nothing is written (exit 1). The format is
/// --format, else the extension of -o (.pdf, .png, .svg). PNG and SVG hold
/// one page each: with more pages they are written as FILE-1.png,
/// FILE-2.png … . The same case and options give the same bytes (the PDF's
/// creation time is that of the latest entry the labels rest on). Each
/// label's reference is printed on standard output, one per line.
///
/// Built without the cargo feature `pdf`, custodian refuses this command.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  custodian label cases/0042 --exhibit EXH-001 -o EXH-001.png\n  custodian label cases/0042 --bag BAG-0017 --size 4x6in -o bag-0017.pdf\n  custodian label cases/0042 --all --size a4 -o labels.pdf\n  custodian verify cases/0042 --label \"$(zbarimg --raw -q EXH-001.png)\""
)]
pub struct LabelArgs {
    /// The case folder.
    pub case: PathBuf,
    /// An exhibit label for this exhibit (repeatable).
    #[arg(long, value_name = "ID")]
    pub exhibit: Vec<String>,
    /// A bag label for this seal, listing every exhibit under it
    /// (repeatable; the seal must be intact).
    #[arg(long, value_name = "SEAL")]
    pub bag: Vec<String>,
    /// Every exhibit's label, then every intact seal's bag label.
    #[arg(long)]
    pub all: bool,
    /// Label size.
    #[arg(long, value_enum, default_value = "62mm", value_name = "SIZE")]
    pub size: SizeArg,
    /// Output format (default: from the extension of -o).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<FormatArg>,
    /// Write the labels to FILE (atomically).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: PathBuf,
    /// Pixels per inch of PNG output (label printers print at 203, 300 or 600).
    #[arg(long, value_name = "PPI", default_value_t = 300,
          value_parser = clap::value_parser!(u32).range(72..=1200))]
    pub ppi: u32,
}

#[cfg_attr(not(feature = "pdf"), allow(dead_code))]
impl LabelArgs {
    /// The format asked for, or the one the output's extension names.
    fn format(&self) -> Result<FormatArg> {
        if let Some(f) = self.format {
            return Ok(f);
        }
        let ext = self
            .output
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("pdf") => Ok(FormatArg::Pdf),
            Some("png") => Ok(FormatArg::Png),
            Some("svg") => Ok(FormatArg::Svg),
            _ => anyhow::bail!(
                "-o {}: give --format pdf, png or svg (the extension names none)",
                self.output.display()
            ),
        }
    }
}

#[cfg(not(feature = "pdf"))]
pub fn run(_args: LabelArgs) -> Result<ExitCode> {
    anyhow::bail!(
        "this custodian was built without labels and PDF (cargo feature `pdf`): use a custodian built with that feature"
    )
}

#[cfg(feature = "pdf")]
pub fn run(args: LabelArgs) -> Result<ExitCode> {
    use custodian::label::{self, Choice, LabelError, Size};

    use super::common::open_case;
    use super::term::{errln, outln};

    let format = args.format()?;
    let case = open_case(&args.case)?;
    let choice = Choice {
        exhibits: args.exhibit.clone(),
        seals: args.bag.clone(),
        all: args.all,
    };
    let set = match label::prepare(&case, &choice) {
        Ok(set) => set,
        Err(e @ LabelError::NotVerified { .. }) => {
            errln!("custodian: {}: {e}", args.case.display());
            return Ok(ExitCode::from(super::EXIT_INVALID));
        }
        Err(e) => return Err(e.into()),
    };
    let size = match args.size {
        SizeArg::Tape62 => Size::Tape62,
        SizeArg::Label4x6 => Size::Label4x6,
        SizeArg::SheetA4 => Size::SheetA4,
    };
    let pages = set.typeset(size)?;
    let written = match format {
        FormatArg::Pdf => {
            write(&args.output, &pages.pdf(&set.pdf_meta())?)?;
            vec![args.output.clone()]
        }
        FormatArg::Png => each_page(&args.output, pages.len(), |i| {
            Ok(pages.png(i, args.ppi as f32)?)
        })?,
        FormatArg::Svg => each_page(&args.output, pages.len(), |i| {
            Ok(pages.svg(i)?.into_bytes())
        })?,
    };
    for l in &set.labels {
        outln!("{}", l.reference);
    }
    let files: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    errln!(
        "custodian: wrote {} ({} label(s), {}, {} page(s))",
        files.join(", "),
        set.labels.len(),
        size.name(),
        pages.len()
    );
    Ok(ExitCode::from(super::EXIT_OK))
}

/// Writes page `i` of `pages` from `render(i)`: to `output` when there is
/// one page, else to `STEM-1.EXT`, `STEM-2.EXT` … beside it.
#[cfg(feature = "pdf")]
fn each_page(
    output: &Path,
    pages: usize,
    render: impl Fn(usize) -> Result<Vec<u8>>,
) -> Result<Vec<PathBuf>> {
    let mut written = Vec::with_capacity(pages);
    for i in 0..pages {
        let path = if pages == 1 {
            output.to_path_buf()
        } else {
            page_path(output, i + 1)
        };
        write(&path, &render(i)?)?;
        written.push(path);
    }
    Ok(written)
}

/// `dir/STEM-N.EXT` for `dir/STEM.EXT`.
#[cfg_attr(not(feature = "pdf"), allow(dead_code))]
fn page_path(output: &Path, n: usize) -> PathBuf {
    let stem = output
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match output.extension() {
        Some(ext) => format!("{stem}-{n}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{n}"),
    };
    output.with_file_name(name)
}

/// Writes a whole file atomically (temporary file, fsync, rename).
#[cfg(feature = "pdf")]
fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    use custodian::fault::Point;
    Ok(custodian::fsutil::write_atomic(
        path,
        bytes,
        (Point::ReportWrite, Point::ReportFsync),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_after_the_first_are_numbered_beside_the_output() {
        assert_eq!(
            page_path(Path::new("out/labels.png"), 2),
            PathBuf::from("out/labels-2.png")
        );
        assert_eq!(page_path(Path::new("labels"), 1), PathBuf::from("labels-1"));
    }
}
