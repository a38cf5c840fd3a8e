//! The approximate path: HNSW graphs (usearch, vectors stored as bf16) kept warm between
//! beats, one graph per filter class.
//!
//! - **Sharded by filter class.** The domain names each class of personas that share a
//!   market, red-team flag, gender and genders sought ([`FilterClasses::key`]); personas
//!   of incompatible classes can never meet, so they live in different graphs. A query
//!   walks only the graphs of compatible classes, where most nodes pass the remaining
//!   filters (age, languages, substances, owners, past couples). One shared graph would
//!   make every query wade through the ~87 % of the venue it may not meet: measured 77 s
//!   against 10 s at 100k (docs/benchmarks.md ("The matcher")).
//! - **Filtered walk, over-fetch, exact rescoring.** Each graph is asked for
//!   `k + overfetch` neighbours with the remaining filters applied inside the walk
//!   (usearch's filtered search); the candidates are rescored with the caller's f32
//!   vectors, so the similarities the matcher sees are exact although graphs store bf16.
//! - **Small classes are scanned.** A compatible class with at most `exact_pool` members
//!   this beat is scanned exactly instead of walked.
//! - **Incremental.** Next to the graphs the index keeps each persona's class and a
//!   64-bit fingerprint of its vector; a beat re-inserts only personas whose vector or
//!   class changed.
//! - **Persistent.** Saves to / loads from bytes or a file (graphs, keys, fingerprints), so a
//!   restart does not pay the cold build.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread;

use ishtar_domain::model::PersonaId;
use ishtar_domain::ports::{
    FilterClasses, KnnQuery, Neighbour, NeighbourSearch, SearchError, rank_order,
};
use usearch::ffi::{IndexOptions, MetricKind, ScalarKind};

use crate::kernel;

/// HNSW knobs. Graph shape as measured in docs/matching-research.md (§2, §3.3); the
/// search-time values from this crate's benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnnParams {
    /// Graph degree `M`.
    pub connectivity: usize,
    /// Beam width while inserting (`efConstruction`).
    pub expansion_add: usize,
    /// Beam width while searching (`ef`); raises recall and cost.
    pub expansion_search: usize,
    /// Extra neighbours fetched per graph beyond `k`, so bf16 rounding near the k-th
    /// place does not push a true neighbour out before the f32 rescoring.
    pub overfetch: usize,
    /// A compatible class with at most this many members this beat is scanned exactly.
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
            exact_pool: 512,
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
    /// Personas new to the index.
    pub added: usize,
    /// Personas whose vector or class changed.
    pub updated: usize,
    /// Personas dropped (a zero vector means "no embedding").
    pub removed: usize,
    /// Personas already up to date.
    pub unchanged: usize,
}

/// Where a persona is indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    shard: u64,
    stamp: u64,
}

struct State {
    shards: HashMap<u64, usearch::Index>,
    entries: HashMap<u64, Entry>,
}

/// Warm HNSW graphs of persona vectors, one per filter class. All methods take `&self`;
/// call the mutating ones (`upsert`, `remove`, `retain`, `sync`) from one beat at a time.
pub struct AnnIndex {
    dims: usize,
    params: AnnParams,
    state: RwLock<State>,
}

/// A multiplicative hash for persona keys: the walk's filter looks a key up for every node
/// it considers, and SipHash would be a fifth of the query time.
#[derive(Debug, Default, Clone, Copy)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x517C_C1B7_2722_0A95);
        }
    }

    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type KeyMap<V> = HashMap<u64, V, std::hash::BuildHasherDefault<KeyHasher>>;

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

const MAGIC: &[u8; 8] = b"ISHANN02";

fn poisoned() -> AnnError {
    AnnError::Index("index lock poisoned".into())
}

