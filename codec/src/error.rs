//! Errors and diagnostics: the six kinds of spec §2.1, a clause, a field and an offset.
//!
//! Structure fails → [`DecodeError`] (the octets cannot be represented); meaning fails →
//! a [`Diagnostic`] that travels beside a fully decoded value (STYLE §6).

use core::fmt;

/// The spec's six error kinds (spec §2.1), stable snake_case in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Kind {
    /// Fewer octets than a header or a length field promises.
    Truncated,
    /// A length field whose value is impossible.
    BadLength,
    /// A value that its definition does not allow.
    BadValue,
    /// An unrecognised mandatory item.
    Unsupported,
    /// A version this decoder does not implement.
    Version,
    /// An authenticator or ICV that does not verify.
    AuthFailed,
}

impl Kind {
    /// The snake_case name used in JSON and in the spec vectors.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Truncated => "truncated",
            Kind::BadLength => "bad_length",
            Kind::BadValue => "bad_value",
            Kind::Unsupported => "unsupported",
            Kind::Version => "version",
            Kind::AuthFailed => "auth_failed",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How serious a diagnostic is (spec, introduction: error, warning, info).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Severity {
    /// An event worth showing, not a fault.
    Info,
    /// A *should* broken; the value stays usable.
    Warning,
    /// A *must* broken.
    Error,
}

impl Severity {
    /// Lower-case name, as in JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Why a decoder could not represent its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// One of the spec's six kinds.
    pub kind: Kind,
    /// Display-filter name of the field at fault, e.g. `mvtp.length`.
    pub field: &'static str,
    /// Offset of the field at fault, from the first octet of the layer (see [`Self::rebased`]).
    pub offset: usize,
    /// The spec clause or RFC section broken, e.g. `FMT-5` or `RFC2661-4.1`.
    pub clause: Option<&'static str>,
    /// A sentence: what was found and what was expected.
    pub detail: String,
}

impl DecodeError {
    /// A new error.
    pub fn new(kind: Kind, field: &'static str, offset: usize, detail: impl Into<String>) -> Self {
        Self { kind, field, offset, clause: None, detail: detail.into() }
    }

    /// `truncated`: `need` octets at `offset` promised by `field`, only `have` present.
    pub fn truncated(field: &'static str, offset: usize, need: usize, have: usize) -> Self {
        Self::new(Kind::Truncated, field, offset, format!("needs {need} octets, has {have}"))
    }

    /// The same error with its clause set.
    #[must_use]
    pub fn clause(mut self, clause: &'static str) -> Self {
        self.clause = Some(clause);
        self
    }

    /// The same error with `base` added to its offset (a layer's position in its buffer).
    #[must_use]
    pub fn rebased(mut self, base: usize) -> Self {
        self.offset = self.offset.saturating_add(base);
        self
    }

    /// This error as a diagnostic of severity error.
    pub fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            kind: Some(self.kind),
            field: self.field,
            offset: self.offset,
            clause: self.clause,
            detail: self.detail.clone(),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}) at offset {}: {}", self.field, self.kind, self.offset, self.detail)?;
        if let Some(c) = self.clause {
            write!(f, " [{c}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for DecodeError {}

/// A finding about decoded octets that does not stop decoding (STYLE §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error, warning or info.
    pub severity: Severity,
    /// One of the six kinds for an error; `None` for a warning such as FMT-3.
    pub kind: Option<Kind>,
    /// Display-filter name of the field at fault.
    pub field: &'static str,
    /// Offset of the field at fault, from the first octet of the layer.
    pub offset: usize,
    /// Clause broken, when one is.
    pub clause: Option<&'static str>,
    /// A sentence.
    pub detail: String,
}

impl Diagnostic {
    /// A warning about `field` at `offset`, breaking `clause`.
    pub fn warning(field: &'static str, offset: usize, clause: &'static str, detail: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, kind: None, field, offset, clause: Some(clause), detail: detail.into() }
    }

    /// An error that leaves the value decoded (`unsupported`, `auth_failed`, …).
    pub fn error(kind: Kind, field: &'static str, offset: usize, clause: &'static str, detail: impl Into<String>) -> Self {
        Self { severity: Severity::Error, kind: Some(kind), field, offset, clause: Some(clause), detail: detail.into() }
    }

    /// The same diagnostic with `base` added to its offset.
    #[must_use]
    pub fn rebased(mut self, base: usize) -> Self {
        self.offset = self.offset.saturating_add(base);
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset {}: {}", self.field, self.offset, self.detail)?;
        if let Some(k) = self.kind {
            write!(f, " ({k})")?;
        }
        if let Some(c) = self.clause {
            write!(f, " [{c}]")?;
        }
        Ok(())
    }
}

/// Why a value could not be encoded: a value wider than its field, never silently cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError {
    /// Display-filter name of the field that cannot hold the value.
    pub field: &'static str,
    /// A sentence.
    pub detail: String,
}

impl EncodeError {
    /// A new encode error.
    pub fn new(field: &'static str, detail: impl Into<String>) -> Self {
        Self { field, detail: detail.into() }
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot encode {}: {}", self.field, self.detail)
    }
}

impl std::error::Error for EncodeError {}
