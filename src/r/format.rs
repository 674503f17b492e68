//! Number formatting for the tools' markdown, done in Rust: R's
//! `sprintf("%.4g", x)` costs close to a microsecond a number (it parses the
//! format and calls C's printf once per element), and a table of statistics
//! has a hundred of them.
//!
//! `rmcp_fmt()` in `r/common/stats_helpers.R` calls the `.Call` routine
//! [`format_g_routine`], registered by `host::install`. The text is exactly
//! C's `%.<digits>g`: `digits` significant digits, scientific notation when
//! the exponent is below -4 or at least `digits`, trailing zeros dropped,
//! exponents of at least two digits; `NA`/`NaN` give `"NA"`, infinities
//! `"Inf"` and `"-Inf"`, as `rmcp_fmt()` always gave.

use std::os::raw::c_int;

use libR_sys::*;

use super::ffi::TYPEOF;

/// R's type codes for double and integer vectors.
const REALSXP: c_int = 14;
const INTSXP: c_int = 13;

/// `x` as C's `printf("%.<digits>g", x)` spells it (`digits` 0 counts as 1).
pub(crate) fn format_g(x: f64, digits: usize) -> String {
    if x.is_nan() {
        return "NA".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Inf" } else { "-Inf" }.into();
    }
    let precision = digits.clamp(1, 17);
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let (mut significant, exponent) =
        rounded_digits(x.abs(), precision).unwrap_or_else(|| exact_digits(x.abs(), precision));
    // %g drops trailing zeros.
    while significant.len() > 1 && significant.ends_with('0') {
        significant.pop();
    }
    let mut out = String::with_capacity(significant.len() + 8);
    if x.is_sign_negative() {
        out.push('-');
    }
    let precision = i32::try_from(precision).unwrap_or(17);
    if exponent < -4 || exponent >= precision {
        let (first, rest) = significant.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        out.push(if exponent < 0 { '-' } else { '+' });
        let magnitude = exponent.unsigned_abs();
        if magnitude < 10 {
            out.push('0');
        }
        out.push_str(&magnitude.to_string());
    } else if exponent < 0 {
        out.push_str("0.");
        for _ in 0..(-exponent - 1) {
            out.push('0');
        }
        out.push_str(&significant);
    } else {
        let whole = usize::try_from(exponent).unwrap_or(0) + 1;
        if significant.len() <= whole {
            out.push_str(&significant);
            for _ in significant.len()..whole {
                out.push('0');
            }
        } else {
            out.push_str(&significant[..whole]);
            out.push('.');
            out.push_str(&significant[whole..]);
        }
    }
    out
}

/// The decimal digits of `x` (positive, finite) rounded to `precision`
/// significant digits, and the decimal exponent of the first, from the
/// shortest representation that reads back as `x` (fast). Rounding those
/// digits gives what rounding the exact binary value gives, unless they end
/// in a lone 5 right after the kept digits (a tie only the exact value can
/// settle): then `None`. Also `None` past 15 digits, where the shortest
/// representation may hold fewer digits than the exact value needs.
fn rounded_digits(x: f64, precision: usize) -> Option<(String, i32)> {
    if precision > 15 {
        return None;
    }
    let mut buffer = zmij::Buffer::new();
    let (mut digits, mut exponent) = significant_digits(buffer.format_finite(x))?;
    if digits.len() > precision {
        let next = digits[precision];
        if next == b'5' && digits.len() == precision + 1 {
            return None;
        }
        digits.truncate(precision);
        if next >= b'5' {
            // Carry: 9.99 rounds up to 10.0.
            let mut position = precision;
            loop {
                if position == 0 {
                    digits.insert(0, b'1');
                    digits.truncate(precision);
                    exponent += 1;
                    break;
                }
                position -= 1;
                if digits[position] == b'9' {
                    digits[position] = b'0';
                } else {
                    digits[position] += 1;
                    break;
                }
            }
        }
    }
    Some((String::from_utf8(digits).ok()?, exponent))
}

