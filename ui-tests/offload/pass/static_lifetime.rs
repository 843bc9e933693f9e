// A lifetime bounded by `'static` borrows nothing that could go away.
#![deny(warnings)]

use bridge_runtime::offload;

#[offload(io)]
fn length<'a>(text: &'a str) -> usize
where
    'a: 'static,
{
    text.len()
}

#[offload(cpu)]
fn first_word<'a: 'static>(text: &'a str) -> &'a str {
    text.split(' ').next().unwrap_or(text)
}

fn main() {
    assert_eq!(bridge_runtime::block_on(length("four")), 4);
    assert_eq!(bridge_runtime::block_on(first_word("hello world")), "hello");
}
