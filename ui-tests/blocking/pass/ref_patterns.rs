// `ref` and `ref mut` bindings in a `#[blocking]` fn's arguments.
#![deny(warnings)]

use bridge_runtime::blocking;

#[blocking]
async fn total(ref label: String, ref mut values: Vec<u32>, (ref a, b): (String, u32)) -> String {
    values.push(b);
    format!("{label}{a}:{}", values.iter().sum::<u32>())
}

#[blocking(keep = total_async)]
async fn total_kept(ref label: String, ref mut values: Vec<u32>) -> String {
    values.push(1);
    format!("{label}{}", values.len())
}

fn main() {
    assert_eq!(total("t".into(), vec![1, 2], ("a".into(), 3)), "ta:6");
    assert_eq!(total_kept("n".into(), vec![]), "n1");
    assert_eq!(bridge_runtime::block_on(total_async("n".into(), vec![5])), "n2");
}
