//! The mutual hard filters of docs/rules.md#the-beat, step 4.
//!
//! Two forms of the same rules:
//! - [`compatible`]: the readable one, over [`Candidate`]s and their parsed [`Prefs`]. It is
//!   the specification: tests and tools use it, and it is fast enough for a few calls.
//! - [`Profiles`]: the same rules compiled once per beat (strings interned to numbers,
//!   lists sorted), because the kNN asks "may these two meet?" millions of times per beat.
//!   A property test holds the two to the same answers.
//!
//! Every comparison is on trimmed, lower-cased text, and blank text counts as missing.
//! Missing data never excludes: a filter only bites when the seeker states a constraint
//! and the other side states the fact it constrains.

use std::collections::{HashMap, HashSet};

use crate::model::{OwnerId, PersonaId};
use crate::prefs::Prefs;

use super::Candidate;
use crate::ports::Span;

/// The market that is compatible with every market (docs/rules.md#the-beat, step 4).
pub const REMOTE: &str = "remote";

/// Trims and lower-cases, so `" Woman"` and `"woman"` are the same word.
fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

/// A stated value, normalised; `None` when absent or blank.
fn stated(s: Option<&String>) -> Option<String> {
    s.map(|x| norm(x)).filter(|x| !x.is_empty())
}

/// A stated list, normalised, blanks dropped; empty means "open" (or "no data").
fn stated_list(list: &[String]) -> Vec<String> {
    list.iter()
        .map(|x| norm(x))
        .filter(|x| !x.is_empty())
        .collect()
}

/// Whether `seeker`'s `seek` is satisfied by `other`'s `self`: genders, age range,
/// languages (any overlap), ethnicities, substance dealbreakers. One direction only;
/// [`compatible`] asks both.
#[must_use]
pub fn seek_satisfied(seeker: Option<&Prefs>, other: Option<&Prefs>) -> bool {
    let (Some(seeker), Some(other)) = (seeker, other) else {
        // No constraints stated, or no facts to check them against.
        return true;
    };
    let seek = &seeker.seek;
    let me = &other.self_;

    let genders = stated_list(&seek.genders);
    if let Some(g) = stated(me.gender.as_ref())
        && !genders.is_empty()
        && !genders.contains(&g)
    {
        return false;
    }
    if let Some(age) = me.age
        && (seek.age_min.is_some_and(|lo| age < lo) || seek.age_max.is_some_and(|hi| age > hi))
    {
        return false;
    }
    let wanted = stated_list(&seek.languages);
    let spoken = stated_list(&me.languages);
    if !wanted.is_empty() && !spoken.is_empty() && !spoken.iter().any(|l| wanted.contains(l)) {
        return false;
    }
    let ethnicities = stated_list(&seek.ethnicities);
    if let Some(e) = stated(me.ethnicity.as_ref())
        && !ethnicities.is_empty()
        && !ethnicities.contains(&e)
    {
        return false;
    }
    if let Some(s) = stated(me.substances.as_ref())
        && stated_list(&seek.dealbreakers.substances).contains(&s)
    {
        return false;
    }
    true
}

/// A stable 64-bit name for a filter class (FNV-1a over the normalised words that define
/// it at `level`), so an index can keep one graph per class across beats. Never 0.
pub(crate) fn class_key(level: u8, c: &Candidate) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes.iter().chain(&[0x1f]) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(&[level]);
    if level < 2 {
        let market = stated(Some(&c.active_market)).filter(|m| m != REMOTE);
        eat(market.as_deref().unwrap_or("*").as_bytes());
        eat(&[u8::from(c.redteam)]);
    }
    if level == 0 {
        let p = c.prefs.as_ref();
        let gender = p.and_then(|p| stated(p.self_.gender.as_ref()));
        eat(gender.as_deref().unwrap_or("").as_bytes());
        let mut seek = p.map(|p| stated_list(&p.seek.genders)).unwrap_or_default();
        seek.sort();
        seek.dedup();
        for g in &seek {
            eat(g.as_bytes());
        }
    }
    h.max(1)
}

/// Same active market, or either side `remote`. A blank market is missing data and
/// excludes nothing.
#[must_use]
pub fn markets_compatible(a: &str, b: &str) -> bool {
    let (a, b) = (norm(a), norm(b));
    a.is_empty() || b.is_empty() || a == REMOTE || b == REMOTE || a == b
}

