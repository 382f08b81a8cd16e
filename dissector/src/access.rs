//! Typed access to a dissection's fields by name, for consumers that judge or count
//! (statistics, the conformance engine): "the first `mvtp.connect_id` of layer 3".

use crate::model::{Dissection, Field, Value};

/// One layer of a dissection, with typed lookups of its top-level and nested fields.
#[derive(Clone, Copy)]
pub struct LayerRef<'a> {
    /// The dissection.
    pub d: &'a Dissection,
    /// The frame octets.
    pub frame: &'a [u8],
    /// Index of the layer.
    pub index: usize,
}

impl<'a> LayerRef<'a> {
    /// The layer's protocol name.
    pub fn proto(&self) -> &'static str {
        self.d.layers.get(self.index).map_or("", |l| l.proto)
    }

    /// The layer's fields.
    pub fn fields(&self) -> &'a [Field] {
        self.d.layer_fields(self.index)
    }

    /// The first field named `name` in this layer.
    pub fn get(&self, name: &str) -> Option<&'a Field> {
        self.fields().iter().find(|f| crate::output::same_name(f.name, name) && !matches!(f.value, Value::Empty))
    }

    /// Every field named `name` in this layer.
    pub fn all(&self, name: &'a str) -> impl Iterator<Item = &'a Field> + 'a {
        self.fields().iter().filter(move |f| crate::output::same_name(f.name, name) && !matches!(f.value, Value::Empty))
    }

    /// The first `name` as an unsigned integer.
    pub fn uint(&self, name: &str) -> Option<u64> {
        match self.get(name)?.value {
            Value::U64(v) => Some(v),
            Value::Bool(b) => Some(u64::from(b)),
            _ => None,
        }
    }

    /// The first `name` as a boolean.
    pub fn flag(&self, name: &str) -> Option<bool> {
        match self.get(name)?.value {
            Value::Bool(b) => Some(b),
            Value::U64(v) => Some(v != 0),
            _ => None,
        }
    }

    /// The first `name` as an IPv4 address.
    pub fn ipv4(&self, name: &str) -> Option<[u8; 4]> {
        match self.get(name)?.value {
            Value::Ipv4(a) => Some(a),
            _ => None,
        }
    }

    /// The first `name` rendered as text (spec §10 formats).
    pub fn text(&self, name: &str) -> Option<String> {
        // The fast renderer (same text as `Dissection::render`, without `core::fmt`).
        self.get(name).map(|f| {
            let mut s = String::new();
            crate::output::render(self.d, self.frame, f, &mut s);
            s
        })
    }

    /// The octets of the first `name`.
    pub fn bytes(&self, name: &str) -> Option<&'a [u8]> {
        self.get(name).map(|f| self.d.field_bytes(self.frame, f))
    }

    /// The nearest enclosing layer named `proto` (outer layers, innermost first).
    pub fn outer(&self, proto: &str) -> Option<LayerRef<'a>> {
        (0..self.index).rev().find(|&i| self.d.layers[i].proto == proto).map(|index| LayerRef { index, ..*self })
    }
}

/// The layers of `d` named `proto`, outermost first.
pub fn layers<'a>(d: &'a Dissection, frame: &'a [u8], proto: &'a str) -> impl Iterator<Item = LayerRef<'a>> + 'a {
    d.layers.iter().enumerate().filter(move |(_, l)| l.proto == proto).map(move |(index, _)| LayerRef { d, frame, index })
}

/// Every layer of `d`, outermost first.
pub fn all_layers<'a>(d: &'a Dissection, frame: &'a [u8]) -> impl Iterator<Item = LayerRef<'a>> + 'a {
    (0..d.layers.len()).map(move |index| LayerRef { d, frame, index })
}

/// Formats an IPv4 address.
pub fn ipv4_string(a: [u8; 4]) -> String {
    std::net::Ipv4Addr::from(a).to_string()
}
