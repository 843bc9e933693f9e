// `#[cfg]` and `#[cfg_attr]` on arguments, with and without `keep`.
#![deny(warnings)]

use bridge_runtime::blocking;

#[blocking]
async fn sum(#[cfg(any())] gone: std::rc::Rc<u8>, a: u8, #[cfg(all())] b: u8) -> u8 {
    a + b
}

#[blocking(keep = sum_kept_async)]
async fn sum_kept(
    #[cfg(any())] gone: std::rc::Rc<u8>,
    #[cfg_attr(all(), allow(unused_mut))] mut a: u8,
    #[cfg_attr(any(), cfg(any()))] b: u8,
) -> u8 {
    a += 1;
    a + b
}

fn main() {
    assert_eq!(sum(1, 2), 3);
    assert_eq!(sum_kept(1, 2), 4);
    assert_eq!(bridge_runtime::block_on(sum_kept_async(1, 2)), 4);
}
