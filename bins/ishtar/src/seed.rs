//! `ishtar seed`: loads N synthetic daters for benchmarks and demos, through the store's
//! own bulk writes. Each owner has one dating doc (prose plus `prefs`, with the filter mix
//! of `ishtar-matcher`'s synthetic data: genders, ages, markets, substances, some language
//! and ethnicity filters, 2 % of personas sharing an owner, 0.5 % red-team), an active
//! agent endpoint, and admitted personas. Deterministic for a seed.

use ishtar_domain::prefs::Prefs;
use ishtar_matcher::synth::{self, Rng};
use ishtar_store_postgres::{SeedOwner, SeedPersona};
use serde_json::{Value, json};

/// Topics the prose is drawn from: one main topic per dater and a second one, so profiles
/// cluster the way real ones do.
const TOPICS: &[&[&str]] = &[
    &[
        "sourdough starters",
        "proofing baskets",
        "crusty loaves",
        "flour on every surface",
    ],
    &[
        "trail running",
        "muddy ultramarathons",
        "switchbacks at dawn",
        "blisters worth it",
    ],
    &[
        "jazz records",
        "late sets in small clubs",
        "a worn saxophone",
        "bebop on vinyl",
    ],
    &[
        "rock climbing",
        "chalk bags and crimps",
        "bouldering gyms",
        "granite on weekends",
    ],
    &[
        "old science fiction",
        "paperbacks about starships",
        "Le Guin and Lem",
        "space operas",
    ],
    &[
        "community gardening",
        "tomatoes on the fire escape",
        "compost bins",
        "seed swaps",
    ],
    &[
        "film photography",
        "a darkroom in the closet",
        "grainy black and white",
        "35mm cameras",
    ],
    &[
        "sailing the bay",
        "knots and tides",
        "a small dinghy",
        "wind on the water",
    ],
    &[
        "board game nights",
        "long strategy games",
        "meeples everywhere",
        "friendly rivalry",
    ],
    &[
        "ceramics classes",
        "a pottery wheel",
        "glazes and kilns",
        "lopsided mugs",
    ],
    &[
        "salsa dancing",
        "Thursday socials",
        "spins and footwork",
        "latin music",
    ],
    &[
        "birdwatching",
        "binoculars at sunrise",
        "warblers in spring",
        "field guides",
    ],
    &[
        "cooking ramen",
        "broth simmered for hours",
        "noodle shops",
        "soft eggs",
    ],
    &[
        "cycling tours",
        "panniers and maps",
        "long rides between towns",
        "bike repairs",
    ],
    &[
        "classical piano",
        "Chopin nocturnes",
        "practising scales",
        "recitals",
    ],
    &[
        "urban sketching",
        "ink drawings of streets",
        "a pocket sketchbook",
        "watercolour washes",
    ],
    &[
        "yoga and meditation",
        "quiet breathing",
        "sun salutations",
        "slow mornings on a mat",
    ],
    &[
        "volunteering at the shelter",
        "walking rescue dogs",
        "fostering kittens",
        "adoption days",
    ],
    &[
        "craft beer",
        "small breweries",
        "hoppy ales",
        "tasting flights",
    ],
    &[
        "poetry readings",
        "open mics",
        "notebooks of verse",
        "spoken word",
    ],
    &[
        "surfing",
        "cold water swells",
        "a longboard",
        "early paddles out",
    ],
    &[
        "chess",
        "endgame puzzles",
        "blitz online",
        "the Sicilian defence",
    ],
    &[
        "woodworking",
        "hand planes",
        "a workbench in the garage",
        "dovetail joints",
    ],
    &[
        "astronomy",
        "a backyard telescope",
        "meteor showers",
        "dark-sky parks",
    ],
    &[
        "theatre",
        "small playhouses",
        "improv classes",
        "rehearsal nights",
    ],
    &[
        "camping",
        "tents by a lake",
        "campfire stories",
        "national parks",
    ],
    &[
        "learning languages",
        "conversation exchanges",
        "flashcards",
        "travel phrasebooks",
    ],
    &[
        "baking pastries",
        "laminated dough",
        "croissants at dawn",
        "butter everywhere",
    ],
    &[
        "history podcasts",
        "ancient empires",
        "museum weekends",
        "old maps",
    ],
    &[
        "indie video games",
        "pixel art",
        "cozy farming games",
        "co-op adventures",
    ],
];