/// The significant digits of a plain decimal number (`"0.00123"`,
/// `"12345.0"`, `"1.5e-7"`), without leading or trailing zeros, and the
/// decimal exponent of the first.
fn significant_digits(text: &str) -> Option<(Vec<u8>, i32)> {
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, exponent.parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: Vec<u8> = whole.bytes().chain(fraction.bytes()).collect();
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let leading = digits.iter().take_while(|&&d| d == b'0').count();
    if leading == digits.len() {
        return None;
    }
    digits.drain(..leading);
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    let point = i32::try_from(whole.len()).ok()?;
    let leading = i32::try_from(leading).ok()?;
    Some((digits, point - 1 - leading + exponent))
}

/// [`rounded_digits`] from the exact binary value (slow: big-number
/// arithmetic in the standard library's exact formatting).
fn exact_digits(x: f64, precision: usize) -> (String, i32) {
    let scientific = format!("{:.*e}", precision - 1, x);
    let (mantissa, exponent) = scientific
        .split_once('e')
        .unwrap_or((scientific.as_str(), "0"));
    let digits = mantissa.chars().filter(char::is_ascii_digit).collect();
    (digits, exponent.parse().unwrap_or(0))
}

/// `.Call("rmcp_format_g", x, digits)`: a character vector of `format_g`
/// for each element of the double vector `x`.
pub(crate) unsafe extern "C" fn format_g_routine(x: SEXP, digits: SEXP) -> SEXP {
    // SAFETY: R calls this on the R thread, inside a job, with two
    // arguments; their types are checked before their data is read, and
    // indices stay below their lengths. `out` is protected while it is
    // filled. An allocation failure longjmps to the job's R context, skipping
    // this frame: at most one `text` leaks, as in `host_call`.
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
        let out = Rf_protect(Rf_allocVector(SEXPTYPE::STRSXP, len));
        let values = REAL(x);
        for i in 0..usize::try_from(len).unwrap_or(0) {
            let text = format_g(*values.add(i), digits);
            let element = Rf_mkCharLenCE(
                text.as_ptr().cast(),
                c_int::try_from(text.len()).unwrap_or(0),
                cetype_t::CE_UTF8,
            );
            SET_STRING_ELT(out, isize::try_from(i).unwrap_or(0), element);
        }
        Rf_unprotect(1);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{exact_digits, format_g, rounded_digits, significant_digits};

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
    }

    #[test]
    fn reads_significant_digits_of_any_spelling() {
        let digits = |text: &str| {
            significant_digits(text).map(|(d, e)| (String::from_utf8(d).unwrap_or_default(), e))
        };
        assert_eq!(digits("0.00123"), Some(("123".into(), -3)));
        assert_eq!(digits("12345.0"), Some(("12345".into(), 4)));
        assert_eq!(digits("1.5e-7"), Some(("15".into(), -7)));
        assert_eq!(digits("1e16"), Some(("1".into(), 16)));
        assert_eq!(digits("100"), Some(("1".into(), 2)));
        assert_eq!(digits("0.0"), None);
        assert_eq!(digits("inf"), None);
    }

    /// The fast path (rounding the shortest digits) agrees with rounding the
    /// exact value, for 200,000 pseudo-random doubles of every magnitude
    /// and every precision it handles.
    #[test]
    fn fast_rounding_agrees_with_exact_rounding() {
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut checked = 0;
        for i in 0..200_000u64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let x = f64::from_bits(state >> 1);
            // Short decimals too, where ties are common.
            let x = if i % 2 == 0 {
                x
            } else {
                (state % 100_000) as f64 / 1000.0
            };
            if !x.is_finite() || x == 0.0 {
                continue;
            }
            let precision = 1 + (i % 15) as usize;
            if let Some((digits, exponent)) = rounded_digits(x, precision) {
                let (exact, exact_exponent) = exact_digits(x, precision);
                assert_eq!(
                    (digits.trim_end_matches('0'), exponent),
                    (exact.trim_end_matches('0'), exact_exponent),
                    "{x:e} at {precision} digits"
                );
                checked += 1;
            }
        }
        assert!(checked > 180_000, "{checked}");
    }
}
