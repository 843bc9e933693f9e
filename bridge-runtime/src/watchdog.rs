//! `Watchdog`: notices when an executor stopped polling.
