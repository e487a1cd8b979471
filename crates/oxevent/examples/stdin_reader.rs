//! Seed 003's demo: a persistent read event on standard input.
//!
//! `echo hello | cargo run -p oxevent --example stdin_reader`
//! prints each chunk read and stops at end of input.

use std::io::Read;

use oxevent::{Base, Ev};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = Base::<usize>::new()?;
    let ev = base.io(
        std::io::stdin(),
        Ev::READ | Ev::PERSIST,
        |total: &mut usize, base, stdin, _| {
            let mut buf = [0u8; 1024];
            match stdin.read(&mut buf) {
                Ok(0) | Err(_) => {
                    println!("in the cmd_cb: end of input after {total} bytes");
                    base.loopbreak();
                }
                Ok(n) => {
                    *total += n;
                    println!(
                        "in the cmd_cb: {}",
                        String::from_utf8_lossy(&buf[..n]).trim_end()
                    );
                }
            }
        },
    )?;
    base.add(ev, None)?;
    let mut total = 0;
    base.dispatch(&mut total)?;
    base.free(ev)?;
    Ok(())
}
