//! Dynamic batching: requests wait in a bounded queue and worker threads run them
//! together, up to `max_batch` rows per model run. Each caller gets exactly its own rows
//! back.
//!
//! A batch waits for company only as far as the load has shown there is any: for at most
//! `max_delay`, and only while it holds fewer rows than the last run did (the first batch
//! waits for a full one). After a 1-row run (one client, or a lull) the next request runs
//! at once, so a lone client pays the delay at most once; under steady load the batches
//! keep the size the load gives them.
//!
//! One worker at a time gathers a batch; once it is sealed, the next worker gathers the
//! following one while the first runs, so up to `runs_in_flight` model runs overlap when
//! rows wait (a 1-row run of tract uses one core; two of them use two).
//!
//! The queue is bounded in rows: a request that would push it past `max_queue_rows` is
//! refused at once ([`Refused::Full`]), so memory never grows with load.
//!
//! It also keeps what `/metrics` reports of it: runs, rows, the time requests waited and
//! were computed, and a histogram of rows per run.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use dcgan_infer::{Error, Generator};

/// Rows of one request: latents, labels (conditional models), and where the images go.
struct Job {
    z: Vec<f32>,
    labels: Option<Vec<i64>>,
    reply: oneshot::Sender<Result<Vec<f32>, Error>>,
    queued: Instant,
}

impl Job {
    fn rows(&self, latent: usize) -> usize {
        self.z.len() / latent
    }
}

/// Why rows were not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The queue holds too many rows; try again later.
    Full,
    /// The batcher is closing.
    Closing,
}

/// Upper bounds of the rows-per-run histogram's buckets (then +Inf).
pub const BATCH_BUCKETS: [u64; 9] = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/// Limits of the batcher.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most rows in one model run.
    pub max_batch: usize,
    /// Longest wait for more rows before a run starts.
    pub max_delay: Duration,
    /// Most rows waiting or running at once.
    pub max_queue_rows: usize,
    /// Most model runs at once (worker threads).
    pub runs_in_flight: usize,
}

struct Shared {
    queue: Mutex<VecDeque<Job>>,
    /// Held by the worker gathering a batch: one gathers, the others run or wait.
    gather: Mutex<()>,
    ready: Condvar,
    queued_rows: AtomicUsize,
    closed: AtomicBool,
    runs: AtomicU64,
    rows_run: AtomicU64,
    in_flight: AtomicUsize,
    peak_in_flight: AtomicUsize,
    /// Rows the last sealed batch held (`max_batch` before the first): how much company
    /// the next one waits for.
    last_rows: AtomicUsize,
    /// Summed over requests: microseconds from queued to their run's start, and of
    /// their run.
    queue_us: AtomicU64,
    compute_us: AtomicU64,
    /// Runs with at most `BATCH_BUCKETS[i]` rows (the last entry: all runs).
    batch_buckets: [AtomicU64; BATCH_BUCKETS.len() + 1],
}

/// What the batcher has done so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Model runs.
    pub runs: u64,
    /// Rows those runs held.
    pub rows: u64,
    /// Most model runs that were going at once.
    pub peak_in_flight: usize,
    /// Rows waiting or running now.
    pub queued_rows: usize,
    /// Summed over requests: microseconds waiting in the queue.
    pub queue_us: u64,
    /// Summed over requests: microseconds of the model run that answered them.
    pub compute_us: u64,
    /// Cumulative histogram of rows per run: runs with at most `BATCH_BUCKETS[i]` rows,
    /// then every run.
    pub batch_buckets: [u64; BATCH_BUCKETS.len() + 1],
}

/// Handle to the queue and its worker.
#[derive(Clone)]
pub struct Batcher {
    shared: Arc<Shared>,
    latent: usize,
    limits: Limits,
    workers: Arc<Mutex<Vec<std::thread::JoinHandle<()>>>>,
}

impl Batcher {
    /// Start the worker threads that run `g`.
    pub fn start(g: Arc<Generator>, limits: Limits) -> Self {
        let shared = Arc::new(Shared {
            queue: Mutex::new(VecDeque::new()),
            gather: Mutex::new(()),
            ready: Condvar::new(),
            queued_rows: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            runs: AtomicU64::new(0),
            rows_run: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            peak_in_flight: AtomicUsize::new(0),
            last_rows: AtomicUsize::new(limits.max_batch),
            queue_us: AtomicU64::new(0),
            compute_us: AtomicU64::new(0),
            batch_buckets: Default::default(),
        });
        let latent = g.info().latent_dim;
        let workers = (0..limits.runs_in_flight.max(1))
            .map(|i| {
                let (state, g) = (Arc::clone(&shared), Arc::clone(&g));
                std::thread::Builder::new()
                    .name(format!("dcgan-batcher-{i}"))
                    .spawn(move || work(&state, &g, limits))
                    .expect("spawning a batching thread")
            })
            .collect();
        Self { shared, latent, limits, workers: Arc::new(Mutex::new(workers)) }
    }

