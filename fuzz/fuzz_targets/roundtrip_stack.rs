//! Whole frames (link, IP, UDP, GRE, ESP headers…): stack::parse never fails and re-emits the frame octet for octet; the first octet picks the link type.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, frame)) = data.split_first() else { return };
    const LINKS: [u16; 7] = [1, 127, 105, 113, 276, 101, 228];
    let link = codec::numbers::LinkType(LINKS[usize::from(pick) % LINKS.len()]);
    let f = codec::stack::parse(link, frame);
    assert_eq!(f.emit().expect("a parsed frame emits"), frame, "stack round trip");
});
