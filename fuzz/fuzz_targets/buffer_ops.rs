//! Buffer operation sequences on two buffers against a `Vec<u8>` model
//! (the same model as `crates/oxevent/tests/buffer_model.rs`).
#![no_main]

#[path = "../../crates/oxevent/tests/util/buffer_model.rs"]
mod buffer_model;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    buffer_model::Model::run(data);
});