const SEEKING: &[&str] = &[
    "Someone curious and kind",
    "A partner for slow Sundays",
    "Someone who laughs easily",
    "A thoughtful person who listens",
    "Someone adventurous but gentle",
    "A person with their own passions",
];

fn s(v: &str) -> Value {
    Value::String(v.to_owned())
}

fn topic_phrase(rng: &mut Rng, topic: usize) -> &'static str {
    let t = TOPICS[topic % TOPICS.len()];
    t[rng.below(t.len() as u64) as usize]
}

/// The prose of one dater.
fn prose(rng: &mut Rng) -> (String, String) {
    // Skewed towards some topics, as real interests are.
    let main = (rng.unit().powf(1.3) * TOPICS.len() as f32) as usize % TOPICS.len();
    let second = rng.below(TOPICS.len() as u64) as usize;
    let about = format!(
        "I love {} and {}. Weekends are for {}, and I never say no to {}.",
        topic_phrase(rng, main),
        topic_phrase(rng, main),
        topic_phrase(rng, second),
        topic_phrase(rng, main),
    );
    let seeking = format!(
        "{} who enjoys {} or {}.",
        SEEKING[rng.below(SEEKING.len() as u64) as usize],
        topic_phrase(rng, main),
        topic_phrase(rng, second),
    );
    (about, seeking)
}

fn list(v: &[String]) -> Value {
    Value::Array(v.iter().map(|x| s(x)).collect())
}

/// `heart.prefs` as JSON.
fn prefs_json(p: &Prefs) -> Value {
    let mut me = serde_json::Map::new();
    if let Some(g) = &p.self_.gender {
        me.insert("gender".into(), s(g));
    }
    if let Some(a) = p.self_.age {
        me.insert("age".into(), json!(a));
    }
    if let Some(e) = &p.self_.ethnicity {
        me.insert("ethnicity".into(), s(e));
    }
    if !p.self_.languages.is_empty() {
        me.insert("languages".into(), list(&p.self_.languages));
    }
    if let Some(x) = &p.self_.substances {
        me.insert("substances".into(), s(x));
    }
    let mut seek = serde_json::Map::new();
    if !p.seek.genders.is_empty() {
        seek.insert("genders".into(), list(&p.seek.genders));
    }
    if let Some(a) = p.seek.age_min {
        seek.insert("ageMin".into(), json!(a));
    }
    if let Some(a) = p.seek.age_max {
        seek.insert("ageMax".into(), json!(a));
    }
    if !p.seek.languages.is_empty() {
        seek.insert("languages".into(), list(&p.seek.languages));
    }
    if !p.seek.ethnicities.is_empty() {
        seek.insert("ethnicities".into(), list(&p.seek.ethnicities));
    }
    if !p.seek.dealbreakers.substances.is_empty() {
        seek.insert(
            "dealbreakers".into(),
            json!({"substances": list(&p.seek.dealbreakers.substances)}),
        );
    }
    json!({"self": me, "seek": seek})
}