/// Whether `excluded` holds the unordered pair `{a, b}` (either orientation).
#[must_use]
pub fn was_couple(excluded: &HashSet<(PersonaId, PersonaId)>, a: PersonaId, b: PersonaId) -> bool {
    excluded.contains(&(a, b)) || excluded.contains(&(b, a))
}

/// Every hard filter of step 4, both ways: prefs (each side's `seek` satisfied by the
/// other's `self`), market, never the same owner, red-team only with red-team, never a
/// pair that was a couple before (`excluded`, unordered), and never oneself.
#[must_use]
pub fn compatible(
    a: &Candidate,
    b: &Candidate,
    excluded: &HashSet<(PersonaId, PersonaId)>,
) -> bool {
    a.id != b.id
        && !matches!((a.owner, b.owner), (Some(x), Some(y)) if x == y)
        && a.redteam == b.redteam
        && markets_compatible(&a.active_market, &b.active_market)
        && seek_satisfied(a.prefs.as_ref(), b.prefs.as_ref())
        && seek_satisfied(b.prefs.as_ref(), a.prefs.as_ref())
        && !was_couple(excluded, a.id, b.id)
}

/// Interned words of one field (genders, languages, …): the most frequent words of the
/// beat get the smallest numbers, so almost every row fits the 64-bit masks of
/// [`Compact`].
#[derive(Default)]
struct Vocab(HashMap<String, u32>);

impl Vocab {
    /// Numbers every word by descending frequency (ties by the word, for determinism).
    fn build<'a>(words: impl Iterator<Item = &'a String>) -> Self {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for w in words {
            let w = norm(w);
            if !w.is_empty() {
                *counts.entry(w).or_default() += 1;
            }
        }
        let mut by_freq: Vec<(String, usize)> = counts.into_iter().collect();
        by_freq.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Vocab(
            by_freq
                .into_iter()
                .enumerate()
                .map(|(i, (w, _))| (w, u32::try_from(i).unwrap_or(u32::MAX)))
                .collect(),
        )
    }

    fn one(&self, s: Option<&String>) -> Option<u32> {
        stated(s).and_then(|w| self.0.get(&w).copied())
    }

    fn set(&self, list: &[String]) -> Box<[u32]> {
        let mut ids: Vec<u32> = stated_list(list)
            .iter()
            .filter_map(|w| self.0.get(w).copied())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.into_boxed_slice()
    }
}

/// One candidate's filter data, compiled. Sets are sorted; empty means open/no data.
/// The general form, for any vocabulary size; [`Compact`] is the fast one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Profile {
    pub(crate) owner: Option<OwnerId>,
    pub(crate) redteam: bool,
    /// `None`: remote or blank, compatible with every market.
    pub(crate) market: Option<u32>,
    pub(crate) gender: Option<u32>,
    age: Option<i64>,
    ethnicity: Option<u32>,
    languages: Box<[u32]>,
    substances: Option<u32>,
    pub(crate) seek_genders: Box<[u32]>,
    age_min: Option<i64>,
    age_max: Option<i64>,
    seek_languages: Box<[u32]>,
    seek_ethnicities: Box<[u32]>,
    dealbreakers: Box<[u32]>,
}

/// `x` is in the sorted `set`, or the constraint is open, or the fact is missing.
fn allowed(set: &[u32], x: Option<u32>) -> bool {
    match x {
        Some(x) if !set.is_empty() => set.binary_search(&x).is_ok(),
        _ => true,
    }
}

