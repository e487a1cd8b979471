//! `search`, `search_range` and `search_eol` on arbitrary bytes split into
//! arbitrary chunks, against naive searches.
#![no_main]

#[path = "../../crates/oxevent/tests/util/buffer_model.rs"]
mod buffer_model;

use buffer_model::{model_eol, model_search};
use oxevent::buffer::{Buffer, EolStyle};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let nlen = usize::from(data[0] % 9);
    let cuts = data[1];
    let from = usize::from(data[2]);
    let to = usize::from(data[3]);
    let rest = &data[4..];
    let (needle, hay) = rest.split_at(nlen.min(rest.len()));
    let mut buf = Buffer::new();
    let mut at = 0;
    let mut i = 0u32;
    while at < hay.len() {
        let step = 1 + ((u32::from(cuts).wrapping_mul(i + 3)) % 19) as usize;
        let piece = &hay[at..(at + step).min(hay.len())];
        buf.add_reference(piece.to_vec()).unwrap();
        at += piece.len();
        i += 1;
    }
    let len = hay.len();
    let from = from % (len + 1);
    let to = (from + to) % (len + 1);
    let start = buf.pos_at(from).unwrap();
    let end = buf.pos_at(to).unwrap();
    let got = buf.search_range(needle, Some(&start), Some(&end)).unwrap().map(|p| p.offset());
    assert_eq!(got, model_search(hay, needle, from, to));
    let got = buf.search(needle, Some(&start)).unwrap().map(|p| p.offset());
    assert_eq!(got, model_search(hay, needle, from, len));
    if let Some(p) = buf.search(needle, None).unwrap() {
        // The position found is usable: copy the match out from it.
        let mut out = vec![0u8; needle.len()];
        assert_eq!(buf.copyout_from(&p, &mut out).unwrap(), needle.len());
        assert_eq!(out, needle);
    }
    for s in 0..5 {
        let style = EolStyle::from_raw(s).unwrap();
        let got = buf.search_eol(Some(&start), style).unwrap().map(|(p, n)| (p.offset(), n));
        assert_eq!(got, model_eol(hay, from, style), "{style:?}");
    }
    // Linearized, the same answers.
    buf.pullup(len).unwrap();
    let got = buf.search(needle, Some(&buf.pos_at(from).unwrap())).unwrap().map(|p| p.offset());
    assert_eq!(got, model_search(hay, needle, from, len));
});
