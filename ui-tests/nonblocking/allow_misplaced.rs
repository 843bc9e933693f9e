// `#[allow_blocking]` where it lets nothing through: one error each, and
// no second error from rustc about an unknown attribute.
use bridge_runtime::nonblocking;

#[nonblocking]
mod jobs {
    pub struct Job {
        #[allow_blocking]
        pub path: String,
    }

    pub async fn run(#[allow_blocking] job: Job) -> usize {
        job.path.len()
    }
}

fn main() {}