/// Two sorted sets share an element.
fn overlap(a: &[u32], b: &[u32]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

impl Profile {
    /// The gender part of [`seek_satisfied`], one way (used for filter classes too).
    pub(crate) fn gender_ok(&self, other: &Profile) -> bool {
        allowed(&self.seek_genders, other.gender)
    }

    /// [`seek_satisfied`], one way, compiled.
    fn seek_ok(&self, o: &Profile) -> bool {
        self.gender_ok(o)
            && o.age.is_none_or(|a| {
                self.age_min.is_none_or(|lo| a >= lo) && self.age_max.is_none_or(|hi| a <= hi)
            })
            && (self.seek_languages.is_empty()
                || o.languages.is_empty()
                || overlap(&self.seek_languages, &o.languages))
            && allowed(&self.seek_ethnicities, o.ethnicity)
            && o.substances
                .is_none_or(|s| self.dealbreakers.binary_search(&s).is_err())
    }

    /// The age part of the filters as an interval hint (saturated to i32, which keeps
    /// every comparison's outcome).
    pub(crate) fn span(&self) -> Span {
        let sat = |x: i64| i32::try_from(x).unwrap_or(if x < 0 { i32::MIN } else { i32::MAX });
        let (value_lo, value_hi) = self.age.map_or((i32::MIN, i32::MAX), |a| (sat(a), sat(a)));
        Span {
            value_lo,
            value_hi,
            want_lo: self.age_min.map_or(i32::MIN, sat),
            want_hi: self.age_max.map_or(i32::MAX, sat),
        }
    }

    pub(crate) fn market_ok(&self, o: &Profile) -> bool {
        match (self.market, o.market) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
    }

    /// Everything [`compatible`] checks except identity and past couples.
    pub(crate) fn mutual_ok(&self, o: &Profile) -> bool {
        self.redteam == o.redteam
            && !matches!((self.owner, o.owner), (Some(x), Some(y)) if x == y)
            && self.market_ok(o)
            && self.seek_ok(o)
            && o.seek_ok(self)
    }
}

/// "Not stated" for the one-byte word numbers of [`Compact`].
const NONE8: u8 = u8::MAX;

/// A [`Profile`] in one cache line and no pointers: words are bit positions in 64-bit
/// masks, missing values are sentinels, open age bounds are the widest integers. A row
/// with a word numbered 64 or more, or an age that does not fit, is `exotic` and compared
/// through its [`Profile`] instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Compact {
    owner: i64,
    has_owner: bool,
    redteam: bool,
    exotic: bool,
    gender: u8,
    ethnicity: u8,
    substances: u8,
    /// `u32::MAX`: compatible with every market.
    market: u32,
    /// `i32::MIN`: not stated.
    age: i32,
    age_min: i32,
    age_max: i32,
    languages: u64,
    seek_genders: u64,
    seek_languages: u64,
    seek_ethnicities: u64,
    dealbreakers: u64,
}

impl Compact {
    fn new(p: &Profile) -> Self {
        let mut exotic = false;
        let mut word = |x: Option<u32>| match x {
            None => NONE8,
            Some(x) if x < 64 => x as u8,
            Some(_) => {
                exotic = true;
                NONE8
            }
        };
        let (gender, ethnicity, substances) =
            (word(p.gender), word(p.ethnicity), word(p.substances));
        let mut mask = |set: &[u32]| {
            set.iter().fold(0u64, |m, &x| {
                if x < 64 {
                    m | 1 << x
                } else {
                    exotic = true;
                    m
                }
            })
        };
        let (languages, seek_genders, seek_languages, seek_ethnicities, dealbreakers) = (
            mask(&p.languages),
            mask(&p.seek_genders),
            mask(&p.seek_languages),
            mask(&p.seek_ethnicities),
            mask(&p.dealbreakers),
        );
        let mut age = |x: Option<i64>, missing: i32| match x {
            None => missing,
            Some(a) => i32::try_from(a)
                .ok()
                .filter(|&a| a != i32::MIN && a != i32::MAX)
                .unwrap_or_else(|| {
                    exotic = true;
                    missing
                }),
        };
        let (a, lo, hi) = (
            age(p.age, i32::MIN),
            age(p.age_min, i32::MIN),
            age(p.age_max, i32::MAX),
        );
        Compact {
            owner: p.owner.map_or(0, |o| o.0),
            has_owner: p.owner.is_some(),
            redteam: p.redteam,
            exotic,
            gender,
            ethnicity,
            substances,
            market: p.market.unwrap_or(u32::MAX),
            age: a,
            age_min: lo,
            age_max: hi,
            languages,
            seek_genders,
            seek_languages,
            seek_ethnicities,
            dealbreakers,
        }
    }

    /// [`Profile::seek_ok`] on masks.
    #[inline]
    fn seek_ok(&self, o: &Compact) -> bool {
        let bit = |mask: u64, x: u8| x == NONE8 || mask == 0 || mask >> x & 1 == 1;
        bit(self.seek_genders, o.gender)
            && (o.age == i32::MIN || (self.age_min <= o.age && o.age <= self.age_max))
            && (self.seek_languages == 0
                || o.languages == 0
                || self.seek_languages & o.languages != 0)
            && bit(self.seek_ethnicities, o.ethnicity)
            && (o.substances == NONE8 || self.dealbreakers >> o.substances & 1 == 0)
    }

