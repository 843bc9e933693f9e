// `ref` and `ref mut` bindings, alone and inside a destructured argument:
// they bind on the pool's thread, to the values the body owns.
#![deny(warnings)]

use bridge_runtime::offload;

#[offload(io)]
fn total(ref label: String, ref mut values: Vec<u32>, (ref a, mut b): (String, u32)) -> String {
    values.push(b);
    b += 1;
    format!("{label}{a}:{}:{b}", values.iter().sum::<u32>())
}

#[offload(cpu, keep = total_blocking)]
fn total_kept(ref label: String, ref mut values: Vec<u32>) -> String {
    values.push(1);
    format!("{label}{}", values.len())
}

fn main() {
    let text = bridge_runtime::block_on(total("t".into(), vec![1, 2], ("a".into(), 3)));
    assert_eq!(text, "ta:6:4");
    assert_eq!(bridge_runtime::block_on(total_kept("n".into(), vec![])), "n1");
    assert_eq!(total_blocking("n".into(), vec![5]), "n2");
}
