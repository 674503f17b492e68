//! gzip for answers that are mostly one large text serialized once (the first
//! page of `tools/list`, ~90 KB): the large part is deflated once, at
//! start-up, and each answer only wraps the few bytes around it (the
//! JSON-RPC envelope with the request's id) in stored blocks.
//!
//! A deflate stream is a sequence of blocks, and a block may refer back only
//! to bytes already written. A part compressed on its own and closed with a
//! sync flush (an empty stored block, which ends on a byte boundary and is
//! not final) can therefore be followed by any other such part; the last
//! part is closed as final. One gzip member wraps the parts: a plain
//! single-member decoder (httpx, browsers, `flate2::read::GzDecoder`) reads
//! it. The CRC-32 of the whole is combined from the parts' CRCs.
//!
//! Accept-Encoding is read as RFC 9110 says (`q=0` refuses a coding).

use crc32fast::Hasher;
use flate2::{Compress, Compression, FlushCompress, Status};

/// gzip member header: magic, deflate, no flags, no mtime, no extra flags,
/// OS unknown.
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];

/// A text deflated once: sync-flushed blocks (not final), and the CRC-32 and
/// length of the text.
pub struct Deflated {
    blocks: Vec<u8>,
    crc: Hasher,
    len: usize,
}

impl Deflated {
    /// Deflates `text` at the best compression (done once; ~3 ms for 90 KB).
    pub fn new(text: &[u8]) -> Deflated {
        let mut crc = Hasher::new();
        crc.update(text);
        Deflated {
            blocks: deflate(text),
            crc,
            len: text.len(),
        }
    }

    /// Size of the deflated blocks, in bytes.
    pub fn compressed_len(&self) -> usize {
        self.blocks.len()
    }
}

/// One gzip member holding `prefix`, then `middle`'s text, then `suffix`.
/// The few bytes around the middle go in stored (uncompressed) blocks: no
/// compressor is set up per answer.
pub fn splice(prefix: &[u8], middle: &Deflated, suffix: &[u8]) -> Vec<u8> {
    let mut crc = Hasher::new();
    crc.update(prefix);
    crc.combine(&middle.crc);
    let mut suffix_crc = Hasher::new();
    suffix_crc.update(suffix);
    crc.combine(&suffix_crc);
    // ISIZE is the length modulo 2^32 (RFC 1952).
    let length = (prefix.len() + middle.len + suffix.len()) as u32;

    let mut out =
        Vec::with_capacity(HEADER.len() + prefix.len() + middle.blocks.len() + suffix.len() + 32);
    out.extend_from_slice(&HEADER);
    stored(&mut out, prefix, false);
    out.extend_from_slice(&middle.blocks);
    stored(&mut out, suffix, true);
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    out.extend_from_slice(&length.to_le_bytes());
    out
}

/// Appends `bytes` as stored deflate blocks (RFC 1951 3.2.4), starting on a
/// byte boundary; `last` marks the final one (written even when empty).
fn stored(out: &mut Vec<u8>, bytes: &[u8], last: bool) {
    let mut chunks = bytes.chunks(usize::from(u16::MAX)).peekable();
    if chunks.peek().is_none() && !last {
        return;
    }
    loop {
        let chunk = chunks.next().unwrap_or_default();
        let is_last = chunks.peek().is_none();
        // BFINAL in bit 0, BTYPE 00 (stored), then padding to the byte.
        out.push(u8::from(last && is_last));
        let len = chunk.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
        if is_last {
            break;
        }
    }
}

/// Raw deflate of `input` at the best compression, ended by a sync flush:
/// the output ends on a byte boundary with a block that is not final.
fn deflate(input: &[u8]) -> Vec<u8> {
    let mut compress = Compress::new(Compression::best(), false);
    let mut out = Vec::with_capacity(input.len() / 2 + 64);
    loop {
        let consumed = usize::try_from(compress.total_in()).unwrap_or(usize::MAX);
        let rest = input.get(consumed..).unwrap_or_default();
        if out.capacity() - out.len() < 64 {
            out.reserve(out.capacity().max(256));
        }
        // In-memory deflate fails only when a stream is used after its end,
        // which cannot happen here.
        let status = compress
            .compress_vec(rest, &mut out, FlushCompress::Sync)
            .unwrap_or(Status::StreamEnd);
        let all_in = usize::try_from(compress.total_in()).ok() == Some(input.len());
        // The flush is complete once all input is in and the compressor
        // stopped with room to spare: it had nothing more to write.
        if status == Status::StreamEnd || (all_in && out.len() < out.capacity()) {
            break;
        }
    }
    out
}