    /// [`Profile::mutual_ok`] on masks (both rows not exotic).
    #[inline]
    fn mutual_ok(&self, o: &Compact) -> bool {
        self.redteam == o.redteam
            && !(self.has_owner && o.has_owner && self.owner == o.owner)
            && (self.market == o.market || self.market == u32::MAX || o.market == u32::MAX)
            && self.seek_ok(o)
            && o.seek_ok(self)
    }
}

/// The compiled filters of one beat: one [`Profile`] and one [`Compact`] per row, plus
/// each row's past partners (rows), so "was a couple" is a scan of a tiny sorted list,
/// not a hash lookup.
pub(crate) struct Profiles {
    pub(crate) rows: Vec<Profile>,
    compact: Vec<Compact>,
    /// CSR: partners of row `i` are `partners[offsets[i]..offsets[i + 1]]`, sorted.
    offsets: Vec<usize>,
    partners: Vec<u32>,
}

impl Profiles {
    /// Compiles `cands` (already in row order) and the past couples among them.
    pub(crate) fn new(cands: &[&Candidate], excluded: &HashSet<(PersonaId, PersonaId)>) -> Self {
        let prefs = || cands.iter().filter_map(|c| c.prefs.as_ref());
        let genders =
            Vocab::build(prefs().flat_map(|p| p.self_.gender.iter().chain(&p.seek.genders)));
        let languages =
            Vocab::build(prefs().flat_map(|p| p.self_.languages.iter().chain(&p.seek.languages)));
        let ethnicities =
            Vocab::build(prefs().flat_map(|p| p.self_.ethnicity.iter().chain(&p.seek.ethnicities)));
        let substances = Vocab::build(prefs().flat_map(|p| {
            p.self_
                .substances
                .iter()
                .chain(&p.seek.dealbreakers.substances)
        }));
        let markets = Vocab::build(cands.iter().map(|c| &c.active_market));
        let empty = Prefs::default();
        let rows: Vec<Profile> = cands
            .iter()
            .map(|c| {
                let p = c.prefs.as_ref().unwrap_or(&empty);
                let (me, seek) = (&p.self_, &p.seek);
                Profile {
                    owner: c.owner,
                    redteam: c.redteam,
                    market: stated(Some(&c.active_market))
                        .filter(|m| m != REMOTE)
                        .and_then(|m| markets.0.get(&m).copied()),
                    gender: genders.one(me.gender.as_ref()),
                    age: me.age,
                    ethnicity: ethnicities.one(me.ethnicity.as_ref()),
                    languages: languages.set(&me.languages),
                    substances: substances.one(me.substances.as_ref()),
                    seek_genders: genders.set(&seek.genders),
                    age_min: seek.age_min,
                    age_max: seek.age_max,
                    seek_languages: languages.set(&seek.languages),
                    seek_ethnicities: ethnicities.set(&seek.ethnicities),
                    dealbreakers: substances.set(&seek.dealbreakers.substances),
                }
            })
            .collect();
        let compact = rows.iter().map(Compact::new).collect();

        // Past couples, as row pairs; pairs naming someone absent this beat are irrelevant.
        let row_of: HashMap<PersonaId, u32> = cands
            .iter()
            .enumerate()
            .filter_map(|(i, c)| u32::try_from(i).ok().map(|i| (c.id, i)))
            .collect();
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); cands.len()];
        for (a, b) in excluded {
            if let (Some(&i), Some(&j)) = (row_of.get(a), row_of.get(b)) {
                lists[i as usize].push(j);
                lists[j as usize].push(i);
            }
        }
        let mut offsets = Vec::with_capacity(cands.len() + 1);
        let mut partners = Vec::new();
        offsets.push(0);
        for mut l in lists {
            l.sort_unstable();
            l.dedup();
            partners.extend(l);
            offsets.push(partners.len());
        }
        Profiles {
            rows,
            compact,
            offsets,
            partners,
        }
    }

    fn was_couple(&self, i: usize, j: usize) -> bool {
        let (lo, hi) = (self.offsets[i], self.offsets[i + 1]);
        lo != hi && u32::try_from(j).is_ok_and(|j| self.partners[lo..hi].binary_search(&j).is_ok())
    }

    /// [`compatible`] for rows `i` and `j`.
    #[inline]
    pub(crate) fn compatible(&self, i: usize, j: usize) -> bool {
        let (a, b) = (&self.compact[i], &self.compact[j]);
        let ok = if a.exotic || b.exotic {
            self.rows[i].mutual_ok(&self.rows[j])
        } else {
            a.mutual_ok(b)
        };
        i != j && ok && !self.was_couple(i, j)
    }
}
