//! Accepting connections, bounded: at most `max_connections` open at once across the
//! REST and gRPC ports (the rest wait in the kernel's backlog and cost this process
//! nothing), and each closed once no byte has moved either way for `idle`, so that idle
//! or stalled sockets give their place back.
//!
//! When every place is taken, the oldest connection that has not sent a single byte is
//! closed to make room: a flood of silent sockets cannot keep a real request waiting
//! behind it in the backlog, while a connection that has spoken (a request in flight, a
//! client between keep-alive requests) is never pushed out.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// The connection budget and the idle timeout, shared by every listener of a server.
#[derive(Debug, Clone)]
pub(crate) struct Gate {
    permits: Arc<Semaphore>,
    idle: Duration,
    /// Connections that have not sent a byte yet, oldest first.
    silent: Arc<Mutex<VecDeque<Weak<Silence>>>>,
}

/// What the gate knows of a connection that has not spoken yet.
#[derive(Debug, Default)]
struct Silence {
    spoke: AtomicBool,
    evicted: AtomicBool,
    /// The connection's task, to wake when it is evicted.
    waker: Mutex<Option<Waker>>,
}

impl Gate {
    pub(crate) fn new(max_connections: usize, idle: Duration) -> Self {
        Self { permits: Arc::new(Semaphore::new(max_connections.max(1))), idle, silent: Default::default() }
    }

    /// The next connection on `listener`, once one of the budget's places is free (made
    /// free, if need be, by closing the oldest silent connection).
    pub(crate) async fn accept(&self, listener: &TcpListener) -> io::Result<Conn> {
        let permit = match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                self.evict_oldest_silent();
                Arc::clone(&self.permits).acquire_owned().await.map_err(|_| io::Error::other("closed"))?
            }
        };
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        let silence = Arc::new(Silence::default());
        let mut silent = self.silent.lock().unwrap_or_else(|p| p.into_inner());
        silent.retain(|s| s.upgrade().is_some_and(|s| !s.spoke.load(Ordering::Relaxed)));
        silent.push_back(Arc::downgrade(&silence));
        drop(silent);
        Ok(Conn {
            stream,
            idle: self.idle,
            deadline: Box::pin(tokio::time::sleep(self.idle)),
            silence: Some(silence),
            linger: None,
            dropped: false,
            _permit: permit,
        })
    }

    fn evict_oldest_silent(&self) {
        let mut silent = self.silent.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(weak) = silent.pop_front() {
            let Some(s) = weak.upgrade() else { continue };
            if s.spoke.load(Ordering::Relaxed) {
                continue;
            }
            s.evicted.store(true, Ordering::Relaxed);
            if let Some(waker) = s.waker.lock().unwrap_or_else(|p| p.into_inner()).take() {
                waker.wake();
            }
            return;
        }
    }
}

/// An accepted connection: its place in the budget is returned when it is dropped.
pub(crate) struct Conn {
    stream: TcpStream,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
    /// Until the first byte arrives.
    silence: Option<Arc<Silence>>,
    /// Once shutting down: how long to wait for the peer to close.
    linger: Option<Pin<Box<Sleep>>>,
    /// Closed by us for being idle or to make room.
    dropped: bool,
    _permit: OwnedSemaphorePermit,
}

impl Conn {
    fn moved(&mut self) {
        let next = Instant::now() + self.idle;
        self.deadline.as_mut().reset(next);
    }

    /// Whether the gate closed this silent connection to make room; else, while silent,
    /// leave the gate a way to wake this task.
    fn evicted(&mut self, cx: &Context<'_>) -> bool {
        let Some(s) = &self.silence else { return false };
        if s.evicted.load(Ordering::Relaxed) {
            self.dropped = true;
            return true;
        }
        *s.waker.lock().unwrap_or_else(|p| p.into_inner()) = Some(cx.waker().clone());
        false
    }

    /// A read or write is pending: whether the connection has now been idle too long
    /// (else the deadline wakes the task when it passes).
    fn timed_out(&mut self, cx: &mut Context<'_>) -> bool {
        self.dropped |= self.deadline.as_mut().poll(cx).is_ready();
        self.dropped
    }
}

/// The longest a closing connection waits for its peer to close too.
const LINGER: Duration = Duration::from_secs(1);

fn idle() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "idle connection closed")
}

impl AsyncRead for Conn {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.evicted(cx) {
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::ConnectionAborted, "closed to make room")));
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Pending if this.timed_out(cx) => Poll::Ready(Err(idle())),
            Poll::Ready(Ok(())) if buf.filled().len() > before => {
                this.moved();
                if let Some(s) = this.silence.take() {
                    s.spoke.store(true, Ordering::Relaxed);
                }
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.stream).poll_write(cx, data) {
            Poll::Pending if this.timed_out(cx) => Poll::Ready(Err(idle())),
            Poll::Ready(Ok(n)) => {
                this.moved();
                Poll::Ready(Ok(n))
            }
            other => other,
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    /// Send FIN, then read and drop what the peer still sends until it closes too (at most
    /// [`LINGER`]): closing a socket with unread bytes in it sends a reset, and a reset
    /// makes the peer's kernel drop the answer it has not read yet (an HTTP/2 client's
    /// last WINDOW_UPDATE or PING, arriving after our final response, would do that).
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // A connection that never spoke, was pushed out or went idle has no answer to
        // protect: close it at once.
        if this.silence.is_some() || this.dropped {
            return Pin::new(&mut this.stream).poll_shutdown(cx);
        }
        if this.linger.is_none() {
            std::task::ready!(Pin::new(&mut this.stream).poll_shutdown(cx))?;
            this.linger = Some(Box::pin(tokio::time::sleep(LINGER)));
        }
        let mut scratch = [0u8; 1024];
        loop {
            let mut buf = ReadBuf::new(&mut scratch);
            match Pin::new(&mut this.stream).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if !buf.filled().is_empty() => continue,
                Poll::Ready(_) => return Poll::Ready(Ok(())),
                Poll::Pending => {
                    let done = this.linger.as_mut().is_some_and(|l| l.as_mut().poll(cx).is_ready());
                    return if done { Poll::Ready(Ok(())) } else { Poll::Pending };
                }
            }
        }
    }
}

/// The default `--max-connections`: the process's limit on open files less room for
/// everything else it opens (2048, or half the limit when that is smaller).
pub fn default_max_connections() -> usize {
    let limit = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("Max open files"))?;
            line.split_whitespace().nth(3)?.parse::<usize>().ok()
        })
        .unwrap_or(1024);
    limit.saturating_sub(2048.min(limit / 2)).max(16)
}
