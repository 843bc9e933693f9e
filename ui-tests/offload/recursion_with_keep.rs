// With `keep`, the message names the kept blocking fn to call instead.
use bridge_runtime::offload;

struct Tree(Vec<Tree>);

impl Tree {
    #[offload(cpu, keep = size_blocking)]
    fn size(self) -> usize {
        1 + self.0.into_iter().map(|t| Self::size(t)).sum::<usize>()
    }
}

fn main() {}