/// `n` synthetic daters for seed `seed`, with handles `<prefix><i>`. `secret` gives each
/// owner a distinct token hash (the tokens themselves are never shown: seeded owners are
/// for the matchmaker, not for agents).
pub fn daters(
    n: usize,
    seed: u64,
    prefix: &str,
    secret: impl Fn(u64) -> Vec<u8>,
) -> Vec<SeedOwner> {
    let mut rng = Rng::new(seed ^ 0x5EED);
    let mut owners: Vec<SeedOwner> = Vec::new();
    let mut last_owner = None;
    for (i, c) in synth::candidates(n, seed).into_iter().enumerate() {
        let (about, seeking) = prose(&mut rng);
        let market = c.active_market.clone();
        let prefs = c.prefs.as_ref().map(prefs_json);
        let handle = format!("{prefix}{i}");
        let shares_owner = c.owner == last_owner && !owners.is_empty();
        last_owner = c.owner;
        if shares_owner {
            // A second persona of the same human: its own prose and its own prefs.
            let mut heart = json!({"about": about});
            if let Some(p) = prefs {
                heart["prefs"] = p;
            }
            let heart_hash = ishtar_domain::intake::heart_hash(&heart);
            if let Some(o) = owners.last_mut() {
                o.personas.push(SeedPersona {
                    handle,
                    heart,
                    heart_hash,
                    redteam: c.redteam,
                });
            }
            continue;
        }
        let mut doc = json!({"about": about, "seeking": seeking});
        if let Some(p) = prefs {
            doc["prefs"] = p;
        }
        let heart = json!({"about": format!("Persona {handle}, here for the conversation.")});
        owners.push(SeedOwner {
            token_hash: secret(i as u64),
            doc_hash: ishtar_domain::intake::heart_hash(&doc),
            doc,
            home_market: if market == "remote" {
                "other".into()
            } else {
                market.clone()
            },
            active_market: market,
            personas: vec![SeedPersona {
                heart_hash: ishtar_domain::intake::heart_hash(&heart),
                heart,
                handle,
                redteam: c.redteam,
            }],
        });
    }
    owners
}

/// Seeds `n` daters into the configured database, in chunks of 5,000 personas, and
/// raises the `cap` setting if the admitted count passes it. Returns (personas written,
/// the cap in force).
///
/// # Errors
/// A start-up or store error, as one line.
pub async fn run(
    config: &crate::Config,
    n: usize,
    seed: u64,
    prefix: &str,
) -> Result<(usize, i64), String> {
    use ishtar_domain::ports::SettingsStore as _;
    crate::prepare_database(config)
        .await
        .map_err(|e| e.to_string())?;
    let mut pg = ishtar_store_postgres::PgConfig::new(config.database_url.clone());
    pg.pool_size = 2;
    let pool = ishtar_store_postgres::connect(&pg)
        .await
        .map_err(|e| e.to_string())?;
    let key = crate::keys::encryption_key(config.encryption_key.as_ref(), &config.data_dir)
        .map_err(|e| e.to_string())?;
    let store =
        ishtar_store_postgres::PgStore::new(pool, ishtar_store_postgres::ContactCipher::new(&key));
    let run_id: [u8; 8] = rand::random();
    let owners = daters(n, seed, prefix, |i| {
        let mut h = run_id.to_vec();
        h.extend_from_slice(&i.to_le_bytes());
        h.resize(32, 0);
        h
    });
    let now = time::OffsetDateTime::now_utc();
    let mut written = 0;
    let mut chunk = Vec::new();
    let mut in_chunk = 0;
    for o in owners {
        in_chunk += o.personas.len();
        chunk.push(o);
        if in_chunk >= 5000 {
            written += store
                .seed(std::mem::take(&mut chunk), now)
                .await
                .map_err(|e| format!("seed failed: {e}"))?;
            in_chunk = 0;
        }
    }
    if !chunk.is_empty() {
        written += store
            .seed(chunk, now)
            .await
            .map_err(|e| format!("seed failed: {e}"))?;
    }
    let admitted = store.admitted_count().await.map_err(|e| e.to_string())?;
    let cap = store
        .all()
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|(k, _)| k == "cap")
        .and_then(|(_, v)| v.parse::<i64>().ok())
        .unwrap_or(i64::from(ishtar_domain::settings::Settings::default().cap));
    let cap = if cap < admitted {
        store
            .put("cap", &admitted.to_string())
            .await
            .map_err(|e| e.to_string())?;
        admitted
    } else {
        cap
    };
    Ok((written, cap))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daters_are_deterministic_and_carry_prefs() {
        let a = daters(200, 7, "t", |i| i.to_le_bytes().to_vec());
        let b = daters(200, 7, "t", |i| i.to_le_bytes().to_vec());
        assert_eq!(
            a.iter().map(|o| o.doc_hash.clone()).collect::<Vec<_>>(),
            b.iter().map(|o| o.doc_hash.clone()).collect::<Vec<_>>()
        );
        let personas: usize = a.iter().map(|o| o.personas.len()).sum();
        assert_eq!(personas, 200);
        assert!(a.iter().filter(|o| o.doc.get("prefs").is_some()).count() > 150);
        assert!(a.len() < 200, "some owners have two personas");
    }
}