impl AnnIndex {
    /// An empty index for `dims`-dimensional unit vectors (inner-product metric, bf16).
    ///
    /// # Errors
    /// Never at present; kept for symmetry with [`AnnIndex::load`].
    pub fn new(dims: usize, params: AnnParams) -> Result<Self, AnnError> {
        Ok(AnnIndex {
            dims,
            params,
            state: RwLock::new(State {
                shards: HashMap::new(),
                entries: HashMap::new(),
            }),
        })
    }

    fn options(&self) -> IndexOptions {
        IndexOptions {
            dimensions: self.dims,
            metric: MetricKind::IP,
            quantization: ScalarKind::BF16,
            connectivity: self.params.connectivity,
            expansion_add: self.params.expansion_add,
            expansion_search: self.params.expansion_search,
            multi: false,
        }
    }

    fn threads(&self) -> usize {
        self.params.threads.max(1)
    }

    fn read(&self) -> Result<RwLockReadGuard<'_, State>, AnnError> {
        self.state.read().map_err(|_| poisoned())
    }

    fn write(&self) -> Result<RwLockWriteGuard<'_, State>, AnnError> {
        self.state.write().map_err(|_| poisoned())
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
    ///
    /// # Errors
    /// The lock was poisoned.
    pub fn set_expansion_search(&mut self, ef: usize) -> Result<(), AnnError> {
        self.params.expansion_search = ef;
        for index in self.read()?.shards.values() {
            index.change_expansion_search(ef);
        }
        Ok(())
    }

    /// The number of indexed personas.
    #[must_use]
    pub fn len(&self) -> usize {
        self.read().map_or(0, |s| s.entries.len())
    }

    /// Whether nothing is indexed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of graphs (filter classes seen).
    #[must_use]
    pub fn shards(&self) -> usize {
        self.read().map_or(0, |s| s.shards.len())
    }

    /// Bytes held by the graphs and their vectors (usearch's estimate).
    #[must_use]
    pub fn memory_usage(&self) -> usize {
        self.read().map_or(0, |s| {
            s.shards.values().map(usearch::Index::memory_usage).sum()
        })
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

    /// The graph for `shard`, created on first use, with room for `extra` more vectors.
    fn shard_with_room<'s>(
        &self,
        state: &'s mut State,
        shard: u64,
        extra: usize,
    ) -> Result<&'s usearch::Index, AnnError> {
        let index = match state.shards.entry(shard) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(usearch::Index::new(&self.options()).map_err(ux)?)
            }
        };
        let need = index.size() + extra;
        if need > index.capacity() {
            let cap = need.max(index.capacity() + index.capacity() / 4).max(64);
            index
                .reserve_capacity_and_threads(cap, self.threads())
                .map_err(ux)?;
        }
        Ok(index)
    }

    /// Drops `k` from wherever it is indexed.
    fn unindex(state: &mut State, k: u64) -> Result<bool, AnnError> {
        let Some(e) = state.entries.remove(&k) else {
            return Ok(false);
        };
        if let Some(index) = state.shards.get(&e.shard) {
            index.remove(k).map_err(ux)?;
        }
        Ok(true)
    }

    /// Indexes `vector` under `id` in the graph of filter class `shard`
    /// ([`FilterClasses::key`]), replacing what was there; a no-op when the same vector
    /// is already indexed there. Returns whether the index changed.
    ///
    /// # Errors
    /// Wrong dimension, or usearch failed.
    pub fn upsert(&self, id: PersonaId, shard: u64, vector: &[f32]) -> Result<bool, AnnError> {
        self.check_dims(vector.len())?;
        let (k, st) = (key(id), stamp(vector));
        let mut state = self.write()?;
        if state.entries.get(&k) == Some(&Entry { shard, stamp: st }) {
            return Ok(false);
        }
        Self::unindex(&mut state, k)?;
        if usable(vector) {
            self.shard_with_room(&mut state, shard, 1)?
                .add(k, vector)
                .map_err(ux)?;
            state.entries.insert(k, Entry { shard, stamp: st });
        }
        Ok(true)
    }

    /// Drops `id` (a retired persona). Returns whether it was indexed.
    ///
    /// # Errors
    /// usearch failed.
    pub fn remove(&self, id: PersonaId) -> Result<bool, AnnError> {
        Self::unindex(&mut *self.write()?, key(id))
    }

    /// Drops every persona not in `ids` (for example, those now in a couple), so later
    /// walks do not wade through them. Returns how many were dropped.
    ///
    /// # Errors
    /// usearch failed.
    pub fn retain(&self, ids: &[PersonaId]) -> Result<usize, AnnError> {
        let keep: HashSet<u64> = ids.iter().map(|&id| key(id)).collect();
        let mut state = self.write()?;
        let gone: Vec<u64> = state
            .entries
            .keys()
            .copied()
            .filter(|k| !keep.contains(k))
            .collect();
        for &k in &gone {
            Self::unindex(&mut state, k)?;
        }
        Ok(gone.len())
    }

    /// Brings the index up to date with one beat's rows: new personas and those whose
    /// vector or class changed are (re)inserted in parallel, rows without a usable vector
    /// are dropped, everything else is left alone. Personas not in the query stay
    /// indexed (see [`AnnIndex::retain`]).
    ///
    /// # Errors
    /// Wrong dimension, or usearch failed.
    pub fn sync(&self, q: &KnnQuery<'_>) -> Result<SyncStats, AnnError> {
        self.check_dims(q.dims)?;
        let d = self.dims;
        let n = q.len();
        if q.vectors.len() != n * d {
            return Err(AnnError::Dims {
                expected: d,
                got: q.vectors.len().checked_div(n).unwrap_or(0),
            });
        }
        let threads = self.threads();
        // Fingerprints in parallel: one pass over the data.
        let chunk = n.div_ceil(threads).max(1);
        let fresh: Vec<u64> = thread::scope(|s| {
            let hs: Vec<_> = q
                .vectors
                .chunks(chunk * d)
                .map(|part| s.spawn(move || part.chunks_exact(d).map(stamp).collect::<Vec<_>>()))
                .collect();
            hs.into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        let mut stats = SyncStats::default();
        let mut state = self.write()?;
        let mut todo: Vec<(usize, Entry)> = Vec::new();
        for (i, &stamp) in fresh.iter().enumerate() {
            let k = key(q.ids[i]);
            let want = Entry {
                shard: q.classes.key(q.classes.class_of(i)),
                stamp,
            };
            let ok = usable(q.row(i));
            match state.entries.get(&k) {
                Some(&e) if e == want && ok => stats.unchanged += 1,
                Some(_) => {
                    Self::unindex(&mut state, k)?;
                    if ok {
                        stats.updated += 1;
                        todo.push((i, want));
                    } else {
                        stats.removed += 1;
                    }
                }
                None if ok => {
                    stats.added += 1;
                    todo.push((i, want));
                }
                None => {}
            }
        }
        let mut per_shard: HashMap<u64, usize> = HashMap::new();
        for (_, e) in &todo {
            *per_shard.entry(e.shard).or_default() += 1;
        }
        for (&shard, &extra) in &per_shard {
            self.shard_with_room(&mut state, shard, extra)?;
        }
        let next = AtomicUsize::new(0);
        let shards = &state.shards;
        let results: Vec<Result<(), AnnError>> = thread::scope(|s| {
            let hs: Vec<_> = (0..threads.min(todo.len()).max(1))
                .map(|_| {
                    let (next, todo) = (&next, &todo);
                    s.spawn(move || -> Result<(), AnnError> {
                        loop {
                            let t = next.fetch_add(1, Ordering::Relaxed);
                            let Some(&(i, e)) = todo.get(t) else {
                                return Ok(());
                            };
                            let index = shards
                                .get(&e.shard)
                                .ok_or_else(|| AnnError::Index("shard vanished".into()))?;
                            index.add(key(q.ids[i]), q.row(i)).map_err(ux)?;
                        }
                    })
                })
                .collect();
            hs.into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        results.into_iter().collect::<Result<Vec<()>, _>>()?;
        for (i, e) in todo {
            state.entries.insert(key(q.ids[i]), e);
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
        let state = self.read()?;
        let row_of: KeyMap<u32> = q
            .ids
            .iter()
            .enumerate()
            .filter_map(|(i, &id)| u32::try_from(i).ok().map(|i| (key(id), i)))
            .collect();
        let next = AtomicUsize::new(0);
        const CHUNK: usize = 64;
        let by_value = ByValue::new(q.classes);
        let ctx = Ctx {
            q,
            shards: &state.shards,
            row_of: &row_of,
            by_value: &by_value,
            want: q.k + self.params.overfetch,
            exact_pool: self.params.exact_pool,
        };
        let parts: Vec<Result<RowLists, AnnError>> = thread::scope(|s| {
            let hs: Vec<_> = (0..self.threads())
                .map(|_| {
                    let (next, ctx) = (&next, &ctx);
                    s.spawn(move || {
                        let mut out = Vec::new();
                        let mut scratch = (Vec::new(), Vec::new());
                        loop {
                            let start = next.fetch_add(CHUNK, Ordering::Relaxed);
                            if start >= n {
                                return Ok(out);
                            }
                            for i in start..(start + CHUNK).min(n) {
                                out.push((i, ctx.query_row(i, &mut scratch)?));
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

    /// Serialises the index: header, persona entries, then each graph's usearch image.
    ///
    /// # Errors
    /// usearch failed.
    pub fn to_bytes(&self) -> Result<Vec<u8>, AnnError> {
        let state = self.read()?;
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        let put = |out: &mut Vec<u8>, x: u64| out.extend_from_slice(&x.to_le_bytes());
        for x in [
            self.dims,
            self.params.connectivity,
            self.params.expansion_add,
        ] {
            put(&mut out, x as u64);
        }
        let mut entries: Vec<(&u64, &Entry)> = state.entries.iter().collect();
        entries.sort_unstable_by_key(|(k, _)| **k);
        put(&mut out, entries.len() as u64);
        for (k, e) in entries {
            put(&mut out, *k);
            put(&mut out, e.shard);
            put(&mut out, e.stamp);
        }
        let mut shards: Vec<(&u64, &usearch::Index)> = state.shards.iter().collect();
        shards.sort_unstable_by_key(|(k, _)| **k);
        put(&mut out, shards.len() as u64);
        for (shard, index) in shards {
            let len = index.serialized_length();
            put(&mut out, *shard);
            put(&mut out, len as u64);
            let at = out.len();
            out.resize(at + len, 0);
            index.save_to_buffer(&mut out[at..]).map_err(ux)?;
        }
        Ok(out)
    }

    /// Restores an index written by [`AnnIndex::to_bytes`]. The graphs' shape (dims,
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
        let me = AnnIndex::new(dims, params)?;
        let count = r.usize()?;
        let mut entries = HashMap::with_capacity(count.min(bytes.len() / 24));
        for _ in 0..count {
            let (k, shard, stamp) = (r.u64()?, r.u64()?, r.u64()?);
            entries.insert(k, Entry { shard, stamp });
        }
        let shard_count = r.usize()?;
        let mut shards = HashMap::new();
        for _ in 0..shard_count {
            let shard = r.u64()?;
            let len = r.usize()?;
            let image = r.take(len)?;
            let index = usearch::Index::new(&me.options()).map_err(ux)?;
            index.load_from_buffer(image).map_err(ux)?;
            index.change_expansion_search(params.expansion_search);
            index
                .reserve_capacity_and_threads(index.size().max(64), me.threads())
                .map_err(ux)?;
            shards.insert(shard, index);
        }
        let indexed: usize = shards.values().map(usearch::Index::size).sum();
        if indexed != entries.len() {
            return Err(AnnError::Format(format!(
                "{} entries for {indexed} vectors",
                entries.len()
            )));
        }
        *me.write()? = State { shards, entries };
        Ok(me)
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

/// One class's members by span value, so a query can count (and list) the members whose
/// value falls in its window without touching the others.
struct ByValue {
    /// Members with a known value, sorted by it.
    known: Vec<(i32, u32)>,
    /// Members whose value is unknown: in every window.
    unknown: Vec<u32>,
}

impl ByValue {
    fn new(classes: &FilterClasses) -> Vec<ByValue> {
        (0..classes.len())
            .map(|c| {
                let (mut known, mut unknown) = (Vec::new(), Vec::new());
                for &r in classes.members(c) {
                    let sp = classes.span(r as usize);
                    if sp.value_lo == sp.value_hi {
                        known.push((sp.value_lo, r));
                    } else {
                        unknown.push(r);
                    }
                }
                known.sort_unstable();
                ByValue { known, unknown }
            })
            .collect()
    }

    /// The members whose value may fall in `lo..=hi`.
    fn window(&self, lo: i32, hi: i32) -> (&[(i32, u32)], &[u32]) {
        let a = self.known.partition_point(|&(v, _)| v < lo);
        let b = self.known.partition_point(|&(v, _)| v <= hi);
        (&self.known[a..b.max(a)], &self.unknown)
    }
}

/// Lists of some rows, by row.
type RowLists = Vec<(usize, Vec<Neighbour>)>;

/// What every query of one search shares.
struct Ctx<'a, 'q> {
    q: &'a KnnQuery<'q>,
    shards: &'a HashMap<u64, usearch::Index>,
    row_of: &'a KeyMap<u32>,
    by_value: &'a [ByValue],
    want: usize,
    exact_pool: usize,
}

impl Ctx<'_, '_> {
    fn query_row(
        &self,
        i: usize,
        (rows, sims): &mut (Vec<u32>, Vec<f32>),
    ) -> Result<Vec<Neighbour>, AnnError> {
        let q = self.q;
        let query = q.row(i);
        if q.k == 0 || !usable(query) {
            return Ok(Vec::new());
        }
        rows.clear();
        let classes: &FilterClasses = q.classes;
        let span = classes.span(i);
        let ok = |j: u32| j as usize != i && (q.admissible)(i, j as usize);
        for c in classes.compatible_classes(classes.class_of(i)) {
            // Members whose age falls in this persona's window: few means scan them; many
            // means the walk will find its neighbours quickly. (A walk through a graph with
            // fewer passing nodes than it wants would visit the whole graph.)
            let (known, unknown) = self.by_value[c].window(span.want_lo, span.want_hi);
            let pool = known.len() + unknown.len();
            match classes_graph(self.shards, classes.key(c)) {
                Some(index) if pool > self.exact_pool.max(8 * self.want) => {
                    let found = index
                        .filtered_search(query, self.want, |k: u64| {
                            self.row_of
                                .get(&k)
                                .is_some_and(|&j| classes.class_of(j as usize) == c && ok(j))
                        })
                        .map_err(ux)?;
                    rows.extend(
                        found
                            .keys
                            .iter()
                            .filter_map(|k| self.row_of.get(k).copied()),
                    );
                }
                _ => {
                    rows.extend(known.iter().map(|&(_, j)| j).filter(|&j| ok(j)));
                    rows.extend(unknown.iter().copied().filter(|&j| ok(j)));
                }
            }
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
}

fn classes_graph(shards: &HashMap<u64, usearch::Index>, key: u64) -> Option<&usearch::Index> {
    shards.get(&key).filter(|g| g.size() > 0)
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
    /// Syncs the index with the query's rows (only changed personas are re-inserted),
    /// then searches.
    fn top_k(&self, q: &KnnQuery<'_>) -> Result<Vec<Vec<Neighbour>>, SearchError> {
        self.sync(q)?;
        Ok(self.search(q)?)
    }
}