/// Whether an `Accept-Encoding` header value accepts gzip: a `gzip` or
/// `x-gzip` coding, or `*`, with a weight above 0. An explicit `gzip;q=0`
/// refuses it even when `*` would accept it.
pub fn accepts_gzip(header: &str) -> bool {
    let mut star = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim();
        let weight = parts
            .filter_map(|parameter| {
                let (name, value) = parameter.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("q")
                    .then(|| value.trim().parse::<f32>().ok())
                    .flatten()
            })
            .next()
            .unwrap_or(1.0);
        if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            return weight > 0.0;
        }
        if coding == "*" {
            star = Some(weight > 0.0);
        }
    }
    star.unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .expect("valid gzip");
        out
    }

    /// Deterministic bytes: JSON-like text with repeats, or noise that does
    /// not compress.
    fn sample(len: usize, seed: u64, noisy: bool) -> Vec<u8> {
        let mut state = seed | 1;
        (0..len)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                if noisy {
                    state as u8
                } else {
                    b"{\"name\":\"tool\",\"type\":\"object\"}, "[(i + (state % 3) as usize) % 33]
                }
            })
            .collect()
    }

    #[test]
    fn spliced_members_decode_to_the_whole_text() {
        let cases: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = vec![
            (
                b"{\"id\":1,\"result\":".to_vec(),
                sample(90_000, 7, false),
                b"}".to_vec(),
            ),
            (Vec::new(), sample(10, 3, false), Vec::new()),
            (b"x".to_vec(), Vec::new(), b"y".to_vec()),
            (Vec::new(), Vec::new(), Vec::new()),
            (
                sample(70_000, 5, true),
                sample(200_000, 9, true),
                sample(40_000, 11, false),
            ),
        ];
        for (prefix, middle, suffix) in cases {
            let deflated = Deflated::new(&middle);
            let member = splice(&prefix, &deflated, &suffix);
            let expected = [prefix.as_slice(), &middle, &suffix].concat();
            assert_eq!(
                gunzip(&member),
                expected,
                "prefix {} middle {} suffix {} bytes",
                prefix.len(),
                middle.len(),
                suffix.len()
            );
        }
    }

    #[test]
    fn a_spliced_member_is_one_valid_member() {
        // The trailer's CRC and length are checked by the decoder; a wrong
        // CRC must be caught, so corrupt one and expect an error.
        let member = splice(b"[", &Deflated::new(&sample(5000, 1, false)), b"]");
        let mut broken = member.clone();
        let crc_at = broken.len() - 8;
        broken[crc_at] ^= 0xff;
        let mut out = Vec::new();
        assert!(flate2::read::GzDecoder::new(broken.as_slice())
            .read_to_end(&mut out)
            .is_err());
        // Repeated text compresses: the point of all this.
        assert!(member.len() < 5000 / 2, "{} bytes", member.len());
    }

    #[test]
    fn accept_encoding_is_read_with_weights() {
        for (header, expected) in [
            ("gzip", true),
            ("gzip, deflate", true),
            ("gzip, deflate, br, zstd", true),
            ("deflate, GZIP;q=0.5", true),
            ("x-gzip", true),
            ("*", true),
            ("br;q=1.0, *;q=0.1", true),
            ("gzip;q=0", false),
            ("gzip; q=0.000", false),
            ("*, gzip;q=0", false),
            ("*;q=0", false),
            ("identity", false),
            ("br, deflate", false),
            ("", false),
            ("gzipped", false),
        ] {
            assert_eq!(accepts_gzip(header), expected, "{header:?}");
        }
    }
}
