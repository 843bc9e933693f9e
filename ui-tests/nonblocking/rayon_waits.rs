// rayon's `ThreadPool::install` and `rayon::scope` make the caller wait.
use bridge_runtime::nonblocking;

#[nonblocking]
async fn crunch(data: Vec<u64>) -> u64 {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let total = pool.install(|| data.iter().sum::<u64>());
    rayon::scope(|s| {
        s.spawn(|_| {});
    });
    total
}

struct Engine {
    pool: rayon::ThreadPool,
}

#[nonblocking]
impl Engine {
    async fn run(&self) -> u64 {
        self.pool.install(|| 1)
    }
}

fn main() {}
