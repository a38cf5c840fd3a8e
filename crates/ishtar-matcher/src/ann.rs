//! The approximate path: an HNSW graph (usearch, vectors stored as bf16) kept warm
//! between beats.
//!
//! - Keys are persona ids. Next to the graph the index keeps a 64-bit fingerprint of each
//!   indexed vector, so a beat re-indexes only the personas whose vector changed (new
//!   heart, new model) and skips the rest after one hashing pass.
//! - A query asks the graph for `k + overfetch` neighbours with the hard filters applied
//!   *inside* the graph walk (usearch's filtered search), then rescores them with the
//!   caller's f32 vectors, so the similarities the matcher sees are exact even though the
//!   graph stores bf16.
//! - A persona whose filter classes leave a small pool (a same-gender seeker in one
//!   market, say) is answered by an exact scan of that pool instead: a graph walk under a
//!   very selective filter visits most of the graph and still misses neighbours.
//! - The index saves to bytes or a file (graph, bf16 vectors, keys and fingerprints) and
//!   loads back, so a restart does not pay the cold build.

use std::collections::HashMap;
use std::path::Path;
use std::sync::RwLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use ishtar_domain::matcher::{KnnQuery, Neighbour, NeighbourSearch, SearchError, rank_order};
use ishtar_domain::model::PersonaId;
use usearch::ffi::{IndexOptions, MetricKind, ScalarKind};

use crate::kernel;

/// HNSW knobs. The defaults are the research's measured choice for 384-d text
/// embeddings (docs/matching-research.md §2, §3.3) and this crate's benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnnParams {
    /// Graph degree `M`.
    pub connectivity: usize,
    /// Beam width while inserting (`efConstruction`).
    pub expansion_add: usize,
    /// Beam width while searching (`ef`); raises recall and cost.
    pub expansion_search: usize,
    /// Extra neighbours fetched beyond `k`, so bf16 rounding near the k-th place does not
    /// push a true neighbour out before the f32 rescoring.
    pub overfetch: usize,
    /// A row whose filter-class pool is at most this many rows is answered exactly.
    pub exact_pool: usize,
    /// Worker threads for inserts and queries.
    pub threads: usize,
}

impl Default for AnnParams {
    fn default() -> Self {
        AnnParams {
            connectivity: 16,
            expansion_add: 128,
            expansion_search: 32,
            overfetch: 6,
            exact_pool: 3000,
            threads: thread::available_parallelism().map_or(1, usize::from),
        }
    }
}

/// Why the index failed.
#[derive(Debug, thiserror::Error)]
pub enum AnnError {
    #[error("usearch: {0}")]
    Index(String),
    #[error("vectors of {got} dims for an index of {expected}")]
    Dims { expected: usize, got: usize },
    #[error("not an index file: {0}")]
    Format(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// usearch reports C++ exceptions; keep their message.
fn ux(e: impl std::fmt::Display) -> AnnError {
    AnnError::Index(e.to_string())
}

impl From<AnnError> for SearchError {
    fn from(e: AnnError) -> Self {
        SearchError(e.to_string())
    }
}

/// What one [`AnnIndex::sync`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncStats {
    /// Keys new to the index.
    pub added: usize,
    /// Keys whose vector changed.
    pub updated: usize,
    /// Keys dropped (a zero vector means "no embedding").
    pub removed: usize,
    /// Keys already up to date.
    pub unchanged: usize,
}

/// A warm HNSW index of persona vectors. All methods take `&self` (usearch is
/// thread-safe); call them from one beat at a time.
pub struct AnnIndex {
    index: usearch::Index,
    dims: usize,
    params: AnnParams,
    /// Fingerprint of the vector indexed under each key.
    stamps: RwLock<HashMap<u64, u64>>,
}

/// usearch keys are u64; persona ids are positive i64, so the bits carry over.
fn key(id: PersonaId) -> u64 {
    u64::from_ne_bytes(id.0.to_ne_bytes())
}

/// A fingerprint of a vector's exact bits (not a cryptographic hash: a collision leaves
/// a stale vector until its next change, which costs recall, never correctness).
fn stamp(v: &[f32]) -> u64 {
    let mut h: u64 = 0x9E37_79B9_7F4A_7C15;
    for x in v {
        h = (h.rotate_left(5) ^ u64::from(x.to_bits())).wrapping_mul(0x5170_4F6D_8C8B_A3E5);
    }
    h ^ (h >> 29)
}

/// A usable vector: finite and not all zeros (the domain zeroes unusable rows).
fn usable(v: &[f32]) -> bool {
    v.iter().any(|&x| x != 0.0) && v.iter().all(|x| x.is_finite())
}

const MAGIC: &[u8; 8] = b"ISHANN01";

fn lock_poisoned() -> AnnError {
    AnnError::Index("fingerprint lock poisoned".into())
}

impl AnnIndex {
    /// An empty index for `dims`-dimensional unit vectors (inner-product metric, bf16).
    ///
    /// # Errors
    /// When usearch cannot allocate the index.
    pub fn new(dims: usize, params: AnnParams) -> Result<Self, AnnError> {
        let index = usearch::Index::new(&Self::options(dims, &params)).map_err(ux)?;
        index.reserve_capacity_and_threads(1024, params.threads.max(1)).map_err(ux)?;
        Ok(AnnIndex {
            index,
            dims,
            params,
            stamps: RwLock::new(HashMap::new()),
        })
    }

