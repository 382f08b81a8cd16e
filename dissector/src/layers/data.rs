//! Octets no decoder claims: one `data` layer with `data.data` and `data.len`.

use crate::cx::Cx;
use crate::engine::Next;
use crate::model::Value;
use core::ops::Range;

/// Shows `data[at]` as opaque data.
pub fn data(cx: &mut Cx, _data: &[u8], at: Range<usize>) -> Next {
    if at.is_empty() {
        return Next::Stop;
    }
    cx.layer("data", at.clone());
    cx.field("data.data", at.clone(), Value::Bytes);
    cx.uint("data.len", at.clone(), at.len() as u64);
    Next::Stop
}
