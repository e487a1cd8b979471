//! `readln` with every EOL style on arbitrary bytes split into arbitrary
//! chunks, against a naive reading of libevent's rules.
#![no_main]

#[path = "../../crates/oxevent/tests/util/buffer_model.rs"]
mod buffer_model;

use buffer_model::model_eol;
use oxevent::buffer::{Buffer, EolStyle};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let style = EolStyle::from_raw(i32::from(data[0] % 5)).unwrap();
    let cuts = data[1];
    let bytes = &data[2..];
    // Feed the bytes in pieces (some as references: separate chunks), and
    // read lines between pieces, as a protocol parser would.
    let mut buf = Buffer::new();
    let mut model: Vec<u8> = Vec::new();
    let mut at = 0;
    let mut i = 0u32;
    while at < bytes.len() {
        let step = 1 + ((u32::from(cuts).wrapping_mul(i + 7)) % 37) as usize;
        let piece = &bytes[at..(at + step).min(bytes.len())];
        if i % 3 == 0 {
            buf.add_reference(piece.to_vec()).unwrap();
        } else {
            buf.add(piece).unwrap();
        }
        model.extend_from_slice(piece);
        at += piece.len();
        i += 1;
        while let Some((eol, n)) = model_eol(&model, 0, style) {
            let line = buf.readln(style).unwrap().expect("the model found a line");
            assert_eq!(line, &model[..eol]);
            model.drain(..eol + n);
        }
        assert_eq!(buf.readln(style).unwrap(), None);
        assert_eq!(buf.len(), model.len());
    }
    buf.check_invariants().unwrap();
    assert_eq!(buf.to_vec().unwrap(), model);
});
