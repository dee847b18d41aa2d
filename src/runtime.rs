//! The one way the library gets a tokio runtime. The gate is a blocking CLI that makes a few
//! async calls (the deployed function's API, the engine's socket, GitHub, the load driver):
//! each builds a single-threaded runtime with I/O and timers for the length of the call, so
//! no thread pool outlives it and the load driver keeps its one client thread (see
//! `perf::driver`).

/// A current-thread runtime with I/O and timers enabled.
pub fn current_thread() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// Runs a few async calls to completion from blocking code (the CLI and the image sources are
/// not async; the AWS client is).
pub fn block_on<F: std::future::Future>(f: F) -> std::io::Result<F::Output> {
    Ok(current_thread()?.block_on(f))
}