    fn options(dims: usize, p: &AnnParams) -> IndexOptions {
        IndexOptions {
            dimensions: dims,
            metric: MetricKind::IP,
            quantization: ScalarKind::BF16,
            connectivity: p.connectivity,
            expansion_add: p.expansion_add,
            expansion_search: p.expansion_search,
            multi: false,
        }
    }

    /// The vectors' dimension.
    #[must_use]
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// The knobs in use.
    #[must_use]
    pub fn params(&self) -> AnnParams {
        self.params
    }

    /// Changes the search beam width (no rebuild needed).
    pub fn set_expansion_search(&mut self, ef: usize) {
        self.params.expansion_search = ef;
        self.index.change_expansion_search(ef);
    }

    /// The number of indexed personas.
    #[must_use]
    pub fn len(&self) -> usize {
        self.index.size()
    }

    /// Whether nothing is indexed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held by the graph and the vectors (usearch's estimate).
    #[must_use]
    pub fn memory_usage(&self) -> usize {
        self.index.memory_usage()
    }

    fn check_dims(&self, got: usize) -> Result<(), AnnError> {
        if got == self.dims {
            Ok(())
        } else {
            Err(AnnError::Dims {
                expected: self.dims,
                got,
            })
        }
    }

    fn grow(&self, extra: usize) -> Result<(), AnnError> {
        let need = self.index.size() + extra;
        if need > self.index.capacity() {
            let cap = need.max(self.index.capacity() + self.index.capacity() / 4);
            self.index
                .reserve_capacity_and_threads(cap, self.params.threads.max(1)).map_err(ux)?;
        }
        Ok(())
    }

    /// Indexes `vector` under `id`, replacing what was there; a no-op when the same vector
    /// is already indexed. Returns whether the index changed.
    ///
    /// # Errors
    /// Wrong dimension, or usearch failed.
    pub fn upsert(&self, id: PersonaId, vector: &[f32]) -> Result<bool, AnnError> {
        self.check_dims(vector.len())?;
        let (k, st) = (key(id), stamp(vector));
        let mut stamps = self.stamps.write().map_err(|_| lock_poisoned())?;
        if stamps.get(&k) == Some(&st) {
            return Ok(false);
        }
        if stamps.remove(&k).is_some() {
            self.index.remove(k).map_err(ux)?;
        }
        if usable(vector) {
            self.grow(1)?;
            self.index.add(k, vector).map_err(ux)?;
            stamps.insert(k, st);
        }
        Ok(true)
    }

