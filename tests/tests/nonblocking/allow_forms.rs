//! `#[allow_blocking]` wherever a person puts it, in each of its forms: the
//! code compiles (the marker is removed), runs, and is not reported.

use std::time::Duration;

use bridge_runtime::{allow_blocking, nonblocking};

#[nonblocking]
pub async fn on_statements(path: &str) -> u64 {
    let mut total = 0;
    #[allow_blocking]
    total += std::fs::metadata(path).map_or(0, |m| m.len());
    #[allow_blocking]
    let again = std::fs::metadata(path).map_or(0, |m| m.len());
    #[allow_blocking]
    std::thread::sleep(Duration::from_micros(1));
    #[bridge_runtime::allow_blocking]
    std::thread::sleep(Duration::from_micros(1));
    #[allow_blocking]
    println!("{}", std::fs::read(path).map_or(0, |b| b.len()));
    total + again
}

#[nonblocking]
pub async fn on_match_arms(quick: bool) -> u32 {
    match quick {
        true => 1,
        #[allow_blocking]
        false => {
            std::thread::sleep(Duration::from_micros(1));
            2
        }
    }
}

#[nonblocking]
pub async fn around_one_expression(path: &str) -> bool {
    let exists = bridge_runtime::allow_blocking(|| std::fs::metadata(path).is_ok());
    let again = allow_blocking(|| std::fs::metadata(path).is_ok());
    exists && again
}

#[nonblocking]
pub mod service {
    use std::time::Duration;

    pub struct Warm;

    #[allow_blocking]
    pub async fn start_up() -> u32 {
        std::thread::sleep(Duration::from_micros(1));
        1
    }

    #[bridge_runtime::allow_blocking]
    impl Warm {
        pub async fn load(&self) -> u32 {
            std::thread::sleep(Duration::from_micros(1));
            #[allow_blocking]
            std::thread::sleep(Duration::from_micros(1));
            2
        }
    }

    /// A `#[blocking]` fn let through: `#[blocking]` reads the marker in the
    /// file, though `#[nonblocking]` removed it from the tokens.
    #[allow_blocking]
    #[bridge_runtime::blocking]
    pub async fn sync_start_up() -> u32 {
        std::thread::sleep(Duration::from_micros(1));
        7
    }

    impl Warm {
        #[allow_blocking]
        pub async fn reload(&self) -> u32 {
            std::thread::sleep(Duration::from_micros(1));
            3
        }

        pub async fn quick(&self) -> u32 {
            tokio::time::sleep(Duration::from_micros(1)).await;
            4
        }
    }
}

/// In plain code, the attribute is a no-op that compiles on fns and impls.
#[bridge_runtime::allow_blocking]
pub async fn plain_fn() -> u32 {
    std::thread::sleep(Duration::from_micros(1));
    5
}

/// The marker before or after `#[blocking]`, in plain code.
#[bridge_runtime::allow_blocking]
#[bridge_runtime::blocking]
pub async fn plain_blocking_first() -> u32 {
    std::thread::sleep(Duration::from_micros(1));
    8
}

#[bridge_runtime::blocking]
#[bridge_runtime::allow_blocking]
pub async fn plain_blocking_second() -> u32 {
    std::thread::sleep(Duration::from_micros(1));
    9
}

pub struct Plain;

#[bridge_runtime::allow_blocking]
impl Plain {
    pub async fn method(&self) -> u32 {
        6
    }
}
