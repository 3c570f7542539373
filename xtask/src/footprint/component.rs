//! Byte-distinct copies of a component: the host keys compiled artifacts by
//! the component's sha256, so twenty uploads of one `.wasm` would compile
//! once and share one mapping, which real, different plugins never do.

/// `component` with a component-level custom section appended: section id
/// 0, the LEB128 size of the rest, the LEB128-prefixed `name`, `payload`.
/// Custom sections may stand anywhere in a component and mean nothing to
/// the runtime, so the copy behaves exactly as the original.
pub fn with_custom_section(component: &[u8], name: &str, payload: &[u8]) -> Vec<u8> {
    let mut contents = leb128(name.len());
    contents.extend_from_slice(name.as_bytes());
    contents.extend_from_slice(payload);
    let mut copy = Vec::with_capacity(component.len() + contents.len() + 6);
    copy.extend_from_slice(component);
    copy.push(0);
    copy.extend(leb128(contents.len()));
    copy.extend(contents);
    copy
}

fn leb128(mut value: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    loop {
        let low = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            bytes.push(low);
            return bytes;
        }
        bytes.push(low | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_sizes_in_leb128() {
        assert_eq!(leb128(0), [0]);
        assert_eq!(leb128(127), [0x7f]);
        assert_eq!(leb128(128), [0x80, 0x01]);
        assert_eq!(leb128(624_485), [0xe5, 0x8e, 0x26]);
    }

    #[test]
    fn appends_one_custom_section() {
        let header = b"\0asm\x0d\0\x01\0";
        let copy = with_custom_section(header, "tag", b"copy-1");
        // id 0, size 10 (name length 1 + "tag" 3 + payload 6), name, payload.
        assert_eq!(&copy[..8], header);
        assert_eq!(&copy[8..], b"\x00\x0a\x03tagcopy-1");
    }
}
