//! Many images from one [`Generator`]: drawn from a seed or given as latents, collected
//! into [`Images`] or streamed batch by batch, in runs of at most the generator's batch
//! size so that memory stays bounded whatever the count.

use dcgan::contract::IMAGE_LEN as PIXELS;

use crate::{Error, Generator, Images, Seed};

impl Generator {
    /// Images for caller-given latents z `[n, latent]`, run in batches (labels cycling
    /// 0–9 for a conditional model).
    ///
    /// ```
    /// use dcgan_infer::{Generator, Seed, latents};
    /// let g = Generator::builder().build()?;
    /// let z = latents(42, 2); // z [2,100], as `--seed 42 -n 2` draws it
    /// assert_eq!(g.generate_from_z(&z)?, g.generate(Seed(42), 2)?);
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    pub fn generate_from_z(&self, z: &[f32]) -> Result<Images, Error> {
        self.collect(z.len() / self.info.latent_dim.max(1), |f| self.for_each_batch_from_z(z, None, f))
    }

    /// `n` images from latents drawn with SplitMix64(`seed`) (README, "Latents"); for a
    /// conditional model, row i is digit i mod 10 (DESIGN.md §7).
    ///
    /// ```
    /// use dcgan_infer::{Generator, Seed};
    /// let g = Generator::builder().build()?; // the shipped unconditional model, tract
    /// let images = g.generate(Seed(42), 4)?;  // the digits of `infer --seed 42 -n 4`
    /// assert_eq!(images.len(), 4);
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    pub fn generate(&self, seed: Seed, n: usize) -> Result<Images, Error> {
        self.collect(n, |f| self.for_each_batch(seed, n, None, f))
    }

    /// One image per label, latents drawn with SplitMix64(`seed`) as [`Generator::generate`]
    /// draws them: row i is digit `labels[i]` (a conditional model only).
    ///
    /// ```
    /// use dcgan_infer::{Generator, Seed, Shipped};
    /// let g = Generator::builder().shipped(Shipped::Conditional).build()?;
    /// let sevens = g.generate_digits(Seed(0), &[7; 3])?;
    /// assert_eq!(sevens.len(), 3);
    /// assert!(Generator::builder().build()?.generate_digits(Seed(0), &[7]).is_err()); // no `label` input
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    pub fn generate_digits(&self, seed: Seed, labels: &[i64]) -> Result<Images, Error> {
        self.collect(labels.len(), |f| self.for_each_batch(seed, labels.len(), Some(labels), f))
    }

    /// The `n` images `run` streams, in one buffer reserved up front: a count whose
    /// images cannot be held is refused before any model run (use the streaming
    /// `for_each_batch*` for those).
    fn collect(
        &self,
        n: usize,
        run: impl FnOnce(&mut dyn FnMut(usize, &[f32]) -> Result<(), Error>) -> Result<(), Error>,
    ) -> Result<Images, Error> {
        let mut data = Vec::new();
        let values = n.checked_mul(PIXELS).filter(|v| data.try_reserve_exact(*v).is_ok());
        if values.is_none() {
            return Err(Error::BadInput(format!(
                "{n} images ({} bytes) do not fit in memory; stream them with for_each_batch",
                (n as u128) * (PIXELS as u128) * 4
            )));
        }
        run(&mut |_, batch| {
            data.extend_from_slice(batch);
            Ok(())
        })?;
        Ok(Images::new(data))
    }

    /// Stream `n` seeded images batch by batch: `f(first_index, values)` sees each batch
    /// once, so memory stays bounded whatever `n` is. The latents are the same as
    /// [`Generator::generate`]'s; `labels` (one per row) default to i mod 10 for a
    /// conditional model.
    ///
    /// ```
    /// use dcgan_infer::{Generator, Seed};
    /// let g = Generator::builder().batch_size(3).build()?;
    /// let mut firsts = Vec::new();
    /// g.for_each_batch(Seed(1), 7, None, |first, values| {
    ///     firsts.push((first, values.len() / 784));
    ///     Ok(())
    /// })?;
    /// assert_eq!(firsts, [(0, 3), (3, 3), (6, 1)]);
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    pub fn for_each_batch(
        &self,
        seed: Seed,
        n: usize,
        labels: Option<&[i64]>,
        f: impl FnMut(usize, &[f32]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut rng = crate::SplitMix64::new(seed.0);
        self.stream(n, labels, |rows| rng.latents(rows, self.info.latent_dim), f)
    }

    /// [`Generator::for_each_batch`] for caller-given latents z `[n, latent]`.
    ///
    /// ```
    /// use dcgan_infer::{Generator, latents};
    /// let g = Generator::builder().batch_size(2).build()?;
    /// let mut rows = 0;
    /// g.for_each_batch_from_z(&latents(5, 3), None, |first, values| {
    ///     assert_eq!(first, rows);
    ///     rows += values.len() / 784;
    ///     Ok(())
    /// })?;
    /// assert_eq!(rows, 3);
    /// # Ok::<(), dcgan_infer::Error>(())
    /// ```
    pub fn for_each_batch_from_z(
        &self,
        z: &[f32],
        labels: Option<&[i64]>,
        f: impl FnMut(usize, &[f32]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let latent = self.info.latent_dim;
        if !z.len().is_multiple_of(latent) {
            return Err(Error::BadInput(format!("z has {} values, not a multiple of {latent}", z.len())));
        }
        let mut rest = z;
        self.stream(
            z.len() / latent,
            labels,
            |rows| {
                let (head, tail) = rest.split_at(rows * latent);
                rest = tail;
                head.to_vec()
            },
            f,
        )
    }

    /// Run `n` rows in batches of at most `self.batch`, taking each batch's latents from
    /// `latents(rows)` and handing the images to `f(first_index, values)`. Labels are
    /// checked before the first run.
    fn stream(
        &self,
        n: usize,
        labels: Option<&[i64]>,
        mut latents: impl FnMut(usize) -> Vec<f32>,
        mut f: impl FnMut(usize, &[f32]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        if n == 0 {
            return Err(Error::BadInput("n must be at least 1".into()));
        }
        if let Some(l) = labels {
            if l.len() != n {
                return Err(Error::BadInput(format!("{} labels for {n} images", l.len())));
            }
            self.check_labels(l)?;
        }
        let classes = self.info.num_classes.map(|c| c as i64);
        let mut done = 0;
        while done < n {
            let rows = self.batch.min(n - done);
            let cycled: Option<Vec<i64>> = match (labels, classes) {
                (Some(_), _) | (None, None) => None,
                (None, Some(c)) => Some(dcgan::contract::default_labels(done, rows, c as usize)),
            };
            let batch_labels = labels.map(|l| &l[done..done + rows]).or(cycled.as_deref());
            f(done, &self.run(&latents(rows), batch_labels)?)?;
            done += rows;
        }
        Ok(())
    }
}
