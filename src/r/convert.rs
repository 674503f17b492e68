//! JSON ⇄ R values, done directly on R's memory (no jsonlite round trip).
//! (Over 500 lines on purpose: both directions of the one mapping below
//! live together, so a change to one side is made next to the other.)
//!
//! JSON → R:
//! - `null` → `NULL` as a value or object member; inside an array → `NA`.
//! - booleans, numbers, strings → length-1 logical, integer (a whole number
//!   in R's integer range), double, character vectors.
//! - arrays of scalars → atomic vectors of the widest kind (integer + double
//!   → double; all `null` → logical `NA`s); arrays holding objects or arrays,
//!   or mixing strings with numbers/booleans → lists.
//! - objects → named lists; members named as tables → `data.frame`s
//!   (columns must be equal-length arrays; mixed scalar columns become
//!   character).
//!
//! R → JSON:
//! - `NULL` → `null`; `NA`, `NaN`, `Inf`, `-Inf` → `null` (JSON has no
//!   spelling for them).
//! - length-1 atomic vectors → scalars, other lengths → arrays; `I(x)`
//!   (class `AsIs`) always → an array.
//! - named vectors and named lists → objects; unnamed lists → arrays.
//! - factors → their labels; `Date` → `"YYYY-MM-DD"`; `POSIXct` →
//!   `"YYYY-MM-DDTHH:MM:SSZ"` (UTC); raw vectors → base64; complex → `"a+bi"`.
//! - data.frames → column-oriented objects (columns always arrays);
//!   matrices → arrays of rows.
//! - functions, environments, calls and other objects → a short
//!   description string such as `"<environment>"`.
//!
//! Every function here runs inside [`RToken::run_toplevel`]; the only R
//! calls that can fail (allocation) then jump back there. Both directions
//! take the [`RToken`] and hand over R objects as [`Sexp`]s bound to it;
//! new vectors are kept from the garbage collector by [`ProtectScope`]s
//! while their elements are allocated.

use std::os::raw::{c_char, c_int};

use base64::Engine as _;
use libR_sys::*;
use serde_json::{Map, Number, Value};

use super::ffi::TYPEOF;
use super::token::{ProtectScope, RToken, Sexp};

/// Nesting deeper than this is refused on input and cut short on output.
pub(crate) const MAX_DEPTH: usize = 100;

/// R refuses symbol and CHARSXP names longer than this.
const MAX_NAME_BYTES: usize = 10_000;

/// Checks, without touching R, that `value` can be converted without R
/// raising an error: no NUL bytes in strings, no over-long names, bounded
/// nesting.
pub(crate) fn check_input(value: &Value) -> Result<(), String> {
    /// What is wrong, and the path to it (innermost step first), built only
    /// on the way out of a failed walk: the common case allocates nothing.
    struct Problem {
        fault: Fault,
        steps: Vec<String>,
    }
    enum Fault {
        TooDeep,
        NulInString,
        BadName,
    }
    fn walk(value: &Value, depth: usize) -> Result<(), Problem> {
        if depth > MAX_DEPTH {
            return Err(Problem {
                fault: Fault::TooDeep,
                steps: Vec::new(),
            });
        }
        match value {
            Value::String(text) if text.contains('\0') => Err(Problem {
                fault: Fault::NulInString,
                steps: Vec::new(),
            }),
            Value::Array(items) => items.iter().enumerate().try_for_each(|(index, item)| {
                walk(item, depth + 1).map_err(|mut problem| {
                    problem.steps.push(format!("[{index}]"));
                    problem
                })
            }),
            Value::Object(members) => members.iter().try_for_each(|(name, item)| {
                if name.contains('\0') || name.len() > MAX_NAME_BYTES {
                    return Err(Problem {
                        fault: Fault::BadName,
                        steps: Vec::new(),
                    });
                }
                walk(item, depth + 1).map_err(|mut problem| {
                    problem.steps.push(format!(".{name}"));
                    problem
                })
            }),
            _ => Ok(()),
        }
    }
    walk(value, 0).map_err(|problem| {
        let path: String = std::iter::once("$")
            .chain(problem.steps.iter().rev().map(String::as_str))
            .collect();
        match problem.fault {
            Fault::TooDeep => format!("value nested deeper than {MAX_DEPTH} levels at {path}"),
            Fault::NulInString => {
                format!("string at {path} contains a NUL character, which R cannot hold")
            }
            Fault::BadName => format!(
                "member name at {path} is not usable in R (NUL or over {MAX_NAME_BYTES} bytes)"
            ),
        }
    })
}

