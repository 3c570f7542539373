//! A plugin's stdout and stderr for one request: kept up to a cap, and past
//! it dropped (and counted) rather than refused. Refusing a write breaks the
//! guest's `println!`, which panics and fails the whole request over a log
//! line.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::body::Bytes;
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

/// What was printed, and how much did not fit.
#[derive(Default)]
struct Captured {
    kept: Vec<u8>,
    dropped: usize,
}

/// One output stream's capture; clones share it.
#[derive(Clone)]
pub struct CappedOutput {
    capacity: usize,
    captured: Arc<Mutex<Captured>>,
}

impl CappedOutput {
    /// Keeps up to `capacity` bytes.
    pub fn new(capacity: usize) -> CappedOutput {
        CappedOutput { capacity, captured: Arc::default() }
    }

    /// The kept bytes and the number of bytes dropped.
    pub fn contents(&self) -> (Vec<u8>, usize) {
        let captured = self.captured.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        (captured.kept.clone(), captured.dropped)
    }

    fn keep(&self, bytes: &[u8]) {
        let mut captured = self.captured.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let room = self.capacity.saturating_sub(captured.kept.len());
        let (kept, dropped) = bytes.split_at(bytes.len().min(room));
        captured.kept.extend_from_slice(kept);
        captured.dropped += dropped.len();
    }
}

impl OutputStream for CappedOutput {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        self.keep(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        // Always room: what does not fit is dropped, not refused.
        Ok(64 * 1024)
    }
}

impl Pollable for CappedOutput {
    // The trait is declared with `async_trait`; this is its expansion.
    fn ready<'life, 'future>(&'life mut self) -> Pin<Box<dyn Future<Output = ()> + Send + 'future>>
    where
        'life: 'future,
        Self: 'future,
    {
        Box::pin(std::future::ready(()))
    }
}

impl AsyncWrite for CappedOutput {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        self.keep(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl IsTerminal for CappedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CappedOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_past_the_cap_are_dropped_and_counted_never_refused() {
        let mut output = CappedOutput::new(8);
        output.write(Bytes::from_static(b"hello ")).unwrap();
        output.write(Bytes::from_static(b"world")).unwrap();
        assert!(output.check_write().unwrap() > 0, "still writable");
        output.write(Bytes::from_static(b"!")).unwrap();
        assert_eq!(output.contents(), (b"hello wo".to_vec(), 4));
    }
}