    /// Queue `z` (rows of `latent` values) with optional labels; the images come back
    /// through the receiver. Refused when the queue holds too many rows or the batcher
    /// is closing.
    pub fn submit(
        &self,
        z: Vec<f32>,
        labels: Option<Vec<i64>>,
    ) -> Result<oneshot::Receiver<Result<Vec<f32>, Error>>, Refused> {
        let rows = z.len() / self.latent;
        let before = self.shared.queued_rows.fetch_add(rows, Ordering::SeqCst);
        if before + rows > self.limits.max_queue_rows {
            self.shared.queued_rows.fetch_sub(rows, Ordering::SeqCst);
            return Err(Refused::Full);
        }
        let (reply, receiver) = oneshot::channel();
        let mut queue = self.shared.queue.lock().unwrap_or_else(|p| p.into_inner());
        // Checked under the queue's lock, which `close` takes to set it: a job queued
        // here is still seen by a worker.
        if self.shared.closed.load(Ordering::SeqCst) {
            self.shared.queued_rows.fetch_sub(rows, Ordering::SeqCst);
            return Err(Refused::Closing);
        }
        queue.push_back(Job { z, labels, reply, queued: Instant::now() });
        drop(queue);
        self.shared.ready.notify_one();
        Ok(receiver)
    }

    /// What the batcher has done so far.
    pub fn stats(&self) -> Stats {
        Stats {
            runs: self.shared.runs.load(Ordering::Relaxed),
            rows: self.shared.rows_run.load(Ordering::Relaxed),
            peak_in_flight: self.shared.peak_in_flight.load(Ordering::Relaxed),
            queued_rows: self.shared.queued_rows.load(Ordering::Relaxed),
            queue_us: self.shared.queue_us.load(Ordering::Relaxed),
            compute_us: self.shared.compute_us.load(Ordering::Relaxed),
            batch_buckets: std::array::from_fn(|i| self.shared.batch_buckets[i].load(Ordering::Relaxed)),
        }
    }

    /// Let the workers finish what is queued, then wait for them to stop.
    pub fn close(&self) {
        {
            // Under the queue's lock, so a worker cannot miss the wake-up between its
            // check of `closed` and its wait.
            let _queue = self.shared.queue.lock().unwrap_or_else(|p| p.into_inner());
            self.shared.closed.store(true, Ordering::SeqCst);
            self.shared.ready.notify_all();
        }
        let handles = std::mem::take(&mut *self.workers.lock().unwrap_or_else(|p| p.into_inner()));
        for handle in handles {
            let _ = handle.join();
        }
    }
}

/// A worker: when it is its turn to gather, take the first job and what is queued behind
/// it, wait up to `max_delay` for more while the batch holds fewer rows than the last one
/// did, then let the next worker gather while this one runs them in one model run (a job
/// larger than `max_batch` runs alone, in batches) and hands each job its rows.
fn work(shared: &Shared, g: &Generator, limits: Limits) {
    let latent = g.info().latent_dim;
    loop {
        let turn = shared.gather.lock().unwrap_or_else(|p| p.into_inner());
        let mut queue = shared.queue.lock().unwrap_or_else(|p| p.into_inner());
        while queue.is_empty() {
            if shared.closed.load(Ordering::SeqCst) {
                return;
            }
            queue = shared.ready.wait(queue).unwrap_or_else(|p| p.into_inner());
        }
        let deadline = Instant::now() + limits.max_delay;
        let company = shared.last_rows.load(Ordering::Relaxed).clamp(1, limits.max_batch);
        let mut jobs = vec![queue.pop_front().expect("the queue is not empty")];
        let mut rows = jobs[0].rows(latent);
        loop {
            match queue.front() {
                Some(next) if rows + next.rows(latent) <= limits.max_batch => {
                    rows += next.rows(latent);
                    jobs.push(queue.pop_front().expect("front exists"));
                }
                Some(_) => break,
                None if rows < company && !shared.closed.load(Ordering::SeqCst) => {
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
        shared.last_rows.store(rows, Ordering::Relaxed);
        drop(turn);
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.peak_in_flight.fetch_max(now, Ordering::SeqCst);
        let (started, requests) = (Instant::now(), jobs.len() as u64);
        let waited: u128 = jobs.iter().map(|j| started.duration_since(j.queued).as_micros()).sum();
        shared.queue_us.fetch_add(waited as u64, Ordering::Relaxed);
        // A panic inside a runtime must not take the service down: the jobs' reply
        // channels are dropped with them, so their callers get an error (500), and the
        // worker goes on with the next batch.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(g, jobs, rows, latent)));
        shared.in_flight.fetch_sub(1, Ordering::SeqCst);
        shared.compute_us.fetch_add(started.elapsed().as_micros() as u64 * requests, Ordering::Relaxed);
        for (bucket, &bound) in shared.batch_buckets.iter().zip(BATCH_BUCKETS.iter().chain([&u64::MAX])) {
            if rows as u64 <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
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