/// A table member whose columns are not equal-length arrays.
#[derive(Debug)]
pub(crate) struct TableError(pub String);

/// Converts `value` to R. Object members whose dotted path (e.g. `data`, or
/// `args.data` for a member of a member) is listed in `tables` become data
/// frames. The result is unprotected: protect it before the next allocation.
pub(crate) fn to_r<'r>(
    token: &'r RToken,
    value: &Value,
    tables: &[String],
) -> Result<Sexp<'r>, TableError> {
    for path in tables {
        let mut node = Some(value);
        for step in path.split('.') {
            node = node.and_then(|n| n.get(step));
        }
        if let Some(table) = node {
            check_table(path, table)?;
        }
    }
    // SAFETY: on the R thread (token) inside `run_toplevel`; `check_input`
    // ran (`RHandle::eval` checks every call before queueing it), so only
    // allocation can fail, and that jumps to `run_toplevel`'s frame.
    unsafe { Ok(token.sexp(value_to_r(token, value, "", tables))) }
}

fn check_table(name: &str, table: &Value) -> Result<(), TableError> {
    let Value::Object(columns) = table else {
        return Err(TableError(format!(
            "'{name}' must be an object of columns, e.g. {{\"x\": [1, 2], \"y\": [3, 4]}}"
        )));
    };
    let mut rows = None;
    for (column, values) in columns {
        let Value::Array(values) = values else {
            return Err(TableError(format!(
                "column '{column}' of '{name}' must be an array of values"
            )));
        };
        if values.iter().any(|v| v.is_array() || v.is_object()) {
            return Err(TableError(format!(
                "column '{column}' of '{name}' must hold numbers, strings, booleans or nulls"
            )));
        }
        match rows {
            None => rows = Some(values.len()),
            Some(n) if n != values.len() => {
                return Err(TableError(format!(
                    "columns of '{name}' have different lengths ('{column}' has {}, others {n}); every column needs one value per row",
                    values.len()
                )))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The R vector kind an array of scalars maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    Logical,
    Integer,
    Real,
    Character,
    List,
}

fn kind_of(items: &[Value]) -> Kind {
    let mut kind = Kind::Null;
    for item in items {
        let item_kind = match item {
            Value::Null => continue,
            Value::Bool(_) => Kind::Logical,
            Value::Number(n) if r_integer(n).is_some() => Kind::Integer,
            Value::Number(_) => Kind::Real,
            Value::String(_) => Kind::Character,
            Value::Array(_) | Value::Object(_) => return Kind::List,
        };
        kind = match (kind, item_kind) {
            (Kind::Null, k) => k,
            (a, b) if a == b => a,
            (Kind::Integer, Kind::Real) | (Kind::Real, Kind::Integer) => Kind::Real,
            _ => return Kind::List,
        };
    }
    kind
}

/// A JSON number that is an R integer (R's NA_integer_ is i32::MIN).
fn r_integer(number: &Number) -> Option<c_int> {
    number
        .as_i64()
        .and_then(|i| c_int::try_from(i).ok())
        .filter(|&i| i != c_int::MIN)
}

unsafe fn value_to_r(token: &RToken, value: &Value, path: &str, tables: &[String]) -> SEXP {
    // SAFETY: for the whole function, see `to_r`.
    unsafe {
        match value {
            Value::Null => R_NilValue,
            Value::Array(items) => array_to_r(token, items, false),
            Value::Object(members) => object_to_list(token, members, path, tables),
            scalar => array_to_r(token, std::slice::from_ref(scalar), false),
        }
    }
}

/// An array as an atomic vector, or a list when its items are mixed. With
/// `as_column`, mixed scalars become a character vector instead.
unsafe fn array_to_r(token: &RToken, items: &[Value], as_column: bool) -> SEXP {
    let len = items.len() as R_xlen_t;
    // SAFETY: for the whole function, see `to_r`; each vector is protected while
    // its elements are allocated.
    unsafe {
        let kind = match kind_of(items) {
            Kind::List if as_column => Kind::Character,
            Kind::Null if items.is_empty() && !as_column => Kind::List,
            kind => kind,
        };
        match kind {
            Kind::Null | Kind::Logical => {
                let x = Rf_allocVector(SEXPTYPE::LGLSXP, len);
                let data = LOGICAL(x);
                for (i, item) in items.iter().enumerate() {
                    *data.add(i) = match item {
                        Value::Bool(b) => c_int::from(*b),
                        _ => R_NaInt,
                    };
                }
                x
            }
            Kind::Integer => {
                let x = Rf_allocVector(SEXPTYPE::INTSXP, len);
                let data = INTEGER(x);
                for (i, item) in items.iter().enumerate() {
                    *data.add(i) = match item {
                        Value::Number(n) => r_integer(n).unwrap_or(R_NaInt),
                        _ => R_NaInt,
                    };
                }
                x
            }
            Kind::Real => {
                let x = Rf_allocVector(SEXPTYPE::REALSXP, len);
                let data = REAL(x);
                for (i, item) in items.iter().enumerate() {
                    *data.add(i) = match item {
                        Value::Number(n) => n.as_f64().unwrap_or(R_NaReal),
                        _ => R_NaReal,
                    };
                }
                x
            }
            Kind::Character => {
                let mut scope = ProtectScope::new(token);
                let x = scope
                    .protect_raw(Rf_allocVector(SEXPTYPE::STRSXP, len))
                    .raw();
                for (i, item) in items.iter().enumerate() {
                    let element = match item {
                        Value::String(text) => make_char(text),
                        Value::Null => R_NaString,
                        Value::Bool(true) => make_char("TRUE"),
                        Value::Bool(false) => make_char("FALSE"),
                        other => make_char(&other.to_string()),
                    };
                    SET_STRING_ELT(x, i as R_xlen_t, element);
                }
                x
            }
            Kind::List => {
                let mut scope = ProtectScope::new(token);
                let x = scope
                    .protect_raw(Rf_allocVector(SEXPTYPE::VECSXP, len))
                    .raw();
                for (i, item) in items.iter().enumerate() {
                    SET_VECTOR_ELT(x, i as R_xlen_t, value_to_r(token, item, "", &[]));
                }
                x
            }
        }
    }
}

/// An object (at dotted `path`) as a named list; members whose path is in
/// `tables` become data frames.
unsafe fn object_to_list(
    token: &RToken,
    members: &Map<String, Value>,
    path: &str,
    tables: &[String],
) -> SEXP {
    // SAFETY: for the whole function, see `to_r`.
    unsafe {
        let len = members.len() as R_xlen_t;
        let mut scope = ProtectScope::new(token);
        let list = scope
            .protect_raw(Rf_allocVector(SEXPTYPE::VECSXP, len))
            .raw();
        let names = scope
            .protect_raw(Rf_allocVector(SEXPTYPE::STRSXP, len))
            .raw();
        for (i, (name, item)) in members.iter().enumerate() {
            SET_STRING_ELT(names, i as R_xlen_t, make_char(name));
            let member_path = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            let element = match item {
                Value::Object(columns) if tables.contains(&member_path) => {
                    data_frame(token, columns)
                }
                _ if tables.is_empty() => value_to_r(token, item, "", tables),
                _ => value_to_r(token, item, &member_path, tables),
            };
            SET_VECTOR_ELT(list, i as R_xlen_t, element);
        }
        Rf_setAttrib(list, R_NamesSymbol, names);
        list
    }
}

/// Column-oriented object → `data.frame` (checked by `check_table`).
unsafe fn data_frame(token: &RToken, columns: &Map<String, Value>) -> SEXP {
    // SAFETY: for the whole function, see `to_r`.
    unsafe {
        let mut scope = ProtectScope::new(token);
        let frame = scope
            .protect_raw(object_to_list(token, columns, "", &[]))
            .raw();
        let mut rows = 0;
        for (i, column) in columns.values().enumerate() {
            if let Value::Array(items) = column {
                rows = items.len();
                // Columns are vectors even when mixed: re-convert as columns.
                if kind_of(items) == Kind::List || items.is_empty() {
                    SET_VECTOR_ELT(frame, i as R_xlen_t, array_to_r(token, items, true));
                }
            }
        }
        let row_names = scope.protect_raw(Rf_allocVector(SEXPTYPE::INTSXP, 2)).raw();
        *INTEGER(row_names) = R_NaInt;
        *INTEGER(row_names).add(1) = -(c_int::try_from(rows).unwrap_or(c_int::MAX));
        Rf_setAttrib(frame, R_RowNamesSymbol, row_names);
        let class = scope.protect_raw(Rf_allocVector(SEXPTYPE::STRSXP, 1)).raw();
        SET_STRING_ELT(class, 0, make_char("data.frame"));
        Rf_setAttrib(frame, R_ClassSymbol, class);
        frame
    }
}

/// A UTF-8 CHARSXP. `check_input` guarantees no NUL bytes.
unsafe fn make_char(text: &str) -> SEXP {
    // SAFETY: pointer and length describe `text`; R copies the bytes.
    unsafe {
        Rf_mkCharLenCE(
            text.as_ptr().cast::<c_char>(),
            c_int::try_from(text.len()).unwrap_or(c_int::MAX),
            cetype_t::CE_UTF8,
        )
    }
}

/// The reply's value grew past the cap.
#[derive(Debug)]
pub(crate) struct TooLarge {
    pub bytes: usize,
}

/// Converts an R value to JSON, giving up once the approximate serialized
/// size passes `budget` bytes. The caller keeps `x` protected (or reachable
/// from a protected object).
pub(crate) fn from_r<'r>(
    _token: &'r RToken,
    x: Sexp<'r>,
    budget: usize,
) -> Result<Value, TooLarge> {
    let mut writer = Writer { used: 0, budget };
    // SAFETY: on the R thread (token) inside `run_toplevel`; `x` is a valid
    // R object (a `Sexp`), kept alive by the caller. Reading may materialise
    // ALTREP vectors (allocation), which can only fail by jumping to
    // `run_toplevel`'s frame.
    unsafe { writer.value(x.raw(), 0) }
}

/// R type codes (`SEXPTYPE` values) as `TYPEOF` returns them.
mod code {
    pub const NIL: i32 = 0;
    pub const SYM: i32 = 1;
    pub const CLO: i32 = 3;
    pub const ENV: i32 = 4;
    pub const LANG: i32 = 6;
    pub const SPECIAL: i32 = 7;
    pub const BUILTIN: i32 = 8;
    pub const LGL: i32 = 10;
    pub const INT: i32 = 13;
    pub const REAL: i32 = 14;
    pub const CPLX: i32 = 15;
    pub const STR: i32 = 16;
    pub const VEC: i32 = 19;
    pub const EXPR: i32 = 20;
    pub const RAW: i32 = 24;
    pub const S4: i32 = 25;
}

struct Writer {
    used: usize,
    budget: usize,
}

impl Writer {
    fn spend(&mut self, bytes: usize) -> Result<(), TooLarge> {
        self.used += bytes;
        if self.used > self.budget {
            Err(TooLarge { bytes: self.used })
        } else {
            Ok(())
        }
    }

    unsafe fn value(&mut self, x: SEXP, depth: usize) -> Result<Value, TooLarge> {
        if depth > MAX_DEPTH {
            self.spend(16)?;
            return Ok(Value::String("<nested too deeply>".into()));
        }
        // SAFETY: for the whole function, see `from_r`.
        unsafe {
            match TYPEOF(x) {
                code::NIL => {
                    self.spend(4)?;
                    Ok(Value::Null)
                }
                code::LGL | code::INT | code::REAL | code::STR | code::CPLX | code::RAW => {
                    self.atomic(x)
                }
                code::VEC | code::EXPR => self.list(x, depth),
                code::SYM => {
                    let name = char_to_string(PRINTNAME(x));
                    self.spend(name.len() + 2)?;
                    Ok(Value::String(name))
                }
                other => {
                    let text = match other {
                        code::CLO | code::SPECIAL | code::BUILTIN => "<function>",
                        code::ENV => "<environment>",
                        code::LANG if inherits(x, "formula") => "<formula>",
                        code::LANG => "<call>",
                        code::S4 => "<S4 object>",
                        _ => "<R object>",
                    };
                    self.spend(text.len() + 2)?;
                    Ok(Value::String(text.into()))
                }
            }
        }
    }

    unsafe fn atomic(&mut self, x: SEXP) -> Result<Value, TooLarge> {
        // SAFETY: for the whole function, see `from_r`.
        unsafe {
            let len = usize::try_from(Rf_xlength(x)).unwrap_or(0);
            let kind = TYPEOF(x);
            if kind == code::RAW {
                let bytes = std::slice::from_raw_parts(RAW(x), len);
                self.spend(len * 4 / 3 + 4)?;
                return Ok(Value::String(
                    base64::engine::general_purpose::STANDARD.encode(bytes),
                ));
            }
            let flavor = if OBJECT(x) == 0 {
                Flavor::Plain
            } else if inherits(x, "factor") {
                Flavor::Factor(Rf_getAttrib(x, R_LevelsSymbol))
            } else if inherits(x, "Date") {
                Flavor::Date
            } else if inherits(x, "POSIXct") {
                Flavor::DateTime
            } else {
                Flavor::Plain
            };
            let as_is = OBJECT(x) != 0 && inherits(x, "AsIs");
            let dim = Rf_getAttrib(x, R_DimSymbol);
            if TYPEOF(dim) == code::INT && Rf_xlength(dim) == 2 {
                let rows = usize::try_from(*INTEGER(dim)).unwrap_or(0);
                let cols = usize::try_from(*INTEGER(dim).add(1)).unwrap_or(0);
                let mut out = Vec::with_capacity(rows);
                for r in 0..rows {
                    let mut row = Vec::with_capacity(cols);
                    for c in 0..cols {
                        row.push(self.element(x, kind, r + c * rows, &flavor)?);
                    }
                    out.push(Value::Array(row));
                }
                return Ok(Value::Array(out));
            }
            let names = Rf_getAttrib(x, R_NamesSymbol);
            if TYPEOF(names) == code::STR && !as_is {
                let mut out = Map::with_capacity(len);
                for i in 0..len {
                    let name = name_at(names, i);
                    self.spend(name.len() + 4)?;
                    out.insert(name, self.element(x, kind, i, &flavor)?);
                }
                return Ok(Value::Object(out));
            }
            if len == 1 && !as_is {
                return self.element(x, kind, 0, &flavor);
            }
            let mut out = Vec::with_capacity(len);
            for i in 0..len {
                out.push(self.element(x, kind, i, &flavor)?);
            }
            Ok(Value::Array(out))
        }
    }

    unsafe fn element(
        &mut self,
        x: SEXP,
        kind: i32,
        i: usize,
        flavor: &Flavor,
    ) -> Result<Value, TooLarge> {
        // SAFETY: for the whole function, see `from_r`; `i` < length of `x`.
        let value = unsafe {
            match kind {
                code::LGL => {
                    let v = *LOGICAL(x).add(i);
                    if v == R_NaInt {
                        Value::Null
                    } else {
                        Value::Bool(v != 0)
                    }
                }
                code::INT => {
                    let v = *INTEGER(x).add(i);
                    match flavor {
                        _ if v == R_NaInt => Value::Null,
                        Flavor::Factor(levels) => {
                            let index = usize::try_from(v - 1).unwrap_or(usize::MAX);
                            if TYPEOF(*levels) == code::STR
                                && index < usize::try_from(Rf_xlength(*levels)).unwrap_or(0)
                            {
                                string_at(*levels, index)
                            } else {
                                Value::Null
                            }
                        }
                        _ => Value::from(v),
                    }
                }
                code::REAL => {
                    let v = *REAL(x).add(i);
                    match flavor {
                        _ if !v.is_finite() => Value::Null,
                        Flavor::Date => Value::String(format_date(v.floor() as i64)),
                        Flavor::DateTime => Value::String(format_date_time(v.floor() as i64)),
                        // Whole numbers print as integers (42, not 42.0),
                        // as R and jsonlite print them.
                        _ if v.fract() == 0.0 && v.abs() < 9.0e15 => Value::from(v as i64),
                        _ => Number::from_f64(v).map_or(Value::Null, Value::Number),
                    }
                }
                code::STR => string_at(x, i),
                code::CPLX => {
                    let v = *COMPLEX(x).add(i);
                    if v.r.is_finite() && v.i.is_finite() {
                        Value::String(format!("{}{:+}i", v.r, v.i))
                    } else {
                        Value::Null
                    }
                }
                _ => Value::Null,
            }
        };
        self.spend(match &value {
            Value::String(text) => text.len() + 2,
            _ => 8,
        })?;
        Ok(value)
    }

    unsafe fn list(&mut self, x: SEXP, depth: usize) -> Result<Value, TooLarge> {
        // SAFETY: for the whole function, see `from_r`.
        unsafe {
            let len = usize::try_from(Rf_xlength(x)).unwrap_or(0);
            let names = Rf_getAttrib(x, R_NamesSymbol);
            let is_frame = OBJECT(x) != 0 && inherits(x, "data.frame");
            if TYPEOF(names) == code::STR {
                let mut out = Map::with_capacity(len);
                for i in 0..len {
                    let name = name_at(names, i);
                    self.spend(name.len() + 4)?;
                    let item = VECTOR_ELT(x, i as R_xlen_t);
                    let value = if is_frame {
                        self.column(item)?
                    } else {
                        self.value(item, depth + 1)?
                    };
                    out.insert(name, value);
                }
                return Ok(Value::Object(out));
            }
            let mut out = Vec::with_capacity(len);
            for i in 0..len {
                out.push(self.value(VECTOR_ELT(x, i as R_xlen_t), depth + 1)?);
            }
            Ok(Value::Array(out))
        }
    }

    /// A data frame column: always an array, names dropped.
    unsafe fn column(&mut self, x: SEXP) -> Result<Value, TooLarge> {
        // SAFETY: for the whole function, see `from_r`.
        unsafe {
            let kind = TYPEOF(x);
            if !matches!(
                kind,
                code::LGL | code::INT | code::REAL | code::STR | code::CPLX
            ) {
                return self.value(x, 1);
            }
            let flavor = if inherits(x, "factor") {
                Flavor::Factor(Rf_getAttrib(x, R_LevelsSymbol))
            } else if inherits(x, "Date") {
                Flavor::Date
            } else if inherits(x, "POSIXct") {
                Flavor::DateTime
            } else {
                Flavor::Plain
            };
            let len = usize::try_from(Rf_xlength(x)).unwrap_or(0);
            let mut out = Vec::with_capacity(len);
            for i in 0..len {
                out.push(self.element(x, kind, i, &flavor)?);
            }
            Ok(Value::Array(out))
        }
    }
}

enum Flavor {
    Plain,
    Factor(SEXP),
    Date,
    DateTime,
}

unsafe fn inherits(x: SEXP, class: &str) -> bool {
    let mut name = [0 as c_char; 32];
    for (slot, byte) in name.iter_mut().zip(class.bytes()) {
        *slot = byte as c_char;
    }
    // SAFETY: `name` is NUL-terminated (class names here are < 32 bytes);
    // Rf_inherits only reads attributes.
    unsafe { Rf_inherits(x, name.as_ptr()) == Rboolean::TRUE }
}

unsafe fn name_at(names: SEXP, i: usize) -> String {
    // SAFETY: `names` is a character vector at least as long as its owner.
    match unsafe { string_at(names, i) } {
        Value::String(name) if !name.is_empty() => name,
        _ => (i + 1).to_string(),
    }
}

unsafe fn string_at(x: SEXP, i: usize) -> Value {
    // SAFETY: `x` is a character vector and `i` is in range.
    unsafe {
        let element = STRING_ELT(x, i as R_xlen_t);
        if element == R_NaString {
            Value::Null
        } else {
            Value::String(char_to_string(element))
        }
    }
}

/// A CHARSXP's text as UTF-8 (latin1 converted, anything else lossy).
unsafe fn char_to_string(element: SEXP) -> String {
    // SAFETY: `element` is a CHARSXP; R_CHAR points at LENGTH bytes.
    unsafe {
        let len = usize::try_from(LENGTH(element)).unwrap_or(0);
        let bytes = std::slice::from_raw_parts(R_CHAR(element).cast::<u8>(), len);
        // Names and most values are ASCII: the same text in every
        // encoding, so neither R's encoding flag nor the lossy decoder is
        // needed.
        if bytes.is_ascii() {
            if let Ok(text) = std::str::from_utf8(bytes) {
                return text.to_owned();
            }
        }
        if Rf_getCharCE(element) == cetype_t::CE_LATIN1 {
            bytes.iter().map(|&b| char::from(b)).collect()
        } else {
            String::from_utf8_lossy(bytes).into_owned()
        }
    }
}

/// Days since 1970-01-01 → `YYYY-MM-DD` (proleptic Gregorian).
fn format_date(days: i64) -> String {
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Seconds since the epoch → `YYYY-MM-DDTHH:MM:SSZ`.
fn format_date_time(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        format_date(days),
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

/// Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_format_like_r() {
        assert_eq!(format_date(0), "1970-01-01");
        assert_eq!(format_date(19_000), "2022-01-08");
        assert_eq!(format_date(-1), "1969-12-31");
        assert_eq!(format_date_time(86_399), "1970-01-01T23:59:59Z");
    }

    #[test]
    fn array_kinds_widen_as_documented() {
        let kind = |v: Value| kind_of(v.as_array().map(Vec::as_slice).unwrap_or(&[]));
        assert_eq!(kind(serde_json::json!([1, 2, null])), Kind::Integer);
        assert_eq!(kind(serde_json::json!([1, 2.5])), Kind::Real);
        assert_eq!(kind(serde_json::json!([null, null])), Kind::Null);
        assert_eq!(kind(serde_json::json!(["a", null])), Kind::Character);
        assert_eq!(kind(serde_json::json!([true, 1])), Kind::List);
        assert_eq!(kind(serde_json::json!([3_000_000_000i64])), Kind::Real);
        assert_eq!(kind(serde_json::json!([[1], 2])), Kind::List);
    }

    #[test]
    fn input_check_refuses_what_r_cannot_hold() {
        assert!(check_input(&serde_json::json!({"a": "x\u{0}y"})).is_err());
        assert!(check_input(&serde_json::json!({"a": ["ok", 1, null]})).is_ok());
        let mut deep = serde_json::json!(1);
        for _ in 0..(MAX_DEPTH + 2) {
            deep = serde_json::json!([deep]);
        }
        assert!(check_input(&deep).is_err());
    }

    #[test]
    fn input_check_names_the_path_to_the_problem() {
        let nul = serde_json::json!({"a": [1, {"b": "x\u{0}y"}]});
        assert_eq!(
            check_input(&nul).unwrap_err(),
            "string at $.a[1].b contains a NUL character, which R cannot hold"
        );
        let name = serde_json::json!({"data": {"ok": 1, "bad\u{0}": 2}});
        assert!(check_input(&name)
            .unwrap_err()
            .starts_with("member name at $.data is not usable in R"));
        let mut deep = serde_json::json!(1);
        for _ in 0..(MAX_DEPTH + 2) {
            deep = serde_json::json!([deep]);
        }
        let message = check_input(&deep).unwrap_err();
        let expected = format!("at ${}", "[0]".repeat(MAX_DEPTH + 1));
        assert!(message.ends_with(&expected), "{message}");
    }
}
