// `#[cfg]` and `#[cfg_attr]` on arguments: a removed argument is neither
// passed on nor checked for `Send` (an `Rc` here), with and without `keep`.
#![deny(warnings)]

use bridge_runtime::offload;

#[offload(io)]
fn sum(#[cfg(any())] gone: std::rc::Rc<u8>, a: u8, #[cfg(all())] b: u8) -> u8 {
    a + b
}

#[offload(cpu, keep = sum_kept_blocking)]
fn sum_kept(
    #[cfg(any())] gone: std::rc::Rc<u8>,
    #[cfg_attr(all(), allow(unused_mut))] mut a: u8,
    #[cfg_attr(any(), cfg(any()))] b: u8,
) -> u8 {
    a += 1;
    a + b
}

struct Meter(u8);

impl Meter {
    #[offload(io, keep = read_blocking)]
    fn read(self, #[cfg(any())] gone: std::rc::Rc<u8>, #[cfg(all())] extra: u8) -> u8 {
        self.0 + extra
    }
}

fn main() {
    assert_eq!(bridge_runtime::block_on(sum(1, 2)), 3);
    assert_eq!(bridge_runtime::block_on(sum_kept(1, 2)), 4);
    assert_eq!(sum_kept_blocking(1, 2), 4);
    assert_eq!(bridge_runtime::block_on(Meter(3).read(4)), 7);
    assert_eq!(Meter(3).read_blocking(1), 4);
}
