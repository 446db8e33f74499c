//! A run as row chunks side by side: how the tract backend uses every core.
//!
//! On this small model tract's own multithreaded matrix products buy little (1.24× on
//! two cores), whereas separate single-threaded runs of row chunks, one per core, scale
//! with the cores. The chunking
//! depends only on the chunk size, never on the thread count, so results are
//! bit-identical whatever the count is.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::Error;

/// One run's output: values and shape (batch first).
pub type Output = (Vec<f32>, Vec<usize>);

/// The cores this process may use (at least 1).
///
/// ```
/// assert!(dcgan_infer::available_threads() >= 1);
/// ```
pub fn available_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `input` of shape `shape` (batch first) and its labels as consecutive chunks of
/// `sizes[i]` rows, up to `workers` of them at once: `run(worker, chunk, chunk_shape,
/// chunk_labels)` runs one chunk, `worker` being in `0..workers`. The outputs are
/// concatenated in row order, their shape's batch summed over the chunks.
pub fn run_in_chunks<F>(
    input: &[f32],
    shape: &[usize],
    labels: Option<&[i64]>,
    sizes: &[usize],
    workers: usize,
    run: F,
) -> Result<Output, Error>
where
    F: Fn(usize, &[f32], &[usize], Option<&[i64]>) -> Result<Output, Error> + Sync,
{
    let per_row = shape[1..].iter().product::<usize>().max(1);
    let rows = input.len() / per_row;
    if sizes.iter().sum::<usize>() != rows || sizes.contains(&0) {
        return Err(runtime(format!("chunks of {sizes:?} rows for {rows} rows")));
    }
    // (first row, rows) of each chunk.
    let chunks: Vec<(usize, usize)> = sizes
        .iter()
        .scan(0, |start, &n| {
            *start += n;
            Some((*start - n, n))
        })
        .collect();
    let run_chunk = |worker: usize, &(start, n): &(usize, usize)| {
        let mut chunk_shape = shape.to_vec();
        chunk_shape[0] = n;
        let chunk_labels = match labels {
            None => None,
            Some(l) => Some(l.get(start..start + n).ok_or_else(|| runtime("too few labels"))?),
        };
        run(worker, &input[start * per_row..(start + n) * per_row], &chunk_shape, chunk_labels)
    };
    let count = chunks.len();
    let outputs: Vec<Result<Output, Error>> = match workers.min(count) {
        0 | 1 => chunks.iter().map(|c| run_chunk(0, c)).collect(),
        workers => in_parallel(&chunks, workers, &run_chunk),
    };
    if outputs.len() != count {
        return Err(runtime(format!("{} of {count} chunks came back", outputs.len())));
    }
    let (mut out, mut out_shape) = (Vec::with_capacity(rows * dcgan::contract::IMAGE_LEN), Vec::new());
    for output in outputs {
        let (values, shape) = output?;
        match out_shape.first_mut() {
            None => out_shape = shape,
            Some(n) => *n += shape.first().copied().unwrap_or(0),
        }
        out.extend(values);
    }
    Ok((out, out_shape))
}

/// `rows` rows as chunks of at most `max` rows each, `max` the same for all: what ONNX
/// Runtime's side-by-side sessions are measured with.
pub fn uniform(rows: usize, max: usize) -> Vec<usize> {
    let max = max.max(1);
    (0..rows.div_ceil(max)).map(|i| max.min(rows - i * max)).collect()
}

fn runtime(why: impl std::fmt::Display) -> Error {
    Error::Runtime(format!("chunked run: {why}"))
}

/// `f(worker, item)` of every item on `workers` scoped threads, each taking the next item
/// when done with one; results in the items' order. A worker that panics loses its
/// results, which the caller sees as fewer results than items.
fn in_parallel<T: Sync, R: Send>(items: &[T], workers: usize, f: &(impl Fn(usize, &T) -> R + Sync)) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|worker| {
                let next = &next;
                scope.spawn(move || {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break out };
                        out.push((i, f(worker, item)));
                    }
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}
