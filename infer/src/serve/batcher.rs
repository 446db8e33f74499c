//! Dynamic batching: requests wait in a bounded queue and one worker thread runs them
//! together, up to `max_batch` rows per model run, after waiting at most `max_delay` for
//! company. Each caller gets exactly its own rows back.
//!
//! The queue is bounded in rows: a request that would push it past `max_queue_rows` is
//! refused at once ([`Full`]), so memory never grows with load.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::{Error, Generator};

/// Rows of one request: latents, labels (conditional models), and where the images go.
struct Job {
    z: Vec<f32>,
    labels: Option<Vec<i64>>,
    reply: oneshot::Sender<Result<Vec<f32>, Error>>,
}

impl Job {
    fn rows(&self, latent: usize) -> usize {
        self.z.len() / latent
    }
}

/// The queue was full; try again later.
#[derive(Debug)]
pub struct Full;

/// Limits of the batcher.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most rows in one model run.
    pub max_batch: usize,
    /// Longest wait for more rows before a run starts.
    pub max_delay: Duration,
    /// Most rows waiting or running at once.
    pub max_queue_rows: usize,
}

struct Shared {
    queue: Mutex<VecDeque<Job>>,
    ready: Condvar,
    queued_rows: AtomicUsize,
    closed: AtomicBool,
    runs: AtomicU64,
    rows_run: AtomicU64,
}

/// Handle to the queue and its worker.
#[derive(Clone)]
pub struct Batcher {
    shared: Arc<Shared>,
    latent: usize,
    limits: Limits,
    worker: Arc<Mutex<Option<std::thread::JoinHandle<()>>>>,
}

impl Batcher {
    /// Start the worker thread that runs `g`.
    pub fn start(g: Arc<Generator>, limits: Limits) -> Self {
        let shared = Arc::new(Shared {
            queue: Mutex::new(VecDeque::new()),
            ready: Condvar::new(),
            queued_rows: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            runs: AtomicU64::new(0),
            rows_run: AtomicU64::new(0),
        });
        let latent = g.info().latent_dim;
        let state = Arc::clone(&shared);
        let worker = std::thread::Builder::new()
            .name("dcgan-batcher".into())
            .spawn(move || work(&state, &g, limits))
            .expect("spawning the batching thread");
        Self { shared, latent, limits, worker: Arc::new(Mutex::new(Some(worker))) }
    }

    /// Queue `z` (rows of `latent` values) with optional labels; the images come back
    /// through the receiver. Refused with [`Full`] when the queue holds too many rows.
    pub fn submit(
        &self,
        z: Vec<f32>,
        labels: Option<Vec<i64>>,
    ) -> Result<oneshot::Receiver<Result<Vec<f32>, Error>>, Full> {
        let rows = z.len() / self.latent;
        let before = self.shared.queued_rows.fetch_add(rows, Ordering::SeqCst);
        if before + rows > self.limits.max_queue_rows {
            self.shared.queued_rows.fetch_sub(rows, Ordering::SeqCst);
            return Err(Full);
        }
        let (reply, receiver) = oneshot::channel();
        let mut queue = self.shared.queue.lock().unwrap_or_else(|p| p.into_inner());
        queue.push_back(Job { z, labels, reply });
        drop(queue);
        self.shared.ready.notify_one();
        Ok(receiver)
    }

    /// Model runs so far and the rows they held.
    pub fn stats(&self) -> (u64, u64) {
        (self.shared.runs.load(Ordering::Relaxed), self.shared.rows_run.load(Ordering::Relaxed))
    }

    /// Let the worker finish what is queued, then wait for it to stop.
    pub fn close(&self) {
        {
            // Under the queue's lock, so the worker cannot miss the wake-up between its
            // check of `closed` and its wait.
            let _queue = self.shared.queue.lock().unwrap_or_else(|p| p.into_inner());
            self.shared.closed.store(true, Ordering::SeqCst);
            self.shared.ready.notify_all();
        }
        let handle = self.worker.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }
}

/// The worker: take the first job, wait up to `max_delay` for more while the batch has
/// room, run them in one model run (a job larger than `max_batch` runs alone, in
/// batches), and hand each job its rows.
fn work(shared: &Shared, g: &Generator, limits: Limits) {
    let latent = g.info().latent_dim;
    loop {
        let mut queue = shared.queue.lock().unwrap_or_else(|p| p.into_inner());
        while queue.is_empty() {
            if shared.closed.load(Ordering::SeqCst) {
                return;
            }
            queue = shared.ready.wait(queue).unwrap_or_else(|p| p.into_inner());
        }
        let deadline = Instant::now() + limits.max_delay;
        let mut jobs = vec![queue.pop_front().expect("the queue is not empty")];
        let mut rows = jobs[0].rows(latent);
        loop {
            match queue.front() {
                Some(next) if rows + next.rows(latent) <= limits.max_batch => {
                    rows += next.rows(latent);
                    jobs.push(queue.pop_front().expect("front exists"));
                }
                Some(_) => break,
                None if rows < limits.max_batch && !shared.closed.load(Ordering::SeqCst) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    queue = shared.ready.wait_timeout(queue, left).unwrap_or_else(|p| p.into_inner()).0;
                }
                None => break,
            }
        }
        drop(queue);
        // A panic inside a runtime must not take the service down: the jobs' reply
        // channels are dropped with them, so their callers get an error (500), and the
        // worker goes on with the next batch.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(g, jobs, rows, latent)));
        shared.runs.fetch_add(1, Ordering::Relaxed);
        shared.rows_run.fetch_add(rows as u64, Ordering::Relaxed);
        shared.queued_rows.fetch_sub(rows, Ordering::SeqCst);
    }
}

/// One model run over the jobs' rows, concatenated; each job gets its slice.
fn run(g: &Generator, jobs: Vec<Job>, rows: usize, latent: usize) {
    let z: Vec<f32> = jobs.iter().flat_map(|j| j.z.iter().copied()).collect();
    // Each request's rows count from 0: without labels, its row i is class i mod classes.
    let labels: Option<Vec<i64>> = g.info().num_classes.map(|classes| {
        jobs.iter()
            .flat_map(|j| {
                j.labels.clone().unwrap_or_else(|| dcgan::contract::default_labels(0, j.rows(latent), classes))
            })
            .collect()
    });
    let mut images = Vec::with_capacity(rows * dcgan::contract::IMAGE_LEN);
    let result = g.for_each_batch_from_z(&z, labels.as_deref(), |_, batch| {
        images.extend_from_slice(batch);
        Ok(())
    });
    let pixels = dcgan::contract::IMAGE_LEN;
    let mut offset = 0;
    for job in jobs {
        let n = job.rows(latent);
        let answer = match &result {
            Ok(()) => Ok(images[offset * pixels..(offset + n) * pixels].to_vec()),
            Err(e) => Err(Error::Runtime(e.to_string())),
        };
        offset += n;
        // A caller that went away no longer wants its rows.
        let _ = job.reply.send(answer);
    }
}