    /// Drops `id` (a retired persona). Returns whether it was indexed.
    ///
    /// # Errors
    /// usearch failed.
    pub fn remove(&self, id: PersonaId) -> Result<bool, AnnError> {
        let k = key(id);
        let mut stamps = self.stamps.write().map_err(|_| lock_poisoned())?;
        if stamps.remove(&k).is_some() {
            self.index.remove(k).map_err(ux)?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Drops every persona not in `ids` (for example, those now in a couple), so later
    /// graph walks do not wade through them. Returns how many were dropped.
    ///
    /// # Errors
    /// usearch failed.
    pub fn retain(&self, ids: &[PersonaId]) -> Result<usize, AnnError> {
        let keep: std::collections::HashSet<u64> = ids.iter().map(|&id| key(id)).collect();
        let mut stamps = self.stamps.write().map_err(|_| lock_poisoned())?;
        let gone: Vec<u64> = stamps.keys().copied().filter(|k| !keep.contains(k)).collect();
        for k in &gone {
            self.index.remove(*k).map_err(ux)?;
            stamps.remove(k);
        }
        Ok(gone.len())
    }

    /// Brings the index up to date with one beat's rows (`ids[i]` ↔ row `i` of `vectors`):
    /// new and changed vectors are (re)inserted in parallel, rows without a usable vector
    /// are dropped, everything else is left alone. Personas not listed stay indexed (see
    /// [`AnnIndex::retain`]).
    ///
    /// # Errors
    /// Wrong dimension, or usearch failed.
    pub fn sync(&self, ids: &[PersonaId], vectors: &[f32]) -> Result<SyncStats, AnnError> {
        let d = self.dims;
        if vectors.len() != ids.len() * d {
            return Err(AnnError::Dims {
                expected: d,
                got: vectors.len().checked_div(ids.len()).unwrap_or(0),
            });
        }
        let threads = self.params.threads.max(1);
        let rows = ids.len();
        // Fingerprints in parallel: one pass over the data.
        let chunk = rows.div_ceil(threads).max(1);
        let fresh: Vec<u64> = thread::scope(|s| {
            let hs: Vec<_> = vectors
                .chunks(chunk * d)
                .map(|part| s.spawn(move || part.chunks_exact(d).map(stamp).collect::<Vec<_>>()))
                .collect();
            hs.into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        let mut stats = SyncStats::default();
        let mut stamps = self.stamps.write().map_err(|_| lock_poisoned())?;
        let mut todo: Vec<usize> = Vec::new();
        for (i, (&id, &st)) in ids.iter().zip(&fresh).enumerate() {
            let k = key(id);
            let row = &vectors[i * d..(i + 1) * d];
            match stamps.get(&k) {
                Some(&old) if old == st => stats.unchanged += 1,
                Some(_) => {
                    self.index.remove(k).map_err(ux)?;
                    stamps.remove(&k);
                    if usable(row) {
                        stats.updated += 1;
                        todo.push(i);
                    } else {
                        stats.removed += 1;
                    }
                }
                None if usable(row) => {
                    stats.added += 1;
                    todo.push(i);
                }
                None => {}
            }
        }
        self.grow(todo.len())?;
        let next = AtomicUsize::new(0);
        let results: Vec<Result<(), AnnError>> = thread::scope(|s| {
            let hs: Vec<_> = (0..threads.min(todo.len()).max(1))
                .map(|_| {
                    let (next, todo) = (&next, &todo);
                    s.spawn(move || -> Result<(), AnnError> {
                        loop {
                            let t = next.fetch_add(1, Ordering::Relaxed);
                            let Some(&i) = todo.get(t) else { return Ok(()) };
                            self.index.add(key(ids[i]), &vectors[i * d..(i + 1) * d]).map_err(ux)?;
                        }
                    })
                })
                .collect();
            hs.into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        results.into_iter().collect::<Result<Vec<()>, _>>()?;
        for &i in &todo {
            stamps.insert(key(ids[i]), fresh[i]);
        }
        Ok(stats)
    }

    /// The top-k of every row of `q`, assuming the index is in sync with it.
    ///
    /// # Errors
    /// usearch failed.
    pub fn search(&self, q: &KnnQuery<'_>) -> Result<Vec<Vec<Neighbour>>, AnnError> {
        self.check_dims(q.dims)?;
        let n = q.len();
        let row_of: HashMap<u64, u32> = q
            .ids
            .iter()
            .enumerate()
            .filter_map(|(i, &id)| u32::try_from(i).ok().map(|i| (key(id), i)))
            .collect();
        let want = q.k + self.params.overfetch;
        let next = AtomicUsize::new(0);
        const CHUNK: usize = 64;
        let threads = self.params.threads.max(1);
        let parts: Vec<Result<Vec<(usize, Vec<Neighbour>)>, AnnError>> = thread::scope(|s| {
            let hs: Vec<_> = (0..threads)
                .map(|_| {
                    let (next, row_of) = (&next, &row_of);
                    s.spawn(move || {
                        let mut out = Vec::new();
                        let mut rows = Vec::new();
                        let mut sims = Vec::new();
                        loop {
                            let start = next.fetch_add(CHUNK, Ordering::Relaxed);
                            if start >= n {
                                return Ok(out);
                            }
                            for i in start..(start + CHUNK).min(n) {
                                let list = self.query_row(q, i, want, row_of, &mut rows, &mut sims)?;
                                out.push((i, list));
                            }
                        }
                    })
                })
                .collect();
            hs.into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        let mut lists = vec![Vec::new(); n];
        for part in parts {
            for (i, list) in part? {
                lists[i] = list;
            }
        }
        Ok(lists)
    }

    fn query_row(
        &self,
        q: &KnnQuery<'_>,
        i: usize,
        want: usize,
        row_of: &HashMap<u64, u32>,
        rows: &mut Vec<u32>,
        sims: &mut Vec<f32>,
    ) -> Result<Vec<Neighbour>, AnnError> {
        let query = q.row(i);
        if q.k == 0 || !usable(query) {
            return Ok(Vec::new());
        }
        rows.clear();
        let class = q.classes.class_of(i);
        if q.classes.pool_size(i) <= self.params.exact_pool {
            // Small pool: scan it exactly.
            for c in q.classes.compatible_classes(class) {
                rows.extend(
                    q.classes
                        .members(c)
                        .iter()
                        .copied()
                        .filter(|&j| j as usize != i && (q.admissible)(i, j as usize)),
                );
            }
        } else {
            let matches = self.index.filtered_search(query, want, |k: u64| {
                row_of
                    .get(&k)
                    .is_some_and(|&j| j as usize != i && (q.admissible)(i, j as usize))
            })
                .map_err(ux)?;
            rows.extend(matches.keys.iter().filter_map(|k| row_of.get(k).copied()));
        }
        kernel::dots(query, q.vectors, q.dims, rows, sims);
        let mut list: Vec<Neighbour> = rows
            .iter()
            .zip(sims.iter())
            .filter(|&(_, &s)| s >= q.min_similarity)
            .map(|(&index, &similarity)| Neighbour { index, similarity })
            .collect();
        list.sort_by(rank_order);
        list.truncate(q.k);
        Ok(list)
    }

    /// Serialises the index: header, keys and fingerprints, then usearch's own image.
    ///
    /// # Errors
    /// usearch failed.
    pub fn to_bytes(&self) -> Result<Vec<u8>, AnnError> {
        let stamps = self.stamps.read().map_err(|_| lock_poisoned())?;
        let image_len = self.index.serialized_length();
        let mut out = Vec::with_capacity(40 + stamps.len() * 16 + image_len);
        out.extend_from_slice(MAGIC);
        for x in [self.dims, self.params.connectivity, self.params.expansion_add] {
            out.extend_from_slice(&(x as u64).to_le_bytes());
        }
        out.extend_from_slice(&(stamps.len() as u64).to_le_bytes());
        let mut entries: Vec<(&u64, &u64)> = stamps.iter().collect();
        entries.sort_unstable();
        for (k, st) in entries {
            out.extend_from_slice(&k.to_le_bytes());
            out.extend_from_slice(&st.to_le_bytes());
        }
        out.extend_from_slice(&(image_len as u64).to_le_bytes());
        let at = out.len();
        out.resize(at + image_len, 0);
        self.index.save_to_buffer(&mut out[at..]).map_err(ux)?;
        Ok(out)
    }

    /// Restores an index written by [`AnnIndex::to_bytes`]. The graph's shape (dims,
    /// connectivity, insert beam) comes from the bytes; search-time knobs from `params`.
    ///
    /// # Errors
    /// Not an index image, or usearch refused it.
    pub fn from_bytes(bytes: &[u8], params: AnnParams) -> Result<Self, AnnError> {
        let mut r = Reader(bytes);
        if r.take(8)? != MAGIC {
            return Err(AnnError::Format("bad magic".into()));
        }
        let dims = r.usize()?;
        let params = AnnParams {
            connectivity: r.usize()?,
            expansion_add: r.usize()?,
            ..params
        };
        let count = r.usize()?;
        let mut stamps = HashMap::with_capacity(count);
        for _ in 0..count {
            let (k, st) = (r.u64()?, r.u64()?);
            stamps.insert(k, st);
        }
        let image_len = r.usize()?;
        let image = r.take(image_len)?;
        let index = usearch::Index::new(&Self::options(dims, &params)).map_err(ux)?;
        index.load_from_buffer(image).map_err(ux)?;
        index.change_expansion_search(params.expansion_search);
        index.reserve_capacity_and_threads(index.size().max(1024), params.threads.max(1)).map_err(ux)?;
        if index.size() != stamps.len() {
            return Err(AnnError::Format(format!(
                "{} fingerprints for {} vectors",
                stamps.len(),
                index.size()
            )));
        }
        Ok(AnnIndex {
            index,
            dims,
            params,
            stamps: RwLock::new(stamps),
        })
    }

    /// Writes [`AnnIndex::to_bytes`] to `path` atomically (a temporary file, then rename).
    ///
    /// # Errors
    /// I/O or usearch failed.
    pub fn save(&self, path: &Path) -> Result<(), AnnError> {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, self.to_bytes()?)?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    }

    /// Reads an index written by [`AnnIndex::save`].
    ///
    /// # Errors
    /// I/O failed or the file is not an index.
    pub fn load(path: &Path, params: AnnParams) -> Result<Self, AnnError> {
        Self::from_bytes(&std::fs::read(path)?, params)
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], AnnError> {
        if self.0.len() < n {
            return Err(AnnError::Format("truncated".into()));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u64(&mut self) -> Result<u64, AnnError> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(b))
    }

    fn usize(&mut self) -> Result<usize, AnnError> {
        usize::try_from(self.u64()?).map_err(|_| AnnError::Format("size overflow".into()))
    }
}

impl NeighbourSearch for AnnIndex {
    /// Syncs the index with the query's rows (only changed vectors are re-inserted), then
    /// searches.
    fn top_k(&self, q: &KnnQuery<'_>) -> Result<Vec<Vec<Neighbour>>, SearchError> {
        self.sync(q.ids, q.vectors)?;
        Ok(self.search(q)?)
    }
}
