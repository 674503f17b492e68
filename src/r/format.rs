//! Number formatting for the tools' markdown: `rmcp_fmt()` in
//! `r/common/stats_helpers.R` calls the `.Call` routine
//! [`format_g_routine`], registered by `host::install`. R's
//! `sprintf("%.4g", x)` costs close to a microsecond a number (it parses the
//! format and builds its result through R's string machinery per element),
//! and a table of statistics has a hundred of them.
//!
//! The text is C's `%.<digits>g`, from C's own `snprintf` into a stack
//! buffer: `digits` significant digits (0 counts as 1, at most 17),
//! scientific notation when the exponent is below -4 or at least `digits`,
//! trailing zeros dropped, exponents of at least two digits; `NA`/`NaN` give
//! `"NA"`, infinities `"Inf"` and `"-Inf"`, as `rmcp_fmt()` always gave.
//! Like R's `sprintf`, it follows `LC_NUMERIC`, which R keeps at `C`.
//!
//! Why `snprintf` and not a hand-written `%g`: this file used to spell
//! `%g` itself from the shortest round-trip digits (`zmij`), with exact
//! rounding for ties, about 150 lines. Measured on a result table of 4,000
//! doubles of mixed magnitudes (estimates, standard errors, t values, p
//! values down to 1e-30, counts), release builds, this 2-core VM:
//! - formatting alone (a standalone harness, the system allocator, best of
//!   50): hand-written 118-129 ns a number at 4 digits (it returns a
//!   `String`), `snprintf` into a stack buffer 126 ns;
//! - as the tools call it (`rmcp_fmt(x, 4L)` on the R thread, the second
//!   table of `make bench`'s engine bench, the server's allocator and R's
//!   string cache included; old and new binaries run in turn, twice):
//!   hand-written 143-146 ns a number, `snprintf` 182-186 ns, R's own
//!   `sprintf` 228 ns.
//!
//! The hand-written one is about 40 ns a number faster where it counts:
//! 2-4 µs for a tool's table of 50-100 numbers, under 1 % of a catalog job
//! (~360 µs round trip). That does not pay for 150 lines and a dependency
//! that re-derive what C's `%g` is by definition, so the simpler one stays.
//! Should results grow to thousands of formatted numbers per call, the
//! hand-written version is in git history (before the commit that brought
//! this note).

use std::os::raw::{c_char, c_int};

use libR_sys::*;

use super::ffi::TYPEOF;
use super::token::{ProtectScope, RToken};

/// R's type codes for double and integer vectors.
const REALSXP: c_int = 14;
const INTSXP: c_int = 13;

/// Room for the longest `%.17g` (`-1.7976931348623157e+308`, 24 bytes) and
/// its NUL.
const BUFFER: usize = 32;

/// `x` as C's `printf("%.<digits>g", x)` spells it, into `buffer`; returns
/// the text's bytes.
fn format_g_into(x: f64, digits: usize, buffer: &mut [u8; BUFFER]) -> &[u8] {
    if x.is_nan() {
        return b"NA";
    }
    if x.is_infinite() {
        return if x > 0.0 { b"Inf" } else { b"-Inf" };
    }
    let precision = c_int::try_from(digits.clamp(1, 17)).unwrap_or(17);
    // SAFETY: `buffer` is writable for BUFFER bytes and snprintf writes at
    // most that many (NUL included); the format is a NUL-terminated literal
    // whose `%.*g` takes exactly the int and the double passed. snprintf
    // only reads the locale.
    let written = unsafe {
        libc::snprintf(
            buffer.as_mut_ptr().cast::<c_char>(),
            BUFFER,
            c"%.*g".as_ptr(),
            precision,
            x,
        )
    };
    let len = usize::try_from(written).unwrap_or(0).min(BUFFER - 1);
    &buffer[..len]
}

/// `.Call("rmcp_format_g", x, digits)`: a character vector of `%g` texts,
/// one for each element of the double vector `x`.
pub(crate) unsafe extern "C" fn format_g_routine(x: SEXP, digits: SEXP) -> SEXP {
    // SAFETY: R calls this routine on the R thread, inside a job.
    let token = unsafe { RToken::new() };
    let mut scope = ProtectScope::new(&token);
    // SAFETY: R passes two valid objects; their types are checked before
    // their data is read, and indices stay below their lengths. `out` is
    // protected (in `scope`) while it is filled. An allocation failure
    // longjmps to the job's R context, skipping this frame and `scope`'s
    // Drop; R resets the protect stack there (see `token`), and nothing
    // here owns heap memory.
    unsafe {
        if TYPEOF(x) != REALSXP || TYPEOF(digits) != INTSXP {
            return R_NilValue;
        }
        let digits = if Rf_xlength(digits) >= 1 {
            usize::try_from(*INTEGER(digits)).unwrap_or(1)
        } else {
            4
        };
        let len = Rf_xlength(x);
        let out = scope
            .protect_raw(Rf_allocVector(SEXPTYPE::STRSXP, len))
            .raw();
        let values = REAL(x);
        let mut buffer = [0u8; BUFFER];
        for i in 0..usize::try_from(len).unwrap_or(0) {
            let text = format_g_into(*values.add(i), digits, &mut buffer);
            let element = Rf_mkCharLenCE(
                text.as_ptr().cast(),
                c_int::try_from(text.len()).unwrap_or(0),
                cetype_t::CE_UTF8,
            );
            SET_STRING_ELT(out, isize::try_from(i).unwrap_or(0), element);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{format_g_into, BUFFER};

    fn format_g(x: f64, digits: usize) -> String {
        let mut buffer = [0u8; BUFFER];
        String::from_utf8_lossy(format_g_into(x, digits, &mut buffer)).into_owned()
    }

    #[test]
    fn spells_numbers_as_c_printf_g_does() {
        let cases = [
            (1.0, "1"),
            (-2.5, "-2.5"),
            (0.1, "0.1"),
            (20.09062, "20.09"),
            (6.026948, "6.027"),
            (1234.5, "1234"),
            (1235.5, "1236"),
            (12345.0, "1.234e+04"),
            (99999.0, "1e+05"),
            (9999.5, "1e+04"),
            (0.0001234, "0.0001234"),
            (0.00001234, "1.234e-05"),
            (1e-300, "1e-300"),
            (-0.0, "-0"),
            (0.0, "0"),
            (f64::INFINITY, "Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NA"),
        ];
        for (x, expected) in cases {
            assert_eq!(format_g(x, 4), expected, "{x}");
        }
        assert_eq!(format_g(0.125, 2), "0.12", "ties go to even, as glibc's");
        assert_eq!(format_g(123.456, 0), "1e+02");
        assert_eq!(format_g(-5.344, 3), "-5.34");
        assert_eq!(format_g(-f64::MAX, 40), "-1.7976931348623157e+308");
        assert_eq!(format_g(f64::MIN_POSITIVE, 17), "2.2250738585072014e-308");
    }
}
