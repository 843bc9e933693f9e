// A fn whose parameters or body bind its name (a parameter, a local
// closure, a nested fn, a closure parameter, a match, `if let` or `for`
// binding) calls that, not itself: not reported as recursion.
#![deny(warnings)]

use bridge_runtime::offload;

#[offload(cpu)]
fn render(scene: Vec<u8>) -> usize {
    let render = |s: &[u8]| s.len();
    render(&scene)
}

#[offload(cpu)]
fn parse(text: String) -> u32 {
    fn parse(s: &str) -> u32 {
        s.len() as u32
    }
    parse(&text)
}

#[offload(io)]
fn apply(values: Vec<u32>) -> Vec<u32> {
    let run = |apply: fn(u32) -> u32| values.iter().map(|v| apply(*v)).collect();
    run(|v| v + 1)
}

type Step = fn(u32) -> u32;

#[offload(io)]
fn step(choice: Option<Step>, n: u32) -> u32 {
    match choice {
        Some(step) => step(n),
        None => n,
    }
}

#[offload(io)]
fn each(steps: Vec<Step>, n: u32) -> u32 {
    let mut total = 0;
    for each in steps {
        total += each(n);
    }
    if let Some(each) = None::<Step> {
        total += each(n);
    }
    total
}

#[offload(cpu)]
fn twice(twice: Step, n: u32) -> u32 {
    twice(twice(n))
}

fn main() {
    assert_eq!(bridge_runtime::block_on(render(vec![1, 2])), 2);
    assert_eq!(bridge_runtime::block_on(parse("ab".into())), 2);
    assert_eq!(bridge_runtime::block_on(apply(vec![1, 2])), [2, 3]);
    assert_eq!(bridge_runtime::block_on(step(Some(|n| n * 2), 4)), 8);
    assert_eq!(bridge_runtime::block_on(each(vec![|n| n + 1, |n| n * 3], 2)), 9);
    assert_eq!(bridge_runtime::block_on(twice(|n| n + 5, 1)), 11);
}
